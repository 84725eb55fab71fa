/* recv_snapshot.c - a follower receiving the leader's log start because it
 * fell behind it (the leader compacted the entries it needed).
 *
 * If we already hold the entry at the log start with the same term, our log
 * up to there matches the leader's and only commit moves. Otherwise our
 * whole log is replaced by the log start and the state-machine bytes, which
 * the driver installs from the next Ready. */
#include "invariant.h"
#include "outbox.h"
#include "recv.h"
#include "rlog.h"
#include "role.h"

int recv_snapshot(struct raft *r, const struct raft_message *m)
{
	RAFT_CHECK(r, r->role != RAFT_LEADER, "log start from %llu in our own term %llu",
		   (unsigned long long)m->from, (unsigned long long)r->term);
	role_follow(r, m->from);
	struct raft_message resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
	if (m->index <= r->log.commit) {
		resp.index = r->log.commit;
	} else if (rlog_match_term(&r->log, m->index, m->log_term)) {
		rlog_commit_to(&r->log, m->index);
		resp.index = r->log.commit;
	} else {
		struct raft_snapshot s = {
		    .index = m->index,
		    .term = m->log_term,
		    .data = m->snapshot,
		    .data_len = m->snapshot_len,
		};
		int rc = rlog_restore(&r->log, &s);
		if (rc)
			return rc;
		resp.index = m->index;
	}
	outbox_send(r, &resp);
	return 0;
}
