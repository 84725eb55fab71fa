/* offset_for_leader_epoch.h - the OffsetForLeaderEpoch API (KIP-320): split
 * per partition, forward to each leader's worker, merge. */
#ifndef FJORD_SUP_OFFSET_FOR_LEADER_EPOCH_H
#define FJORD_SUP_OFFSET_FOR_LEADER_EPOCH_H

#include "common/buf.h"

struct kreq;

/* Decodes an OffsetForLeaderEpoch request, asks each partition's leader
 * worker (IPC_EPOCH_END) where the requested epoch ended, answers when all
 * have. Partitions not led here get NOT_LEADER_OR_FOLLOWER (with the
 * router's usual errors for unknown ones). */
void offset_for_leader_epoch_handle(struct kreq *r, struct reader *body);

#endif
