/* test_supervisor_reload.c - unit tests for the reload diff
 * (supervisor/reload.c: reload_plan). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "common/config.h"
#include "common/config_keys.h"
#include "fake_sup.h"
#include "supervisor/reload.h"

#include "config_alt.h"

static struct config *load(const char *text) { return fake_config(text); }

#define NODE "[node]\nid = 1\n"

static const struct reload_change *find(const struct reload_plan *p, enum reload_kind k,
					const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (p->changes[i].kind == k && strcmp(p->changes[i].name, name) == 0)
			return &p->changes[i];
	return NULL;
}

START_TEST(identical_configs_plan_nothing)
{
	struct config *a = load(NODE "[topic.x]\npartitions = 2\n");
	struct config *b = load(NODE "[topic.x]\npartitions = 2\n");
	struct reload_plan p;
	ck_assert_int_eq(reload_plan(a, b, &p), 0);
	ck_assert_int_eq(p.n, 0);
	ck_assert(!p.restart_all_workers);
	reload_plan_free(&p);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(new_topics_and_grown_partitions_are_listed_in_order)
{
	struct config *a = load(NODE "[topic.x]\npartitions = 2\n[topic.y]\npartitions = 1\n");
	struct config *b = load(NODE "[topic.new1]\npartitions = 3\n[topic.x]\npartitions = 5\n"
				     "[topic.y]\npartitions = 1\n[topic.new2]\npartitions = 1\n");
	struct reload_plan p;
	ck_assert_int_eq(reload_plan(a, b, &p), 0);
	ck_assert_int_eq(p.n, 3);
	ck_assert_int_eq(p.changes[0].kind, RELOAD_PARTITIONS_GROWN);
	ck_assert_str_eq(p.changes[0].name, "x");
	ck_assert_int_eq(p.changes[0].from, 2);
	ck_assert_int_eq(p.changes[0].to, 5);
	ck_assert_int_eq(p.changes[1].kind, RELOAD_TOPIC_ADDED);
	ck_assert_str_eq(p.changes[1].name, "new1");
	ck_assert_int_eq(p.changes[1].to, 3);
	ck_assert_int_eq(p.changes[2].kind, RELOAD_TOPIC_ADDED);
	ck_assert_str_eq(p.changes[2].name, "new2");
	ck_assert(!p.restart_all_workers);
	reload_plan_free(&p);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(shrinking_and_removing_are_ignored_and_the_new_config_keeps_the_old_shape)
{
	struct config *a = load(NODE "[topic.x]\npartitions = 4\n[topic.gone]\npartitions = 2\n");
	struct config *b = load(NODE "[topic.x]\npartitions = 1\n");
	struct reload_plan p;
	ck_assert_int_eq(reload_plan(a, b, &p), 0);
	ck_assert_int_eq(p.n, 2);
	const struct reload_change *c = find(&p, RELOAD_PARTITIONS_SHRUNK, "x");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->from, 4);
	ck_assert_int_eq(c->to, 1);
	ck_assert_ptr_nonnull(find(&p, RELOAD_TOPIC_REMOVED, "gone"));
	/* The config that takes over still has both topics at full size. */
	ck_assert_int_eq(b->n_topics, 2);
	ck_assert_int_eq(config_topic_find(b, "x", 1)->partitions, 4);
	ck_assert_int_eq(config_topic_find(b, "gone", 4)->partitions, 2);
	reload_plan_free(&p);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(changed_topic_settings_restart_that_topic_only)
{
	struct config *a = load(NODE "[topic.x]\npartitions = 2\n[topic.y]\npartitions = 2\n");
	struct config *b = load(NODE "[topic.x]\npartitions = 2\nretention_ms = 1000\n"
				     "[topic.y]\npartitions = 2\n");
	struct reload_plan p;
	ck_assert_int_eq(reload_plan(a, b, &p), 0);
	ck_assert_int_eq(p.n, 1);
	ck_assert_int_eq(p.changes[0].kind, RELOAD_TOPIC_SETTINGS);
	ck_assert_str_eq(p.changes[0].name, "x");
	ck_assert(!p.restart_all_workers);
	reload_plan_free(&p);
	config_free(a);
	config_free(b);

	/* A global default inherited by a topic counts as that topic's change. */
	a = load(NODE "[topic.x]\npartitions = 1\n[topic.y]\npartitions = 1\nretention_ms = 5\n");
	b = load(NODE "[retention]\nms = 99\n[topic.x]\npartitions = 1\n"
		      "[topic.y]\npartitions = 1\nretention_ms = 5\n");
	ck_assert_int_eq(reload_plan(a, b, &p), 0);
	ck_assert_int_eq(p.n, 1);
	ck_assert_ptr_nonnull(find(&p, RELOAD_TOPIC_SETTINGS, "x"));
	reload_plan_free(&p);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(worker_wide_settings_restart_every_worker)
{
	const char *variants[] = {NODE "log_level = debug\n",
				  NODE "[storage]\nsync = never\n",
				  NODE "[storage]\nmap_size_mb = 8\n",
				  NODE "worker_path = /x\n",
				  NODE "[raft]\nelection_timeout_ms = 2000\n",
				  NODE "[raft]\nheartbeat_interval_ms = 100\n",
				  NODE "[raft]\nmax_entries_per_batch = 10\n"};
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct config *a = load(NODE);
		struct config *b = load(variants[i]);
		struct reload_plan p;
		ck_assert_int_eq(reload_plan(a, b, &p), 0);
		ck_assert_msg(p.restart_all_workers, "variant %zu", i);
		ck_assert_int_eq(p.n, 0);
		reload_plan_free(&p);
		config_free(a);
		config_free(b);
	}
}
END_TEST

START_TEST(node_settings_that_need_a_restart_keep_their_old_values)
{
	struct config *a = load(NODE);
	struct config *b =
	    load("[node]\nid = 2\nkafka_listen = 127.0.0.1:1\ndata_dir = /elsewhere\n"
		 "admin_listen = 127.0.0.1:2\nraft_listen = 127.0.0.1:3\n"
		 "[cluster]\nname = other\nnode.2 = a:1,a:2\n");
	struct reload_plan p;
	ck_assert_int_eq(reload_plan(a, b, &p), 0);
	const char *keys[] = {"node.id",
			      "node.data_dir",
			      "node.kafka_listen",
			      "node.admin_listen",
			      "node.raft_listen",
			      "cluster.name",
			      "cluster"};
	ck_assert_int_eq(p.n, 7);
	ck_assert_str_eq(b->cluster_name, "fjord");
	for (int i = 0; i < 7; i++)
		ck_assert_msg(find(&p, RELOAD_NEEDS_RESTART, keys[i]) != NULL, "%s", keys[i]);
	ck_assert_int_eq(b->node.id, 1);
	ck_assert_str_eq(b->node.data_dir, "./data");
	ck_assert_uint_eq(b->node.kafka_listen.port, 9092);
	ck_assert_uint_eq(b->node.admin_listen.port, 9644);
	ck_assert_uint_eq(b->node.raft_listen.port, 9192);
	ck_assert_int_eq(b->n_peers, 0);
	reload_plan_free(&p);
	config_free(a);
	config_free(b);
}
END_TEST

START_TEST(snapshot_threshold_is_sent_live_without_restarting_workers)
{
	struct config *a = load(NODE "[topic.x]\npartitions = 1\n");
	struct config *b =
	    load(NODE "[raft]\nsnapshot_threshold = 10\n[topic.x]\npartitions = 1\n");
	struct reload_plan p;
	ck_assert_int_eq(reload_plan(a, b, &p), 0);
	ck_assert(!p.restart_all_workers);
	ck_assert_int_eq(p.n, 1);
	ck_assert_ptr_nonnull(find(&p, RELOAD_WORKER_LIVE, "raft.snapshot_threshold"));
	ck_assert_int_eq(b->raft.snapshot_threshold, 10); /* the new value is taken */
	reload_plan_free(&p);
	config_free(a);
	config_free(b);
}
END_TEST

/* The INI text that sets key k to value on top of NODE and one topic x. */
static void ini_with(const struct config_key *k, const char *value, char *out, size_t len)
{
	if (config_key_is_topic(k))
		snprintf(out, len, NODE "[topic.x]\npartitions = 1\n%s = %s\n", k->key, value);
	else if (strcmp(k->section, "node") == 0 && strcmp(k->key, "id") == 0)
		snprintf(out, len, "[node]\nid = %s\n[topic.x]\npartitions = 1\n", value);
	else if (strcmp(k->section, "node") == 0)
		snprintf(out, len, NODE "%s = %s\n[topic.x]\npartitions = 1\n", k->key, value);
	else
		snprintf(out, len, NODE "[%s]\n%s = %s\n[topic.x]\npartitions = 1\n", k->section,
			 k->key, value);
}

START_TEST(each_key_of_the_table_gets_the_reload_its_table_row_says)
{
	/* One key changed at a time, for every key of the table: what the
	 * plan does must follow the key's `apply`, and nothing else. */
	int n_tested = 0;
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->apply == CONFIG_APPLY_SPECIAL)
			continue; /* partitions and replication: the tests above */
		struct config *a = load(NODE "[topic.x]\npartitions = 1\n");
		const void *abase = config_key_is_topic(k) ? (const void *)&a->topics[0] : a;
		char alt[CONFIG_PATH_MAX], text[2 * CONFIG_PATH_MAX];
		config_alt_value(k, abase, alt, sizeof(alt));
		ini_with(k, alt, text, sizeof(text));
		struct config *b = load(text);
		char name[128];
		snprintf(name, sizeof(name), "%s.%s", k->section, k->key);
		struct reload_plan p;
		ck_assert_int_eq(reload_plan(a, b, &p), 0);
		const void *bbase = config_key_is_topic(k) ? (const void *)&b->topics[0] : b;
		switch (k->apply) {
		case CONFIG_APPLY_NODE_RESTART:
			ck_assert_msg(!p.restart_all_workers && p.n == 1, "%s", name);
			ck_assert_msg(find(&p, RELOAD_NEEDS_RESTART, name) != NULL, "%s", name);
			ck_assert_msg(config_key_equal(k, abase, bbase), "%s: old value not kept",
				      name);
			break;
		case CONFIG_APPLY_WORKER_RESTART:
			if (config_key_is_topic(k)) {
				ck_assert_msg(!p.restart_all_workers && p.n == 1, "%s", name);
				ck_assert_msg(find(&p, RELOAD_TOPIC_SETTINGS, "x") != NULL, "%s",
					      name);
			} else {
				ck_assert_msg(p.restart_all_workers && p.n == 0, "%s", name);
			}
			break;
		case CONFIG_APPLY_WORKER_LIVE:
			ck_assert_msg(!p.restart_all_workers && p.n == 1, "%s", name);
			ck_assert_msg(find(&p, RELOAD_WORKER_LIVE, name) != NULL, "%s", name);
			break;
		case CONFIG_APPLY_SUPERVISOR:
			ck_assert_msg(!p.restart_all_workers && p.n == 0, "%s", name);
			ck_assert_msg(!config_key_equal(k, abase, bbase), "%s: not taken", name);
			break;
		case CONFIG_APPLY_VIA_TOPICS: /* topic x inherits it */
			ck_assert_msg(!p.restart_all_workers && p.n == 1, "%s", name);
			ck_assert_msg(find(&p, RELOAD_TOPIC_SETTINGS, "x") != NULL, "%s", name);
			break;
		case CONFIG_APPLY_SPECIAL:
			break;
		}
		n_tested++;
		reload_plan_free(&p);
		config_free(a);
		config_free(b);
	}
	ck_assert_int_ge(n_tested, 20);
}
END_TEST

static Suite *supervisor_reload_suite(void)
{
	Suite *s = suite_create("supervisor_reload");
	TCase *tc = tcase_create("plan");
	tcase_add_test(tc, identical_configs_plan_nothing);
	tcase_add_test(tc, new_topics_and_grown_partitions_are_listed_in_order);
	tcase_add_test(tc,
		       shrinking_and_removing_are_ignored_and_the_new_config_keeps_the_old_shape);
	tcase_add_test(tc, changed_topic_settings_restart_that_topic_only);
	tcase_add_test(tc, worker_wide_settings_restart_every_worker);
	tcase_add_test(tc, node_settings_that_need_a_restart_keep_their_old_values);
	tcase_add_test(tc, snapshot_threshold_is_sent_live_without_restarting_workers);
	tcase_add_test(tc, each_key_of_the_table_gets_the_reload_its_table_row_says);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(supervisor_reload_suite)
