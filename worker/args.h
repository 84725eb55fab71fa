/* args.h - the fjord-worker command line.
 *
 * The supervisor builds this argv for every partition replica. The flags
 * that carry configuration keys are not listed here: they come from the
 * table of keys (common/config_keys.h), which supervisor/spawn.c walks to
 * write them and worker_args_parse walks to read them, so the worker has
 * no defaults or ranges of its own. */
#ifndef FJORD_WORKER_ARGS_H
#define FJORD_WORKER_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/log.h"

#define WORKER_MAX_REPLICAS 32 /* voters (--replicas) */
#define WORKER_MAX_MEMBERS 64  /* voters and learners (--learners) together */
#define WORKER_HOST_MAX 256

/* One --peer ID=HOST:PORT: where node `node` accepts Raft connections. */
struct worker_peer {
	int32_t node;
	char host[WORKER_HOST_MAX]; /* without the [] of an IPv6 literal */
	uint16_t port;
};

struct worker_args {
	/* Per-replica flags: where this replica lives and how it reaches
	 * the supervisor and its peers. They are not configuration keys. */
	int ipc_fd;	   /* the worker's end of the socketpair */
	const char *topic; /* borrowed from argv */
	int32_t partition;
	const char *dir; /* borrowed from argv: the replica's directory */
	int conn_fd;	 /* SOCK_SEQPACKET for handed-over peer connections, -1 = none */
	/* --replicas: the voters, preferred leader first; self included
	 * unless self is a learner. */
	int32_t replicas[WORKER_MAX_REPLICAS];
	int n_replicas; /* 0 when --replicas was not given: this node alone */
	/* --learners: the group's non-voting members (worker/raft/raft.h):
	 * they receive the log but never vote, campaign or lead, and do not
	 * count for commit. Self may be one of them (it then runs as a
	 * learner). Disjoint from replicas; needs --replicas. */
	int32_t learners[WORKER_MAX_MEMBERS];
	int n_learners;
	/* raft address of every other member, voter or learner */
	struct worker_peer peers[WORKER_MAX_MEMBERS];
	int n_peers;

	/* Every key of the configuration table (common/config_keys.h) that
	 * has a worker flag, parsed with that table: the same ranges, and
	 * the INI file's defaults for a flag not given. Global keys land in
	 * cfg (cfg.node.id, cfg.node.log_level, cfg.storage.sync,
	 * cfg.storage.map_size_mb, cfg.raft.*, cfg.cluster_name), the
	 * topic's effective settings in topic_cfg (retention_ms,
	 * retention_bytes, max_message_bytes). Other fields of cfg hold
	 * their defaults and mean nothing to the worker; cfg.peers and
	 * cfg.topics stay NULL. A key marked CONFIG_APPLY_WORKER_LIVE
	 * (cfg.raft.snapshot_threshold) may change while the worker runs
	 * (IPC_CONFIG): read it where it is used, do not copy it. */
	struct config cfg;
	struct config_topic topic_cfg;
};

/* The voters of the group: --replicas, or this node alone. Writes at most
 * WORKER_MAX_REPLICAS ids into out and returns the count. */
int worker_args_voters(const struct worker_args *a, int32_t *out);

/* Whether this node (--node-id) is one of --learners. */
bool worker_args_is_learner(const struct worker_args *a);

/* The --peer entry for node, or NULL. */
const struct worker_peer *worker_args_peer(const struct worker_args *a, int32_t node);

/* Parses argv into *a. Returns 0 to run, 1 when --help printed the usage to
 * `out`, or ERR_INVALID after writing one line naming the problem to `err`
 * (the caller exits 2). */
int worker_args_parse(int argc, char **argv, struct worker_args *a, FILE *out, FILE *err);

/* IPC_CONFIG: sets the key it names in a->cfg (or a->topic_cfg) to its
 * value, parsed with the table. Only keys marked CONFIG_APPLY_WORKER_LIVE
 * are taken; anything else (unknown key, a key that needs a restart, a bad
 * value) is logged and ignored, keeping the old value. Returns 0 or
 * ERR_INVALID. */
struct ipc_config;
int worker_args_apply_live(struct worker_args *a, const struct ipc_config *m);

/* Writes the man-page style usage. */
void worker_args_usage(FILE *out);

#endif
