/* record_batch.c - Kafka record batch v2 validation, accessors and iterators.
 *
 * Every read is bounds-checked: a hostile batch can at worst be rejected.
 * The CRC is computed once here, on produce; stored batches are trusted and
 * walked header by header. The records of a compressed batch are walked as
 * they are decoded (compress.h), never held whole. */
#include "record_batch.h"

#include <stdbool.h>

#include "buf.h"
#include "compress.h"
#include "crc32c.h"
#include "err.h"

int record_batch_parse_header(const uint8_t *p, size_t len, struct record_batch_header *h)
{
	if (len < RB_OFF_MAGIC + 1)
		return ERR_TRUNCATED;
	h->magic = (int8_t)p[RB_OFF_MAGIC];
	if (h->magic != 2)
		return ERR_UNSUPPORTED;
	h->base_offset = (int64_t)be64_load(p + RB_OFF_BASE_OFFSET);
	h->batch_length = (int32_t)be32_load(p + RB_OFF_BATCH_LENGTH);
	h->leader_epoch = (int32_t)be32_load(p + RB_OFF_LEADER_EPOCH);
	if (h->batch_length < RB_HEADER_LEN - RB_LENGTH_OVERHEAD)
		return ERR_INVALID;
	if ((uint64_t)h->batch_length + RB_LENGTH_OVERHEAD > len)
		return ERR_TRUNCATED;
	h->crc = be32_load(p + RB_OFF_CRC);
	h->attributes = (int16_t)be16_load(p + RB_OFF_ATTRIBUTES);
	h->last_offset_delta = (int32_t)be32_load(p + RB_OFF_LAST_OFFSET_DELTA);
	h->base_timestamp = (int64_t)be64_load(p + RB_OFF_BASE_TIMESTAMP);
	h->max_timestamp = (int64_t)be64_load(p + RB_OFF_MAX_TIMESTAMP);
	h->producer_id = (int64_t)be64_load(p + RB_OFF_PRODUCER_ID);
	h->producer_epoch = (int16_t)be16_load(p + RB_OFF_PRODUCER_EPOCH);
	h->base_sequence = (int32_t)be32_load(p + RB_OFF_BASE_SEQUENCE);
	h->records_count = (int32_t)be32_load(p + RB_OFF_RECORDS_COUNT);
	return 0;
}

/* Reads a zigzag varint that must fit an int32 and be >= lo. */
static int32_t read_i32(struct reader *r, int32_t lo)
{
	int64_t v = reader_varint(r);
	if (r->err == 0 && (v < lo || v > INT32_MAX))
		r->err = ERR_INVALID;
	return r->err ? 0 : (int32_t)v;
}

/* Reads a length-prefixed byte field (-1 = null when allow_null). */
static const uint8_t *read_field(struct reader *r, int32_t *len, int allow_null)
{
	*len = read_i32(r, allow_null ? -1 : 0);
	if (r->err || *len < 0)
		return NULL;
	return reader_bytes(r, (size_t)*len);
}

/* Parses one record from r (positioned at its length varint) into *out. */
static int parse_record(struct reader *r, struct record_batch_record *out)
{
	int32_t rec_len = read_i32(r, 0);
	if (r->err)
		return r->err;
	const uint8_t *body = reader_bytes(r, (size_t)rec_len);
	if (body == NULL)
		return r->err;

	struct reader b;
	reader_init(&b, body, (size_t)rec_len);
	out->attributes = (int8_t)reader_u8(&b);
	out->timestamp_delta = reader_varint(&b);
	out->offset_delta = read_i32(&b, INT32_MIN);
	out->key = read_field(&b, &out->key_len, 1);
	out->value = read_field(&b, &out->value_len, 1);
	out->n_headers = read_i32(&b, 0);
	if (b.err)
		return b.err == ERR_TRUNCATED ? ERR_INVALID : b.err;
	size_t hstart = b.pos;
	for (int32_t i = 0; i < out->n_headers && b.err == 0; i++) {
		int32_t l;
		read_field(&b, &l, 0);
		read_field(&b, &l, 1);
	}
	/* A record must use exactly its announced length (Kafka's rule). */
	if (b.err || reader_left(&b) != 0)
		return ERR_INVALID;
	out->headers = body + hstart;
	out->headers_len = b.pos - hstart;
	return 0;
}

/* --- the records of a compressed batch, decoded as a stream ---------------- */

/* Bytes pulled from a compress_stream, chunk by chunk. A record may span
 * chunks, so every read goes through src_u8 / src_skip. */
struct src {
	struct compress_stream *z;
	const uint8_t *p;
	size_t n, pos;
	int err; /* first error; ERR_INVALID when the data ends inside a record */
};

/* Makes at least one byte available: 1, 0 at the clean end, or <0. */
static int src_fill(struct src *s)
{
	if (s->pos < s->n)
		return 1;
	if (s->err)
		return s->err;
	int rc = compress_stream_read(s->z, &s->p, &s->n);
	s->pos = 0;
	if (rc <= 0) {
		s->n = 0;
		if (rc < 0)
			s->err = rc;
	}
	return rc;
}

static uint8_t src_u8(struct src *s, size_t *left)
{
	if (*left == 0 || src_fill(s) != 1) {
		if (s->err == 0)
			s->err = ERR_INVALID; /* past the record, or the data ended */
		return 0;
	}
	(*left)--;
	return s->p[s->pos++];
}

/* A zigzag varint of at most max_bytes bytes (5 for Kafka's varint, 10
 * for its varlong) within the record's *left bytes. */
static int64_t src_varint(struct src *s, size_t *left, int max_bytes)
{
	uint64_t u = 0;
	for (int i = 0; i < max_bytes; i++) {
		uint8_t b = src_u8(s, left);
		if (s->err)
			return 0;
		u |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0)
			return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	}
	s->err = ERR_INVALID;
	return 0;
}

static void src_skip(struct src *s, size_t *left, size_t n)
{
	if (n > *left) {
		s->err = ERR_INVALID;
		return;
	}
	while (n > 0 && s->err == 0) {
		if (src_fill(s) != 1) {
			if (s->err == 0)
				s->err = ERR_INVALID;
			return;
		}
		size_t k = s->n - s->pos < n ? s->n - s->pos : n;
		s->pos += k;
		n -= k;
		*left -= k;
	}
}

/* Skips a length-prefixed field: -1 (null) allowed when allow_null. */
static void src_field(struct src *s, size_t *left, bool allow_null)
{
	int64_t len = src_varint(s, left, 5);
	if (s->err == 0 && (len < (allow_null ? -1 : 0) || len > INT32_MAX))
		s->err = ERR_INVALID;
	if (s->err == 0 && len > 0)
		src_skip(s, left, (size_t)len);
}

/* Walks one record, setting its timestamp and offset deltas. */
static int src_record(struct src *s, int64_t *ts_delta, int64_t *offset_delta)
{
	size_t big = 5;
	int64_t len = src_varint(s, &big, 5);
	if (s->err)
		return s->err == ERR_CORRUPT || s->err == ERR_TOOBIG ? s->err : ERR_INVALID;
	if (len < 0 || len > INT32_MAX)
		return ERR_INVALID;
	size_t left = (size_t)len;
	src_u8(s, &left); /* attributes */
	*ts_delta = src_varint(s, &left, 10);
	*offset_delta = src_varint(s, &left, 5);
	src_field(s, &left, true); /* key */
	src_field(s, &left, true); /* value */
	int64_t n_headers = src_varint(s, &left, 5);
	if (s->err == 0 && (n_headers < 0 || n_headers > INT32_MAX))
		s->err = ERR_INVALID;
	for (int64_t i = 0; i < n_headers && s->err == 0; i++) {
		src_field(s, &left, false);
		src_field(s, &left, true);
	}
	if (s->err == 0 && left != 0)
		s->err = ERR_INVALID; /* a record uses exactly its length */
	if (s->err)
		return s->err == ERR_CORRUPT || s->err == ERR_TOOBIG || s->err == ERR_NOMEM
			   ? s->err
			   : ERR_INVALID;
	return 0;
}

/* Decodes the payload of a compressed batch and walks recordsCount records
 * that must fill it exactly. */
static int validate_compressed(const uint8_t *batch, size_t total, int32_t count,
			       uint64_t max_inflated)
{
	struct src s = {0};
	int codec = record_batch_attributes(batch) & RB_ATTR_COMPRESSION_MASK;
	int rc = compress_stream_open(&s.z, codec, batch + RB_HEADER_LEN, total - RB_HEADER_LEN,
				      max_inflated);
	if (rc != 0)
		return rc == ERR_UNSUPPORTED ? ERR_CORRUPT : rc; /* codecs 5-7: undecodable */
	/* Each offset delta must be its index (Kafka checks the inner offsets
	 * of compressed batches: INVALID_RECORD). */
	for (int32_t i = 0; i < count && rc == 0; i++) {
		int64_t ts_delta = 0, delta = 0;
		rc = src_record(&s, &ts_delta, &delta);
		if (rc == 0 && delta != i)
			rc = ERR_BADRECORD;
	}
	if (rc == 0) {
		/* Decode the rest: it must end cleanly, and hold nothing. */
		int end = src_fill(&s);
		rc = end == 0 ? 0 : end < 0 ? end : ERR_INVALID;
	}
	compress_stream_close(s.z);
	return rc;
}

int record_batch_validate(const uint8_t *p, size_t len, struct record_batch_header *hout,
			  size_t *batch_len)
{
	return record_batch_validate_max(p, len, hout, batch_len, RB_MAX_INFLATED_DEFAULT);
}

int record_batch_validate_max(const uint8_t *p, size_t len, struct record_batch_header *hout,
			      size_t *batch_len, uint64_t max_inflated)
{
	struct record_batch_header tmp;
	struct record_batch_header *h = hout ? hout : &tmp;
	int rc = record_batch_parse_header(p, len, h);
	if (rc != 0)
		return rc;
	size_t total = (size_t)h->batch_length + RB_LENGTH_OVERHEAD;
	if (crc32c(0, p + RB_OFF_ATTRIBUTES, total - RB_OFF_ATTRIBUTES) != h->crc)
		return ERR_CORRUPT;
	if (h->records_count < 0)
		return ERR_INVALID;
	if ((h->attributes & RB_ATTR_COMPRESSION_MASK) == 0) {
		struct record_batch_records it;
		struct record_batch_record rec;
		record_batch_records_init(&it, p, total);
		for (;;) {
			rc = record_batch_records_next(&it, &rec);
			if (rc == 0)
				break;
			if (rc < 0)
				return ERR_INVALID;
		}
		if (it.pos != it.len)
			return ERR_INVALID; /* bytes left after recordsCount records */
	} else {
		rc = validate_compressed(p, total, h->records_count, max_inflated);
		if (rc != 0)
			return rc;
	}
	*batch_len = total;
	return 0;
}

void record_batch_iter_init(struct record_batch_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->len = len;
	it->pos = 0;
}

static int iter_next(struct record_batch_iter *it, const uint8_t **batch, size_t *batch_len,
		     struct record_batch_header *h, int full)
{
	if (it->pos >= it->len)
		return 0;
	const uint8_t *p = it->p + it->pos;
	size_t left = it->len - it->pos;
	struct record_batch_header tmp;
	if (h == NULL)
		h = &tmp;
	size_t n;
	int rc;
	if (full) {
		rc = record_batch_validate(p, left, h, &n);
	} else {
		rc = record_batch_parse_header(p, left, h);
		n = (size_t)h->batch_length + RB_LENGTH_OVERHEAD;
	}
	if (rc != 0) {
		it->pos = it->len; /* stop: the rest cannot be framed */
		return rc;
	}
	it->pos += n;
	*batch = p;
	*batch_len = n;
	return 1;
}

int record_batch_iter_next(struct record_batch_iter *it, const uint8_t **batch, size_t *batch_len,
			   struct record_batch_header *h)
{
	return iter_next(it, batch, batch_len, h, 1);
}

int record_batch_iter_next_header(struct record_batch_iter *it, const uint8_t **batch,
				  size_t *batch_len, struct record_batch_header *h)
{
	return iter_next(it, batch, batch_len, h, 0);
}

int64_t record_batch_base_offset(const uint8_t *b)
{
	return (int64_t)be64_load(b + RB_OFF_BASE_OFFSET);
}

int32_t record_batch_last_offset_delta(const uint8_t *b)
{
	return (int32_t)be32_load(b + RB_OFF_LAST_OFFSET_DELTA);
}

int64_t record_batch_base_timestamp(const uint8_t *b)
{
	return (int64_t)be64_load(b + RB_OFF_BASE_TIMESTAMP);
}

int64_t record_batch_max_timestamp(const uint8_t *b)
{
	return (int64_t)be64_load(b + RB_OFF_MAX_TIMESTAMP);
}

int32_t record_batch_records_count(const uint8_t *b)
{
	return (int32_t)be32_load(b + RB_OFF_RECORDS_COUNT);
}

int16_t record_batch_attributes(const uint8_t *b)
{
	return (int16_t)be16_load(b + RB_OFF_ATTRIBUTES);
}

int64_t record_batch_next_offset(const uint8_t *b)
{
	return record_batch_base_offset(b) + (int64_t)record_batch_last_offset_delta(b) + 1;
}

void record_batch_set_base_offset(uint8_t *b, int64_t v)
{
	be64_store(b + RB_OFF_BASE_OFFSET, (uint64_t)v);
}

void record_batch_set_leader_epoch(uint8_t *b, int32_t v)
{
	be32_store(b + RB_OFF_LEADER_EPOCH, (uint32_t)v);
}

void record_batch_set_log_append_time(uint8_t *b, size_t len, int64_t ts)
{
	uint16_t attrs = (uint16_t)record_batch_attributes(b) | RB_ATTR_LOG_APPEND_TIME;
	b[RB_OFF_ATTRIBUTES] = (uint8_t)(attrs >> 8);
	b[RB_OFF_ATTRIBUTES + 1] = (uint8_t)attrs;
	be64_store(b + RB_OFF_MAX_TIMESTAMP, (uint64_t)ts);
	be32_store(b + RB_OFF_CRC, crc32c(0, b + RB_OFF_ATTRIBUTES, len - RB_OFF_ATTRIBUTES));
}

int record_batch_records_init(struct record_batch_records *it, const uint8_t *batch,
			      size_t batch_len)
{
	it->left = 0;
	if ((record_batch_attributes(batch) & RB_ATTR_COMPRESSION_MASK) != 0)
		return ERR_UNSUPPORTED;
	it->p = batch + RB_HEADER_LEN;
	it->len = batch_len - RB_HEADER_LEN;
	it->pos = 0;
	it->left = record_batch_records_count(batch);
	if (it->left < 0)
		it->left = 0;
	return 0;
}

int record_batch_records_next(struct record_batch_records *it, struct record_batch_record *r)
{
	if (it->left <= 0)
		return 0;
	struct reader rd;
	reader_init(&rd, it->p + it->pos, it->len - it->pos);
	int rc = parse_record(&rd, r);
	if (rc != 0) {
		it->left = 0;
		return rc;
	}
	it->pos += rd.pos;
	it->left--;
	return 1;
}

void record_batch_headers_init(struct record_batch_headers *it, const struct record_batch_record *r)
{
	it->p = r->headers;
	it->len = r->headers_len;
	it->pos = 0;
	it->left = r->n_headers;
}

int record_batch_headers_next(struct record_batch_headers *it, const uint8_t **key,
			      int32_t *key_len, const uint8_t **value, int32_t *value_len)
{
	if (it->left <= 0)
		return 0;
	struct reader rd;
	reader_init(&rd, it->p + it->pos, it->len - it->pos);
	*key = read_field(&rd, key_len, 0);
	*value = read_field(&rd, value_len, 1);
	if (rd.err) {
		it->left = 0;
		return rd.err;
	}
	it->pos += rd.pos;
	it->left--;
	return 1;
}

/* --- record timestamps, for ListOffsets ------------------------------------ */

/* A record's timestamp as Kafka reads it: LogAppendTime gives every record
 * the batch's maxTimestamp, CreateTime its own. */
static int64_t record_time(const uint8_t *batch, int64_t ts_delta)
{
	if (record_batch_attributes(batch) & RB_ATTR_LOG_APPEND_TIME)
		return record_batch_max_timestamp(batch);
	return record_batch_base_timestamp(batch) + ts_delta;
}

static int walk_compressed(const uint8_t *batch, size_t batch_len, uint64_t max_inflated,
			   record_batch_time_cb cb, void *ctx)
{
	struct src s = {0};
	int codec = record_batch_attributes(batch) & RB_ATTR_COMPRESSION_MASK;
	int rc = compress_stream_open(&s.z, codec, batch + RB_HEADER_LEN, batch_len - RB_HEADER_LEN,
				      max_inflated);
	if (rc != 0)
		return rc;
	int64_t base = record_batch_base_offset(batch);
	int32_t count = record_batch_records_count(batch);
	/* Stops at the callback's word: only what precedes the record it
	 * wants is decoded. */
	for (int32_t i = 0; i < count && rc == 0; i++) {
		int64_t ts_delta = 0, delta = 0;
		rc = src_record(&s, &ts_delta, &delta);
		if (rc == 0)
			rc = cb(ctx, base + delta, record_time(batch, ts_delta));
	}
	compress_stream_close(s.z);
	return rc > 0 ? 0 : rc;
}

int record_batch_walk_times(const uint8_t *batch, size_t batch_len, uint64_t max_inflated,
			    record_batch_time_cb cb, void *ctx)
{
	if ((record_batch_attributes(batch) & RB_ATTR_COMPRESSION_MASK) != 0)
		return walk_compressed(batch, batch_len, max_inflated, cb, ctx);
	struct record_batch_records it;
	struct record_batch_record r;
	int64_t base = record_batch_base_offset(batch);
	int rc = record_batch_records_init(&it, batch, batch_len);
	while (rc == 0 && (rc = record_batch_records_next(&it, &r)) == 1)
		rc = cb(ctx, base + r.offset_delta, record_time(batch, r.timestamp_delta));
	return rc > 0 ? 0 : rc;
}
