/* test_producers.c - the idempotent-producer table: epoch and sequence
 * rules, duplicates of the last five batches, wrap-around, copies and the
 * size limit. */
#include <check.h>
#include <stdint.h>

#include "check_main.h"
#include "common/kafka/kerr.h"
#include "worker/producers.h"

static struct producers t;

static void setup(void) { producers_init(&t, 0); }
static void teardown(void) { producers_free(&t); }

/* A batch of n records of producer id/epoch starting at seq, placed at
 * offset off in log entry index. */
static struct producers_batch batch(int64_t id, int16_t epoch, int32_t seq, int32_t n, int64_t off,
				    uint64_t index)
{
	return (struct producers_batch){.producer_id = id,
					.epoch = epoch,
					.first_seq = seq,
					.last_seq = producers_last_seq(seq, n - 1),
					.base_offset = off,
					.last_offset = off + n - 1,
					.index = index};
}

struct seen {
	int n;
	int64_t ids[4];
	int16_t epochs[4];
	int32_t last_seqs[4];
	int64_t last_offsets[4];
};

static int collect(void *ctx, int64_t id, int16_t epoch, const struct producers_recent *last)
{
	struct seen *s = ctx;
	ck_assert_int_lt(s->n, 4);
	s->ids[s->n] = id;
	s->epochs[s->n] = epoch;
	s->last_seqs[s->n] = last->last_seq;
	s->last_offsets[s->n] = last->last_offset;
	s->n++;
	return 0;
}

static int16_t check(struct producers_batch b, bool *dup, struct producers_batch *orig)
{
	return producers_check(&t, &b, dup, orig);
}

static void record(struct producers_batch b) { ck_assert_int_eq(producers_record(&t, &b), 0); }

START_TEST(an_unknown_producer_is_accepted_at_any_sequence)
{
	bool dup = true;
	ck_assert_int_eq(check(batch(7, 0, 0, 3, 0, 1), &dup, NULL), KERR_NONE);
	ck_assert(!dup);
	ck_assert_int_eq(check(batch(7, 3, 1234, 3, 0, 1), &dup, NULL), KERR_NONE);
	ck_assert(!dup);
	ck_assert_uint_eq(producers_count(&t), 0);
}
END_TEST

START_TEST(the_batch_right_after_the_last_one_of_the_same_epoch_is_accepted)
{
	bool dup;
	record(batch(7, 0, 0, 3, 100, 1));
	ck_assert_int_eq(check(batch(7, 0, 3, 2, 0, 0), &dup, NULL), KERR_NONE);
	ck_assert(!dup);
	record(batch(7, 0, 3, 2, 103, 2));
	ck_assert_int_eq(check(batch(7, 0, 5, 1, 0, 0), &dup, NULL), KERR_NONE);
	int16_t epoch = -1;
	struct producers_batch last;
	ck_assert_int_eq(producers_find(&t, 7, &epoch, &last), 1);
	ck_assert_int_eq(epoch, 0);
	ck_assert_int_eq(last.first_seq, 3);
	ck_assert_int_eq(last.last_seq, 4);
	ck_assert_int_eq(last.base_offset, 103);
	ck_assert_int_eq(last.last_offset, 104);
	ck_assert_uint_eq(last.index, 2);
}
END_TEST

START_TEST(a_gap_or_an_overlap_in_the_sequence_is_out_of_order)
{
	bool dup;
	record(batch(7, 0, 0, 3, 0, 1));
	ck_assert_int_eq(check(batch(7, 0, 4, 1, 0, 0), &dup, NULL),
			 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	ck_assert_int_eq(check(batch(7, 0, 2, 2, 0, 0), &dup, NULL),
			 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	ck_assert_int_eq(check(batch(7, 0, 0, 2, 0, 0), &dup, NULL),
			 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
}
END_TEST

START_TEST(a_lower_epoch_than_known_is_an_invalid_producer_epoch)
{
	bool dup;
	record(batch(7, 5, 0, 3, 0, 1));
	ck_assert_int_eq(check(batch(7, 4, 3, 1, 0, 0), &dup, NULL), KERR_INVALID_PRODUCER_EPOCH);
	/* Even a batch that would be a duplicate under the old epoch. */
	ck_assert_int_eq(check(batch(7, 4, 0, 3, 0, 0), &dup, NULL), KERR_INVALID_PRODUCER_EPOCH);
}
END_TEST

START_TEST(a_higher_epoch_starting_at_sequence_zero_is_accepted_and_resets_the_history)
{
	bool dup;
	record(batch(7, 0, 0, 10, 0, 1));
	ck_assert_int_eq(check(batch(7, 1, 0, 2, 0, 0), &dup, NULL), KERR_NONE);
	ck_assert(!dup);
	record(batch(7, 1, 0, 2, 10, 2));
	/* The old epoch's batches are gone: sequence 10 is no longer next. */
	ck_assert_int_eq(check(batch(7, 1, 10, 1, 0, 0), &dup, NULL),
			 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	ck_assert_int_eq(check(batch(7, 1, 2, 1, 0, 0), &dup, NULL), KERR_NONE);
	ck_assert_int_eq(check(batch(7, 0, 10, 1, 0, 0), &dup, NULL), KERR_INVALID_PRODUCER_EPOCH);
}
END_TEST

START_TEST(a_higher_epoch_not_starting_at_sequence_zero_is_out_of_order)
{
	bool dup;
	record(batch(7, 0, 0, 3, 0, 1));
	ck_assert_int_eq(check(batch(7, 1, 3, 1, 0, 0), &dup, NULL),
			 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
}
END_TEST

START_TEST(a_repeat_of_any_of_the_last_five_batches_is_a_duplicate_with_its_original_offsets)
{
	for (int i = 0; i < 8; i++)
		record(batch(7, 2, 3 * i, 3, 1000 + 10 * i, (uint64_t)(50 + i)));
	/* Batches 3..7 are the last five. */
	for (int i = 3; i < 8; i++) {
		bool dup = false;
		struct producers_batch orig = {0};
		ck_assert_int_eq(check(batch(7, 2, 3 * i, 3, 0, 0), &dup, &orig), KERR_NONE);
		ck_assert_msg(dup, "batch %d not seen as a duplicate", i);
		ck_assert_int_eq(orig.base_offset, 1000 + 10 * i);
		ck_assert_int_eq(orig.last_offset, 1000 + 10 * i + 2);
		ck_assert_uint_eq(orig.index, (uint64_t)(50 + i));
		ck_assert_int_eq(orig.epoch, 2);
		ck_assert_int_eq(orig.first_seq, 3 * i);
	}
}
END_TEST

START_TEST(a_batch_older_than_the_last_five_is_out_of_order)
{
	for (int i = 0; i < 8; i++)
		record(batch(7, 0, 3 * i, 3, 10 * i, (uint64_t)(i + 1)));
	for (int i = 0; i < 3; i++) {
		bool dup = true;
		ck_assert_int_eq(check(batch(7, 0, 3 * i, 3, 0, 0), &dup, NULL),
				 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
		ck_assert(!dup);
	}
}
END_TEST

START_TEST(a_duplicate_must_match_both_first_and_last_sequence)
{
	bool dup;
	record(batch(7, 0, 0, 3, 0, 1));
	record(batch(7, 0, 3, 3, 3, 2));
	/* Same first sequence, different length: not the same batch. */
	ck_assert_int_eq(check(batch(7, 0, 3, 2, 0, 0), &dup, NULL),
			 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	ck_assert(!dup);
}
END_TEST

START_TEST(sequences_wrap_from_int32_max_to_zero)
{
	ck_assert_int_eq(producers_next_seq(INT32_MAX), 0);
	ck_assert_int_eq(producers_next_seq(41), 42);
	ck_assert_int_eq(producers_last_seq(INT32_MAX - 1, 3), 1);
	ck_assert_int_eq(producers_last_seq(INT32_MAX, 0), INT32_MAX);
	bool dup;
	record(batch(7, 0, INT32_MAX - 1, 2, 0, 1)); /* INT32_MAX-1 .. INT32_MAX */
	ck_assert_int_eq(check(batch(7, 0, 0, 5, 0, 0), &dup, NULL), KERR_NONE);
	ck_assert(!dup);
	record(batch(7, 0, INT32_MAX, 3, 2, 2)); /* INT32_MAX, 0, 1 */
	struct producers_batch last;
	int16_t epoch;
	ck_assert_int_eq(producers_find(&t, 7, &epoch, &last), 1);
	ck_assert_int_eq(last.last_seq, 1);
	ck_assert_int_eq(check(batch(7, 0, 2, 1, 0, 0), &dup, NULL), KERR_NONE);
}
END_TEST

START_TEST(producers_are_independent_of_each_other)
{
	bool dup;
	record(batch(1, 0, 0, 5, 0, 1));
	record(batch(2, 3, 0, 1, 5, 2));
	ck_assert_int_eq(check(batch(1, 0, 5, 1, 0, 0), &dup, NULL), KERR_NONE);
	ck_assert_int_eq(check(batch(2, 3, 1, 1, 0, 0), &dup, NULL), KERR_NONE);
	ck_assert_int_eq(check(batch(2, 3, 5, 1, 0, 0), &dup, NULL),
			 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	ck_assert_int_eq(check(batch(2, 2, 1, 1, 0, 0), &dup, NULL), KERR_INVALID_PRODUCER_EPOCH);
	ck_assert_int_eq(check(batch(1, 1, 5, 1, 0, 0), &dup, NULL),
			 KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
}
END_TEST

START_TEST(recording_the_same_batch_twice_keeps_one_copy)
{
	record(batch(7, 0, 0, 1, 0, 1));
	record(batch(7, 0, 1, 1, 1, 2));
	record(batch(7, 0, 1, 1, 1, 2));
	for (int i = 2; i < 5; i++)
		record(batch(7, 0, i, 1, i, (uint64_t)i + 1));
	/* Five distinct batches recorded: seq 0 is still among them. */
	bool dup = false;
	ck_assert_int_eq(check(batch(7, 0, 0, 1, 0, 0), &dup, NULL), KERR_NONE);
	ck_assert(dup);
}
END_TEST

START_TEST(the_log_decides_the_epoch_when_recording)
{
	record(batch(7, 4, 0, 2, 0, 1));
	record(batch(7, 3, 0, 2, 2, 2));
	int16_t epoch = -1;
	struct producers_batch last;
	ck_assert_int_eq(producers_find(&t, 7, &epoch, &last), 1);
	ck_assert_int_eq(epoch, 3);
	ck_assert_int_eq(last.base_offset, 2);
}
END_TEST

START_TEST(a_copy_is_independent_of_its_source)
{
	record(batch(1, 0, 0, 1, 0, 1));
	struct producers c;
	producers_init(&c, 0);
	ck_assert_int_eq(producers_copy(&c, &t), 0);
	ck_assert_uint_eq(producers_count(&c), 1);
	struct producers_batch b = batch(1, 0, 1, 1, 1, 2);
	ck_assert_int_eq(producers_record(&c, &b), 0);
	b = batch(2, 0, 0, 1, 2, 3);
	ck_assert_int_eq(producers_record(&c, &b), 0);
	ck_assert_uint_eq(producers_count(&c), 2);
	ck_assert_uint_eq(producers_count(&t), 1);
	int16_t e;
	struct producers_batch last;
	ck_assert_int_eq(producers_find(&t, 1, &e, &last), 1);
	ck_assert_int_eq(last.first_seq, 0);
	ck_assert_int_eq(producers_find(&t, 2, &e, &last), 0);
	/* Copying again over a used table replaces it. */
	ck_assert_int_eq(producers_copy(&c, &t), 0);
	ck_assert_int_eq(producers_find(&c, 2, &e, &last), 0);
	ck_assert_int_eq(producers_find(&c, 1, &e, &last), 1);
	ck_assert_int_eq(last.first_seq, 0);
	producers_free(&c);
}
END_TEST

START_TEST(thousands_of_producers_are_all_found)
{
	for (int64_t id = 0; id < 5000; id++) {
		struct producers_batch b =
		    batch(((int64_t)3 << 40) | id, 0, 0, 1, id, (uint64_t)id + 1);
		ck_assert_int_eq(producers_record(&t, &b), 0);
	}
	ck_assert_uint_eq(producers_count(&t), 5000);
	for (int64_t id = 0; id < 5000; id++) {
		int16_t e;
		struct producers_batch last;
		ck_assert_int_eq(producers_find(&t, ((int64_t)3 << 40) | id, &e, &last), 1);
		ck_assert_int_eq(last.base_offset, id);
	}
	int16_t e;
	ck_assert_int_eq(producers_find(&t, 5000, &e, NULL), 0);
}
END_TEST

START_TEST(a_full_table_forgets_the_producers_written_longest_ago)
{
	struct producers s;
	producers_init(&s, 100);
	for (int64_t id = 0; id < 100; id++) {
		struct producers_batch b = batch(id, 0, 0, 1, id, (uint64_t)id + 1);
		ck_assert_int_eq(producers_record(&s, &b), 0);
	}
	/* Producer 0 writes again: now its newest batch is the most recent. */
	struct producers_batch b = batch(0, 0, 1, 1, 100, 101);
	ck_assert_int_eq(producers_record(&s, &b), 0);
	ck_assert_uint_eq(producers_count(&s), 100);
	b = batch(1000, 0, 0, 1, 101, 102);
	ck_assert_int_eq(producers_record(&s, &b), 0);
	/* The 25 oldest (ids 1..25) are gone, the rest and the new one stay. */
	ck_assert_uint_eq(producers_count(&s), 76);
	int16_t e;
	for (int64_t id = 1; id <= 25; id++)
		ck_assert_msg(producers_find(&s, id, &e, NULL) == 0, "producer %d kept", (int)id);
	for (int64_t id = 26; id < 100; id++)
		ck_assert_msg(producers_find(&s, id, &e, NULL) == 1, "producer %d lost", (int)id);
	ck_assert_int_eq(producers_find(&s, 0, &e, NULL), 1);
	ck_assert_int_eq(producers_find(&s, 1000, &e, NULL), 1);
	/* A forgotten producer is unknown again, so accepted. */
	bool dup;
	b = batch(5, 0, 7, 1, 0, 0);
	ck_assert_int_eq(producers_check(&s, &b, &dup, NULL), KERR_NONE);
	producers_free(&s);
}
END_TEST

START_TEST(clear_forgets_every_producer)
{
	record(batch(1, 0, 0, 1, 0, 1));
	record(batch(2, 0, 0, 1, 1, 2));
	producers_clear(&t);
	ck_assert_uint_eq(producers_count(&t), 0);
	int16_t e;
	ck_assert_int_eq(producers_find(&t, 1, &e, NULL), 0);
	record(batch(1, 1, 0, 1, 2, 3));
	ck_assert_int_eq(producers_find(&t, 1, &e, NULL), 1);
	ck_assert_int_eq(e, 1);
}
END_TEST

START_TEST(each_visits_every_producer_once_with_its_newest_batch)
{
	record(batch(10, 0, 0, 3, 0, 1));
	record(batch(10, 0, 3, 2, 3, 2)); /* 10's newest: seq 3..4 at 3..4 */
	record(batch(20, 4, 0, 1, 5, 3));
	struct seen s = {0};
	ck_assert_int_eq(producers_each(&t, collect, &s), 0);
	ck_assert_int_eq(s.n, 2);
	int i10 = s.ids[0] == 10 ? 0 : 1, i20 = 1 - i10;
	ck_assert_int_eq(s.ids[i10], 10);
	ck_assert_int_eq(s.epochs[i10], 0);
	ck_assert_int_eq(s.last_seqs[i10], 4);
	ck_assert_int_eq(s.last_offsets[i10], 4);
	ck_assert_int_eq(s.ids[i20], 20);
	ck_assert_int_eq(s.epochs[i20], 4);
	ck_assert_int_eq(s.last_seqs[i20], 0);
	ck_assert_int_eq(s.last_offsets[i20], 5);
}
END_TEST

Suite *producers_suite(void)
{
	Suite *s = suite_create("producers");
	TCase *tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, an_unknown_producer_is_accepted_at_any_sequence);
	tcase_add_test(tc, the_batch_right_after_the_last_one_of_the_same_epoch_is_accepted);
	tcase_add_test(tc, a_gap_or_an_overlap_in_the_sequence_is_out_of_order);
	tcase_add_test(tc, a_lower_epoch_than_known_is_an_invalid_producer_epoch);
	tcase_add_test(tc,
		       a_higher_epoch_starting_at_sequence_zero_is_accepted_and_resets_the_history);
	tcase_add_test(tc, a_higher_epoch_not_starting_at_sequence_zero_is_out_of_order);
	tcase_add_test(
	    tc, a_repeat_of_any_of_the_last_five_batches_is_a_duplicate_with_its_original_offsets);
	tcase_add_test(tc, a_batch_older_than_the_last_five_is_out_of_order);
	tcase_add_test(tc, a_duplicate_must_match_both_first_and_last_sequence);
	tcase_add_test(tc, sequences_wrap_from_int32_max_to_zero);
	tcase_add_test(tc, producers_are_independent_of_each_other);
	tcase_add_test(tc, recording_the_same_batch_twice_keeps_one_copy);
	tcase_add_test(tc, the_log_decides_the_epoch_when_recording);
	tcase_add_test(tc, a_copy_is_independent_of_its_source);
	tcase_add_test(tc, thousands_of_producers_are_all_found);
	tcase_add_test(tc, a_full_table_forgets_the_producers_written_longest_ago);
	tcase_add_test(tc, clear_forgets_every_producer);
	tcase_add_test(tc, each_visits_every_producer_once_with_its_newest_batch);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(producers_suite)
