/* solo.h - single-replica replication: the stand-in for Raft.
 *
 * The seam where Raft plugs in later. The produce path proposes an entry;
 * here the proposal is appended to the store inside the current group's
 * write transaction, and at the end of the event-loop iteration the group is
 * made durable by one transaction commit and flush, which commits every entry
 * in it (a group of one replica is its own majority). The caller learns the
 * outcome through callbacks: committed(commit_index) or failed(err) for the
 * whole group. A Raft driver replacing this file should keep that
 * propose/committed/failed shape so replica.c does not change.
 *
 * On start the replica elects itself: term = stored term + 1, vote = self,
 * saved durably before anything is served, so each restart is a new leader
 * epoch as it would be after a Raft election. */
#ifndef FJORD_WORKER_SOLO_H
#define FJORD_WORKER_SOLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct event_base;
struct store;

/* Every entry up to and including commit_index is committed. */
typedef void (*solo_committed_cb)(void *ctx, uint64_t commit_index);
/* The group with every entry proposed since the last commit is lost: err is
 * ERR_NOSPACE (the store stays usable), ERR_IO (state on disk unknown: the
 * worker should stop) or another store error. */
typedef void (*solo_failed_cb)(void *ctx, int err);

struct solo {
	struct store *store; /* borrowed */
	struct event *flush; /* runs at the end of the loop iteration */
	uint64_t term;
	uint64_t node_id;
	uint64_t commit_index;
	size_t n_group; /* entries proposed in the open group */
	solo_committed_cb committed;
	solo_failed_cb failed;
	void *ctx;
};

/* Becomes leader of a new term and sets commit_index to the store's last
 * index (everything stored was committed by a group commit). Errors: store
 * errors from saving the hard state, ERR_NOMEM. */
int solo_init(struct solo *r, struct event_base *base, struct store *s, uint64_t node_id,
	      solo_committed_cb committed, solo_failed_cb failed, void *ctx);
void solo_close(struct solo *r);

/* Appends an entry of this term at the next index (data copied) to the open
 * group, opening one if needed, and schedules the group's commit. Sets
 * *index. On error the whole open group is lost: `failed` will run for it at
 * the end of the iteration, and the caller handles this entry itself.
 * Errors: ERR_NOSPACE, ERR_IO, ERR_INVALID. */
int solo_propose(struct solo *r, uint8_t kind, int64_t base_offset, const uint8_t *data, size_t len,
		 uint64_t *index);

/* Commits the open group now (normally the end-of-iteration event does). */
void solo_flush(struct solo *r);

#endif
