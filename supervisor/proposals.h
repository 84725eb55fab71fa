/* proposals.h - catalog commands on their way to the controller's leader.
 *
 * A command (common/catalog.h) proposed here is carried to whichever node
 * leads `__controller` and comes back with its applied result: clients of
 * this node never see NOT_CONTROLLER.
 *
 *   - the leader is the one router.c knows for __controller/0 (the local
 *     worker's status and the peers' LEADERS tables);
 *   - when that is this node, or nobody is known and this node has a
 *     controller replica, the local worker gets IPC_CTL_PROPOSE;
 *   - when it is another node, that node's supervisor gets PEER_CTL_PROPOSE
 *     on our channel to it, proposes to its own worker (never forwarding
 *     further) and answers PEER_CTL_RESULT on its channel to us;
 *   - NOT_CONTROLLER (with the leader the replica knows as value), a lost
 *     channel or an attempt unanswered for PROPOSALS_ATTEMPT_MS tries again,
 *     after PROPOSALS_RETRY_MS, until the command's own timeout, which
 *     answers REQUEST_TIMED_OUT.
 *
 * A retried command may have committed once already: catalog commands are
 * written so that a second copy is harmless (registering a node, creating a
 * topic with the same id) or refused (the caller sees what applying it again
 * says, such as UNKNOWN_TOPIC for a second delete). */
#ifndef FJORD_SUP_PROPOSALS_H
#define FJORD_SUP_PROPOSALS_H

#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"

struct sup;
struct proposals;

#define PROPOSALS_RETRY_MS 150
#define PROPOSALS_ATTEMPT_MS 3000

/* The result of a command (borrowed for the call). */
typedef void (*proposal_cb)(void *ctx, const struct catalog_result *res);

/* Creates the table for s and registers for peers' PEER_CTL_* messages.
 * NULL on allocation failure. */
struct proposals *proposals_new(struct sup *s);
/* Frees it; pending commands are dropped without a callback. */
void proposals_free(struct proposals *p);

/* Proposes cmd (len bytes, copied); cb(ctx, result) runs exactly once,
 * later (never inside this call), unless proposals_cancel is called first.
 * Returns an id for proposals_cancel (> 0), or 0 on allocation failure
 * (cb is then not called). */
uint64_t proposals_submit(struct sup *s, const uint8_t *cmd, size_t len, int timeout_ms,
			  proposal_cb cb, void *ctx);

/* Forgets a pending command: its callback will not run (the command itself
 * may still be applied). */
void proposals_cancel(struct sup *s, uint64_t id);

/* Commands waiting. */
int proposals_pending(const struct sup *s);

/* A PEER_CTL_PROPOSE or PEER_CTL_RESULT from node (the payload, borrowed). */
void proposals_on_peer(struct sup *s, int32_t node, int type, const uint8_t *data, size_t len);

#endif
