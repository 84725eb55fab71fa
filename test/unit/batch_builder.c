/* batch_builder.c - builds v2 record batches for tests (batch_builder.h). */
#include "batch_builder.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/record_batch.h"

static void put_field(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_put_varint(b, -1);
		return;
	}
	size_t n = strlen(s);
	buf_put_varint(b, (int64_t)n);
	buf_put(b, s, n);
}

void tb_fix_crc(uint8_t *b)
{
	size_t total = (size_t)be32_load(b + RB_OFF_BATCH_LENGTH) + RB_LENGTH_OVERHEAD;
	be32_store(b + RB_OFF_CRC, crc32c(0, b + RB_OFF_ATTRIBUTES, total - RB_OFF_ATTRIBUTES));
}

size_t tb_batch(struct buf *out, int64_t base_ts, const struct tb_rec *recs, int n)
{
	size_t start = out->len;
	int64_t max_ts = base_ts;
	for (int i = 0; i < n; i++)
		if (base_ts + recs[i].ts_delta > max_ts)
			max_ts = base_ts + recs[i].ts_delta;

	buf_put_u64(out, 0);		/* baseOffset */
	buf_put_u32(out, 0);		/* batchLength, patched */
	buf_put_u32(out, (uint32_t)-1); /* partitionLeaderEpoch */
	buf_put_u8(out, 2);		/* magic */
	buf_put_u32(out, 0);		/* crc, patched */
	buf_put_u16(out, 0);		/* attributes */
	buf_put_u32(out, (uint32_t)(n > 0 ? n - 1 : 0));
	buf_put_u64(out, (uint64_t)(n > 0 ? base_ts : -1));
	buf_put_u64(out, (uint64_t)(n > 0 ? max_ts : -1));
	buf_put_u64(out, (uint64_t)-1); /* producerId */
	buf_put_u16(out, (uint16_t)-1); /* producerEpoch */
	buf_put_u32(out, (uint32_t)-1); /* baseSequence */
	buf_put_u32(out, (uint32_t)n);

	struct buf rec;
	buf_init(&rec);
	for (int i = 0; i < n; i++) {
		buf_reset(&rec);
		buf_put_u8(&rec, 0);
		buf_put_varint(&rec, recs[i].ts_delta);
		buf_put_varint(&rec, i);
		put_field(&rec, recs[i].key);
		put_field(&rec, recs[i].value);
		if (recs[i].hkey) {
			buf_put_varint(&rec, 1);
			put_field(&rec, recs[i].hkey);
			put_field(&rec, recs[i].hval);
		} else {
			buf_put_varint(&rec, 0);
		}
		buf_put_varint(out, (int64_t)rec.len);
		buf_put(out, rec.data, rec.len);
	}
	buf_free(&rec);
	buf_patch_u32(out, start + RB_OFF_BATCH_LENGTH,
		      (uint32_t)(out->len - start - RB_LENGTH_OVERHEAD));
	tb_fix_crc(out->data + start);
	return start;
}

size_t tb_simple_batch(struct buf *out, int n, int64_t base_ts, const char *prefix)
{
	struct tb_rec recs[n > 0 ? n : 1];
	char vals[n > 0 ? n : 1][48];
	for (int i = 0; i < n; i++) {
		snprintf(vals[i], sizeof(vals[i]), "%s-%d", prefix, i);
		recs[i] = (struct tb_rec){.value = vals[i], .ts_delta = i};
	}
	return tb_batch(out, base_ts, recs, n);
}

/* --- compression --------------------------------------------------------- */

static void enc_gzip(const uint8_t *in, size_t n, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	size_t cap = deflateBound(&z, (uLong)n);
	uint8_t *dst = buf_extend(out, cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = dst;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	out->len -= z.avail_out;
	deflateEnd(&z);
}

static void enc_snappy_raw(const uint8_t *in, size_t n, struct buf *out)
{
	size_t cap = snappy_max_compressed_length(n);
	uint8_t *dst = buf_extend(out, cap);
	if (snappy_compress((const char *)in, n, (char *)dst, &cap) != SNAPPY_OK)
		abort();
	out->len -= snappy_max_compressed_length(n) - cap;
}

/* The Java client's framing: magic, version 1, compatible 1, then blocks of
 * at most 32 KiB, each a big-endian length and raw snappy. */
static void enc_snappy_xerial(const uint8_t *in, size_t n, struct buf *out)
{
	static const uint8_t magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
	buf_put(out, magic, 8);
	buf_put_u32(out, 1);
	buf_put_u32(out, 1);
	for (size_t pos = 0; pos < n;) {
		size_t k = n - pos < 32768 ? n - pos : 32768;
		size_t at = out->len;
		buf_put_u32(out, 0);
		enc_snappy_raw(in + pos, k, out);
		buf_patch_u32(out, at, (uint32_t)(out->len - at - 4));
		pos += k;
	}
}

static void enc_lz4(const uint8_t *in, size_t n, struct buf *out)
{
	size_t cap = LZ4F_compressFrameBound(n, NULL);
	uint8_t *dst = buf_extend(out, cap);
	size_t k = LZ4F_compressFrame(dst, cap, in, n, NULL);
	if (LZ4F_isError(k))
		abort();
	out->len -= cap - k;
}

static void enc_zstd(const uint8_t *in, size_t n, struct buf *out)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *dst = buf_extend(out, cap);
	size_t k = ZSTD_compress(dst, cap, in, n, 3);
	if (ZSTD_isError(k))
		abort();
	out->len -= cap - k;
}

void tb_encode(int how, const uint8_t *in, size_t n, struct buf *out)
{
	switch (how) {
	case TB_GZIP:
		enc_gzip(in, n, out);
		break;
	case TB_SNAPPY_RAW:
		enc_snappy_raw(in, n, out);
		break;
	case TB_SNAPPY_XERIAL:
		enc_snappy_xerial(in, n, out);
		break;
	case TB_LZ4:
		enc_lz4(in, n, out);
		break;
	case TB_ZSTD:
		enc_zstd(in, n, out);
		break;
	default:
		abort();
	}
}

int tb_codec(int how) { return how == TB_SNAPPY_XERIAL ? TB_SNAPPY_RAW : how; }

void tb_compress(struct buf *out, size_t at, int how)
{
	size_t total = out->len - at;
	uint8_t *copy = malloc(total);
	if (copy == NULL)
		abort();
	memcpy(copy, out->data + at, total);
	out->len = at + RB_HEADER_LEN;
	tb_encode(how, copy + RB_HEADER_LEN, total - RB_HEADER_LEN, out);
	uint8_t *b = out->data + at;
	be16_store(b + RB_OFF_ATTRIBUTES,
		   (uint16_t)(be16_load(b + RB_OFF_ATTRIBUTES) | tb_codec(how)));
	be32_store(b + RB_OFF_BATCH_LENGTH, (uint32_t)(out->len - at - RB_LENGTH_OVERHEAD));
	tb_fix_crc(b);
	free(copy);
}

void tb_set_payload(struct buf *out, size_t at, int codec, const uint8_t *p, size_t n)
{
	out->len = at + RB_HEADER_LEN;
	buf_put(out, p, n);
	uint8_t *b = out->data + at;
	be16_store(b + RB_OFF_ATTRIBUTES, (uint16_t)codec);
	be32_store(b + RB_OFF_BATCH_LENGTH, (uint32_t)(out->len - at - RB_LENGTH_OVERHEAD));
	tb_fix_crc(b);
}
