/* create_partitions.h - CreatePartitions (v0-3) through the controller.
 *
 * Raises a topic's partition count (never lowers it: INVALID_PARTITIONS);
 * the new partitions are placed by the controller, or as the request's
 * assignment says (one list of replicas per new partition, as many as the
 * topic's replication factor). validate_only checks without creating. */
#ifndef FJORD_SUP_CREATE_PARTITIONS_H
#define FJORD_SUP_CREATE_PARTITIONS_H

struct kreq;
struct reader;

void create_partitions_handle(struct kreq *r, struct reader *body);

#endif
