/* controller_sm.h - the catalog (common/catalog.h) as a state machine
 * (sm.h): what the `__controller` group's Raft driver applies to.
 *
 * Durable state: the whole encoded catalog, its version being the applied
 * index, saved in the driver's write transaction of each Ready when it
 * changed (the meta snapshot "catalog"); a restart loads it and the driver
 * re-delivers the committed entries after it. The catalog is small (a few
 * hundred bytes per topic), so saving it whole is simpler than a log of
 * deltas and keeps "applied" exactly what is on disk.
 *
 * Snapshot (every snapshot_threshold applied entries): the log up to the
 * applied index is compacted away and the catalog at that point is kept as
 * "catalog_start", which start_state sends to a follower behind the log
 * start; install_store / install make that follower's catalog the leader's.
 *
 * Every applied command's result goes to the owner's callback (the worker
 * answers the proposal it came from and pushes the new catalog to its
 * supervisor). */
#ifndef FJORD_WORKER_CONTROLLER_SM_H
#define FJORD_WORKER_CONTROLLER_SM_H

#include <stdint.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "worker/sm.h"

struct store;

/* index: the entry's Raft index; res borrowed for the call. Also called
 * for entries that are not commands (res->error 0, nothing changed). */
typedef void (*controller_applied_cb)(void *ctx, uint64_t index, const struct catalog_result *res);

struct controller_sm {
	struct store *store; /* borrowed */
	struct catalog cat;
	uint64_t saved;		 /* version last written by save */
	uint64_t snapshot_index; /* log start of the last compaction, 0 = none */
	struct buf start;	 /* the catalog at the log start (start_state) */
	struct buf scratch;
	controller_applied_cb on_applied;
	void *ctx;
};

/* Loads the saved catalog from s (borrowed; outlives cs). Returns 0,
 * ERR_CORRUPT (a saved catalog that does not decode), ERR_NOMEM or a store
 * error. */
int controller_sm_open(struct controller_sm *cs, struct store *s, controller_applied_cb cb,
		       void *ctx);
void controller_sm_close(struct controller_sm *cs);

/* The state machine to hand to the driver. */
struct sm controller_sm_sm(struct controller_sm *cs);

#endif
