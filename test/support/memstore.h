/* memstore.h - the one in-memory Raft store of the tests: a Raft log, hard
 * state and log start that survive a simulated crash (everything written
 * counts as synced; what the core held only in memory is lost).
 *
 * Used by the Raft unit tests (test/unit/test_raft_fixture.h) and the
 * simulation (test/sim), both as the core's struct raft_storage (iface)
 * and as the Raft driver's log (worker/log_store.h, memstore_log). As a
 * driver log its transactions are not atomic: every write lands at once
 * and abort undoes nothing, which is enough while nothing in a
 * transaction fails (the simulation injects no storage errors). */
#ifndef FJORD_TEST_MEMSTORE_H
#define FJORD_TEST_MEMSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "worker/log_store.h"
#include "worker/raft/raft.h"

struct memstore {
	struct raft_hard_state hs;
	uint64_t start_index; /* log start: last index in the snapshot */
	uint64_t start_term;
	uint8_t *snap; /* state-machine bytes at start_index (owned) */
	size_t snap_len;
	struct raft_entry *ents; /* ents[i].index == start_index + 1 + i; data owned */
	size_t n, cap;
	struct raft_storage iface; /* ctx points here */
};

void memstore_init(struct memstore *s);
void memstore_free(struct memstore *s);
uint64_t memstore_last(const struct memstore *s);
/* Term at index (start_index..last), or -1 when absent. */
int64_t memstore_term_at(const struct memstore *s, uint64_t index);
/* Truncates from ents[0].index and appends copies. Returns 0 or ERR_*. */
int memstore_append(struct memstore *s, const struct raft_entry *ents, size_t n);
/* Replaces everything with the log start (data copied). */
int memstore_install(struct memstore *s, const struct raft_snapshot *snap);
/* Drops entries up to index (start_index < index <= last), recording the
 * state-machine bytes at index (copied). */
int memstore_compact(struct memstore *s, uint64_t index, const uint8_t *snap, size_t len);
/* The store as a Raft driver's log (ctx = s). */
struct log_store memstore_log(struct memstore *s);

#endif
