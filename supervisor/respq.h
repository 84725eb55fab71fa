/* respq.h - the per-connection queue that puts responses back in request
 * order.
 *
 * Kafka clients match responses by arrival order (the correlation id is a
 * check, not a key), but a connection's requests may finish in any order:
 * a Fetch parks while a later Metadata is answered at once. Each request
 * takes a slot at arrival; a finished response fills its slot; only the
 * filled slots at the head may leave. A request that needs no response
 * (Produce with acks=0) never takes a slot, so it blocks nothing. */
#ifndef FJORD_SUP_RESPQ_H
#define FJORD_SUP_RESPQ_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

struct respq_slot {
	struct respq_slot *next;
	bool done;
	struct buf data; /* the bytes to send; owned by the slot once done */
};

struct respq {
	struct respq_slot *head, *tail;
	int n; /* slots, filled or not */
};

void respq_init(struct respq *q);

/* Appends an empty slot (the newest request). Returns NULL when out of
 * memory. The slot stays owned by the queue. */
struct respq_slot *respq_push(struct respq *q);

/* Fills a slot: takes over data's allocation (data is left empty). */
void respq_fill(struct respq_slot *s, struct buf *data);

/* Takes the head slot's bytes if it is filled: moves them into *out (caller
 * frees with buf_free), frees the slot and returns true. Returns false when
 * the queue is empty or its head is still waiting. */
bool respq_pop(struct respq *q, struct buf *out);

/* Frees every slot, filled or not. */
void respq_free(struct respq *q);

#endif
