/* replication.c - what the leader sends to whom: appends (pipelined within
 * each follower's in-flight window), heartbeats and log starts; and the
 * commit rule.
 *
 * Reacting to followers' answers lives in recv_append_resp.c. */
#include "replication.h"

#include <stdlib.h>

#include "common/err.h"
#include "invariant.h"
#include "outbox.h"
#include "progress.h"
#include "rlog.h"

static bool send_snapshot(struct raft *r, struct raft_progress *pr)
{
	const struct raft_storage *s = r->log.storage;
	struct raft_snapshot snap = {0};
	int rc = s->snapshot(s->ctx, &snap);
	RAFT_CHECK(r, rc == 0, "storage snapshot failed: %s", err_str(rc));
	/* The driver compacts only applied entries, and we applied only
	 * committed ones: the log start is committed. */
	RAFT_CHECK(r, snap.index <= r->log.commit, "log start %llu is past commit %llu",
		   (unsigned long long)snap.index, (unsigned long long)r->log.commit);
	struct raft_message m = {
	    .type = RAFT_MSG_SNAPSHOT,
	    .to = pr->id,
	    .index = snap.index,
	    .log_term = snap.term,
	    .commit = r->log.commit,
	    .snapshot = snap.data,
	    .snapshot_len = snap.data_len,
	};
	outbox_send(r, &m);
	progress_become_snapshot(pr, snap.index);
	return true;
}

bool replication_send_append(struct raft *r, struct raft_progress *pr, bool send_if_empty)
{
	if (pr->id == r->id || progress_is_paused(pr))
		return false;
	uint64_t prev = pr->next - 1, prev_term = 0;
	int rc = rlog_term(&r->log, prev, &prev_term);
	if (rc == ERR_COMPACTED)
		return send_snapshot(r, pr);
	RAFT_CHECK(r, rc == 0, "follower %llu next %llu is past our log end %llu",
		   (unsigned long long)pr->id, (unsigned long long)pr->next,
		   (unsigned long long)rlog_last_index(&r->log));

	uint64_t last = rlog_last_index(&r->log), hi = last + 1;
	if (hi - pr->next > r->max_msg_entries)
		hi = pr->next + r->max_msg_entries;
	size_t n = 0;
	rc = rlog_slice(&r->log, pr->next, hi, r->max_msg_bytes, r->scratch, &n);
	if (rc == ERR_COMPACTED)
		return send_snapshot(r, pr);
	RAFT_CHECK(r, rc == 0, "reading entries [%llu, %llu): %s", (unsigned long long)pr->next,
		   (unsigned long long)hi, err_str(rc));
	if (n == 0 && !send_if_empty)
		return false;
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += r->scratch[i].data_len;
	struct raft_message m = {
	    .type = RAFT_MSG_APPEND,
	    .to = pr->id,
	    .index = prev,
	    .log_term = prev_term,
	    .commit = r->log.commit,
	    .entries = r->scratch,
	    .n_entries = n,
	};
	outbox_send(r, &m);
	progress_sent(pr, n, n ? r->scratch[n - 1].index : prev, bytes);
	return true;
}

void replication_schedule_bcast(struct raft *r, bool send_if_empty)
{
	r->bcast_pending = true;
	r->bcast_empty |= send_if_empty;
}

void replication_flush_bcast(struct raft *r)
{
	if (!r->bcast_pending)
		return;
	bool empty = r->bcast_empty;
	r->bcast_pending = r->bcast_empty = false;
	if (r->role != RAFT_LEADER)
		return;
	for (size_t i = 0; i < r->n_peers; i++) {
		struct raft_progress *pr = &r->prs[i];
		if (pr->id == r->id)
			continue;
		/* Fill the window: a big backlog goes out as several messages. */
		bool sent = replication_send_append(r, pr, empty);
		while (sent && pr->state == PROGRESS_REPLICATE)
			sent = replication_send_append(r, pr, false);
	}
}

void replication_send_heartbeat(struct raft *r, const struct raft_progress *pr)
{
	/* Never tell a follower to commit past what it is known to hold: its
	 * log beyond match may still differ from ours. */
	uint64_t commit = pr->match < r->log.commit ? pr->match : r->log.commit;
	struct raft_message m = {.type = RAFT_MSG_HEARTBEAT, .to = pr->id, .commit = commit};
	outbox_send(r, &m);
}

void replication_bcast_heartbeat(struct raft *r)
{
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->prs[i].id != r->id)
			replication_send_heartbeat(r, &r->prs[i]);
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

bool replication_maybe_commit(struct raft *r)
{
	/* Voters only (prs[0..n_voters)): what learners hold counts for nothing. */
	uint64_t match[64], *m = match;
	if (r->n_voters > 64) {
		m = malloc(r->n_voters * sizeof(*m));
		if (!m)
			return false; /* retried on the next answer */
	}
	for (size_t i = 0; i < r->n_voters; i++)
		m[i] = r->prs[i].match;
	qsort(m, r->n_voters, sizeof(*m), cmp_desc);
	/* The quorum-th highest match is held by a majority. */
	uint64_t index = m[r->n_voters / 2];
	if (m != match)
		free(m);
	if (index <= r->log.commit)
		return false;
	uint64_t term = 0;
	if (rlog_term(&r->log, index, &term) != 0 || term != r->term)
		return false; /* §5.4.2: never commit an older term's entry by counting */
	rlog_commit_to(&r->log, index);
	return true;
}
