/* failover.c - who campaigns after a peer's leader worker died or a whole
 * peer node crashed, and the delayed backup campaigns. */
#include "failover.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipc.h"
#include "common/log.h"
#include "supervisor/cluster.h"
#include "supervisor/leaders.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
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
	int32_t *lost; /* nodes whose loss was handled, until their channel is back */
	int n_lost, cap_lost;
};

int32_t failover_pick(const int32_t *replicas, const enum failover_known *known, int n,
		      int32_t dead_node, bool *sure)
{
	*sure = false;
	for (int i = 0; i < n; i++) {
		if (replicas[i] == dead_node || known[i] == FAILOVER_NO)
			continue;
		*sure = known[i] == FAILOVER_YES;
		return replicas[i];
	}
	return -1;
}

/* The local worker of the group, when it is a serving follower caught up
 * in the dead leader's term: the only kind that may campaign. */
static struct worker *local_candidate(struct sup *s, const char *topic, int32_t partition,
				      uint64_t term)
{
	struct worker *w = workers_find(s->workers, topic, strlen(topic), partition);
	if (w == NULL || w->state != WORKER_SERVING || !w->status_this_run)
		return NULL;
	if (w->status.role != IPC_ROLE_FOLLOWER || !w->status.caught_up || w->status.term != term)
		return NULL;
	return w;
}

/* What this node knows of node's replica of d's group, from node's LEADERS
 * table: only a table younger than FAILOVER_FRESH_MS counts, and only a
 * follower caught up in the dead leader's term is eligible. */
static enum failover_known remote_known(struct sup *s, int32_t node,
					const struct peer_worker_died *d, int64_t now)
{
	int64_t age = s->leaders ? leaders_age_ms(s->leaders, node, now) : -1;
	if (age < 0 || age > FAILOVER_FRESH_MS)
		return FAILOVER_UNKNOWN;
	const struct peer_claim *c =
	    leaders_get(s->leaders, node, d->topic, strlen(d->topic), d->partition, now);
	if (c != NULL && c->role == IPC_ROLE_FOLLOWER && c->caught_up && c->term == d->term)
		return FAILOVER_YES;
	return FAILOVER_NO;
}

static bool campaign(struct worker *w, const char *why)
{
	struct ipc_msg m = {.type = IPC_CAMPAIGN};
	if (link_post(w, &m) != 0)
		return false;
	log_info("worker %s/%d: asked to campaign (%s)", w->topic, (int)w->partition, why);
	return true;
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
		struct worker *w = local_candidate(s, b->d.topic, b->d.partition, b->d.term);
		if (w != NULL)
			campaign(w, "backup: no new leader after the first choice's turn");
	}
	backup_free(b);
}

/* What decide() did about one leaderless group. */
enum outcome {
	OUT_IGNORED,	  /* unknown group, or this node is stopping or draining */
	OUT_NEWER_KNOWN,  /* a leader newer than the dead one is known already */
	OUT_NO_CANDIDATE, /* no serving, caught-up local follower */
	OUT_CAMPAIGNED,	  /* this replica was first in line and was asked to campaign */
	OUT_BACKUP,	  /* another is first in line; a backup campaign is scheduled */
	OUT_UNSURE,	  /* a replica before this one is unknown: wait (pre-vote) */
	OUT_FAILED,	  /* out of memory, or the worker's link is down */
};

/* The rule of failover.h for the group of d, whose leader (term d->term)
 * on node d->node is gone. first_why is logged when this replica
 * campaigns; *pick is set to the replica first in line (-1 unknown). */
static enum outcome decide(struct failover *f, const struct peer_worker_died *d,
			   const char *first_why, int32_t *pick)
{
	struct sup *s = f->s;
	*pick = -1;
	const struct config_topic *t = topics_find(s, d->topic, strlen(d->topic));
	if (t == NULL || d->partition >= t->partitions || s->stopping || s->draining)
		return OUT_IGNORED;
	if (new_leader_known(s, d))
		return OUT_NEWER_KNOWN;
	struct worker *w = local_candidate(s, d->topic, d->partition, d->term);
	if (w == NULL)
		return OUT_NO_CANDIDATE;
	int32_t reps[TOPICS_REPS_MAX];
	enum failover_known known[TOPICS_REPS_MAX];
	int n = topics_replicas(s, t, d->partition, reps);
	int64_t now = spawn_now_ms();
	for (int i = 0; i < n; i++)
		known[i] = reps[i] == s->cfg->node.id ? FAILOVER_YES /* local_candidate */
						      : remote_known(s, reps[i], d, now);
	bool sure;
	*pick = failover_pick(reps, known, n, d->node, &sure);
	if (*pick == s->cfg->node.id)
		return campaign(w, first_why) ? OUT_CAMPAIGNED : OUT_FAILED;
	if (!sure)
		return OUT_UNSURE;
	struct backup *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return OUT_FAILED;
	b->f = f;
	b->d = *d;
	b->ev = evtimer_new(s->base, on_backup, b);
	if (b->ev == NULL) {
		free(b);
		return OUT_FAILED;
	}
	b->next = f->pending;
	f->pending = b;
	struct timeval tv = {0, FAILOVER_BACKUP_MS * 1000};
	evtimer_add(b->ev, &tv);
	return OUT_BACKUP;
}

void failover_on_worker_died(struct failover *f, const struct peer_worker_died *d)
{
	if (f == NULL)
		return;
	int32_t pick;
	switch (decide(f, d, "the leader's worker died and this replica is first in line", &pick)) {
	case OUT_NEWER_KNOWN:
		log_debug("failover %s/%d: a leader newer than term %llu is known already",
			  d->topic, (int)d->partition, (unsigned long long)d->term);
		break;
	case OUT_NO_CANDIDATE:
		log_debug("failover %s/%d: leader on node %d died; no caught-up local follower",
			  d->topic, (int)d->partition, (int)d->node);
		break;
	case OUT_BACKUP:
		log_debug("failover %s/%d: node %d is first in line; backing it up in %d ms",
			  d->topic, (int)d->partition, (int)pick, FAILOVER_BACKUP_MS);
		break;
	case OUT_UNSURE:
		log_info("failover %s/%d: leader on node %d died; node %d comes first but its "
			 "state is not known fresh, so this replica waits for the election "
			 "timeout",
			 d->topic, (int)d->partition, (int)d->node, (int)pick);
		break;
	default:
		break;
	}
}

void failover_on_leader_silent(struct failover *f, const struct peer_worker_died *d)
{
	if (f == NULL || f->s->stopping)
		return;
	struct worker *w = workers_find(f->s->workers, d->topic, strlen(d->topic), d->partition);
	if (w == NULL || w->status.role != IPC_ROLE_FOLLOWER || w->status.term != d->term)
		return;
	struct ipc_msg m = {.type = IPC_PROBE_LEADER};
	if (link_post(w, &m) == 0)
		log_info("worker %s/%d: node %d says its leader of term %llu went silent; asked "
			 "to probe it",
			 w->topic, (int)w->partition, (int)d->node, (unsigned long long)d->term);
}

static bool is_lost(const struct failover *f, int32_t node)
{
	for (int i = 0; i < f->n_lost; i++)
		if (f->lost[i] == node)
			return true;
	return false;
}

int failover_on_node_lost(struct failover *f, int32_t node)
{
	if (f == NULL || is_lost(f, node))
		return 0;
	struct sup *s = f->s;
	if (f->n_lost == f->cap_lost) {
		int cap = f->cap_lost ? f->cap_lost * 2 : 4;
		int32_t *v = realloc(f->lost, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return 0;
		f->lost = v;
		f->cap_lost = cap;
	}
	f->lost[f->n_lost++] = node;
	if (s->stopping || s->draining || node == s->cfg->node.id)
		return 0;
	if (s->leaders != NULL && leaders_draining(s->leaders, node, spawn_now_ms())) {
		log_debug("failover: node %d closed its channel while draining; nothing to do",
			  (int)node);
		return 0;
	}
	int n = 0;
	int nw = workers_count(s->workers);
	for (int i = 0; i < nw; i++) {
		struct worker *w = workers_at(s->workers, i);
		struct router_leader l;
		router_leader(s, w->topic, strlen(w->topic), w->partition, &l);
		if (l.leader_id != node || l.leader_epoch < 0)
			continue;
		struct peer_worker_died d = {
		    .node = node, .partition = w->partition, .term = (uint64_t)l.leader_epoch};
		snprintf(d.topic, sizeof(d.topic), "%s", w->topic);
		char why[128];
		snprintf(why, sizeof(why),
			 "node %d, which led term %llu, crashed and this replica is first in line",
			 (int)node, (unsigned long long)d.term);
		int32_t pick;
		enum outcome o = decide(f, &d, why, &pick);
		n++;
		switch (o) {
		case OUT_CAMPAIGNED: /* decide() logged it */
			break;
		case OUT_BACKUP:
			log_info(
			    "failover %s/%d: node %d, which led term %llu, crashed; node %d is "
			    "first in line, this replica campaigns in %d ms if no leader appears",
			    d.topic, (int)d.partition, (int)node, (unsigned long long)d.term,
			    (int)pick, FAILOVER_BACKUP_MS);
			break;
		case OUT_UNSURE:
			log_info("failover %s/%d: node %d, which led term %llu, crashed; node %d "
				 "comes first but is not known fresh, so this replica waits",
				 d.topic, (int)d.partition, (int)node, (unsigned long long)d.term,
				 (int)pick);
			break;
		case OUT_NO_CANDIDATE:
			log_info("failover %s/%d: node %d, which led term %llu, crashed; this "
				 "replica is not a caught-up follower, so it waits",
				 d.topic, (int)d.partition, (int)node, (unsigned long long)d.term);
			break;
		case OUT_NEWER_KNOWN:
			log_info("failover %s/%d: node %d crashed; a leader newer than term %llu "
				 "is known already",
				 d.topic, (int)d.partition, (int)node, (unsigned long long)d.term);
			break;
		default:
			log_info("failover %s/%d: node %d, which led term %llu, crashed; cannot "
				 "act on it (out of memory or worker link down)",
				 d.topic, (int)d.partition, (int)node, (unsigned long long)d.term);
			break;
		}
	}
	return n;
}

void failover_on_node_back(struct failover *f, int32_t node)
{
	if (f == NULL)
		return;
	for (int i = 0; i < f->n_lost; i++)
		if (f->lost[i] == node) {
			f->lost[i] = f->lost[--f->n_lost];
			return;
		}
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
	free(f->lost);
	free(f);
}
