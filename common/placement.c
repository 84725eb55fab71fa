/* placement.c - the deterministic replica placement of placement.h. */
#include "placement.h"

uint32_t placement_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

int placement_replicas(const char *topic, int32_t partition, const int32_t *node_ids, int n_nodes,
		       int replication, int32_t *out)
{
	if (n_nodes < 1 || replication < 1 || partition < 0)
		return 0;
	int n = replication < n_nodes ? replication : n_nodes;
	/* 64-bit sum: hash + partition must not wrap before the modulo, or
	 * partition 0 of one topic could land where the hash says otherwise. */
	uint64_t start =
	    ((uint64_t)placement_hash(topic) + (uint64_t)partition) % (uint64_t)n_nodes;
	for (int k = 0; k < n; k++)
		out[k] = node_ids[(start + (uint64_t)k) % (uint64_t)n_nodes];
	return n;
}
