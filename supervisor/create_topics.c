/* create_topics.c - CreateTopics through the controller (create_topics.h). */
#include "create_topics.h"

#include <stdlib.h>
#include <string.h>

#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "common/topic_configs.h"
#include "supervisor/admin_batch.h"
#include "supervisor/ids.h"
#include "supervisor/kafka_configs.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

typedef struct kafka_create_topics_request_creatable_topic topic_in;
typedef struct kafka_create_topics_response_creatable_topic_result topic_out;

struct item {
	struct admin_item a;
	char name[CONFIG_TOPIC_NAME_MAX + 1];
	uint8_t id[16];
	int32_t partitions, rf;
	struct config_topic settings; /* what the topic runs with once created */
};

typedef struct kafka_create_topics_response_creatable_topic_configs config_out;

/* v5+: the new topic's configs as DescribeConfigs would list them (the
 * Java client reads the list on success). Empty on error. */
static int fill_configs(struct kreq *r, const struct item *it, topic_out *o)
{
	int n = it->a.error == KERR_NONE ? topic_configs_n : 0;
	o->configs = arena_calloc(&r->arena, (size_t)n + 1, sizeof(config_out));
	if (o->configs == NULL)
		return -1;
	o->n_configs = n;
	for (int k = 0; k < n; k++) {
		struct topic_config_entry e;
		topic_config_describe(r->sup->cfg, &it->settings, &topic_configs[k], &e);
		char *v = arena_alloc(&r->arena, sizeof(e.value));
		if (v == NULL)
			return -1;
		memcpy(v, e.value, sizeof(e.value));
		config_out *c = &o->configs[k];
		kafka_create_topics_response_creatable_topic_configs_init(c);
		c->name = kafka_str_from(topic_configs[k].name);
		c->value = kafka_str_from(v);
		c->read_only = false;
		c->config_source = (int8_t)e.source;
		c->is_sensitive = false;
	}
	return 0;
}

struct state {
	struct kreq *r;
	struct admin_batch b;
	struct kafka_create_topics_request req;
	struct item *items;
	int n;
};

static void respond(struct admin_batch *b)
{
	struct state *st = b->ctx;
	struct kreq *r = st->r;
	struct kafka_create_topics_response resp;
	kafka_create_topics_response_init(&resp);
	resp.throttle_time_ms = 0;
	resp.topics = arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(topic_out));
	if (resp.topics == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	resp.n_topics = st->n;
	for (int i = 0; i < st->n; i++) {
		struct item *it = &st->items[i];
		topic_out *o = &resp.topics[i];
		kafka_create_topics_response_creatable_topic_result_init(o);
		o->name = st->req.topics[i].name;
		o->error_code = it->a.error;
		o->error_message = admin_item_msg(&it->a);
		o->topic_config_error_code = KERR_NONE;
		o->num_partitions = it->a.error == KERR_NONE ? it->partitions : -1;
		o->replication_factor = it->a.error == KERR_NONE ? (int16_t)it->rf : -1;
		if (fill_configs(r, it, o) != 0) {
			kreq_fail(r, "out of memory");
			return;
		}
		if (it->a.error == KERR_NONE)
			memcpy(o->topic_id.b, it->id, 16);
		if (it->a.error != KERR_NONE)
			log_info("CreateTopics %s: %s (%s)", it->name, kerr_name(it->a.error),
				 it->a.msg);
		else if (!st->req.validate_only)
			log_info("CreateTopics %s: created, %d partitions, replication %d",
				 it->name, (int)it->partitions, (int)it->rf);
	}
	struct buf out;
	buf_init(&out);
	kreq_response_begin(r, &out);
	if (kafka_create_topics_response_encode(&out, r->api_version, &resp) != 0) {
		buf_free(&out);
		kreq_fail(r, "cannot encode the CreateTopics response");
		return;
	}
	kreq_respond(r, &out);
}

/* An explicit assignment: partitions 0..n-1, each with the same number of
 * replicas. Returns a new array of n * rf ids (caller frees) or NULL with
 * it failed. */
static int32_t *assignment(struct item *it, const topic_in *t)
{
	int n = t->n_assignments;
	int rf = t->assignments[0].n_broker_ids;
	if (t->num_partitions != -1 || t->replication_factor != -1) {
		admin_item_fail(&it->a, KERR_INVALID_REQUEST,
				"with a replica assignment, numPartitions and replicationFactor "
				"must be -1");
		return NULL;
	}
	if (rf < 1 || rf > CATALOG_MAX_RF) {
		admin_item_fail(&it->a, KERR_INVALID_REPLICATION_FACTOR,
				"replica assignment lists %d replicas", (int)rf);
		return NULL;
	}
	int32_t *v = calloc((size_t)n * (size_t)rf + 1, sizeof(*v));
	bool *seen = calloc((size_t)n + 1, sizeof(*seen));
	if (v == NULL || seen == NULL) {
		free(v);
		free(seen);
		admin_item_fail(&it->a, KERR_UNKNOWN_SERVER_ERROR, "out of memory");
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		const struct kafka_create_topics_request_creatable_replica_assignment *as =
		    &t->assignments[i];
		int p = as->partition_index;
		if (p < 0 || p >= n || seen[p] || as->n_broker_ids != rf) {
			admin_item_fail(&it->a, KERR_INVALID_REPLICA_ASSIGNMENT,
					"the assignment must list partitions 0..%d once each, with "
					"%d replicas each",
					n - 1, rf);
			free(v);
			free(seen);
			return NULL;
		}
		seen[p] = true;
		memcpy(v + (size_t)p * (size_t)rf, as->broker_ids, (size_t)rf * sizeof(int32_t));
	}
	free(seen);
	it->partitions = n;
	it->rf = rf;
	return v;
}

static void prepare(struct state *st, int i)
{
	struct sup *s = st->r->sup;
	const topic_in *t = &st->req.topics[i];
	struct item *it = &st->items[i];
	char why[CATALOG_MSG_MAX];
	if (!admin_str(t->name, it->name, sizeof(it->name))) {
		admin_item_fail(&it->a, KERR_INVALID_TOPIC_EXCEPTION,
				"topic names are 1..249 characters");
		return;
	}
	if (topic_name_check(it->name, strlen(it->name), why, sizeof(why)) != KERR_NONE) {
		admin_item_fail(&it->a, KERR_INVALID_TOPIC_EXCEPTION, "%s", why);
		return;
	}
	for (int j = 0; j < st->n; j++)
		if (j != i && st->req.topics[j].name.len == t->name.len &&
		    memcmp(st->req.topics[j].name.ptr, t->name.ptr, (size_t)t->name.len) == 0) {
			admin_item_fail(&it->a, KERR_INVALID_REQUEST,
					"topic %s is listed more than once in the request",
					it->name);
			return;
		}
	int32_t *reps = NULL;
	if (t->n_assignments > 0) {
		reps = assignment(it, t);
		if (reps == NULL)
			return;
	} else {
		it->partitions =
		    t->num_partitions == -1 ? s->cfg->kafka.default_partitions : t->num_partitions;
		it->rf = t->replication_factor == -1 ? s->cfg->kafka.default_replication
						     : t->replication_factor;
	}
	/* The configs, checked against the topic's settings as they would be. */
	struct catalog_topic ct;
	memset(&ct, 0, sizeof(ct));
	snprintf(ct.name, sizeof(ct.name), "%s", it->name);
	ct.partitions = it->partitions;
	ct.replication = it->rf;
	struct config_topic base;
	topics_settings(s->cfg, &ct, &base);
	int n = t->n_configs > 0 ? t->n_configs : 0;
	struct kafka_config_in *in = arena_calloc(&st->r->arena, (size_t)n + 1, sizeof(*in));
	struct catalog_config cf[CATALOG_MAX_CONFIGS];
	int n_cf = 0;
	for (int k = 0; in && k < n; k++) {
		char *nm = arena_alloc(&st->r->arena, 256), *v = arena_alloc(&st->r->arena, 256);
		if (nm == NULL || v == NULL || !admin_str(t->configs[k].name, nm, 256)) {
			admin_item_fail(&it->a, KERR_INVALID_CONFIG, "config name too long");
			free(reps);
			return;
		}
		in[k].name = nm;
		in[k].value = admin_str(t->configs[k].value, v, 256) ? v : NULL;
	}
	int16_t k = in ? kafka_configs_translate(s->cfg, &base, in, n, cf, &n_cf, why, sizeof(why))
		       : KERR_UNKNOWN_SERVER_ERROR;
	if (k != KERR_NONE) {
		admin_item_fail(&it->a, k, "%s", why);
		free(reps);
		return;
	}
	it->settings = base;
	ids_random_topic_id(it->id);
	struct catalog_topic_spec spec = {.name = it->name,
					  .partitions = it->partitions,
					  .replication = it->rf,
					  .replicas = reps,
					  .configs = cf,
					  .n_configs = n_cf};
	memcpy(spec.id, it->id, 16);
	struct buf cmd;
	buf_init(&cmd);
	catalog_cmd_create_topic(&spec, st->req.validate_only, &cmd);
	admin_batch_propose(&st->b, &it->a, &cmd);
	buf_free(&cmd);
	free(reps);
}

void create_topics_handle(struct kreq *r, struct reader *body)
{
	struct state *st = arena_calloc(&r->arena, 1, sizeof(*st));
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	kafka_create_topics_request_init(&st->req);
	if (kafka_create_topics_request_decode(body, r->api_version, &st->req, &r->arena) != 0) {
		kreq_fail(r, "garbled CreateTopics request");
		return;
	}
	st->n = st->req.n_topics > 0 ? st->req.n_topics : 0;
	st->items = arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(*st->items));
	if (st->items == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	admin_batch_init(&st->b, r->sup, st->req.timeout_ms, respond, st);
	for (int i = 0; i < st->n; i++) {
		st->items[i].a.b = &st->b;
		prepare(st, i);
	}
	admin_batch_seal(&st->b);
}
