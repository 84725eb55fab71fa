/* election.h - starting an election (pre-vote or real) and counting the
 * answers. Deciding whether to grant a vote is recv_vote.c's job. */
#ifndef FJORD_RAFT_ELECTION_H
#define FJORD_RAFT_ELECTION_H

#include "raft.h"

enum election_result { ELECTION_PENDING = 0, ELECTION_WON = 1, ELECTION_LOST = 2 };

/* Starts a pre-vote round (pre) or a real election, asking every voter.
 * Does nothing on a learner.
 * `force` marks the requests so voters skip their leader-stickiness check
 * (used by leadership transfer and raft_campaign). A lone replica wins at
 * once. Returns 0 or ERR_NOMEM (from becoming leader). */
int election_start(struct raft *r, bool pre, bool force);
/* A connection with peer id came up during our (pre-)campaign: the
 * request election_start sent it may have been dropped for want of one.
 * Sends it again, unchanged, if id has not answered yet; nothing outside a
 * campaign. Returns 0 or ERR_INVALID (id is not a peer). */
int election_ask_again(struct raft *r, uint64_t id);
/* Asks again every voter that has not answered this round. Called every
 * heartbeat interval of a campaign: a request or an answer can be lost
 * without any connection going down (an answer sent while the voter's own
 * connection back to us was still being dialled is dropped), and without
 * this the campaign would wait out a whole randomized election timeout.
 * Nothing outside a campaign. */
void election_ask_unanswered(struct raft *r);
/* Records from's answer and says whether the round is decided. */
enum election_result election_tally(struct raft *r, uint64_t from, bool granted);

#endif
