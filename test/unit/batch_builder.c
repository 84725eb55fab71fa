/* batch_builder.c - builds v2 record batches for tests (batch_builder.h). */
#include "batch_builder.h"

#include <stdio.h>
#include <string.h>

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
