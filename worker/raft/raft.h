/* raft.h - the public API of fjord's Raft core: one replica of one Raft group
 * as a pure, deterministic state machine.
 *
 * The core does no I/O, reads no clock and keeps no global state. Inputs are
 * raft_tick (the caller's timer), raft_step (a message from a peer),
 * raft_propose, raft_campaign and raft_transfer_leader. Output is a Ready
 * batch (hard state and entries to persist, messages to send, entries now
 * committed) that the driver handles and then acknowledges with raft_advance.
 * Randomness (election timeouts) comes from a generator seeded by the caller,
 * so a seed replays a run exactly. Stable log entries are read through the
 * caller's struct raft_storage; only the unstable tail lives in memory here.
 *
 * The driver loop (see docs/RAFT.md):
 *
 *     while (raft_has_ready(r)) {
 *         raft_ready(r, &rd);
 *         1. if rd.has_snapshot: install rd.snapshot.data in the state
 *            machine, drop every log entry, set the log start to
 *            (rd.snapshot.index, rd.snapshot.term);
 *         2. write rd.entries: rd.entries[0].index may be <= the stored last
 *            index, then the stored suffix from that index on is replaced;
 *            write rd.hard_state if rd.hard_state_changed;
 *            fsync when rd.must_sync (before step 3: a vote or an
 *            acknowledged entry must survive a crash);
 *         3. send rd.messages (losing any of them is safe);
 *         4. apply rd.committed in order;
 *         raft_advance(r, &rd);
 *     }
 *
 * Between raft_ready and raft_advance the caller must not call any other
 * raft_* function that changes state (they return ERR_INVALID): the Ready
 * arrays point into the core. The caller may compact its stored log (move the
 * log start forward) only up to the applied index.
 *
 * Broken safety invariants (a committed entry overwritten, commit going back,
 * a term going back...) are checked in release builds too: the core calls
 * config.panic_cb if set, then prints the reason and aborts. Storage read
 * errors other than ERR_COMPACTED/ERR_UNAVAILABLE are treated the same way:
 * the core cannot continue safely without its log.
 *
 * Pre-vote (Raft dissertation §9.6), check-quorum (§6.2), leadership
 * transfer (§3.10) and commit-by-current-term (§5.4.2 of the paper) follow
 * the Raft paper and dissertation; the Ready API follows etcd-io/raft.
 *
 * Membership: a group's members are its voters (raft_config.peers) and its
 * non-voting learners (raft_config.learners, dissertation §4.2.1's "non-voting
 * members"), fixed for the life of a struct raft. The leader replicates to
 * learners exactly as to voters (appends, heartbeats, log starts, each with
 * its own progress and flow control), but a learner never votes, never
 * campaigns (its election timer does nothing; raft_campaign and
 * TIMEOUT_NOW are refused; no leadership transfer goes to it) and never
 * counts: commit and check-quorum take a majority of the voters only. Any
 * (pre-)vote request or answer sent by or to a learner is dropped unread.
 * A learner's raft_role is RAFT_LEARNER. Changing a replica from learner
 * to voter (or back) means restarting it with the new lists; the caller
 * must keep every member's lists the same. */
#ifndef FJORD_RAFT_H
#define FJORD_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- entries, state, messages ---------------------------------------- */

enum raft_entry_kind {
	RAFT_ENTRY_NORMAL = 0, /* caller data (a Kafka record batch, a catalog op) */
	RAFT_ENTRY_NOOP = 1,   /* appended by each new leader; no data */
	RAFT_ENTRY_CONFIG = 2, /* reserved for membership changes; not produced yet */
	/* A command of the state machine that is not caller data (the data
	 * partition's "move the log start", DeleteRecords): replicated and
	 * committed like NORMAL, applied by the state machine, but it holds
	 * no Kafka records. */
	RAFT_ENTRY_COMMAND = 3,
};

struct raft_entry {
	uint64_t index;
	uint64_t term;
	uint8_t kind;	     /* enum raft_entry_kind */
	const uint8_t *data; /* ownership: see the function that hands it out */
	size_t data_len;
};

/* What must survive a crash besides the log. commit is an optimisation (it
 * saves re-learning the commit index after a restart); term and vote are
 * required for safety. */
struct raft_hard_state {
	uint64_t term;
	uint64_t vote; /* 0 = none in this term */
	uint64_t commit;
};

/* The log start: every entry up to and including index is applied into the
 * state-machine snapshot `data` and no longer stored as an entry. */
struct raft_snapshot {
	uint64_t index;
	uint64_t term;
	const uint8_t *data; /* opaque state-machine bytes; ownership per function */
	size_t data_len;
};

enum raft_msg_type {
	RAFT_MSG_PREVOTE = 1,
	RAFT_MSG_PREVOTE_RESP = 2,
	RAFT_MSG_VOTE = 3,
	RAFT_MSG_VOTE_RESP = 4,
	RAFT_MSG_APPEND = 5,
	RAFT_MSG_APPEND_RESP = 6, /* also answers RAFT_MSG_SNAPSHOT */
	RAFT_MSG_HEARTBEAT = 7,
	RAFT_MSG_HEARTBEAT_RESP = 8,
	RAFT_MSG_SNAPSHOT = 9,	   /* the leader's log start, for a follower behind it */
	RAFT_MSG_TIMEOUT_NOW = 10, /* leadership transfer: campaign at once */
};
#define RAFT_MSG_TYPE_MAX RAFT_MSG_TIMEOUT_NOW

/* One message. Which fields mean what, per type:
 *   PREVOTE, VOTE: term = the term campaigned for (for PREVOTE: sender's
 *     term + 1, the sender's own term is unchanged), index/log_term = the
 *     candidate's last log entry, force = skip the voter's leader-stickiness
 *     check (leadership transfer or an explicit campaign).
 *   PREVOTE_RESP, VOTE_RESP: reject.
 *   APPEND: index/log_term = the entry preceding `entries`; commit = leader's
 *     commit; entries[i].index == index + 1 + i.
 *   APPEND_RESP: accepted: index = last index known to match the leader.
 *     rejected: index = the rejected APPEND's index; hint_term = the
 *     follower's term at that index (0 if its log is shorter) and
 *     hint_index = the follower's first index of hint_term (or its last
 *     index + 1 if shorter), for fast back-tracking.
 *   HEARTBEAT: commit = min(follower's match, leader's commit).
 *   SNAPSHOT: index/log_term = leader's log start, snapshot = state-machine
 *     bytes, commit = leader's commit.
 *   TIMEOUT_NOW: no payload. */
struct raft_message {
	uint8_t type; /* enum raft_msg_type */
	uint64_t from;
	uint64_t to;
	uint64_t term;
	uint64_t index;
	uint64_t log_term;
	uint64_t commit;
	bool reject;
	bool force;
	bool quiesce; /* HEARTBEAT: the leader goes quiet after it (quiesce.c) */
	uint64_t hint_index;
	uint64_t hint_term;
	struct raft_entry *entries;
	size_t n_entries;
	const uint8_t *snapshot;
	size_t snapshot_len;
	/* In a Ready's messages: the block holding this message's entry data
	 * and snapshot bytes (see raft_block_hold), or NULL when it has none.
	 * Ignored in messages given to raft_step. */
	void *block;
};

/* A Ready's message keeps its entry data and snapshot bytes in one block
 * that the core frees at raft_advance. A sender that wants to hand those
 * bytes to a socket buffer by reference, not by copy, holds the block
 * (raft_block_hold) and releases it when the bytes are gone
 * (raft_block_release); the block is freed at the last release, by whoever
 * that is. Single-threaded, like the rest of the core. */
void raft_block_hold(void *block);
void raft_block_release(void *block);
/* A block of size bytes with one reference (the caller's), as the core makes
 * for its messages; for tests of senders. NULL when out of memory. */
void *raft_block_new(size_t size);

/* ---- the caller's stable storage ------------------------------------- */

/* Stable storage as the core sees it, mirroring etcd's Storage. Every
 * function returns 0 or a negative ERR_*. The log holds the entries
 * first_index..last_index; first_index - 1 is the log start (its term is
 * known, from the snapshot). An empty log has last_index == first_index - 1.
 * Pointers handed back (entry data, snapshot data) are borrowed: they stay
 * valid until the next call into this storage; the core copies what it
 * keeps. */
struct raft_storage {
	void *ctx;
	/* Persisted hard state; all zero for a new replica. */
	int (*initial_state)(void *ctx, struct raft_hard_state *out);
	int (*first_index)(void *ctx, uint64_t *out);
	int (*last_index)(void *ctx, uint64_t *out);
	/* Term of entry `index`, for first_index - 1 <= index <= last_index.
	 * ERR_COMPACTED below that, ERR_UNAVAILABLE above. */
	int (*term)(void *ctx, uint64_t index, uint64_t *out);
	/* Entries [lo, hi) into out[] (room for hi - lo), stopping before the
	 * entry that would take the data bytes over max_bytes, but always at
	 * least one. Sets *n_out. ERR_COMPACTED if lo < first_index,
	 * ERR_UNAVAILABLE if hi > last_index + 1. */
	int (*entries)(void *ctx, uint64_t lo, uint64_t hi, size_t max_bytes,
		       struct raft_entry *out, size_t *n_out);
	/* The log start and the state-machine bytes at it (sent to a follower
	 * whose next index is below first_index). */
	int (*snapshot)(void *ctx, struct raft_snapshot *out);
};

/* ---- configuration ---------------------------------------------------- */

struct raft_config {
	uint64_t id; /* this replica; nonzero; one of peers or of learners */
	/* borrowed (copied): every voter, distinct, nonzero; at least one. Self
	 * is one of them unless this replica is a learner. */
	const uint64_t *peers;
	size_t n_peers;
	/* borrowed (copied): the non-voting members, distinct, nonzero, none of
	 * them a voter; may be NULL when n_learners is 0. Self is one of them
	 * when this replica is a learner. */
	const uint64_t *learners;
	size_t n_learners;
	int election_ticks;	   /* T: a follower campaigns after [T, 2T) silent ticks */
	int heartbeat_ticks;	   /* leader heartbeat period; 0 < heartbeat_ticks < T */
	size_t max_inflight_msgs;  /* appends in flight per follower (pipelining window); >= 1 */
	size_t max_msg_bytes;	   /* entry data bytes per APPEND (one entry is always allowed) */
	size_t max_msg_entries;	   /* entries per APPEND; 0 = 1024 */
	size_t max_inflight_bytes; /* entry bytes in flight per follower; 0 = msgs * msg_bytes */
	size_t max_apply_bytes;	   /* committed entry bytes per Ready; 0 = unlimited */
	uint64_t seed;		   /* election-timeout randomness */
	uint64_t applied;	   /* index the caller's state machine holds (>= log start) */
	const struct raft_storage *storage; /* borrowed; must outlive the raft */
	bool pre_vote;
	bool check_quorum;
	/* A settled group stops heartbeating and its followers their election
	 * timers until something happens (quiesce.c, raft_quiesced). */
	bool quiesce;
	/* Optional: called with a description when an invariant breaks, before
	 * abort(). May longjmp away (the simulation does); the raft must then
	 * only be discarded (its memory leaks). */
	void (*panic_cb)(void *ctx, const char *msg);
	void *panic_ctx;
};

/* ---- Ready ---------------------------------------------------------------- */

/* Everything in it is owned by the core until raft_advance. */
struct raft_ready {
	struct raft_hard_state hard_state; /* always the current one */
	bool hard_state_changed;
	bool has_snapshot; /* install before writing entries */
	struct raft_snapshot snapshot;
	struct raft_entry *entries; /* to persist, ascending, contiguous */
	size_t n_entries;
	struct raft_message *messages; /* to send after persisting, except
					* those raft_msg_sendable_early allows */
	size_t n_messages;
	struct raft_entry *committed; /* to apply, ascending from applied + 1 */
	size_t n_committed;
	bool must_sync; /* term, vote, entries or snapshot changed */
};

enum raft_role {
	RAFT_FOLLOWER = 0, /* values match ipc_role */
	RAFT_CANDIDATE = 1,
	RAFT_LEADER = 2,
	RAFT_PRE_CANDIDATE = 3, /* pre-vote round; term not raised yet */
	RAFT_LEARNER = 4,	/* a non-voting member, following the leader */
};

struct raft_counters {
	uint64_t elections;	  /* times this replica became a candidate (not pre-candidate) */
	uint64_t leader_changes;  /* times a new (leader, term) was observed, self included */
	uint64_t lower_term_msgs; /* messages received with a term below ours */
	uint64_t dropped_msgs;	  /* outbound messages dropped for lack of memory */
	uint64_t quiesces;	  /* times this replica went quiet */
};

/* ---- private state (use the functions below, not the fields) ------------- */

struct raft_inflights {
	uint64_t *last; /* last index of each in-flight append (ring) */
	size_t *bytes;
	size_t start, count, cap;
	size_t total_bytes, max_bytes; /* max_bytes 0 = no byte bound */
};

struct raft_progress {
	uint64_t id;
	uint64_t match;	    /* highest index known replicated on this peer */
	uint64_t next;	    /* next index to send */
	uint8_t state;	    /* progress.h: PROBE, REPLICATE, SNAPSHOT */
	bool probe_sent;    /* PROBE: one append per heartbeat round trip */
	bool recent_active; /* heard from since the last check-quorum round */
	uint64_t pending_snapshot;
	int snapshot_elapsed;
	struct raft_inflights inflight;
};

struct raft_log {
	const struct raft_storage *storage;
	struct raft_entry *u; /* unstable entries, data owned; u[0].index == u_offset */
	size_t n_u, cap_u;
	uint64_t u_offset;
	bool has_snap;		   /* a received log start not yet handed to the driver */
	struct raft_snapshot snap; /* data owned */
	uint64_t commit;
	uint64_t applied;     /* handed to the driver and acknowledged */
	uint64_t stable_last; /* storage's last index: only Ready handling extends it */
	/* Recently persisted entries kept in memory until applied (data owned;
	 * c[0].index == c_offset): committing them, or sending them to a
	 * follower, need not read them back from storage. */
	struct raft_entry *c;
	size_t n_c, cap_c, c_bytes;
	uint64_t c_offset;
};

struct raft_outbox {
	struct raft_message *msgs;
	void **blocks; /* one owned allocation per message (entries + data) */
	size_t n, cap;
};

struct raft {
	uint64_t id;
	uint64_t *peers; /* every member: the voters first, then the learners */
	size_t n_peers;	 /* members */
	size_t n_voters; /* peers[0..n_voters) vote; the rest are learners */
	bool learner;	 /* this replica is one of the learners */
	int election_ticks, heartbeat_ticks;
	size_t max_inflight_msgs, max_msg_bytes, max_msg_entries, max_inflight_bytes,
	    max_apply_bytes;
	bool pre_vote, check_quorum;
	void (*panic_cb)(void *ctx, const char *msg);
	void *panic_ctx;

	uint64_t term, vote, leader;
	uint8_t role;
	struct raft_log log;
	struct raft_progress *prs; /* one per member, same order as peers */
	uint8_t *votes;		   /* per member (learners stay 0): 0 none, 1 granted, 2 rejected */
	bool campaign_force;	   /* the current (pre-)campaign's requests skip stickiness */
	int election_elapsed, heartbeat_elapsed, randomized_timeout;
	uint64_t transfer_target;
	bool timeout_now_sent;
	bool bcast_pending, bcast_empty;
	uint64_t rng;
	struct raft_outbox out;
	struct raft_entry *scratch; /* max_msg_entries, for reading entries */

	struct raft_hard_state persisted;
	bool in_ready;
	uint64_t ready_last_index; /* last entry handed in the Ready, 0 = none */
	size_t ready_n_entries;
	uint64_t ready_applied; /* last committed index handed in the Ready */
	void *ready_committed_block;

	struct raft_counters counters;
	uint64_t seen_leader, seen_leader_term;

	bool quiesce;	   /* config: a settled group may go quiet */
	bool quiesced;	   /* quiet now: ticks do nothing */
	bool quiesce_held; /* raft_hold_awake: the caller keeps the group awake */
	int patience;	   /* raft_set_patience: extra ticks before leaving a known leader */
};

/* ---- API ---------------------------------------------------------------- */

/* Initialises r from cfg and the persisted state in cfg->storage. Copies the
 * voter and learner lists; borrows cfg->storage. Returns 0, ERR_CONFIG (bad config),
 * ERR_CORRUPT (hard state inconsistent with the log), ERR_NOMEM, or a storage
 * error. On failure nothing needs closing. */
int raft_init(struct raft *r, const struct raft_config *cfg);
/* Frees everything the core owns (including an unacknowledged Ready). */
void raft_close(struct raft *r);

/* Advances logical time by one tick. Returns 0 or ERR_INVALID (inside a
 * Ready). */
int raft_tick(struct raft *r);
/* Feeds one message from a peer. The message and its entries are borrowed
 * for the call. Returns 0, ERR_INVALID (malformed, not for us, inside a
 * Ready) or ERR_NOMEM (the message was not fully handled; Raft tolerates
 * that as a lost message). */
int raft_step(struct raft *r, const struct raft_message *m);
/* Appends data (copied) as a new entry on the leader and sets *index_out (may
 * be NULL) to its index; committed once rd.committed contains it. Returns 0,
 * ERR_NOTLEADER (not leader, or a leadership transfer is under way),
 * ERR_NOMEM or ERR_INVALID (inside a Ready). */
int raft_propose(struct raft *r, const void *data, size_t len, uint64_t *index_out);
/* The same with the entry's kind: RAFT_ENTRY_NORMAL or RAFT_ENTRY_COMMAND
 * (anything else: ERR_INVALID). */
int raft_propose_kind(struct raft *r, uint8_t kind, const void *data, size_t len,
		      uint64_t *index_out);
/* Becomes a candidate at once, skipping pre-vote and the election timeout,
 * with `force` set on its votes so voters that still trust a (dead) leader
 * answer anyway. For fast failover when the caller knows the leader is gone;
 * safety is unchanged (one vote per term, up-to-date log check). A leader
 * ignores it. Returns 0 or ERR_INVALID (inside a Ready, or this replica is a
 * learner: learners never campaign). */
int raft_campaign(struct raft *r);
/* A leader that cannot persist (its store is full) gives up leadership of
 * its term and follows nobody, so that it stops claiming a term it cannot
 * serve while the others elect a new leader. Changes no persistent state
 * (same term, same vote). Nothing in other roles. Returns 0 or ERR_INVALID
 * (inside a Ready). */
int raft_step_down(struct raft *r);
/* Leader only: hands leadership to voter `to` (0 = the most caught-up
 * voter): sends it the missing entries, then TIMEOUT_NOW. Proposals are
 * refused meanwhile; the attempt is abandoned after an election timeout.
 * Returns 0, ERR_NOTLEADER, ERR_INVALID (unknown peer, a learner, no other
 * voter, inside a Ready). */
int raft_transfer_leader(struct raft *r, uint64_t to);
/* A connection with peer `id` came up. A (pre-)candidate sends it again the
 * (pre-)vote request it has not answered: requests sent while there was no
 * connection were dropped, and without this the campaign would wait out a
 * whole randomized election timeout. Resending the same request in the
 * same term is safe (one vote per term; the voter answers a repeat as it
 * answered the first). Nothing happens in other roles, nor for a learner
 * (it is never asked). Returns 0, ERR_INVALID (not a member, inside a
 * Ready). */
int raft_peer_connected(struct raft *r, uint64_t id);

bool raft_has_ready(const struct raft *r);
/* Fills *rd (see the driver loop above). Call only when raft_has_ready. */
void raft_ready(struct raft *r, struct raft_ready *rd);
/* Acknowledges that *rd, the last Ready, has been handled. */
void raft_advance(struct raft *r, const struct raft_ready *rd);
/* Takes back the last Ready, which the caller could not persist (a full
 * disk): nothing of it counts as handled. Its entries stay unstable, its
 * hard state unpersisted and its messages queued; the next Ready carries
 * them again with whatever happened since. Lets the caller keep ticking
 * while it waits, so a leader that cannot write still steps down by
 * check-quorum. */
void raft_unready(struct raft *r);

/* Quiescence (config.quiesce; see quiesce.c). True while this replica is
 * quiet: a quiet leader sends no heartbeats and a quiet follower runs no
 * election timer, so raft_tick does nothing and the caller may stop its
 * timer until raft_step, raft_propose, raft_campaign, raft_wake or
 * raft_leader_unreachable (any of which may wake it) is called. */
bool raft_quiesced(const struct raft *r);
/* Wakes a quiet replica (no-op otherwise). 0 or ERR_INVALID (inside a
 * Ready). */
int raft_wake(struct raft *r);
/* hold: the leader does not go quiet (the caller's policy needs its
 * heartbeats, e.g. to hand leadership back); wakes it if quiet. 0 or
 * ERR_INVALID (inside a Ready). */
int raft_hold_awake(struct raft *r, bool hold);
/* The caller knows that this follower's leader cannot be reached (its
 * node stopped answering, or reports the leader's process gone): wakes the
 * replica and forgets the leader, so that it grants another follower's
 * pre-vote, and with campaign starts an election at once (pre-vote first
 * when configured). What a quiet follower relies on instead of heartbeats.
 * A leader ignores it. Returns 0, ERR_INVALID (inside a Ready) or
 * ERR_NOMEM. */
int raft_leader_unreachable(struct raft *r, bool campaign);
/* A follower that knows its leader asks whether it is there: wakes, and
 * sends it an APPEND_RESP for its own commit (which the leader's log holds,
 * so the answer changes nothing there but wakes a quiet leader, whose next
 * heartbeat is the answer). Nothing for other roles or without a leader.
 * For a caller told the leader's node is unreachable by a channel that may
 * itself be the one in trouble. Returns 0 or ERR_INVALID (inside a Ready). */
int raft_probe_leader(struct raft *r);
/* A follower that knows its leader waits `ticks` more than its randomized
 * election timeout before it campaigns: for a caller that learns of a dead
 * leader another way (node liveness, raft_leader_unreachable), so that
 * late heartbeats on an overloaded machine do not start elections. A
 * follower without a leader keeps the plain timeout. 0 (the default) or
 * more; returns 0 or ERR_INVALID. */
int raft_set_patience(struct raft *r, int ticks);

uint64_t raft_id(const struct raft *r);
/* RAFT_LEARNER for a learner (always following), otherwise the Raft role. */
enum raft_role raft_role(const struct raft *r);
/* Whether member id votes (false for a learner and for a non-member). */
bool raft_is_voter(const struct raft *r, uint64_t id);
uint64_t raft_term(const struct raft *r);
uint64_t raft_leader(const struct raft *r); /* 0 = unknown */
uint64_t raft_commit(const struct raft *r);
uint64_t raft_applied(const struct raft *r);
uint64_t raft_last_index(const struct raft *r);
uint64_t raft_first_index(const struct raft *r);
/* The target of the leadership transfer under way, 0 if none. */
uint64_t raft_transferee(const struct raft *r);
/* Leader only: the highest index known to be replicated on member `id`, a
 * voter or a learner (for itself, its last index). For balancing leadership
 * and reporting lag. Returns 0, ERR_NOTLEADER, or ERR_INVALID (not a
 * member). */
int raft_peer_match(const struct raft *r, uint64_t id, uint64_t *match);
/* Term of entry `index`, from memory or storage. 0, ERR_COMPACTED,
 * ERR_UNAVAILABLE. */
int raft_log_term(const struct raft *r, uint64_t index, uint64_t *term_out);
void raft_get_counters(const struct raft *r, struct raft_counters *out);
const char *raft_role_name(enum raft_role role);
const char *raft_msg_type_name(uint8_t type);
/* True for a leader's messages (appends, heartbeats, its log start, a
 * transfer's TimeoutNow), which a driver may send before it persists the
 * Ready that holds them (Raft thesis §10.2.1: the leader writes in
 * parallel with its followers). They claim nothing about this replica's
 * disk: the term they carry was persisted before the election was won,
 * and the leader counts its own copy of an entry only after raft_advance
 * says it is durable. Answers and vote requests must wait for the write. */
bool raft_msg_sendable_early(const struct raft_message *m);

#endif
