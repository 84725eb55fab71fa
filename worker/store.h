/* store.h - the durable state of one partition replica: an LMDB environment.
 *
 * One environment per replica, in the replica's directory, with three
 * databases (the design contract's storage section):
 *   log      raft index (u64 BE) -> {term u64 BE, kind u8, payload}
 *   offsets  Kafka base offset (u64 BE) -> raft index (u64 BE), one row per
 *            data entry, or per STORE_OFFSETS_EVERY of them (sparse, with a
 *            key function), written in the same transaction as the entry
 *   meta     hard state (term, vote), log start (index, term, Kafka offset),
 *            applied index, and named snapshots of internal state machines
 *
 * It is a Raft log store first: a driver appends entries (truncating a
 * conflicting suffix), saves the hard state and reads entries and terms back.
 * partition.c reads the same log through the offsets index. It knows nothing
 * of Kafka batches beyond the base offset the caller hands it.
 *
 * Writes are grouped: store_txn_begin opens one write transaction, any number
 * of appends and meta updates join it, store_txn_commit commits it and (with
 * sync) makes it durable with one flush. That is the group commit: all appends
 * of one event-loop iteration share one transaction and one fsync. A mutating
 * call made outside begin/commit runs in its own transaction.
 *
 * Failure inside a batch is all-or-nothing: the first failing call aborts the
 * whole transaction (nothing of the batch is stored), returns its error, and
 * every later call of the batch, including store_txn_commit, returns the same
 * error. ERR_NOSPACE (LMDB map full, or disk full) leaves the store usable:
 * later batches succeed once room returns.
 *
 * Reads see the open write transaction when there is one (a driver reads its
 * own writes), otherwise the last commit. Values read from LMDB are copied out
 * before the read ends, except in store_scan, whose callback borrows them
 * (documented there). Not thread-safe; fjord has no threads. */
#ifndef FJORD_STORE_H
#define FJORD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct buf;
struct store;

#define STORE_MAP_SIZE_DEFAULT ((size_t)1 << 30)

/* Entry kinds kept in the log. The Raft driver maps the core's kinds onto
 * these; only DATA entries carry a Kafka record batch and an offsets row. */
enum store_kind {
	STORE_KIND_DATA = 0,   /* payload: Kafka record batches, offsets assigned */
	STORE_KIND_NOOP = 1,   /* appended by a new leader; empty payload */
	STORE_KIND_CONFIG = 2, /* membership change (issue 4 and later) */
	/* A state-machine command without Kafka records (RAFT_ENTRY_COMMAND):
	 * the partition's "move the log start" of DeleteRecords. */
	STORE_KIND_COMMAND = 3,
};

/* The Kafka base offset a stored payload of kind `kind` starts at, or -1
 * for a payload without one (the partition: its first batch's baseOffset). */
typedef int64_t (*store_key_fn)(uint8_t kind, const uint8_t *data, size_t len);

/* Data entries between two offsets rows when the store has a key function.
 * A row is one more B-tree leaf (and its parents) to copy and flush in the
 * transaction that writes it; a sparse index, as Kafka's own offset index
 * is, writes one row per this many data entries and finds the others by
 * reading the entries after the row (at most this many). */
#define STORE_OFFSETS_EVERY 32

struct store_options {
	size_t map_size; /* bytes the store may grow to; 0 = STORE_MAP_SIZE_DEFAULT */
	bool sync;	 /* true (sync = always): a commit is durable when it returns */
	/* NULL: an offsets row for every data entry (the index alone answers
	 * lookups). Set: a sparse index, one row per STORE_OFFSETS_EVERY data
	 * entries; lookups read the entries after a row and ask `key` for
	 * their base offsets, which must equal the base_offset they were
	 * appended with. */
	store_key_fn key;
};

struct store_entry {
	uint64_t index;
	uint64_t term;
	uint8_t kind;	     /* enum store_kind */
	int64_t base_offset; /* Kafka base offset: an offsets row is written when
			      * >= 0 (data entries); -1 = none. Not stored in the
			      * log value: store_scan/store_entries report -1. */
	const uint8_t *data; /* borrowed, see each function */
	size_t len;
};

struct store_hard_state {
	uint64_t term;
	uint64_t vote;	 /* node id voted for in term, 0 = none */
	uint64_t commit; /* last known commit index (Raft's optional third field) */
};

/* Where the log starts. Entries up to and including `index` were removed from
 * the front (retention or a snapshot); the first stored entry is index + 1.
 * `term` is the term of entry `index`, kept so Raft can still check it.
 * `kafka_offset` is the first Kafka offset still stored (the Kafka log start
 * offset). A fresh store has {0, 0, 0}. */
struct store_log_start {
	uint64_t index;
	uint64_t term;
	int64_t kafka_offset;
};

/* The base offset the store's key function gives a payload, -1 without
 * one: what a caller appending the payload passes as its base_offset. */
int64_t store_base_offset(const struct store *s, uint8_t kind, const uint8_t *data, size_t len);

/* Opens (creating if needed) the environment in the existing directory dir
 * and takes an exclusive lock on it, so two workers can never write the same
 * replica. *out is the new store, freed by store_close. Errors: ERR_IO
 * (directory missing, lock held by another process, I/O failure), ERR_CORRUPT
 * (not an LMDB file, or meta and log disagree), ERR_NOMEM, ERR_NOSPACE. */
int store_open(const char *dir, const struct store_options *opt, struct store **out);

/* Aborts any open batch and closes the environment. NULL is allowed. */
void store_close(struct store *s);

/* --- writes ------------------------------------------------------------ */

/* Starts a write batch. Errors: ERR_INVALID (a batch is already open),
 * ERR_NOSPACE, ERR_IO. */
int store_txn_begin(struct store *s);

/* Commits the batch and, with sync, flushes it to disk before returning.
 * Returns the batch's first error if any call in it failed (nothing was
 * stored), ERR_INVALID when no batch is open, ERR_NOSPACE (map or disk full:
 * nothing stored), or ERR_IO when the commit or the flush failed; after a
 * failed flush what reached the disk is unknown and the caller should stop. */
int store_txn_commit(struct store *s);

/* Drops the open batch and everything written in it. No-op without one. */
void store_txn_abort(struct store *s);

/* True between store_txn_begin and store_txn_commit/abort. */
bool store_in_txn(const struct store *s);

/* Appends entries[0..n), whose indexes must be consecutive, and starts at or
 * before last_index + 1. Entries already in the log with the same index and
 * term are kept as they are (Raft's log matching property makes them equal);
 * at the first index whose term differs, that entry and every later one are
 * deleted with their offsets rows, then the rest is written. Entries at or
 * below the log start are ignored (already compacted, hence committed).
 * Entries with base_offset >= 0 are data entries and get an offsets row
 * (every one, or one per STORE_OFFSETS_EVERY with a key function); base
 * offsets must increase with the index. Data is copied. Errors: ERR_INVALID (n == 0,
 * indexes not consecutive, a gap after the last index, base offsets not
 * increasing), ERR_NOSPACE, ERR_IO, ERR_CORRUPT. */
int store_append(struct store *s, const struct store_entry *entries, size_t n);

/* Saves the hard state. Errors: ERR_NOSPACE, ERR_IO. */
int store_set_hard_state(struct store *s, const struct store_hard_state *hs);

/* Saves the index of the last entry applied to the state machine.
 * Errors: ERR_NOSPACE, ERR_IO. */
int store_set_applied(struct store *s, uint64_t index);

/* Saves (replaces) the named snapshot bytes (name: 1..64 chars).
 * Errors: ERR_INVALID (bad name), ERR_NOSPACE, ERR_IO. */
int store_put_snapshot(struct store *s, const char *name, const void *data, size_t len);

/* Removes entries up to and including upto_index from the front, with their
 * offsets rows, and moves the log start to {upto_index, its term,
 * kafka_offset}; kafka_offset is the first Kafka offset that stays (the
 * caller knows it: the base offset of the next data entry, or the end of the
 * log when nothing stays). upto_index at or below the current log start is a
 * no-op. Errors: ERR_UNAVAILABLE (upto_index > last index), ERR_INVALID
 * (kafka_offset below the current log start offset), ERR_NOSPACE, ERR_IO. */
int store_compact(struct store *s, uint64_t upto_index, int64_t kafka_offset);

/* store_compact, saving the named snapshot bytes (as store_put_snapshot) in
 * the same transaction, so state that describes the log start (a checksum
 * of what was removed) changes atomically with it. Same errors, plus
 * ERR_INVALID for a bad name. A no-op compaction saves nothing. */
int store_compact_snapshot(struct store *s, uint64_t upto_index, int64_t kafka_offset,
			   const char *name, const void *data, size_t len);

/* Discards the whole log and sets a new log start, for a replica that
 * installs a leader's snapshot after falling behind its log start. Errors:
 * ERR_NOSPACE, ERR_IO. */
int store_reset(struct store *s, const struct store_log_start *ls);

/* --- reads ------------------------------------------------------------- */

/* Index of the first stored entry: log start index + 1 (it may exceed
 * store_last_index when the log is empty). */
uint64_t store_first_index(const struct store *s);

/* Index of the last entry, or the log start index when the log is empty. */
uint64_t store_last_index(const struct store *s);

/* Term of the entry at index; the log start index answers the log start
 * term (0 for index 0 of a fresh log). Errors: ERR_COMPACTED (index below the
 * log start), ERR_UNAVAILABLE (index > last index), ERR_IO, ERR_CORRUPT. */
int store_term(struct store *s, uint64_t index, uint64_t *term);

void store_hard_state(const struct store *s, struct store_hard_state *hs);
void store_log_start(const struct store *s, struct store_log_start *ls);
uint64_t store_applied(const struct store *s);

/* Copies the named snapshot into out (reset first). Errors: ERR_NOTFOUND,
 * ERR_INVALID (bad name), ERR_NOMEM, ERR_IO. */
int store_get_snapshot(struct store *s, const char *name, struct buf *out);

/* Calls cb for each entry lo <= index < hi in order (hi may be UINT64_MAX),
 * stopping early when cb returns non-zero. The entry, its data included,
 * BORROWS from LMDB and is valid only during the callback; cb may call other
 * read functions of this store but must not write to it. Returns 0 (also
 * when cb stopped with a positive value), cb's negative value, ERR_COMPACTED
 * (lo below the first index), ERR_IO, ERR_CORRUPT. */
typedef int (*store_scan_cb)(void *ctx, const struct store_entry *e);
int store_scan(struct store *s, uint64_t lo, uint64_t hi, store_scan_cb cb, void *ctx);

/* Copies entries lo <= index < hi, at most max_bytes of payload but always at
 * least one, into *out (an array of *n entries); array and data are
 * allocated in arena a (owned by it). Errors: ERR_INVALID (lo >= hi),
 * ERR_COMPACTED (lo below the first index), ERR_UNAVAILABLE (hi > last + 1),
 * ERR_NOMEM, ERR_IO, ERR_CORRUPT. */
int store_entries(struct store *s, uint64_t lo, uint64_t hi, size_t max_bytes, struct arena *a,
		  struct store_entry **out, size_t *n);

/* Finds the data entry holding Kafka offset kafka_offset: the one with the
 * largest base offset <= kafka_offset. Sets *base_offset and *index.
 * Errors: ERR_NOTFOUND (no data entry at or below it), ERR_IO,
 * ERR_CORRUPT. */
int store_offset_floor(struct store *s, int64_t kafka_offset, int64_t *base_offset,
		       uint64_t *index);

/* Finds the last data entry whose index is <= max_index (UINT64_MAX: the
 * last one). Walks the offsets rows back from the end, so it is cheap when
 * max_index is near the end. Errors: ERR_NOTFOUND, ERR_IO, ERR_CORRUPT. */
int store_offset_last(struct store *s, uint64_t max_index, int64_t *base_offset, uint64_t *index);

/* Sets *bytes to the space the log and offsets databases take (their pages
 * times the page size): what retention by size compares against. Errors:
 * ERR_IO. */
int store_size(struct store *s, uint64_t *bytes);

/* Sets *used to the bytes of the data file in use (the pages up to the last
 * one LMDB has used, times the page size; free pages inside count, as LMDB
 * reuses them before growing) and *map to the configured map size, the
 * limit *used runs into (operators watch used / map). Errors: ERR_IO. */
int store_usage(struct store *s, uint64_t *used, uint64_t *map);

#endif
