/* router.h - where a partition's requests go, and who leads it.
 *
 * This is the one place that answers "which node leads topic/partition P":
 * among the claims of the local worker (its last IPC_STATUS, while it
 * serves) and of the peers' LEADERS tables (leaders.h, while fresh), the
 * leader is the one of the highest term. A node's own leader claim beats a
 * follower's report of who leads at the same term, and a report is only
 * believed when it names another node that is up (heard from recently). Requests are forwarded
 * only when that leader is the local replica; everyone else is told
 * NOT_LEADER_OR_FOLLOWER and refreshes Metadata. */
#ifndef FJORD_SUP_ROUTER_H
#define FJORD_SUP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kafka/kafka_types.h"

struct sup;
struct worker;

/* Finds the worker to forward a request for (topic, partition) to. Returns
 * 0 (KERR_NONE) with *out set; UNKNOWN_TOPIC_OR_PARTITION for a topic or
 * partition this cluster does not have; NOT_LEADER_OR_FOLLOWER (retriable)
 * when no replica of this node serves as its leader right now (not placed
 * here, starting, restarting, a follower, or deposed by a higher term). */
int16_t router_route(struct sup *s, struct kafka_str topic, int32_t partition, struct worker **out);

/* What Metadata reports for one partition. */
struct router_leader {
	int16_t error;	      /* 0 or LEADER_NOT_AVAILABLE */
	int32_t leader_id;    /* node id, or -1 */
	int32_t leader_epoch; /* the leader's Raft term, or -1 */
};

/* Leadership of (topic, partition) (topic is len bytes) as described above;
 * no leader (-1) with LEADER_NOT_AVAILABLE when nobody claims it. */
void router_leader(struct sup *s, const char *topic, size_t len, int32_t partition,
		   struct router_leader *out);

/* State of node's replica of (topic, partition) as this node knows it.
 * *alive: the node is this one or a peer heard from recently (leaders.h).
 * Returns true when the replica reported leading or being caught up
 * (the in-sync replicas of Metadata). */
bool router_replica_in_sync(struct sup *s, const char *topic, size_t len, int32_t partition,
			    int32_t node, bool *alive);

/* True when w is running and its last status says it leads. */
bool router_worker_leads(const struct worker *w);

#endif
