/* test_common.c - unit tests for buf, arena, frame and ipc in common/. */
#include <check.h>
#include <event2/buffer.h>
#include <stdint.h>
#include <string.h>

#include "check_main.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/frame.h"
#include "common/ipc.h"
#include "common/kafka/kerr.h"

START_TEST(uvarint_and_zigzag_varint_round_trip_and_match_known_bytes)
{
	struct buf b;
	buf_init(&b);
	buf_put_varint(&b, 0);
	buf_put_varint(&b, -1);
	buf_put_varint(&b, 1);
	buf_put_varint(&b, 63);
	buf_put_varint(&b, 64);
	const uint8_t want[] = {0x00, 0x01, 0x02, 0x7e, 0x80, 0x01};
	ck_assert_uint_eq(b.len, sizeof(want));
	ck_assert_mem_eq(b.data, want, sizeof(want));
	buf_reset(&b);
	buf_put_uvarint(&b, 300);
	ck_assert_uint_eq(b.len, 2);
	struct reader r;
	reader_init(&r, b.data, b.len);
	ck_assert_uint_eq(reader_uvarint(&r), 300);
	ck_assert_int_eq(r.err, 0);
	buf_free(&b);
}
END_TEST

START_TEST(reader_past_end_sets_truncated_and_returns_zero)
{
	const uint8_t d[] = {1, 2, 3};
	struct reader r;
	reader_init(&r, d, sizeof(d));
	ck_assert_uint_eq(reader_u16(&r), 0x0102);
	ck_assert_uint_eq(reader_u32(&r), 0);
	ck_assert_int_eq(r.err, ERR_TRUNCATED);
}
END_TEST

START_TEST(arena_returns_zeroed_aligned_memory_and_survives_reset)
{
	struct arena a;
	arena_init(&a);
	for (int i = 0; i < 1000; i++) {
		unsigned char *p = arena_alloc(&a, 100);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % 16, 0);
		ck_assert_uint_eq(p[99], 0);
		memset(p, 0xff, 100);
	}
	arena_reset(&a);
	unsigned char *big = arena_alloc(&a, 100000);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_eq(big[0], 0);
	arena_free(&a);
}
END_TEST

START_TEST(frame_pull_waits_for_whole_frame_and_refuses_oversize)
{
	struct evbuffer *ev = evbuffer_new();
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(frame_push(ev, "hello", 5), 0);
	/* Cut the frame: only the header and 2 bytes are available. */
	struct evbuffer *part = evbuffer_new();
	evbuffer_remove_buffer(ev, part, 6);
	ck_assert_int_eq(frame_pull(part, 1024, &out), 0);
	evbuffer_add_buffer(part, ev);
	ck_assert_int_eq(frame_pull(part, 1024, &out), 1);
	ck_assert_uint_eq(out.len, 5);
	ck_assert_mem_eq(out.data, "hello", 5);
	ck_assert_int_eq(frame_push(part, "0123456789", 10), 0);
	ck_assert_int_eq(frame_pull(part, 9, &out), ERR_TOOBIG);
	evbuffer_free(ev);
	evbuffer_free(part);
	buf_free(&out);
}
END_TEST

/* Encodes m into b (kept: a decoded message borrows from it) and decodes
 * it into d; both must succeed. */
static void round_trip(const struct ipc_msg *m, struct buf *b, struct ipc_msg *d)
{
	ck_assert_int_eq(ipc_encode(m, b), 0);
	ck_assert_int_eq(ipc_decode(b->data, b->len, d), 0);
}

START_TEST(ipc_fetch_result_round_trips_with_borrowed_records)
{
	struct ipc_msg m = {.type = IPC_FETCH_RESULT};
	m.u.fetch_result.req_id = 77;
	m.u.fetch_result.error = 6;
	m.u.fetch_result.high_watermark = 1234567890123LL;
	m.u.fetch_result.last_stable_offset = -1;
	m.u.fetch_result.log_start_offset = 0;
	m.u.fetch_result.records = (const uint8_t *)"batch";
	m.u.fetch_result.records_len = 5;
	struct buf b;
	buf_init(&b);
	struct ipc_msg d;
	round_trip(&m, &b, &d);
	ck_assert_int_eq(d.type, IPC_FETCH_RESULT);
	ck_assert_uint_eq(d.u.fetch_result.req_id, 77);
	ck_assert_int_eq(d.u.fetch_result.error, 6);
	ck_assert_int_eq(d.u.fetch_result.high_watermark, 1234567890123LL);
	ck_assert_int_eq(d.u.fetch_result.last_stable_offset, -1);
	ck_assert_uint_eq(d.u.fetch_result.records_len, 5);
	ck_assert_mem_eq(d.u.fetch_result.records, "batch", 5);
	/* The bytes point into the frame, not a freed zone. */
	ck_assert(d.u.fetch_result.records >= b.data && d.u.fetch_result.records < b.data + b.len);
	buf_free(&b);
}
END_TEST

/* ipc_encode_head leaves a trailing byte string out of the buffer and names
 * it instead; head then tail is ipc_encode's output byte for byte, and
 * frame_push2 sends the two as one frame. */
START_TEST(ipc_encode_head_and_tail_are_ipc_encode_and_frame_as_one)
{
	static uint8_t records[70000]; /* bin32 */
	for (size_t i = 0; i < sizeof(records); i++)
		records[i] = (uint8_t)(i * 7);
	struct ipc_msg msgs[4] = {{.type = IPC_PRODUCE},
				  {.type = IPC_FETCH_RESULT},
				  {.type = IPC_PRODUCERS_RESULT},
				  {.type = IPC_PRODUCE_RESULT}};
	msgs[0].u.produce = (struct ipc_produce){
	    .req_id = 5, .acks = -1, .timeout_ms = 3000, .records = records, .records_len = 70000};
	msgs[1].u.fetch_result = (struct ipc_fetch_result){
	    .req_id = 6, .high_watermark = 9, .records = records, .records_len = 300};
	msgs[2].u.producers_result =
	    (struct ipc_producers_result){.req_id = 7, .producers = records, .producers_len = 3};
	msgs[3].u.produce_result = (struct ipc_produce_result){.req_id = 8, .base_offset = 42};
	size_t want_tail[4] = {70000, 300, 3, 0};
	for (int i = 0; i < 4; i++) {
		struct buf whole, head;
		buf_init(&whole);
		buf_init(&head);
		struct ipc_tail tail = {.data = (const uint8_t *)"x", .len = 99};
		ck_assert_int_eq(ipc_encode(&msgs[i], &whole), 0);
		ck_assert_int_eq(ipc_encode_head(&msgs[i], &head, &tail), 0);
		ck_assert_uint_eq(tail.len, want_tail[i]);
		ck_assert_uint_eq(head.len + tail.len, whole.len);
		ck_assert_mem_eq(head.data, whole.data, head.len);
		if (tail.len) {
			ck_assert_ptr_eq(tail.data, records); /* borrowed, not copied */
			ck_assert_mem_eq(whole.data + head.len, tail.data, tail.len);
		}
		struct evbuffer *ev = evbuffer_new();
		struct buf got;
		buf_init(&got);
		ck_assert_int_eq(frame_push2(ev, head.data, head.len, tail.data, tail.len), 0);
		ck_assert_int_eq(frame_pull(ev, 1 << 20, &got), 1);
		ck_assert_uint_eq(got.len, whole.len);
		ck_assert_mem_eq(got.data, whole.data, whole.len);
		ck_assert_uint_eq(evbuffer_get_length(ev), 0);
		evbuffer_free(ev);
		buf_free(&got);
		buf_free(&whole);
		buf_free(&head);
	}
}
END_TEST

START_TEST(arena_alloc_bytes_is_aligned_and_distinct)
{
	struct arena a;
	arena_init(&a);
	uint8_t *p = arena_alloc_bytes(&a, 5);
	uint8_t *q = arena_alloc_bytes(&a, 100000); /* a block of its own */
	uint8_t *z = arena_alloc(&a, 33);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(z);
	ck_assert_uint_eq((uintptr_t)p % 16, 0);
	ck_assert_uint_eq((uintptr_t)q % 16, 0);
	memset(p, 0xff, 5);
	memset(q, 0xee, 100000);
	for (int i = 0; i < 33; i++)
		ck_assert_uint_eq(z[i], 0); /* arena_alloc still zeroes */
	ck_assert_uint_eq(p[4], 0xff);
	ck_assert_uint_eq(q[99999], 0xee);
	arena_free(&a);
}
END_TEST

START_TEST(ipc_resigned_round_trips_its_term)
{
	struct ipc_msg m = {.type = IPC_RESIGNED, .u.resigned = {.term = (1ull << 40) + 7}};
	struct buf b;
	buf_init(&b);
	struct ipc_msg d;
	round_trip(&m, &b, &d);
	ck_assert_int_eq(d.type, IPC_RESIGNED);
	ck_assert_uint_eq(d.u.resigned.term, (1ull << 40) + 7);
	/* a frame of the wrong arity is refused, not half read */
	ck_assert_int_ne(ipc_decode(b.data, b.len - 1, &d), 0);
	buf_free(&b);
}
END_TEST

START_TEST(ipc_epoch_end_and_producers_round_trip)
{
	struct ipc_msg m = {.type = IPC_EPOCH_END};
	m.u.epoch_end =
	    (struct ipc_epoch_end){.req_id = 9, .leader_epoch = 4, .current_leader_epoch = -1};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	struct ipc_msg d;
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_EPOCH_END);
	ck_assert_uint_eq(d.u.epoch_end.req_id, 9);
	ck_assert_int_eq(d.u.epoch_end.leader_epoch, 4);
	ck_assert_int_eq(d.u.epoch_end.current_leader_epoch, -1);

	buf_reset(&b);
	m = (struct ipc_msg){.type = IPC_EPOCH_END_RESULT};
	m.u.epoch_end_result = (struct ipc_epoch_end_result){
	    .req_id = 10, .error = 74, .leader_epoch = 3, .end_offset = 1LL << 40};
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_EPOCH_END_RESULT);
	ck_assert_uint_eq(d.u.epoch_end_result.req_id, 10);
	ck_assert_int_eq(d.u.epoch_end_result.error, 74);
	ck_assert_int_eq(d.u.epoch_end_result.leader_epoch, 3);
	ck_assert_int_eq(d.u.epoch_end_result.end_offset, 1LL << 40);

	buf_reset(&b);
	m = (struct ipc_msg){.type = IPC_PRODUCERS};
	m.u.producers.req_id = 11;
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_PRODUCERS);
	ck_assert_uint_eq(d.u.producers.req_id, 11);

	uint8_t recs[2 * IPC_PRODUCER_LEN];
	for (size_t i = 0; i < sizeof(recs); i++)
		recs[i] = (uint8_t)i;
	buf_reset(&b);
	m = (struct ipc_msg){.type = IPC_PRODUCERS_RESULT};
	m.u.producers_result = (struct ipc_producers_result){
	    .req_id = 12, .error = 0, .producers = recs, .producers_len = sizeof(recs)};
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_PRODUCERS_RESULT);
	ck_assert_uint_eq(d.u.producers_result.req_id, 12);
	ck_assert_uint_eq(d.u.producers_result.producers_len, sizeof(recs));
	ck_assert_mem_eq(d.u.producers_result.producers, recs, sizeof(recs));

	buf_reset(&b);
	struct ipc_msg dm;
	dm = (struct ipc_msg){.type = IPC_DELETE_RECORDS};
	dm.u.delete_records =
	    (struct ipc_delete_records){.req_id = 13, .offset = -1, .timeout_ms = 900};
	ck_assert_int_eq(ipc_encode(&dm, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_DELETE_RECORDS);
	ck_assert_uint_eq(d.u.delete_records.req_id, 13);
	ck_assert_int_eq(d.u.delete_records.offset, -1);
	ck_assert_int_eq(d.u.delete_records.timeout_ms, 900);
	buf_reset(&b);
	dm = (struct ipc_msg){.type = IPC_DELETE_RECORDS_RESULT};
	dm.u.delete_records_result = (struct ipc_delete_records_result){
	    .req_id = 14, .error = 1, .low_watermark = 1LL << 41};
	ck_assert_int_eq(ipc_encode(&dm, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_DELETE_RECORDS_RESULT);
	ck_assert_uint_eq(d.u.delete_records_result.req_id, 14);
	ck_assert_int_eq(d.u.delete_records_result.error, 1);
	ck_assert_int_eq(d.u.delete_records_result.low_watermark, 1LL << 41);
	/* A type in a gap of the numbering (16..29 today) is refused. */
	b.data[1] = 20;
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), ERR_INVALID);

	/* A producer list that is not whole records is refused. */
	buf_reset(&b);
	m.u.producers_result.producers_len = IPC_PRODUCER_LEN + 1;
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), ERR_INVALID);
	buf_free(&b);
}
END_TEST

START_TEST(ipc_group_request_and_result_round_trip)
{
	struct buf b;
	buf_init(&b);
	const uint8_t body[] = {0, 1, 'g', 0xff, 0};
	struct ipc_msg m = {.type = IPC_GROUP}, d;
	m.u.group = (struct ipc_group){.req_id = 77,
				       .api_key = 11,
				       .api_version = 9,
				       .client_id = (const uint8_t *)"rdkafka",
				       .client_id_len = 7,
				       .client_host = (const uint8_t *)"/127.0.0.1",
				       .client_host_len = 10,
				       .body = body,
				       .body_len = sizeof(body)};
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_GROUP);
	ck_assert_uint_eq(d.u.group.req_id, 77);
	ck_assert_int_eq(d.u.group.api_key, 11);
	ck_assert_int_eq(d.u.group.api_version, 9);
	ck_assert_uint_eq(d.u.group.client_id_len, 7);
	ck_assert_mem_eq(d.u.group.client_id, "rdkafka", 7);
	ck_assert_uint_eq(d.u.group.client_host_len, 10);
	ck_assert_mem_eq(d.u.group.client_host, "/127.0.0.1", 10);
	ck_assert_uint_eq(d.u.group.body_len, sizeof(body));
	ck_assert_mem_eq(d.u.group.body, body, sizeof(body));
	buf_reset(&b);
	m = (struct ipc_msg){.type = IPC_GROUP_RESULT};
	m.u.group_result = (struct ipc_group_result){.req_id = 78, .body = body, .body_len = 3};
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_GROUP_RESULT);
	ck_assert_uint_eq(d.u.group_result.req_id, 78);
	ck_assert_uint_eq(d.u.group_result.body_len, 3);
	ck_assert_mem_eq(d.u.group_result.body, body, 3);
	buf_reset(&b);
	m = (struct ipc_msg){.type = IPC_GROUP_STATUS};
	m.u.group_status = (struct ipc_group_status){
	    .groups = {1, 2, 3, 4, 5}, .members = 6, .rebalances = 7, .commits = 8, .expired = 9};
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_GROUP_STATUS);
	for (int i = 0; i < IPC_GROUP_STATES; i++)
		ck_assert_uint_eq(d.u.group_status.groups[i], (uint64_t)i + 1);
	ck_assert_uint_eq(d.u.group_status.members, 6);
	ck_assert_uint_eq(d.u.group_status.rebalances, 7);
	ck_assert_uint_eq(d.u.group_status.commits, 8);
	ck_assert_uint_eq(d.u.group_status.expired, 9);
	ck_assert_uint_eq(d.u.group_status.report_len, 0);
	buf_reset(&b);
	m.u.group_status.report = (const uint8_t *)"{\"group\":\"g\"}";
	m.u.group_status.report_len = 13;
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_uint_eq(d.u.group_status.report_len, 13);
	ck_assert_mem_eq(d.u.group_status.report, "{\"group\":\"g\"}", 13);
	/* A type in another issue's range (16-39) is not a message. */
	buf_reset(&b);
	const uint8_t gap[] = {0x91, 20}; /* msgpack [20] */
	ck_assert_int_eq(ipc_decode(gap, sizeof(gap), &d), ERR_INVALID);
	buf_free(&b);
}
END_TEST

START_TEST(ipc_status_round_trips_every_cluster_field)
{
	struct ipc_msg m = {.type = IPC_STATUS};
	m.u.status = (struct ipc_status){
	    .role = IPC_ROLE_FOLLOWER,
	    .term = 7,
	    .leader_node = 3,
	    .commit_index = 41,
	    .high_watermark = 900,
	    .log_start_offset = 12,
	    .elections = 2,
	    .leader_changes = 4,
	    .lower_term_messages = 5,
	    .commit_offset = 900,
	    .log_checksum = 0xfedcba9876543210ULL,
	    .last_index = 44,
	    .match_lag = 0,
	    .caught_up = true,
	    .storage_used_bytes = 3ULL << 32,
	    .storage_map_bytes = 1ULL << 40,
	};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	struct ipc_msg d;
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_int_eq(d.type, IPC_STATUS);
	ck_assert_int_eq(d.u.status.role, IPC_ROLE_FOLLOWER);
	ck_assert_uint_eq(d.u.status.term, 7);
	ck_assert_int_eq(d.u.status.leader_node, 3);
	ck_assert_uint_eq(d.u.status.commit_index, 41);
	ck_assert_int_eq(d.u.status.high_watermark, 900);
	ck_assert_int_eq(d.u.status.log_start_offset, 12);
	ck_assert_uint_eq(d.u.status.elections, 2);
	ck_assert_uint_eq(d.u.status.leader_changes, 4);
	ck_assert_uint_eq(d.u.status.lower_term_messages, 5);
	ck_assert_int_eq(d.u.status.commit_offset, 900);
	ck_assert_uint_eq(d.u.status.log_checksum, 0xfedcba9876543210ULL);
	ck_assert_uint_eq(d.u.status.last_index, 44);
	ck_assert_uint_eq(d.u.status.match_lag, 0);
	ck_assert(d.u.status.caught_up);
	ck_assert_uint_eq(d.u.status.storage_used_bytes, 3ULL << 32);
	ck_assert_uint_eq(d.u.status.storage_map_bytes, 1ULL << 40);
	/* A leader with a lagging follower, and caught_up false. */
	m.u.status.role = IPC_ROLE_LEADER;
	m.u.status.match_lag = 17;
	m.u.status.caught_up = false;
	m.u.status.storage_used_bytes = 5;
	m.u.status.storage_map_bytes = 9;
	buf_reset(&b);
	ck_assert_int_eq(ipc_encode(&m, &b), 0);
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	ck_assert_uint_eq(d.u.status.match_lag, 17);
	ck_assert(!d.u.status.caught_up);
	ck_assert_uint_eq(d.u.status.storage_used_bytes, 5);
	ck_assert_uint_eq(d.u.status.storage_map_bytes, 9);
	/* The storage fields come last but one, as positive fixints (5, 9), before
	 * quiesced (false). */
	ck_assert_uint_eq(b.data[b.len - 3], 0x05);
	ck_assert_uint_eq(b.data[b.len - 2], 0x09);
	/* caught_up must be a msgpack boolean: patch its byte (false, 0xc2,
	 * just before them) into the integer 0 and the decoder refuses it. */
	ck_assert_uint_eq(b.data[b.len - 4], 0xc2);
	b.data[b.len - 4] = 0x00;
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), ERR_INVALID);
	b.data[b.len - 4] = 0xc2;
	/* A storage figure must be unsigned: -1 (0xff) is refused. */
	b.data[b.len - 2] = 0xff;
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), ERR_INVALID);
	/* The old 15-element status (no storage or quiesced fields) is refused too: both
	 * sides are built from the same tree. */
	b.data[b.len - 2] = 0x09;
	ck_assert_uint_eq(b.data[0], 0xdc); /* array16 of 18 */
	ck_assert_uint_eq(b.data[2], 18);
	uint8_t old[64];
	ck_assert_uint_le(b.len - 5, sizeof(old));
	old[0] = 0x9f; /* fixarray of 15 */
	memcpy(old + 1, b.data + 3, b.len - 6);
	ck_assert_int_eq(ipc_decode(old, b.len - 5, &d), ERR_INVALID);
	/* ... while the 18-element original still decodes. */
	ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
	buf_free(&b);
}
END_TEST

START_TEST(ipc_decode_rejects_garbage_wrong_arity_and_wrong_kinds)
{
	const uint8_t garbage[] = {0xc1, 0x00, 0xff};
	struct ipc_msg d;
	ck_assert_int_eq(ipc_decode(garbage, sizeof(garbage), &d), ERR_INVALID);
	/* [2, 1] : a produce result with too few fields */
	const uint8_t short_arr[] = {0x92, 0x02, 0x01};
	ck_assert_int_eq(ipc_decode(short_arr, sizeof(short_arr), &d), ERR_INVALID);
	/* [5, "x"] : fetch cancel whose req_id is a string */
	const uint8_t wrong_kind[] = {0x92, 0x05, 0xa1, 'x'};
	ck_assert_int_eq(ipc_decode(wrong_kind, sizeof(wrong_kind), &d), ERR_INVALID);
	/* [99] : unknown type */
	const uint8_t unknown[] = {0x91, 0x63};
	ck_assert_int_eq(ipc_decode(unknown, sizeof(unknown), &d), ERR_INVALID);
}
END_TEST

/* The whole ERR_* x context table, as the callers answered before it was
 * one table: forwarding (supervisor -> worker), batch validation, the Raft
 * append and log reads. */
START_TEST(kerr_from_err_maps_every_error_in_every_context)
{
	enum { F, B, A, R };
	static const struct {
		int err;
		int16_t want[4]; /* FORWARD, BATCH, APPEND, READ */
	} cases[] = {
	    {ERR_OK, {KERR_NONE, KERR_NONE, KERR_NONE, KERR_NONE}},
	    {ERR_NOMEM,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_IO,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_INVALID,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_CORRUPT,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_NOSPACE,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_NOTFOUND,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_OFFSET_OUT_OF_RANGE}},
	    {ERR_TOOBIG,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_MESSAGE_TOO_LARGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_TRUNCATED,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_UNSUPPORTED,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT,
	      KERR_KAFKA_STORAGE_ERROR, KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_COMPACTED,
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {ERR_NOTLEADER,
	     {KERR_NOT_LEADER_OR_FOLLOWER, KERR_CORRUPT_MESSAGE, KERR_NOT_LEADER_OR_FOLLOWER,
	      KERR_KAFKA_STORAGE_ERROR}},
	    {-99, /* not an ERR_* at all */
	     {KERR_UNKNOWN_SERVER_ERROR, KERR_CORRUPT_MESSAGE, KERR_KAFKA_STORAGE_ERROR,
	      KERR_KAFKA_STORAGE_ERROR}},
	};
	static const enum kerr_ctx ctx[4] = {[F] = KERR_CTX_FORWARD,
					     [B] = KERR_CTX_BATCH,
					     [A] = KERR_CTX_APPEND,
					     [R] = KERR_CTX_READ};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int c = 0; c < 4; c++)
			ck_assert_msg(kerr_from_err(cases[i].err, ctx[c]) == cases[i].want[c],
				      "%s in context %d: got %s, want %s", err_str(cases[i].err), c,
				      kerr_name(kerr_from_err(cases[i].err, ctx[c])),
				      kerr_name(cases[i].want[c]));
	ck_assert_int_eq(kerr_from_err(ERR_NOTLEADER, KERR_CTX_COUNT), KERR_UNKNOWN_SERVER_ERROR);
	ck_assert_str_eq(kerr_name(KERR_NOT_LEADER_OR_FOLLOWER), "NOT_LEADER_OR_FOLLOWER");
}
END_TEST

static Suite *common_suite(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, uvarint_and_zigzag_varint_round_trip_and_match_known_bytes);
	tcase_add_test(tc, reader_past_end_sets_truncated_and_returns_zero);
	tcase_add_test(tc, arena_returns_zeroed_aligned_memory_and_survives_reset);
	tcase_add_test(tc, frame_pull_waits_for_whole_frame_and_refuses_oversize);
	tcase_add_test(tc, ipc_fetch_result_round_trips_with_borrowed_records);
	tcase_add_test(tc, ipc_status_round_trips_every_cluster_field);
	tcase_add_test(tc, ipc_group_request_and_result_round_trip);
	tcase_add_test(tc, ipc_epoch_end_and_producers_round_trip);
	tcase_add_test(tc, ipc_resigned_round_trips_its_term);
	tcase_add_test(tc, ipc_encode_head_and_tail_are_ipc_encode_and_frame_as_one);
	tcase_add_test(tc, arena_alloc_bytes_is_aligned_and_distinct);
	tcase_add_test(tc, ipc_decode_rejects_garbage_wrong_arity_and_wrong_kinds);
	tcase_add_test(tc, kerr_from_err_maps_every_error_in_every_context);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(common_suite)
