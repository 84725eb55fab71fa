/* describe_producers.h - the DescribeProducers API: split per partition,
 * forward to each leader's worker, merge. */
#ifndef FJORD_SUP_DESCRIBE_PRODUCERS_H
#define FJORD_SUP_DESCRIBE_PRODUCERS_H

#include "common/buf.h"

struct kreq;

/* Decodes a DescribeProducers request, asks each partition's leader worker
 * (IPC_PRODUCERS) for its active idempotent producers, answers when all
 * have. There are no transactions: coordinator epoch and transaction start
 * offset are always -1. */
void describe_producers_handle(struct kreq *r, struct reader *body);

#endif
