/* test_supervisor_accept.c - the raft_listen port end to end: a real
 * listener on loopback, clients that send hellos, and a fake worker that
 * holds the other end of a hand-off socketpair. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/err.h"
#include "common/fdpass.h"
#include "common/hello.h"
#include "common/peer_socket.h"
#include "fake_sup.h"
#include "supervisor/raft_accept.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

static struct sup s;
static struct raft_accept *ra;
static int port;
static int worker_end = -1; /* the fake worker's end of the hand-off pair */

static void setup(void)
{
	port = fake_free_port();
	char text[1024];
	snprintf(text, sizeof(text),
		 "[node]\nid = 1\nraft_listen = 127.0.0.1:%d\n"
		 "[cluster]\nname = green\nnode.1 = 127.0.0.1:9092,127.0.0.1:%d\n"
		 "node.2 = h2:1,h2:2\n[topic.t]\npartitions = 2\nreplication = 2\n",
		 port, port);
	fake_sup_init(&s, text);
	bool created;
	struct worker *w = workers_ensure(s.workers, "t", 0, &created);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	w->conn_fd = sv[0];
	w->pid = 999999; /* "running"; never signalled by these tests */
	worker_end = sv[1];
	workers_ensure(s.workers, "t", 1, &created); /* hosted, not running */
	ra = raft_accept_start(&s);
	ck_assert_ptr_nonnull(ra);
}

static void teardown(void)
{
	raft_accept_free(ra);
	struct worker *w = workers_find(s.workers, "t", 1, 0);
	w->pid = 0;
	fake_sup_free(&s);
	close(worker_end);
}

static void pump(int rounds)
{
	for (int i = 0; i < rounds; i++) {
		event_base_loop(s.base, EVLOOP_NONBLOCK);
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void send_hello(int fd, const char *cluster, int32_t from, const char *group,
		       const char *extra)
{
	struct hello h = {.from_node = from};
	snprintf(h.cluster, sizeof(h.cluster), "%s", cluster);
	snprintf(h.group, sizeof(h.group), "%s", group);
	struct buf b;
	buf_init(&b);
	buf_put_u32(&b, 0);
	ck_assert_int_eq(hello_encode(&h, &b), 0);
	buf_patch_u32(&b, 0, (uint32_t)(b.len - 4));
	if (extra)
		buf_put(&b, extra, strlen(extra));
	ck_assert_int_eq(write(fd, b.data, b.len), (ssize_t)b.len);
	buf_free(&b);
}

/* Reads one reply frame from fd while pumping the loop. Returns false on
 * EOF before a frame. */
static bool read_reply(int fd, bool *accepted, int32_t *node, char *reason, size_t reason_len)
{
	uint8_t data[2048];
	size_t got = 0;
	for (int i = 0; i < 1000; i++) {
		pump(1);
		ssize_t n = read(fd, data + got, sizeof(data) - got);
		if (n == 0)
			return false;
		if (n > 0)
			got += (size_t)n;
		if (got >= 4 && got >= 4 + be32_load(data)) {
			ck_assert_int_eq(hello_reply_decode(data + 4, be32_load(data), accepted,
							    node, reason, reason_len),
					 0);
			return true;
		}
	}
	ck_abort_msg("no reply within a second");
	return false;
}

static bool closed_soon(int fd)
{
	for (int i = 0; i < 1000; i++) {
		pump(1);
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
	}
	return false;
}

static void expect_reject(const char *cluster, int32_t from, const char *group, const char *why)
{
	int fd = dial();
	send_hello(fd, cluster, from, group, NULL);
	bool acc = true;
	int32_t node;
	char reason[128];
	ck_assert(read_reply(fd, &acc, &node, reason, sizeof(reason)));
	ck_assert(!acc);
	ck_assert_str_eq(reason, why);
	ck_assert(closed_soon(fd));
	close(fd);
}

START_TEST(hello_for_a_hosted_group_hands_the_connection_to_its_worker)
{
	int fd = dial();
	/* Bytes after the hello must stay in the socket for the worker. */
	send_hello(fd, "green", 2, "t/0", "XYZ");
	int got = -1;
	int32_t from = 0;
	for (int i = 0; i < 1000 && got < 0; i++) {
		pump(1);
		int rc = fdpass_recv(worker_end, &got, &from);
		ck_assert(rc == 0 || rc == ERR_AGAIN);
	}
	ck_assert_int_ge(got, 0);
	ck_assert_int_eq(from, 2);
	/* It arrives with the peer-socket options (keepalive, user timeout
	 * = the election timeout) already set. */
	int v = 0;
	socklen_t vl = sizeof(v);
	ck_assert_int_eq(getsockopt(got, SOL_SOCKET, SO_KEEPALIVE, &v, &vl), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(getsockopt(got, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl), 0);
	ck_assert_int_eq(v, PEER_KEEPIDLE_S);
	ck_assert_int_eq(getsockopt(got, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &vl), 0);
	ck_assert_int_eq(v, s.cfg->raft.election_timeout_ms);
	char buf[8] = {0};
	ssize_t n = -1;
	for (int i = 0; i < 1000 && n <= 0; i++) {
		n = read(got, buf, sizeof(buf) - 1);
		if (n <= 0)
			pump(1);
	}
	ck_assert_str_eq(buf, "XYZ");
	/* The worker answers on it; the dialer reads the ack. */
	struct buf b;
	buf_init(&b);
	buf_put_u32(&b, 0);
	hello_ack_encode(1, &b);
	buf_patch_u32(&b, 0, (uint32_t)(b.len - 4));
	ck_assert_int_eq(write(got, b.data, b.len), (ssize_t)b.len);
	buf_free(&b);
	bool acc = false;
	int32_t node = 0;
	char reason[64];
	ck_assert(read_reply(fd, &acc, &node, reason, sizeof(reason)));
	ck_assert(acc);
	ck_assert_int_eq(node, 1);
	/* The supervisor kept no copy: closing the worker's closes it. */
	close(got);
	ck_assert(closed_soon(fd));
	close(fd);
}
END_TEST

START_TEST(hellos_are_refused_with_the_reason)
{
	expect_reject("blue", 2, "t/0", "wrong cluster");
	expect_reject("green", 7, "t/0", "unknown node");
	expect_reject("green", 1, "t/0", "unknown node"); /* ourselves */
	expect_reject("green", 2, "t/9", "group not hosted here");
	expect_reject("green", 2, "u/0", "group not hosted here");
	expect_reject("green", 2, "t/1", "worker restarting");
	expect_reject("green", 2, "nonsense", "group not hosted here");
}
END_TEST

START_TEST(supervisor_channel_hello_is_acknowledged_by_the_supervisor)
{
	int fd = dial();
	send_hello(fd, "green", 2, "", NULL);
	bool acc = false;
	int32_t node = 0;
	char reason[64];
	ck_assert(read_reply(fd, &acc, &node, reason, sizeof(reason)));
	ck_assert(acc);
	ck_assert_int_eq(node, 1);
	close(fd);
}
END_TEST

START_TEST(garbage_and_oversized_hellos_are_closed)
{
	int fd = dial();
	uint8_t big[4];
	be32_store(big, HELLO_FRAME_MAX + 1);
	ck_assert_int_eq(write(fd, big, 4), 4);
	ck_assert(closed_soon(fd));
	close(fd);

	fd = dial();
	const uint8_t junk[] = {0, 0, 0, 3, 0xc1, 0xc1, 0xc1};
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	bool acc = true;
	int32_t node;
	char reason[64];
	ck_assert(read_reply(fd, &acc, &node, reason, sizeof(reason)));
	ck_assert(!acc);
	ck_assert_str_eq(reason, "garbled hello");
	close(fd);
}
END_TEST

START_TEST(the_check_alone_decides_like_the_listener)
{
	struct hello h = {.from_node = 2};
	strcpy(h.cluster, "green");
	strcpy(h.group, "t/0");
	ck_assert_ptr_null(raft_accept_check(&s, &h));
	strcpy(h.group, "");
	ck_assert_ptr_null(raft_accept_check(&s, &h));
	h.from_node = 3;
	ck_assert_str_eq(raft_accept_check(&s, &h), "unknown node");
}
END_TEST

Suite *supervisor_accept_suite(void)
{
	Suite *su = suite_create("supervisor_accept");
	TCase *tc = tcase_create("accept");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, hello_for_a_hosted_group_hands_the_connection_to_its_worker);
	tcase_add_test(tc, hellos_are_refused_with_the_reason);
	tcase_add_test(tc, supervisor_channel_hello_is_acknowledged_by_the_supervisor);
	tcase_add_test(tc, garbage_and_oversized_hellos_are_closed);
	tcase_add_test(tc, the_check_alone_decides_like_the_listener);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(supervisor_accept_suite)
