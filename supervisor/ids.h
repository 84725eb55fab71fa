/* ids.h - stable identifiers derived by hashing: topic UUIDs and the
 * cluster id.
 *
 * fjord has no catalog yet (it comes with __controller), so identifiers
 * that Kafka stores are derived from what every node already agrees on: a
 * topic's id from its name, the cluster id from the [cluster] node list (or
 * the node id when the node is alone). The same input always yields the same
 * id, across restarts and across nodes. */
#ifndef FJORD_SUP_IDS_H
#define FJORD_SUP_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/kafka/kafka_types.h"

/* The topic id of a name (len bytes). Never the zero UUID nor Kafka's
 * reserved metadata topic id, and its base64 form never starts with '-'. */
void ids_topic_id(const char *name, size_t len, struct kafka_uuid *out);

/* Finds the configured topic whose id is id. Returns a borrowed pointer
 * into c, or NULL. */
const struct config_topic *ids_topic_by_id(const struct config *c, const struct kafka_uuid *id);

/* A new random topic id (Kafka's Uuid.randomUuid, with the same layout
 * rules as ids_topic_id's), for a topic created through the catalog. */
void ids_random_topic_id(uint8_t id[16]);

/* Writes the cluster id (22 characters of URL-safe base64, like Kafka's)
 * into out (at least 23 bytes). */
void ids_cluster_id(const struct config *c, char *out, size_t out_len);

#endif
