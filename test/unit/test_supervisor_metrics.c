/* test_supervisor_metrics.c - the supervisor's operations metrics: the
 * duration histogram and its Prometheus text, per-API request series, the
 * whole /metrics page (every family declared once with HELP and TYPE
 * before its samples, per-partition traffic and storage), and which local
 * leaders a balance request hands back to their preferred replica. One
 * process, no sockets: workers are table entries with a status, peers are
 * LEADERS tables fed in directly. */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "check_main.h"
#include "common/config.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/settle.h"
#include "fake_sup.h"
#include "supervisor/admin_http.h"
#include "supervisor/balance.h"
#include "supervisor/cluster.h"
#include "supervisor/leaders.h"
#include "supervisor/metrics.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

/* --- text helpers --------------------------------------------------------- */

static bool has(const struct buf *b, const char *needle)
{
	return memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

static size_t count_of(const struct buf *b, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	const uint8_t *p = b->data, *end = b->data + b->len;
	while (p < end) {
		const uint8_t *hit = memmem(p, (size_t)(end - p), needle, len);
		if (hit == NULL)
			break;
		n++;
		p = hit + len;
	}
	return n;
}

/* --- the histogram -------------------------------------------------------- */

START_TEST(histogram_buckets_are_cumulative_with_inclusive_bounds_and_an_inf_bucket)
{
	struct metrics_histogram h = {0};
	metrics_histogram_observe(&h, 0);
	metrics_histogram_observe(&h, 500000);	   /* exactly 0.0005 s: in le="0.0005" */
	metrics_histogram_observe(&h, 500001);	   /* just above: le="0.001" */
	metrics_histogram_observe(&h, 3000000);	   /* 3 ms: le="0.005" */
	metrics_histogram_observe(&h, 1000000000); /* 1 s: le="1" */
	metrics_histogram_observe(&h, 10000000000LL);
	metrics_histogram_observe(&h, 10000000001LL); /* above 10 s: only +Inf */
	metrics_histogram_observe(&h, -7);	      /* counted as 0 */
	ck_assert_uint_eq(h.count, 8);
	ck_assert_uint_eq(h.counts[0], 3);
	ck_assert_uint_eq(h.counts[METRICS_N_BUCKETS], 1);

	struct buf b;
	buf_init(&b);
	metrics_histogram_write(&h, "x_seconds", "api=\"Produce\"", &b);
	buf_put_u8(&b, 0);
	const char *want = "x_seconds_bucket{api=\"Produce\",le=\"0.0005\"} 3\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.001\"} 4\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.0025\"} 4\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.005\"} 5\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.01\"} 5\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.025\"} 5\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.05\"} 5\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.1\"} 5\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.25\"} 5\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"0.5\"} 5\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"1\"} 6\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"2.5\"} 6\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"5\"} 6\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"10\"} 7\n"
			   "x_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 8\n"
			   /* 0.0005 + 0.000500001 + 0.003 + 1 + 10 + 10.000000001 */
			   "x_seconds_sum{api=\"Produce\"} 21.004000002\n"
			   "x_seconds_count{api=\"Produce\"} 8\n";
	ck_assert_str_eq((const char *)b.data, want);
	buf_free(&b);
}
END_TEST

START_TEST(histogram_without_labels_writes_only_le_and_bare_sum_and_count)
{
	struct metrics_histogram h = {0};
	metrics_histogram_observe(&h, 2000000);
	struct buf b;
	buf_init(&b);
	metrics_histogram_write(&h, "y", "", &b);
	buf_put_u8(&b, 0);
	ck_assert(has(&b, "y_bucket{le=\"0.001\"} 0\n"));
	ck_assert(has(&b, "y_bucket{le=\"0.0025\"} 1\n"));
	ck_assert(has(&b, "y_bucket{le=\"+Inf\"} 1\n"));
	ck_assert(has(&b, "\ny_sum 0.002000000\ny_count 1\n"));
	ck_assert_uint_eq(count_of(&b, "y_bucket{"), METRICS_N_BUCKETS + 1);
	buf_free(&b);
}
END_TEST

START_TEST(request_series_exist_for_served_apis_and_fold_unknown_keys_into_other)
{
	struct metrics_requests *m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	struct buf b;
	buf_init(&b);
	/* Nothing seen yet: the served APIs are there, at zero. */
	metrics_requests_write(m, &b);
	buf_put_u8(&b, 0);
	ck_assert(has(&b, "# TYPE fjord_requests_total counter\n"));
	ck_assert(has(&b, "# TYPE fjord_request_duration_seconds histogram\n"));
	ck_assert(has(&b, "fjord_requests_total{api=\"Produce\"} 0\n"));
	ck_assert(has(&b, "fjord_requests_total{api=\"Fetch\"} 0\n"));
	ck_assert(has(&b, "fjord_request_duration_seconds_count{api=\"Metadata\"} 0\n"));
	ck_assert(!has(&b, "api=\"other\""));
	/* An API fjord does not serve appears once seen. */
	ck_assert(!has(&b, "api=\"CreateAcls\""));

	metrics_request_received(m, KAFKA_API_PRODUCE);
	metrics_request_received(m, KAFKA_API_PRODUCE);
	metrics_request_answered(m, KAFKA_API_PRODUCE, 4000000);
	metrics_request_received(m, KAFKA_API_CREATE_ACLS);
	metrics_request_received(m, 120);   /* in range, no such API */
	metrics_request_received(m, 30000); /* out of range */
	metrics_request_received(m, -1);
	metrics_request_answered(m, 30000, 1);
	buf_reset(&b);
	metrics_requests_write(m, &b);
	buf_put_u8(&b, 0);
	ck_assert(has(&b, "fjord_requests_total{api=\"Produce\"} 2\n"));
	ck_assert(
	    has(&b, "fjord_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0025\"} 0\n"));
	ck_assert(
	    has(&b, "fjord_request_duration_seconds_bucket{api=\"Produce\",le=\"0.005\"} 1\n"));
	ck_assert(has(&b, "fjord_request_duration_seconds_sum{api=\"Produce\"} 0.004000000\n"));
	ck_assert(has(&b, "fjord_request_duration_seconds_count{api=\"Produce\"} 1\n"));
	ck_assert(has(&b, "fjord_requests_total{api=\"CreateAcls\"} 1\n"));
	ck_assert(has(&b, "fjord_request_duration_seconds_count{api=\"CreateAcls\"} 0\n"));
	ck_assert(has(&b, "fjord_requests_total{api=\"other\"} 3\n"));
	ck_assert(has(&b, "fjord_request_duration_seconds_count{api=\"other\"} 1\n"));
	ck_assert_uint_eq(count_of(&b, "fjord_requests_total{api=\"other\"}"), 1);
	ck_assert_uint_eq(count_of(&b, "# TYPE fjord_requests_total "), 1);
	buf_free(&b);
	free(m);
}
END_TEST

/* --- a supervisor built by hand --------------------------------------------- */

static struct sup s;

static void setup_with(const char *text)
{
	fake_sup_init(&s, text);
	fake_sup_place_workers(&s);
}

static void setup_single(void)
{
	setup_with("[node]\nid = 1\nkafka_listen = 127.0.0.1:19001\n"
		   "[topic.t]\npartitions = 2\n");
}

static void setup_cluster(void)
{
	setup_with("[node]\nid = 1\nkafka_listen = 127.0.0.1:19001\n"
		   "[cluster]\nnode.1 = 127.0.0.1:19001,127.0.0.1:19101\n"
		   "node.2 = h2:19002,h2:19102\nnode.3 = h3:19003,h3:19103\n"
		   "[topic.t]\npartitions = 6\nreplication = 3\n"
		   "[topic.one]\npartitions = 6\n");
}

static void teardown(void) { fake_sup_free(&s); }

static struct worker *local(const char *topic, int32_t p)
{
	return workers_find(s.workers, topic, strlen(topic), p);
}

/* The metric name of a sample line (up to its labels or value). */
static void family_of(const char *line, char *out, size_t len)
{
	size_t n = strcspn(line, "{ ");
	if (n >= len)
		n = len - 1;
	memcpy(out, line, n);
	out[n] = '\0';
}

#define MAX_FAMILIES 128

/* Parses a whole /metrics page: every family has one HELP and one TYPE
 * line, in that order, before any of its samples; a sample's family was
 * declared (histogram samples by their _bucket/_sum/_count name); no
 * family is declared twice; every sample line ends in a number. Returns
 * the number of families. */
static int check_exposition(const struct buf *b)
{
	static char fams[MAX_FAMILIES][96];
	static char types[MAX_FAMILIES][16];
	int n_fams = 0;
	char help_for[96] = "";
	const char *p = (const char *)b->data, *end = p + b->len;
	ck_assert_msg(b->len > 0 && end[-1] == '\n', "the page ends with a newline");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		ck_assert_ptr_nonnull(nl);
		char line[1024];
		size_t len = (size_t)(nl - p);
		ck_assert_uint_lt(len, sizeof(line));
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		char name[96], kind[16];
		if (strncmp(line, "# HELP ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%95s", name), 1);
			ck_assert_msg(help_for[0] == '\0', "HELP %s without TYPE after it",
				      help_for);
			for (int i = 0; i < n_fams; i++)
				ck_assert_msg(strcmp(fams[i], name) != 0, "%s declared twice",
					      name);
			ck_assert_uint_gt(strlen(line), 7 + strlen(name) + 1); /* has text */
			snprintf(help_for, sizeof(help_for), "%s", name);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%95s %15s", name, kind), 2);
			ck_assert_msg(strcmp(help_for, name) == 0,
				      "TYPE %s not right after its HELP", name);
			ck_assert_msg(strcmp(kind, "counter") == 0 || strcmp(kind, "gauge") == 0 ||
					  strcmp(kind, "histogram") == 0,
				      "%s: type %s", name, kind);
			ck_assert_int_lt(n_fams, MAX_FAMILIES);
			snprintf(fams[n_fams], sizeof(fams[0]), "%s", name);
			snprintf(types[n_fams], sizeof(types[0]), "%s", kind);
			n_fams++;
			help_for[0] = '\0';
			continue;
		}
		ck_assert_msg(line[0] != '#', "unexpected comment: %s", line);
		ck_assert_msg(help_for[0] == '\0', "sample right after HELP: %s", line);
		family_of(line, name, sizeof(name));
		int found = -1;
		for (int i = 0; i < n_fams && found < 0; i++) {
			if (strcmp(fams[i], name) == 0 && strcmp(types[i], "histogram") != 0)
				found = i;
			if (strcmp(types[i], "histogram") == 0) {
				size_t fl = strlen(fams[i]);
				if (strncmp(name, fams[i], fl) == 0 &&
				    (strcmp(name + fl, "_bucket") == 0 ||
				     strcmp(name + fl, "_sum") == 0 ||
				     strcmp(name + fl, "_count") == 0))
					found = i;
			}
		}
		ck_assert_msg(found >= 0, "sample of an undeclared family: %s", line);
		/* Samples of one family come right after its declaration. */
		ck_assert_msg(found == n_fams - 1, "sample away from its family: %s", line);
		const char *val = strrchr(line, ' ');
		ck_assert_ptr_nonnull(val);
		char *stop;
		strtod(val + 1, &stop);
		ck_assert_msg(*stop == '\0' && stop != val + 1, "bad value: %s", line);
	}
	ck_assert_msg(help_for[0] == '\0', "trailing HELP");
	return n_fams;
}

START_TEST(metrics_page_declares_every_family_once_before_its_samples)
{
	struct worker *w = local("t", 0);
	w->produce_requests = 3;
	w->produce_bytes = 12345;
	w->fetch_requests = 7;
	w->fetch_bytes = 23456;
	w->status.storage_used_bytes = 1 << 20;
	w->status.storage_map_bytes = 1ULL << 30;
	metrics_request_received(&s.requests, KAFKA_API_PRODUCE);
	metrics_request_answered(&s.requests, KAFKA_API_PRODUCE, 1500000);
	s.n_connections = 2;
	s.n_connections_total = 9;

	struct buf b;
	buf_init(&b);
	admin_http_metrics(&s, &b);
	int n = check_exposition(&b);
	ck_assert_int_ge(n, 24);
	buf_put_u8(&b, 0);
	const char *want[] = {
	    "fjord_produce_requests_total{topic=\"t\",partition=\"0\"} 3\n",
	    "fjord_produce_bytes_total{topic=\"t\",partition=\"0\"} 12345\n",
	    "fjord_fetch_requests_total{topic=\"t\",partition=\"0\"} 7\n",
	    "fjord_fetch_bytes_total{topic=\"t\",partition=\"0\"} 23456\n",
	    "fjord_produce_requests_total{topic=\"t\",partition=\"1\"} 0\n",
	    "fjord_fetch_bytes_total{topic=\"t\",partition=\"1\"} 0\n",
	    "fjord_storage_used_bytes{topic=\"t\",partition=\"0\"} 1048576\n",
	    "fjord_storage_map_bytes{topic=\"t\",partition=\"0\"} 1073741824\n",
	    "fjord_worker_up{topic=\"t\",partition=\"0\"} 1\n",
	    "# TYPE fjord_produce_bytes_total counter\n",
	    "# TYPE fjord_storage_used_bytes gauge\n",
	    "# TYPE fjord_connections gauge\nfjord_connections 2\n",
	    "# TYPE fjord_connections_total counter\nfjord_connections_total 9\n",
	    "fjord_connections_accepted_total 9\n",
	    "fjord_requests_total{api=\"Produce\"} 1\n",
	    "fjord_request_duration_seconds_bucket{api=\"Produce\",le=\"0.001\"} 0\n",
	    "fjord_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0025\"} 1\n",
	    "fjord_request_duration_seconds_count{api=\"Produce\"} 1\n",
	    "fjord_request_duration_seconds_count{api=\"Fetch\"} 0\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(has(&b, want[i]), "missing %s", want[i]);
	/* No peers without [cluster]: no fjord_peer_up family at all. */
	ck_assert(!has(&b, "fjord_peer_up"));
	buf_free(&b);
}
END_TEST

START_TEST(coordinators_report_groups_by_state_and_their_counters)
{
	struct worker *w = local("t", 0);
	struct buf b;
	buf_init(&b);
	admin_http_metrics(&s, &b);
	buf_put_u8(&b, 0);
	/* No coordinator has reported: no group families. */
	ck_assert(!has(&b, "fjord_groups"));
	buf_reset(&b);
	w->has_group_status = true;
	w->group_status = (struct ipc_group_status){
	    .groups = {2, 0, 1, 3, 0}, .members = 5, .rebalances = 4, .commits = 99, .expired = 1};
	admin_http_metrics(&s, &b);
	check_exposition(&b);
	buf_put_u8(&b, 0);
	const char *want[] = {
	    "# TYPE fjord_groups gauge\n",
	    "fjord_groups{topic=\"t\",partition=\"0\",state=\"Empty\"} 2\n",
	    "fjord_groups{topic=\"t\",partition=\"0\",state=\"CompletingRebalance\"} 1\n",
	    "fjord_groups{topic=\"t\",partition=\"0\",state=\"Stable\"} 3\n",
	    "fjord_group_members{topic=\"t\",partition=\"0\"} 5\n",
	    "# TYPE fjord_group_rebalances_total counter\n",
	    "fjord_group_rebalances_total{topic=\"t\",partition=\"0\"} 4\n",
	    "fjord_group_offset_commits_total{topic=\"t\",partition=\"0\"} 99\n",
	    "fjord_group_offsets_expired_total{topic=\"t\",partition=\"0\"} 1\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(has(&b, want[i]), "missing %s", want[i]);
	/* Only the worker that reported. */
	ck_assert(!has(&b, "fjord_group_members{topic=\"t\",partition=\"1\"}"));
	buf_free(&b);
}
END_TEST

START_TEST(a_stopped_worker_is_down_and_keeps_its_counters_and_last_storage)
{
	struct worker *w = local("t", 1);
	w->state = WORKER_WAITING;
	w->restarts = 2;
	w->produce_bytes = 77;
	w->status.storage_used_bytes = 8192;
	struct buf b;
	buf_init(&b);
	admin_http_metrics(&s, &b);
	check_exposition(&b);
	buf_put_u8(&b, 0);
	ck_assert(has(&b, "fjord_worker_up{topic=\"t\",partition=\"1\"} 0\n"));
	ck_assert(has(&b, "fjord_worker_restarts_total{topic=\"t\",partition=\"1\"} 2\n"));
	ck_assert(has(&b, "fjord_produce_bytes_total{topic=\"t\",partition=\"1\"} 77\n"));
	ck_assert(has(&b, "fjord_storage_used_bytes{topic=\"t\",partition=\"1\"} 8192\n"));
	/* A worker that never reported has no Raft or storage figures yet, but
	 * its traffic counters and up are there. */
	w->has_status = false;
	buf_reset(&b);
	admin_http_metrics(&s, &b);
	check_exposition(&b);
	buf_put_u8(&b, 0);
	ck_assert(!has(&b, "fjord_storage_used_bytes{topic=\"t\",partition=\"1\"}"));
	ck_assert(!has(&b, "fjord_raft_term{topic=\"t\",partition=\"1\"}"));
	ck_assert(has(&b, "fjord_produce_bytes_total{topic=\"t\",partition=\"1\"} 77\n"));
	ck_assert(has(&b, "fjord_worker_up{topic=\"t\",partition=\"1\"} 0\n"));
	buf_free(&b);
}
END_TEST

START_TEST(the_data_directorys_filesystem_size_and_free_space_are_reported)
{
	teardown();
	setup_with("[node]\nid = 1\nkafka_listen = 127.0.0.1:19001\ndata_dir = /tmp\n"
		   "[topic.t]\npartitions = 1\n");
	struct statvfs v;
	ck_assert_int_eq(statvfs("/tmp", &v), 0);
	struct buf b;
	buf_init(&b);
	admin_http_metrics(&s, &b);
	check_exposition(&b);
	buf_put_u8(&b, 0);
	char want[256];
	snprintf(want, sizeof(want), "fjord_storage_fs_size_bytes{dir=\"/tmp\"} %llu\n",
		 (unsigned long long)v.f_blocks * v.f_frsize);
	ck_assert_msg(has(&b, want), "missing %s", want);
	const char *free_line =
	    strstr((const char *)b.data, "fjord_storage_fs_free_bytes{dir=\"/tmp\"} ");
	ck_assert_ptr_nonnull(free_line);
	unsigned long long got = strtoull(strchr(free_line, ' ') + 1, NULL, 10);
	unsigned long long now = (unsigned long long)v.f_bavail * v.f_frsize;
	/* Others write to /tmp meanwhile: close, not equal. */
	ck_assert_uint_le(got > now ? got - now : now - got, 64ull << 20);
	ck_assert_uint_le(got, (unsigned long long)v.f_blocks * v.f_frsize);
	buf_free(&b);

	/* A data directory that cannot be read: declared, no sample. */
	teardown();
	setup_with("[node]\nid = 1\nkafka_listen = 127.0.0.1:19001\n"
		   "data_dir = /nonexistent/fjord\n[topic.t]\npartitions = 1\n");
	buf_init(&b);
	admin_http_metrics(&s, &b);
	check_exposition(&b);
	buf_put_u8(&b, 0);
	ck_assert(has(&b, "# TYPE fjord_storage_fs_free_bytes gauge\n"));
	ck_assert(!has(&b, "fjord_storage_fs_free_bytes{"));
	buf_free(&b);
}
END_TEST

/* --- balance ---------------------------------------------------------------- */

/* Peer `node` says it holds (topic, p) as role in term, following leader. */
static void peer_says(int32_t node, bool draining, const char *topic, int32_t p, int8_t role,
		      uint64_t term, int32_t leader, bool caught_up, int64_t age_ms)
{
	struct peer_claim *c = calloc(1, sizeof(*c));
	snprintf(c->topic, sizeof(c->topic), "%s", topic);
	c->partition = p;
	c->role = role;
	c->term = term;
	c->leader = leader;
	c->caught_up = caught_up;
	ck_assert_int_eq(leaders_replace(s.leaders, node, draining, c, 1, spawn_now_ms() - age_ms),
			 0);
}

/* Peer `node` has said, every second for the last ms (and now), that it
 * follows `leader` in term, caught up: healthy for that long. */
static void peer_healthy_for(int32_t node, const char *topic, int32_t p, uint64_t term,
			     int32_t leader, int64_t ms)
{
	leaders_forget(s.leaders, node); /* a history of its own, oldest first */
	for (int64_t age = ms; age > 0; age -= 1000)
		peer_says(node, false, topic, p, IPC_ROLE_FOLLOWER, term, leader, true, age);
	peer_says(node, false, topic, p, IPC_ROLE_FOLLOWER, term, leader, true, 0);
}

/* A partition of t whose preferred replica is `node`. */
static int32_t partition_preferring(int32_t node)
{
	const struct config_topic *t = config_topic_find(s.cfg, "t", 1);
	for (int32_t p = 0; p < t->partitions; p++) {
		int32_t reps[3];
		ck_assert_int_eq(cluster_replicas(s.cfg, t, p, reps), 3);
		if (reps[0] == node)
			return p;
	}
	ck_abort_msg("no partition of t prefers node %d", (int)node);
	return -1;
}

static void lead(struct worker *w, uint64_t term)
{
	w->status.role = IPC_ROLE_LEADER;
	w->status.term = term;
	w->status.leader_node = 1;
}

START_TEST(balance_targets_a_caught_up_preferred_replica_following_this_leader)
{
	int32_t p = partition_preferring(2);
	struct worker *w = local("t", p);
	lead(w, 5);
	peer_healthy_for(2, "t", p, 5, 1, SETTLE_MIN_MS + 1000);
	int32_t target = 0;
	ck_assert(balance_target(&s, w, &target));
	ck_assert_int_eq(target, 2);
	/* The worker has no channel in this test: nothing can be sent. */
	ck_assert_int_eq(balance_request(&s), 0);
}
END_TEST

START_TEST(balance_leaves_a_leader_whose_preferred_replica_is_not_ready)
{
	int32_t p = partition_preferring(2);
	struct worker *w = local("t", p);
	int32_t target = -9;
	lead(w, 5);
	/* Behind. */
	peer_says(2, false, "t", p, IPC_ROLE_FOLLOWER, 5, 1, false, 0);
	ck_assert(!balance_target(&s, w, &target));
	/* Caught up with a leader of an older term. */
	peer_says(2, false, "t", p, IPC_ROLE_FOLLOWER, 4, 1, true, 0);
	ck_assert(!balance_target(&s, w, &target));
	/* Following someone else. */
	peer_says(2, false, "t", p, IPC_ROLE_FOLLOWER, 5, 3, true, 0);
	ck_assert(!balance_target(&s, w, &target));
	/* A candidate. */
	peer_says(2, false, "t", p, IPC_ROLE_CANDIDATE, 5, -1, true, 0);
	ck_assert(!balance_target(&s, w, &target));
	/* Its node is draining. */
	peer_says(2, true, "t", p, IPC_ROLE_FOLLOWER, 5, 1, true, 0);
	ck_assert(!balance_target(&s, w, &target));
	/* Its node has not been heard from for too long. */
	peer_says(2, false, "t", p, IPC_ROLE_FOLLOWER, 5, 1, true, LEADERS_STALE_MS + 500);
	ck_assert(!balance_target(&s, w, &target));
	/* Its node says nothing about this partition. */
	peer_says(2, false, "t", (p + 1) % 6, IPC_ROLE_FOLLOWER, 5, 1, true, 0);
	ck_assert(!balance_target(&s, w, &target));
	ck_assert_int_eq(target, -9);
	/* And with everything right for the settle period it is picked. */
	peer_healthy_for(2, "t", p, 5, 1, SETTLE_MIN_MS + 1000);
	ck_assert(balance_target(&s, w, &target));
	ck_assert_int_eq(target, 2);
}
END_TEST

START_TEST(balance_leaves_preferred_leaders_followers_and_a_draining_node_alone)
{
	int32_t target;
	/* This node is the preferred replica: nothing to hand back. */
	int32_t mine = partition_preferring(1);
	lead(local("t", mine), 5);
	ck_assert(!balance_target(&s, local("t", mine), &target));
	/* A follower has no leadership to give. */
	int32_t p = partition_preferring(3);
	struct worker *w = local("t", p);
	peer_healthy_for(3, "t", p, 5, 1, SETTLE_MIN_MS + 1000);
	ck_assert(!balance_target(&s, w, &target));
	/* A leader whose worker is not serving leads nothing. */
	lead(w, 5);
	w->state = WORKER_WAITING;
	ck_assert(!balance_target(&s, w, &target));
	w->state = WORKER_SERVING;
	ck_assert(balance_target(&s, w, &target));
	ck_assert_int_eq(target, 3);
	/* A node that is draining does not steer leaderships. */
	s.draining = true;
	ck_assert(!balance_target(&s, w, &target));
	s.draining = false;
	/* Replication 1: no other replica. */
	for (int32_t q = 0; q < 6; q++) {
		struct worker *one = local("one", q);
		if (one == NULL)
			continue;
		lead(one, 2);
		ck_assert(!balance_target(&s, one, &target));
	}
}
END_TEST

START_TEST(balance_waits_until_the_preferred_replica_was_healthy_for_the_settle_period)
{
	int32_t p = partition_preferring(2);
	struct worker *w = local("t", p);
	int32_t target = -9;
	lead(w, 5);
	/* Caught up right now, but only just (a replica back from SIGSTOP). */
	peer_says(2, false, "t", p, IPC_ROLE_FOLLOWER, 5, 1, true, 0);
	ck_assert(!balance_target(&s, w, &target));
	/* Healthy, but for less than the period. */
	peer_healthy_for(2, "t", p, 5, 1, SETTLE_MIN_MS - 2000);
	ck_assert(!balance_target(&s, w, &target));
	/* Long enough, but one table in the run came late (lossy network):
	 * the run starts again after the gap. */
	peer_healthy_for(2, "t", p, 5, 1, SETTLE_MIN_MS + 5000);
	ck_assert(balance_target(&s, w, &target));
	ck_assert_int_eq(target, 2);
	target = -9;
	for (int64_t age = 4000; age >= 0; age -= 2000) /* 2 s between tables */
		peer_says(2, false, "t", p, IPC_ROLE_FOLLOWER, 5, 1, true, age);
	ck_assert(!balance_target(&s, w, &target));
	/* Behind for one table: also starts again. */
	peer_healthy_for(2, "t", p, 5, 1, SETTLE_MIN_MS + 1000);
	peer_says(2, false, "t", p, IPC_ROLE_FOLLOWER, 5, 1, false, 0);
	peer_says(2, false, "t", p, IPC_ROLE_FOLLOWER, 5, 1, true, 0);
	ck_assert(!balance_target(&s, w, &target));
	ck_assert_int_eq(target, -9);
}
END_TEST

START_TEST(balance_backs_off_after_a_failed_hand_back)
{
	int32_t p = partition_preferring(2);
	struct worker *w = local("t", p);
	int32_t target;
	lead(w, 5);
	peer_healthy_for(2, "t", p, 5, 1, SETTLE_MIN_MS + 1000);
	ck_assert(balance_target(&s, w, &target));
	/* A hand-back was asked for 100 ms ago: not asked again meanwhile. */
	int64_t now = spawn_now_ms();
	settle_handed(&w->balance, now - 100);
	ck_assert(!balance_target(&s, w, &target));
	/* 5 s later this worker still (or again) leads: it failed. The next
	 * request counts that, and the period doubles. */
	settle_handed(&w->balance, now - 5000);
	ck_assert_int_eq(balance_request(&s), 0); /* no channel: nothing sent */
	ck_assert_int_eq(w->balance.period_ms, 2 * SETTLE_MIN_MS);
	ck_assert(!balance_target(&s, w, &target));
	peer_healthy_for(2, "t", p, 5, 1, 2 * SETTLE_MIN_MS + 1000);
	ck_assert(balance_target(&s, w, &target));
	/* A hand-back long ago (it had worked) resets the period. */
	settle_handed(&w->balance, now - SETTLE_FAIL_WINDOW_MS - 1000);
	ck_assert_int_eq(balance_request(&s), 0);
	ck_assert_int_eq(w->balance.period_ms, SETTLE_MIN_MS);
}
END_TEST

START_TEST(balance_does_nothing_without_a_cluster)
{
	struct worker *w = local("t", 0);
	lead(w, 3);
	int32_t target;
	ck_assert(!balance_target(&s, w, &target));
	ck_assert_int_eq(balance_request(&s), 0);
}
END_TEST

Suite *supervisor_metrics_suite(void)
{
	Suite *su = suite_create("supervisor_metrics");
	TCase *text = tcase_create("text");
	tcase_add_test(text,
		       histogram_buckets_are_cumulative_with_inclusive_bounds_and_an_inf_bucket);
	tcase_add_test(text, histogram_without_labels_writes_only_le_and_bare_sum_and_count);
	tcase_add_test(text, request_series_exist_for_served_apis_and_fold_unknown_keys_into_other);
	suite_add_tcase(su, text);
	TCase *page = tcase_create("page");
	tcase_add_checked_fixture(page, setup_single, teardown);
	tcase_add_test(page, metrics_page_declares_every_family_once_before_its_samples);
	tcase_add_test(page, coordinators_report_groups_by_state_and_their_counters);
	tcase_add_test(page, a_stopped_worker_is_down_and_keeps_its_counters_and_last_storage);
	tcase_add_test(page, the_data_directorys_filesystem_size_and_free_space_are_reported);
	tcase_add_test(page, balance_does_nothing_without_a_cluster);
	suite_add_tcase(su, page);
	TCase *bal = tcase_create("balance");
	tcase_add_checked_fixture(bal, setup_cluster, teardown);
	tcase_add_test(bal, balance_targets_a_caught_up_preferred_replica_following_this_leader);
	tcase_add_test(bal, balance_leaves_a_leader_whose_preferred_replica_is_not_ready);
	tcase_add_test(bal,
		       balance_waits_until_the_preferred_replica_was_healthy_for_the_settle_period);
	tcase_add_test(bal, balance_backs_off_after_a_failed_hand_back);
	tcase_add_test(bal, balance_leaves_preferred_leaders_followers_and_a_draining_node_alone);
	suite_add_tcase(su, bal);
	return su;
}

CHECK_MAIN(supervisor_metrics_suite)
