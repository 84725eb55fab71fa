/* test_raft_api.c - the driver-facing contract: Ready and advance,
 * restarting from storage, configuration and message validation. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "test_raft_fixture.h"

#define NEW_FX() struct fx *f = calloc(1, sizeof(struct fx))

START_TEST(mutating_calls_are_refused_between_ready_and_advance)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	struct raft *r = fx_r(f, 0);
	ck_assert_int_eq(raft_campaign(r), 0);
	ck_assert(raft_has_ready(r));
	struct raft_ready rd;
	raft_ready(r, &rd);
	ck_assert(!raft_has_ready(r));
	struct raft_message m = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 1};
	ck_assert_int_eq(raft_step(r, &m), ERR_INVALID);
	ck_assert_int_eq(raft_tick(r), ERR_INVALID);
	ck_assert_int_eq(raft_propose(r, "x", 1, NULL), ERR_INVALID);
	ck_assert_int_eq(raft_campaign(r), ERR_INVALID);
	ck_assert_int_eq(raft_transfer_leader(r, 2), ERR_INVALID);
	ck_assert_uint_eq(rd.n_messages, 2); /* the Ready is intact */
	raft_advance(r, &rd);
	ck_assert_int_eq(raft_step(r, &m), 0);
	ck_assert_int_eq(raft_role(r), RAFT_LEADER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(ready_hands_entries_to_persist_then_committed_entries_to_apply)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	struct raft *r = fx_r(f, 0);
	uint64_t idx = 0;
	ck_assert_int_eq(raft_propose(r, "hello", 5, &idx), 0);
	ck_assert_uint_eq(idx, 2);
	struct raft_ready rd;
	raft_ready(r, &rd);
	ck_assert_uint_eq(rd.n_entries, 1);
	ck_assert_uint_eq(rd.entries[0].index, 2);
	ck_assert_uint_eq(rd.entries[0].kind, RAFT_ENTRY_NORMAL);
	ck_assert_mem_eq(rd.entries[0].data, "hello", 5);
	ck_assert(rd.must_sync);
	ck_assert_uint_eq(rd.n_committed, 0); /* not yet on a majority */
	ck_assert_uint_eq(rd.n_messages, 2);
	ck_assert_int_eq(rd.messages[0].type, RAFT_MSG_APPEND);
	for (size_t k = 0; k < rd.n_messages; k++)
		f->q[f->nq++] = fx_copy(&rd.messages[k]);
	fx_store_append(&f->nodes[0].st, rd.entries, rd.n_entries);
	raft_advance(r, &rd);
	ck_assert_uint_eq(raft_last_index(r), 2);
	/* one follower acknowledges: committed */
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_APPEND, 1, 2));
	struct raft_message ack = f->q[fx_find(f, RAFT_MSG_APPEND_RESP, 2, 1)].m;
	ck_assert_int_eq(raft_step(r, &ack), 0);
	raft_ready(r, &rd);
	ck_assert_uint_eq(rd.n_entries, 0);
	ck_assert(rd.hard_state_changed);
	ck_assert_uint_eq(rd.hard_state.commit, 2);
	ck_assert(!rd.must_sync); /* a commit index alone needs no fsync */
	ck_assert_uint_eq(rd.n_committed, 1);
	ck_assert_uint_eq(rd.committed[0].index, 2);
	ck_assert_mem_eq(rd.committed[0].data, "hello", 5);
	raft_advance(r, &rd);
	ck_assert_uint_eq(raft_applied(r), 2);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(committed_entries_per_ready_are_bounded_by_max_apply_bytes)
{
	NEW_FX();
	fx_init_cfg(f, 1, false, false);
	f->cfg.max_apply_bytes = 10;
	fx_start(f, 0);
	fx_elect(f, 0);
	struct raft *r = fx_r(f, 0);
	for (int k = 0; k < 3; k++)
		ck_assert_int_eq(raft_propose(r, "12345678", 8, NULL), 0);
	size_t batches[5], n = 0;
	while (raft_has_ready(r) && n < 5) {
		struct raft_ready rd;
		raft_ready(r, &rd);
		fx_store_append(&f->nodes[0].st, rd.entries, rd.n_entries);
		batches[n++] = rd.n_committed;
		raft_advance(r, &rd);
	}
	/* The first Ready persists the three; a group of one commits them
	 * only once they are durable, so they are applied from the next on. */
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(batches[0], 0);
	ck_assert_uint_eq(batches[1], 1);
	ck_assert_uint_eq(batches[2], 1);
	ck_assert_uint_eq(batches[3], 1);
	ck_assert_uint_eq(raft_applied(r), 4);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(restart_recovers_term_vote_and_log_from_storage)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	fx_propose(f, 0, "a");
	fx_propose(f, 0, "b");
	fx_deliver(f, 1000);
	struct raft_message v = {
	    .type = RAFT_MSG_VOTE, .from = 3, .to = 2, .term = 7, .index = 3, .log_term = 1};
	ck_assert_int_eq(fx_step(f, &v), 0);
	fx_drop_all(f);
	fx_crash(f, 1);
	fx_start(f, 1);
	struct raft *r = fx_r(f, 1);
	ck_assert_uint_eq(raft_term(r), 7);
	ck_assert_uint_eq(raft_last_index(r), 3);
	ck_assert_uint_eq(raft_commit(r), 3);
	/* the vote survived: another candidate of term 7 is refused */
	v.from = 1;
	ck_assert_int_eq(fx_step(f, &v), 0);
	ck_assert(f->q[fx_find(f, RAFT_MSG_VOTE_RESP, 2, 1)].m.reject);
	/* the state machine restarts empty: committed entries come again */
	ck_assert_uint_eq(f->nodes[1].n_applied, 6); /* 3 before, 3 again */
	ck_assert_uint_eq(f->nodes[1].applied[3], 1);
	ck_assert_uint_eq(f->nodes[1].applied[5], 3);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(restart_applies_only_after_the_callers_applied_index)
{
	NEW_FX();
	fx_init(f, 1, false, false);
	fx_elect(f, 0);
	for (int k = 0; k < 4; k++)
		fx_propose(f, 0, "x");
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 5);
	fx_crash(f, 0);
	struct raft_config c = f->cfg;
	c.id = 1;
	c.storage = &f->nodes[0].st.iface;
	c.applied = 3;
	ck_assert_int_eq(raft_init(&f->nodes[0].r, &c), 0);
	f->nodes[0].up = true;
	f->nodes[0].n_applied = 0;
	fx_ready(f, 0);
	ck_assert_uint_eq(f->nodes[0].n_applied, 2);
	ck_assert_uint_eq(f->nodes[0].applied[0], 4);
	ck_assert_uint_eq(f->nodes[0].applied[1], 5);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(unsynced_entries_of_a_crashed_leader_are_gone_after_restart)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	ck_assert_int_eq(raft_propose(fx_r(f, 0), "lost", 4, NULL), 0);
	fx_crash(f, 0); /* before its Ready was handled */
	fx_start(f, 0);
	ck_assert_uint_eq(raft_last_index(fx_r(f, 0)), 1);
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_FOLLOWER);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(proposals_on_a_follower_return_not_leader)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	uint64_t idx = 99;
	ck_assert_int_eq(raft_propose(fx_r(f, 1), "x", 1, &idx), ERR_NOTLEADER);
	ck_assert_uint_eq(idx, 99);
	ck_assert_uint_eq(raft_last_index(fx_r(f, 1)), 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(the_leader_reports_each_peers_match)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	uint64_t m = 0;
	ck_assert_int_eq(raft_peer_match(fx_r(f, 1), 1, &m), ERR_NOTLEADER);
	ck_assert_int_eq(raft_peer_match(fx_r(f, 0), 9, &m), ERR_INVALID);
	ck_assert_int_eq(raft_peer_match(fx_r(f, 0), 2, &m), 0);
	ck_assert_uint_eq(m, 1); /* the new leader's no-op reached everyone */
	/* Node 3 misses the next entry: its match stays behind. */
	fx_propose(f, 0, "x");
	for (int round = 0; round < 100 && f->nq; round++) {
		for (int k; (k = fx_find(f, 0, 0, 3)) >= 0;)
			fx_remove(f, (size_t)k);
		fx_deliver(f, 1);
	}
	ck_assert_int_eq(raft_peer_match(fx_r(f, 0), 1, &m), 0);
	ck_assert_uint_eq(m, 2);
	ck_assert_int_eq(raft_peer_match(fx_r(f, 0), 2, &m), 0);
	ck_assert_uint_eq(m, 2);
	ck_assert_int_eq(raft_peer_match(fx_r(f, 0), 3, &m), 0);
	ck_assert_uint_eq(m, 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(malformed_messages_are_invalid_and_change_nothing)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	struct raft *r = fx_r(f, 1);
	struct raft_entry e[2] = {{.index = 1, .term = 1}, {.index = 3, .term = 1}};
	const struct raft_message bad[] = {
	    {.type = RAFT_MSG_VOTE, .from = 9, .to = 2, .term = 5}, /* unknown peer */
	    {.type = RAFT_MSG_VOTE, .from = 1, .to = 3, .term = 5}, /* not for us */
	    {.type = RAFT_MSG_VOTE, .from = 2, .to = 2, .term = 5}, /* from ourselves */
	    {.type = RAFT_MSG_VOTE, .from = 1, .to = 2, .term = 0}, /* no term */
	    {.type = 0, .from = 1, .to = 2, .term = 5},		    /* no type */
	    {.type = 11, .from = 1, .to = 2, .term = 5},	    /* unknown type */
	    {.type = RAFT_MSG_APPEND,
	     .from = 1,
	     .to = 2,
	     .term = 5,
	     .index = 0,
	     .entries = e,
	     .n_entries = 2}, /* gap */
	    {.type = RAFT_MSG_HEARTBEAT,
	     .from = 1,
	     .to = 2,
	     .term = 5,
	     .entries = e,
	     .n_entries = 1}, /* entries off an append */
	    {.type = RAFT_MSG_APPEND,
	     .from = 1,
	     .to = 2,
	     .term = 5,
	     .index = 0,
	     .entries = e,
	     .n_entries = 1,
	     .log_term = 2}, /* entry term below prev */
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		ck_assert_int_eq(raft_step(r, &bad[k]), ERR_INVALID);
	ck_assert_uint_eq(raft_term(r), 0);
	ck_assert(!raft_has_ready(r));
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(init_rejects_bad_config_and_inconsistent_state)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	struct raft r;
	struct raft_config c = f->cfg;
	c.id = 1;
	c.storage = &f->nodes[0].st.iface;
	ck_assert_int_eq(raft_init(&r, &c), 0);
	raft_close(&r);
	struct raft_config bad = c;
	bad.id = 4;
	ck_assert_int_eq(raft_init(&r, &bad), ERR_CONFIG);
	bad = c;
	bad.heartbeat_ticks = bad.election_ticks;
	ck_assert_int_eq(raft_init(&r, &bad), ERR_CONFIG);
	bad = c;
	bad.max_inflight_msgs = 0;
	ck_assert_int_eq(raft_init(&r, &bad), ERR_CONFIG);
	uint64_t dup[] = {1, 2, 2};
	bad = c;
	bad.peers = dup;
	ck_assert_int_eq(raft_init(&r, &bad), ERR_CONFIG);
	f->nodes[0].st.hs = (struct raft_hard_state){3, 7, 0}; /* voted for a stranger */
	ck_assert_int_eq(raft_init(&r, &c), ERR_CORRUPT);
	f->nodes[0].st.hs = (struct raft_hard_state){3, 2, 5}; /* commit past the log */
	ck_assert_int_eq(raft_init(&r, &c), ERR_CORRUPT);
	fx_free(f);
	free(f);
}
END_TEST

Suite *raft_api_suite(void)
{
	Suite *s = suite_create("raft_api");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, mutating_calls_are_refused_between_ready_and_advance);
	tcase_add_test(tc, ready_hands_entries_to_persist_then_committed_entries_to_apply);
	tcase_add_test(tc, committed_entries_per_ready_are_bounded_by_max_apply_bytes);
	tcase_add_test(tc, restart_recovers_term_vote_and_log_from_storage);
	tcase_add_test(tc, restart_applies_only_after_the_callers_applied_index);
	tcase_add_test(tc, unsynced_entries_of_a_crashed_leader_are_gone_after_restart);
	tcase_add_test(tc, proposals_on_a_follower_return_not_leader);
	tcase_add_test(tc, the_leader_reports_each_peers_match);
	tcase_add_test(tc, malformed_messages_are_invalid_and_change_nothing);
	tcase_add_test(tc, init_rejects_bad_config_and_inconsistent_state);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(raft_api_suite)
