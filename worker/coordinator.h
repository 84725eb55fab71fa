/* coordinator.h - the group coordinator inside a __consumer_offsets
 * replica: the glue between the pure coordinator (group_coord.h) and the
 * replica's Raft driver, store and supervisor link.
 *
 * Group records travel as ordinary Kafka record batches of the partition's
 * log (so the topic reads like any other), one batch per proposal: every
 * record the coordinator produced during one loop iteration is proposed
 * together (a deferred libevent callback), and the answers that wait for
 * them are released when the entry's index is applied. Every replica feeds
 * the records of every applied entry to its coordinator; at start the
 * records of the committed log are replayed from the store. A new leader
 * answers COORDINATOR_LOAD_IN_PROGRESS until it has applied every entry up
 * to the last one of the log it was elected with (its no-op included).
 * Timers run only on the leader (Raft ticks).
 *
 * Snapshot (every snapshot_threshold applied entries, through sm.h): the
 * partition's, then the groups' applied state (gc_snapshot) at the same
 * index under COORDINATOR_SNAPSHOT: u64 index, u32 n, n records. A restart
 * applies it and replays only the entries after it. */
#ifndef FJORD_WORKER_COORDINATOR_H
#define FJORD_WORKER_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/ipc.h"
#include "worker/group_coord.h"
#include "worker/sm.h"

struct replica;
struct event;

#define COORDINATOR_TOPIC "__consumer_offsets"
/* Most bytes of the groups' JSON report sent each second (the groups
 * beyond it are left out of /v1/status, not of the metrics). */
#define COORDINATOR_REPORT_MAX (256 * 1024)
/* The store snapshot name of the groups' applied state. */
#define COORDINATOR_SNAPSHOT "groups"

struct coordinator {
	struct replica *r; /* borrowed: the owner */
	struct gc gc;
	struct event *flush; /* proposes the records of this loop iteration */
	uint64_t lead_index; /* leader: loaded once this index is applied */
	/* The partition's state machine, wrapped: apply also feeds gc. */
	struct sm inner;
	struct sm_ops ops;
	void *inner_ctx;
};

/* True when the replica's topic is the coordinator's. */
bool coordinator_topic(const char *topic);

/* Sets up c for r and replays the committed log (entries up to the
 * partition's commit index) into it; then wraps *sm (the partition's state
 * machine, replaced in place) so that every applied entry reaches it.
 * Returns 0 or a store error. */
int coordinator_init(struct coordinator *c, struct replica *r, struct sm *sm);
void coordinator_close(struct coordinator *c);

/* IPC_GROUP from the supervisor. */
void coordinator_request(struct coordinator *c, const struct ipc_group *q);

/* Leadership changed (the replica's on_changed), entries were applied up
 * to index (on_applied), a Raft tick passed (leader timers). */
void coordinator_changed(struct coordinator *c, bool leader);
void coordinator_applied(struct coordinator *c, uint64_t index);
void coordinator_tick(struct coordinator *c);

/* Sends IPC_GROUP_STATUS (the replica's once-a-second tick). */
void coordinator_status(struct coordinator *c);

#endif
