/* transfer.c - handing leadership to a chosen follower, and a follower's
 * handling of TIMEOUT_NOW.
 *
 * While a transfer is under way the leader refuses proposals, so the
 * target can catch up with a log that no longer grows. The attempt ends when
 * the target wins (we see its higher term), or after an election timeout
 * (tick.c), whichever comes first. */
#include "transfer.h"

#include "common/err.h"
#include "election.h"
#include "outbox.h"
#include "progress.h"
#include "quiesce.h"
#include "recv.h"
#include "replication.h"
#include "rlog.h"

void transfer_maybe_timeout_now(struct raft *r, struct raft_progress *pr)
{
	if (r->timeout_now_sent || pr->id != r->transfer_target)
		return;
	if (pr->match != rlog_last_index(&r->log))
		return;
	struct raft_message m = {.type = RAFT_MSG_TIMEOUT_NOW, .to = pr->id};
	outbox_send(r, &m);
	r->timeout_now_sent = true;
}

void transfer_abort(struct raft *r)
{
	r->transfer_target = 0;
	r->timeout_now_sent = false;
}

int raft_transfer_leader(struct raft *r, uint64_t to)
{
	if (r->in_ready)
		return ERR_INVALID;
	if (r->role != RAFT_LEADER)
		return ERR_NOTLEADER;
	if (to == 0) {
		/* The most caught-up voter loses the least time catching up. */
		for (size_t i = 0; i < r->n_voters; i++) {
			const struct raft_progress *pr = &r->prs[i];
			if (pr->id != r->id && (to == 0 || pr->match > progress_find(r, to)->match))
				to = pr->id;
		}
		if (to == 0)
			return ERR_INVALID; /* a lone voter has nobody to hand over to */
	}
	struct raft_progress *pr = progress_find(r, to);
	if (!pr || !raft_is_voter(r, to))
		return ERR_INVALID; /* not a member, or a learner: it cannot lead */
	if (to == r->id)
		return 0;
	quiesce_wake(r); /* the transfer times out by ticks */
	if (r->transfer_target == to)
		return 0;
	r->transfer_target = to;
	r->timeout_now_sent = false;
	/* The transfer must finish within one election timeout. */
	r->election_elapsed = 0;
	if (pr->match == rlog_last_index(&r->log))
		transfer_maybe_timeout_now(r, pr);
	else
		replication_send_append(r, pr, false);
	return 0;
}

int recv_timeout_now(struct raft *r, const struct raft_message *m)
{
	/* Only a follower campaigns; skipping pre-vote is safe because the
	 * leader itself asked, and `force` gets past voters' stickiness. */
	if (r->role != RAFT_FOLLOWER || r->learner)
		return 0;
	return election_start(r, false, true);
}
