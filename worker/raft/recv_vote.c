/* recv_vote.c - answering PREVOTE and VOTE requests, and counting the
 * answers to ours.
 *
 * A vote is granted (Raft §5.2, §5.4.1) when we have not voted for someone
 * else in this term and know no leader in it, and the candidate's log is at
 * least as up to date as ours. A pre-vote is granted on the same log test
 * when its term is above ours, without recording anything: pre-votes change
 * no state. A forced vote refused only on the log test makes us campaign
 * (see recv_vote_request). */
#include "election.h"
#include "outbox.h"
#include "recv.h"
#include "rlog.h"
#include "role.h"

int recv_vote_request(struct raft *r, const struct raft_message *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	bool can_vote =
	    r->vote == m->from || (r->vote == 0 && r->leader == 0) || (pre && m->term > r->term);
	struct raft_message resp = {.type = pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP,
				    .to = m->from};
	if (can_vote && rlog_is_up_to_date(&r->log, m->index, m->log_term)) {
		/* A granted pre-vote answers in the asked term, which the
		 * pre-candidate expects; it is not a term we are in. */
		resp.term = m->term;
		if (!pre) {
			r->vote = m->from;
			r->election_elapsed = 0;
		}
	} else {
		resp.term = r->term;
		resp.reject = true;
	}
	outbox_send(r, &resp);
	/* A forced request comes from a replica told that the leader is gone
	 * (or handed leadership). If we were free to vote and refused only
	 * because our log is ahead of it, it cannot win with us, and we could:
	 * campaign now, forced too, rather than leave the group leaderless
	 * for an election timeout. Safe as any campaign (one vote per term,
	 * the log check). */
	if (!pre && m->force && can_vote && resp.reject && r->role == RAFT_FOLLOWER)
		return election_start(r, false, true);
	return 0;
}

int recv_vote_response(struct raft *r, const struct raft_message *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE_RESP;
	if (pre) {
		if (r->role != RAFT_PRE_CANDIDATE)
			return 0;
		/* A grant from an older pre-vote round carries an older term. */
		if (!m->reject && m->term != r->term + 1)
			return 0;
	} else if (r->role != RAFT_CANDIDATE || m->term != r->term) {
		return 0;
	}
	switch (election_tally(r, m->from, !m->reject)) {
	case ELECTION_WON:
		if (pre)
			return election_start(r, false, false);
		return role_become_leader(r);
	case ELECTION_LOST:
		role_become_follower(r, r->term, 0);
		return 0;
	default:
		return 0;
	}
}
