/* group_report.h - the groups of one coordinator as JSON text: what
 * /v1/status shows under "groups" and `fjordctl groups` reads.
 *
 * Pure: reads the coordinator's live state (the leader's, once loaded;
 * nothing elsewhere). Each group is an object: group, partition (of
 * __consumer_offsets), state, protocol_type, protocol, generation, leader,
 * members (id, instance, client_id, host, assignment: the consumer
 * protocol's topics and partitions when Stable, else null) and offsets
 * (topic, partition, offset). */
#ifndef FJORD_WORKER_GROUP_REPORT_H
#define FJORD_WORKER_GROUP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "worker/group_coord.h"

/* Writes the groups as comma-separated JSON objects (no brackets) into out
 * (reset first), stopping before the one that would pass max_len bytes.
 * Returns how many groups were written, or ERR_NOMEM. */
int group_report_json(const struct gc *g, int32_t partition, size_t max_len, struct buf *out);

#endif
