/* test_supervisor_producer_ids.c - producer ids for InitProducerId: the
 * node's id in the top bits, a counter reserved on disk in blocks so a
 * restart (or a crash) never hands an id out twice, and the epoch bump. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/err.h"
#include "supervisor/init_producer_id.h"
#include "supervisor/producer_ids.h"
#include "testdir.h"

static char *dir;

static void setup(void)
{
	dir = testdir_new("pids");
	ck_assert_ptr_nonnull(dir);
}

static void teardown(void) { testdir_free(dir); }

/* The counter the file holds, or -1 when it cannot be read. */
static long long file_mark(const char *data_dir)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", data_dir, PRODUCER_IDS_FILE);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	long long v = -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void write_file(const char *data_dir, const char *text)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", data_dir, PRODUCER_IDS_FILE);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(ids_are_the_node_id_above_bit_40_and_a_counter_from_zero)
{
	struct producer_ids p;
	ck_assert_int_eq(producer_ids_init(&p, dir, 7), 0);
	for (int64_t i = 0; i < 3; i++) {
		int64_t id = -1;
		ck_assert_int_eq(producer_ids_next(&p, &id), 0);
		ck_assert_int_eq(id, ((int64_t)7 << 40) | i);
		ck_assert_int_eq(producer_ids_node(id), 7);
	}
}
END_TEST

START_TEST(the_block_is_on_disk_before_its_first_id_is_handed_out)
{
	struct producer_ids p;
	ck_assert_int_eq(producer_ids_init(&p, dir, 1), 0);
	ck_assert_int_eq(file_mark(dir), -1);
	int64_t id;
	ck_assert_int_eq(producer_ids_next(&p, &id), 0);
	ck_assert_int_eq(file_mark(dir), PRODUCER_IDS_BLOCK);
	for (int i = 1; i < PRODUCER_IDS_BLOCK; i++)
		ck_assert_int_eq(producer_ids_next(&p, &id), 0);
	ck_assert_int_eq(id & (PRODUCER_IDS_COUNTER_MAX - 1), PRODUCER_IDS_BLOCK - 1);
	ck_assert_int_eq(file_mark(dir), PRODUCER_IDS_BLOCK);
	ck_assert_int_eq(producer_ids_next(&p, &id), 0);
	ck_assert_int_eq(id & (PRODUCER_IDS_COUNTER_MAX - 1), PRODUCER_IDS_BLOCK);
	ck_assert_int_eq(file_mark(dir), 2 * PRODUCER_IDS_BLOCK);
}
END_TEST

START_TEST(a_restart_never_reuses_an_id)
{
	/* Three "lives" of a node, each stopping (as a crash would: nothing is
	 * written at the end) after handing out a few ids. */
	int64_t seen[30];
	int n = 0;
	for (int life = 0; life < 3; life++) {
		struct producer_ids p;
		ck_assert_int_eq(producer_ids_init(&p, dir, 2), 0);
		for (int i = 0; i < 10; i++) {
			int64_t id;
			ck_assert_int_eq(producer_ids_next(&p, &id), 0);
			for (int j = 0; j < n; j++)
				ck_assert_msg(seen[j] != id, "id %lld handed out twice",
					      (long long)id);
			seen[n++] = id;
		}
	}
	/* Each life starts at the next block. */
	ck_assert_int_eq(seen[10] & (PRODUCER_IDS_COUNTER_MAX - 1), PRODUCER_IDS_BLOCK);
	ck_assert_int_eq(seen[20] & (PRODUCER_IDS_COUNTER_MAX - 1), 2 * PRODUCER_IDS_BLOCK);
}
END_TEST

START_TEST(two_nodes_never_hand_out_the_same_id)
{
	struct producer_ids a, b;
	char *dir2 = testdir_new("pids2");
	ck_assert_ptr_nonnull(dir2);
	ck_assert_int_eq(producer_ids_init(&a, dir, 1), 0);
	ck_assert_int_eq(producer_ids_init(&b, dir2, 2), 0);
	int64_t x, y;
	ck_assert_int_eq(producer_ids_next(&a, &x), 0);
	ck_assert_int_eq(producer_ids_next(&b, &y), 0);
	ck_assert_int_ne(x, y);
	ck_assert_int_eq(producer_ids_node(x), 1);
	ck_assert_int_eq(producer_ids_node(y), 2);
	testdir_free(dir2);
}
END_TEST

START_TEST(a_missing_data_dir_is_created)
{
	char sub[4200];
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	struct producer_ids p;
	ck_assert_int_eq(producer_ids_init(&p, sub, 1), 0);
	int64_t id;
	ck_assert_int_eq(producer_ids_next(&p, &id), 0);
	ck_assert_int_eq(file_mark(sub), PRODUCER_IDS_BLOCK);
}
END_TEST

START_TEST(a_malformed_counter_file_is_an_error_not_a_guess)
{
	write_file(dir, "twelve\n");
	struct producer_ids p;
	ck_assert_int_eq(producer_ids_init(&p, dir, 1), 0);
	int64_t id = 42;
	ck_assert_int_eq(producer_ids_next(&p, &id), ERR_CORRUPT);
	ck_assert_int_eq(id, 42);
	write_file(dir, "-5\n");
	ck_assert_int_eq(producer_ids_init(&p, dir, 1), 0);
	ck_assert_int_eq(producer_ids_next(&p, &id), ERR_CORRUPT);
	/* A good file is continued from its mark. */
	write_file(dir, "123456\n");
	ck_assert_int_eq(producer_ids_init(&p, dir, 1), 0);
	ck_assert_int_eq(producer_ids_next(&p, &id), 0);
	ck_assert_int_eq(id, ((int64_t)1 << 40) | 123456);
	ck_assert_int_eq(file_mark(dir), 123456 + PRODUCER_IDS_BLOCK);
}
END_TEST

START_TEST(a_data_dir_that_cannot_be_written_hands_out_nothing)
{
	char file[4200];
	snprintf(file, sizeof(file), "%s/plain-file", dir);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	struct producer_ids p;
	ck_assert_int_eq(producer_ids_init(&p, file, 1), 0); /* a file, not a dir */
	int64_t id = 42;
	ck_assert_int_lt(producer_ids_next(&p, &id), 0);
	ck_assert_int_eq(id, 42);
}
END_TEST

START_TEST(node_ids_that_do_not_fit_are_refused)
{
	struct producer_ids p;
	ck_assert_int_eq(producer_ids_init(&p, dir, -1), ERR_INVALID);
	ck_assert_int_eq(producer_ids_init(&p, dir, 1 << 23), ERR_INVALID);
	ck_assert_int_eq(producer_ids_init(&p, dir, (1 << 23) - 1), 0);
	int64_t id;
	ck_assert_int_eq(producer_ids_next(&p, &id), 0);
	ck_assert_int_gt(id, 0);
}
END_TEST

START_TEST(a_known_producer_gets_the_next_epoch_until_it_is_exhausted)
{
	int16_t e = -9;
	ck_assert_int_eq(init_producer_id_bump(-1, -1, &e), 0);
	ck_assert_int_eq(e, -9);
	ck_assert_int_eq(init_producer_id_bump(5, 0, &e), 1);
	ck_assert_int_eq(e, 1);
	ck_assert_int_eq(init_producer_id_bump(5, 41, &e), 1);
	ck_assert_int_eq(e, 42);
	ck_assert_int_eq(init_producer_id_bump(5, INT16_MAX - 2, &e), 1);
	ck_assert_int_eq(e, INT16_MAX - 1);
	/* Exhausted: a new id with epoch 0. */
	ck_assert_int_eq(init_producer_id_bump(5, INT16_MAX - 1, &e), 0);
	ck_assert_int_eq(init_producer_id_bump(5, INT16_MAX, &e), 0);
	/* Half a pair is invalid. */
	ck_assert_int_eq(init_producer_id_bump(5, -1, &e), -1);
	ck_assert_int_eq(init_producer_id_bump(-1, 3, &e), -1);
}
END_TEST

Suite *supervisor_producer_ids_suite(void)
{
	Suite *s = suite_create("supervisor_producer_ids");
	TCase *tc = tcase_create("ids");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ids_are_the_node_id_above_bit_40_and_a_counter_from_zero);
	tcase_add_test(tc, the_block_is_on_disk_before_its_first_id_is_handed_out);
	tcase_add_test(tc, a_restart_never_reuses_an_id);
	tcase_add_test(tc, two_nodes_never_hand_out_the_same_id);
	tcase_add_test(tc, a_missing_data_dir_is_created);
	tcase_add_test(tc, a_malformed_counter_file_is_an_error_not_a_guess);
	tcase_add_test(tc, a_data_dir_that_cannot_be_written_hands_out_nothing);
	tcase_add_test(tc, node_ids_that_do_not_fit_are_refused);
	tcase_add_test(tc, a_known_producer_gets_the_next_epoch_until_it_is_exhausted);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(supervisor_producer_ids_suite)
