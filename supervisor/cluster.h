/* cluster.h - this node's configuration seen as a cluster: the node list
 * and the [cluster] placement rule (common/placement.h applied to the list
 * and a topic's replication), which the first catalog adopts INI topics
 * with and which a supervisor without a catalog uses (topics.h). A node
 * without [cluster] is a one-node cluster of itself. */
#ifndef FJORD_SUP_CLUSTER_H
#define FJORD_SUP_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

/* Number of nodes: the [cluster] lines, or 1. */
int cluster_n_nodes(const struct config *c);

/* Writes the replicas of (t, partition), preferred leader first, into out
 * (room for cluster_n_nodes(c) entries) and returns how many. */
int cluster_replicas(const struct config *c, const struct config_topic *t, int32_t partition,
		     int32_t *out);

/* True when one of those replicas is this node. */
bool cluster_hosts(const struct config *c, const struct config_topic *t, int32_t partition);

#endif
