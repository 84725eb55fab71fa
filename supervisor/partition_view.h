/* partition_view.h - what this node knows of one partition: its replicas
 * in placement order (the first is the preferred leader), the leader and
 * epoch, the in-sync and the offline replicas. The same answer Metadata
 * gives, for the admin APIs that describe partitions (DescribeTopicPartitions)
 * or act on their leadership (ElectLeaders). */
#ifndef FJORD_SUP_PARTITION_VIEW_H
#define FJORD_SUP_PARTITION_VIEW_H

#include <stdint.h>

#include "common/arena.h"
#include "common/config.h"

struct sup;

struct partition_view {
	int16_t error;	      /* KERR_NONE or LEADER_NOT_AVAILABLE */
	int32_t leader_id;    /* -1: none known */
	int32_t leader_epoch; /* the leader's term, or -1 */
	int32_t *replicas;    /* in placement order; arena memory */
	int n_replicas;
	int32_t *isr; /* alive and leading or caught up, the leader included */
	int n_isr;
	int32_t *offline; /* on nodes not heard from */
	int n_offline;
};

/* Fills *out for partition p of t, arrays from a. Returns 0 or ERR_NOMEM. */
int partition_view(struct sup *s, const struct config_topic *t, int32_t p,
		   struct partition_view *out, struct arena *a);

#endif
