/* test_clock.c - the injectable clock (common/clock.c): a manual clock
 * drives every reader in both processes, and uninstalling it gives the
 * system clock back. */
#include <check.h>

#include "check_main.h"
#include "common/clock.h"
#include "supervisor/metrics.h"
#include "supervisor/spawn.h"
#include "worker/transport.h"

START_TEST(manual_clock_drives_every_reader_until_uninstalled)
{
	struct clock_manual m;
	clock_manual_init(&m, 5000000000LL, 1700000000000000000LL);
	clock_install(&m.clock);
	ck_assert_int_eq(clock_mono_ms(), 5000);
	ck_assert_int_eq(clock_wall_ms(), 1700000000000LL);
	ck_assert_int_eq(spawn_now_ms(), 5000);
	ck_assert_int_eq(transport_now_ms(), 5000);
	ck_assert_int_eq(metrics_now_ns(), 5000000000LL);
	clock_manual_advance_ms(&m, 250);
	ck_assert_int_eq(clock_mono_ms(), 5250);
	ck_assert_int_eq(transport_now_ms(), 5250);
	ck_assert_int_eq(clock_wall_ms(), 1700000000250LL);
	/* Nothing moves unless the test moves it. */
	ck_assert_int_eq(clock_mono_ns(), 5250000000LL);
	clock_install(NULL);
	/* The system's wall clock is past 2020 and its monotonic clock moved
	 * on from whatever the manual clock said. */
	ck_assert_int_gt(clock_wall_ms(), 1577836800000LL);
	ck_assert_int_ne(clock_mono_ns(), 5250000000LL);
}
END_TEST

static Suite *clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");
	tcase_add_test(tc, manual_clock_drives_every_reader_until_uninstalled);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(clock_suite)
