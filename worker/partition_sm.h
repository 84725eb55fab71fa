/* partition_sm.h - the data partition as a state machine (sm.h).
 *
 * Joins the partition (offsets, high watermark, log start, checksums:
 * partition.c) and its idempotent producers (idem.c) into the one state
 * machine a data partition's Raft driver applies to. Each sm op maps onto
 * them; the only state it adds is the snapshot bookkeeping.
 *
 * Snapshot (every snapshot_threshold applied entries): the apply state
 * (partition_save) and the committed producer table at the applied index
 * (idem_snapshot), in one transaction. The records themselves are the log;
 * a snapshot does not allow compacting it (retention does that). It lets a
 * restart load the producer table instead of scanning up to IDEM_SCAN_MAX
 * entries (idem_load).
 *
 * Reads (sm.h read): PARTITION_READ_FETCH and PARTITION_READ_LIST_OFFSETS,
 * answered from the committed state (partition_fetch_emit and
 * partition_list_offsets). */
#ifndef FJORD_WORKER_PARTITION_SM_H
#define FJORD_WORKER_PARTITION_SM_H

#include <stddef.h>
#include <stdint.h>

#include "worker/partition.h"
#include "worker/sm.h"

struct idem;

enum partition_read_kind {
	PARTITION_READ_FETCH = 1,	 /* partition_fetch_req -> partition_fetch_res */
	PARTITION_READ_LIST_OFFSETS = 2, /* partition_list_req -> partition_list_res */
};

struct partition_fetch_req {
	int64_t offset;
	int32_t max_bytes;
	partition_emit_cb emit;
	void *ctx;
};

struct partition_fetch_res {
	int16_t error; /* Kafka error code */
	size_t bytes;  /* emitted */
};

struct partition_list_req {
	int64_t timestamp;
};

struct partition_list_res {
	int16_t error;
	int64_t offset, timestamp;
};

struct partition_sm {
	struct partition *part; /* borrowed */
	struct idem *idem;	/* borrowed */
	uint8_t start[PARTITION_SNAPSHOT_LEN];
	uint64_t snapshot_index; /* applied index of the last snapshot, 0 = none */
};

/* Joins p and x (both borrowed; they outlive ps) and returns the state
 * machine to hand to the driver. Feeds x's committed table from every
 * applied entry (p->producers). */
struct sm partition_sm_init(struct partition_sm *ps, struct partition *p, struct idem *x);

#endif
