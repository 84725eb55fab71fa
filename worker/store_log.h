/* store_log.h - the Raft driver's log (log_store.h) over the LMDB store.
 *
 * Maps the driver's calls onto store.h (one write transaction per Ready:
 * group commit) and the core's entries onto stored ones. What a stored
 * entry's offsets row says comes from the state machine that owns the
 * log's payloads: `base_offset` gives the key of a payload (the partition:
 * its first batch's Kafka base offset), or NULL for a log without an
 * offsets index. */
#ifndef FJORD_WORKER_STORE_LOG_H
#define FJORD_WORKER_STORE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "worker/log_store.h"
#include "worker/store.h"

struct store_log {
	struct store *store; /* borrowed */
	store_key_fn key;
	struct arena arena;	  /* entries read for the core */
	struct store_entry *sbuf; /* entries mapped for store_append */
	size_t sbuf_cap;
	struct log_store log; /* what the driver takes; ctx points here */
};

/* Wraps s (borrowed; it outlives l). key may be NULL. */
void store_log_init(struct store_log *l, struct store *s, store_key_fn key);
void store_log_close(struct store_log *l);

#endif
