/* role.c - transitions between follower, pre-candidate, candidate and
 * leader, and the state each transition resets. Sends nothing except what a
 * new leader must (via replication.c). */
#include "role.h"

#include <string.h>

#include "common/err.h"
#include "invariant.h"
#include "prng.h"
#include "progress.h"
#include "replication.h"
#include "rlog.h"

void role_reset_timeout(struct raft *r)
{
	r->randomized_timeout =
	    r->election_ticks + (int)prng_below(&r->rng, (uint64_t)r->election_ticks);
}

void role_set_leader(struct raft *r, uint64_t leader)
{
	r->leader = leader;
	if (leader && (leader != r->seen_leader || r->term != r->seen_leader_term)) {
		r->seen_leader = leader;
		r->seen_leader_term = r->term;
		r->counters.leader_changes++;
	}
}

static void reset(struct raft *r, uint64_t term)
{
	if (term != r->term) {
		RAFT_CHECK(r, term > r->term, "term going back from %llu to %llu",
			   (unsigned long long)r->term, (unsigned long long)term);
		r->term = term;
		r->vote = 0;
	}
	r->leader = 0;
	r->quiesced = false;
	r->election_elapsed = 0;
	r->heartbeat_elapsed = 0;
	role_reset_timeout(r);
	r->transfer_target = 0;
	r->timeout_now_sent = false;
	r->bcast_pending = r->bcast_empty = false;
	memset(r->votes, 0, r->n_peers);
	uint64_t last = rlog_last_index(&r->log);
	for (size_t i = 0; i < r->n_peers; i++) {
		/* Our own match too starts at 0: raft_advance moves it once a
		 * write is durable, and a new leader's no-op write covers the
		 * whole log (nothing older commits by counting, §5.4.2). */
		progress_reset(&r->prs[i], last + 1);
	}
}

void role_become_follower(struct raft *r, uint64_t term, uint64_t leader)
{
	reset(r, term);
	r->role = RAFT_FOLLOWER;
	role_set_leader(r, leader);
}

void role_follow(struct raft *r, uint64_t leader)
{
	if (r->role != RAFT_FOLLOWER) {
		role_become_follower(r, r->term, leader);
	} else if (r->leader != leader) {
		/* Election safety (§5.2): one leader per term. */
		RAFT_CHECK(r, r->leader == 0, "two leaders in term %llu: %llu and %llu",
			   (unsigned long long)r->term, (unsigned long long)r->leader,
			   (unsigned long long)leader);
		role_set_leader(r, leader);
	}
	r->election_elapsed = 0;
}

void role_become_pre_candidate(struct raft *r)
{
	RAFT_CHECK(r, r->role != RAFT_LEADER, "leader cannot become pre-candidate");
	RAFT_CHECK(r, !r->learner, "learner cannot become pre-candidate");
	/* Not reset(): the term, vote and timers stay; only the tally restarts. */
	r->role = RAFT_PRE_CANDIDATE;
	r->leader = 0;
	r->quiesced = false;
	memset(r->votes, 0, r->n_peers);
	r->election_elapsed = 0;
	role_reset_timeout(r);
}

void role_become_candidate(struct raft *r)
{
	RAFT_CHECK(r, r->role != RAFT_LEADER, "leader cannot become candidate");
	RAFT_CHECK(r, !r->learner, "learner cannot become candidate");
	reset(r, r->term + 1);
	r->vote = r->id;
	r->role = RAFT_CANDIDATE;
	r->counters.elections++;
}

int role_become_leader(struct raft *r)
{
	RAFT_CHECK(r, r->role == RAFT_CANDIDATE, "only a candidate can become leader (role %s)",
		   raft_role_name((enum raft_role)r->role));
	reset(r, r->term);
	r->role = RAFT_LEADER;
	role_set_leader(r, r->id);
	struct raft_progress *self = progress_find(r, r->id);
	progress_become_replicate(self);
	self->recent_active = true;

	struct raft_entry noop = {
	    .index = rlog_last_index(&r->log) + 1,
	    .term = r->term,
	    .kind = RAFT_ENTRY_NOOP,
	};
	int rc = rlog_append(&r->log, &noop, 1);
	if (rc) {
		/* A leader that cannot append cannot commit: let someone else lead. */
		role_become_follower(r, r->term, 0);
		return rc;
	}
	/* Counted in our match once persisted (raft_advance): a group of one
	 * commits it then. */
	replication_schedule_bcast(r, false);
	return 0;
}
