/* args.h - the fjord-worker command line.
 *
 * The supervisor builds this argv for every partition replica; the flags
 * are a contract with supervisor/spawn.c and change only together with it. */
#ifndef FJORD_WORKER_ARGS_H
#define FJORD_WORKER_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"

struct worker_args {
	int ipc_fd;	   /* the worker's end of the socketpair */
	const char *topic; /* borrowed from argv */
	int32_t partition;
	const char *dir; /* borrowed from argv: the replica's directory */
	int32_t node_id;
	enum log_level log_level;  /* default info */
	bool sync;		   /* --sync always (default) | never */
	uint64_t map_size_mb;	   /* default 1024 */
	int32_t max_message_bytes; /* default 1048588 */
	int64_t retention_ms;	   /* default -1: keep forever */
	int64_t retention_bytes;   /* default -1: no size limit */
};

/* Parses argv into *a. Returns 0 to run, 1 when --help printed the usage to
 * `out`, or ERR_INVALID after writing one line naming the problem to `err`
 * (the caller exits 2). */
int worker_args_parse(int argc, char **argv, struct worker_args *a, FILE *out, FILE *err);

/* Writes the man-page style usage. */
void worker_args_usage(FILE *out);

#endif
