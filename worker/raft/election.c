/* election.c - campaigning: the pre-vote round (dissertation §9.6: ask
 * whether we could win before raising our term, so a replica cut off from
 * the others cannot inflate terms and depose a healthy leader on return)
 * and the real election (Raft §5.2), plus counting votes. */
#include "election.h"

#include "common/err.h"

#include "invariant.h"
#include "outbox.h"
#include "rlog.h"
#include "role.h"

/* Only voters are counted (peers[0..n_voters)); an answer from anyone else
 * is ignored here, though step.c already drops it. */
enum election_result election_tally(struct raft *r, uint64_t from, bool granted)
{
	size_t yes = 0, no = 0;
	for (size_t i = 0; i < r->n_voters; i++) {
		if (r->peers[i] == from && r->votes[i] == 0)
			r->votes[i] = granted ? 1 : 2;
		yes += r->votes[i] == 1;
		no += r->votes[i] == 2;
	}
	size_t quorum = r->n_voters / 2 + 1;
	if (yes >= quorum)
		return ELECTION_WON;
	if (no > r->n_voters - quorum)
		return ELECTION_LOST;
	return ELECTION_PENDING;
}

/* Sends `to` this round's request. Everything in it comes from state the
 * round does not change (term, last log entry, force), so asking twice
 * asks the same question: a voter answers a repeat as it answered the
 * first (it already voted for us in this term, or pre-votes change no
 * state). */
static void ask(struct raft *r, uint64_t to, uint8_t type, uint64_t term)
{
	struct raft_message m = {
	    .type = type,
	    .to = to,
	    .term = term,
	    .index = rlog_last_index(&r->log),
	    .log_term = rlog_last_term(&r->log),
	    .force = r->campaign_force,
	};
	outbox_send(r, &m);
}

int election_start(struct raft *r, bool pre, bool force)
{
	if (r->learner)
		return 0; /* a learner never campaigns (callers check too) */
	uint64_t term;
	uint8_t type;
	if (pre) {
		role_become_pre_candidate(r);
		term = r->term + 1; /* the term we would campaign for */
		type = RAFT_MSG_PREVOTE;
	} else {
		role_become_candidate(r);
		term = r->term;
		type = RAFT_MSG_VOTE;
	}
	if (election_tally(r, r->id, true) == ELECTION_WON) {
		/* A group of one needs nobody's vote. */
		if (pre)
			return election_start(r, false, force);
		return role_become_leader(r);
	}
	r->campaign_force = force;
	for (size_t i = 0; i < r->n_voters; i++) {
		if (r->peers[i] != r->id)
			ask(r, r->peers[i], type, term);
	}
	return 0;
}

int election_ask_again(struct raft *r, uint64_t id)
{
	bool pre = r->role == RAFT_PRE_CANDIDATE;
	for (size_t i = 0; i < r->n_peers; i++) {
		if (r->peers[i] != id || id == r->id)
			continue;
		/* Learners are never asked: only voters' answers count. */
		if ((pre || r->role == RAFT_CANDIDATE) && i < r->n_voters && r->votes[i] == 0)
			ask(r, id, pre ? RAFT_MSG_PREVOTE : RAFT_MSG_VOTE,
			    pre ? r->term + 1 : r->term);
		return 0;
	}
	return ERR_INVALID;
}

void election_ask_unanswered(struct raft *r)
{
	if (r->role != RAFT_PRE_CANDIDATE && r->role != RAFT_CANDIDATE)
		return;
	for (size_t i = 0; i < r->n_voters; i++)
		if (r->peers[i] != r->id && r->votes[i] == 0)
			election_ask_again(r, r->peers[i]);
}
