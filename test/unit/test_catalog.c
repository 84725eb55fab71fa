/* test_catalog.c - unit tests for the catalog: commands, pure apply,
 * placement and the snapshot format. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/catalog.h"
#include "common/err.h"
#include "common/kafka/kerr.h"

static uint64_t next_index;

/* Applies the command in b (then resets b) and returns the result. */
static struct catalog_result run(struct catalog *c, struct buf *b)
{
	struct catalog_result res;
	ck_assert_int_eq(catalog_apply(c, ++next_index, b->data, b->len, &res), 0);
	ck_assert_uint_eq(c->version, next_index);
	buf_reset(b);
	return res;
}

static void add_nodes(struct catalog *c, struct buf *b, int n)
{
	for (int i = 1; i <= n; i++) {
		struct catalog_node nd = {.id = i};
		snprintf(nd.kafka, sizeof(nd.kafka), "127.0.0.1:%d", 9091 + i);
		snprintf(nd.raft, sizeof(nd.raft), "127.0.0.1:%d", 9191 + i);
		ck_assert_int_eq(catalog_cmd_register_node(&nd, b), 0);
		ck_assert_int_eq(run(c, b).error, KERR_NONE);
	}
}

static struct catalog_result create(struct catalog *c, struct buf *b, const char *name, int parts,
				    int rf, uint8_t idbyte)
{
	struct catalog_topic_spec s = {.name = name, .partitions = parts, .replication = rf};
	memset(s.id, idbyte, 16);
	ck_assert_int_eq(catalog_cmd_create_topic(&s, false, b), 0);
	return run(c, b);
}

START_TEST(create_places_balanced_and_stores_it)
{
	struct catalog c;
	struct buf b;
	catalog_init(&c);
	buf_init(&b);
	next_index = 0;
	add_nodes(&c, &b, 3);
	ck_assert_int_eq(c.n_nodes, 3);
	ck_assert_int_eq(create(&c, &b, "orders", 6, 3, 1).error, KERR_NONE);
	const struct catalog_topic *t = catalog_find(&c, "orders", 6);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->partitions, 6);
	int leaders[4] = {0}, load[4] = {0};
	for (int p = 0; p < 6; p++) {
		const int32_t *r = catalog_replicas(t, p);
		leaders[r[0]]++;
		for (int k = 0; k < 3; k++) {
			load[r[k]]++;
			for (int j = 0; j < k; j++)
				ck_assert_int_ne(r[j], r[k]);
		}
	}
	for (int n = 1; n <= 3; n++) {
		ck_assert_int_eq(leaders[n], 2);
		ck_assert_int_eq(load[n], 6);
	}
	/* A second topic with rf 1 counts the first's leaders: 3 partitions
	 * land one per node. */
	ck_assert_int_eq(create(&c, &b, "small", 3, 1, 2).error, KERR_NONE);
	t = catalog_find(&c, "small", 5);
	int seen[4] = {0};
	for (int p = 0; p < 3; p++)
		seen[catalog_replicas(t, p)[0]]++;
	ck_assert_int_eq(seen[1] * seen[2] * seen[3], 1);
	catalog_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(create_refuses_bad_input_with_kafka_errors)
{
	struct catalog c;
	struct buf b;
	catalog_init(&c);
	buf_init(&b);
	next_index = 0;
	add_nodes(&c, &b, 3);
	ck_assert_int_eq(create(&c, &b, "t", 0, 1, 1).error, KERR_INVALID_PARTITIONS);
	ck_assert_int_eq(create(&c, &b, "t", 100000, 1, 1).error, KERR_INVALID_PARTITIONS);
	ck_assert_int_eq(create(&c, &b, "t", 1, 0, 1).error, KERR_INVALID_REPLICATION_FACTOR);
	struct catalog_result r = create(&c, &b, "t", 1, 4, 1);
	ck_assert_int_eq(r.error, KERR_INVALID_REPLICATION_FACTOR);
	ck_assert_ptr_nonnull(strstr(r.msg, "3 available"));
	ck_assert_int_eq(create(&c, &b, "..", 1, 1, 1).error, KERR_INVALID_TOPIC_EXCEPTION);
	char longname[251];
	memset(longname, 'a', 250);
	longname[250] = '\0';
	ck_assert_int_eq(create(&c, &b, longname, 1, 1, 1).error, KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_int_eq(c.n_topics, 0);
	ck_assert_int_eq(create(&c, &b, "a.b", 1, 1, 1).error, KERR_NONE);
	ck_assert_int_eq(create(&c, &b, "a.b", 1, 1, 2).error, KERR_TOPIC_ALREADY_EXISTS);
	ck_assert_int_eq(create(&c, &b, "a_b", 1, 1, 3).error, KERR_INVALID_TOPIC_EXCEPTION);
	/* A config that does not exist, and one out of range. */
	struct catalog_config cf = {"no_such_key", "1"};
	struct catalog_topic_spec s = {
	    .name = "x", .partitions = 1, .replication = 1, .configs = &cf, .n_configs = 1};
	memset(s.id, 9, 16);
	catalog_cmd_create_topic(&s, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_INVALID_CONFIG);
	struct catalog_config cf2 = {"retention_ms", "abc"};
	s.configs = &cf2;
	catalog_cmd_create_topic(&s, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_INVALID_CONFIG);
	/* validate-only changes nothing */
	struct catalog_config cf3 = {"retention_ms", "1000"};
	s.configs = &cf3;
	catalog_cmd_create_topic(&s, true, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	ck_assert_ptr_null(catalog_find(&c, "x", 1));
	catalog_cmd_create_topic(&s, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	ck_assert_str_eq(catalog_config_get(catalog_find(&c, "x", 1), "retention_ms"), "1000");
	/* Garbage is a result, not a crash. */
	buf_put(&b, "\xc1\x00", 2);
	ck_assert_int_eq(run(&c, &b).error, KERR_INVALID_REQUEST);
	ck_assert_int_eq(c.n_topics, 2);
	catalog_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(partitions_grow_only_and_keep_old_placement)
{
	struct catalog c;
	struct buf b;
	catalog_init(&c);
	buf_init(&b);
	next_index = 0;
	add_nodes(&c, &b, 3);
	create(&c, &b, "t", 2, 2, 1);
	int32_t before[4];
	memcpy(before, catalog_find(&c, "t", 1)->replicas, sizeof(before));
	catalog_cmd_create_partitions("t", 1, NULL, 0, 0, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_INVALID_PARTITIONS);
	catalog_cmd_create_partitions("t", 5, NULL, 0, 0, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	const struct catalog_topic *t = catalog_find(&c, "t", 1);
	ck_assert_int_eq(t->partitions, 5);
	ck_assert_int_eq(memcmp(t->replicas, before, sizeof(before)), 0);
	/* A node added later takes nothing existing; new topics may use it. */
	add_nodes(&c, &b, 4);
	ck_assert_int_eq(memcmp(catalog_find(&c, "t", 1)->replicas, before, sizeof(before)), 0);
	create(&c, &b, "u", 4, 1, 2);
	bool on4 = false;
	const struct catalog_topic *u = catalog_find(&c, "u", 1);
	for (int p = 0; p < 4; p++)
		on4 = on4 || catalog_replicas(u, p)[0] == 4;
	ck_assert(on4);
	catalog_cmd_create_partitions("nope", 5, NULL, 0, 0, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_UNKNOWN_TOPIC_OR_PARTITION);
	catalog_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(delete_by_name_and_id_and_recreate_gets_new_id)
{
	struct catalog c;
	struct buf b;
	catalog_init(&c);
	buf_init(&b);
	next_index = 0;
	add_nodes(&c, &b, 1);
	create(&c, &b, "t", 1, 1, 1);
	create(&c, &b, "u", 1, 1, 2);
	uint8_t id[16];
	memset(id, 7, 16);
	catalog_cmd_delete_topic(NULL, id, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_UNKNOWN_TOPIC_ID);
	memset(id, 2, 16);
	catalog_cmd_delete_topic(NULL, id, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	catalog_cmd_delete_topic("t", NULL, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	catalog_cmd_delete_topic("t", NULL, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_UNKNOWN_TOPIC_OR_PARTITION);
	ck_assert_int_eq(c.n_topics, 0);
	ck_assert_int_eq(create(&c, &b, "t", 1, 1, 3).error, KERR_NONE);
	ck_assert_uint_eq(catalog_find(&c, "t", 1)->id[0], 3);
	catalog_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(alter_configs_incremental_and_replace)
{
	struct catalog c;
	struct buf b;
	catalog_init(&c);
	buf_init(&b);
	next_index = 0;
	add_nodes(&c, &b, 1);
	create(&c, &b, "t", 1, 1, 1);
	struct catalog_config_op ops[] = {{"retention_ms", "5000"}, {"retention_bytes", "100"}};
	catalog_cmd_alter_configs("t", ops, 2, false, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	const struct catalog_topic *t = catalog_find(&c, "t", 1);
	ck_assert_int_eq(t->n_configs, 2);
	struct catalog_config_op del = {"retention_bytes", NULL};
	catalog_cmd_alter_configs("t", &del, 1, false, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	ck_assert_int_eq(t->n_configs, 1);
	ck_assert_str_eq(catalog_config_get(t, "retention_ms"), "5000");
	struct catalog_config_op bad = {"partitions", "3"};
	catalog_cmd_alter_configs("t", &bad, 1, false, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_INVALID_CONFIG);
	struct catalog_config_op set = {"max_message_bytes", "2000"};
	catalog_cmd_alter_configs("t", &set, 1, true, false, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	ck_assert_int_eq(t->n_configs, 1);
	ck_assert_ptr_null(catalog_config_get(t, "retention_ms"));
	catalog_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(adopt_once_keeps_given_placement_and_ids)
{
	struct catalog c;
	struct buf b;
	catalog_init(&c);
	buf_init(&b);
	next_index = 0;
	add_nodes(&c, &b, 3);
	int32_t reps[] = {2, 3, 3, 1};
	struct catalog_topic_spec s[2] = {
	    {.name = "a", .partitions = 2, .replication = 2, .replicas = reps},
	    {.name = "b", .partitions = 1, .replication = 1, .replicas = reps}};
	memset(s[0].id, 1, 16);
	memset(s[1].id, 2, 16);
	catalog_cmd_adopt("cid", s, 2, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_NONE);
	ck_assert(c.adopted);
	ck_assert_str_eq(c.cluster_id, "cid");
	ck_assert_int_eq(catalog_find(&c, "a", 1)->replicas[3], 1);
	ck_assert_int_eq(catalog_find(&c, "b", 1)->replicas[0], 2);
	catalog_cmd_adopt("other", s, 1, &b);
	ck_assert_int_eq(run(&c, &b).error, KERR_TOPIC_ALREADY_EXISTS);
	ck_assert_str_eq(c.cluster_id, "cid");
	ck_assert_int_eq(c.n_topics, 2);
	catalog_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(producer_id_blocks_never_overlap)
{
	struct catalog c;
	struct buf b;
	catalog_init(&c);
	buf_init(&b);
	next_index = 0;
	catalog_cmd_alloc_producer_ids(1, 1000, &b);
	struct catalog_result r1 = run(&c, &b);
	catalog_cmd_alloc_producer_ids(2, 1000, &b);
	struct catalog_result r2 = run(&c, &b);
	ck_assert_int_eq(r1.error, KERR_NONE);
	ck_assert(r1.value >= (int64_t)1 << 40);
	ck_assert_int_eq(r2.value, r1.value + 1000);
	catalog_free(&c);
	buf_free(&b);
}
END_TEST

START_TEST(snapshot_round_trip_and_replay_determinism)
{
	struct catalog c, d, e;
	struct buf b, s1, s2;
	catalog_init(&c);
	catalog_init(&d);
	buf_init(&b);
	buf_init(&s1);
	buf_init(&s2);
	next_index = 0;
	add_nodes(&c, &b, 3);
	create(&c, &b, "t", 4, 2, 1);
	struct catalog_config_op ops[] = {{"retention_ms", "5000"}};
	catalog_cmd_alter_configs("t", ops, 1, false, false, &b);
	run(&c, &b);
	ck_assert_int_eq(catalog_encode(&c, &s1), 0);
	ck_assert_int_eq(catalog_decode(&d, s1.data, s1.len), 0);
	ck_assert_int_eq(catalog_encode(&d, &s2), 0);
	ck_assert_uint_eq(s1.len, s2.len);
	ck_assert_int_eq(memcmp(s1.data, s2.data, s1.len), 0);
	ck_assert_uint_eq(d.version, c.version);
	ck_assert_int_eq(catalog_copy(&e, &d), 0);
	ck_assert_int_eq(catalog_find(&e, "t", 1)->replicas[7],
			 catalog_find(&c, "t", 1)->replicas[7]);
	/* Truncated or garbage snapshots are refused, the old state kept. */
	ck_assert_int_eq(catalog_decode(&d, s1.data, s1.len - 3), ERR_INVALID);
	ck_assert_int_eq(catalog_decode(&d, (const uint8_t *)"\x93\x01\x02\x03", 4), ERR_INVALID);
	ck_assert_int_eq(d.n_topics, 1);
	catalog_free(&c);
	catalog_free(&d);
	catalog_free(&e);
	buf_free(&b);
	buf_free(&s1);
	buf_free(&s2);
}
END_TEST

START_TEST(id_string_is_kafka_base64)
{
	uint8_t id[16] = {0};
	char s[32];
	catalog_id_str(id, s, sizeof(s));
	ck_assert_str_eq(s, "AAAAAAAAAAAAAAAAAAAAAA");
	ck_assert_uint_eq(strlen(s), 22);
}
END_TEST

Suite *catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, create_places_balanced_and_stores_it);
	tcase_add_test(tc, create_refuses_bad_input_with_kafka_errors);
	tcase_add_test(tc, partitions_grow_only_and_keep_old_placement);
	tcase_add_test(tc, delete_by_name_and_id_and_recreate_gets_new_id);
	tcase_add_test(tc, alter_configs_incremental_and_replace);
	tcase_add_test(tc, adopt_once_keeps_given_placement_and_ids);
	tcase_add_test(tc, producer_id_blocks_never_overlap);
	tcase_add_test(tc, snapshot_round_trip_and_replay_determinism);
	tcase_add_test(tc, id_string_is_kafka_base64);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(catalog_suite)
