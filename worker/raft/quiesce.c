/* quiesce.c - quiescence of a settled group (see quiesce.h).
 *
 * The leader decides: at a heartbeat, if every follower holds every entry
 * and everything is committed, it sends one more heartbeat marked quiesce
 * and stops ticking (no heartbeats, no check-quorum). A follower that gets
 * that heartbeat and holds the announced commit stops its election timer.
 * A quiet group wakes on any proposal, any message (a pre-vote from a
 * follower that missed the quiesce heartbeat wakes the leader, which then
 * heartbeats it back into line), a transfer, a campaign, a peer connecting
 * again (a restarted follower that must catch up), or the caller saying
 * that the leader's node is unreachable (raft_leader_unreachable). Nothing
 * here changes what a message means: only when messages are sent. */
#include "quiesce.h"

#include "common/err.h"
#include "election.h"
#include "outbox.h"
#include "progress.h"
#include "rlog.h"

static bool settled(const struct raft *r)
{
	uint64_t last = rlog_last_index(&r->log);
	if (!r->quiesce || r->quiesce_held || r->transfer_target || r->log.commit != last ||
	    r->bcast_pending)
		return false;
	for (size_t i = 0; i < r->n_peers; i++) {
		const struct raft_progress *pr = &r->prs[i];
		if (pr->id == r->id)
			continue;
		/* recent_active: it answered since the last check-quorum
		 * round (or since we woke), so it is there to be told. */
		if (pr->match != last || pr->state != PROGRESS_REPLICATE || !pr->recent_active)
			return false;
	}
	return true;
}

bool quiesce_leader_maybe(struct raft *r)
{
	if (r->role != RAFT_LEADER || !settled(r))
		return false;
	for (size_t i = 0; i < r->n_peers; i++) {
		struct raft_progress *pr = &r->prs[i];
		if (pr->id == r->id)
			continue;
		struct raft_message m = {.type = RAFT_MSG_HEARTBEAT,
					 .to = pr->id,
					 .commit = r->log.commit,
					 .quiesce = true};
		outbox_send(r, &m);
	}
	r->quiesced = true;
	r->counters.quiesces++;
	return true;
}

void quiesce_follower_maybe(struct raft *r, const struct raft_message *m)
{
	if (r->quiesce && m->quiesce && r->role == RAFT_FOLLOWER && r->leader == m->from &&
	    r->log.commit == m->commit) {
		r->quiesced = true;
		r->counters.quiesces++;
	}
}

void quiesce_on_message(struct raft *r, const struct raft_message *m)
{
	if (!r->quiesced)
		return;
	if (r->role == RAFT_LEADER && m->type == RAFT_MSG_HEARTBEAT_RESP && m->term == r->term)
		return;
	quiesce_wake(r);
}

void quiesce_wake(struct raft *r)
{
	if (!r->quiesced)
		return;
	r->quiesced = false;
	r->election_elapsed = 0;
	if (r->role == RAFT_LEADER) {
		/* Heartbeat at the next tick, and a fresh check-quorum
		 * round: a leader cut off while quiet steps down an election
		 * timeout after waking, and goes quiet again only once every
		 * follower has answered since. */
		r->heartbeat_elapsed = r->heartbeat_ticks > 0 ? r->heartbeat_ticks - 1 : 0;
		for (size_t i = 0; i < r->n_peers; i++)
			if (r->prs[i].id != r->id)
				r->prs[i].recent_active = false;
	}
}

/* ---- API ------------------------------------------------------------------ */

bool raft_quiesced(const struct raft *r) { return r->quiesced; }

int raft_wake(struct raft *r)
{
	if (r->in_ready)
		return ERR_INVALID;
	quiesce_wake(r);
	return 0;
}

int raft_hold_awake(struct raft *r, bool hold)
{
	if (r->in_ready)
		return ERR_INVALID;
	r->quiesce_held = hold;
	if (hold)
		quiesce_wake(r);
	return 0;
}

int raft_probe_leader(struct raft *r)
{
	if (r->in_ready)
		return ERR_INVALID;
	if (r->role != RAFT_FOLLOWER || r->leader == 0)
		return 0;
	quiesce_wake(r);
	struct raft_message m = {
	    .type = RAFT_MSG_APPEND_RESP, .to = r->leader, .index = r->log.commit};
	outbox_send(r, &m);
	return 0;
}

int raft_set_patience(struct raft *r, int ticks)
{
	if (r->in_ready || ticks < 0)
		return ERR_INVALID;
	r->patience = ticks;
	return 0;
}

int raft_leader_unreachable(struct raft *r, bool campaign)
{
	if (r->in_ready)
		return ERR_INVALID;
	if (r->role == RAFT_LEADER)
		return 0;
	quiesce_wake(r);
	/* Forgetting the leader (not the term) lifts leader stickiness, so
	 * this replica grants the pre-vote of whichever follower campaigns
	 * first; its own timer runs again as a fallback. */
	r->leader = 0;
	if (campaign && r->role == RAFT_FOLLOWER)
		return election_start(r, r->pre_vote, false);
	return 0;
}
