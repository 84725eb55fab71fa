/* test_raft_replication.c - log replication: the commit rule, fast
 * back-tracking, truncation, heartbeat commit, flow control, and bringing a
 * follower behind the log start back with a SNAPSHOT message. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "test_raft_fixture.h"
#include "worker/raft/rlog.h"

#define NEW_FX() struct fx *f = calloc(1, sizeof(struct fx))

static void seed_log(struct fx *f, int i, const uint64_t *terms, size_t n, uint64_t term,
		     uint64_t commit)
{
	for (size_t k = 0; k < n; k++) {
		struct raft_entry e = {.index = k + 1, .term = terms[k], .kind = RAFT_ENTRY_NORMAL};
		fx_store_append(&f->nodes[i].st, &e, 1);
	}
	f->nodes[i].st.hs = (struct raft_hard_state){term, 0, commit};
}

/* Campaigns node i and delivers messages one by one until it leads. */
static void win(struct fx *f, int i)
{
	ck_assert_int_eq(raft_campaign(fx_r(f, i)), 0);
	fx_ready(f, i);
	for (int k = 0; k < 100 && raft_role(fx_r(f, i)) != RAFT_LEADER; k++) {
		ck_assert_uint_gt(f->nq, 0);
		fx_deliver_one(f, 0);
	}
	ck_assert_int_eq(raft_role(fx_r(f, i)), RAFT_LEADER);
}

static void assert_log_terms(struct fx *f, int i, const uint64_t *terms, size_t n)
{
	const struct memstore *s = &f->nodes[i].st;
	ck_assert_uint_eq(fx_store_last(s), n);
	for (size_t k = 0; k < n; k++)
		ck_assert_uint_eq(s->ents[k].term, terms[k]);
}

START_TEST(leader_does_not_commit_entry_of_previous_term_by_counting)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	f->cfg.max_msg_entries = 1;
	const uint64_t two[] = {1, 1}, one[] = {1};
	seed_log(f, 0, two, 2, 1, 1);
	seed_log(f, 1, one, 1, 1, 1);
	seed_log(f, 2, one, 1, 1, 1);
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	win(f, 0); /* term 2, no-op at index 3 */
	ck_assert_uint_eq(raft_last_index(fx_r(f, 0)), 3);
	/* Node 3 hears nothing; node 2 gets entry 2 (term 1) but never the no-op. */
	for (int k = 0; k < 100 && f->nq; k++) {
		const struct raft_message *m = &f->q[0].m;
		bool noop = m->type == RAFT_MSG_APPEND && m->n_entries && m->entries[0].index == 3;
		if (m->to == 3 || (noop && fx_store_last(&f->nodes[1].st) >= 2))
			fx_remove(f, 0);
		else
			fx_deliver_one(f, 0);
	}
	ck_assert_uint_eq(fx_store_last(&f->nodes[1].st), 2); /* a majority holds index 2 */
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 1);	      /* yet it is not committed */
	/* Once the no-op of term 2 is on a majority, both commit. */
	fx_tick(f, 0, FX_HEARTBEAT);
	for (int k = 0; k < 100 && f->nq; k++) {
		if (f->q[0].m.to == 3)
			fx_remove(f, 0);
		else
			fx_deliver_one(f, 0);
	}
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 3);
	fx_free(f);
	free(f);
}
END_TEST

/* A broadcast of one proposal queues the same entries for each follower in
 * one shared block (one copy, not one per follower); a sender's hold keeps
 * the block past raft_advance. */
START_TEST(appends_of_the_same_entries_share_one_block_that_a_hold_keeps)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	fx_deliver(f, 10000);
	uint64_t idx = 0;
	ck_assert_int_eq(raft_propose(fx_r(f, 0), "shared-bytes", 12, &idx), 0);
	struct raft_ready rd;
	raft_ready(fx_r(f, 0), &rd);
	const struct raft_message *to[4] = {NULL};
	for (size_t k = 0; k < rd.n_messages; k++)
		if (rd.messages[k].type == RAFT_MSG_APPEND && rd.messages[k].to <= 3)
			to[rd.messages[k].to] = &rd.messages[k];
	ck_assert_ptr_nonnull(to[2]);
	ck_assert_ptr_nonnull(to[3]);
	ck_assert_uint_eq(to[2]->n_entries, 1);
	ck_assert_uint_eq(to[2]->entries[0].index, idx);
	ck_assert_ptr_nonnull(to[2]->block);
	ck_assert_ptr_eq(to[2]->block, to[3]->block);
	ck_assert_ptr_eq(to[2]->entries, to[3]->entries);
	const struct raft_entry *e = &to[2]->entries[0];
	void *block = to[2]->block;
	raft_block_hold(block);
	fx_store_append(&f->nodes[0].st, rd.entries, rd.n_entries);
	raft_advance(fx_r(f, 0), &rd);
	ck_assert_uint_eq(e->data_len, 12); /* still readable: we hold it */
	ck_assert_mem_eq(e->data, "shared-bytes", 12);
	raft_block_release(block);
	fx_free(f);
	free(f);
}
END_TEST

static int (*real_entries)(void *, uint64_t, uint64_t, size_t, struct raft_entry *, size_t *);
static int n_storage_reads;

static int counting_entries(void *ctx, uint64_t lo, uint64_t hi, size_t max_bytes,
			    struct raft_entry *out, size_t *n)
{
	n_storage_reads++;
	return real_entries(ctx, lo, hi, max_bytes, out, n);
}

/* Entries just persisted stay in memory until applied: committing them (and
 * sending them to followers) reads nothing back from storage, on the leader
 * or on a follower, and what is applied is what was proposed. */
START_TEST(persisted_entries_are_applied_without_reading_storage_back)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	fx_deliver(f, 10000);
	real_entries = f->nodes[0].st.iface.entries;
	for (int i = 0; i < 3; i++)
		f->nodes[i].st.iface.entries = counting_entries;
	n_storage_reads = 0;
	uint64_t first = fx_propose(f, 0, "one");
	fx_propose(f, 0, "two");
	uint64_t last = fx_propose(f, 0, "three");
	fx_deliver(f, 10000);
	fx_tick(f, 0, FX_HEARTBEAT); /* followers learn the commit */
	fx_deliver(f, 10000);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_ge(raft_applied(fx_r(f, i)), last);
		ck_assert_uint_eq(f->nodes[i].applied[f->nodes[i].n_applied - 1], last);
	}
	ck_assert_int_eq(n_storage_reads, 0);
	/* Applied entries leave the cache: reading them now goes to storage. */
	struct raft_entry out[3];
	size_t n = 0;
	ck_assert_int_eq(rlog_slice(&fx_r(f, 1)->log, first, last + 1, 1 << 20, out, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(n_storage_reads, 1);
	ck_assert_mem_eq(out[1].data, "two", 3);
	ck_assert_uint_eq(fx_r(f, 1)->log.n_c, 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(rejected_append_backtracks_to_conflict_term)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	const uint64_t leader[] = {1, 1, 1, 3, 3, 3}, follower[] = {1, 1, 1, 2, 2, 2, 2, 2};
	seed_log(f, 0, leader, 6, 3, 3);
	seed_log(f, 1, follower, 8, 3, 3);
	seed_log(f, 2, leader, 6, 3, 3);
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	win(f, 0); /* term 4, no-op at 7 */
	fx_deliver(f, 100);
	/* Whatever order the election took, the follower ends up with the
	 * leader's log; check the exchange itself on a fresh probe. */
	const uint64_t want[] = {1, 1, 1, 3, 3, 3, 4};
	assert_log_terms(f, 1, want, 7);
	fx_free(f);
	free(f);

	/* The same, message by message. */
	f = calloc(1, sizeof(struct fx));
	fx_init_cfg(f, 3, false, false);
	seed_log(f, 0, leader, 6, 3, 3);
	seed_log(f, 1, follower, 8, 3, 3);
	seed_log(f, 2, leader, 6, 3, 3);
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	ck_assert_int_eq(raft_campaign(fx_r(f, 0)), 0);
	fx_ready(f, 0);
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_VOTE, 1, 3));
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_VOTE_RESP, 3, 1));
	ck_assert_int_eq(raft_role(fx_r(f, 0)), RAFT_LEADER);
	int k = fx_find(f, RAFT_MSG_APPEND, 1, 2);
	ck_assert_uint_eq(f->q[k].m.index, 6);
	fx_deliver_one(f,
		       (size_t)fx_find(f, RAFT_MSG_VOTE, 1, 2)); /* stale by now: just answered */
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_APPEND, 1, 2));
	k = fx_find(f, RAFT_MSG_APPEND_RESP, 2, 1);
	ck_assert(f->q[k].m.reject);
	ck_assert_uint_eq(f->q[k].m.index, 6);
	ck_assert_uint_eq(f->q[k].m.hint_term, 2);  /* its term at 6 */
	ck_assert_uint_eq(f->q[k].m.hint_index, 4); /* first index of term 2 */
	fx_deliver_one(f, (size_t)k);
	/* The leader has no term-2 entry: it resumes at index 4 in one step. */
	k = fx_find(f, RAFT_MSG_APPEND, 1, 2);
	ck_assert_int_ge(k, 0);
	ck_assert_uint_eq(f->q[k].m.index, 3);
	ck_assert_uint_eq(f->q[k].m.log_term, 1);
	fx_deliver(f, 100);
	assert_log_terms(f, 1, want, 7);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(rejected_append_skips_to_leaders_last_entry_of_the_conflict_term)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	const uint64_t leader[] = {1, 1, 2, 2, 3}, follower[] = {1, 1, 2, 2, 2, 2, 2};
	seed_log(f, 0, leader, 5, 3, 2);
	seed_log(f, 1, follower, 7, 2, 2);
	seed_log(f, 2, leader, 5, 3, 2);
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	ck_assert_int_eq(raft_campaign(fx_r(f, 0)), 0);
	fx_ready(f, 0);
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_VOTE, 1, 3));
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_VOTE_RESP, 3, 1));
	fx_remove(f, (size_t)fx_find(f, RAFT_MSG_VOTE, 1, 2));
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_APPEND, 1, 2));
	int k = fx_find(f, RAFT_MSG_APPEND_RESP, 2, 1);
	ck_assert(f->q[k].m.reject);
	ck_assert_uint_eq(f->q[k].m.hint_term, 2);
	ck_assert_uint_eq(f->q[k].m.hint_index, 3); /* not below commit + 1 */
	fx_deliver_one(f, (size_t)k);
	/* The leader's last term-2 entry is 4: everything up to it matches. */
	k = fx_find(f, RAFT_MSG_APPEND, 1, 2);
	ck_assert_uint_eq(f->q[k].m.index, 4);
	fx_deliver(f, 100);
	const uint64_t want[] = {1, 1, 2, 2, 3, 4};
	assert_log_terms(f, 1, want, 6);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(follower_shorter_than_prev_index_hints_its_next_index)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	const uint64_t t[] = {1, 1};
	seed_log(f, 1, t, 2, 1, 0);
	fx_start(f, 1);
	struct raft_message a = {
	    .type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 1, .index = 7, .log_term = 1};
	ck_assert_int_eq(fx_step(f, &a), 0);
	ck_assert(f->q[0].m.reject);
	ck_assert_uint_eq(f->q[0].m.hint_index, 3);
	ck_assert_uint_eq(f->q[0].m.hint_term, 0);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(conflicting_entry_truncates_the_suffix_but_a_stale_append_does_not)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	const uint64_t t[] = {1, 1, 1, 1};
	seed_log(f, 1, t, 4, 1, 0);
	fx_start(f, 1);
	/* a delayed append of entries we already hold changes nothing */
	struct raft_entry e2 = {.index = 2, .term = 1};
	struct raft_message a = {.type = RAFT_MSG_APPEND,
				 .from = 1,
				 .to = 2,
				 .term = 1,
				 .index = 1,
				 .log_term = 1,
				 .entries = &e2,
				 .n_entries = 1};
	ck_assert_int_eq(fx_step(f, &a), 0);
	ck_assert_uint_eq(fx_store_last(&f->nodes[1].st), 4);
	ck_assert(!f->q[0].m.reject);
	ck_assert_uint_eq(f->q[0].m.index, 2);
	/* a new leader's entry at 3 replaces 3 and 4 */
	struct raft_entry e3 = {.index = 3, .term = 2, .data = (const uint8_t *)"x", .data_len = 1};
	a = (struct raft_message){.type = RAFT_MSG_APPEND,
				  .from = 3,
				  .to = 2,
				  .term = 2,
				  .index = 2,
				  .log_term = 1,
				  .commit = 3,
				  .entries = &e3,
				  .n_entries = 1};
	ck_assert_int_eq(fx_step(f, &a), 0);
	const uint64_t want[] = {1, 1, 2};
	assert_log_terms(f, 1, want, 3);
	ck_assert_uint_eq(raft_commit(fx_r(f, 1)), 3);
	ck_assert_uint_eq(f->nodes[1].n_applied, 3);
	ck_assert_uint_eq(f->nodes[1].applied[2], 3);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(heartbeat_commit_is_capped_by_follower_match)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	/* node 3 misses two entries */
	fx_propose(f, 0, "a");
	fx_propose(f, 0, "b");
	for (int k = 0; k < 100 && f->nq; k++) {
		if (f->q[0].m.to == 3 || f->q[0].m.from == 3)
			fx_remove(f, 0);
		else
			fx_deliver_one(f, 0);
	}
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 3);
	fx_drop_all(f);
	fx_tick(f, 0, FX_HEARTBEAT);
	int k2 = fx_find(f, RAFT_MSG_HEARTBEAT, 1, 2), k3 = fx_find(f, RAFT_MSG_HEARTBEAT, 1, 3);
	ck_assert_uint_eq(f->q[k2].m.commit, 3);
	ck_assert_uint_eq(f->q[k3].m.commit, 1); /* node 3 is known to hold only the no-op */
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(appends_are_pipelined_up_to_max_inflight_msgs)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	f->cfg.max_msg_entries = 1;
	f->cfg.max_inflight_msgs = 3;
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	fx_elect(f, 0); /* followers acknowledged: pipelining mode */
	for (int k = 0; k < 6; k++)
		fx_propose(f, 0, "entry");
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_APPEND, 1, 2), 3);
	/* one acknowledgement frees one slot */
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_APPEND, 1, 2));
	fx_deliver_one(f, (size_t)fx_find(f, RAFT_MSG_APPEND_RESP, 2, 1));
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_APPEND, 1, 2), 3);
	fx_deliver(f, 1000);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 7);
	ck_assert_uint_eq(fx_store_last(&f->nodes[1].st), 7);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(inflight_bytes_bound_pauses_appends)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	f->cfg.max_msg_entries = 1;
	f->cfg.max_inflight_msgs = 10;
	f->cfg.max_inflight_bytes = 100;
	for (int i = 0; i < 3; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	char big[61];
	memset(big, 'b', 60);
	big[60] = 0;
	for (int k = 0; k < 5; k++)
		fx_propose(f, 0, big);
	ck_assert_uint_eq(fx_count(f, RAFT_MSG_APPEND, 1, 2), 2); /* 120 bytes >= 100 */
	fx_deliver(f, 1000);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 6);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(append_messages_respect_max_msg_bytes)
{
	NEW_FX();
	fx_init_cfg(f, 2, false, false);
	f->cfg.max_msg_bytes = 100;
	f->cfg.max_inflight_msgs = 16;
	for (int i = 0; i < 2; i++)
		fx_start(f, i);
	fx_elect(f, 0);
	char e40[41], e150[151];
	memset(e40, 'x', 40);
	e40[40] = 0;
	memset(e150, 'y', 150);
	e150[150] = 0;
	/* proposals within one loop iteration go out together at the Ready */
	const char *data[] = {e40, e40, e40, e40, e40, e150, e40};
	for (int k = 0; k < 7; k++)
		ck_assert_int_eq(raft_propose(fx_r(f, 0), data[k], strlen(data[k]), NULL), 0);
	fx_ready(f, 0);
	size_t sizes[8], n = 0;
	for (size_t k = 0; k < f->nq; k++)
		if (f->q[k].m.type == RAFT_MSG_APPEND)
			sizes[n++] = f->q[k].m.n_entries;
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(sizes[0], 2); /* 80 bytes; a third would be 120 */
	ck_assert_uint_eq(sizes[1], 2);
	ck_assert_uint_eq(sizes[2], 1); /* 40 + 150 would not fit */
	ck_assert_uint_eq(sizes[3], 1); /* an oversized entry still goes, alone */
	ck_assert_uint_eq(sizes[4], 1);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(follower_behind_log_start_receives_snapshot)
{
	NEW_FX();
	fx_init(f, 3, false, false);
	fx_elect(f, 0);
	fx_crash(f, 2);
	for (int k = 0; k < 5; k++)
		fx_propose(f, 0, "v");
	fx_deliver(f, 1000);
	ck_assert_uint_eq(raft_commit(fx_r(f, 0)), 6);
	uint64_t term = raft_term(fx_r(f, 0));
	/* retention drops everything applied; the state machine is "S6" */
	fx_store_compact(&f->nodes[0].st, 6, "S6");
	fx_propose(f, 0, "after");
	fx_deliver(f, 1000);
	fx_start(f, 2);
	bool saw = false;
	for (int round = 0; round < 10 && fx_store_last(&f->nodes[2].st) < 7; round++) {
		fx_tick(f, 0, FX_HEARTBEAT);
		for (int k = 0; k < 100 && f->nq; k++) {
			const struct raft_message *m = &f->q[0].m;
			if (m->type == RAFT_MSG_SNAPSHOT) {
				saw = true;
				ck_assert_uint_eq(m->to, 3);
				ck_assert_uint_eq(m->index, 6);
				ck_assert_uint_eq(m->log_term, term);
				ck_assert_uint_eq(m->snapshot_len, 2);
				ck_assert_mem_eq(m->snapshot, "S6", 2);
			}
			fx_deliver_one(f, 0);
		}
	}
	ck_assert(saw);
	ck_assert(f->nodes[2].installed);
	ck_assert_uint_eq(f->nodes[2].st.start_index, 6);
	ck_assert_mem_eq(f->nodes[2].st.snap, "S6", 2);
	ck_assert_uint_eq(fx_store_last(&f->nodes[2].st), 7);
	ck_assert_uint_eq(raft_commit(fx_r(f, 2)), 7);
	/* it applied only what came after the log start */
	ck_assert_uint_eq(f->nodes[2].applied[f->nodes[2].n_applied - 1], 7);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(installing_a_log_start_discards_a_conflicting_log)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	const uint64_t t[] = {1, 1, 2, 2};
	seed_log(f, 1, t, 4, 2, 2);
	fx_start(f, 1);
	struct raft_message s = {.type = RAFT_MSG_SNAPSHOT,
				 .from = 1,
				 .to = 2,
				 .term = 3,
				 .index = 3,
				 .log_term = 3,
				 .commit = 3,
				 .snapshot = (const uint8_t *)"st",
				 .snapshot_len = 2};
	ck_assert_int_eq(fx_step(f, &s), 0);
	ck_assert(f->nodes[1].installed);
	ck_assert_uint_eq(f->nodes[1].st.start_index, 3);
	ck_assert_uint_eq(f->nodes[1].st.start_term, 3);
	ck_assert_uint_eq(fx_store_last(&f->nodes[1].st), 3); /* index 4 is gone too */
	ck_assert_uint_eq(raft_commit(fx_r(f, 1)), 3);
	ck_assert_uint_eq(raft_applied(fx_r(f, 1)), 3);
	ck_assert(!f->q[0].m.reject);
	ck_assert_uint_eq(f->q[0].m.index, 3);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(log_start_matching_our_entry_only_moves_commit)
{
	NEW_FX();
	fx_init_cfg(f, 3, false, false);
	const uint64_t t[] = {1, 1, 1};
	seed_log(f, 1, t, 3, 1, 1);
	fx_start(f, 1);
	struct raft_message s = {.type = RAFT_MSG_SNAPSHOT,
				 .from = 1,
				 .to = 2,
				 .term = 1,
				 .index = 2,
				 .log_term = 1,
				 .commit = 2,
				 .snapshot = (const uint8_t *)"st",
				 .snapshot_len = 2};
	ck_assert_int_eq(fx_step(f, &s), 0);
	ck_assert(!f->nodes[1].installed);
	ck_assert_uint_eq(fx_store_last(&f->nodes[1].st), 3);
	ck_assert_uint_eq(raft_commit(fx_r(f, 1)), 2);
	ck_assert_uint_eq(f->q[0].m.index, 2);
	fx_free(f);
	free(f);
}
END_TEST

START_TEST(every_replica_applies_the_same_entries_in_order)
{
	NEW_FX();
	fx_init(f, 5, true, true);
	fx_elect(f, 3);
	for (int k = 0; k < 20; k++)
		fx_propose(f, 3, "data");
	fx_deliver(f, 10000);
	fx_tick(f, 3, FX_HEARTBEAT);
	fx_deliver(f, 10000);
	for (int i = 0; i < 5; i++) {
		ck_assert_uint_eq(f->nodes[i].n_applied, 21);
		for (size_t k = 0; k < 21; k++)
			ck_assert_uint_eq(f->nodes[i].applied[k], k + 1);
	}
	fx_free(f);
	free(f);
}
END_TEST

Suite *raft_replication_suite(void)
{
	Suite *s = suite_create("raft_replication");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, leader_does_not_commit_entry_of_previous_term_by_counting);
	tcase_add_test(tc, appends_of_the_same_entries_share_one_block_that_a_hold_keeps);
	tcase_add_test(tc, persisted_entries_are_applied_without_reading_storage_back);
	tcase_add_test(tc, rejected_append_backtracks_to_conflict_term);
	tcase_add_test(tc, rejected_append_skips_to_leaders_last_entry_of_the_conflict_term);
	tcase_add_test(tc, follower_shorter_than_prev_index_hints_its_next_index);
	tcase_add_test(tc, conflicting_entry_truncates_the_suffix_but_a_stale_append_does_not);
	tcase_add_test(tc, heartbeat_commit_is_capped_by_follower_match);
	tcase_add_test(tc, appends_are_pipelined_up_to_max_inflight_msgs);
	tcase_add_test(tc, inflight_bytes_bound_pauses_appends);
	tcase_add_test(tc, append_messages_respect_max_msg_bytes);
	tcase_add_test(tc, follower_behind_log_start_receives_snapshot);
	tcase_add_test(tc, installing_a_log_start_discards_a_conflicting_log);
	tcase_add_test(tc, log_start_matching_our_entry_only_moves_commit);
	tcase_add_test(tc, every_replica_applies_the_same_entries_in_order);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(raft_replication_suite)
