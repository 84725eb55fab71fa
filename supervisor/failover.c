/* failover.c - who campaigns after a peer's leader worker died, and the
 * delayed backup campaigns. */
#include "failover.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipc.h"
#include "common/log.h"
#include "supervisor/cluster.h"
#include "supervisor/leaders.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

struct backup {
	struct failover *f;
	struct event *ev;
	struct peer_worker_died d;
	struct backup *next;
};

struct failover {
	struct sup *s;
	struct backup *pending;
};

int32_t failover_pick(const int32_t *replicas, const bool *eligible, int n, int32_t dead_node)
{
	for (int i = 0; i < n; i++)
		if (replicas[i] != dead_node && eligible[i])
			return replicas[i];
	return -1;
}

/* The local worker of the group, when it is a serving, caught-up
 * follower: the only kind that may campaign. */
static struct worker *local_candidate(struct sup *s, const char *topic, int32_t partition)
{
	struct worker *w = workers_find(s->workers, topic, strlen(topic), partition);
	if (w == NULL || w->state != WORKER_SERVING || !w->status_this_run)
		return NULL;
	if (w->status.role != IPC_ROLE_FOLLOWER || !w->status.caught_up)
		return NULL;
	return w;
}

static void campaign(struct worker *w, const char *why)
{
	struct ipc_msg m = {.type = IPC_CAMPAIGN};
	if (link_post(w, &m) == 0)
		log_info("worker %s/%d: asked to campaign (%s)", w->topic, (int)w->partition, why);
}

/* A leader newer than the dead one is known (here or at a peer). */
static bool new_leader_known(struct sup *s, const struct peer_worker_died *d)
{
	struct router_leader l;
	router_leader(s, d->topic, strlen(d->topic), d->partition, &l);
	return l.leader_id >= 0 && l.leader_epoch >= 0 && (uint64_t)l.leader_epoch > d->term;
}

static void backup_free(struct backup *b)
{
	struct backup **pp = &b->f->pending;
	while (*pp != NULL && *pp != b)
		pp = &(*pp)->next;
	if (*pp == b)
		*pp = b->next;
	event_free(b->ev);
	free(b);
}

static void on_backup(evutil_socket_t fd, short what, void *arg)
{
	struct backup *b = arg;
	struct sup *s = b->f->s;
	if (!s->stopping && !s->draining && !new_leader_known(s, &b->d)) {
		struct worker *w = local_candidate(s, b->d.topic, b->d.partition);
		if (w != NULL)
			campaign(w, "backup: no new leader after the first choice's turn");
	}
	backup_free(b);
}

void failover_on_worker_died(struct failover *f, const struct peer_worker_died *d)
{
	if (f == NULL)
		return;
	struct sup *s = f->s;
	const struct config_topic *t = config_topic_find(s->cfg, d->topic, strlen(d->topic));
	if (t == NULL || d->partition >= t->partitions || s->stopping || s->draining)
		return;
	if (new_leader_known(s, d)) {
		log_debug("failover %s/%d: a leader newer than term %llu is known already",
			  d->topic, (int)d->partition, (unsigned long long)d->term);
		return;
	}
	struct worker *w = local_candidate(s, d->topic, d->partition);
	if (w == NULL) {
		log_debug("failover %s/%d: leader on node %d died; no caught-up local follower",
			  d->topic, (int)d->partition, (int)d->node);
		return;
	}
	int n_nodes = cluster_n_nodes(s->cfg);
	int32_t reps[n_nodes];
	bool ok[n_nodes];
	int n = cluster_replicas(s->cfg, t, d->partition, reps);
	int64_t now = spawn_now_ms();
	for (int i = 0; i < n; i++) {
		if (reps[i] == s->cfg->node.id) {
			ok[i] = true; /* local_candidate said so */
			continue;
		}
		const struct peer_claim *c = s->leaders
						 ? leaders_get(s->leaders, reps[i], d->topic,
							       strlen(d->topic), d->partition, now)
						 : NULL;
		ok[i] = c != NULL && c->role == IPC_ROLE_FOLLOWER && c->caught_up;
	}
	int32_t pick = failover_pick(reps, ok, n, d->node);
	if (pick == s->cfg->node.id) {
		campaign(w, "the leader's worker died and this replica is first in line");
		return;
	}
	struct backup *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return;
	b->f = f;
	b->d = *d;
	b->ev = evtimer_new(s->base, on_backup, b);
	if (b->ev == NULL) {
		free(b);
		return;
	}
	b->next = f->pending;
	f->pending = b;
	struct timeval tv = {0, FAILOVER_BACKUP_MS * 1000};
	evtimer_add(b->ev, &tv);
	log_debug("failover %s/%d: node %d is first in line; backing it up in %d ms", d->topic,
		  (int)d->partition, (int)pick, FAILOVER_BACKUP_MS);
}

struct failover *failover_new(struct sup *s)
{
	struct failover *f = calloc(1, sizeof(*f));
	if (f != NULL)
		f->s = s;
	return f;
}

void failover_free(struct failover *f)
{
	if (f == NULL)
		return;
	while (f->pending != NULL)
		backup_free(f->pending);
	free(f);
}
