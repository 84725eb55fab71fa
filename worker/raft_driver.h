/* raft_driver.h - runs one replica's Raft core on the worker's event loop.
 *
 * Owns the core (worker/raft/), the tick timer and the Ready loop. It
 * persists through a log (log_store.h: the LMDB store in the worker, an
 * in-memory log in the simulation) and hands committed entries, snapshot
 * requests, installs and leadership changes to one state machine (sm.h:
 * the data partition today); it knows neither by name. Messages for peers
 * go out through a callback (the replica's transport; tests wire drivers
 * together directly). The replica (replica.c) proposes, and hears back
 * through callbacks.
 *
 * Group commit: every input (a message from a peer, a tick, a proposal)
 * only marks the core as having work and activates one event that runs
 * after every callback already due in this loop iteration. That event
 * handles the Ready batches: one write transaction holds the log start to
 * install, the entries to persist (a leader's proposals or a follower's
 * appends, however many arrived in the iteration), the hard state and the
 * state machine's save, then one commit and one fsync; then the
 * messages go out, then committed entries are applied, then the core is
 * advanced. A leader's appends and heartbeats go out before its write
 * (raft_msg_sendable_early): followers write in parallel, and the core
 * counts the leader's own copy only once advanced. A commit-only change
 * writes nothing (it needs no fsync); the next transaction carries it.
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
 * A new leader: after the Ready that made this replica leader is persisted
 * (so the log holds everything it will commit), the driver calls the state
 * machine's lead op (the partition computes its next Kafka offset from the
 * whole log there). raft_driver_can_propose says whether that happened
 * for the current term. The state machine's step_down op runs when
 * leadership is lost and when a write fails.
 *
 * Snapshots: every snapshot_threshold applied entries the driver asks the
 * state machine for a snapshot (sm.h), in a write transaction of its own.
 *
 * Time: the driver's only clock is its tick timer (tick_ms). With tick_ms
 * 0 there is no timer and the owner calls raft_driver_tick (the
 * simulation, on simulated time).
 *
 * Quiescence (cfg.quiesce): while the core is quiet (raft_quiesced) the
 * tick timer is stopped, so an idle replica has no timer firing at all; it
 * starts again with whatever wakes the core (a message, a proposal, a
 * campaign, raft_driver_leader_unreachable, raft_driver_wake). The check
 * runs after every flush, which every input schedules. */
#ifndef FJORD_WORKER_RAFT_DRIVER_H
#define FJORD_WORKER_RAFT_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/log_store.h"
#include "worker/raft/raft.h"
#include "worker/sm.h"

struct event;
struct event_base;

#define RAFT_DRIVER_RETRY_MS 200
#define RAFT_DRIVER_MAX_VOTERS 32
#define RAFT_DRIVER_MAX_MEMBERS 64 /* voters and learners together */

struct raft_driver_config {
	int32_t self;
	/* The voters, self included unless self is a learner; copied. */
	const int32_t *voters;
	int n_voters;
	/* The non-voting members (raft.h), self included if it is one;
	 * copied; may be NULL when n_learners is 0. */
	const int32_t *learners;
	int n_learners;
	int tick_ms;		     /* one Raft tick: the heartbeat interval; 0 = no
				      * timer, the owner calls raft_driver_tick */
	int election_ticks;	     /* T in ticks, >= 2 */
	size_t max_msg_entries;	     /* entries per append message */
	uint64_t seed;		     /* election timeout randomness */
	uint64_t snapshot_threshold; /* applied entries between snapshots; 0 = none */
	int rounds_per_flush;	     /* Ready batches per flush; 0 = the default (16) */
	bool quiesce;		     /* a settled group goes quiet (core config.quiesce) */
	/* The core's whole configuration, for the simulation and tests that
	 * tune every knob (flow control, heartbeat, panic hook); NULL = the
	 * worker's. The driver still sets id, peers, storage and applied. */
	const struct raft_config *core;
};

/* Callbacks into the replica; all optional except where noted. */
struct raft_driver_callbacks {
	void *ctx;
	/* Entries up to last_index are durable here (acks=1 answers); once
	 * per flush, after its Readys. */
	void (*persisted)(void *ctx, uint64_t last_index);
	/* Committed entries up to index were applied to the state machine,
	 * `bytes` of payload in all (acks=-1 answers, parked fetches). */
	void (*applied)(void *ctx, uint64_t index, size_t bytes);
	/* Role, term or leader changed, or the core went quiet or woke (seen
	 * after a Ready was handled). */
	void (*changed)(void *ctx);
	/* A write transaction failed with err: ERR_NOSPACE means stuck and
	 * retrying; anything else means the worker must stop. */
	void (*failed)(void *ctx, int err);
	/* Once per tick, after the core's tick. */
	void (*tick)(void *ctx);
	/* Sends a message to peer m->to (borrowed for the call); losing it
	 * is fine. Required unless the group has one member. */
	void (*send)(void *ctx, const struct raft_message *m);
	/* Optional: write what send queued to the wire now. Called after a
	 * leader's appends were handed to send and before the Ready's own
	 * write, so the followers write in parallel with it. */
	void (*push)(void *ctx);
};

struct raft_driver_stats {
	uint64_t txns;	    /* write transactions committed by the Ready loop */
	uint64_t entries;   /* entries persisted by them */
	uint64_t readies;   /* Ready batches handled */
	uint64_t snapshots; /* state-machine snapshots taken */
};

struct raft_driver {
	struct event_base *base;
	struct log_store log; /* borrowed ops and state */
	struct sm sm;	      /* borrowed ops and state */
	struct raft raft;
	bool raft_up;
	struct raft_storage storage;
	struct event *tick_ev, *flush_ev, *retry_ev;
	struct raft_driver_callbacks cb;
	struct raft_ready rd; /* the Ready being handled, or the stuck one */
	bool stuck;
	bool dead;		       /* an I/O error: nothing more is done */
	uint64_t leader_ready_term;    /* term whose next offset was recomputed */
	uint64_t leader_commit_heard;  /* highest commit a leader told us */
	uint64_t persisted_unreported; /* for cb.persisted at the flush's end */
	uint8_t seen_role;
	uint64_t seen_term, seen_leader;
	bool seen_quiesced;
	int tick_ms;
	int election_ticks;
	int rounds_per_flush;
	int32_t members[RAFT_DRIVER_MAX_MEMBERS]; /* the voters, then the learners */
	int n_members;
	uint64_t snapshot_threshold;
	uint64_t snapshot_at; /* applied index of the last snapshot (or of the start) */
	uint64_t applied;     /* last index handed to the state machine */
	struct raft_driver_stats stats;
};

/* Opens the core over the log (borrowed; it outlives the driver), with the
 * state machine's applied index (sm, borrowed likewise), and starts the
 * tick timer. The replica is a follower until it wins an election. Errors:
 * ERR_CONFIG, ERR_CORRUPT, ERR_NOMEM, log errors. */
int raft_driver_init(struct raft_driver *d, struct event_base *base,
		     const struct raft_driver_config *cfg, const struct log_store *log,
		     const struct sm *sm, const struct raft_driver_callbacks *cb);

/* Handles what is pending (without failing anything), then frees
 * everything. */
void raft_driver_close(struct raft_driver *d);

/* Frees everything without handling what is pending: what a crash leaves
 * (the simulation's crashes). */
void raft_driver_abandon(struct raft_driver *d);

/* One Raft tick (what the timer does every tick_ms). Returns raft_tick's
 * result, or ERR_AGAIN when stuck (the tick is skipped). */
int raft_driver_tick(struct raft_driver *d);

/* A message from a peer (the transport's callback). Borrowed for the call.
 * Returns raft_step's result (a refused message is only logged), or
 * ERR_AGAIN when stuck (the message is dropped). */
int raft_driver_step(struct raft_driver *d, const struct raft_message *m);

/* Proposes data (copied) as a new entry; *index is its log index; the
 * state machine's proposed op has seen it when this returns 0. Returns
 * 0, ERR_NOTLEADER (not leader, a transfer is under way, or the new
 * leader's offsets are not known yet: see raft_driver_can_propose),
 * ERR_NOSPACE (stuck on a full store), ERR_IO (stopped) or ERR_NOMEM. */
int raft_driver_propose(struct raft_driver *d, const void *data, size_t len, uint64_t *index);

/* Proposes a state-machine command (RAFT_ENTRY_COMMAND, data copied):
 * committed and applied like a data entry, but the state machine's
 * proposed op does not see it (it hands out no Kafka offsets). Errors as
 * raft_driver_propose. */
int raft_driver_propose_command(struct raft_driver *d, const void *data, size_t len,
				uint64_t *index);

/* True when proposals are accepted now. A replica that is leader but not
 * ready yet becomes ready after raft_driver_flush. */
bool raft_driver_can_propose(const struct raft_driver *d);

/* Handles every pending Ready now (normally the end-of-iteration event
 * does). */
void raft_driver_flush(struct raft_driver *d);

/* Campaign now (fast failover; raft_campaign). 0 or ERR_AGAIN when stuck. */
int raft_driver_campaign(struct raft_driver *d);

/* A leader stuck on a full store steps down (raft_step_down): it can
 * persist nothing, so it can commit nothing, and another voter can take
 * over. Returns the term it led, or 0 when it did not lead, is not stuck
 * for want of space, or is the group's only voter (which keeps serving
 * reads). */
uint64_t raft_driver_resign(struct raft_driver *d);

/* A connection with node came up: a campaign under way asks it again
 * (raft_peer_connected). 0, ERR_AGAIN when stuck, or ERR_INVALID. */
int raft_driver_peer_connected(struct raft_driver *d, int32_t node);

/* Hands leadership to node `to` (0: the most caught-up follower). Returns
 * raft_transfer_leader's result, or ERR_AGAIN when stuck. */
int raft_driver_transfer(struct raft_driver *d, uint64_t to);

/* Runs the election timer out now, so a follower that knows no leader
 * starts a normal (pre-vote) election at once. No-op otherwise. */
void raft_driver_expire_election(struct raft_driver *d);

/* Quiescence (see above and raft.h): whether the core is quiet now; wake
 * it; keep a leader awake (hold) or let it go quiet; tell a follower that
 * its leader's node is unreachable (campaign: start an election now). The
 * last three return the core's result, or ERR_AGAIN when stuck. */
bool raft_driver_quiesced(const struct raft_driver *d);
int raft_driver_wake(struct raft_driver *d);
int raft_driver_hold_awake(struct raft_driver *d, bool hold);
int raft_driver_leader_unreachable(struct raft_driver *d, bool campaign);
/* raft_probe_leader, or ERR_AGAIN when stuck. */
int raft_driver_probe_leader(struct raft_driver *d);
/* raft_set_patience: extra ticks a follower gives a known leader. */
int raft_driver_set_patience(struct raft_driver *d, int ticks);

/* Follower or learner whose log reaches the commit its leader last told
 * it. */
bool raft_driver_caught_up(const struct raft_driver *d);

/* Leader: max over the other members (voters and learners) of last index -
 * match; otherwise 0. */
uint64_t raft_driver_match_lag(const struct raft_driver *d);

#endif
