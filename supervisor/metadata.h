/* metadata.h - the Metadata API, answered by the supervisor from its config
 * and its workers' status. */
#ifndef FJORD_SUP_METADATA_H
#define FJORD_SUP_METADATA_H

#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/kafka/gen/kafka_gen.h"

struct sup;
struct kreq;

/* Builds the Metadata response to req at version into resp (initialised
 * here); arrays are allocated in a and strings borrow from s->cfg and req,
 * so resp lives until the arena is reset or the config replaced. Returns 0
 * or ERR_NOMEM. */
int metadata_build(struct sup *s, int16_t version, const struct kafka_metadata_request *req,
		   struct kafka_metadata_response *resp, struct arena *a);

/* Decodes and answers a Metadata request. */
void metadata_handle(struct kreq *r, struct reader *body);

#endif
