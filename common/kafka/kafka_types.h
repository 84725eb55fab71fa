/* kafka_types.h - the value types of decoded Kafka messages: strings, bytes, uuids.
 *
 * Decoded strings and bytes borrow the request buffer they were read from:
 * they live as long as that buffer and are NOT NUL-terminated. len -1 means
 * null. Builders of responses point them at memory that outlives the encode. */
#ifndef FJORD_KAFKA_TYPES_H
#define FJORD_KAFKA_TYPES_H

#include <stdbool.h>
#include <stdint.h>

struct kafka_str {
	const char *ptr; /* borrowed; not NUL-terminated; NULL when len <= 0 is fine */
	int32_t len;	 /* -1 = null */
};

/* bytes and records fields */
struct kafka_bytes {
	const uint8_t *ptr; /* borrowed */
	int32_t len;	    /* -1 = null */
};

struct kafka_uuid {
	uint8_t b[16];
};

/* True when s holds exactly the characters of cstr. A null s equals only a
 * NULL cstr. cstr is borrowed. */
bool kafka_str_eq(struct kafka_str s, const char *cstr);

/* A string view of cstr (borrowed, must outlive every use); NULL -> null string. */
struct kafka_str kafka_str_from(const char *cstr);

#endif
