/* kafka_header.h - Kafka request/response header versions, reading and writing.
 *
 * Which header version goes with an API version is not in the message
 * schemas' body: flexible API versions use the flexible header (request v2,
 * response v1), with two historical exceptions (ControlledShutdown v0 has
 * request header v0, ApiVersions always answers with response header v0 so a
 * client of any age can parse the answer). The header structs themselves are
 * generated (struct kafka_request_header, struct kafka_response_header). */
#ifndef FJORD_KAFKA_HEADER_H
#define FJORD_KAFKA_HEADER_H

#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/kafka/gen/kafka_gen.h"

/* Request header version (0, 1 or 2) for api_key at api_version. An unknown
 * key gets 1 so its correlation id can still be read. */
int kafka_request_header_version(int16_t api_key, int16_t api_version);

/* Response header version (0 or 1) for api_key at api_version. */
int kafka_response_header_version(int16_t api_key, int16_t api_version);

/* Reads a request header: peeks apiKey and apiVersion, picks the header
 * version from them, then decodes the whole header. On success r is left at
 * the first body byte. client_id borrows r's memory; a (never seen) tagged
 * header field array would come from a. Returns 0, ERR_TRUNCATED or
 * ERR_INVALID. An out-of-range apiVersion is not an error here: the caller
 * answers it with UNSUPPORTED_VERSION using h->correlation_id. */
int kafka_request_header_read(struct reader *r, struct kafka_request_header *h, struct arena *a);

/* Appends the response header for a response to api_key/api_version. Out of
 * memory is left in b->oom. */
void kafka_response_header_write(struct buf *b, int16_t api_key, int16_t api_version,
				 int32_t correlation_id);

#endif
