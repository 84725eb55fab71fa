/* delete_records.h - the DeleteRecords API (v0-2): split per partition and
 * forwarded to each partition's leader worker. */
#ifndef FJORD_SUP_DELETE_RECORDS_H
#define FJORD_SUP_DELETE_RECORDS_H

#include "common/buf.h"

struct kreq;

/* Each partition's part goes to its leader as IPC_DELETE_RECORDS; the
 * leader moves the log start through Raft (every replica applies it) and
 * answers the new low watermark. Offset -1 means the high watermark; an
 * offset beyond it is OFFSET_OUT_OF_RANGE; a partition not led here is
 * NOT_LEADER_OR_FOLLOWER (Kafka's admin client sends each partition to its
 * leader). One response in request order. */
void delete_records_handle(struct kreq *r, struct reader *body);

#endif
