/* controller_id.h - which node Kafka clients are told is the controller.
 *
 * Kafka's admin clients send controller-bound requests (CreateTopics,
 * ElectLeaders with older clients, ...) to the node DescribeCluster and
 * Metadata name as controller. That is the leader of `__controller` as
 * router.c knows it; while none is known, the lowest id among the nodes of
 * [cluster] that are up (this one, and the peers whose LEADERS tables are
 * fresh). Any node forwards catalog commands to the controller's leader,
 * so a client sent anywhere is still served. */
#ifndef FJORD_SUP_CONTROLLER_ID_H
#define FJORD_SUP_CONTROLLER_ID_H

#include <stdint.h>

struct sup;

/* The controller's node id (see above; this node alone without
 * [cluster]). */
int32_t controller_id(struct sup *s);

#endif
