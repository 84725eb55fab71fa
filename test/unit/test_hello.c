/* test_hello.c - unit tests for the raft_listen handshake and fd passing. */
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fdpass.h"
#include "common/hello.h"

START_TEST(hello_round_trips_cluster_node_and_group)
{
	struct hello h = {.from_node = 3};
	strcpy(h.cluster, "prod-eu");
	hello_group_name(h.group, sizeof(h.group), "orders.v2", 17);
	ck_assert_str_eq(h.group, "orders.v2/17");
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(hello_encode(&h, &b), 0);
	struct hello d;
	ck_assert_int_eq(hello_decode(b.data, b.len, &d), 0);
	ck_assert_str_eq(d.cluster, "prod-eu");
	ck_assert_int_eq(d.from_node, 3);
	ck_assert_str_eq(d.group, "orders.v2/17");
	char topic[256];
	int32_t part;
	ck_assert_int_eq(hello_group_parse(d.group, topic, sizeof(topic), &part), 0);
	ck_assert_str_eq(topic, "orders.v2");
	ck_assert_int_eq(part, 17);
	buf_free(&b);
}
END_TEST

START_TEST(hello_decode_rejects_truncation_wrong_type_and_bad_groups)
{
	struct hello h = {.from_node = 1};
	strcpy(h.cluster, "c");
	strcpy(h.group, "t/0");
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(hello_encode(&h, &b), 0);
	struct hello d;
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(hello_decode(b.data, n, &d), ERR_INVALID);
	buf_reset(&b);
	ck_assert_int_eq(hello_ack_encode(2, &b), 0);
	ck_assert_int_eq(hello_decode(b.data, b.len, &d), ERR_INVALID);
	char topic[8];
	int32_t part;
	ck_assert_int_eq(hello_group_parse("noslash", topic, sizeof(topic), &part), ERR_INVALID);
	ck_assert_int_eq(hello_group_parse("t/x1", topic, sizeof(topic), &part), ERR_INVALID);
	ck_assert_int_eq(hello_group_parse("/1", topic, sizeof(topic), &part), ERR_INVALID);
	ck_assert_int_eq(hello_group_parse("muchtoolongtopic/1", topic, sizeof(topic), &part),
			 ERR_INVALID);
	buf_free(&b);
}
END_TEST

START_TEST(hello_reply_tells_ack_from_reject_with_reason)
{
	struct buf b;
	buf_init(&b);
	bool ok;
	int32_t node;
	char reason[64];
	ck_assert_int_eq(hello_ack_encode(7, &b), 0);
	ck_assert_int_eq(hello_reply_decode(b.data, b.len, &ok, &node, reason, sizeof(reason)), 0);
	ck_assert(ok);
	ck_assert_int_eq(node, 7);
	buf_reset(&b);
	ck_assert_int_eq(hello_reject_encode("group orders/9 is not hosted here", &b), 0);
	ck_assert_int_eq(hello_reply_decode(b.data, b.len, &ok, &node, reason, sizeof(reason)), 0);
	ck_assert(!ok);
	ck_assert_str_eq(reason, "group orders/9 is not hosted here");
	buf_free(&b);
}
END_TEST

START_TEST(fdpass_moves_a_working_descriptor_and_the_node_id)
{
	int sp[2], pipefd[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(fdpass_send(sp[0], pipefd[1], 42), 0);
	close(pipefd[1]);
	int fd;
	int32_t node;
	ck_assert_int_eq(fdpass_recv(sp[1], &fd, &node), 0);
	ck_assert_int_eq(node, 42);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	char c;
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	ck_assert_int_eq(fdpass_recv(sp[1], &fd, &node), ERR_AGAIN);
	close(sp[0]);
	ck_assert_int_eq(fdpass_recv(sp[1], &fd, &node), ERR_CLOSED);
	close(sp[1]);
	close(pipefd[0]);
}
END_TEST

START_TEST(fdpass_recv_refuses_a_packet_without_descriptor)
{
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	ck_assert_int_eq(write(sp[0], "\0\0\0\1", 4), 4);
	int fd;
	int32_t node;
	ck_assert_int_eq(fdpass_recv(sp[1], &fd, &node), ERR_INVALID);
	close(sp[0]);
	close(sp[1]);
}
END_TEST

static Suite *hello_suite(void)
{
	Suite *s = suite_create("hello");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, hello_round_trips_cluster_node_and_group);
	tcase_add_test(tc, hello_decode_rejects_truncation_wrong_type_and_bad_groups);
	tcase_add_test(tc, hello_reply_tells_ack_from_reject_with_reason);
	tcase_add_test(tc, fdpass_moves_a_working_descriptor_and_the_node_id);
	tcase_add_test(tc, fdpass_recv_refuses_a_packet_without_descriptor);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(hello_suite)
