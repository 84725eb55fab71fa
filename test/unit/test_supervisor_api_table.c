/* test_supervisor_api_table.c - the supervisor's one table of served APIs
 * (supervisor/api_table.c): the versions it promises, that they lie within
 * the schemas, and that every entry can be dispatched. What ApiVersions
 * sends from it, byte for byte, is checked in test_supervisor_front. */
#include <check.h>

#include "check_main.h"
#include "common/kafka/gen/kafka_gen.h"
#include "supervisor/api_table.h"
#include "supervisor/api_versions.h"
#include "supervisor/produce.h"

static void assert_range(int16_t key, int16_t min, int16_t max)
{
	const struct api_entry *e = api_table_find(key);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->api_key, key);
	ck_assert_int_eq(e->min_version, min);
	ck_assert_int_eq(e->max_version, max);
}

START_TEST(served_versions_are_the_contract)
{
	assert_range(KAFKA_API_PRODUCE, 0, 11);
	assert_range(KAFKA_API_FETCH, 4, 17);
	assert_range(KAFKA_API_LIST_OFFSETS, 1, 10);
	assert_range(KAFKA_API_METADATA, 0, 12);
	assert_range(KAFKA_API_API_VERSIONS, 0, 4);
	assert_range(KAFKA_API_INIT_PRODUCER_ID, 0, 4);
	assert_range(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 0, 4);
	assert_range(KAFKA_API_DESCRIBE_LOG_DIRS, 0, 4);
	assert_range(KAFKA_API_DESCRIBE_PRODUCERS, 0, 0);
	assert_range(KAFKA_API_DELETE_RECORDS, 0, 2);
	assert_range(KAFKA_API_DESCRIBE_CONFIGS, 0, 4);
	assert_range(KAFKA_API_ELECT_LEADERS, 0, 2);
	assert_range(KAFKA_API_DESCRIBE_CLUSTER, 0, 1);
	assert_range(KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, 0, 0);
	/* Consumer groups (issue 11). */
	assert_range(KAFKA_API_OFFSET_COMMIT, 0, 9);
	assert_range(KAFKA_API_OFFSET_FETCH, 0, 9);
	assert_range(KAFKA_API_FIND_COORDINATOR, 0, 6);
	assert_range(KAFKA_API_JOIN_GROUP, 0, 9);
	assert_range(KAFKA_API_HEARTBEAT, 0, 4);
	assert_range(KAFKA_API_LEAVE_GROUP, 0, 5);
	assert_range(KAFKA_API_SYNC_GROUP, 0, 5);
	assert_range(KAFKA_API_DESCRIBE_GROUPS, 0, 5);
	assert_range(KAFKA_API_LIST_GROUPS, 0, 5);
	assert_range(KAFKA_API_DELETE_GROUPS, 0, 2);
	assert_range(KAFKA_API_OFFSET_DELETE, 0, 0);
	assert_range(KAFKA_API_CREATE_TOPICS, 0, 7);
	assert_range(KAFKA_API_DELETE_TOPICS, 0, 6);
	assert_range(KAFKA_API_CREATE_PARTITIONS, 0, 3);
	assert_range(KAFKA_API_ALTER_CONFIGS, 0, 2);
	assert_range(KAFKA_API_INCREMENTAL_ALTER_CONFIGS, 0, 1);
	size_t n;
	api_table_all(&n);
	ck_assert_uint_eq(n, 30);
	ck_assert_ptr_null(api_table_find(KAFKA_API_CONSUMER_GROUP_HEARTBEAT));
	ck_assert_ptr_null(api_table_find(-1));
	ck_assert_ptr_null(api_table_find(999));
}
END_TEST

START_TEST(serving_a_version_includes_both_ends_and_nothing_outside)
{
	const struct api_entry *e = api_table_find(KAFKA_API_FETCH);
	ck_assert(api_entry_serves(e, 4));
	ck_assert(api_entry_serves(e, 17));
	ck_assert(!api_entry_serves(e, 3));
	ck_assert(!api_entry_serves(e, 18));
}
END_TEST

START_TEST(every_entry_lies_within_the_schemas_in_key_order)
{
	size_t n;
	const struct api_entry *all = api_table_all(&n);
	for (size_t i = 0; i < n; i++) {
		const struct kafka_api_info *info = kafka_api_lookup(all[i].api_key);
		ck_assert_ptr_nonnull(info);
		ck_assert_int_ge(all[i].min_version, info->min_version);
		ck_assert_int_le(all[i].max_version, info->max_version);
		ck_assert_int_le(all[i].min_version, all[i].max_version);
		if (i > 0)
			ck_assert_int_gt(all[i].api_key, all[i - 1].api_key);
		ck_assert_ptr_eq(api_table_find(all[i].api_key), &all[i]);
	}
}
END_TEST

START_TEST(every_entry_has_a_handler_and_says_where_its_answer_comes_from)
{
	size_t n;
	const struct api_entry *all = api_table_all(&n);
	int local = 0, to_leader = 0, to_coord = 0;
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(all[i].handle);
		/* exactly one of the three */
		ck_assert_int_eq(((all[i].flags & API_LOCAL) != 0) +
				     ((all[i].flags & API_TO_LEADER) != 0) +
				     ((all[i].flags & API_TO_COORDINATOR) != 0),
				 1);
		local += (all[i].flags & API_LOCAL) != 0;
		to_leader += (all[i].flags & API_TO_LEADER) != 0;
		to_coord += (all[i].flags & API_TO_COORDINATOR) != 0;
		/* Only ApiVersions answers versions it does not serve by itself. */
		ck_assert_int_eq(all[i].refuse != NULL, all[i].api_key == KAFKA_API_API_VERSIONS);
	}
	ck_assert_int_eq(local, 14); /* FindCoordinator answers from leadership */
	ck_assert_int_eq(to_leader, 6);
	ck_assert_int_eq(to_coord, 10);
	ck_assert(api_table_find(KAFKA_API_DELETE_RECORDS)->flags & API_TO_LEADER);
	ck_assert(api_table_find(KAFKA_API_ELECT_LEADERS)->flags & API_LOCAL);
	ck_assert(api_table_find(KAFKA_API_DESCRIBE_CONFIGS)->flags & API_LOCAL);
	ck_assert(api_table_find(KAFKA_API_JOIN_GROUP)->flags & API_TO_COORDINATOR);
	ck_assert(api_table_find(KAFKA_API_FIND_COORDINATOR)->flags & API_LOCAL);
	ck_assert(api_table_find(KAFKA_API_DESCRIBE_LOG_DIRS)->flags & API_LOCAL);
	ck_assert(api_table_find(KAFKA_API_OFFSET_FOR_LEADER_EPOCH)->flags & API_TO_LEADER);
	ck_assert(api_table_find(KAFKA_API_DESCRIBE_PRODUCERS)->flags & API_TO_LEADER);
	ck_assert(api_table_find(KAFKA_API_PRODUCE)->flags & API_TO_LEADER);
	ck_assert(api_table_find(KAFKA_API_METADATA)->flags & API_LOCAL);
	ck_assert_ptr_eq(api_table_find(KAFKA_API_PRODUCE)->handle, produce_handle);
	ck_assert_ptr_eq(api_table_find(KAFKA_API_API_VERSIONS)->handle, api_versions_handle);
	ck_assert_ptr_eq(api_table_find(KAFKA_API_API_VERSIONS)->refuse, api_versions_unsupported);
}
END_TEST

static Suite *supervisor_api_table_suite(void)
{
	Suite *su = suite_create("supervisor_api_table");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, served_versions_are_the_contract);
	tcase_add_test(tc, serving_a_version_includes_both_ends_and_nothing_outside);
	tcase_add_test(tc, every_entry_lies_within_the_schemas_in_key_order);
	tcase_add_test(tc, every_entry_has_a_handler_and_says_where_its_answer_comes_from);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(supervisor_api_table_suite)
