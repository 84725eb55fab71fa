/* router.h - where a partition's requests go, and who Metadata says leads it.
 *
 * This is the one place that answers "which worker leads topic/partition
 * P". Today every partition has one local replica; with clustering the
 * answer will come from the leadership table the supervisors exchange, and
 * only this file should need to change. */
#ifndef FJORD_SUP_ROUTER_H
#define FJORD_SUP_ROUTER_H

#include <stdint.h>

#include "common/kafka/kafka_types.h"

struct sup;
struct worker;

/* Finds the worker to forward a request for (topic, partition) to. Returns
 * 0 (KERR_NONE) with *out set; UNKNOWN_TOPIC_OR_PARTITION for a topic or
 * partition this cluster does not have; NOT_LEADER_OR_FOLLOWER (retriable)
 * when its worker is not serving right now (starting, restarting). */
int16_t router_route(struct sup *s, struct kafka_str topic, int32_t partition, struct worker **out);

/* What Metadata reports for one partition. */
struct router_leader {
	int16_t error;	      /* 0 or LEADER_NOT_AVAILABLE */
	int32_t leader_id;    /* node id, or -1 */
	int32_t leader_epoch; /* the leader's Raft term, or -1 */
};

/* Leadership of w's partition: this node when w is serving and its Raft
 * replica reports the leader role; otherwise no leader (-1) with
 * LEADER_NOT_AVAILABLE. */
void router_leader_of(struct sup *s, const struct worker *w, struct router_leader *out);

#endif
