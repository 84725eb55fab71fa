/* raft.c - a replica's lifecycle (init from persisted state, close), the
 * proposal and campaign entry points, and read-only accessors.
 *
 * Message handling is in step.c and recv_*.c, timers in tick.c, the Ready
 * batch in ready.c. */
#include "raft.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "election.h"
#include "outbox.h"
#include "progress.h"
#include "quiesce.h"
#include "replication.h"
#include "rlog.h"
#include "role.h"

/* Member k of the config: the voters, then the learners. */
static uint64_t cfg_member(const struct raft_config *c, size_t k)
{
	return k < c->n_peers ? c->peers[k] : c->learners[k - c->n_peers];
}

static int check_config(const struct raft_config *c)
{
	if (!c->id || !c->peers || c->n_peers == 0 || !c->storage)
		return ERR_CONFIG;
	if (c->n_learners && !c->learners)
		return ERR_CONFIG;
	const struct raft_storage *s = c->storage;
	if (!s->initial_state || !s->first_index || !s->last_index || !s->term || !s->entries ||
	    !s->snapshot)
		return ERR_CONFIG;
	if (c->election_ticks < 2 || c->heartbeat_ticks < 1 ||
	    c->heartbeat_ticks >= c->election_ticks)
		return ERR_CONFIG;
	if (c->max_inflight_msgs < 1 || c->max_msg_bytes < 1)
		return ERR_CONFIG;
	bool self = false;
	size_t n = c->n_peers + c->n_learners;
	/* Voters and learners are one set of distinct ids: a learner that is
	 * also a voter would be counted and not counted at once. */
	for (size_t i = 0; i < n; i++) {
		uint64_t id = cfg_member(c, i);
		if (!id)
			return ERR_CONFIG;
		self |= id == c->id;
		for (size_t j = 0; j < i; j++)
			if (cfg_member(c, j) == id)
				return ERR_CONFIG;
	}
	return self ? 0 : ERR_CONFIG;
}

int raft_init(struct raft *r, const struct raft_config *cfg)
{
	memset(r, 0, sizeof(*r));
	int rc = check_config(cfg);
	if (rc)
		return rc;
	r->id = cfg->id;
	r->n_peers = cfg->n_peers + cfg->n_learners;
	r->n_voters = cfg->n_peers;
	r->election_ticks = cfg->election_ticks;
	r->heartbeat_ticks = cfg->heartbeat_ticks;
	r->max_inflight_msgs = cfg->max_inflight_msgs;
	r->max_msg_bytes = cfg->max_msg_bytes;
	r->max_msg_entries = cfg->max_msg_entries ? cfg->max_msg_entries : 1024;
	r->max_inflight_bytes = cfg->max_inflight_bytes;
	if (!r->max_inflight_bytes)
		r->max_inflight_bytes = r->max_msg_bytes > SIZE_MAX / r->max_inflight_msgs
					    ? SIZE_MAX
					    : r->max_msg_bytes * r->max_inflight_msgs;
	r->max_apply_bytes = cfg->max_apply_bytes;
	r->pre_vote = cfg->pre_vote;
	r->check_quorum = cfg->check_quorum;
	r->quiesce = cfg->quiesce;
	r->panic_cb = cfg->panic_cb;
	r->panic_ctx = cfg->panic_ctx;
	/* Mix in the id so replicas given the same seed still differ. */
	r->rng = cfg->seed ^ (cfg->id * 0x9e3779b97f4a7c15ULL);

	struct raft_hard_state hs = {0};
	rc = cfg->storage->initial_state(cfg->storage->ctx, &hs);
	if (rc)
		return rc;
	/* A vote for any member is accepted: a learner may have voted while
	 * it was a voter, and a voter may have voted for today's learner. */
	bool vote_ok = hs.vote == 0;
	for (size_t i = 0; i < r->n_peers; i++)
		vote_ok |= cfg_member(cfg, i) == hs.vote;
	if (!vote_ok)
		return ERR_CORRUPT;
	rc = rlog_init(&r->log, cfg->storage, hs.commit, cfg->applied);
	if (rc)
		return rc;

	rc = ERR_NOMEM;
	r->peers = malloc(r->n_peers * sizeof(*r->peers));
	r->prs = calloc(r->n_peers, sizeof(*r->prs));
	r->votes = calloc(r->n_peers, 1);
	r->scratch = malloc(r->max_msg_entries * sizeof(*r->scratch));
	if (!r->peers || !r->prs || !r->votes || !r->scratch)
		goto fail;
	for (size_t i = 0; i < r->n_peers; i++) {
		r->peers[i] = cfg_member(cfg, i);
		r->learner |= i >= r->n_voters && r->peers[i] == r->id;
	}
	for (size_t i = 0; i < r->n_peers; i++) {
		rc = progress_init(&r->prs[i], r->peers[i], r->max_inflight_msgs,
				   r->max_inflight_bytes);
		if (rc)
			goto fail;
	}
	r->term = hs.term;
	r->vote = hs.vote;
	r->persisted = hs;
	role_become_follower(r, r->term, 0);
	return 0;
fail:
	raft_close(r);
	return rc;
}

void raft_close(struct raft *r)
{
	if (r->prs)
		for (size_t i = 0; i < r->n_peers; i++)
			progress_close(&r->prs[i]);
	free(r->prs);
	free(r->peers);
	free(r->votes);
	free(r->scratch);
	free(r->ready_committed_block);
	outbox_close(&r->out);
	rlog_close(&r->log);
	memset(r, 0, sizeof(*r));
}

int raft_propose(struct raft *r, const void *data, size_t len, uint64_t *index_out)
{
	return raft_propose_kind(r, RAFT_ENTRY_NORMAL, data, len, index_out);
}

int raft_propose_kind(struct raft *r, uint8_t kind, const void *data, size_t len,
		      uint64_t *index_out)
{
	if (r->in_ready || (len && !data) ||
	    (kind != RAFT_ENTRY_NORMAL && kind != RAFT_ENTRY_COMMAND))
		return ERR_INVALID;
	if (r->role != RAFT_LEADER || r->transfer_target)
		return ERR_NOTLEADER;
	quiesce_wake(r);
	struct raft_entry e = {
	    .index = rlog_last_index(&r->log) + 1,
	    .term = r->term,
	    .kind = kind,
	    .data = data,
	    .data_len = len,
	};
	int rc = rlog_append(&r->log, &e, 1);
	if (rc)
		return rc;
	/* Our match moves when the entry is persisted (raft_advance). */
	replication_schedule_bcast(r, false);
	if (index_out)
		*index_out = e.index;
	return 0;
}

int raft_campaign(struct raft *r)
{
	if (r->in_ready || r->learner)
		return ERR_INVALID;
	if (r->role == RAFT_LEADER)
		return 0;
	quiesce_wake(r);
	return election_start(r, false, true);
}

int raft_step_down(struct raft *r)
{
	if (r->in_ready)
		return ERR_INVALID;
	if (r->role == RAFT_LEADER)
		role_become_follower(r, r->term, 0);
	return 0;
}

int raft_peer_connected(struct raft *r, uint64_t id)
{
	if (r->in_ready)
		return ERR_INVALID;
	/* A follower that connects may have restarted behind, or may not
	 * know this leader yet (what was sent to it before the link came up
	 * was dropped): the leader heartbeats it now, which tells it the
	 * leader and, from its answer, lets the next append out, rather than
	 * at the next heartbeat tick or never while the group is quiet. */
	if (r->role == RAFT_LEADER) {
		quiesce_wake(r);
		struct raft_progress *pr = progress_find(r, id);
		if (pr && id != r->id)
			replication_send_heartbeat(r, pr);
	}
	return election_ask_again(r, id);
}

uint64_t raft_id(const struct raft *r) { return r->id; }
enum raft_role raft_role(const struct raft *r)
{
	return r->learner ? RAFT_LEARNER : (enum raft_role)r->role;
}

bool raft_is_voter(const struct raft *r, uint64_t id)
{
	for (size_t i = 0; i < r->n_voters; i++)
		if (r->peers[i] == id)
			return true;
	return false;
}

uint64_t raft_term(const struct raft *r) { return r->term; }
uint64_t raft_leader(const struct raft *r) { return r->leader; }
uint64_t raft_commit(const struct raft *r) { return r->log.commit; }
uint64_t raft_applied(const struct raft *r) { return r->log.applied; }
uint64_t raft_last_index(const struct raft *r) { return rlog_last_index(&r->log); }
uint64_t raft_first_index(const struct raft *r) { return rlog_first_index(&r->log); }
uint64_t raft_transferee(const struct raft *r) { return r->transfer_target; }

int raft_peer_match(const struct raft *r, uint64_t id, uint64_t *match)
{
	for (size_t i = 0; i < r->n_peers; i++) {
		if (r->prs[i].id != id)
			continue;
		if (r->role != RAFT_LEADER)
			return ERR_NOTLEADER;
		*match = r->prs[i].match;
		return 0;
	}
	return ERR_INVALID;
}

int raft_log_term(const struct raft *r, uint64_t index, uint64_t *term_out)
{
	return rlog_term(&r->log, index, term_out);
}

void raft_get_counters(const struct raft *r, struct raft_counters *out) { *out = r->counters; }

const char *raft_role_name(enum raft_role role)
{
	switch (role) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	case RAFT_PRE_CANDIDATE:
		return "pre-candidate";
	case RAFT_LEARNER:
		return "learner";
	}
	return "?";
}

const char *raft_msg_type_name(uint8_t type)
{
	static const char *const names[] = {
	    [RAFT_MSG_PREVOTE] = "PreVote",	[RAFT_MSG_PREVOTE_RESP] = "PreVoteResp",
	    [RAFT_MSG_VOTE] = "Vote",		[RAFT_MSG_VOTE_RESP] = "VoteResp",
	    [RAFT_MSG_APPEND] = "Append",	[RAFT_MSG_APPEND_RESP] = "AppendResp",
	    [RAFT_MSG_HEARTBEAT] = "Heartbeat", [RAFT_MSG_HEARTBEAT_RESP] = "HeartbeatResp",
	    [RAFT_MSG_SNAPSHOT] = "Snapshot",	[RAFT_MSG_TIMEOUT_NOW] = "TimeoutNow",
	};
	if (type < 1 || type > RAFT_MSG_TYPE_MAX)
		return "?";
	return names[type];
}

bool raft_msg_sendable_early(const struct raft_message *m)
{
	return m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
	       m->type == RAFT_MSG_SNAPSHOT || m->type == RAFT_MSG_TIMEOUT_NOW;
}
