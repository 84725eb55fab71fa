/* test_supervisor_groups.c - the supervisor's side of consumer groups:
 * FindCoordinator, and the group APIs forwarded to fake coordinator workers
 * (supervisor/find_coordinator.c, group_forward.c, group_split.c) through a
 * real client connection and real ipc links. */
#include <check.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/frame.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kafka_header.h"
#include "common/kafka/kerr.h"
#include "fake_sup.h"
#include "supervisor/coordinator_key.h"
#include "supervisor/internal_topics.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

#define N_COORD 2
#define MAX_MSGS 64

struct fake {
	struct bufferevent *bev;
	struct buf rx;
	int n_msgs;
	struct ipc_msg msgs[MAX_MSGS];
	struct buf bodies[MAX_MSGS]; /* copies of IPC_GROUP bodies */
	char client_ids[MAX_MSGS][64];
	char hosts[MAX_MSGS][64];
};

static struct sup s;
static struct fake fakes[N_COORD];
static struct worker *coord[N_COORD];
static int client = -1;
static struct buf inbox;
static int corr_seq;
/* Group ids that hash to __consumer_offsets partition 0 and 1 of 2. */
static char gid[N_COORD][2][16];

static void fake_read(struct bufferevent *bev, void *arg)
{
	struct fake *f = arg;
	for (int guard = 0; guard < 1000; guard++) {
		if (frame_pull(bufferevent_get_input(bev), FRAME_MAX_DEFAULT, &f->rx) <= 0)
			return;
		ck_assert_int_lt(f->n_msgs, MAX_MSGS);
		int i = f->n_msgs++;
		struct ipc_msg *m = &f->msgs[i];
		ck_assert_int_eq(ipc_decode(f->rx.data, f->rx.len, m), 0);
		if (m->type == IPC_GROUP) {
			buf_init(&f->bodies[i]);
			buf_put(&f->bodies[i], m->u.group.body, m->u.group.body_len);
			snprintf(f->client_ids[i], 64, "%.*s", (int)m->u.group.client_id_len,
				 (const char *)m->u.group.client_id);
			snprintf(f->hosts[i], 64, "%.*s", (int)m->u.group.client_host_len,
				 (const char *)m->u.group.client_host);
			m->u.group.body = NULL;
		}
	}
}

static void fake_answer(int c, int i, const struct buf *body)
{
	struct ipc_msg m = {.type = IPC_GROUP_RESULT};
	m.u.group_result = (struct ipc_group_result){.req_id = fakes[c].msgs[i].u.group.req_id,
						     .body = body->data,
						     .body_len = (uint32_t)body->len};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(frame_push(bufferevent_get_output(fakes[c].bev), b.data, b.len), 0);
	buf_free(&b);
}

static void pump_once(void)
{
	event_base_loop(s.base, EVLOOP_NONBLOCK);
	uint8_t tmp[65536];
	for (;;) {
		ssize_t n = read(client, tmp, sizeof(tmp));
		if (n <= 0)
			break;
		buf_put(&inbox, tmp, (size_t)n);
	}
}

#define PUMP_UNTIL(cond)                                                                           \
	do {                                                                                       \
		for (int round_ = 0; round_ < 500 && !(cond); round_++) {                          \
			pump_once();                                                               \
			struct timespec ts_ = {0, 2 * 1000 * 1000};                                \
			nanosleep(&ts_, NULL);                                                     \
		}                                                                                  \
	} while (0)

static int responses_ready(void)
{
	size_t pos = 0;
	int n = 0;
	while (inbox.len - pos >= 4) {
		uint32_t len = be32_load(inbox.data + pos);
		if (inbox.len - pos - 4 < len)
			break;
		pos += 4 + len;
		n++;
	}
	return n;
}

static uint8_t taken[1 << 16];
static struct reader take_response(int16_t key, int16_t version, int32_t want_corr)
{
	ck_assert_int_ge(responses_ready(), 1);
	uint32_t len = be32_load(inbox.data);
	ck_assert_uint_le(len, sizeof(taken));
	memcpy(taken, inbox.data + 4, len);
	memmove(inbox.data, inbox.data + 4 + len, inbox.len - 4 - len);
	inbox.len -= 4 + len;
	struct reader r;
	reader_init(&r, taken, len);
	ck_assert_int_eq((int32_t)reader_u32(&r), want_corr);
	if (kafka_response_header_version(key, version) >= 1)
		ck_assert_int_eq(reader_uvarint(&r), 0);
	return r;
}

static int32_t send_request(int16_t key, int16_t version, struct buf *body)
{
	struct buf b;
	buf_init(&b);
	struct kafka_request_header h;
	kafka_request_header_init(&h);
	h.request_api_key = key;
	h.request_api_version = version;
	h.correlation_id = ++corr_seq;
	h.client_id = kafka_str_from("unit-client");
	buf_put_u32(&b, 0);
	ck_assert_int_eq(kafka_request_header_encode(
			     &b, (int16_t)kafka_request_header_version(key, version), &h),
			 0);
	buf_put(&b, body->data, body->len);
	buf_patch_u32(&b, 0, (uint32_t)(b.len - 4));
	ck_assert_int_eq(write(client, b.data, b.len), (ssize_t)b.len);
	buf_free(&b);
	buf_free(body);
	return h.correlation_id;
}

static void setup(void)
{
	memset(fakes, 0, sizeof(fakes));
	buf_init(&inbox);
	corr_seq = 100;
	fake_sup_init(&s, "[node]\nid = 5\nkafka_listen = 127.0.0.1:19999\n"
			  "advertised_host = broker5.test\n[groups]\noffsets_partitions = 2\n");
	ck_assert_int_eq(internal_topics_add(s.cfg), 0);
	for (int p = 0; p < N_COORD; p++) {
		coord[p] = fake_sup_worker(&s, INTERNAL_OFFSETS_TOPIC, p, IPC_ROLE_LEADER, 3);
		int fd = fake_sup_link(&s, coord[p]);
		fakes[p].bev = bufferevent_socket_new(s.base, fd, BEV_OPT_CLOSE_ON_FREE);
		buf_init(&fakes[p].rx);
		bufferevent_setcb(fakes[p].bev, fake_read, NULL, NULL, &fakes[p]);
		bufferevent_enable(fakes[p].bev, EV_READ | EV_WRITE);
	}
	int found[N_COORD] = {0};
	for (int i = 0; i < 1000 && (found[0] < 2 || found[1] < 2); i++) {
		char id[16];
		snprintf(id, sizeof(id), "g%d", i);
		int p = coordinator_partition(id, strlen(id), 2);
		if (found[p] < 2)
			strcpy(gid[p][found[p]++], id);
	}
	int cv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, cv), 0);
	evutil_make_socket_nonblocking(cv[1]);
	ck_assert_int_eq(kconn_open(&s, cv[0]), 0);
	client = cv[1];
}

static void teardown(void)
{
	kconn_close_all(&s);
	for (int p = 0; p < N_COORD; p++) {
		if (fakes[p].bev)
			bufferevent_free(fakes[p].bev);
		buf_free(&fakes[p].rx);
		for (int i = 0; i < fakes[p].n_msgs; i++)
			if (fakes[p].msgs[i].type == IPC_GROUP)
				buf_free(&fakes[p].bodies[i]);
	}
	fake_sup_free(&s);
	close(client);
	buf_free(&inbox);
}

static struct buf heartbeat_body(const char *group)
{
	struct kafka_heartbeat_request q;
	kafka_heartbeat_request_init(&q);
	q.group_id = kafka_str_from(group);
	q.generation_id = 4;
	q.member_id = kafka_str_from("m");
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_heartbeat_request_encode(&b, 3, &q), 0);
	return b;
}

START_TEST(find_coordinator_names_the_leader_of_the_groups_partition)
{
	struct kafka_find_coordinator_request q;
	kafka_find_coordinator_request_init(&q);
	q.key = kafka_str_from(gid[1][0]);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_find_coordinator_request_encode(&b, 3, &q), 0);
	int32_t c1 = send_request(KAFKA_API_FIND_COORDINATOR, 3, &b);
	/* v4: a batch, with a transactional key refused. */
	struct kafka_str keys[2] = {kafka_str_from(gid[0][0]), kafka_str_from(gid[1][1])};
	kafka_find_coordinator_request_init(&q);
	q.coordinator_keys = keys;
	q.n_coordinator_keys = 2;
	buf_init(&b);
	ck_assert_int_eq(kafka_find_coordinator_request_encode(&b, 4, &q), 0);
	int32_t c2 = send_request(KAFKA_API_FIND_COORDINATOR, 4, &b);
	q.key_type = 1;
	buf_init(&b);
	ck_assert_int_eq(kafka_find_coordinator_request_encode(&b, 4, &q), 0);
	int32_t c3 = send_request(KAFKA_API_FIND_COORDINATOR, 4, &b);
	PUMP_UNTIL(responses_ready() == 3);
	struct arena a;
	arena_init(&a);
	struct kafka_find_coordinator_response r;
	struct reader rd = take_response(KAFKA_API_FIND_COORDINATOR, 3, c1);
	ck_assert_int_eq(kafka_find_coordinator_response_decode(&rd, 3, &r, &a), 0);
	ck_assert_int_eq(r.error_code, 0);
	ck_assert_int_eq(r.node_id, 5);
	ck_assert(kafka_str_eq(r.host, "broker5.test"));
	ck_assert_int_eq(r.port, 19999);
	rd = take_response(KAFKA_API_FIND_COORDINATOR, 4, c2);
	ck_assert_int_eq(kafka_find_coordinator_response_decode(&rd, 4, &r, &a), 0);
	ck_assert_int_eq(r.n_coordinators, 2);
	ck_assert(kafka_str_eq(r.coordinators[1].key, gid[1][1]));
	ck_assert_int_eq(r.coordinators[1].node_id, 5);
	ck_assert_int_eq(r.coordinators[0].error_code, 0);
	rd = take_response(KAFKA_API_FIND_COORDINATOR, 4, c3);
	ck_assert_int_eq(kafka_find_coordinator_response_decode(&rd, 4, &r, &a), 0);
	ck_assert_int_eq(r.coordinators[0].error_code, KERR_INVALID_REQUEST);
	ck_assert_int_gt(r.coordinators[0].error_message.len, 0);
	arena_free(&a);
	/* Nothing reached a worker. */
	ck_assert_int_eq(fakes[0].n_msgs + fakes[1].n_msgs, 0);
}
END_TEST

START_TEST(a_group_request_goes_to_its_coordinator_as_is_and_its_answer_comes_back)
{
	struct buf body = heartbeat_body(gid[1][0]);
	struct buf copy;
	buf_init(&copy);
	buf_put(&copy, body.data, body.len);
	int32_t c = send_request(KAFKA_API_HEARTBEAT, 3, &body);
	PUMP_UNTIL(fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[0].n_msgs, 0);
	ck_assert_int_eq(fakes[1].n_msgs, 1);
	const struct ipc_group *g = &fakes[1].msgs[0].u.group;
	ck_assert_int_eq(fakes[1].msgs[0].type, IPC_GROUP);
	ck_assert_int_eq(g->api_key, KAFKA_API_HEARTBEAT);
	ck_assert_int_eq(g->api_version, 3);
	ck_assert_str_eq(fakes[1].client_ids[0], "unit-client");
	ck_assert_int_eq(fakes[1].hosts[0][0], '/');
	ck_assert_uint_eq(fakes[1].bodies[0].len, copy.len);
	ck_assert_mem_eq(fakes[1].bodies[0].data, copy.data, copy.len);
	buf_free(&copy);
	struct kafka_heartbeat_response hr;
	kafka_heartbeat_response_init(&hr);
	hr.error_code = KERR_REBALANCE_IN_PROGRESS;
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(kafka_heartbeat_response_encode(&out, 3, &hr), 0);
	fake_answer(1, 0, &out);
	buf_free(&out);
	PUMP_UNTIL(responses_ready() == 1);
	struct arena a;
	arena_init(&a);
	struct reader rd = take_response(KAFKA_API_HEARTBEAT, 3, c);
	ck_assert_int_eq(kafka_heartbeat_response_decode(&rd, 3, &hr, &a), 0);
	ck_assert_int_eq(hr.error_code, KERR_REBALANCE_IN_PROGRESS);
	arena_free(&a);
}
END_TEST

START_TEST(a_group_led_elsewhere_or_a_dead_coordinator_is_not_coordinator)
{
	coord[0]->status.role = IPC_ROLE_FOLLOWER;
	struct buf body = heartbeat_body(gid[0][0]);
	int32_t c1 = send_request(KAFKA_API_HEARTBEAT, 3, &body);
	/* OffsetCommit has no top-level error: every partition gets it. */
	struct kafka_offset_commit_request q;
	kafka_offset_commit_request_init(&q);
	q.group_id = kafka_str_from(gid[0][1]);
	struct kafka_offset_commit_request_offset_commit_request_partition p;
	kafka_offset_commit_request_offset_commit_request_partition_init(&p);
	p.partition_index = 3;
	struct kafka_offset_commit_request_offset_commit_request_topic t;
	kafka_offset_commit_request_offset_commit_request_topic_init(&t);
	t.name = kafka_str_from("t");
	t.partitions = &p;
	t.n_partitions = 1;
	q.topics = &t;
	q.n_topics = 1;
	buf_init(&body);
	ck_assert_int_eq(kafka_offset_commit_request_encode(&body, 8, &q), 0);
	int32_t c2 = send_request(KAFKA_API_OFFSET_COMMIT, 8, &body);
	/* A held request whose worker dies. */
	body = heartbeat_body(gid[1][0]);
	int32_t c3 = send_request(KAFKA_API_HEARTBEAT, 3, &body);
	PUMP_UNTIL(fakes[1].n_msgs == 1);
	bufferevent_free(fakes[1].bev);
	fakes[1].bev = NULL;
	PUMP_UNTIL(responses_ready() == 3);
	ck_assert_int_eq(fakes[0].n_msgs, 0);
	struct arena a;
	arena_init(&a);
	struct kafka_heartbeat_response hr;
	struct reader rd = take_response(KAFKA_API_HEARTBEAT, 3, c1);
	ck_assert_int_eq(kafka_heartbeat_response_decode(&rd, 3, &hr, &a), 0);
	ck_assert_int_eq(hr.error_code, KERR_NOT_COORDINATOR);
	struct kafka_offset_commit_response cr;
	rd = take_response(KAFKA_API_OFFSET_COMMIT, 8, c2);
	ck_assert_int_eq(kafka_offset_commit_response_decode(&rd, 8, &cr, &a), 0);
	ck_assert_int_eq(cr.n_topics, 1);
	ck_assert_int_eq(cr.topics[0].partitions[0].partition_index, 3);
	ck_assert_int_eq(cr.topics[0].partitions[0].error_code, KERR_NOT_COORDINATOR);
	rd = take_response(KAFKA_API_HEARTBEAT, 3, c3);
	ck_assert_int_eq(kafka_heartbeat_response_decode(&rd, 3, &hr, &a), 0);
	ck_assert_int_eq(hr.error_code, KERR_NOT_COORDINATOR);
	arena_free(&a);
}
END_TEST

/* A DescribeGroups answer naming each group of the sub-request. */
static void answer_describe(int c, int i)
{
	struct arena a;
	arena_init(&a);
	struct reader r;
	reader_init(&r, fakes[c].bodies[i].data, fakes[c].bodies[i].len);
	struct kafka_describe_groups_request q;
	ck_assert_int_eq(kafka_describe_groups_request_decode(&r, 5, &q, &a), 0);
	struct kafka_describe_groups_response resp;
	kafka_describe_groups_response_init(&resp);
	struct kafka_describe_groups_response_described_group gs[4];
	for (int k = 0; k < q.n_groups; k++) {
		kafka_describe_groups_response_described_group_init(&gs[k]);
		gs[k].group_id = q.groups[k];
		gs[k].group_state = kafka_str_from(c == 0 ? "Stable" : "Empty");
	}
	resp.groups = gs;
	resp.n_groups = q.n_groups;
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(kafka_describe_groups_response_encode(&out, 5, &resp), 0);
	fake_answer(c, i, &out);
	buf_free(&out);
	arena_free(&a);
}

START_TEST(describe_groups_asks_each_coordinator_once_and_merges_in_request_order)
{
	struct kafka_describe_groups_request q;
	kafka_describe_groups_request_init(&q);
	struct kafka_str ids[4] = {kafka_str_from(gid[0][0]), kafka_str_from(gid[1][0]),
				   kafka_str_from(gid[0][1]), kafka_str_from("")};
	q.groups = ids;
	q.n_groups = 4;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_describe_groups_request_encode(&b, 5, &q), 0);
	int32_t c = send_request(KAFKA_API_DESCRIBE_GROUPS, 5, &b);
	PUMP_UNTIL(fakes[0].n_msgs == 1 && fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[0].n_msgs, 1);
	ck_assert_int_eq(fakes[1].n_msgs, 1);
	answer_describe(1, 0);
	pump_once();
	ck_assert_int_eq(responses_ready(), 0); /* waits for the other coordinator */
	answer_describe(0, 0);
	PUMP_UNTIL(responses_ready() == 1);
	struct arena a;
	arena_init(&a);
	struct kafka_describe_groups_response r;
	struct reader rd = take_response(KAFKA_API_DESCRIBE_GROUPS, 5, c);
	ck_assert_int_eq(kafka_describe_groups_response_decode(&rd, 5, &r, &a), 0);
	ck_assert_int_eq(r.n_groups, 4);
	for (int i = 0; i < 3; i++) {
		ck_assert(kafka_str_eq(r.groups[i].group_id, i == 1 ? gid[1][0] : gid[0][i / 2]));
		ck_assert_int_eq(r.groups[i].error_code, 0);
		ck_assert(kafka_str_eq(r.groups[i].group_state, i == 1 ? "Empty" : "Stable"));
	}
	ck_assert_int_eq(r.groups[3].error_code, KERR_INVALID_GROUP_ID);
	arena_free(&a);
}
END_TEST

START_TEST(list_groups_asks_every_local_coordinator_and_concatenates)
{
	struct kafka_list_groups_request q;
	kafka_list_groups_request_init(&q);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_list_groups_request_encode(&b, 4, &q), 0);
	int32_t c = send_request(KAFKA_API_LIST_GROUPS, 4, &b);
	PUMP_UNTIL(fakes[0].n_msgs == 1 && fakes[1].n_msgs == 1);
	for (int k = 0; k < N_COORD; k++) {
		struct kafka_list_groups_response resp;
		kafka_list_groups_response_init(&resp);
		struct kafka_list_groups_response_listed_group g;
		kafka_list_groups_response_listed_group_init(&g);
		g.group_id = kafka_str_from(gid[k][0]);
		g.protocol_type = kafka_str_from("consumer");
		g.group_state = kafka_str_from("Stable");
		resp.groups = &g;
		resp.n_groups = 1;
		struct buf out;
		buf_init(&out);
		ck_assert_int_eq(kafka_list_groups_response_encode(&out, 4, &resp), 0);
		fake_answer(k, 0, &out);
		buf_free(&out);
	}
	PUMP_UNTIL(responses_ready() == 1);
	struct arena a;
	arena_init(&a);
	struct kafka_list_groups_response r;
	struct reader rd = take_response(KAFKA_API_LIST_GROUPS, 4, c);
	ck_assert_int_eq(kafka_list_groups_response_decode(&rd, 4, &r, &a), 0);
	ck_assert_int_eq(r.error_code, 0);
	ck_assert_int_eq(r.n_groups, 2);
	bool seen[2] = {false, false};
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++)
			seen[k] |= kafka_str_eq(r.groups[i].group_id, gid[k][0]);
	ck_assert(seen[0] && seen[1]);
	arena_free(&a);
}
END_TEST

static Suite *supervisor_groups_suite(void)
{
	Suite *su = suite_create("supervisor_groups");
	TCase *tc = tcase_create("groups");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, find_coordinator_names_the_leader_of_the_groups_partition);
	tcase_add_test(tc, a_group_request_goes_to_its_coordinator_as_is_and_its_answer_comes_back);
	tcase_add_test(tc, a_group_led_elsewhere_or_a_dead_coordinator_is_not_coordinator);
	tcase_add_test(tc, describe_groups_asks_each_coordinator_once_and_merges_in_request_order);
	tcase_add_test(tc, list_groups_asks_every_local_coordinator_and_concatenates);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(supervisor_groups_suite)
