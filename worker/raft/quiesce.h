/* quiesce.h - quiescence: a settled group stops heartbeating and its
 * followers stop their election timers, so an idle replica costs nothing
 * per tick. Only when messages are sent changes; what any message means is
 * untouched, so safety is too. */
#ifndef FJORD_RAFT_QUIESCE_H
#define FJORD_RAFT_QUIESCE_H

#include "raft.h"

/* Leader, at a heartbeat: when the group is settled (every follower's match
 * is our last index, everything is committed, no transfer under way, no
 * follower being probed or sent a log start, and the caller does not hold
 * the group awake), sends each follower a last heartbeat marked quiesce
 * (carrying the final commit), goes quiet and returns true. Otherwise
 * returns false and the caller heartbeats as usual. */
bool quiesce_leader_maybe(struct raft *r);
/* Follower, after handling a heartbeat marked quiesce: goes quiet if its
 * commit reached the one the leader announced (it holds everything the
 * leader has committed). Otherwise it stays awake; its election timer will
 * wake the leader through pre-vote if it never hears from it again. */
void quiesce_follower_maybe(struct raft *r, const struct raft_message *m);
/* A message arrived: any message wakes a quiet replica, except the
 * followers' answers to the leader's last heartbeat (which would otherwise
 * wake it at once). Called before the message is handled. */
void quiesce_on_message(struct raft *r, const struct raft_message *m);
/* Wakes a quiet replica: a leader resumes heartbeats at its next tick and
 * gives every follower a fresh check-quorum round; a follower restarts its
 * election timer from zero. No-op when awake. */
void quiesce_wake(struct raft *r);

#endif
