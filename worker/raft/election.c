/* election.c - campaigning: the pre-vote round (dissertation §9.6: ask
 * whether we could win before raising our term, so a replica cut off from
 * the others cannot inflate terms and depose a healthy leader on return)
 * and the real election (Raft §5.2), plus counting votes. */
#include "election.h"

#include "invariant.h"
#include "outbox.h"
#include "rlog.h"
#include "role.h"

enum election_result election_tally(struct raft *r, uint64_t from, bool granted)
{
	size_t yes = 0, no = 0;
	for (size_t i = 0; i < r->n_peers; i++) {
		if (r->peers[i] == from && r->votes[i] == 0)
			r->votes[i] = granted ? 1 : 2;
		yes += r->votes[i] == 1;
		no += r->votes[i] == 2;
	}
	size_t quorum = r->n_peers / 2 + 1;
	if (yes >= quorum)
		return ELECTION_WON;
	if (no > r->n_peers - quorum)
		return ELECTION_LOST;
	return ELECTION_PENDING;
}

int election_start(struct raft *r, bool pre, bool force)
{
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
	uint64_t last = rlog_last_index(&r->log), last_term = rlog_last_term(&r->log);
	for (size_t i = 0; i < r->n_peers; i++) {
		if (r->peers[i] == r->id)
			continue;
		struct raft_message m = {
		    .type = type,
		    .to = r->peers[i],
		    .term = term,
		    .index = last,
		    .log_term = last_term,
		    .force = force,
		};
		outbox_send(r, &m);
	}
	return 0;
}
