/* replica.h - one partition replica process: the pieces wired together.
 *
 * Owns the store, the partition and its state machine (partition_sm.c:
 * what the Raft driver applies to), the Raft driver (raft_driver.c) and its
 * transport to the other replicas, the uplink to the supervisor, the
 * parked fetches and the one-second tick, and maps each ipc request onto
 * them:
 *
 *   IPC_PRODUCE       leader only (others: NOT_LEADER_OR_FOLLOWER): check
 *                     idempotent batches' epoch and sequence (idem.c; a
 *                     duplicate is answered with its original offset once
 *                     that is committed, and not appended), validate,
 *                     assign offsets and leader epoch (= term) in the batch
 *                     (partition), propose. acks=-1 is answered once the
 *                     entry is committed and applied, acks=1 and 0 once the
 *                     leader's own append is durable (the supervisor drops
 *                     the acks=0 answer). An acks=-1 request not committed
 *                     within its timeout gets REQUEST_TIMED_OUT; requests
 *                     pending when leadership is lost get
 *                     NOT_LEADER_OR_FOLLOWER; a store that cannot take the
 *                     group answers KAFKA_STORAGE_ERROR.
 *   IPC_FETCH         leader only; answered at once when min_bytes are
 *                     available, when max_wait_ms <= 0 or min_bytes <= 0,
 *                     or on error; otherwise parked until commits bring
 *                     min_bytes, the wait ends, IPC_FETCH_CANCEL arrives or
 *                     leadership is lost.
 *   IPC_FETCH_CANCEL  answers that parked fetch now with what is there.
 *   IPC_LIST_OFFSETS  leader only; answered at once.
 *   IPC_CAMPAIGN      a replica that is not leader campaigns now (the
 *                     supervisor knows the leader died).
 *   IPC_TRANSFER      a leader hands leadership to target_node; -1 drains:
 *                     to the most caught-up live follower, and for
 *                     DRAIN_MS any leadership won back is handed on again.
 *
 * Leadership policy (first election, balance, drain, campaigns) is in
 * leadership.c.
 *
 * IPC_STATUS goes out at start, when role, term, leader, log start or
 * caught_up change, and every second. Retention runs on the same tick. */
#ifndef FJORD_WORKER_REPLICA_H
#define FJORD_WORKER_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/ipc.h"
#include "worker/args.h"
#include "worker/controller.h"
#include "worker/coordinator.h"
#include "worker/fetch_wait.h"
#include "worker/idem.h"
#include "worker/leadership.h"
#include "worker/partition.h"
#include "worker/partition_sm.h"
#include "worker/quiet.h"
#include "worker/raft_driver.h"
#include "worker/store_log.h"
#include "worker/transport.h"
#include "worker/uplink.h"

struct event;
struct event_base;
struct store;

struct pending_produce {
	uint64_t req_id;
	uint64_t index; /* log index of its entry */
	int64_t base_offset;
	int64_t append_time; /* LogAppendTime topics: the batches' stamp; else -1 */
	int64_t deadline_ms; /* monotonic; INT64_MAX = none */
	bool answered;	     /* timed out already; dropped when reached */
};

/* Produce requests waiting for their entry, in index order. */
/* A DeleteRecords waiting for its delete command to commit and apply. */
struct pending_delete {
	uint64_t req_id;
	uint64_t index;	     /* log index of the command */
	int64_t deadline_ms; /* monotonic */
};

struct pend_queue {
	struct pending_produce *v;
	size_t n, cap;
};

struct replica {
	struct event_base *base;
	/* Borrowed; the caller keeps it alive and lets IPC_CONFIG update the
	 * keys of args->cfg that apply live. */
	struct worker_args *args;
	struct store *store;
	struct partition part;
	struct transport tp;
	bool tp_up;
	struct raft_driver drv;
	bool drv_up;
	struct uplink up;
	struct fetch_wait fw;
	struct event *tick;
	bool status_slow;	   /* tick is armed for IPC_STATUS_QUIET_MS (the group is quiet) */
	struct pend_queue durable; /* acks 0 and 1: answered when persisted */
	struct pend_queue commit;  /* acks -1: answered when applied */
	struct pending_delete *dels; /* DeleteRecords, in index order */
	size_t n_dels, cap_dels;
	struct ipc_status sent; /* last status sent */
	int exit_code;		/* set when the loop is asked to stop */
	int32_t voters[WORKER_MAX_REPLICAS];
	int n_voters;
	struct leadership lead;
	struct quiet quiet; /* quiescence policy and node liveness (quiet.h) */
	struct idem idem;   /* idempotent producers: committed and leader tables */
	bool idem_up;
	struct partition_sm psm; /* partition + idem as the driver's state machine */
	struct sm sm;
	struct store_log slog; /* the store as the driver's log */
	bool slog_up;
	/* __consumer_offsets replicas: the group coordinator. */
	struct coordinator coord;
	bool coord_up;
	/* `__controller`: the catalog (controller.c) is the state machine
	 * instead of the partition, which then stays empty. */
	bool is_ctl;
	struct controller ctl;
	bool ctl_up;
};

/* Opens the store in args->dir (created if missing), recovers the
 * partition, starts Raft (electing itself when it is the only voter),
 * starts reading ipc_fd and sends the first status. Errors: any store
 * error, ERR_IO, ERR_NOMEM, ERR_CONFIG (all logged). */
int replica_init(struct replica *r, struct event_base *base, struct worker_args *args);

/* Persists what Raft has pending, then frees everything. */
void replica_close(struct replica *r);

/* Asks the loop to stop with this exit code. */
void replica_stop(struct replica *r, int exit_code);

#endif
