/* sim.h - the deterministic Raft cluster simulation: shared types.
 *
 * One process runs N replicas, each the real Raft driver
 * (worker/raft_driver.c: the Ready loop, persisting, sending, applying,
 * new-leader readiness, state-machine snapshots) around the real core
 * (worker/raft), over the shared in-memory store (test/support/memstore.c,
 * as the driver's log; in partition schedules the data partition over
 * LMDB in memory, pnode.c) and a simulated network (net.c) that drops,
 * delays, duplicates and reorders messages and can partition nodes, also in
 * one direction only. Messages travel encoded (worker/raft_codec), so the
 * codec is exercised too. Time is logical: SIM_TICK units per Raft tick,
 * each node ticking at its own phase. All randomness flows from one seed,
 * so `--seed N --nodes K [--learners L]` replays a run exactly. The last
 * nodes of a group may be non-voting learners (sim_set_learners).
 * checker.c verifies the Raft safety properties after every step; a
 * violation longjmps back to the runner with the rule's name. */
#ifndef FJORD_SIM_H
#define FJORD_SIM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "test/support/memstore.h"
#include "worker/raft/raft.h"
#include "worker/raft_driver.h"
#include "worker/sm.h"

#define SIM_MAX_NODES 7
#define SIM_TICK 10 /* time units per tick */

struct sim_msg {
	uint64_t at;   /* delivery time */
	uint64_t tie;  /* random: equal times deliver in random order */
	int from, to;  /* node slots */
	uint8_t *data; /* encoded message, owned */
	size_t len;
};

struct sim_pnode;

struct sim_node {
	uint64_t id;
	bool up;
	struct raft_driver drv; /* drv.raft is the core */
	struct memstore store;	/* survives crashes */
	struct sim *sim;	/* for the driver's callbacks */
	int slot;
	struct sim_pnode *p; /* partition schedules: its partition and LMDB store */
	bool crash_pending;  /* crash once the Ready being handled is persisted */
	bool write_lost;     /* ... and its write never reached the disk */
	uint64_t sm_applied; /* the state machine: a hash chain of applied entries */
	uint64_t sm_hash;
	bool lazy;	     /* the driver postpones Ready handling to its next tick */
	uint64_t restart_at; /* tick at which a crashed node comes back */
	int lives;
	int phase;	   /* tick offset within a tick period */
	uint8_t last_role; /* as of the last check */
	uint64_t last_term, last_commit;
};

/* Registry entry for the log-matching check: (index, term) identifies an
 * entry's content and its predecessor's term everywhere. */
struct sim_reg {
	uint64_t index, term, ehash, prev_term;
};

/* What the cluster agreed on at each index, from the first replica to apply
 * it: every later apply must be the same. */
struct sim_gentry {
	uint64_t term, ehash, sm_hash;
	bool set;
};

struct sim_stats {
	uint64_t msgs, dropped, dups, steps, snapshots_sent, snapshots_installed, crashes,
	    proposals, max_term, elections, transfers, step_downs, campaigns, compactions;
	uint64_t links;		   /* "a connection with a peer came up" told to a node */
	uint64_t quiet_runs;	   /* schedules run with quiescence */
	uint64_t quiesces;	   /* times a replica went quiet */
	uint64_t liveness_reports; /* "node j is dead" told to a node (liveness.c) */
};

struct sim {
	uint64_t seed;
	int n;
	int n_voters; /* nodes [0, n_voters) vote; [n_voters, n) are learners */
	bool verbose;
	struct sim_node nodes[SIM_MAX_NODES];
	uint64_t rng;
	uint64_t now, tick;
	int election_ticks, heartbeat_ticks;
	size_t max_inflight_msgs, max_msg_bytes, max_msg_entries, max_inflight_bytes; /* per seed */
	uint64_t snapshot_threshold; /* the driver's state-machine snapshots (compactions) */
	struct event_base *base;     /* the drivers' events; never dispatched */
	bool partition;		     /* replicas run the data partition (pnode.c) */
	char pdir[256];		     /* their stores' temporary directory */

	/* network */
	struct sim_msg *heap;
	size_t heap_n, heap_cap;
	bool blocked[SIM_MAX_NODES][SIM_MAX_NODES]; /* [from][to] */
	bool partitioned;
	uint64_t heal_at;
	int drop_pm, dup_pm, long_delay_pm; /* per mille */
	int min_delay, max_delay;	    /* time units */
	/* Scenario hook: return true to drop message m sent by node slot from. */
	bool (*filter)(struct sim *s, int from, const struct raft_message *m);
	void *filter_arg;

	/* quiescence (config.quiesce) and the node-liveness oracle standing in
	 * for the supervisors (liveness.c) */
	bool quiesce;
	uint64_t unheard_since[SIM_MAX_NODES][SIM_MAX_NODES]; /* [by][of]: tick + 1, 0 = heard */
	bool told_dead[SIM_MAX_NODES][SIM_MAX_NODES];	      /* [by][of] */

	/* faults and workload (per mille per tick, or per Ready) */
	bool faults;
	int crash_pm, part_pm, lazy_pm, crash_in_ready_pm, propose_pm, transfer_pm, campaign_pm,
	    compact_pm;
	int max_down_ticks;

	/* checker state */
	uint64_t *leader_of; /* by term */
	size_t leader_cap;
	struct sim_gentry *glog;
	size_t glog_cap;
	uint64_t gmax; /* highest index applied anywhere */
	struct sim_reg *reg;
	size_t reg_cap, reg_n;

	uint64_t next_payload;
	struct buf enc;
	struct arena arena;
	struct sim_stats stats;

	jmp_buf jmp;
	char fail[1024];
};

/* cluster.c */
void sim_init(struct sim *s, uint64_t seed, int n, bool verbose);
/* Makes the last n_learners of the n nodes learners; before any starts. */
void sim_set_learners(struct sim *s, int n_learners);
/* Whether node slot i is a learner. */
bool sim_is_learner(const struct sim *s, int i);
void sim_free(struct sim *s);
uint64_t sim_rand(struct sim *s);
uint64_t sim_below(struct sim *s, uint64_t n);
bool sim_chance(struct sim *s, int per_mille);
void sim_fail(struct sim *s, const char *rule, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
void sim_trace(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_start_node(struct sim *s, int i);
void sim_crash(struct sim *s, int i);
/* Handles the node's Ready batches until it has none (the driver's flush,
 * one Ready at a time). */
void sim_drive(struct sim *s, int i);
/* Runs `ticks` ticks; calls hook (may be NULL) at the start of each. */
void sim_run(struct sim *s, uint64_t ticks, void (*hook)(struct sim *, void *), void *arg);
/* Proposes a fresh payload on node i. Returns the raft result; sets *index. */
int sim_propose(struct sim *s, int i, uint64_t *index);
/* The node slot of the leader with the highest term among live nodes, or -1. */
int sim_leader(struct sim *s);
/* True when every live node is in the leader's term and follows it. */
bool sim_settled(struct sim *s, int leader);
uint64_t sim_elections(struct sim *s);
void sim_heal(struct sim *s);
/* Traces every node's state and the leader's view of its followers. */
void sim_dump(struct sim *s);
void sim_calm_network(struct sim *s);

/* net.c */
void net_send(struct sim *s, int from, const struct raft_message *m);
/* Delivers every message due before time t, in time order. */
void net_deliver_until(struct sim *s, uint64_t t);
void net_free(struct sim *s);
void net_isolate(struct sim *s, int i, bool in, bool out);

/* liveness.c: node j is dead to node i after SIM_LIVENESS_TICKS of being
 * down or unable to reach i; each change is told to i once, as the
 * supervisors' IPC_PEER_NODE is, and i acts as worker/quiet.c does. */
#define SIM_LIVENESS_TICKS 5
void liveness_tick(struct sim *s);

/* checker.c */
void check_step(struct sim *s, int i);
void check_persist(struct sim *s, int i, const struct raft_entry *ents, size_t n);
void check_apply(struct sim *s, int i, const struct raft_entry *e);
void check_install(struct sim *s, int i, const struct raft_snapshot *snap);
/* The same with the state after the entry (or at the log start) given by
 * the caller (the partition's: check_state_hash of its checksum and high
 * watermark) instead of the hash chain. */
void check_apply_state(struct sim *s, int i, const struct raft_entry *e, uint64_t state);
void check_install_state(struct sim *s, int i, const struct raft_snapshot *snap, uint64_t state);
uint64_t check_state_hash(uint64_t a, uint64_t b);
void check_logs(struct sim *s);
/* Every learner that is up applied everything applied anywhere (call once
 * the network is calm and a proposal reached every node). */
void check_learners_complete(struct sim *s);
uint64_t check_entry_hash(const struct raft_entry *e);
void check_free(struct sim *s);

#endif
