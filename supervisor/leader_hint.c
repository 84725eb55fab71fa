/* leader_hint.c - the leader and endpoint lookups behind KIP-951's hints
 * (leader_hint.h). */
#include "leader_hint.h"

#include "common/arena.h"
#include "common/config.h"
#include "common/kafka/kerr.h"
#include "supervisor/cluster.h"
#include "supervisor/router.h"
#include "supervisor/sup.h"

bool leader_hint_wanted(int16_t kafka_error)
{
	return kafka_error == KERR_NOT_LEADER_OR_FOLLOWER ||
	       kafka_error == KERR_FENCED_LEADER_EPOCH;
}

bool leader_hint_get(struct sup *s, struct kafka_str topic, int32_t partition, struct arena *a,
		     struct leader_hint_nodes *nodes, int32_t *id, int32_t *epoch)
{
	if (topic.len <= 0)
		return false;
	struct router_leader l;
	router_leader(s, topic.ptr, (size_t)topic.len, partition, &l);
	if (l.leader_id < 0)
		return false;
	int i = 0;
	while (i < nodes->n && nodes->ids[i] != l.leader_id)
		i++;
	if (i == nodes->n) {
		if (nodes->ids == NULL) {
			nodes->cap = cluster_n_nodes(s->cfg);
			nodes->ids = arena_calloc(a, (size_t)nodes->cap + 1, sizeof(int32_t));
			if (nodes->ids == NULL)
				return false;
		}
		if (nodes->n >= nodes->cap)
			return false; /* a leader outside [cluster]: no endpoint to give */
		nodes->ids[nodes->n++] = l.leader_id;
	}
	*id = l.leader_id;
	*epoch = l.leader_epoch;
	return true;
}

bool leader_hint_endpoint(const struct config *c, int32_t node, struct kafka_str *host,
			  int32_t *port)
{
	if (node == c->node.id) {
		*host = kafka_str_from(c->node.advertised_host);
		*port = c->node.kafka_listen.port;
		return true;
	}
	for (int i = 0; i < c->n_peers; i++) {
		if (c->peers[i].id == node) {
			*host = kafka_str_from(c->peers[i].kafka.host);
			*port = c->peers[i].kafka.port;
			return true;
		}
	}
	return false;
}
