/* test_raft_quiesce.c - quiescence: a settled group goes quiet, stays
 * quiet however long it ticks, and wakes on a proposal, a message, a peer
 * connecting again or the leader's node being unreachable. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "test_raft_fixture.h"
#include "worker/raft_codec.h"

#define NEW_FX() struct fx *f = calloc(1, sizeof(struct fx))

/* Three replicas with pre-vote, check-quorum and quiescence; node 0 leads,
 * one entry committed everywhere, and the group has gone quiet. */
static struct fx *quiet_group(void)
{
	NEW_FX();
	fx_init_cfg(f, 3, true, true);
	f->cfg.quiesce = true;
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	fx_propose(f, 0, "a");
	fx_deliver(f, 1000);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 1000);
	return f;
}

/* Delivers everything queued and caused, dropping what goes to node `to`. */
static void deliver_except_to(struct fx *f, uint64_t to)
{
	for (int n = 0; f->nq && n < 1000; n++) {
		if (f->q[0].m.to == to)
			fx_remove(f, 0);
		else
			fx_deliver_one(f, 0);
	}
}

static void tick_all(struct fx *f, int k)
{
	for (int t = 0; t < k; t++)
		for (int i = 0; i < f->n; i++)
			if (f->nodes[i].up)
				fx_tick(f, i, 1);
}

START_TEST(leader_goes_quiet_once_every_follower_holds_everything)
{
	NEW_FX();
	fx_init_cfg(f, 3, true, true);
	f->cfg.quiesce = true;
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	fx_propose(f, 0, "a");
	fx_deliver(f, 1000);
	ck_assert(!raft_quiesced(fx_r(f, 0)));
	fx_tick(f, 0, FX_HEARTBEAT);
	/* The last heartbeat: marked, carrying the final commit. */
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 0), 2);
	int k = fx_find(f, RAFT_MSG_HEARTBEAT, 1, 3);
	ck_assert(f->q[k].m.quiesce);
	ck_assert_uint_eq(f->q[k].m.commit, raft_last_index(fx_r(f, 0)));
	ck_assert(raft_quiesced(fx_r(f, 0)));
	fx_deliver(f, 1000);
	/* Their answers did not wake it; the followers went quiet too. */
	for (int i = 0; i < 3; i++)
		ck_assert(raft_quiesced(fx_r(f, i)));
	struct raft_counters c;
	raft_get_counters(fx_r(f, 2), &c);
	ck_assert_uint_eq(c.quiesces, 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(a_quiet_group_sends_nothing_and_elects_nobody_however_long_it_ticks)
{
	struct fx *f = quiet_group();
	uint64_t term = raft_term(fx_r(f, 0));
	tick_all(f, 10 * FX_ELECTION);
	ck_assert_uint_eq(f->nq, 0);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_FOLLOWER);
	ck_assert_int_eq(raft_role(fx_r(f, 2)), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term);
	struct raft_counters c;
	raft_get_counters(fx_r(f, 1), &c);
	ck_assert_uint_eq(c.elections, 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(leader_keeps_heartbeating_while_a_follower_lags)
{
	NEW_FX();
	fx_init_cfg(f, 3, true, true);
	f->cfg.quiesce = true;
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	fx_propose(f, 0, "a");
	/* Node 3 gets nothing more. */
	deliver_except_to(f, 3);
	int k;
	for (int round = 0; round < 5; round++) {
		fx_tick(f, 0, FX_HEARTBEAT);
		ck_assert(!raft_quiesced(fx_r(f, 0)));
		ck_assert_uint_ge(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 2), 1);
		k = fx_find(f, RAFT_MSG_HEARTBEAT, 1, 2);
		ck_assert(!f->q[k].m.quiesce);
		fx_drop_all(f); /* node 3 stays behind */
	}
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(a_proposal_wakes_the_group_which_goes_quiet_again_once_settled)
{
	struct fx *f = quiet_group();
	fx_propose(f, 0, "b");
	ck_assert(!raft_quiesced(fx_r(f, 0)));
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_APPEND, 1, 0), 2);
	fx_deliver(f, 1000);
	ck_assert(!raft_quiesced(fx_r(f, 1)));
	ck_assert_uint_eq(raft_commit(fx_r(f, 1)), raft_last_index(fx_r(f, 0)));
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 1000);
	for (int i = 0; i < 3; i++)
		ck_assert(raft_quiesced(fx_r(f, i)));
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(a_follower_that_missed_the_last_heartbeat_wakes_the_leader_through_prevote)
{
	NEW_FX();
	fx_init_cfg(f, 3, true, true);
	f->cfg.quiesce = true;
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	fx_propose(f, 0, "a");
	fx_deliver(f, 1000);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_remove(f, (size_t)fx_find(f, RAFT_MSG_HEARTBEAT, 1, 3));
	fx_deliver(f, 1000);
	ck_assert(raft_quiesced(fx_r(f, 0)));
	ck_assert(!raft_quiesced(fx_r(f, 2)));
	uint64_t term = raft_term(fx_r(f, 0));
	/* Node 3 times out and asks for pre-votes: the leader wakes. */
	fx_tick(f, 2, 2 * FX_ELECTION);
	ck_assert_int_eq(raft_role(fx_r(f, 2)), RAFT_PRE_CANDIDATE);
	fx_deliver(f, 1000);
	ck_assert(!raft_quiesced(fx_r(f, 0)));
	/* Its next heartbeats bring node 3 back; nobody's term moved. */
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 1000);
	ck_assert_int_eq(raft_role(fx_r(f, 2)), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_leader(fx_r(f, 2)), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(raft_term(fx_r(f, i)), term);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 1000);
	for (int i = 0; i < 3; i++)
		ck_assert(raft_quiesced(fx_r(f, i)));
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(quiet_followers_elect_a_new_leader_when_told_its_node_is_unreachable)
{
	struct fx *f = quiet_group();
	uint64_t term = raft_term(fx_r(f, 0));
	fx_crash(f, 0);
	/* Nothing happens by itself: the followers are quiet. */
	tick_all(f, 5 * FX_ELECTION);
	ck_assert_uint_eq(f->nq, 0);
	/* Node liveness: the first in line campaigns, the other stands by. */
	ck_assert_int_eq(raft_leader_unreachable(fx_r(f, 2), false), 0);
	fx_ready(f, 2);
	ck_assert_int_eq(raft_leader_unreachable(fx_r(f, 1), true), 0);
	fx_ready(f, 1);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_PRE_CANDIDATE);
	fx_deliver(f, 1000);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_LEADER);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term + 1);
	ck_assert_uint_eq(raft_leader(fx_r(f, 2)), 2);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(a_follower_told_the_leader_is_unreachable_campaigns_by_its_own_timer_if_nobody_else_does)
{
	struct fx *f = quiet_group();
	fx_crash(f, 0);
	ck_assert_int_eq(raft_leader_unreachable(fx_r(f, 2), false), 0);
	ck_assert(!raft_quiesced(fx_r(f, 2)));
	int t = 0;
	while (raft_role(fx_r(f, 2)) == RAFT_FOLLOWER && t < 3 * FX_ELECTION)
		fx_tick(f, 2, 1), t++;
	ck_assert_int_lt(t, 2 * FX_ELECTION);
	ck_assert_int_eq(raft_role(fx_r(f, 2)), RAFT_PRE_CANDIDATE);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(a_probe_wakes_a_quiet_leader_whose_heartbeat_answers_it)
{
	struct fx *f = quiet_group();
	uint64_t term = raft_term(fx_r(f, 0));
	ck_assert_int_eq(raft_probe_leader(fx_r(f, 1)), 0);
	fx_ready(f, 1);
	ck_assert(!raft_quiesced(fx_r(f, 1)));
	ck_assert_uint_eq(f->nq, 1);
	ck_assert_int_eq(f->q[0].m.type, RAFT_MSG_APPEND_RESP);
	ck_assert_uint_eq(f->q[0].m.to, 1);
	ck_assert_uint_eq(f->q[0].m.index, raft_commit(fx_r(f, 1)));
	fx_deliver(f, 1000);
	ck_assert(!raft_quiesced(fx_r(f, 0)));
	fx_tick(f, 0, 1);
	ck_assert_int_ge(fx_find(f, RAFT_MSG_HEARTBEAT, 1, 2), 0);
	fx_deliver(f, 1000);
	ck_assert_uint_eq(raft_leader(fx_r(f, 1)), 1);
	ck_assert_uint_eq(raft_term(fx_r(f, 1)), term);
	/* Nothing for a leader or a follower without a leader. */
	ck_assert_int_eq(raft_probe_leader(fx_r(f, 0)), 0);
	ck_assert_int_eq(raft_leader_unreachable(fx_r(f, 2), false), 0);
	ck_assert_int_eq(raft_probe_leader(fx_r(f, 2)), 0);
	fx_ready(f, 2);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_APPEND_RESP, 3, 0), 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(a_quiet_leader_wakes_when_a_follower_connects_again)
{
	struct fx *f = quiet_group();
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 0), 3), 0);
	ck_assert(!raft_quiesced(fx_r(f, 0)));
	/* The follower that connected is heartbeaten at once (it may not
	 * know this leader), then every follower at the next tick. */
	fx_ready(f, 0);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 0), 1);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 3), 1);
	fx_tick(f, 0, 1);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 0), 3);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 2), 1);
	/* A follower connecting to another follower wakes neither. */
	fx_deliver(f, 1000);
	fx_tick(f, 0, FX_HEARTBEAT);
	fx_deliver(f, 1000);
	ck_assert(raft_quiesced(fx_r(f, 1)));
	ck_assert_int_eq(raft_peer_connected(fx_r(f, 1), 3), 0);
	ck_assert(raft_quiesced(fx_r(f, 1)));
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(a_leader_held_awake_keeps_heartbeating)
{
	struct fx *f = quiet_group();
	ck_assert_int_eq(raft_hold_awake(fx_r(f, 0), true), 0);
	ck_assert(!raft_quiesced(fx_r(f, 0)));
	for (int round = 0; round < 3; round++) {
		fx_tick(f, 0, FX_HEARTBEAT);
		ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 0), 2);
		ck_assert(!f->q[fx_find(f, RAFT_MSG_HEARTBEAT, 1, 2)].m.quiesce);
		fx_deliver(f, 1000);
	}
	ck_assert_int_eq(raft_hold_awake(fx_r(f, 0), false), 0);
	fx_tick(f, 0, FX_HEARTBEAT);
	ck_assert(raft_quiesced(fx_r(f, 0)));
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(a_leader_woken_by_a_message_steps_down_by_check_quorum_if_nobody_answers)
{
	struct fx *f = quiet_group();
	ck_assert_int_eq(raft_wake(fx_r(f, 0)), 0);
	int t = 0;
	while (raft_role(fx_r(f, 0)) == RAFT_LEADER && t < 5 * FX_ELECTION) {
		fx_tick(f, 0, 1), t++;
		fx_drop_all(f);
	}
	/* A check-quorum round starts at the wake: nobody answered in it. */
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_FOLLOWER);
	ck_assert_int_eq(t, FX_ELECTION);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(without_quiescence_configured_the_leader_heartbeats_forever)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	fx_propose(f, 0, "a");
	fx_deliver(f, 1000);
	for (int round = 0; round < 5; round++) {
		fx_tick(f, 0, FX_HEARTBEAT);
		ck_assert(!raft_quiesced(fx_r(f, 0)));
		ck_assert_uint_eq(fx_count(f, RAFT_MSG_HEARTBEAT, 1, 0), 2);
		fx_deliver(f, 1000);
		ck_assert(!raft_quiesced(fx_r(f, 1)));
	}
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(patience_delays_leaving_a_known_leader_but_not_a_leaderless_campaign)
{
	NEW_FX();
	fx_init(f, 3, true, true);
	fx_elect(f, 0);
	fx_drop_all(f);
	ck_assert_int_eq(raft_set_patience(fx_r(f, 1), FX_ELECTION), 0);
	ck_assert_int_eq(raft_set_patience(fx_r(f, 1), -1), ERR_INVALID);
	int t = 0;
	while (raft_role(fx_r(f, 1)) == RAFT_FOLLOWER && t < 5 * FX_ELECTION)
		fx_tick(f, 1, 1), t++;
	ck_assert_int_ge(t, 2 * FX_ELECTION);
	ck_assert_int_lt(t, 3 * FX_ELECTION);
	ck_assert_int_eq(raft_role(fx_r(f, 1)), RAFT_PRE_CANDIDATE);
	/* Without a leader (its pre-vote failed or a new start) no patience. */
	ck_assert_int_eq(raft_set_patience(fx_r(f, 2), FX_ELECTION), 0);
	ck_assert_int_eq(raft_leader_unreachable(fx_r(f, 2), false), 0);
	t = 0;
	while (raft_role(fx_r(f, 2)) == RAFT_FOLLOWER && t < 5 * FX_ELECTION)
		fx_tick(f, 2, 1), t++;
	ck_assert_int_lt(t, 2 * FX_ELECTION);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(the_quiesce_mark_survives_the_wire_codec)
{
	struct raft_message m = {.type = RAFT_MSG_HEARTBEAT,
				 .from = 1,
				 .to = 2,
				 .term = 3,
				 .commit = 7,
				 .quiesce = true};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(raft_codec_encode(&m, &b), 0);
	struct arena a;
	arena_init(&a);
	struct raft_message out;
	ck_assert_int_eq(raft_codec_decode(b.data, b.len, &out, &a), 0);
	ck_assert(out.quiesce);
	ck_assert(!out.force && !out.reject);
	ck_assert_uint_eq(out.commit, 7);
	m.quiesce = false;
	buf_reset(&b);
	ck_assert_int_eq(raft_codec_encode(&m, &b), 0);
	ck_assert_int_eq(raft_codec_decode(b.data, b.len, &out, &a), 0);
	ck_assert(!out.quiesce);
	arena_free(&a);
	buf_free(&b);
}
END_TEST

Suite *raft_quiesce_suite(void)
{
	Suite *s = suite_create("raft_quiesce");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, leader_goes_quiet_once_every_follower_holds_everything);
	tcase_add_test(tc, a_quiet_group_sends_nothing_and_elects_nobody_however_long_it_ticks);
	tcase_add_test(tc, leader_keeps_heartbeating_while_a_follower_lags);
	tcase_add_test(tc, a_proposal_wakes_the_group_which_goes_quiet_again_once_settled);
	tcase_add_test(tc,
		       a_follower_that_missed_the_last_heartbeat_wakes_the_leader_through_prevote);
	tcase_add_test(tc, quiet_followers_elect_a_new_leader_when_told_its_node_is_unreachable);
	tcase_add_test(
	    tc,
	    a_follower_told_the_leader_is_unreachable_campaigns_by_its_own_timer_if_nobody_else_does);
	tcase_add_test(tc, a_quiet_leader_wakes_when_a_follower_connects_again);
	tcase_add_test(tc, a_probe_wakes_a_quiet_leader_whose_heartbeat_answers_it);
	tcase_add_test(tc, a_leader_held_awake_keeps_heartbeating);
	tcase_add_test(tc,
		       a_leader_woken_by_a_message_steps_down_by_check_quorum_if_nobody_answers);
	tcase_add_test(tc, without_quiescence_configured_the_leader_heartbeats_forever);
	tcase_add_test(tc, patience_delays_leaving_a_known_leader_but_not_a_leaderless_campaign);
	tcase_add_test(tc, the_quiesce_mark_survives_the_wire_codec);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(raft_quiesce_suite)
