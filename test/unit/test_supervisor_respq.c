/* test_supervisor_respq.c - unit tests for the in-order response queue
 * (supervisor/respq.c). */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "supervisor/respq.h"

static void fill_str(struct respq_slot *s, const char *text)
{
	struct buf b;
	buf_init(&b);
	buf_put(&b, text, strlen(text));
	respq_fill(s, &b);
	ck_assert_ptr_null(b.data); /* ownership moved into the slot */
	ck_assert_uint_eq(b.len, 0);
}

/* Pops everything ready and returns it as "|A|B..." (each slot's bytes). */
static void pop_all(struct respq *q, char *out, size_t len)
{
	struct buf b;
	size_t used = 0;
	out[0] = '\0';
	for (int guard = 0; guard < 100 && respq_pop(q, &b); guard++) {
		if (used + 1 + b.len + 1 > len)
			ck_abort_msg("pop_all: output too small");
		out[used++] = '|';
		if (b.len > 0)
			memcpy(out + used, b.data, b.len);
		used += b.len;
		out[used] = '\0';
		buf_free(&b);
	}
}

START_TEST(responses_leave_in_request_order_even_when_finished_out_of_order)
{
	struct respq q;
	respq_init(&q);
	struct respq_slot *a = respq_push(&q), *b = respq_push(&q), *c = respq_push(&q);
	ck_assert_int_eq(q.n, 3);
	char out[128];
	fill_str(c, "C");
	pop_all(&q, out, sizeof(out));
	ck_assert_str_eq(out, ""); /* A is still pending: nothing leaves */
	fill_str(b, "B");
	pop_all(&q, out, sizeof(out));
	ck_assert_str_eq(out, "");
	fill_str(a, "A");
	pop_all(&q, out, sizeof(out));
	ck_assert_str_eq(out, "|A|B|C");
	struct buf x;
	ck_assert(!respq_pop(&q, &x));
	ck_assert_int_eq(q.n, 0);
	ck_assert_ptr_null(q.head);
	ck_assert_ptr_null(q.tail);
}
END_TEST

START_TEST(an_empty_filled_slot_unblocks_the_ones_behind_it)
{
	struct respq q;
	respq_init(&q);
	struct respq_slot *a = respq_push(&q), *b = respq_push(&q);
	fill_str(b, "B");
	char out[32];
	pop_all(&q, out, sizeof(out));
	ck_assert_str_eq(out, ""); /* a still pending */
	struct buf empty;
	buf_init(&empty);
	respq_fill(a, &empty); /* e.g. a request that turned out to need no answer */
	pop_all(&q, out, sizeof(out));
	ck_assert_str_eq(out, "||B");
}
END_TEST

START_TEST(slots_pushed_after_draining_still_queue_in_order)
{
	struct respq q;
	respq_init(&q);
	struct buf x;
	for (int round = 0; round < 3; round++) {
		struct respq_slot *a = respq_push(&q), *b = respq_push(&q);
		fill_str(b, "2");
		fill_str(a, "1");
		char out[32];
		pop_all(&q, out, sizeof(out));
		ck_assert_str_eq(out, "|1|2");
		ck_assert(!respq_pop(&q, &x));
	}
}
END_TEST

START_TEST(freeing_a_queue_with_pending_and_filled_slots_releases_all)
{
	struct respq q;
	respq_init(&q);
	respq_push(&q);
	fill_str(respq_push(&q), "x");
	respq_free(&q);
	ck_assert_int_eq(q.n, 0);
	ck_assert_ptr_null(q.head);
	char out[8];
	pop_all(&q, out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *supervisor_respq_suite(void)
{
	Suite *s = suite_create("supervisor_respq");
	TCase *tc = tcase_create("respq");
	tcase_add_test(tc, responses_leave_in_request_order_even_when_finished_out_of_order);
	tcase_add_test(tc, an_empty_filled_slot_unblocks_the_ones_behind_it);
	tcase_add_test(tc, slots_pushed_after_draining_still_queue_in_order);
	tcase_add_test(tc, freeing_a_queue_with_pending_and_filled_slots_releases_all);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(supervisor_respq_suite)
