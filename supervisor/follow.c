/* follow.c - workers follow the committed catalog (see follow.h). */
#include "follow.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "common/config_keys.h"
#include "common/err.h"
#include "common/log.h"
#include "supervisor/desired.h"
#include "supervisor/peer_proto.h"
#include "supervisor/peers.h"
#include "supervisor/proposals.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

#define BROADCAST_MS 2000

/* One process, one supervisor: the broadcast timer and the waiters are
 * this module's only state, kept here rather than in struct sup. */
static struct event *broadcast_ev;

struct waiter {
	struct sup *s;
	uint64_t version;
	follow_wait_cb cb;
	void *ctx;
	struct event *ev;
	struct waiter *next;
};
static struct waiter *waiters;

static void waiter_done(struct waiter *w)
{
	for (struct waiter **pp = &waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	event_free(w->ev);
	follow_wait_cb cb = w->cb;
	void *ctx = w->ctx;
	free(w);
	cb(ctx);
}

static void on_waiter_timer(evutil_socket_t fd, short what, void *arg) { waiter_done(arg); }

int follow_wait(struct sup *s, uint64_t version, int timeout_ms, follow_wait_cb cb, void *ctx)
{
	struct waiter *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ERR_NOMEM;
	*w = (struct waiter){.s = s, .version = version, .cb = cb, .ctx = ctx};
	w->ev = evtimer_new(s->base, on_waiter_timer, w);
	if (w->ev == NULL) {
		free(w);
		return ERR_NOMEM;
	}
	bool now = s->catalog != NULL && s->catalog->version >= version;
	int ms = now ? 0 : timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(w->ev, &tv);
	w->next = waiters;
	waiters = w;
	return 0;
}

static void wake_waiters(struct sup *s)
{
	for (struct waiter *w = waiters; w; w = w->next)
		if (s->catalog->version >= w->version) {
			struct timeval zero = {0, 0};
			evtimer_add(w->ev, &zero);
		}
}

static bool settings_differ(const struct config_topic *a, const struct config_topic *b)
{
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (config_key_is_topic(k) && strcmp(k->key, "partitions") != 0 &&
		    strcmp(k->key, "replication") != 0 && !config_key_equal(k, a, b))
			return true;
	}
	return false;
}

static void follow_one(struct sup *s, const struct config_topic *t, const struct catalog_topic *ct,
		       int32_t p, int *started)
{
	bool created;
	struct worker *w = workers_ensure(s->workers, t->name, p, &created);
	if (w == NULL) {
		log_error("out of memory adding worker %s/%d", t->name, (int)p);
		return;
	}
	bool same_id = w->has_id && memcmp(w->topic_id, ct->id, 16) == 0;
	if (created || (w->retired && w->pid == 0)) {
		memcpy(w->topic_id, ct->id, 16);
		w->has_id = true;
		w->retired = false;
		w->revive = false;
		workers_start(s->workers, w);
		(*started)++;
		return;
	}
	if (w->retired) {
		/* Still stopping: start afresh (empty) once it is gone. */
		memcpy(w->topic_id, ct->id, 16);
		w->has_id = true;
		w->revive = true;
		return;
	}
	if (!same_id) {
		log_info("worker %s/%d: topic id changed (deleted and created again): starting "
			 "it empty",
			 t->name, (int)p);
		workers_retire(s->workers, w);
		memcpy(w->topic_id, ct->id, 16);
		w->has_id = true;
		if (w->pid != 0)
			w->revive = true;
		else {
			w->retired = false;
			workers_start(s->workers, w);
		}
		return;
	}
	if (w->pid != 0 && w->state != WORKER_STOPPING && settings_differ(&w->run_cfg, t)) {
		/* Every topic setting is read where it is used: the running
		 * worker takes the new ones (a restart would move leadership
		 * for nothing); its command line has them at its next start. */
		struct ipc_msg m = {.type = IPC_TOPIC_SETTINGS};
		m.u.topic_settings = (struct ipc_topic_settings){
		    .retention_ms = t->retention_ms,
		    .retention_bytes = t->retention_bytes,
		    .max_message_bytes = t->max_message_bytes,
		    .message_timestamp_type = t->message_timestamp_type};
		if (w->state == WORKER_SERVING && link_post(w, &m) == 0) {
			log_info("worker %s/%d: topic settings changed; sent to it", t->name,
				 (int)p);
			w->run_cfg = *t;
		} else {
			log_info("worker %s/%d: topic settings changed; restarting it", t->name,
				 (int)p);
			workers_restart(s->workers, w);
		}
	}
}

void follow_reconcile(struct sup *s)
{
	int started = 0;
	if (s->ctl_topic.name[0] != '\0') {
		bool created;
		struct worker *w = workers_ensure(s->workers, CATALOG_TOPIC, 0, &created);
		if (w != NULL && created)
			workers_start(s->workers, w);
	}
	if (s->catalog == NULL)
		return;
	for (int i = 0; i < topics_count(s); i++) {
		const struct config_topic *t = topics_at(s, i);
		const struct catalog_topic *ct = topics_catalog_entry(s, t);
		for (int32_t p = 0; ct != NULL && p < t->partitions; p++)
			if (topics_hosts(s, t, p))
				follow_one(s, t, ct, p, &started);
	}
	int retired = 0;
	for (int i = 0; i < workers_count(s->workers); i++) {
		struct worker *w = workers_at(s->workers, i);
		if (w->retired || strcmp(w->topic, CATALOG_TOPIC) == 0)
			continue;
		const struct config_topic *t = topics_find(s, w->topic, strlen(w->topic));
		if (t != NULL && w->partition < t->partitions && topics_hosts(s, t, w->partition))
			continue;
		log_info("worker %s/%d: %s; stopping it and removing its data", w->topic,
			 (int)w->partition,
			 t == NULL ? "its topic was deleted" : "no longer assigned to this node");
		workers_retire(s->workers, w);
		retired++;
	}
	if (started > 0 || retired > 0) {
		log_info("catalog version %llu: started %d worker(s), stopped %d",
			 (unsigned long long)s->catalog->version, started, retired);
		peers_local_changed(s->peers);
	}
}

/* True when this node is one of the controller's voters. */
static bool self_votes(const struct sup *s)
{
	int32_t v[TOPICS_REPS_MAX];
	int n = topics_controller_voters(s->cfg, v);
	for (int i = 0; i < n; i++)
		if (v[i] == s->cfg->node.id)
			return true;
	return false;
}

/* The catalog to every node of [cluster] without a controller replica:
 * none up to TOPICS_CTL_MEMBERS_MAX nodes (they all hold a voter or a
 * learner and read the catalog from their own worker); the nodes beyond
 * that bound otherwise would never see one. Sent by the voters only. */
static void broadcast(struct sup *s)
{
	if (s->catalog == NULL || s->peers == NULL || s->cfg->n_peers <= TOPICS_CTL_MEMBERS_MAX)
		return;
	if (!self_votes(s))
		return;
	struct buf cat, msg;
	buf_init(&cat);
	buf_init(&msg);
	if (catalog_encode(s->catalog, &cat) == 0) {
		struct peer_ctl m = {.type = PEER_CATALOG,
				     .node = s->cfg->node.id,
				     .data = cat.data,
				     .len = (uint32_t)cat.len};
		if (peer_ctl_encode(&m, &msg) == 0)
			for (int i = 0; i < s->cfg->n_peers; i++) {
				int32_t id = s->cfg->peers[i].id;
				if (!topics_controller_member(s->cfg, id))
					peers_send_to(s->peers, id, &msg);
			}
	}
	buf_free(&cat);
	buf_free(&msg);
}

void follow_on_catalog(struct sup *s, const uint8_t *data, size_t len, int32_t from_node)
{
	struct catalog *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return;
	catalog_init(n);
	if (catalog_decode(n, data, len) != 0) {
		log_warn("controller: an undecodable catalog (%zu bytes) from node %d ignored", len,
			 (int)from_node);
		free(n);
		return;
	}
	/* Version 0 is a replica that has applied nothing yet. A voter
	 * follows it (the cluster's first desired-state pass needs a catalog
	 * to start from); a learner's is only "not caught up yet", and the
	 * voters' catalog reaches it within a heartbeat or two: without a
	 * catalog meanwhile this node keeps answering from the INI file,
	 * rather than showing an empty cluster. */
	bool skip = n->version == 0 && !self_votes(s);
	if (skip || (s->catalog != NULL && n->version <= s->catalog->version)) {
		catalog_free(n);
		free(n);
		return;
	}
	struct catalog *old = s->catalog;
	s->catalog = n;
	if (topics_rebuild(s) != 0) {
		log_error("controller: out of memory following catalog version %llu",
			  (unsigned long long)n->version);
		s->catalog = old;
		catalog_free(n);
		free(n);
		return;
	}
	if (old == NULL)
		log_info("controller: first catalog, version %llu: %d topic(s), %d node(s)",
			 (unsigned long long)n->version, n->n_topics, n->n_nodes);
	else
		log_debug("controller: catalog version %llu", (unsigned long long)n->version);
	if (old != NULL) {
		catalog_free(old);
		free(old);
	}
	follow_reconcile(s);
	wake_waiters(s);
	desired_on_catalog(s);
	if (from_node == s->cfg->node.id)
		broadcast(s);
}

static void on_catalog(void *arg, const uint8_t *data, size_t len)
{
	struct sup *s = arg;
	follow_on_catalog(s, data, len, s->cfg->node.id);
}

static void on_peer(void *arg, int32_t node, int type, const uint8_t *data, size_t len)
{
	struct sup *s = arg;
	if (type != PEER_CATALOG) {
		proposals_on_peer(s, node, type, data, len);
		return;
	}
	struct peer_ctl m;
	if (peer_ctl_decode(data, len, &m) != 0 || m.node != node) {
		log_warn("peer %d: undecodable CATALOG ignored", (int)node);
		return;
	}
	/* A member (voter or learner) follows its own replica only. */
	if (s->ctl_topic.name[0] == '\0')
		follow_on_catalog(s, m.data, m.len, node);
}

static void on_broadcast(evutil_socket_t fd, short what, void *arg) { broadcast(arg); }

int follow_start(struct sup *s)
{
	s->proposals = proposals_new(s);
	s->desired = desired_new(s);
	broadcast_ev = event_new(s->base, -1, EV_PERSIST, on_broadcast, s);
	if (s->proposals == NULL || s->desired == NULL || broadcast_ev == NULL)
		return ERR_NOMEM;
	struct timeval tv = {BROADCAST_MS / 1000, (BROADCAST_MS % 1000) * 1000};
	event_add(broadcast_ev, &tv);
	s->ctl_obs =
	    (struct sup_ctl_observer){.arg = s, .catalog = on_catalog, .peer_msg = on_peer};
	topics_rebuild(s);
	follow_reconcile(s);
	desired_request(s);
	return 0;
}

void follow_stop(struct sup *s)
{
	if (broadcast_ev) {
		event_free(broadcast_ev);
		broadcast_ev = NULL;
	}
	s->ctl_obs = (struct sup_ctl_observer){0};
	while (waiters) {
		struct waiter *w = waiters;
		waiters = w->next;
		event_free(w->ev);
		free(w);
	}
	desired_free(s->desired);
	s->desired = NULL;
	proposals_free(s->proposals);
	s->proposals = NULL;
	topics_free(s);
}
