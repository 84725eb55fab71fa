/* replication.h - the leader's side of log replication: choosing what to
 * send each follower (entries, heartbeat or log start), and advancing the
 * commit index from the followers' match indexes. */
#ifndef FJORD_RAFT_REPLICATION_H
#define FJORD_RAFT_REPLICATION_H

#include "raft.h"

/* Sends pr the next batch of entries if its flow control allows, or an empty
 * append (carrying the commit index) when send_if_empty. Falls back to a
 * SNAPSHOT message when pr's next index is below our log start. Returns
 * whether a message was queued. */
bool replication_send_append(struct raft *r, struct raft_progress *pr, bool send_if_empty);
/* Asks for an append to every follower at the next raft_ready, so that
 * several proposals or commit advances in one loop share one message. */
void replication_schedule_bcast(struct raft *r, bool send_if_empty);
/* Performs the scheduled broadcast now, if any. */
void replication_flush_bcast(struct raft *r);
/* One heartbeat to one follower (commit capped at what it holds). */
void replication_send_heartbeat(struct raft *r, const struct raft_progress *pr);
void replication_bcast_heartbeat(struct raft *r);
/* Raft §5.3/§5.4.2: commit the highest index replicated on a majority of
 * the voters (learners do not count), but only if that entry is of the
 * current term. Returns whether commit moved. */
bool replication_maybe_commit(struct raft *r);

#endif
