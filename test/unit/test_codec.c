/* test_codec.c - unit tests for the generated Kafka codec in common/kafka/.
 *
 * Round trips every version of every API with every field set, decodes
 * request frames recorded from real clients (codec_golden.h) and checks the
 * hostile-input paths: truncation at every length, huge counts, unknown tags. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kafka_header.h"
#include "common/kafka/kafka_wire.h"
#include "common/kafka/kerr.h"

#include "codec_golden.h"

/* ---- the filler's helpers, then the generated fillers */

struct fill_ctx {
	struct arena *a;
	uint32_t seed;
	int nulls; /* set every nullable field to null where the version allows it */
};

static uint32_t fill_next(struct fill_ctx *c) { return c->seed++; }

static void *fill_alloc(struct fill_ctx *c, size_t n)
{
	void *p = arena_alloc(c->a, n);
	ck_assert_ptr_nonnull(p);
	return p;
}

static struct kafka_str fill_str(struct fill_ctx *c)
{
	char *p = fill_alloc(c, 16);
	int n = snprintf(p, 16, "s%u", (unsigned)fill_next(c));
	return (struct kafka_str){p, n};
}

static struct kafka_bytes fill_bytes(struct fill_ctx *c)
{
	uint8_t *p = fill_alloc(c, 5);
	for (int i = 0; i < 5; i++)
		p[i] = (uint8_t)fill_next(c);
	return (struct kafka_bytes){p, 5};
}

static void fill_uuid(struct fill_ctx *c, struct kafka_uuid *u)
{
	for (int i = 0; i < 16; i++)
		u->b[i] = (uint8_t)(fill_next(c) | 1);
}

#include "common/kafka/gen/codec_fill.h"

static const struct fill_api *fill_api_find(int16_t key)
{
	for (size_t i = 0; i < sizeof(fill_apis) / sizeof(fill_apis[0]); i++)
		if (fill_apis[i].api_key == key)
			return &fill_apis[i];
	ck_abort_msg("api %d has no filler", key);
	return NULL;
}

static int is_clean_failure(int rc) { return rc == ERR_TRUNCATED || rc == ERR_INVALID; }

static int generic_decode(int resp, int16_t key, int16_t v, struct reader *r, struct arena *a,
			  void **out)
{
	return resp ? kafka_response_decode(key, v, r, a, out)
		    : kafka_request_decode(key, v, r, a, out);
}

static int generic_encode(int resp, int16_t key, int16_t v, struct buf *b, const void *m)
{
	return resp ? kafka_response_encode(key, v, b, m) : kafka_request_encode(key, v, b, m);
}

/* init -> fill -> encode -> decode -> encode, the two encodings must match;
 * optionally every strict prefix of the encoding must fail to decode. */
static void round_trip_one(const struct fill_api *api, int16_t v, int resp, int nulls, int truncate)
{
	struct arena a;
	arena_init(&a);
	struct fill_ctx c = {&a, 1, nulls};
	void *m = fill_alloc(&c, resp ? api->resp_size : api->req_size);
	(resp ? api->resp_init : api->req_init)(m);
	struct buf plain, b1, b2;
	buf_init(&plain);
	buf_init(&b1);
	buf_init(&b2);
	ck_assert_int_eq(generic_encode(resp, api->api_key, v, &plain, m), 0);
	(resp ? api->resp_fill : api->req_fill)(m, v, &c);
	int rc = generic_encode(resp, api->api_key, v, &b1, m);
	ck_assert_msg(rc == 0, "api %d v%d %s encode: %s", api->api_key, v, resp ? "resp" : "req",
		      err_str(rc));
	if (c.seed > 1 && !nulls)
		ck_assert_msg(
		    b1.len != plain.len || (b1.len > 0 && memcmp(b1.data, plain.data, b1.len) != 0),
		    "api %d v%d: filled message encodes like a default one", api->api_key, v);

	struct reader r;
	reader_init(&r, b1.data, b1.len);
	void *d = NULL;
	rc = generic_decode(resp, api->api_key, v, &r, &a, &d);
	ck_assert_msg(rc == 0, "api %d v%d %s decode: %s", api->api_key, v, resp ? "resp" : "req",
		      err_str(rc));
	ck_assert_uint_eq(reader_left(&r), 0);
	ck_assert_int_eq(generic_encode(resp, api->api_key, v, &b2, d), 0);
	ck_assert_uint_eq(b2.len, b1.len);
	ck_assert_msg(b1.len == 0 || memcmp(b1.data, b2.data, b1.len) == 0,
		      "api %d v%d %s: re-encoding differs", api->api_key, v, resp ? "resp" : "req");

	for (size_t n = 0; truncate && n < b1.len; n++) {
		reader_init(&r, b1.data, n);
		rc = generic_decode(resp, api->api_key, v, &r, &a, &d);
		ck_assert_msg(is_clean_failure(rc), "api %d v%d cut at %zu/%zu: rc %d",
			      api->api_key, v, n, b1.len, rc);
	}
	buf_free(&plain);
	buf_free(&b1);
	buf_free(&b2);
	arena_free(&a);
}

static void round_trip_api(int16_t key, int truncate)
{
	const struct fill_api *api = fill_api_find(key);
	const struct kafka_api_info *info = kafka_api_lookup(key);
	ck_assert_ptr_nonnull(info);
	int versions = 0;
	for (int16_t v = info->min_version; v <= info->max_version; v++) {
		for (int resp = 0; resp < 2; resp++) {
			round_trip_one(api, v, resp, 0, truncate);
			round_trip_one(api, v, resp, 1, truncate);
		}
		versions++;
	}
	ck_assert_int_eq(versions, info->max_version - info->min_version + 1);
}

START_TEST(api_versions_round_trips_every_version_with_every_field_set)
{
	ck_assert_int_eq(kafka_api_lookup(KAFKA_API_API_VERSIONS)->max_version, 4);
	round_trip_api(KAFKA_API_API_VERSIONS, 1);
}
END_TEST

START_TEST(metadata_round_trips_every_version_with_every_field_set)
{
	ck_assert_int_eq(kafka_api_lookup(KAFKA_API_METADATA)->max_version, 12);
	round_trip_api(KAFKA_API_METADATA, 1);
}
END_TEST

START_TEST(produce_round_trips_every_version_with_every_field_set)
{
	ck_assert_int_eq(kafka_api_lookup(KAFKA_API_PRODUCE)->max_version, 11);
	round_trip_api(KAFKA_API_PRODUCE, 1);
}
END_TEST

START_TEST(fetch_round_trips_every_version_with_every_field_set)
{
	ck_assert_int_eq(kafka_api_lookup(KAFKA_API_FETCH)->max_version, 17);
	round_trip_api(KAFKA_API_FETCH, 1);
}
END_TEST

START_TEST(list_offsets_round_trips_every_version_with_every_field_set)
{
	ck_assert_int_eq(kafka_api_lookup(KAFKA_API_LIST_OFFSETS)->max_version, 10);
	round_trip_api(KAFKA_API_LIST_OFFSETS, 1);
}
END_TEST

START_TEST(every_other_api_round_trips_every_version)
{
	size_t n = sizeof(fill_apis) / sizeof(fill_apis[0]);
	ck_assert_uint_ge(n, 70);
	for (size_t i = 0; i < n; i++)
		round_trip_api(fill_apis[i].api_key, 0);
}
END_TEST

START_TEST(headers_round_trip_every_version)
{
	for (int16_t v = 0; v <= 2; v++) {
		for (int nulls = 0; nulls < 2; nulls++) {
			struct arena a;
			arena_init(&a);
			struct fill_ctx c = {&a, 7, nulls};
			struct kafka_request_header h, d;
			kafka_request_header_init(&h);
			fill_request_header(&h, v, &c);
			struct buf b1, b2;
			buf_init(&b1);
			buf_init(&b2);
			ck_assert_int_eq(kafka_request_header_encode(&b1, v, &h), 0);
			/* ClientId keeps its int16 length even in the flexible v2 */
			size_t want =
			    8 +
			    (v >= 1 ? 2 + (size_t)(h.client_id.len > 0 ? h.client_id.len : 0) : 0) +
			    (v >= 2 ? 1 : 0);
			ck_assert_uint_eq(b1.len, want);
			struct reader r;
			reader_init(&r, b1.data, b1.len);
			ck_assert_int_eq(kafka_request_header_decode(&r, v, &d, &a), 0);
			ck_assert_int_eq(d.correlation_id, h.correlation_id);
			ck_assert_int_eq(kafka_request_header_encode(&b2, v, &d), 0);
			ck_assert_uint_eq(b1.len, b2.len);
			ck_assert_mem_eq(b1.data, b2.data, b1.len);
			buf_free(&b1);
			buf_free(&b2);
			arena_free(&a);
		}
	}
	for (int16_t v = 0; v <= 1; v++) {
		struct arena a;
		arena_init(&a);
		struct fill_ctx c = {&a, 9, 0};
		struct kafka_response_header h, d;
		kafka_response_header_init(&h);
		fill_response_header(&h, v, &c);
		struct buf b;
		buf_init(&b);
		ck_assert_int_eq(kafka_response_header_encode(&b, v, &h), 0);
		ck_assert_uint_eq(b.len, v == 0 ? 4 : 5);
		struct reader r;
		reader_init(&r, b.data, b.len);
		ck_assert_int_eq(kafka_response_header_decode(&r, v, &d, &a), 0);
		ck_assert_int_eq(d.correlation_id, h.correlation_id);
		buf_free(&b);
		arena_free(&a);
	}
}
END_TEST

START_TEST(decoded_produce_request_holds_the_values_that_were_encoded)
{
	struct arena a;
	arena_init(&a);
	struct kafka_produce_request m, d;
	kafka_produce_request_init(&m);
	ck_assert_int_eq(m.transactional_id.len, -1);
	static const uint8_t batch[] = {1, 2, 3, 4};
	struct kafka_produce_request_partition_produce_data part = {.index = 3,
								    .records = {batch, 4}};
	struct kafka_produce_request_topic_produce_data topic = {
	    .name = kafka_str_from("orders"), .partition_data = &part, .n_partition_data = 1};
	m.transactional_id = kafka_str_from("tx-1");
	m.acks = -1;
	m.timeout_ms = 1500;
	m.topic_data = &topic;
	m.n_topic_data = 1;
	for (int16_t v = 3; v <= 11; v++) {
		struct buf b;
		buf_init(&b);
		ck_assert_int_eq(kafka_produce_request_encode(&b, v, &m), 0);
		struct reader r;
		reader_init(&r, b.data, b.len);
		ck_assert_int_eq(kafka_produce_request_decode(&r, v, &d, &a), 0);
		ck_assert(kafka_str_eq(d.transactional_id, "tx-1"));
		ck_assert_int_eq(d.acks, -1);
		ck_assert_int_eq(d.timeout_ms, 1500);
		ck_assert_int_eq(d.n_topic_data, 1);
		ck_assert(kafka_str_eq(d.topic_data[0].name, "orders"));
		ck_assert_int_eq(d.topic_data[0].n_partition_data, 1);
		ck_assert_int_eq(d.topic_data[0].partition_data[0].index, 3);
		ck_assert_int_eq(d.topic_data[0].partition_data[0].records.len, 4);
		ck_assert_mem_eq(d.topic_data[0].partition_data[0].records.ptr, batch, 4);
		/* decoded bytes borrow the input buffer rather than copying */
		ck_assert(d.topic_data[0].partition_data[0].records.ptr >= b.data &&
			  d.topic_data[0].partition_data[0].records.ptr < b.data + b.len);
		buf_free(&b);
	}
	arena_free(&a);
}
END_TEST

/* ---- golden frames from real clients */

struct golden {
	struct arena a;
	struct kafka_request_header h;
	void *body;
};

/* Decodes a recorded frame, re-encodes it to the same bytes and checks that
 * every strict prefix fails cleanly. */
static void golden_check(struct golden *g, const uint8_t *frame, size_t len)
{
	arena_init(&g->a);
	struct reader r;
	reader_init(&r, frame, len);
	ck_assert_int_eq(kafka_request_header_read(&r, &g->h, &g->a), 0);
	int16_t key = g->h.request_api_key, v = g->h.request_api_version;
	ck_assert_int_eq(kafka_request_decode(key, v, &r, &g->a, &g->body), 0);
	ck_assert_uint_eq(reader_left(&r), 0);

	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(
	    kafka_request_header_encode(&b, (int16_t)kafka_request_header_version(key, v), &g->h),
	    0);
	ck_assert_int_eq(kafka_request_encode(key, v, &b, g->body), 0);
	ck_assert_uint_eq(b.len, len);
	ck_assert_mem_eq(b.data, frame, len);
	buf_free(&b);

	for (size_t n = 0; n < len; n++) {
		struct kafka_request_header h;
		void *body;
		reader_init(&r, frame, n);
		int rc = kafka_request_header_read(&r, &h, &g->a);
		if (rc == 0)
			rc = kafka_request_decode(key, v, &r, &g->a, &body);
		ck_assert_msg(is_clean_failure(rc), "cut at %zu/%zu: rc %d", n, len, rc);
	}
}

#define GOLDEN(g, arr) golden_check((g), (arr), sizeof(arr))

START_TEST(kcat_api_versions_v3_request_decodes_and_reencodes_identically)
{
	struct golden g;
	GOLDEN(&g, golden_kcat_api_versions_v3);
	ck_assert_int_eq(g.h.request_api_key, KAFKA_API_API_VERSIONS);
	ck_assert_int_eq(g.h.request_api_version, 3);
	ck_assert_int_eq(g.h.correlation_id, 1);
	ck_assert(kafka_str_eq(g.h.client_id, "rdkafka-golden"));
	struct kafka_api_versions_request *m = g.body;
	ck_assert(kafka_str_eq(m->client_software_name, "librdkafka"));
	ck_assert(kafka_str_eq(m->client_software_version, "2.0.2"));
	arena_free(&g.a);
}
END_TEST

START_TEST(kcat_metadata_v4_request_decodes_and_reencodes_identically)
{
	struct golden g;
	GOLDEN(&g, golden_kcat_metadata_v4);
	ck_assert_int_eq(g.h.request_api_key, KAFKA_API_METADATA);
	ck_assert_int_eq(g.h.request_api_version, 4);
	ck_assert_int_eq(g.h.correlation_id, 2);
	struct kafka_metadata_request *m = g.body;
	ck_assert_int_eq(m->n_topics, 1);
	ck_assert(kafka_str_eq(m->topics[0].name, "golden"));
	ck_assert(m->allow_auto_topic_creation);
	arena_free(&g.a);
}
END_TEST

START_TEST(kcat_produce_v7_request_decodes_and_reencodes_identically)
{
	struct golden g;
	GOLDEN(&g, golden_kcat_produce_v7);
	ck_assert_int_eq(g.h.request_api_key, KAFKA_API_PRODUCE);
	ck_assert_int_eq(g.h.request_api_version, 7);
	ck_assert_int_eq(g.h.correlation_id, 3);
	struct kafka_produce_request *m = g.body;
	ck_assert_int_eq(m->transactional_id.len, -1);
	ck_assert_int_eq(m->acks, -1);
	ck_assert_int_eq(m->timeout_ms, 30000);
	ck_assert_int_eq(m->n_topic_data, 1);
	ck_assert(kafka_str_eq(m->topic_data[0].name, "golden"));
	ck_assert_int_eq(m->topic_data[0].n_partition_data, 1);
	ck_assert_int_eq(m->topic_data[0].partition_data[0].index, 0);
	const struct kafka_bytes *rec = &m->topic_data[0].partition_data[0].records;
	ck_assert_int_eq(rec->len, 73);
	ck_assert_int_eq(rec->ptr[16], 2); /* record batch magic */
	ck_assert_mem_eq(rec->ptr + rec->len - 6, "hello", 5);
	arena_free(&g.a);
}
END_TEST

START_TEST(kcat_fetch_v11_request_decodes_and_reencodes_identically)
{
	struct golden g;
	GOLDEN(&g, golden_kcat_fetch_v11);
	ck_assert_int_eq(g.h.request_api_key, KAFKA_API_FETCH);
	ck_assert_int_eq(g.h.request_api_version, 11);
	ck_assert_int_eq(g.h.correlation_id, 4);
	struct kafka_fetch_request *m = g.body;
	ck_assert_int_eq(m->replica_id, -1);
	ck_assert_int_eq(m->max_wait_ms, 500);
	ck_assert_int_eq(m->min_bytes, 1);
	ck_assert_int_eq(m->max_bytes, 52428800);
	ck_assert_int_eq(m->isolation_level, 1);
	ck_assert_int_eq(m->session_id, 0);
	ck_assert_int_eq(m->session_epoch, -1);
	ck_assert_int_eq(m->n_topics, 1);
	ck_assert(kafka_str_eq(m->topics[0].topic, "golden"));
	ck_assert_int_eq(m->topics[0].n_partitions, 1);
	const struct kafka_fetch_request_fetch_partition *p = &m->topics[0].partitions[0];
	ck_assert_int_eq(p->partition, 0);
	ck_assert_int_eq(p->current_leader_epoch, -1);
	ck_assert_int_eq(p->fetch_offset, 5);
	ck_assert_int_eq(p->log_start_offset, -1);
	ck_assert_int_eq(p->partition_max_bytes, 1048576);
	ck_assert_int_eq(m->n_forgotten_topics_data, 0);
	ck_assert_int_eq(m->rack_id.len, 0);
	arena_free(&g.a);
}
END_TEST

START_TEST(kcat_list_offsets_v2_request_decodes_and_reencodes_identically)
{
	struct golden g;
	GOLDEN(&g, golden_kcat_list_offsets_v2);
	ck_assert_int_eq(g.h.request_api_key, KAFKA_API_LIST_OFFSETS);
	ck_assert_int_eq(g.h.request_api_version, 2);
	ck_assert_int_eq(g.h.correlation_id, 4);
	struct kafka_list_offsets_request *m = g.body;
	ck_assert_int_eq(m->replica_id, -1);
	ck_assert_int_eq(m->isolation_level, 1);
	ck_assert_int_eq(m->n_topics, 1);
	ck_assert(kafka_str_eq(m->topics[0].name, "golden"));
	ck_assert_int_eq(m->topics[0].n_partitions, 1);
	ck_assert_int_eq(m->topics[0].partitions[0].partition_index, 0);
	ck_assert_int_eq(m->topics[0].partitions[0].timestamp, -2); /* earliest */
	arena_free(&g.a);
}
END_TEST

START_TEST(kafka_python_requests_decode_and_reencode_identically)
{
	struct golden g;
	GOLDEN(&g, golden_python_api_versions_v0);
	ck_assert_int_eq(g.h.request_api_key, KAFKA_API_API_VERSIONS);
	ck_assert_int_eq(g.h.request_api_version, 0);
	ck_assert(kafka_str_eq(g.h.client_id, "python-golden"));
	arena_free(&g.a);

	GOLDEN(&g, golden_python_metadata_v0);
	ck_assert_int_eq(((struct kafka_metadata_request *)g.body)->n_topics, 0);
	arena_free(&g.a);

	GOLDEN(&g, golden_python_metadata_v1);
	ck_assert_int_eq(g.h.correlation_id, 3);
	/* null topic array: all topics */
	ck_assert_int_eq(((struct kafka_metadata_request *)g.body)->n_topics, -1);
	arena_free(&g.a);

	GOLDEN(&g, golden_python_produce_v7);
	struct kafka_produce_request *m = g.body;
	ck_assert_int_eq(m->acks, 1);
	ck_assert_int_eq(m->timeout_ms, 3000);
	ck_assert(kafka_str_eq(m->topic_data[0].name, "golden"));
	ck_assert_int_eq(m->topic_data[0].partition_data[0].records.len, 73);
	arena_free(&g.a);
}
END_TEST

/* The fake broker of tools/capture-golden wrote these answers by hand and
 * kcat / kafka-python accepted them; the codec must produce the same bytes. */
START_TEST(api_versions_answers_that_real_clients_accepted_encode_identically)
{
	/* The APIs and ranges those answers listed (fjord served them then;
	 * what it serves now is checked in test_supervisor_front). */
	static const int16_t listed[][3] = {{KAFKA_API_PRODUCE, 0, 11},
					    {KAFKA_API_FETCH, 4, 17},
					    {KAFKA_API_LIST_OFFSETS, 1, 10},
					    {KAFKA_API_METADATA, 0, 12},
					    {KAFKA_API_API_VERSIONS, 0, 4}};
	struct kafka_api_versions_response_api_version keys[5];
	size_t k = 0;
	for (; k < 5; k++) {
		kafka_api_versions_response_api_version_init(&keys[k]);
		keys[k].api_key = listed[k][0];
		keys[k].min_version = listed[k][1];
		keys[k].max_version = listed[k][2];
	}
	struct kafka_api_versions_response m;
	kafka_api_versions_response_init(&m);
	m.api_keys = keys;
	m.n_api_keys = (int32_t)k;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_api_versions_response_encode(&b, 3, &m), 0);
	ck_assert_uint_eq(b.len, sizeof(golden_answer_api_versions_v3));
	ck_assert_mem_eq(b.data, golden_answer_api_versions_v3, b.len);
	buf_reset(&b);
	ck_assert_int_eq(kafka_api_versions_response_encode(&b, 0, &m), 0);
	ck_assert_uint_eq(b.len, sizeof(golden_answer_api_versions_v0));
	ck_assert_mem_eq(b.data, golden_answer_api_versions_v0, b.len);
	buf_free(&b);
}
END_TEST

START_TEST(metadata_answers_that_real_clients_accepted_encode_identically)
{
	struct kafka_metadata_response_metadata_response_broker broker;
	kafka_metadata_response_metadata_response_broker_init(&broker);
	broker.node_id = 1;
	broker.host = kafka_str_from("127.0.0.1");
	broker.port = 39092;
	broker.rack.len = -1;
	int32_t one = 1;
	struct kafka_metadata_response_metadata_response_partition part;
	kafka_metadata_response_metadata_response_partition_init(&part);
	part.leader_id = 1;
	part.leader_epoch = 0;
	part.replica_nodes = &one;
	part.n_replica_nodes = 1;
	part.isr_nodes = &one;
	part.n_isr_nodes = 1;
	struct kafka_metadata_response_metadata_response_topic topic;
	kafka_metadata_response_metadata_response_topic_init(&topic);
	topic.name = kafka_str_from("golden");
	topic.partitions = &part;
	topic.n_partitions = 1;
	struct kafka_metadata_response m;
	kafka_metadata_response_init(&m);
	ck_assert_int_eq(m.controller_id, -1);
	ck_assert_int_eq(m.cluster_authorized_operations, INT32_MIN);
	m.brokers = &broker;
	m.n_brokers = 1;
	m.cluster_id = kafka_str_from("golden-cluster");
	m.controller_id = 1;
	m.topics = &topic;
	m.n_topics = 1;
	static const struct {
		int16_t version;
		const uint8_t *want;
		size_t len;
	} cases[] = {
	    {0, golden_answer_metadata_v0, sizeof(golden_answer_metadata_v0)},
	    {1, golden_answer_metadata_v1, sizeof(golden_answer_metadata_v1)},
	    {4, golden_answer_metadata_v4, sizeof(golden_answer_metadata_v4)},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b);
		ck_assert_int_eq(kafka_metadata_response_encode(&b, cases[i].version, &m), 0);
		ck_assert_uint_eq(b.len, cases[i].len);
		ck_assert_mem_eq(b.data, cases[i].want, b.len);
		buf_free(&b);
	}
}
END_TEST

/* ---- hostile and unusual input */

START_TEST(hostile_array_count_is_refused_without_a_huge_allocation)
{
	struct arena a;
	arena_init(&a);
	struct kafka_produce_request m;
	/* Produce v7: null transactional id, acks, timeout, then 2^31-1 topics */
	const uint8_t classic[] = {0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x03,
				   0xe8, 0x7f, 0xff, 0xff, 0xff, 0,    0};
	struct reader r;
	reader_init(&r, classic, sizeof(classic));
	ck_assert_int_eq(kafka_produce_request_decode(&r, 7, &m, &a), ERR_INVALID);
	/* Produce v9 (compact): uvarint count 2^32-1 */
	const uint8_t compact[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x03, 0xe8,
				   0xff, 0xff, 0xff, 0xff, 0x0f, 0,    0};
	reader_init(&r, compact, sizeof(compact));
	ck_assert_int_eq(kafka_produce_request_decode(&r, 9, &m, &a), ERR_INVALID);
	/* an int32 array needs 4 bytes per element: 2 elements fit in 8 bytes, not in 7 */
	const uint8_t ints[] = {0x00, 0x00, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
	int32_t n = 0;
	reader_init(&r, ints, sizeof(ints));
	ck_assert_int_eq(kafka_wire_read_count(&r, 0, 0, 4, &n), 0);
	ck_assert_int_eq(n, 2);
	reader_init(&r, ints, sizeof(ints) - 1);
	ck_assert_int_eq(kafka_wire_read_count(&r, 0, 0, 4, &n), ERR_INVALID);
	ck_assert_uint_lt(a.total, 4096);
	arena_free(&a);
}
END_TEST

START_TEST(negative_lengths_and_nulls_where_not_nullable_are_invalid)
{
	struct arena a;
	arena_init(&a);
	struct kafka_metadata_request m;
	struct reader r;
	/* Metadata v0 has no null topic array */
	const uint8_t null_topics[] = {0xff, 0xff, 0xff, 0xff};
	reader_init(&r, null_topics, sizeof(null_topics));
	ck_assert_int_eq(kafka_metadata_request_decode(&r, 0, &m, &a), ERR_INVALID);
	reader_init(&r, null_topics, sizeof(null_topics));
	ck_assert_int_eq(kafka_metadata_request_decode(&r, 1, &m, &a), 0);
	ck_assert_int_eq(m.n_topics, -1);
	/* a topic name of length -2 */
	const uint8_t bad_name[] = {0, 0, 0, 1, 0xff, 0xfe};
	reader_init(&r, bad_name, sizeof(bad_name));
	ck_assert_int_eq(kafka_metadata_request_decode(&r, 1, &m, &a), ERR_INVALID);
	/* a null topic name before v10 */
	const uint8_t null_name[] = {0, 0, 0, 1, 0xff, 0xff};
	reader_init(&r, null_name, sizeof(null_name));
	ck_assert_int_eq(kafka_metadata_request_decode(&r, 1, &m, &a), ERR_INVALID);

	/* encoding refuses the same things */
	struct buf b;
	buf_init(&b);
	kafka_metadata_request_init(&m);
	m.n_topics = -1;
	ck_assert_int_eq(kafka_metadata_request_encode(&b, 0, &m), ERR_INVALID);
	buf_reset(&b);
	ck_assert_int_eq(kafka_metadata_request_encode(&b, 1, &m), 0);
	ck_assert_uint_eq(b.len, 4);
	struct kafka_metadata_request_metadata_request_topic t;
	kafka_metadata_request_metadata_request_topic_init(&t);
	t.name.len = -1;
	m.topics = &t;
	m.n_topics = 1;
	buf_reset(&b);
	ck_assert_int_eq(kafka_metadata_request_encode(&b, 9, &m), ERR_INVALID);
	buf_reset(&b);
	ck_assert_int_eq(kafka_metadata_request_encode(&b, 10, &m), 0);
	m.topics = NULL; /* a count without elements */
	buf_reset(&b);
	ck_assert_int_eq(kafka_metadata_request_encode(&b, 10, &m), ERR_INVALID);
	buf_free(&b);
	arena_free(&a);
}
END_TEST

START_TEST(versions_outside_the_schema_range_are_unsupported)
{
	struct arena a;
	arena_init(&a);
	struct kafka_produce_request m;
	kafka_produce_request_init(&m);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_produce_request_encode(&b, 12, &m), ERR_UNSUPPORTED);
	ck_assert_int_eq(kafka_produce_request_encode(&b, -1, &m), ERR_UNSUPPORTED);
	ck_assert_uint_eq(b.len, 0);
	struct reader r;
	reader_init(&r, "", 0);
	ck_assert_int_eq(kafka_produce_request_decode(&r, 12, &m, &a), ERR_UNSUPPORTED);
	void *out;
	ck_assert_int_eq(kafka_request_decode(999, 0, &r, &a, &out), ERR_UNSUPPORTED);
	ck_assert_int_eq(kafka_request_encode(999, 0, &b, &m), ERR_UNSUPPORTED);
	/* ShareFetch exists only as an unstable draft: no version is usable */
	ck_assert_ptr_null(kafka_api_lookup(KAFKA_API_SHARE_FETCH));
	ck_assert_int_eq(kafka_request_decode(KAFKA_API_SHARE_FETCH, 0, &r, &a, &out),
			 ERR_UNSUPPORTED);
	buf_free(&b);
	arena_free(&a);
}
END_TEST

START_TEST(unknown_tagged_fields_are_skipped_and_known_ones_decoded)
{
	struct arena a;
	arena_init(&a);
	struct reader r;
	/* ApiVersions v3 request: name "ab", version "1", then two unknown tags */
	const uint8_t req[] = {0x03, 'a', 'b', 0x02, '1',  0x02, 0x07,
			       0x03, 'x', 'y', 'z',  0x64, 0x00};
	struct kafka_api_versions_request m;
	reader_init(&r, req, sizeof(req));
	ck_assert_int_eq(kafka_api_versions_request_decode(&r, 3, &m, &a), 0);
	ck_assert(kafka_str_eq(m.client_software_name, "ab"));
	ck_assert(kafka_str_eq(m.client_software_version, "1"));
	ck_assert_uint_eq(reader_left(&r), 0);
	/* an unknown tag whose size runs past the end */
	const uint8_t bad[] = {0x03, 'a', 'b', 0x02, '1', 0x01, 0x07, 0x09, 'x'};
	reader_init(&r, bad, sizeof(bad));
	ck_assert_int_eq(kafka_api_versions_request_decode(&r, 3, &m, &a), ERR_TRUNCATED);

	/* Fetch v12 request with ClusterId (tag 0) beside an unknown tag 5 */
	struct kafka_fetch_request f, d;
	kafka_fetch_request_init(&f);
	ck_assert_int_eq(f.cluster_id.len, -1);
	ck_assert_int_eq(f.max_bytes, 0x7fffffff);
	ck_assert_int_eq(f.session_epoch, -1);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_fetch_request_encode(&b, 12, &f), 0);
	ck_assert_uint_eq(b.data[b.len - 1], 0); /* default cluster id: no tags */
	size_t plain = b.len;
	buf_reset(&b);
	f.cluster_id = kafka_str_from("c1");
	ck_assert_int_eq(kafka_fetch_request_encode(&b, 12, &f), 0);
	/* tags: count 1, tag 0, size 3, compact "c1" */
	const uint8_t tail[] = {0x01, 0x00, 0x03, 0x03, 'c', '1'};
	ck_assert_uint_eq(b.len, plain - 1 + sizeof(tail));
	ck_assert_mem_eq(b.data + b.len - sizeof(tail), tail, sizeof(tail));
	/* splice in an unknown tag 5 after the known one */
	b.data[b.len - sizeof(tail)] = 0x02;
	const uint8_t extra[] = {0x05, 0x02, 0xaa, 0xbb};
	buf_put(&b, extra, sizeof(extra));
	reader_init(&r, b.data, b.len);
	ck_assert_int_eq(kafka_fetch_request_decode(&r, 12, &d, &a), 0);
	ck_assert(kafka_str_eq(d.cluster_id, "c1"));
	ck_assert_uint_eq(reader_left(&r), 0);
	buf_free(&b);
	arena_free(&a);
}
END_TEST

START_TEST(tagged_fields_are_written_in_ascending_tag_order_only_when_not_default)
{
	struct kafka_api_versions_response m;
	kafka_api_versions_response_init(&m);
	ck_assert_int_eq(m.finalized_features_epoch, -1);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_api_versions_response_encode(&b, 3, &m), 0);
	/* error 0, empty compact array, throttle 0, no tags */
	const uint8_t plain[] = {0, 0, 0x01, 0, 0, 0, 0, 0x00};
	ck_assert_uint_eq(b.len, sizeof(plain));
	ck_assert_mem_eq(b.data, plain, sizeof(plain));
	m.zk_migration_ready = true;
	m.finalized_features_epoch = 5;
	buf_reset(&b);
	ck_assert_int_eq(kafka_api_versions_response_encode(&b, 3, &m), 0);
	const uint8_t tags[] = {0x02, 0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 5, 0x03, 0x01, 0x01};
	ck_assert_uint_eq(b.len, 7 + sizeof(tags));
	ck_assert_mem_eq(b.data + 7, tags, sizeof(tags));
	/* in v2 (not flexible) the tagged fields do not exist */
	buf_reset(&b);
	ck_assert_int_eq(kafka_api_versions_response_encode(&b, 2, &m), 0);
	ck_assert_uint_eq(b.len, 10);
	buf_free(&b);
}
END_TEST

START_TEST(tagged_struct_is_written_only_when_it_differs_from_its_defaults)
{
	struct kafka_fetch_response_partition_data p;
	kafka_fetch_response_partition_data_init(&p);
	ck_assert_int_eq(p.current_leader.leader_id, -1);
	ck_assert_int_eq(p.records.len, 0);
	struct kafka_fetch_response_fetchable_topic_response t = {.partitions = &p,
								  .n_partitions = 1};
	struct kafka_fetch_response m;
	kafka_fetch_response_init(&m);
	m.responses = &t;
	m.n_responses = 1;
	struct buf b1, b2;
	buf_init(&b1);
	buf_init(&b2);
	ck_assert_int_eq(kafka_fetch_response_encode(&b1, 12, &m), 0);
	p.current_leader.leader_id = 2;
	p.current_leader.leader_epoch = 7;
	ck_assert_int_eq(kafka_fetch_response_encode(&b2, 12, &m), 0);
	/* tag 1, size 9: int32 leader, int32 epoch, empty tag section */
	ck_assert_uint_eq(b2.len, b1.len + 11);
	struct arena a;
	arena_init(&a);
	struct kafka_fetch_response d;
	struct reader r;
	reader_init(&r, b2.data, b2.len);
	ck_assert_int_eq(kafka_fetch_response_decode(&r, 12, &d, &a), 0);
	ck_assert_int_eq(d.responses[0].partitions[0].current_leader.leader_id, 2);
	ck_assert_int_eq(d.responses[0].partitions[0].current_leader.leader_epoch, 7);
	ck_assert_int_eq(d.responses[0].partitions[0].diverging_epoch.epoch, -1);
	buf_free(&b1);
	buf_free(&b2);
	arena_free(&a);
}
END_TEST

/* ---- headers, API table */

START_TEST(header_versions_follow_flexibility_and_the_two_exceptions)
{
	ck_assert_int_eq(kafka_request_header_version(KAFKA_API_PRODUCE, 8), 1);
	ck_assert_int_eq(kafka_request_header_version(KAFKA_API_PRODUCE, 9), 2);
	ck_assert_int_eq(kafka_request_header_version(KAFKA_API_API_VERSIONS, 3), 2);
	ck_assert_int_eq(kafka_request_header_version(KAFKA_API_CONTROLLED_SHUTDOWN, 0), 0);
	ck_assert_int_eq(kafka_request_header_version(KAFKA_API_CONTROLLED_SHUTDOWN, 1), 1);
	ck_assert_int_eq(kafka_request_header_version(999, 5), 1);
	ck_assert_int_eq(kafka_response_header_version(KAFKA_API_API_VERSIONS, 4), 0);
	ck_assert_int_eq(kafka_response_header_version(KAFKA_API_METADATA, 8), 0);
	ck_assert_int_eq(kafka_response_header_version(KAFKA_API_METADATA, 9), 1);
	ck_assert_int_eq(kafka_response_header_version(KAFKA_API_FETCH, 12), 1);
	ck_assert_int_eq(kafka_response_header_version(999, 5), 0);
}
END_TEST

START_TEST(request_header_of_an_unknown_api_still_yields_its_correlation_id)
{
	struct arena a;
	arena_init(&a);
	const uint8_t frame[] = {0x03, 0xe7, 0x00, 0x05, 0x00, 0x00,
				 0x00, 0x2a, 0x00, 0x01, 'x',  0x99};
	struct reader r;
	reader_init(&r, frame, sizeof(frame));
	struct kafka_request_header h;
	ck_assert_int_eq(kafka_request_header_read(&r, &h, &a), 0);
	ck_assert_int_eq(h.request_api_key, 999);
	ck_assert_int_eq(h.request_api_version, 5);
	ck_assert_int_eq(h.correlation_id, 42);
	ck_assert(kafka_str_eq(h.client_id, "x"));
	ck_assert_uint_eq(reader_left(&r), 1);
	/* Produce v99 is past the schema but flexible: header v2 with its tag byte */
	const uint8_t future[] = {0x00, 0x00, 0x00, 0x63, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff, 0x00};
	reader_init(&r, future, sizeof(future));
	ck_assert_int_eq(kafka_request_header_read(&r, &h, &a), 0);
	ck_assert_int_eq(h.correlation_id, 7);
	ck_assert_int_eq(h.client_id.len, -1);
	ck_assert_uint_eq(reader_left(&r), 0);
	reader_init(&r, frame, 3);
	ck_assert_int_eq(kafka_request_header_read(&r, &h, &a), ERR_TRUNCATED);
	arena_free(&a);
}
END_TEST

START_TEST(response_header_has_a_tag_byte_only_in_flexible_versions)
{
	struct buf b;
	buf_init(&b);
	kafka_response_header_write(&b, KAFKA_API_METADATA, 12, 0x01020304);
	const uint8_t flex[] = {1, 2, 3, 4, 0};
	ck_assert_uint_eq(b.len, sizeof(flex));
	ck_assert_mem_eq(b.data, flex, sizeof(flex));
	buf_reset(&b);
	kafka_response_header_write(&b, KAFKA_API_API_VERSIONS, 3, 0x01020304);
	ck_assert_uint_eq(b.len, 4);
	buf_reset(&b);
	kafka_response_header_write(&b, KAFKA_API_PRODUCE, 8, 7);
	ck_assert_uint_eq(b.len, 4);
	buf_free(&b);
}
END_TEST

START_TEST(api_table_matches_the_schemas)
{
	const struct kafka_api_info *p = kafka_api_lookup(KAFKA_API_PRODUCE);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "Produce");
	ck_assert_int_eq(p->api_key, 0);
	ck_assert_int_eq(p->min_version, 0);
	ck_assert_int_eq(p->max_version, 11);
	ck_assert_int_eq(p->first_flexible, 9);
	const struct kafka_api_info *v = kafka_api_lookup(KAFKA_API_API_VERSIONS);
	ck_assert_str_eq(v->name, "ApiVersions");
	ck_assert_int_eq(v->api_key, 18);
	ck_assert_int_eq(v->first_flexible, 3);
	ck_assert_int_eq(kafka_api_lookup(KAFKA_API_LIST_OFFSETS)->first_flexible, 6);
	ck_assert_int_eq(kafka_api_lookup(KAFKA_API_FIND_COORDINATOR)->api_key, 10);
	/* EndTxn's newest version is an unstable draft and is left out */
	ck_assert_int_eq(kafka_api_lookup(KAFKA_API_END_TXN)->max_version, 4);
	ck_assert_ptr_null(kafka_api_lookup(-1));
	ck_assert_ptr_null(kafka_api_lookup(999));
}
END_TEST

START_TEST(string_views_compare_and_convert_nulls)
{
	struct kafka_str s = kafka_str_from("abc");
	ck_assert_int_eq(s.len, 3);
	ck_assert(kafka_str_eq(s, "abc"));
	ck_assert(!kafka_str_eq(s, "abcd"));
	ck_assert(!kafka_str_eq(s, "ab"));
	ck_assert(!kafka_str_eq(s, NULL));
	struct kafka_str null = kafka_str_from(NULL);
	ck_assert_int_eq(null.len, -1);
	ck_assert(kafka_str_eq(null, NULL));
	ck_assert(!kafka_str_eq(null, ""));
	struct kafka_str empty = {NULL, 0};
	ck_assert(kafka_str_eq(empty, ""));
}
END_TEST

/* ---- whole-request error responses */

/* Encodes the error response of api_key/version into a fresh buffer and
 * decodes it back with the generated decoder, which must consume it all. */
static void *error_response_round_trip(struct arena *a, int16_t api_key, int16_t version)
{
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(
	    kafka_error_response_encode(&b, api_key, version, KERR_UNSUPPORTED_VERSION), 0);
	ck_assert_uint_gt(b.len, 0);
	uint8_t *copy = arena_alloc(a, b.len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, b.data, b.len);
	struct reader r;
	reader_init(&r, copy, b.len);
	void *out = NULL;
	ck_assert_int_eq(kafka_response_decode(api_key, version, &r, a, &out), 0);
	ck_assert_uint_eq(reader_left(&r), 0);
	buf_free(&b);
	return out;
}

START_TEST(find_coordinator_error_response_carries_the_code_in_v0_to_v3_only)
{
	struct arena a;
	arena_init(&a);
	for (int16_t v = 0; v <= 3; v++) {
		struct kafka_find_coordinator_response *m =
		    error_response_round_trip(&a, KAFKA_API_FIND_COORDINATOR, v);
		ck_assert_int_eq(m->error_code, 35);
		ck_assert_int_eq(m->throttle_time_ms, 0);
		ck_assert_int_eq(m->node_id, 0);
		ck_assert_int_eq(m->host.len, 0);
		ck_assert_int_eq(m->port, 0);
		ck_assert_int_eq(m->error_message.len, 0);
		ck_assert_int_eq(m->n_coordinators, 0);
	}
	/* v4+ has only per-coordinator error codes: the caller must close */
	struct buf b;
	buf_init(&b);
	for (int16_t v = 4; v <= 6; v++)
		ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_FIND_COORDINATOR, v, 35),
				 ERR_UNSUPPORTED);
	ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_FIND_COORDINATOR, 7, 35),
			 ERR_UNSUPPORTED);
	ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_FIND_COORDINATOR, -1, 35),
			 ERR_UNSUPPORTED);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	arena_free(&a);
}
END_TEST

START_TEST(join_group_error_response_has_defaults_in_classic_and_flexible_versions)
{
	struct arena a;
	arena_init(&a);
	int16_t versions[] = {0, 7};
	for (size_t i = 0; i < 2; i++) {
		struct kafka_join_group_response *m =
		    error_response_round_trip(&a, KAFKA_API_JOIN_GROUP, versions[i]);
		ck_assert_int_eq(m->error_code, 35);
		ck_assert_int_eq(m->throttle_time_ms, 0);
		ck_assert_int_eq(m->generation_id, -1);
		ck_assert_int_eq(m->protocol_type.len, -1);
		ck_assert_int_eq(m->protocol_name.len, 0);
		ck_assert_int_eq(m->leader.len, 0);
		ck_assert_int_eq(m->member_id.len, 0);
		ck_assert(!m->skip_assignment);
		ck_assert_int_eq(m->n_members, 0);
	}
	/* v0 is classic: 2 + 4 + 2 + 2 + 2 + 4 bytes */
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_JOIN_GROUP, 0, 35), 0);
	const uint8_t v0[] = {0, 35, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	ck_assert_uint_eq(b.len, sizeof(v0));
	ck_assert_mem_eq(b.data, v0, sizeof(v0));
	buf_free(&b);
	arena_free(&a);
}
END_TEST

START_TEST(heartbeat_and_describe_cluster_error_responses_decode_to_defaults)
{
	struct arena a;
	arena_init(&a);
	struct kafka_heartbeat_response *h = error_response_round_trip(&a, KAFKA_API_HEARTBEAT, 4);
	ck_assert_int_eq(h->error_code, 35);
	ck_assert_int_eq(h->throttle_time_ms, 0);
	struct buf b;
	buf_init(&b);
	/* v4 is flexible: throttle, error code, empty tag section */
	ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_HEARTBEAT, 4, 35), 0);
	const uint8_t hb[] = {0, 0, 0, 0, 0, 35, 0};
	ck_assert_uint_eq(b.len, sizeof(hb));
	ck_assert_mem_eq(b.data, hb, sizeof(hb));
	buf_free(&b);

	struct kafka_describe_cluster_response *d =
	    error_response_round_trip(&a, KAFKA_API_DESCRIBE_CLUSTER, 0);
	ck_assert_int_eq(d->error_code, 35);
	ck_assert_int_eq(d->throttle_time_ms, 0);
	ck_assert_int_eq(d->error_message.len, -1);
	ck_assert_int_eq(d->cluster_id.len, 0);
	ck_assert_int_eq(d->controller_id, -1);
	ck_assert_int_eq(d->n_brokers, 0);
	ck_assert_int_eq(d->cluster_authorized_operations, INT32_MIN);
	arena_free(&a);
}
END_TEST

START_TEST(apis_with_per_item_errors_only_have_no_error_response)
{
	struct buf b;
	buf_init(&b);
	for (int16_t v = 0; v <= 7; v++)
		ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_CREATE_TOPICS, v, 35),
				 ERR_UNSUPPORTED);
	for (int16_t v = 0; v <= 12; v++)
		ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_METADATA, v, 35),
				 ERR_UNSUPPORTED);
	for (int16_t v = 0; v <= 11; v++)
		ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_PRODUCE, v, 35),
				 ERR_UNSUPPORTED);
	ck_assert_int_eq(kafka_error_response_encode(&b, 999, 0, 35), ERR_UNSUPPORTED);
	ck_assert_int_eq(kafka_error_response_encode(&b, KAFKA_API_SHARE_FETCH, 0, 35),
			 ERR_UNSUPPORTED);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(every_error_response_either_encodes_and_decodes_or_is_unsupported)
{
	int answered = 0, refused = 0;
	for (int16_t key = 0; key < 100; key++) {
		const struct kafka_api_info *info = kafka_api_lookup(key);
		if (info == NULL)
			continue;
		for (int16_t v = info->min_version; v <= info->max_version; v++) {
			struct buf b;
			buf_init(&b);
			int rc = kafka_error_response_encode(&b, key, v, 35);
			if (rc == ERR_UNSUPPORTED) {
				ck_assert_uint_eq(b.len, 0);
				refused++;
			} else {
				ck_assert_msg(rc == 0, "api %d v%d: %d", key, v, rc);
				struct arena a;
				arena_init(&a);
				void *m = error_response_round_trip(&a, key, v);
				/* decode then encode gives the same bytes back */
				struct buf again;
				buf_init(&again);
				ck_assert_int_eq(kafka_response_encode(key, v, &again, m), 0);
				ck_assert_uint_eq(again.len, b.len);
				ck_assert_mem_eq(again.data, b.data, b.len);
				buf_free(&again);
				arena_free(&a);
				answered++;
			}
			buf_free(&b);
		}
	}
	ck_assert_int_gt(answered, 100);
	ck_assert_int_gt(refused, 50);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *t = tcase_create("round_trip");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, api_versions_round_trips_every_version_with_every_field_set);
	tcase_add_test(t, metadata_round_trips_every_version_with_every_field_set);
	tcase_add_test(t, produce_round_trips_every_version_with_every_field_set);
	tcase_add_test(t, fetch_round_trips_every_version_with_every_field_set);
	tcase_add_test(t, list_offsets_round_trips_every_version_with_every_field_set);
	tcase_add_test(t, every_other_api_round_trips_every_version);
	tcase_add_test(t, headers_round_trip_every_version);
	tcase_add_test(t, decoded_produce_request_holds_the_values_that_were_encoded);
	suite_add_tcase(s, t);

	t = tcase_create("golden");
	tcase_add_test(t, kcat_api_versions_v3_request_decodes_and_reencodes_identically);
	tcase_add_test(t, kcat_metadata_v4_request_decodes_and_reencodes_identically);
	tcase_add_test(t, kcat_produce_v7_request_decodes_and_reencodes_identically);
	tcase_add_test(t, kcat_fetch_v11_request_decodes_and_reencodes_identically);
	tcase_add_test(t, kcat_list_offsets_v2_request_decodes_and_reencodes_identically);
	tcase_add_test(t, kafka_python_requests_decode_and_reencode_identically);
	tcase_add_test(t, api_versions_answers_that_real_clients_accepted_encode_identically);
	tcase_add_test(t, metadata_answers_that_real_clients_accepted_encode_identically);
	suite_add_tcase(s, t);

	t = tcase_create("hostile");
	tcase_add_test(t, hostile_array_count_is_refused_without_a_huge_allocation);
	tcase_add_test(t, negative_lengths_and_nulls_where_not_nullable_are_invalid);
	tcase_add_test(t, versions_outside_the_schema_range_are_unsupported);
	tcase_add_test(t, unknown_tagged_fields_are_skipped_and_known_ones_decoded);
	tcase_add_test(t, tagged_fields_are_written_in_ascending_tag_order_only_when_not_default);
	tcase_add_test(t, tagged_struct_is_written_only_when_it_differs_from_its_defaults);
	suite_add_tcase(s, t);

	t = tcase_create("tables");
	tcase_add_test(t, header_versions_follow_flexibility_and_the_two_exceptions);
	tcase_add_test(t, request_header_of_an_unknown_api_still_yields_its_correlation_id);
	tcase_add_test(t, response_header_has_a_tag_byte_only_in_flexible_versions);
	tcase_add_test(t, api_table_matches_the_schemas);
	tcase_add_test(t, string_views_compare_and_convert_nulls);
	tcase_add_test(t, find_coordinator_error_response_carries_the_code_in_v0_to_v3_only);
	tcase_add_test(t, join_group_error_response_has_defaults_in_classic_and_flexible_versions);
	tcase_add_test(t, heartbeat_and_describe_cluster_error_responses_decode_to_defaults);
	tcase_add_test(t, apis_with_per_item_errors_only_have_no_error_response);
	tcase_add_test(t, every_error_response_either_encodes_and_decodes_or_is_unsupported);
	suite_add_tcase(s, t);
	return s;
}

CHECK_MAIN(codec_suite)
