/* leader_hint.h - KIP-951's current-leader hints for Produce and Fetch.
 *
 * A partition answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH may
 * carry the leader this node knows of (router_leader: id and epoch), and
 * the response then lists how to reach each such leader (node_endpoints),
 * so a client can retry there without a Metadata round trip. Hints are
 * advice: a client that ignores them refreshes Metadata as before. */
#ifndef FJORD_SUP_LEADER_HINT_H
#define FJORD_SUP_LEADER_HINT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/kafka/kafka_types.h"

struct arena;
struct config;
struct sup;

/* True for the partition errors KIP-951 answers with a hint. */
bool leader_hint_wanted(int16_t kafka_error);

/* The distinct leader nodes of one response, in the order first hinted. */
struct leader_hint_nodes {
	int32_t *ids; /* in the request's arena */
	int n, cap;
};

/* Looks up (topic, partition)'s leader; when one is known, sets *id and
 * *epoch, adds the node to `nodes` (allocating from `a` the first time)
 * and returns true. Returns false, changing nothing, when no leader is
 * known or memory runs out (a hint is optional). */
bool leader_hint_get(struct sup *s, struct kafka_str topic, int32_t partition, struct arena *a,
		     struct leader_hint_nodes *nodes, int32_t *id, int32_t *epoch);

/* How clients reach node (as Metadata lists it): true with *host (borrows
 * from c) and *port set, false for a node not in the cluster. */
bool leader_hint_endpoint(const struct config *c, int32_t node, struct kafka_str *host,
			  int32_t *port);

#endif
