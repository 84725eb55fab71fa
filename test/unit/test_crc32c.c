/* test_crc32c.c - CRC-32C against published vectors, both implementations. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/crc32c.h"

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

/* A bit-at-a-time reference, too slow for use but obviously right. */
static uint32_t crc_ref(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *s = p;
	uint32_t c = ~crc;
	for (size_t i = 0; i < len; i++) {
		c ^= s[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

/* Implementations under test: index 0 software, 1 hardware (when present),
 * 2 the dispatcher. */
static crc_fn impl(int i)
{
	if (i == 0)
		return crc32c_sw;
	if (i == 1) {
		if (crc32c_hw_available())
			return crc32c_hw;
		printf("SKIP: no SSE4.2 CRC32 instruction: the hardware case runs the "
		       "software path\n");
		return crc32c_sw;
	}
	return crc32c;
}

START_TEST(crc32c_matches_the_published_check_value_and_iscsi_vectors)
{
	crc_fn f = impl(_i);
	ck_assert_uint_eq(f(0, "123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(f(0, NULL, 0), 0);
	ck_assert_uint_eq(f(0x12345678u, NULL, 0), 0x12345678u);

	uint8_t b[32];
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(f(0, b, 32), 0x8A9136AAu);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(f(0, b, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	ck_assert_uint_eq(f(0, b, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	ck_assert_uint_eq(f(0, b, 32), 0x113FDB5Cu);
}
END_TEST

START_TEST(crc32c_agrees_with_the_reference_on_long_buffers_and_unaligned_starts)
{
	crc_fn f = impl(_i);
	static uint8_t data[4096 + 8];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof(data); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (uint8_t)x;
	}
	for (size_t start = 0; start < 8; start++) {
		for (size_t len = 0; len <= 300; len++)
			ck_assert_uint_eq(f(0, data + start, len), crc_ref(0, data + start, len));
		ck_assert_uint_eq(f(0, data + start, 4096), crc_ref(0, data + start, 4096));
	}
	/* A megabyte built from the same block: long runs of the word loop. */
	uint32_t a = 0, r = 0;
	for (int i = 0; i < 256; i++) {
		a = f(a, data + (i & 7), 4096);
		r = crc_ref(r, data + (i & 7), 4096);
	}
	ck_assert_uint_eq(a, r);
}
END_TEST

START_TEST(crc32c_continues_across_split_buffers)
{
	crc_fn f = impl(_i);
	const char *msg = "The quick brown fox jumps over the lazy dog, twice over.";
	size_t len = strlen(msg);
	uint32_t whole = f(0, msg, len);
	ck_assert_uint_eq(whole, crc_ref(0, msg, len));
	for (size_t cut = 0; cut <= len; cut++)
		ck_assert_uint_eq(f(f(0, msg, cut), msg + cut, len - cut), whole);
}
END_TEST

START_TEST(hardware_and_software_paths_give_identical_results)
{
	uint8_t buf[1031];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	/* Check has no "skipped" result: say so on the output, and hold the
	 * software path to the bitwise reference instead. */
	bool hw = crc32c_hw_available();
	if (!hw)
		printf("SKIP: no SSE4.2 CRC32 instruction: hardware_and_software_paths_give_"
		       "identical_results compares the software path with the reference\n");
	for (size_t off = 0; off < 16; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += 97)
			ck_assert_uint_eq(hw ? crc32c_hw(0xdeadbeef, buf + off, len)
					     : crc_ref(0xdeadbeef, buf + off, len),
					  crc32c_sw(0xdeadbeef, buf + off, len));
}
END_TEST

START_TEST(without_the_instruction_the_dispatcher_takes_the_software_path)
{
	/* A fresh process (Check forks per test), so the dispatcher has not
	 * chosen yet: hide the instruction and it must agree with sw. */
	setenv("FJORD_CRC32C_NO_HW", "1", 1);
	ck_assert(!crc32c_hw_available());
	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xE3069283u);
	unsetenv("FJORD_CRC32C_NO_HW");
}
END_TEST

static Suite *crc32c_suite(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, crc32c_matches_the_published_check_value_and_iscsi_vectors, 0, 3);
	tcase_add_loop_test(
	    tc, crc32c_agrees_with_the_reference_on_long_buffers_and_unaligned_starts, 0, 3);
	tcase_add_loop_test(tc, crc32c_continues_across_split_buffers, 0, 3);
	tcase_add_test(tc, hardware_and_software_paths_give_identical_results);
	tcase_add_test(tc, without_the_instruction_the_dispatcher_takes_the_software_path);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(crc32c_suite)
