/* test_worker_transport.c - the worker's peer connections, with this test
 * playing the peer node's supervisor: it listens where transport A dials,
 * reads the hello, and either refuses it or hands the socket to transport B
 * over a SOCK_SEQPACKET pair, as --conn-fd. Checks the hello, the ack,
 * messages both ways of the codec, the refusal and redial with backoff, a
 * hand-over from a node that is not a replica, dropping messages to a
 * peer that is not connected, every connection reported at both ends
 * (on_link), and liveness: a peer that answers keeps its
 * connections, one that stops answering our heartbeats is cut off both
 * ways within the silence bound and redialled. For the liveness tests the
 * test also plays node 1's supervisor, handing B's connections to A. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fdpass.h"
#include "common/hello.h"
#include "common/log.h"
#include "worker/transport.h"

static struct event_base *base;
static int lfd = -1; /* "node 2's raft_listen" */
static struct event *accept_ev;
static int pair[2] = {-1, -1};	/* [0] the supervisor's end, [1] B's --conn-fd */
static struct transport ta, tb; /* A = node 1 dials; B = node 2 accepts */
static bool ta_up, tb_up;
static int refuse_next; /* hellos still to refuse */
static int hellos;	/* hellos seen */
static struct hello last_hello;
static struct raft_message got; /* last message B received */
static uint8_t got_data[64];
static int n_got;
static int32_t got_from;
static size_t got_len;	 /* the last message's first entry: length */
static uint32_t got_sum; /* and a checksum of its bytes */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void b_recv(void *ctx, int32_t from, const struct raft_message *m)
{
	got = *m;
	got_from = from;
	got_len = m->n_entries ? m->entries[0].data_len : 0;
	got_sum = 0;
	for (size_t i = 0; i < got_len; i++)
		got_sum = got_sum * 31 + m->entries[0].data[i];
	if (m->n_entries == 1 && m->entries[0].data_len <= sizeof(got_data)) {
		memcpy(got_data, m->entries[0].data, m->entries[0].data_len);
		got.entries = NULL;
	}
	n_got++;
}

/* The fake supervisor: one hello frame per accepted connection. */
static void hello_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = *(struct event **)arg;
	uint8_t b[HELLO_FRAME_MAX + 4];
	ssize_t n = recv(fd, b, sizeof(b), 0);
	event_free(self);
	free(arg);
	if (n < 4 || (size_t)n != 4 + be32_load(b) ||
	    hello_decode(b + 4, (size_t)n - 4, &last_hello)) {
		close(fd);
		return;
	}
	hellos++;
	if (refuse_next > 0) {
		refuse_next--;
		struct buf r;
		buf_init(&r);
		ck_assert_int_eq(hello_reject_encode("worker restarting", &r), 0);
		uint8_t h[4];
		be32_store(h, (uint32_t)r.len);
		ck_assert_int_eq(write(fd, h, 4), 4);
		ck_assert_int_eq(write(fd, r.data, r.len), (ssize_t)r.len);
		buf_free(&r);
		close(fd);
		return;
	}
	ck_assert_int_eq(fdpass_send(pair[0], fd, last_hello.from_node), 0);
	close(fd);
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
	int c = accept(fd, NULL, NULL);
	if (c < 0)
		return;
	struct event **slot = malloc(sizeof(*slot));
	*slot = event_new(base, c, EV_READ, hello_cb, slot);
	event_add(*slot, NULL);
}

static uint16_t listen_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static void setup(void)
{
	log_set_level(LOG_WARN);
	base = event_base_new();
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	accept_ev = event_new(base, lfd, EV_READ | EV_PERSIST, accept_cb, NULL);
	event_add(accept_ev, NULL);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair), 0);
	refuse_next = 0;
	hellos = 0;
	n_got = 0;
	ta_up = tb_up = false;
}

static void start_b(void)
{
	/* B's own dial to node 1 goes to a closed port and just keeps failing. */
	struct worker_peer p1 = {.node = 1, .host = "127.0.0.1", .port = 1};
	struct transport_config cb = {.cluster = "c",
				      .self = 2,
				      .group = "t/0",
				      .peers = &p1,
				      .n_peers = 1,
				      .conn_fd = pair[1]};
	ck_assert_int_eq(transport_init(&tb, base, &cb, b_recv, NULL), 0);
	pair[1] = -1; /* owned by B now */
	tb_up = true;
}

static void start_a(void)
{
	struct worker_peer p2 = {.node = 2, .host = "127.0.0.1", .port = listen_port()};
	struct transport_config ca = {
	    .cluster = "c", .self = 1, .group = "t/0", .peers = &p2, .n_peers = 1, .conn_fd = -1};
	ck_assert_int_eq(transport_init(&ta, base, &ca, b_recv, NULL), 0);
	ta_up = true;
}

static void teardown(void)
{
	if (ta_up)
		transport_close(&ta);
	if (tb_up)
		transport_close(&tb);
	if (pair[0] >= 0)
		close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
	pair[0] = pair[1] = -1;
	event_free(accept_ev);
	close(lfd);
	event_base_free(base);
}

static bool run_until(bool (*cond)(void), int ms)
{
	int64_t deadline = mono_ms() + ms;
	while (!cond() && mono_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	return cond();
}

static bool a_connected(void) { return transport_connected(&ta, 2); }
static bool a_not_connected(void) { return !transport_connected(&ta, 2); }
static bool b_got_one(void) { return n_got > 0; }

static struct raft_message append_msg(void)
{
	static struct raft_entry e = {.index = 8,
				      .term = 3,
				      .kind = RAFT_ENTRY_NORMAL,
				      .data = (const uint8_t *)"batch",
				      .data_len = 5};
	return (struct raft_message){.type = RAFT_MSG_APPEND,
				     .from = 1,
				     .to = 2,
				     .term = 3,
				     .index = 7,
				     .log_term = 2,
				     .commit = 6,
				     .entries = &e,
				     .n_entries = 1};
}

START_TEST(a_dialled_connection_is_handed_over_acknowledged_and_carries_messages)
{
	start_b();
	start_a();
	struct raft_message m = append_msg();
	ck_assert_int_eq(transport_send(&ta, &m), ERR_UNAVAILABLE); /* not yet */
	ck_assert(run_until(a_connected, 3000));
	ck_assert_int_eq(hellos, 1);
	ck_assert_str_eq(last_hello.cluster, "c");
	ck_assert_int_eq(last_hello.from_node, 1);
	ck_assert_str_eq(last_hello.group, "t/0");
	ck_assert_int_eq(transport_n_connected(&ta), 1);
	ck_assert_int_eq(transport_last_heard_ms(&tb, 1), -1);
	ck_assert_int_eq(transport_send(&ta, &m), 0);
	ck_assert(run_until(b_got_one, 3000));
	ck_assert_int_eq(got_from, 1);
	ck_assert_int_eq(got.type, RAFT_MSG_APPEND);
	ck_assert_uint_eq(got.term, 3);
	ck_assert_uint_eq(got.index, 7);
	ck_assert_uint_eq(got.commit, 6);
	ck_assert_uint_eq(got.n_entries, 1);
	ck_assert_mem_eq(got_data, "batch", 5);
	ck_assert_int_ge(transport_last_heard_ms(&tb, 1), 0);
	ck_assert_uint_eq(ta.stats.sent, 1);
	ck_assert_uint_eq(ta.stats.dropped, 1);
	/* A message claiming another sender is dropped on receipt. */
	m.from = 3;
	ck_assert_int_eq(transport_send(&ta, &m), 0);
	m.from = 1;
	m.commit = 7;
	ck_assert_int_eq(transport_send(&ta, &m), 0);
	int64_t deadline = mono_ms() + 3000;
	while (n_got < 2 && mono_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_int_eq(n_got, 2);
	ck_assert_uint_eq(got.commit, 7);
	ck_assert_uint_eq(tb.stats.malformed, 1);
	/* B goes away: A sees the close and stops sending. */
	transport_close(&tb);
	tb_up = false;
	ck_assert(run_until(a_not_connected, 3000));
	ck_assert_int_eq(transport_send(&ta, &m), ERR_UNAVAILABLE);
}
END_TEST

/* A Ready's message carries the core's block: the transport sends the
 * payload by reference and holds the block, so the core may release its own
 * reference (raft_advance) before the bytes are written. Run under valgrind
 * this also shows nothing is read after the last release. */
START_TEST(a_payload_in_a_raft_block_is_sent_by_reference_past_the_cores_release)
{
	start_b();
	start_a();
	ck_assert(run_until(a_connected, 3000));
	enum { LEN = 100000 };
	uint8_t *block = raft_block_new(LEN);
	ck_assert_ptr_nonnull(block);
	uint32_t want = 0;
	for (size_t i = 0; i < LEN; i++) {
		block[i] = (uint8_t)(i * 13 + 1);
		want = want * 31 + block[i];
	}
	struct raft_entry e = {
	    .index = 8, .term = 3, .kind = RAFT_ENTRY_NORMAL, .data = block, .data_len = LEN};
	struct raft_message m = append_msg();
	m.entries = &e;
	m.block = block;
	ck_assert_int_eq(transport_send(&ta, &m), 0);
	raft_block_release(block); /* the core's reference: raft_advance */
	ck_assert(run_until(b_got_one, 3000));
	ck_assert_uint_eq(got_len, LEN);
	ck_assert_uint_eq(got_sum, want);
	ck_assert_uint_eq(got.n_entries, 1);
}
END_TEST

START_TEST(a_refused_hello_is_retried_with_backoff_until_accepted)
{
	start_b();
	refuse_next = 2;
	int64_t t0 = mono_ms();
	start_a();
	ck_assert(run_until(a_connected, 5000));
	int64_t took = mono_ms() - t0;
	ck_assert_int_eq(hellos, 3);
	/* Two backoff delays, jittered in [50, 100] and [100, 200] ms: at
	 * least 150 ms, well under 2 s. */
	ck_assert_int_ge(took, 140);
	ck_assert_int_lt(took, 2000);
	ck_assert_uint_eq(ta.stats.connects, 1);
}
END_TEST

static bool never(void);

/* A candidate's request can arrive on its connection to us before ours to
 * it is up; the answer goes out once ours is, not never (the candidate
 * re-asks only when its own link comes up). Only the last answer is kept,
 * and an append found the link down is dropped as before. */
START_TEST(a_vote_answer_sent_before_the_link_is_up_goes_out_once_it_is)
{
	start_b();
	start_a();
	struct raft_message old = {
	    .type = RAFT_MSG_PREVOTE_RESP, .from = 1, .to = 2, .term = 4, .reject = true};
	struct raft_message last = {.type = RAFT_MSG_VOTE_RESP, .from = 1, .to = 2, .term = 5};
	struct raft_message m = append_msg();
	ck_assert_int_eq(transport_send(&ta, &old), ERR_UNAVAILABLE);
	ck_assert_int_eq(transport_send(&ta, &last), ERR_UNAVAILABLE);
	ck_assert_int_eq(transport_send(&ta, &m), ERR_UNAVAILABLE);
	ck_assert(run_until(a_connected, 3000));
	ck_assert(run_until(b_got_one, 3000));
	run_until(never, 100);
	ck_assert_int_eq(n_got, 1);
	ck_assert_int_eq(got.type, RAFT_MSG_VOTE_RESP);
	ck_assert_uint_eq(got.term, 5);
	ck_assert(!got.reject);
}
END_TEST

static bool six_hellos_refused(void) { return hellos >= 6; }
static bool never(void) { return false; }

START_TEST(a_vote_request_to_a_peer_in_backoff_starts_the_dial_now)
{
	start_b();
	refuse_next = 6;
	start_a();
	ck_assert(run_until(six_hellos_refused, 8000));
	/* Let A read the sixth refusal and schedule its retry. */
	run_until(never, 150);
	/* The sixth refusal set a backoff of 1 to 2 s (jittered, capped). A
	 * vote request cannot wait that out: it starts the dial now. */
	int64_t t0 = mono_ms();
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 1, .to = 2, .term = 4};
	ck_assert_int_eq(transport_send(&ta, &v), ERR_UNAVAILABLE);
	ck_assert(run_until(a_connected, 5000));
	int64_t took = mono_ms() - t0;
	ck_assert_int_eq(hellos, 7);
	ck_assert_int_lt(took, 700);
}
END_TEST

static int peer_fd = -1;
static bool peer_closed(void)
{
	struct pollfd p = {.fd = peer_fd, .events = POLLIN};
	if (poll(&p, 1, 0) != 1)
		return false;
	char c;
	return read(peer_fd, &c, 1) == 0;
}

START_TEST(a_hand_over_from_a_node_outside_the_group_is_closed)
{
	start_b();
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(fdpass_send(pair[0], sv[1], 9), 0);
	close(sv[1]);
	peer_fd = sv[0];
	ck_assert(run_until(peer_closed, 3000));
	close(sv[0]);
	/* The accepted end got no ack before it was closed. */
	ck_assert_int_eq(transport_last_heard_ms(&tb, 9), -1);
}
END_TEST

/* --- liveness: both directions, node 1's listener hands over to A -------- */

static int lfd1 = -1; /* "node 1's raft_listen" */
static struct event *accept1_ev;
static int pair1[2] = {-1, -1}; /* [0] node 1's supervisor end, [1] A's --conn-fd */
static bool b_answers;
static int n_a_got; /* answers A received */

static void hello1_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = *(struct event **)arg;
	uint8_t b[HELLO_FRAME_MAX + 4];
	ssize_t n = recv(fd, b, sizeof(b), 0);
	event_free(self);
	free(arg);
	struct hello h;
	if (n < 4 || (size_t)n != 4 + be32_load(b) || hello_decode(b + 4, (size_t)n - 4, &h)) {
		close(fd);
		return;
	}
	ck_assert_int_eq(fdpass_send(pair1[0], fd, h.from_node), 0);
	close(fd);
}

static void accept1_cb(evutil_socket_t fd, short what, void *arg)
{
	int c = accept(fd, NULL, NULL);
	if (c < 0)
		return;
	struct event **slot = malloc(sizeof(*slot));
	*slot = event_new(base, c, EV_READ, hello1_cb, slot);
	event_add(*slot, NULL);
}

static void a_recv(void *ctx, int32_t from, const struct raft_message *m)
{
	if (m->type == RAFT_MSG_HEARTBEAT_RESP)
		n_a_got++;
}

/* B, a follower: answers every heartbeat while b_answers. */
static void b_answer(void *ctx, int32_t from, const struct raft_message *m)
{
	n_got++;
	if (!b_answers || m->type != RAFT_MSG_HEARTBEAT)
		return;
	struct raft_message r = {
	    .type = RAFT_MSG_HEARTBEAT_RESP, .from = 2, .to = (uint64_t)from, .term = m->term};
	transport_send(&tb, &r);
}

#define SILENCE_MS 300

static int links_a, links_b;		 /* on_link calls */
static int32_t link_node_a, link_node_b; /* and the node each last named */

static void a_link(void *ctx, int32_t node)
{
	links_a++;
	link_node_a = node;
}

static void b_link(void *ctx, int32_t node)
{
	links_b++;
	link_node_b = node;
}

static void start_both_ways(void)
{
	lfd1 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(lfd1, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd1, 16), 0);
	socklen_t len = sizeof(sa);
	ck_assert_int_eq(getsockname(lfd1, (struct sockaddr *)&sa, &len), 0);
	accept1_ev = event_new(base, lfd1, EV_READ | EV_PERSIST, accept1_cb, NULL);
	event_add(accept1_ev, NULL);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair1), 0);

	struct worker_peer p1 = {.node = 1, .host = "127.0.0.1", .port = ntohs(sa.sin_port)};
	struct transport_config cb = {.cluster = "c",
				      .self = 2,
				      .group = "t/0",
				      .peers = &p1,
				      .n_peers = 1,
				      .conn_fd = pair[1],
				      .silence_ms = SILENCE_MS,
				      .on_link = b_link};
	links_a = links_b = 0;
	link_node_a = link_node_b = -1;
	ck_assert_int_eq(transport_init(&tb, base, &cb, b_answer, NULL), 0);
	pair[1] = -1;
	tb_up = true;
	struct worker_peer p2 = {.node = 2, .host = "127.0.0.1", .port = listen_port()};
	struct transport_config ca = {.cluster = "c",
				      .self = 1,
				      .group = "t/0",
				      .peers = &p2,
				      .n_peers = 1,
				      .conn_fd = pair1[1],
				      .silence_ms = SILENCE_MS,
				      .on_link = a_link};
	ck_assert_int_eq(transport_init(&ta, base, &ca, a_recv, NULL), 0);
	pair1[1] = -1;
	ta_up = true;
	b_answers = true;
	n_a_got = 0;
}

static void stop_both_ways(void)
{
	event_free(accept1_ev);
	close(lfd1);
	close(pair1[0]);
	pair1[0] = -1;
}

static bool both_connected(void)
{
	return transport_connected(&ta, 2) && transport_connected(&tb, 1);
}

/* A leads: one heartbeat every 50 ms for ms, or until cond holds. */
static void lead_for(int ms, bool (*cond)(void))
{
	int64_t end = mono_ms() + ms, next = 0;
	while (mono_ms() < end && !(cond && cond())) {
		if (mono_ms() >= next) {
			struct raft_message hb = {
			    .type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 3};
			transport_send(&ta, &hb);
			next = mono_ms() + 50;
		}
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
}

static bool a_cut_off(void) { return ta.stats.silences > 0; }
static bool a_redialled(void) { return ta.stats.connects >= 2 && both_connected(); }

static bool both_linked(void) { return both_connected() && links_a >= 2 && links_b >= 2; }

/* Each end hears of its own connection and of the peer's (a candidate
 * then asks that peer again for its vote). */
START_TEST(every_connection_that_comes_up_is_reported_at_both_ends)
{
	start_both_ways();
	ck_assert_int_eq(links_a + links_b, 0); /* nothing inside transport_init */
	ck_assert(run_until(both_linked, 3000));
	lead_for(100, NULL); /* and no more */
	ck_assert_int_eq(links_a, 2);
	ck_assert_int_eq(links_b, 2);
	ck_assert_int_eq(link_node_a, 2);
	ck_assert_int_eq(link_node_b, 1);
	stop_both_ways();
}
END_TEST

START_TEST(a_peer_that_answers_keeps_its_connections)
{
	start_both_ways();
	ck_assert(run_until(both_connected, 3000));
	lead_for(4 * SILENCE_MS, NULL);
	ck_assert_int_gt(n_a_got, 10);
	ck_assert_uint_eq(ta.stats.silences, 0);
	ck_assert_uint_eq(ta.stats.connects, 1);
	ck_assert_uint_eq(tb.stats.connects, 1);
	ck_assert_uint_eq(transport_in_generation(&tb, 1), 1);
	/* A follower owes nothing: B, which only answers, never counts
	 * silence even though A sends it no answers. */
	ck_assert_uint_eq(tb.stats.silences, 0);
	stop_both_ways();
}
END_TEST

START_TEST(a_peer_that_stops_answering_is_cut_off_within_the_bound_and_redialled)
{
	start_both_ways();
	ck_assert(run_until(both_connected, 3000));
	lead_for(200, NULL);
	ck_assert_int_gt(n_a_got, 0);
	/* B stalls: its kernel still takes A's heartbeats, nothing comes back. */
	b_answers = false;
	int64_t t0 = mono_ms();
	lead_for(10 * SILENCE_MS, a_cut_off);
	int64_t took = mono_ms() - t0;
	ck_assert_uint_eq(ta.stats.silences, 1);
	/* The first unanswered heartbeat went out within 50 ms of t0. */
	ck_assert_int_ge(took, SILENCE_MS);
	ck_assert_int_lt(took, SILENCE_MS + 50 + 250);
	ck_assert(!transport_connected(&ta, 2));
	/* Both ways were closed: A redials B, and B, seeing its connection
	 * to A closed, redials A. */
	b_answers = true;
	lead_for(3000, a_redialled);
	ck_assert(a_redialled());
	ck_assert_uint_eq(transport_in_generation(&tb, 1), 2);
	ck_assert(run_until(both_connected, 3000));
	ck_assert_uint_ge(tb.stats.connects, 2);
	int before = n_a_got;
	lead_for(2 * SILENCE_MS, NULL);
	ck_assert_int_gt(n_a_got, before);
	ck_assert_uint_eq(ta.stats.silences, 1);
	stop_both_ways();
}
END_TEST

static Suite *worker_transport_suite(void)
{
	Suite *s = suite_create("worker_transport");
	TCase *tc = tcase_create("transport");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_dialled_connection_is_handed_over_acknowledged_and_carries_messages);
	tcase_add_test(tc, a_refused_hello_is_retried_with_backoff_until_accepted);
	tcase_add_test(tc, a_vote_request_to_a_peer_in_backoff_starts_the_dial_now);
	tcase_add_test(tc, a_vote_answer_sent_before_the_link_is_up_goes_out_once_it_is);
	tcase_add_test(tc, a_payload_in_a_raft_block_is_sent_by_reference_past_the_cores_release);
	tcase_add_test(tc, a_hand_over_from_a_node_outside_the_group_is_closed);
	tcase_add_test(tc, every_connection_that_comes_up_is_reported_at_both_ends);
	tcase_add_test(tc, a_peer_that_answers_keeps_its_connections);
	tcase_add_test(tc, a_peer_that_stops_answering_is_cut_off_within_the_bound_and_redialled);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(worker_transport_suite)
