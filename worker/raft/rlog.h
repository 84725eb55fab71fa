/* rlog.h - the replica's log seen as one sequence: stable entries in the
 * caller's storage, the unstable tail (not yet handed to the driver) in
 * memory, a received log start not yet installed, and the commit and applied
 * indexes.
 *
 * Entries reach storage only through a Ready; the driver may only move the
 * storage's log start forward (compaction). So the core knows the stored last
 * index itself (stable_last) and asks storage only for the first index,
 * terms and entry data. Unstable entries at index i hide stored entries at i
 * and after (the driver truncates them when it persists). */
#ifndef FJORD_RAFT_RLOG_H
#define FJORD_RAFT_RLOG_H

#include "raft.h"

/* Entries handed per Ready at most, whatever max_apply_bytes says. */
#define RLOG_MAX_APPLY_ENTRIES 1024
/* Entry data kept in memory after it is persisted, until applied. */
#define RLOG_CACHE_MAX_BYTES (16u << 20)

/* Reads the stored bounds. Returns 0, ERR_CORRUPT (commit past the log end
 * or applied before the log start) or a storage error. */
int rlog_init(struct raft_log *l, const struct raft_storage *s, uint64_t commit, uint64_t applied);
void rlog_close(struct raft_log *l);

uint64_t rlog_first_index(const struct raft_log *l);
uint64_t rlog_last_index(const struct raft_log *l);
/* 0, ERR_COMPACTED (before the log start) or ERR_UNAVAILABLE (after the
 * end). Other storage errors abort. */
int rlog_term(const struct raft_log *l, uint64_t index, uint64_t *term);
uint64_t rlog_last_term(const struct raft_log *l);
bool rlog_match_term(const struct raft_log *l, uint64_t index, uint64_t term);
/* Raft §5.4.1: a candidate's log is at least as up to date as ours when its
 * last term is higher, or equal with an index at least ours. */
bool rlog_is_up_to_date(const struct raft_log *l, uint64_t last_index, uint64_t last_term);

/* Appends ents (data copied) to the log, first truncating every entry at
 * ents[0].index and after. Aborts if that would remove a committed entry or
 * leave a gap. Returns 0 or ERR_NOMEM (log unchanged). */
int rlog_append(struct raft_log *l, const struct raft_entry *ents, size_t n);
/* Follower side of AppendEntries after the (prev_index, prev_term) check
 * passed: skips entries already present with the same term, truncates at the
 * first conflict and appends the rest. Returns 0 or ERR_NOMEM. */
int rlog_maybe_append(struct raft_log *l, const struct raft_entry *ents, size_t n);
/* Raises commit (never lowers it). Aborts if index is past the log end. */
void rlog_commit_to(struct raft_log *l, uint64_t index);
/* Replaces the whole log by the log start `s` (data copied); commit and
 * applied become s->index. Returns 0 or ERR_NOMEM (log unchanged). */
int rlog_restore(struct raft_log *l, const struct raft_snapshot *s);

/* Entries [lo, hi) into out (room for hi - lo), at most max_bytes of data but
 * at least one entry. Data is borrowed until the next call into storage or
 * change of the log. Returns 0, ERR_COMPACTED or ERR_UNAVAILABLE. */
int rlog_slice(const struct raft_log *l, uint64_t lo, uint64_t hi, size_t max_bytes,
	       struct raft_entry *out, size_t *n_out);

/* True when rlog_slice(lo, hi) would read nothing from storage: every entry
 * is in the stable cache or the unstable tail, so its data stays where it
 * is until the log changes. */
bool rlog_in_memory(const struct raft_log *l, uint64_t lo, uint64_t hi);

/* For a rejected append at `index` (which we hold with term `term`): the
 * first index of `term` in our log, not below commit + 1 (entries up to
 * commit match any leader, so the leader need not go further back). */
uint64_t rlog_first_index_of_term(const struct raft_log *l, uint64_t index, uint64_t term);
/* The largest index j <= hi whose term is <= term; *found_term gets term(j).
 * Returns false when even the log start has a larger term or hi is before
 * the log start. Terms never decrease along a log, so this is a binary
 * search. */
bool rlog_last_index_at_term(const struct raft_log *l, uint64_t term, uint64_t hi, uint64_t *out,
			     uint64_t *found_term);

/* After a Ready: entries up to `index` are now in storage. The log keeps
 * them in memory too (the stable cache) until they are applied, within
 * RLOG_CACHE_MAX_BYTES, and rlog_slice serves them from there. */
void rlog_stable_to(struct raft_log *l, uint64_t index);
/* Drops cached entries that are applied, and the oldest beyond the bound. */
void rlog_cache_trim(struct raft_log *l);
/* After a Ready: the received log start is installed in storage. */
void rlog_snapshot_stable(struct raft_log *l);

#endif
