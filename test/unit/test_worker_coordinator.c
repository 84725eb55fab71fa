/* test_worker_coordinator.c - a real fjord-worker of __consumer_offsets
 * (worker/coordinator.c) driven over ipc, as its supervisor would: group
 * requests answered through IPC_GROUP, the group status reported, and what
 * was committed kept across a SIGKILL and restart (snapshot and log
 * replay). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "testdir.h"
#include "worker_proc.h"

static char *dir; /* testdir_new */

struct wk {
	pid_t pid;
	int ipc;
	struct buf in;
	uint64_t next_req;
	bool leader;
	struct ipc_group_status gs;
	bool has_gs;
};

static void start(struct wk *w)
{
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/__consumer_offsets-0", dir);
	const char *args[] = {"--topic",
			      "__consumer_offsets",
			      "--partition",
			      "0",
			      "--dir",
			      sub,
			      "--node-id",
			      "1",
			      "--sync",
			      "never",
			      "--snapshot-threshold",
			      "3",
			      "--group-min-session-timeout-ms",
			      "100",
			      "--group-initial-rebalance-delay-ms",
			      "400",
			      NULL};
	memset(w, 0, sizeof(*w));
	buf_init(&w->in);
	w->next_req = 1;
	w->pid = wproc_spawn(args, &w->ipc, NULL);
}

static void stop(struct wk *w)
{
	wproc_kill(w->pid);
	close(w->ipc);
	buf_free(&w->in);
}

/* Reads messages until the group result for req (returned body copied into
 * out) or the deadline; keeps statuses. */
static void await_result(struct wk *w, uint64_t req, struct buf *out)
{
	int64_t deadline = wproc_now_ms() + 10000;
	for (;;) {
		struct ipc_msg m;
		int rc = wproc_recv(w->ipc, &w->in, &m, deadline);
		ck_assert_int_eq(rc, 1);
		if (m.type == IPC_STATUS)
			w->leader = m.u.status.role == IPC_ROLE_LEADER;
		if (m.type == IPC_GROUP_STATUS) {
			w->gs = m.u.group_status;
			w->gs.report = NULL;
			w->has_gs = true;
		}
		if (m.type == IPC_GROUP_RESULT && m.u.group_result.req_id == req) {
			buf_reset(out);
			buf_put(out, m.u.group_result.body, m.u.group_result.body_len);
			return;
		}
	}
}

static void call(struct wk *w, int16_t api, int16_t v, const struct buf *body, struct buf *out)
{
	struct ipc_msg m = {.type = IPC_GROUP};
	m.u.group = (struct ipc_group){.req_id = w->next_req++,
				       .api_key = api,
				       .api_version = v,
				       .client_id = (const uint8_t *)"unit",
				       .client_id_len = 4,
				       .client_host = (const uint8_t *)"/10.1.1.1",
				       .client_host_len = 9,
				       .body = body->data,
				       .body_len = (uint32_t)body->len};
	wproc_send(w->ipc, &m);
	await_result(w, m.u.group.req_id, out);
}

static int16_t heartbeat(struct wk *w, const char *member, int32_t gen)
{
	struct kafka_heartbeat_request q;
	kafka_heartbeat_request_init(&q);
	q.group_id = kafka_str_from("g");
	q.generation_id = gen;
	q.member_id = kafka_str_from(member);
	struct buf b, out;
	buf_init(&b);
	buf_init(&out);
	ck_assert_int_eq(kafka_heartbeat_request_encode(&b, 3, &q), 0);
	call(w, KAFKA_API_HEARTBEAT, 3, &b, &out);
	struct reader r;
	reader_init(&r, out.data, out.len);
	struct arena a;
	arena_init(&a);
	struct kafka_heartbeat_response resp;
	ck_assert_int_eq(kafka_heartbeat_response_decode(&r, 3, &resp, &a), 0);
	arena_free(&a);
	buf_free(&b);
	buf_free(&out);
	return resp.error_code;
}

static int64_t committed(struct wk *w, int32_t partition, int16_t *err)
{
	struct kafka_offset_fetch_request q;
	kafka_offset_fetch_request_init(&q);
	q.group_id = kafka_str_from("g");
	struct kafka_offset_fetch_request_offset_fetch_request_topic t;
	kafka_offset_fetch_request_offset_fetch_request_topic_init(&t);
	t.name = kafka_str_from("t");
	t.partition_indexes = &partition;
	t.n_partition_indexes = 1;
	q.topics = &t;
	q.n_topics = 1;
	struct buf b, out;
	buf_init(&b);
	buf_init(&out);
	ck_assert_int_eq(kafka_offset_fetch_request_encode(&b, 5, &q), 0);
	call(w, KAFKA_API_OFFSET_FETCH, 5, &b, &out);
	struct reader r;
	reader_init(&r, out.data, out.len);
	struct arena a;
	arena_init(&a);
	struct kafka_offset_fetch_response resp;
	ck_assert_int_eq(kafka_offset_fetch_response_decode(&r, 5, &resp, &a), 0);
	*err = resp.error_code;
	int64_t off = resp.n_topics == 1 ? resp.topics[0].partitions[0].committed_offset : -2;
	arena_free(&a);
	buf_free(&b);
	buf_free(&out);
	return off;
}

START_TEST(a_coordinator_worker_answers_and_keeps_its_groups_across_a_restart)
{
	dir = testdir_new("coord");
	ck_assert_ptr_nonnull(dir);
	struct wk w;
	start(&w);
	/* JoinGroup v3: one round, the member leads a group of one. */
	struct kafka_join_group_request jq;
	kafka_join_group_request_init(&jq);
	jq.group_id = kafka_str_from("g");
	jq.session_timeout_ms = 60000;
	jq.rebalance_timeout_ms = 60000;
	jq.member_id = kafka_str_from("");
	jq.protocol_type = kafka_str_from("consumer");
	struct kafka_join_group_request_join_group_request_protocol p;
	kafka_join_group_request_join_group_request_protocol_init(&p);
	p.name = kafka_str_from("range");
	p.metadata = (struct kafka_bytes){(const uint8_t *)"m", 1};
	jq.protocols = &p;
	jq.n_protocols = 1;
	struct buf b, out;
	buf_init(&b);
	buf_init(&out);
	ck_assert_int_eq(kafka_join_group_request_encode(&b, 3, &jq), 0);
	/* The first requests may come while it is still loading. */
	struct kafka_join_group_response jr;
	struct arena a;
	arena_init(&a);
	int64_t took = 0;
	for (int i = 0; i < 100; i++) {
		int64_t t0 = wproc_now_ms();
		call(&w, KAFKA_API_JOIN_GROUP, 3, &b, &out);
		took = wproc_now_ms() - t0;
		struct reader r;
		reader_init(&r, out.data, out.len);
		ck_assert_int_eq(kafka_join_group_response_decode(&r, 3, &jr, &a), 0);
		if (jr.error_code != KERR_COORDINATOR_LOAD_IN_PROGRESS &&
		    jr.error_code != KERR_NOT_COORDINATOR)
			break;
		usleep(50000);
	}
	ck_assert_int_eq(jr.error_code, 0);
	/* the group was empty: its first join waited the initial delay
	 * (--group-initial-rebalance-delay-ms 400) for other members */
	ck_assert_msg(took >= 350 && took < 5000, "first join answered after %lld ms",
		      (long long)took);
	char member[128];
	snprintf(member, sizeof(member), "%.*s", (int)jr.member_id.len, jr.member_id.ptr);
	ck_assert_int_eq(strncmp(member, "unit-", 5), 0);
	int32_t gen = jr.generation_id;
	/* SyncGroup: answered once the assignment's entry is applied. */
	struct kafka_sync_group_request sq;
	kafka_sync_group_request_init(&sq);
	sq.group_id = kafka_str_from("g");
	sq.generation_id = gen;
	sq.member_id = kafka_str_from(member);
	struct kafka_sync_group_request_sync_group_request_assignment as;
	kafka_sync_group_request_sync_group_request_assignment_init(&as);
	as.member_id = kafka_str_from(member);
	as.assignment = (struct kafka_bytes){(const uint8_t *)"A", 1};
	sq.assignments = &as;
	sq.n_assignments = 1;
	buf_reset(&b);
	ck_assert_int_eq(kafka_sync_group_request_encode(&b, 3, &sq), 0);
	call(&w, KAFKA_API_SYNC_GROUP, 3, &b, &out);
	struct kafka_sync_group_response sr;
	struct reader r;
	reader_init(&r, out.data, out.len);
	ck_assert_int_eq(kafka_sync_group_response_decode(&r, 3, &sr, &a), 0);
	ck_assert_int_eq(sr.error_code, 0);
	ck_assert_int_eq(sr.assignment.len, 1);
	/* Five commits: with snapshot_threshold 3, a snapshot is taken. */
	for (int i = 0; i < 5; i++) {
		struct kafka_offset_commit_request cq;
		kafka_offset_commit_request_init(&cq);
		cq.group_id = kafka_str_from("g");
		cq.generation_id_or_member_epoch = gen;
		cq.member_id = kafka_str_from(member);
		struct kafka_offset_commit_request_offset_commit_request_partition cp;
		kafka_offset_commit_request_offset_commit_request_partition_init(&cp);
		cp.partition_index = i % 2;
		cp.committed_offset = 100 + i;
		struct kafka_offset_commit_request_offset_commit_request_topic ct;
		kafka_offset_commit_request_offset_commit_request_topic_init(&ct);
		ct.name = kafka_str_from("t");
		ct.partitions = &cp;
		ct.n_partitions = 1;
		cq.topics = &ct;
		cq.n_topics = 1;
		buf_reset(&b);
		ck_assert_int_eq(kafka_offset_commit_request_encode(&b, 7, &cq), 0);
		call(&w, KAFKA_API_OFFSET_COMMIT, 7, &b, &out);
		struct kafka_offset_commit_response cr;
		reader_init(&r, out.data, out.len);
		ck_assert_int_eq(kafka_offset_commit_response_decode(&r, 7, &cr, &a), 0);
		ck_assert_int_eq(cr.topics[0].partitions[0].error_code, 0);
	}
	int16_t err;
	ck_assert_int_eq(committed(&w, 0, &err), 104);
	ck_assert_int_eq(committed(&w, 1, &err), 103);
	/* The group status reaches the supervisor within a second or two. */
	for (int i = 0; i < 40 && !(w.has_gs && w.gs.groups[3] == 1); i++) {
		usleep(100000);
		heartbeat(&w, member, gen);
	}
	ck_assert(w.has_gs);
	ck_assert_uint_eq(w.gs.groups[3], 1); /* Stable */
	ck_assert_uint_eq(w.gs.members, 1);
	ck_assert_uint_ge(w.gs.commits, 5);
	stop(&w);

	/* Restarted: snapshot plus the entries after it. */
	start(&w);
	int16_t hb = KERR_COORDINATOR_LOAD_IN_PROGRESS;
	for (int i = 0;
	     i < 100 && (hb == KERR_COORDINATOR_LOAD_IN_PROGRESS || hb == KERR_NOT_COORDINATOR);
	     i++) {
		hb = heartbeat(&w, member, gen);
		if (hb != 0)
			usleep(50000);
	}
	ck_assert_int_eq(hb, 0);
	ck_assert_int_eq(committed(&w, 0, &err), 104);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(committed(&w, 1, &err), 103);
	ck_assert_int_eq(heartbeat(&w, member, gen + 1), KERR_ILLEGAL_GENERATION);
	stop(&w);
	arena_free(&a);
	buf_free(&b);
	buf_free(&out);
	testdir_free(dir);
}
END_TEST

static Suite *worker_coordinator_suite(void)
{
	Suite *su = suite_create("worker_coordinator");
	TCase *tc = tcase_create("worker_coordinator");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_coordinator_worker_answers_and_keeps_its_groups_across_a_restart);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(worker_coordinator_suite)
