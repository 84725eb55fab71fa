/* replica.h - one partition replica process: the pieces wired together.
 *
 * Owns the store, the partition, the replication layer (solo.c for a single
 * replica), the uplink to the supervisor, the parked fetches and the
 * one-second tick, and maps each ipc request onto them:
 *
 *   IPC_PRODUCE       validate + assign offsets (partition), propose (solo);
 *                     the result goes out after the group commit that made
 *                     the entry durable, for acks 0, 1 and -1 alike (the
 *                     supervisor drops the acks=0 answer). Invalid records
 *                     and storage errors are answered at once.
 *   IPC_FETCH         answered at once when min_bytes are available, when
 *                     max_wait_ms <= 0 or min_bytes <= 0, or on error;
 *                     otherwise parked until commits bring min_bytes, the
 *                     wait ends, or IPC_FETCH_CANCEL arrives.
 *   IPC_FETCH_CANCEL  answers that parked fetch now with what is there.
 *   IPC_LIST_OFFSETS  answered at once.
 *   IPC_CAMPAIGN, IPC_TRANSFER  no-ops for a single replica (it always leads).
 *
 * IPC_STATUS goes out at start, when role, term, leader or log start change,
 * and every second. Retention runs on the same tick. */
#ifndef FJORD_WORKER_REPLICA_H
#define FJORD_WORKER_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "worker/args.h"
#include "worker/fetch_wait.h"
#include "worker/partition.h"
#include "worker/solo.h"
#include "worker/uplink.h"

struct event;
struct event_base;
struct store;

struct pending_produce {
	uint64_t req_id;
	uint64_t index; /* log index of its entry */
	int64_t base_offset;
	int64_t next_offset;
	size_t len;
};

struct replica {
	struct event_base *base;
	const struct worker_args *args; /* borrowed */
	struct store *store;
	struct partition part;
	struct solo solo;
	struct uplink up;
	struct fetch_wait fw;
	struct event *tick;
	struct pending_produce *pend; /* FIFO in index order */
	size_t n_pend, cap_pend;
	struct ipc_status sent; /* last status sent */
	int exit_code;		/* set when the loop is asked to stop */
};

/* Opens the store in args->dir (created if missing), recovers the
 * partition, becomes leader, starts reading ipc_fd and sends the first
 * status. Errors: any store error, ERR_IO, ERR_NOMEM (all logged). */
int replica_init(struct replica *r, struct event_base *base, const struct worker_args *args);

/* Commits any open group, then frees everything. */
void replica_close(struct replica *r);

/* Asks the loop to stop with this exit code. */
void replica_stop(struct replica *r, int exit_code);

#endif
