/* test_partition.c - Kafka semantics over the store: produce, fetch,
 * list offsets, reopen, rejection of bad batches, retention. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "batch_builder.h"
#include "check_main.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/record_batch.h"
#include "testdir.h"
#include "worker/partition.h"
#include "worker/store.h"

static char *dir;
static struct store *s;
static struct partition p;
static struct partition_config cfg = {
    .max_message_bytes = 0, .retention_ms = -1, .retention_bytes = -1};

static void open_all(void)
{
	struct store_options o = {.map_size = 64u << 20, .sync = false};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
	ck_assert_int_eq(partition_open(&p, s, &cfg, store_last_index(s)), 0);
}

static void setup(void)
{
	dir = testdir_new("partition");
	ck_assert_ptr_nonnull(dir);
	cfg = (struct partition_config){
	    .max_message_bytes = 0, .retention_ms = -1, .retention_bytes = -1};
	open_all();
}

static void teardown(void)
{
	store_close(s);
	testdir_free(dir);
}

/* Produces records and stores them as the next entry without committing.
 * Returns the Kafka error; *base set on success. */
static int16_t propose(struct buf *records, int64_t *base, int64_t *next, uint64_t *index)
{
	int16_t k = partition_produce(&p, records->data, records->len, 7, base, next);
	if (k != KERR_NONE)
		return k;
	*index = store_last_index(s) + 1;
	struct store_entry e = {.index = *index,
				.term = 1,
				.kind = STORE_KIND_DATA,
				.base_offset = *base,
				.data = records->data,
				.len = records->len};
	ck_assert_int_eq(store_append(s, &e, 1), 0);
	partition_proposed(&p, records->data, records->len);
	return KERR_NONE;
}

/* Produce + durable append + commit, as the single-replica path does. */
static int16_t produce(struct buf *records, int64_t *base)
{
	int64_t next;
	uint64_t index;
	int16_t k = propose(records, base, &next, &index);
	if (k == KERR_NONE)
		partition_apply(&p, index, next);
	return k;
}

/* Produces a batch of n records "<tag>-i" with timestamps ts0 + i. */
static int64_t produce_n(int n, int64_t ts0, const char *tag)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, n, ts0, tag);
	int64_t base = -1;
	ck_assert_int_eq(produce(&b, &base), KERR_NONE);
	buf_free(&b);
	return base;
}

/* Returns the base offsets of the batches in a fetch result, -1 ended. */
static int batch_bases(const struct buf *out, int64_t *bases, int max)
{
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	struct record_batch_header h;
	int n = 0;
	record_batch_iter_init(&it, out->data, out->len);
	while (record_batch_iter_next(&it, &b, &bl, &h) == 1 && n < max)
		bases[n++] = h.base_offset;
	return n;
}

START_TEST(produced_batches_get_consecutive_offsets_and_read_back_whole)
{
	ck_assert_int_eq(produce_n(3, 1000, "a"), 0);
	ck_assert_int_eq(produce_n(2, 2000, "b"), 3);
	ck_assert_int_eq(produce_n(1, 3000, "c"), 5);
	ck_assert_int_eq(p.high_watermark, 6);
	ck_assert_int_eq(p.next_offset, 6);

	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(partition_fetch(&p, 0, 1 << 20, &out), KERR_NONE);
	int64_t bases[8];
	ck_assert_int_eq(batch_bases(&out, bases, 8), 3);
	ck_assert_int_eq(bases[0], 0);
	ck_assert_int_eq(bases[1], 3);
	ck_assert_int_eq(bases[2], 5);
	/* Stored batches carry the leader epoch and still pass their CRC. */
	struct record_batch_header h;
	size_t bl;
	ck_assert_int_eq(record_batch_validate(out.data, out.len, &h, &bl), 0);
	ck_assert_int_eq(h.leader_epoch, 7);
	struct record_batch_records ri;
	struct record_batch_record r;
	ck_assert_int_eq(record_batch_records_init(&ri, out.data, bl), 0);
	ck_assert_int_eq(record_batch_records_next(&ri, &r), 1);
	ck_assert_int_eq(r.value_len, 3);
	ck_assert_mem_eq(r.value, "a-0", 3);
	buf_free(&out);
}
END_TEST

START_TEST(several_batches_in_one_request_are_one_entry_with_consecutive_offsets)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 2, 10, "x");
	tb_simple_batch(&b, 4, 20, "y");
	int64_t base;
	ck_assert_int_eq(produce(&b, &base), KERR_NONE);
	ck_assert_int_eq(base, 0);
	ck_assert_int_eq(p.high_watermark, 6);
	ck_assert_uint_eq(store_last_index(s), 1);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(partition_fetch(&p, 3, 1 << 20, &out), KERR_NONE);
	int64_t bases[4];
	ck_assert_int_eq(batch_bases(&out, bases, 4), 1);
	ck_assert_int_eq(bases[0], 2);
	buf_free(&out);
	buf_free(&b);
}
END_TEST

START_TEST(a_fetch_inside_a_batch_starts_at_the_batch_containing_it)
{
	produce_n(5, 0, "a");  /* 0..4 */
	produce_n(5, 10, "b"); /* 5..9 */
	produce_n(5, 20, "c"); /* 10..14 */
	struct buf out;
	buf_init(&out);
	int64_t bases[8];
	for (int64_t off = 0; off < 15; off++) {
		buf_reset(&out);
		ck_assert_int_eq(partition_fetch(&p, off, 1 << 20, &out), KERR_NONE);
		int n = batch_bases(&out, bases, 8);
		ck_assert_int_eq(n, 3 - (int)(off / 5));
		ck_assert_int_eq(bases[0], off / 5 * 5);
	}
	buf_free(&out);
}
END_TEST

START_TEST(offsets_at_or_beyond_the_high_watermark_and_below_the_start_are_handled)
{
	produce_n(2, 0, "a");
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(partition_fetch(&p, 2, 1 << 20, &out), KERR_NONE);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(partition_fetch(&p, 3, 1 << 20, &out), KERR_OFFSET_OUT_OF_RANGE);
	ck_assert_int_eq(partition_fetch(&p, -1, 1 << 20, &out), KERR_OFFSET_OUT_OF_RANGE);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
}
END_TEST

START_TEST(max_bytes_limits_whole_batches_but_always_returns_the_first)
{
	produce_n(10, 0, "a");
	produce_n(10, 0, "b");
	produce_n(10, 0, "c");
	struct buf out;
	buf_init(&out);
	int64_t bases[8];
	ck_assert_int_eq(partition_fetch(&p, 0, 1, &out), KERR_NONE);
	ck_assert_int_eq(batch_bases(&out, bases, 8), 1);
	size_t one = out.len;
	buf_reset(&out);
	ck_assert_int_eq(partition_fetch(&p, 0, (int32_t)(2 * one + 1), &out), KERR_NONE);
	ck_assert_int_eq(batch_bases(&out, bases, 8), 2);
	ck_assert_uint_eq(out.len, 2 * one);
	buf_reset(&out);
	ck_assert_int_eq(partition_fetch(&p, 0, 0, &out), KERR_NONE);
	ck_assert_int_eq(batch_bases(&out, bases, 8), 1);
	buf_free(&out);
}
END_TEST

START_TEST(uncommitted_entries_are_invisible_until_applied)
{
	produce_n(2, 0, "a");
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 3, 0, "pending");
	int64_t base, next;
	uint64_t index;
	ck_assert_int_eq(propose(&b, &base, &next, &index), KERR_NONE);
	ck_assert_int_eq(base, 2);
	ck_assert_int_eq(next, 5);
	ck_assert_int_eq(p.next_offset, 5);
	ck_assert_int_eq(p.high_watermark, 2);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(partition_fetch(&p, 2, 1 << 20, &out), KERR_NONE);
	ck_assert_uint_eq(out.len, 0);
	int64_t off, ts;
	ck_assert_int_eq(partition_list_offsets(&p, -1, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 2);
	partition_apply(&p, index, next);
	ck_assert_int_eq(p.high_watermark, 5);
	ck_assert_int_eq(partition_fetch(&p, 2, 1 << 20, &out), KERR_NONE);
	int64_t bases[4];
	ck_assert_int_eq(batch_bases(&out, bases, 4), 1);
	ck_assert_int_eq(bases[0], 2);
	buf_free(&out);
	buf_free(&b);
}
END_TEST

START_TEST(offsets_are_reserved_only_when_the_entry_is_proposed)
{
	produce_n(2, 0, "a");
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 3, 0, "lost");
	int64_t base, next;
	/* Validated and stamped, but never proposed: nothing to give back. */
	ck_assert_int_eq(partition_produce(&p, b.data, b.len, 1, &base, &next), KERR_NONE);
	ck_assert_int_eq(base, 2);
	ck_assert_int_eq(next, 5);
	ck_assert_int_eq(p.next_offset, 2);
	ck_assert_int_eq(produce_n(1, 0, "again"), 2);
	ck_assert_int_eq(p.next_offset, 3);
	/* Proposed: the next request follows it. */
	ck_assert_int_eq(partition_produce(&p, b.data, b.len, 1, &base, &next), KERR_NONE);
	partition_proposed(&p, b.data, b.len);
	ck_assert_int_eq(p.next_offset, 6);
	buf_free(&b);
}
END_TEST

START_TEST(offsets_continue_after_reopening_the_store)
{
	produce_n(4, 0, "a");
	produce_n(3, 0, "b");
	store_close(s);
	open_all();
	ck_assert_int_eq(p.high_watermark, 7);
	ck_assert_int_eq(p.next_offset, 7);
	ck_assert_int_eq(p.log_start_offset, 0);
	ck_assert_int_eq(produce_n(2, 0, "c"), 7);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(partition_fetch(&p, 5, 1 << 20, &out), KERR_NONE);
	int64_t bases[4];
	ck_assert_int_eq(batch_bases(&out, bases, 4), 2);
	ck_assert_int_eq(bases[0], 4);
	ck_assert_int_eq(bases[1], 7);
	buf_free(&out);
}
END_TEST

START_TEST(reopening_with_a_lower_commit_index_hides_the_uncommitted_tail)
{
	produce_n(4, 0, "a");
	produce_n(3, 0, "b");
	store_close(s);
	struct store_options o = {.sync = false};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
	ck_assert_int_eq(partition_open(&p, s, &cfg, 1), 0);
	ck_assert_int_eq(p.high_watermark, 4);
	ck_assert_int_eq(p.next_offset, 7);
}
END_TEST

START_TEST(list_offsets_answers_earliest_latest_and_by_timestamp)
{
	struct tb_rec r1[] = {{.value = "a", .ts_delta = 0},
			      {.value = "b", .ts_delta = 10},
			      {.value = "c", .ts_delta = 5}};
	struct tb_rec r2[] = {{.value = "d", .ts_delta = 0}, {.value = "e", .ts_delta = 50}};
	struct buf b;
	buf_init(&b);
	tb_batch(&b, 1000, r1, 3); /* offsets 0..2: 1000, 1010, 1005 */
	int64_t base;
	ck_assert_int_eq(produce(&b, &base), KERR_NONE);
	buf_reset(&b);
	tb_batch(&b, 2000, r2, 2); /* offsets 3..4: 2000, 2050 */
	ck_assert_int_eq(produce(&b, &base), KERR_NONE);
	buf_free(&b);

	int64_t off, ts;
	ck_assert_int_eq(partition_list_offsets(&p, -2, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(ts, -1);
	ck_assert_int_eq(partition_list_offsets(&p, -1, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 5);
	ck_assert_int_eq(partition_list_offsets(&p, 0, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(ts, 1000);
	ck_assert_int_eq(partition_list_offsets(&p, 1001, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 1);
	ck_assert_int_eq(ts, 1010);
	ck_assert_int_eq(partition_list_offsets(&p, 1011, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 3);
	ck_assert_int_eq(ts, 2000);
	ck_assert_int_eq(partition_list_offsets(&p, 2001, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 4);
	ck_assert_int_eq(ts, 2050);
	ck_assert_int_eq(partition_list_offsets(&p, 2051, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, -1);
	ck_assert_int_eq(ts, -1);
	ck_assert_int_eq(partition_list_offsets(&p, -3, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 4);
	ck_assert_int_eq(ts, 2050);
	/* No tiered storage: earliest local is the log start, earliest
	 * pending upload is none, both without an error (as Kafka). */
	ck_assert_int_eq(partition_list_offsets(&p, -4, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(ts, -1);
	ck_assert_int_eq(partition_list_offsets(&p, -5, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, -1);
	ck_assert_int_eq(ts, -1);
	ck_assert_int_eq(partition_list_offsets(&p, -7, &off, &ts), KERR_INVALID_REQUEST);
}
END_TEST

/* Appends an entry of `kind` in Raft term `term`; a data entry holds one
 * batch of n records with partitionLeaderEpoch = term. Commits it. */
static void append_in_term(uint64_t term, uint8_t kind, int n)
{
	struct buf b;
	buf_init(&b);
	int64_t base = -1, next = -1;
	if (kind == STORE_KIND_DATA) {
		tb_simple_batch(&b, n, 1000, "e");
		ck_assert_int_eq(partition_produce(&p, b.data, b.len, (int32_t)term, &base, &next),
				 KERR_NONE);
	}
	struct store_entry e = {.index = store_last_index(s) + 1,
				.term = term,
				.kind = kind,
				.base_offset = base,
				.data = b.data,
				.len = b.len};
	ck_assert_int_eq(store_append(s, &e, 1), 0);
	if (kind == STORE_KIND_DATA)
		partition_proposed(&p, b.data, b.len);
	ck_assert_int_eq(partition_apply_entry(&p, e.index, e.kind, b.data, b.len), 0);
	buf_free(&b);
}

static void assert_epoch_end(int32_t asked, uint64_t current, int32_t epoch, int64_t end)
{
	int32_t e = -99;
	int64_t o = -99;
	ck_assert_int_eq(partition_epoch_end(&p, asked, current, &e, &o), KERR_NONE);
	ck_assert_msg(e == epoch && o == end, "epoch %d: got (%d, %lld), want (%d, %lld)",
		      (int)asked, (int)e, (long long)o, (int)epoch, (long long)end);
}

START_TEST(epoch_end_follows_the_terms_of_the_log_as_kafka_does)
{
	append_in_term(2, STORE_KIND_NOOP, 0);
	append_in_term(2, STORE_KIND_DATA, 3); /* offsets 0..2 */
	append_in_term(2, STORE_KIND_DATA, 2); /* 3..4 */
	append_in_term(5, STORE_KIND_NOOP, 0); /* term 5 begins without data */
	append_in_term(5, STORE_KIND_DATA, 2); /* 5..6 */
	append_in_term(7, STORE_KIND_NOOP, 0); /* the current leader's */
	ck_assert_int_eq(p.high_watermark, 7);

	assert_epoch_end(7, 7, 7, 7); /* the current epoch: the log end */
	assert_epoch_end(2, 7, 2, 5); /* up to term 5's first batch */
	assert_epoch_end(3, 7, 2, 5); /* unknown, between: the floor epoch */
	assert_epoch_end(4, 7, 2, 5);
	assert_epoch_end(5, 7, 5, 7); /* term 7 has no batch yet: the log end */
	assert_epoch_end(6, 7, 5, 7);
	assert_epoch_end(1, 7, 1, 0);	/* older than any: asked epoch, log start */
	assert_epoch_end(8, 7, -1, -1); /* newer than the leader: undefined */
	assert_epoch_end(-1, 7, -1, -1);
}
END_TEST

START_TEST(epoch_end_on_an_empty_log_is_the_log_end_for_the_current_epoch)
{
	assert_epoch_end(3, 3, 3, 0);
	assert_epoch_end(2, 3, 2, 0);
	assert_epoch_end(4, 3, -1, -1);
}
END_TEST

START_TEST(log_append_time_stamps_the_batch_and_keeps_its_crc_valid)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 3, 1000, "t");
	tb_simple_batch(&b, 2, 1100, "u"); /* two batches in one request */
	int64_t base, next;
	ck_assert_int_eq(partition_validate(&p, b.data, b.len), KERR_NONE);
	partition_assign(&p, b.data, b.len, 1, &base, &next);
	partition_stamp_append_time(b.data, b.len, 123456789);
	struct record_batch_iter it;
	const uint8_t *bb;
	size_t bl;
	struct record_batch_header h;
	int n = 0;
	record_batch_iter_init(&it, b.data, b.len);
	while (record_batch_iter_next(&it, &bb, &bl, &h) == 1) {
		ck_assert_int_eq(record_batch_validate(bb, bl, &h, &bl), 0); /* CRC */
		ck_assert(record_batch_attributes(bb) & RB_ATTR_LOG_APPEND_TIME);
		ck_assert_int_eq(record_batch_max_timestamp(bb), 123456789);
		ck_assert_int_eq(record_batch_base_timestamp(bb), n == 0 ? 1000 : 1100);
		n++;
	}
	ck_assert_int_eq(n, 2);
	/* Stored and committed, ListOffsets reads the append time, not the
	 * records' own (later) timestamps. */
	buf_reset(&b);
	tb_simple_batch(&b, 3, 900000000, "v"); /* CreateTime far after the stamp */
	ck_assert_int_eq(partition_validate(&p, b.data, b.len), KERR_NONE);
	partition_assign(&p, b.data, b.len, 1, &base, &next);
	partition_stamp_append_time(b.data, b.len, 123456789);
	struct store_entry e = {.index = store_last_index(s) + 1,
				.term = 1,
				.kind = STORE_KIND_DATA,
				.base_offset = base,
				.data = b.data,
				.len = b.len};
	ck_assert_int_eq(store_append(s, &e, 1), 0);
	partition_proposed(&p, b.data, b.len);
	ck_assert_int_eq(partition_apply_entry(&p, e.index, e.kind, b.data, b.len), 0);
	buf_free(&b);
	int64_t off, ts;
	ck_assert_int_eq(partition_list_offsets(&p, -3, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(ts, 123456789);
	ck_assert_int_eq(partition_list_offsets(&p, 123456789, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(ts, 123456789);
	ck_assert_int_eq(partition_list_offsets(&p, 123456790, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, -1);
}
END_TEST

START_TEST(list_offsets_on_an_empty_partition_finds_nothing)
{
	int64_t off, ts;
	ck_assert_int_eq(partition_list_offsets(&p, -2, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(partition_list_offsets(&p, -1, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(partition_list_offsets(&p, 5, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, -1);
	ck_assert_int_eq(ts, -1);
}
END_TEST

/* The codecs ListOffsets must look inside; 0 = uncompressed, the same
 * answers expected. */
static const int ts_hows[] = {0, TB_GZIP, TB_SNAPPY_RAW, TB_SNAPPY_XERIAL, TB_LZ4, TB_ZSTD};
#define N_TS_HOWS ((int)(sizeof(ts_hows) / sizeof(ts_hows[0])))
static const char *ts_how_names[] = {"none", "gzip", "snappy", "snappy-xerial", "lz4", "zstd"};

/* Produces one batch of recs, compressed the `how` way (0 = not). */
static int64_t produce_recs(int how, int64_t base_ts, const struct tb_rec *recs, int n)
{
	struct buf b;
	buf_init(&b);
	size_t at = tb_batch(&b, base_ts, recs, n);
	if (how != 0)
		tb_compress(&b, at, how);
	int64_t base = -1;
	ck_assert_int_eq(produce(&b, &base), KERR_NONE);
	buf_free(&b);
	return base;
}

static void assert_list(int how, int64_t asked, int64_t want_off, int64_t want_ts)
{
	int64_t off = -99, ts = -99;
	ck_assert_int_eq(partition_list_offsets(&p, asked, &off, &ts), KERR_NONE);
	ck_assert_msg(off == want_off && ts == want_ts,
		      "%s: timestamp %lld: got (%lld, %lld), want (%lld, %lld)", ts_how_names[how],
		      (long long)asked, (long long)off, (long long)ts, (long long)want_off,
		      (long long)want_ts);
}

START_TEST(list_offsets_by_timestamp_finds_the_record_inside_compressed_batches)
{
	int how = ts_hows[_i];
	/* Records out of timestamp order, and ties, inside each batch. */
	struct tb_rec a[] = {{.value = "a0", .ts_delta = 0},
			     {.value = "a1", .ts_delta = 30},
			     {.value = "a2", .ts_delta = 10},
			     {.value = "a3", .ts_delta = 30}};
	struct tb_rec b[] = {{.value = "b0", .ts_delta = 0},
			     {.value = "b1", .ts_delta = 20},
			     {.value = "b2", .ts_delta = 40},
			     {.value = "b3", .ts_delta = 40}};
	struct tb_rec c[] = {{.value = "c0", .ts_delta = 0}, {.value = "c1", .ts_delta = 540}};
	ck_assert_int_eq(produce_recs(how, 1000, a, 4), 0); /* 0..3: 1000 1030 1010 1030 */
	ck_assert_int_eq(produce_recs(how, 2000, b, 4), 4); /* 4..7: 2000 2020 2040 2040 */
	ck_assert_int_eq(produce_recs(how, 1500, c, 2), 8); /* 8..9: 1500 2040 */

	assert_list(_i, 0, 0, 1000);
	assert_list(_i, 1000, 0, 1000);
	assert_list(_i, 1001, 1, 1030); /* the first record >= it, not the closest */
	assert_list(_i, 1011, 1, 1030);
	assert_list(_i, 1030, 1, 1030); /* a tie: the first of the two */
	assert_list(_i, 1031, 4, 2000);
	assert_list(_i, 1500, 4, 2000); /* batch c's 1500 comes after batch b */
	assert_list(_i, 2001, 5, 2020);
	assert_list(_i, 2021, 6, 2040);
	assert_list(_i, 2040, 6, 2040);
	assert_list(_i, 2041, -1, -1);
	/* Max timestamp: the first batch with the largest maxTimestamp (b, not
	 * c, which ties it), its first record with that timestamp. */
	assert_list(_i, -3, 6, 2040);
}
END_TEST

START_TEST(list_offsets_max_timestamp_takes_the_first_record_of_the_largest)
{
	int how = ts_hows[_i];
	struct tb_rec a[] = {{.value = "a0", .ts_delta = 0},
			     {.value = "a1", .ts_delta = 70},
			     {.value = "a2", .ts_delta = 90},
			     {.value = "a3", .ts_delta = 20}};
	struct tb_rec b[] = {{.value = "b0", .ts_delta = 50}, {.value = "b1", .ts_delta = 0}};
	ck_assert_int_eq(produce_recs(how, 5000, a, 4), 0); /* 0..3: 5000 5070 5090 5020 */
	ck_assert_int_eq(produce_recs(how, 5000, b, 2), 4); /* 4..5: 5050 5000 */
	assert_list(_i, -3, 2, 5090);
	assert_list(_i, 5071, 2, 5090);
	assert_list(_i, 5021, 1, 5070);
	/* A later batch with a larger maxTimestamp, its maximum in the middle. */
	struct tb_rec c[] = {{.value = "c0", .ts_delta = 0},
			     {.value = "c1", .ts_delta = 9},
			     {.value = "c2", .ts_delta = 3}};
	ck_assert_int_eq(produce_recs(how, 6000, c, 3), 6); /* 6..8: 6000 6009 6003 */
	assert_list(_i, -3, 7, 6009);
	assert_list(_i, 6004, 7, 6009);
	assert_list(_i, 6001, 7, 6009);
}
END_TEST

START_TEST(list_offsets_on_a_compressed_log_append_time_batch_answers_its_first_record)
{
	struct buf b;
	buf_init(&b);
	size_t at = tb_simple_batch(&b, 3, 900000000, "v");
	tb_compress(&b, at, TB_ZSTD);
	int64_t base, next;
	ck_assert_int_eq(partition_validate(&p, b.data, b.len), KERR_NONE);
	partition_assign(&p, b.data, b.len, 1, &base, &next);
	partition_stamp_append_time(b.data, b.len, 123456789);
	struct store_entry e = {.index = store_last_index(s) + 1,
				.term = 1,
				.kind = STORE_KIND_DATA,
				.base_offset = base,
				.data = b.data,
				.len = b.len};
	ck_assert_int_eq(store_append(s, &e, 1), 0);
	partition_proposed(&p, b.data, b.len);
	ck_assert_int_eq(partition_apply_entry(&p, e.index, e.kind, b.data, b.len), 0);
	buf_free(&b);
	/* Every record's timestamp is the append time, so the first record
	 * answers both lookups; the records' own (CreateTime) are ignored. */
	assert_list(0, -3, 0, 123456789);
	assert_list(0, 1, 0, 123456789);
	assert_list(0, 123456789, 0, 123456789);
	assert_list(0, 123456790, -1, -1);
}
END_TEST

START_TEST(list_offsets_falls_back_to_the_base_offset_past_the_decoding_limit)
{
	char big[201];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct tb_rec a[] = {{.value = big, .ts_delta = 0},
			     {.value = big, .ts_delta = 5},
			     {.value = big, .ts_delta = 9},
			     {.value = big, .ts_delta = 1}};
	ck_assert_int_eq(produce_recs(TB_GZIP, 1000, a, 4), 0); /* 800 bytes decoded */
	assert_list(1, 1003, 1, 1005);
	/* max_message_bytes lowered after the batch was accepted: its
	 * payload now decodes past the bomb limit, so the batch's base
	 * offset and maxTimestamp answer rather than an error. */
	p.cfg.max_message_bytes = 1; /* a limit of 64 decoded bytes */
	assert_list(1, 1003, 0, 1009);
	assert_list(1, -3, 0, 1009);
}
END_TEST

/* Produces b and checks it is rejected with kerr and changes nothing. */
static void rejected(struct buf *b, int16_t kerr)
{
	int64_t next_before = p.next_offset;
	uint64_t last_before = store_last_index(s);
	int64_t base = -5, next = -5;
	ck_assert_int_eq(partition_produce(&p, b->data, b->len, 3, &base, &next), kerr);
	ck_assert_int_eq(base, -5);
	ck_assert_int_eq(p.next_offset, next_before);
	ck_assert_uint_eq(store_last_index(s), last_before);
}

START_TEST(bad_batches_are_rejected_with_the_kafka_error_and_not_stored)
{
	produce_n(1, 0, "ok");
	struct buf b;
	buf_init(&b);

	tb_simple_batch(&b, 2, 0, "crc");
	b.data[b.len - 1] ^= 1;
	rejected(&b, KERR_CORRUPT_MESSAGE);

	buf_reset(&b);
	tb_simple_batch(&b, 2, 0, "magic");
	b.data[RB_OFF_MAGIC] = 1;
	rejected(&b, KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);

	buf_reset(&b);
	tb_simple_batch(&b, 2, 0, "trunc");
	b.len -= 3;
	rejected(&b, KERR_CORRUPT_MESSAGE);

	buf_reset(&b);
	tb_simple_batch(&b, 3, 0, "delta");
	be32_store(b.data + RB_OFF_LAST_OFFSET_DELTA, 5);
	tb_fix_crc(b.data);
	rejected(&b, KERR_INVALID_RECORD);

	buf_reset(&b);
	tb_simple_batch(&b, 0, 0, "empty");
	rejected(&b, KERR_INVALID_RECORD);
	buf_reset(&b);
	rejected(&b, KERR_INVALID_RECORD);

	/* A good batch followed by a bad one: the whole request is refused
	 * and the good one is left untouched. */
	buf_reset(&b);
	tb_simple_batch(&b, 2, 0, "good");
	size_t second = b.len;
	tb_simple_batch(&b, 2, 0, "bad");
	b.data[second + RB_HEADER_LEN + 2] ^= 0x40;
	rejected(&b, KERR_CORRUPT_MESSAGE);
	ck_assert_int_eq(record_batch_base_offset(b.data), 0);
	ck_assert_int_eq(p.high_watermark, 1);
	buf_free(&b);
}
END_TEST

START_TEST(a_batch_over_max_message_bytes_is_too_large)
{
	store_close(s);
	cfg.max_message_bytes = 200;
	open_all();
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 2, 0, "small");
	ck_assert_uint_le(b.len, 200);
	int64_t base;
	ck_assert_int_eq(produce(&b, &base), KERR_NONE);
	buf_reset(&b);
	tb_simple_batch(&b, 20, 0, "a-rather-long-value-prefix");
	ck_assert_uint_gt(b.len, 200);
	rejected(&b, KERR_MESSAGE_TOO_LARGE);
	buf_free(&b);
}
END_TEST

START_TEST(compressed_batches_are_decoded_and_bad_ones_rejected_before_anything_is_stored)
{
	store_close(s);
	cfg.max_message_bytes = 16384; /* decoded: at most 1 MiB */
	open_all();
	struct buf b;
	buf_init(&b);
	int64_t base;
	/* Valid batches of every codec are taken, at consecutive offsets. */
	const int hows[] = {TB_GZIP, TB_SNAPPY_RAW, TB_SNAPPY_XERIAL, TB_LZ4, TB_ZSTD};
	for (int i = 0; i < 5; i++) {
		buf_reset(&b);
		tb_simple_batch(&b, 2, 0, "packed");
		tb_compress(&b, 0, hows[i]);
		ck_assert_int_eq(produce(&b, &base), KERR_NONE);
		ck_assert_int_eq(base, 2 * i);
	}
	/* Garbage and empty payloads under a valid CRC. */
	static const uint8_t junk[] = "\x1f\x8b this is not gzip, snappy, lz4 or zstd";
	for (int codec = 1; codec <= 4; codec++) {
		buf_reset(&b);
		tb_simple_batch(&b, 2, 0, "x");
		tb_set_payload(&b, 0, codec, junk, sizeof(junk));
		rejected(&b, KERR_CORRUPT_MESSAGE);
		buf_reset(&b);
		tb_simple_batch(&b, 2, 0, "x");
		tb_set_payload(&b, 0, codec, junk, 0);
		rejected(&b, KERR_CORRUPT_MESSAGE);
	}
	/* Offset deltas out of sequence inside a compressed batch. */
	buf_reset(&b);
	tb_simple_batch(&b, 2, 0, "dd");
	size_t second = b.len - 11; /* "dd-1": len, attr, ts, delta, key, vlen, 4, hdrs */
	ck_assert_int_eq(b.data[second + 3], 1 << 1);
	b.data[second + 3] = 3 << 1;
	tb_compress(&b, 0, TB_ZSTD);
	rejected(&b, KERR_INVALID_RECORD);
	/* A bomb: 2 MiB of one value, a few KB compressed. */
	char *big = calloc(1, 2u << 20);
	ck_assert_ptr_nonnull(big);
	memset(big, 'z', (2u << 20) - 1);
	struct tb_rec rec = {.value = big};
	buf_reset(&b);
	tb_batch(&b, 0, &rec, 1);
	tb_compress(&b, 0, TB_GZIP);
	ck_assert_uint_lt(b.len, 16384);
	rejected(&b, KERR_MESSAGE_TOO_LARGE);
	free(big);
	/* A good batch after all that follows the last good one. */
	buf_reset(&b);
	tb_simple_batch(&b, 1, 0, "after");
	tb_compress(&b, 0, TB_LZ4);
	ck_assert_int_eq(produce(&b, &base), KERR_NONE);
	ck_assert_int_eq(base, 10);
	buf_free(&b);
}
END_TEST

START_TEST(retention_by_time_deletes_old_entries_from_the_front)
{
	produce_n(3, 1000, "old"); /* 0..2, newest 1002 */
	produce_n(2, 5000, "mid"); /* 3..4, newest 5001 */
	produce_n(2, 9000, "new"); /* 5..6 */
	store_close(s);
	cfg.retention_ms = 1000;
	open_all();
	bool changed;
	ck_assert_int_eq(partition_retain(&p, 5500, &changed), 0);
	ck_assert(changed);
	ck_assert_int_eq(p.log_start_offset, 3);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(partition_fetch(&p, 2, 1 << 20, &out), KERR_OFFSET_OUT_OF_RANGE);
	ck_assert_int_eq(partition_fetch(&p, 3, 1 << 20, &out), KERR_NONE);
	int64_t bases[4];
	ck_assert_int_eq(batch_bases(&out, bases, 4), 2);
	ck_assert_int_eq(bases[0], 3);
	int64_t off, ts;
	ck_assert_int_eq(partition_list_offsets(&p, -2, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 3);
	ck_assert_int_eq(partition_retain(&p, 5500, &changed), 0);
	ck_assert(!changed);
	/* Everything expires: the log is empty, offsets go on. */
	ck_assert_int_eq(partition_retain(&p, 100000, &changed), 0);
	ck_assert(changed);
	ck_assert_int_eq(p.log_start_offset, 7);
	ck_assert_int_eq(p.high_watermark, 7);
	store_close(s);
	open_all();
	ck_assert_int_eq(p.log_start_offset, 7);
	ck_assert_int_eq(p.next_offset, 7);
	ck_assert_int_eq(produce_n(1, 0, "after"), 7);
	buf_free(&out);
}
END_TEST

START_TEST(retention_by_bytes_keeps_the_log_under_the_limit)
{
	for (int i = 0; i < 40; i++)
		produce_n(50, 0, "fill-the-log-with-some-bytes");
	uint64_t size;
	ck_assert_int_eq(store_size(s, &size), 0);
	store_close(s);
	cfg.retention_bytes = (int64_t)(size / 2);
	open_all();
	bool changed;
	ck_assert_int_eq(partition_retain(&p, 0, &changed), 0);
	ck_assert(changed);
	ck_assert_int_gt(p.log_start_offset, 0);
	ck_assert_int_lt(p.log_start_offset, 2000);
	ck_assert_int_eq(p.log_start_offset % 50, 0);
	uint64_t after;
	ck_assert_int_eq(store_size(s, &after), 0);
	ck_assert_uint_lt(after, size);
}
END_TEST

/* Appends records as the next entry (as a leader's proposal) and applies
 * it with partition_apply_entry, as the Raft driver does on commit. */
static void append_and_apply(struct partition *pp, struct store *st, struct buf *b)
{
	int64_t base, next;
	ck_assert_int_eq(partition_produce(pp, b->data, b->len, 3, &base, &next), KERR_NONE);
	struct store_entry e = {.index = store_last_index(st) + 1,
				.term = 3,
				.kind = STORE_KIND_DATA,
				.base_offset = base,
				.data = b->data,
				.len = b->len};
	ck_assert_int_eq(store_append(st, &e, 1), 0);
	ck_assert_int_eq(partition_apply_entry(pp, e.index, e.kind, b->data, b->len), 0);
	ck_assert_int_eq(pp->high_watermark, next);
}

START_TEST(the_log_checksum_covers_each_batch_with_its_offset)
{
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	ck_assert_uint_eq(p.log_checksum, 0);
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	tb_simple_batch(&a, 2, 100, "x");
	tb_simple_batch(&b, 2, 100, "x");
	append_and_apply(&p, s, &a); /* offsets 0..1 */
	uint64_t one = p.log_checksum;
	ck_assert_uint_ne(one, 0);
	ck_assert_uint_eq(one, partition_batch_hash(a.data, a.len));
	append_and_apply(&p, s, &b); /* the same records at 2..3 */
	ck_assert_uint_eq(p.log_checksum, one + partition_batch_hash(b.data, b.len));
	ck_assert_uint_ne(partition_batch_hash(a.data, a.len), partition_batch_hash(b.data, b.len));
	/* A no-op entry moves the commit index and nothing else. */
	uint64_t sum = p.log_checksum;
	struct store_entry noop = {.index = store_last_index(s) + 1,
				   .term = 3,
				   .kind = STORE_KIND_NOOP,
				   .base_offset = -1};
	ck_assert_int_eq(store_append(s, &noop, 1), 0);
	ck_assert_int_eq(partition_apply_entry(&p, noop.index, STORE_KIND_NOOP, NULL, 0), 0);
	ck_assert_uint_eq(p.commit_index, noop.index);
	ck_assert_uint_eq(p.log_checksum, sum);
	ck_assert_int_eq(p.high_watermark, 4);
	/* Garbage in a data entry is refused and counted as nothing. */
	ck_assert_int_eq(
	    partition_apply_entry(&p, noop.index + 1, STORE_KIND_DATA, (const uint8_t *)"junk", 4),
	    ERR_CORRUPT);
	ck_assert_uint_eq(p.log_checksum, sum);
	buf_free(&a);
	buf_free(&b);
}
END_TEST

START_TEST(recovery_resumes_from_the_saved_apply_state)
{
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 3; i++) {
		buf_reset(&b);
		tb_simple_batch(&b, 2, 100 + i, "r");
		append_and_apply(&p, s, &b);
	}
	/* Saved after the third entry, not after the fourth. */
	ck_assert_int_eq(partition_save(&p), 0);
	uint64_t idx2 = p.commit_index, at2 = p.log_checksum;
	buf_reset(&b);
	tb_simple_batch(&b, 1, 200, "unsaved");
	append_and_apply(&p, s, &b);
	uint64_t final_sum = p.log_checksum;
	store_close(s);
	struct store_options o = {.map_size = 64u << 20, .sync = false};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	/* Back at the save: the driver applies the last entry again. */
	ck_assert_uint_eq(p.commit_index, idx2);
	ck_assert_uint_eq(p.log_checksum, at2);
	ck_assert_int_eq(p.high_watermark, 6);
	ck_assert_int_eq(p.next_offset, 7);
	ck_assert_int_eq(partition_apply_entry(&p, idx2 + 1, STORE_KIND_DATA, b.data, b.len), 0);
	ck_assert_uint_eq(p.log_checksum, final_sum);
	ck_assert_int_eq(p.high_watermark, 7);
	/* A new leader's next offset comes from the log end. */
	p.next_offset = 0;
	ck_assert_int_eq(partition_reset_next(&p), 0);
	ck_assert_int_eq(p.next_offset, 7);
	buf_free(&b);
}
END_TEST

START_TEST(retention_carries_removed_batches_into_the_start_checksum_and_snapshot)
{
	store_close(s);
	cfg.retention_ms = 1000;
	open_all();
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 3, 1000, "old");
	append_and_apply(&p, s, &b);
	uint64_t old_sum = p.log_checksum;
	buf_reset(&b);
	tb_simple_batch(&b, 2, 9000, "new");
	append_and_apply(&p, s, &b);
	uint64_t total = p.log_checksum;
	bool changed;
	ck_assert_int_eq(partition_retain(&p, 5500, &changed), 0);
	ck_assert(changed);
	ck_assert_int_eq(p.log_start_offset, 3);
	ck_assert_uint_eq(p.start_checksum, old_sum);
	ck_assert_uint_eq(p.log_checksum, total);
	uint8_t snap[PARTITION_SNAPSHOT_LEN];
	partition_snapshot(&p, snap);
	ck_assert_int_eq((int64_t)be64_load(snap), 3);
	ck_assert_uint_eq(be64_load(snap + 8), old_sum);
	/* Reopened: the start checksum was saved with the compaction. */
	store_close(s);
	open_all();
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	ck_assert_uint_eq(p.start_checksum, old_sum);
	ck_assert_uint_eq(p.commit_index, 1); /* the log start: nothing else saved */
	ck_assert_uint_eq(p.log_checksum, old_sum);

	/* A follower behind that log start installs it. */
	char *dir2 = testdir_new("partition-follower");
	struct store *s2;
	struct store_options o = {.map_size = 64u << 20, .sync = false};
	ck_assert_int_eq(store_open(dir2, &o, &s2), 0);
	struct partition f;
	ck_assert_int_eq(partition_recover(&f, s2, &cfg), 0);
	ck_assert_int_eq(partition_restore_store(&f, 1, 3, snap, 15), ERR_INVALID);
	ck_assert_int_eq(store_txn_begin(s2), 0);
	ck_assert_int_eq(partition_restore_store(&f, 1, 3, snap, sizeof(snap)), 0);
	ck_assert_int_eq(store_txn_commit(s2), 0);
	partition_restore(&f, 1, snap, sizeof(snap));
	ck_assert_int_eq(f.log_start_offset, 3);
	ck_assert_int_eq(f.high_watermark, 3);
	ck_assert_uint_eq(f.log_checksum, old_sum);
	/* Then gets the remaining entry and ends where the leader is. */
	struct store_entry e = {.index = 2,
				.term = 3,
				.kind = STORE_KIND_DATA,
				.base_offset = 3,
				.data = b.data,
				.len = b.len};
	ck_assert_int_eq(store_append(s2, &e, 1), 0);
	ck_assert_int_eq(partition_apply_entry(&f, 2, STORE_KIND_DATA, b.data, b.len), 0);
	ck_assert_uint_eq(f.log_checksum, total);
	ck_assert_int_eq(f.high_watermark, 5);
	store_close(s2);
	ck_assert_int_eq(store_open(dir2, &o, &s2), 0);
	ck_assert_int_eq(partition_recover(&f, s2, &cfg), 0);
	ck_assert_int_eq(f.log_start_offset, 3);
	ck_assert_uint_eq(f.start_checksum, old_sum);
	store_close(s2);
	testdir_free(dir2);
	buf_free(&b);
}
END_TEST

/* Appends a delete command (as the leader proposes it) and applies it. */
static int apply_delete(int64_t offset)
{
	uint8_t cmd[PARTITION_CMD_DELETE_LEN];
	partition_delete_command(offset, cmd);
	struct store_entry e = {.index = store_last_index(s) + 1,
				.term = 3,
				.kind = STORE_KIND_COMMAND,
				.base_offset = -1,
				.data = cmd,
				.len = sizeof(cmd)};
	ck_assert_int_eq(store_append(s, &e, 1), 0);
	return partition_apply_entry(&p, e.index, STORE_KIND_COMMAND, cmd, sizeof(cmd));
}

START_TEST(delete_records_checks_its_offset_against_the_high_watermark)
{
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	produce_n(4, 100, "a"); /* 0..3 */
	int64_t off = -1;
	ck_assert_int_eq(partition_delete_check(&p, &off), KERR_NONE);
	ck_assert_int_eq(off, 4); /* -1 is the high watermark */
	off = 4;
	ck_assert_int_eq(partition_delete_check(&p, &off), KERR_NONE);
	off = 5;
	ck_assert_int_eq(partition_delete_check(&p, &off), KERR_OFFSET_OUT_OF_RANGE);
	off = -2;
	ck_assert_int_eq(partition_delete_check(&p, &off), KERR_OFFSET_OUT_OF_RANGE);
	off = 0;
	ck_assert_int_eq(partition_delete_check(&p, &off), KERR_NONE);
}
END_TEST

START_TEST(a_delete_command_moves_the_log_start_and_fetch_and_list_offsets_follow_it)
{
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	produce_n(2, 100, "a"); /* 0..1 */
	produce_n(2, 200, "b"); /* 2..3 */
	produce_n(2, 300, "c"); /* 4..5 */
	uint64_t first = store_first_index(s);
	/* Inside the second batch: the start is exactly 3. */
	ck_assert_int_eq(apply_delete(3), 0);
	ck_assert_int_eq(p.log_start_offset, 3);
	ck_assert_int_eq(p.high_watermark, 6);
	ck_assert(p.delete_pending);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(partition_fetch(&p, 2, 1 << 20, &out), KERR_OFFSET_OUT_OF_RANGE);
	ck_assert_int_eq(partition_fetch(&p, 3, 1 << 20, &out), KERR_NONE);
	int64_t bases[4];
	ck_assert_int_eq(batch_bases(&out, bases, 4), 2);
	ck_assert_int_eq(bases[0], 2); /* the batch holding 3; clients skip 2 */
	int64_t off, ts;
	ck_assert_int_eq(partition_list_offsets(&p, -2, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 3);
	/* By time: record 2 is gone, the start answers for it. */
	ck_assert_int_eq(partition_list_offsets(&p, 150, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 3);
	/* Retention's mechanism removes the batch wholly below 3, only it,
	 * and only once the delete is saved. */
	bool changed;
	ck_assert_int_eq(partition_retain(&p, 0, &changed), 0);
	ck_assert(!changed);
	ck_assert(p.delete_pending);
	ck_assert_int_eq(partition_save(&p), 0);
	ck_assert_int_eq(partition_retain(&p, 0, &changed), 0);
	ck_assert(changed);
	ck_assert(!p.delete_pending);
	ck_assert_uint_eq(store_first_index(s), first + 1);
	ck_assert_int_eq(p.log_start_offset, 3);
	ck_assert_int_eq(partition_retain(&p, 0, &changed), 0);
	ck_assert(!changed);
	buf_reset(&out);
	ck_assert_int_eq(partition_fetch(&p, 3, 1 << 20, &out), KERR_NONE);
	ck_assert_int_eq(batch_bases(&out, bases, 4), 2);
	ck_assert_int_eq(bases[0], 2);
	/* An older (lower) delete changes nothing; one past the high
	 * watermark stops at it. */
	ck_assert_int_eq(apply_delete(1), 0);
	ck_assert_int_eq(p.log_start_offset, 3);
	ck_assert_int_eq(apply_delete(99), 0);
	ck_assert_int_eq(p.log_start_offset, 6);
	ck_assert_int_eq(partition_save(&p), 0);
	ck_assert_int_eq(partition_retain(&p, 0, &changed), 0);
	ck_assert(changed);
	ck_assert_int_eq(p.log_start_offset, 6);
	ck_assert_int_eq(partition_fetch(&p, 5, 1 << 20, &out), KERR_OFFSET_OUT_OF_RANGE);
	/* Offsets go on after it. */
	ck_assert_int_eq(produce_n(1, 400, "d"), 6);
	buf_free(&out);
}
END_TEST

START_TEST(the_log_start_of_a_delete_survives_a_restart)
{
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	produce_n(2, 100, "a"); /* 0..1 */
	produce_n(2, 200, "b"); /* 2..3 */
	ck_assert_int_eq(apply_delete(3), 0);
	ck_assert_int_eq(partition_save(&p), 0);
	store_close(s);
	struct store_options o = {.map_size = 64u << 20, .sync = false};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	ck_assert_int_eq(p.log_start_offset, 3);
	ck_assert_int_eq(p.deleted_below, 3);
	ck_assert(p.delete_pending); /* the batch below 3 is still stored */
	bool changed;
	ck_assert_int_eq(partition_retain(&p, 0, &changed), 0);
	ck_assert(changed);
	ck_assert_int_eq(p.log_start_offset, 3);
	/* And after the compaction too. */
	store_close(s);
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	ck_assert_int_eq(p.log_start_offset, 3);
	int64_t off, ts;
	ck_assert_int_eq(partition_list_offsets(&p, -2, &off, &ts), KERR_NONE);
	ck_assert_int_eq(off, 3);
}
END_TEST

START_TEST(a_malformed_command_is_refused_and_changes_nothing_but_the_commit_index)
{
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	produce_n(2, 100, "a");
	uint8_t bad[PARTITION_CMD_DELETE_LEN] = {9, 0, 0, 0, 0, 0, 0, 0, 1};
	ck_assert_int_eq(partition_apply_entry(&p, 9, STORE_KIND_COMMAND, bad, sizeof(bad)),
			 ERR_CORRUPT);
	ck_assert_int_eq(partition_apply_entry(&p, 10, STORE_KIND_COMMAND, bad, 3), ERR_CORRUPT);
	ck_assert_uint_eq(p.commit_index, 10);
	ck_assert_int_eq(p.log_start_offset, 0);
	ck_assert_int_eq(p.deleted_below, 0);
}
END_TEST

static Suite *partition_suite(void)
{
	Suite *su = suite_create("partition");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, produced_batches_get_consecutive_offsets_and_read_back_whole);
	tcase_add_test(tc, several_batches_in_one_request_are_one_entry_with_consecutive_offsets);
	tcase_add_test(tc, a_fetch_inside_a_batch_starts_at_the_batch_containing_it);
	tcase_add_test(tc, offsets_at_or_beyond_the_high_watermark_and_below_the_start_are_handled);
	tcase_add_test(tc, max_bytes_limits_whole_batches_but_always_returns_the_first);
	tcase_add_test(tc, uncommitted_entries_are_invisible_until_applied);
	tcase_add_test(tc, offsets_are_reserved_only_when_the_entry_is_proposed);
	tcase_add_test(tc, offsets_continue_after_reopening_the_store);
	tcase_add_test(tc, reopening_with_a_lower_commit_index_hides_the_uncommitted_tail);
	tcase_add_test(tc, list_offsets_answers_earliest_latest_and_by_timestamp);
	tcase_add_test(tc, list_offsets_on_an_empty_partition_finds_nothing);
	tcase_add_loop_test(
	    tc, list_offsets_by_timestamp_finds_the_record_inside_compressed_batches, 0, N_TS_HOWS);
	tcase_add_loop_test(tc, list_offsets_max_timestamp_takes_the_first_record_of_the_largest, 0,
			    N_TS_HOWS);
	tcase_add_test(tc,
		       list_offsets_on_a_compressed_log_append_time_batch_answers_its_first_record);
	tcase_add_test(tc, list_offsets_falls_back_to_the_base_offset_past_the_decoding_limit);
	tcase_add_test(tc, epoch_end_follows_the_terms_of_the_log_as_kafka_does);
	tcase_add_test(tc, epoch_end_on_an_empty_log_is_the_log_end_for_the_current_epoch);
	tcase_add_test(tc, log_append_time_stamps_the_batch_and_keeps_its_crc_valid);
	tcase_add_test(tc, bad_batches_are_rejected_with_the_kafka_error_and_not_stored);
	tcase_add_test(tc, a_batch_over_max_message_bytes_is_too_large);
	tcase_add_test(
	    tc, compressed_batches_are_decoded_and_bad_ones_rejected_before_anything_is_stored);
	tcase_add_test(tc, retention_by_time_deletes_old_entries_from_the_front);
	tcase_add_test(tc, retention_by_bytes_keeps_the_log_under_the_limit);
	tcase_add_test(tc, the_log_checksum_covers_each_batch_with_its_offset);
	tcase_add_test(tc, recovery_resumes_from_the_saved_apply_state);
	tcase_add_test(tc, retention_carries_removed_batches_into_the_start_checksum_and_snapshot);
	tcase_add_test(tc, delete_records_checks_its_offset_against_the_high_watermark);
	tcase_add_test(tc,
		       a_delete_command_moves_the_log_start_and_fetch_and_list_offsets_follow_it);
	tcase_add_test(tc, the_log_start_of_a_delete_survives_a_restart);
	tcase_add_test(tc, a_malformed_command_is_refused_and_changes_nothing_but_the_commit_index);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(partition_suite)
