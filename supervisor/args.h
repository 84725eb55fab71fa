/* args.h - the fjord-supervisor command line.
 *
 * Parsing is a pure function of argv so it can be unit-tested; it knows
 * which flags override which config keys but does not load the config. */
#ifndef FJORD_SUP_ARGS_H
#define FJORD_SUP_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config.h"

#define ARGS_MAX_OVERRIDES 8

struct args {
	const char *config_path; /* borrowed from argv; NULL if not given */
	bool check;		 /* --check: validate the config and exit */
	bool help;		 /* --help */
	/* Flags that override config keys, in command-line order. The strings
	 * borrow from argv (and static storage). */
	struct config_override ov[ARGS_MAX_OVERRIDES];
	int n_ov;
};

/* Parses argv (argc entries, argv[0] is the program). Accepts "--flag value"
 * and "--flag=value". Returns 0, or ERR_INVALID with a one-line message in
 * err (unknown flag, missing value, missing -c, too many overrides); the
 * caller prints it with a hint to --help and exits 2. With --help, returns 0
 * and sets a->help without requiring -c. */
int args_parse(int argc, char **argv, struct args *a, char *err, size_t err_len);

/* Prints the man-page style help (NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
 * SIGNALS, FILES, EXIT STATUS) to f. */
void args_print_help(FILE *f);

#endif
