/* test_supervisor_peer_proto.c - the supervisor channel messages: LEADERS
 * and WORKER_DIED round trips, and strict decoding. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/err.h"
#include "supervisor/peer_proto.h"

START_TEST(leaders_round_trip_every_field_in_order)
{
	struct peer_claim in[3] = {
	    {.topic = "orders",
	     .partition = 0,
	     .role = 2,
	     .term = 7,
	     .leader = 2,
	     .commit_offset = 1234,
	     .caught_up = false},
	    {.topic = "orders",
	     .partition = 5,
	     .role = 0,
	     .term = 9,
	     .leader = 3,
	     .commit_offset = -1,
	     .caught_up = true},
	    {.topic = "a.b-c_d",
	     .partition = 2147483647,
	     .role = 1,
	     .term = UINT64_MAX,
	     .leader = -1,
	     .commit_offset = INT64_MAX,
	     .caught_up = false},
	};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_leaders_encode(2, true, in, 3, &b), 0);
	ck_assert_int_eq(peer_msg_type(b.data, b.len), PEER_LEADERS);
	int32_t node = 0;
	bool draining = false;
	struct peer_claim *out = NULL;
	int n = 0;
	ck_assert_int_eq(peer_leaders_decode(b.data, b.len, &node, &draining, &out, &n), 0);
	ck_assert_int_eq(node, 2);
	ck_assert(draining);
	ck_assert_int_eq(n, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(out[i].topic, in[i].topic);
		ck_assert_int_eq(out[i].partition, in[i].partition);
		ck_assert_int_eq(out[i].role, in[i].role);
		ck_assert_uint_eq(out[i].term, in[i].term);
		ck_assert_int_eq(out[i].leader, in[i].leader);
		ck_assert_int_eq(out[i].commit_offset, in[i].commit_offset);
		ck_assert_int_eq(out[i].caught_up, in[i].caught_up);
	}
	free(out);
	buf_free(&b);
}
END_TEST

START_TEST(an_empty_leaders_table_is_valid)
{
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_leaders_encode(4, false, NULL, 0, &b), 0);
	int32_t node = 0;
	bool draining = true;
	struct peer_claim *out = (struct peer_claim *)1;
	int n = -1;
	ck_assert_int_eq(peer_leaders_decode(b.data, b.len, &node, &draining, &out, &n), 0);
	ck_assert(!draining);
	ck_assert_int_eq(node, 4);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(out);
	buf_free(&b);
}
END_TEST

START_TEST(elect_round_trips_and_refuses_a_bad_target)
{
	struct peer_elect e = {.node = 2, .topic = "orders", .partition = 5, .target = 3};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_elect_encode(&e, &b), 0);
	ck_assert_int_eq(peer_msg_type(b.data, b.len), PEER_ELECT);
	struct peer_elect o;
	ck_assert_int_eq(peer_elect_decode(b.data, b.len, &o), 0);
	ck_assert_int_eq(o.node, 2);
	ck_assert_str_eq(o.topic, "orders");
	ck_assert_int_eq(o.partition, 5);
	ck_assert_int_eq(o.target, 3);
	struct peer_worker_died d;
	ck_assert_int_eq(peer_worker_died_decode(b.data, b.len, &d), ERR_INVALID);
	/* Truncated, and a target that is no node id. */
	ck_assert_int_eq(peer_elect_decode(b.data, b.len - 1, &o), ERR_INVALID);
	buf_reset(&b);
	e.target = 0;
	ck_assert_int_eq(peer_elect_encode(&e, &b), 0);
	ck_assert_int_eq(peer_elect_decode(b.data, b.len, &o), ERR_INVALID);
	buf_free(&b);
}
END_TEST

START_TEST(worker_died_round_trips)
{
	struct peer_worker_died d = {.node = 3, .topic = "t", .partition = 8, .term = 42};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_worker_died_encode(&d, &b), 0);
	ck_assert_int_eq(peer_msg_type(b.data, b.len), PEER_WORKER_DIED);
	struct peer_worker_died o;
	ck_assert_int_eq(peer_worker_died_decode(b.data, b.len, &o), 0);
	ck_assert_int_eq(o.node, 3);
	ck_assert_str_eq(o.topic, "t");
	ck_assert_int_eq(o.partition, 8);
	ck_assert_uint_eq(o.term, 42);
	/* The wrong decoder refuses it. */
	int32_t node;
	bool dr;
	struct peer_claim *c;
	int n;
	ck_assert_int_eq(peer_leaders_decode(b.data, b.len, &node, &dr, &c, &n), ERR_INVALID);
	buf_free(&b);
}
END_TEST

START_TEST(leader_silent_round_trips_and_is_not_a_worker_died)
{
	struct peer_worker_died d = {.node = 2, .topic = "orders", .partition = 5, .term = 7};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_leader_silent_encode(&d, &b), 0);
	ck_assert_int_eq(peer_msg_type(b.data, b.len), PEER_LEADER_SILENT);
	struct peer_worker_died o;
	ck_assert_int_eq(peer_leader_silent_decode(b.data, b.len, &o), 0);
	ck_assert_int_eq(o.node, 2);
	ck_assert_str_eq(o.topic, "orders");
	ck_assert_int_eq(o.partition, 5);
	ck_assert_uint_eq(o.term, 7);
	/* A silence is not a crash: the WORKER_DIED decoder refuses it, and
	 * the other way round. */
	ck_assert_int_eq(peer_worker_died_decode(b.data, b.len, &o), ERR_INVALID);
	buf_reset(&b);
	ck_assert_int_eq(peer_worker_died_encode(&d, &b), 0);
	ck_assert_int_eq(peer_leader_silent_decode(b.data, b.len, &o), ERR_INVALID);
	buf_free(&b);
}
END_TEST

START_TEST(goodbye_round_trips_and_its_reason_is_bounded)
{
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_goodbye_encode(2, "went silent", &b), 0);
	ck_assert_int_eq(peer_msg_type(b.data, b.len), PEER_GOODBYE);
	int32_t node = 0;
	char why[64];
	ck_assert_int_eq(peer_goodbye_decode(b.data, b.len, &node, why, sizeof(why)), 0);
	ck_assert_int_eq(node, 2);
	ck_assert_str_eq(why, "went silent");
	/* A small buffer gets a cut, terminated reason. */
	char small[5];
	ck_assert_int_eq(peer_goodbye_decode(b.data, b.len, &node, small, sizeof(small)), 0);
	ck_assert_str_eq(small, "went");
	ck_assert_int_eq(peer_goodbye_decode(b.data, b.len - 1, &node, why, sizeof(why)),
			 ERR_INVALID);
	struct peer_worker_died d;
	ck_assert_int_eq(peer_worker_died_decode(b.data, b.len, &d), ERR_INVALID);
	/* A long reason is cut to PEER_REASON_MAX when encoded. */
	char longr[400];
	memset(longr, 'x', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = '\0';
	buf_reset(&b);
	ck_assert_int_eq(peer_goodbye_encode(2, longr, &b), 0);
	char big[400];
	ck_assert_int_eq(peer_goodbye_decode(b.data, b.len, &node, big, sizeof(big)), 0);
	ck_assert_uint_eq(strlen(big), PEER_REASON_MAX);
	buf_free(&b);
}
END_TEST

START_TEST(decoders_refuse_truncation_trailing_bytes_and_bad_fields)
{
	struct peer_claim in = {.topic = "t", .partition = 1, .role = 2, .term = 3, .leader = 1};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_leaders_encode(1, false, &in, 1, &b), 0);
	int32_t node;
	bool dr;
	struct peer_claim *c;
	int n;
	for (size_t cut = 0; cut < b.len; cut++)
		ck_assert_int_eq(peer_leaders_decode(b.data, cut, &node, &dr, &c, &n), ERR_INVALID);
	buf_put_u8(&b, 0xc0); /* trailing nil */
	ck_assert_int_eq(peer_leaders_decode(b.data, b.len, &node, &dr, &c, &n), ERR_INVALID);
	buf_free(&b);

	/* A topic name Kafka would refuse, node 0, a role out of range. */
	struct peer_claim bad = in;
	strcpy(bad.topic, "a b");
	buf_init(&b);
	ck_assert_int_eq(peer_leaders_encode(1, false, &bad, 1, &b), 0);
	ck_assert_int_eq(peer_leaders_decode(b.data, b.len, &node, &dr, &c, &n), ERR_INVALID);
	buf_free(&b);
	buf_init(&b);
	ck_assert_int_eq(peer_leaders_encode(0, false, &in, 1, &b), 0);
	ck_assert_int_eq(peer_leaders_decode(b.data, b.len, &node, &dr, &c, &n), ERR_INVALID);
	buf_free(&b);
	bad = in;
	bad.role = 3;
	buf_init(&b);
	ck_assert_int_eq(peer_leaders_encode(1, false, &bad, 1, &b), 0);
	ck_assert_int_eq(peer_leaders_decode(b.data, b.len, &node, &dr, &c, &n), ERR_INVALID);
	buf_free(&b);

	const uint8_t junk[] = {0x93, 0x07, 0x01, 0x90};
	ck_assert_int_eq(peer_msg_type(junk, sizeof(junk)), ERR_INVALID);
	ck_assert_int_eq(peer_msg_type(junk, 1), ERR_INVALID);
}
END_TEST

START_TEST(topic_names_longer_than_kafka_allows_are_not_encoded)
{
	struct peer_worker_died d = {.node = 1, .partition = 0, .term = 1};
	memset(d.topic, 'x', sizeof(d.topic) - 1);
	d.topic[sizeof(d.topic) - 1] = '\0';
	struct buf b;
	buf_init(&b);
	/* 249 characters is the limit and fits. */
	ck_assert_int_eq(peer_worker_died_encode(&d, &b), 0);
	struct peer_worker_died o;
	ck_assert_int_eq(peer_worker_died_decode(b.data, b.len, &o), 0);
	ck_assert_int_eq((int)strlen(o.topic), 249);
	buf_free(&b);
}
END_TEST

Suite *supervisor_peer_proto_suite(void)
{
	Suite *s = suite_create("supervisor_peer_proto");
	TCase *tc = tcase_create("peer_proto");
	tcase_add_test(tc, leaders_round_trip_every_field_in_order);
	tcase_add_test(tc, an_empty_leaders_table_is_valid);
	tcase_add_test(tc, worker_died_round_trips);
	tcase_add_test(tc, leader_silent_round_trips_and_is_not_a_worker_died);
	tcase_add_test(tc, goodbye_round_trips_and_its_reason_is_bounded);
	tcase_add_test(tc, decoders_refuse_truncation_trailing_bytes_and_bad_fields);
	tcase_add_test(tc, topic_names_longer_than_kafka_allows_are_not_encoded);
	tcase_add_test(tc, elect_round_trips_and_refuses_a_bad_target);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(supervisor_peer_proto_suite)
