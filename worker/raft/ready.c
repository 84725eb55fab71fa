/* ready.c - the Ready batch handed to the driver and its acknowledgement.
 *
 * A Ready points into the core (unstable entries, queued messages) plus a
 * copy of the committed entries (some come from storage, whose pointers do
 * not outlive the next storage call). Nothing changes between raft_ready and
 * raft_advance: every mutating entry point refuses to run in between. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariant.h"
#include "outbox.h"
#include "progress.h"
#include "replication.h"
#include "rlog.h"

static bool hs_equal(const struct raft_hard_state *a, const struct raft_hard_state *b)
{
	return a->term == b->term && a->vote == b->vote && a->commit == b->commit;
}

bool raft_has_ready(const struct raft *r)
{
	if (r->in_ready)
		return false;
	const struct raft_log *l = &r->log;
	struct raft_hard_state hs = {r->term, r->vote, l->commit};
	return (r->bcast_pending && r->role == RAFT_LEADER) || r->out.n || l->n_u || l->has_snap ||
	       !hs_equal(&hs, &r->persisted) || l->commit > l->applied;
}

/* Hands the next committed entries (applied, commit] to the Ready. When they
 * are all in the log's memory (the stable cache or the unstable tail: the
 * usual case, just persisted) the Ready points at them: the log does not
 * change until raft_advance (step, tick and propose refuse while a Ready is
 * out) and advance frees them only after the driver has applied. Otherwise
 * they are copied into one block owned by the Ready, since storage's
 * pointers last only until its next call. Out of memory hands none this
 * time; they come next time. */
static void collect_committed(struct raft *r, struct raft_ready *rd)
{
	struct raft_log *l = &r->log;
	if (l->commit <= l->applied)
		return;
	uint64_t lo = l->applied + 1, hi = l->commit + 1;
	if (hi - lo > RLOG_MAX_APPLY_ENTRIES)
		hi = lo + RLOG_MAX_APPLY_ENTRIES;
	struct raft_entry *tmp = malloc((size_t)(hi - lo) * sizeof(*tmp));
	if (!tmp)
		return;
	size_t n = 0;
	int rc = rlog_slice(l, lo, hi, r->max_apply_bytes ? r->max_apply_bytes : SIZE_MAX, tmp, &n);
	RAFT_CHECK(r, rc == 0, "committed entries [%llu, %llu) unreadable: %d",
		   (unsigned long long)lo, (unsigned long long)hi, rc);
	if (n > 0 && rlog_in_memory(l, lo, lo + n)) {
		rd->committed = tmp;
		rd->n_committed = n;
		r->ready_committed_block = tmp;
		r->ready_applied = tmp[n - 1].index;
		return;
	}
	size_t size = n * sizeof(*tmp);
	for (size_t i = 0; i < n; i++)
		size += tmp[i].data_len;
	void *block = malloc(size);
	if (!block) {
		free(tmp);
		return;
	}
	struct raft_entry *out = block;
	uint8_t *p = (uint8_t *)block + n * sizeof(*tmp);
	for (size_t i = 0; i < n; i++) {
		out[i] = tmp[i];
		out[i].data = NULL;
		if (tmp[i].data_len) {
			memcpy(p, tmp[i].data, tmp[i].data_len);
			out[i].data = p;
			p += tmp[i].data_len;
		}
	}
	free(tmp);
	rd->committed = out;
	rd->n_committed = n;
	r->ready_committed_block = block;
	r->ready_applied = out[n - 1].index;
}

void raft_ready(struct raft *r, struct raft_ready *rd)
{
	RAFT_CHECK(r, !r->in_ready, "raft_ready called again before raft_advance");
	replication_flush_bcast(r);
	struct raft_log *l = &r->log;
	memset(rd, 0, sizeof(*rd));
	rd->hard_state = (struct raft_hard_state){r->term, r->vote, l->commit};
	rd->hard_state_changed = !hs_equal(&rd->hard_state, &r->persisted);
	if (l->has_snap) {
		rd->has_snapshot = true;
		rd->snapshot = l->snap;
	}
	rd->entries = l->n_u ? l->u : NULL;
	rd->n_entries = l->n_u;
	rd->messages = r->out.n ? r->out.msgs : NULL;
	rd->n_messages = r->out.n;
	r->ready_committed_block = NULL;
	r->ready_applied = 0;
	collect_committed(r, rd);
	rd->must_sync = rd->hard_state.term != r->persisted.term ||
			rd->hard_state.vote != r->persisted.vote || rd->n_entries ||
			rd->has_snapshot;
	r->ready_n_entries = l->n_u;
	r->ready_last_index = l->n_u ? rlog_last_index(l) : 0;
	r->in_ready = true;
}

/* A leader counts its own copy of an entry towards the majority only once
 * it is durable: its appends may leave before its own write (see
 * raft_msg_sendable_early), and a majority that counted an unwritten copy
 * could lose an acknowledged entry in a crash. */
static void count_own_copy(struct raft *r)
{
	if (r->role != RAFT_LEADER)
		return;
	progress_maybe_update(progress_find(r, r->id), r->ready_last_index);
	if (replication_maybe_commit(r))
		replication_schedule_bcast(r, true); /* tell everyone the new commit */
}

void raft_advance(struct raft *r, const struct raft_ready *rd)
{
	RAFT_CHECK(r, r->in_ready, "raft_advance without raft_ready");
	struct raft_log *l = &r->log;
	r->persisted = rd->hard_state;
	if (rd->has_snapshot)
		rlog_snapshot_stable(l);
	if (r->ready_n_entries) {
		rlog_stable_to(l, r->ready_last_index);
		count_own_copy(r);
	}
	if (r->ready_applied) {
		RAFT_CHECK(r, r->ready_applied <= l->commit, "applied %llu past commit %llu",
			   (unsigned long long)r->ready_applied, (unsigned long long)l->commit);
		l->applied = r->ready_applied;
		rlog_cache_trim(l);
	}
	free(r->ready_committed_block);
	r->ready_committed_block = NULL;
	r->ready_applied = 0;
	r->ready_n_entries = 0;
	r->ready_last_index = 0;
	outbox_clear(&r->out);
	r->in_ready = false;
}

void raft_unready(struct raft *r)
{
	RAFT_CHECK(r, r->in_ready, "raft_unready without raft_ready");
	/* The committed entries are collected again; the unstable log, the
	 * outbox and `persisted` were never moved by raft_ready. */
	free(r->ready_committed_block);
	r->ready_committed_block = NULL;
	r->ready_applied = 0;
	r->ready_n_entries = 0;
	r->ready_last_index = 0;
	r->in_ready = false;
}
