/* find_coordinator.h - FindCoordinator v0-6 (api_table handler).
 *
 * A group's coordinator is the node leading its __consumer_offsets
 * partition (coordinator_key.h), as this node knows it (router.h), with
 * the address Metadata gives that node. No known leader:
 * COORDINATOR_NOT_AVAILABLE (retriable). Key type 1 (transaction) and
 * others: INVALID_REQUEST with a message, as fjord has no transactions.
 * v4+ answer each key of the batch. */
#ifndef FJORD_SUP_FIND_COORDINATOR_H
#define FJORD_SUP_FIND_COORDINATOR_H

struct kreq;
struct reader;

void find_coordinator_handle(struct kreq *r, struct reader *body);

#endif
