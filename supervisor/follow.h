/* follow.h - following the committed catalog.
 *
 * A catalog arrives from the local `__controller` worker (IPC_CATALOG):
 * a voter on the first `controller_voters` nodes of [cluster], a
 * non-voting learner on every other node (topics_controller_learners).
 * Only a node beyond the worker's member bound (64) holds no replica and
 * takes it from a voter's supervisor (PEER_CATALOG). The newer version
 * replaces the one held (topics.h), and
 * then this node's workers follow it (follow_reconcile):
 *   - each partition replica the catalog assigns here gets a worker,
 *     started with the stored replica list as its voters;
 *   - a worker whose topic is gone, or whose topic id changed (deleted and
 *     re-created), is stopped and its data directory removed (a re-created
 *     topic's replica then starts empty);
 *   - a worker whose effective settings changed (ALTER_CONFIGS, or a global
 *     default they inherit) restarts with the new ones;
 *   - the controller's own worker runs on its voters and learners.
 * A voter's supervisor sends each new catalog, and every 2 s the current
 * one, to the nodes (beyond the member bound) that hold no controller
 * replica; with up to 64 nodes it sends none. */
#ifndef FJORD_SUP_FOLLOW_H
#define FJORD_SUP_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

struct sup;

/* Sets up the controller's modules for s (proposals, desired state, the
 * catalog hooks), starts the controller's worker when this node is a
 * voter or a learner and asks for the first desired-state pass. 0 or ERR_NOMEM. */
int follow_start(struct sup *s);
void follow_stop(struct sup *s);

/* A committed catalog (catalog_encode bytes, borrowed). */
void follow_on_catalog(struct sup *s, const uint8_t *data, size_t len, int32_t from_node);

/* Calls cb(ctx) once this node follows catalog version `version` or
 * later, or after timeout_ms (whichever first; never inside this call):
 * an admin request answers after its change is visible here, so the
 * client's next Metadata on this node shows it. Returns 0 or ERR_NOMEM. */
typedef void (*follow_wait_cb)(void *ctx);
int follow_wait(struct sup *s, uint64_t version, int timeout_ms, follow_wait_cb cb, void *ctx);

/* Brings the workers in line with the catalog and the configuration. */
void follow_reconcile(struct sup *s);

#endif
