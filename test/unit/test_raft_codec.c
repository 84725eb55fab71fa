/* test_raft_codec.c - the msgpack wire form of Raft messages: round trips,
 * borrowing, and rejection of malformed input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "worker/raft_codec.h"

static void assert_same(const struct raft_message *a, const struct raft_message *b)
{
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->from, b->from);
	ck_assert_uint_eq(a->to, b->to);
	ck_assert_uint_eq(a->term, b->term);
	ck_assert_uint_eq(a->index, b->index);
	ck_assert_uint_eq(a->log_term, b->log_term);
	ck_assert_uint_eq(a->commit, b->commit);
	ck_assert_int_eq(a->reject, b->reject);
	ck_assert_int_eq(a->force, b->force);
	ck_assert_uint_eq(a->hint_index, b->hint_index);
	ck_assert_uint_eq(a->hint_term, b->hint_term);
	ck_assert_uint_eq(a->n_entries, b->n_entries);
	for (size_t i = 0; i < a->n_entries; i++) {
		ck_assert_uint_eq(a->entries[i].index, b->entries[i].index);
		ck_assert_uint_eq(a->entries[i].term, b->entries[i].term);
		ck_assert_uint_eq(a->entries[i].kind, b->entries[i].kind);
		ck_assert_uint_eq(a->entries[i].data_len, b->entries[i].data_len);
		if (a->entries[i].data_len)
			ck_assert_mem_eq(a->entries[i].data, b->entries[i].data,
					 a->entries[i].data_len);
	}
	ck_assert_uint_eq(a->snapshot_len, b->snapshot_len);
	if (a->snapshot_len)
		ck_assert_mem_eq(a->snapshot, b->snapshot, a->snapshot_len);
}

START_TEST(every_message_type_round_trips_field_by_field)
{
	struct arena a;
	arena_init(&a);
	struct buf b;
	buf_init(&b);
	for (uint8_t t = RAFT_MSG_PREVOTE; t <= RAFT_MSG_TYPE_MAX; t++) {
		struct raft_message m = {
		    .type = t,
		    .from = 3,
		    .to = 0xfffffffffULL,
		    .term = UINT64_MAX,
		    .index = 300,
		    .log_term = 70000,
		    .commit = 1ULL << 40,
		    .reject = t % 2,
		    .force = t % 3 == 0,
		    .hint_index = 12,
		    .hint_term = 255,
		};
		if (t == RAFT_MSG_SNAPSHOT) {
			m.snapshot = (const uint8_t *)"state-bytes";
			m.snapshot_len = 11;
		}
		buf_reset(&b);
		ck_assert_int_eq(raft_codec_encode(&m, &b), 0);
		struct raft_message out;
		ck_assert_int_eq(raft_codec_decode(b.data, b.len, &out, &a), 0);
		assert_same(&m, &out);
	}
	buf_free(&b);
	arena_free(&a);
}
END_TEST

START_TEST(append_entries_round_trip_and_borrow_data_from_the_input)
{
	struct raft_entry e[3] = {
	    {.index = 11,
	     .term = 2,
	     .kind = RAFT_ENTRY_NORMAL,
	     .data = (const uint8_t *)"abc",
	     .data_len = 3},
	    {.index = 12, .term = 2, .kind = RAFT_ENTRY_NOOP},
	    {.index = 13, .term = 3, .kind = RAFT_ENTRY_NORMAL},
	};
	uint8_t big[70000];
	memset(big, 0x5a, sizeof(big));
	e[2].data = big;
	e[2].data_len = sizeof(big); /* bin32 */
	struct raft_message m = {.type = RAFT_MSG_APPEND,
				 .from = 1,
				 .to = 2,
				 .term = 3,
				 .index = 10,
				 .log_term = 2,
				 .commit = 9,
				 .entries = e,
				 .n_entries = 3};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(raft_codec_encode(&m, &b), 0);
	struct arena a;
	arena_init(&a);
	struct raft_message out;
	ck_assert_int_eq(raft_codec_decode(b.data, b.len, &out, &a), 0);
	assert_same(&m, &out);
	for (size_t i = 0; i < 3; i++)
		if (out.entries[i].data_len)
			ck_assert(out.entries[i].data >= b.data &&
				  out.entries[i].data < b.data + b.len);
	ck_assert_ptr_null(out.entries[1].data);
	arena_free(&a);
	buf_free(&b);
}
END_TEST

struct pieces {
	struct buf all;
	int n;
	const uint8_t *big_at; /* where the piece of the big entry pointed */
	size_t big_len;
	int fail_at; /* piece number that fails, or -1 */
};

static int piece_cb(void *ctx, const uint8_t *p, size_t len)
{
	struct pieces *x = ctx;
	if (x->n++ == x->fail_at)
		return -1;
	if (len >= 1000) {
		x->big_at = p;
		x->big_len = len;
	}
	buf_put(&x->all, p, len);
	return 0;
}

/* The transport sends payloads straight from the message: encode_cb's pieces
 * put together are raft_codec_encode's bytes, and an entry's payload comes
 * as one piece that points at the entry's own data. */
START_TEST(encode_cb_pieces_are_the_encoding_and_payloads_are_borrowed)
{
	static uint8_t big[70000];
	memset(big, 0x33, sizeof(big));
	struct raft_entry e[2] = {
	    {.index = 8, .term = 1, .kind = RAFT_ENTRY_NORMAL, .data = big, .data_len = 70000},
	    {.index = 9, .term = 1, .kind = RAFT_ENTRY_NOOP},
	};
	struct raft_message m = {.type = RAFT_MSG_APPEND,
				 .from = 1,
				 .to = 3,
				 .term = 1,
				 .index = 7,
				 .log_term = 1,
				 .commit = 7,
				 .entries = e,
				 .n_entries = 2};
	struct buf whole;
	buf_init(&whole);
	ck_assert_int_eq(raft_codec_encode(&m, &whole), 0);
	struct pieces x = {.fail_at = -1};
	buf_init(&x.all);
	ck_assert_int_eq(raft_codec_encode_cb(&m, piece_cb, &x), 0);
	ck_assert_uint_eq(x.all.len, whole.len);
	ck_assert_mem_eq(x.all.data, whole.data, whole.len);
	ck_assert_ptr_eq(x.big_at, big);
	ck_assert_uint_eq(x.big_len, 70000);
	/* A sink that fails makes the encoding fail, at any piece. */
	for (int k = 0; k < x.n; k++) {
		struct pieces y = {.fail_at = k};
		buf_init(&y.all);
		ck_assert_int_eq(raft_codec_encode_cb(&m, piece_cb, &y), ERR_NOMEM);
		buf_free(&y.all);
	}
	buf_free(&x.all);
	buf_free(&whole);
}
END_TEST

START_TEST(encode_rejects_entries_not_numbered_after_index)
{
	struct raft_entry e[2] = {{.index = 5, .term = 1}, {.index = 7, .term = 1}};
	struct raft_message m = {.type = RAFT_MSG_APPEND,
				 .from = 1,
				 .to = 2,
				 .term = 1,
				 .index = 4,
				 .entries = e,
				 .n_entries = 2};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(raft_codec_encode(&m, &b), ERR_INVALID);
	m.type = 42;
	m.n_entries = 0;
	ck_assert_int_eq(raft_codec_encode(&m, &b), ERR_INVALID);
	buf_free(&b);
}
END_TEST

/* A small APPEND whose fields are all one-byte fixints, so tests can patch
 * them by position: [0]=fixarray(13) [1]=version [2]=type [3]=from [4]=to
 * [5]=term [6]=index [7]=log_term [8]=commit [9]=flags [10]=hint_index
 * [11]=hint_term [12]=entries array, then entries and the snapshot bin. */
static size_t sample(uint8_t *out)
{
	struct raft_entry e = {.index = 5,
			       .term = 3,
			       .kind = RAFT_ENTRY_NORMAL,
			       .data = (const uint8_t *)"xy",
			       .data_len = 2};
	struct raft_message m = {.type = RAFT_MSG_APPEND,
				 .from = 1,
				 .to = 2,
				 .term = 3,
				 .index = 4,
				 .log_term = 2,
				 .commit = 1,
				 .entries = &e,
				 .n_entries = 1};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(raft_codec_encode(&m, &b), 0);
	memcpy(out, b.data, b.len);
	size_t n = b.len;
	buf_free(&b);
	return n;
}

static int decode(const uint8_t *p, size_t n)
{
	struct arena a;
	arena_init(&a);
	struct raft_message out;
	int rc = raft_codec_decode(p, n, &out, &a);
	arena_free(&a);
	return rc;
}

START_TEST(truncated_input_is_invalid_at_every_length)
{
	uint8_t p[64];
	size_t n = sample(p);
	ck_assert_uint_eq(p[0], 0x9d);
	ck_assert_int_eq(decode(p, n), 0);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(decode(p, k), ERR_INVALID);
}
END_TEST

START_TEST(wrong_version_type_flags_or_kind_is_invalid)
{
	uint8_t p[64], q[64];
	size_t n = sample(p);
	struct {
		size_t at;
		uint8_t v;
	} bad[] = {
	    {1, 2},	/* version */
	    {2, 0},	/* type 0 */
	    {2, 11},	/* type past the last */
	    {9, 8},	/* unknown flag bit */
	    {0, 0x9c},	/* 12 fields */
	    {3, 0xff},	/* negative fixint for `from` */
	    {3, 0xa1},	/* a str header where an int belongs */
	    {12, 0x92}, /* two entries announced, one present */
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memcpy(q, p, n);
		q[bad[k].at] = bad[k].v;
		ck_assert_msg(decode(q, n) == ERR_INVALID, "patch %zu accepted", k);
	}
	/* entry: [0x93, term, kind, bin] right after the entries header */
	memcpy(q, p, n);
	ck_assert_uint_eq(q[13], 0x93);
	q[15] = 4; /* kind 4 does not exist (3 is RAFT_ENTRY_COMMAND) */
	ck_assert_int_eq(decode(q, n), ERR_INVALID);
	memcpy(q, p, n);
	q[16] = 0xa2; /* str instead of bin for the data */
	ck_assert_int_eq(decode(q, n), ERR_INVALID);
	/* trailing garbage */
	memcpy(q, p, n);
	q[n] = 0;
	ck_assert_int_eq(decode(q, n + 1), ERR_INVALID);
}
END_TEST

START_TEST(huge_announced_counts_are_invalid_without_allocating)
{
	uint8_t p[64];
	size_t n = sample(p);
	/* replace the entries header by array32 with 2^32-1 elements */
	uint8_t q[80];
	memcpy(q, p, 12);
	const uint8_t arr32[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
	memcpy(q + 12, arr32, sizeof(arr32));
	memcpy(q + 17, p + 13, n - 13);
	ck_assert_int_eq(decode(q, n + 4), ERR_INVALID);
	/* and a bin32 that claims 4 GB of data */
	memcpy(q, p, n);
	const uint8_t bin32[] = {0xc6, 0xff, 0xff, 0xff, 0xff};
	memcpy(q + n - 2, bin32, sizeof(bin32)); /* the trailing empty snapshot bin */
	ck_assert_int_eq(decode(q, n + 3), ERR_INVALID);
}
END_TEST

START_TEST(random_corruptions_never_crash_and_valid_results_re_encode)
{
	uint8_t p[64], q[64];
	size_t n = sample(p);
	uint64_t x = 88172645463325252ULL;
	int valid = 0;
	struct arena a;
	arena_init(&a);
	struct buf b;
	buf_init(&b);
	for (int round = 0; round < 20000; round++) {
		memcpy(q, p, n);
		for (int flips = 0; flips < 3; flips++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			q[x % n] = (uint8_t)(x >> 32);
		}
		size_t len = n - (x >> 50) % 3;
		struct raft_message m;
		arena_reset(&a);
		int rc = raft_codec_decode(q, len, &m, &a);
		ck_assert(rc == 0 || rc == ERR_INVALID);
		if (rc == 0) {
			valid++;
			buf_reset(&b);
			ck_assert_int_eq(raft_codec_encode(&m, &b), 0);
			struct raft_message again;
			ck_assert_int_eq(raft_codec_decode(b.data, b.len, &again, &a), 0);
			assert_same(&m, &again);
		}
	}
	ck_assert_int_gt(valid, 0); /* some mutations keep the form valid */
	buf_free(&b);
	arena_free(&a);
}
END_TEST

Suite *raft_codec_suite(void)
{
	Suite *s = suite_create("raft_codec");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, every_message_type_round_trips_field_by_field);
	tcase_add_test(tc, append_entries_round_trip_and_borrow_data_from_the_input);
	tcase_add_test(tc, encode_rejects_entries_not_numbered_after_index);
	tcase_add_test(tc, encode_cb_pieces_are_the_encoding_and_payloads_are_borrowed);
	tcase_add_test(tc, truncated_input_is_invalid_at_every_length);
	tcase_add_test(tc, wrong_version_type_flags_or_kind_is_invalid);
	tcase_add_test(tc, huge_announced_counts_are_invalid_without_allocating);
	tcase_add_test(tc, random_corruptions_never_crash_and_valid_results_re_encode);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(raft_codec_suite)
