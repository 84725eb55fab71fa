/* test_fjordctl.c - unit tests for the pure half of tools/fjordctl.c: a
 * node's /v1/status JSON into replicas, the merge into one row per
 * partition, the printed tables, HTTP replies and the address layout. The
 * tool's file is included with its main() left out. */
#define FJORDCTL_NO_MAIN
#include "tools/fjordctl.c"

#include <check.h>

#include "check_main.h"

/* One replica object of /v1/status. */
#define REP(topic, part, node, serving, role, term, leader, pref, hw, commit, sum, elections)      \
	"{\"topic\":\"" topic "\",\"partition\":" #part ",\"node_id\":" #node                      \
	",\"serving\":" serving ",\"role\":\"" role "\",\"term\":" #term ",\"leader\":" #leader    \
	",\"preferred_leader\":" #pref ",\"commit_index\":9,\"high_watermark\":" #hw               \
	",\"log_start_offset\":0,\"commit_offset\":" #commit ",\"log_checksum\":" #sum             \
	",\"last_index\":9,\"match_lag\":0,\"caught_up\":true,\"elections\":" #elections           \
	",\"leader_changes\":1,\"lower_term_messages\":0}"

#define DOC(node, workers, reps)                                                                   \
	"{\"node_id\":" #node ",\"cluster_id\":\"x\",\"connections\":0,\"cluster\":\"fjord\","     \
	"\"nodes\":[],\"draining\":false,\"workers\":[" workers "],\"replicas\":[" reps "]}"

#define WORKER(topic, part, restarts)                                                              \
	"{\"topic\":\"" topic "\",\"partition\":" #part ",\"pid\":1,\"state\":\"serving\","        \
	"\"restarts\":" #restarts "}"

/* Three nodes, topic t with two partitions: node 1 leads t/0 (hw 100), node
 * 2 leads t/1 (hw 50); node 3's copy of t/0 is 40 behind and its worker of
 * t/1 restarted twice. */
static const char *node1 = DOC(1, WORKER("t", 0, 0) "," WORKER("t", 1, 1),
			       REP("t", 0, 1, "true", "leader", 4, 1, 1, 100, 100, 777, 2) "," REP(
				   "t", 1, 1, "true", "follower", 3, 2, 2, 50, 50, 555, 0));
static const char *node2 =
    DOC(2, WORKER("t", 0, 0) "," WORKER("t", 1, 0),
	REP("t", 0, 2, "true", "follower", 4, 1, 1, 100, 100, 777,
	    1) "," REP("t", 1, 2, "true", "leader", 3, 2, 2, 50, 50, 555, 1));
static const char *node3 = DOC(3, WORKER("t", 1, 2) "," WORKER("t", 0, 0),
			       REP("t", 1, 3, "true", "follower", 3, 2, 2, 50, 50, 555, 0) "," REP(
				   "t", 0, 3, "true", "follower", 4, 1, 1, 60, 60, 123, 0));

static struct ctl_view view;
static struct ctl_row *rows;
static int n_rows;
static char err[256];

static void setup(void)
{
	ctl_view_init(&view);
	rows = NULL;
	n_rows = 0;
}

static void teardown(void)
{
	free(rows);
	ctl_view_free(&view);
}

static void add_ok(const char *doc)
{
	int32_t id = -1;
	int rc = ctl_view_add_status(&view, doc, strlen(doc), &id, err, sizeof(err));
	if (rc != 0)
		ck_abort_msg("ctl_view_add_status returned %d: %s", rc, err);
}

static void build(void) { ck_assert_int_eq(ctl_rows_build(&view, &rows, &n_rows), 0); }

/* Runs a printer into a string (caller frees). */
#define CAPTURE(out, call)                                                                         \
	do {                                                                                       \
		size_t cap_len_;                                                                   \
		FILE *f = open_memstream(&(out), &cap_len_);                                       \
		ck_assert_ptr_nonnull(f);                                                          \
		call;                                                                              \
		fclose(f);                                                                         \
	} while (0)

START_TEST(three_nodes_merge_into_one_row_per_partition_sorted_with_replicas_by_node)
{
	add_ok(node3);
	add_ok(node1);
	add_ok(node2);
	build();
	ck_assert_int_eq(n_rows, 2);
	ck_assert_str_eq(rows[0].topic, "t");
	ck_assert_int_eq(rows[0].partition, 0);
	ck_assert_int_eq(rows[1].partition, 1);
	ck_assert_int_eq(rows[0].n_replicas, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rows[0].replicas[i].node, i + 1);
		ck_assert_int_eq(rows[1].replicas[i].node, i + 1);
	}
	ck_assert_int_eq(rows[0].leader, 1);
	ck_assert_int_eq(rows[0].term, 4);
	ck_assert_int_eq(rows[0].high_watermark, 100);
	ck_assert_int_eq(rows[1].leader, 2);
	ck_assert_int_eq(rows[1].term, 3);
	ck_assert_int_eq(rows[1].high_watermark, 50);
}
END_TEST

START_TEST(lag_is_offsets_behind_the_leaders_high_watermark)
{
	add_ok(node1);
	add_ok(node2);
	add_ok(node3);
	build();
	ck_assert_str_eq(rows[0].replicas[0].role, "leader");
	ck_assert_int_eq(rows[0].replicas[0].lag, 0);
	ck_assert_str_eq(rows[0].replicas[1].role, "follower");
	ck_assert_int_eq(rows[0].replicas[1].lag, 0);
	ck_assert_int_eq(rows[0].replicas[2].lag, 40);
	ck_assert(!rows[0].converged);
	ck_assert(rows[1].converged);
}
END_TEST

START_TEST(elections_and_restarts_are_summed_over_the_replicas)
{
	add_ok(node1);
	add_ok(node2);
	add_ok(node3);
	build();
	ck_assert_int_eq(rows[0].elections, 3);
	ck_assert_int_eq(rows[0].restarts, 0);
	ck_assert_int_eq(rows[1].elections, 1);
	ck_assert_int_eq(rows[1].restarts, 3); /* 1 on node 1, 2 on node 3 */
}
END_TEST

START_TEST(a_partition_whose_leader_does_not_answer_has_no_leader_and_unknown_lag)
{
	add_ok(node2);
	add_ok(node3);
	build();
	ck_assert_int_eq(rows[0].leader, -1);
	ck_assert_int_eq(rows[0].n_replicas, 2);
	ck_assert_int_eq(rows[0].replicas[0].lag, -1);
	ck_assert_int_eq(rows[0].replicas[1].lag, -1);
	ck_assert_int_eq(rows[0].term, 4);
	ck_assert_int_eq(rows[0].high_watermark, 100); /* the highest reported */
	ck_assert_int_eq(rows[1].leader, 2);
}
END_TEST

START_TEST(a_replica_whose_worker_is_not_serving_shows_as_down_and_leads_nothing)
{
	add_ok(DOC(1, "", REP("t", 0, 1, "false", "leader", 5, 1, 1, 10, 10, 1, 0)));
	add_ok(DOC(2, "", REP("t", 0, 2, "true", "follower", 5, 1, 1, 10, 10, 1, 0)));
	build();
	ck_assert_int_eq(rows[0].leader, -1);
	ck_assert_str_eq(rows[0].replicas[0].role, "down");
	ck_assert_str_eq(rows[0].replicas[1].role, "follower");
}
END_TEST

START_TEST(the_higher_term_wins_when_two_replicas_say_leader)
{
	add_ok(DOC(1, "", REP("t", 0, 1, "true", "leader", 5, 1, 1, 10, 10, 1, 0)));
	add_ok(DOC(2, "", REP("t", 0, 2, "true", "leader", 6, 2, 1, 12, 12, 1, 1)));
	build();
	ck_assert_int_eq(rows[0].leader, 2);
	ck_assert_int_eq(rows[0].term, 6);
	ck_assert_int_eq(rows[0].high_watermark, 12);
	ck_assert_int_eq(rows[0].replicas[0].lag, 2);
}
END_TEST

START_TEST(checksums_above_int64_max_are_read_exactly)
{
	add_ok(
	    DOC(1, "", REP("t", 0, 1, "true", "leader", 1, 1, 1, 10, 10, 18446744073709551615, 0)));
	add_ok(DOC(2, "",
		   REP("t", 0, 2, "true", "follower", 1, 1, 1, 10, 10, 18446744073709551614, 0)));
	ck_assert_uint_eq(view.reps[0].log_checksum, UINT64_MAX);
	ck_assert_uint_eq(view.reps[1].log_checksum, UINT64_MAX - 1);
	build();
	ck_assert(!rows[0].converged);
}
END_TEST

START_TEST(quoting_big_ints_leaves_strings_small_ints_and_reals_alone)
{
	const char *in = "{\"a\":\"99999999999999999999\",\"b\":9223372036854775807,"
			 "\"c\":9223372036854775808,\"d\":-9223372036854775808,"
			 "\"e\":-9223372036854775809,\"f\":1.5e30,\"g\":123456789012345678901.0,"
			 "\"i\":1.12345678901234567890123e-12345678901234567890,\"h\":\"x\\\"1\"}";
	char *out = ctl_json_quote_big_ints(in, strlen(in));
	ck_assert_str_eq(out,
			 "{\"a\":\"99999999999999999999\",\"b\":9223372036854775807,"
			 "\"c\":\"9223372036854775808\",\"d\":-9223372036854775808,"
			 "\"e\":\"-9223372036854775809\",\"f\":1.5e30,"
			 "\"g\":123456789012345678901.0,"
			 "\"i\":1.12345678901234567890123e-12345678901234567890,\"h\":\"x\\\"1\"}");
	free(out);
}
END_TEST

START_TEST(the_same_node_given_twice_is_counted_once)
{
	int32_t id = 0;
	add_ok(node1);
	ck_assert_int_eq(ctl_view_add_status(&view, node1, strlen(node1), &id, err, sizeof(err)),
			 1);
	ck_assert_int_eq(id, 1);
	ck_assert_int_eq(view.n_nodes, 1);
	ck_assert_int_eq(view.n_reps, 2);
}
END_TEST

START_TEST(a_document_that_is_not_a_status_is_refused_with_a_reason)
{
	int32_t id = 0;
	const char *bad = "{\"replicas\":[]}";
	ck_assert_int_eq(ctl_view_add_status(&view, bad, strlen(bad), &id, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a /v1/status"));
	const char *broken = "{\"node_id\":1,";
	ck_assert_int_eq(ctl_view_add_status(&view, broken, strlen(broken), &id, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "bad JSON"));
	ck_assert_int_eq(view.n_reps, 0);
	ck_assert_int_eq(view.n_nodes, 0);
}
END_TEST

START_TEST(groups_are_counted_only_when_a_node_reports_them)
{
	add_ok(node1);
	ck_assert_int_eq(view.n_groups, 0);
	add_ok("{\"node_id\":2,\"replicas\":[],\"groups\":[{\"group_id\":\"g\"}]}");
	ck_assert_int_eq(view.n_groups, 1);
}
END_TEST

/* Node 2 coordinates group g: two members, offsets of t/0 and t/1. */
static const char *node2_groups =
    "{\"node_id\":2,\"replicas\":[],\"groups\":[{\"group\":\"g\",\"partition\":1,"
    "\"state\":\"Stable\",\"protocol_type\":\"consumer\",\"protocol\":\"range\","
    "\"generation\":4,\"leader\":\"m1\",\"members\":[{\"id\":\"m1\",\"instance\":null,"
    "\"client_id\":\"c1\",\"host\":\"/10.0.0.1\",\"assignment\":[{\"topic\":\"t\","
    "\"partitions\":[0,1]}]},{\"id\":\"m2\",\"instance\":\"i2\",\"client_id\":\"c2\","
    "\"host\":\"/10.0.0.2\",\"assignment\":[]}],\"offsets\":[{\"topic\":\"t\","
    "\"partition\":0,\"offset\":90},{\"topic\":\"t\",\"partition\":1,\"offset\":50}]}]}";

START_TEST(groups_and_one_group_with_members_and_lag)
{
	add_ok(node1);
	add_ok(node2_groups);
	build();
	char *out = NULL;
	CAPTURE(out, ctl_print_groups(f, view.groups));
	ck_assert_ptr_nonnull(strstr(out, "GROUP"));
	ck_assert_ptr_nonnull(strstr(out, "g "));
	ck_assert_ptr_nonnull(strstr(out, "Stable"));
	ck_assert_ptr_nonnull(strstr(out, "consumer/range"));
	ck_assert_ptr_nonnull(strstr(out, "node 2 (partition 1)"));
	free(out);
	out = NULL;
	int rc = 0;
	CAPTURE(out, rc = ctl_print_group(f, view.groups, "g", rows, n_rows));
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(
	    strstr(out, "group g: Stable, protocol consumer/range, generation 4"));
	ck_assert_ptr_nonnull(strstr(out, "c1"));
	ck_assert_ptr_nonnull(strstr(out, "/10.0.0.2"));
	ck_assert_ptr_nonnull(strstr(out, "t:0,1"));
	/* t/0 ends at 100 (node 1 leads it): lag 10; t/1 has no answering
	 * leader in this view: unknown. */
	char *line = strstr(out, "\nt ");
	ck_assert_ptr_nonnull(line);
	int part;
	long long committed, end, lag;
	ck_assert_int_eq(sscanf(line, "\nt %d %lld %lld %lld", &part, &committed, &end, &lag), 4);
	ck_assert_int_eq(part, 0);
	ck_assert_int_eq(committed, 90);
	ck_assert_int_eq(end, 100);
	ck_assert_int_eq(lag, 10);
	ck_assert_ptr_nonnull(strstr(line + 1, "\nt "));
	free(out);
	out = NULL;
	CAPTURE(out, rc = ctl_print_group(f, view.groups, "nope", rows, n_rows));
	ck_assert_int_eq(rc, 1);
	free(out);
}
END_TEST

START_TEST(the_status_table_has_a_header_and_one_aligned_line_per_partition)
{
	add_ok(node1);
	add_ok(node2);
	add_ok(node3);
	build();
	char *out = NULL;
	CAPTURE(out, ctl_print_status(f, rows, n_rows));
	ck_assert_str_eq(
	    out, "PARTITION  LEADER  TERM  REPLICAS (node:role:lag)               HW   ELECTIONS  "
		 "RESTARTS  CONVERGED\n"
		 "t/0        1       4     1:leader:0 2:follower:0 3:follower:40  100  3          0"
		 "         no\n"
		 "t/1        2       3     1:follower:0 2:leader:0 3:follower:0   50   1          3"
		 "         yes\n");
	free(out);
}
END_TEST

START_TEST(the_topics_table_counts_partitions_replicas_leaderless_and_records)
{
	add_ok(node2);
	add_ok(node3);
	add_ok(DOC(4, "", REP("u", 0, 4, "true", "leader", 1, 4, 4, 7, 7, 1, 1)));
	build();
	char *out = NULL;
	CAPTURE(out, ctl_print_topics(f, rows, n_rows));
	ck_assert_str_eq(out, "TOPIC  PARTITIONS  REPLICAS  LEADERLESS  RECORDS\n"
			      "t      2           2         1           150\n"
			      "u      1           1         0           7\n");
	free(out);
}
END_TEST

START_TEST(leaders_names_partitions_off_their_preferred_leader)
{
	add_ok(DOC(1, "",
		   REP("t", 0, 1, "true", "follower", 2, 2, 1, 5, 5, 1,
		       1) "," REP("t", 1, 1, "true", "leader", 1, 1, 1, 5, 5, 1, 1)));
	add_ok(DOC(2, "",
		   REP("t", 0, 2, "true", "leader", 2, 2, 1, 5, 5, 1,
		       1) "," REP("t", 1, 2, "true", "follower", 1, 1, 1, 5, 5, 1,
				  0) "," REP("t", 2, 2, "true", "follower", 1, -1, 2, 0, 0, 1, 0)));
	build();
	char *out = NULL;
	int off = 0;
	CAPTURE(out, off = ctl_print_leaders(f, rows, n_rows, view.nodes, view.n_nodes));
	ck_assert_int_eq(off, 2);
	ck_assert_str_eq(out, "PARTITION  LEADER  PREFERRED  STATE\n"
			      "t/0        2       1          not preferred\n"
			      "t/1        1       1          preferred\n"
			      "t/2        none    2          no leader\n"
			      "leaders per node: 1:1 2:1\n"
			      "2 of 3 partitions not on their preferred leader\n");
	free(out);
}
END_TEST

START_TEST(an_http_reply_splits_into_status_and_body)
{
	const char *r = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnot found\n";
	int status = 0;
	const char *body = NULL;
	size_t len = 0;
	ck_assert_int_eq(ctl_http_parse(r, strlen(r), &status, &body, &len), 0);
	ck_assert_int_eq(status, 404);
	ck_assert_uint_eq(len, 10);
	ck_assert(memcmp(body, "not found\n", 10) == 0);
	const char *empty = "HTTP/1.1 200 OK\r\n\r\n";
	ck_assert_int_eq(ctl_http_parse(empty, strlen(empty), &status, &body, &len), 0);
	ck_assert_int_eq(status, 200);
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(replies_that_are_not_plain_http_are_refused)
{
	int status = 0;
	const char *body = NULL;
	size_t len = 0;
	const char *bad[] = {"", "SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.0 2x0 OK\r\n\r\n",
			     "HTTP/1.0 200 OK\r\nContent-Type: a\r\n",
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ctl_http_parse(bad[i], strlen(bad[i]), &status, &body, &len) == -1,
			      "accepted: %s", bad[i]);
}
END_TEST

START_TEST(nodes_and_admin_base_follow_the_tools_cluster_layout)
{
	struct config_addr a[4];
	ck_assert_int_eq(ctl_addrs_from_base(a, 0, 4, 3, 9643), 3);
	ck_assert_str_eq(a[0].host, "127.0.0.1");
	ck_assert_int_eq(a[0].port, 9644);
	ck_assert_int_eq(a[2].port, 9646);
	ck_assert_int_eq(ctl_addrs_from_base(a, 3, 4, 2, 9643), -1); /* no room */
	ck_assert_int_eq(ctl_addrs_from_base(a, 0, 4, 2, 65534), -1);
}
END_TEST

START_TEST(a_balance_answer_gives_the_number_of_hand_overs_requested)
{
	const char *ok = "{\"requested\":2}\n";
	ck_assert_int_eq(ctl_balance_requested(ok, strlen(ok)), 2);
	const char *zero = "{\"requested\": 0}";
	ck_assert_int_eq(ctl_balance_requested(zero, strlen(zero)), 0);
	const char *text = "balance started";
	ck_assert_int_eq(ctl_balance_requested(text, strlen(text)), -1);
	const char *other = "{\"moved\":1}";
	ck_assert_int_eq(ctl_balance_requested(other, strlen(other)), -1);
}
END_TEST

static const char catalog_doc[] =
    "{\"node_id\":1,\"cluster_id\":\"cid\",\"version\":42,\"controller\":2,"
    "\"nodes\":[{\"id\":1,\"kafka\":\"h:1\",\"raft\":\"h:11\"},"
    "{\"id\":2,\"kafka\":\"h:2\",\"raft\":\"h:12\"},"
    "{\"id\":3,\"kafka\":\"h:3\",\"raft\":\"h:13\"},"
    "{\"id\":4,\"kafka\":\"h:4\",\"raft\":\"h:14\"}],"
    "\"controller_voters\":[1,2],\"controller_learners\":[3],"
    "\"topics\":[{\"name\":\"t\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"partitions\":2,"
    "\"replication\":2,\"configs\":{\"retention_ms\":\"5\"},\"replicas\":[[1,2],[2,1]]}]}";

START_TEST(cluster_and_topic_describe_print_the_catalog)
{
	char *out = NULL, err[128];
	int rc;
	CAPTURE(out, rc = ctl_print_cluster(f, catalog_doc, strlen(catalog_doc), err, sizeof(err)));
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "catalog version   42"));
	ck_assert_ptr_nonnull(strstr(out, "controller leader node 2"));
	ck_assert_ptr_nonnull(strstr(out, "2     h:2"));
	/* each node's part in the controller, in node order */
	const char *p1 = strstr(out, "h:11  controller voter\n");
	const char *p2 = strstr(out, "h:12  controller voter, leader\n");
	const char *p3 = strstr(out, "h:13  controller learner\n");
	const char *p4 = strstr(out, "h:14  catalog copy\n");
	ck_assert_msg(p1 && p2 && p3 && p4 && p1 < p2 && p2 < p3 && p3 < p4, "%s", out);
	free(out);
	/* a document from before the lists: only the leader is named */
	static const char old_doc[] =
	    "{\"version\":1,\"controller\":1,\"nodes\":[{\"id\":1,\"kafka\":\"h:1\","
	    "\"raft\":\"h:11\"},{\"id\":2,\"kafka\":\"h:2\",\"raft\":\"h:12\"}]}";
	CAPTURE(out, rc = ctl_print_cluster(f, old_doc, strlen(old_doc), err, sizeof(err)));
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "h:11  controller voter, leader\n"));
	ck_assert_ptr_null(strstr(out, "learner"));
	free(out);
	CAPTURE(out, rc = ctl_print_topics_catalog(f, catalog_doc, strlen(catalog_doc), "t", err,
						   sizeof(err)));
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(
	    strstr(out, "t  id AAAAAAAAAAAAAAAAAAAAAA  partitions 2  replication 2"));
	ck_assert_ptr_nonnull(strstr(out, "configs: retention_ms=5"));
	ck_assert_ptr_nonnull(strstr(out, "partition 1: replicas 2,1"));
	free(out);
	CAPTURE(out, rc = ctl_print_topics_catalog(f, catalog_doc, strlen(catalog_doc), "nope", err,
						   sizeof(err)));
	ck_assert_int_eq(rc, 1);
	free(out);
	CAPTURE(out, rc = ctl_print_cluster(f, "[1]", 3, err, sizeof(err)));
	ck_assert_int_eq(rc, -1);
	free(out);
	char bs[128];
	ck_assert_int_eq(ctl_catalog_bootstrap(catalog_doc, strlen(catalog_doc), bs, sizeof(bs)),
			 4);
	ck_assert_str_eq(bs, "h:1,h:2,h:3,h:4");
}
END_TEST

static Suite *fjordctl_suite(void)
{
	Suite *s = suite_create("fjordctl");
	TCase *tc = tcase_create("fjordctl");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc,
		       three_nodes_merge_into_one_row_per_partition_sorted_with_replicas_by_node);
	tcase_add_test(tc, lag_is_offsets_behind_the_leaders_high_watermark);
	tcase_add_test(tc, elections_and_restarts_are_summed_over_the_replicas);
	tcase_add_test(tc, a_partition_whose_leader_does_not_answer_has_no_leader_and_unknown_lag);
	tcase_add_test(tc, a_replica_whose_worker_is_not_serving_shows_as_down_and_leads_nothing);
	tcase_add_test(tc, the_higher_term_wins_when_two_replicas_say_leader);
	tcase_add_test(tc, checksums_above_int64_max_are_read_exactly);
	tcase_add_test(tc, quoting_big_ints_leaves_strings_small_ints_and_reals_alone);
	tcase_add_test(tc, the_same_node_given_twice_is_counted_once);
	tcase_add_test(tc, a_document_that_is_not_a_status_is_refused_with_a_reason);
	tcase_add_test(tc, groups_are_counted_only_when_a_node_reports_them);
	tcase_add_test(tc, groups_and_one_group_with_members_and_lag);
	tcase_add_test(tc, the_status_table_has_a_header_and_one_aligned_line_per_partition);
	tcase_add_test(tc, the_topics_table_counts_partitions_replicas_leaderless_and_records);
	tcase_add_test(tc, leaders_names_partitions_off_their_preferred_leader);
	tcase_add_test(tc, an_http_reply_splits_into_status_and_body);
	tcase_add_test(tc, replies_that_are_not_plain_http_are_refused);
	tcase_add_test(tc, nodes_and_admin_base_follow_the_tools_cluster_layout);
	tcase_add_test(tc, a_balance_answer_gives_the_number_of_hand_overs_requested);
	tcase_add_test(tc, cluster_and_topic_describe_print_the_catalog);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(fjordctl_suite)
