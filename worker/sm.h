/* sm.h - the state-machine interface: what a Raft group replicates.
 *
 * The Raft driver (raft_driver.c) hands every committed entry, every
 * snapshot request, every install of a leader's log start and every
 * leadership change to exactly one state machine through this table, and
 * knows no state machine by name. The data partition (partition_sm.c) is
 * the first implementation; the controller's catalog and a group
 * coordinator are meant to be the next ones.
 *
 * The contract, in the order the driver calls it:
 *   - applied: at start, the index the state machine's durable state
 *     reflects (the core re-delivers every committed entry after it).
 *   - proposed: a leader's entry was accepted by the core at `index` (not
 *     yet durable or committed); a state machine that hands out positions
 *     (the partition's next Kafka offset) moves them here, so a refused
 *     proposal never needs undoing.
 *   - save: inside the driver's write transaction of each Ready (the
 *     store's open batch): persist whatever must change atomically with
 *     the log and hard state, such as the applied index. Errors abort the
 *     transaction.
 *   - install_store / install: a follower behind the leader's log start
 *     replaces its state with the leader's log-start bytes: install_store
 *     inside the transaction (discard the log, record the new start),
 *     install after it committed (move the in-memory state).
 *   - apply: a committed entry, in index order, exactly once per process
 *     life. A malformed entry is the state machine's to log and skip
 *     (every replica holds the same bytes, so all skip it).
 *   - lead: this replica leads `term` and everything it holds is durable:
 *     compute whatever a leader needs before its first proposal. Until it
 *     returns 0 the driver refuses proposals (and asks again after the
 *     next Ready).
 *   - step_down: leadership is lost, or a write failed; leader-only state
 *     is no longer valid.
 *   - snapshot: every `snapshot_threshold` applied entries the driver asks
 *     for a snapshot of the applied state, in its own write transaction;
 *     what it holds and what it allows is the state machine's (see
 *     docs/STORAGE.md for the partition's).
 *   - start_state: the bytes describing the state at the log start, which
 *     the core sends to a follower that fell behind it (install_store's
 *     input on that follower).
 *   - read: answers a read that does not go through the log (the kinds and
 *     their request and result structs are the state machine's own).
 *   - status: the fields every state machine reports.
 *
 * Every op except read and status runs on the driver's loop between two
 * Ready batches or inside one; none may call back into the driver. */
#ifndef FJORD_WORKER_SM_H
#define FJORD_WORKER_SM_H

#include <stddef.h>
#include <stdint.h>

/* A committed entry as the state machine sees it (kinds: store.h's
 * enum store_kind, which equal the core's entry kinds). Borrowed for the
 * call. */
struct sm_entry {
	uint64_t index;
	uint64_t term;
	uint8_t kind;
	const uint8_t *data;
	size_t len;
};

/* What every state machine reports (IPC_STATUS, /v1/status). */
struct sm_status {
	uint64_t applied;	 /* index of the last applied entry */
	uint64_t checksum;	 /* for comparing replicas; 0 = not kept */
	uint64_t snapshot_index; /* applied index of the last snapshot, 0 = none */
};

struct sm_ops {
	uint64_t (*applied)(void *ctx);
	void (*proposed)(void *ctx, uint64_t index, const uint8_t *data, size_t len);
	int (*save)(void *ctx);
	int (*install_store)(void *ctx, uint64_t index, uint64_t term, const uint8_t *data,
			     size_t len);
	void (*install)(void *ctx, uint64_t index, const uint8_t *data, size_t len);
	int (*apply)(void *ctx, const struct sm_entry *e);
	int (*lead)(void *ctx, uint64_t term);
	void (*step_down)(void *ctx);
	int (*snapshot)(void *ctx);
	/* Sets *data (borrowed until the next call of any op) and *len. */
	void (*start_state)(void *ctx, const uint8_t **data, size_t *len);
	/* kind and both structs are defined by the implementation. Returns
	 * 0 or a negative ERR_*; ERR_UNSUPPORTED for an unknown kind. */
	int (*read)(void *ctx, int kind, const void *req, void *result);
	void (*status)(void *ctx, struct sm_status *out);
};

/* A state machine: its ops and its state (borrowed by the driver). */
struct sm {
	const struct sm_ops *ops;
	void *ctx;
};

static inline int sm_read(const struct sm *m, int kind, const void *req, void *result)
{
	return m->ops->read(m->ctx, kind, req, result);
}

static inline void sm_status(const struct sm *m, struct sm_status *out)
{
	m->ops->status(m->ctx, out);
}

#endif
