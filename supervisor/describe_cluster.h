/* describe_cluster.h - the DescribeCluster API (v0-1), answered by the
 * supervisor. */
#ifndef FJORD_SUP_DESCRIBE_CLUSTER_H
#define FJORD_SUP_DESCRIBE_CLUSTER_H

#include "common/buf.h"

struct kreq;

/* Answers with the cluster id, the controller (controller_id.h) and every
 * node of [cluster] as a broker (host and port as Metadata gives them, rack
 * null); authorized operations are not computed (INT32_MIN). v1 echoes
 * endpoint type 1 (brokers); a request for controller endpoints (2) gets
 * MISMATCHED_ENDPOINT_TYPE, as a Kafka broker answers it. */
void describe_cluster_handle(struct kreq *r, struct reader *body);

#endif
