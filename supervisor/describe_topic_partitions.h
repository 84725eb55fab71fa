/* describe_topic_partitions.h - the DescribeTopicPartitions API (KIP-966,
 * v0), answered by the supervisor from its view of topics and leadership. */
#ifndef FJORD_SUP_DESCRIBE_TOPIC_PARTITIONS_H
#define FJORD_SUP_DESCRIBE_TOPIC_PARTITIONS_H

#include "common/buf.h"

struct kreq;

/* Answers the topics named (every topic for an empty list) in name order,
 * from the cursor's topic and partition on, at most
 * response_partition_limit partitions (capped at 2000, Kafka's default);
 * when partitions remain, next_cursor names the first of them. Each
 * partition as Metadata gives it (partition_view.h): leader and epoch,
 * replicas, in-sync and offline replicas; eligible leader replicas and last
 * known ELR are empty (Raft elects from a majority, not from an ELR). An
 * unknown topic gets UNKNOWN_TOPIC_OR_PARTITION. Topic ids as in Metadata
 * (ids_topic_id). */
void describe_topic_partitions_handle(struct kreq *r, struct reader *body);

#endif
