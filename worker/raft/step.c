/* step.c - the entry point for received messages: validation, the term
 * rules every message obeys, then dispatch to the handler for its type.
 *
 * Term rules (Raft §5.1 with pre-vote and check-quorum, as in etcd-io/raft):
 * - a higher term makes us follower in that term, except for PREVOTE and
 *   granted PREVOTE_RESP (pre-votes change no state), and except for vote
 *   requests arriving while we still hear from a leader (leader stickiness,
 *   dissertation §4.2.3), which are ignored unless `force` is set;
 * - a lower term is counted and dropped, but a stale leader's APPEND or
 *   HEARTBEAT is answered so it learns our term and steps down, and a stale
 *   PREVOTE is rejected so its sender stops waiting;
 * - (pre-)vote messages from or to a learner are dropped first, unread. */
#include "common/err.h"
#include "invariant.h"
#include "outbox.h"
#include "progress.h"
#include "quiesce.h"
#include "recv.h"
#include "role.h"

static bool valid(const struct raft *r, const struct raft_message *m)
{
	if (m->type < RAFT_MSG_PREVOTE || m->type > RAFT_MSG_TYPE_MAX)
		return false;
	if (m->to != r->id || m->from == r->id || m->term == 0)
		return false;
	bool peer = false;
	for (size_t i = 0; i < r->n_peers; i++)
		peer |= r->peers[i] == m->from;
	if (!peer)
		return false;
	if (m->n_entries && (m->type != RAFT_MSG_APPEND || !m->entries))
		return false;
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		if (e->index != m->index + 1 + i || e->term > m->term || e->term < m->log_term ||
		    (i && e->term < m->entries[i - 1].term) || e->kind > RAFT_ENTRY_COMMAND ||
		    (e->data_len && !e->data))
			return false;
	}
	if (m->snapshot_len && !m->snapshot)
		return false;
	return true;
}

static bool is_from_leader(uint8_t type)
{
	return type == RAFT_MSG_APPEND || type == RAFT_MSG_HEARTBEAT || type == RAFT_MSG_SNAPSHOT;
}

static bool is_vote_msg(uint8_t type)
{
	return type == RAFT_MSG_PREVOTE || type == RAFT_MSG_PREVOTE_RESP || type == RAFT_MSG_VOTE ||
	       type == RAFT_MSG_VOTE_RESP;
}

int raft_step(struct raft *r, const struct raft_message *m)
{
	if (r->in_ready || !valid(r, m))
		return ERR_INVALID;
	/* Elections are between voters. A (pre-)vote request or answer from or
	 * to a learner is dropped before the term rules: no candidate asks a
	 * learner, so one arriving means the members' lists disagree, and it
	 * must neither raise a term nor be answered. */
	if (is_vote_msg(m->type) && (r->learner || !raft_is_voter(r, m->from)))
		return 0;
	quiesce_on_message(r, m);

	if (m->term > r->term) {
		bool vote_req = m->type == RAFT_MSG_PREVOTE || m->type == RAFT_MSG_VOTE;
		if (vote_req && !m->force && r->check_quorum && r->leader != 0 &&
		    r->election_elapsed < r->election_ticks)
			return 0; /* we hear from a leader: do not help depose it */
		if (m->type == RAFT_MSG_PREVOTE ||
		    (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject)) {
			/* no state change: handled below at its own term */
		} else {
			role_become_follower(r, m->term, is_from_leader(m->type) ? m->from : 0);
		}
	} else if (m->term < r->term) {
		r->counters.lower_term_msgs++;
		if ((r->check_quorum || r->pre_vote) &&
		    (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT)) {
			struct raft_message resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
			outbox_send(r, &resp);
		} else if (m->type == RAFT_MSG_PREVOTE) {
			struct raft_message resp = {
			    .type = RAFT_MSG_PREVOTE_RESP,
			    .to = m->from,
			    .reject = true,
			};
			outbox_send(r, &resp);
		}
		return 0;
	}

	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		return recv_vote_request(r, m);
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
		return recv_vote_response(r, m);
	case RAFT_MSG_APPEND:
		return recv_append(r, m);
	case RAFT_MSG_HEARTBEAT:
		return recv_heartbeat(r, m);
	case RAFT_MSG_SNAPSHOT:
		return recv_snapshot(r, m);
	case RAFT_MSG_APPEND_RESP:
		return recv_append_response(r, m);
	case RAFT_MSG_HEARTBEAT_RESP:
		return recv_heartbeat_response(r, m);
	case RAFT_MSG_TIMEOUT_NOW:
		return recv_timeout_now(r, m);
	}
	return ERR_INVALID;
}
