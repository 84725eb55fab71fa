/* test_supervisor_args.c - unit tests for the command line (supervisor/args.c). */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "common/err.h"
#include "supervisor/args.h"

static char err[256];

#define PARSE(a, ...)                                                                              \
	({                                                                                         \
		char *argv_[] = {"fjord-supervisor", __VA_ARGS__, NULL};                           \
		args_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, (a), err,           \
			   sizeof(err));                                                           \
	})

START_TEST(config_path_and_overrides_are_collected_in_order)
{
	struct args a;
	ck_assert_int_eq(PARSE(&a, "-c", "/etc/f.ini", "--node-id", "3", "--data-dir=/d",
			       "--kafka-listen", "0.0.0.0:1", "--advertised-host", "h",
			       "--log-level=debug", "--admin-listen", "127.0.0.1:2"),
			 0);
	ck_assert_str_eq(a.config_path, "/etc/f.ini");
	ck_assert(!a.check);
	ck_assert(!a.help);
	ck_assert_int_eq(a.n_ov, 6);
	ck_assert_str_eq(a.ov[0].section, "node");
	ck_assert_str_eq(a.ov[0].key, "id");
	ck_assert_str_eq(a.ov[0].value, "3");
	ck_assert_str_eq(a.ov[0].source, "--node-id");
	ck_assert_str_eq(a.ov[1].key, "data_dir");
	ck_assert_str_eq(a.ov[1].value, "/d");
	ck_assert_str_eq(a.ov[2].key, "kafka_listen");
	ck_assert_str_eq(a.ov[3].key, "advertised_host");
	ck_assert_str_eq(a.ov[4].key, "log_level");
	ck_assert_str_eq(a.ov[4].value, "debug");
	ck_assert_str_eq(a.ov[5].key, "admin_listen");
	ck_assert_str_eq(a.ov[5].value, "127.0.0.1:2");
}
END_TEST

START_TEST(long_config_and_attached_short_forms_work_with_check)
{
	struct args a;
	ck_assert_int_eq(PARSE(&a, "--check", "--config=x.ini"), 0);
	ck_assert_str_eq(a.config_path, "x.ini");
	ck_assert(a.check);
	ck_assert_int_eq(PARSE(&a, "-cy.ini"), 0);
	ck_assert_str_eq(a.config_path, "y.ini");
	ck_assert_int_eq(a.n_ov, 0);
}
END_TEST

START_TEST(help_needs_no_config_file)
{
	struct args a;
	ck_assert_int_eq(PARSE(&a, "--help"), 0);
	ck_assert(a.help);
	ck_assert_ptr_null(a.config_path);
}
END_TEST

START_TEST(usage_errors_are_reported)
{
	struct args a;
	ck_assert_int_eq(PARSE(&a, "-c", "f", "--bogus"), ERR_INVALID);
	ck_assert_str_eq(err, "unknown option '--bogus'");
	ck_assert_int_eq(PARSE(&a, "-c", "f", "--node-id"), ERR_INVALID);
	ck_assert_str_eq(err, "option '--node-id' needs a value");
	ck_assert_int_eq(PARSE(&a, "--node-id", "1"), ERR_INVALID);
	ck_assert_str_eq(err, "missing -c FILE (the configuration file)");
	ck_assert_int_eq(PARSE(&a, "-c", "f", "--node-idx=3"), ERR_INVALID);
	ck_assert_str_eq(err, "unknown option '--node-idx=3'");
}
END_TEST

START_TEST(help_text_has_every_man_page_section)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	args_print_help(f);
	fclose(f);
	const char *sections[] = {"NAME\n",    "SYNOPSIS\n", "DESCRIPTION\n", "OPTIONS\n",
				  "SIGNALS\n", "FILES\n",    "EXIT STATUS\n"};
	const char *prev = text;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const char *at = strstr(text, sections[i]);
		ck_assert_msg(at != NULL, "missing %s", sections[i]);
		ck_assert_msg(at >= prev, "%s out of order", sections[i]);
		prev = at;
	}
	ck_assert_ptr_nonnull(strstr(text, "--admin-listen HOST:PORT"));
	free(text);
}
END_TEST

static Suite *supervisor_args_suite(void)
{
	Suite *s = suite_create("supervisor_args");
	TCase *tc = tcase_create("args");
	tcase_add_test(tc, config_path_and_overrides_are_collected_in_order);
	tcase_add_test(tc, long_config_and_attached_short_forms_work_with_check);
	tcase_add_test(tc, help_needs_no_config_file);
	tcase_add_test(tc, usage_errors_are_reported);
	tcase_add_test(tc, help_text_has_every_man_page_section);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(supervisor_args_suite)
