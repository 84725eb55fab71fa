/* schedule.h - random fault schedules and the helpers scenarios share. */
#ifndef FJORD_SIM_SCHEDULE_H
#define FJORD_SIM_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;
struct sim_stats;

/* Runs one seeded schedule on `nodes` replicas, the last `learners` of them
 * non-voting learners: fault_ticks of faults, then the liveness check
 * (learners included: they too must apply every proposal). With
 * partition, the replicas run the data partition
 * over LMDB in memory (pnode.c) instead of the hash-chain state machine.
 * Adds its counters to *acc and the ticks it took to settle a leader after
 * the faults to *settle_ticks (both may be NULL).
 * Returns 0, or -1 with the violated rule and details in why. */
int schedule_run(uint64_t seed, int nodes, int learners, uint64_t fault_ticks, bool verbose,
		 bool partition, struct sim_stats *acc, uint64_t *settle_ticks, char *why,
		 size_t why_len);
/* Ticks until some leader is settled (every live node in its term follows
 * it, and it committed in its term); fails `rule` after limit ticks.
 * Returns the leader's slot; *took (may be NULL) gets the ticks waited. */
int schedule_await_leader(struct sim *s, uint64_t limit, const char *rule, uint64_t *took);
/* Proposes count entries on leader; fails unless all are applied on every
 * node within limit ticks and leadership did not change. */
void schedule_await_commit(struct sim *s, int leader, int count, uint64_t limit);
/* Compacts node i's stored log up to its applied index. */
void schedule_compact(struct sim *s, int i);

#endif
