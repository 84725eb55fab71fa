/* controller_id.h - which node Kafka clients are told is the controller.
 *
 * Kafka's admin clients send controller-bound requests (CreateTopics,
 * ElectLeaders with older clients, ...) to the node DescribeCluster and
 * Metadata name as controller. Until the replicated controller exists
 * (__controller, issue 10), it is the lowest node id of [cluster]; the
 * controller replaces this one function with the leader of its Raft
 * group. */
#ifndef FJORD_SUP_CONTROLLER_ID_H
#define FJORD_SUP_CONTROLLER_ID_H

#include <stdint.h>

struct sup;

/* The controller's node id: today the lowest id of [cluster] (this node
 * alone without it). */
int32_t controller_id(const struct sup *s);

#endif
