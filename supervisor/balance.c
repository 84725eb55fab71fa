/* balance.c - hand local leaderships to their preferred replicas on
 * request (see balance.h). Decides from what this node already knows: the
 * local workers' status and the peers' LEADERS tables; asks nobody. */
#include "balance.h"

#include <string.h>

#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/settle.h"
#include "supervisor/cluster.h"
#include "supervisor/leaders.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

bool balance_target(struct sup *s, struct worker *w, int32_t *target)
{
	/* A draining node is giving leaderships away to anyone; it must not
	 * also steer them. */
	if (s->leaders == NULL || s->draining || !router_worker_leads(w))
		return false;
	const struct config_topic *t = topics_find(s, w->topic, strlen(w->topic));
	if (t == NULL || t->replication < 2)
		return false;
	int32_t reps[TOPICS_REPS_MAX];
	if (topics_replicas(s, t, w->partition, reps) < 2)
		return false;
	int32_t self = s->cfg->node.id, pref = reps[0];
	if (pref == self)
		return false;
	int64_t now = spawn_now_ms();
	if (!leaders_fresh(s->leaders, pref, now) || leaders_draining(s->leaders, pref, now))
		return false;
	/* A hand-back asked for less than an election timeout ago may still
	 * be under way: do not ask twice. */
	if (w->balance.handed_ms >= 0 &&
	    now - w->balance.handed_ms < s->cfg->raft.election_timeout_ms)
		return false;
	const struct peer_claim *c =
	    leaders_get(s->leaders, pref, w->topic, strlen(w->topic), w->partition, now);
	/* Following us in our term and holding what we committed: a transfer
	 * to it completes at once instead of stalling writes while it
	 * catches up. */
	if (c == NULL || c->role != IPC_ROLE_FOLLOWER || c->term != w->status.term ||
	    c->leader != self || !c->caught_up)
		return false;
	/* And it has been so in every table for the settle period (longer
	 * after failed hand-backs): a replica that keeps stalling or losing
	 * packets is not handed leadership only to lose it again. */
	int64_t since =
	    leaders_healthy_since(s->leaders, pref, w->topic, strlen(w->topic), w->partition, now);
	if (!settle_ready(&w->balance, since, now))
		return false;
	*target = pref;
	return true;
}

int balance_transfer_to(struct sup *s, const char *topic, int32_t partition, int32_t target)
{
	for (int i = 0; i < workers_count(s->workers); i++) {
		struct worker *w = workers_at(s->workers, i);
		if (w == NULL || w->partition != partition || strcmp(w->topic, topic) != 0)
			continue;
		if (!router_worker_leads(w))
			return ERR_NOTLEADER;
		struct ipc_msg m = {.type = IPC_TRANSFER};
		m.u.transfer.target_node = target;
		int rc = link_post(w, &m);
		if (rc != 0)
			return rc;
		settle_handed(&w->balance, spawn_now_ms());
		log_info(
		    "elect leaders: asking %s/%d to hand its leadership (term %llu) to node %d",
		    w->topic, (int)w->partition, (unsigned long long)w->status.term, (int)target);
		return 0;
	}
	return ERR_NOTFOUND;
}

int balance_request(struct sup *s)
{
	int sent = 0;
	int64_t now = spawn_now_ms();
	for (int i = 0; i < workers_count(s->workers); i++) {
		struct worker *w = workers_at(s->workers, i);
		int32_t target;
		/* Leading again after an earlier hand-back had time to happen:
		 * that one failed (back-off) or is long past (reset). */
		if (router_worker_leads(w) && w->balance.handed_ms >= 0 &&
		    now - w->balance.handed_ms >= s->cfg->raft.election_timeout_ms) {
			int64_t period = w->balance.period_ms;
			settle_lead_again(&w->balance, now);
			if (w->balance.period_ms > period)
				log_info("balance: %s/%d leads again after its hand-back; its "
					 "preferred replica must now be healthy for %lld ms",
					 w->topic, (int)w->partition,
					 (long long)w->balance.period_ms);
		}
		if (!balance_target(s, w, &target))
			continue;
		struct ipc_msg m = {.type = IPC_TRANSFER};
		m.u.transfer.target_node = target;
		if (link_post(w, &m) != 0)
			continue;
		settle_handed(&w->balance, now);
		log_info("balance: asking %s/%d to hand its leadership (term %llu) to node %d",
			 w->topic, (int)w->partition, (unsigned long long)w->status.term,
			 (int)target);
		sent++;
	}
	return sent;
}
