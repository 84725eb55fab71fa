/* produce.h - the Produce API: split per partition, forward, merge. */
#ifndef FJORD_SUP_PRODUCE_H
#define FJORD_SUP_PRODUCE_H

#include "common/buf.h"

struct kreq;

/* Decodes a Produce request and forwards each partition's records to its
 * worker; answers when every partition has a result (or none, for acks=0). */
void produce_handle(struct kreq *r, struct reader *body);

#endif
