/* init_producer_id.h - the InitProducerId API (idempotent producers).
 *
 * The supervisor answers it alone: a new id from the node's allocator
 * (producer_ids.h) with epoch 0, or, when the request (v3+, KIP-360) names
 * the id and epoch the producer holds, the same id with the next epoch (a
 * new id once the epoch is exhausted). Transactions are not supported: a
 * transactional id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED. */
#ifndef FJORD_SUP_INIT_PRODUCER_ID_H
#define FJORD_SUP_INIT_PRODUCER_ID_H

#include <stdint.h>

#include "common/buf.h"

struct kreq;
struct sup;

/* Decodes and answers an InitProducerId request. */
void init_producer_id_handle(struct kreq *r, struct reader *body);

/* The rule without I/O: for a request holding (producer_id, epoch) (-1, -1
 * when absent), sets *epoch_out and returns 1 when the id is kept with
 * *epoch_out, 0 when a new id is needed (epoch 0), or -1 when the pair is
 * invalid (only one of them set). */
int init_producer_id_bump(int64_t producer_id, int16_t epoch, int16_t *epoch_out);

/* Frees the node's allocator, if one was created (shutdown). */
void init_producer_id_free(struct sup *s);

#endif
