/* config.h - the INI configuration file as a typed, validated struct.
 *
 * config_load() is a pure function from a file (plus command-line overrides)
 * to a struct config: it opens and reads the file and nothing else, so it is
 * safe to call again on SIGHUP while the old config stays in use, and easy to
 * unit-test. Every error names the place it comes from, as
 * "<file>:<line>: <section>.<key>: <what is wrong>". The keys themselves
 * (type, range, default, worker flag, reload rule) are the one table of
 * common/config_keys.h; docs/CONFIG.md is the reference for every key. */
#ifndef FJORD_CONFIG_H
#define FJORD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

#define CONFIG_PATH_MAX 1024
#define CONFIG_HOST_MAX 256
#define CONFIG_TOPIC_NAME_MAX 249

#define CONFIG_NODE_ID_MAX 1000000
#define CONFIG_CLUSTER_NAME_MAX 127 /* fits a hello's cluster field */
#define CONFIG_PARTITIONS_MAX 10000

/* A "host:port" or "[v6addr]:port" pair. host has no brackets. */
struct config_addr {
	char host[CONFIG_HOST_MAX];
	uint16_t port;
};

/* One [cluster] node.<id> line. */
struct config_peer {
	int32_t id;
	struct config_addr kafka;
	struct config_addr raft;
	int line; /* where it was set, for messages */
};

/* One [topic.NAME] section. The per-topic settings hold the effective
 * value: the section's override or else the global default. */
struct config_topic {
	char name[CONFIG_TOPIC_NAME_MAX + 1];
	int32_t partitions;
	int32_t replication;
	int64_t retention_ms;	 /* -1 = forever */
	int64_t retention_bytes; /* -1 = unlimited */
	int32_t max_message_bytes;
	int32_t message_timestamp_type; /* enum config_ts_type */
	int line;			/* line of the section header, for messages */
	/* Bit i set: the value of config_keys[i] was given for this topic
	 * (by its section, or later by a topic config change), not taken
	 * from a default or the global key it inherits. DescribeConfigs
	 * reports such a value as the topic's own (common/topic_configs.h). */
	uint64_t set_keys;
};

enum config_sync { CONFIG_SYNC_ALWAYS = 0, CONFIG_SYNC_NEVER = 1 };

/* Kafka's message.timestamp.type: keep the producer's timestamps, or have
 * the leader stamp each batch with its append time. */
enum config_ts_type { CONFIG_TS_CREATE_TIME = 0, CONFIG_TS_LOG_APPEND_TIME = 1 };

struct config {
	char path[CONFIG_PATH_MAX]; /* the file it was loaded from */

	struct {
		int32_t id;
		char data_dir[CONFIG_PATH_MAX];
		struct config_addr kafka_listen;
		char advertised_host[CONFIG_HOST_MAX];
		struct config_addr admin_listen;
		struct config_addr raft_listen;
		enum log_level log_level;
		/* Empty when not configured: the caller resolves the default
		 * (fjord-worker next to its own executable, see
		 * config_default_worker_path) because that depends on the
		 * running process, not on the file. */
		char worker_path[CONFIG_PATH_MAX];
	} node;

	struct {
		int64_t socket_request_max_bytes;
		int32_t max_connections;
		int32_t partition_timeout_ms; /* a silent worker's partitions get an error */
		int32_t auto_create_topics;   /* 1: Metadata creates unknown topics */
		int32_t default_partitions;   /* auto-created topics, CreateTopics' -1 */
		int32_t default_replication;  /* the same, capped by the node count */
	} kafka;

	struct {
		enum config_sync sync;
		int32_t map_size_mb;
		int32_t max_message_bytes;
	} storage;

	struct {
		int64_t ms;    /* -1 = forever */
		int64_t bytes; /* -1 = unlimited */
	} retention;

	struct {
		int32_t election_timeout_ms;
		int32_t heartbeat_interval_ms;
		int32_t max_entries_per_batch;
		int64_t snapshot_threshold;
	} raft;

	/* [groups]: consumer-group coordinators (__consumer_offsets). */
	struct {
		int32_t offsets_partitions;
		int64_t offsets_retention_minutes;
		int32_t min_session_timeout_ms;
		int32_t max_session_timeout_ms;
		int32_t max_size;
		int32_t initial_rebalance_delay_ms;
	} groups;
	/* [cluster] name: sent in every peer hello; nodes of different
	 * clusters refuse each other. Default "fjord". */
	char cluster_name[CONFIG_CLUSTER_NAME_MAX + 1];
	/* [cluster] controller_voters: how many of the first nodes of the
	 * list vote in __controller (3 by default; 5 for more resilience). */
	int32_t controller_voters;

	/* [cluster] node.<id> lines, sorted by id, addresses all distinct,
	 * this node included. n_peers == 0 means "this node alone". */
	struct config_peer *peers; /* owned */
	int n_peers;

	/* Bit i set: the file (or a command-line override) gave the global
	 * key config_keys[i]; clear: it holds its default. */
	uint64_t set_keys;

	/* [topic.*] sections in file order. */
	struct config_topic *topics; /* owned */
	int n_topics;
};

/* A command-line override of one key, applied after the file and validated
 * like it. `source` names it in error messages (e.g. "--node-id"). All three
 * strings are borrowed for the call. */
struct config_override {
	const char *section;
	const char *key;
	const char *value;
	const char *source;
};

/* Loads and validates `path`, applies the overrides, fills defaults and
 * checks required keys and cross-key rules. On success *out is a new config
 * (caller frees with config_free) and 0 is returned. On failure *out is NULL,
 * `err` (err_len bytes, may be NULL) holds one line per problem found (up to
 * 20, in file order, separated by '\n', no trailing newline), and the return
 * value is ERR_CONFIG (bad content) or ERR_IO (the file cannot be read; err
 * says why) or ERR_NOMEM. */
int config_load(const char *path, const struct config_override *ov, int n_ov, struct config **out,
		char *err, size_t err_len);

/* Frees a config from config_load. NULL is fine. */
void config_free(struct config *c);

/* Finds a topic by name (len bytes, not NUL-terminated). Returns a borrowed
 * pointer into c, or NULL. */
const struct config_topic *config_topic_find(const struct config *c, const char *name, size_t len);

/* Checks a topic name against Kafka's rules: 1..249 characters of
 * [a-zA-Z0-9._-], not "." or "..". Returns 0 or ERR_INVALID. */
int config_topic_name_check(const char *name, size_t len);

/* Parses "host:port" or "[v6]:port" (port 1..65535). Returns 0 or ERR_INVALID. */
int config_addr_parse(const char *s, struct config_addr *out);

/* Writes "host:port" (brackets for IPv6) into out. Returns out. */
const char *config_addr_str(const struct config_addr *a, char *out, size_t out_len);

/* The ids of every node of the cluster, ascending, into out (at least
 * max(1, c->n_peers) entries): the [cluster] list, or this node alone when
 * the section is absent. Returns how many. */
int config_node_ids(const struct config *c, int32_t *out);

/* Finds node `id` in [cluster]. Returns a borrowed pointer into c, or NULL
 * (also when the section is absent). */
const struct config_peer *config_peer_find(const struct config *c, int32_t id);

/* Writes the default worker path, "fjord-worker" in the directory of
 * /proc/self/exe, into out. Returns 0 or ERR_IO. */
int config_default_worker_path(char *out, size_t out_len);

#endif
