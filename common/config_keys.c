/* config_keys.c - the table of configuration keys, with the typed handling
 * of one key's value that every row shares (parse, format, compare).
 *
 * It knows nothing of files, lines or command lines: config.c reads the INI
 * file and names the place of an error, worker/args.c reads the worker's
 * flags. Both call config_key_parse, so a value means the same and is
 * refused with the same words wherever it comes from. */
#include "config_keys.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define CFG(field) offsetof(struct config, field)
#define TOP(field) offsetof(struct config_topic, field)

/* A [topic.NAME] key's field lives in struct config_topic. */
#define TOPIC CONFIG_TOPIC_SECTION

/* The order is the order of the worker's flags on its command line and of
 * the sections in docs/CONFIG.md. Ranges are those the code can honour:
 * map_size_mb * 2^20 fits a size_t, max_message_bytes a Kafka int32. */
const struct config_key config_keys[] = {
    {.section = "node",
     .key = "id",
     .kind = CONFIG_I32,
     .off = CFG(node.id),
     .min = 1,
     .max = CONFIG_NODE_ID_MAX,
     .flag = "--node-id",
     .override = "--node-id",
     .apply = CONFIG_APPLY_NODE_RESTART,
     .doc = "this node's id"},
    {.section = "node",
     .key = "data_dir",
     .kind = CONFIG_PATH,
     .off = CFG(node.data_dir),
     .def = "./data",
     .override = "--data-dir",
     .apply = CONFIG_APPLY_NODE_RESTART,
     .doc = "directory of the replicas' LMDB environments"},
    {.section = "node",
     .key = "kafka_listen",
     .kind = CONFIG_ADDR,
     .off = CFG(node.kafka_listen),
     .def = "127.0.0.1:9092",
     .override = "--kafka-listen",
     .apply = CONFIG_APPLY_NODE_RESTART,
     .doc = "Kafka listener"},
    {.section = "node",
     .key = "advertised_host",
     .kind = CONFIG_HOST,
     .off = CFG(node.advertised_host),
     .override = "--advertised-host",
     .apply = CONFIG_APPLY_SUPERVISOR,
     .doc = "host name given to clients in Metadata"},
    {.section = "node",
     .key = "admin_listen",
     .kind = CONFIG_ADDR,
     .off = CFG(node.admin_listen),
     .def = "127.0.0.1:9644",
     .override = "--admin-listen",
     .apply = CONFIG_APPLY_NODE_RESTART,
     .doc = "admin HTTP listener"},
    {.section = "node",
     .key = "raft_listen",
     .kind = CONFIG_ADDR,
     .off = CFG(node.raft_listen),
     .def = "127.0.0.1:9192",
     .apply = CONFIG_APPLY_NODE_RESTART,
     .doc = "listener for other nodes' Raft connections"},
    {.section = "node",
     .key = "log_level",
     .kind = CONFIG_LOGLEVEL,
     .off = CFG(node.log_level),
     .def = "info",
     .flag = "--log-level",
     .override = "--log-level",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "error, warn, info or debug"},
    {.section = "node",
     .key = "worker_path",
     .kind = CONFIG_PATH,
     .off = CFG(node.worker_path),
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "the fjord-worker executable"},
    {.section = "kafka",
     .key = "socket_request_max_bytes",
     .kind = CONFIG_I64,
     .off = CFG(kafka.socket_request_max_bytes),
     .min = 1024,
     .max = INT32_MAX,
     .def = "104857600",
     .apply = CONFIG_APPLY_SUPERVISOR,
     .doc = "largest request accepted"},
    {.section = "kafka",
     .key = "max_connections",
     .kind = CONFIG_I32,
     .off = CFG(kafka.max_connections),
     .min = 1,
     .max = 1000000,
     .def = "10000",
     .apply = CONFIG_APPLY_SUPERVISOR,
     .doc = "most client connections"},
    {.section = "kafka",
     .key = "partition_timeout_ms",
     .kind = CONFIG_I32,
     .off = CFG(kafka.partition_timeout_ms),
     .min = 1000,
     .max = 600000,
     .def = "2000",
     .apply = CONFIG_APPLY_SUPERVISOR,
     .doc = "a silent worker's partitions get a retriable error"},
    {.section = "kafka",
     .key = "auto_create_topics",
     .kind = CONFIG_I32,
     .off = CFG(kafka.auto_create_topics),
     .min = 0,
     .max = 1,
     .def = "1",
     .apply = CONFIG_APPLY_SUPERVISOR,
     .doc = "1: Metadata for an unknown topic creates it (when the client allows)"},
    {.section = "kafka",
     .key = "default_partitions",
     .kind = CONFIG_I32,
     .off = CFG(kafka.default_partitions),
     .min = 1,
     .max = CONFIG_PARTITIONS_MAX,
     .def = "1",
     .apply = CONFIG_APPLY_SUPERVISOR,
     .doc = "partitions of an auto-created topic, and of CreateTopics' -1"},
    {.section = "kafka",
     .key = "default_replication",
     .kind = CONFIG_I32,
     .off = CFG(kafka.default_replication),
     .min = 1,
     .max = 32,
     .def = "1",
     .apply = CONFIG_APPLY_SUPERVISOR,
     .doc = "replication of an auto-created topic, and of CreateTopics' -1"},
    {.section = "storage",
     .key = "sync",
     .kind = CONFIG_SYNC,
     .off = CFG(storage.sync),
     .def = "always",
     .flag = "--sync",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "fsync each group commit (always) or not (never)"},
    {.section = "storage",
     .key = "map_size_mb",
     .kind = CONFIG_I32,
     .off = CFG(storage.map_size_mb),
     .min = 1,
     .max = 16 * 1024 * 1024,
     .def = "1024",
     .flag = "--map-size-mb",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "LMDB map size per replica, MiB"},
    {.section = "storage",
     .key = "max_message_bytes",
     .kind = CONFIG_I32,
     .off = CFG(storage.max_message_bytes),
     .min = 1,
     .max = 1024 * 1024 * 1024,
     .def = "1048576",
     .apply = CONFIG_APPLY_VIA_TOPICS,
     .doc = "default of topic max_message_bytes"},
    {.section = "retention",
     .key = "ms",
     .kind = CONFIG_UNLIM,
     .off = CFG(retention.ms),
     .min = 1,
     .max = INT64_MAX,
     .def = "604800000",
     .apply = CONFIG_APPLY_VIA_TOPICS,
     .doc = "default of topic retention_ms"},
    {.section = "retention",
     .key = "bytes",
     .kind = CONFIG_UNLIM,
     .off = CFG(retention.bytes),
     .min = 1,
     .max = INT64_MAX,
     .def = "-1",
     .apply = CONFIG_APPLY_VIA_TOPICS,
     .doc = "default of topic retention_bytes"},
    {.section = "raft",
     .key = "election_timeout_ms",
     .kind = CONFIG_I32,
     .off = CFG(raft.election_timeout_ms),
     .min = 10,
     .max = 600000,
     .def = "3000",
     .flag = "--election-timeout-ms",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "follower timeout T, drawn in [T, 2T)"},
    {.section = "raft",
     .key = "heartbeat_interval_ms",
     .kind = CONFIG_I32,
     .off = CFG(raft.heartbeat_interval_ms),
     .min = 1,
     .max = 600000,
     .def = "150",
     .flag = "--heartbeat-interval-ms",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "leader heartbeat period, one Raft tick"},
    {.section = "raft",
     .key = "max_entries_per_batch",
     .kind = CONFIG_I32,
     .off = CFG(raft.max_entries_per_batch),
     .min = 1,
     .max = 1000000,
     .def = "100",
     .flag = "--max-entries-per-batch",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "most entries in one append message"},
    /* Live: the worker reads it each time it decides on a snapshot, so a
     * new value needs no restart (and no failover of local leaders). */
    {.section = "raft",
     .key = "snapshot_threshold",
     .kind = CONFIG_I64,
     .off = CFG(raft.snapshot_threshold),
     .min = 1,
     .max = INT64_MAX,
     .def = "10000",
     .flag = "--snapshot-threshold",
     .apply = CONFIG_APPLY_WORKER_LIVE,
     .doc = "applied entries between state-machine snapshots"},
    /* Read by the supervisor only: the coordinator of a group is found by
     * hashing its id over this many partitions, so a change would move
     * every group (and lose their offsets): a node restart, and the same
     * value on every node. */
    {.section = "groups",
     .key = "offsets_partitions",
     .kind = CONFIG_I32,
     .off = CFG(groups.offsets_partitions),
     .min = 1,
     .max = 1000,
     .def = "3",
     .apply = CONFIG_APPLY_NODE_RESTART,
     .doc = "partitions of __consumer_offsets"},
    {.section = "groups",
     .key = "offsets_retention_minutes",
     .kind = CONFIG_I64,
     .off = CFG(groups.offsets_retention_minutes),
     .min = 1,
     .max = INT64_MAX / 60000,
     .def = "10080",
     .flag = "--offsets-retention-minutes",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "offsets of a group empty this long expire"},
    {.section = "groups",
     .key = "min_session_timeout_ms",
     .kind = CONFIG_I32,
     .off = CFG(groups.min_session_timeout_ms),
     .min = 1,
     .max = INT32_MAX,
     .def = "6000",
     .flag = "--group-min-session-timeout-ms",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "shortest session timeout a member may ask for"},
    {.section = "groups",
     .key = "max_session_timeout_ms",
     .kind = CONFIG_I32,
     .off = CFG(groups.max_session_timeout_ms),
     .min = 1,
     .max = INT32_MAX,
     .def = "1800000",
     .flag = "--group-max-session-timeout-ms",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "longest session timeout a member may ask for"},
    {.section = "groups",
     .key = "max_size",
     .kind = CONFIG_I32,
     .off = CFG(groups.max_size),
     .min = 1,
     .max = 1000000,
     .def = "1000",
     .flag = "--group-max-size",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "most members of one group"},
    {.section = "groups",
     .key = "initial_rebalance_delay_ms",
     .kind = CONFIG_I32,
     .off = CFG(groups.initial_rebalance_delay_ms),
     .min = 0,
     .max = 300000,
     .def = "3000",
     .flag = "--group-initial-rebalance-delay-ms",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "how long the first join of an empty group waits for more members"},
    {.section = "cluster",
     .key = "name",
     .kind = CONFIG_NAME,
     .off = CFG(cluster_name),
     .def = "fjord",
     .flag = "--cluster",
     .apply = CONFIG_APPLY_NODE_RESTART,
     .doc = "cluster name sent in every hello"},
    {.section = "cluster",
     .key = "controller_voters",
     .kind = CONFIG_I32,
     .off = CFG(controller_voters),
     .min = 1,
     .max = 5,
     .def = "3",
     .apply = CONFIG_APPLY_NODE_RESTART,
     .doc = "voters of __controller: the first N nodes of [cluster]"},
    {.section = TOPIC,
     .key = "partitions",
     .kind = CONFIG_I32,
     .off = TOP(partitions),
     .min = 1,
     .max = CONFIG_PARTITIONS_MAX,
     .apply = CONFIG_APPLY_SPECIAL,
     .doc = "number of partitions (only grows)"},
    {.section = TOPIC,
     .key = "replication",
     .kind = CONFIG_I32,
     .off = TOP(replication),
     .min = 1,
     .max = 1000,
     .def = "1",
     .apply = CONFIG_APPLY_SPECIAL,
     .doc = "replicas per partition"},
    {.section = TOPIC,
     .key = "retention_ms",
     .kind = CONFIG_UNLIM,
     .off = TOP(retention_ms),
     .min = 1,
     .max = INT64_MAX,
     .inherits = "retention.ms",
     .flag = "--retention-ms",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "delete batches older than this; -1 never"},
    {.section = TOPIC,
     .key = "retention_bytes",
     .kind = CONFIG_UNLIM,
     .off = TOP(retention_bytes),
     .min = 1,
     .max = INT64_MAX,
     .inherits = "retention.bytes",
     .flag = "--retention-bytes",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "keep the log under this size; -1 no limit"},
    {.section = TOPIC,
     .key = "max_message_bytes",
     .kind = CONFIG_I32,
     .off = TOP(max_message_bytes),
     .min = 1,
     .max = 1024 * 1024 * 1024,
     .inherits = "storage.max_message_bytes",
     .flag = "--max-message-bytes",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "largest record batch accepted"},
    {.section = TOPIC,
     .key = "message_timestamp_type",
     .kind = CONFIG_TSTYPE,
     .off = TOP(message_timestamp_type),
     .def = "CreateTime",
     .flag = "--message-timestamp-type",
     .apply = CONFIG_APPLY_WORKER_RESTART,
     .doc = "CreateTime (the producer's) or LogAppendTime (the leader's clock)"},
};
const int config_n_keys = (int)(sizeof(config_keys) / sizeof(config_keys[0]));
_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= CONFIG_KEYS_MAX,
	       "raise CONFIG_KEYS_MAX");

const char *config_apply_doc(enum config_apply a)
{
	switch (a) {
	case CONFIG_APPLY_NODE_RESTART:
		return "node restart";
	case CONFIG_APPLY_WORKER_RESTART:
		return "restarts workers";
	case CONFIG_APPLY_WORKER_LIVE:
		return "live";
	case CONFIG_APPLY_SUPERVISOR:
		return "at once";
	case CONFIG_APPLY_VIA_TOPICS:
		return "via topics";
	case CONFIG_APPLY_SPECIAL:
		return "see below";
	}
	return "?";
}

bool config_key_is_topic(const struct config_key *k)
{
	return strcmp(k->section, CONFIG_TOPIC_SECTION) == 0;
}

const struct config_key *config_key_find(const char *section, const char *key)
{
	for (int i = 0; i < config_n_keys; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].key, key) == 0)
			return &config_keys[i];
	return NULL;
}

int config_key_index(const struct config_key *k) { return (int)(k - config_keys); }

const struct config_key *config_key_find_name(const char *name)
{
	const char *dot = strchr(name, '.');
	if (dot == NULL)
		return NULL;
	for (int i = 0; i < config_n_keys; i++) {
		size_t sl = strlen(config_keys[i].section);
		if (sl == (size_t)(dot - name) && memcmp(config_keys[i].section, name, sl) == 0 &&
		    strcmp(config_keys[i].key, dot + 1) == 0)
			return &config_keys[i];
	}
	return NULL;
}

const struct config_key *config_key_find_flag(const char *flag)
{
	for (int i = 0; i < config_n_keys; i++)
		if (config_keys[i].flag != NULL && strcmp(config_keys[i].flag, flag) == 0)
			return &config_keys[i];
	return NULL;
}

const struct config_key *config_key_find_override(const char *flag)
{
	for (int i = 0; i < config_n_keys; i++)
		if (config_keys[i].override != NULL && strcmp(config_keys[i].override, flag) == 0)
			return &config_keys[i];
	return NULL;
}

void *config_key_field(const struct config_key *k, void *base) { return (char *)base + k->off; }

const void *config_key_cfield(const struct config_key *k, const void *base)
{
	return (const char *)base + k->off;
}

static bool parse_i64(const char *s, int64_t *out)
{
	/* strtoll accepts leading blanks and '+'; a config value should not. */
	if (!(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return false;
	*out = v;
	return true;
}

static bool name_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-", *s) != NULL))
			return false;
	return true;
}

static int bad(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t why_len, const char *fmt, ...)
{
	if (why != NULL && why_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return ERR_INVALID;
}

int config_key_parse(const struct config_key *k, void *base, const char *value, char *why,
		     size_t why_len)
{
	void *field = config_key_field(k, base);
	int64_t v;
	size_t len = strlen(value);
	switch (k->kind) {
	case CONFIG_I32:
	case CONFIG_I64:
		if (!parse_i64(value, &v) || v < k->min || v > k->max)
			return bad(why, why_len, "must be an integer in %lld..%lld, got '%s'",
				   (long long)k->min, (long long)k->max, value);
		if (k->kind == CONFIG_I32)
			*(int32_t *)field = (int32_t)v;
		else
			*(int64_t *)field = v;
		return 0;
	case CONFIG_UNLIM:
		if (!parse_i64(value, &v) || (v != -1 && (v < k->min || v > k->max)))
			return bad(why, why_len,
				   "must be -1 (unlimited) or an integer in %lld..%lld, got '%s'",
				   (long long)k->min, (long long)k->max, value);
		*(int64_t *)field = v;
		return 0;
	case CONFIG_PATH:
	case CONFIG_HOST: {
		/* A path leaves room for "/<topic>-<partition>" below it. */
		size_t cap = k->kind == CONFIG_PATH ? CONFIG_PATH_MAX - 300 : CONFIG_HOST_MAX;
		if (len == 0)
			return bad(why, why_len, "must not be empty");
		if (len >= cap)
			return bad(why, why_len, "is too long (max %zu characters)", cap - 1);
		if (k->kind == CONFIG_HOST && strpbrk(value, " \t,/[]") != NULL)
			return bad(why, why_len, "must be a host name or address, got '%s'", value);
		memcpy(field, value, len + 1);
		return 0;
	}
	case CONFIG_ADDR: {
		struct config_addr a;
		if (config_addr_parse(value, &a) != 0)
			return bad(
			    why, why_len,
			    "must be host:port (or [ipv6]:port) with port 1..65535, got '%s'",
			    value);
		*(struct config_addr *)field = a;
		return 0;
	}
	case CONFIG_LOGLEVEL: {
		enum log_level l;
		if (log_level_parse(value, &l) != 0)
			return bad(why, why_len,
				   "must be one of error, warn, info, debug, got '%s'", value);
		*(enum log_level *)field = l;
		return 0;
	}
	case CONFIG_SYNC:
		if (strcmp(value, "always") == 0)
			*(enum config_sync *)field = CONFIG_SYNC_ALWAYS;
		else if (strcmp(value, "never") == 0)
			*(enum config_sync *)field = CONFIG_SYNC_NEVER;
		else
			return bad(why, why_len, "must be always or never, got '%s'", value);
		return 0;
	case CONFIG_TSTYPE:
		if (strcmp(value, "CreateTime") == 0)
			*(int32_t *)field = CONFIG_TS_CREATE_TIME;
		else if (strcmp(value, "LogAppendTime") == 0)
			*(int32_t *)field = CONFIG_TS_LOG_APPEND_TIME;
		else
			return bad(why, why_len, "must be CreateTime or LogAppendTime, got '%s'",
				   value);
		return 0;
	case CONFIG_NAME:
		/* The characters of a topic name, so it reads the same in logs,
		 * hellos and JSON on every node. */
		if (len < 1 || len > CONFIG_CLUSTER_NAME_MAX || !name_chars_ok(value))
			return bad(why, why_len,
				   "must be 1..%d characters of [a-zA-Z0-9._-], got '%s'",
				   CONFIG_CLUSTER_NAME_MAX, value);
		memcpy(field, value, len + 1);
		return 0;
	}
	return bad(why, why_len, "has an unknown kind"); /* not reached */
}

int config_key_format(const struct config_key *k, const void *base, char *out, size_t out_len)
{
	const void *field = config_key_cfield(k, base);
	int n = 0;
	switch (k->kind) {
	case CONFIG_I32:
		n = snprintf(out, out_len, "%" PRId32, *(const int32_t *)field);
		break;
	case CONFIG_I64:
	case CONFIG_UNLIM:
		n = snprintf(out, out_len, "%" PRId64, *(const int64_t *)field);
		break;
	case CONFIG_PATH:
	case CONFIG_HOST:
	case CONFIG_NAME:
		n = snprintf(out, out_len, "%s", (const char *)field);
		break;
	case CONFIG_ADDR: {
		char a[CONFIG_HOST_MAX + 16];
		n = snprintf(out, out_len, "%s",
			     config_addr_str((const struct config_addr *)field, a, sizeof(a)));
		break;
	}
	case CONFIG_LOGLEVEL:
		n = snprintf(out, out_len, "%s", log_level_name(*(const enum log_level *)field));
		break;
	case CONFIG_SYNC:
		n = snprintf(out, out_len, "%s",
			     *(const enum config_sync *)field == CONFIG_SYNC_ALWAYS ? "always"
										    : "never");
		break;
	case CONFIG_TSTYPE:
		n = snprintf(out, out_len, "%s",
			     *(const int32_t *)field == CONFIG_TS_LOG_APPEND_TIME ? "LogAppendTime"
										  : "CreateTime");
		break;
	}
	return (n < 0 || (size_t)n >= out_len) ? ERR_TOOBIG : 0;
}

/* The size of k's field. */
static size_t field_size(const struct config_key *k)
{
	switch (k->kind) {
	case CONFIG_I32:
		return sizeof(int32_t);
	case CONFIG_I64:
	case CONFIG_UNLIM:
		return sizeof(int64_t);
	case CONFIG_PATH:
		return CONFIG_PATH_MAX;
	case CONFIG_HOST:
		return CONFIG_HOST_MAX;
	case CONFIG_ADDR:
		return sizeof(struct config_addr);
	case CONFIG_LOGLEVEL:
		return sizeof(enum log_level);
	case CONFIG_SYNC:
		return sizeof(enum config_sync);
	case CONFIG_TSTYPE:
		return sizeof(int32_t);
	case CONFIG_NAME:
		return CONFIG_CLUSTER_NAME_MAX + 1;
	}
	return 0;
}

void config_key_copy(const struct config_key *k, void *dst, const void *src)
{
	memcpy(config_key_field(k, dst), config_key_cfield(k, src), field_size(k));
}

bool config_key_equal(const struct config_key *k, const void *a, const void *b)
{
	const void *x = config_key_cfield(k, a), *y = config_key_cfield(k, b);
	switch (k->kind) {
	case CONFIG_I32:
		return *(const int32_t *)x == *(const int32_t *)y;
	case CONFIG_I64:
	case CONFIG_UNLIM:
		return *(const int64_t *)x == *(const int64_t *)y;
	case CONFIG_PATH:
	case CONFIG_HOST:
	case CONFIG_NAME:
		return strcmp(x, y) == 0;
	case CONFIG_ADDR: {
		const struct config_addr *p = x, *q = y;
		return p->port == q->port && strcmp(p->host, q->host) == 0;
	}
	case CONFIG_LOGLEVEL:
		return *(const enum log_level *)x == *(const enum log_level *)y;
	case CONFIG_SYNC:
		return *(const enum config_sync *)x == *(const enum config_sync *)y;
	case CONFIG_TSTYPE:
		return *(const int32_t *)x == *(const int32_t *)y;
	}
	return false;
}

int config_key_default(const struct config_key *k, const struct config *c, char *out,
		       size_t out_len)
{
	if (k->def != NULL) {
		int n = snprintf(out, out_len, "%s", k->def);
		return (n < 0 || (size_t)n >= out_len) ? ERR_TOOBIG : 0;
	}
	const struct config_key *from = k->inherits ? config_key_find_name(k->inherits) : NULL;
	if (from == NULL)
		return ERR_NOTFOUND;
	return config_key_format(from, c, out, out_len);
}

void config_keys_defaults(struct config *c)
{
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->def == NULL || config_key_is_topic(k))
			continue;
		/* test_config checks that every default parses. */
		(void)config_key_parse(k, c, k->def, NULL, 0);
	}
}

const char *config_check_raft(const struct config *c, char *why, size_t why_len)
{
	int32_t et = c->raft.election_timeout_ms, hb = c->raft.heartbeat_interval_ms;
	if (hb >= et)
		snprintf(why, why_len, "must be less than raft.election_timeout_ms (%d)", (int)et);
	else if ((int64_t)hb * 2 > et)
		snprintf(why, why_len,
			 "must be at most half of raft.election_timeout_ms (%d): the election "
			 "timeout is at least twice the heartbeat",
			 (int)et);
	else
		return NULL;
	return why;
}
