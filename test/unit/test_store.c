/* test_store.c - the LMDB store: appends, truncation, batches, reads,
 * compaction, meta, reopen, a full map, and the exclusive lock. */
#include <check.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "testdir.h"
#include "worker/store.h"

static char *dir;
static struct store *s;

static void setup(void)
{
	dir = testdir_new("store");
	ck_assert_ptr_nonnull(dir);
	struct store_options o = {.map_size = 64u << 20, .sync = true};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
}

static void teardown(void)
{
	store_close(s);
	s = NULL;
	testdir_free(dir);
	dir = NULL;
}

static void reopen(void)
{
	store_close(s);
	struct store_options o = {.map_size = 64u << 20, .sync = true};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
}

/* Payload of entry i in term t: "e<i>t<t>" padded to len bytes. */
static struct store_entry mk(uint64_t index, uint64_t term, int64_t base, char *buf, size_t len)
{
	memset(buf, '.', len);
	int n =
	    snprintf(buf, len, "e%llut%llu", (unsigned long long)index, (unsigned long long)term);
	if (n > 0 && (size_t)n < len)
		buf[n] = '.';
	return (struct store_entry){.index = index,
				    .term = term,
				    .kind = STORE_KIND_DATA,
				    .base_offset = base,
				    .data = (uint8_t *)buf,
				    .len = len};
}

/* Appends entries lo..hi (inclusive) of term t, base offset 10 * index. */
static int append_range(uint64_t lo, uint64_t hi, uint64_t t)
{
	char bufs[64][32];
	struct store_entry e[64];
	ck_assert_uint_le(hi - lo + 1, 64);
	for (uint64_t i = lo; i <= hi; i++)
		e[i - lo] = mk(i, t, (int64_t)(10 * i), bufs[i - lo], sizeof(bufs[0]));
	return store_append(s, e, hi - lo + 1);
}

static uint64_t term_of(uint64_t index)
{
	uint64_t t = 99;
	ck_assert_int_eq(store_term(s, index, &t), 0);
	return t;
}

/* Checks that entry index holds the payload mk() makes for term t. */
static void check_entry(uint64_t index, uint64_t t)
{
	struct arena a;
	arena_init(&a);
	struct store_entry *e;
	size_t n;
	ck_assert_int_eq(store_entries(s, index, index + 1, 1 << 20, &a, &e, &n), 0);
	ck_assert_uint_eq(n, 1);
	char want[32];
	struct store_entry w = mk(index, t, -1, want, sizeof(want));
	ck_assert_uint_eq(e[0].index, index);
	ck_assert_uint_eq(e[0].term, t);
	ck_assert_uint_eq(e[0].kind, STORE_KIND_DATA);
	ck_assert_uint_eq(e[0].len, w.len);
	ck_assert_mem_eq(e[0].data, w.data, w.len);
	arena_free(&a);
}

START_TEST(a_fresh_store_is_empty_with_a_zero_log_start)
{
	ck_assert_uint_eq(store_first_index(s), 1);
	ck_assert_uint_eq(store_last_index(s), 0);
	ck_assert_uint_eq(term_of(0), 0);
	uint64_t t;
	ck_assert_int_eq(store_term(s, 1, &t), ERR_UNAVAILABLE);
	struct store_hard_state hs;
	store_hard_state(s, &hs);
	ck_assert_uint_eq(hs.term, 0);
	ck_assert_uint_eq(hs.vote, 0);
	struct store_log_start ls;
	store_log_start(s, &ls);
	ck_assert_uint_eq(ls.index, 0);
	ck_assert_int_eq(ls.kafka_offset, 0);
	int64_t base;
	uint64_t idx;
	ck_assert_int_eq(store_offset_floor(s, 0, &base, &idx), ERR_NOTFOUND);
	ck_assert_int_eq(store_offset_last(s, UINT64_MAX, &base, &idx), ERR_NOTFOUND);
}
END_TEST

START_TEST(appended_entries_read_back_with_terms_payloads_and_offsets)
{
	ck_assert_int_eq(store_txn_begin(s), 0);
	ck_assert_int_eq(append_range(1, 3, 1), 0);
	ck_assert_int_eq(append_range(4, 5, 2), 0);
	ck_assert_int_eq(store_txn_commit(s), 0);
	ck_assert_uint_eq(store_last_index(s), 5);
	ck_assert_uint_eq(term_of(3), 1);
	ck_assert_uint_eq(term_of(4), 2);
	for (uint64_t i = 1; i <= 5; i++)
		check_entry(i, i <= 3 ? 1 : 2);

	int64_t base;
	uint64_t idx;
	ck_assert_int_eq(store_offset_floor(s, 30, &base, &idx), 0);
	ck_assert_int_eq(base, 30);
	ck_assert_uint_eq(idx, 3);
	ck_assert_int_eq(store_offset_floor(s, 39, &base, &idx), 0);
	ck_assert_int_eq(base, 30);
	ck_assert_uint_eq(idx, 3);
	ck_assert_int_eq(store_offset_floor(s, 1000, &base, &idx), 0);
	ck_assert_int_eq(base, 50);
	ck_assert_uint_eq(idx, 5);
	ck_assert_int_eq(store_offset_floor(s, 9, &base, &idx), ERR_NOTFOUND);
	ck_assert_int_eq(store_offset_last(s, UINT64_MAX, &base, &idx), 0);
	ck_assert_uint_eq(idx, 5);
	ck_assert_int_eq(store_offset_last(s, 3, &base, &idx), 0);
	ck_assert_int_eq(base, 30);
	ck_assert_uint_eq(idx, 3);
}
END_TEST

START_TEST(everything_survives_a_reopen)
{
	ck_assert_int_eq(store_txn_begin(s), 0);
	ck_assert_int_eq(append_range(1, 4, 3), 0);
	struct store_hard_state hs = {.term = 3, .vote = 7, .commit = 3};
	ck_assert_int_eq(store_set_hard_state(s, &hs), 0);
	ck_assert_int_eq(store_set_applied(s, 2), 0);
	ck_assert_int_eq(store_put_snapshot(s, "catalog", "abc", 3), 0);
	ck_assert_int_eq(store_txn_commit(s), 0);
	reopen();
	ck_assert_uint_eq(store_last_index(s), 4);
	for (uint64_t i = 1; i <= 4; i++)
		check_entry(i, 3);
	store_hard_state(s, &hs);
	ck_assert_uint_eq(hs.term, 3);
	ck_assert_uint_eq(hs.vote, 7);
	ck_assert_uint_eq(hs.commit, 3);
	ck_assert_uint_eq(store_applied(s), 2);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(store_get_snapshot(s, "catalog", &b), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.data, "abc", 3);
	ck_assert_int_eq(store_get_snapshot(s, "groups", &b), ERR_NOTFOUND);
	ck_assert_int_eq(store_get_snapshot(s, "", &b), ERR_INVALID);
	buf_free(&b);
	int64_t base;
	uint64_t idx;
	ck_assert_int_eq(store_offset_floor(s, 25, &base, &idx), 0);
	ck_assert_uint_eq(idx, 2);
}
END_TEST

START_TEST(a_conflicting_suffix_is_replaced_with_its_offsets_rows)
{
	ck_assert_int_eq(append_range(1, 6, 1), 0);
	/* A new leader of term 2 overwrites from index 4 on. */
	char b1[32], b2[32];
	struct store_entry e[2] = {mk(4, 2, 400, b1, sizeof(b1)), mk(5, 2, 500, b2, sizeof(b2))};
	ck_assert_int_eq(store_append(s, e, 2), 0);
	ck_assert_uint_eq(store_last_index(s), 5);
	check_entry(3, 1);
	check_entry(4, 2);
	check_entry(5, 2);
	uint64_t t;
	ck_assert_int_eq(store_term(s, 6, &t), ERR_UNAVAILABLE);
	int64_t base;
	uint64_t idx;
	/* Old rows 40, 50, 60 are gone; 30 and the new 400, 500 remain. */
	ck_assert_int_eq(store_offset_floor(s, 45, &base, &idx), 0);
	ck_assert_int_eq(base, 30);
	ck_assert_uint_eq(idx, 3);
	ck_assert_int_eq(store_offset_floor(s, 450, &base, &idx), 0);
	ck_assert_int_eq(base, 400);
	ck_assert_uint_eq(idx, 4);
	ck_assert_int_eq(store_offset_last(s, UINT64_MAX, &base, &idx), 0);
	ck_assert_int_eq(base, 500);
	ck_assert_uint_eq(idx, 5);
	reopen();
	ck_assert_uint_eq(store_last_index(s), 5);
	check_entry(5, 2);
}
END_TEST

START_TEST(a_stale_append_of_matching_entries_keeps_the_longer_log)
{
	ck_assert_int_eq(append_range(1, 5, 1), 0);
	/* A delayed duplicate of entries 2..3: same terms, nothing to cut. */
	ck_assert_int_eq(append_range(2, 3, 1), 0);
	ck_assert_uint_eq(store_last_index(s), 5);
	check_entry(5, 1);
	/* Matching prefix then new entries: only the tail is added. */
	ck_assert_int_eq(append_range(4, 8, 1), 0);
	ck_assert_uint_eq(store_last_index(s), 8);
	check_entry(8, 1);
}
END_TEST

START_TEST(a_failed_call_poisons_the_batch_and_stores_nothing)
{
	ck_assert_int_eq(append_range(1, 2, 1), 0);
	ck_assert_int_eq(store_txn_begin(s), 0);
	ck_assert_int_eq(store_txn_begin(s), ERR_INVALID);
	ck_assert_int_eq(append_range(3, 4, 1), 0);
	ck_assert_uint_eq(store_last_index(s), 4);	      /* reads see the batch */
	ck_assert_int_eq(append_range(9, 9, 1), ERR_INVALID); /* gap */
	struct store_hard_state hs = {.term = 5, .vote = 1};
	ck_assert_int_eq(store_set_hard_state(s, &hs), ERR_INVALID);
	ck_assert_int_eq(append_range(5, 5, 1), ERR_INVALID);
	ck_assert_int_eq(store_txn_commit(s), ERR_INVALID);
	ck_assert(!store_in_txn(s));
	ck_assert_uint_eq(store_last_index(s), 2);
	store_hard_state(s, &hs);
	ck_assert_uint_eq(hs.term, 0);
	/* The store goes on normally. */
	ck_assert_int_eq(append_range(3, 3, 1), 0);
	reopen();
	ck_assert_uint_eq(store_last_index(s), 3);
}
END_TEST

START_TEST(base_offsets_that_do_not_increase_are_rejected)
{
	char b1[32], b2[32];
	struct store_entry e[2] = {mk(1, 1, 100, b1, sizeof(b1)), mk(2, 1, 100, b2, sizeof(b2))};
	ck_assert_int_eq(store_append(s, e, 2), ERR_INVALID);
	ck_assert_uint_eq(store_last_index(s), 0);
	e[1].index = 3;
	e[1].base_offset = 200;
	ck_assert_int_eq(store_append(s, e, 2), ERR_INVALID); /* not consecutive */
	ck_assert_int_eq(store_append(s, e, 0), ERR_INVALID);
}
END_TEST

START_TEST(an_aborted_batch_leaves_no_trace)
{
	ck_assert_int_eq(append_range(1, 2, 1), 0);
	ck_assert_int_eq(store_txn_begin(s), 0);
	ck_assert_int_eq(append_range(3, 5, 2), 0);
	struct store_hard_state hs = {.term = 2, .vote = 2};
	ck_assert_int_eq(store_set_hard_state(s, &hs), 0);
	ck_assert_uint_eq(term_of(5), 2);
	store_txn_abort(s);
	ck_assert_uint_eq(store_last_index(s), 2);
	store_hard_state(s, &hs);
	ck_assert_uint_eq(hs.term, 0);
	int64_t base;
	uint64_t idx;
	ck_assert_int_eq(store_offset_last(s, UINT64_MAX, &base, &idx), 0);
	ck_assert_uint_eq(idx, 2);
	reopen();
	ck_assert_uint_eq(store_last_index(s), 2);
}
END_TEST

START_TEST(entries_respect_max_bytes_but_return_at_least_one)
{
	ck_assert_int_eq(append_range(1, 10, 1), 0);
	struct arena a;
	arena_init(&a);
	struct store_entry *e;
	size_t n;
	ck_assert_int_eq(store_entries(s, 1, 11, 1, &a, &e, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(e[0].index, 1);
	ck_assert_int_eq(store_entries(s, 2, 11, 3 * 32, &a, &e, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(e[2].index, 4);
	ck_assert_int_eq(store_entries(s, 1, 11, 1 << 20, &a, &e, &n), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(store_entries(s, 1, 12, 1 << 20, &a, &e, &n), ERR_UNAVAILABLE);
	ck_assert_int_eq(store_entries(s, 5, 5, 1 << 20, &a, &e, &n), ERR_INVALID);
	ck_assert_int_eq(store_compact(s, 3, 40), 0);
	ck_assert_int_eq(store_entries(s, 3, 5, 1 << 20, &a, &e, &n), ERR_COMPACTED);
	arena_free(&a);
}
END_TEST

struct scan_seen {
	uint64_t idx[16];
	int n;
	int stop_after;
};

static int scan_cb(void *ctx, const struct store_entry *e)
{
	struct scan_seen *x = ctx;
	x->idx[x->n++] = e->index;
	/* Nested reads are allowed from the callback. */
	uint64_t t;
	if (store_term(s, e->index, &t) != 0 || t != e->term)
		return ERR_CORRUPT;
	if (x->n == x->stop_after)
		return x->stop_after > 3 ? ERR_NOTFOUND : 1;
	return 0;
}

START_TEST(scan_visits_in_order_and_stops_on_request)
{
	ck_assert_int_eq(append_range(1, 6, 1), 0);
	struct scan_seen x = {.stop_after = 0};
	ck_assert_int_eq(store_scan(s, 2, UINT64_MAX, scan_cb, &x), 0);
	ck_assert_int_eq(x.n, 5);
	ck_assert_uint_eq(x.idx[0], 2);
	ck_assert_uint_eq(x.idx[4], 6);
	x = (struct scan_seen){.stop_after = 2};
	ck_assert_int_eq(store_scan(s, 1, 6, scan_cb, &x), 0);
	ck_assert_int_eq(x.n, 2);
	x = (struct scan_seen){.stop_after = 4};
	ck_assert_int_eq(store_scan(s, 1, 6, scan_cb, &x), ERR_NOTFOUND);
	x = (struct scan_seen){.stop_after = 0};
	ck_assert_int_eq(store_scan(s, 3, 5, scan_cb, &x), 0);
	ck_assert_int_eq(x.n, 2);
	ck_assert_uint_eq(x.idx[1], 4);
}
END_TEST

START_TEST(compaction_moves_the_log_start_and_drops_offsets_rows)
{
	ck_assert_int_eq(append_range(1, 3, 1), 0);
	ck_assert_int_eq(append_range(4, 6, 2), 0);
	ck_assert_int_eq(store_compact(s, 4, 50), 0);
	ck_assert_uint_eq(store_first_index(s), 5);
	ck_assert_uint_eq(store_last_index(s), 6);
	ck_assert_uint_eq(term_of(4), 2);
	uint64_t t;
	ck_assert_int_eq(store_term(s, 3, &t), ERR_COMPACTED);
	struct store_log_start ls;
	store_log_start(s, &ls);
	ck_assert_uint_eq(ls.index, 4);
	ck_assert_uint_eq(ls.term, 2);
	ck_assert_int_eq(ls.kafka_offset, 50);
	int64_t base;
	uint64_t idx;
	ck_assert_int_eq(store_offset_floor(s, 45, &base, &idx), ERR_NOTFOUND);
	ck_assert_int_eq(store_offset_floor(s, 55, &base, &idx), 0);
	ck_assert_uint_eq(idx, 5);
	ck_assert_int_eq(store_compact(s, 2, 50), 0); /* behind the start: no-op */
	ck_assert_int_eq(store_compact(s, 9, 90), ERR_UNAVAILABLE);
	ck_assert_int_eq(store_compact(s, 5, 10), ERR_INVALID);
	reopen();
	ck_assert_uint_eq(store_first_index(s), 5);
	ck_assert_uint_eq(term_of(4), 2);
	check_entry(5, 2);
	/* Compact everything: the log is empty but keeps counting. */
	ck_assert_int_eq(store_compact(s, 6, 70), 0);
	ck_assert_uint_eq(store_first_index(s), 7);
	ck_assert_uint_eq(store_last_index(s), 6);
	ck_assert_uint_eq(term_of(6), 2);
	ck_assert_int_eq(store_offset_last(s, UINT64_MAX, &base, &idx), ERR_NOTFOUND);
	reopen();
	ck_assert_uint_eq(store_last_index(s), 6);
	ck_assert_int_eq(append_range(7, 7, 3), 0);
	check_entry(7, 3);
	/* Appending entries at or below the log start ignores them. */
	ck_assert_int_eq(append_range(5, 8, 3), 0);
	ck_assert_uint_eq(store_last_index(s), 8);
}
END_TEST

START_TEST(a_compaction_saves_its_snapshot_in_the_same_transaction)
{
	ck_assert_int_eq(append_range(1, 4, 1), 0);
	ck_assert_int_eq(store_compact_snapshot(s, 2, 30, "start", "two", 3), 0);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(store_get_snapshot(s, "start", &b), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.data, "two", 3);
	/* A failing compaction (past the end) saves nothing either. */
	ck_assert_int_eq(store_compact_snapshot(s, 9, 90, "start", "nine", 4), ERR_UNAVAILABLE);
	/* Inside a batch that is then aborted, neither happens. */
	ck_assert_int_eq(store_txn_begin(s), 0);
	ck_assert_int_eq(store_compact_snapshot(s, 3, 40, "start", "three", 5), 0);
	store_txn_abort(s);
	reopen();
	ck_assert_uint_eq(store_first_index(s), 3);
	ck_assert_int_eq(store_get_snapshot(s, "start", &b), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.data, "two", 3);
	ck_assert_int_eq(store_compact_snapshot(s, 3, 40, "", "x", 1), ERR_INVALID);
	buf_free(&b);
}
END_TEST

START_TEST(reset_discards_the_log_for_a_newer_log_start)
{
	ck_assert_int_eq(append_range(1, 3, 1), 0);
	struct store_log_start ls = {.index = 100, .term = 4, .kafka_offset = 1000};
	ck_assert_int_eq(store_reset(s, &ls), 0);
	ck_assert_uint_eq(store_first_index(s), 101);
	ck_assert_uint_eq(store_last_index(s), 100);
	ck_assert_uint_eq(term_of(100), 4);
	int64_t base;
	uint64_t idx;
	ck_assert_int_eq(store_offset_floor(s, 20, &base, &idx), ERR_NOTFOUND);
	reopen();
	ck_assert_uint_eq(store_last_index(s), 100);
	ck_assert_int_eq(append_range(101, 102, 4), 0);
	check_entry(102, 4);
}
END_TEST

START_TEST(a_full_map_reports_nospace_and_the_store_recovers_after_compaction)
{
	store_close(s);
	struct store_options o = {.map_size = 1u << 20, .sync = false};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
	static uint8_t big[16 * 1024];
	memset(big, 'x', sizeof(big));
	uint64_t i;
	int rc = 0;
	for (i = 1; i < 1000; i++) {
		struct store_entry e = {.index = i,
					.term = 1,
					.base_offset = (int64_t)i,
					.data = big,
					.len = sizeof(big)};
		ck_assert_int_eq(store_txn_begin(s), 0);
		rc = store_append(s, &e, 1);
		int rc2 = store_txn_commit(s);
		if (rc == 0)
			rc = rc2;
		if (rc != 0)
			break;
	}
	ck_assert_int_eq(rc, ERR_NOSPACE);
	ck_assert_uint_gt(i, 10);
	ck_assert_uint_eq(store_last_index(s), i - 1);
	/* Fill the last crumbs with ever smaller entries until even a
	 * one-byte append finds no page. */
	uint64_t j = i;
	for (size_t len = sizeof(big) / 2; len > 0; len /= 2) {
		for (int tries = 0; tries < 1000; tries++) {
			struct store_entry e = {.index = j,
						.term = 1,
						.base_offset = (int64_t)j,
						.data = big,
						.len = len};
			if (store_append(s, &e, 1) != 0)
				break;
			j++;
		}
	}
	struct store_entry tiny = {
	    .index = j, .term = 1, .base_offset = (int64_t)j, .data = big, .len = 1};
	ck_assert_int_eq(store_append(s, &tiny, 1), ERR_NOSPACE);
	i = j;
	/* A restarting replica can still save its new term on a full store. */
	store_close(s);
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
	struct store_hard_state hs = {.term = 9, .vote = 1, .commit = i - 1};
	ck_assert_int_eq(store_set_hard_state(s, &hs), 0);
	/* Small writes that fit may still go through; reads work. */
	uint64_t t;
	ck_assert_int_eq(store_term(s, i - 1, &t), 0);
	ck_assert_int_eq(store_compact(s, i - 5, (int64_t)(i - 4)), 0);
	struct store_entry e = {
	    .index = i, .term = 1, .base_offset = (int64_t)i, .data = big, .len = sizeof(big)};
	ck_assert_int_eq(store_append(s, &e, 1), 0);
	ck_assert_uint_eq(store_last_index(s), i);
}
END_TEST

START_TEST(usage_reports_the_pages_in_use_and_the_configured_map)
{
	uint64_t used = 0, map = 0;
	ck_assert_int_eq(store_usage(s, &used, &map), 0);
	ck_assert_uint_eq(map, 64u << 20);
	/* A fresh environment holds its meta pages and the meta database. */
	ck_assert_uint_gt(used, 0);
	ck_assert_uint_eq(used % 4096, 0);
	uint64_t fresh = used;
	/* 1 MiB of payload in 16 KiB entries (overflow pages). */
	static char big[16384];
	memset(big, 'x', sizeof(big));
	for (uint64_t i = 1; i <= 64; i++) {
		struct store_entry e = {.index = i,
					.term = 1,
					.kind = STORE_KIND_DATA,
					.base_offset = (int64_t)i,
					.data = (uint8_t *)big,
					.len = sizeof(big)};
		ck_assert_int_eq(store_append(s, &e, 1), 0);
	}
	ck_assert_int_eq(store_usage(s, &used, &map), 0);
	ck_assert_uint_ge(used, fresh + 64 * sizeof(big));
	ck_assert_uint_lt(used, map);
	ck_assert_uint_eq(map, 64u << 20);
}
END_TEST

/* Entries first..last of len bytes (base offsets 10 per index), one commit. */
static void commit_range(uint64_t first, uint64_t last, char *buf, size_t len)
{
	ck_assert_int_eq(store_txn_begin(s), 0);
	for (uint64_t i = first; i <= last; i++) {
		struct store_entry e = mk(i, 1, (int64_t)i * 10, buf, len);
		ck_assert_int_eq(store_append(s, &e, 1), 0);
	}
	ck_assert_int_eq(store_txn_commit(s), 0);
}

static uint64_t data_file_size(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static uint64_t bytes_in_use(void)
{
	uint64_t used = 0, map = 0;
	ck_assert_int_eq(store_usage(s, &used, &map), 0);
	return used;
}

/* With sync the data file is kept written (zeros) at least 128 KiB past
 * LMDB's last page after small commits, so they overwrite blocks rather
 * than grow the file; the zeros are never mistaken for data, across
 * commits and a reopen. */
START_TEST(a_synced_store_keeps_its_data_file_written_ahead_of_its_pages)
{
	static char big[8192];
	for (uint64_t i = 1; i <= 200; i++) {
		commit_range(i, i, big, sizeof(big));
		uint64_t used = bytes_in_use(), size = data_file_size();
		ck_assert_msg(
		    size >= used + (128u << 10), "after entry %llu: file %llu bytes, %llu in use",
		    (unsigned long long)i, (unsigned long long)size, (unsigned long long)used);
		ck_assert_uint_le(size, used + (640u << 10));
	}
	ck_assert_uint_gt(bytes_in_use(), 200 * sizeof(big)); /* it grew through several steps */
	/* A big commit (1.6 MiB here) is not followed by zeros: at full speed
	 * they would write every byte twice. */
	commit_range(201, 400, big, sizeof(big));
	ck_assert_uint_eq(data_file_size(), bytes_in_use());
	/* The next small commit fills ahead again. */
	commit_range(401, 401, big, 100);
	ck_assert_uint_ge(data_file_size(), bytes_in_use() + (128u << 10));
	reopen();
	ck_assert_uint_eq(store_last_index(s), 401);
	static char want[8192];
	for (uint64_t i = 1; i <= 400; i += 37) {
		struct arena a;
		arena_init(&a);
		struct store_entry *got;
		size_t n;
		ck_assert_int_eq(store_entries(s, i, i + 1, 1 << 20, &a, &got, &n), 0);
		ck_assert_uint_eq(n, 1);
		mk(i, 1, (int64_t)i * 10, want, sizeof(want));
		ck_assert_uint_eq(got[0].len, sizeof(want));
		ck_assert_mem_eq(got[0].data, want, sizeof(want));
		arena_free(&a);
	}
}
END_TEST

START_TEST(a_second_process_cannot_open_the_same_store)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store *s2;
		struct store_options o = {.sync = true};
		_exit(store_open(dir, &o, &s2) == ERR_IO ? 0 : 1);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(opening_a_missing_directory_fails_with_io)
{
	struct store *s2 = NULL;
	struct store_options o = {.sync = true};
	char path[512];
	snprintf(path, sizeof(path), "%s/does/not/exist", dir);
	ck_assert_int_eq(store_open(path, &o, &s2), ERR_IO);
	ck_assert_ptr_null(s2);
}
END_TEST

/* A store opened on a filesystem with no room left fails with
 * ERR_NOSPACE instead of dying of SIGBUS on LMDB's mapped lock file. Runs
 * in a child with a mount namespace of its own (needs root: else SKIP). */
START_TEST(opening_on_a_full_filesystem_is_nospace_not_a_crash)
{
	char mnt[512];
	snprintf(mnt, sizeof(mnt), "%s/fs", dir);
	ck_assert_int_eq(mkdir(mnt, 0755), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0)
			_exit(77);
		char path[600];
		snprintf(path, sizeof(path), "%s/fill", mnt);
		FILE *f = fopen(path, "w");
		static char block[4096];
		while (f && fwrite(block, 1, sizeof(block), f) == sizeof(block) && fflush(f) == 0)
			;
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "%s/store", mnt);
		if (mkdir(path, 0755) != 0)
			_exit(3);
		struct store *s2 = NULL;
		struct store_options o = {.sync = true};
		int rc = store_open(path, &o, &s2);
		_exit(rc == ERR_NOSPACE && s2 == NULL ? 0 : 4);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		printf("SKIP: opening_on_a_full_filesystem_is_nospace_not_a_crash: cannot mount a "
		       "tmpfs (needs root)\n");
		return;
	}
	ck_assert_msg(WIFEXITED(st), "store_open on a full filesystem died of signal %d",
		      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

/* --- the sparse offsets index (a store with a key function) -------------- */

#define SPARSE_MAX 400

/* The model: base offset of each entry by index, -1 for a non-data entry. */
static int64_t model[SPARSE_MAX + 1];
static uint64_t model_first = 1, model_last = 0;

/* Sparse payloads start with their base offset, as Kafka batches do. */
static int64_t key_first8(uint8_t kind, const uint8_t *data, size_t len)
{
	if (kind != STORE_KIND_DATA || len < 8)
		return -1;
	int64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | data[i];
	return v;
}

static void sparse_open(void)
{
	struct store_options o = {.map_size = 64u << 20, .sync = false, .key = key_first8};
	ck_assert_int_eq(store_open(dir, &o, &s), 0);
}

static void sparse_setup(void)
{
	dir = testdir_new("store-sparse");
	ck_assert_ptr_nonnull(dir);
	sparse_open();
	model_first = 1;
	model_last = 0;
}

/* Appends entries lo..hi of term t: every seventh index is a no-op, the
 * others data entries whose base offset is `base` and then grows by 3. */
static int64_t sparse_append(uint64_t lo, uint64_t hi, uint64_t t, int64_t base)
{
	uint8_t bufs[64][16];
	struct store_entry e[64];
	ck_assert_uint_le(hi - lo + 1, 64);
	for (uint64_t i = lo; i <= hi; i++) {
		bool data = i % 7 != 0;
		uint8_t *b = bufs[i - lo];
		memset(b, 0, 16);
		for (int k = 0; k < 8; k++)
			b[k] = (uint8_t)((uint64_t)base >> (56 - 8 * k));
		e[i - lo] = (struct store_entry){.index = i,
						 .term = t,
						 .kind = data ? STORE_KIND_DATA : STORE_KIND_NOOP,
						 .base_offset = data ? base : -1,
						 .data = b,
						 .len = data ? 16 : 0};
		model[i] = data ? base : -1;
		if (data)
			base += 3;
	}
	ck_assert_int_eq(store_append(s, e, hi - lo + 1), 0);
	model_last = hi;
	return base;
}

/* Every floor and last lookup agrees with the model. */
static void sparse_check(void)
{
	int64_t hi_off = 0;
	for (uint64_t i = model_first; i <= model_last; i++)
		if (model[i] >= 0)
			hi_off = model[i];
	for (int64_t off = 0; off <= hi_off + 5; off++) {
		int64_t want_b = -1, base = -2;
		uint64_t want_i = 0, idx = 0;
		for (uint64_t i = model_first; i <= model_last; i++)
			if (model[i] >= 0 && model[i] <= off) {
				want_b = model[i];
				want_i = i;
			}
		int rc = store_offset_floor(s, off, &base, &idx);
		if (want_b < 0) {
			ck_assert_msg(rc == ERR_NOTFOUND, "floor(%lld): rc %d, want NOTFOUND",
				      (long long)off, rc);
			continue;
		}
		ck_assert_msg(rc == 0 && base == want_b && idx == want_i,
			      "floor(%lld): rc %d base %lld index %llu, want %lld at %llu",
			      (long long)off, rc, (long long)base, (unsigned long long)idx,
			      (long long)want_b, (unsigned long long)want_i);
	}
	for (uint64_t max = 0; max <= model_last + 2; max++) {
		int64_t want_b = -1, base = -2;
		uint64_t want_i = 0, idx = 0;
		for (uint64_t i = model_first; i <= model_last && i <= max; i++)
			if (model[i] >= 0) {
				want_b = model[i];
				want_i = i;
			}
		int rc = store_offset_last(s, max, &base, &idx);
		if (want_b < 0) {
			ck_assert_msg(rc == ERR_NOTFOUND, "last(%llu): rc %d, want NOTFOUND",
				      (unsigned long long)max, rc);
			continue;
		}
		ck_assert_msg(rc == 0 && base == want_b && idx == want_i,
			      "last(%llu): rc %d base %lld index %llu, want %lld at %llu",
			      (unsigned long long)max, rc, (long long)base, (unsigned long long)idx,
			      (long long)want_b, (unsigned long long)want_i);
	}
}

START_TEST(a_sparse_index_finds_every_offset_through_appends_truncation_and_compaction)
{
	int64_t next = 100;
	sparse_check(); /* empty */
	for (uint64_t lo = 1; lo <= 200; lo += 40)
		next = sparse_append(lo, lo + 39, 1, next);
	sparse_check();
	store_close(s);
	sparse_open();
	sparse_check();
	/* A new leader replaces the suffix from 150 on: fewer, later offsets.
	 * The rows at and after 150 go; the next data entry gets a row. */
	int64_t at150 = 0;
	for (uint64_t i = 149; i >= 1 && at150 == 0; i--)
		if (model[i] >= 0)
			at150 = model[i] + 3;
	next = sparse_append(150, 170, 2, at150 + 1000);
	sparse_check();
	/* Compaction past a row: offsets just after the new start have no
	 * row at or below them and are found from the first entry. */
	ck_assert_int_eq(store_compact(s, 45, model[46] >= 0 ? model[46] : model[47]), 0);
	model_first = 46;
	sparse_check();
	next = sparse_append(171, 230, 2, next);
	sparse_check();
	store_close(s);
	sparse_open();
	sparse_check();
	/* Base offsets must still grow, row or no row. */
	uint8_t b[16] = {0};
	struct store_entry e = {.index = 231,
				.term = 2,
				.kind = STORE_KIND_DATA,
				.base_offset = 5,
				.data = b,
				.len = 16};
	ck_assert_int_eq(store_append(s, &e, 1), ERR_INVALID);
	/* A reset empties it; lookups then find nothing. */
	struct store_log_start ls = {.index = 300, .term = 3, .kafka_offset = next};
	ck_assert_int_eq(store_reset(s, &ls), 0);
	model_first = 301;
	model_last = 300;
	sparse_check();
	next = sparse_append(301, 340, 3, next);
	sparse_check();
}
END_TEST

static Suite *store_suite(void)
{
	Suite *su = suite_create("store");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_fresh_store_is_empty_with_a_zero_log_start);
	tcase_add_test(tc, appended_entries_read_back_with_terms_payloads_and_offsets);
	tcase_add_test(tc, everything_survives_a_reopen);
	tcase_add_test(tc, a_synced_store_keeps_its_data_file_written_ahead_of_its_pages);
	tcase_add_test(tc, a_conflicting_suffix_is_replaced_with_its_offsets_rows);
	tcase_add_test(tc, a_stale_append_of_matching_entries_keeps_the_longer_log);
	tcase_add_test(tc, a_failed_call_poisons_the_batch_and_stores_nothing);
	tcase_add_test(tc, base_offsets_that_do_not_increase_are_rejected);
	tcase_add_test(tc, an_aborted_batch_leaves_no_trace);
	tcase_add_test(tc, entries_respect_max_bytes_but_return_at_least_one);
	tcase_add_test(tc, scan_visits_in_order_and_stops_on_request);
	tcase_add_test(tc, compaction_moves_the_log_start_and_drops_offsets_rows);
	tcase_add_test(tc, a_compaction_saves_its_snapshot_in_the_same_transaction);
	tcase_add_test(tc, reset_discards_the_log_for_a_newer_log_start);
	tcase_add_test(tc, a_full_map_reports_nospace_and_the_store_recovers_after_compaction);
	tcase_add_test(tc, usage_reports_the_pages_in_use_and_the_configured_map);
	tcase_add_test(tc, a_second_process_cannot_open_the_same_store);
	tcase_add_test(tc, opening_a_missing_directory_fails_with_io);
	tcase_add_test(tc, opening_on_a_full_filesystem_is_nospace_not_a_crash);
	suite_add_tcase(su, tc);
	TCase *sp = tcase_create("sparse");
	tcase_add_checked_fixture(sp, sparse_setup, teardown);
	tcase_add_test(sp,
		       a_sparse_index_finds_every_offset_through_appends_truncation_and_compaction);
	suite_add_tcase(su, sp);
	return su;
}

CHECK_MAIN(store_suite)
