/* placement.h - the placement rule of releases before the catalog.
 *
 * Where replicas live is now stored in the catalog (common/catalog.h),
 * decided once when a topic is created. This rule is what every node
 * computed from the [cluster] list before that, so the first catalog
 * adopts the INI topics with it (supervisor/desired.c) and existing data
 * directories stay where they are; a supervisor built without a catalog
 * (unit tests) still places by it.
 *
 * The rule (part of the cluster contract, do not change it without changing
 * every node): with node_ids sorted ascending and n = n_nodes,
 *   start  = (fnv1a32(topic) + partition) mod n
 *   out[k] = node_ids[(start + k) mod n]   for k < min(replication, n)
 * out[0] is the preferred leader. Consecutive partitions start on
 * consecutive nodes, so preferred leaders are spread evenly. */
#ifndef FJORD_PLACEMENT_H
#define FJORD_PLACEMENT_H

#include <stdint.h>

/* The 32-bit FNV-1a hash of the NUL-terminated string s. */
uint32_t placement_hash(const char *s);

/* Writes the replica node ids of (topic, partition) into out, preferred
 * leader first, and returns how many: min(replication, n_nodes), or 0 when
 * n_nodes < 1, replication < 1 or partition < 0. node_ids must be sorted
 * ascending and distinct (config_load guarantees that for [cluster]). out
 * must hold at least min(replication, n_nodes) entries. All pointers are
 * borrowed for the call. */
int placement_replicas(const char *topic, int32_t partition, const int32_t *node_ids, int n_nodes,
		       int replication, int32_t *out);

#endif
