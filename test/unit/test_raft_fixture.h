/* test_raft_fixture.h - a small in-memory cluster for the Raft unit tests.
 *
 * Header-only (static inline) so that each test_raft_*.c binary carries it
 * and no other test binary does. Each replica has an in-memory store (the
 * shared test/support/memstore, as in the simulation); its
 * Ready batches are handled at once (persist, queue messages, apply,
 * advance). Queued messages wait in one FIFO until a test delivers, drops
 * or inspects them, so every test controls exactly which message arrives. */
#ifndef FJORD_TEST_RAFT_FIXTURE_H
#define FJORD_TEST_RAFT_FIXTURE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "test/support/memstore.h"
#include "worker/raft/raft.h"

#define FX_MAX 5
#define FX_ELECTION 10
#define FX_HEARTBEAT 2

/* ---- in-memory storage: the shared test store (test/support/memstore) -- */

static inline uint64_t fx_store_last(const struct memstore *s) { return memstore_last(s); }

static inline void fx_store_init(struct memstore *s) { memstore_init(s); }

static inline void fx_store_append(struct memstore *s, const struct raft_entry *e, size_t n)
{
	if (!n)
		return;
	ck_assert_uint_gt(e[0].index, s->start_index);
	ck_assert_uint_le(e[0].index, memstore_last(s) + 1);
	ck_assert_int_eq(memstore_append(s, e, n), 0);
}

/* Drops entries up to index, keeping a log start with these state bytes. */
static inline void fx_store_compact(struct memstore *s, uint64_t index, const char *state)
{
	ck_assert_int_eq(memstore_compact(s, index, (const uint8_t *)state, strlen(state)), 0);
}

static inline void fx_store_free(struct memstore *s) { memstore_free(s); }

/* ---- cluster ------------------------------------------------------------ */

struct fx_msg {
	struct raft_message m; /* entries and snapshot point into blob */
	void *blob;
};

struct fx_node {
	struct raft r;
	struct memstore st;
	bool up;
	uint64_t applied[512]; /* index of each applied entry, in order */
	size_t n_applied;
	bool installed; /* a log start was installed */
};

struct fx {
	int n;
	struct raft_config cfg;	   /* template; id, storage and seed set per node */
	uint64_t peers[FX_MAX];	   /* the voters */
	uint64_t learners[FX_MAX]; /* fx_init_learners: the last nodes */
	struct fx_node nodes[FX_MAX];
	struct fx_msg q[4096];
	size_t nq;
};

static inline struct fx_msg fx_copy(const struct raft_message *m)
{
	size_t size = m->n_entries * sizeof(struct raft_entry) + m->snapshot_len + 1;
	for (size_t i = 0; i < m->n_entries; i++)
		size += m->entries[i].data_len;
	struct fx_msg c = {*m, malloc(size)};
	struct raft_entry *e = c.blob;
	uint8_t *p = (uint8_t *)c.blob + m->n_entries * sizeof(*e);
	for (size_t i = 0; i < m->n_entries; i++) {
		e[i] = m->entries[i];
		memcpy(p, m->entries[i].data, m->entries[i].data_len);
		e[i].data = p;
		p += m->entries[i].data_len;
	}
	c.m.entries = m->n_entries ? e : NULL;
	if (m->snapshot_len)
		memcpy(p, m->snapshot, m->snapshot_len);
	c.m.snapshot = m->snapshot_len ? p : NULL;
	return c;
}

/* Node i (0-based) is replica id i + 1. */
static inline struct raft *fx_r(struct fx *f, int i) { return &f->nodes[i].r; }

/* Handles node i's Ready batches as the driver does; messages are queued. */
static inline void fx_ready(struct fx *f, int i)
{
	struct fx_node *nd = &f->nodes[i];
	for (int round = 0; nd->up && raft_has_ready(&nd->r); round++) {
		ck_assert_int_lt(round, 50);
		struct raft_ready rd;
		raft_ready(&nd->r, &rd);
		if (rd.has_snapshot) {
			ck_assert_int_eq(memstore_install(&nd->st, &rd.snapshot), 0);
			nd->installed = true;
		}
		fx_store_append(&nd->st, rd.entries, rd.n_entries);
		if (rd.hard_state_changed)
			nd->st.hs = rd.hard_state;
		for (size_t k = 0; k < rd.n_messages; k++) {
			ck_assert_uint_lt(f->nq, 4096);
			f->q[f->nq++] = fx_copy(&rd.messages[k]);
		}
		for (size_t k = 0; k < rd.n_committed; k++) {
			ck_assert_uint_lt(nd->n_applied, 512);
			nd->applied[nd->n_applied++] = rd.committed[k].index;
		}
		raft_advance(&nd->r, &rd);
	}
}

static inline void fx_start(struct fx *f, int i)
{
	struct fx_node *nd = &f->nodes[i];
	struct raft_config c = f->cfg;
	c.id = (uint64_t)i + 1;
	c.storage = &nd->st.iface;
	c.seed = 1000 + (uint64_t)i;
	c.applied = nd->st.start_index;
	ck_assert_int_eq(raft_init(&nd->r, &c), 0);
	nd->up = true;
}

static inline void fx_init_cfg(struct fx *f, int n, bool pre_vote, bool check_quorum)
{
	memset(f, 0, sizeof(*f));
	f->n = n;
	for (int i = 0; i < n; i++)
		f->peers[i] = (uint64_t)i + 1;
	f->cfg = (struct raft_config){
	    .peers = f->peers,
	    .n_peers = (size_t)n,
	    .election_ticks = FX_ELECTION,
	    .heartbeat_ticks = FX_HEARTBEAT,
	    .max_inflight_msgs = 4,
	    .max_msg_bytes = 1 << 20,
	    .pre_vote = pre_vote,
	    .check_quorum = check_quorum,
	};
	for (int i = 0; i < n; i++)
		fx_store_init(&f->nodes[i].st);
}

/* Nodes n_voters..n_voters + n_learners - 1 become learners (ids after the
 * voters'); call after fx_init_cfg(f, n_voters + n_learners, ...). */
static inline void fx_set_learners(struct fx *f, int n_voters)
{
	f->cfg.n_peers = (size_t)n_voters;
	f->cfg.n_learners = (size_t)(f->n - n_voters);
	for (int i = n_voters; i < f->n; i++)
		f->learners[i - n_voters] = (uint64_t)i + 1;
	f->cfg.learners = f->learners;
}

/* n_voters voters and n_learners learners after them, started. */
static inline void fx_init_learners(struct fx *f, int n_voters, int n_learners, bool pre_vote,
				    bool check_quorum)
{
	fx_init_cfg(f, n_voters + n_learners, pre_vote, check_quorum);
	fx_set_learners(f, n_voters);
	for (int i = 0; i < f->n; i++)
		fx_start(f, i);
}

/* A cluster of n replicas, started. */
static inline void fx_init(struct fx *f, int n, bool pre_vote, bool check_quorum)
{
	fx_init_cfg(f, n, pre_vote, check_quorum);
	for (int i = 0; i < n; i++)
		fx_start(f, i);
}

static inline void fx_crash(struct fx *f, int i)
{
	raft_close(&f->nodes[i].r);
	f->nodes[i].up = false;
}

static inline void fx_free(struct fx *f)
{
	for (size_t k = 0; k < f->nq; k++)
		free(f->q[k].blob);
	for (int i = 0; i < f->n; i++) {
		if (f->nodes[i].up)
			raft_close(&f->nodes[i].r);
		fx_store_free(&f->nodes[i].st);
	}
}

static inline void fx_remove(struct fx *f, size_t k)
{
	free(f->q[k].blob);
	memmove(&f->q[k], &f->q[k + 1], (f->nq - k - 1) * sizeof(f->q[0]));
	f->nq--;
}

static inline void fx_drop_all(struct fx *f)
{
	while (f->nq)
		fx_remove(f, 0);
}

/* Index in the queue of the first message matching (type 0 = any, from/to 0
 * = any), or -1. */
static inline int fx_find(const struct fx *f, uint8_t type, uint64_t from, uint64_t to)
{
	for (size_t k = 0; k < f->nq; k++) {
		const struct raft_message *m = &f->q[k].m;
		if ((!type || m->type == type) && (!from || m->from == from) &&
		    (!to || m->to == to))
			return (int)k;
	}
	return -1;
}

static inline size_t fx_count(const struct fx *f, uint8_t type, uint64_t from, uint64_t to)
{
	size_t c = 0;
	for (size_t k = 0; k < f->nq; k++) {
		const struct raft_message *m = &f->q[k].m;
		c += (!type || m->type == type) && (!from || m->from == from) &&
		     (!to || m->to == to);
	}
	return c;
}

/* Steps message m into its receiver (if up) and handles the Ready. */
static inline int fx_step(struct fx *f, const struct raft_message *m)
{
	int i = (int)m->to - 1;
	if (!f->nodes[i].up)
		return 0;
	int rc = raft_step(&f->nodes[i].r, m);
	fx_ready(f, i);
	return rc;
}

/* Delivers queued message k. */
static inline void fx_deliver_one(struct fx *f, size_t k)
{
	struct fx_msg c = f->q[k];
	memmove(&f->q[k], &f->q[k + 1], (f->nq - k - 1) * sizeof(f->q[0]));
	f->nq--;
	ck_assert_int_eq(fx_step(f, &c.m), 0);
	free(c.blob);
}

/* Delivers queued messages in FIFO order, including those they cause, up
 * to max deliveries. Returns how many were delivered. */
static inline size_t fx_deliver(struct fx *f, size_t max)
{
	size_t done = 0;
	while (f->nq && done < max) {
		fx_deliver_one(f, 0);
		done++;
	}
	return done;
}

static inline void fx_tick(struct fx *f, int i, int k)
{
	for (int t = 0; t < k; t++) {
		ck_assert_int_eq(raft_tick(fx_r(f, i)), 0);
		fx_ready(f, i);
	}
}

/* Makes node i leader (campaign now, deliver everything). */
static inline void fx_elect(struct fx *f, int i)
{
	ck_assert_int_eq(raft_campaign(fx_r(f, i)), 0);
	fx_ready(f, i);
	fx_deliver(f, 10000);
	ck_assert_int_eq(raft_role(fx_r(f, i)), RAFT_LEADER);
}

static inline uint64_t fx_propose(struct fx *f, int i, const char *s)
{
	uint64_t idx = 0;
	ck_assert_int_eq(raft_propose(fx_r(f, i), s, strlen(s), &idx), 0);
	fx_ready(f, i);
	return idx;
}

#endif
