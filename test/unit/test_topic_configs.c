/* test_topic_configs.c - the table of Kafka topic configs
 * (common/topic_configs.c): its agreement with the config-key table, the
 * three answers to a (name, value), resetting, the sources and synonyms
 * DescribeConfigs reports, and the topic-name rules of CreateTopics. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "common/config.h"
#include "common/config_keys.h"
#include "common/kafka/kerr.h"
#include "common/topic_configs.h"

static struct config *load_text(const char *text)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/fjord-test-tcfg-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	size_t len = strlen(text);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	struct config *c = NULL;
	char err[512];
	int rc = config_load(path, NULL, 0, &c, err, sizeof(err));
	unlink(path);
	ck_assert_msg(rc == 0, "%s", err);
	return c;
}

/* A file whose [retention] ms is set, with topic a (retention_ms set) and
 * topic b (nothing set, replication 3). */
static struct config *two_topics(void)
{
	return load_text("[node]\nid = 1\n[cluster]\nnode.1 = 127.0.0.1:9092,127.0.0.1:9192\n"
			 "node.2 = 127.0.0.2:9092,127.0.0.2:9192\n"
			 "node.3 = 127.0.0.3:9092,127.0.0.3:9192\n"
			 "[retention]\nms = 1000\n"
			 "[topic.a]\npartitions = 1\nretention_ms = 5000\n"
			 "[topic.b]\npartitions = 1\nreplication = 3\n");
}

START_TEST(the_configs_admin_tools_print_are_all_in_the_table)
{
	static const char *const must[] = {"cleanup.policy",
					   "retention.ms",
					   "retention.bytes",
					   "max.message.bytes",
					   "message.timestamp.type",
					   "min.insync.replicas",
					   "segment.bytes",
					   "compression.type",
					   "segment.ms",
					   "unclean.leader.election.enable",
					   "delete.retention.ms",
					   "min.cleanable.dirty.ratio",
					   "preallocate"};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		ck_assert_msg(topic_config_find(must[i]) != NULL, "%s missing", must[i]);
	ck_assert_ptr_null(topic_config_find("log.retention.ms")); /* a broker key */
	ck_assert_ptr_null(topic_config_find(NULL));
}
END_TEST

START_TEST(every_row_names_a_topic_key_or_a_value_and_sorted_uniquely)
{
	int n_impl = 0;
	for (int i = 0; i < topic_configs_n; i++) {
		const struct topic_config *r = &topic_configs[i];
		if (i > 0)
			ck_assert_msg(strcmp(topic_configs[i - 1].name, r->name) < 0,
				      "%s out of order", r->name);
		if (r->ini_key != NULL) {
			const struct config_key *k = topic_config_key(r);
			ck_assert_msg(k != NULL && config_key_is_topic(k), "%s: no key %s", r->name,
				      r->ini_key);
			ck_assert(topic_config_implemented(r));
			ck_assert_ptr_null(r->fixed);
			ck_assert_ptr_null(r->derive);
			n_impl++;
		} else {
			ck_assert_msg((r->fixed != NULL) != (r->derive != NULL), "%s", r->name);
			ck_assert_msg(r->instead != NULL, "%s says nothing of what fjord does",
				      r->name);
			ck_assert_int_eq(topic_config_apply_rule(r), CONFIG_APPLY_SUPERVISOR);
		}
	}
	ck_assert_int_eq(n_impl, 4);
	ck_assert_int_eq(topic_config_apply_rule(topic_config_find("retention.ms")),
			 config_key_find("topic", "retention_ms")->apply);
}
END_TEST

START_TEST(every_fixed_config_accepts_the_value_fjord_has)
{
	struct config *c = two_topics();
	struct config_topic t = c->topics[1];
	for (int i = 0; i < topic_configs_n; i++) {
		struct topic_config_entry e;
		topic_config_describe(c, &t, &topic_configs[i], &e);
		char why[256] = "";
		ck_assert_msg(topic_config_set(c, &t, topic_configs[i].name, e.value, why,
					       sizeof(why)) == KERR_NONE,
			      "%s=%s: %s", topic_configs[i].name, e.value, why);
	}
	config_free(c);
}
END_TEST

START_TEST(a_valid_kafka_value_fjord_does_not_implement_is_a_policy_violation_naming_it)
{
	struct config *c = two_topics();
	struct config_topic t = c->topics[1], before = t;
	char why[256];
	ck_assert_int_eq(topic_config_set(c, &t, "cleanup.policy", "compact", why, sizeof(why)),
			 KERR_POLICY_VIOLATION);
	ck_assert_msg(strstr(why, "cleanup.policy=compact") != NULL, "%s", why);
	ck_assert_msg(strstr(why, "compaction") != NULL, "%s", why);
	ck_assert_int_eq(
	    topic_config_set(c, &t, "cleanup.policy", "delete,compact", why, sizeof(why)),
	    KERR_POLICY_VIOLATION);
	ck_assert_int_eq(topic_config_set(c, &t, "cleanup.policy", " delete ", why, sizeof(why)),
			 KERR_NONE);
	ck_assert_int_eq(topic_config_set(c, &t, "segment.bytes", "1048576", why, sizeof(why)),
			 KERR_POLICY_VIOLATION);
	ck_assert_msg(strstr(why, "segment.bytes=1048576") && strstr(why, "segments"), "%s", why);
	ck_assert_int_eq(topic_config_set(c, &t, "compression.type", "zstd", why, sizeof(why)),
			 KERR_POLICY_VIOLATION);
	/* Replication 3: acks=all waits for 2. */
	ck_assert_int_eq(topic_config_set(c, &t, "min.insync.replicas", "2", why, sizeof(why)),
			 KERR_NONE);
	ck_assert_int_eq(topic_config_set(c, &t, "min.insync.replicas", "1", why, sizeof(why)),
			 KERR_POLICY_VIOLATION);
	ck_assert_msg(strstr(why, "min.insync.replicas=2") != NULL, "%s", why);
	ck_assert_int_eq(
	    topic_config_set(c, &t, "min.cleanable.dirty.ratio", "0.50", why, sizeof(why)),
	    KERR_NONE);
	ck_assert_int_eq(
	    topic_config_set(c, &t, "unclean.leader.election.enable", "TRUE", why, sizeof(why)),
	    KERR_POLICY_VIOLATION);
	/* Kafka takes retention.ms=0 and retention.bytes=-5; fjord's keys do
	 * not. */
	ck_assert_int_eq(topic_config_set(c, &t, "retention.ms", "0", why, sizeof(why)),
			 KERR_POLICY_VIOLATION);
	ck_assert_msg(strstr(why, "retention.ms=0") != NULL, "%s", why);
	ck_assert_int_eq(topic_config_set(c, &t, "retention.bytes", "-5", why, sizeof(why)),
			 KERR_POLICY_VIOLATION);
	ck_assert_int_eq(memcmp(&t, &before, sizeof(t)), 0);
	config_free(c);
}
END_TEST

START_TEST(an_unknown_name_or_a_value_kafka_refuses_is_invalid_config)
{
	struct config *c = two_topics();
	struct config_topic t = c->topics[1], before = t;
	char why[256];
	struct {
		const char *name, *value, *says;
	} cases[] = {
	    {"retention.hours", "1", "unknown topic config 'retention.hours'"},
	    {"retention.ms", "-2", "retention.ms must be an integer in -1.."},
	    {"retention.ms", "abc", "got 'abc'"},
	    {"retention.ms", NULL, "retention.ms"},
	    {"max.message.bytes", "2147483648", "max.message.bytes must be an integer"},
	    {"cleanup.policy", "remove", "cleanup.policy items must be among"},
	    {"message.timestamp.type", "createtime", "must be one of CreateTime,LogAppendTime"},
	    {"preallocate", "yes", "preallocate must be true or false"},
	    {"min.cleanable.dirty.ratio", "1.5", "min.cleanable.dirty.ratio must be a number"},
	    {"segment.bytes", "13", "segment.bytes must be an integer in 14.."},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(topic_config_set(c, &t, cases[i].name, cases[i].value, why,
					       sizeof(why)) == KERR_INVALID_CONFIG,
			      "%s=%s", cases[i].name, cases[i].value);
		ck_assert_msg(strstr(why, cases[i].says) != NULL, "%s=%s: '%s'", cases[i].name,
			      cases[i].value, why);
	}
	ck_assert_int_eq(memcmp(&t, &before, sizeof(t)), 0);
	config_free(c);
}
END_TEST

START_TEST(an_implemented_config_is_applied_and_marked_as_the_topics_own)
{
	struct config *c = two_topics();
	struct config_topic t = c->topics[1];
	ck_assert_int_eq(t.retention_ms, 1000); /* inherited from [retention] ms */
	char why[256];
	ck_assert_int_eq(topic_config_check(c, &t, "retention.ms", "86400000", why, sizeof(why)),
			 KERR_NONE);
	ck_assert_int_eq(t.retention_ms, 1000); /* check alone changes nothing */
	ck_assert_int_eq(topic_config_set(c, &t, "retention.ms", "86400000", why, sizeof(why)),
			 KERR_NONE);
	ck_assert_int_eq(t.retention_ms, 86400000);
	ck_assert_int_eq(topic_config_set(c, &t, "retention.bytes", "-1", why, sizeof(why)),
			 KERR_NONE);
	ck_assert_int_eq(t.retention_bytes, -1);
	ck_assert_int_eq(
	    topic_config_set(c, &t, "message.timestamp.type", "LogAppendTime", why, sizeof(why)),
	    KERR_NONE);
	ck_assert_int_eq(t.message_timestamp_type, CONFIG_TS_LOG_APPEND_TIME);
	ck_assert_int_eq(topic_config_set(c, &t, "max.message.bytes", "2000000", why, sizeof(why)),
			 KERR_NONE);
	ck_assert_int_eq(t.max_message_bytes, 2000000);
	struct topic_config_entry e;
	topic_config_describe(c, &t, topic_config_find("retention.ms"), &e);
	ck_assert_str_eq(e.value, "86400000");
	ck_assert_int_eq(e.source, TOPIC_CONFIG_SRC_DYNAMIC_TOPIC);
	ck_assert(!e.is_default);
	config_free(c);
}
END_TEST

START_TEST(reset_returns_a_config_to_the_brokers_value)
{
	struct config *c = two_topics();
	struct config_topic t = c->topics[0]; /* retention_ms = 5000 in its section */
	ck_assert_int_eq(t.retention_ms, 5000);
	char why[256];
	ck_assert_int_eq(topic_config_reset(c, &t, "retention.ms", why, sizeof(why)), KERR_NONE);
	ck_assert_int_eq(t.retention_ms, 1000);
	struct topic_config_entry e;
	topic_config_describe(c, &t, topic_config_find("retention.ms"), &e);
	ck_assert_int_eq(e.source, TOPIC_CONFIG_SRC_STATIC_BROKER);
	/* A key with a default of its own and no global. */
	ck_assert_int_eq(
	    topic_config_set(c, &t, "message.timestamp.type", "LogAppendTime", why, sizeof(why)),
	    KERR_NONE);
	ck_assert_int_eq(topic_config_reset(NULL, &t, "message.timestamp.type", why, sizeof(why)),
			 KERR_NONE);
	ck_assert_int_eq(t.message_timestamp_type, CONFIG_TS_CREATE_TIME);
	ck_assert_int_eq(topic_config_reset(c, &t, "cleanup.policy", why, sizeof(why)), KERR_NONE);
	ck_assert_int_eq(topic_config_reset(c, &t, "nope", why, sizeof(why)), KERR_INVALID_CONFIG);
	config_free(c);
}
END_TEST

START_TEST(describe_reports_sources_and_synonyms_in_kafkas_order)
{
	struct config *c = two_topics();
	struct topic_config_entry e;
	/* Topic a sets retention_ms, the file sets [retention] ms. */
	topic_config_describe(c, &c->topics[0], topic_config_find("retention.ms"), &e);
	ck_assert_str_eq(e.value, "5000");
	ck_assert_int_eq(e.source, TOPIC_CONFIG_SRC_DYNAMIC_TOPIC);
	ck_assert_int_eq(e.n_synonyms, 3);
	ck_assert_str_eq(e.synonyms[0].name, "retention.ms");
	ck_assert_str_eq(e.synonyms[0].value, "5000");
	ck_assert_int_eq(e.synonyms[0].source, TOPIC_CONFIG_SRC_DYNAMIC_TOPIC);
	ck_assert_str_eq(e.synonyms[1].name, "log.retention.ms");
	ck_assert_str_eq(e.synonyms[1].value, "1000");
	ck_assert_int_eq(e.synonyms[1].source, TOPIC_CONFIG_SRC_STATIC_BROKER);
	ck_assert_str_eq(e.synonyms[2].name, "log.retention.ms");
	ck_assert_str_eq(e.synonyms[2].value, "604800000");
	ck_assert_int_eq(e.synonyms[2].source, TOPIC_CONFIG_SRC_DEFAULT);
	/* Topic b inherits the file's value. */
	topic_config_describe(c, &c->topics[1], topic_config_find("retention.ms"), &e);
	ck_assert_str_eq(e.value, "1000");
	ck_assert_int_eq(e.source, TOPIC_CONFIG_SRC_STATIC_BROKER);
	ck_assert_int_eq(e.n_synonyms, 2);
	/* Nobody set retention.bytes: the default. */
	topic_config_describe(c, &c->topics[1], topic_config_find("retention.bytes"), &e);
	ck_assert_str_eq(e.value, "-1");
	ck_assert_int_eq(e.source, TOPIC_CONFIG_SRC_DEFAULT);
	ck_assert(e.is_default);
	ck_assert_int_eq(e.n_synonyms, 1);
	ck_assert_str_eq(e.synonyms[0].name, "log.retention.bytes");
	topic_config_describe(c, &c->topics[1], topic_config_find("message.timestamp.type"), &e);
	ck_assert_str_eq(e.value, "CreateTime");
	ck_assert_str_eq(e.synonyms[0].name, "log.message.timestamp.type");
	/* Fixed and derived values. */
	topic_config_describe(c, &c->topics[1], topic_config_find("cleanup.policy"), &e);
	ck_assert_str_eq(e.value, "delete");
	ck_assert_int_eq(e.source, TOPIC_CONFIG_SRC_DEFAULT);
	ck_assert_str_eq(e.synonyms[0].name, "log.cleanup.policy");
	topic_config_describe(c, &c->topics[1], topic_config_find("min.insync.replicas"), &e);
	ck_assert_str_eq(e.value, "2");
	topic_config_describe(c, &c->topics[0], topic_config_find("min.insync.replicas"), &e);
	ck_assert_str_eq(e.value, "1");
	topic_config_describe(c, &c->topics[0], topic_config_find("flush.messages"), &e);
	ck_assert_str_eq(e.value, "1"); /* sync = always */
	topic_config_describe(c, &c->topics[0],
			      topic_config_find("follower.replication.throttled.replicas"), &e);
	ck_assert_str_eq(e.value, "");
	ck_assert_int_eq(e.n_synonyms, 0);
	config_free(c);
}
END_TEST

START_TEST(topic_names_follow_kafkas_rules)
{
	char why[256];
	ck_assert_int_eq(topic_name_check("orders.v1_x-2", 13, why, sizeof(why)), KERR_NONE);
	ck_assert_int_eq(topic_name_check("", 0, why, sizeof(why)), KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_int_eq(topic_name_check(".", 1, why, sizeof(why)), KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_int_eq(topic_name_check("..", 2, why, sizeof(why)), KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_int_eq(topic_name_check("...", 3, why, sizeof(why)), KERR_NONE);
	ck_assert_int_eq(topic_name_check("a b", 3, why, sizeof(why)),
			 KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_msg(strstr(why, "at 1") != NULL, "%s", why);
	ck_assert_int_eq(topic_name_check("caf\xc3\xa9", 5, why, sizeof(why)),
			 KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_int_eq(topic_name_check("__mine", 6, why, sizeof(why)),
			 KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_msg(strstr(why, "reserved") != NULL, "%s", why);
	char name[251];
	memset(name, 'a', sizeof(name));
	ck_assert_int_eq(topic_name_check(name, 249, why, sizeof(why)), KERR_NONE);
	ck_assert_int_eq(topic_name_check(name, 250, why, sizeof(why)),
			 KERR_INVALID_TOPIC_EXCEPTION);
	ck_assert_msg(strstr(why, "250") != NULL, "%s", why);
}
END_TEST

START_TEST(a_name_differing_only_by_dot_and_underscore_collides)
{
	const char *const existing[] = {"orders", "a.b_c", "x_y"};
	ck_assert_int_eq(topic_name_collision("a_b.c", 5, existing, 3), 1);
	ck_assert_int_eq(topic_name_collision("a_b_c", 5, existing, 3), 1);
	ck_assert_int_eq(topic_name_collision("x.y", 3, existing, 3), 2);
	ck_assert_int_eq(topic_name_collision("a.b_c", 5, existing, 3), -1); /* identical */
	ck_assert_int_eq(topic_name_collision("orders", 6, existing, 3), -1);
	ck_assert_int_eq(topic_name_collision("x.yz", 4, existing, 3), -1);
	ck_assert_int_eq(topic_name_collision("x.y", 3, existing, 0), -1);
}
END_TEST

/* docs/CONFIG.md's "Kafka topic configs" table: one row per row of the
 * table, in its order, naming the broker synonym and the [topic.NAME] key
 * (or the fixed value). */
START_TEST(config_md_lists_every_topic_config_with_its_source)
{
	const char *root = getenv("FJORD_SRC_DIR");
	char fn[512];
	snprintf(fn, sizeof(fn), "%s/docs/CONFIG.md", root && *root ? root : ".");
	FILE *f = fopen(fn, "r");
	ck_assert_msg(f != NULL, "cannot open %s", fn);
	char line[1024];
	bool in = false;
	int n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "## ", 3) == 0)
			in = strcmp(line, "## Kafka topic configs\n") == 0;
		if (!in || strncmp(line, "| `", 3) != 0)
			continue;
		ck_assert_int_lt(n, topic_configs_n);
		const struct topic_config *r = &topic_configs[n++];
		char want[300];
		snprintf(want, sizeof(want), "| `%s` | %s | ", r->name,
			 r->broker ? r->broker : "-");
		ck_assert_msg(strncmp(line, want, strlen(want)) == 0,
			      "CONFIG.md row '%.60s' wants '%s'", line, want);
		if (r->ini_key != NULL)
			snprintf(want, sizeof(want), "`%s` of the topic's section", r->ini_key);
		else if (r->fixed != NULL && r->fixed[0] == '\0')
			snprintf(want, sizeof(want), "always empty");
		else if (r->fixed != NULL)
			snprintf(want, sizeof(want), "always `%s`", r->fixed);
		else
			snprintf(want, sizeof(want), "derived: ");
		ck_assert_msg(strstr(line, want) != NULL, "CONFIG.md: %s lacks %s", r->name, want);
	}
	fclose(f);
	ck_assert_int_eq(n, topic_configs_n);
}
END_TEST

static Suite *topic_configs_suite(void)
{
	Suite *s = suite_create("topic_configs");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, the_configs_admin_tools_print_are_all_in_the_table);
	tcase_add_test(tc, every_row_names_a_topic_key_or_a_value_and_sorted_uniquely);
	tcase_add_test(tc, every_fixed_config_accepts_the_value_fjord_has);
	tcase_add_test(
	    tc, a_valid_kafka_value_fjord_does_not_implement_is_a_policy_violation_naming_it);
	tcase_add_test(tc, an_unknown_name_or_a_value_kafka_refuses_is_invalid_config);
	tcase_add_test(tc, an_implemented_config_is_applied_and_marked_as_the_topics_own);
	tcase_add_test(tc, reset_returns_a_config_to_the_brokers_value);
	tcase_add_test(tc, describe_reports_sources_and_synonyms_in_kafkas_order);
	tcase_add_test(tc, topic_names_follow_kafkas_rules);
	tcase_add_test(tc, a_name_differing_only_by_dot_and_underscore_collides);
	tcase_add_test(tc, config_md_lists_every_topic_config_with_its_source);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(topic_configs_suite)
