/* check_main.h - the shared main() of every Check unit-test binary.
 *
 * Each test/unit/test_<module>.c defines `Suite *<module>_suite(void)` and
 * ends with CHECK_MAIN(<module>_suite). */
#ifndef FJORD_CHECK_MAIN_H
#define FJORD_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_fn)                                                                       \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr = srunner_create(suite_fn());                                          \
		srunner_run_all(sr, CK_NORMAL);                                                    \
		int failed = srunner_ntests_failed(sr);                                            \
		srunner_free(sr);                                                                  \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                  \
	}

#endif
