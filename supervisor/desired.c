/* desired.c - proposing the INI file's topics and nodes (see desired.h). */
#include "desired.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "common/config_keys.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/cluster.h"
#include "supervisor/ids.h"
#include "supervisor/proposals.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"

#define DESIRED_TIMEOUT_MS 15000
#define DESIRED_AGAIN_MS 200
#define DESIRED_FAILED_MS 1000

struct desired {
	struct sup *s;
	bool requested;
	int in_flight;
	bool failed; /* a command of this round timed out: wait before the next */
	struct event *ev;
};

static void run(struct desired *d);

static void on_timer(evutil_socket_t fd, short what, void *arg) { run(arg); }

static void arm(struct desired *d, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(d->ev, &tv);
}

struct job {
	struct desired *d;
	char what[CONFIG_TOPIC_NAME_MAX + 64];
	int type;
};

static void on_result(void *ctx, const struct catalog_result *res)
{
	struct job *j = ctx;
	struct desired *d = j->d;
	d->in_flight--;
	bool expected =
	    res->error == KERR_NONE ||
	    (j->type == CATALOG_CMD_ADOPT && res->error == KERR_TOPIC_ALREADY_EXISTS) ||
	    (j->type == CATALOG_CMD_CREATE_TOPIC && res->error == KERR_TOPIC_ALREADY_EXISTS);
	if (res->error == KERR_NONE)
		log_info("desired state: %s: done", j->what);
	else if (!expected)
		log_warn("desired state: %s: %s (%s)", j->what, kerr_name(res->error), res->msg);
	if (res->error == KERR_REQUEST_TIMED_OUT)
		d->failed = true;
	free(j);
	if (d->in_flight == 0)
		arm(d, d->failed ? DESIRED_FAILED_MS : DESIRED_AGAIN_MS);
}

static void propose(struct desired *d, struct buf *cmd, int type, const char *what)
{
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->d = d;
	j->type = type;
	snprintf(j->what, sizeof(j->what), "%s", what);
	if (cmd->oom ||
	    proposals_submit(d->s, cmd->data, cmd->len, DESIRED_TIMEOUT_MS, on_result, j) == 0) {
		free(j);
		return;
	}
	d->in_flight++;
}

/* The nodes of the file as the catalog should know them. */
static int wanted_nodes(const struct config *c, struct catalog_node *out)
{
	char a[CATALOG_ADDR_MAX];
	if (c->n_peers == 0) {
		memset(out, 0, sizeof(*out));
		out->id = c->node.id;
		snprintf(out->kafka, sizeof(out->kafka), "%s:%u", c->node.advertised_host,
			 (unsigned)c->node.kafka_listen.port);
		snprintf(out->raft, sizeof(out->raft), "%s",
			 config_addr_str(&c->node.raft_listen, a, sizeof(a)));
		return 1;
	}
	for (int i = 0; i < c->n_peers; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].id = c->peers[i].id;
		snprintf(out[i].kafka, sizeof(out[i].kafka), "%s",
			 config_addr_str(&c->peers[i].kafka, a, sizeof(a)));
		snprintf(out[i].raft, sizeof(out[i].raft), "%s",
			 config_addr_str(&c->peers[i].raft, a, sizeof(a)));
	}
	return c->n_peers;
}

static bool register_nodes(struct desired *d)
{
	const struct config *c = d->s->cfg;
	int n = c->n_peers > 0 ? c->n_peers : 1;
	struct catalog_node *v = calloc((size_t)n, sizeof(*v));
	if (v == NULL)
		return false;
	n = wanted_nodes(c, v);
	bool any = false;
	for (int i = 0; i < n; i++) {
		const struct catalog_node *have = catalog_node(d->s->catalog, v[i].id);
		if (have != NULL && strcmp(have->kafka, v[i].kafka) == 0 &&
		    strcmp(have->raft, v[i].raft) == 0)
			continue;
		struct buf b;
		buf_init(&b);
		catalog_cmd_register_node(&v[i], &b);
		char what[64];
		snprintf(what, sizeof(what), "register node %d", (int)v[i].id);
		propose(d, &b, CATALOG_CMD_REGISTER_NODE, what);
		buf_free(&b);
		any = true;
	}
	free(v);
	return any;
}

/* The keys a section sets itself, formatted as the file spells them. */
static int explicit_configs(const struct config_topic *t, struct catalog_config *out)
{
	int n = 0;
	for (int i = 0; i < config_n_keys && n < CATALOG_MAX_CONFIGS; i++) {
		const struct config_key *k = &config_keys[i];
		if (!config_key_is_topic(k) || !(t->set_keys & ((uint64_t)1 << i)) ||
		    strcmp(k->key, "partitions") == 0 || strcmp(k->key, "replication") == 0)
			continue;
		snprintf(out[n].key, sizeof(out[n].key), "%s", k->key);
		if (config_key_format(k, t, out[n].value, sizeof(out[n].value)) == 0)
			n++;
	}
	return n;
}

static void adopt(struct desired *d)
{
	const struct config *c = d->s->cfg;
	int nt = c->n_topics, nn = cluster_n_nodes(c);
	struct catalog_topic_spec *specs = calloc((size_t)nt + 1, sizeof(*specs));
	struct catalog_config *cfgs = calloc((size_t)nt * CATALOG_MAX_CONFIGS + 1, sizeof(*cfgs));
	int32_t **reps = calloc((size_t)nt + 1, sizeof(*reps));
	bool ok = specs && cfgs && reps;
	for (int i = 0; i < nt && ok; i++) {
		const struct config_topic *t = &c->topics[i];
		struct catalog_topic_spec *sp = &specs[i];
		int rf = t->replication < nn ? t->replication : nn;
		reps[i] = malloc((size_t)t->partitions * (size_t)rf * sizeof(int32_t) + 1);
		if (reps[i] == NULL) {
			ok = false;
			break;
		}
		for (int32_t p = 0; p < t->partitions; p++)
			cluster_replicas(c, t, p, reps[i] + (size_t)p * (size_t)rf);
		struct kafka_uuid u;
		ids_topic_id(t->name, strlen(t->name), &u);
		sp->name = t->name;
		memcpy(sp->id, u.b, 16);
		sp->partitions = t->partitions;
		sp->replication = rf;
		sp->replicas = reps[i];
		sp->configs = cfgs + (size_t)i * CATALOG_MAX_CONFIGS;
		sp->n_configs = explicit_configs(t, cfgs + (size_t)i * CATALOG_MAX_CONFIGS);
	}
	if (ok) {
		struct buf b;
		buf_init(&b);
		catalog_cmd_adopt(d->s->cluster_id, specs, nt, &b);
		char what[64];
		snprintf(what, sizeof(what), "adopt the %d topic(s) of the file", nt);
		propose(d, &b, CATALOG_CMD_ADOPT, what);
		buf_free(&b);
	}
	for (int i = 0; reps && i < nt; i++)
		free(reps[i]);
	free(reps);
	free(cfgs);
	free(specs);
}

static void topic_pass(struct desired *d)
{
	const struct config *c = d->s->cfg;
	for (int i = 0; i < c->n_topics; i++) {
		const struct config_topic *t = &c->topics[i];
		const struct catalog_topic *ct =
		    catalog_find(d->s->catalog, t->name, strlen(t->name));
		struct catalog_config cf[CATALOG_MAX_CONFIGS];
		int n_cf = explicit_configs(t, cf);
		char what[CONFIG_TOPIC_NAME_MAX + 64];
		struct buf b;
		buf_init(&b);
		if (ct == NULL) {
			struct catalog_topic_spec sp = {.name = t->name,
							.partitions = t->partitions,
							.replication = t->replication,
							.configs = cf,
							.n_configs = n_cf};
			ids_random_topic_id(sp.id);
			catalog_cmd_create_topic(&sp, false, &b);
			snprintf(what, sizeof(what),
				 "create topic %s (%d partitions, replication %d)", t->name,
				 (int)t->partitions, (int)t->replication);
			propose(d, &b, CATALOG_CMD_CREATE_TOPIC, what);
			buf_free(&b);
			continue;
		}
		if (t->partitions > ct->partitions) {
			catalog_cmd_create_partitions(t->name, t->partitions, NULL, 0, 0, false,
						      &b);
			snprintf(what, sizeof(what), "topic %s grows from %d to %d partitions",
				 t->name, (int)ct->partitions, (int)t->partitions);
			propose(d, &b, CATALOG_CMD_CREATE_PARTITIONS, what);
			buf_reset(&b);
		} else if (t->partitions < ct->partitions) {
			log_warn(
			    "desired state: topic %s: partitions only grow; keeping %d (file says "
			    "%d)",
			    t->name, (int)ct->partitions, (int)t->partitions);
		}
		struct catalog_config_op ops[CATALOG_MAX_CONFIGS];
		int n_ops = 0;
		for (int k = 0; k < n_cf; k++) {
			const char *have = catalog_config_get(ct, cf[k].key);
			if (have == NULL || strcmp(have, cf[k].value) != 0)
				ops[n_ops++] = (struct catalog_config_op){cf[k].key, cf[k].value};
		}
		if (n_ops > 0) {
			catalog_cmd_alter_configs(t->name, ops, n_ops, false, false, &b);
			snprintf(what, sizeof(what), "topic %s: %d config(s) changed", t->name,
				 n_ops);
			propose(d, &b, CATALOG_CMD_ALTER_CONFIGS, what);
		}
		buf_free(&b);
	}
}

static void run(struct desired *d)
{
	struct sup *s = d->s;
	if (!d->requested || d->in_flight > 0 || s->catalog == NULL || s->stopping)
		return;
	d->failed = false;
	if (register_nodes(d))
		return;
	if (!s->catalog->adopted) {
		adopt(d);
		return;
	}
	topic_pass(d);
	d->requested = false;
}

struct desired *desired_new(struct sup *s)
{
	struct desired *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->s = s;
	d->ev = evtimer_new(s->base, on_timer, d);
	if (d->ev == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void desired_free(struct desired *d)
{
	if (d == NULL)
		return;
	event_free(d->ev);
	free(d);
}

void desired_request(struct sup *s)
{
	if (s->desired == NULL)
		return;
	s->desired->requested = true;
	arm(s->desired, 0);
}

void desired_on_catalog(struct sup *s)
{
	if (s->desired != NULL && s->desired->requested && s->desired->in_flight == 0)
		arm(s->desired, 0);
}
