/* reload.c - diff of two configs and the SIGHUP reconciliation.
 *
 * Like nginx, the new configuration is built and validated completely
 * before anything changes; a bad file leaves the node exactly as it was. */
#include "reload.h"

#include <stdlib.h>
#include <string.h>

#include "common/config_keys.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"
#include "supervisor/cluster.h"
#include "supervisor/desired.h"
#include "supervisor/follow.h"
#include "supervisor/internal_topics.h"
#include "supervisor/notify.h"
#include "supervisor/peers.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

static int add(struct reload_plan *p, enum reload_kind kind, const char *name, int32_t from,
	       int32_t to)
{
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 8;
		struct reload_change *c = realloc(p->changes, (size_t)cap * sizeof(*c));
		if (c == NULL)
			return ERR_NOMEM;
		p->changes = c;
		p->cap = cap;
	}
	struct reload_change *c = &p->changes[p->n++];
	c->kind = kind;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->from = from;
	c->to = to;
	return 0;
}

static bool same_addr(const struct config_addr *a, const struct config_addr *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

static bool same_peers(const struct config *a, const struct config *b)
{
	if (a->n_peers != b->n_peers)
		return false;
	for (int i = 0; i < a->n_peers; i++) {
		const struct config_peer *x = &a->peers[i], *y = &b->peers[i];
		if (x->id != y->id || !same_addr(&x->kafka, &y->kafka) ||
		    !same_addr(&x->raft, &y->raft))
			return false;
	}
	return true;
}

/* Walks the global keys of the table: a key needing a node restart keeps
 * its running value (and is listed), one workers read at start restarts
 * them all, one they take live is listed to be sent. The [cluster] node
 * list is not a key of the table: it always needs a node restart. */
static int plan_global_keys(const struct config *old, struct config *neu, struct reload_plan *p)
{
	int rc = 0;
	for (int i = 0; i < config_n_keys && rc == 0; i++) {
		const struct config_key *k = &config_keys[i];
		if (config_key_is_topic(k) || config_key_equal(k, old, neu))
			continue;
		char name[CONFIG_TOPIC_NAME_MAX + 1];
		snprintf(name, sizeof(name), "%s.%s", k->section, k->key);
		switch (k->apply) {
		case CONFIG_APPLY_NODE_RESTART:
			config_key_copy(k, neu, old);
			rc = add(p, RELOAD_NEEDS_RESTART, name, 0, 0);
			break;
		case CONFIG_APPLY_WORKER_RESTART:
			p->restart_all_workers = true;
			break;
		case CONFIG_APPLY_WORKER_LIVE:
			rc = add(p, RELOAD_WORKER_LIVE, name, 0, 0);
			break;
		case CONFIG_APPLY_SUPERVISOR: /* read where used: already in effect */
		case CONFIG_APPLY_VIA_TOPICS: /* compared per topic below */
		case CONFIG_APPLY_SPECIAL:
			break;
		}
	}
	if (rc == 0 && !same_peers(old, neu)) {
		struct config_peer *copy = NULL;
		if (old->n_peers > 0) {
			copy = malloc((size_t)old->n_peers * sizeof(*copy));
			if (copy == NULL)
				return ERR_NOMEM;
			memcpy(copy, old->peers, (size_t)old->n_peers * sizeof(*copy));
		}
		free(neu->peers);
		neu->peers = copy;
		neu->n_peers = old->n_peers;
		rc = add(p, RELOAD_NEEDS_RESTART, "cluster", 0, 0);
	}
	return rc;
}

/* Whether a topic key that its workers read at start differs. */
static bool topic_settings_changed(const struct config_topic *a, const struct config_topic *b)
{
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (config_key_is_topic(k) && k->apply == CONFIG_APPLY_WORKER_RESTART &&
		    !config_key_equal(k, a, b))
			return true;
	}
	return false;
}

int reload_plan(const struct config *old, struct config *neu, struct reload_plan *p)
{
	memset(p, 0, sizeof(*p));
	int rc = plan_global_keys(old, neu, p);
	if (rc != 0)
		return rc;

	/* Topics that were there before. */
	int n_new = neu->n_topics;
	for (int i = 0; i < old->n_topics && rc == 0; i++) {
		const struct config_topic *ot = &old->topics[i];
		struct config_topic *nt = NULL;
		for (int j = 0; j < n_new; j++)
			if (strcmp(neu->topics[j].name, ot->name) == 0)
				nt = &neu->topics[j];
		if (nt == NULL) {
			/* Keep serving it: topics are never deleted by a reload. */
			struct config_topic *t =
			    realloc(neu->topics, (size_t)(neu->n_topics + 1) * sizeof(*t));
			if (t == NULL)
				return ERR_NOMEM;
			neu->topics = t;
			neu->topics[neu->n_topics++] = *ot;
			rc = add(p, RELOAD_TOPIC_REMOVED, ot->name, ot->partitions, 0);
			continue;
		}
		if (nt->partitions > ot->partitions) {
			rc = add(p, RELOAD_PARTITIONS_GROWN, ot->name, ot->partitions,
				 nt->partitions);
		} else if (nt->partitions < ot->partitions) {
			rc = add(p, RELOAD_PARTITIONS_SHRUNK, ot->name, ot->partitions,
				 nt->partitions);
			nt->partitions = ot->partitions;
		}
		if (rc == 0 && nt->replication != ot->replication) {
			rc = add(p, RELOAD_REPLICATION_KEPT, ot->name, ot->replication,
				 nt->replication);
			nt->replication = ot->replication;
		}
		if (rc == 0 && topic_settings_changed(ot, nt))
			rc =
			    add(p, RELOAD_TOPIC_SETTINGS, ot->name, ot->partitions, nt->partitions);
	}
	/* Topics that are new. */
	for (int j = 0; j < n_new && rc == 0; j++) {
		bool known = false;
		for (int i = 0; i < old->n_topics; i++)
			known = known || strcmp(neu->topics[j].name, old->topics[i].name) == 0;
		if (!known)
			rc = add(p, RELOAD_TOPIC_ADDED, neu->topics[j].name, 0,
				 neu->topics[j].partitions);
	}
	return rc;
}

void reload_plan_free(struct reload_plan *p)
{
	free(p->changes);
	memset(p, 0, sizeof(*p));
}

/* Starts the workers of the new partitions that are placed on this node
 * (the same placement as at start: [cluster] and replication cannot change
 * on reload). */
static void start_range(struct sup *s, const char *topic, int32_t from, int32_t to)
{
	const struct config_topic *t = config_topic_find(s->cfg, topic, strlen(topic));
	for (int32_t part = from; t != NULL && part < to; part++) {
		if (!cluster_hosts(s->cfg, t, part))
			continue;
		bool created;
		struct worker *w = workers_ensure(s->workers, topic, part, &created);
		if (w == NULL) {
			log_error("reload: out of memory adding worker %s/%d", topic, (int)part);
			return;
		}
		if (created)
			workers_start_queued(s->workers, w);
	}
	peers_local_changed(s->peers);
}

static void restart_topic(struct sup *s, const char *topic, int32_t n)
{
	for (int32_t part = 0; part < n; part++) {
		struct worker *w = workers_find(s->workers, topic, strlen(topic), part);
		if (w != NULL)
			workers_restart(s->workers, w);
	}
}

/* Sends the new value of live key `name` to every running worker; one
 * that is not running gets it on its command line when it starts. */
static void send_live(struct sup *s, const char *name)
{
	const struct config_key *k = config_key_find_name(name);
	char value[CONFIG_PATH_MAX];
	if (k == NULL || config_key_format(k, s->cfg, value, sizeof(value)) != 0)
		return;
	struct ipc_msg m = {.type = IPC_CONFIG};
	m.u.config =
	    (struct ipc_config){name, (uint32_t)strlen(name), value, (uint32_t)strlen(value)};
	int sent = 0;
	for (int i = 0; i < workers_count(s->workers); i++)
		sent += link_post(workers_at(s->workers, i), &m) == 0;
	log_info("reload: %s is now %s; sent to %d running worker(s)", name, value, sent);
}

void reload_run(struct sup *s)
{
	notify_reloading();
	log_info("reload: reading %s", s->cfg->path);
	char err[8192];
	struct config *neu = NULL;
	int rc = config_load(s->cfg->path, s->args.ov, s->args.n_ov, &neu, err, sizeof(err));
	int32_t file_offsets_partitions = 0;
	if (rc == 0) {
		/* groups.offsets_partitions takes a node restart, and until then
		 * the running count must stay: __consumer_offsets growing would
		 * move groups away from their offsets. */
		file_offsets_partitions = neu->groups.offsets_partitions;
		neu->groups.offsets_partitions = s->cfg->groups.offsets_partitions;
		if ((rc = internal_topics_add(neu)) != 0)
			snprintf(err, sizeof(err), "out of memory");
	}
	if (rc == 0 && neu->node.worker_path[0] == '\0' &&
	    config_default_worker_path(neu->node.worker_path, sizeof(neu->node.worker_path)) != 0) {
		snprintf(err, sizeof(err), "cannot find the default worker path");
		rc = ERR_IO;
	}
	if (rc != 0) {
		/* One log line per problem, so each names its file and line. */
		char *save = NULL;
		for (char *line = strtok_r(err, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			log_error("reload: %s", line);
		log_error("reload: configuration has errors; keeping the current one");
		config_free(neu);
		notify_ready("serving (last reload failed)");
		return;
	}
	struct reload_plan plan;
	if (reload_plan(s->cfg, neu, &plan) != 0) {
		log_error("reload: out of memory; keeping the current configuration");
		reload_plan_free(&plan);
		config_free(neu);
		notify_ready("serving (last reload failed)");
		return;
	}
	struct config *old = s->cfg;
	s->cfg = neu;
	log_set_level(neu->node.log_level);
	if (file_offsets_partitions != neu->groups.offsets_partitions)
		log_warn("reload: groups.offsets_partitions changed; it takes effect only after a "
			 "restart (and moves groups away from their offsets)");
	/* With the controller, topics are the catalog's: the file's sections
	 * are proposed to it (desired.c) and the workers follow what commits
	 * (follow.c); global defaults a topic inherits may have changed. */
	bool catalog = s->proposals != NULL;
	if (catalog)
		topics_rebuild(s);

	/* Restarts first, so workers started below are not restarted again. */
	if (plan.restart_all_workers) {
		log_info("reload: worker settings changed; restarting every worker");
		for (int i = 0; i < workers_count(s->workers); i++)
			workers_restart(s->workers, workers_at(s->workers, i));
	}
	for (int i = 0; i < plan.n; i++) {
		const struct reload_change *c = &plan.changes[i];
		if (catalog &&
		    (c->kind == RELOAD_TOPIC_SETTINGS || c->kind == RELOAD_PARTITIONS_SHRUNK ||
		     c->kind == RELOAD_TOPIC_REMOVED || c->kind == RELOAD_REPLICATION_KEPT))
			continue;
		switch (c->kind) {
		case RELOAD_TOPIC_SETTINGS:
			log_info("reload: topic %s settings changed; restarting its workers",
				 c->name);
			if (!plan.restart_all_workers)
				restart_topic(s, c->name, c->from);
			break;
		case RELOAD_PARTITIONS_SHRUNK:
			log_warn(
			    "reload: topic %s: partitions only grow; keeping %d (file says %d)",
			    c->name, (int)c->from, (int)c->to);
			break;
		case RELOAD_TOPIC_REMOVED:
			log_warn(
			    "reload: topic %s is no longer in the file; topics are not deleted "
			    "by a reload, still serving its %d partitions",
			    c->name, (int)c->from);
			break;
		case RELOAD_REPLICATION_KEPT:
			log_warn("reload: topic %s: replication cannot change (yet); keeping %d",
				 c->name, (int)c->from);
			break;
		case RELOAD_NEEDS_RESTART:
			log_warn("reload: %s changed; it takes effect only after a restart",
				 c->name);
			break;
		case RELOAD_WORKER_LIVE:
			send_live(s, c->name);
			break;
		case RELOAD_TOPIC_ADDED:
		case RELOAD_PARTITIONS_GROWN:
			break;
		}
	}
	for (int i = 0; i < plan.n && !catalog; i++) {
		const struct reload_change *c = &plan.changes[i];
		if (c->kind == RELOAD_TOPIC_ADDED) {
			log_info("reload: new topic %s with %d partitions", c->name, (int)c->to);
			start_range(s, c->name, 0, c->to);
		} else if (c->kind == RELOAD_PARTITIONS_GROWN) {
			log_info("reload: topic %s grows from %d to %d partitions", c->name,
				 (int)c->from, (int)c->to);
			start_range(s, c->name, c->from, c->to);
		}
	}
	if (catalog) {
		follow_reconcile(s);
		log_info("reload: proposing the file's topics to the controller");
		desired_request(s);
	} else if (plan.n == 0 && !plan.restart_all_workers) {
		log_info("reload: no changes that affect workers");
	}
	reload_plan_free(&plan);
	config_free(old);
	notify_ready("serving");
}
