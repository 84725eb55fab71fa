/* kafka_wire.h - the primitive encodings of the Kafka protocol, for the generated codec.
 *
 * Strings, bytes and array counts come in a classic form (int16/int32 length,
 * -1 = null) and a compact form of flexible versions (unsigned varint of
 * length + 1, 0 = null); `compact` picks one, `nullable` says whether null is
 * legal in the version at hand. Tagged-field sections are a uvarint count of
 * (uvarint tag, uvarint size, bytes). Nothing here allocates; decoded strings
 * and bytes borrow the reader's memory. Only generated code and tests need
 * this header. */
#ifndef FJORD_KAFKA_WIRE_H
#define FJORD_KAFKA_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/kafka/kafka_types.h"

/* Read a string/bytes. Returns 0, ERR_TRUNCATED, or ERR_INVALID (bad length,
 * or null where not nullable). */
int kafka_wire_read_str(struct reader *r, int compact, int nullable, struct kafka_str *out);
int kafka_wire_read_bytes(struct reader *r, int compact, int nullable, struct kafka_bytes *out);

/* Reads an array count into *n (-1 = null). Refuses with ERR_INVALID a count
 * whose elements, at min_elem bytes each, cannot fit in what is left of the
 * reader, so a hostile count never reaches the allocator. */
int kafka_wire_read_count(struct reader *r, int compact, int nullable, size_t min_elem, int32_t *n);

void kafka_wire_read_uuid(struct reader *r, struct kafka_uuid *out);
double kafka_wire_read_f64(struct reader *r);

/* Reads the count of a tagged-field section (bounded by the bytes left). */
int kafka_wire_read_tag_count(struct reader *r, int32_t *n);
/* Reads one tagged field's tag and points sub at its payload (borrowed). */
int kafka_wire_read_tag(struct reader *r, uint32_t *tag, struct reader *sub);
/* Skips a whole tagged-field section, for structs with no known tags. */
int kafka_wire_skip_tags(struct reader *r);

/* Writes. Return 0 or ERR_INVALID (null where not nullable, a length that the
 * form cannot carry, a non-empty value with a NULL pointer). Out-of-memory is
 * left in b->oom for the caller to check once. */
int kafka_wire_write_str(struct buf *b, int compact, int nullable, struct kafka_str s);
int kafka_wire_write_bytes(struct buf *b, int compact, int nullable, struct kafka_bytes v);
int kafka_wire_write_count(struct buf *b, int compact, int nullable, int32_t n, const void *elems);
void kafka_wire_put_f64(struct buf *b, double v);

/* A tagged field's size precedes its payload: tag_begin remembers where the
 * payload starts, tag_end inserts the uvarint size there once it is known. */
size_t kafka_wire_tag_begin(struct buf *b);
void kafka_wire_tag_end(struct buf *b, size_t pos);

int kafka_wire_uuid_is_zero(const struct kafka_uuid *u);

#endif
