/* log_store.h - the Raft driver's durable log: the interface it persists
 * through and reads entries back from.
 *
 * The driver knows no store by name: the worker hands it the LMDB store
 * through store_log.c, the simulation an in-memory log
 * (test/support/memstore.c). One Ready is persisted as
 * begin, [state machine install_store], [append], set_hard_state,
 * [state machine save], commit (abort on any error); the read side is the
 * core's struct raft_storage without its snapshot, which the state machine
 * answers (sm.h start_state).
 *
 * Errors as store.h documents them: ERR_NOSPACE leaves the log usable
 * (the driver retries the same Ready), anything else stops the driver. */
#ifndef FJORD_WORKER_LOG_STORE_H
#define FJORD_WORKER_LOG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "worker/raft/raft.h"

struct log_store_ops {
	int (*hard_state)(void *ctx, struct raft_hard_state *out);
	int (*first_index)(void *ctx, uint64_t *out);
	int (*last_index)(void *ctx, uint64_t *out);
	int (*term)(void *ctx, uint64_t index, uint64_t *out);
	/* As struct raft_storage's entries; the data borrows from the log
	 * until the next call. */
	int (*entries)(void *ctx, uint64_t lo, uint64_t hi, size_t max_bytes,
		       struct raft_entry *out, size_t *n_out);
	/* The log start: index and term of the last entry removed. */
	void (*log_start)(void *ctx, uint64_t *index, uint64_t *term);
	int (*begin)(void *ctx);
	/* Entries as raft.h's Ready loop says (a conflicting suffix is
	 * replaced); data copied. */
	int (*append)(void *ctx, const struct raft_entry *e, size_t n);
	int (*set_hard_state)(void *ctx, const struct raft_hard_state *hs);
	int (*commit)(void *ctx);
	void (*abort)(void *ctx);
};

struct log_store {
	const struct log_store_ops *ops;
	void *ctx;
};

#endif
