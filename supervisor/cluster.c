/* cluster.c - placement of replicas on this configuration's nodes. */
#include "cluster.h"

#include <stdlib.h>

#include "common/placement.h"

int cluster_n_nodes(const struct config *c) { return c->n_peers > 0 ? c->n_peers : 1; }

int cluster_replicas(const struct config *c, const struct config_topic *t, int32_t partition,
		     int32_t *out)
{
	int n = cluster_n_nodes(c);
	int32_t small[16];
	int32_t *ids = n <= 16 ? small : malloc((size_t)n * sizeof(*ids));
	if (ids == NULL)
		return 0;
	int n_ids = config_node_ids(c, ids);
	int k = placement_replicas(t->name, partition, ids, n_ids, t->replication, out);
	if (ids != small)
		free(ids);
	return k;
}

bool cluster_hosts(const struct config *c, const struct config_topic *t, int32_t partition)
{
	int n = cluster_n_nodes(c);
	int32_t small[16];
	int32_t *reps = n <= 16 ? small : malloc((size_t)n * sizeof(*reps));
	if (reps == NULL)
		return false;
	int k = cluster_replicas(c, t, partition, reps);
	bool here = false;
	for (int i = 0; i < k; i++)
		here = here || reps[i] == c->node.id;
	if (reps != small)
		free(reps);
	return here;
}
