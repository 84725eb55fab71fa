/* describe_configs.h - the DescribeConfigs API (v0-4), answered by the
 * supervisor from its configuration. */
#ifndef FJORD_SUP_DESCRIBE_CONFIGS_H
#define FJORD_SUP_DESCRIBE_CONFIGS_H

#include "common/buf.h"

struct kreq;

/* Answers per resource: a TOPIC with every config of
 * common/topic_configs.h (or those asked for) at the topic's effective
 * value, its source (DYNAMIC_TOPIC_CONFIG for a value the topic sets,
 * STATIC_BROKER_CONFIG for one the node's file sets, DEFAULT_CONFIG) and,
 * when asked (v1+), its synonyms; an unknown topic gets
 * UNKNOWN_TOPIC_OR_PARTITION. A BROKER named by this node's id (or "",
 * the cluster default) gets the Kafka broker-level synonyms of those
 * configs, broker.id, node.id, log.dirs and every key of the INI file as
 * "fjord.<section>.<key>", all read-only; another broker's id gets
 * INVALID_REQUEST, as in Kafka. Documentation is null. Other resource
 * types get INVALID_REQUEST. */
void describe_configs_handle(struct kreq *r, struct reader *body);

#endif
