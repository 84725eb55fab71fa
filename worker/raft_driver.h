/* raft_driver.h - runs one replica's Raft core on the worker's event loop.
 *
 * Owns the core (worker/raft/), its storage interface over the LMDB store,
 * the tick timer and the Ready loop, and applies committed entries to the
 * partition. Messages for peers go out through a callback (the replica's
 * transport; tests wire drivers together directly). The replica
 * (replica.c) proposes, and hears back through callbacks.
 *
 * Group commit: every input (a message from a peer, a tick, a proposal)
 * only marks the core as having work and activates one event that runs
 * after every callback already due in this loop iteration. That event
 * handles the Ready batches: one write transaction holds the log start to
 * install, the entries to persist (a leader's proposals or a follower's
 * appends, however many arrived in the iteration), the hard state and the
 * partition's apply state, then one commit and one fsync; then the
 * messages go out, then committed entries are applied, then the core is
 * advanced. A commit-only change writes nothing (it needs no fsync); the
 * next transaction carries it.
 *
 * A transaction that fails with ERR_NOSPACE (full map or disk) gives that
 * Ready back to the core (raft_unready): the driver is "stuck", refuses
 * proposals, drops messages and retries with a new Ready (the same entries
 * and whatever came since) every RAFT_DRIVER_RETRY_MS until it fits
 * (retention may free room meanwhile). A stuck leader keeps ticking, so
 * check-quorum steps it down once it has not heard from a majority for an
 * election timeout; a stuck follower does not tick (it must not campaign).
 * ERR_IO or ERR_CORRUPT are reported and the worker should exit: the state
 * on disk is unknown, a restart recovers from it.
 *
 * The leader's next Kafka offset: when this replica becomes leader, the
 * offsets of its first proposals must follow the last data entry in its
 * whole log (it will commit all of it), so after the Ready that made it
 * leader is persisted the driver recomputes the partition's next offset
 * from the store (partition_reset_next). raft_driver_can_propose says
 * whether that happened for the current term. */
#ifndef FJORD_WORKER_RAFT_DRIVER_H
#define FJORD_WORKER_RAFT_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "worker/partition.h"
#include "worker/raft/raft.h"

struct event;
struct event_base;
struct store;

#define RAFT_DRIVER_RETRY_MS 200
#define RAFT_DRIVER_MAX_VOTERS 32

struct raft_driver_config {
	int32_t self;
	const int32_t *voters; /* every replica, self included; copied */
	int n_voters;
	int tick_ms;		/* one Raft tick: the heartbeat interval */
	int election_ticks;	/* T in ticks, >= 2 */
	size_t max_msg_entries; /* entries per append message */
	uint64_t seed;		/* election timeout randomness */
};

/* Callbacks into the replica; all optional except where noted. */
struct raft_driver_callbacks {
	void *ctx;
	/* Entries up to last_index are durable here (acks=1 answers). */
	void (*persisted)(void *ctx, uint64_t last_index);
	/* Committed entries up to index were applied to the partition, making
	 * `bytes` of records visible (acks=-1 answers, parked fetches). */
	void (*applied)(void *ctx, uint64_t index, size_t bytes);
	/* Role, term or leader changed (seen after a Ready was handled). */
	void (*changed)(void *ctx);
	/* A write transaction failed with err: ERR_NOSPACE means stuck and
	 * retrying; anything else means the worker must stop. */
	void (*failed)(void *ctx, int err);
	/* Once per tick, after the core's tick. */
	void (*tick)(void *ctx);
	/* Sends a message to peer m->to (borrowed for the call); losing it
	 * is fine. Required unless the group has one voter. */
	void (*send)(void *ctx, const struct raft_message *m);
};

struct raft_driver_stats {
	uint64_t txns;	    /* write transactions committed by the Ready loop */
	uint64_t entries;   /* entries persisted by them */
	uint64_t readies;   /* Ready batches handled */
};

struct raft_driver {
	struct event_base *base;
	struct store *store;	 /* borrowed */
	struct partition *part;	 /* borrowed */
	struct raft raft;
	bool raft_up;
	struct raft_storage storage;
	struct arena arena; /* entries read for the core */
	uint8_t snap[PARTITION_SNAPSHOT_LEN];
	struct event *tick_ev, *flush_ev, *retry_ev;
	struct raft_driver_callbacks cb;
	struct store_entry *sbuf; /* Ready entries mapped for store_append */
	size_t sbuf_cap;
	struct raft_ready rd; /* the Ready being handled, or the stuck one */
	bool stuck;
	bool dead;		      /* an I/O error: nothing more is done */
	uint64_t leader_ready_term;   /* term whose next offset was recomputed */
	uint64_t leader_commit_heard; /* highest commit a leader told us */
	uint8_t seen_role;
	uint64_t seen_term, seen_leader;
	int tick_ms;
	int election_ticks;
	int32_t voters[RAFT_DRIVER_MAX_VOTERS];
	int n_voters;
	struct raft_driver_stats stats;
};

/* Opens the core over the store, with the partition's applied index as the
 * state machine's, and starts the tick timer. The replica is a follower
 * until it wins an election. Errors: ERR_CONFIG, ERR_CORRUPT, ERR_NOMEM,
 * store errors. */
int raft_driver_init(struct raft_driver *d, struct event_base *base,
		     const struct raft_driver_config *cfg, struct store *s, struct partition *p,
		     const struct raft_driver_callbacks *cb);

/* Handles what is pending (without failing anything), then frees
 * everything. */
void raft_driver_close(struct raft_driver *d);

/* A message from a peer (the transport's callback). Borrowed for the call. */
void raft_driver_step(struct raft_driver *d, const struct raft_message *m);

/* Proposes data (copied) as a new entry; *index is its log index. Returns
 * 0, ERR_NOTLEADER (not leader, a transfer is under way, or the new
 * leader's offsets are not known yet: see raft_driver_can_propose),
 * ERR_NOSPACE (stuck on a full store), ERR_IO (stopped) or ERR_NOMEM. */
int raft_driver_propose(struct raft_driver *d, const void *data, size_t len, uint64_t *index);

/* True when proposals are accepted now. A replica that is leader but not
 * ready yet becomes ready after raft_driver_flush. */
bool raft_driver_can_propose(const struct raft_driver *d);

/* Handles every pending Ready now (normally the end-of-iteration event
 * does). */
void raft_driver_flush(struct raft_driver *d);

/* Campaign now (fast failover; raft_campaign). 0 or ERR_AGAIN when stuck. */
int raft_driver_campaign(struct raft_driver *d);

/* Hands leadership to node `to` (0: the most caught-up follower). Returns
 * raft_transfer_leader's result, or ERR_AGAIN when stuck. */
int raft_driver_transfer(struct raft_driver *d, uint64_t to);

/* Runs the election timer out now, so a follower that knows no leader
 * starts a normal (pre-vote) election at once. No-op otherwise. */
void raft_driver_expire_election(struct raft_driver *d);

/* Follower whose log reaches the commit its leader last told it. */
bool raft_driver_caught_up(const struct raft_driver *d);

/* Leader: max over followers of last index - match; otherwise 0. */
uint64_t raft_driver_match_lag(const struct raft_driver *d);

#endif
