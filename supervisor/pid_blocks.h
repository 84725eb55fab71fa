/* pid_blocks.h - idempotent producer ids from blocks the controller hands
 * out.
 *
 * A node asks the controller for a block of PID_BLOCK_SIZE ids
 * (ALLOC_PRODUCER_IDS, one Raft round trip per block) and hands them out
 * one by one; requests that arrive while no block is held wait for the
 * next. The catalog records every block given, so no two nodes, and no
 * node before and after a restart, ever hand out the same id (a restart or
 * crash forgets the rest of its block). Blocks start above every id the
 * per-node counters of older releases gave (node_id << 40 | counter,
 * supervisor/producer_ids.c, still used where no controller runs). */
#ifndef FJORD_SUP_PID_BLOCKS_H
#define FJORD_SUP_PID_BLOCKS_H

#include <stdint.h>

struct sup;

#define PID_BLOCK_SIZE 1000
#define PID_BLOCK_TIMEOUT_MS 10000

/* id >= 0, or -1 when no block could be had (retriable for the client). */
typedef void (*pid_blocks_cb)(void *ctx, int64_t id);

/* Gets the next id: cb runs at once when the node holds a block, else
 * once the controller answered. */
void pid_blocks_next(struct sup *s, pid_blocks_cb cb, void *ctx);

void pid_blocks_free(struct sup *s);

#endif
