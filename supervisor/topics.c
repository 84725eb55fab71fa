/* topics.c - the served topics: the committed catalog through this node's
 * configuration, or the INI file without one (see topics.h). */
#include "topics.h"

#include <stdlib.h>
#include <string.h>

#include "common/config_keys.h"
#include "common/err.h"
#include "common/log.h"
#include "supervisor/cluster.h"
#include "supervisor/ids.h"
#include "supervisor/sup.h"

static bool is_ctl(const char *name, size_t len)
{
	return len == strlen(CATALOG_TOPIC) && memcmp(name, CATALOG_TOPIC, len) == 0;
}

const struct config_topic *topics_find(struct sup *s, const char *name, size_t len)
{
	if (is_ctl(name, len))
		return s->ctl_topic.name[0] ? &s->ctl_topic : NULL;
	if (s->catalog == NULL)
		return config_topic_find(s->cfg, name, len);
	for (int i = 0; i < s->n_view; i++)
		if (strlen(s->view[i].name) == len && memcmp(s->view[i].name, name, len) == 0)
			return &s->view[i];
	return NULL;
}

int topics_count(struct sup *s) { return s->catalog == NULL ? s->cfg->n_topics : s->n_view; }

const struct config_topic *topics_at(struct sup *s, int i)
{
	return s->catalog == NULL ? &s->cfg->topics[i] : &s->view[i];
}

const struct catalog_topic *topics_catalog_entry(struct sup *s, const struct config_topic *t)
{
	if (s->catalog == NULL || t < s->view || t >= s->view + s->n_view)
		return NULL;
	int i = (int)(t - s->view);
	return i < s->catalog->n_topics ? &s->catalog->topics[i] : NULL;
}

/* Writes c's node ids from index `from` on (at most max) into out;
 * returns how many. */
static int node_ids_from(const struct config *c, int from, int max, int32_t *out)
{
	int n = c->n_peers > 0 ? c->n_peers : 1;
	int32_t *ids = malloc((size_t)n * sizeof(*ids));
	if (ids == NULL)
		return 0;
	n = config_node_ids(c, ids);
	int k = n - from < max ? n - from : max;
	if (k < 0)
		k = 0;
	memcpy(out, ids + from, (size_t)k * sizeof(*out));
	free(ids);
	return k;
}

static int voters_wanted(const struct config *c)
{
	return c->controller_voters > 0 ? c->controller_voters : 3;
}

int topics_controller_voters(const struct config *c, int32_t *out)
{
	return node_ids_from(c, 0, voters_wanted(c), out);
}

int topics_controller_learners(const struct config *c, int32_t *out)
{
	int32_t v[TOPICS_REPS_MAX];
	int nv = topics_controller_voters(c, v);
	return node_ids_from(c, nv, TOPICS_CTL_MEMBERS_MAX - nv, out);
}

bool topics_controller_member(const struct config *c, int32_t node)
{
	int32_t m[TOPICS_CTL_MEMBERS_MAX];
	int n = topics_controller_voters(c, m);
	n += topics_controller_learners(c, m + n);
	for (int i = 0; i < n; i++)
		if (m[i] == node)
			return true;
	return false;
}

int topics_replicas(struct sup *s, const struct config_topic *t, int32_t p, int32_t *out)
{
	if (t == &s->ctl_topic) {
		if (p != 0)
			return 0;
		return topics_controller_voters(s->cfg, out);
	}
	const struct catalog_topic *ct = topics_catalog_entry(s, t);
	if (ct != NULL) {
		const int32_t *r = catalog_replicas(ct, p);
		if (r == NULL)
			return 0;
		int n = ct->replication < TOPICS_REPS_MAX ? ct->replication : TOPICS_REPS_MAX;
		memcpy(out, r, (size_t)n * sizeof(*out));
		return n;
	}
	if (s->catalog != NULL)
		return 0;
	int n = cluster_n_nodes(s->cfg);
	int32_t *tmp = malloc((size_t)n * sizeof(*tmp));
	if (tmp == NULL)
		return 0;
	int k = cluster_replicas(s->cfg, t, p, tmp);
	if (k > TOPICS_REPS_MAX)
		k = TOPICS_REPS_MAX;
	memcpy(out, tmp, (size_t)k * sizeof(*out));
	free(tmp);
	return k;
}

bool topics_hosts(struct sup *s, const struct config_topic *t, int32_t p)
{
	if (t == &s->ctl_topic) /* its replicas are the voters; learners host it too */
		return p == 0 && topics_controller_member(s->cfg, s->cfg->node.id);
	int32_t reps[TOPICS_REPS_MAX];
	int n = topics_replicas(s, t, p, reps);
	for (int i = 0; i < n; i++)
		if (reps[i] == s->cfg->node.id)
			return true;
	return false;
}

void topics_id(struct sup *s, const struct config_topic *t, struct kafka_uuid *out)
{
	const struct catalog_topic *ct = topics_catalog_entry(s, t);
	if (ct != NULL)
		memcpy(out->b, ct->id, 16);
	else
		ids_topic_id(t->name, strlen(t->name), out);
}

const struct config_topic *topics_by_id(struct sup *s, const struct kafka_uuid *id)
{
	if (s->catalog == NULL)
		return ids_topic_by_id(s->cfg, id);
	for (int i = 0; i < s->catalog->n_topics && i < s->n_view; i++)
		if (memcmp(s->catalog->topics[i].id, id->b, 16) == 0)
			return &s->view[i];
	return NULL;
}

int topics_settings(const struct config *c, const struct catalog_topic *ct,
		    struct config_topic *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", ct->name);
	int rc = 0;
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (!config_key_is_topic(k))
			continue;
		char v[CONFIG_PATH_MAX], why[160];
		const char *ov = catalog_config_get(ct, k->key);
		if (ov != NULL && config_key_parse(k, out, ov, why, sizeof(why)) == 0) {
			out->set_keys |= (uint64_t)1 << i;
			continue;
		}
		if (ov != NULL) {
			log_warn("topic %s: config %s = %s: %s; using the default", ct->name,
				 k->key, ov, why);
			rc = ERR_INVALID;
		}
		if (config_key_default(k, c, v, sizeof(v)) == 0)
			config_key_parse(k, out, v, why, sizeof(why));
	}
	out->partitions = ct->partitions;
	out->replication = ct->replication;
	return rc;
}

/* The pseudo-topic of the controller's worker: one partition, the voters
 * as its replicas, default settings; name "" on a node that holds no
 * replica (beyond TOPICS_CTL_MEMBERS_MAX). */
static void build_ctl_topic(struct sup *s)
{
	struct catalog_topic ct;
	memset(&ct, 0, sizeof(ct));
	snprintf(ct.name, sizeof(ct.name), "%s", CATALOG_TOPIC);
	ct.partitions = 1;
	int32_t v[TOPICS_REPS_MAX];
	ct.replication = topics_controller_voters(s->cfg, v);
	topics_settings(s->cfg, &ct, &s->ctl_topic);
	if (!topics_controller_member(s->cfg, s->cfg->node.id))
		s->ctl_topic.name[0] = '\0';
}

int topics_rebuild(struct sup *s)
{
	build_ctl_topic(s);
	if (s->catalog == NULL)
		return 0;
	int n = s->catalog->n_topics;
	struct config_topic *v = calloc((size_t)n + 1, sizeof(*v));
	if (v == NULL)
		return ERR_NOMEM;
	for (int i = 0; i < n; i++)
		topics_settings(s->cfg, &s->catalog->topics[i], &v[i]);
	free(s->view);
	s->view = v;
	s->n_view = n;
	return 0;
}

void topics_free(struct sup *s)
{
	free(s->view);
	s->view = NULL;
	s->n_view = 0;
	if (s->catalog != NULL) {
		catalog_free(s->catalog);
		free(s->catalog);
		s->catalog = NULL;
	}
}
