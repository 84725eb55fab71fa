/* liveness.h - node-level liveness for the local workers: telling every
 * worker when a peer node is considered dead or alive again
 * (IPC_PEER_NODE), so that quiet Raft groups, which send no heartbeats,
 * still notice their leader's node going away (worker/quiet.h).
 *
 * peers.c decides (a peer's channel silent for SILENCE_MS, or ended as a
 * crash's does; alive again when its LEADERS table arrives) and calls this
 * once per change, not per tick: one message per worker per change. */
#ifndef FJORD_SUP_LIVENESS_H
#define FJORD_SUP_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

struct sup;

/* Sends IPC_PEER_NODE{node, alive, crashed} to every serving local worker.
 * Returns how many were told. */
int liveness_tell_workers(struct sup *s, int32_t node, bool alive, bool crashed);

#endif
