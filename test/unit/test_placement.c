/* test_placement.c - unit tests for the deterministic replica placement. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "common/placement.h"

START_TEST(hash_is_fnv1a_32)
{
	/* Reference values of the FNV-1a 32-bit test suite. */
	ck_assert_uint_eq(placement_hash(""), 0x811c9dc5u);
	ck_assert_uint_eq(placement_hash("a"), 0xe40c292cu);
	ck_assert_uint_eq(placement_hash("foobar"), 0xbf9cf968u);
}
END_TEST

START_TEST(replicas_start_at_hash_plus_partition_and_wrap_around)
{
	const int32_t nodes[] = {1, 2, 3};
	uint32_t h = placement_hash("t");
	for (int32_t p = 0; p < 9; p++) {
		int32_t out[3] = {0};
		ck_assert_int_eq(placement_replicas("t", p, nodes, 3, 3, out), 3);
		int start = (int)(((uint64_t)h + (uint64_t)p) % 3);
		for (int k = 0; k < 3; k++)
			ck_assert_int_eq(out[k], nodes[(start + k) % 3]);
	}
}
END_TEST

START_TEST(replicas_are_distinct_nodes_and_capped_by_the_node_count)
{
	const int32_t nodes[] = {4, 7, 9, 12, 20};
	int32_t out[8];
	for (int32_t p = 0; p < 50; p++) {
		memset(out, 0, sizeof(out));
		ck_assert_int_eq(placement_replicas("orders", p, nodes, 5, 3, out), 3);
		for (int a = 0; a < 3; a++)
			for (int b = a + 1; b < 3; b++)
				ck_assert_int_ne(out[a], out[b]);
	}
	ck_assert_int_eq(placement_replicas("orders", 0, nodes, 5, 8, out), 5);
	ck_assert_int_eq(placement_replicas("orders", 0, nodes, 2, 3, out), 2);
}
END_TEST

START_TEST(preferred_leaders_spread_evenly_over_nodes)
{
	const int32_t nodes[] = {1, 2, 3};
	const char *topics[] = {"t", "orders", "x.y-z_1"};
	for (int t = 0; t < 3; t++) {
		int led[4] = {0};
		for (int32_t p = 0; p < 9; p++) {
			int32_t out[3];
			ck_assert_int_eq(placement_replicas(topics[t], p, nodes, 3, 3, out), 3);
			led[out[0]]++;
		}
		ck_assert_int_eq(led[1], 3);
		ck_assert_int_eq(led[2], 3);
		ck_assert_int_eq(led[3], 3);
	}
}
END_TEST

START_TEST(placement_is_the_same_for_the_same_inputs_and_differs_by_topic)
{
	const int32_t nodes[] = {1, 2, 3, 4, 5, 6, 7};
	int32_t a[3], b[3];
	ck_assert_int_eq(placement_replicas("alpha", 5, nodes, 7, 3, a), 3);
	ck_assert_int_eq(placement_replicas("alpha", 5, nodes, 7, 3, b), 3);
	ck_assert_mem_eq(a, b, sizeof(a));
	/* Some topic among a few must start elsewhere than "alpha" does. */
	const char *others[] = {"beta", "gamma", "delta", "epsilon"};
	int differ = 0;
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(placement_replicas(others[i], 5, nodes, 7, 3, b), 3);
		differ += b[0] != a[0];
	}
	ck_assert_int_gt(differ, 0);
}
END_TEST

START_TEST(one_node_cluster_places_everything_on_itself)
{
	const int32_t nodes[] = {42};
	int32_t out[1] = {0};
	ck_assert_int_eq(placement_replicas("t", 3, nodes, 1, 3, out), 1);
	ck_assert_int_eq(out[0], 42);
}
END_TEST

START_TEST(bad_inputs_place_nothing)
{
	const int32_t nodes[] = {1, 2};
	int32_t out[2] = {-7, -7};
	ck_assert_int_eq(placement_replicas("t", 0, nodes, 0, 1, out), 0);
	ck_assert_int_eq(placement_replicas("t", 0, nodes, 2, 0, out), 0);
	ck_assert_int_eq(placement_replicas("t", -1, nodes, 2, 1, out), 0);
	ck_assert_int_eq(out[0], -7);
}
END_TEST

Suite *placement_suite(void)
{
	Suite *s = suite_create("placement");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, hash_is_fnv1a_32);
	tcase_add_test(tc, replicas_start_at_hash_plus_partition_and_wrap_around);
	tcase_add_test(tc, replicas_are_distinct_nodes_and_capped_by_the_node_count);
	tcase_add_test(tc, preferred_leaders_spread_evenly_over_nodes);
	tcase_add_test(tc, placement_is_the_same_for_the_same_inputs_and_differs_by_topic);
	tcase_add_test(tc, one_node_cluster_places_everything_on_itself);
	tcase_add_test(tc, bad_inputs_place_nothing);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(placement_suite)
