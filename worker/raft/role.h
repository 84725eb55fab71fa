/* role.h - role changes: follower, pre-candidate, candidate, leader. Each
 * change resets the timers and the per-peer state that belongs to the old
 * role (canonical/raft calls this "convert"). */
#ifndef FJORD_RAFT_ROLE_H
#define FJORD_RAFT_ROLE_H

#include "raft.h"

/* Becomes follower at `term` (>= the current one; a higher term clears the
 * vote) following `leader` (0 = unknown). */
void role_become_follower(struct raft *r, uint64_t term, uint64_t leader);
/* Pre-vote round: the term is not raised (dissertation §9.6). */
void role_become_pre_candidate(struct raft *r);
/* Raises the term, votes for itself, counts an election. */
void role_become_candidate(struct raft *r);
/* Won the election: appends the no-op entry of the new term (Raft §8: a
 * leader learns what is committed by committing an entry of its own term).
 * Returns 0, or ERR_NOMEM after stepping down to follower. */
int role_become_leader(struct raft *r);
/* Records the known leader and counts a new (leader, term) pair. */
void role_set_leader(struct raft *r, uint64_t leader);
/* A message from the leader of our term: become (or stay) its follower and
 * restart the election timer. Aborts if it contradicts a leader we know. */
void role_follow(struct raft *r, uint64_t leader);
/* Draws a new election timeout in [T, 2T). */
void role_reset_timeout(struct raft *r);

#endif
