/* test_record_batch.c - record batch v2 validation, accessors and iterators. */
#include <check.h>
#include <string.h>

#include "batch_builder.h"
#include "check_main.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/record_batch.h"

START_TEST(a_well_formed_batch_validates_and_exposes_its_header)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 3, 1700000000000, "v");
	struct record_batch_header h;
	size_t n = 0;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, &h, &n), 0);
	ck_assert_uint_eq(n, b.len);
	ck_assert_int_eq(h.magic, 2);
	ck_assert_int_eq(h.records_count, 3);
	ck_assert_int_eq(h.last_offset_delta, 2);
	ck_assert_int_eq(h.base_timestamp, 1700000000000);
	ck_assert_int_eq(h.max_timestamp, 1700000000002);
	ck_assert_int_eq(h.leader_epoch, -1);
	ck_assert_int_eq(h.producer_id, -1);
	ck_assert_int_eq(record_batch_last_offset_delta(b.data), 2);
	ck_assert_int_eq(record_batch_max_timestamp(b.data), 1700000000002);
	ck_assert_int_eq(record_batch_base_timestamp(b.data), 1700000000000);
	ck_assert_int_eq(record_batch_next_offset(b.data), 3);
	buf_free(&b);
}
END_TEST

START_TEST(records_iterate_with_keys_values_and_headers_in_order)
{
	struct buf b;
	buf_init(&b);
	struct tb_rec recs[] = {
	    {.key = "k0", .value = "hello", .ts_delta = 0, .hkey = "h", .hval = "x"},
	    {.key = NULL, .value = NULL, .ts_delta = 5},
	    {.key = "", .value = "", .ts_delta = 2, .hkey = "n", .hval = NULL},
	};
	tb_batch(&b, 1000, recs, 3);
	size_t n;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), 0);
	ck_assert_int_eq(record_batch_max_timestamp(b.data), 1005);

	struct record_batch_records it;
	struct record_batch_record r;
	ck_assert_int_eq(record_batch_records_init(&it, b.data, n), 0);

	ck_assert_int_eq(record_batch_records_next(&it, &r), 1);
	ck_assert_int_eq(r.offset_delta, 0);
	ck_assert_int_eq(r.timestamp_delta, 0);
	ck_assert_int_eq(r.key_len, 2);
	ck_assert_mem_eq(r.key, "k0", 2);
	ck_assert_int_eq(r.value_len, 5);
	ck_assert_mem_eq(r.value, "hello", 5);
	ck_assert_int_eq(r.n_headers, 1);
	struct record_batch_headers hi;
	const uint8_t *hk, *hv;
	int32_t hkl, hvl;
	record_batch_headers_init(&hi, &r);
	ck_assert_int_eq(record_batch_headers_next(&hi, &hk, &hkl, &hv, &hvl), 1);
	ck_assert_int_eq(hkl, 1);
	ck_assert_mem_eq(hk, "h", 1);
	ck_assert_int_eq(hvl, 1);
	ck_assert_mem_eq(hv, "x", 1);
	ck_assert_int_eq(record_batch_headers_next(&hi, &hk, &hkl, &hv, &hvl), 0);

	ck_assert_int_eq(record_batch_records_next(&it, &r), 1);
	ck_assert_int_eq(r.offset_delta, 1);
	ck_assert_int_eq(r.timestamp_delta, 5);
	ck_assert_int_eq(r.key_len, -1);
	ck_assert_ptr_null(r.key);
	ck_assert_int_eq(r.value_len, -1);
	ck_assert_int_eq(r.n_headers, 0);

	ck_assert_int_eq(record_batch_records_next(&it, &r), 1);
	ck_assert_int_eq(r.offset_delta, 2);
	ck_assert_int_eq(r.key_len, 0);
	ck_assert_int_eq(r.value_len, 0);
	record_batch_headers_init(&hi, &r);
	ck_assert_int_eq(record_batch_headers_next(&hi, &hk, &hkl, &hv, &hvl), 1);
	ck_assert_int_eq(hvl, -1);
	ck_assert_ptr_null(hv);

	ck_assert_int_eq(record_batch_records_next(&it, &r), 0);
	buf_free(&b);
}
END_TEST

START_TEST(several_batches_laid_end_to_end_iterate_in_order)
{
	struct buf b;
	buf_init(&b);
	size_t p0 = tb_simple_batch(&b, 1, 10, "a");
	size_t p1 = tb_simple_batch(&b, 4, 20, "b");
	size_t p2 = tb_simple_batch(&b, 2, 30, "c");
	struct record_batch_iter it;
	const uint8_t *bp;
	size_t bl;
	struct record_batch_header h;
	record_batch_iter_init(&it, b.data, b.len);
	ck_assert_int_eq(record_batch_iter_next(&it, &bp, &bl, &h), 1);
	ck_assert_ptr_eq(bp, b.data + p0);
	ck_assert_uint_eq(bl, p1 - p0);
	ck_assert_int_eq(h.records_count, 1);
	ck_assert_int_eq(record_batch_iter_next(&it, &bp, &bl, &h), 1);
	ck_assert_ptr_eq(bp, b.data + p1);
	ck_assert_int_eq(h.records_count, 4);
	ck_assert_int_eq(record_batch_iter_next(&it, &bp, &bl, &h), 1);
	ck_assert_ptr_eq(bp, b.data + p2);
	ck_assert_uint_eq(bl, b.len - p2);
	ck_assert_int_eq(h.base_timestamp, 30);
	ck_assert_int_eq(record_batch_iter_next(&it, &bp, &bl, &h), 0);

	/* The header-only walk sees the same three batches. */
	int count = 0;
	record_batch_iter_init(&it, b.data, b.len);
	while (record_batch_iter_next_header(&it, &bp, &bl, NULL) == 1)
		count++;
	ck_assert_int_eq(count, 3);
	buf_free(&b);
}
END_TEST

START_TEST(a_flipped_bit_anywhere_in_the_crc_region_is_corrupt)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 2, 5, "crc");
	size_t n;
	for (size_t i = RB_OFF_ATTRIBUTES; i < b.len; i++) {
		/* Flipping a length-bearing byte could also be caught as
		 * invalid, but the CRC is checked first so every flip is CORRUPT. */
		b.data[i] ^= 0x10;
		ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_CORRUPT);
		b.data[i] ^= 0x10;
	}
	b.data[RB_OFF_CRC + 3] ^= 1;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_CORRUPT);
	b.data[RB_OFF_CRC + 3] ^= 1;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), 0);
	buf_free(&b);
}
END_TEST

START_TEST(a_batch_truncated_at_every_length_is_rejected_as_truncated)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 3, 5, "trunc");
	size_t n;
	struct record_batch_header h;
	for (size_t len = 0; len < b.len; len++) {
		ck_assert_int_eq(record_batch_validate(b.data, len, &h, &n), ERR_TRUNCATED);
		ck_assert_int_eq(record_batch_parse_header(b.data, len, &h), ERR_TRUNCATED);
	}
	ck_assert_int_eq(record_batch_validate(b.data, b.len, &h, &n), 0);

	/* A whole batch followed by a cut one: the first is returned, then
	 * the iterator reports the truncation and stops. */
	size_t one = b.len;
	tb_simple_batch(&b, 2, 6, "second");
	for (size_t cut = one + 1; cut < b.len; cut++) {
		struct record_batch_iter it;
		const uint8_t *bp;
		size_t bl;
		record_batch_iter_init(&it, b.data, cut);
		ck_assert_int_eq(record_batch_iter_next(&it, &bp, &bl, NULL), 1);
		ck_assert_int_eq(record_batch_iter_next(&it, &bp, &bl, NULL), ERR_TRUNCATED);
		ck_assert_int_eq(record_batch_iter_next(&it, &bp, &bl, NULL), 0);
	}
	buf_free(&b);
}
END_TEST

START_TEST(a_magic_other_than_two_is_unsupported)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 1, 5, "m");
	size_t n;
	const uint8_t magics[] = {0, 1, 3, 0xff};
	for (size_t i = 0; i < sizeof(magics); i++) {
		b.data[RB_OFF_MAGIC] = magics[i];
		ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_UNSUPPORTED);
	}
	buf_free(&b);
}
END_TEST

static int validate_with_count(int n_real, int32_t claimed)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, n_real, 5, "count");
	be32_store(b.data + RB_OFF_RECORDS_COUNT, (uint32_t)claimed);
	tb_fix_crc(b.data);
	size_t n;
	int rc = record_batch_validate(b.data, b.len, NULL, &n);
	buf_free(&b);
	return rc;
}

START_TEST(a_records_count_that_disagrees_with_the_records_is_invalid)
{
	ck_assert_int_eq(validate_with_count(3, 3), 0);
	ck_assert_int_eq(validate_with_count(3, 4), ERR_INVALID);
	ck_assert_int_eq(validate_with_count(3, 2), ERR_INVALID);
	ck_assert_int_eq(validate_with_count(3, 0), ERR_INVALID);
	ck_assert_int_eq(validate_with_count(3, -1), ERR_INVALID);
	ck_assert_int_eq(validate_with_count(3, INT32_MAX), ERR_INVALID);
	ck_assert_int_eq(validate_with_count(0, 0), 0);
}
END_TEST

START_TEST(a_record_whose_length_disagrees_with_its_fields_is_invalid)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 1, 5, "len");
	/* The record starts at 61 with a one-byte length varint: claim one
	 * byte more and append that byte, keeping the batch self-consistent. */
	uint8_t len_byte = b.data[RB_HEADER_LEN];
	ck_assert_uint_lt(len_byte, 0x7e);
	b.data[RB_HEADER_LEN] = (uint8_t)(len_byte + 2); /* zigzag: +1 */
	buf_put_u8(&b, 0);
	be32_store(b.data + RB_OFF_BATCH_LENGTH, (uint32_t)(b.len - RB_LENGTH_OVERHEAD));
	tb_fix_crc(b.data);
	size_t n;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_INVALID);

	/* A batchLength too short to hold a v2 header is invalid too. */
	be32_store(b.data + RB_OFF_BATCH_LENGTH, 20);
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_INVALID);
	buf_free(&b);
}
END_TEST

static const int hows[] = {TB_GZIP, TB_SNAPPY_RAW, TB_SNAPPY_XERIAL, TB_LZ4, TB_ZSTD};
#define N_HOWS 5

/* A batch of 3 records, the middle one with a value far larger than the
 * decoder's chunk so records span chunks, compressed the `how` way. */
static void compressed_batch(struct buf *b, int how, int32_t delta_of_last)
{
	static char big[150000];
	memset(big, 'q', sizeof(big) - 1);
	struct tb_rec recs[] = {
	    {.key = "k", .value = "v0", .hkey = "h", .hval = "x"},
	    {.value = big, .ts_delta = 1},
	    {.key = NULL, .value = NULL, .ts_delta = 2},
	};
	buf_reset(b);
	tb_batch(b, 1000, recs, 3);
	if (delta_of_last != 2) {
		/* The third record ends with its offset delta, null key, null
		 * value and no headers: one byte each here. */
		size_t at = b->len - 4;
		ck_assert_int_eq(b->data[at], 2 << 1);
		b->data[at] = (uint8_t)(delta_of_last << 1);
	}
	tb_compress(b, 0, how);
}

START_TEST(compressed_batches_of_every_codec_validate_by_their_records)
{
	struct buf b;
	buf_init(&b);
	compressed_batch(&b, hows[_i], 2);
	size_t n;
	struct record_batch_header h;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, &h, &n), 0);
	ck_assert_uint_eq(n, b.len);
	ck_assert_uint_lt(b.len, 10000); /* it was compressed */
	ck_assert_int_eq(h.attributes & RB_ATTR_COMPRESSION_MASK, tb_codec(hows[_i]));
	ck_assert_int_eq(h.records_count, 3);
	/* Records are iterated only in uncompressed batches. */
	struct record_batch_records it;
	ck_assert_int_eq(record_batch_records_init(&it, b.data, n), ERR_UNSUPPORTED);
	b.data[b.len - 1] ^= 1;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, &h, &n), ERR_CORRUPT);
	buf_free(&b);
}
END_TEST

START_TEST(a_valid_crc_over_a_garbage_or_empty_payload_is_corrupt)
{
	int codec = tb_codec(hows[_i]);
	struct buf b;
	buf_init(&b);
	size_t n;
	uint8_t junk[300];
	uint32_t x = 7u + (uint32_t)_i;
	for (int round = 0; round < 100; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (uint8_t)(x >> 16);
		}
		buf_reset(&b);
		tb_simple_batch(&b, 2, 5, "z");
		tb_set_payload(&b, 0, codec, junk, 1 + (size_t)round * 3);
		ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_CORRUPT);
	}
	buf_reset(&b);
	tb_simple_batch(&b, 2, 5, "z");
	tb_set_payload(&b, 0, codec, junk, 0);
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_CORRUPT);
	/* Codecs 5 to 7 do not exist: nothing can decode them. */
	for (int c = 5; c <= 7; c++) {
		buf_reset(&b);
		tb_simple_batch(&b, 2, 5, "z");
		tb_set_payload(&b, 0, c, junk, 50);
		ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_CORRUPT);
	}
	buf_free(&b);
}
END_TEST

START_TEST(compressed_records_that_disagree_with_the_batch_are_refused)
{
	int how = hows[_i];
	struct buf b;
	buf_init(&b);
	size_t n;
	/* An offset delta out of sequence: Kafka's INVALID_RECORD. */
	compressed_batch(&b, how, 5);
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_BADRECORD);
	/* recordsCount above or below what the payload holds. */
	for (int32_t claim = 0; claim <= 5; claim++) {
		if (claim == 3)
			continue;
		compressed_batch(&b, how, 2);
		be32_store(b.data + RB_OFF_RECORDS_COUNT, (uint32_t)claim);
		tb_fix_crc(b.data);
		ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_INVALID);
	}
	/* A record whose length disagrees with its fields, compressed. */
	buf_reset(&b);
	tb_simple_batch(&b, 1, 5, "len");
	b.data[RB_HEADER_LEN] = (uint8_t)(b.data[RB_HEADER_LEN] + 2);
	buf_put_u8(&b, 0);
	be32_store(b.data + RB_OFF_BATCH_LENGTH, (uint32_t)(b.len - RB_LENGTH_OVERHEAD));
	tb_compress(&b, 0, how);
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_INVALID);
	/* Bytes after the last record. */
	buf_reset(&b);
	tb_simple_batch(&b, 2, 5, "tail");
	buf_put_u8(&b, 0);
	be32_store(b.data + RB_OFF_BATCH_LENGTH, (uint32_t)(b.len - RB_LENGTH_OVERHEAD));
	tb_compress(&b, 0, how);
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), ERR_INVALID);
	buf_free(&b);
}
END_TEST

START_TEST(a_compressed_batch_decoding_past_the_limit_is_too_big)
{
	struct buf b;
	buf_init(&b);
	compressed_batch(&b, hows[_i], 2); /* about 150 KB decoded */
	size_t n;
	ck_assert_int_eq(record_batch_validate_max(b.data, b.len, NULL, &n, 100000), ERR_TOOBIG);
	ck_assert_int_eq(record_batch_validate_max(b.data, b.len, NULL, &n, 200000), 0);
	buf_free(&b);
}
END_TEST

struct times {
	int n, stop_after;
	int64_t off[4], ts[4];
};

static int times_cb(void *ctx, int64_t offset, int64_t ts)
{
	struct times *t = ctx;
	if (t->n >= 4)
		return ERR_INVALID; /* more records than the batch holds */
	t->off[t->n] = offset;
	t->ts[t->n] = ts;
	t->n++;
	return t->n == t->stop_after;
}

START_TEST(record_times_are_walked_in_compressed_and_plain_batches)
{
	int how = _i < N_HOWS ? hows[_i] : 0; /* the last round: uncompressed */
	struct buf b;
	buf_init(&b);
	if (how == 0) {
		buf_reset(&b);
		tb_simple_batch(&b, 3, 1000, "p");
	} else {
		compressed_batch(&b, how, 2);
	}
	record_batch_set_base_offset(b.data, 40);
	struct times t = {0};
	ck_assert_int_eq(
	    record_batch_walk_times(b.data, b.len, RB_MAX_INFLATED_DEFAULT, times_cb, &t), 0);
	ck_assert_int_eq(t.n, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(t.off[i], 40 + i);
		ck_assert_int_eq(t.ts[i], 1000 + i);
	}
	/* A stop after the first record is not an error. */
	t = (struct times){.stop_after = 1};
	ck_assert_int_eq(
	    record_batch_walk_times(b.data, b.len, RB_MAX_INFLATED_DEFAULT, times_cb, &t), 0);
	ck_assert_int_eq(t.n, 1);
	if (how != 0) {
		/* The big middle record decodes past a 100 KB limit. */
		t = (struct times){0};
		ck_assert_int_eq(record_batch_walk_times(b.data, b.len, 100000, times_cb, &t),
				 ERR_TOOBIG);
		ck_assert_int_le(t.n, 1);
	}
	/* LogAppendTime: every record has the batch's maxTimestamp. */
	record_batch_set_log_append_time(b.data, b.len, 777);
	t = (struct times){0};
	ck_assert_int_eq(
	    record_batch_walk_times(b.data, b.len, RB_MAX_INFLATED_DEFAULT, times_cb, &t), 0);
	ck_assert_int_eq(t.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(t.ts[i], 777);
	buf_free(&b);
}
END_TEST

START_TEST(setting_base_offset_and_leader_epoch_keeps_the_crc_valid)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 4, 5, "patch");
	record_batch_set_base_offset(b.data, 123456789012);
	record_batch_set_leader_epoch(b.data, 42);
	struct record_batch_header h;
	size_t n;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, &h, &n), 0);
	ck_assert_int_eq(h.base_offset, 123456789012);
	ck_assert_int_eq(h.leader_epoch, 42);
	ck_assert_int_eq(record_batch_base_offset(b.data), 123456789012);
	ck_assert_int_eq(record_batch_next_offset(b.data), 123456789016);
	buf_free(&b);
}
END_TEST

/* Random bytes behind a valid header and CRC, with 1 to 4 records
 * claimed: only the record walk can refuse them, so it must. */
START_TEST(garbage_records_under_a_valid_crc_are_refused_by_the_record_walk)
{
	uint8_t junk[256];
	uint32_t x = 12345;
	size_t n;
	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (uint8_t)(x >> 16);
		}
		size_t len = RB_HEADER_LEN + 1 + (size_t)round % (sizeof(junk) - RB_HEADER_LEN);
		be32_store(junk + RB_OFF_BATCH_LENGTH, (uint32_t)(len - RB_LENGTH_OVERHEAD));
		junk[RB_OFF_MAGIC] = 2;
		be16_store(junk + RB_OFF_ATTRIBUTES, 0);
		be32_store(junk + RB_OFF_RECORDS_COUNT, (uint32_t)(1 + round % 4));
		tb_fix_crc(junk);
		ck_assert_int_eq(record_batch_validate(junk, len, NULL, &n), ERR_INVALID);
	}
}
END_TEST

/* One byte of a valid batch's records changed, CRC fixed: the walk either
 * accepts a batch that is still well formed or refuses it as invalid, and
 * reads nothing outside it (run under the fuzz build's sanitizers too). */
START_TEST(a_changed_record_byte_under_a_valid_crc_is_walked_safely)
{
	struct buf b;
	buf_init(&b);
	struct tb_rec recs[] = {
	    {.key = "key", .value = "value", .hkey = "h", .hval = "hv"},
	    {.key = NULL, .value = "second", .ts_delta = 3},
	};
	tb_batch(&b, 1000, recs, 2);
	size_t n;
	int invalid = 0, total = 0;
	for (size_t i = RB_HEADER_LEN; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b.data[i] ^= (uint8_t)(1 << bit);
			tb_fix_crc(b.data);
			int rc = record_batch_validate(b.data, b.len, NULL, &n);
			ck_assert(rc == 0 || rc == ERR_INVALID);
			invalid += rc == ERR_INVALID;
			total++;
			b.data[i] ^= (uint8_t)(1 << bit);
		}
	}
	tb_fix_crc(b.data);
	ck_assert_int_eq(record_batch_validate(b.data, b.len, NULL, &n), 0);
	/* Length and count bytes dominate: most flips break the framing. */
	ck_assert_int_gt(invalid, total / 4);
	buf_free(&b);
}
END_TEST

static Suite *record_batch_suite(void)
{
	Suite *s = suite_create("record_batch");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, a_well_formed_batch_validates_and_exposes_its_header);
	tcase_add_test(tc, records_iterate_with_keys_values_and_headers_in_order);
	tcase_add_test(tc, several_batches_laid_end_to_end_iterate_in_order);
	tcase_add_test(tc, a_flipped_bit_anywhere_in_the_crc_region_is_corrupt);
	tcase_add_test(tc, a_batch_truncated_at_every_length_is_rejected_as_truncated);
	tcase_add_test(tc, a_magic_other_than_two_is_unsupported);
	tcase_add_test(tc, a_records_count_that_disagrees_with_the_records_is_invalid);
	tcase_add_test(tc, a_record_whose_length_disagrees_with_its_fields_is_invalid);
	tcase_add_loop_test(tc, compressed_batches_of_every_codec_validate_by_their_records, 0,
			    N_HOWS);
	tcase_add_loop_test(tc, a_valid_crc_over_a_garbage_or_empty_payload_is_corrupt, 0, N_HOWS);
	tcase_add_loop_test(tc, compressed_records_that_disagree_with_the_batch_are_refused, 0,
			    N_HOWS);
	tcase_add_loop_test(tc, a_compressed_batch_decoding_past_the_limit_is_too_big, 0, N_HOWS);
	tcase_add_loop_test(tc, record_times_are_walked_in_compressed_and_plain_batches, 0,
			    N_HOWS + 1);
	tcase_add_test(tc, setting_base_offset_and_leader_epoch_keeps_the_crc_valid);
	tcase_add_test(tc, garbage_records_under_a_valid_crc_are_refused_by_the_record_walk);
	tcase_add_test(tc, a_changed_record_byte_under_a_valid_crc_is_walked_safely);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(record_batch_suite)
