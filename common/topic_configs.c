/* topic_configs.c - the table of Kafka topic configs, with the checks and
 * the describe of one (name, value) that every row shares.
 *
 * It knows nothing of requests or the catalog: the Kafka handlers and the
 * controller call it with a struct config_topic. Values of implemented
 * configs are parsed by the row's config_keys entry (config_key_parse), so
 * "retention.ms" from a client and retention_ms from the INI file mean the
 * same and are refused with the same words. */
#include "topic_configs.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka/kerr.h"

#define I64_MAX_S "9223372036854775807"

/* min.insync.replicas: fjord's acks=all waits for a Raft majority, which is
 * what Kafka's acks=all with min.insync.replicas = majority guarantees. */
static void derive_min_insync(const struct config *c, const struct config_topic *t, char *out,
			      size_t out_len)
{
	(void)c;
	int32_t rf = t->replication > 0 ? t->replication : 1;
	snprintf(out, out_len, "%d", (int)(rf / 2 + 1));
}

static bool sync_always(const struct config *c)
{
	return c == NULL || c->storage.sync == CONFIG_SYNC_ALWAYS;
}

/* flush.messages / flush.ms: [storage] sync = always fsyncs every group
 * commit (every batch, at once); never leaves it to the OS. */
static void derive_flush_messages(const struct config *c, const struct config_topic *t, char *out,
				  size_t out_len)
{
	(void)t;
	snprintf(out, out_len, "%s", sync_always(c) ? "1" : I64_MAX_S);
}

static void derive_flush_ms(const struct config *c, const struct config_topic *t, char *out,
			    size_t out_len)
{
	(void)t;
	snprintf(out, out_len, "%s", sync_always(c) ? "0" : I64_MAX_S);
}

#define NO_COMPACTION "fjord has no log compaction: records leave only by retention"
#define NO_SEGMENTS "fjord's store (one LMDB environment per replica) has no segments"
#define NO_TIERS "fjord has no tiered storage"
#define NO_THROTTLE "fjord does not throttle replication"
#define ANY_TIMESTAMP "fjord accepts every producer timestamp"

/* Kafka's order (alphabetical), which is how admin tools print them. */
const struct topic_config topic_configs[] = {
    {.name = "cleanup.policy",
     .type = TOPIC_CONFIG_LIST,
     .values = "compact,delete",
     .fixed = "delete",
     .broker = "log.cleanup.policy",
     .instead = NO_COMPACTION},
    {.name = "compression.type",
     .type = TOPIC_CONFIG_STRING,
     .values = "uncompressed,zstd,lz4,snappy,gzip,producer",
     .fixed = "producer",
     .broker = "compression.type",
     .instead = "fjord stores each batch as the producer compressed it"},
    {.name = "delete.retention.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 0,
     .max = INT64_MAX,
     .fixed = "86400000",
     .broker = "log.cleaner.delete.retention.ms",
     .instead = NO_COMPACTION},
    {.name = "file.delete.delay.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 0,
     .max = INT64_MAX,
     .fixed = "0",
     .broker = "log.segment.delete.delay.ms",
     .instead = "fjord deletes expired batches in the transaction that expires them"},
    {.name = "flush.messages",
     .type = TOPIC_CONFIG_LONG,
     .min = 1,
     .max = INT64_MAX,
     .derive = derive_flush_messages,
     .broker = "log.flush.interval.messages",
     .instead = "fsync follows the node's [storage] sync (always: every group commit)"},
    {.name = "flush.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 0,
     .max = INT64_MAX,
     .derive = derive_flush_ms,
     .broker = "log.flush.interval.ms",
     .instead = "fsync follows the node's [storage] sync (always: every group commit)"},
    {.name = "follower.replication.throttled.replicas",
     .type = TOPIC_CONFIG_LIST,
     .fixed = "",
     .instead = NO_THROTTLE},
    {.name = "index.interval.bytes",
     .type = TOPIC_CONFIG_INT,
     .min = 0,
     .max = INT32_MAX,
     .fixed = "0",
     .broker = "log.index.interval.bytes",
     .instead = "fjord indexes every batch"},
    {.name = "leader.replication.throttled.replicas",
     .type = TOPIC_CONFIG_LIST,
     .fixed = "",
     .instead = NO_THROTTLE},
    {.name = "local.retention.bytes",
     .type = TOPIC_CONFIG_LONG,
     .min = -2,
     .max = INT64_MAX,
     .fixed = "-2",
     .broker = "log.local.retention.bytes",
     .instead = NO_TIERS},
    {.name = "local.retention.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = -2,
     .max = INT64_MAX,
     .fixed = "-2",
     .broker = "log.local.retention.ms",
     .instead = NO_TIERS},
    {.name = "max.compaction.lag.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 1,
     .max = INT64_MAX,
     .fixed = I64_MAX_S,
     .broker = "log.cleaner.max.compaction.lag.ms",
     .instead = NO_COMPACTION},
    {.name = "max.message.bytes",
     .type = TOPIC_CONFIG_INT,
     .min = 0,
     .max = INT32_MAX,
     .ini_key = "max_message_bytes",
     .broker = "message.max.bytes"},
    {.name = "message.timestamp.after.max.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 0,
     .max = INT64_MAX,
     .fixed = I64_MAX_S,
     .broker = "log.message.timestamp.after.max.ms",
     .instead = ANY_TIMESTAMP},
    {.name = "message.timestamp.before.max.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 0,
     .max = INT64_MAX,
     .fixed = I64_MAX_S,
     .broker = "log.message.timestamp.before.max.ms",
     .instead = ANY_TIMESTAMP},
    /* Deprecated by the two above (Kafka 3.6) and gone in 4.0, but 3.x
     * tools still print and set it. */
    {.name = "message.timestamp.difference.max.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 0,
     .max = INT64_MAX,
     .fixed = I64_MAX_S,
     .broker = "log.message.timestamp.difference.max.ms",
     .instead = ANY_TIMESTAMP},
    {.name = "message.timestamp.type",
     .type = TOPIC_CONFIG_STRING,
     .values = "CreateTime,LogAppendTime",
     .ini_key = "message_timestamp_type",
     .broker = "log.message.timestamp.type"},
    {.name = "min.cleanable.dirty.ratio",
     .type = TOPIC_CONFIG_DOUBLE,
     .min = 0,
     .max = 1,
     .fixed = "0.5",
     .broker = "log.cleaner.min.cleanable.ratio",
     .instead = NO_COMPACTION},
    {.name = "min.compaction.lag.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 0,
     .max = INT64_MAX,
     .fixed = "0",
     .broker = "log.cleaner.min.compaction.lag.ms",
     .instead = NO_COMPACTION},
    {.name = "min.insync.replicas",
     .type = TOPIC_CONFIG_INT,
     .min = 1,
     .max = INT32_MAX,
     .derive = derive_min_insync,
     .broker = "min.insync.replicas",
     .instead = "acks=all waits for a Raft majority of the replicas"},
    {.name = "preallocate",
     .type = TOPIC_CONFIG_BOOLEAN,
     .fixed = "false",
     .broker = "log.preallocate",
     .instead = NO_SEGMENTS},
    {.name = "remote.storage.enable",
     .type = TOPIC_CONFIG_BOOLEAN,
     .fixed = "false",
     .instead = NO_TIERS},
    {.name = "retention.bytes",
     .type = TOPIC_CONFIG_LONG,
     .min = INT64_MIN,
     .max = INT64_MAX,
     .ini_key = "retention_bytes",
     .broker = "log.retention.bytes"},
    {.name = "retention.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = -1,
     .max = INT64_MAX,
     .ini_key = "retention_ms",
     .broker = "log.retention.ms"},
    {.name = "segment.bytes",
     .type = TOPIC_CONFIG_INT,
     .min = 14,
     .max = INT32_MAX,
     .fixed = "1073741824",
     .broker = "log.segment.bytes",
     .instead = NO_SEGMENTS},
    {.name = "segment.index.bytes",
     .type = TOPIC_CONFIG_INT,
     .min = 4,
     .max = INT32_MAX,
     .fixed = "10485760",
     .broker = "log.index.size.max.bytes",
     .instead = NO_SEGMENTS},
    {.name = "segment.jitter.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 0,
     .max = INT64_MAX,
     .fixed = "0",
     .broker = "log.roll.jitter.ms",
     .instead = NO_SEGMENTS},
    {.name = "segment.ms",
     .type = TOPIC_CONFIG_LONG,
     .min = 1,
     .max = INT64_MAX,
     .fixed = "604800000",
     .broker = "log.roll.ms",
     .instead = NO_SEGMENTS},
    {.name = "unclean.leader.election.enable",
     .type = TOPIC_CONFIG_BOOLEAN,
     .fixed = "false",
     .broker = "unclean.leader.election.enable",
     .instead = "a Raft group elects only a replica that holds every committed record"},
};
const int topic_configs_n = (int)(sizeof(topic_configs) / sizeof(topic_configs[0]));

const struct topic_config *topic_config_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = 0; i < topic_configs_n; i++)
		if (strcmp(topic_configs[i].name, name) == 0)
			return &topic_configs[i];
	return NULL;
}

const struct config_key *topic_config_key(const struct topic_config *row)
{
	if (row->ini_key == NULL)
		return NULL;
	return config_key_find(CONFIG_TOPIC_SECTION, row->ini_key);
}

bool topic_config_implemented(const struct topic_config *row) { return row->ini_key != NULL; }

enum config_apply topic_config_apply_rule(const struct topic_config *row)
{
	const struct config_key *k = topic_config_key(row);
	return k != NULL ? k->apply : CONFIG_APPLY_SUPERVISOR;
}

static int16_t fail(int16_t code, char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int16_t fail(int16_t code, char *why, size_t why_len, const char *fmt, ...)
{
	if (why != NULL && why_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* s without leading and trailing blanks, into out. False when it does not
 * fit. */
static bool trimmed(const char *s, size_t len, char *out, size_t out_len)
{
	while (len > 0 && isspace((unsigned char)s[0]))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= out_len)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool parse_long(const char *s, int64_t *out)
{
	if (!(s[0] == '-' || s[0] == '+' || isdigit((unsigned char)s[0])))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* Whether item (len bytes) is one of the comma-separated `values`. */
static bool one_of(const char *values, const char *item, size_t len)
{
	const char *p = values;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == len && memcmp(p, item, len) == 0)
			return true;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return false;
}

/* Kafka's own check of a value, and its canonical spelling into norm
 * (numbers as parsed, booleans in lower case, lists with their items
 * trimmed). Returns KERR_NONE or KERR_INVALID_CONFIG. */
static int16_t kafka_check(const struct topic_config *row, const char *value, char *norm,
			   size_t norm_len, char *why, size_t why_len)
{
	char v[TOPIC_CONFIG_VALUE_MAX * 4];
	if (!trimmed(value, strlen(value), v, sizeof(v)))
		return fail(KERR_INVALID_CONFIG, why, why_len, "%s: value is too long", row->name);
	switch (row->type) {
	case TOPIC_CONFIG_INT:
	case TOPIC_CONFIG_SHORT:
	case TOPIC_CONFIG_LONG: {
		int64_t n;
		if (!parse_long(v, &n) || n < row->min || n > row->max)
			return fail(KERR_INVALID_CONFIG, why, why_len,
				    "%s must be an integer in %" PRId64 "..%" PRId64
				    ", got '%.40s'",
				    row->name, row->min, row->max, v);
		snprintf(norm, norm_len, "%" PRId64, n);
		return KERR_NONE;
	}
	case TOPIC_CONFIG_DOUBLE: {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' || !(d >= (double)row->min) ||
		    !(d <= (double)row->max))
			return fail(KERR_INVALID_CONFIG, why, why_len,
				    "%s must be a number in %" PRId64 "..%" PRId64 ", got '%.40s'",
				    row->name, row->min, row->max, v);
		snprintf(norm, norm_len, "%g", d);
		return KERR_NONE;
	}
	case TOPIC_CONFIG_BOOLEAN:
		for (char *p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return fail(KERR_INVALID_CONFIG, why, why_len,
				    "%s must be true or false, got '%.40s'", row->name, value);
		snprintf(norm, norm_len, "%s", v);
		return KERR_NONE;
	case TOPIC_CONFIG_LIST: {
		/* Items trimmed, rejoined with ','. */
		size_t used = 0;
		norm[0] = '\0';
		const char *p = v;
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			char item[TOPIC_CONFIG_VALUE_MAX * 4];
			trimmed(p, n, item, sizeof(item)); /* fits: a part of v */
			if (row->values != NULL && !one_of(row->values, item, strlen(item)))
				return fail(KERR_INVALID_CONFIG, why, why_len,
					    "%s items must be among %s, got '%.40s'", row->name,
					    row->values, item);
			int w =
			    snprintf(norm + used, norm_len - used, "%s%s", used ? "," : "", item);
			if (w < 0 || (size_t)w >= norm_len - used)
				return fail(KERR_INVALID_CONFIG, why, why_len,
					    "%s: value is too long", row->name);
			used += (size_t)w;
			if (comma == NULL)
				break;
			p = comma + 1;
		}
		return KERR_NONE;
	}
	default:
		if (row->values != NULL && !one_of(row->values, v, strlen(v)))
			return fail(KERR_INVALID_CONFIG, why, why_len,
				    "%s must be one of %s, got '%.40s'", row->name, row->values, v);
		snprintf(norm, norm_len, "%s", v);
		return KERR_NONE;
	}
}

/* The value fjord has for a fixed config, into out. */
static void fixed_value(const struct config *c, const struct config_topic *t,
			const struct topic_config *row, char *out, size_t out_len)
{
	if (row->derive != NULL)
		row->derive(c, t, out, out_len);
	else
		snprintf(out, out_len, "%s", row->fixed);
}

/* Checks name=value against t; on success, when apply, writes it into t. */
static int16_t check_or_set(const struct config *c, struct config_topic *t, const char *name,
			    const char *value, bool apply, char *why, size_t why_len)
{
	const struct topic_config *row = topic_config_find(name);
	if (row == NULL)
		return fail(KERR_INVALID_CONFIG, why, why_len, "unknown topic config '%.100s'",
			    name ? name : "(null)");
	if (value == NULL)
		value = "";
	char norm[TOPIC_CONFIG_VALUE_MAX * 4];
	int16_t rc = kafka_check(row, value, norm, sizeof(norm), why, why_len);
	if (rc != KERR_NONE)
		return rc;
	const struct config_key *k = topic_config_key(row);
	if (k == NULL) {
		char have[TOPIC_CONFIG_VALUE_MAX];
		fixed_value(c, t, row, have, sizeof(have));
		/* Compare canonical spellings ("0.50" is "0.5"). */
		char have_norm[TOPIC_CONFIG_VALUE_MAX * 4];
		if (kafka_check(row, have, have_norm, sizeof(have_norm), NULL, 0) == KERR_NONE &&
		    strcmp(norm, have_norm) == 0)
			return KERR_NONE;
		return fail(KERR_POLICY_VIOLATION, why, why_len,
			    "%s=%.40s is not implemented by fjord (it has %s=%s): %s", row->name,
			    norm, row->name, have, row->instead);
	}
	struct config_topic scratch = *t;
	char kwhy[200];
	if (config_key_parse(k, &scratch, norm, kwhy, sizeof(kwhy)) != 0)
		return fail(KERR_POLICY_VIOLATION, why, why_len,
			    "%s=%.40s is not implemented by fjord: %s", row->name, norm, kwhy);
	if (apply) {
		scratch.set_keys |= UINT64_C(1) << config_key_index(k);
		*t = scratch;
	}
	return KERR_NONE;
}

int16_t topic_config_set(const struct config *c, struct config_topic *t, const char *name,
			 const char *value, char *why, size_t why_len)
{
	return check_or_set(c, t, name, value, true, why, why_len);
}

int16_t topic_config_check(const struct config *c, const struct config_topic *t, const char *name,
			   const char *value, char *why, size_t why_len)
{
	struct config_topic scratch = *t;
	return check_or_set(c, &scratch, name, value, false, why, why_len);
}

/* The global key a topic key inherits, or NULL. */
static const struct config_key *global_of(const struct config_key *k)
{
	return k->inherits != NULL ? config_key_find_name(k->inherits) : NULL;
}

int16_t topic_config_reset(const struct config *c, struct config_topic *t, const char *name,
			   char *why, size_t why_len)
{
	const struct topic_config *row = topic_config_find(name);
	if (row == NULL)
		return fail(KERR_INVALID_CONFIG, why, why_len, "unknown topic config '%.100s'",
			    name ? name : "(null)");
	const struct config_key *k = topic_config_key(row);
	if (k == NULL)
		return KERR_NONE;
	const struct config_key *g = global_of(k);
	/* The global key and the topic key share a kind: the broker's value
	 * goes over as the file would spell it. */
	char v[TOPIC_CONFIG_VALUE_MAX];
	if (g != NULL && c != NULL)
		config_key_format(g, c, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "%s",
			 g != NULL ? (g->def ? g->def : "") : (k->def ? k->def : ""));
	if (config_key_parse(k, t, v, NULL, 0) != 0)
		return fail(KERR_INVALID_CONFIG, why, why_len, "%s has no default", row->name);
	t->set_keys &= ~(UINT64_C(1) << config_key_index(k));
	return KERR_NONE;
}

static void add_synonym(struct topic_config_entry *e, const char *name, const char *value,
			enum topic_config_source src)
{
	if (e->n_synonyms >= TOPIC_CONFIG_SYNONYMS_MAX || name == NULL)
		return;
	struct topic_config_synonym *s = &e->synonyms[e->n_synonyms++];
	s->name = name;
	snprintf(s->value, sizeof(s->value), "%s", value);
	s->source = src;
}

void topic_config_describe(const struct config *c, const struct config_topic *t,
			   const struct topic_config *row, struct topic_config_entry *out)
{
	memset(out, 0, sizeof(*out));
	out->row = row;
	const struct config_key *k = topic_config_key(row);
	if (k == NULL) {
		fixed_value(c, t, row, out->value, sizeof(out->value));
		out->source = TOPIC_CONFIG_SRC_DEFAULT;
		out->is_default = true;
		add_synonym(out, row->broker, out->value, TOPIC_CONFIG_SRC_DEFAULT);
		return;
	}
	config_key_format(k, t, out->value, sizeof(out->value));
	const struct config_key *g = global_of(k);
	bool topic_set = (t->set_keys >> config_key_index(k)) & 1;
	bool file_set = g != NULL && c != NULL && ((c->set_keys >> config_key_index(g)) & 1);
	if (topic_set)
		add_synonym(out, row->name, out->value, TOPIC_CONFIG_SRC_DYNAMIC_TOPIC);
	if (file_set) {
		char v[TOPIC_CONFIG_VALUE_MAX];
		config_key_format(g, c, v, sizeof(v));
		add_synonym(out, row->broker, v, TOPIC_CONFIG_SRC_STATIC_BROKER);
	}
	const char *def = g != NULL ? g->def : k->def;
	if (def != NULL)
		add_synonym(out, row->broker, def, TOPIC_CONFIG_SRC_DEFAULT);
	out->source = topic_set	 ? TOPIC_CONFIG_SRC_DYNAMIC_TOPIC
		      : file_set ? TOPIC_CONFIG_SRC_STATIC_BROKER
				 : TOPIC_CONFIG_SRC_DEFAULT;
	out->is_default = out->source == TOPIC_CONFIG_SRC_DEFAULT;
}

int16_t topic_name_check(const char *name, size_t len, char *why, size_t why_len)
{
	if (len == 0)
		return fail(KERR_INVALID_TOPIC_EXCEPTION, why, why_len,
			    "topic name must not be empty");
	if (len > CONFIG_TOPIC_NAME_MAX)
		return fail(KERR_INVALID_TOPIC_EXCEPTION, why, why_len,
			    "topic name is %zu characters long; the most is %d", len,
			    CONFIG_TOPIC_NAME_MAX);
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return fail(KERR_INVALID_TOPIC_EXCEPTION, why, why_len,
			    "topic name cannot be '.' or '..'");
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		if (!ok)
			return fail(KERR_INVALID_TOPIC_EXCEPTION, why, why_len,
				    "topic name '%.*s' has a character other than ASCII "
				    "alphanumerics, '.', '_' and '-' at %zu",
				    (int)(len < 60 ? len : 60), name, i);
	}
	if (len >= 2 && name[0] == '_' && name[1] == '_')
		return fail(KERR_INVALID_TOPIC_EXCEPTION, why, why_len,
			    "topic names starting with __ are reserved for internal topics");
	return KERR_NONE;
}

int topic_name_collision(const char *name, size_t len, const char *const *existing, int n)
{
	for (int i = 0; i < n; i++) {
		const char *e = existing[i];
		if (strlen(e) != len || memcmp(e, name, len) == 0)
			continue;
		size_t j = 0;
		for (; j < len; j++) {
			char a = name[j] == '.' ? '_' : name[j];
			char b = e[j] == '.' ? '_' : e[j];
			if (a != b)
				break;
		}
		if (j == len)
			return i;
	}
	return -1;
}
