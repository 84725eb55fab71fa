/* config_keys.h - the one table of configuration keys.
 *
 * Every key of the INI file has exactly one row here: its section and name,
 * its type and range, its default, the fjord-worker flag that carries it (if
 * the worker needs it) and what a change on SIGHUP takes. The INI loader
 * (config.c), the worker's command line (supervisor/spawn.c builds it,
 * worker/args.c parses it), the reload plan (supervisor/reload.c) and the
 * check of docs/CONFIG.md all walk this table, so a key added here reaches
 * all of them and a key missing here reaches none. Only the [cluster]
 * node.<id> lines (one per node, any id) and the per-replica worker flags
 * (--ipc-fd, --topic, --replicas, ...) are not keys of this table. */
#ifndef FJORD_CONFIG_KEYS_H
#define FJORD_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

enum config_kind {
	CONFIG_I32,	 /* int32_t in [min, max] */
	CONFIG_I64,	 /* int64_t in [min, max] */
	CONFIG_UNLIM,	 /* int64_t: -1 (unlimited) or [min, max] */
	CONFIG_PATH,	 /* char[CONFIG_PATH_MAX], non-empty */
	CONFIG_HOST,	 /* char[CONFIG_HOST_MAX], non-empty */
	CONFIG_ADDR,	 /* struct config_addr */
	CONFIG_LOGLEVEL, /* enum log_level */
	CONFIG_SYNC,	 /* enum config_sync */
	CONFIG_NAME,	 /* char[CONFIG_CLUSTER_NAME_MAX + 1] of [a-zA-Z0-9._-] */
	CONFIG_TSTYPE,	 /* enum config_ts_type: CreateTime or LogAppendTime */
};

/* What a changed value needs on SIGHUP (supervisor/reload.c). */
enum config_apply {
	/* Read once at start (listeners, identity, layout): the running
	 * value is kept and a warning says a node restart is needed. */
	CONFIG_APPLY_NODE_RESTART,
	/* On the worker's command line and read once by it: the workers
	 * that use it restart (every worker for a global key, the topic's
	 * workers for a [topic.NAME] key). */
	CONFIG_APPLY_WORKER_RESTART,
	/* Reaches the worker on its command line at start and, on a
	 * change, in an IPC_CONFIG message: running workers take it
	 * without a restart. */
	CONFIG_APPLY_WORKER_LIVE,
	/* Read by the supervisor where it is used: takes effect at once. */
	CONFIG_APPLY_SUPERVISOR,
	/* A default of the [topic.NAME] key named by `inherits` of that
	 * key: the reload compares each topic's effective value instead. */
	CONFIG_APPLY_VIA_TOPICS,
	/* A rule of its own in reload.c (partitions only grow, replication
	 * is kept). */
	CONFIG_APPLY_SPECIAL,
};

#define CONFIG_TOPIC_SECTION "topic" /* section of the [topic.NAME] keys */
/* Rows of the table, at most: also the bits of struct config's and struct
 * config_topic's set_keys. */
#define CONFIG_KEYS_MAX 64

struct config_key {
	const char *section; /* "node", ..., or CONFIG_TOPIC_SECTION */
	const char *key;
	enum config_kind kind;
	/* Offset of the field in struct config, or in struct config_topic
	 * for a [topic.NAME] key. */
	size_t off;
	int64_t min, max; /* integer kinds */
	/* The default as it would be written in the file, or NULL: required
	 * (node.id, topic partitions), derived by the loader (advertised_host,
	 * worker_path), or inherited (see `inherits`). */
	const char *def;
	/* For a [topic.NAME] key without a default of its own: the global key
	 * ("section.key") whose value it takes when the section omits it. */
	const char *inherits;
	/* The fjord-worker flag carrying the value ("--sync"), or NULL when
	 * the worker does not need the key. */
	const char *flag;
	/* The fjord-supervisor flag that overrides the file's value
	 * ("--node-id"), or NULL. */
	const char *override;
	enum config_apply apply;
	const char *doc; /* one line, for --help and error hints */
};

extern const struct config_key config_keys[];
extern const int config_n_keys;

/* How docs/CONFIG.md's "reload" column spells an apply rule ("node
 * restart", "restarts workers", "live", "at once", "via topics", "see
 * below"); a unit test holds the two together. */
const char *config_apply_doc(enum config_apply a);

/* True for a [topic.NAME] key (its field is in struct config_topic). */
bool config_key_is_topic(const struct config_key *k);

/* The row of section.key (section "topic" for [topic.NAME] keys), or NULL. */
const struct config_key *config_key_find(const char *section, const char *key);

/* k's position in config_keys (its bit in set_keys). */
int config_key_index(const struct config_key *k);

/* The row of "section.key" written as one name ("raft.snapshot_threshold"),
 * or NULL. */
const struct config_key *config_key_find_name(const char *name);

/* The row whose worker flag is `flag` ("--sync"), or NULL. */
const struct config_key *config_key_find_flag(const char *flag);

/* The row whose supervisor override flag is `flag` ("--node-id"), or NULL. */
const struct config_key *config_key_find_override(const char *flag);

/* The field of k inside base (a struct config, or a struct config_topic
 * for a topic key). */
void *config_key_field(const struct config_key *k, void *base);
const void *config_key_cfield(const struct config_key *k, const void *base);

/* Parses value as k's kind and range into k's field of base. On a bad value
 * returns ERR_INVALID, leaves the field alone and writes what is wrong to
 * why ("must be an integer in 1..10, got 'x'"). */
int config_key_parse(const struct config_key *k, void *base, const char *value, char *why,
		     size_t why_len);

/* Writes k's field of base as the file would spell it ("never", "-1",
 * "[::1]:9092"), so config_key_parse reads it back to the same value.
 * Returns 0 or ERR_TOOBIG. */
int config_key_format(const struct config_key *k, const void *base, char *out, size_t out_len);

/* Copies k's field from src to dst (both of the same struct type). */
void config_key_copy(const struct config_key *k, void *dst, const void *src);

/* Whether k's field holds the same value in a and b. */
bool config_key_equal(const struct config_key *k, const void *a, const void *b);

/* Writes the value key k takes when the file (or command line) leaves it
 * out: its default, or for a [topic.NAME] key the value in c of the global
 * key it inherits. Returns 0, or ERR_NOTFOUND for a required key. */
int config_key_default(const struct config_key *k, const struct config *c, char *out,
		       size_t out_len);

/* Sets every global key that has a default to it, and cluster_name's. Keys
 * without a default are left as they are (zero in a calloc'd config). */
void config_keys_defaults(struct config *c);

/* The cross-key rule of [raft]: a Raft tick is heartbeat_interval_ms and
 * the election timeout must be at least two ticks (so a follower hears at
 * least one heartbeat before it may campaign). Returns NULL when c obeys
 * it, else what is wrong with raft.heartbeat_interval_ms (static storage
 * in why, why_len bytes). Shared by the loader and the worker. */
const char *config_check_raft(const struct config *c, char *why, size_t why_len);

#endif
