/* progress.h - the leader's view of one follower: match and next index, the
 * replication state (probe, replicate, snapshot) and the window of appends
 * in flight (count and bytes). Modelled on etcd-io/raft's tracker. */
#ifndef FJORD_RAFT_PROGRESS_H
#define FJORD_RAFT_PROGRESS_H

#include "raft.h"

enum {
	/* Unknown match: one append per heartbeat round trip until one is accepted. */
	PROGRESS_PROBE = 0,
	/* Known match: appends are pipelined, next advanced optimistically. */
	PROGRESS_REPLICATE = 1,
	/* The follower is behind our log start; a SNAPSHOT message is in flight. */
	PROGRESS_SNAPSHOT = 2,
};

/* Allocates the in-flight ring. Returns 0 or ERR_NOMEM. */
int progress_init(struct raft_progress *pr, uint64_t id, size_t max_msgs, size_t max_bytes);
void progress_close(struct raft_progress *pr);
/* Back to probing from `next` with nothing known (on every role change). */
void progress_reset(struct raft_progress *pr, uint64_t next);
void progress_become_probe(struct raft_progress *pr);
void progress_become_replicate(struct raft_progress *pr);
void progress_become_snapshot(struct raft_progress *pr, uint64_t index);
/* An accepted append says the follower matches up to n. Returns true when
 * that is news (match moved). */
bool progress_maybe_update(struct raft_progress *pr, uint64_t n);
/* A rejected append at `rejected`; next_hint is where the follower's hints
 * say to continue. Moves next back (never below match + 1) and returns to
 * PROBE. Returns false for a stale rejection (ignored). */
bool progress_maybe_decrease(struct raft_progress *pr, uint64_t rejected, uint64_t next_hint);
/* Whether no append may be sent now. */
bool progress_is_paused(const struct raft_progress *pr);
/* Records an append of n entries ending at `last` with `bytes` of data. */
void progress_sent(struct raft_progress *pr, size_t n, uint64_t last, size_t bytes);
/* Frees in-flight appends up to index. */
void progress_free_to(struct raft_progress *pr, uint64_t index);
/* A heartbeat answer proves the link works: let one more append out of a
 * full window so that lost appends cannot stall replication forever. */
void progress_free_first(struct raft_progress *pr);
bool progress_inflight_full(const struct raft_progress *pr);

/* The progress of peer id, or NULL when id is not a peer. */
struct raft_progress *progress_find(struct raft *r, uint64_t id);

#endif
