/* test_supervisor_front.c - the Kafka front end end to end, in one process:
 * a client socketpair on one side of kafka_conn.c, fake workers on the other
 * side of worker_link.c, all on one event loop the test pumps. The fake
 * workers record what they receive and answer only when a test says so, so
 * ordering, cancellation and failure paths are deterministic. */
#include <check.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "common/config.h"
#include "common/err.h"
#include "common/frame.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kafka_header.h"
#include "common/kafka/kerr.h"
#include "common/topic_configs.h"
#include "fake_sup.h"
#include "supervisor/fetch.h"
#include "supervisor/ids.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/metadata.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

#define N_PARTS 2
#define MAX_MSGS 256

/* One fake worker: the far end of a worker's socketpair. */
struct fake {
	struct bufferevent *bev;
	struct buf rx;
	int n_msgs;
	struct ipc_msg msgs[MAX_MSGS]; /* what arrived, in order (records not kept) */
};

static struct sup s;
static struct fake fakes[N_PARTS];
static int client = -1;	 /* the test's end of the client connection */
static struct buf inbox; /* bytes received by the client */
static int corr_seq;

static void fake_read(struct bufferevent *bev, void *arg)
{
	struct fake *f = arg;
	for (int guard = 0; guard < 10000; guard++) {
		int rc = frame_pull(bufferevent_get_input(bev), FRAME_MAX_DEFAULT, &f->rx);
		if (rc <= 0)
			return;
		ck_assert_int_lt(f->n_msgs, MAX_MSGS);
		struct ipc_msg *m = &f->msgs[f->n_msgs++];
		ck_assert_int_eq(ipc_decode(f->rx.data, f->rx.len, m), 0);
		if (m->type == IPC_PRODUCE) {
			m->u.produce.records = NULL; /* borrowed from rx: do not keep */
		}
	}
}

static void fake_send(struct fake *f, const struct ipc_msg *m)
{
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(ipc_encode(m, &b), 0);
	ck_assert_int_eq(frame_push(bufferevent_get_output(f->bev), b.data, b.len), 0);
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

/* Runs the loop a bounded number of rounds (about 1 s) or until cond. */
#define PUMP_UNTIL(cond)                                                                           \
	do {                                                                                       \
		for (int round_ = 0; round_ < 500 && !(cond); round_++) {                          \
			pump_once();                                                               \
			struct timespec ts_ = {0, 2 * 1000 * 1000};                                \
			nanosleep(&ts_, NULL);                                                     \
		}                                                                                  \
	} while (0)

static void pump_a_little(void)
{
	for (int i = 0; i < 20; i++) {
		pump_once();
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static bool client_closed(void)
{
	uint8_t c;
	ssize_t n = recv(client, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void setup(void)
{
	memset(fakes, 0, sizeof(fakes));
	buf_init(&inbox);
	corr_seq = 100;
	fake_sup_init(&s,
		      "[node]\nid = 5\nkafka_listen = 127.0.0.1:19999\n"
		      "advertised_host = broker5.test\n[kafka]\nsocket_request_max_bytes = 4096\n"
		      "[topic.t]\npartitions = 2\n[topic.u]\npartitions = 1\n");
	/* t/0 and t/1 are served by fakes; u/0 exists but never starts. */
	for (int p = 0; p < N_PARTS; p++) {
		struct worker *w = fake_sup_worker(&s, "t", p, IPC_ROLE_LEADER, 7 + (uint64_t)p);
		int fd = fake_sup_link(&s, w);
		fakes[p].bev = bufferevent_socket_new(s.base, fd, BEV_OPT_CLOSE_ON_FREE);
		buf_init(&fakes[p].rx);
		bufferevent_setcb(fakes[p].bev, fake_read, NULL, NULL, &fakes[p]);
		bufferevent_enable(fakes[p].bev, EV_READ | EV_WRITE);
	}
	bool created;
	workers_ensure(s.workers, "u", 0, &created);
	int cv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, cv), 0);
	evutil_make_socket_nonblocking(cv[1]);
	ck_assert_int_eq(kconn_open(&s, cv[0]), 0);
	client = cv[1];
}

static void teardown(void)
{
	kconn_close_all(&s);
	for (int p = 0; p < N_PARTS; p++) {
		if (fakes[p].bev)
			bufferevent_free(fakes[p].bev);
		buf_free(&fakes[p].rx);
	}
	fake_sup_free(&s);
	close(client);
	buf_free(&inbox);
}

/* Sends one request; body is encoded by the caller into `body`. */
static int32_t send_request(int16_t key, int16_t version, const struct buf *body)
{
	struct buf b;
	buf_init(&b);
	struct kafka_request_header h;
	kafka_request_header_init(&h);
	h.request_api_key = key;
	h.request_api_version = version;
	h.correlation_id = ++corr_seq;
	h.client_id = kafka_str_from("unit");
	buf_put_u32(&b, 0);
	ck_assert_int_eq(kafka_request_header_encode(
			     &b, (int16_t)kafka_request_header_version(key, version), &h),
			 0);
	buf_put(&b, body->data, body->len);
	buf_patch_u32(&b, 0, (uint32_t)(b.len - 4));
	ck_assert_int_eq(write(client, b.data, b.len), (ssize_t)b.len);
	buf_free(&b);
	return h.correlation_id;
}

static void send_raw(const void *p, size_t n) { ck_assert_int_eq(write(client, p, n), (ssize_t)n); }

/* Number of complete responses waiting in inbox. */
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

/* Takes the first response: checks its correlation id and returns a reader
 * over its body (valid until the next take; the bytes are copied aside). */
static uint8_t taken[1 << 20];
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

static struct buf records_of(size_t payload)
{
	/* One fake "batch": baseOffset, batchLength, payload. */
	struct buf b;
	buf_init(&b);
	buf_put_u64(&b, 0);
	buf_put_u32(&b, (uint32_t)payload);
	for (size_t i = 0; i < payload; i++)
		buf_put_u8(&b, (uint8_t)i);
	return b;
}

static int32_t send_produce(int16_t version, int16_t acks, const char *topic, int32_t part)
{
	struct buf recs = records_of(20);
	struct kafka_produce_request_partition_produce_data pd;
	kafka_produce_request_partition_produce_data_init(&pd);
	pd.index = part;
	pd.records.ptr = recs.data;
	pd.records.len = (int32_t)recs.len;
	struct kafka_produce_request_topic_produce_data td;
	kafka_produce_request_topic_produce_data_init(&td);
	td.name = kafka_str_from(topic);
	td.partition_data = &pd;
	td.n_partition_data = 1;
	struct kafka_produce_request req;
	kafka_produce_request_init(&req);
	req.acks = acks;
	req.timeout_ms = 5000;
	req.topic_data = &td;
	req.n_topic_data = 1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_produce_request_encode(&body, version, &req), 0);
	int32_t corr = send_request(KAFKA_API_PRODUCE, version, &body);
	buf_free(&body);
	buf_free(&recs);
	return corr;
}

static struct kafka_produce_response take_produce(int16_t version, int32_t corr, struct arena *a)
{
	struct reader r = take_response(KAFKA_API_PRODUCE, version, corr);
	struct kafka_produce_response resp;
	ck_assert_int_eq(kafka_produce_response_decode(&r, version, &resp, a), 0);
	return resp;
}

static int32_t send_metadata(int16_t version, const char *topic)
{
	struct kafka_metadata_request_metadata_request_topic t;
	kafka_metadata_request_metadata_request_topic_init(&t);
	t.name = kafka_str_from(topic);
	struct kafka_metadata_request req;
	kafka_metadata_request_init(&req);
	req.topics = topic ? &t : NULL;
	req.n_topics = topic ? 1 : -1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_metadata_request_encode(&body, version, &req), 0);
	int32_t corr = send_request(KAFKA_API_METADATA, version, &body);
	buf_free(&body);
	return corr;
}

static void answer_produce(int p, int i, int16_t err, int64_t base)
{
	ck_assert_int_gt(fakes[p].n_msgs, i);
	struct ipc_msg *m = &fakes[p].msgs[i];
	ck_assert_int_eq(m->type, IPC_PRODUCE);
	struct ipc_msg res = {.type = IPC_PRODUCE_RESULT};
	res.u.produce_result.req_id = m->u.produce.req_id;
	res.u.produce_result.error = err;
	res.u.produce_result.base_offset = base;
	res.u.produce_result.log_append_time = -1;
	res.u.produce_result.log_start_offset = 0;
	fake_send(&fakes[p], &res);
}

START_TEST(responses_leave_in_request_order_when_a_later_request_finishes_first)
{
	int32_t c1 = send_produce(9, 1, "t", 0);
	int32_t c2 = send_metadata(9, "t");
	struct buf empty;
	buf_init(&empty);
	int32_t c3 = send_request(KAFKA_API_API_VERSIONS, 2, &empty);
	PUMP_UNTIL(fakes[0].n_msgs == 1);
	ck_assert_int_eq(fakes[0].n_msgs, 1);
	ck_assert_int_eq(fakes[0].msgs[0].u.produce.acks, 1);
	ck_assert_int_eq(fakes[0].msgs[0].u.produce.timeout_ms, 5000);
	pump_a_little();
	/* Metadata and ApiVersions are done, but wait behind the produce. */
	ck_assert_int_eq(responses_ready(), 0);
	answer_produce(0, 0, 0, 42);
	PUMP_UNTIL(responses_ready() == 3);
	ck_assert_int_eq(responses_ready(), 3);
	struct arena a;
	arena_init(&a);
	struct kafka_produce_response pr = take_produce(9, c1, &a);
	ck_assert_int_eq(pr.n_responses, 1);
	ck_assert(kafka_str_eq(pr.responses[0].name, "t"));
	ck_assert_int_eq(pr.responses[0].partition_responses[0].error_code, 0);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].base_offset, 42);
	take_response(KAFKA_API_METADATA, 9, c2);
	struct reader r = take_response(KAFKA_API_API_VERSIONS, 2, c3);
	struct kafka_api_versions_response av;
	ck_assert_int_eq(kafka_api_versions_response_decode(&r, 2, &av, &a), 0);
	ck_assert_int_eq(av.error_code, 0);
	ck_assert_int_eq(av.n_api_keys, 30);
	ck_assert_int_eq(av.api_keys[0].api_key, KAFKA_API_PRODUCE);
	ck_assert_int_eq(av.api_keys[4].api_key, KAFKA_API_OFFSET_COMMIT);
	ck_assert_int_eq(av.api_keys[17].api_key, KAFKA_API_INIT_PRODUCER_ID);
	ck_assert_int_eq(av.api_keys[29].api_key, KAFKA_API_DESCRIBE_TOPIC_PARTITIONS);
	arena_free(&a);
}
END_TEST

START_TEST(acks_zero_produce_gets_no_response_and_blocks_nothing)
{
	send_produce(9, 0, "t", 1);
	int32_t c2 = send_metadata(1, "t");
	PUMP_UNTIL(responses_ready() == 1 && fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[1].n_msgs, 1);
	ck_assert_int_eq(fakes[1].msgs[0].u.produce.acks, 0);
	ck_assert_int_eq(responses_ready(), 1);
	take_response(KAFKA_API_METADATA, 1, c2);
	answer_produce(1, 0, 0, 0);
	pump_a_little();
	ck_assert_int_eq(responses_ready(), 0);
	ck_assert_uint_eq(inbox.len, 0);
}
END_TEST

START_TEST(a_worker_that_dies_fails_its_in_flight_requests_as_retriable)
{
	int32_t c1 = send_produce(9, -1, "t", 0);
	PUMP_UNTIL(fakes[0].n_msgs == 1);
	ck_assert_int_eq(fakes[0].n_msgs, 1);
	bufferevent_free(fakes[0].bev); /* the worker's end goes away: EOF */
	fakes[0].bev = NULL;
	PUMP_UNTIL(responses_ready() == 1);
	struct arena a;
	arena_init(&a);
	struct kafka_produce_response pr = take_produce(9, c1, &a);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].error_code,
			 KERR_NOT_LEADER_OR_FOLLOWER);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].base_offset, -1);
	arena_free(&a);
}
END_TEST

/* One Produce (v9, acks=1) for t/0 and t/1 together. */
static int32_t send_produce_both(void)
{
	struct buf recs = records_of(20);
	struct kafka_produce_request_partition_produce_data pd[N_PARTS];
	for (int p = 0; p < N_PARTS; p++) {
		kafka_produce_request_partition_produce_data_init(&pd[p]);
		pd[p].index = p;
		pd[p].records.ptr = recs.data;
		pd[p].records.len = (int32_t)recs.len;
	}
	struct kafka_produce_request_topic_produce_data td;
	kafka_produce_request_topic_produce_data_init(&td);
	td.name = kafka_str_from("t");
	td.partition_data = pd;
	td.n_partition_data = N_PARTS;
	struct kafka_produce_request req;
	kafka_produce_request_init(&req);
	req.acks = 1;
	req.timeout_ms = 5000;
	req.topic_data = &td;
	req.n_topic_data = 1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_produce_request_encode(&body, 9, &req), 0);
	int32_t corr = send_request(KAFKA_API_PRODUCE, 9, &body);
	buf_free(&body);
	buf_free(&recs);
	return corr;
}

/* Pumps until cond or max_ms passed (bounded in time and rounds). */
#define PUMP_UNTIL_MS(cond, max_ms)                                                                \
	do {                                                                                       \
		int64_t until_ = spawn_now_ms() + (max_ms);                                        \
		for (int round_ = 0; round_ < 100000 && !(cond) && spawn_now_ms() < until_;        \
		     round_++) {                                                                   \
			pump_once();                                                               \
			struct timespec ts_ = {0, 2 * 1000 * 1000};                                \
			nanosleep(&ts_, NULL);                                                     \
		}                                                                                  \
	} while (0)

START_TEST(a_silent_worker_gets_a_retriable_error_and_holds_nothing_else)
{
	s.cfg->kafka.partition_timeout_ms = 1000;
	int32_t c1 = send_produce_both();
	int32_t c2 = send_metadata(1, "t"); /* pipelined behind it */
	PUMP_UNTIL(fakes[0].n_msgs == 1 && fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[1].n_msgs, 1);
	int64_t t0 = spawn_now_ms();
	answer_produce(0, 0, 0, 42); /* t/0 answers; t/1's worker never does */
	PUMP_UNTIL_MS(responses_ready() == 2, 5000);
	int64_t waited = spawn_now_ms() - t0;
	ck_assert_int_eq(responses_ready(), 2);
	/* Held for about the silence bound (plus one 250 ms sweep), far less
	 * than the request's own timeout + grace (15 s). */
	ck_assert_int_ge(waited, 700);
	ck_assert_int_le(waited, 2500);
	struct arena a;
	arena_init(&a);
	struct kafka_produce_response pr = take_produce(9, c1, &a);
	ck_assert_int_eq(pr.responses[0].n_partition_responses, 2);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].error_code, 0);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].base_offset, 42);
	ck_assert_int_eq(pr.responses[0].partition_responses[1].error_code, KERR_REQUEST_TIMED_OUT);
	ck_assert_int_eq(pr.responses[0].partition_responses[1].base_offset, -1);
	take_response(KAFKA_API_METADATA, 1, c2);
	/* The stalled worker wakes up and answers: dropped, nothing else sent. */
	answer_produce(1, 0, 0, 7);
	pump_a_little();
	ck_assert_int_eq(responses_ready(), 0);
	/* The connection still works. */
	int32_t c3 = send_produce(9, 1, "t", 0);
	PUMP_UNTIL(fakes[0].n_msgs == 2);
	answer_produce(0, 1, 0, 43);
	PUMP_UNTIL(responses_ready() == 1);
	pr = take_produce(9, c3, &a);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].base_offset, 43);
	arena_free(&a);
}
END_TEST

START_TEST(a_silent_worker_gets_not_leader_for_list_offsets)
{
	s.cfg->kafka.partition_timeout_ms = 1000;
	struct kafka_list_offsets_request_list_offsets_partition part;
	kafka_list_offsets_request_list_offsets_partition_init(&part);
	part.partition_index = 1;
	part.timestamp = -1;
	struct kafka_list_offsets_request_list_offsets_topic t;
	kafka_list_offsets_request_list_offsets_topic_init(&t);
	t.name = kafka_str_from("t");
	t.partitions = &part;
	t.n_partitions = 1;
	struct kafka_list_offsets_request req;
	kafka_list_offsets_request_init(&req);
	req.topics = &t;
	req.n_topics = 1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_list_offsets_request_encode(&body, 1, &req), 0);
	int32_t c1 = send_request(KAFKA_API_LIST_OFFSETS, 1, &body);
	buf_free(&body);
	PUMP_UNTIL(fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[1].n_msgs, 1);
	/* The worker never answers: the client is told to look elsewhere
	 * (retriable), as Kafka does for a partition it cannot serve now. */
	PUMP_UNTIL_MS(responses_ready() == 1, 5000);
	ck_assert_int_eq(responses_ready(), 1);
	struct arena a;
	arena_init(&a);
	struct kafka_list_offsets_response lr;
	struct reader r = take_response(KAFKA_API_LIST_OFFSETS, 1, c1);
	ck_assert_int_eq(kafka_list_offsets_response_decode(&r, 1, &lr, &a), 0);
	ck_assert_int_eq(lr.topics[0].partitions[0].error_code, KERR_NOT_LEADER_OR_FOLLOWER);
	arena_free(&a);
}
END_TEST

START_TEST(a_worker_that_keeps_sending_status_is_not_cut_off)
{
	s.cfg->kafka.partition_timeout_ms = 1000;
	int32_t c1 = send_produce(9, -1, "t", 1);
	PUMP_UNTIL(fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[1].n_msgs, 1);
	/* An acks=all produce waiting for its commit: the worker is alive and
	 * says so every 200 ms for 1.8 s, longer than the silence bound. */
	for (int i = 0; i < 9; i++) {
		struct ipc_msg st = {.type = IPC_STATUS};
		fake_send(&fakes[1], &st);
		PUMP_UNTIL_MS(false, 200);
	}
	ck_assert_int_eq(responses_ready(), 0);
	answer_produce(1, 0, 0, 5);
	PUMP_UNTIL(responses_ready() == 1);
	struct arena a;
	arena_init(&a);
	struct kafka_produce_response pr = take_produce(9, c1, &a);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].error_code, 0);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].base_offset, 5);
	arena_free(&a);
}
END_TEST

START_TEST(a_quiet_worker_asked_after_a_long_silence_is_not_cut_off_at_once)
{
	s.cfg->kafka.partition_timeout_ms = 1000;
	/* A quiet group's worker sends a status every 10 s: it has said
	 * nothing for longer than the bound before this request comes. */
	PUMP_UNTIL_MS(false, 1300);
	int32_t c1 = send_produce(9, -1, "t", 1);
	PUMP_UNTIL(fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[1].n_msgs, 1);
	/* Several sweeps go by while it wakes its group and commits. */
	PUMP_UNTIL_MS(false, 600);
	ck_assert_int_eq(responses_ready(), 0);
	answer_produce(1, 0, 0, 6);
	PUMP_UNTIL(responses_ready() == 1);
	struct arena a;
	arena_init(&a);
	struct kafka_produce_response pr = take_produce(9, c1, &a);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].error_code, 0);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].base_offset, 6);
	arena_free(&a);
}
END_TEST

START_TEST(unknown_and_unavailable_partitions_are_answered_without_forwarding)
{
	int32_t c1 = send_produce(9, 1, "nope", 0);
	int32_t c2 = send_produce(9, 1, "t", 9);
	int32_t c3 = send_produce(9, 1, "u", 0); /* exists, worker not serving */
	int32_t c4 = send_produce(2, 1, "t", 0); /* old message format */
	PUMP_UNTIL(responses_ready() == 4);
	struct arena a;
	arena_init(&a);
	ck_assert_int_eq(take_produce(9, c1, &a).responses[0].partition_responses[0].error_code,
			 KERR_UNKNOWN_TOPIC_OR_PARTITION);
	ck_assert_int_eq(take_produce(9, c2, &a).responses[0].partition_responses[0].error_code,
			 KERR_UNKNOWN_TOPIC_OR_PARTITION);
	ck_assert_int_eq(take_produce(9, c3, &a).responses[0].partition_responses[0].error_code,
			 KERR_NOT_LEADER_OR_FOLLOWER);
	ck_assert_int_eq(take_produce(2, c4, &a).responses[0].partition_responses[0].error_code,
			 KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);
	ck_assert_int_eq(fakes[0].n_msgs + fakes[1].n_msgs, 0);
	arena_free(&a);
}
END_TEST

static int32_t send_fetch(int16_t version, int32_t min_bytes, int32_t max_bytes)
{
	struct kafka_fetch_request_fetch_partition parts[N_PARTS];
	for (int p = 0; p < N_PARTS; p++) {
		kafka_fetch_request_fetch_partition_init(&parts[p]);
		parts[p].partition = p;
		parts[p].fetch_offset = 10 + p;
		parts[p].partition_max_bytes = 1000;
	}
	struct kafka_fetch_request_fetch_topic t;
	kafka_fetch_request_fetch_topic_init(&t);
	t.topic = kafka_str_from("t");
	ids_topic_id("t", 1, &t.topic_id);
	t.partitions = parts;
	t.n_partitions = N_PARTS;
	struct kafka_fetch_request req;
	kafka_fetch_request_init(&req);
	req.max_wait_ms = 5000;
	req.min_bytes = min_bytes;
	req.max_bytes = max_bytes;
	req.topics = &t;
	req.n_topics = 1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_fetch_request_encode(&body, version, &req), 0);
	int32_t corr = send_request(KAFKA_API_FETCH, version, &body);
	buf_free(&body);
	return corr;
}

static void answer_fetch(int p, int i, size_t payload)
{
	struct ipc_msg *m = &fakes[p].msgs[i];
	ck_assert_int_eq(m->type, IPC_FETCH);
	struct buf recs = records_of(payload);
	struct ipc_msg res = {.type = IPC_FETCH_RESULT};
	res.u.fetch_result.req_id = m->u.fetch.req_id;
	res.u.fetch_result.high_watermark = 100 + p;
	res.u.fetch_result.last_stable_offset = 100 + p;
	res.u.fetch_result.records = payload ? recs.data : NULL;
	res.u.fetch_result.records_len = payload ? (uint32_t)recs.len : 0;
	fake_send(&fakes[p], &res);
	buf_free(&recs);
}

START_TEST(fetch_cancels_parked_partitions_once_min_bytes_arrived)
{
	int32_t c = send_fetch(13, 1, 1 << 20);
	PUMP_UNTIL(fakes[0].n_msgs == 1 && fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[0].msgs[0].u.fetch.offset, 10);
	ck_assert_int_eq(fakes[1].msgs[0].u.fetch.offset, 11);
	ck_assert_int_eq(fakes[1].msgs[0].u.fetch.max_wait_ms, 5000);
	ck_assert_int_eq(fakes[1].msgs[0].u.fetch.max_bytes, 1000);
	pump_a_little();
	ck_assert_int_eq(fakes[1].n_msgs, 1); /* parked, nothing else yet */
	answer_fetch(0, 0, 30);
	PUMP_UNTIL(fakes[1].n_msgs == 2);
	ck_assert_int_eq(fakes[1].msgs[1].type, IPC_FETCH_CANCEL);
	ck_assert_uint_eq(fakes[1].msgs[1].u.fetch_cancel.req_id, fakes[1].msgs[0].u.fetch.req_id);
	ck_assert_int_eq(fakes[0].n_msgs, 1); /* the answered one is not cancelled */
	ck_assert_int_eq(responses_ready(), 0);
	answer_fetch(1, 0, 0);
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_FETCH, 13, c);
	struct arena a;
	arena_init(&a);
	struct kafka_fetch_response fr;
	ck_assert_int_eq(kafka_fetch_response_decode(&r, 13, &fr, &a), 0);
	ck_assert_int_eq(fr.error_code, 0);
	ck_assert_int_eq(fr.session_id, 0);
	ck_assert_int_eq(fr.n_responses, 1);
	struct kafka_uuid id;
	ids_topic_id("t", 1, &id);
	ck_assert_mem_eq(fr.responses[0].topic_id.b, id.b, 16);
	ck_assert_int_eq(fr.responses[0].n_partitions, 2);
	ck_assert_int_eq(fr.responses[0].partitions[0].records.len, 42);
	ck_assert_int_eq(fr.responses[0].partitions[0].high_watermark, 100);
	ck_assert_int_eq(fr.responses[0].partitions[1].records.len, 0); /* empty, not null */
	ck_assert_int_eq(fr.responses[0].partitions[1].high_watermark, 101);
	arena_free(&a);
}
END_TEST

START_TEST(fetch_max_bytes_keeps_the_first_batch_and_trims_later_partitions)
{
	int32_t c = send_fetch(12, 1, 50);
	PUMP_UNTIL(fakes[0].n_msgs == 1 && fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[0].msgs[0].u.fetch.max_bytes, 50);
	answer_fetch(1, 0, 30); /* 42 bytes, but it is the second partition */
	PUMP_UNTIL(fakes[0].n_msgs == 2);
	answer_fetch(0, 0, 88); /* 100 bytes: over max_bytes, yet first */
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_FETCH, 12, c);
	struct arena a;
	arena_init(&a);
	struct kafka_fetch_response fr;
	ck_assert_int_eq(kafka_fetch_response_decode(&r, 12, &fr, &a), 0);
	ck_assert(kafka_str_eq(fr.responses[0].topic, "t"));
	ck_assert_int_eq(fr.responses[0].partitions[0].records.len, 100);
	ck_assert_int_eq(fr.responses[0].partitions[1].records.len, 0);
	arena_free(&a);
}
END_TEST

/* A large fetch result stays in the frame it came in (the request takes the
 * link's buffer over instead of copying it): later frames from the same
 * worker, read before the response goes out, must not overwrite it. */
START_TEST(large_fetch_results_survive_later_frames_from_the_same_worker)
{
	int32_t c = send_fetch(13, 1 << 20, 1 << 24); /* waits for both */
	PUMP_UNTIL(fakes[0].n_msgs == 1 && fakes[1].n_msgs == 1);
	answer_fetch(0, 0, 9000);
	pump_a_little();
	/* Another large frame on worker 0's channel: a result nobody waits for. */
	struct buf junk;
	buf_init(&junk);
	for (int i = 0; i < 12000; i++)
		buf_put_u8(&junk, 0xee);
	struct ipc_msg stray = {.type = IPC_FETCH_RESULT};
	stray.u.fetch_result.req_id = 999999;
	stray.u.fetch_result.records = junk.data;
	stray.u.fetch_result.records_len = (uint32_t)junk.len;
	fake_send(&fakes[0], &stray);
	buf_free(&junk);
	pump_a_little();
	answer_fetch(1, 0, 5000);
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_FETCH, 13, c);
	struct arena a;
	arena_init(&a);
	struct kafka_fetch_response fr;
	ck_assert_int_eq(kafka_fetch_response_decode(&r, 13, &fr, &a), 0);
	ck_assert_int_eq(fr.responses[0].n_partitions, 2);
	struct buf want0 = records_of(9000), want1 = records_of(5000);
	ck_assert_int_eq(fr.responses[0].partitions[0].records.len, (int32_t)want0.len);
	ck_assert_mem_eq(fr.responses[0].partitions[0].records.ptr, want0.data, want0.len);
	ck_assert_int_eq(fr.responses[0].partitions[1].records.len, (int32_t)want1.len);
	ck_assert_mem_eq(fr.responses[0].partitions[1].records.ptr, want1.data, want1.len);
	buf_free(&want0);
	buf_free(&want1);
	arena_free(&a);
}
END_TEST

START_TEST(fetch_by_unknown_topic_id_is_answered_at_once)
{
	struct kafka_fetch_request_fetch_partition part;
	kafka_fetch_request_fetch_partition_init(&part);
	struct kafka_fetch_request_fetch_topic t;
	kafka_fetch_request_fetch_topic_init(&t);
	ids_topic_id("zzz", 3, &t.topic_id);
	t.partitions = &part;
	t.n_partitions = 1;
	struct kafka_fetch_request req;
	kafka_fetch_request_init(&req);
	req.max_wait_ms = 5000;
	req.min_bytes = 1;
	req.topics = &t;
	req.n_topics = 1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_fetch_request_encode(&body, 16, &req), 0);
	int32_t c = send_request(KAFKA_API_FETCH, 16, &body);
	buf_free(&body);
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_FETCH, 16, c);
	struct arena a;
	arena_init(&a);
	struct kafka_fetch_response fr;
	ck_assert_int_eq(kafka_fetch_response_decode(&r, 16, &fr, &a), 0);
	ck_assert_int_eq(fr.responses[0].partitions[0].error_code, KERR_UNKNOWN_TOPIC_ID);
	arena_free(&a);
}
END_TEST

START_TEST(api_versions_beyond_ours_gets_the_v0_error_layout)
{
	struct buf empty;
	buf_init(&empty);
	int32_t c = send_request(KAFKA_API_API_VERSIONS, 99, &empty);
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_API_VERSIONS, 99, c);
	ck_assert_int_eq((int16_t)reader_u16(&r), KERR_UNSUPPORTED_VERSION);
	ck_assert_int_eq((int32_t)reader_u32(&r), 1);
	ck_assert_int_eq((int16_t)reader_u16(&r), KAFKA_API_API_VERSIONS);
	ck_assert_int_eq((int16_t)reader_u16(&r), 0);
	ck_assert_int_eq((int16_t)reader_u16(&r), 4);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(reader_left(&r), 0);
	ck_assert(!client_closed());
}
END_TEST

/* ApiVersions at every version we serve, byte for byte as fjord answered
 * before its API table moved into the supervisor (captured then), with
 * OffsetForLeaderEpoch 0-4, DescribeLogDirs 0-4, DescribeProducers 0,
 * DeleteRecords 0-2, DescribeConfigs 0-4, ElectLeaders 0-2,
 * DescribeCluster 0-1, DescribeTopicPartitions 0, CreateTopics 0-7,
 * DeleteTopics 0-6, AlterConfigs 0-2, CreatePartitions 0-3 and
 * IncrementalAlterConfigs 0-1 added since, and the group APIs (OffsetCommit
 * 0-9, OffsetFetch 0-9, FindCoordinator 0-6, JoinGroup 0-9, Heartbeat 0-4,
 * LeaveGroup 0-5, SyncGroup 0-5, DescribeGroups 0-5, ListGroups 0-5,
 * DeleteGroups 0-2, OffsetDelete 0; issue 11): the list of APIs, their
 * ranges and order, and every other field. The body is the response after
 * the correlation id (and the v3+ empty tag buffer). */
static const uint8_t api_versions_v0[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x04,
    0x00, 0x11, 0x00, 0x02, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x08,
    0x00, 0x00, 0x00, 0x09, 0x00, 0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x0b, 0x00, 0x00, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x04, 0x00, 0x0d, 0x00, 0x00,
    0x00, 0x05, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x05, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10,
    0x00, 0x00, 0x00, 0x05, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00, 0x13, 0x00, 0x00, 0x00, 0x07,
    0x00, 0x14, 0x00, 0x00, 0x00, 0x06, 0x00, 0x15, 0x00, 0x00, 0x00, 0x02, 0x00, 0x16, 0x00, 0x00,
    0x00, 0x04, 0x00, 0x17, 0x00, 0x00, 0x00, 0x04, 0x00, 0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x21,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x23, 0x00, 0x00, 0x00, 0x04, 0x00, 0x25, 0x00, 0x00, 0x00, 0x03,
    0x00, 0x2a, 0x00, 0x00, 0x00, 0x02, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x02, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x3d,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t api_versions_v1[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x04,
    0x00, 0x11, 0x00, 0x02, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x08,
    0x00, 0x00, 0x00, 0x09, 0x00, 0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x0b, 0x00, 0x00, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x04, 0x00, 0x0d, 0x00, 0x00,
    0x00, 0x05, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x05, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10,
    0x00, 0x00, 0x00, 0x05, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00, 0x13, 0x00, 0x00, 0x00, 0x07,
    0x00, 0x14, 0x00, 0x00, 0x00, 0x06, 0x00, 0x15, 0x00, 0x00, 0x00, 0x02, 0x00, 0x16, 0x00, 0x00,
    0x00, 0x04, 0x00, 0x17, 0x00, 0x00, 0x00, 0x04, 0x00, 0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x21,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x23, 0x00, 0x00, 0x00, 0x04, 0x00, 0x25, 0x00, 0x00, 0x00, 0x03,
    0x00, 0x2a, 0x00, 0x00, 0x00, 0x02, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x02, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x3d,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t api_versions_v2[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x04,
    0x00, 0x11, 0x00, 0x02, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x08,
    0x00, 0x00, 0x00, 0x09, 0x00, 0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x0b, 0x00, 0x00, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x04, 0x00, 0x0d, 0x00, 0x00,
    0x00, 0x05, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x05, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10,
    0x00, 0x00, 0x00, 0x05, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00, 0x13, 0x00, 0x00, 0x00, 0x07,
    0x00, 0x14, 0x00, 0x00, 0x00, 0x06, 0x00, 0x15, 0x00, 0x00, 0x00, 0x02, 0x00, 0x16, 0x00, 0x00,
    0x00, 0x04, 0x00, 0x17, 0x00, 0x00, 0x00, 0x04, 0x00, 0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x21,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x23, 0x00, 0x00, 0x00, 0x04, 0x00, 0x25, 0x00, 0x00, 0x00, 0x03,
    0x00, 0x2a, 0x00, 0x00, 0x00, 0x02, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x02, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x3d,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t api_versions_v3[] = {
    0x00, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x01, 0x00, 0x04, 0x00, 0x11,
    0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x0a, 0x00,
    0x00, 0x00, 0x06, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x05, 0x00,
    0x00, 0x0f, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x12,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x14, 0x00, 0x00,
    0x00, 0x06, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x04,
    0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
    0x21, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x25, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4b,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t api_versions_v4[] = {
    0x00, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x01, 0x00, 0x04, 0x00, 0x11,
    0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x0a, 0x00,
    0x00, 0x00, 0x06, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x05, 0x00,
    0x00, 0x0f, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x12,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x14, 0x00, 0x00,
    0x00, 0x06, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x04,
    0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
    0x21, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x25, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4b,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const struct {
	const uint8_t *bytes;
	size_t len;
} api_versions_then[] = {
    {api_versions_v0, sizeof(api_versions_v0)}, {api_versions_v1, sizeof(api_versions_v1)},
    {api_versions_v2, sizeof(api_versions_v2)}, {api_versions_v3, sizeof(api_versions_v3)},
    {api_versions_v4, sizeof(api_versions_v4)},
};

START_TEST(api_versions_lists_the_same_apis_and_bytes_at_every_version)
{
	for (int16_t v = 0; v <= 4; v++) {
		struct buf body;
		buf_init(&body);
		struct kafka_api_versions_request req;
		kafka_api_versions_request_init(&req);
		req.client_software_name = kafka_str_from("unit");
		req.client_software_version = kafka_str_from("1.0");
		ck_assert_int_eq(kafka_api_versions_request_encode(&body, v, &req), 0);
		int32_t c = send_request(KAFKA_API_API_VERSIONS, v, &body);
		buf_free(&body);
		PUMP_UNTIL(responses_ready() == 1);
		struct reader r = take_response(KAFKA_API_API_VERSIONS, v, c);
		ck_assert_uint_eq(reader_left(&r), api_versions_then[v].len);
		ck_assert_mem_eq(taken + r.pos, api_versions_then[v].bytes,
				 api_versions_then[v].len);
	}
}
END_TEST

START_TEST(list_offsets_v0_is_refused_per_partition_and_v1_is_forwarded)
{
	struct kafka_list_offsets_request_list_offsets_partition part;
	kafka_list_offsets_request_list_offsets_partition_init(&part);
	part.partition_index = 1;
	part.timestamp = -2;
	struct kafka_list_offsets_request_list_offsets_topic t;
	kafka_list_offsets_request_list_offsets_topic_init(&t);
	t.name = kafka_str_from("t");
	t.partitions = &part;
	t.n_partitions = 1;
	struct kafka_list_offsets_request req;
	kafka_list_offsets_request_init(&req);
	req.topics = &t;
	req.n_topics = 1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_list_offsets_request_encode(&body, 0, &req), 0);
	int32_t c0 = send_request(KAFKA_API_LIST_OFFSETS, 0, &body);
	buf_reset(&body);
	ck_assert_int_eq(kafka_list_offsets_request_encode(&body, 1, &req), 0);
	int32_t c1 = send_request(KAFKA_API_LIST_OFFSETS, 1, &body);
	buf_free(&body);
	PUMP_UNTIL(fakes[1].n_msgs == 1);
	ck_assert_int_eq(fakes[1].msgs[0].type, IPC_LIST_OFFSETS);
	ck_assert_int_eq(fakes[1].msgs[0].u.list_offsets.timestamp, -2);
	struct ipc_msg res = {.type = IPC_LIST_OFFSETS_RESULT};
	res.u.list_offsets_result.req_id = fakes[1].msgs[0].u.list_offsets.req_id;
	res.u.list_offsets_result.timestamp = -1;
	res.u.list_offsets_result.offset = 17;
	fake_send(&fakes[1], &res);
	PUMP_UNTIL(responses_ready() == 2);
	struct arena a;
	arena_init(&a);
	struct kafka_list_offsets_response lr;
	struct reader r = take_response(KAFKA_API_LIST_OFFSETS, 0, c0);
	ck_assert_int_eq(kafka_list_offsets_response_decode(&r, 0, &lr, &a), 0);
	ck_assert_int_eq(lr.topics[0].partitions[0].error_code, KERR_UNSUPPORTED_VERSION);
	ck_assert_int_eq(lr.topics[0].partitions[0].partition_index, 1);
	ck_assert_int_eq(lr.topics[0].partitions[0].n_old_style_offsets, 0);
	r = take_response(KAFKA_API_LIST_OFFSETS, 1, c1);
	ck_assert_int_eq(kafka_list_offsets_response_decode(&r, 1, &lr, &a), 0);
	ck_assert_int_eq(lr.topics[0].partitions[0].error_code, 0);
	ck_assert_int_eq(lr.topics[0].partitions[0].offset, 17);
	arena_free(&a);
}
END_TEST

START_TEST(offset_for_leader_epoch_and_describe_producers_go_to_the_leader_and_merge)
{
	struct kafka_offset_for_leader_epoch_request_offset_for_leader_partition part;
	kafka_offset_for_leader_epoch_request_offset_for_leader_partition_init(&part);
	part.partition = 1;
	part.leader_epoch = 3;
	part.current_leader_epoch = 5;
	struct kafka_offset_for_leader_epoch_request_offset_for_leader_topic t;
	kafka_offset_for_leader_epoch_request_offset_for_leader_topic_init(&t);
	t.topic = kafka_str_from("t");
	t.partitions = &part;
	t.n_partitions = 1;
	struct kafka_offset_for_leader_epoch_request req;
	kafka_offset_for_leader_epoch_request_init(&req);
	req.replica_id = -1;
	req.topics = &t;
	req.n_topics = 1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_offset_for_leader_epoch_request_encode(&body, 4, &req), 0);
	int32_t c4 = send_request(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 4, &body);
	buf_reset(&body);
	ck_assert_int_eq(kafka_offset_for_leader_epoch_request_encode(&body, 1, &req), 0);
	int32_t c1 = send_request(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 1, &body);
	PUMP_UNTIL(fakes[1].n_msgs == 2);
	ck_assert_int_eq(fakes[1].n_msgs, 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(fakes[1].msgs[i].type, IPC_EPOCH_END);
		ck_assert_int_eq(fakes[1].msgs[i].u.epoch_end.leader_epoch, 3);
		/* v0-1 carry no current epoch: nothing to fence with. */
		ck_assert_int_eq(fakes[1].msgs[i].u.epoch_end.current_leader_epoch,
				 i == 0 ? 5 : -1);
		struct ipc_msg res = {.type = IPC_EPOCH_END_RESULT};
		res.u.epoch_end_result.req_id = fakes[1].msgs[i].u.epoch_end.req_id;
		res.u.epoch_end_result.error = i == 0 ? KERR_NONE : KERR_FENCED_LEADER_EPOCH;
		res.u.epoch_end_result.leader_epoch = i == 0 ? 2 : -1;
		res.u.epoch_end_result.end_offset = i == 0 ? 40 : -1;
		fake_send(&fakes[1], &res);
	}
	PUMP_UNTIL(responses_ready() == 2);
	struct arena a;
	arena_init(&a);
	struct kafka_offset_for_leader_epoch_response er;
	struct reader r = take_response(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 4, c4);
	ck_assert_int_eq(kafka_offset_for_leader_epoch_response_decode(&r, 4, &er, &a), 0);
	ck_assert_int_eq(er.n_topics, 1);
	ck_assert(kafka_str_eq(er.topics[0].topic, "t"));
	ck_assert_int_eq(er.topics[0].partitions[0].partition, 1);
	ck_assert_int_eq(er.topics[0].partitions[0].error_code, 0);
	ck_assert_int_eq(er.topics[0].partitions[0].leader_epoch, 2);
	ck_assert_int_eq(er.topics[0].partitions[0].end_offset, 40);
	r = take_response(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 1, c1);
	ck_assert_int_eq(kafka_offset_for_leader_epoch_response_decode(&r, 1, &er, &a), 0);
	ck_assert_int_eq(er.topics[0].partitions[0].error_code, KERR_FENCED_LEADER_EPOCH);
	ck_assert_int_eq(er.topics[0].partitions[0].end_offset, -1);

	/* DescribeProducers: the worker's 22-byte records become producer states. */
	int32_t idx = 1;
	struct kafka_describe_producers_request_topic_request dt;
	kafka_describe_producers_request_topic_request_init(&dt);
	dt.name = kafka_str_from("t");
	dt.partition_indexes = &idx;
	dt.n_partition_indexes = 1;
	struct kafka_describe_producers_request dreq;
	kafka_describe_producers_request_init(&dreq);
	dreq.topics = &dt;
	dreq.n_topics = 1;
	buf_reset(&body);
	ck_assert_int_eq(kafka_describe_producers_request_encode(&body, 0, &dreq), 0);
	int32_t cd = send_request(KAFKA_API_DESCRIBE_PRODUCERS, 0, &body);
	buf_free(&body);
	PUMP_UNTIL(fakes[1].n_msgs == 3);
	ck_assert_int_eq(fakes[1].msgs[2].type, IPC_PRODUCERS);
	uint8_t rec[IPC_PRODUCER_LEN] = {0, 0, 1, 0,  0, 0, 0,	  7,	 /* id 2^40 + 7 */
					 0, 2,				 /* epoch 2 */
					 0, 0, 0, 41,			 /* last sequence */
					 0, 0, 0, 0,  0, 0, 0x30, 0x39}; /* 12345 */
	struct ipc_msg pres = {.type = IPC_PRODUCERS_RESULT};
	pres.u.producers_result.req_id = fakes[1].msgs[2].u.producers.req_id;
	pres.u.producers_result.producers = rec;
	pres.u.producers_result.producers_len = sizeof(rec);
	fake_send(&fakes[1], &pres);
	PUMP_UNTIL(responses_ready() == 1);
	struct kafka_describe_producers_response dr;
	r = take_response(KAFKA_API_DESCRIBE_PRODUCERS, 0, cd);
	ck_assert_int_eq(kafka_describe_producers_response_decode(&r, 0, &dr, &a), 0);
	ck_assert_int_eq(dr.n_topics, 1);
	ck_assert_int_eq(dr.topics[0].n_partitions, 1);
	const struct kafka_describe_producers_response_partition_response *dp =
	    &dr.topics[0].partitions[0];
	ck_assert_int_eq(dp->partition_index, 1);
	ck_assert_int_eq(dp->error_code, 0);
	ck_assert_int_eq(dp->n_active_producers, 1);
	ck_assert_int_eq(dp->active_producers[0].producer_id, (1LL << 40) + 7);
	ck_assert_int_eq(dp->active_producers[0].producer_epoch, 2);
	ck_assert_int_eq(dp->active_producers[0].last_sequence, 41);
	ck_assert_int_eq(dp->active_producers[0].last_timestamp, 12345);
	ck_assert_int_eq(dp->active_producers[0].coordinator_epoch, -1);
	ck_assert_int_eq(dp->active_producers[0].current_txn_start_offset, -1);
	arena_free(&a);
}
END_TEST

START_TEST(an_oversized_or_negative_frame_closes_the_connection)
{
	uint8_t big[4];
	be32_store(big, 4097); /* socket_request_max_bytes is 4096 here */
	send_raw(big, 4);
	PUMP_UNTIL(client_closed());
	ck_assert(client_closed());
	ck_assert_int_eq(s.n_connections, 0);
}
END_TEST

START_TEST(garbled_requests_and_unknown_api_keys_close_the_connection)
{
	/* Metadata v1 whose topic array claims far more entries than bytes. */
	uint8_t req[] = {0, 0, 0, 16, 0,    3,	  0,	1,    0,   0,
			 0, 9, 0, 0,  0x00, 0x0f, 0x42, 0x40, 'a', 'b'};
	send_raw(req, sizeof(req));
	PUMP_UNTIL(client_closed());
	ck_assert(client_closed());
}
END_TEST

START_TEST(an_api_key_nobody_serves_closes_the_connection)
{
	struct buf empty;
	buf_init(&empty);
	send_request(999, 0, &empty);
	PUMP_UNTIL(client_closed());
	ck_assert(client_closed());
}
END_TEST

START_TEST(an_unserved_api_gets_unsupported_version_in_order_and_the_connection_stays)
{
	int32_t c1 = send_produce(9, 1, "t", 0);
	struct kafka_sasl_handshake_request sh;
	kafka_sasl_handshake_request_init(&sh);
	sh.mechanism = kafka_str_from("PLAIN");
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_sasl_handshake_request_encode(&body, 1, &sh), 0);
	int32_t c2 = send_request(KAFKA_API_SASL_HANDSHAKE, 1, &body);
	buf_free(&body);
	int32_t c3 = send_metadata(9, "t");
	PUMP_UNTIL(fakes[0].n_msgs == 1);
	ck_assert_int_eq(fakes[0].n_msgs, 1);
	pump_a_little();
	/* The SaslHandshake answer is ready at once but waits behind the produce. */
	ck_assert_int_eq(responses_ready(), 0);
	ck_assert(!client_closed());
	answer_produce(0, 0, 0, 7);
	PUMP_UNTIL(responses_ready() == 3);
	ck_assert_int_eq(responses_ready(), 3);
	struct arena a;
	arena_init(&a);
	struct kafka_produce_response pr = take_produce(9, c1, &a);
	ck_assert_int_eq(pr.responses[0].partition_responses[0].base_offset, 7);
	struct reader r = take_response(KAFKA_API_SASL_HANDSHAKE, 1, c2);
	struct kafka_sasl_handshake_response sr;
	ck_assert_int_eq(kafka_sasl_handshake_response_decode(&r, 1, &sr, &a), 0);
	ck_assert_uint_eq(reader_left(&r), 0);
	ck_assert_int_eq(sr.error_code, KERR_UNSUPPORTED_VERSION);
	ck_assert_int_eq(sr.n_mechanisms, 0);
	r = take_response(KAFKA_API_METADATA, 9, c3);
	struct kafka_metadata_response mr;
	ck_assert_int_eq(kafka_metadata_response_decode(&r, 9, &mr, &a), 0);
	ck_assert_int_eq(mr.n_topics, 1);
	ck_assert(kafka_str_eq(mr.topics[0].name, "t"));
	ck_assert(!client_closed());
	ck_assert_int_eq(s.n_connections, 1);
	arena_free(&a);
}
END_TEST

START_TEST(an_unserved_api_with_only_per_topic_errors_closes_the_connection)
{
	/* AlterReplicaLogDirs answers per topic and partition only. */
	struct kafka_alter_replica_log_dirs_request ct;
	kafka_alter_replica_log_dirs_request_init(&ct);
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_alter_replica_log_dirs_request_encode(&body, 1, &ct), 0);
	send_request(KAFKA_API_ALTER_REPLICA_LOG_DIRS, 1, &body);
	buf_free(&body);
	PUMP_UNTIL(client_closed());
	ck_assert(client_closed());
	ck_assert_int_eq(responses_ready(), 0);
}
END_TEST

START_TEST(reading_pauses_at_the_in_flight_limit_and_resumes)
{
	for (int i = 0; i < 110; i++)
		send_produce(9, 1, "t", 0);
	PUMP_UNTIL(fakes[0].n_msgs >= 100);
	pump_a_little();
	ck_assert_int_eq(fakes[0].n_msgs, 100); /* the rest wait in the socket */
	answer_produce(0, 0, 0, 0);
	PUMP_UNTIL(fakes[0].n_msgs == 101);
	ck_assert_int_eq(fakes[0].n_msgs, 101);
	for (int i = 1; i < 101; i++)
		answer_produce(0, i, 0, i);
	PUMP_UNTIL(fakes[0].n_msgs == 110);
	ck_assert_int_eq(fakes[0].n_msgs, 110);
	for (int i = 101; i < 110; i++)
		answer_produce(0, i, 0, i);
	PUMP_UNTIL(responses_ready() == 110);
	ck_assert_int_eq(responses_ready(), 110);
	struct arena a;
	arena_init(&a);
	for (int i = 0; i < 110; i++) {
		struct kafka_produce_response pr = take_produce(9, 101 + i, &a);
		ck_assert_int_eq(pr.responses[0].partition_responses[0].base_offset, i);
	}
	arena_free(&a);
}
END_TEST

START_TEST(metadata_reports_leaders_epochs_and_unknown_topics)
{
	/* t/1 restarting: no leader. */
	workers_find(s.workers, "t", 1, 1)->state = WORKER_STARTING;
	struct kafka_metadata_request req;
	kafka_metadata_request_init(&req);
	req.n_topics = -1; /* all */
	struct kafka_metadata_response resp;
	struct arena a;
	arena_init(&a);
	ck_assert_int_eq(metadata_build(&s, 12, &req, &resp, &a), 0);
	ck_assert_int_eq(resp.n_brokers, 1);
	ck_assert_int_eq(resp.brokers[0].node_id, 5);
	ck_assert(kafka_str_eq(resp.brokers[0].host, "broker5.test"));
	ck_assert_int_eq(resp.brokers[0].port, 19999);
	ck_assert_int_eq(resp.brokers[0].rack.len, -1);
	ck_assert(kafka_str_eq(resp.cluster_id, "test-cluster"));
	ck_assert_int_eq(resp.controller_id, 5);
	ck_assert_int_eq(resp.n_topics, 2);
	const struct kafka_metadata_response_metadata_response_topic *t = &resp.topics[0];
	ck_assert(kafka_str_eq(t->name, "t"));
	ck_assert_int_eq(t->error_code, 0);
	ck_assert_int_eq(t->topic_authorized_operations, INT32_MIN);
	struct kafka_uuid id;
	ids_topic_id("t", 1, &id);
	ck_assert_mem_eq(t->topic_id.b, id.b, 16);
	ck_assert_int_eq(t->n_partitions, 2);
	ck_assert_int_eq(t->partitions[0].error_code, 0);
	ck_assert_int_eq(t->partitions[0].leader_id, 5);
	ck_assert_int_eq(t->partitions[0].leader_epoch, 7);
	ck_assert_int_eq(t->partitions[0].n_replica_nodes, 1);
	ck_assert_int_eq(t->partitions[0].replica_nodes[0], 5);
	ck_assert_int_eq(t->partitions[0].isr_nodes[0], 5);
	ck_assert_int_eq(t->partitions[0].n_offline_replicas, 0);
	ck_assert_int_eq(t->partitions[1].error_code, KERR_LEADER_NOT_AVAILABLE);
	ck_assert_int_eq(t->partitions[1].leader_id, -1);
	ck_assert(kafka_str_eq(resp.topics[1].name, "u"));
	ck_assert_int_eq(resp.topics[1].partitions[0].leader_id, -1);

	/* v1+: an empty list means no topics; v0: every topic. */
	req.n_topics = 0;
	ck_assert_int_eq(metadata_build(&s, 1, &req, &resp, &a), 0);
	ck_assert_int_eq(resp.n_topics, 0);
	ck_assert_int_eq(metadata_build(&s, 0, &req, &resp, &a), 0);
	ck_assert_int_eq(resp.n_topics, 2);

	struct kafka_metadata_request_metadata_request_topic rt[3];
	for (int i = 0; i < 3; i++)
		kafka_metadata_request_metadata_request_topic_init(&rt[i]);
	rt[0].name = kafka_str_from("nope");
	rt[1].name = (struct kafka_str){NULL, -1}; /* by id */
	ids_topic_id("u", 1, &rt[1].topic_id);
	rt[2].name = kafka_str_from("bad name");
	req.topics = rt;
	req.n_topics = 3;
	ck_assert_int_eq(metadata_build(&s, 12, &req, &resp, &a), 0);
	ck_assert_int_eq(resp.n_topics, 3);
	ck_assert_int_eq(resp.topics[0].error_code, KERR_UNKNOWN_TOPIC_OR_PARTITION);
	ck_assert(kafka_str_eq(resp.topics[0].name, "nope"));
	ck_assert_int_eq(resp.topics[0].n_partitions, 0);
	ck_assert_int_eq(resp.topics[1].error_code, 0);
	ck_assert(kafka_str_eq(resp.topics[1].name, "u"));
	ck_assert_int_eq(resp.topics[2].error_code, KERR_INVALID_TOPIC_EXCEPTION);
	/* And it encodes at every served version. */
	for (int16_t v = 0; v <= 12; v++) {
		struct buf b;
		buf_init(&b);
		req.n_topics = v >= 10 ? 3 : 1;
		ck_assert_int_eq(metadata_build(&s, v, &req, &resp, &a), 0);
		ck_assert_msg(kafka_metadata_response_encode(&b, v, &resp) == 0, "v%d", v);
		buf_free(&b);
	}
	arena_free(&a);
}
END_TEST

START_TEST(topic_ids_are_stable_distinct_and_never_zero)
{
	struct kafka_uuid a, b, c;
	ids_topic_id("orders", 6, &a);
	ids_topic_id("orders", 6, &b);
	ids_topic_id("orders2", 7, &c);
	ck_assert_mem_eq(a.b, b.b, 16);
	ck_assert(memcmp(a.b, c.b, 16) != 0);
	ck_assert_int_eq(a.b[0] & 0x80, 0);
	ck_assert_int_eq(a.b[6] >> 4, 4);
	ck_assert_ptr_eq(ids_topic_by_id(s.cfg, &a), NULL);
	ids_topic_id("u", 1, &a);
	ck_assert_ptr_eq(ids_topic_by_id(s.cfg, &a), &s.cfg->topics[1]);
	char cid[32];
	ids_cluster_id(s.cfg, cid, sizeof(cid));
	ck_assert_uint_eq(strlen(cid), 22);
	char again[32];
	ids_cluster_id(s.cfg, again, sizeof(again));
	ck_assert_str_eq(cid, again);
}
END_TEST

START_TEST(fit_batches_counts_whole_batches_only)
{
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 3; i++) { /* three 22-byte batches */
		buf_put_u64(&b, (uint64_t)i);
		buf_put_u32(&b, 10);
		for (int k = 0; k < 10; k++)
			buf_put_u8(&b, 0);
	}
	ck_assert_uint_eq(fetch_fit_batches(b.data, b.len, 1000), 66);
	ck_assert_uint_eq(fetch_fit_batches(b.data, b.len, 65), 44);
	ck_assert_uint_eq(fetch_fit_batches(b.data, b.len, 21), 0);
	ck_assert_uint_eq(fetch_fit_batches(b.data, 30, 1000), 22); /* trailing partial */
	buf_free(&b);
}
END_TEST

/* --- admin APIs ----------------------------------------------------------- */

typedef struct kafka_describe_configs_response_describe_configs_resource_result dc_config;

static const dc_config *
find_config(const struct kafka_describe_configs_response_describe_configs_result *res,
	    const char *name)
{
	for (int i = 0; i < res->n_configs; i++)
		if (kafka_str_eq(res->configs[i].name, name))
			return &res->configs[i];
	return NULL;
}

static void assert_value(const dc_config *c, const char *want)
{
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->value.len, (int32_t)strlen(want));
	ck_assert_mem_eq(c->value.ptr, want, strlen(want));
}

START_TEST(describe_configs_answers_topics_and_this_broker_per_resource)
{
	struct kafka_describe_configs_request_describe_configs_resource res[4];
	for (int i = 0; i < 4; i++) {
		kafka_describe_configs_request_describe_configs_resource_init(&res[i]);
		res[i].n_configuration_keys = -1;
	}
	res[0].resource_type = 2;
	res[0].resource_name = kafka_str_from("t");
	res[1].resource_type = 2;
	res[1].resource_name = kafka_str_from("nope");
	res[2].resource_type = 4;
	res[2].resource_name = kafka_str_from("5");
	res[3].resource_type = 4;
	res[3].resource_name = kafka_str_from("6");
	struct kafka_describe_configs_request req;
	kafka_describe_configs_request_init(&req);
	req.resources = res;
	req.n_resources = 4;
	req.include_synonyms = true;
	for (int16_t v = 0; v <= 4; v += 4) {
		struct buf body;
		buf_init(&body);
		ck_assert_int_eq(kafka_describe_configs_request_encode(&body, v, &req), 0);
		int32_t c = send_request(KAFKA_API_DESCRIBE_CONFIGS, v, &body);
		buf_free(&body);
		PUMP_UNTIL(responses_ready() == 1);
		struct reader r = take_response(KAFKA_API_DESCRIBE_CONFIGS, v, c);
		struct arena a;
		arena_init(&a);
		struct kafka_describe_configs_response resp;
		ck_assert_int_eq(kafka_describe_configs_response_decode(&r, v, &resp, &a), 0);
		ck_assert_int_eq(resp.n_results, 4);
		/* The topic: every config of the table, at its values. */
		ck_assert_int_eq(resp.results[0].error_code, 0);
		ck_assert_int_eq(resp.results[0].n_configs, topic_configs_n);
		const dc_config *cp = find_config(&resp.results[0], "cleanup.policy");
		assert_value(cp, "delete");
		assert_value(find_config(&resp.results[0], "retention.ms"), "604800000");
		assert_value(find_config(&resp.results[0], "min.insync.replicas"), "1");
		const dc_config *ts = find_config(&resp.results[0], "message.timestamp.type");
		assert_value(ts, "CreateTime");
		if (v == 0) {
			ck_assert(cp->is_default);
		} else {
			ck_assert_int_eq(cp->config_source, TOPIC_CONFIG_SRC_DEFAULT);
			ck_assert_int_eq(cp->config_type, TOPIC_CONFIG_LIST);
			ck_assert_int_eq(cp->documentation.len, -1);
			ck_assert_int_eq(ts->n_synonyms, 1);
			ck_assert(kafka_str_eq(ts->synonyms[0].name, "log.message.timestamp.type"));
		}
		ck_assert(!cp->read_only);
		ck_assert_int_eq(resp.results[1].error_code, KERR_UNKNOWN_TOPIC_OR_PARTITION);
		ck_assert_int_eq(resp.results[1].n_configs, 0);
		/* This broker: Kafka's names and fjord's keys, read-only. */
		ck_assert_int_eq(resp.results[2].error_code, 0);
		assert_value(find_config(&resp.results[2], "broker.id"), "5");
		assert_value(find_config(&resp.results[2], "log.retention.ms"), "604800000");
		const dc_config *mx =
		    find_config(&resp.results[2], "fjord.kafka.socket_request_max_bytes");
		assert_value(mx, "4096");
		ck_assert(mx->read_only);
		if (v > 0)
			ck_assert_int_eq(mx->config_source, TOPIC_CONFIG_SRC_STATIC_BROKER);
		ck_assert_ptr_null(find_config(&resp.results[2], "cleanup.policy"));
		/* Another broker is that broker's to describe. */
		ck_assert_int_eq(resp.results[3].error_code, KERR_INVALID_REQUEST);
		arena_free(&a);
	}
}
END_TEST

START_TEST(describe_configs_returns_only_the_keys_asked_for)
{
	struct kafka_str keys[2] = {kafka_str_from("retention.bytes"), kafka_str_from("nope.x")};
	struct kafka_describe_configs_request_describe_configs_resource res;
	kafka_describe_configs_request_describe_configs_resource_init(&res);
	res.resource_type = 2;
	res.resource_name = kafka_str_from("u");
	res.configuration_keys = keys;
	res.n_configuration_keys = 2;
	struct kafka_describe_configs_request req;
	kafka_describe_configs_request_init(&req);
	req.resources = &res;
	req.n_resources = 1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_describe_configs_request_encode(&body, 2, &req), 0);
	int32_t c = send_request(KAFKA_API_DESCRIBE_CONFIGS, 2, &body);
	buf_free(&body);
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_DESCRIBE_CONFIGS, 2, c);
	struct arena a;
	arena_init(&a);
	struct kafka_describe_configs_response resp;
	ck_assert_int_eq(kafka_describe_configs_response_decode(&r, 2, &resp, &a), 0);
	ck_assert_int_eq(resp.results[0].n_configs, 1);
	assert_value(&resp.results[0].configs[0], "-1");
	ck_assert_int_eq(resp.results[0].configs[0].n_synonyms, 0); /* not asked */
	arena_free(&a);
}
END_TEST

START_TEST(describe_cluster_lists_this_node_as_broker_and_controller)
{
	struct kafka_describe_cluster_request req;
	kafka_describe_cluster_request_init(&req);
	for (int8_t et = 1; et <= 2; et++) {
		req.endpoint_type = et;
		struct buf body;
		buf_init(&body);
		ck_assert_int_eq(kafka_describe_cluster_request_encode(&body, 1, &req), 0);
		int32_t c = send_request(KAFKA_API_DESCRIBE_CLUSTER, 1, &body);
		buf_free(&body);
		PUMP_UNTIL(responses_ready() == 1);
		struct reader r = take_response(KAFKA_API_DESCRIBE_CLUSTER, 1, c);
		struct arena a;
		arena_init(&a);
		struct kafka_describe_cluster_response resp;
		ck_assert_int_eq(kafka_describe_cluster_response_decode(&r, 1, &resp, &a), 0);
		if (et == 2) {
			ck_assert_int_eq(resp.error_code, KERR_MISMATCHED_ENDPOINT_TYPE);
			arena_free(&a);
			continue;
		}
		ck_assert_int_eq(resp.error_code, 0);
		ck_assert_int_eq(resp.endpoint_type, 1);
		ck_assert_int_eq(resp.controller_id, 5);
		ck_assert(kafka_str_eq(resp.cluster_id, s.cluster_id));
		ck_assert_int_eq(resp.n_brokers, 1);
		ck_assert_int_eq(resp.brokers[0].broker_id, 5);
		ck_assert(kafka_str_eq(resp.brokers[0].host, "broker5.test"));
		ck_assert_int_eq(resp.brokers[0].port, 19999);
		ck_assert_int_eq(resp.brokers[0].rack.len, -1);
		arena_free(&a);
	}
}
END_TEST

static struct kafka_describe_topic_partitions_response dtp(int32_t limit, const char *cursor_topic,
							   int32_t cursor_part, struct arena *a)
{
	struct kafka_describe_topic_partitions_request_cursor cur;
	kafka_describe_topic_partitions_request_cursor_init(&cur);
	cur.topic_name = kafka_str_from(cursor_topic);
	cur.partition_index = cursor_part;
	struct kafka_describe_topic_partitions_request req;
	kafka_describe_topic_partitions_request_init(&req);
	req.n_topics = 0; /* every topic */
	req.response_partition_limit = limit;
	req.cursor = cursor_topic ? &cur : NULL;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_describe_topic_partitions_request_encode(&body, 0, &req), 0);
	int32_t c = send_request(KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, 0, &body);
	buf_free(&body);
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, 0, c);
	struct kafka_describe_topic_partitions_response resp;
	ck_assert_int_eq(kafka_describe_topic_partitions_response_decode(&r, 0, &resp, a), 0);
	return resp;
}

START_TEST(describe_topic_partitions_pages_with_a_cursor)
{
	struct arena a;
	arena_init(&a);
	/* t has 2 partitions, u 1: pages of 2 are t/0-1, then u/0. */
	struct kafka_describe_topic_partitions_response p1 = dtp(2, NULL, 0, &a);
	ck_assert_int_eq(p1.n_topics, 1);
	ck_assert(kafka_str_eq(p1.topics[0].name, "t"));
	ck_assert_int_eq(p1.topics[0].n_partitions, 2);
	ck_assert_int_eq(p1.topics[0].partitions[1].partition_index, 1);
	ck_assert_int_eq(p1.topics[0].partitions[0].leader_id, 5);
	ck_assert_int_eq(p1.topics[0].partitions[0].leader_epoch, 7);
	ck_assert_int_eq(p1.topics[0].partitions[0].n_replica_nodes, 1);
	ck_assert_int_eq(p1.topics[0].partitions[0].n_eligible_leader_replicas, 0);
	struct kafka_uuid id;
	ids_topic_id("t", 1, &id);
	ck_assert_mem_eq(&p1.topics[0].topic_id, &id, sizeof(id));
	ck_assert_ptr_nonnull(p1.next_cursor);
	ck_assert(kafka_str_eq(p1.next_cursor->topic_name, "u"));
	ck_assert_int_eq(p1.next_cursor->partition_index, 0);
	struct kafka_describe_topic_partitions_response p2 = dtp(2, "u", 0, &a);
	ck_assert_int_eq(p2.n_topics, 1);
	ck_assert(kafka_str_eq(p2.topics[0].name, "u"));
	ck_assert_int_eq(p2.topics[0].n_partitions, 1);
	ck_assert_ptr_null(p2.next_cursor);
	/* A cursor inside a topic. */
	struct kafka_describe_topic_partitions_response p3 = dtp(1, "t", 1, &a);
	ck_assert_int_eq(p3.topics[0].partitions[0].partition_index, 1);
	ck_assert(kafka_str_eq(p3.next_cursor->topic_name, "u"));
	arena_free(&a);
}
END_TEST

START_TEST(delete_records_is_forwarded_to_the_leader_and_answers_its_low_watermark)
{
	struct kafka_delete_records_request_delete_records_partition parts[2];
	kafka_delete_records_request_delete_records_partition_init(&parts[0]);
	kafka_delete_records_request_delete_records_partition_init(&parts[1]);
	parts[0].partition_index = 1;
	parts[0].offset = 10;
	parts[1].partition_index = 9; /* no such partition */
	parts[1].offset = 1;
	struct kafka_delete_records_request_delete_records_topic t;
	kafka_delete_records_request_delete_records_topic_init(&t);
	t.name = kafka_str_from("t");
	t.partitions = parts;
	t.n_partitions = 2;
	struct kafka_delete_records_request req;
	kafka_delete_records_request_init(&req);
	req.topics = &t;
	req.n_topics = 1;
	req.timeout_ms = 3000;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_delete_records_request_encode(&body, 2, &req), 0);
	int32_t c = send_request(KAFKA_API_DELETE_RECORDS, 2, &body);
	buf_free(&body);
	PUMP_UNTIL(fakes[1].n_msgs == 1);
	const struct ipc_msg *m = &fakes[1].msgs[0];
	ck_assert_int_eq(m->type, IPC_DELETE_RECORDS);
	ck_assert_int_eq(m->u.delete_records.offset, 10);
	ck_assert_int_eq(m->u.delete_records.timeout_ms, 3000);
	ck_assert_int_eq(fakes[0].n_msgs, 0);
	pump_a_little();
	ck_assert_int_eq(responses_ready(), 0); /* waits for the worker */
	struct ipc_msg res = {.type = IPC_DELETE_RECORDS_RESULT};
	res.u.delete_records_result.req_id = m->u.delete_records.req_id;
	res.u.delete_records_result.low_watermark = 10;
	fake_send(&fakes[1], &res);
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_DELETE_RECORDS, 2, c);
	struct arena a;
	arena_init(&a);
	struct kafka_delete_records_response resp;
	ck_assert_int_eq(kafka_delete_records_response_decode(&r, 2, &resp, &a), 0);
	ck_assert_int_eq(resp.n_topics, 1);
	ck_assert_int_eq(resp.topics[0].n_partitions, 2);
	ck_assert_int_eq(resp.topics[0].partitions[0].partition_index, 1);
	ck_assert_int_eq(resp.topics[0].partitions[0].error_code, 0);
	ck_assert_int_eq(resp.topics[0].partitions[0].low_watermark, 10);
	ck_assert_int_eq(resp.topics[0].partitions[1].error_code, KERR_UNKNOWN_TOPIC_OR_PARTITION);
	ck_assert_int_eq(resp.topics[0].partitions[1].low_watermark, -1);
	arena_free(&a);
}
END_TEST

START_TEST(elect_leaders_needs_no_election_where_the_preferred_replica_leads)
{
	int32_t parts[3] = {0, 1, 4};
	struct kafka_elect_leaders_request_topic_partitions tp;
	kafka_elect_leaders_request_topic_partitions_init(&tp);
	tp.topic = kafka_str_from("t");
	tp.partitions = parts;
	tp.n_partitions = 3;
	struct kafka_elect_leaders_request req;
	kafka_elect_leaders_request_init(&req);
	req.topic_partitions = &tp;
	req.n_topic_partitions = 1;
	req.timeout_ms = 1000;
	for (int8_t type = 0; type <= 1; type++) {
		req.election_type = type;
		struct buf body;
		buf_init(&body);
		ck_assert_int_eq(kafka_elect_leaders_request_encode(&body, 2, &req), 0);
		int32_t c = send_request(KAFKA_API_ELECT_LEADERS, 2, &body);
		buf_free(&body);
		PUMP_UNTIL(responses_ready() == 1);
		struct reader r = take_response(KAFKA_API_ELECT_LEADERS, 2, c);
		struct arena a;
		arena_init(&a);
		struct kafka_elect_leaders_response resp;
		ck_assert_int_eq(kafka_elect_leaders_response_decode(&r, 2, &resp, &a), 0);
		ck_assert_int_eq(resp.n_replica_election_results, 1);
		const struct kafka_elect_leaders_response_replica_election_result *er =
		    &resp.replica_election_results[0];
		ck_assert_int_eq(er->n_partition_result, 3);
		if (type == 0) {
			ck_assert_int_eq(er->partition_result[0].error_code,
					 KERR_ELECTION_NOT_NEEDED);
			ck_assert_int_eq(er->partition_result[1].error_code,
					 KERR_ELECTION_NOT_NEEDED);
			ck_assert_int_eq(er->partition_result[2].partition_id, 4);
			ck_assert_int_eq(er->partition_result[2].error_code,
					 KERR_UNKNOWN_TOPIC_OR_PARTITION);
		} else {
			for (int i = 0; i < 3; i++)
				ck_assert_int_eq(er->partition_result[i].error_code,
						 KERR_INVALID_REQUEST);
			ck_assert_int_gt(er->partition_result[0].error_message.len, 0);
		}
		arena_free(&a);
	}
	/* Null: every partition, only those that needed an election. */
	req.election_type = 0;
	req.topic_partitions = NULL;
	req.n_topic_partitions = -1;
	struct buf body;
	buf_init(&body);
	ck_assert_int_eq(kafka_elect_leaders_request_encode(&body, 1, &req), 0);
	int32_t c = send_request(KAFKA_API_ELECT_LEADERS, 1, &body);
	buf_free(&body);
	PUMP_UNTIL(responses_ready() == 1);
	struct reader r = take_response(KAFKA_API_ELECT_LEADERS, 1, c);
	struct arena a;
	arena_init(&a);
	struct kafka_elect_leaders_response resp;
	ck_assert_int_eq(kafka_elect_leaders_response_decode(&r, 1, &resp, &a), 0);
	/* t's partitions lead here; u/0 has no leader: only it is listed. */
	ck_assert_int_eq(resp.n_replica_election_results, 1);
	ck_assert(kafka_str_eq(resp.replica_election_results[0].topic, "u"));
	ck_assert_int_eq(resp.replica_election_results[0].partition_result[0].error_code,
			 KERR_ELIGIBLE_LEADERS_NOT_AVAILABLE);
	arena_free(&a);
}
END_TEST

static Suite *supervisor_front_suite(void)
{
	Suite *su = suite_create("supervisor_front");
	TCase *tc = tcase_create("front");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, responses_leave_in_request_order_when_a_later_request_finishes_first);
	tcase_add_test(tc, acks_zero_produce_gets_no_response_and_blocks_nothing);
	tcase_add_test(tc, a_worker_that_dies_fails_its_in_flight_requests_as_retriable);
	tcase_add_test(tc, a_silent_worker_gets_a_retriable_error_and_holds_nothing_else);
	tcase_add_test(tc, a_worker_that_keeps_sending_status_is_not_cut_off);
	tcase_add_test(tc, a_silent_worker_gets_not_leader_for_list_offsets);
	tcase_add_test(tc, a_quiet_worker_asked_after_a_long_silence_is_not_cut_off_at_once);
	tcase_add_test(tc, unknown_and_unavailable_partitions_are_answered_without_forwarding);
	tcase_add_test(tc, fetch_cancels_parked_partitions_once_min_bytes_arrived);
	tcase_add_test(tc, fetch_max_bytes_keeps_the_first_batch_and_trims_later_partitions);
	tcase_add_test(tc, large_fetch_results_survive_later_frames_from_the_same_worker);
	tcase_add_test(tc, fetch_by_unknown_topic_id_is_answered_at_once);
	tcase_add_test(tc, api_versions_beyond_ours_gets_the_v0_error_layout);
	tcase_add_test(tc, api_versions_lists_the_same_apis_and_bytes_at_every_version);
	tcase_add_test(tc, list_offsets_v0_is_refused_per_partition_and_v1_is_forwarded);
	tcase_add_test(tc,
		       offset_for_leader_epoch_and_describe_producers_go_to_the_leader_and_merge);
	tcase_add_test(tc, an_oversized_or_negative_frame_closes_the_connection);
	tcase_add_test(tc, garbled_requests_and_unknown_api_keys_close_the_connection);
	tcase_add_test(tc, an_api_key_nobody_serves_closes_the_connection);
	tcase_add_test(tc,
		       an_unserved_api_gets_unsupported_version_in_order_and_the_connection_stays);
	tcase_add_test(tc, an_unserved_api_with_only_per_topic_errors_closes_the_connection);
	tcase_add_test(tc, reading_pauses_at_the_in_flight_limit_and_resumes);
	tcase_add_test(tc, metadata_reports_leaders_epochs_and_unknown_topics);
	tcase_add_test(tc, topic_ids_are_stable_distinct_and_never_zero);
	tcase_add_test(tc, fit_batches_counts_whole_batches_only);
	tcase_add_test(tc, describe_configs_answers_topics_and_this_broker_per_resource);
	tcase_add_test(tc, describe_configs_returns_only_the_keys_asked_for);
	tcase_add_test(tc, describe_cluster_lists_this_node_as_broker_and_controller);
	tcase_add_test(tc, describe_topic_partitions_pages_with_a_cursor);
	tcase_add_test(tc, delete_records_is_forwarded_to_the_leader_and_answers_its_low_watermark);
	tcase_add_test(tc, elect_leaders_needs_no_election_where_the_preferred_replica_leads);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(supervisor_front_suite)
