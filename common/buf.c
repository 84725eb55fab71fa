/* buf.c - growable byte buffer and bounds-checked reader of buf.h. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "buf_refs.h"
#include "err.h"

void buf_init(struct buf *b) { memset(b, 0, sizeof(*b)); }

void buf_free(struct buf *b)
{
	free(b->data);
	buf_refs_free(b->refs);
	memset(b, 0, sizeof(*b));
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->refs != NULL) {
		b->refs->n = 0;
		b->refs->total = 0;
	}
}

int buf_reserve(struct buf *b, size_t n)
{
	if (b->oom)
		return ERR_NOMEM;
	if (b->cap - b->len >= n)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return ERR_NOMEM;
		}
		cap *= 2;
	}
	uint8_t *d = realloc(b->data, cap);
	if (d == NULL) {
		b->oom = 1;
		return ERR_NOMEM;
	}
	b->data = d;
	b->cap = cap;
	return 0;
}

uint8_t *buf_extend(struct buf *b, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return NULL;
	uint8_t *p = b->data + b->len;
	b->len += n;
	return p;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *d = buf_extend(b, n);
	if (d != NULL && n > 0)
		memcpy(d, p, n);
}

void buf_put_u8(struct buf *b, uint8_t v) { buf_put(b, &v, 1); }

void buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t *d = buf_extend(b, 2);
	if (d)
		be16_store(d, v);
}

void buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t *d = buf_extend(b, 4);
	if (d)
		be32_store(d, v);
}

void buf_put_u64(struct buf *b, uint64_t v)
{
	uint8_t *d = buf_extend(b, 8);
	if (d)
		be64_store(d, v);
}

void buf_put_uvarint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	buf_put(b, tmp, n);
}

void buf_put_varint(struct buf *b, int64_t v)
{
	buf_put_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void buf_patch_u32(struct buf *b, size_t pos, uint32_t v)
{
	if (!b->oom && pos + 4 <= b->len)
		be32_store(b->data + pos, v);
}

uint16_t be16_load(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

uint32_t be32_load(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint64_t be64_load(const uint8_t *p) { return ((uint64_t)be32_load(p) << 32) | be32_load(p + 4); }

void be16_store(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void be32_store(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void be64_store(uint8_t *p, uint64_t v)
{
	be32_store(p, (uint32_t)(v >> 32));
	be32_store(p + 4, (uint32_t)v);
}

void reader_init(struct reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->err = 0;
}

size_t reader_left(const struct reader *r) { return r->err ? 0 : r->len - r->pos; }

const uint8_t *reader_bytes(struct reader *r, size_t n)
{
	if (r->err || r->len - r->pos < n) {
		r->err = ERR_TRUNCATED;
		return NULL;
	}
	const uint8_t *p = r->p + r->pos;
	r->pos += n;
	return p;
}

uint8_t reader_u8(struct reader *r)
{
	const uint8_t *p = reader_bytes(r, 1);
	return p ? p[0] : 0;
}

uint16_t reader_u16(struct reader *r)
{
	const uint8_t *p = reader_bytes(r, 2);
	return p ? be16_load(p) : 0;
}

uint32_t reader_u32(struct reader *r)
{
	const uint8_t *p = reader_bytes(r, 4);
	return p ? be32_load(p) : 0;
}

uint64_t reader_u64(struct reader *r)
{
	const uint8_t *p = reader_bytes(r, 8);
	return p ? be64_load(p) : 0;
}

uint64_t reader_uvarint(struct reader *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		const uint8_t *p = reader_bytes(r, 1);
		if (p == NULL)
			return 0;
		v |= (uint64_t)(p[0] & 0x7f) << shift;
		if ((p[0] & 0x80) == 0)
			return v;
	}
	r->err = ERR_INVALID; /* more than 10 bytes: not a varint */
	return 0;
}

int64_t reader_varint(struct reader *r)
{
	uint64_t u = reader_uvarint(r);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}
