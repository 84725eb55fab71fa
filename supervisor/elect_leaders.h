/* elect_leaders.h - the ElectLeaders API (v0-2, preferred elections),
 * answered by the supervisor that receives it. */
#ifndef FJORD_SUP_ELECT_LEADERS_H
#define FJORD_SUP_ELECT_LEADERS_H

#include "common/buf.h"

struct kreq;

/* For each partition named (every partition of every topic for a null
 * list): ELECTION_NOT_NEEDED when its preferred replica (the first of its
 * placement) already leads; PREFERRED_LEADER_NOT_AVAILABLE when that
 * replica's node is not heard from, or the leader cannot be asked;
 * ELIGIBLE_LEADERS_NOT_AVAILABLE while no leader is known; otherwise the
 * leader's node is asked to hand leadership to the preferred replica (its
 * own worker by IPC_TRANSFER, another node by PEER_ELECT, which does the
 * same there) and the answer waits until the preferred replica leads
 * (NONE), or the request's timeout (at most 30 s) passes
 * (PREFERRED_LEADER_NOT_AVAILABLE, "not yet"). With a null list, partitions
 * that need no election are left out, as Kafka does. Election type UNCLEAN
 * (or any but PREFERRED) gets INVALID_REQUEST per partition: a Raft group
 * elects only a replica holding every committed record. */
void elect_leaders_handle(struct kreq *r, struct reader *body);

#endif
