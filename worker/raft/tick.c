/* tick.c - what one tick of logical time does: followers and candidates
 * count towards the election timeout (a campaign also asks again, every
 * heartbeat interval, the voters that have not answered); the leader sends
 * heartbeats, checks that a majority still answers (check-quorum), and
 * expires a stuck leadership transfer or log-start send. */
#include "common/err.h"
#include "election.h"
#include "progress.h"
#include "quiesce.h"
#include "replication.h"
#include "role.h"
#include "transfer.h"

/* Dissertation §6.2: a leader that has not heard from a majority within an
 * election timeout is probably cut off; stepping down lets clients find the
 * real leader instead of waiting on one that cannot commit. A majority of
 * the voters: learners answering cannot keep a leader that lost them. */
static bool quorum_active(struct raft *r)
{
	size_t active = 0;
	for (size_t i = 0; i < r->n_peers; i++) {
		struct raft_progress *pr = &r->prs[i];
		if (i < r->n_voters && (pr->id == r->id || pr->recent_active))
			active++;
		if (pr->id != r->id)
			pr->recent_active = false;
	}
	return active >= r->n_voters / 2 + 1;
}

static int tick_leader(struct raft *r)
{
	if (r->quiesced)
		return 0;
	r->heartbeat_elapsed++;
	r->election_elapsed++;
	for (size_t i = 0; i < r->n_peers; i++) {
		struct raft_progress *pr = &r->prs[i];
		/* A log start may be lost on the way; try again after a while. */
		if (pr->state == PROGRESS_SNAPSHOT && ++pr->snapshot_elapsed >= r->election_ticks)
			progress_become_probe(pr);
	}
	if (r->election_elapsed >= r->election_ticks) {
		r->election_elapsed = 0;
		if (r->check_quorum && !quorum_active(r)) {
			role_become_follower(r, r->term, 0);
			return 0;
		}
		if (r->transfer_target)
			transfer_abort(r);
	}
	if (r->heartbeat_elapsed >= r->heartbeat_ticks) {
		r->heartbeat_elapsed = 0;
		if (!quiesce_leader_maybe(r))
			replication_bcast_heartbeat(r);
	}
	return 0;
}

int raft_tick(struct raft *r)
{
	if (r->in_ready)
		return ERR_INVALID;
	if (r->role == RAFT_LEADER)
		return tick_leader(r);
	if (r->learner)
		return 0; /* no election timer: a learner waits for the leader */
	if (r->quiesced)
		return 0; /* node liveness stands in (raft_leader_unreachable) */
	r->election_elapsed++;
	if (r->election_elapsed >= r->randomized_timeout + (r->leader ? r->patience : 0))
		return election_start(r, r->pre_vote, false);
	if (r->election_elapsed % r->heartbeat_ticks == 0)
		election_ask_unanswered(r);
	return 0;
}
