/* transfer.h - leadership transfer (dissertation §3.10): the leader brings
 * the target up to date, then sends TIMEOUT_NOW so it campaigns at once. */
#ifndef FJORD_RAFT_TRANSFER_H
#define FJORD_RAFT_TRANSFER_H

#include "raft.h"

/* Sends TIMEOUT_NOW to the transfer target once it matches our whole log.
 * Sent once per transfer. */
void transfer_maybe_timeout_now(struct raft *r, struct raft_progress *pr);
/* Gives up the transfer under way (proposals are accepted again). */
void transfer_abort(struct raft *r);

#endif
