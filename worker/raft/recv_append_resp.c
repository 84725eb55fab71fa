/* recv_append_resp.c - the leader handling APPEND_RESP (also the answer to
 * SNAPSHOT) and HEARTBEAT_RESP: moving the follower's match and next,
 * back-tracking after a rejection, advancing commit, and keeping the
 * follower's pipeline full. */
#include "common/err.h"
#include "invariant.h"
#include "progress.h"
#include "recv.h"
#include "replication.h"
#include "rlog.h"
#include "transfer.h"

/* Where to resume after a rejection, from the follower's hints: if we hold
 * entries of the follower's conflicting term, resume after our last one
 * (everything up to it matches); otherwise resume at the follower's first
 * index of that term, skipping the whole conflicting term at once. */
static uint64_t next_from_hint(struct raft *r, const struct raft_message *m)
{
	if (m->hint_term == 0)
		return m->hint_index;
	uint64_t j = 0, t = 0;
	if (rlog_last_index_at_term(&r->log, m->hint_term, m->index, &j, &t) && t == m->hint_term)
		return j + 1;
	return m->hint_index;
}

int recv_append_response(struct raft *r, const struct raft_message *m)
{
	if (r->role != RAFT_LEADER)
		return 0;
	struct raft_progress *pr = progress_find(r, m->from);
	pr->recent_active = true;
	if (m->reject) {
		if (progress_maybe_decrease(pr, m->index, next_from_hint(r, m)))
			replication_send_append(r, pr, true);
		return 0;
	}
	RAFT_CHECK(r, m->index <= rlog_last_index(&r->log),
		   "follower %llu claims index %llu past our last %llu",
		   (unsigned long long)m->from, (unsigned long long)m->index,
		   (unsigned long long)rlog_last_index(&r->log));
	bool was_paused = progress_is_paused(pr);
	if (!progress_maybe_update(pr, m->index))
		return 0;
	switch (pr->state) {
	case PROGRESS_PROBE:
		progress_become_replicate(pr);
		break;
	case PROGRESS_SNAPSHOT:
		if (pr->match >= pr->pending_snapshot) {
			progress_become_probe(pr);
			progress_become_replicate(pr);
		}
		break;
	case PROGRESS_REPLICATE:
		progress_free_to(pr, m->index);
		break;
	}
	if (replication_maybe_commit(r))
		replication_schedule_bcast(r, true); /* tell everyone the new commit */
	else if (was_paused)
		replication_send_append(r, pr, true); /* it missed the commit news */
	/* Keep the window full. Bounded: each send moves next or pauses. */
	while (replication_send_append(r, pr, false)) {
	}
	if (m->from == r->transfer_target)
		transfer_maybe_timeout_now(r, pr);
	return 0;
}

int recv_heartbeat_response(struct raft *r, const struct raft_message *m)
{
	if (r->role != RAFT_LEADER)
		return 0;
	struct raft_progress *pr = progress_find(r, m->from);
	pr->recent_active = true;
	pr->probe_sent = false;
	if (pr->state == PROGRESS_REPLICATE && progress_inflight_full(pr))
		progress_free_first(pr);
	/* Sent even when empty: if the follower lost appends we believe in
	 * flight (next is past what it holds), only a rejection of this one
	 * tells us, and nothing else would be sent until the next proposal. */
	if (pr->match < rlog_last_index(&r->log))
		replication_send_append(r, pr, true);
	return 0;
}
