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
 * Reads (sm.h read): PARTITION_READ_FETCH, PARTITION_READ_LIST_OFFSETS,
 * PARTITION_READ_EPOCH_END and PARTITION_READ_PRODUCERS, answered from the
 * committed state (partition_fetch_emit, partition_list_offsets) or the
 * log (partition_epoch_end, whose epochs include uncommitted entries, as
 * a Kafka leader's epoch cache does) and the committed producer table. */
#ifndef FJORD_WORKER_PARTITION_SM_H
#define FJORD_WORKER_PARTITION_SM_H

#include <stddef.h>
#include <stdint.h>

#include "worker/partition.h"
#include "worker/sm.h"

struct buf;
struct idem;

enum partition_read_kind {
	PARTITION_READ_FETCH = 1,	 /* partition_fetch_req -> partition_fetch_res */
	PARTITION_READ_LIST_OFFSETS = 2, /* partition_list_req -> partition_list_res */
	PARTITION_READ_EPOCH_END = 3,	 /* partition_epoch_req -> partition_epoch_res */
	PARTITION_READ_PRODUCERS = 4,	 /* partition_producers_req -> partition_producers_res */
};

struct partition_epoch_req {
	int32_t epoch;
	uint64_t current_term; /* the term this replica leads */
};

struct partition_epoch_res {
	int16_t error;
	int32_t epoch;
	int64_t end_offset;
};

/* The committed producer table, one IPC_PRODUCER_LEN record per producer
 * appended to out. */
struct partition_producers_req {
	struct buf *out;
};

struct partition_producers_res {
	int16_t error;
	size_t n;
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
