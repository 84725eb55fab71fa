/* store_log.h - the Raft driver's log (log_store.h) over the LMDB store.
 *
 * Maps the driver's calls onto store.h (one write transaction per Ready:
 * group commit) and the core's entries onto stored ones. Each entry's
 * base offset (its offsets-row key) comes from the store's key function
 * (store_options.key: the partition's first-batch baseOffset; none for the
 * controller's log), so the store and its index agree by construction. */
#ifndef FJORD_WORKER_STORE_LOG_H
#define FJORD_WORKER_STORE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "worker/log_store.h"
#include "worker/store.h"

struct store_log {
	struct store *store;	  /* borrowed */
	struct arena arena;	  /* entries read for the core */
	struct store_entry *sbuf; /* entries mapped for store_append */
	size_t sbuf_cap;
	struct log_store log; /* what the driver takes; ctx points here */
};

/* Wraps s (borrowed; it outlives l). */
void store_log_init(struct store_log *l, struct store *s);
void store_log_close(struct store_log *l);

#endif
