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

START_TEST(a_compressed_batch_is_checked_by_crc_only)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 2, 5, "z");
	/* Pretend gzip: the bytes after the header are now an opaque stream. */
	be16_store(b.data + RB_OFF_ATTRIBUTES, 1);
	b.data[RB_HEADER_LEN] = 0xff;
	tb_fix_crc(b.data);
	size_t n;
	struct record_batch_header h;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, &h, &n), 0);
	ck_assert_int_eq(h.attributes & RB_ATTR_COMPRESSION_MASK, 1);
	struct record_batch_records it;
	ck_assert_int_eq(record_batch_records_init(&it, b.data, n), ERR_UNSUPPORTED);
	b.data[b.len - 1] ^= 1;
	ck_assert_int_eq(record_batch_validate(b.data, b.len, &h, &n), ERR_CORRUPT);
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

START_TEST(garbage_never_validates)
{
	uint8_t junk[256];
	uint32_t x = 12345;
	size_t n;
	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (uint8_t)(x >> 16);
		}
		junk[RB_OFF_MAGIC] = 2;
		be32_store(junk + RB_OFF_BATCH_LENGTH, (uint32_t)(round % 300));
		ck_assert_int_ne(record_batch_validate(junk, sizeof(junk), NULL, &n), 0);
	}
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
	tcase_add_test(tc, a_compressed_batch_is_checked_by_crc_only);
	tcase_add_test(tc, setting_base_offset_and_leader_epoch_keeps_the_crc_valid);
	tcase_add_test(tc, garbage_never_validates);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(record_batch_suite)
