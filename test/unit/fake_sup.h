/* fake_sup.h - a supervisor built by hand for the supervisor's unit suites.
 *
 * Test-only helper, linked into every unit-test binary. It makes what
 * supervisor/main.c makes (configuration, event loop, workers table, and the
 * leaders table when [cluster] names peers) from INI text, and fake workers:
 * table entries with a status, and ipc links on socketpairs whose far end
 * the test holds. It starts no process and binds no port. Every failure
 * fails the calling test. */
#ifndef FJORD_TEST_FAKE_SUP_H
#define FJORD_TEST_FAKE_SUP_H

#include <stdint.h>

struct config;
struct event_base;
struct sup;
struct worker;

/* A loopback TCP port that was free a moment ago (for listeners the
 * suite's supervisor binds; run such suites in a network namespace). */
int fake_free_port(void);

/* Loads text as an INI file (through a temporary file). Caller frees with
 * config_free. */
struct config *fake_config(const char *text);

/* Zeroes s and builds it from INI text on an event loop of its own, with
 * cluster id "test-cluster". */
void fake_sup_init(struct sup *s, const char *text);

/* The same on base (borrowed: supervisors sharing one loop); fake_sup_free
 * leaves base alone. */
void fake_sup_init_on(struct sup *s, struct event_base *base, const char *text);

/* Frees what fake_sup_init made: leaders, workers, configuration, and the
 * loop if it is its own; zeroes s. Free what the suite added (peers,
 * failover, drain, connections) first. */
void fake_sup_free(struct sup *s);

/* Adds the worker entry topic/partition (it must not exist yet), serving,
 * with a status from this run: role (IPC_ROLE_*), term, no known leader
 * (leader_node -1). Returns it (owned by s->workers). */
struct worker *fake_sup_worker(struct sup *s, const char *topic, int32_t partition, int8_t role,
			       uint64_t term);

/* Adds a serving follower (fake_sup_worker, term 0) for every replica that
 * the configuration places on this node, as main.c adds their workers. */
void fake_sup_place_workers(struct sup *s);

/* Opens w's ipc link on a fresh socketpair (both ends non-blocking) and
 * returns the far end, the fake worker's; the caller closes it. */
int fake_sup_link(struct sup *s, struct worker *w);

#endif
