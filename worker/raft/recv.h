/* recv.h - handlers for each received message type, called by step.c after
 * the term checks: m->term equals our term (or, for PREVOTE and its granted
 * answers, our term + 1). One file per message family. Each returns 0 or
 * ERR_NOMEM. */
#ifndef FJORD_RAFT_RECV_H
#define FJORD_RAFT_RECV_H

#include "raft.h"

int recv_vote_request(struct raft *r, const struct raft_message *m);	   /* recv_vote.c */
int recv_vote_response(struct raft *r, const struct raft_message *m);	   /* recv_vote.c */
int recv_append(struct raft *r, const struct raft_message *m);		   /* recv_append.c */
int recv_heartbeat(struct raft *r, const struct raft_message *m);	   /* recv_append.c */
int recv_snapshot(struct raft *r, const struct raft_message *m);	   /* recv_snapshot.c */
int recv_append_response(struct raft *r, const struct raft_message *m);	   /* recv_append_resp.c */
int recv_heartbeat_response(struct raft *r, const struct raft_message *m); /* recv_append_resp.c */
int recv_timeout_now(struct raft *r, const struct raft_message *m);	   /* transfer.c */

#endif
