/* test_settle.c - the settle period before a hand-back and its back-off
 * (common/settle.h), with times passed in. */
#include <check.h>

#include "check_main.h"
#include "common/settle.h"

START_TEST(healthy_since_is_the_start_of_an_unbroken_run)
{
	struct settle s;
	settle_init(&s);
	ck_assert_int_eq(s.healthy_since, -1);
	settle_observe(&s, true, 1000);
	settle_observe(&s, true, 1150);
	ck_assert_int_eq(s.healthy_since, 1000);
	settle_observe(&s, false, 1300);
	ck_assert_int_eq(s.healthy_since, -1);
	settle_observe(&s, true, 1450);
	ck_assert_int_eq(s.healthy_since, 1450);
}
END_TEST

START_TEST(ready_only_after_the_whole_period)
{
	struct settle s;
	settle_init(&s);
	ck_assert(!settle_ready(&s, -1, 100000));
	ck_assert(!settle_ready(&s, 1000, 1000 + SETTLE_MIN_MS - 1));
	ck_assert(settle_ready(&s, 1000, 1000 + SETTLE_MIN_MS));
}
END_TEST

START_TEST(each_failed_hand_back_doubles_the_period_up_to_the_cap)
{
	struct settle s;
	settle_init(&s);
	int64_t now = 1000000;
	int64_t want = SETTLE_MIN_MS;
	for (int i = 0; i < 8; i++) {
		settle_observe(&s, true, now);
		settle_handed(&s, now);
		settle_lead_again(&s, now + 3000); /* back within the window */
		want = want * 2 > SETTLE_MAX_MS ? SETTLE_MAX_MS : want * 2;
		ck_assert_int_eq(s.period_ms, want);
		ck_assert_int_eq(s.healthy_since, -1); /* health must be shown anew */
		ck_assert_int_eq(s.handed_ms, -1);
		now += 200000;
	}
	ck_assert_int_eq(s.period_ms, SETTLE_MAX_MS);
	/* A hand-back that held for longer than the window resets it. */
	settle_handed(&s, now);
	settle_lead_again(&s, now + SETTLE_FAIL_WINDOW_MS);
	ck_assert_int_eq(s.period_ms, SETTLE_MIN_MS);
	/* Leading without a hand-back pending changes nothing. */
	settle_lead_again(&s, now + 2 * SETTLE_FAIL_WINDOW_MS);
	ck_assert_int_eq(s.period_ms, SETTLE_MIN_MS);
}
END_TEST

static Suite *settle_suite(void)
{
	Suite *su = suite_create("settle");
	TCase *tc = tcase_create("settle");
	tcase_add_test(tc, healthy_since_is_the_start_of_an_unbroken_run);
	tcase_add_test(tc, ready_only_after_the_whole_period);
	tcase_add_test(tc, each_failed_hand_back_doubles_the_period_up_to_the_cap);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(settle_suite)
