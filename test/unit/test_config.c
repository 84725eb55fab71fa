/* test_config.c - unit tests for the INI loader in common/config.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "common/config.h"
#include "common/err.h"

static char path[64];
static char err[1024];

/* Writes text to a fresh temp file whose name is left in `path`. */
static void write_ini(const char *text)
{
	snprintf(path, sizeof(path), "/tmp/fjord-test-config-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	size_t len = strlen(text);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static struct config *load_ok(const char *text)
{
	struct config *c = NULL;
	write_ini(text);
	int rc = config_load(path, NULL, 0, &c, err, sizeof(err));
	if (rc != 0)
		ck_abort_msg("config_load failed: %s", err);
	unlink(path);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Loads text expecting failure; checks err equals "<path>:<want>". */
static void load_fails_with(const char *text, const char *want)
{
	struct config *c = (struct config *)1;
	write_ini(text);
	int rc = config_load(path, NULL, 0, &c, err, sizeof(err));
	ck_assert_int_eq(rc, ERR_CONFIG);
	ck_assert_ptr_null(c);
	char expect[1024];
	snprintf(expect, sizeof(expect), "%s:%s", path, want);
	ck_assert_str_eq(err, expect);
	unlink(path);
}

START_TEST(minimal_file_gets_every_documented_default)
{
	struct config *c = load_ok("[node]\nid = 7\n");
	ck_assert_int_eq(c->node.id, 7);
	ck_assert_str_eq(c->node.data_dir, "./data");
	ck_assert_str_eq(c->node.kafka_listen.host, "127.0.0.1");
	ck_assert_uint_eq(c->node.kafka_listen.port, 9092);
	ck_assert_str_eq(c->node.advertised_host, "127.0.0.1");
	ck_assert_uint_eq(c->node.admin_listen.port, 9644);
	ck_assert_uint_eq(c->node.raft_listen.port, 9192);
	ck_assert_int_eq(c->node.log_level, LOG_INFO);
	ck_assert_str_eq(c->node.worker_path, "");
	ck_assert_int_eq(c->kafka.socket_request_max_bytes, 104857600);
	ck_assert_int_eq(c->kafka.max_connections, 10000);
	ck_assert_int_eq(c->storage.sync, CONFIG_SYNC_ALWAYS);
	ck_assert_int_eq(c->storage.map_size_mb, 1024);
	ck_assert_int_eq(c->storage.max_message_bytes, 1048576);
	ck_assert_int_eq(c->retention.ms, 604800000);
	ck_assert_int_eq(c->retention.bytes, -1);
	ck_assert_int_eq(c->raft.election_timeout_ms, 3000);
	ck_assert_int_eq(c->raft.heartbeat_interval_ms, 150);
	ck_assert_int_eq(c->raft.max_entries_per_batch, 100);
	ck_assert_int_eq(c->raft.snapshot_threshold, 10000);
	ck_assert_int_eq(c->n_peers, 0);
	ck_assert_int_eq(c->n_topics, 0);
	config_free(c);
}
END_TEST

START_TEST(full_file_sets_every_key_and_topics_inherit_global_settings)
{
	struct config *c =
	    load_ok("; comment\n# another\n"
		    "[node]\nid = 3\ndata_dir = /var/lib/fjord\nkafka_listen = 0.0.0.0:19092\n"
		    "advertised_host = broker3.example\nadmin_listen = [::1]:19644\n"
		    "raft_listen = 10.0.0.3:19192\nlog_level = debug\nworker_path = /opt/fw\n"
		    "[kafka]\nsocket_request_max_bytes = 2048\nmax_connections = 5\n"
		    "[storage]\nsync = never\nmap_size_mb = 64\nmax_message_bytes = 1000 ; inline\n"
		    "[retention]\nms = -1\nbytes = 123456\n"
		    "[raft]\nelection_timeout_ms = 500\nheartbeat_interval_ms = 50\n"
		    "max_entries_per_batch = 7\nsnapshot_threshold = 99\n"
		    "[cluster]\nnode.3 = b3:19092,b3:19192\nnode.1 = b1:9092 , b1:9192\n"
		    "node.2 = b2:9092,b2:9192\n"
		    "[topic.orders]\npartitions = 4\nreplication = 3\n"
		    "[topic.events.v1]\npartitions = 2\nretention_ms = 1000\nretention_bytes = -1\n"
		    "max_message_bytes = 50\n");
	ck_assert_int_eq(c->node.id, 3);
	ck_assert_str_eq(c->node.data_dir, "/var/lib/fjord");
	ck_assert_str_eq(c->node.kafka_listen.host, "0.0.0.0");
	ck_assert_uint_eq(c->node.kafka_listen.port, 19092);
	ck_assert_str_eq(c->node.advertised_host, "broker3.example");
	ck_assert_str_eq(c->node.admin_listen.host, "::1");
	ck_assert_uint_eq(c->node.admin_listen.port, 19644);
	ck_assert_str_eq(c->node.raft_listen.host, "10.0.0.3");
	ck_assert_int_eq(c->node.log_level, LOG_DEBUG);
	ck_assert_str_eq(c->node.worker_path, "/opt/fw");
	ck_assert_int_eq(c->kafka.socket_request_max_bytes, 2048);
	ck_assert_int_eq(c->kafka.max_connections, 5);
	ck_assert_int_eq(c->storage.sync, CONFIG_SYNC_NEVER);
	ck_assert_int_eq(c->storage.map_size_mb, 64);
	ck_assert_int_eq(c->storage.max_message_bytes, 1000);
	ck_assert_int_eq(c->retention.ms, -1);
	ck_assert_int_eq(c->retention.bytes, 123456);
	ck_assert_int_eq(c->raft.election_timeout_ms, 500);
	ck_assert_int_eq(c->raft.heartbeat_interval_ms, 50);
	ck_assert_int_eq(c->raft.max_entries_per_batch, 7);
	ck_assert_int_eq(c->raft.snapshot_threshold, 99);
	ck_assert_int_eq(c->n_peers, 3);
	ck_assert_int_eq(c->peers[0].id, 1); /* sorted by id */
	ck_assert_str_eq(c->peers[0].kafka.host, "b1");
	ck_assert_uint_eq(c->peers[0].raft.port, 9192);
	ck_assert_int_eq(c->peers[2].id, 3);
	ck_assert_uint_eq(c->peers[2].kafka.port, 19092);
	ck_assert_int_eq(c->n_topics, 2);
	ck_assert_str_eq(c->topics[0].name, "orders");
	ck_assert_int_eq(c->topics[0].partitions, 4);
	ck_assert_int_eq(c->topics[0].replication, 3);
	ck_assert_int_eq(c->topics[0].retention_ms, -1);
	ck_assert_int_eq(c->topics[0].retention_bytes, 123456);
	ck_assert_int_eq(c->topics[0].max_message_bytes, 1000);
	ck_assert_str_eq(c->topics[1].name, "events.v1");
	ck_assert_int_eq(c->topics[1].partitions, 2);
	ck_assert_int_eq(c->topics[1].replication, 1);
	ck_assert_int_eq(c->topics[1].retention_ms, 1000);
	ck_assert_int_eq(c->topics[1].retention_bytes, -1);
	ck_assert_int_eq(c->topics[1].max_message_bytes, 50);
	ck_assert_ptr_eq(config_topic_find(c, "events.v1", 9), &c->topics[1]);
	ck_assert_ptr_null(config_topic_find(c, "events", 6));
	config_free(c);
}
END_TEST

START_TEST(unknown_key_names_file_line_section_and_key)
{
	load_fails_with("[node]\nid = 1\n\nportt = 5\n",
			"4: node.portt: unknown key (expected one of: id, data_dir, kafka_listen, "
			"advertised_host, admin_listen, raft_listen, log_level, worker_path)");
}
END_TEST

START_TEST(unknown_section_is_reported_at_its_header_even_without_keys)
{
	load_fails_with("[node]\nid = 1\n[nodes]\n",
			"3: [nodes]: unknown section (expected node, kafka, storage, retention, "
			"raft, cluster, groups or topic.NAME)");
}
END_TEST

START_TEST(bad_integer_value_names_the_range_and_the_value)
{
	load_fails_with("[node]\nid = 1\n[kafka]\nmax_connections = 12abc\n",
			"4: kafka.max_connections: must be an integer in 1..1000000, got '12abc'");
	load_fails_with("[node]\nid = 0\n",
			"2: node.id: must be an integer in 1..1000000, got '0'");
	load_fails_with("[node]\nid = 1000001\n",
			"2: node.id: must be an integer in 1..1000000, got '1000001'");
	load_fails_with("[node]\nid =\n", "2: node.id: must be an integer in 1..1000000, got ''");
}
END_TEST

START_TEST(bad_enum_address_and_retention_values_are_rejected)
{
	load_fails_with("[node]\nid = 1\n[storage]\nsync = sometimes\n",
			"4: storage.sync: must be always or never, got 'sometimes'");
	load_fails_with("[node]\nid = 1\nlog_level = loud\n",
			"3: node.log_level: must be one of error, warn, info, debug, got 'loud'");
	load_fails_with("[node]\nid = 1\nkafka_listen = localhost\n",
			"3: node.kafka_listen: must be host:port (or [ipv6]:port) with port "
			"1..65535, got 'localhost'");
	load_fails_with("[node]\nid = 1\nkafka_listen = localhost:70000\n",
			"3: node.kafka_listen: must be host:port (or [ipv6]:port) with port "
			"1..65535, got 'localhost:70000'");
	load_fails_with("[node]\nid = 1\n[retention]\nms = 0\n",
			"4: retention.ms: must be -1 (unlimited) or an integer in "
			"1..9223372036854775807, got '0'");
}
END_TEST

START_TEST(missing_required_node_id_is_reported_at_the_node_section)
{
	load_fails_with("# x\n[node]\ndata_dir = /tmp/x\n",
			"2: node.id: required key is missing (set it in [node] or pass --node-id)");
	load_fails_with("",
			"1: node.id: required key is missing (set it in [node] or pass --node-id)");
}
END_TEST

START_TEST(topic_sections_are_validated)
{
	load_fails_with("[node]\nid = 1\n[topic.orders]\nreplication = 1\n",
			"3: topic.orders.partitions: required key is missing");
	load_fails_with("[node]\nid = 1\n[topic.orders]\npartitions = 10001\n",
			"4: topic.orders.partitions: must be an integer in 1..10000, got '10001'");
	load_fails_with("[node]\nid = 1\n[topic.a b]\npartitions = 1\n",
			"3: [topic.a b]: invalid topic name: use 1..249 characters of "
			"[a-zA-Z0-9._-], not . or ..");
	load_fails_with("[node]\nid = 1\n[topic..]\npartitions = 1\n",
			"3: [topic..]: invalid topic name: use 1..249 characters of "
			"[a-zA-Z0-9._-], not . or ..");
	load_fails_with("[node]\nid = 1\n[topic.__x]\npartitions = 1\n",
			"3: [topic.__x]: topic names starting with __ are reserved for internal "
			"topics");
	load_fails_with(
	    "[node]\nid = 1\n[topic.t]\npartitions = 1\nsize = 2\n",
	    "5: topic.t.size: unknown key (expected partitions, replication, "
	    "retention_ms, retention_bytes, max_message_bytes or message_timestamp_type)");
	load_fails_with("[node]\nid = 1\n[topic.t]\npartitions = 1\nreplication = 2\n",
			"5: topic.t.replication: 2 exceeds the 1 node(s) in the cluster");
	load_fails_with("[node]\nid = 1\n[topic.t]\npartitions = 1\n[topic.t]\npartitions = 2\n",
			"5: [topic.t]: duplicate section (first at line 3)");
}
END_TEST

START_TEST(duplicate_keys_and_syntax_errors_are_reported)
{
	load_fails_with("[node]\nid = 1\nid = 2\n", "3: node.id: duplicate key (first at line 2)");
	load_fails_with("[node]\nid = 1\njunk\n",
			"3: expected 'key = value', a [section] or a comment");
	load_fails_with("id = 1\n", "1: key 'id' outside of any section");
	load_fails_with("[node\nid = 1\n", "1: section header is missing ']'");
}
END_TEST

START_TEST(cross_key_rules_are_checked)
{
	load_fails_with("[node]\nid = 1\nkafka_listen = 0.0.0.0:9092\n",
			"3: node.advertised_host: required when node.kafka_listen binds a "
			"wildcard address (0.0.0.0)");
	load_fails_with("[node]\nid = 1\nadmin_listen = 127.0.0.1:9092\n",
			"3: node.admin_listen: uses the same port as node.kafka_listen");
	load_fails_with("[node]\nid = 1\n[raft]\nheartbeat_interval_ms = 3000\n",
			"4: raft.heartbeat_interval_ms: must be less than raft.election_timeout_ms "
			"(3000)");
	load_fails_with("[node]\nid = 1\n[cluster]\nnode.2 = a:1,a:2\n",
			"3: cluster.node.1: missing: [cluster] lists nodes but not this one "
			"(node.id = 1)");
	load_fails_with("[node]\nid = 1\n[cluster]\nnode.1 = a:1\n",
			"4: cluster.node.1: must be <kafka host:port>,<raft host:port>, got 'a:1'");
	load_fails_with("[node]\nid = 1\n[cluster]\npeer = a:1,a:2\n",
			"4: cluster.peer: unknown key (expected name or node.<id> with id "
			"1..1000000)");
}
END_TEST

START_TEST(cluster_name_defaults_to_fjord_and_node_ids_list_the_cluster)
{
	struct config *c = load_ok("[node]\nid = 7\n");
	ck_assert_str_eq(c->cluster_name, "fjord");
	int32_t ids[4] = {0};
	ck_assert_int_eq(config_node_ids(c, ids), 1);
	ck_assert_int_eq(ids[0], 7); /* no [cluster]: this node alone */
	ck_assert_ptr_null(config_peer_find(c, 7));
	config_free(c);

	c = load_ok("[node]\nid = 2\n[cluster]\nname = prod-eu.1\n"
		    "node.3 = h:9093,h:9193\nnode.2 = h:9092,h:9192\nnode.10 = g:9092,g:9192\n");
	ck_assert_str_eq(c->cluster_name, "prod-eu.1");
	ck_assert_int_eq(config_node_ids(c, ids), 3);
	ck_assert_int_eq(ids[0], 2);
	ck_assert_int_eq(ids[1], 3);
	ck_assert_int_eq(ids[2], 10);
	const struct config_peer *pe = config_peer_find(c, 10);
	ck_assert_ptr_nonnull(pe);
	ck_assert_str_eq(pe->raft.host, "g");
	ck_assert_uint_eq(pe->raft.port, 9192);
	ck_assert_ptr_null(config_peer_find(c, 4));
	config_free(c);
}
END_TEST

START_TEST(cluster_nodes_need_distinct_addresses_and_a_valid_name)
{
	load_fails_with("[node]\nid = 1\n[cluster]\nnode.1 = a:1,a:2\nnode.2 = b:1,a:2\n",
			"5: cluster.node.2: uses an address of node.1 (line 4); every node needs "
			"its own addresses");
	/* The later line is blamed even when its id sorts first. */
	load_fails_with("[node]\nid = 1\n[cluster]\nnode.2 = a:5,a:6\nnode.1 = a:6,a:7\n",
			"5: cluster.node.1: uses an address of node.2 (line 4); every node needs "
			"its own addresses");
	load_fails_with("[node]\nid = 1\n[cluster]\nnode.1 = a:1,a:1\n",
			"4: cluster.node.1: kafka and raft addresses are the same");
	load_fails_with("[node]\nid = 1\n[cluster]\nname = two words\nnode.1 = a:1,a:2\n",
			"4: cluster.name: must be 1..127 characters of [a-zA-Z0-9._-], got "
			"'two words'");
	load_fails_with("[node]\nid = 1\n[cluster]\nname = x\nname = y\nnode.1 = a:1,a:2\n",
			"5: cluster.name: duplicate key (first at line 4)");
	/* Same port on different hosts is fine. */
	struct config *c = load_ok("[node]\nid = 1\n[cluster]\nnode.1 = a:1,a:2\nnode.2 = b:1,b:2\n"
				   "[topic.t]\npartitions = 1\nreplication = 2\n");
	ck_assert_int_eq(c->n_peers, 2);
	config_free(c);
	load_fails_with("[node]\nid = 1\n[cluster]\nnode.1 = a:1,a:2\nnode.2 = b:1,b:2\n"
			"[topic.t]\npartitions = 1\nreplication = 3\n",
			"8: topic.t.replication: 3 exceeds the 2 node(s) in the cluster");
}
END_TEST

START_TEST(overrides_win_over_the_file_and_can_supply_the_node_id)
{
	write_ini("[node]\ndata_dir = /a\nlog_level = warn\n");
	struct config_override ov[] = {
	    {"node", "id", "42", "--node-id"},
	    {"node", "data_dir", "/b", "--data-dir"},
	    {"node", "kafka_listen", "127.0.0.2:1234", "--kafka-listen"},
	};
	struct config *c = NULL;
	ck_assert_int_eq(config_load(path, ov, 3, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(c->node.id, 42);
	ck_assert_str_eq(c->node.data_dir, "/b");
	ck_assert_int_eq(c->node.log_level, LOG_WARN);
	ck_assert_str_eq(c->node.advertised_host, "127.0.0.2");
	ck_assert_uint_eq(c->node.kafka_listen.port, 1234);
	config_free(c);

	struct config_override bad[] = {{"node", "id", "x", "--node-id"}};
	c = (struct config *)1;
	ck_assert_int_eq(config_load(path, bad, 1, &c, err, sizeof(err)), ERR_CONFIG);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, "--node-id: node.id: must be an integer in 1..1000000, got 'x'");
	unlink(path);
}
END_TEST

START_TEST(every_independent_error_is_reported_one_per_line)
{
	write_ini("[node]\nid = 1\n[topic.t]\npartitions = 2\n[topic.t]\npartitions = banana\n"
		  "[kafka]\nmax_connections = -3\n");
	struct config *c = (struct config *)1;
	ck_assert_int_eq(config_load(path, NULL, 0, &c, err, sizeof(err)), ERR_CONFIG);
	ck_assert_ptr_null(c);
	char expect[2048];
	snprintf(expect, sizeof(expect),
		 "%s:5: [topic.t]: duplicate section (first at line 3)\n"
		 "%s:6: topic.t.partitions: must be an integer in 1..10000, got 'banana'\n"
		 "%s:8: kafka.max_connections: must be an integer in 1..1000000, got '-3'",
		 path, path, path);
	ck_assert_str_eq(err, expect);
	unlink(path);
}
END_TEST

START_TEST(missing_file_is_an_io_error_naming_the_file)
{
	struct config *c = (struct config *)1;
	int rc = config_load("/nonexistent/fjord.ini", NULL, 0, &c, err, sizeof(err));
	ck_assert_int_eq(rc, ERR_IO);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, "/nonexistent/fjord.ini: cannot open: No such file or directory");
}
END_TEST

START_TEST(overlong_lines_are_refused_instead_of_split)
{
	char text[600];
	snprintf(text, sizeof(text), "[node]\nid = 1\ndata_dir = /%0250d\n", 0);
	load_fails_with(text, "3: line is longer than 197 characters");
}
END_TEST

START_TEST(addresses_parse_ipv4_names_and_bracketed_ipv6)
{
	struct config_addr a;
	char s[300];
	ck_assert_int_eq(config_addr_parse("[::1]:9092", &a), 0);
	ck_assert_str_eq(a.host, "::1");
	ck_assert_str_eq(config_addr_str(&a, s, sizeof(s)), "[::1]:9092");
	ck_assert_int_eq(config_addr_parse("kafka.local:1", &a), 0);
	ck_assert_str_eq(config_addr_str(&a, s, sizeof(s)), "kafka.local:1");
	ck_assert_int_eq(config_addr_parse("::1:9092", &a), ERR_INVALID);
	ck_assert_int_eq(config_addr_parse(":9092", &a), ERR_INVALID);
	ck_assert_int_eq(config_addr_parse("h:", &a), ERR_INVALID);
	ck_assert_int_eq(config_addr_parse("h:0", &a), ERR_INVALID);
	ck_assert_int_eq(config_addr_parse("h:9x", &a), ERR_INVALID);
}
END_TEST

START_TEST(topic_names_follow_kafka_rules)
{
	char longname[251];
	memset(longname, 'a', 250);
	longname[250] = '\0';
	ck_assert_int_eq(config_topic_name_check("a-b_c.D9", 8), 0);
	ck_assert_int_eq(config_topic_name_check(longname, 249), 0);
	ck_assert_int_eq(config_topic_name_check(longname, 250), ERR_INVALID);
	ck_assert_int_eq(config_topic_name_check("", 0), ERR_INVALID);
	ck_assert_int_eq(config_topic_name_check(".", 1), ERR_INVALID);
	ck_assert_int_eq(config_topic_name_check("..", 2), ERR_INVALID);
	ck_assert_int_eq(config_topic_name_check("...", 3), 0);
	ck_assert_int_eq(config_topic_name_check("a/b", 3), ERR_INVALID);
}
END_TEST

START_TEST(default_worker_path_is_next_to_the_running_executable)
{
	char p[1024];
	ck_assert_int_eq(config_default_worker_path(p, sizeof(p)), 0);
	size_t n = strlen(p);
	ck_assert_uint_gt(n, strlen("/fjord-worker"));
	ck_assert_str_eq(p + n - strlen("/fjord-worker"), "/fjord-worker");
	ck_assert_int_eq(p[0], '/');
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	tcase_add_test(tc, minimal_file_gets_every_documented_default);
	tcase_add_test(tc, full_file_sets_every_key_and_topics_inherit_global_settings);
	tcase_add_test(tc, unknown_key_names_file_line_section_and_key);
	tcase_add_test(tc, unknown_section_is_reported_at_its_header_even_without_keys);
	tcase_add_test(tc, bad_integer_value_names_the_range_and_the_value);
	tcase_add_test(tc, bad_enum_address_and_retention_values_are_rejected);
	tcase_add_test(tc, missing_required_node_id_is_reported_at_the_node_section);
	tcase_add_test(tc, topic_sections_are_validated);
	tcase_add_test(tc, duplicate_keys_and_syntax_errors_are_reported);
	tcase_add_test(tc, cross_key_rules_are_checked);
	tcase_add_test(tc, cluster_name_defaults_to_fjord_and_node_ids_list_the_cluster);
	tcase_add_test(tc, cluster_nodes_need_distinct_addresses_and_a_valid_name);
	tcase_add_test(tc, overrides_win_over_the_file_and_can_supply_the_node_id);
	tcase_add_test(tc, every_independent_error_is_reported_one_per_line);
	tcase_add_test(tc, missing_file_is_an_io_error_naming_the_file);
	tcase_add_test(tc, overlong_lines_are_refused_instead_of_split);
	tcase_add_test(tc, addresses_parse_ipv4_names_and_bracketed_ipv6);
	tcase_add_test(tc, topic_names_follow_kafka_rules);
	tcase_add_test(tc, default_worker_path_is_next_to_the_running_executable);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(config_suite)
