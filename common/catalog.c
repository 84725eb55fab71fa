/* catalog.c - the catalog, its commands, their pure apply and the snapshot
 * format (see catalog.h). */
#include "catalog.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/config_keys.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/placement.h"

/* Messages for clients are cut to CATALOG_MSG_MAX on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

void catalog_init(struct catalog *c) { memset(c, 0, sizeof(*c)); }

void catalog_free(struct catalog *c)
{
	for (int i = 0; i < c->n_topics; i++)
		free(c->topics[i].replicas);
	free(c->topics);
	free(c->nodes);
	memset(c, 0, sizeof(*c));
}

int catalog_copy(struct catalog *dst, const struct catalog *src)
{
	*dst = *src;
	dst->nodes = NULL;
	dst->topics = NULL;
	dst->n_topics = dst->cap_topics = 0;
	dst->n_nodes = 0;
	if (src->n_nodes > 0) {
		dst->nodes = malloc((size_t)src->n_nodes * sizeof(*dst->nodes));
		if (dst->nodes == NULL)
			goto fail;
		memcpy(dst->nodes, src->nodes, (size_t)src->n_nodes * sizeof(*dst->nodes));
		dst->n_nodes = src->n_nodes;
	}
	if (src->n_topics > 0) {
		dst->topics = calloc((size_t)src->n_topics, sizeof(*dst->topics));
		if (dst->topics == NULL)
			goto fail;
		dst->cap_topics = src->n_topics;
		for (int i = 0; i < src->n_topics; i++) {
			const struct catalog_topic *s = &src->topics[i];
			struct catalog_topic *d = &dst->topics[i];
			*d = *s;
			size_t n = (size_t)s->partitions * (size_t)s->replication;
			d->replicas = malloc(n * sizeof(int32_t) + 1);
			if (d->replicas == NULL)
				goto fail;
			memcpy(d->replicas, s->replicas, n * sizeof(int32_t));
			dst->n_topics++;
		}
	}
	return 0;
fail:
	catalog_free(dst);
	return ERR_NOMEM;
}

const struct catalog_topic *catalog_find(const struct catalog *c, const char *name, size_t len)
{
	for (int i = 0; i < c->n_topics; i++)
		if (strlen(c->topics[i].name) == len && memcmp(c->topics[i].name, name, len) == 0)
			return &c->topics[i];
	return NULL;
}

const struct catalog_topic *catalog_find_id(const struct catalog *c, const uint8_t id[16])
{
	for (int i = 0; i < c->n_topics; i++)
		if (memcmp(c->topics[i].id, id, 16) == 0)
			return &c->topics[i];
	return NULL;
}

const struct catalog_node *catalog_node(const struct catalog *c, int32_t id)
{
	for (int i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].id == id)
			return &c->nodes[i];
	return NULL;
}

const int32_t *catalog_replicas(const struct catalog_topic *t, int32_t p)
{
	if (p < 0 || p >= t->partitions)
		return NULL;
	return t->replicas + (size_t)p * (size_t)t->replication;
}

const char *catalog_config_get(const struct catalog_topic *t, const char *key)
{
	for (int i = 0; i < t->n_configs; i++)
		if (strcmp(t->configs[i].key, key) == 0)
			return t->configs[i].value;
	return NULL;
}

void catalog_id_str(const uint8_t id[16], char *out, size_t out_len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char s[24];
	int o = 0;
	for (int i = 0; i < 16; i += 3) {
		uint32_t v = (uint32_t)id[i] << 16;
		if (i + 1 < 16)
			v |= (uint32_t)id[i + 1] << 8;
		if (i + 2 < 16)
			v |= id[i + 2];
		s[o++] = a[(v >> 18) & 63];
		s[o++] = a[(v >> 12) & 63];
		if (i + 1 < 16)
			s[o++] = a[(v >> 6) & 63];
		if (i + 2 < 16)
			s[o++] = a[v & 63];
	}
	s[o] = '\0';
	snprintf(out, out_len, "%s", s);
}

/* --- msgpack helpers ------------------------------------------------------ */

static int buf_write_cb(void *data, const char *p, size_t len)
{
	struct buf *b = data;
	buf_put(b, p, len);
	return b->oom ? -1 : 0;
}

static void pk_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void pk_bool(msgpack_packer *pk, bool v)
{
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

static void pk_ids(msgpack_packer *pk, const int32_t *v, size_t n)
{
	if (v == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_int32(pk, v[i]);
}

static void pk_configs(msgpack_packer *pk, const struct catalog_config *cf, int n)
{
	msgpack_pack_array(pk, (size_t)n);
	for (int i = 0; i < n; i++) {
		msgpack_pack_array(pk, 2);
		pk_str(pk, cf[i].key);
		pk_str(pk, cf[i].value);
	}
}

/* A topic body: [name, id, partitions, rf, replicas|nil, configs]. */
static void pk_topic(msgpack_packer *pk, const struct catalog_topic_spec *t)
{
	msgpack_pack_array(pk, 6);
	pk_str(pk, t->name);
	msgpack_pack_bin(pk, 16);
	msgpack_pack_bin_body(pk, t->id, 16);
	msgpack_pack_int32(pk, t->partitions);
	msgpack_pack_int32(pk, t->replication);
	pk_ids(pk, t->replicas,
	       t->replicas
		   ? (size_t)t->partitions * (size_t)(t->replication > 0 ? t->replication : 0)
		   : 0);
	pk_configs(pk, t->configs, t->n_configs);
}

struct rd {
	const msgpack_object *o;
	uint32_t n, i;
	bool bad;
};

static struct rd rd_of(const msgpack_object *o)
{
	struct rd r = {0};
	if (o->type != MSGPACK_OBJECT_ARRAY) {
		r.bad = true;
		return r;
	}
	r.o = o->via.array.ptr;
	r.n = o->via.array.size;
	return r;
}

static const msgpack_object *rd_next(struct rd *r)
{
	if (r->bad || r->i >= r->n) {
		r->bad = true;
		return NULL;
	}
	return &r->o[r->i++];
}

static int64_t rd_int(struct rd *r, int64_t lo, int64_t hi)
{
	const msgpack_object *o = rd_next(r);
	int64_t v = 0;
	if (o == NULL)
		return 0;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= (uint64_t)INT64_MAX)
		v = (int64_t)o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		v = o->via.i64;
	else
		r->bad = true;
	if (v < lo || v > hi)
		r->bad = true;
	return r->bad ? 0 : v;
}

static bool rd_bool(struct rd *r)
{
	const msgpack_object *o = rd_next(r);
	if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN) {
		r->bad = true;
		return false;
	}
	return o->via.boolean;
}

/* A string into out (max out_len - 1 bytes, else bad); nil gives "" and
 * *was_nil when asked. */
static void rd_str(struct rd *r, char *out, size_t out_len, bool *was_nil)
{
	const msgpack_object *o = rd_next(r);
	out[0] = '\0';
	if (was_nil)
		*was_nil = false;
	if (o == NULL)
		return;
	if (o->type == MSGPACK_OBJECT_NIL && was_nil) {
		*was_nil = true;
		return;
	}
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= out_len ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL) {
		r->bad = true;
		return;
	}
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
}

/* 16 bytes, or nil (*was_nil). */
static void rd_id(struct rd *r, uint8_t out[16], bool *was_nil)
{
	const msgpack_object *o = rd_next(r);
	memset(out, 0, 16);
	if (was_nil)
		*was_nil = false;
	if (o == NULL)
		return;
	if (o->type == MSGPACK_OBJECT_NIL && was_nil) {
		*was_nil = true;
		return;
	}
	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != 16) {
		r->bad = true;
		return;
	}
	memcpy(out, o->via.bin.ptr, 16);
}

/* An array of node ids (nil gives *out NULL, n 0). Caller frees *out. */
static void rd_ids(struct rd *r, int32_t **out, uint32_t *n)
{
	const msgpack_object *o = rd_next(r);
	*out = NULL;
	*n = 0;
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
		return;
	struct rd a = rd_of(o);
	if (a.bad || a.n > (uint32_t)CATALOG_MAX_PARTITIONS * CATALOG_MAX_RF) {
		r->bad = true;
		return;
	}
	int32_t *v = malloc((size_t)a.n * sizeof(*v) + 1);
	if (v == NULL) {
		r->bad = true;
		return;
	}
	for (uint32_t i = 0; i < a.n; i++)
		v[i] = (int32_t)rd_int(&a, 0, CONFIG_NODE_ID_MAX);
	if (a.bad) {
		free(v);
		r->bad = true;
		return;
	}
	*out = v;
	*n = a.n;
}

static void rd_configs(struct rd *r, struct catalog_config *out, int *n)
{
	const msgpack_object *o = rd_next(r);
	*n = 0;
	if (o == NULL)
		return;
	struct rd a = rd_of(o);
	if (a.bad || a.n > CATALOG_MAX_CONFIGS) {
		r->bad = true;
		return;
	}
	for (uint32_t i = 0; i < a.n && !r->bad; i++) {
		struct rd kv = rd_of(rd_next(&a));
		if (kv.bad || kv.n != 2) {
			r->bad = true;
			return;
		}
		rd_str(&kv, out[i].key, sizeof(out[i].key), NULL);
		rd_str(&kv, out[i].value, sizeof(out[i].value), NULL);
		r->bad = r->bad || kv.bad;
	}
	*n = (int)a.n;
}

/* A decoded topic body (pk_topic). */
struct topic_in {
	char name[CONFIG_TOPIC_NAME_MAX + 2];
	uint8_t id[16];
	int32_t partitions, rf;
	int32_t *replicas; /* owned, may be NULL */
	uint32_t n_replicas;
	struct catalog_config configs[CATALOG_MAX_CONFIGS];
	int n_configs;
};

static void rd_topic(struct rd *r, struct topic_in *t)
{
	memset(t, 0, sizeof(*t));
	struct rd a = rd_of(rd_next(r));
	if (a.bad || a.n != 6) {
		r->bad = true;
		return;
	}
	rd_str(&a, t->name, sizeof(t->name), NULL);
	rd_id(&a, t->id, NULL);
	t->partitions = (int32_t)rd_int(&a, INT32_MIN, INT32_MAX);
	t->rf = (int32_t)rd_int(&a, INT32_MIN, INT32_MAX);
	rd_ids(&a, &t->replicas, &t->n_replicas);
	rd_configs(&a, t->configs, &t->n_configs);
	r->bad = r->bad || a.bad;
}

/* --- commands ------------------------------------------------------------ */

static int finish(struct buf *out) { return out->oom ? ERR_NOMEM : 0; }

int catalog_cmd_create_topic(const struct catalog_topic_spec *t, bool validate_only,
			     struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, CATALOG_CMD_CREATE_TOPIC);
	pk_topic(&pk, t);
	pk_bool(&pk, validate_only);
	return finish(out);
}

int catalog_cmd_delete_topic(const char *name, const uint8_t *id, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, CATALOG_CMD_DELETE_TOPIC);
	if (name)
		pk_str(&pk, name);
	else
		msgpack_pack_nil(&pk);
	if (id) {
		msgpack_pack_bin(&pk, 16);
		msgpack_pack_bin_body(&pk, id, 16);
	} else {
		msgpack_pack_nil(&pk);
	}
	return finish(out);
}

int catalog_cmd_create_partitions(const char *name, int32_t total, const int32_t *replicas,
				  int n_new, int rf, bool validate_only, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_int(&pk, CATALOG_CMD_CREATE_PARTITIONS);
	pk_str(&pk, name);
	msgpack_pack_int32(&pk, total);
	pk_ids(&pk, replicas, replicas ? (size_t)n_new * (size_t)rf : 0);
	pk_bool(&pk, validate_only);
	return finish(out);
}

int catalog_cmd_alter_configs(const char *name, const struct catalog_config_op *ops, int n,
			      bool replace, bool validate_only, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_int(&pk, CATALOG_CMD_ALTER_CONFIGS);
	pk_str(&pk, name);
	msgpack_pack_array(&pk, (size_t)n);
	for (int i = 0; i < n; i++) {
		msgpack_pack_array(&pk, 2);
		pk_str(&pk, ops[i].key);
		if (ops[i].value)
			pk_str(&pk, ops[i].value);
		else
			msgpack_pack_nil(&pk);
	}
	pk_bool(&pk, replace);
	pk_bool(&pk, validate_only);
	return finish(out);
}

int catalog_cmd_register_node(const struct catalog_node *nd, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, CATALOG_CMD_REGISTER_NODE);
	msgpack_pack_int32(&pk, nd->id);
	pk_str(&pk, nd->kafka);
	pk_str(&pk, nd->raft);
	return finish(out);
}

int catalog_cmd_alloc_producer_ids(int32_t node, int32_t count, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, CATALOG_CMD_ALLOC_PRODUCER_IDS);
	msgpack_pack_int32(&pk, node);
	msgpack_pack_int32(&pk, count);
	return finish(out);
}

int catalog_cmd_adopt(const char *cluster_id, const struct catalog_topic_spec *topics, int n,
		      struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, CATALOG_CMD_ADOPT);
	pk_str(&pk, cluster_id);
	msgpack_pack_array(&pk, (size_t)n);
	for (int i = 0; i < n; i++)
		pk_topic(&pk, &topics[i]);
	return finish(out);
}

/* Unpacks a command; *zone must be destroyed by the caller. */
static int unpack(const uint8_t *cmd, size_t len, msgpack_zone *zone, msgpack_object *obj)
{
	size_t off = 0;
	if (!msgpack_zone_init(zone, 1024))
		return ERR_NOMEM;
	if (msgpack_unpack((const char *)cmd, len, &off, zone, obj) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || obj->type != MSGPACK_OBJECT_ARRAY || obj->via.array.size < 1)
		return ERR_INVALID;
	return 0;
}

int catalog_cmd_type(const uint8_t *cmd, size_t len)
{
	msgpack_zone zone;
	msgpack_object obj;
	int rc = unpack(cmd, len, &zone, &obj);
	if (rc == 0) {
		struct rd r = rd_of(&obj);
		rc = (int)rd_int(&r, CATALOG_CMD_CREATE_TOPIC, CATALOG_CMD_ADOPT);
		if (r.bad)
			rc = ERR_INVALID;
	}
	msgpack_zone_destroy(&zone);
	return rc;
}

/* --- validation ------------------------------------------------------------ */

static void say(struct catalog_result *res, int16_t err, const char *fmt, const char *arg)
{
	res->error = err;
	snprintf(res->msg, sizeof(res->msg), fmt, arg);
}

int16_t catalog_config_check(const char *key, const char *value, char *why, size_t why_len)
{
	const struct config_key *k = config_key_find(CONFIG_TOPIC_SECTION, key);
	if (k == NULL || strcmp(key, "partitions") == 0 || strcmp(key, "replication") == 0) {
		snprintf(why, why_len, "unknown topic config '%s'", key);
		return KERR_INVALID_CONFIG;
	}
	struct config_topic scratch;
	memset(&scratch, 0, sizeof(scratch));
	char w[160];
	if (config_key_parse(k, &scratch, value, w, sizeof(w)) != 0) {
		snprintf(why, why_len, "%s: %s", key, w);
		return KERR_INVALID_CONFIG;
	}
	return KERR_NONE;
}

static bool configs_ok(const struct catalog_config *cf, int n, struct catalog_result *res)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			if (strcmp(cf[i].key, cf[j].key) == 0) {
				say(res, KERR_INVALID_CONFIG, "config '%s' given twice", cf[i].key);
				return false;
			}
		int16_t k =
		    catalog_config_check(cf[i].key, cf[i].value, res->msg, sizeof(res->msg));
		if (k != KERR_NONE) {
			res->error = k;
			return false;
		}
	}
	return true;
}

/* Kafka's rules for a new name, and its collision rule: two names that
 * differ only in '.' versus '_' would share metric names. */
static bool name_ok(const struct catalog *c, const char *name, struct catalog_result *res)
{
	size_t len = strlen(name);
	if (config_topic_name_check(name, len) != 0) {
		say(res, KERR_INVALID_TOPIC_EXCEPTION,
		    "invalid topic name '%.80s': use 1..249 characters of [a-zA-Z0-9._-], "
		    "not . or ..",
		    name);
		return false;
	}
	if (catalog_find(c, name, len) != NULL) {
		say(res, KERR_TOPIC_ALREADY_EXISTS, "topic '%s' already exists", name);
		return false;
	}
	for (int i = 0; i < c->n_topics; i++) {
		const char *o = c->topics[i].name;
		if (strlen(o) != len)
			continue;
		bool same = true;
		for (size_t k = 0; k < len && same; k++) {
			char a = name[k] == '.' ? '_' : name[k];
			char b = o[k] == '.' ? '_' : o[k];
			same = a == b;
		}
		if (same) {
			res->error = KERR_INVALID_TOPIC_EXCEPTION;
			snprintf(res->msg, sizeof(res->msg),
				 "topic '%.100s' collides with existing topic '%.80s' ('.' and "
				 "'_' are the same in metric names)",
				 name, o);
			return false;
		}
	}
	return true;
}

/* An explicit assignment: n partitions of rf distinct registered nodes. */
static bool assignment_ok(const struct catalog *c, const int32_t *reps, int32_t n, int rf,
			  struct catalog_result *res)
{
	for (int32_t p = 0; p < n; p++) {
		const int32_t *r = reps + (size_t)p * (size_t)rf;
		for (int k = 0; k < rf; k++) {
			if (catalog_node(c, r[k]) == NULL) {
				char s[16];
				snprintf(s, sizeof(s), "%d", (int)r[k]);
				say(res, KERR_INVALID_REPLICA_ASSIGNMENT,
				    "replica assignment names unknown node %s", s);
				return false;
			}
			for (int j = 0; j < k; j++)
				if (r[j] == r[k]) {
					say(res, KERR_INVALID_REPLICA_ASSIGNMENT,
					    "replica assignment repeats a node%s", "");
					return false;
				}
		}
	}
	return true;
}

/* --- placement ------------------------------------------------------------- */

int catalog_place(const struct catalog *c, const char *name, int32_t first, int32_t n, int rf,
		  int32_t *out)
{
	int nn = c->n_nodes;
	if (rf < 1 || rf > nn || n < 0)
		return ERR_INVALID;
	int64_t *load = calloc((size_t)nn * 2, sizeof(*load));
	if (load == NULL)
		return ERR_NOMEM;
	int64_t *lead = load + nn;
	for (int i = 0; i < c->n_topics; i++) {
		const struct catalog_topic *t = &c->topics[i];
		for (int32_t p = 0; p < t->partitions; p++) {
			const int32_t *r = catalog_replicas(t, p);
			for (int k = 0; k < t->replication; k++)
				for (int x = 0; x < nn; x++)
					if (c->nodes[x].id == r[k]) {
						load[x]++;
						lead[x] += k == 0;
					}
		}
	}
	uint32_t h = placement_hash(name);
	for (int32_t p = 0; p < n; p++) {
		int32_t *o = out + (size_t)p * (size_t)rf;
		/* Ties go round the ring from a start that moves with the
		 * partition, so equal loads still spread. */
		int start = (int)(((uint64_t)h + (uint64_t)(first + p)) % (uint64_t)nn);
		int best = -1;
		for (int d = 0; d < nn; d++) {
			int x = (start + d) % nn;
			if (best < 0 || lead[x] < lead[best] ||
			    (lead[x] == lead[best] && load[x] < load[best]))
				best = x;
		}
		o[0] = c->nodes[best].id;
		lead[best]++;
		load[best]++;
		for (int k = 1; k < rf; k++) {
			int pick = -1;
			for (int d = 1; d < nn; d++) {
				int x = (best + d) % nn;
				bool used = false;
				for (int j = 0; j < k; j++)
					used = used || o[j] == c->nodes[x].id;
				if (!used && (pick < 0 || load[x] < load[pick]))
					pick = x;
			}
			o[k] = c->nodes[pick].id;
			load[pick]++;
		}
	}
	free(load);
	return 0;
}

/* --- apply ----------------------------------------------------------------- */

static int add_topic(struct catalog *c, const struct topic_in *t, int32_t *replicas)
{
	if (c->n_topics == c->cap_topics) {
		int cap = c->cap_topics ? 2 * c->cap_topics : 8;
		struct catalog_topic *v = realloc(c->topics, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return ERR_NOMEM;
		c->topics = v;
		c->cap_topics = cap;
	}
	struct catalog_topic *d = &c->topics[c->n_topics++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", t->name);
	memcpy(d->id, t->id, 16);
	d->partitions = t->partitions;
	d->replication = t->rf;
	d->replicas = replicas;
	memcpy(d->configs, t->configs, sizeof(d->configs));
	d->n_configs = t->n_configs;
	return 0;
}

static bool id_zero(const uint8_t id[16])
{
	for (int i = 0; i < 16; i++)
		if (id[i] != 0)
			return false;
	return true;
}

/* Validates a new topic and places it; on success *reps is a new array. */
static int prepare_topic(const struct catalog *c, struct topic_in *t, struct catalog_result *res,
			 int32_t **reps)
{
	*reps = NULL;
	if (!name_ok(c, t->name, res))
		return 0;
	if (id_zero(t->id) || catalog_find_id(c, t->id) != NULL) {
		say(res, KERR_INVALID_REQUEST, "topic id missing or in use%s", "");
		return 0;
	}
	if (t->partitions < 1 || t->partitions > CATALOG_MAX_PARTITIONS) {
		res->error = KERR_INVALID_PARTITIONS;
		snprintf(res->msg, sizeof(res->msg), "number of partitions must be 1..%d, got %d",
			 CATALOG_MAX_PARTITIONS, (int)t->partitions);
		return 0;
	}
	if (t->rf < 1 || t->rf > CATALOG_MAX_RF) {
		res->error = KERR_INVALID_REPLICATION_FACTOR;
		snprintf(res->msg, sizeof(res->msg), "replication factor must be 1..%d, got %d",
			 CATALOG_MAX_RF, (int)t->rf);
		return 0;
	}
	if (!configs_ok(t->configs, t->n_configs, res))
		return 0;
	size_t n = (size_t)t->partitions * (size_t)t->rf;
	if (t->replicas != NULL) {
		if (t->n_replicas != n) {
			say(res, KERR_INVALID_REPLICA_ASSIGNMENT,
			    "replica assignment does not cover every partition%s", "");
			return 0;
		}
		if (!assignment_ok(c, t->replicas, t->partitions, t->rf, res))
			return 0;
		*reps = t->replicas;
		t->replicas = NULL;
		return 0;
	}
	if (t->rf > c->n_nodes) {
		res->error = KERR_INVALID_REPLICATION_FACTOR;
		snprintf(res->msg, sizeof(res->msg),
			 "replication factor %d is larger than the %d available nodes", (int)t->rf,
			 c->n_nodes);
		return 0;
	}
	int32_t *v = malloc(n * sizeof(*v) + 1);
	if (v == NULL)
		return ERR_NOMEM;
	int rc = catalog_place(c, t->name, 0, t->partitions, t->rf, v);
	if (rc != 0) {
		free(v);
		return rc;
	}
	*reps = v;
	return 0;
}

static int apply_create(struct catalog *c, struct rd *r, struct catalog_result *res)
{
	struct topic_in t;
	rd_topic(r, &t);
	bool validate_only = rd_bool(r);
	int rc = 0;
	if (r->bad) {
		say(res, KERR_INVALID_REQUEST, "malformed create command%s", "");
		goto out;
	}
	/* The same command applied again (a proposal retried after its
	 * leader died, whose first copy committed after all) is done. */
	const struct catalog_topic *same = catalog_find(c, t.name, strlen(t.name));
	if (same != NULL && memcmp(same->id, t.id, 16) == 0)
		goto out;
	int32_t *reps;
	rc = prepare_topic(c, &t, res, &reps);
	if (rc != 0 || res->error != KERR_NONE || validate_only) {
		free(reps);
		goto out;
	}
	rc = add_topic(c, &t, reps);
	if (rc != 0)
		free(reps);
out:
	free(t.replicas);
	return rc;
}

static int apply_delete(struct catalog *c, struct rd *r, struct catalog_result *res)
{
	char name[CONFIG_TOPIC_NAME_MAX + 2];
	uint8_t id[16];
	bool no_name, no_id;
	rd_str(r, name, sizeof(name), &no_name);
	rd_id(r, id, &no_id);
	if (r->bad || (no_name && no_id)) {
		say(res, KERR_INVALID_REQUEST, "malformed delete command%s", "");
		return 0;
	}
	const struct catalog_topic *t = NULL;
	if (!no_id) {
		t = catalog_find_id(c, id);
		if (t == NULL || (!no_name && strcmp(t->name, name) != 0)) {
			say(res, KERR_UNKNOWN_TOPIC_ID, "no topic with that id%s", "");
			return 0;
		}
	} else {
		t = catalog_find(c, name, strlen(name));
		if (t == NULL) {
			say(res, KERR_UNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist",
			    name);
			return 0;
		}
	}
	int i = (int)(t - c->topics);
	free(c->topics[i].replicas);
	memmove(&c->topics[i], &c->topics[i + 1], (size_t)(c->n_topics - i - 1) * sizeof(*t));
	c->n_topics--;
	return 0;
}

static int apply_create_partitions(struct catalog *c, struct rd *r, struct catalog_result *res)
{
	char name[CONFIG_TOPIC_NAME_MAX + 2];
	rd_str(r, name, sizeof(name), NULL);
	int32_t total = (int32_t)rd_int(r, INT32_MIN, INT32_MAX);
	int32_t *given;
	uint32_t n_given;
	rd_ids(r, &given, &n_given);
	bool validate_only = rd_bool(r);
	int rc = 0;
	if (r->bad) {
		say(res, KERR_INVALID_REQUEST, "malformed create-partitions command%s", "");
		goto out;
	}
	struct catalog_topic *t = (struct catalog_topic *)catalog_find(c, name, strlen(name));
	if (t == NULL) {
		say(res, KERR_UNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
		goto out;
	}
	if (total <= t->partitions || total > CATALOG_MAX_PARTITIONS) {
		res->error = KERR_INVALID_PARTITIONS;
		if (total == t->partitions)
			snprintf(res->msg, sizeof(res->msg), "topic already has %d partitions",
				 (int)total);
		else
			snprintf(res->msg, sizeof(res->msg),
				 "the partition count can only grow, from %d up to %d; got %d",
				 (int)t->partitions, CATALOG_MAX_PARTITIONS, (int)total);
		goto out;
	}
	int32_t n_new = total - t->partitions;
	int rf = t->replication;
	size_t add = (size_t)n_new * (size_t)rf;
	if (given != NULL && (n_given != add || !assignment_ok(c, given, n_new, rf, res))) {
		if (res->error == KERR_NONE)
			say(res, KERR_INVALID_REPLICA_ASSIGNMENT,
			    "the assignment must give %s replicas for each new partition",
			    "replication-factor");
		goto out;
	}
	if (given == NULL && rf > c->n_nodes) {
		say(res, KERR_INVALID_REPLICATION_FACTOR,
		    "fewer nodes than the topic's replication factor%s", "");
		goto out;
	}
	if (validate_only)
		goto out;
	size_t old = (size_t)t->partitions * (size_t)rf;
	int32_t *v = malloc((old + add) * sizeof(*v) + 1);
	if (v == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	memcpy(v, t->replicas, old * sizeof(*v));
	if (given != NULL)
		memcpy(v + old, given, add * sizeof(*v));
	else
		rc = catalog_place(c, t->name, t->partitions, n_new, rf, v + old);
	if (rc != 0) {
		free(v);
		goto out;
	}
	free(t->replicas);
	t->replicas = v;
	t->partitions = total;
out:
	free(given);
	return rc;
}

static int apply_alter(struct catalog *c, struct rd *r, struct catalog_result *res)
{
	char name[CONFIG_TOPIC_NAME_MAX + 2];
	rd_str(r, name, sizeof(name), NULL);
	struct rd ops = rd_of(rd_next(r));
	bool replace = rd_bool(r);
	bool validate_only = rd_bool(r);
	if (r->bad || ops.bad || ops.n > CATALOG_MAX_CONFIGS) {
		say(res, KERR_INVALID_REQUEST, "malformed alter-configs command%s", "");
		return 0;
	}
	struct catalog_topic *t = (struct catalog_topic *)catalog_find(c, name, strlen(name));
	if (t == NULL) {
		say(res, KERR_UNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
		return 0;
	}
	struct catalog_config next[CATALOG_MAX_CONFIGS];
	int n = 0;
	if (!replace) {
		memcpy(next, t->configs, sizeof(next));
		n = t->n_configs;
	}
	for (uint32_t i = 0; i < ops.n; i++) {
		struct rd kv = rd_of(rd_next(&ops));
		char key[CATALOG_KEY_MAX], value[CATALOG_VALUE_MAX];
		bool del;
		if (kv.bad || kv.n != 2) {
			say(res, KERR_INVALID_REQUEST, "malformed config operation%s", "");
			return 0;
		}
		rd_str(&kv, key, sizeof(key), NULL);
		rd_str(&kv, value, sizeof(value), &del);
		if (kv.bad) {
			say(res, KERR_INVALID_CONFIG, "config name or value too long%s", "");
			return 0;
		}
		int16_t k = del ? (config_key_find(CONFIG_TOPIC_SECTION, key) ? KERR_NONE
									      : KERR_INVALID_CONFIG)
				: catalog_config_check(key, value, res->msg, sizeof(res->msg));
		if (k != KERR_NONE) {
			res->error = k;
			if (del)
				snprintf(res->msg, sizeof(res->msg), "unknown topic config '%s'",
					 key);
			return 0;
		}
		int at = -1;
		for (int j = 0; j < n; j++)
			if (strcmp(next[j].key, key) == 0)
				at = j;
		if (del) {
			if (at >= 0) {
				next[at] = next[n - 1];
				n--;
			}
			continue;
		}
		if (at < 0) {
			if (n == CATALOG_MAX_CONFIGS) {
				say(res, KERR_INVALID_CONFIG, "too many config overrides%s", "");
				return 0;
			}
			at = n++;
		}
		snprintf(next[at].key, sizeof(next[at].key), "%s", key);
		snprintf(next[at].value, sizeof(next[at].value), "%s", value);
	}
	if (validate_only)
		return 0;
	memcpy(t->configs, next, sizeof(next));
	t->n_configs = n;
	return 0;
}

static int node_cmp(const void *a, const void *b)
{
	int32_t x = ((const struct catalog_node *)a)->id, y = ((const struct catalog_node *)b)->id;
	return (x > y) - (x < y);
}

static int apply_register(struct catalog *c, struct rd *r, struct catalog_result *res)
{
	struct catalog_node nd;
	memset(&nd, 0, sizeof(nd));
	nd.id = (int32_t)rd_int(r, 0, CONFIG_NODE_ID_MAX);
	rd_str(r, nd.kafka, sizeof(nd.kafka), NULL);
	rd_str(r, nd.raft, sizeof(nd.raft), NULL);
	if (r->bad) {
		say(res, KERR_INVALID_REQUEST, "malformed register-node command%s", "");
		return 0;
	}
	struct catalog_node *old = (struct catalog_node *)catalog_node(c, nd.id);
	if (old != NULL) {
		*old = nd;
		return 0;
	}
	if (c->n_nodes >= CATALOG_MAX_NODES) {
		say(res, KERR_INVALID_REQUEST, "too many nodes%s", "");
		return 0;
	}
	struct catalog_node *v = realloc(c->nodes, (size_t)(c->n_nodes + 1) * sizeof(*v));
	if (v == NULL)
		return ERR_NOMEM;
	c->nodes = v;
	c->nodes[c->n_nodes++] = nd;
	qsort(c->nodes, (size_t)c->n_nodes, sizeof(*c->nodes), node_cmp);
	return 0;
}

static int apply_alloc_pids(struct catalog *c, struct rd *r, struct catalog_result *res)
{
	int32_t node = (int32_t)rd_int(r, 0, CONFIG_NODE_ID_MAX);
	int32_t count = (int32_t)rd_int(r, 1, CATALOG_PID_BLOCK_MAX);
	(void)node;
	if (r->bad) {
		say(res, KERR_INVALID_REQUEST, "malformed producer-id command%s", "");
		return 0;
	}
	/* Ids below 1 << 40 were handed out by the per-node counters of
	 * older releases (node_id << 40 | counter, node ids from 1): blocks
	 * start above every such range. */
	if (c->next_producer_id == 0)
		c->next_producer_id = (int64_t)(CONFIG_NODE_ID_MAX + 1) << 40;
	if (c->next_producer_id > INT64_MAX - count) {
		say(res, KERR_INVALID_REQUEST, "producer ids exhausted%s", "");
		return 0;
	}
	res->value = c->next_producer_id;
	c->next_producer_id += count;
	return 0;
}

static int apply_adopt(struct catalog *c, struct rd *r, struct catalog_result *res)
{
	char cid[sizeof(c->cluster_id)];
	rd_str(r, cid, sizeof(cid), NULL);
	struct rd ts = rd_of(rd_next(r));
	if (r->bad || ts.bad) {
		say(res, KERR_INVALID_REQUEST, "malformed adopt command%s", "");
		return 0;
	}
	if (c->adopted) {
		say(res, KERR_TOPIC_ALREADY_EXISTS, "the catalog adopted its topics already%s", "");
		return 0;
	}
	c->adopted = true;
	if (c->cluster_id[0] == '\0')
		snprintf(c->cluster_id, sizeof(c->cluster_id), "%s", cid);
	/* Each topic on its own: one that cannot be adopted (a name taken
	 * since) does not keep the others out. */
	for (uint32_t i = 0; i < ts.n; i++) {
		struct topic_in t;
		rd_topic(&ts, &t);
		if (ts.bad) {
			free(t.replicas);
			break;
		}
		struct catalog_result one = {0};
		int32_t *reps;
		int rc = prepare_topic(c, &t, &one, &reps);
		if (rc == 0 && one.error == KERR_NONE)
			rc = add_topic(c, &t, reps);
		else
			free(reps);
		free(t.replicas);
		if (rc != 0)
			return rc;
		if (one.error != KERR_NONE && res->error == KERR_NONE)
			*res = one;
	}
	return 0;
}

int catalog_apply(struct catalog *c, uint64_t index, const uint8_t *cmd, size_t len,
		  struct catalog_result *res)
{
	memset(res, 0, sizeof(*res));
	c->version = index;
	msgpack_zone zone;
	msgpack_object obj;
	int rc = unpack(cmd, len, &zone, &obj);
	if (rc == ERR_NOMEM) {
		msgpack_zone_destroy(&zone);
		return rc;
	}
	if (rc != 0) {
		msgpack_zone_destroy(&zone);
		say(res, KERR_INVALID_REQUEST, "malformed catalog command%s", "");
		return 0;
	}
	struct rd r = rd_of(&obj);
	int type = (int)rd_int(&r, CATALOG_CMD_CREATE_TOPIC, CATALOG_CMD_ADOPT);
	rc = 0;
	if (r.bad) {
		say(res, KERR_INVALID_REQUEST, "unknown catalog command%s", "");
		goto out;
	}
	switch ((enum catalog_cmd)type) {
	case CATALOG_CMD_CREATE_TOPIC:
		rc = apply_create(c, &r, res);
		break;
	case CATALOG_CMD_DELETE_TOPIC:
		rc = apply_delete(c, &r, res);
		break;
	case CATALOG_CMD_CREATE_PARTITIONS:
		rc = apply_create_partitions(c, &r, res);
		break;
	case CATALOG_CMD_ALTER_CONFIGS:
		rc = apply_alter(c, &r, res);
		break;
	case CATALOG_CMD_REGISTER_NODE:
		rc = apply_register(c, &r, res);
		break;
	case CATALOG_CMD_ALLOC_PRODUCER_IDS:
		rc = apply_alloc_pids(c, &r, res);
		break;
	case CATALOG_CMD_ADOPT:
		rc = apply_adopt(c, &r, res);
		break;
	}
out:
	msgpack_zone_destroy(&zone);
	return rc;
}

/* --- snapshot ------------------------------------------------------------- */

int catalog_encode(const struct catalog *c, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 7);
	msgpack_pack_int(&pk, 1); /* format version */
	msgpack_pack_uint64(&pk, c->version);
	pk_str(&pk, c->cluster_id);
	pk_bool(&pk, c->adopted);
	msgpack_pack_int64(&pk, c->next_producer_id);
	msgpack_pack_array(&pk, (size_t)c->n_nodes);
	for (int i = 0; i < c->n_nodes; i++) {
		msgpack_pack_array(&pk, 3);
		msgpack_pack_int32(&pk, c->nodes[i].id);
		pk_str(&pk, c->nodes[i].kafka);
		pk_str(&pk, c->nodes[i].raft);
	}
	msgpack_pack_array(&pk, (size_t)c->n_topics);
	for (int i = 0; i < c->n_topics; i++) {
		const struct catalog_topic *t = &c->topics[i];
		struct catalog_topic_spec s = {.name = t->name,
					       .partitions = t->partitions,
					       .replication = t->replication,
					       .replicas = t->replicas,
					       .configs = t->configs,
					       .n_configs = t->n_configs};
		memcpy(s.id, t->id, 16);
		pk_topic(&pk, &s);
	}
	return finish(out);
}

int catalog_decode(struct catalog *c, const uint8_t *data, size_t len)
{
	msgpack_zone zone;
	msgpack_object obj;
	struct catalog n;
	catalog_init(&n);
	int rc = unpack(data, len, &zone, &obj);
	if (rc != 0)
		goto out;
	rc = ERR_INVALID;
	struct rd r = rd_of(&obj);
	if (r.n != 7 || rd_int(&r, 1, 1) != 1)
		goto out;
	n.version = (uint64_t)rd_int(&r, 0, INT64_MAX);
	rd_str(&r, n.cluster_id, sizeof(n.cluster_id), NULL);
	n.adopted = rd_bool(&r);
	n.next_producer_id = rd_int(&r, 0, INT64_MAX);
	struct rd nodes = rd_of(rd_next(&r));
	if (r.bad || nodes.bad || nodes.n > CATALOG_MAX_NODES)
		goto out;
	n.nodes = calloc(nodes.n + 1, sizeof(*n.nodes));
	if (n.nodes == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < nodes.n; i++) {
		struct rd nd = rd_of(rd_next(&nodes));
		if (nd.bad || nd.n != 3)
			goto out;
		n.nodes[i].id = (int32_t)rd_int(&nd, 0, CONFIG_NODE_ID_MAX);
		rd_str(&nd, n.nodes[i].kafka, sizeof(n.nodes[i].kafka), NULL);
		rd_str(&nd, n.nodes[i].raft, sizeof(n.nodes[i].raft), NULL);
		if (nd.bad)
			goto out;
		n.n_nodes++;
	}
	struct rd ts = rd_of(rd_next(&r));
	if (r.bad || ts.bad)
		goto out;
	for (uint32_t i = 0; i < ts.n; i++) {
		struct topic_in t;
		rd_topic(&ts, &t);
		bool ok = !ts.bad && t.partitions >= 1 && t.rf >= 1 && t.replicas != NULL &&
			  t.n_replicas == (uint32_t)t.partitions * (uint32_t)t.rf;
		if (!ok) {
			free(t.replicas);
			goto out;
		}
		if (add_topic(&n, &t, t.replicas) != 0) {
			free(t.replicas);
			rc = ERR_NOMEM;
			goto out;
		}
	}
	catalog_free(c);
	*c = n;
	catalog_init(&n);
	rc = 0;
out:
	catalog_free(&n);
	msgpack_zone_destroy(&zone);
	return rc;
}
