/* test_raft_leadership.c - keeping and handing over leadership:
 * check-quorum, heartbeats, and leadership transfer with TIMEOUT_NOW. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "test_raft_fixture.h"

#define NEW_FX() struct fx *f = calloc(1, sizeof(struct fx))

START_TEST(leader_steps_down_without_quorum_contact)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	uint64_t term = raft_term(fx_r(f, 0));
	/* The followers' answers never arrive. */
	for (int t = 0; t < 2 * FX_ELECTION && raft_role(fx_r(f, 0)) == RAFT_LEADER; t++) {
		fx_tick(f, 0, 1);
		fx_drop_all(f);
	}
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_leader(fx_r(f, 0)), 0);
	ck_assert_uint_eq(raft_term(fx_r(f, 0)), term); /* stepping down raises nothing */
	ck_assert_int_eq(raft_propose(fx_r(f, 0), "x", 1, NULL), ERR_NOTLEADER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(leader_keeps_leading_while_a_majority_answers)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	fx_crash(f, 2); /* one follower down: still a majority */
	for (int t = 0; t < 10 * FX_ELECTION; t++) {
		fx_tick(f, 0, 1);
		fx_tick(f, 1, 1);
		fx_deliver(f, 100);
	}
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	ck_assert_uint_eq(raft_leader(fx_r(f, 1)), 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(without_check_quorum_a_cut_off_leader_stays_leader)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	for (int t = 0; t < 5 * FX_ELECTION; t++) {
		fx_tick(f, 0, 1);
		fx_drop_all(f);
	}
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(leader_sends_heartbeats_every_heartbeat_interval)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	fx_tick(f, 0, FX_HEARTBEAT - 1);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 0), 0);
	fx_tick(f, 0, 1);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 2), 1);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 3), 1);
	/* followers hearing them never campaign */
	for (int t = 0; t < 10 * FX_ELECTION; t++) {
		fx_tick(f, 0, 1);
		fx_tick(f, 1, 1);
		fx_tick(f, 2, 1);
		fx_deliver(f, 100);
	}
	struct raft_counters c;
	raft_get_counters(fx_r(f, 1), &c);
	ck_assert_uint_eq(c.elections, 0);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(transfer_sends_timeout_now_once_target_caught_up)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	/* node 2 misses three entries */
	for (int k = 0; k < 3; k++)
		fx_propose(f, 0, "e");
	for (int k = 0; k < 100 && f->nq; k++) {
		if (f->q[0].m.to == 2)
			fx_remove(f, 0);
		else
			fx_deliver_one(f, 0);
	}
	ck_assert_uint_eq(fx_store_last(&f->nodes[1].st), 1);
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 0), 2), 0);
	fx_ready(f, 0);
	ck_assert_uint_eq(raft_transferee(fx_r(f, 0)), 2);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_TIMEOUT_NOW, 0, 0), 0); /* not before it caught up */
	/* deliver until TIMEOUT_NOW shows up; hold it */
	int k = -1;
	for (int round = 0; round < 10 && k < 0; round++) {
		fx_tick(f, 0, FX_HEARTBEAT);
		for (int n = 0;
		     n < 100 && f->nq && (k = fx_find(f, RAFT_MSG_TIMEOUT_NOW, 0, 0)) < 0; n++)
			fx_deliver_one(f, 0);
	}
	ck_assert_int_ge(k, 0);
	ck_assert_uint_eq(f->q[k].m.to, 2);
	ck_assert_uint_eq(fx_store_last(&f->nodes[1].st), 4); /* caught up first */
	ck_assert_int_eq(raft_propose(fx_r(f, 0), "x", 1, NULL), ERR_NOTLEADER);
	/* more acknowledgements do not send it again */
	struct fx_msg held = f->q[k];
	memmove(&f->q[k], &f->q[k + 1], (f->nq - (size_t)k - 1) * sizeof(f->q[0]));
	f->nq--;
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 100);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 100);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_TIMEOUT_NOW, 0, 0), 0);
	/* the target campaigns at once and wins term + 1 */
	uint64_t term = raft_term(fx_r(f, 0));
	ck_assert_int_eq(fx_step(f, &held.m), 0);
	free(held.blob);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_CANDIDATE);
	int v = fx_find(f, RAFT_MSG_VOTE, 2, 0);
	ck_assert(f->q[v].m.force);
	fx_deliver(f, 100);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_LEADER);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term + 1);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_leader(fx_r(f, 0)), 2);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(transfer_to_a_caught_up_target_sends_timeout_now_at_once)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 0), 3), 0);
	fx_ready(f, 0);
	int k = fx_find(f, RAFT_MSG_TIMEOUT_NOW, 1, 3);
	ck_assert_int_ge(k, 0);
	fx_deliver(f, 100);
	ck_assert_int_eq(raft_role(fx_r(f, 2)), RAFT_LEADER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(transfer_to_zero_picks_the_most_caught_up_follower)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	fx_propose(f, 0, "e");
	for (int k = 0; k < 100 && f->nq; k++) {
		if (f->q[0].m.to == 2)
			fx_remove(f, 0);
		else
			fx_deliver_one(f, 0);
	}
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 0), 0), 0);
	ck_assert_uint_eq(raft_transferee(fx_r(f, 0)), 3);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(transfer_is_abandoned_after_an_election_timeout)
{
	NEW_FX();
	fx_init(f, 3, true, false);
	fx_elect(f, 0);
	fx_crash(f, 1); /* the target never answers */
	fx_propose(f, 0, "e");
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 0), 2), 0);
	ck_assert_int_eq(raft_propose(fx_r(f, 0), "x", 1, NULL), ERR_NOTLEADER);
	for (int t = 0; t < FX_ELECTION; t++) {
		fx_tick(f, 0, 1);
		fx_deliver(f, 100);
	}
	ck_assert_uint_eq(raft_transferee(fx_r(f, 0)), 0);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	ck_assert_int_eq(raft_propose(fx_r(f, 0), "x", 1, NULL), 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(transfer_is_refused_by_a_follower_and_for_unknown_peers)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 1), 3), ERR_NOTLEADER);
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 0), 9), ERR_INVALID);
	ck_assert_int_eq(raft_transfer_leader(fx_r(f, 0), 1), 0); /* to itself: nothing to do */
	ck_assert_uint_eq(raft_transferee(fx_r(f, 0)), 0);
	fx_free(f);
	free(f);
}
END_TEST

Suite *raft_leadership_suite(void)
{
	Suite *s = suite_create("raft_leadership");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, leader_steps_down_without_quorum_contact);
	tcase_add_test(tc, leader_keeps_leading_while_a_majority_answers);
	tcase_add_test(tc, without_check_quorum_a_cut_off_leader_stays_leader);
	tcase_add_test(tc, leader_sends_heartbeats_every_heartbeat_interval);
	tcase_add_test(tc, transfer_sends_timeout_now_once_target_caught_up);
	tcase_add_test(tc, transfer_to_a_caught_up_target_sends_timeout_now_at_once);
	tcase_add_test(tc, transfer_to_zero_picks_the_most_caught_up_follower);
	tcase_add_test(tc, transfer_is_abandoned_after_an_election_timeout);
	tcase_add_test(tc, transfer_is_refused_by_a_follower_and_for_unknown_peers);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(raft_leadership_suite)
