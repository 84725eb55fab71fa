/* test_worker_args.c - the fjord-worker command line contract. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "common/err.h"
#include "worker/args.h"

/* Parses a NULL-terminated argv; the error text lands in errbuf. */
static char errbuf[512];

static int parse(const char **argv, struct worker_args *a)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	FILE *out = fopen("/dev/null", "w");
	int rc = worker_args_parse(argc, (char **)argv, a, out, err);
	fclose(err);
	fclose(out);
	return rc;
}

#define REQUIRED                                                                                   \
	"fjord-worker", "--ipc-fd", "5", "--topic", "orders", "--partition", "3", "--dir",         \
	    "/data/orders-3", "--node-id", "2"

START_TEST(the_supervisor_command_line_parses_with_defaults)
{
	const char *argv[] = {REQUIRED, NULL};
	struct worker_args a;
	ck_assert_int_eq(parse(argv, &a), 0);
	ck_assert_int_eq(a.ipc_fd, 5);
	ck_assert_str_eq(a.topic, "orders");
	ck_assert_int_eq(a.partition, 3);
	ck_assert_str_eq(a.dir, "/data/orders-3");
	ck_assert_int_eq(a.cfg.node.id, 2);
	/* A flag not given takes the INI file's default (docs/CONFIG.md),
	 * from the one table of keys: the worker has none of its own. */
	ck_assert_int_eq(a.cfg.node.log_level, LOG_INFO);
	ck_assert_int_eq(a.cfg.storage.sync, CONFIG_SYNC_ALWAYS);
	ck_assert_int_eq(a.cfg.storage.map_size_mb, 1024);
	ck_assert_int_eq(a.topic_cfg.max_message_bytes, 1048576);
	ck_assert_int_eq(a.topic_cfg.retention_ms, 604800000);
	ck_assert_int_eq(a.topic_cfg.retention_bytes, -1);
}
END_TEST

START_TEST(every_optional_flag_is_honoured)
{
	const char *argv[] = {REQUIRED,	    "--log-level",
			      "debug",	    "--sync",
			      "never",	    "--map-size-mb",
			      "64",	    "--max-message-bytes",
			      "1000",	    "--retention-ms",
			      "604800000",  "--retention-bytes",
			      "1073741824", NULL};
	struct worker_args a;
	ck_assert_int_eq(parse(argv, &a), 0);
	ck_assert_int_eq(a.cfg.node.log_level, LOG_DEBUG);
	ck_assert_int_eq(a.cfg.storage.sync, CONFIG_SYNC_NEVER);
	ck_assert_int_eq(a.cfg.storage.map_size_mb, 64);
	ck_assert_int_eq(a.topic_cfg.max_message_bytes, 1000);
	ck_assert_int_eq(a.topic_cfg.retention_ms, 604800000);
	ck_assert_int_eq(a.topic_cfg.retention_bytes, 1073741824);
}
END_TEST

START_TEST(bad_values_and_unknown_flags_are_refused_by_name)
{
	static const struct {
		const char *flag, *value, *named;
	} bad[] = {
	    {"--sync", "sometimes", "--sync"},
	    {"--log-level", "loud", "--log-level"},
	    {"--map-size-mb", "0", "--map-size-mb"},
	    {"--max-message-bytes", "12x", "--max-message-bytes"},
	    {"--retention-ms", "-2", "--retention-ms"},
	    {"--partition", "-1", "--partition"},
	    {"--node-id", "0", "--node-id"},
	    {"--topic", "a/b", "--topic"},
	    {"--frobnicate", NULL, "--frobnicate"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = {REQUIRED, bad[i].flag, bad[i].value, NULL};
		struct worker_args a;
		ck_assert_int_eq(parse(argv, &a), ERR_INVALID);
		ck_assert_msg(strstr(errbuf, bad[i].named) != NULL, "'%s' does not name %s", errbuf,
			      bad[i].named);
	}
}
END_TEST

START_TEST(a_missing_required_flag_is_named)
{
	const char *argv[] = {"fjord-worker", "--ipc-fd", "5",	       "--topic", "t",
			      "--partition",  "0",	  "--node-id", "1",	  NULL};
	struct worker_args a;
	ck_assert_int_eq(parse(argv, &a), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(errbuf, "--dir is required"));
}
END_TEST

START_TEST(help_asks_the_caller_to_exit_zero)
{
	const char *argv[] = {"fjord-worker", "--help", NULL};
	struct worker_args a;
	ck_assert_int_eq(parse(argv, &a), 1);
}
END_TEST

START_TEST(without_cluster_flags_the_group_is_this_node_alone)
{
	const char *argv[] = {REQUIRED, NULL};
	struct worker_args a;
	ck_assert_int_eq(parse(argv, &a), 0);
	ck_assert_int_eq(a.conn_fd, -1);
	ck_assert_str_eq(a.cfg.cluster_name, "fjord");
	ck_assert_int_eq(a.n_replicas, 0);
	ck_assert_int_eq(a.n_peers, 0);
	ck_assert_int_eq(a.cfg.raft.election_timeout_ms, 3000);
	ck_assert_int_eq(a.cfg.raft.heartbeat_interval_ms, 150);
	ck_assert_int_eq(a.cfg.raft.max_entries_per_batch, 100);
	ck_assert_int_eq(a.cfg.raft.snapshot_threshold, 10000);
	int32_t v[WORKER_MAX_REPLICAS];
	ck_assert_int_eq(worker_args_voters(&a, v), 1);
	ck_assert_int_eq(v[0], 2);
}
END_TEST

START_TEST(the_cluster_flags_of_the_supervisor_parse)
{
	const char *argv[] = {REQUIRED,
			      "--conn-fd",
			      "7",
			      "--cluster",
			      "prod",
			      "--replicas",
			      "3,2,1",
			      "--peer",
			      "3=10.0.0.3:9192",
			      "--peer",
			      "1=[::1]:9193",
			      "--election-timeout-ms",
			      "1000",
			      "--heartbeat-interval-ms",
			      "50",
			      "--max-entries-per-batch",
			      "20",
			      "--snapshot-threshold",
			      "500",
			      NULL};
	struct worker_args a;
	ck_assert_int_eq(parse(argv, &a), 0);
	ck_assert_int_eq(a.conn_fd, 7);
	ck_assert_str_eq(a.cfg.cluster_name, "prod");
	ck_assert_int_eq(a.n_replicas, 3);
	ck_assert_int_eq(a.replicas[0], 3);
	ck_assert_int_eq(a.replicas[1], 2);
	ck_assert_int_eq(a.replicas[2], 1);
	ck_assert_int_eq(a.n_peers, 2);
	const struct worker_peer *p3 = worker_args_peer(&a, 3), *p1 = worker_args_peer(&a, 1);
	ck_assert_ptr_nonnull(p3);
	ck_assert_str_eq(p3->host, "10.0.0.3");
	ck_assert_uint_eq(p3->port, 9192);
	ck_assert_ptr_nonnull(p1);
	ck_assert_str_eq(p1->host, "::1");
	ck_assert_uint_eq(p1->port, 9193);
	ck_assert_ptr_null(worker_args_peer(&a, 2));
	ck_assert_int_eq(a.cfg.raft.election_timeout_ms, 1000);
	ck_assert_int_eq(a.cfg.raft.heartbeat_interval_ms, 50);
	ck_assert_int_eq(a.cfg.raft.max_entries_per_batch, 20);
	ck_assert_int_eq(a.cfg.raft.snapshot_threshold, 500);
	int32_t v[WORKER_MAX_REPLICAS];
	ck_assert_int_eq(worker_args_voters(&a, v), 3);
	ck_assert_int_eq(v[0], 3);
	ck_assert_int_eq(v[2], 1);
}
END_TEST

START_TEST(inconsistent_cluster_flags_are_refused_with_the_reason)
{
	static const struct {
		const char *args[8];
		const char *says;
	} bad[] = {
	    {{"--replicas", "1,3", "--peer", "1=h:1", "--conn-fd", "4"}, "--node-id"},
	    {{"--replicas", "2,3", "--conn-fd", "4"}, "--peer"},
	    {{"--replicas", "2,3", "--peer", "3=h:1"}, "--conn-fd"},
	    {{"--replicas", "2,2"}, "--replicas"},
	    {{"--replicas", "2,x"}, "--replicas"},
	    {{"--peer", "3=h"}, "--peer"},
	    {{"--peer", "3=h:70000"}, "--peer"},
	    {{"--peer", "0=h:1"}, "--peer"},
	    {{"--peer", "3=[::1:5"}, "--peer"},
	    {{"--peer", "3=h:1"}, "--replicas"},
	    {{"--election-timeout-ms", "100", "--heartbeat-interval-ms", "100"}, "less than"},
	    {{"--election-timeout-ms", "150", "--heartbeat-interval-ms", "100"}, "twice"},
	    {{"--max-entries-per-batch", "0"}, "--max-entries-per-batch"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[32] = {REQUIRED};
		int n = 11;
		for (int j = 0; j < 8 && bad[i].args[j]; j++)
			argv[n++] = bad[i].args[j];
		argv[n] = NULL;
		struct worker_args a;
		ck_assert_int_eq(parse(argv, &a), ERR_INVALID);
		ck_assert_msg(strstr(errbuf, bad[i].says) != NULL, "case %zu: '%s' does not say %s",
			      i, errbuf, bad[i].says);
	}
	/* A group of one named explicitly needs neither peers nor a socket. */
	const char *argv[] = {REQUIRED, "--replicas", "2", NULL};
	struct worker_args a;
	ck_assert_int_eq(parse(argv, &a), 0);
	ck_assert_int_eq(a.n_replicas, 1);
}
END_TEST

START_TEST(learners_parse_and_self_may_be_one)
{
	/* This node (2) learns from voters 1 and 3; node 4 learns too. */
	const char *argv[] = {REQUIRED,	    "--conn-fd", "7",	   "--replicas", "1,3",
			      "--learners", "4,2",	 "--peer", "1=h1:1",	 "--peer",
			      "3=h3:3",	    "--peer",	 "4=h4:4", NULL};
	struct worker_args a;
	ck_assert_msg(parse(argv, &a) == 0, "%s", errbuf);
	ck_assert_int_eq(a.n_replicas, 2);
	ck_assert_int_eq(a.n_learners, 2);
	ck_assert_int_eq(a.learners[0], 4);
	ck_assert_int_eq(a.learners[1], 2);
	ck_assert(worker_args_is_learner(&a));
	ck_assert_int_eq(a.n_peers, 3);
	ck_assert_uint_eq(worker_args_peer(&a, 4)->port, 4);
	int32_t v[WORKER_MAX_REPLICAS];
	ck_assert_int_eq(worker_args_voters(&a, v), 2);
	/* A voter with learners elsewhere. */
	const char *argv2[] = {REQUIRED, "--conn-fd",  "7",	 "--replicas",
			       "2,1",	 "--learners", "5",	 "--peer",
			       "1=h1:1", "--peer",     "5=h5:5", NULL};
	ck_assert_msg(parse(argv2, &a) == 0, "%s", errbuf);
	ck_assert(!worker_args_is_learner(&a));
	ck_assert_int_eq(a.n_learners, 1);
	ck_assert_int_eq(a.learners[0], 5);
}
END_TEST

START_TEST(inconsistent_learner_flags_are_refused_with_the_reason)
{
	static const struct {
		const char *args[10];
		const char *says;
	} bad[] = {
	    {{"--learners", "2"}, "--learners needs --replicas"},
	    {{"--replicas", "1", "--learners", "2,1", "--peer", "1=h:1", "--conn-fd", "4"},
	     "votes or learns"},
	    {{"--replicas", "1", "--learners", "3", "--peer", "1=h:1", "--peer", "3=h:3",
	      "--conn-fd", "4"},
	     "--node-id"},
	    {{"--replicas", "1", "--learners", "2,3", "--peer", "1=h:1", "--conn-fd", "4"},
	     "--learners names a node without a --peer"},
	    {{"--replicas", "1", "--learners", "2", "--peer", "1=h:1"}, "--conn-fd"},
	    {{"--replicas", "1", "--learners", "2,2"}, "--learners"},
	    {{"--replicas", "1", "--learners", "0"}, "--learners"},
	    {{"--replicas", "1", "--learners", ""}, "--learners"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[32] = {REQUIRED};
		int n = 11;
		for (int j = 0; j < 10 && bad[i].args[j]; j++)
			argv[n++] = bad[i].args[j];
		argv[n] = NULL;
		struct worker_args a;
		ck_assert_int_eq(parse(argv, &a), ERR_INVALID);
		ck_assert_msg(strstr(errbuf, bad[i].says) != NULL, "case %zu: '%s' does not say %s",
			      i, errbuf, bad[i].says);
	}
	/* A learner alone with its one voter is a group of two: fine. */
	const char *argv[] = {REQUIRED, "--replicas", "1",	   "--learners", "2",
			      "--peer", "1=h:1",      "--conn-fd", "4",		 NULL};
	struct worker_args a;
	ck_assert_msg(parse(argv, &a) == 0, "%s", errbuf);
}
END_TEST

static Suite *worker_args_suite(void)
{
	Suite *s = suite_create("worker_args");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, the_supervisor_command_line_parses_with_defaults);
	tcase_add_test(tc, every_optional_flag_is_honoured);
	tcase_add_test(tc, bad_values_and_unknown_flags_are_refused_by_name);
	tcase_add_test(tc, a_missing_required_flag_is_named);
	tcase_add_test(tc, help_asks_the_caller_to_exit_zero);
	tcase_add_test(tc, without_cluster_flags_the_group_is_this_node_alone);
	tcase_add_test(tc, the_cluster_flags_of_the_supervisor_parse);
	tcase_add_test(tc, inconsistent_cluster_flags_are_refused_with_the_reason);
	tcase_add_test(tc, learners_parse_and_self_may_be_one);
	tcase_add_test(tc, inconsistent_learner_flags_are_refused_with_the_reason);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(worker_args_suite)
