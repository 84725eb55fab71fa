/* producer_ids.h - cluster-unique idempotent producer ids without a
 * controller.
 *
 * id = (node id << 40) | counter: nodes never collide because their ids
 * differ, and a node never reuses a counter because the file
 * <data_dir>/producer-ids holds the first counter not yet reserved. Ids are
 * handed out from blocks of PRODUCER_IDS_BLOCK; before the first id of a
 * block is handed out, the new high mark is written to a temporary file,
 * fsynced, renamed over the old one and the directory fsynced. A crash then
 * loses the rest of the block (never more than PRODUCER_IDS_BLOCK ids) but
 * never hands an id out twice.
 *
 * File format: the counter in decimal and a newline. A missing file means
 * counter 0; an unreadable or malformed one is an error (guessing could
 * reuse ids). */
#ifndef FJORD_SUP_PRODUCER_IDS_H
#define FJORD_SUP_PRODUCER_IDS_H

#include <stdbool.h>
#include <stdint.h>

#define PRODUCER_IDS_BLOCK 1000
#define PRODUCER_IDS_FILE "producer-ids"
#define PRODUCER_IDS_NODE_SHIFT 40
#define PRODUCER_IDS_COUNTER_MAX ((int64_t)1 << PRODUCER_IDS_NODE_SHIFT)

struct producer_ids {
	char path[4096]; /* <data_dir>/producer-ids */
	char dir[4096];	 /* data_dir */
	int64_t node_id;
	int64_t next;	  /* next counter to hand out */
	int64_t reserved; /* counters below this are reserved on disk */
	bool loaded;
};

/* Prepares the allocator of node node_id (0 <= node_id < 2^23) over
 * data_dir (borrowed, copied). Reads nothing yet. Errors: ERR_INVALID (node
 * id out of range, path too long). */
int producer_ids_init(struct producer_ids *p, const char *data_dir, int32_t node_id);

/* Hands out the next id. On the first call, and whenever the reserved
 * block is used up, reads the file (first call) and reserves the next
 * block on disk, creating data_dir if needed. Errors: ERR_IO (the file
 * cannot be read or written: no id is handed out), ERR_CORRUPT (the file
 * does not hold a counter), ERR_TOOBIG (the node's 2^40 counters are used
 * up). */
int producer_ids_next(struct producer_ids *p, int64_t *id);

/* The node id part of a producer id. */
int32_t producer_ids_node(int64_t id);

#endif
