/* alter_configs.c - topic config changes through the controller
 * (alter_configs.h). */
#include "alter_configs.h"

#include <string.h>

#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/admin_batch.h"
#include "supervisor/kafka_configs.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4
#define OP_SET 0
#define OP_DELETE 1

/* One resource, whichever API it came from. */
struct res {
	int8_t type;
	struct kafka_str name;
	int n;
	struct kafka_str *names, *values;
	int8_t *ops; /* NULL: AlterConfigs (every config set, the rest reset) */
};

struct state {
	struct kreq *r;
	struct admin_batch b;
	bool incremental;
	struct res *res;
	struct admin_item *items;
	int n;
};

static void respond(struct admin_batch *b)
{
	struct state *st = b->ctx;
	struct kreq *r = st->r;
	struct buf out;
	buf_init(&out);
	kreq_response_begin(r, &out);
	int rc;
	if (st->incremental) {
		struct kafka_incremental_alter_configs_response resp;
		kafka_incremental_alter_configs_response_init(&resp);
		resp.responses =
		    arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(*resp.responses));
		resp.n_responses = st->n;
		for (int i = 0; resp.responses && i < st->n; i++) {
			kafka_incremental_alter_configs_response_alter_configs_resource_response_init(
			    &resp.responses[i]);
			resp.responses[i].error_code = st->items[i].error;
			resp.responses[i].error_message = admin_item_msg(&st->items[i]);
			resp.responses[i].resource_type = st->res[i].type;
			resp.responses[i].resource_name = st->res[i].name;
		}
		rc = resp.responses ? kafka_incremental_alter_configs_response_encode(
					  &out, r->api_version, &resp)
				    : -1;
	} else {
		struct kafka_alter_configs_response resp;
		kafka_alter_configs_response_init(&resp);
		resp.responses =
		    arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(*resp.responses));
		resp.n_responses = st->n;
		for (int i = 0; resp.responses && i < st->n; i++) {
			kafka_alter_configs_response_alter_configs_resource_response_init(
			    &resp.responses[i]);
			resp.responses[i].error_code = st->items[i].error;
			resp.responses[i].error_message = admin_item_msg(&st->items[i]);
			resp.responses[i].resource_type = st->res[i].type;
			resp.responses[i].resource_name = st->res[i].name;
		}
		rc = resp.responses
			 ? kafka_alter_configs_response_encode(&out, r->api_version, &resp)
			 : -1;
	}
	for (int i = 0; i < st->n; i++)
		log_info("%s %.*s: %s%s%s",
			 st->incremental ? "IncrementalAlterConfigs" : "AlterConfigs",
			 st->res[i].name.len > 0 ? (int)st->res[i].name.len : 0,
			 st->res[i].name.ptr, kerr_name(st->items[i].error),
			 st->items[i].msg[0] ? ": " : "", st->items[i].msg);
	if (rc != 0) {
		buf_free(&out);
		kreq_fail(r, "cannot encode the config change response");
		return;
	}
	kreq_respond(r, &out);
}

static void prepare(struct state *st, int i, bool validate_only)
{
	struct sup *s = st->r->sup;
	const struct res *rs = &st->res[i];
	struct admin_item *it = &st->items[i];
	char name[CONFIG_TOPIC_NAME_MAX + 1], why[CATALOG_MSG_MAX];
	if (rs->type == RESOURCE_BROKER) {
		admin_item_fail(it, KERR_POLICY_VIOLATION,
				"fjord's broker settings live in its INI file (docs/CONFIG.md); "
				"change them there and reload");
		return;
	}
	if (rs->type != RESOURCE_TOPIC) {
		admin_item_fail(it, KERR_INVALID_REQUEST, "unsupported resource type %d",
				(int)rs->type);
		return;
	}
	const struct config_topic *t =
	    admin_str(rs->name, name, sizeof(name)) ? topics_find(s, name, strlen(name)) : NULL;
	if (t == NULL || t == &s->ctl_topic) {
		admin_item_fail(it, KERR_UNKNOWN_TOPIC_OR_PARTITION, "topic does not exist");
		return;
	}
	const struct catalog_topic *ct = topics_catalog_entry(s, t);
	/* AlterConfigs starts from the defaults, the incremental one from the
	 * topic's current settings. */
	struct config_topic base = *t;
	if (rs->ops == NULL && ct != NULL) {
		struct catalog_topic bare = *ct;
		bare.n_configs = 0;
		topics_settings(s->cfg, &bare, &base);
	}
	struct catalog_config_op ops[CATALOG_MAX_CONFIGS];
	struct catalog_config cf[CATALOG_MAX_CONFIGS];
	int n_ops = 0;
	for (int k = 0; k < rs->n; k++) {
		char nm[128], v[CATALOG_VALUE_MAX];
		if (!admin_str(rs->names[k], nm, sizeof(nm))) {
			admin_item_fail(it, KERR_INVALID_CONFIG, "config name too long");
			return;
		}
		bool has_v = admin_str(rs->values[k], v, sizeof(v));
		int8_t op = rs->ops ? rs->ops[k] : OP_SET;
		if (op == OP_DELETE) {
			const char *key;
			int16_t e = kafka_configs_key(nm, &key, why, sizeof(why));
			if (e != KERR_NONE) {
				admin_item_fail(it, e, "%s", why);
				return;
			}
			if (key != NULL && n_ops < CATALOG_MAX_CONFIGS)
				ops[n_ops++] = (struct catalog_config_op){key, NULL};
			continue;
		}
		if (op != OP_SET) {
			admin_item_fail(it, KERR_INVALID_REQUEST,
					"%s: APPEND and SUBTRACT apply to list configs; fjord "
					"implements none",
					nm);
			return;
		}
		struct kafka_config_in in = {nm, has_v ? v : NULL};
		int n_cf = 0;
		int16_t e = kafka_configs_translate(s->cfg, &base, &in, 1, cf + n_ops, &n_cf, why,
						    sizeof(why));
		if (e != KERR_NONE) {
			admin_item_fail(it, e, "%s", why);
			return;
		}
		if (n_cf == 1 && n_ops < CATALOG_MAX_CONFIGS) {
			ops[n_ops] = (struct catalog_config_op){cf[n_ops].key, cf[n_ops].value};
			n_ops++;
		}
	}
	struct buf cmd;
	buf_init(&cmd);
	catalog_cmd_alter_configs(name, ops, n_ops, rs->ops == NULL, validate_only, &cmd);
	admin_batch_propose(&st->b, it, &cmd);
	buf_free(&cmd);
}

static struct state *new_state(struct kreq *r, int n, bool incremental)
{
	struct state *st = arena_calloc(&r->arena, 1, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->r = r;
	st->incremental = incremental;
	st->n = n > 0 ? n : 0;
	st->res = arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(*st->res));
	st->items = arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(*st->items));
	return st->res && st->items ? st : NULL;
}

static bool fill_arrays(struct kreq *r, struct res *rs, int n)
{
	rs->n = n > 0 ? n : 0;
	rs->names = arena_calloc(&r->arena, (size_t)rs->n + 1, sizeof(*rs->names));
	rs->values = arena_calloc(&r->arena, (size_t)rs->n + 1, sizeof(*rs->values));
	return rs->names && rs->values;
}

void alter_configs_handle(struct kreq *r, struct reader *body)
{
	struct kafka_alter_configs_request req;
	kafka_alter_configs_request_init(&req);
	if (kafka_alter_configs_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled AlterConfigs request");
		return;
	}
	struct state *st = new_state(r, req.n_resources, false);
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	admin_batch_init(&st->b, r->sup, 0, respond, st);
	for (int i = 0; i < st->n; i++) {
		const struct kafka_alter_configs_request_alter_configs_resource *in =
		    &req.resources[i];
		struct res *rs = &st->res[i];
		rs->type = in->resource_type;
		rs->name = in->resource_name;
		st->items[i].b = &st->b;
		if (!fill_arrays(r, rs, in->n_configs)) {
			kreq_fail(r, "out of memory");
			return;
		}
		for (int k = 0; k < rs->n; k++) {
			rs->names[k] = in->configs[k].name;
			rs->values[k] = in->configs[k].value;
		}
		prepare(st, i, req.validate_only);
	}
	admin_batch_seal(&st->b);
}

void incremental_alter_configs_handle(struct kreq *r, struct reader *body)
{
	struct kafka_incremental_alter_configs_request req;
	kafka_incremental_alter_configs_request_init(&req);
	if (kafka_incremental_alter_configs_request_decode(body, r->api_version, &req, &r->arena) !=
	    0) {
		kreq_fail(r, "garbled IncrementalAlterConfigs request");
		return;
	}
	struct state *st = new_state(r, req.n_resources, true);
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	admin_batch_init(&st->b, r->sup, 0, respond, st);
	for (int i = 0; i < st->n; i++) {
		const struct kafka_incremental_alter_configs_request_alter_configs_resource *in =
		    &req.resources[i];
		struct res *rs = &st->res[i];
		rs->type = in->resource_type;
		rs->name = in->resource_name;
		st->items[i].b = &st->b;
		if (!fill_arrays(r, rs, in->n_configs) ||
		    (rs->ops = arena_calloc(&r->arena, (size_t)rs->n + 1, 1)) == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		for (int k = 0; k < rs->n; k++) {
			rs->names[k] = in->configs[k].name;
			rs->values[k] = in->configs[k].value;
			rs->ops[k] = in->configs[k].config_operation;
		}
		prepare(st, i, req.validate_only);
	}
	admin_batch_seal(&st->b);
}
