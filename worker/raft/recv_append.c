/* recv_append.c - a follower handling APPEND and HEARTBEAT from the leader
 * of its term.
 *
 * APPEND (Raft §5.3): accept when we hold the preceding entry with the same
 * term, keep what already matches, truncate at the first conflict, and
 * commit up to min(leader commit, last new entry). On a mismatch, answer
 * with our term at that index and the first index we hold of that term, so
 * the leader skips a whole term per round trip instead of one entry. */
#include "invariant.h"
#include "outbox.h"
#include "quiesce.h"
#include "recv.h"
#include "rlog.h"
#include "role.h"

int recv_append(struct raft *r, const struct raft_message *m)
{
	RAFT_CHECK(r, r->role != RAFT_LEADER, "append from %llu in our own term %llu",
		   (unsigned long long)m->from, (unsigned long long)r->term);
	role_follow(r, m->from);
	struct raft_message resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
	if (m->index < r->log.commit) {
		/* Old news: everything up to commit already matches. */
		resp.index = r->log.commit;
		outbox_send(r, &resp);
		return 0;
	}
	if (rlog_match_term(&r->log, m->index, m->log_term)) {
		int rc = rlog_maybe_append(&r->log, m->entries, m->n_entries);
		if (rc)
			return rc; /* no answer: the leader will retry */
		uint64_t last_new = m->index + m->n_entries;
		rlog_commit_to(&r->log, m->commit < last_new ? m->commit : last_new);
		resp.index = last_new;
		outbox_send(r, &resp);
		return 0;
	}
	uint64_t last = rlog_last_index(&r->log);
	resp.reject = true;
	resp.index = m->index;
	if (m->index > last) {
		resp.hint_index = last + 1;
		resp.hint_term = 0;
	} else {
		uint64_t t = 0;
		int rc = rlog_term(&r->log, m->index, &t);
		RAFT_CHECK(r, rc == 0, "no term for %llu above commit",
			   (unsigned long long)m->index);
		resp.hint_term = t;
		resp.hint_index = rlog_first_index_of_term(&r->log, m->index, t);
	}
	outbox_send(r, &resp);
	return 0;
}

int recv_heartbeat(struct raft *r, const struct raft_message *m)
{
	RAFT_CHECK(r, r->role != RAFT_LEADER, "heartbeat from %llu in our own term %llu",
		   (unsigned long long)m->from, (unsigned long long)r->term);
	role_follow(r, m->from);
	/* The leader never sends more than our match; if our log is shorter
	 * anyway (storage without fsync lost entries), wait for appends. */
	if (m->commit <= rlog_last_index(&r->log))
		rlog_commit_to(&r->log, m->commit);
	struct raft_message resp = {.type = RAFT_MSG_HEARTBEAT_RESP, .to = m->from};
	outbox_send(r, &resp);
	quiesce_follower_maybe(r, m);
	return 0;
}
