/* test_raft_learner.c - non-voting members: learners receive the log like
 * followers (appends, heartbeats, log starts) but never vote, campaign,
 * lead or count towards commit and check-quorum. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "test_raft_fixture.h"

#define NEW_FX() struct fx *f = calloc(1, sizeof(struct fx))

/* Delivers queued messages (and those they cause) in FIFO order, dropping
 * every message to or from a node whose bit (1 << slot) is in cut. */
static void deliver_except(struct fx *f, unsigned cut, size_t max)
{
	for (size_t done = 0; f->nq && done < max; done++) {
		const struct raft_message *m = &f->q[0].m;
		if ((cut >> (m->to - 1) & 1) || (cut >> (m->from - 1) & 1))
			fx_remove(f, 0);
		else
			fx_deliver_one(f, 0);
	}
}

START_TEST(learner_reports_its_role_and_is_no_voter)
{
	NEW_FX();
	fx_init_learners(f, 3, 1, true, true);
	ck_assert_int_eq(raft_role(fx_r(f, 3)), RAFT_LEARNER);
	ck_assert_str_eq(raft_role_name(RAFT_LEARNER), "learner");
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_FOLLOWER);
	for (int i = 0; i < 4; i++) {
		ck_assert(raft_is_voter(fx_r(f, i), 1));
		ck_assert(raft_is_voter(fx_r(f, i), 3));
		ck_assert(!raft_is_voter(fx_r(f, i), 4));
		ck_assert(!raft_is_voter(fx_r(f, i), 9));
	}
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(config_rejects_a_learner_that_is_also_a_voter_or_a_stranger_self)
{
	NEW_FX();
	fx_init_cfg(f, 4, true, true);
	fx_set_learners(f, 3);
	struct raft r;
	struct raft_config c = f->cfg;
	c.storage = &f->nodes[0].st.iface;
	c.id = 4;
	ck_assert_int_eq(raft_init(&r, &c), 0); /* self is a learner: fine */
	raft_close(&r);
	uint64_t dup[] = {2};
	c.learners = dup; /* node 2 both votes and learns */
	c.n_learners = 1;
	c.id = 1;
	ck_assert_int_eq(raft_init(&r, &c), ERR_CONFIG);
	uint64_t zero[] = {0};
	c.learners = zero;
	ck_assert_int_eq(raft_init(&r, &c), ERR_CONFIG);
	c.learners = NULL;
	ck_assert_int_eq(raft_init(&r, &c), ERR_CONFIG);
	c = f->cfg;
	c.storage = &f->nodes[0].st.iface;
	c.id = 5; /* neither a voter nor a learner */
	ck_assert_int_eq(raft_init(&r, &c), ERR_CONFIG);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(learners_receive_every_committed_entry)
{
	NEW_FX();
	fx_init_learners(f, 3, 2, true, true);
	fx_elect(f, 0);
	for (int k = 0; k < 10; k++)
		fx_propose(f, 0, "entry");
	fx_deliver(f, 10000);
	fx_tick(f, 0, FX_HEARTBEAT); /* the last commit index travels on a heartbeat */
	fx_deliver(f, 10000);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 11);
	for (int i = 0; i < 5; i++) {
		ck_assert_uint_eq(f->nodes[i].n_applied, 11);
		for (size_t k = 0; k < 11; k++)
			ck_assert_uint_eq(f->nodes[i].applied[k], k + 1);
	}
	for (int i = 3; i < 5; i++) {
		ck_assert_int_eq(raft_role(fx_r(f, i)), RAFT_LEARNER);
		ck_assert_uint_eq(raft_leader(fx_r(f, i)), 1);
		uint64_t m = 0;
		ck_assert_int_eq(raft_peer_match(fx_r(f, 0), (uint64_t)i + 1, &m), 0);
		ck_assert_uint_eq(m, 11);
	}
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(learner_acks_alone_commit_nothing)
{
	NEW_FX();
	/* Two voters and two learners: the leader and both learners are three
	 * of four members, but one voter of two. */
	fx_init_learners(f, 2, 2, false, false);
	ck_assert_int_eq(raft_campaign(fx_r(f, 0)), 0);
	fx_ready(f, 0);
	fx_deliver(f, 10000);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	uint64_t commit = raft_commit(fx_r(f, 0));
	ck_assert_uint_eq(commit, 1); /* its no-op, with node 2's vote and ack */
	fx_crash(f, 1);
	uint64_t idx = fx_propose(f, 0, "x");
	fx_deliver(f, 10000);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 10000);
	/* Both learners hold it; the commit did not move. */
	ck_assert_uint_eq(fx_store_last(&f->nodes[2].st), idx);
	ck_assert_uint_eq(fx_store_last(&f->nodes[3].st), idx);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), commit);
	ck_assert_uint_eq(f->nodes[0].n_applied, 1);
	/* The other voter comes back: now a voter majority holds it. */
	fx_start(f, 1);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 10000);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), idx);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(three_voters_and_a_learner_commit_with_two_voters)
{
	NEW_FX();
	fx_init_learners(f, 3, 1, true, true);
	fx_elect(f, 0);
	/* Node 3 (a voter) and node 4 (the learner) hear nothing. */
	uint64_t idx = fx_propose(f, 0, "y");
	deliver_except(f, 1u << 2 | 1u << 3, 10000);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), idx);
	ck_assert_uint_eq(fx_store_last(&f->nodes[2].st), idx - 1);
	ck_assert_uint_eq(fx_store_last(&f->nodes[3].st), idx - 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(lone_voter_commits_alone_and_replicates_to_its_learner)
{
	NEW_FX();
	fx_init_learners(f, 1, 1, true, true);
	ck_assert_int_eq(raft_campaign(fx_r(f, 0)), 0);
	fx_ready(f, 0);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	uint64_t idx = fx_propose(f, 0, "z");
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), idx); /* before anyone answered */
	fx_deliver(f, 10000);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 10000);
	ck_assert_uint_eq(raft_commit(fx_r(f, 1)), idx);
	ck_assert_uint_eq(f->nodes[1].n_applied, idx);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(learner_far_behind_catches_up_with_tight_flow_control)
{
	NEW_FX();
	fx_init_cfg(f, 4, true, true);
	fx_set_learners(f, 3);
	f->cfg.max_inflight_msgs = 1;
	f->cfg.max_msg_entries = 2;
	for (int i = 0; i < 4; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	fx_crash(f, 3);
	for (int k = 0; k < 100; k++) {
		fx_propose(f, 0, "backlog");
		fx_deliver(f, 10000);
	}
	uint64_t last = raft_last_index(fx_r(f, 0));
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), last);
	fx_start(f, 3);
	for (int round = 0; round < 200 && raft_commit(fx_r(f, 3)) < last; round++) {
		fx_tick(f, 0, 1);
		fx_deliver(f, 10000);
	}
	ck_assert_uint_eq(fx_store_last(&f->nodes[3].st), last);
	ck_assert_uint_eq(raft_commit(fx_r(f, 3)), last);
	/* its state machine restarted empty and applied everything again */
	ck_assert_uint_eq(f->nodes[3].applied[f->nodes[3].n_applied - 1], last);
	ck_assert_uint_eq(f->nodes[3].n_applied, 1 + last);
	ck_assert(!f->nodes[3].installed); /* entries all the way, no log start */
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(learner_behind_the_log_start_installs_it_and_catches_up)
{
	NEW_FX();
	fx_init_learners(f, 3, 1, true, true);
	fx_elect(f, 0);
	fx_crash(f, 3);
	for (int k = 0; k < 30; k++)
		fx_propose(f, 0, "v");
	fx_deliver(f, 10000);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 31);
	uint64_t term = raft_term(fx_r(f, 0));
	fx_store_compact(&f->nodes[0].st, 31, "S31");
	fx_propose(f, 0, "after");
	fx_deliver(f, 10000);
	fx_start(f, 3);
	bool saw = false;
	for (int round = 0; round < 20 && raft_commit(fx_r(f, 3)) < 32; round++) {
		fx_tick(f, 0, FX_HEARTBEAT);
		for (int k = 0; k < 1000 && f->nq; k++) {
			const struct raft_message *m = &f->q[0].m;
			if (m->type == RAFT_MSG_SNAPSHOT) {
				saw = true;
				ck_assert_uint_eq(m->to, 4);
				ck_assert_uint_eq(m->index, 31);
				ck_assert_uint_eq(m->log_term, term);
			}
			fx_deliver_one(f, 0);
		}
	}
	ck_assert(saw);
	ck_assert(f->nodes[3].installed);
	ck_assert_uint_eq(f->nodes[3].st.start_index, 31);
	ck_assert_mem_eq(f->nodes[3].st.snap, "S31", 3);
	ck_assert_uint_eq(fx_store_last(&f->nodes[3].st), 32);
	ck_assert_uint_eq(raft_commit(fx_r(f, 3)), 32);
	ck_assert_uint_eq(f->nodes[3].applied[f->nodes[3].n_applied - 1], 32);
	ck_assert_int_eq(raft_role(fx_r(f, 3)), RAFT_LEARNER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(learner_never_campaigns_after_many_election_timeouts)
{
	NEW_FX();
	fx_init_learners(f, 3, 1, true, true);
	uint64_t term = raft_term(fx_r(f, 3));
	fx_tick(f, 3, 50 * FX_ELECTION);
	ck_assert_uint_eq(f->nq, 0); /* not one (pre-)vote request */
	ck_assert_int_eq(raft_role(fx_r(f, 3)), RAFT_LEARNER);
	ck_assert_uint_eq(raft_term(fx_r(f, 3)), term);
	struct raft_counters c;
	raft_get_counters(fx_r(f, 3), &c);
	ck_assert_uint_eq(c.elections, 0);
	/* Also after it knew a leader that then went silent. */
	fx_elect(f, 0);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 10000);
	ck_assert_uint_eq(raft_leader(fx_r(f, 3)), 1);
	fx_crash(f, 0);
	fx_tick(f, 3, 50 * FX_ELECTION);
	ck_assert_uint_eq(fx_count(f, 0, 4, 0), 0);
	ck_assert_int_eq(raft_role(fx_r(f, 3)), RAFT_LEARNER);
	raft_get_counters(fx_r(f, 3), &c);
	ck_assert_uint_eq(c.elections, 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(forced_campaign_and_timeout_now_are_refused_on_a_learner)
{
	NEW_FX();
	fx_init_learners(f, 3, 1, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 3));
	ck_assert_int_eq(raft_campaign(fx_r(f, 3)), ERR_INVALID);
	fx_ready(f, 3);
	ck_assert_uint_eq(f->nq, 0);
	struct raft_message tn = {.type = RAFT_MSG_TIMEOUT_NOW, .from = 1, .to = 4, .term = term};
	ck_assert_int_eq(fx_step(f, &tn), 0);
	ck_assert_uint_eq(f->nq, 0);
	ck_assert_uint_eq(raft_term(fx_r(f, 3)), term);
	ck_assert_int_eq(raft_role(fx_r(f, 3)), RAFT_LEARNER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(leadership_is_never_transferred_to_a_learner)
{
	NEW_FX();
	fx_init_learners(f, 3, 1, true, true);
	fx_elect(f, 0);
	fx_propose(f, 0, "a");
	/* Only the learner is caught up: voters 2 and 3 hear nothing. */
	deliver_except(f, 1u << 1 | 1u << 2, 10000);
	uint64_t m = 0;
	ck_assert_int_eq(raft_peer_match(fx_r(f, 0), 4, &m), 0);
	ck_assert_uint_eq(m, raft_last_index(fx_r(f, 0)));
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 0), 4), ERR_INVALID);
	ck_assert_uint_eq(raft_transferee(fx_r(f, 0)), 0);
	/* "The most caught-up follower" means the most caught-up voter. */
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 0), 0), 0);
	uint64_t to = raft_transferee(fx_r(f, 0));
	ck_assert(to == 2 || to == 3);
	fx_ready(f, 0);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_TIMEOUT_NOW, 0, 4), 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(candidate_asks_only_voters_and_ignores_learner_grants)
{
	NEW_FX();
	fx_init_learners(f, 3, 2, false, false);
	ck_assert_int_eq(raft_campaign(fx_r(f, 0)), 0);
	fx_ready(f, 0);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_VOTE, 1, 2), 1);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_VOTE, 1, 3), 1);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_VOTE, 1, 4), 0);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_VOTE, 1, 5), 0);
	uint64_t term = raft_term(fx_r(f, 0));
	fx_drop_all(f);
	/* Grants claiming to come from both learners would be a majority of
	 * the five members with the candidate's own vote. */
	for (uint64_t from = 4; from <= 5; from++) {
		struct raft_message g = {
		    .type = RAFT_MSG_VOTE_RESP, .from = from, .to = 1, .term = term};
		ck_assert_int_eq(fx_step(f, &g), 0);
	}
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_CANDIDATE);
	/* A peer connection to a learner coming up asks it nothing. */
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 0), 4), 0);
	fx_ready(f, 0);
	ck_assert_uint_eq(f->nq, 0);
	/* One real grant wins. */
	struct raft_message g = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = term};
	ck_assert_int_eq(fx_step(f, &g), 0);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(learner_answers_no_vote_request)
{
	NEW_FX();
	fx_init_learners(f, 3, 1, true, true);
	uint64_t term = raft_term(fx_r(f, 3));
	const uint8_t types[] = {RAFT_MSG_PREVOTE, RAFT_MSG_VOTE};
	for (int k = 0; k < 2; k++) {
		struct raft_message v = {.type = types[k],
					 .from = 2,
					 .to = 4,
					 .term = term + 5,
					 .index = 100,
					 .log_term = term + 4,
					 .force = true};
		ck_assert_int_eq(fx_step(f, &v), 0);
	}
	ck_assert_uint_eq(f->nq, 0); /* no grant, and no answer at all */
	ck_assert_uint_eq(raft_term(fx_r(f, 3)), term);
	ck_assert_uint_eq(f->nodes[3].st.hs.vote, 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(leader_ignores_vote_requests_from_a_learner)
{
	NEW_FX();
	fx_init_learners(f, 3, 1, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 0));
	for (int to = 1; to <= 3; to++) {
		struct raft_message v = {.type = RAFT_MSG_VOTE,
					 .from = 4,
					 .to = (uint64_t)to,
					 .term = term + 1,
					 .index = 1000,
					 .log_term = term,
					 .force = true};
		ck_assert_int_eq(fx_step(f, &v), 0);
		v.type = RAFT_MSG_PREVOTE;
		ck_assert_int_eq(fx_step(f, &v), 0);
	}
	ck_assert_uint_eq(f->nq, 0);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(raft_term(fx_r(f, i)), term);
		ck_assert_uint_ne(f->nodes[i].st.hs.vote, 4);
	}
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(check_quorum_ignores_answering_learners)
{
	NEW_FX();
	fx_init_learners(f, 3, 2, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 0));
	/* Voters 2 and 3 are cut off; both learners answer every heartbeat. */
	for (int k = 0; k < 3 * FX_ELECTION && raft_role(fx_r(f, 0)) == RAFT_LEADER; k++) {
		fx_tick(f, 0, 1);
		deliver_except(f, 1u << 1 | 1u << 2, 10000);
	}
	/* The learners heard it all along, yet it stepped down. */
	ck_assert_uint_eq(raft_leader(fx_r(f, 3)), 1);
	ck_assert_uint_eq(raft_leader(fx_r(f, 4)), 1);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), term);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(check_quorum_keeps_a_leader_whose_learners_are_silent)
{
	NEW_FX();
	fx_init_learners(f, 3, 2, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 0));
	for (int k = 0; k < 5 * FX_ELECTION; k++) {
		fx_tick(f, 0, 1);
		deliver_except(f, 1u << 3 | 1u << 4, 10000);
	}
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), term);
	fx_free(f);
	free(f);
}
END_TEST

Suite *raft_learner_suite(void)
{
	Suite *s = suite_create("raft_learner");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, learner_reports_its_role_and_is_no_voter);
	tcase_add_test(tc, config_rejects_a_learner_that_is_also_a_voter_or_a_stranger_self);
	tcase_add_test(tc, learners_receive_every_committed_entry);
	tcase_add_test(tc, learner_acks_alone_commit_nothing);
	tcase_add_test(tc, three_voters_and_a_learner_commit_with_two_voters);
	tcase_add_test(tc, lone_voter_commits_alone_and_replicates_to_its_learner);
	tcase_add_test(tc, learner_far_behind_catches_up_with_tight_flow_control);
	tcase_add_test(tc, learner_behind_the_log_start_installs_it_and_catches_up);
	tcase_add_test(tc, learner_never_campaigns_after_many_election_timeouts);
	tcase_add_test(tc, forced_campaign_and_timeout_now_are_refused_on_a_learner);
	tcase_add_test(tc, leadership_is_never_transferred_to_a_learner);
	tcase_add_test(tc, candidate_asks_only_voters_and_ignores_learner_grants);
	tcase_add_test(tc, learner_answers_no_vote_request);
	tcase_add_test(tc, leader_ignores_vote_requests_from_a_learner);
	tcase_add_test(tc, check_quorum_ignores_answering_learners);
	tcase_add_test(tc, check_quorum_keeps_a_leader_whose_learners_are_silent);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(raft_learner_suite)
