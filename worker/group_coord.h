/* group_coord.h - the classic consumer-group coordinator, as a pure state
 * machine.
 *
 * Owns the groups of one __consumer_offsets partition: the replicated state
 * (each group's last metadata record and its committed offsets, fed by
 * gc_apply_record on every replica) and, on the leader once it has replayed
 * the log, the live state of the classic protocol (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, session and rebalance timeouts, static members).
 * It makes no I/O and reads no clock: requests arrive as Kafka request
 * bodies with the time, responses leave through env.respond as Kafka
 * response bodies, and what must be replicated (offset commits, group
 * metadata, tombstones) collects as records that the owner proposes to Raft
 * (gc_take_records, gc_proposed) and reports committed (gc_committed). A
 * response that depends on a record (OffsetCommit, the SyncGroup that
 * carries the leader's assignment, DeleteGroups, OffsetDelete) is held
 * until that record's entry commits, and answered NOT_COORDINATOR if the
 * proposal fails or leadership is lost first.
 *
 * Record format (worker-internal, inside ordinary Kafka record batches of
 * the __consumer_offsets log; docs/ARCHITECTURE.md "Consumer groups"):
 *   key   u8 type (0 offset, 1 group), str group[, str topic, i32 partition]
 *   value offset: u8 0, i64 offset, i32 leader epoch, str metadata, i64 ms
 *         group:  u8 0, str protocol type, i32 generation, str protocol,
 *                 str leader, i64 ms, i32 n, n x member (str id, str
 *                 instance id, str client id, str host, i32 session ms,
 *                 i32 rebalance ms, bytes subscription, bytes assignment)
 *   a null value deletes (tombstone). str = i16 length (-1 null) + bytes,
 *   bytes = i32 length + bytes, all big-endian. */
#ifndef FJORD_WORKER_GROUP_COORD_H
#define FJORD_WORKER_GROUP_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Where a response goes: the owner's request id and the request's API. */
struct gc_reply {
	uint64_t req_id;
	int16_t api_key, version;
};

struct gc_env {
	void *ctx;
	/* The encoded response body (no header) for `to`; body borrowed. */
	void (*respond)(void *ctx, const struct gc_reply *to, const uint8_t *body, size_t len);
};

struct gc_config {
	int32_t min_session_ms; /* group.min.session.timeout.ms (6000) */
	int32_t max_session_ms; /* group.max.session.timeout.ms (1800000) */
	int32_t max_size;	/* group.max.size: members per group */
	/* group.initial.rebalance.delay.ms: the join phase of an empty group
	 * lasts at least this long, longer by this much for each member that
	 * joins meanwhile, never past the rebalance timeout (0 = off). */
	int32_t initial_delay_ms;
	int64_t retention_ms; /* offsets of an empty group expire after this */
	uint64_t seed;	      /* mixed into member ids */
};

enum gc_state {
	GC_EMPTY = 0,
	GC_PREPARING = 1,  /* PreparingRebalance: waiting for members to rejoin */
	GC_COMPLETING = 2, /* CompletingRebalance: waiting for the leader's SyncGroup */
	GC_STABLE = 3,
	GC_DEAD = 4,
};

struct gc_offset {
	char *topic; /* owned */
	int32_t partition;
	int64_t offset;
	int32_t leader_epoch;
	char *metadata; /* owned, NULL = null */
	int64_t commit_ms;
	bool expiring; /* leader: its tombstone is proposed */
};

struct gc_proto {
	char *name;    /* owned */
	uint8_t *meta; /* owned */
	int32_t meta_len;
};

struct gc_member {
	char *id, *instance_id, *client_id, *host; /* owned; instance_id NULL = dynamic */
	int32_t session_ms, rebalance_ms;
	struct gc_proto *protos; /* owned; the chosen protocol's alone once loaded */
	int n_protos;
	uint8_t *assignment; /* owned */
	int32_t assignment_len;
	int64_t deadline; /* session expiry */
	bool join_waiting, sync_waiting;
	struct gc_reply join_to, sync_to;
	bool is_new; /* joined in this rebalance (expires on its session if it never rejoins) */
};

struct gc_pending_member {
	char *id; /* owned: handed out with MEMBER_ID_REQUIRED */
	int64_t deadline;
};

struct gc_group {
	char *id; /* owned */
	/* Replicated: the last applied group record's value (NULL = none)
	 * and the committed offsets. */
	uint8_t *rec;
	size_t rec_len;
	int64_t rec_ms; /* its timestamp: when an empty group became empty */
	struct gc_offset *offsets;
	int n_offsets, cap_offsets;
	/* Leader: offset commits proposed and not yet committed
	 * (require_stable answers UNSTABLE_OFFSET_COMMIT meanwhile). */
	int n_commits_in_flight;
	/* Live (leader, loaded). */
	enum gc_state state;
	int32_t generation;
	char *protocol_type, *protocol, *leader; /* owned, NULL = none */
	struct gc_member *members;
	int n_members, cap_members;
	struct gc_pending_member *pending;
	int n_pending, cap_pending;
	int64_t rebalance_deadline; /* PreparingRebalance ends by then */
	int64_t initial_until;	    /* > 0: an empty group's join phase lasts until then */
	int64_t empty_since;
};

struct gc_waiter;

struct gc_counters {
	uint64_t rebalances; /* completed join phases */
	uint64_t commits;    /* offsets committed */
	uint64_t expired;    /* offsets removed by retention */
};

struct gc {
	struct gc_config cfg;
	struct gc_env env;
	struct gc_group **groups; /* owned */
	int n_groups, cap_groups;
	bool leading; /* this replica leads its Raft group */
	bool loaded;  /* and has applied everything of earlier terms */
	/* Records for the next proposal: [i32 klen][key][i32 vlen][value]...,
	 * vlen -1 = tombstone; and the waiters that depend on them. */
	struct buf records;
	int n_records;
	struct gc_waiter *waiters; /* owned list, in proposal order */
	uint64_t id_counter;
	int64_t last_expire_ms; /* last retention scan */
	struct gc_counters counters;
};

/* Sets up an empty coordinator; cfg and env are copied. */
void gc_init(struct gc *g, const struct gc_config *cfg, const struct gc_env *env);

/* Frees everything; waiting requests are dropped without an answer. */
void gc_close(struct gc *g);

/* Applies one committed record (key borrowed, klen bytes; value NULL with
 * vlen -1 = tombstone). Malformed records are skipped (every replica holds
 * the same bytes) and 0 returned; ERR_INVALID says one was. */
int gc_apply_record(struct gc *g, const uint8_t *key, int32_t klen, const uint8_t *val,
		    int32_t vlen);

/* Leadership: gc_lead when this replica becomes leader (requests get
 * COORDINATOR_LOAD_IN_PROGRESS), gc_loaded once it applied every entry of
 * earlier terms (the live groups are built from the applied records;
 * every member's session restarts at now), gc_step_down when leadership
 * is lost (every waiting request is answered NOT_COORDINATOR, live state
 * dropped). */
void gc_lead(struct gc *g);
void gc_loaded(struct gc *g, int64_t now);
void gc_step_down(struct gc *g);

/* Handles one request (api key and version in `to`, body borrowed) from a
 * client named client_id at host (both borrowed C strings). Answers now
 * through env.respond, or later (a held JoinGroup or SyncGroup, or one
 * waiting for its records to commit). A body that does not decode is
 * answered with the API's error response (INVALID_REQUEST) when it has a
 * top-level error code; returns ERR_INVALID otherwise, unanswered. */
int gc_handle(struct gc *g, int64_t now, const struct gc_reply *to, const uint8_t *body, size_t len,
	      const char *client_id, const char *host);

/* Time passes (leader only): session and join timeouts, pending member ids,
 * offsets retention. */
void gc_tick(struct gc *g, int64_t now);

/* True when records wait to be proposed. */
static inline bool gc_has_records(const struct gc *g) { return g->n_records > 0; }

/* The records collected since the last call (format above), moved into
 * out (reset first; caller frees); returns how many. The waiters that
 * depend on them wait for gc_proposed or gc_propose_failed. */
int gc_take_records(struct gc *g, struct buf *out);

/* The records last taken became the entry at index (not yet committed). */
void gc_proposed(struct gc *g, uint64_t index);

/* The records last taken could not be proposed: their waiters are
 * answered NOT_COORDINATOR and their groups rebalance. */
void gc_propose_failed(struct gc *g);

/* Every entry up to index committed and was applied: answers the waiters
 * of those entries. */
void gc_committed(struct gc *g, uint64_t index);

/* The applied state (every group's record and committed offsets) as a
 * record list in the format of gc_take_records, appended to out: applying
 * it to an empty coordinator rebuilds the same applied state (a
 * snapshot). Returns how many records, or ERR_NOMEM. */
int gc_snapshot(const struct gc *g, struct buf *out);

/* Applies a record list (gc_take_records' format, n records, borrowed).
 * Returns 0 or ERR_INVALID when the list is malformed (the records before
 * the fault are applied). */
int gc_apply_list(struct gc *g, const uint8_t *p, size_t len, int n);

/* The group named id (len bytes), or NULL. */
struct gc_group *gc_find(const struct gc *g, const char *id, size_t len);

/* Kafka's name of a state ("Stable", ...). */
const char *gc_state_name(enum gc_state s);

/* Counts groups by live state (leader) into n[GC_DEAD + 1]. */
void gc_count_states(const struct gc *g, uint64_t n[GC_DEAD + 1]);

#endif
