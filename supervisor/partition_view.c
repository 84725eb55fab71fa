/* partition_view.c - one partition's replicas and leadership as this node
 * knows them (partition_view.h), from placement (cluster.c) and the
 * router's view of leadership. */
#include "partition_view.h"

#include <string.h>

#include "common/err.h"
#include "supervisor/cluster.h"
#include "supervisor/router.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

int partition_view(struct sup *s, const struct config_topic *t, int32_t p,
		   struct partition_view *out, struct arena *a)
{
	memset(out, 0, sizeof(*out));
	const int n_nodes = TOPICS_REPS_MAX;
	size_t len = strlen(t->name);
	out->replicas = arena_alloc(a, (size_t)n_nodes * sizeof(int32_t));
	out->isr = arena_alloc(a, (size_t)n_nodes * sizeof(int32_t));
	out->offline = arena_alloc(a, (size_t)n_nodes * sizeof(int32_t));
	if (out->replicas == NULL || out->isr == NULL || out->offline == NULL)
		return ERR_NOMEM;
	out->n_replicas = topics_replicas(s, t, p, out->replicas);
	for (int i = 0; i < out->n_replicas; i++) {
		bool alive;
		if (router_replica_in_sync(s, t->name, len, p, out->replicas[i], &alive))
			out->isr[out->n_isr++] = out->replicas[i];
		if (!alive)
			out->offline[out->n_offline++] = out->replicas[i];
	}
	struct router_leader l;
	router_leader(s, t->name, len, p, &l);
	/* The leader is in sync by definition, even when its table is a
	 * moment older than a follower's report of it. */
	bool listed = l.leader_id < 0;
	for (int i = 0; i < out->n_isr; i++)
		listed = listed || out->isr[i] == l.leader_id;
	if (!listed && out->n_isr < n_nodes)
		out->isr[out->n_isr++] = l.leader_id;
	out->error = l.error;
	out->leader_id = l.leader_id;
	out->leader_epoch = l.leader_epoch;
	return 0;
}
