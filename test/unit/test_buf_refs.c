/* test_buf_refs.c - byte runs a buf points to instead of holding: what is
 * referenced and what is copied, and a Fetch response encoded with its
 * records by reference is byte for byte the one encoded by copy, in every
 * version (flexible ones too, whose tagged fields move bytes). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/buf_refs.h"
#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"

static void assert_flat_eq(const struct buf *b, const void *want, size_t n)
{
	struct buf flat;
	buf_init(&flat);
	buf_flatten(b, &flat);
	ck_assert_uint_eq(buf_size(b), n);
	ck_assert_uint_eq(flat.len, n);
	ck_assert_mem_eq(flat.data, want, n);
	buf_free(&flat);
}

START_TEST(only_allowed_runs_outside_a_pause_are_referenced_and_the_bytes_are_unchanged)
{
	static const uint8_t payload[64] =
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!";
	static const uint8_t other[8] = "elsewher";
	struct buf b;
	buf_init(&b);
	/* Without refs: a copy, as buf_put. */
	buf_put_ref(&b, payload, 4);
	ck_assert_ptr_null(b.refs);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_int_eq(buf_refs_enable(&b), 0);
	ck_assert_int_eq(buf_refs_allow(&b, payload + 8, 40), 0);
	buf_put_u8(&b, 'x');
	buf_put_ref(&b, payload + 8, 40);  /* the whole allowed span: referenced */
	buf_put_ref(&b, payload + 10, 4);  /* inside it: referenced */
	buf_put_ref(&b, payload + 40, 16); /* runs past its end: copied */
	buf_put_ref(&b, other, 8);	   /* not allowed: copied */
	buf_refs_pause(&b);
	buf_put_ref(&b, payload + 8, 2); /* paused: copied */
	buf_refs_resume(&b);
	buf_put_ref(&b, payload + 20, 0); /* empty: nothing */
	buf_put_u8(&b, 'y');
	ck_assert_uint_eq(b.refs->n, 2);
	ck_assert_uint_eq(b.refs->v[0].at, 5);
	ck_assert_uint_eq(b.refs->v[1].at, 5);
	ck_assert_uint_eq(b.refs->total, 44);
	ck_assert_uint_eq(b.len, 4 + 1 + 16 + 8 + 2 + 1);

	struct buf want;
	buf_init(&want);
	buf_put(&want, payload, 4);
	buf_put_u8(&want, 'x');
	buf_put(&want, payload + 8, 40);
	buf_put(&want, payload + 10, 4);
	buf_put(&want, payload + 40, 16);
	buf_put(&want, other, 8);
	buf_put(&want, payload + 8, 2);
	buf_put_u8(&want, 'y');
	assert_flat_eq(&b, want.data, want.len);

	/* Dropping the runs copies them: same bytes, nothing referenced. */
	buf_refs_drop(&b);
	ck_assert_uint_eq(b.refs->n, 0);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_mem_eq(b.data, want.data, want.len);
	buf_free(&want);
	buf_free(&b);
}
END_TEST

START_TEST(owned_memory_is_taken_all_or_nothing_and_freed_with_the_buf)
{
	struct buf b;
	buf_init(&b);
	void *v[20];
	ck_assert_int_eq(buf_refs_own_all(&b, v, 1), ERR_INVALID);
	ck_assert_int_eq(buf_refs_enable(&b), 0);
	for (int i = 0; i < 20; i++)
		v[i] = malloc(16);
	ck_assert_int_eq(buf_refs_own_all(&b, v, 3), 0);
	ck_assert_int_eq(buf_refs_own_all(&b, v + 3, 17), 0);
	ck_assert_uint_eq(b.refs->n_owned, 20);
	buf_reset(&b); /* keeps what it owns */
	ck_assert_uint_eq(b.refs->n_owned, 20);
	buf_free(&b); /* frees all 20: a leak shows under valgrind or ASan */
	ck_assert_ptr_null(b.refs);
}
END_TEST

/* Two partitions with records, one with none, and a tagged field (v12+:
 * current leader; v16: node endpoints) around them. */
static void fill_response(struct kafka_fetch_response *m,
			  struct kafka_fetch_response_partition_data *pd,
			  struct kafka_fetch_response_fetchable_topic_response *t,
			  struct kafka_fetch_response_node_endpoint *ep, const uint8_t *records)
{
	kafka_fetch_response_init(m);
	for (int i = 0; i < 3; i++) {
		kafka_fetch_response_partition_data_init(&pd[i]);
		pd[i].partition_index = i;
		pd[i].high_watermark = 100 + i;
		pd[i].current_leader.leader_id = 2;
		pd[i].current_leader.leader_epoch = 7;
	}
	pd[0].records = (struct kafka_bytes){.ptr = records, .len = 5000};
	pd[1].records = (struct kafka_bytes){.ptr = records + 5000, .len = 0};
	pd[2].records = (struct kafka_bytes){.ptr = records + 6000, .len = 3000};
	kafka_fetch_response_fetchable_topic_response_init(t);
	t->topic = (struct kafka_str){.ptr = "orders", .len = 6};
	t->partitions = pd;
	t->n_partitions = 3;
	m->responses = t;
	m->n_responses = 1;
	kafka_fetch_response_node_endpoint_init(ep);
	ep->node_id = 2;
	ep->host = (struct kafka_str){.ptr = "127.0.0.1", .len = 9};
	ep->port = 9092;
	m->node_endpoints = ep;
	m->n_node_endpoints = 1;
}

START_TEST(a_fetch_response_with_records_by_reference_is_the_same_bytes_in_every_version)
{
	uint8_t *records = malloc(10000);
	for (int i = 0; i < 10000; i++)
		records[i] = (uint8_t)(i * 7 + 3);
	struct kafka_fetch_response m;
	struct kafka_fetch_response_partition_data pd[3];
	struct kafka_fetch_response_fetchable_topic_response t;
	struct kafka_fetch_response_node_endpoint ep;
	fill_response(&m, pd, &t, &ep, records);
	int versions = 0;
	for (int16_t v = 4; v <= 17; v++) {
		struct buf plain, refs;
		buf_init(&plain);
		buf_init(&refs);
		int rc = kafka_fetch_response_encode(&plain, v, &m);
		if (rc != 0) { /* a version this codec does not have */
			buf_free(&plain);
			buf_free(&refs);
			continue;
		}
		ck_assert_int_eq(buf_refs_enable(&refs), 0);
		ck_assert_int_eq(buf_refs_allow(&refs, records, 10000), 0);
		ck_assert_int_eq(kafka_fetch_response_encode(&refs, v, &m), 0);
		ck_assert_msg(refs.refs->n == 2, "v%d: %zu runs", v, refs.refs->n);
		ck_assert_uint_eq(refs.refs->total, 8000);
		ck_assert_uint_eq(refs.len + 8000, plain.len);
		assert_flat_eq(&refs, plain.data, plain.len);
		versions++;
		buf_free(&plain);
		buf_free(&refs);
	}
	ck_assert_int_ge(versions, 13); /* 4 to 16 at least, flexible ones among them */
	free(records);
}
END_TEST

static Suite *buf_refs_suite(void)
{
	Suite *s = suite_create("buf_refs");
	TCase *tc = tcase_create("core");
	tcase_add_test(
	    tc, only_allowed_runs_outside_a_pause_are_referenced_and_the_bytes_are_unchanged);
	tcase_add_test(tc, owned_memory_is_taken_all_or_nothing_and_freed_with_the_buf);
	tcase_add_test(
	    tc, a_fetch_response_with_records_by_reference_is_the_same_bytes_in_every_version);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(buf_refs_suite)
