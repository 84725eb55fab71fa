/* checker.c - the Raft safety properties, checked after every step of the
 * simulation (Raft paper, Figure 3):
 *   election safety     at most one leader per term, ever;
 *   log matching        two logs with an entry of the same index and term
 *                       hold the same entry there and agree before it
 *                       (checked through a registry of (index, term) ->
 *                       content and predecessor's term, fed by every
 *                       persisted entry);
 *   leader completeness a new leader holds every entry already applied
 *                       anywhere;
 *   committed entries never change, and state machine safety: every
 *                       replica applies the same entry at each index in
 *                       order, and an installed log start carries the same
 *                       state as applying the entries did;
 * plus per-replica monotonicity of term and commit; and for learners
 * (non-voting members): a learner is never leader, candidate or
 * pre-candidate and never starts an election, and once the network is calm
 * every learner applies everything applied anywhere. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sim.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

uint64_t check_entry_hash(const struct raft_entry *e)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ e->kind;
	for (size_t i = 0; i < e->data_len; i++)
		h = (h ^ e->data[i]) * 0x100000001b3ULL;
	return mix(h + e->data_len);
}

static void *grow(struct sim *s, void *p, size_t *cap, size_t need, size_t size)
{
	if (need < *cap)
		return p;
	size_t ncap = *cap ? *cap : 256;
	while (ncap <= need)
		ncap *= 2;
	uint8_t *q = realloc(p, ncap * size);
	if (!q)
		sim_fail(s, "sim", "out of memory");
	memset(q + *cap * size, 0, (ncap - *cap) * size);
	*cap = ncap;
	return q;
}

static struct sim_gentry *gentry(struct sim *s, uint64_t index)
{
	s->glog = grow(s, s->glog, &s->glog_cap, index, sizeof(*s->glog));
	return &s->glog[index];
}

static void leader_completeness(struct sim *s, int i)
{
	struct sim_node *n = &s->nodes[i];
	uint64_t last = raft_last_index(&n->drv.raft);
	if (s->gmax > last)
		sim_fail(s, "leader completeness",
			 "node %d leads term %llu with last index %llu but index %llu was already "
			 "applied",
			 i + 1, (unsigned long long)raft_term(&n->drv.raft),
			 (unsigned long long)last, (unsigned long long)s->gmax);
	uint64_t first = raft_first_index(&n->drv.raft);
	for (uint64_t k = first > 1 ? first - 1 : 1; k <= s->gmax; k++) {
		if (k >= s->glog_cap || !s->glog[k].set)
			continue;
		uint64_t t = 0;
		if (raft_log_term(&n->drv.raft, k, &t) != 0)
			continue;
		if (t != s->glog[k].term)
			sim_fail(s, "leader completeness",
				 "node %d leads term %llu but holds term %llu at index %llu, "
				 "applied as term %llu",
				 i + 1, (unsigned long long)raft_term(&n->drv.raft),
				 (unsigned long long)t, (unsigned long long)k,
				 (unsigned long long)s->glog[k].term);
	}
}

/* Whether node j's disk holds (index, term): in its log, or behind its log
 * start (compacted entries were applied, so committed). */
static bool durable_at(struct sim *s, int j, uint64_t index, uint64_t term)
{
	const struct sim_node *n = &s->nodes[j];
	if (index <= n->store.start_index)
		return true;
	return memstore_term_at(&n->store, index) == (int64_t)term;
}

/* A leader's commit must be on the disks of a majority of voters: a copy
 * not written yet (a leader's own, whose appends leave before its write)
 * must not count. */
static void check_commit_durable(struct sim *s, int i, uint64_t commit)
{
	uint64_t term = 0;
	if (raft_log_term(&s->nodes[i].drv.raft, commit, &term) != 0)
		return;
	int n = 0;
	for (int j = 0; j < s->n_voters; j++)
		n += durable_at(s, j, commit, term);
	if (2 * n <= s->n_voters)
		sim_fail(s, "commit is durable", "node %d committed %llu (term %llu) on %d disk(s)",
			 i + 1, (unsigned long long)commit, (unsigned long long)term, n);
}

void check_step(struct sim *s, int i)
{
	struct sim_node *n = &s->nodes[i];
	if (!n->up)
		return;
	struct raft *r = &n->drv.raft;
	uint64_t term = raft_term(r), commit = raft_commit(r);
	uint8_t role = (uint8_t)raft_role(r);
	if (term < n->last_term)
		sim_fail(s, "term monotonic", "node %d term went from %llu to %llu", i + 1,
			 (unsigned long long)n->last_term, (unsigned long long)term);
	if (commit < n->last_commit)
		sim_fail(s, "commit monotonic", "node %d commit went from %llu to %llu", i + 1,
			 (unsigned long long)n->last_commit, (unsigned long long)commit);
	if (commit > raft_last_index(r))
		sim_fail(s, "commit within log", "node %d commit %llu past its last index %llu",
			 i + 1, (unsigned long long)commit, (unsigned long long)raft_last_index(r));
	if (term > s->stats.max_term)
		s->stats.max_term = term;
	if (role == RAFT_LEADER && commit > n->last_commit)
		check_commit_durable(s, i, commit);
	if (sim_is_learner(s, i)) {
		struct raft_counters c;
		raft_get_counters(r, &c);
		if (role != RAFT_LEARNER || r->role != RAFT_FOLLOWER || c.elections)
			sim_fail(s, "learner never campaigns",
				 "learner node %d is %s (core role %s) after %llu elections", i + 1,
				 raft_role_name((enum raft_role)role),
				 raft_role_name((enum raft_role)r->role),
				 (unsigned long long)c.elections);
	}
	if (role == RAFT_LEADER) {
		s->leader_of = grow(s, s->leader_of, &s->leader_cap, term, sizeof(*s->leader_of));
		if (s->leader_of[term] && s->leader_of[term] != n->id)
			sim_fail(s, "election safety", "nodes %llu and %llu both led term %llu",
				 (unsigned long long)s->leader_of[term], (unsigned long long)n->id,
				 (unsigned long long)term);
		s->leader_of[term] = n->id;
		if (n->last_role != RAFT_LEADER || n->last_term != term) {
			if (s->verbose)
				sim_trace(s, "node %d became leader of term %llu (last index %llu)",
					  i + 1, (unsigned long long)term,
					  (unsigned long long)raft_last_index(r));
			leader_completeness(s, i);
		}
	}
	if (s->verbose && (role != n->last_role || term != n->last_term) && role != RAFT_LEADER)
		sim_trace(s, "node %d is %s in term %llu", i + 1,
			  raft_role_name((enum raft_role)role), (unsigned long long)term);
	n->last_role = role;
	n->last_term = term;
	n->last_commit = commit;
}

/* Open-addressing map (index, term) -> content, for log matching. */
static struct sim_reg *reg_slot(struct sim *s, uint64_t index, uint64_t term)
{
	if (s->reg_n * 2 >= s->reg_cap) {
		size_t old_cap = s->reg_cap;
		struct sim_reg *old = s->reg;
		s->reg_cap = old_cap ? old_cap * 2 : 1024;
		s->reg = calloc(s->reg_cap, sizeof(*s->reg));
		if (!s->reg)
			sim_fail(s, "sim", "out of memory");
		s->reg_n = 0;
		for (size_t k = 0; k < old_cap; k++) {
			if (!old[k].index)
				continue;
			struct sim_reg *slot = reg_slot(s, old[k].index, old[k].term);
			*slot = old[k];
			s->reg_n++;
		}
		free(old);
	}
	size_t mask = s->reg_cap - 1;
	for (size_t h = mix(index * 31 + term) & mask;; h = (h + 1) & mask) {
		struct sim_reg *slot = &s->reg[h];
		if (!slot->index || (slot->index == index && slot->term == term))
			return slot;
	}
}

void check_persist(struct sim *s, int i, const struct raft_entry *ents, size_t k)
{
	struct sim_node *n = &s->nodes[i];
	struct memstore *st = &n->store;
	for (size_t j = 0; j < k; j++) {
		const struct raft_entry *e = &ents[j];
		int64_t old = memstore_term_at(st, e->index);
		if (old >= 0 && (uint64_t)old != e->term && e->index <= st->hs.commit)
			sim_fail(
			    s, "committed entry changed",
			    "node %d overwrites committed index %llu (term %lld) with term %llu",
			    i + 1, (unsigned long long)e->index, (long long)old,
			    (unsigned long long)e->term);
		uint64_t prev_term;
		if (j > 0) {
			prev_term = ents[j - 1].term;
		} else {
			int64_t pt = memstore_term_at(st, e->index - 1);
			if (pt < 0)
				sim_fail(s, "log gap", "node %d persists index %llu after a gap",
					 i + 1, (unsigned long long)e->index);
			prev_term = (uint64_t)pt;
		}
		uint64_t h = check_entry_hash(e);
		struct sim_reg *slot = reg_slot(s, e->index, e->term);
		if (!slot->index) {
			*slot = (struct sim_reg){e->index, e->term, h, prev_term};
			s->reg_n++;
		} else if (slot->ehash != h || slot->prev_term != prev_term) {
			sim_fail(
			    s, "log matching",
			    "node %d holds (index %llu, term %llu) with %s than another replica",
			    i + 1, (unsigned long long)e->index, (unsigned long long)e->term,
			    slot->ehash != h ? "different content" : "a different predecessor");
		}
	}
}

void check_apply(struct sim *s, int i, const struct raft_entry *e)
{
	struct sim_node *n = &s->nodes[i];
	uint64_t h = check_entry_hash(e);
	check_apply_state(s, i, e, mix(n->sm_hash ^ (h + e->index * 0x9e3779b97f4a7c15ULL)));
}

uint64_t check_state_hash(uint64_t a, uint64_t b)
{
	return mix(a ^ mix(b + 0x2545f4914f6cdd1dULL));
}

void check_apply_state(struct sim *s, int i, const struct raft_entry *e, uint64_t sm)
{
	struct sim_node *n = &s->nodes[i];
	if (e->index != n->sm_applied + 1)
		sim_fail(s, "state machine safety", "node %d applies index %llu after %llu", i + 1,
			 (unsigned long long)e->index, (unsigned long long)n->sm_applied);
	uint64_t h = check_entry_hash(e);
	struct sim_gentry *g = gentry(s, e->index);
	if (!g->set) {
		*g = (struct sim_gentry){e->term, h, sm, true};
		if (e->index > s->gmax)
			s->gmax = e->index;
	} else if (g->term != e->term || g->ehash != h || g->sm_hash != sm) {
		sim_fail(s, "state machine safety",
			 "node %d applies (index %llu, term %llu) where another replica applied "
			 "term %llu%s",
			 i + 1, (unsigned long long)e->index, (unsigned long long)e->term,
			 (unsigned long long)g->term,
			 g->term == e->term ? " (different content or history)" : "");
	}
	n->sm_applied = e->index;
	n->sm_hash = sm;
}

void check_install(struct sim *s, int i, const struct raft_snapshot *snap)
{
	if (snap->data_len != 16)
		sim_fail(s, "log start", "node %d got %zu state bytes", i + 1, snap->data_len);
	uint64_t sm = be64_load(snap->data), idx = be64_load(snap->data + 8);
	if (idx != snap->index)
		sim_fail(s, "log start", "node %d got state of index %llu for log start %llu",
			 i + 1, (unsigned long long)idx, (unsigned long long)snap->index);
	check_install_state(s, i, snap, sm);
}

void check_install_state(struct sim *s, int i, const struct raft_snapshot *snap, uint64_t sm)
{
	struct sim_node *n = &s->nodes[i];
	if (snap->index < n->sm_applied)
		sim_fail(s, "log start", "node %d installs log start %llu below applied %llu",
			 i + 1, (unsigned long long)snap->index, (unsigned long long)n->sm_applied);
	struct sim_gentry *g = gentry(s, snap->index);
	if (!g->set || g->term != snap->term || g->sm_hash != sm)
		sim_fail(s, "state machine safety",
			 "node %d installs a log start at %llu (term %llu) that no replica applied",
			 i + 1, (unsigned long long)snap->index, (unsigned long long)snap->term);
	n->sm_applied = snap->index;
	n->sm_hash = sm;
	s->stats.snapshots_installed++;
}

void check_logs(struct sim *s)
{
	/* Committed entries never change: what each replica stores up to its
	 * persisted commit must be what the cluster applied. */
	for (int i = 0; i < s->n; i++) {
		struct memstore *st = &s->nodes[i].store;
		uint64_t hi = st->hs.commit < memstore_last(st) ? st->hs.commit : memstore_last(st);
		for (uint64_t k = st->start_index + 1; k <= hi; k++) {
			const struct raft_entry *e = &st->ents[k - st->start_index - 1];
			if (k >= s->glog_cap || !s->glog[k].set)
				continue;
			if (s->glog[k].term != e->term || s->glog[k].ehash != check_entry_hash(e))
				sim_fail(s, "committed entry changed",
					 "node %d stores term %llu at committed index %llu, "
					 "applied as term %llu",
					 i + 1, (unsigned long long)e->term, (unsigned long long)k,
					 (unsigned long long)s->glog[k].term);
		}
	}
}

void check_learners_complete(struct sim *s)
{
	for (int i = s->n_voters; i < s->n; i++) {
		const struct sim_node *n = &s->nodes[i];
		if (n->up && n->sm_applied < s->gmax)
			sim_fail(s, "learner completeness",
				 "learner node %d applied up to %llu; index %llu was applied "
				 "elsewhere",
				 i + 1, (unsigned long long)n->sm_applied,
				 (unsigned long long)s->gmax);
	}
}

void check_free(struct sim *s)
{
	free(s->leader_of);
	free(s->glog);
	free(s->reg);
	s->leader_of = NULL;
	s->glog = NULL;
	s->reg = NULL;
	s->leader_cap = s->glog_cap = s->reg_cap = s->reg_n = 0;
}
