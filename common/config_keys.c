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
    {"node", "id", CONFIG_I32, CFG(node.id), 1, CONFIG_NODE_ID_MAX, NULL, NULL, "--node-id",
     CONFIG_APPLY_NODE_RESTART, "this node's id"},
    {"node", "data_dir", CONFIG_PATH, CFG(node.data_dir), 0, 0, "./data", NULL, NULL,
     CONFIG_APPLY_NODE_RESTART, "directory of the replicas' LMDB environments"},
    {"node", "kafka_listen", CONFIG_ADDR, CFG(node.kafka_listen), 0, 0, "127.0.0.1:9092", NULL,
     NULL, CONFIG_APPLY_NODE_RESTART, "Kafka listener"},
    {"node", "advertised_host", CONFIG_HOST, CFG(node.advertised_host), 0, 0, NULL, NULL, NULL,
     CONFIG_APPLY_SUPERVISOR, "host name given to clients in Metadata"},
    {"node", "admin_listen", CONFIG_ADDR, CFG(node.admin_listen), 0, 0, "127.0.0.1:9644", NULL,
     NULL, CONFIG_APPLY_NODE_RESTART, "admin HTTP listener"},
    {"node", "raft_listen", CONFIG_ADDR, CFG(node.raft_listen), 0, 0, "127.0.0.1:9192", NULL, NULL,
     CONFIG_APPLY_NODE_RESTART, "listener for other nodes' Raft connections"},
    {"node", "log_level", CONFIG_LOGLEVEL, CFG(node.log_level), 0, 0, "info", NULL, "--log-level",
     CONFIG_APPLY_WORKER_RESTART, "error, warn, info or debug"},
    {"node", "worker_path", CONFIG_PATH, CFG(node.worker_path), 0, 0, NULL, NULL, NULL,
     CONFIG_APPLY_WORKER_RESTART, "the fjord-worker executable"},
    {"kafka", "socket_request_max_bytes", CONFIG_I64, CFG(kafka.socket_request_max_bytes), 1024,
     INT32_MAX, "104857600", NULL, NULL, CONFIG_APPLY_SUPERVISOR, "largest request accepted"},
    {"kafka", "max_connections", CONFIG_I32, CFG(kafka.max_connections), 1, 1000000, "10000", NULL,
     NULL, CONFIG_APPLY_SUPERVISOR, "most client connections"},
    {"storage", "sync", CONFIG_SYNC, CFG(storage.sync), 0, 0, "always", NULL, "--sync",
     CONFIG_APPLY_WORKER_RESTART, "fsync each group commit (always) or not (never)"},
    {"storage", "map_size_mb", CONFIG_I32, CFG(storage.map_size_mb), 1, 16 * 1024 * 1024, "1024",
     NULL, "--map-size-mb", CONFIG_APPLY_WORKER_RESTART, "LMDB map size per replica, MiB"},
    {"storage", "max_message_bytes", CONFIG_I32, CFG(storage.max_message_bytes), 1,
     1024 * 1024 * 1024, "1048576", NULL, NULL, CONFIG_APPLY_VIA_TOPICS,
     "default of topic max_message_bytes"},
    {"retention", "ms", CONFIG_UNLIM, CFG(retention.ms), 1, INT64_MAX, "604800000", NULL, NULL,
     CONFIG_APPLY_VIA_TOPICS, "default of topic retention_ms"},
    {"retention", "bytes", CONFIG_UNLIM, CFG(retention.bytes), 1, INT64_MAX, "-1", NULL, NULL,
     CONFIG_APPLY_VIA_TOPICS, "default of topic retention_bytes"},
    {"raft", "election_timeout_ms", CONFIG_I32, CFG(raft.election_timeout_ms), 10, 600000, "3000",
     NULL, "--election-timeout-ms", CONFIG_APPLY_WORKER_RESTART,
     "follower timeout T, drawn in [T, 2T)"},
    {"raft", "heartbeat_interval_ms", CONFIG_I32, CFG(raft.heartbeat_interval_ms), 1, 600000, "150",
     NULL, "--heartbeat-interval-ms", CONFIG_APPLY_WORKER_RESTART,
     "leader heartbeat period, one Raft tick"},
    {"raft", "max_entries_per_batch", CONFIG_I32, CFG(raft.max_entries_per_batch), 1, 1000000,
     "100", NULL, "--max-entries-per-batch", CONFIG_APPLY_WORKER_RESTART,
     "most entries in one append message"},
    /* Live: the worker reads it each time it decides on a snapshot, so a
     * new value needs no restart (and no failover of local leaders). */
    {"raft", "snapshot_threshold", CONFIG_I64, CFG(raft.snapshot_threshold), 1, INT64_MAX, "10000",
     NULL, "--snapshot-threshold", CONFIG_APPLY_WORKER_LIVE,
     "applied entries between state-machine snapshots"},
    {"cluster", "name", CONFIG_NAME, CFG(cluster_name), 0, 0, "fjord", NULL, "--cluster",
     CONFIG_APPLY_NODE_RESTART, "cluster name sent in every hello"},
    {TOPIC, "partitions", CONFIG_I32, TOP(partitions), 1, CONFIG_PARTITIONS_MAX, NULL, NULL, NULL,
     CONFIG_APPLY_SPECIAL, "number of partitions (only grows)"},
    {TOPIC, "replication", CONFIG_I32, TOP(replication), 1, 1000, "1", NULL, NULL,
     CONFIG_APPLY_SPECIAL, "replicas per partition"},
    {TOPIC, "retention_ms", CONFIG_UNLIM, TOP(retention_ms), 1, INT64_MAX, NULL, "retention.ms",
     "--retention-ms", CONFIG_APPLY_WORKER_RESTART, "delete batches older than this; -1 never"},
    {TOPIC, "retention_bytes", CONFIG_UNLIM, TOP(retention_bytes), 1, INT64_MAX, NULL,
     "retention.bytes", "--retention-bytes", CONFIG_APPLY_WORKER_RESTART,
     "keep the log under this size; -1 no limit"},
    {TOPIC, "max_message_bytes", CONFIG_I32, TOP(max_message_bytes), 1, 1024 * 1024 * 1024, NULL,
     "storage.max_message_bytes", "--max-message-bytes", CONFIG_APPLY_WORKER_RESTART,
     "largest record batch accepted"},
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
