/* test_raft_election.c - elections: timeouts, vote rules, pre-vote, leader
 * stickiness, campaign-now and the election counters. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "common/err.h"
#include "test_raft_fixture.h"

#define NEW_FX() struct fx *f = calloc(1, sizeof(struct fx))

/* Seeds node i's store with entries of the given terms (index 1..n). */
static void seed_log(struct fx *f, int i, const uint64_t *terms, size_t n, uint64_t term,
		     uint64_t commit)
{
	for (size_t k = 0; k < n; k++) {
		struct raft_entry e = {.index = k + 1, .term = terms[k], .kind = RAFT_ENTRY_NORMAL};
		fx_store_append(&f->nodes[i].st, &e, 1);
	}
	f->nodes[i].st.hs = (struct raft_hard_state){term, 0, commit};
}

START_TEST(follower_becomes_candidate_after_election_timeout)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	int t = 0;
	while (raft_role(fx_r(f, 0)) == RAFT_FOLLOWER && t < 3 * FX_ELECTION)
		fx_tick(f, 0, 1), t++;
	ck_assert_int_ge(t, FX_ELECTION);
	ck_assert_int_lt(t, 2 * FX_ELECTION);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_CANDIDATE);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), 1);
	ck_assert_uint_eq(f->nodes[0].st.hs.vote, 1); /* voted for itself, persisted */
	ck_assert_uint_eq(f->nodes[0].st.hs.term, 1);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_VOTE, 1, 0), 2);
	int k = fx_find(f, RAFT_MSG_VOTE, 1, 3);
	ck_assert_int_ge(k, 0);
	ck_assert_uint_eq(f->q[k].m.term, 1);
	ck_assert(!f->q[k].m.force);
	struct raft_counters c;
	raft_get_counters(fx_r(f, 0), &c);
	ck_assert_uint_eq(c.elections, 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(election_timeout_is_randomized_between_one_and_two_timeouts)
{
	int seen[2 * FX_ELECTION] = {0};
	int distinct = 0;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		NEW_FX();
		fx_init_cfg(f, 3, false, false);
		struct raft_config c = f->cfg;
		c.id = 1;
		c.storage = &f->nodes[0].st.iface;
		c.seed = seed;
		ck_assert_int_eq(raft_init(&f->nodes[0].r, &c), 0);
		f->nodes[0].up = true;
		int t = 0;
		while (raft_role(fx_r(f, 0)) == RAFT_FOLLOWER && t < 3 * FX_ELECTION)
			fx_tick(f, 0, 1), t++;
		ck_assert_int_ge(t, FX_ELECTION);
		ck_assert_int_lt(t, 2 * FX_ELECTION);
		distinct += !seen[t]++;
		fx_free(f);
		free(f);
	}
	ck_assert_int_ge(distinct, 5); /* spread over the window, not one value */
}
END_TEST

START_TEST(vote_refused_when_candidate_log_is_behind)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	const uint64_t ours[] = {1, 1, 2};
	seed_log(f, 1, ours, 3, 2, 0);
	fx_start(f, 1);
	/* same last term, shorter log */
	struct raft_message v = {
	    .type = RAFT_MSG_VOTE, .from = 1, .to = 2, .term = 3, .index = 2, .log_term = 2};
	ck_assert_int_eq(fx_step(f, &v), 0);
	int k = fx_find(f, RAFT_MSG_VOTE_RESP, 2, 1);
	ck_assert_int_ge(k, 0);
	ck_assert(f->q[k].m.reject);
	ck_assert_uint_eq(f->q[k].m.term, 3); /* it did adopt the higher term */
	ck_assert_uint_eq(f->nodes[1].st.hs.vote, 0);
	fx_drop_all(f);
	/* longer log but lower last term */
	v = (struct raft_message){
	    .type = RAFT_MSG_VOTE, .from = 3, .to = 2, .term = 3, .index = 9, .log_term = 1};
	ck_assert_int_eq(fx_step(f, &v), 0);
	k = fx_find(f, RAFT_MSG_VOTE_RESP, 2, 3);
	ck_assert(f->q[k].m.reject);
	fx_drop_all(f);
	/* same last term, same length: granted */
	v = (struct raft_message){
	    .type = RAFT_MSG_VOTE, .from = 3, .to = 2, .term = 3, .index = 3, .log_term = 2};
	ck_assert_int_eq(fx_step(f, &v), 0);
	k = fx_find(f, RAFT_MSG_VOTE_RESP, 2, 3);
	ck_assert(!f->q[k].m.reject);
	ck_assert_uint_eq(f->nodes[1].st.hs.vote, 3);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(only_one_vote_is_granted_per_term)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 1, .to = 2, .term = 1};
	ck_assert_int_eq(fx_step(f, &v), 0);
	v.from = 3;
	ck_assert_int_eq(fx_step(f, &v), 0);
	v.from = 1; /* a duplicate request from the one we voted for */
	ck_assert_int_eq(fx_step(f, &v), 0);
	ck_assert_uint_eq(f->nq, 3);
	ck_assert(!f->q[0].m.reject && f->q[0].m.to == 1);
	ck_assert(f->q[1].m.reject && f->q[1].m.to == 3);
	ck_assert(!f->q[2].m.reject && f->q[2].m.to == 1);
	ck_assert_uint_eq(f->nodes[1].st.hs.vote, 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(vote_is_persisted_in_the_same_ready_as_the_answer)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	struct raft_message v = {.type = RAFT_MSG_VOTE, .from = 1, .to = 2, .term = 4};
	ck_assert_int_eq(raft_step(fx_r(f, 1), &v), 0);
	struct raft_ready rd;
	ck_assert(raft_has_ready(fx_r(f, 1)));
	raft_ready(fx_r(f, 1), &rd);
	ck_assert(rd.hard_state_changed);
	ck_assert(rd.must_sync);
	ck_assert_uint_eq(rd.hard_state.term, 4);
	ck_assert_uint_eq(rd.hard_state.vote, 1);
	ck_assert_uint_eq(rd.n_messages, 1);
	ck_assert_int_eq(rd.messages[0].type, RAFT_MSG_VOTE_RESP);
	ck_assert(!rd.messages[0].reject);
	raft_advance(fx_r(f, 1), &rd);
	ck_assert(!raft_has_ready(fx_r(f, 1)));
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(prevote_does_not_raise_term)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_tick(f, 0, 2 * FX_ELECTION);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_PRE_CANDIDATE);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), 0);
	ck_assert_uint_eq(f->nodes[0].st.hs.term, 0);
	int k = fx_find(f, RAFT_MSG_PREVOTE, 1, 2);
	ck_assert_int_ge(k, 0);
	ck_assert_uint_eq(f->q[k].m.term, 1); /* the term it would campaign for */
	struct raft_counters c;
	raft_get_counters(fx_r(f, 0), &c);
	ck_assert_uint_eq(c.elections, 0); /* a pre-candidate is not a candidate */
	/* voters answer without changing their own term or vote */
	fx_deliver_one(f, (size_t)k);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), 0);
	ck_assert_uint_eq(f->nodes[1].st.hs.vote, 0);
	k = fx_find(f, RAFT_MSG_PREVOTE_RESP, 2, 1);
	ck_assert_int_ge(k, 0);
	ck_assert(!f->q[k].m.reject);
	ck_assert_uint_eq(f->q[k].m.term, 1);
	/* with a majority of pre-votes it campaigns for real */
	fx_deliver_one(f, (size_t)k);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_CANDIDATE);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), 1);
	fx_deliver(f, 100);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	raft_get_counters(fx_r(f, 0), &c);
	ck_assert_uint_eq(c.elections, 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(prevote_is_refused_when_candidate_log_is_behind)
{
	NEW_FX();
	fx_init_cfg(f, 3, true, true);
	const uint64_t ours[] = {1, 1};
	seed_log(f, 1, ours, 2, 1, 0);
	fx_start(f, 1);
	struct raft_message v = {
	    .type = RAFT_MSG_PREVOTE, .from = 1, .to = 2, .term = 2, .index = 1, .log_term = 1};
	ck_assert_int_eq(fx_step(f, &v), 0);
	int k = fx_find(f, RAFT_MSG_PREVOTE_RESP, 2, 1);
	ck_assert(f->q[k].m.reject);
	ck_assert_uint_eq(f->q[k].m.term, 1); /* our term, unchanged */
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(vote_requests_are_ignored_while_a_leader_is_heard)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 1));
	struct raft_message v = {.type = RAFT_MSG_PREVOTE,
				 .from = 3,
				 .to = 2,
				 .term = term + 1,
				 .index = 100,
				 .log_term = term};
	ck_assert_int_eq(fx_step(f, &v), 0);
	v.type = RAFT_MSG_VOTE;
	ck_assert_int_eq(fx_step(f, &v), 0);
	ck_assert_uint_eq(f->nq, 0);			/* no answer at all */
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term); /* and no term change */
	ck_assert_uint_eq(raft_leader(fx_r(f, 1)), 1);
	/* the leader itself ignores them too */
	v.to = 1;
	ck_assert_int_eq(fx_step(f, &v), 0);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), term);
	/* once the follower has not heard from the leader for a timeout, it answers */
	fx_tick(f, 1, FX_ELECTION);
	fx_drop_all(f);
	v.to = 2;
	v.type = RAFT_MSG_PREVOTE;
	ck_assert_int_eq(fx_step(f, &v), 0);
	ck_assert_int_ge(fx_find(f, RAFT_MSG_PREVOTE_RESP, 2, 3), 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(candidate_with_majority_becomes_leader_and_appends_noop)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 2);
	struct raft *l = fx_r(f, 2);
	ck_assert_uint_eq(raft_leader(l), 3);
	ck_assert_uint_eq(raft_last_index(l), 1);
	ck_assert_uint_eq(f->nodes[2].st.ents[0].kind, RAFT_ENTRY_NOOP);
	ck_assert_uint_eq(f->nodes[2].st.ents[0].term, raft_term(l));
	/* everyone holds and applied the no-op */
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(raft_commit(fx_r(f, i)), 1);
		ck_assert_uint_eq(f->nodes[i].n_applied, 1);
		ck_assert_uint_eq(raft_leader(fx_r(f, i)), 3);
	}
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(candidate_loses_when_a_majority_rejects)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	const uint64_t longer[] = {1, 1};
	seed_log(f, 1, longer, 2, 1, 0);
	seed_log(f, 2, longer, 2, 1, 0);
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	int t = 0;
	while (raft_role(fx_r(f, 0)) == RAFT_FOLLOWER && t < 3 * FX_ELECTION)
		fx_tick(f, 0, 1), t++;
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_CANDIDATE);
	fx_deliver(f, 100);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_leader(fx_r(f, 0)), 0);
	/* an unforced refusal starts nothing: the voters wait for their
	 * own election timeouts */
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_FOLLOWER);
	ck_assert_int_eq(raft_role(fx_r(f, 2)), RAFT_FOLLOWER);
	ck_assert_uint_eq(f->nq, 0);
	fx_free(f);
	free(f);
}
END_TEST

/* Fast failover picked a replica whose log is behind a survivor's (it
 * missed the dead leader's last appends): the survivor refuses its forced
 * vote, and campaigns itself at once instead of leaving the group without
 * a leader for an election timeout. */
START_TEST(a_voter_ahead_of_a_forced_candidate_campaigns_itself)
{
	NEW_FX();
	fx_init_cfg(f, 3, true, true);
	const uint64_t shorter[] = {1}, longer[] = {1, 1};
	seed_log(f, 0, shorter, 1, 1, 1);
	seed_log(f, 1, longer, 2, 1, 1);
	seed_log(f, 2, longer, 2, 1, 1);
	fx_start(f, 0);
	fx_start(f, 1); /* node 3, the leader of term 1, is dead */
	ck_assert_int_eq(raft_campaign(fx_r(f, 0)), 0);
	fx_ready(f, 0);
	int k = fx_find(f, RAFT_MSG_VOTE, 1, 2);
	ck_assert_int_ge(k, 0);
	fx_deliver_one(f, (size_t)k);
	k = fx_find(f, RAFT_MSG_VOTE_RESP, 2, 1);
	ck_assert_int_ge(k, 0);
	ck_assert(f->q[k].m.reject);
	/* node 2 is a candidate of the next term, asking with force too */
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_CANDIDATE);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), 3);
	k = fx_find(f, RAFT_MSG_VOTE, 2, 1);
	ck_assert_int_ge(k, 0);
	ck_assert(f->q[k].m.force);
	ck_assert_uint_eq(f->q[k].m.index, 2);
	fx_deliver(f, 100);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_LEADER);
	ck_assert_uint_eq(raft_leader(fx_r(f, 0)), 2);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), 3);
	/* the longer log survived: nothing committed was lost */
	ck_assert_uint_ge(raft_last_index(fx_r(f, 0)), 3);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(lone_replica_becomes_leader_and_commits_alone)
{
	NEW_FX();
	fx_init(f, 1, true, true);
	fx_tick(f, 0, 2 * FX_ELECTION);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	uint64_t idx = fx_propose(f, 0, "solo");
	ck_assert_uint_eq(idx, 2);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 2);
	ck_assert_uint_eq(f->nodes[0].n_applied, 2);
	ck_assert_uint_eq(f->nq, 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(campaign_now_skips_prevote_and_gets_past_leader_stickiness)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 0));
	fx_crash(f, 0); /* the supervisor saw the leader's worker die */
	ck_assert_int_eq(raft_campaign(fx_r(f, 1)), 0);
	fx_ready(f, 1);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_CANDIDATE);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term + 1);
	int k = fx_find(f, RAFT_MSG_VOTE, 2, 3);
	ck_assert_int_ge(k, 0);
	ck_assert(f->q[k].m.force);
	ck_assert_int_eq(fx_find(f, RAFT_MSG_PREVOTE, 0, 0), -1);
	/* node 3 still heard the old leader a moment ago, yet votes */
	fx_deliver(f, 100);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_LEADER);
	ck_assert_uint_eq(raft_leader(fx_r(f, 2)), 2);
	/* a leader ignores the request */
	ck_assert_int_eq(raft_campaign(fx_r(f, 1)), 0);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term + 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(candidate_asks_a_voter_again_when_its_connection_comes_up)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 0));
	fx_crash(f, 0);
	ck_assert_int_eq(raft_campaign(fx_r(f, 1)), 0);
	fx_ready(f, 1);
	int k = fx_find(f, RAFT_MSG_VOTE, 2, 3);
	ck_assert_int_ge(k, 0);
	struct raft_message first = f->q[k].m;
	/* no connection to node 3 yet: the requests are dropped */
	fx_drop_all(f);
	ck_assert_uint_eq(f->nq, 0);
	/* the connection comes up: the same request goes out again */
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 1), 3), 0);
	fx_ready(f, 1);
	ck_assert_uint_eq(f->nq, 1);
	k = fx_find(f, RAFT_MSG_VOTE, 2, 3);
	ck_assert_int_ge(k, 0);
	ck_assert_uint_eq(f->q[k].m.term, term + 1);
	ck_assert_uint_eq(f->q[k].m.term, first.term);
	ck_assert_uint_eq(f->q[k].m.index, first.index);
	ck_assert_uint_eq(f->q[k].m.log_term, first.log_term);
	ck_assert(f->q[k].m.force); /* past node 3's stickiness, as the first */
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term + 1); /* no new term */
	/* the vote arrives but its answer is lost: asked again, node 3
	 * answers the repeat as it answered the first, and stays put */
	fx_deliver_one(f, (size_t)k);
	k = fx_find(f, RAFT_MSG_VOTE_RESP, 3, 2);
	ck_assert_int_ge(k, 0);
	ck_assert(!f->q[k].m.reject);
	fx_drop_all(f);
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 1), 3), 0);
	fx_ready(f, 1);
	fx_deliver(f, 1);
	k = fx_find(f, RAFT_MSG_VOTE_RESP, 3, 2);
	ck_assert_int_ge(k, 0);
	ck_assert(!f->q[k].m.reject);
	ck_assert_uint_eq(f->nodes[2].st.hs.vote, 2);
	ck_assert_uint_eq(raft_term(fx_r(f, 2)), term + 1);
	fx_deliver(f, 100);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_LEADER);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term + 1);
	/* a leader asks nobody */
	fx_drop_all(f);
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 1), 3), 0);
	fx_ready(f, 1);
	ck_assert_int_eq(fx_find(f, RAFT_MSG_VOTE, 2, 3), -1);
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 1), 9), ERR_INVALID);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(campaign_asks_unanswered_voters_again_every_heartbeat)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 0));
	fx_crash(f, 0);
	ck_assert_int_eq(raft_campaign(fx_r(f, 1)), 0);
	fx_ready(f, 1);
	/* node 3 gets the request, but its answer is lost (its connection
	 * back to node 2 was still being dialled); no connection event
	 * follows on node 2's side */
	int k = fx_find(f, RAFT_MSG_VOTE, 2, 3);
	ck_assert_int_ge(k, 0);
	fx_deliver_one(f, (size_t)k);
	ck_assert_int_ge(fx_find(f, RAFT_MSG_VOTE_RESP, 3, 2), 0);
	fx_drop_all(f);
	/* within a heartbeat interval node 2 asks again: node 1 (crashed)
	 * and node 3 (no answer), nobody else */
	fx_tick(f, 1, FX_HEARTBEAT);
	ck_assert_uint_eq(f->nq, 2);
	k = fx_find(f, RAFT_MSG_VOTE, 2, 3);
	ck_assert_int_ge(k, 0);
	ck_assert_uint_eq(f->q[k].m.term, term + 1);
	ck_assert(f->q[k].m.force);
	ck_assert_int_ge(fx_find(f, RAFT_MSG_VOTE, 2, 1), 0);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term + 1); /* no new term */
	/* node 3 answers the repeat as it answered the first: node 2 wins
	 * well inside the election timeout */
	fx_deliver_one(f, (size_t)k);
	k = fx_find(f, RAFT_MSG_VOTE_RESP, 3, 2);
	ck_assert_int_ge(k, 0);
	ck_assert(!f->q[k].m.reject);
	fx_deliver_one(f, (size_t)k);
	fx_ready(f, 1);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_LEADER);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term + 1);
	/* a leader's ticks ask nobody */
	fx_drop_all(f);
	fx_tick(f, 1, FX_HEARTBEAT);
	ck_assert_int_eq(fx_find(f, RAFT_MSG_VOTE, 2, 3), -1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(pre_candidate_asks_again_only_voters_that_have_not_answered)
{
	NEW_FX();
	fx_init(f, 5, true, true);
	/* a follower asks nobody */
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 0), 2), 0);
	fx_ready(f, 0);
	ck_assert_uint_eq(f->nq, 0);
	fx_tick(f, 0, 2 * FX_ELECTION);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_PRE_CANDIDATE);
	/* node 2 gets its request and grants it; the other three are lost */
	int k = fx_find(f, RAFT_MSG_PREVOTE, 1, 2);
	ck_assert_int_ge(k, 0);
	fx_deliver_one(f, (size_t)k);
	k = fx_find(f, RAFT_MSG_PREVOTE_RESP, 2, 1);
	ck_assert_int_ge(k, 0);
	fx_deliver_one(f, (size_t)k);
	fx_ready(f, 0);
	fx_drop_all(f);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_PRE_CANDIDATE); /* 2 of 5 */
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 0), 2), 0);
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 0), 3), 0);
	fx_ready(f, 0);
	ck_assert_uint_eq(f->nq, 1); /* node 3 only: node 2 answered */
	k = fx_find(f, RAFT_MSG_PREVOTE, 1, 3);
	ck_assert_int_ge(k, 0);
	ck_assert_uint_eq(f->q[k].m.term, 1); /* the term it would campaign for */
	ck_assert(!f->q[k].m.force);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), 0);
	/* node 3 grants it too: 3 of 5, the real election follows */
	fx_deliver(f, 2);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_CANDIDATE);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), 1);
	fx_deliver(f, 100);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(candidate_steps_down_on_append_from_leader_of_its_term)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	ck_assert_int_eq(raft_campaign(fx_r(f, 0)), 0);
	fx_ready(f, 0);
	fx_drop_all(f);
	struct raft_message a = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 1};
	ck_assert_int_eq(fx_step(f, &a), 0);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_leader(fx_r(f, 0)), 2);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(lower_term_messages_are_counted_and_stale_leader_learns_our_term)
{
	NEW_FX();
	fx_init_cfg(f, 3, true, true);
	f->nodes[1].st.hs.term = 5;
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	struct raft_message a = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 3};
	ck_assert_int_eq(fx_step(f, &a), 0);
	a.type = RAFT_MSG_VOTE_RESP;
	ck_assert_int_eq(fx_step(f, &a), 0);
	struct raft_counters c;
	raft_get_counters(fx_r(f, 1), &c);
	ck_assert_uint_eq(c.lower_term_msgs, 2);
	ck_assert_uint_eq(f->nq, 1); /* only the append is answered */
	ck_assert_int_eq(f->q[0].m.type, RAFT_MSG_APPEND_RESP);
	ck_assert_uint_eq(f->q[0].m.term, 5);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), 5);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(leader_changes_are_counted_once_per_new_leader_and_term)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	struct raft_counters c;
	raft_get_counters(fx_r(f, 2), &c);
	ck_assert_uint_eq(c.leader_changes, 1);
	/* heartbeats from the same leader do not count */
	fx_tick(f, 0, 3 * FX_HEARTBEAT);
	fx_deliver(f, 100);
	raft_get_counters(fx_r(f, 2), &c);
	ck_assert_uint_eq(c.leader_changes, 1);
	fx_elect(f, 1);
	raft_get_counters(fx_r(f, 2), &c);
	ck_assert_uint_eq(c.leader_changes, 2);
	raft_get_counters(fx_r(f, 1), &c);
	ck_assert_uint_eq(c.leader_changes, 2); /* it saw node 1, then itself */
	fx_free(f);
	free(f);
}
END_TEST

Suite *raft_election_suite(void)
{
	Suite *s = suite_create("raft_election");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, follower_becomes_candidate_after_election_timeout);
	tcase_add_test(tc, election_timeout_is_randomized_between_one_and_two_timeouts);
	tcase_add_test(tc, vote_refused_when_candidate_log_is_behind);
	tcase_add_test(tc, only_one_vote_is_granted_per_term);
	tcase_add_test(tc, vote_is_persisted_in_the_same_ready_as_the_answer);
	tcase_add_test(tc, prevote_does_not_raise_term);
	tcase_add_test(tc, prevote_is_refused_when_candidate_log_is_behind);
	tcase_add_test(tc, vote_requests_are_ignored_while_a_leader_is_heard);
	tcase_add_test(tc, candidate_with_majority_becomes_leader_and_appends_noop);
	tcase_add_test(tc, candidate_loses_when_a_majority_rejects);
	tcase_add_test(tc, a_voter_ahead_of_a_forced_candidate_campaigns_itself);
	tcase_add_test(tc, lone_replica_becomes_leader_and_commits_alone);
	tcase_add_test(tc, campaign_now_skips_prevote_and_gets_past_leader_stickiness);
	tcase_add_test(tc, candidate_asks_a_voter_again_when_its_connection_comes_up);
	tcase_add_test(tc, campaign_asks_unanswered_voters_again_every_heartbeat);
	tcase_add_test(tc, pre_candidate_asks_again_only_voters_that_have_not_answered);
	tcase_add_test(tc, candidate_steps_down_on_append_from_leader_of_its_term);
	tcase_add_test(tc, lower_term_messages_are_counted_and_stale_leader_learns_our_term);
	tcase_add_test(tc, leader_changes_are_counted_once_per_new_leader_and_term);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(raft_election_suite)
