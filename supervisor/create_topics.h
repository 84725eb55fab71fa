/* create_topics.h - CreateTopics (v0-7) through the controller.
 *
 * Each topic of the request is checked here (Kafka's name rules and
 * fjord's reserved "__" prefix, duplicates within the request, the shape of
 * an explicit assignment, the configs: common/topic_configs.c), -1 takes
 * [kafka] default_partitions / default_replication, and the rest is one
 * CREATE_TOPIC command each (placement, counts against the registered
 * nodes, existing names and '.'/'_' collisions are the catalog's to judge,
 * on the controller's leader, wherever it is). validate_only (v1+) runs
 * the same checks, the catalog's included, without creating anything. The
 * response comes once every command has its result and this node follows
 * the catalog that holds them; per topic: the Kafka error and message,
 * from v5 the partition count and replication factor, from v7 the topic
 * id. */
#ifndef FJORD_SUP_CREATE_TOPICS_H
#define FJORD_SUP_CREATE_TOPICS_H

struct kreq;
struct reader;

void create_topics_handle(struct kreq *r, struct reader *body);

#endif
