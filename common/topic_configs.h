/* topic_configs.h - the one table of Kafka topic configs fjord knows.
 *
 * Kafka names a topic's settings "retention.ms", "cleanup.policy", ...;
 * fjord's INI file names some of them differently ([topic.NAME]
 * retention_ms) and has no setting at all for most (fjord has no log
 * segments, no compaction). Each row here is one Kafka topic config: its
 * type and valid values by Kafka's rules, where fjord's value comes from
 * (a [topic.NAME] key of common/config_keys.c, or a value fjord always has),
 * its broker-level synonym, and so whether a change can be honoured.
 *
 * Everything that speaks Kafka config names walks this table:
 * DescribeConfigs lists a topic's effective configs with their sources and
 * synonyms, CreateTopics / AlterConfigs / IncrementalAlterConfigs validate
 * and apply (name, value) pairs to a struct config_topic. Pure: no I/O, no
 * allocation.
 *
 * The rules for a (name, value):
 *   - unknown name, or a value Kafka itself refuses (not a number, out of
 *     Kafka's range, not one of Kafka's values) -> KERR_INVALID_CONFIG;
 *   - a value Kafka accepts but fjord cannot honour (cleanup.policy=compact,
 *     segment.bytes on a store without segments, retention.ms=0)
 *     -> KERR_POLICY_VIOLATION, whose message names the config and says
 *     what fjord does instead;
 *   - otherwise the value is applied, and a config fjord fixes accepts its
 *     one value (setting cleanup.policy=delete is fine).
 * The Kafka names, types, ranges and defaults follow Kafka 3.x/4.0
 * (TopicConfig, LogConfig, ServerLogConfigs). */
#ifndef FJORD_TOPIC_CONFIGS_H
#define FJORD_TOPIC_CONFIGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/config_keys.h"

/* Kafka's ConfigType, as DescribeConfigs v3+ sends it. */
enum topic_config_type {
	TOPIC_CONFIG_UNKNOWN = 0,
	TOPIC_CONFIG_BOOLEAN = 1,
	TOPIC_CONFIG_STRING = 2,
	TOPIC_CONFIG_INT = 3,
	TOPIC_CONFIG_SHORT = 4,
	TOPIC_CONFIG_LONG = 5,
	TOPIC_CONFIG_DOUBLE = 6,
	TOPIC_CONFIG_LIST = 7,
	TOPIC_CONFIG_CLASS = 8,
	TOPIC_CONFIG_PASSWORD = 9,
};

/* Kafka's ConfigSource, as DescribeConfigs v1+ sends it. */
enum topic_config_source {
	TOPIC_CONFIG_SRC_UNKNOWN = 0,
	TOPIC_CONFIG_SRC_DYNAMIC_TOPIC = 1,	     /* DYNAMIC_TOPIC_CONFIG */
	TOPIC_CONFIG_SRC_DYNAMIC_BROKER = 2,	     /* DYNAMIC_BROKER_CONFIG */
	TOPIC_CONFIG_SRC_DYNAMIC_DEFAULT_BROKER = 3, /* DYNAMIC_DEFAULT_BROKER_CONFIG */
	TOPIC_CONFIG_SRC_STATIC_BROKER = 4,	     /* STATIC_BROKER_CONFIG: the INI file */
	TOPIC_CONFIG_SRC_DEFAULT = 5,		     /* DEFAULT_CONFIG */
};

/* Computes a value fjord does not store but derives (min.insync.replicas
 * from the replication factor, flush.messages from [storage] sync). c may
 * be NULL (no broker settings known: take the defaults). */
typedef void topic_config_derive_cb(const struct config *c, const struct config_topic *t, char *out,
				    size_t out_len);

struct topic_config {
	const char *name; /* Kafka's topic config name */
	enum topic_config_type type;
	/* INT / LONG: Kafka's valid range. DOUBLE: the same, as integers
	 * (min.cleanable.dirty.ratio is 0..1). */
	int64_t min, max;
	/* STRING / LIST: Kafka's valid values, comma-separated; NULL: any
	 * string. LIST values are comma-separated lists of them. */
	const char *values;
	/* The [topic.NAME] key of common/config_keys.c holding fjord's value
	 * (fjord implements the config: any value that key's range takes is
	 * applied), or NULL: fjord has one value, `fixed` or `derive`'s. */
	const char *ini_key;
	const char *fixed;
	topic_config_derive_cb *derive;
	/* Kafka's broker-level synonym (log.retention.ms), or NULL. */
	const char *broker;
	/* For a config fjord fixes: what it does instead, the end of the
	 * POLICY_VIOLATION message ("fjord keeps every record until
	 * retention removes it: no compaction"). */
	const char *instead;
};

extern const struct topic_config topic_configs[];
extern const int topic_configs_n;

/* The row named `name` (Kafka's spelling, exact), or NULL. */
const struct topic_config *topic_config_find(const char *name);

/* The config_keys row holding row's value, or NULL for a fixed config. */
const struct config_key *topic_config_key(const struct topic_config *row);

/* Whether fjord implements the config (any valid value is applied). */
bool topic_config_implemented(const struct topic_config *row);

/* What a change of an implemented config takes on running workers: the
 * rule of its config_keys row (CONFIG_APPLY_WORKER_LIVE: sent as
 * IPC_CONFIG; CONFIG_APPLY_WORKER_RESTART: the topic's workers restart).
 * A fixed config never changes: CONFIG_APPLY_SUPERVISOR. */
enum config_apply topic_config_apply_rule(const struct topic_config *row);

/* Checks `value` for config `name` and, when it is fine, applies it to t
 * and marks it set there (t->set_keys). value may be NULL (Kafka's null
 * value: treated as an empty string, which no config takes). c (broker
 * settings, may be NULL) is only read to derive fixed values.
 * Returns KERR_NONE, KERR_INVALID_CONFIG or KERR_POLICY_VIOLATION; on an
 * error t is unchanged and why (why_len bytes, may be NULL) says what is
 * wrong, naming the config: "cleanup.policy=compact is not implemented by
 * fjord: ...". For several configs of one request, check them all on a
 * copy of t before applying any. */
int16_t topic_config_set(const struct config *c, struct config_topic *t, const char *name,
			 const char *value, char *why, size_t why_len);

/* Only the check of topic_config_set: t is not changed. */
int16_t topic_config_check(const struct config *c, const struct config_topic *t, const char *name,
			   const char *value, char *why, size_t why_len);

/* Removes the topic's own value of config `name` (IncrementalAlterConfigs
 * DELETE, AlterConfigs leaving it out): t takes the broker's value again
 * (the global key it inherits in c, or the key's default) and its set bit
 * is cleared. A fixed config has nothing to remove. c may be NULL only for
 * keys with a default of their own. Returns KERR_NONE or
 * KERR_INVALID_CONFIG (unknown name). */
int16_t topic_config_reset(const struct config *c, struct config_topic *t, const char *name,
			   char *why, size_t why_len);

#define TOPIC_CONFIG_VALUE_MAX 64
#define TOPIC_CONFIG_SYNONYMS_MAX 3

/* One value a config takes from one place, as DescribeConfigs' synonyms
 * list it. name is static storage. */
struct topic_config_synonym {
	const char *name;
	char value[TOPIC_CONFIG_VALUE_MAX];
	enum topic_config_source source;
};

/* A topic's effective value of one config, as DescribeConfigs reports it.
 * synonyms are in Kafka's order of precedence: the topic's own value (when
 * set), the broker's file (when it sets the global key), the default; the
 * first is the effective one. */
struct topic_config_entry {
	const struct topic_config *row;
	char value[TOPIC_CONFIG_VALUE_MAX];
	enum topic_config_source source;
	bool is_default; /* source is TOPIC_CONFIG_SRC_DEFAULT (v0's flag) */
	int n_synonyms;
	struct topic_config_synonym synonyms[TOPIC_CONFIG_SYNONYMS_MAX];
};

/* Fills *out with topic t's effective value of row, its source and
 * synonyms. c: the broker's settings, for the synonyms' values and sources
 * (may be NULL: defaults). */
void topic_config_describe(const struct config *c, const struct config_topic *t,
			   const struct topic_config *row, struct topic_config_entry *out);

/* --- topic names (CreateTopics) --- */

/* Checks a new topic's name by Kafka's rules (1..249 characters of
 * [a-zA-Z0-9._-], not "." or "..") and fjord's (names starting with "__"
 * are reserved for internal topics). Returns KERR_NONE or
 * KERR_INVALID_TOPIC_EXCEPTION, with why saying which rule. */
int16_t topic_name_check(const char *name, size_t len, char *why, size_t why_len);

/* Kafka refuses a topic whose name differs from an existing one only by
 * '.' versus '_' (their metric names would collide). Returns the index in
 * existing[0..n) of the first such name (an identical name does not count:
 * that is TOPIC_ALREADY_EXISTS), or -1. Borrows every string. */
int topic_name_collision(const char *name, size_t len, const char *const *existing, int n);

#endif
