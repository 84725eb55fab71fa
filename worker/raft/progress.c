/* progress.c - per-follower replication state kept by the leader, and the
 * bounded window of appends in flight to it (flow control).
 *
 * Knows nothing of messages or the log: replication.c decides what to send,
 * this file only records what was sent and acknowledged. */
#include "progress.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

int progress_init(struct raft_progress *pr, uint64_t id, size_t max_msgs, size_t max_bytes)
{
	memset(pr, 0, sizeof(*pr));
	pr->id = id;
	pr->inflight.cap = max_msgs;
	pr->inflight.max_bytes = max_bytes;
	pr->inflight.last = calloc(max_msgs, sizeof(*pr->inflight.last));
	pr->inflight.bytes = calloc(max_msgs, sizeof(*pr->inflight.bytes));
	if (!pr->inflight.last || !pr->inflight.bytes) {
		progress_close(pr);
		return ERR_NOMEM;
	}
	return 0;
}

void progress_close(struct raft_progress *pr)
{
	free(pr->inflight.last);
	free(pr->inflight.bytes);
	pr->inflight.last = NULL;
	pr->inflight.bytes = NULL;
}

static void inflight_clear(struct raft_inflights *in)
{
	in->start = in->count = in->total_bytes = 0;
}

void progress_reset(struct raft_progress *pr, uint64_t next)
{
	pr->match = 0;
	pr->next = next;
	pr->state = PROGRESS_PROBE;
	pr->probe_sent = false;
	pr->recent_active = false;
	pr->pending_snapshot = 0;
	pr->snapshot_elapsed = 0;
	inflight_clear(&pr->inflight);
}

static void reset_state(struct raft_progress *pr, uint8_t state)
{
	pr->probe_sent = false;
	pr->pending_snapshot = 0;
	pr->snapshot_elapsed = 0;
	pr->state = state;
	inflight_clear(&pr->inflight);
}

void progress_become_probe(struct raft_progress *pr)
{
	/* Leaving SNAPSHOT: the follower holds at least the log start we sent
	 * if it installed it; probing from there costs nothing if it did not. */
	uint64_t next = pr->match + 1;
	if (pr->state == PROGRESS_SNAPSHOT && pr->pending_snapshot + 1 > next)
		next = pr->pending_snapshot + 1;
	reset_state(pr, PROGRESS_PROBE);
	pr->next = next;
}

void progress_become_replicate(struct raft_progress *pr)
{
	reset_state(pr, PROGRESS_REPLICATE);
	pr->next = pr->match + 1;
}

void progress_become_snapshot(struct raft_progress *pr, uint64_t index)
{
	reset_state(pr, PROGRESS_SNAPSHOT);
	pr->pending_snapshot = index;
}

bool progress_maybe_update(struct raft_progress *pr, uint64_t n)
{
	bool updated = false;
	if (pr->match < n) {
		pr->match = n;
		updated = true;
		pr->probe_sent = false;
	}
	if (pr->next < n + 1)
		pr->next = n + 1;
	return updated;
}

bool progress_maybe_decrease(struct raft_progress *pr, uint64_t rejected, uint64_t next_hint)
{
	uint64_t next = next_hint < rejected ? next_hint : rejected;
	if (next < pr->match + 1)
		next = pr->match + 1;
	if (pr->state == PROGRESS_REPLICATE) {
		/* Anything at or below match was accepted before: stale. A
		 * real rejection means appends were lost or the follower
		 * restarted: probe again, from the hinted index. */
		if (rejected <= pr->match)
			return false;
		reset_state(pr, PROGRESS_PROBE);
		pr->next = next;
		return true;
	}
	/* In PROBE only the answer to the last probe counts. */
	if (pr->next == 0 || pr->next - 1 != rejected)
		return false;
	pr->next = next;
	pr->probe_sent = false;
	return true;
}

bool progress_inflight_full(const struct raft_progress *pr)
{
	const struct raft_inflights *in = &pr->inflight;
	return in->count >= in->cap || (in->max_bytes && in->total_bytes >= in->max_bytes);
}

bool progress_is_paused(const struct raft_progress *pr)
{
	switch (pr->state) {
	case PROGRESS_PROBE:
		return pr->probe_sent;
	case PROGRESS_REPLICATE:
		return progress_inflight_full(pr);
	default:
		return true;
	}
}

void progress_sent(struct raft_progress *pr, size_t n, uint64_t last, size_t bytes)
{
	if (pr->state == PROGRESS_REPLICATE) {
		if (n == 0)
			return;
		pr->next = last + 1;
		struct raft_inflights *in = &pr->inflight;
		/* Callers check progress_is_paused first; a full ring here would
		 * be a bug in replication.c, so drop the oldest to stay bounded. */
		if (in->count == in->cap)
			progress_free_first(pr);
		size_t slot = (in->start + in->count) % in->cap;
		in->last[slot] = last;
		in->bytes[slot] = bytes;
		in->count++;
		in->total_bytes += bytes;
	} else if (pr->state == PROGRESS_PROBE && n > 0) {
		pr->probe_sent = true;
	}
}

void progress_free_to(struct raft_progress *pr, uint64_t index)
{
	struct raft_inflights *in = &pr->inflight;
	while (in->count && in->last[in->start] <= index) {
		in->total_bytes -= in->bytes[in->start];
		in->start = (in->start + 1) % in->cap;
		in->count--;
	}
}

void progress_free_first(struct raft_progress *pr)
{
	struct raft_inflights *in = &pr->inflight;
	if (!in->count)
		return;
	in->total_bytes -= in->bytes[in->start];
	in->start = (in->start + 1) % in->cap;
	in->count--;
}

struct raft_progress *progress_find(struct raft *r, uint64_t id)
{
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->prs[i].id == id)
			return &r->prs[i];
	return NULL;
}
