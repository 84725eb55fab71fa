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

#define WORKER_MAX_REPLICAS 32
#define WORKER_HOST_MAX 256

/* One --peer ID=HOST:PORT: where node `node` accepts Raft connections. */
struct worker_peer {
	int32_t node;
	char host[WORKER_HOST_MAX]; /* without the [] of an IPv6 literal */
	uint16_t port;
};

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

	/* Replication (all optional: without --replicas the group is this
	 * node alone). */
	int conn_fd;		      /* SOCK_SEQPACKET for handed-over peer connections, -1 = none */
	const char *cluster;	      /* cluster name sent in hellos; default "fjord" */
	int32_t replicas[WORKER_MAX_REPLICAS]; /* voters, preferred leader first; self included */
	int n_replicas;		      /* 0 when --replicas was not given */
	struct worker_peer peers[WORKER_MAX_REPLICAS]; /* raft address of every other replica */
	int n_peers;
	int32_t election_timeout_ms;   /* default 3000 */
	int32_t heartbeat_interval_ms; /* default 150; below election_timeout_ms */
	int32_t max_entries_per_batch; /* default 100 */
	int64_t snapshot_threshold;    /* default 10000 */
};

/* The voters of the group: --replicas, or this node alone. Writes at most
 * WORKER_MAX_REPLICAS ids into out and returns the count. */
int worker_args_voters(const struct worker_args *a, int32_t *out);

/* The --peer entry for node, or NULL. */
const struct worker_peer *worker_args_peer(const struct worker_args *a, int32_t node);

/* Parses argv into *a. Returns 0 to run, 1 when --help printed the usage to
 * `out`, or ERR_INVALID after writing one line naming the problem to `err`
 * (the caller exits 2). */
int worker_args_parse(int argc, char **argv, struct worker_args *a, FILE *out, FILE *err);

/* Writes the man-page style usage. */
void worker_args_usage(FILE *out);

#endif
