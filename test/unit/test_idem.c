/* test_idem.c - a replica's producer state over a real store: rebuilt from
 * the committed log at start (bounded), the leader's view with the
 * uncommitted tail, fed by applied entries, forgotten when a leader's log
 * start is installed, and the checks of multi-batch requests. */
#include <check.h>
#include <string.h>

#include "batch_builder.h"
#include "check_main.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/kafka/kerr.h"
#include "common/record_batch.h"
#include "testdir.h"
#include "worker/idem.h"
#include "worker/partition.h"
#include "worker/store.h"

static char *dir;
static struct store *s;
static struct partition p;
static struct idem x;
static const struct partition_config cfg = {
    .max_message_bytes = 0, .retention_ms = -1, .retention_bytes = -1};

static void setup(void)
{
	dir = testdir_new("idem");
	ck_assert_ptr_nonnull(dir);
	struct store_options o = {.map_size = 64u << 20, .sync = false};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
	ck_assert_int_eq(partition_recover(&p, s, &cfg), 0);
	idem_init(&x, 0, 0);
	p.producers = &x.applied;
}

static void teardown(void)
{
	idem_close(&x);
	store_close(s);
	testdir_free(dir);
}

/* Appends to out one batch of n records from producer id/epoch starting at
 * sequence seq (offsets not assigned). */
static void idem_batch(struct buf *out, int64_t id, int16_t epoch, int32_t seq, int n)
{
	size_t at = tb_simple_batch(out, n, 1700000000000, "r");
	uint8_t *b = out->data + at;
	be64_store(b + RB_OFF_PRODUCER_ID, (uint64_t)id);
	be16_store(b + RB_OFF_PRODUCER_EPOCH, (uint16_t)epoch);
	be32_store(b + RB_OFF_BASE_SEQUENCE, (uint32_t)seq);
	tb_fix_crc(b);
}

/* Assigns offsets to records and stores them as the next log entry, the
 * way a leader proposes; returns its index. */
static uint64_t append(struct buf *records, int64_t *base)
{
	int64_t next;
	ck_assert_int_eq(partition_produce(&p, records->data, records->len, 1, base, &next),
			 KERR_NONE);
	struct store_entry e = {.index = store_last_index(s) + 1,
				.term = 1,
				.kind = STORE_KIND_DATA,
				.base_offset = *base,
				.data = records->data,
				.len = records->len};
	ck_assert_int_eq(store_append(s, &e, 1), 0);
	partition_proposed(&p, records->data, records->len);
	return e.index;
}

/* Applies entries up to index (committing them), as the Raft driver does. */
static void commit_to(uint64_t index)
{
	for (uint64_t i = p.commit_index + 1; i <= index; i++) {
		struct arena a;
		arena_init(&a);
		struct store_entry *e;
		size_t n;
		ck_assert_int_eq(store_entries(s, i, i + 1, 1u << 20, &a, &e, &n), 0);
		ck_assert_int_eq(partition_apply_entry(&p, i, e[0].kind, e[0].data, e[0].len), 0);
		arena_free(&a);
	}
}

/* Produces one batch as a new entry; returns its base offset. */
static int64_t produce(int64_t id, int16_t epoch, int32_t seq, int n, uint64_t *index)
{
	struct buf b;
	buf_init(&b);
	idem_batch(&b, id, epoch, seq, n);
	int64_t base;
	uint64_t i = append(&b, &base);
	if (index)
		*index = i;
	buf_free(&b);
	return base;
}

static int16_t check(int64_t id, int16_t epoch, int32_t seq, int n, struct idem_verdict *v)
{
	struct buf b;
	buf_init(&b);
	idem_batch(&b, id, epoch, seq, n);
	int16_t k = idem_check(&x, b.data, b.len, v);
	buf_free(&b);
	return k;
}

START_TEST(applied_entries_feed_the_committed_table_and_start_rebuilds_it)
{
	produce(11, 0, 0, 3, NULL);
	produce(11, 0, 3, 2, NULL);
	int64_t b3 = produce(12, 4, 0, 1, NULL);
	commit_to(store_last_index(s));
	int16_t epoch;
	struct producers_batch last;
	ck_assert_int_eq(producers_find(&x.applied, 11, &epoch, &last), 1);
	ck_assert_int_eq(last.first_seq, 3);
	ck_assert_int_eq(last.last_seq, 4);
	ck_assert_int_eq(last.base_offset, 3);

	/* A restart: a fresh table rebuilt from the log alone. */
	struct idem y;
	idem_init(&y, 0, 0);
	ck_assert_int_eq(idem_load(&y, s, p.commit_index), 0);
	ck_assert_uint_eq(producers_count(&y.applied), 2);
	ck_assert_int_eq(producers_find(&y.applied, 11, &epoch, &last), 1);
	ck_assert_int_eq(last.base_offset, 3);
	ck_assert_int_eq(last.last_offset, 4);
	ck_assert_int_eq(producers_find(&y.applied, 12, &epoch, &last), 1);
	ck_assert_int_eq(epoch, 4);
	ck_assert_int_eq(last.base_offset, b3);
	idem_close(&y);
}
END_TEST

START_TEST(the_start_scan_reads_only_the_last_entries)
{
	produce(21, 0, 0, 1, NULL); /* entry 1: beyond the scan */
	produce(22, 0, 0, 1, NULL);
	produce(23, 0, 0, 1, NULL);
	commit_to(store_last_index(s));
	struct idem y;
	idem_init(&y, 0, 2);
	ck_assert_int_eq(idem_load(&y, s, p.commit_index), 0);
	int16_t e;
	ck_assert_int_eq(producers_find(&y.applied, 21, &e, NULL), 0);
	ck_assert_int_eq(producers_find(&y.applied, 22, &e, NULL), 1);
	ck_assert_int_eq(producers_find(&y.applied, 23, &e, NULL), 1);
	idem_close(&y);
}
END_TEST

START_TEST(a_new_leader_sees_the_uncommitted_tail_as_duplicates)
{
	produce(31, 0, 0, 5, NULL);
	commit_to(store_last_index(s));
	uint64_t idx;
	int64_t tail = produce(31, 0, 5, 5, &idx); /* not committed */
	ck_assert_uint_gt(idx, p.commit_index);
	/* The committed table does not know it yet. */
	struct idem_verdict v;
	ck_assert_int_eq(idem_lead(&x, s, p.commit_index, 7), 0);
	ck_assert(idem_leading(&x, 7));
	ck_assert(!idem_leading(&x, 8));
	ck_assert_int_eq(check(31, 0, 5, 5, &v), KERR_NONE);
	ck_assert(v.duplicate);
	ck_assert_int_eq(v.base_offset, tail);
	ck_assert_uint_eq(v.index, idx);
	ck_assert_int_eq(check(31, 0, 10, 1, &v), KERR_NONE);
	ck_assert(!v.duplicate);
	ck_assert_int_eq(check(31, 0, 12, 1, &v), KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	/* Leadership lost: the leader table is not used any more. */
	idem_drop_leader(&x);
	ck_assert(!idem_leading(&x, 7));
}
END_TEST

START_TEST(a_leader_records_its_proposals_before_they_commit)
{
	ck_assert_int_eq(idem_lead(&x, s, p.commit_index, 2), 0);
	struct idem_verdict v;
	ck_assert_int_eq(check(41, 0, 0, 4, &v), KERR_NONE);
	ck_assert(!v.duplicate);
	struct buf b;
	buf_init(&b);
	idem_batch(&b, 41, 0, 0, 4);
	int64_t base;
	uint64_t idx = append(&b, &base);
	ck_assert_int_eq(idem_record(&x, b.data, b.len, idx), 0);
	buf_free(&b);
	ck_assert_int_eq(check(41, 0, 0, 4, &v), KERR_NONE);
	ck_assert(v.duplicate);
	ck_assert_int_eq(v.base_offset, base);
	ck_assert_int_eq(check(41, 0, 4, 1, &v), KERR_NONE);
	ck_assert(!v.duplicate);
	ck_assert_int_eq(check(41, 0, 3, 1, &v), KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	ck_assert_int_eq(check(41, 1, 3, 1, &v), KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	/* A bumped epoch from sequence 0 starts over. */
	ck_assert_int_eq(check(41, 1, 0, 1, &v), KERR_NONE);
}
END_TEST

START_TEST(batches_of_one_request_must_follow_each_other)
{
	ck_assert_int_eq(idem_lead(&x, s, p.commit_index, 2), 0);
	struct idem_verdict v;
	struct buf b;
	buf_init(&b);
	idem_batch(&b, 51, 0, 0, 2);
	idem_batch(&b, 51, 0, 2, 3);
	idem_batch(&b, 52, 0, 9, 1); /* another, unknown producer */
	ck_assert_int_eq(idem_check(&x, b.data, b.len, &v), KERR_NONE);
	ck_assert(!v.duplicate);
	buf_reset(&b);
	idem_batch(&b, 51, 0, 0, 2);
	idem_batch(&b, 51, 0, 3, 3); /* a gap inside the request */
	ck_assert_int_eq(idem_check(&x, b.data, b.len, &v), KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	buf_reset(&b);
	idem_batch(&b, 51, 0, 0, 2);
	idem_batch(&b, 51, 0, 0, 2); /* the same batch twice */
	ck_assert_int_eq(idem_check(&x, b.data, b.len, &v), KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	buf_free(&b);
}
END_TEST

START_TEST(batches_without_a_producer_id_are_not_checked_or_recorded)
{
	ck_assert_int_eq(idem_lead(&x, s, p.commit_index, 2), 0);
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 3, 1700000000000, "plain");
	struct idem_verdict v;
	ck_assert_int_eq(idem_check(&x, b.data, b.len, &v), KERR_NONE);
	ck_assert(!v.duplicate);
	int64_t base;
	uint64_t idx = append(&b, &base);
	ck_assert_int_eq(idem_record(&x, b.data, b.len, idx), 0);
	ck_assert_uint_eq(producers_count(&x.leader), 0);
	/* The same bytes again are no duplicate: at-least-once, as before. */
	ck_assert_int_eq(idem_check(&x, b.data, b.len, &v), KERR_NONE);
	ck_assert(!v.duplicate);
	commit_to(idx);
	ck_assert_uint_eq(producers_count(&x.applied), 0);
	buf_free(&b);
}
END_TEST

START_TEST(a_snapshot_restores_producers_beyond_the_start_scan)
{
	produce(71, 0, 0, 1, NULL); /* entry 1: only the snapshot keeps it */
	produce(72, 0, 0, 1, NULL);
	commit_to(store_last_index(s));
	ck_assert_int_eq(idem_snapshot(&x, s, p.commit_index), 0);
	produce(71, 0, 1, 2, NULL); /* entry 3: after the snapshot, replayed */
	produce(73, 0, 0, 1, NULL);
	commit_to(store_last_index(s));
	/* A restart that scans one entry at most: without the snapshot it
	 * would forget 71's first batch and 72 altogether. */
	struct idem y;
	idem_init(&y, 0, 1);
	ck_assert_int_eq(idem_load(&y, s, p.commit_index), 0);
	ck_assert_uint_eq(producers_count(&y.applied), 3);
	int16_t e;
	struct producers_batch last;
	ck_assert_int_eq(producers_find(&y.applied, 71, &e, &last), 1);
	ck_assert_int_eq(last.first_seq, 1);
	ck_assert_int_eq(last.last_seq, 2);
	ck_assert_int_eq(producers_find(&y.applied, 72, &e, NULL), 1);
	ck_assert_int_eq(producers_find(&y.applied, 73, &e, NULL), 1);
	/* 71's first batch is still a duplicate after the restart. */
	ck_assert_int_eq(idem_lead(&y, s, p.commit_index, 2), 0);
	struct buf b;
	buf_init(&b);
	idem_batch(&b, 71, 0, 0, 1);
	struct idem_verdict v;
	ck_assert_int_eq(idem_check(&y, b.data, b.len, &v), KERR_NONE);
	ck_assert(v.duplicate);
	ck_assert_int_eq(v.base_offset, 0);
	buf_free(&b);
	idem_close(&y);
}
END_TEST

START_TEST(a_snapshot_the_log_no_longer_follows_is_ignored_and_a_bad_one_scanned_around)
{
	produce(81, 0, 0, 1, NULL);
	produce(82, 0, 0, 1, NULL);
	commit_to(store_last_index(s));
	/* Taken "later" than what the log was applied to: not usable. */
	ck_assert_int_eq(idem_snapshot(&x, s, p.commit_index + 5), 0);
	struct idem y;
	idem_init(&y, 0, 1);
	ck_assert_int_eq(idem_load(&y, s, p.commit_index), 0);
	int16_t e;
	ck_assert_int_eq(producers_find(&y.applied, 81, &e, NULL), 0); /* scanned: one entry */
	ck_assert_int_eq(producers_find(&y.applied, 82, &e, NULL), 1);
	/* Garbage: scanned around, not fatal. */
	ck_assert_int_eq(store_put_snapshot(s, IDEM_SNAPSHOT, "\0\0\0\0\0\0\0\1\7xyz", 12), 0);
	ck_assert_int_eq(idem_load(&y, s, p.commit_index), 0);
	ck_assert_uint_eq(producers_count(&y.applied), 1);
	idem_close(&y);
}
END_TEST

START_TEST(installing_a_leaders_log_start_forgets_the_producers)
{
	produce(61, 0, 0, 1, NULL);
	commit_to(store_last_index(s));
	ck_assert_uint_eq(producers_count(&x.applied), 1);
	uint8_t snap[PARTITION_SNAPSHOT_LEN] = {0};
	be64_store(snap, 100);
	ck_assert_int_eq(partition_restore_store(&p, 50, 3, snap, sizeof(snap)), 0);
	partition_restore(&p, 50, snap, sizeof(snap));
	ck_assert_uint_eq(producers_count(&x.applied), 0);
	/* Unknown again: any sequence is accepted. */
	ck_assert_int_eq(idem_lead(&x, s, p.commit_index, 4), 0);
	struct idem_verdict v;
	ck_assert_int_eq(check(61, 0, 7, 1, &v), KERR_NONE);
	ck_assert(!v.duplicate);
}
END_TEST

Suite *idem_suite(void)
{
	Suite *su = suite_create("idem");
	TCase *tc = tcase_create("log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, applied_entries_feed_the_committed_table_and_start_rebuilds_it);
	tcase_add_test(tc, the_start_scan_reads_only_the_last_entries);
	tcase_add_test(tc, a_new_leader_sees_the_uncommitted_tail_as_duplicates);
	tcase_add_test(tc, a_leader_records_its_proposals_before_they_commit);
	tcase_add_test(tc, batches_of_one_request_must_follow_each_other);
	tcase_add_test(tc, batches_without_a_producer_id_are_not_checked_or_recorded);
	tcase_add_test(tc, installing_a_leaders_log_start_forgets_the_producers);
	tcase_add_test(tc, a_snapshot_restores_producers_beyond_the_start_scan);
	tcase_add_test(
	    tc, a_snapshot_the_log_no_longer_follows_is_ignored_and_a_bad_one_scanned_around);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(idem_suite)
