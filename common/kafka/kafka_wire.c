/* kafka_wire.c - primitive Kafka encodings used by the generated codec (see kafka_wire.h). */
#include "common/kafka/kafka_wire.h"

#include <string.h>

#include "common/buf_refs.h"
#include "common/err.h"

/* Reads a length: compact = uvarint(len + 1), else a signed int16/int32. */
static int read_len(struct reader *r, int compact, int wide, int64_t *len)
{
	if (compact) {
		uint64_t v = reader_uvarint(r);
		if (r->err)
			return r->err;
		if (v > (uint64_t)INT32_MAX + 1)
			return ERR_INVALID;
		*len = (int64_t)v - 1;
	} else {
		*len = wide ? (int64_t)(int32_t)reader_u32(r) : (int64_t)(int16_t)reader_u16(r);
		if (r->err)
			return r->err;
	}
	return 0;
}

static int read_blob(struct reader *r, int compact, int nullable, int wide, const uint8_t **p,
		     int32_t *out_len)
{
	int64_t len;
	int rc = read_len(r, compact, wide, &len);
	if (rc != 0)
		return rc;
	if (len < -1 || (len == -1 && !nullable))
		return ERR_INVALID;
	if (len == -1) {
		*p = NULL;
		*out_len = -1;
		return 0;
	}
	const uint8_t *d = reader_bytes(r, (size_t)len);
	if (d == NULL)
		return r->err;
	*p = d;
	*out_len = (int32_t)len;
	return 0;
}

int kafka_wire_read_str(struct reader *r, int compact, int nullable, struct kafka_str *out)
{
	const uint8_t *p = NULL;
	int rc = read_blob(r, compact, nullable, 0, &p, &out->len);
	if (rc == 0)
		out->ptr = (const char *)p;
	return rc;
}

int kafka_wire_read_bytes(struct reader *r, int compact, int nullable, struct kafka_bytes *out)
{
	return read_blob(r, compact, nullable, 1, &out->ptr, &out->len);
}

int kafka_wire_read_count(struct reader *r, int compact, int nullable, size_t min_elem, int32_t *n)
{
	int64_t len;
	int rc = read_len(r, compact, 1, &len);
	if (rc != 0)
		return rc;
	if (len < -1 || (len == -1 && !nullable))
		return ERR_INVALID;
	if (len > 0 && (uint64_t)len > reader_left(r) / (min_elem ? min_elem : 1))
		return ERR_INVALID;
	*n = (int32_t)len;
	return 0;
}

void kafka_wire_read_uuid(struct reader *r, struct kafka_uuid *out)
{
	const uint8_t *p = reader_bytes(r, 16);
	if (p != NULL)
		memcpy(out->b, p, 16);
}

double kafka_wire_read_f64(struct reader *r)
{
	uint64_t u = reader_u64(r);
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

int kafka_wire_read_tag_count(struct reader *r, int32_t *n)
{
	uint64_t v = reader_uvarint(r);
	if (r->err)
		return r->err;
	/* each tagged field takes at least two bytes (tag and size) */
	if (v > reader_left(r) / 2)
		return ERR_INVALID;
	*n = (int32_t)v;
	return 0;
}

int kafka_wire_read_tag(struct reader *r, uint32_t *tag, struct reader *sub)
{
	uint64_t t = reader_uvarint(r);
	uint64_t size = reader_uvarint(r);
	if (r->err)
		return r->err;
	if (t > UINT32_MAX)
		return ERR_INVALID;
	if (size > reader_left(r))
		return ERR_TRUNCATED;
	const uint8_t *p = reader_bytes(r, (size_t)size);
	if (p == NULL)
		return r->err;
	*tag = (uint32_t)t;
	reader_init(sub, p, (size_t)size);
	return 0;
}

int kafka_wire_skip_tags(struct reader *r)
{
	int32_t n;
	int rc = kafka_wire_read_tag_count(r, &n);
	for (int32_t i = 0; rc == 0 && i < n; i++) {
		uint32_t tag;
		struct reader sub;
		rc = kafka_wire_read_tag(r, &tag, &sub);
	}
	return rc;
}

static int write_len(struct buf *b, int compact, int wide, int nullable, int64_t len)
{
	if (len < -1 || (len == -1 && !nullable))
		return ERR_INVALID;
	if (compact)
		buf_put_uvarint(b, (uint64_t)(len + 1));
	else if (wide)
		buf_put_u32(b, (uint32_t)(int32_t)len);
	else if (len > INT16_MAX)
		return ERR_INVALID;
	else
		buf_put_u16(b, (uint16_t)(int16_t)len);
	return 0;
}

int kafka_wire_write_str(struct buf *b, int compact, int nullable, struct kafka_str s)
{
	if (s.len > 0 && s.ptr == NULL)
		return ERR_INVALID;
	int rc = write_len(b, compact, 0, nullable, s.len);
	if (rc == 0 && s.len > 0)
		buf_put(b, s.ptr, (size_t)s.len);
	return rc;
}

int kafka_wire_write_bytes(struct buf *b, int compact, int nullable, struct kafka_bytes v)
{
	if (v.len > 0 && v.ptr == NULL)
		return ERR_INVALID;
	int rc = write_len(b, compact, 1, nullable, v.len);
	if (rc == 0 && v.len > 0)
		buf_put_ref(b, v.ptr, (size_t)v.len); /* a copy unless b allows it */
	return rc;
}

int kafka_wire_write_count(struct buf *b, int compact, int nullable, int32_t n, const void *elems)
{
	if (n > 0 && elems == NULL)
		return ERR_INVALID;
	return write_len(b, compact, 1, nullable, n);
}

void kafka_wire_put_f64(struct buf *b, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	buf_put_u64(b, u);
}

/* A tagged field's length is written in front of it once it is encoded,
 * which moves its bytes: runs by reference inside it are copied instead. */
size_t kafka_wire_tag_begin(struct buf *b)
{
	buf_refs_pause(b);
	return b->len;
}

void kafka_wire_tag_end(struct buf *b, size_t pos)
{
	buf_refs_resume(b);
	if (b->oom || pos > b->len)
		return;
	size_t n = b->len - pos;
	uint8_t tmp[10];
	size_t k = 0;
	for (uint64_t v = n;; v >>= 7) {
		tmp[k++] = (uint8_t)(v >= 0x80 ? (v & 0x7f) | 0x80 : v);
		if (v < 0x80)
			break;
	}
	if (buf_extend(b, k) == NULL)
		return;
	memmove(b->data + pos + k, b->data + pos, n);
	memcpy(b->data + pos, tmp, k);
}

int kafka_wire_uuid_is_zero(const struct kafka_uuid *u)
{
	static const struct kafka_uuid zero;
	return memcmp(u->b, zero.b, sizeof(zero.b)) == 0;
}
