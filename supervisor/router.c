/* router.c - partition -> worker routing and the cluster's view of who
 * leads each partition, from local worker status and peer LEADERS tables. */
#include "router.h"

#include <string.h>

#include "common/kafka/kerr.h"
#include "supervisor/leaders.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/workers.h"

bool router_worker_leads(const struct worker *w)
{
	return w != NULL && w->state == WORKER_SERVING && w->has_status &&
	       w->status.role == IPC_ROLE_LEADER;
}

/* Folds one claim into the best so far. A leader's own claim (own = true)
 * beats a follower's report at the same term. */
static void consider(int32_t node, uint64_t term, bool own, uint64_t *best_term, bool *best_own,
		     int32_t *best_node)
{
	if (node < 0)
		return;
	if (*best_node < 0 || term > *best_term || (term == *best_term && own && !*best_own)) {
		*best_term = term;
		*best_own = own;
		*best_node = node;
	}
}

/* A follower's report that `node` leads is believed only when node is a
 * peer heard from recently: when a whole node dies its followers keep
 * naming it until the election timeout, and clients are better told "no
 * leader yet" than sent to a dead broker. Reports naming this node are
 * never believed: its own worker's status says whether it leads. */
static bool believable(struct sup *s, int32_t node, int64_t now)
{
	return node >= 0 && node != s->cfg->node.id && s->leaders != NULL &&
	       leaders_fresh(s->leaders, node, now);
}

void router_leader(struct sup *s, const char *topic, size_t len, int32_t partition,
		   struct router_leader *out)
{
	int32_t self = s->cfg->node.id;
	uint64_t best_term = 0;
	bool best_own = false;
	int32_t best = -1;
	int64_t now = spawn_now_ms();
	struct worker *w = workers_find(s->workers, topic, len, partition);
	if (w != NULL && w->state == WORKER_SERVING && w->has_status) {
		if (w->status.role == IPC_ROLE_LEADER)
			consider(self, w->status.term, true, &best_term, &best_own, &best);
		else if (believable(s, w->status.leader_node, now))
			consider(w->status.leader_node, w->status.term, false, &best_term,
				 &best_own, &best);
	}
	if (s->leaders != NULL) {
		for (int i = 0; i < s->cfg->n_peers; i++) {
			int32_t node = s->cfg->peers[i].id;
			if (node == self)
				continue;
			const struct peer_claim *c =
			    leaders_get(s->leaders, node, topic, len, partition, now);
			if (c == NULL)
				continue;
			if (c->role == IPC_ROLE_LEADER)
				consider(node, c->term, true, &best_term, &best_own, &best);
			else if (believable(s, c->leader, now))
				consider(c->leader, c->term, false, &best_term, &best_own, &best);
		}
	}
	if (best < 0) {
		out->error = KERR_LEADER_NOT_AVAILABLE;
		out->leader_id = -1;
		out->leader_epoch = -1;
		return;
	}
	out->error = KERR_NONE;
	out->leader_id = best;
	out->leader_epoch = best_term > INT32_MAX ? INT32_MAX : (int32_t)best_term;
}

bool router_replica_in_sync(struct sup *s, const char *topic, size_t len, int32_t partition,
			    int32_t node, bool *alive)
{
	if (node == s->cfg->node.id) {
		*alive = true;
		struct worker *w = workers_find(s->workers, topic, len, partition);
		if (w == NULL || w->state != WORKER_SERVING || !w->has_status)
			return false;
		return w->status.role == IPC_ROLE_LEADER || w->status.caught_up;
	}
	int64_t now = spawn_now_ms();
	*alive = s->leaders != NULL && leaders_fresh(s->leaders, node, now);
	if (!*alive)
		return false;
	const struct peer_claim *c = leaders_get(s->leaders, node, topic, len, partition, now);
	return c != NULL && (c->role == IPC_ROLE_LEADER || c->caught_up);
}

int16_t router_route(struct sup *s, struct kafka_str topic, int32_t partition, struct worker **out)
{
	*out = NULL;
	if (topic.len <= 0 || partition < 0)
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	const struct config_topic *t = topics_find(s, topic.ptr, (size_t)topic.len);
	if (t == NULL || partition >= t->partitions || t == &s->ctl_topic)
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	struct worker *w = workers_find(s->workers, topic.ptr, (size_t)topic.len, partition);
	if (!router_worker_leads(w))
		return KERR_NOT_LEADER_OR_FOLLOWER;
	/* A peer may know of a newer term than our worker has reported: a
	 * deposed leader must not take writes it can no longer commit. */
	struct router_leader l;
	router_leader(s, topic.ptr, (size_t)topic.len, partition, &l);
	if (l.leader_id != s->cfg->node.id)
		return KERR_NOT_LEADER_OR_FOLLOWER;
	*out = w;
	return KERR_NONE;
}
