/* coordinator_key.h - which __consumer_offsets partition coordinates a
 * group, and where that partition's leader is.
 *
 * Kafka's rule, so tools that compute it agree: abs(Java
 * String.hashCode(group id)) mod the number of partitions, the hash taken
 * over the id's UTF-16 code units (Kafka's Utils.abs maps INT_MIN to 0). */
#ifndef FJORD_SUP_COORDINATOR_KEY_H
#define FJORD_SUP_COORDINATOR_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/kafka/kafka_types.h"

/* Longest group id served (the coordinator's GC_GROUP_ID_MAX, checked
 * here too so the answer does not depend on which node is asked). */
#define COORDINATOR_GROUP_ID_MAX 255

struct sup;
struct worker;

/* Java's String.hashCode of the UTF-8 string s (len bytes); invalid
 * UTF-8 bytes count as U+FFFD, as Java's decoder makes them. */
int32_t coordinator_java_hash(const char *s, size_t len);

/* The partition of group id among n (> 0) partitions. */
int32_t coordinator_partition(const char *id, size_t len, int32_t n);

/* The number of __consumer_offsets partitions this node knows. */
int32_t coordinator_n_partitions(const struct sup *s);

/* The local worker coordinating group id: KERR_NONE with *w set,
 * NOT_COORDINATOR when its partition's leader is elsewhere (or no local
 * replica leads it), COORDINATOR_NOT_AVAILABLE when there is no such
 * topic, INVALID_GROUP_ID for an empty, null or too long id. */
int16_t coordinator_route(struct sup *s, struct kafka_str id, struct worker **w);

#endif
