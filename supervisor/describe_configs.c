/* describe_configs.c - DescribeConfigs for topic and broker resources
 * (describe_configs.h), answered by the supervisor from its configuration.
 *
 * A topic's configs are the rows of common/topic_configs.c with the
 * topic's effective values; a broker's are the Kafka broker-level synonyms
 * of those rows (log.retention.ms, ...), a few identity keys (broker.id,
 * log.dirs) and fjord's own INI keys as "fjord.<section>.<key>". It never
 * changes anything. */
#include "describe_configs.h"

#include <stdio.h>
#include <string.h>

#include "common/config_keys.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/topic_configs.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4

typedef struct kafka_describe_configs_response_describe_configs_result result_t;
typedef struct kafka_describe_configs_response_describe_configs_resource_result config_t;
typedef struct kafka_describe_configs_response_describe_configs_synonym synonym_t;
typedef struct kafka_describe_configs_request_describe_configs_resource resource_t;

/* The most broker entries: one per topic config, per config key, and the
 * identity keys. */
#define BROKER_MAX (64 + CONFIG_KEYS_MAX + 8)

static struct kafka_str arena_str(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return (struct kafka_str){.ptr = NULL, .len = -1};
	memcpy(p, s, n + 1);
	return (struct kafka_str){.ptr = p, .len = (int32_t)n};
}

/* Whether the request's key filter (null: every key) names `name`. */
static bool wanted(const resource_t *res, const char *name)
{
	if (res->n_configuration_keys < 0)
		return true;
	for (int i = 0; i < res->n_configuration_keys; i++)
		if (kafka_str_eq(res->configuration_keys[i], name))
			return true;
	return false;
}

/* One synonym; `same`: its value is its entry's (which may be a long
 * path). */
struct syn {
	const char *name;
	char value[TOPIC_CONFIG_VALUE_MAX];
	bool same;
	enum topic_config_source source;
};

/* One entry under construction; name borrowed (static storage). */
struct entry {
	const char *name;
	char value[CONFIG_PATH_MAX];
	enum topic_config_source source;
	enum topic_config_type type;
	bool read_only;
	int n_synonyms;
	struct syn synonyms[TOPIC_CONFIG_SYNONYMS_MAX];
};

static void add_syn(struct entry *e, const char *name, const char *value,
		    enum topic_config_source src)
{
	if (e->n_synonyms >= TOPIC_CONFIG_SYNONYMS_MAX)
		return;
	struct syn *s = &e->synonyms[e->n_synonyms++];
	s->name = name;
	s->same = value == e->value;
	if (!s->same)
		snprintf(s->value, sizeof(s->value), "%s", value);
	s->source = src;
}

static int put(struct arena *a, int16_t version, bool synonyms, const struct entry *e,
	       config_t *out)
{
	kafka_describe_configs_response_describe_configs_resource_result_init(out);
	out->name = kafka_str_from(e->name);
	out->value = arena_str(a, e->value);
	if (out->value.len < 0)
		return -1;
	out->read_only = e->read_only;
	out->is_default = e->source == TOPIC_CONFIG_SRC_DEFAULT;
	/* v0 has no source; Kafka's v0 answer for a non-default is "static". */
	out->config_source = (int8_t)e->source;
	out->is_sensitive = false;
	out->config_type = (int8_t)e->type;
	out->documentation = (struct kafka_str){.ptr = NULL, .len = -1};
	out->n_synonyms = 0;
	if (!synonyms || version < 1 || e->n_synonyms == 0)
		return 0;
	synonym_t *s = arena_calloc(a, (size_t)e->n_synonyms, sizeof(*s));
	if (s == NULL)
		return -1;
	for (int i = 0; i < e->n_synonyms; i++) {
		kafka_describe_configs_response_describe_configs_synonym_init(&s[i]);
		s[i].name = kafka_str_from(e->synonyms[i].name);
		s[i].value = arena_str(a, e->synonyms[i].same ? e->value : e->synonyms[i].value);
		if (s[i].value.len < 0)
			return -1;
		s[i].source = (int8_t)e->synonyms[i].source;
	}
	out->synonyms = s;
	out->n_synonyms = e->n_synonyms;
	return 0;
}

static void fill_topic(struct kreq *r, const struct kafka_describe_configs_request *req,
		       const resource_t *res, result_t *out)
{
	const struct config *c = r->sup->cfg;
	const struct config_topic *t =
	    res->resource_name.len > 0
		? topics_find(r->sup, res->resource_name.ptr, (size_t)res->resource_name.len)
		: NULL;
	if (t == NULL || t == &r->sup->ctl_topic) {
		out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		out->error_message = kafka_str_from("this topic does not exist");
		return;
	}
	config_t *cfgs = arena_calloc(&r->arena, (size_t)topic_configs_n, sizeof(*cfgs));
	if (cfgs == NULL)
		goto nomem;
	int n = 0;
	for (int i = 0; i < topic_configs_n; i++) {
		const struct topic_config *row = &topic_configs[i];
		if (!wanted(res, row->name))
			continue;
		struct topic_config_entry te;
		topic_config_describe(c, t, row, &te);
		struct entry e = {
		    .name = row->name, .source = te.source, .type = row->type, .read_only = false};
		snprintf(e.value, sizeof(e.value), "%s", te.value);
		for (int j = 0; j < te.n_synonyms; j++)
			add_syn(&e, te.synonyms[j].name, te.synonyms[j].value,
				te.synonyms[j].source);
		if (put(&r->arena, r->api_version, req->include_synonyms, &e, &cfgs[n++]) != 0)
			goto nomem;
	}
	out->configs = cfgs;
	out->n_configs = n;
	return;
nomem:
	out->error_code = KERR_UNKNOWN_SERVER_ERROR;
	out->error_message = kafka_str_from("out of memory");
}

static enum topic_config_type key_type(const struct config_key *k)
{
	switch (k->kind) {
	case CONFIG_I32:
		return TOPIC_CONFIG_INT;
	case CONFIG_I64:
	case CONFIG_UNLIM:
		return TOPIC_CONFIG_LONG;
	default:
		return TOPIC_CONFIG_STRING;
	}
}

/* The broker's value of a topic config's synonym: the global INI key it
 * inherits (or its topic key's own default), else what fjord fixes. */
static void broker_synonym(const struct config *c, const struct topic_config *row, struct entry *e)
{
	e->name = row->broker;
	e->type = row->type;
	e->read_only = true;
	const struct config_key *k = topic_config_key(row);
	if (k == NULL) {
		/* A topic of replication 1 stands for the broker's own. */
		struct config_topic t;
		memset(&t, 0, sizeof(t));
		t.replication = 1;
		struct topic_config_entry te;
		topic_config_describe(c, &t, row, &te);
		snprintf(e->value, sizeof(e->value), "%s", te.value);
		e->source = TOPIC_CONFIG_SRC_DEFAULT;
		add_syn(e, row->broker, e->value, TOPIC_CONFIG_SRC_DEFAULT);
		return;
	}
	const struct config_key *g = k->inherits ? config_key_find_name(k->inherits) : NULL;
	const char *def = g != NULL ? g->def : k->def;
	bool set = g != NULL && ((c->set_keys >> config_key_index(g)) & 1);
	if (g != NULL)
		config_key_format(g, c, e->value, sizeof(e->value));
	else
		snprintf(e->value, sizeof(e->value), "%s", def ? def : "");
	e->source = set ? TOPIC_CONFIG_SRC_STATIC_BROKER : TOPIC_CONFIG_SRC_DEFAULT;
	if (set)
		add_syn(e, row->broker, e->value, TOPIC_CONFIG_SRC_STATIC_BROKER);
	if (def != NULL)
		add_syn(e, row->broker, def, TOPIC_CONFIG_SRC_DEFAULT);
}

/* Whether a broker entry of this name was already emitted (a topic config
 * and its broker synonym may share a name: min.insync.replicas). */
static bool seen(const struct entry *es, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(es[i].name, name) == 0)
			return true;
	return false;
}

static void fill_broker(struct kreq *r, const struct kafka_describe_configs_request *req,
			const resource_t *res, result_t *out)
{
	const struct config *c = r->sup->cfg;
	char self[16];
	snprintf(self, sizeof(self), "%d", (int)c->node.id);
	/* Kafka: a broker describes itself, or the cluster default (""). */
	if (res->resource_name.len > 0 && !kafka_str_eq(res->resource_name, self)) {
		out->error_code = KERR_INVALID_REQUEST;
		out->error_message =
		    kafka_str_from("this broker describes only itself (its node id) or \"\"");
		return;
	}
	struct entry *es = arena_calloc(&r->arena, BROKER_MAX, sizeof(*es));
	config_t *cfgs = arena_calloc(&r->arena, BROKER_MAX, sizeof(*cfgs));
	/* The names of fjord's own keys, "fjord.<section>.<key>". */
	char(*names)[80] = arena_calloc(&r->arena, CONFIG_KEYS_MAX, 80);
	if (es == NULL || cfgs == NULL || names == NULL)
		goto nomem;
	int n = 0;
	/* Identity. */
	es[n] = (struct entry){.name = "broker.id",
			       .source = TOPIC_CONFIG_SRC_STATIC_BROKER,
			       .type = TOPIC_CONFIG_INT,
			       .read_only = true};
	snprintf(es[n].value, sizeof(es[n].value), "%s", self);
	add_syn(&es[n], "broker.id", self, TOPIC_CONFIG_SRC_STATIC_BROKER);
	n++;
	es[n] = es[n - 1];
	es[n].name = "node.id";
	es[n].synonyms[0].name = "node.id";
	n++;
	es[n] = (struct entry){.name = "log.dirs",
			       .source = TOPIC_CONFIG_SRC_STATIC_BROKER,
			       .type = TOPIC_CONFIG_STRING,
			       .read_only = true};
	snprintf(es[n].value, sizeof(es[n].value), "%s", c->node.data_dir);
	add_syn(&es[n], "log.dirs", es[n].value, TOPIC_CONFIG_SRC_STATIC_BROKER);
	n++;
	for (int i = 0; i < topic_configs_n && n < BROKER_MAX; i++) {
		const struct topic_config *row = &topic_configs[i];
		if (row->broker == NULL || seen(es, n, row->broker))
			continue;
		memset(&es[n], 0, sizeof(es[n]));
		broker_synonym(c, row, &es[n]);
		n++;
	}
	for (int i = 0; i < config_n_keys && n < BROKER_MAX; i++) {
		const struct config_key *k = &config_keys[i];
		if (config_key_is_topic(k))
			continue;
		snprintf(names[i], 80, "fjord.%s.%s", k->section, k->key);
		struct entry *e = &es[n++];
		memset(e, 0, sizeof(*e));
		e->name = names[i];
		e->type = key_type(k);
		e->read_only = true;
		config_key_format(k, c, e->value, sizeof(e->value));
		bool set = (c->set_keys >> i) & 1;
		e->source = set || k->def == NULL ? TOPIC_CONFIG_SRC_STATIC_BROKER
						  : TOPIC_CONFIG_SRC_DEFAULT;
		if (e->source == TOPIC_CONFIG_SRC_STATIC_BROKER)
			add_syn(e, e->name, e->value, TOPIC_CONFIG_SRC_STATIC_BROKER);
		if (k->def != NULL)
			add_syn(e, e->name, k->def, TOPIC_CONFIG_SRC_DEFAULT);
	}
	int m = 0;
	for (int i = 0; i < n; i++) {
		if (!wanted(res, es[i].name))
			continue;
		if (put(&r->arena, r->api_version, req->include_synonyms, &es[i], &cfgs[m++]) != 0)
			goto nomem;
	}
	out->configs = cfgs;
	out->n_configs = m;
	return;
nomem:
	out->error_code = KERR_UNKNOWN_SERVER_ERROR;
	out->error_message = kafka_str_from("out of memory");
}

void describe_configs_handle(struct kreq *r, struct reader *body)
{
	struct kafka_describe_configs_request req;
	kafka_describe_configs_request_init(&req);
	if (kafka_describe_configs_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled DescribeConfigs request");
		return;
	}
	struct kafka_describe_configs_response resp;
	kafka_describe_configs_response_init(&resp);
	resp.throttle_time_ms = 0;
	int n = req.n_resources > 0 ? req.n_resources : 0;
	result_t *results = n > 0 ? arena_calloc(&r->arena, (size_t)n, sizeof(*results)) : NULL;
	if (n > 0 && results == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++) {
		const resource_t *res = &req.resources[i];
		result_t *out = &results[i];
		kafka_describe_configs_response_describe_configs_result_init(out);
		out->resource_type = res->resource_type;
		out->resource_name = res->resource_name;
		out->error_code = KERR_NONE;
		out->error_message = (struct kafka_str){.ptr = NULL, .len = -1};
		if (!r->served) {
			out->error_code = KERR_UNSUPPORTED_VERSION;
		} else if (res->resource_type == RESOURCE_TOPIC) {
			fill_topic(r, &req, res, out);
		} else if (res->resource_type == RESOURCE_BROKER) {
			fill_broker(r, &req, res, out);
		} else {
			out->error_code = KERR_INVALID_REQUEST;
			out->error_message =
			    kafka_str_from("fjord describes topic and broker configs only");
		}
	}
	resp.results = results;
	resp.n_results = n;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_describe_configs_response_encode(&b, r->api_version, &resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the DescribeConfigs response");
		return;
	}
	kreq_respond(r, &b);
}
