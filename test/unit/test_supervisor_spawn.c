/* test_supervisor_spawn.c - unit tests for worker spawning and the restart
 * backoff (supervisor/spawn.c). */
#include <check.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "common/config.h"
#include "common/config_keys.h"
#include "common/err.h"
#include "common/placement.h"
#include "fake_sup.h"
#include "supervisor/spawn.h"
#include "worker/args.h"

#include "config_alt.h"

static struct config *load(const char *text) { return fake_config(text); }

static int worker_parse(const struct spawn_argv *a, struct worker_args *w, char *err, size_t len);

START_TEST(backoff_doubles_from_100ms_to_a_30s_cap)
{
	struct backoff b;
	backoff_init(&b);
	const int64_t want[] = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
	int64_t now = 1000;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		backoff_started(&b, now);
		now += 10; /* crashes right away */
		ck_assert_int_eq(backoff_exited(&b, now), want[i]);
		now += want[i];
	}
}
END_TEST

START_TEST(backoff_resets_after_60s_of_health)
{
	struct backoff b;
	backoff_init(&b);
	backoff_started(&b, 0);
	ck_assert_int_eq(backoff_exited(&b, 5), 100);
	backoff_started(&b, 105);
	ck_assert_int_eq(backoff_exited(&b, 110), 200);
	backoff_started(&b, 310);
	ck_assert_int_eq(backoff_exited(&b, 310 + 59999), 400); /* not quite healthy */
	backoff_started(&b, 100000);
	ck_assert_int_eq(backoff_exited(&b, 160000), 100); /* 60 s healthy: reset */
	backoff_started(&b, 160100);
	ck_assert_int_eq(backoff_exited(&b, 160200), 200);
}
END_TEST

START_TEST(worker_argv_is_the_documented_command_line)
{
	struct config *c = load("[node]\nid = 9\ndata_dir = /srv/d\nworker_path = /opt/fw\n"
				"log_level = warn\n[storage]\nsync = never\nmap_size_mb = 64\n"
				"[retention]\nbytes = 5000\n[topic.orders]\npartitions = 3\n"
				"retention_ms = 77\nmax_message_bytes = 999\n");
	struct spawn_argv a;
	/* No [cluster]: a one-node cluster, and no cluster flags even when a
	 * hand-off fd is offered. */
	ck_assert_int_eq(spawn_build_argv(c, &c->topics[0], 2, 7, 8, &a), 0);
	const char *want[] = {"/opt/fw",
			      "--ipc-fd",
			      "7",
			      "--topic",
			      "orders",
			      "--partition",
			      "2",
			      "--dir",
			      "/srv/d/orders-2",
			      "--node-id",
			      "9",
			      "--log-level",
			      "warn",
			      "--sync",
			      "never",
			      "--map-size-mb",
			      "64",
			      "--election-timeout-ms",
			      "3000",
			      "--heartbeat-interval-ms",
			      "150",
			      "--max-entries-per-batch",
			      "100",
			      "--snapshot-threshold",
			      "10000",
			      "--offsets-retention-minutes",
			      "10080",
			      "--group-min-session-timeout-ms",
			      "6000",
			      "--group-max-session-timeout-ms",
			      "1800000",
			      "--group-max-size",
			      "1000",
			      "--group-initial-rebalance-delay-ms",
			      "3000",
			      "--cluster",
			      "fjord",
			      "--retention-ms",
			      "77",
			      "--retention-bytes",
			      "5000",
			      "--max-message-bytes",
			      "999",
			      "--message-timestamp-type",
			      "CreateTime"};
	int n = (int)(sizeof(want) / sizeof(want[0]));
	ck_assert_int_eq(a.n, n);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(a.argv[i], want[i]);
	ck_assert_ptr_null(a.argv[n]);
	config_free(c);
}
END_TEST

START_TEST(clustered_worker_argv_adds_replicas_peers_and_raft_settings)
{
	/* t/p starts at (fnv1a("t") + p) mod 3 over nodes 1, 2, 3. */
	struct config *c = load("[node]\nid = 2\ndata_dir = /d\nworker_path = /w\n"
				"[raft]\nelection_timeout_ms = 1000\nheartbeat_interval_ms = 100\n"
				"max_entries_per_batch = 5\nsnapshot_threshold = 77\n"
				"[cluster]\nname = blue\nnode.1 = h1:9092,h1:9192\n"
				"node.2 = h2:9092,h2:9192\nnode.3 = [::1]:9094,[::1]:9194\n"
				"[topic.t]\npartitions = 3\nreplication = 3\n"
				"[topic.u]\npartitions = 3\nreplication = 2\n");
	int start = (int)(placement_hash("t") % 3);
	for (int32_t p = 0; p < 3; p++) {
		struct spawn_argv a;
		ck_assert_int_eq(spawn_build_argv(c, &c->topics[0], p, 7, 9, &a), 0);
		/* The configuration flags (checked above) and then the group. */
		ck_assert_int_eq(a.n, 45 + 4 + 4);
		ck_assert_str_eq(a.argv[17], "--election-timeout-ms");
		ck_assert_str_eq(a.argv[18], "1000");
		ck_assert_str_eq(a.argv[19], "--heartbeat-interval-ms");
		ck_assert_str_eq(a.argv[20], "100");
		ck_assert_str_eq(a.argv[21], "--max-entries-per-batch");
		ck_assert_str_eq(a.argv[22], "5");
		ck_assert_str_eq(a.argv[23], "--snapshot-threshold");
		ck_assert_str_eq(a.argv[24], "77");
		ck_assert_str_eq(a.argv[35], "--cluster");
		ck_assert_str_eq(a.argv[36], "blue");
		ck_assert_str_eq(a.argv[45], "--conn-fd");
		ck_assert_str_eq(a.argv[46], "9");
		ck_assert_str_eq(a.argv[47], "--replicas");
		char want[32];
		int first = (start + p) % 3;
		snprintf(want, sizeof(want), "%d,%d,%d", first + 1, (first + 1) % 3 + 1,
			 (first + 2) % 3 + 1);
		ck_assert_str_eq(a.argv[48], want);
		/* One --peer per other replica, in replica order, raft address. */
		int k = 49;
		for (int i = 0; i < 3; i++) {
			int id = (first + i) % 3 + 1;
			if (id == 2)
				continue;
			ck_assert_str_eq(a.argv[k], "--peer");
			ck_assert_str_eq(a.argv[k + 1], id == 1 ? "1=h1:9192" : "3=[::1]:9194");
			k += 2;
		}
		ck_assert_ptr_null(a.argv[k]);
	}
	/* Replication 2: two replicas, at most one peer. */
	struct spawn_argv a;
	ck_assert_int_eq(spawn_build_argv(c, &c->topics[1], 0, 7, 9, &a), 0);
	ck_assert_str_eq(a.argv[47], "--replicas");
	ck_assert_int_eq((int)strlen(a.argv[48]), 3);
	config_free(c);
}
END_TEST

START_TEST(given_members_become_replicas_learners_and_peers_the_worker_accepts)
{
	struct config *c = load("[node]\nid = 4\nworker_path = /w\n"
				"[cluster]\nnode.1 = h1:9092,h1:9192\nnode.2 = h2:9092,h2:9192\n"
				"node.3 = h3:9092,h3:9192\nnode.4 = h4:9092,h4:9192\n"
				"node.5 = h5:9092,h5:9192\n"
				"[topic.t]\npartitions = 1\n");
	const int32_t voters[] = {2, 1, 3}, learners[] = {4, 5};
	struct spawn_members m = {voters, 3, learners, 2};
	struct spawn_argv a;
	ck_assert_int_eq(spawn_build_argv_members(c, &c->topics[0], 0, &m, 7, 9, &a), 0);
	int k = 0;
	while (a.argv[k] && strcmp(a.argv[k], "--conn-fd") != 0)
		k++;
	const char *want[] = {"--conn-fd", "9",		"--replicas", "2,1,3",	  "--learners",
			      "4,5",	   "--peer",	"2=h2:9192",  "--peer",	  "1=h1:9192",
			      "--peer",	   "3=h3:9192", "--peer",     "5=h5:9192"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++, k++) {
		ck_assert_ptr_nonnull(a.argv[k]);
		ck_assert_str_eq(a.argv[k], want[i]);
	}
	ck_assert_ptr_null(a.argv[k]);
	ck_assert_int_eq(k, a.n);
	/* What the worker makes of it: a learner of a 3-voter group. */
	struct worker_args w;
	char err[512] = "";
	ck_assert_msg(worker_parse(&a, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert(worker_args_is_learner(&w));
	ck_assert_int_eq(w.n_replicas, 3);
	ck_assert_int_eq(w.n_learners, 2);
	ck_assert_int_eq(w.n_peers, 4);
	/* Without learners, no --learners flag; a bad list is refused. */
	m.n_learners = 0;
	ck_assert_int_eq(spawn_build_argv_members(c, &c->topics[0], 0, &m, 7, 9, &a), 0);
	for (int i = 0; i < a.n; i++)
		ck_assert_str_ne(a.argv[i], "--learners");
	m.n_voters = 0;
	ck_assert_int_eq(spawn_build_argv_members(c, &c->topics[0], 0, &m, 7, 9, &a), ERR_INVALID);
	config_free(c);
}
END_TEST

/* Writes dir/worker.sh with body as a fake fjord-worker; its path into
 * script. */
static void fake_worker(const char *dir, const char *body, char *script, size_t len)
{
	snprintf(script, len, "%s/worker.sh", dir);
	FILE *f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(script, 0755);
}

START_TEST(clustered_spawn_hands_the_worker_a_seqpacket_socket)
{
	char dir[] = "/tmp/fjord-test-spawn-dir-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char script[256], text[1024];
	/* The fake worker writes "ok" to the fd after --conn-fd. */
	fake_worker(dir, "while [ \"$1\" != --conn-fd ]; do shift; done\nprintf ok >&$2\nexit 0\n",
		    script, sizeof(script));
	snprintf(text, sizeof(text),
		 "[node]\nid = 1\ndata_dir = %s/data\nworker_path = %s\n"
		 "[cluster]\nnode.1 = a:1,a:2\nnode.2 = b:1,b:2\n"
		 "[topic.t]\npartitions = 1\nreplication = 2\n",
		 dir, script);
	struct config *c = load(text);
	pid_t pid;
	int fd, conn_fd;
	ck_assert_int_eq(spawn_start(c, &c->topics[0], 0, &pid, &fd, &conn_fd), 0);
	ck_assert_int_ge(conn_fd, 0);
	int type = 0;
	socklen_t tl = sizeof(type);
	ck_assert_int_eq(getsockopt(conn_fd, SOL_SOCKET, SO_TYPE, &type, &tl), 0);
	ck_assert_int_eq(type, SOCK_SEQPACKET);
	char got[8] = {0};
	ssize_t n = -1;
	for (int tries = 0; tries < 500 && n <= 0; tries++) { /* bounded: 5 s */
		n = recv(conn_fd, got, sizeof(got) - 1, 0);
		if (n <= 0)
			usleep(10000);
	}
	ck_assert_str_eq(got, "ok");
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	close(conn_fd);
	config_free(c);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	ck_assert_int_eq(system(text), 0);
}
END_TEST

START_TEST(spawned_worker_gets_its_argv_and_a_live_socketpair)
{
	char dir[] = "/tmp/fjord-test-spawn-dir-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char script[256], out[256], text[1024];
	snprintf(out, sizeof(out), "%s/argv.txt", dir);
	/* The fake worker records its argv, writes "hi" on its ipc fd, exits 3. */
	snprintf(text, sizeof(text), "echo \"$@\" > %s\nprintf hi >&$2\nexit 3\n", out);
	fake_worker(dir, text, script, sizeof(script));
	snprintf(text, sizeof(text),
		 "[node]\nid = 1\ndata_dir = %s/data/nested\nworker_path = %s\n"
		 "[topic.t]\npartitions = 1\n",
		 dir, script);
	struct config *c = load(text);
	pid_t pid;
	int fd, conn_fd;
	ck_assert_int_eq(spawn_start(c, &c->topics[0], 0, &pid, &fd, &conn_fd), 0);
	ck_assert_int_eq(conn_fd, -1); /* no [cluster], no hand-off socket */
	char got[8] = {0};
	ssize_t n = 0;
	for (int tries = 0; tries < 500 && n < 2; tries++) { /* bounded: 5 s */
		ssize_t k = read(fd, got + n, 2 - (size_t)n);
		if (k > 0)
			n += k;
		else
			usleep(10000);
	}
	ck_assert_str_eq(got, "hi");
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	char why[128];
	ck_assert_str_eq(spawn_exit_str(status, why, sizeof(why)), "exited with status 3");
	FILE *f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	char line[1024] = {0};
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	/* The fd number is the child's to know; compare everything after it. */
	ck_assert_int_eq(strncmp(line, "--ipc-fd ", 9), 0);
	char want[2048];
	snprintf(want, sizeof(want),
		 " --topic t --partition 0 --dir %s/data/nested/t-0 --node-id 1 "
		 "--log-level info --sync always --map-size-mb 1024 --election-timeout-ms 3000 "
		 "--heartbeat-interval-ms 150 --max-entries-per-batch 100 "
		 "--snapshot-threshold 10000 --offsets-retention-minutes 10080 "
		 "--group-min-session-timeout-ms 6000 --group-max-session-timeout-ms 1800000 "
		 "--group-max-size 1000 --group-initial-rebalance-delay-ms 3000 --cluster fjord "
		 "--retention-ms 604800000 "
		 "--retention-bytes -1 --max-message-bytes 1048576 "
		 "--message-timestamp-type CreateTime\n",
		 dir);
	ck_assert_str_eq(strchr(line + 9, ' '), want);
	struct stat st;
	snprintf(text, sizeof(text), "%s/data/nested", dir);
	ck_assert_int_eq(stat(text, &st), 0); /* data_dir created with parents */
	close(fd);
	config_free(c);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	ck_assert_int_eq(system(text), 0);
}
END_TEST

static void count_sigterm(evutil_socket_t sig, short what, void *arg) { (*(int *)arg)++; }

/* A worker stopped right after its start: the SIGTERM can reach the child
 * before exec, while it still has the supervisor's handlers. libevent's
 * handler would then write the signal into the socketpair the child shares
 * with its parent, and the supervisor would take the worker's SIGTERM for
 * its own and stop (seen in the conformance suite on a loaded machine). */
START_TEST(a_sigterm_for_a_worker_just_forked_never_reaches_the_supervisor)
{
	char dir[] = "/tmp/fjord-test-spawn-sig-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char script[256], text[1024];
	fake_worker(dir, "exit 0\n", script, sizeof(script));
	snprintf(
	    text, sizeof(text),
	    "[node]\nid = 1\ndata_dir = %s/data\nworker_path = %s\n[topic.t]\npartitions = 1\n",
	    dir, script);
	struct config *c = load(text);
	struct event_base *base = event_base_new();
	int caught = 0;
	struct event *ev = evsignal_new(base, SIGTERM, count_sigterm, &caught);
	ck_assert_int_eq(evsignal_add(ev, NULL), 0);
	int killed = 0;
	for (int i = 0; i < 200; i++) {
		pid_t pid;
		int fd, conn_fd;
		ck_assert_int_eq(spawn_start(c, &c->topics[0], 0, &pid, &fd, &conn_fd), 0);
		kill(pid, SIGTERM);
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
		close(fd);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	ck_assert_int_eq(caught, 0);
	/* The signals did arrive: most children die of them, before exec or in
	 * the shell (one that had already exited keeps status 0). */
	ck_assert_int_gt(killed, 100);
	/* And the handler still works for the process's own signals. */
	kill(getpid(), SIGTERM);
	for (int tries = 0; tries < 100 && caught == 0; tries++) /* bounded: 1 s */
		if (event_base_loop(base, EVLOOP_NONBLOCK) == 0 && caught == 0)
			usleep(10000);
	ck_assert_int_eq(caught, 1);
	event_free(ev);
	event_base_free(base);
	config_free(c);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	ck_assert_int_eq(system(text), 0);
}
END_TEST

/* Hands a spawn_argv to the worker's parser, as exec would. */
static int worker_parse(const struct spawn_argv *a, struct worker_args *w, char *err, size_t len)
{
	FILE *ef = fmemopen(err, len, "w");
	FILE *out = fopen("/dev/null", "w");
	int rc = worker_args_parse(a->n, (char **)a->argv, w, out, ef);
	fclose(ef);
	fclose(out);
	return rc;
}

/* Where key k lives on each side: the supervisor's config or topic, the
 * worker's cfg or topic_cfg. */
static const void *sup_base(const struct config_key *k, const struct config *c)
{
	return config_key_is_topic(k) ? (const void *)&c->topics[0] : (const void *)c;
}
static const void *worker_base(const struct config_key *k, const struct worker_args *w)
{
	return config_key_is_topic(k) ? (const void *)&w->topic_cfg : (const void *)&w->cfg;
}

START_TEST(every_worker_key_of_the_table_round_trips_supervisor_to_worker)
{
	const char *ini = "[node]\nid = 2\nworker_path = /w\n[topic.t]\npartitions = 1\n";
	int n_flags = 0;
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->flag == NULL)
			continue;
		n_flags++;
		/* Change this one key away from what the file gives it. */
		struct config *c = load(ini);
		void *base = (void *)sup_base(k, c);
		char alt[CONFIG_PATH_MAX], why[256];
		config_alt_value(k, base, alt, sizeof(alt));
		struct config *ref = load(ini);
		ck_assert_msg(config_key_parse(k, base, alt, why, sizeof(why)) == 0, "%s.%s: %s",
			      k->section, k->key, why);
		ck_assert_msg(!config_key_equal(k, base, sup_base(k, ref)), "%s.%s did not change",
			      k->section, k->key);
		config_free(ref);

		struct spawn_argv a;
		ck_assert_int_eq(spawn_build_argv(c, &c->topics[0], 0, 5, -1, &a), 0);
		struct worker_args w;
		char err[512] = "";
		ck_assert_msg(worker_parse(&a, &w, err, sizeof(err)) == 0, "%s.%s = %s: %s",
			      k->section, k->key, alt, err);
		/* Every worker key, not only the changed one, arrives intact. */
		for (int j = 0; j < config_n_keys; j++) {
			const struct config_key *kj = &config_keys[j];
			if (kj->flag != NULL)
				ck_assert_msg(
				    config_key_equal(kj, sup_base(kj, c), worker_base(kj, &w)),
				    "with %s.%s = %s, %s.%s differs in the worker", k->section,
				    k->key, alt, kj->section, kj->key);
		}
		config_free(c);
	}
	ck_assert_int_ge(n_flags, 12);
}
END_TEST

START_TEST(a_worker_started_without_config_flags_has_the_files_defaults)
{
	/* The worker has no defaults of its own: what a flag left out means is
	 * what the INI file left out means. */
	struct config *c = load("[node]\nid = 4\n[topic.t]\npartitions = 1\n");
	const char *argv[] = {
	    "fjord-worker", "--ipc-fd", "5",	     "--topic", "t", "--partition", "0",
	    "--dir",	    "/d",	"--node-id", "4",	NULL};
	struct spawn_argv a = {.n = 11};
	for (int i = 0; i < 12; i++)
		a.argv[i] = (char *)argv[i];
	struct worker_args w;
	char err[512] = "";
	ck_assert_msg(worker_parse(&a, &w, err, sizeof(err)) == 0, "%s", err);
	int n_checked = 0;
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->flag == NULL)
			continue;
		ck_assert_msg(config_key_equal(k, sup_base(k, c), worker_base(k, &w)),
			      "%s.%s: the worker's default is not the file's", k->section, k->key);
		n_checked++;
	}
	ck_assert_int_ge(n_checked, 12);
	config_free(c);
}
END_TEST

START_TEST(exit_descriptions_name_the_signal)
{
	char why[128];
	ck_assert_str_eq(spawn_exit_str(0, why, sizeof(why)), "exited with status 0");
	pid_t p = fork();
	if (p == 0) {
		raise(SIGKILL);
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(p, &status, 0), p);
	ck_assert_str_eq(spawn_exit_str(status, why, sizeof(why)), "killed by signal 9 (Killed)");
}
END_TEST

static Suite *supervisor_spawn_suite(void)
{
	Suite *s = suite_create("supervisor_spawn");
	TCase *tc = tcase_create("spawn");
	tcase_add_test(tc, backoff_doubles_from_100ms_to_a_30s_cap);
	tcase_add_test(tc, backoff_resets_after_60s_of_health);
	tcase_add_test(tc, worker_argv_is_the_documented_command_line);
	tcase_add_test(tc, spawned_worker_gets_its_argv_and_a_live_socketpair);
	tcase_add_test(tc, a_sigterm_for_a_worker_just_forked_never_reaches_the_supervisor);
	tcase_add_test(tc, clustered_worker_argv_adds_replicas_peers_and_raft_settings);
	tcase_add_test(tc, clustered_spawn_hands_the_worker_a_seqpacket_socket);
	tcase_add_test(tc, given_members_become_replicas_learners_and_peers_the_worker_accepts);
	tcase_add_test(tc, exit_descriptions_name_the_signal);
	tcase_add_test(tc, every_worker_key_of_the_table_round_trips_supervisor_to_worker);
	tcase_add_test(tc, a_worker_started_without_config_flags_has_the_files_defaults);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(supervisor_spawn_suite)
