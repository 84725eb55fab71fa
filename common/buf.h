/* buf.h - a growable output byte buffer and a bounds-checked input reader.
 *
 * All multi-byte integers are big-endian (Kafka and our frames). Two varint
 * flavours exist and must not be mixed: uvarint is the unsigned LEB128 of the
 * Kafka protocol's compact fields; varint/varlong are the zigzag-signed ones
 * of record batches. */
#ifndef FJORD_BUF_H
#define FJORD_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf_refs;

struct buf {
	uint8_t *data; /* owned; NULL until the first write */
	size_t len;
	size_t cap;
	int oom; /* set when a growth failed; later writes are dropped */
	/* NULL unless enabled: byte runs it points to (buf_refs.h). */
	struct buf_refs *refs;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);  /* also its refs (buf_refs.h) */
void buf_reset(struct buf *b); /* len = 0, keeps the allocation */
/* Ensures room for n more bytes. Returns 0 or ERR_NOMEM (and sets b->oom). */
int buf_reserve(struct buf *b, size_t n);
/* Appends n uninitialised bytes and returns a pointer to them, or NULL. */
uint8_t *buf_extend(struct buf *b, size_t n);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_put_u8(struct buf *b, uint8_t v);
void buf_put_u16(struct buf *b, uint16_t v);
void buf_put_u32(struct buf *b, uint32_t v);
void buf_put_u64(struct buf *b, uint64_t v);
void buf_put_uvarint(struct buf *b, uint64_t v);
void buf_put_varint(struct buf *b, int64_t v); /* zigzag */
/* Overwrites 4 bytes at pos (which must already be written). */
void buf_patch_u32(struct buf *b, size_t pos, uint32_t v);

/* Big-endian loads/stores on raw memory. */
uint16_t be16_load(const uint8_t *p);
uint32_t be32_load(const uint8_t *p);
uint64_t be64_load(const uint8_t *p);
void be16_store(uint8_t *p, uint16_t v);
void be32_store(uint8_t *p, uint32_t v);
void be64_store(uint8_t *p, uint64_t v);

/* A reader over borrowed memory. Any read past the end sets err to
 * ERR_TRUNCATED and returns 0; callers check err once at the end. */
struct reader {
	const uint8_t *p;
	size_t len;
	size_t pos;
	int err;
};

void reader_init(struct reader *r, const void *p, size_t len);
size_t reader_left(const struct reader *r);
uint8_t reader_u8(struct reader *r);
uint16_t reader_u16(struct reader *r);
uint32_t reader_u32(struct reader *r);
uint64_t reader_u64(struct reader *r);
uint64_t reader_uvarint(struct reader *r);
int64_t reader_varint(struct reader *r); /* zigzag */
/* Returns a pointer to the next n bytes (borrowed) and skips them, or NULL. */
const uint8_t *reader_bytes(struct reader *r, size_t n);

#endif
