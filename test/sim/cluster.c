/* cluster.c - the simulated replicas: starting and crashing them, the
 * driver loop each runs on its Ready batches (persist, send, apply,
 * advance, exactly as fjord-worker does), and the clock that ticks them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "sim.h"

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t sim_rand(struct sim *s) { return splitmix(&s->rng); }
uint64_t sim_below(struct sim *s, uint64_t n) { return n ? sim_rand(s) % n : 0; }
bool sim_chance(struct sim *s, int per_mille) { return (int)sim_below(s, 1000) < per_mille; }

void sim_fail(struct sim *s, const char *rule, const char *fmt, ...)
{
	int k = snprintf(s->fail, sizeof(s->fail), "%s at tick %llu: ", rule, (unsigned long long)s->tick);
	if (k < 0 || (size_t)k >= sizeof(s->fail))
		k = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->fail + k, sizeof(s->fail) - (size_t)k, fmt, ap);
	va_end(ap);
	longjmp(s->jmp, 1);
}

void sim_trace(struct sim *s, const char *fmt, ...)
{
	printf("[t%llu.%llu] ", (unsigned long long)(s->now / SIM_TICK),
	       (unsigned long long)(s->now % SIM_TICK));
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void on_panic(void *ctx, const char *msg)
{
	sim_fail(ctx, "core invariant", "%s", msg);
}

void sim_init(struct sim *s, uint64_t seed, int n, bool verbose)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->n = n;
	s->verbose = verbose;
	s->rng = seed * 0x2545f4914f6cdd1dULL + (uint64_t)n;
	s->election_ticks = 10;
	s->heartbeat_ticks = 2;
	s->min_delay = 1;
	s->max_delay = SIM_TICK / 2;
	s->max_down_ticks = 60;
	/* Flow-control limits vary per seed: one entry per message makes
	 * partial replication (and its corner cases) common. */
	static const size_t msgs[] = { 1, 2, 4, 8 }, bytes[] = { 1, 200, 600, 4096 },
			    ents[] = { 1, 2, 4, 16 };
	s->max_inflight_msgs = msgs[sim_below(s, 4)];
	s->max_msg_bytes = bytes[sim_below(s, 4)];
	s->max_msg_entries = ents[sim_below(s, 4)];
	s->max_inflight_bytes = sim_chance(s, 500) ? 0 : 4096;
	buf_init(&s->enc);
	arena_init(&s->arena);
	for (int i = 0; i < n; i++) {
		struct sim_node *nd = &s->nodes[i];
		nd->id = (uint64_t)i + 1;
		nd->phase = (int)sim_below(s, SIM_TICK);
		memstore_init(&nd->store);
	}
}

void sim_free(struct sim *s)
{
	for (int i = 0; i < s->n; i++) {
		if (s->nodes[i].up)
			raft_close(&s->nodes[i].raft);
		memstore_free(&s->nodes[i].store);
	}
	net_free(s);
	check_free(s);
	buf_free(&s->enc);
	arena_free(&s->arena);
}

void sim_start_node(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	uint64_t peers[SIM_MAX_NODES];
	for (int j = 0; j < s->n; j++)
		peers[j] = (uint64_t)j + 1;
	/* The state machine restarts from the stored log start. */
	nd->sm_applied = nd->store.start_index;
	nd->sm_hash = nd->store.snap_len == 16 ? be64_load(nd->store.snap) : 0;
	struct raft_config cfg = {
		.id = nd->id, .peers = peers, .n_peers = (size_t)s->n,
		.election_ticks = s->election_ticks, .heartbeat_ticks = s->heartbeat_ticks,
		.max_inflight_msgs = s->max_inflight_msgs, .max_msg_bytes = s->max_msg_bytes,
		.max_msg_entries = s->max_msg_entries, .max_inflight_bytes = s->max_inflight_bytes,
		.max_apply_bytes = 0, .seed = s->seed * 1000003 + (uint64_t)nd->lives * 131 + (uint64_t)i,
		.applied = nd->sm_applied, .storage = &nd->store.iface, .pre_vote = true,
		.check_quorum = true, .panic_cb = on_panic, .panic_ctx = s,
	};
	int rc = raft_init(&nd->raft, &cfg);
	if (rc)
		sim_fail(s, "restart", "node %d cannot start from its stored state: %s", i + 1, err_str(rc));
	nd->up = true;
	nd->lazy = false;
	nd->lives++;
	nd->last_role = RAFT_FOLLOWER;
	nd->last_term = raft_term(&nd->raft);
	nd->last_commit = raft_commit(&nd->raft);
	if (s->verbose)
		sim_trace(s, "node %d starts: term %llu commit %llu log (%llu, %llu]", i + 1,
			  (unsigned long long)nd->last_term, (unsigned long long)nd->last_commit,
			  (unsigned long long)nd->store.start_index,
			  (unsigned long long)memstore_last(&nd->store));
}

void sim_crash(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	if (!nd->up)
		return;
	if (s->verbose)
		sim_trace(s, "node %d crashes (%s, term %llu)", i + 1,
			  raft_role_name(raft_role(&nd->raft)), (unsigned long long)raft_term(&nd->raft));
	struct raft_counters c;
	raft_get_counters(&nd->raft, &c);
	s->stats.elections += c.elections;
	/* Whatever the core held in memory, unstable entries included, is gone. */
	raft_close(&nd->raft);
	nd->up = false;
	nd->restart_at = s->tick + 1 + sim_below(s, (uint64_t)s->max_down_ticks);
	s->stats.crashes++;
}

void sim_drive(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	for (int round = 0; nd->up && raft_has_ready(&nd->raft); round++) {
		if (round > 64)
			sim_fail(s, "ready", "node %d keeps producing Ready batches", i + 1);
		struct raft_ready rd;
		raft_ready(&nd->raft, &rd);
		/* 1. persist (log start, entries, hard state), then sync */
		if (rd.has_snapshot) {
			check_install(s, i, &rd.snapshot);
			if (memstore_install(&nd->store, &rd.snapshot))
				sim_fail(s, "sim", "memstore install failed");
		}
		if (rd.n_entries) {
			check_persist(s, i, rd.entries, rd.n_entries);
			if (memstore_append(&nd->store, rd.entries, rd.n_entries))
				sim_fail(s, "ready", "node %d: entries from %llu do not extend its log", i + 1,
					 (unsigned long long)rd.entries[0].index);
		}
		if (rd.hard_state_changed) {
			if (rd.hard_state.term < nd->store.hs.term ||
			    (rd.hard_state.term == nd->store.hs.term && nd->store.hs.vote &&
			     rd.hard_state.vote != nd->store.hs.vote))
				sim_fail(s, "one vote per term", "node %d: term/vote %llu/%llu -> %llu/%llu",
					 i + 1, (unsigned long long)nd->store.hs.term,
					 (unsigned long long)nd->store.hs.vote,
					 (unsigned long long)rd.hard_state.term,
					 (unsigned long long)rd.hard_state.vote);
			nd->store.hs = rd.hard_state;
		}
		/* A crash after the fsync, before anything is sent. */
		if (s->faults && s->crash_in_ready_pm && sim_chance(s, s->crash_in_ready_pm)) {
			sim_crash(s, i);
			return;
		}
		/* 2. send */
		for (size_t k = 0; k < rd.n_messages; k++)
			net_send(s, i, &rd.messages[k]);
		/* 3. apply */
		for (size_t k = 0; k < rd.n_committed; k++)
			check_apply(s, i, &rd.committed[k]);
		raft_advance(&nd->raft, &rd);
		check_step(s, i);
	}
}

static void node_tick(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	if (!nd->up)
		return;
	sim_drive(s, i); /* a lazy driver catches up at its tick */
	if (!nd->up)
		return;
	if (raft_tick(&nd->raft))
		sim_fail(s, "tick", "node %d refused a tick", i + 1);
	check_step(s, i);
	if (!nd->lazy)
		sim_drive(s, i);
}

void sim_run(struct sim *s, uint64_t ticks, void (*hook)(struct sim *, void *), void *arg)
{
	int order[SIM_MAX_NODES];
	for (int i = 0; i < s->n; i++)
		order[i] = i;
	for (int a = 1; a < s->n; a++)
		for (int b = a; b > 0 && s->nodes[order[b]].phase < s->nodes[order[b - 1]].phase; b--) {
			int t = order[b];
			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	for (uint64_t k = 0; k < ticks; k++) {
		uint64_t start = s->tick * SIM_TICK;
		if (hook)
			hook(s, arg);
		for (int j = 0; j <= s->n; j++) {
			uint64_t t = j < s->n ? start + (uint64_t)s->nodes[order[j]].phase : start + SIM_TICK;
			net_deliver_until(s, t);
			s->now = t;
			if (j < s->n)
				node_tick(s, order[j]);
		}
		s->tick++;
		if (s->tick % 25 == 0)
			check_logs(s);
	}
}

int sim_propose(struct sim *s, int i, uint64_t *index)
{
	struct sim_node *nd = &s->nodes[i];
	uint8_t payload[256];
	uint64_t id = ++s->next_payload;
	size_t len = 8 + (size_t)sim_below(s, 200);
	be64_store(payload, id);
	for (size_t k = 8; k < len; k++)
		payload[k] = (uint8_t)(id * 31 + k);
	uint64_t idx = 0;
	int rc = raft_propose(&nd->raft, payload, len, &idx);
	if (rc == 0) {
		s->stats.proposals++;
		if (s->verbose)
			sim_trace(s, "node %d proposes #%llu at index %llu", i + 1, (unsigned long long)id,
				  (unsigned long long)idx);
	} else if (rc == ERR_NOTLEADER) {
		if (raft_role(&nd->raft) == RAFT_LEADER && !raft_transferee(&nd->raft))
			sim_fail(s, "propose", "leader node %d refused a proposal", i + 1);
	} else {
		sim_fail(s, "propose", "node %d: %s", i + 1, err_str(rc));
	}
	check_step(s, i);
	if (!nd->lazy)
		sim_drive(s, i);
	if (index)
		*index = idx;
	return rc;
}

int sim_leader(struct sim *s)
{
	int best = -1;
	for (int i = 0; i < s->n; i++) {
		struct sim_node *nd = &s->nodes[i];
		if (nd->up && raft_role(&nd->raft) == RAFT_LEADER &&
		    (best < 0 || raft_term(&nd->raft) > raft_term(&s->nodes[best].raft)))
			best = i;
	}
	return best;
}

bool sim_settled(struct sim *s, int leader)
{
	if (leader < 0)
		return false;
	const struct raft *l = &s->nodes[leader].raft;
	uint64_t t = 0;
	/* The leader has committed its no-op, so it knows the commit index. */
	if (raft_log_term(l, raft_commit(l), &t) != 0 || t != raft_term(l) || raft_transferee(l))
		return false;
	for (int i = 0; i < s->n; i++) {
		const struct sim_node *nd = &s->nodes[i];
		if (!nd->up || i == leader)
			continue;
		if (raft_term(&nd->raft) != raft_term(l) || raft_leader(&nd->raft) != s->nodes[leader].id)
			return false;
	}
	return true;
}

uint64_t sim_elections(struct sim *s)
{
	uint64_t total = s->stats.elections;
	for (int i = 0; i < s->n; i++) {
		if (!s->nodes[i].up)
			continue;
		struct raft_counters c;
		raft_get_counters(&s->nodes[i].raft, &c);
		total += c.elections;
	}
	return total;
}

void sim_heal(struct sim *s)
{
	memset(s->blocked, 0, sizeof(s->blocked));
	s->partitioned = false;
}

void sim_calm_network(struct sim *s)
{
	s->faults = false;
	s->drop_pm = s->dup_pm = s->long_delay_pm = 0;
	s->min_delay = 1;
	s->max_delay = SIM_TICK / 2;
	for (int i = 0; i < s->n; i++)
		s->nodes[i].lazy = false;
}

void sim_dump(struct sim *s)
{
	for (int i = 0; i < s->n; i++) {
		struct sim_node *nd = &s->nodes[i];
		if (!nd->up) {
			sim_trace(s, "node %d down", i + 1);
			continue;
		}
		const struct raft *r = &nd->raft;
		sim_trace(s, "node %d %s term %llu leader %llu commit %llu applied %llu log (%llu, %llu]",
			  i + 1, raft_role_name(raft_role(r)), (unsigned long long)raft_term(r),
			  (unsigned long long)raft_leader(r), (unsigned long long)raft_commit(r),
			  (unsigned long long)nd->sm_applied, (unsigned long long)nd->store.start_index,
			  (unsigned long long)raft_last_index(r));
		if (raft_role(r) != RAFT_LEADER)
			continue;
		for (size_t k = 0; k < r->n_peers; k++) {
			const struct raft_progress *pr = &r->prs[k];
			sim_trace(s, "  progress %llu: state %d match %llu next %llu probe_sent %d inflight %zu/%zu bytes %zu",
				  (unsigned long long)pr->id, pr->state, (unsigned long long)pr->match,
				  (unsigned long long)pr->next, pr->probe_sent, pr->inflight.count,
				  pr->inflight.cap, pr->inflight.total_bytes);
		}
	}
}
