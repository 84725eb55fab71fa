/* cluster.c - the simulated replicas: starting and crashing them, the
 * real Raft driver each runs (worker/raft_driver.c, as fjord-worker does)
 * with the simulation's log (the shared memstore, wrapped with the
 * persistence checks) and state machine (a hash chain of applied entries,
 * checked), and the clock that ticks them. */
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "pnode.h"
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
	int k = snprintf(s->fail, sizeof(s->fail), "%s at tick %llu: ", rule,
			 (unsigned long long)s->tick);
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

static void on_panic(void *ctx, const char *msg) { sim_fail(ctx, "core invariant", "%s", msg); }

/* --- the driver's log: the memstore, checked ------------------------------- */

static struct log_store mem(struct sim_node *nd) { return memstore_log(&nd->store); }

static int lg_hard_state(void *c, struct raft_hard_state *o)
{
	struct log_store m = mem(c);
	return m.ops->hard_state(m.ctx, o);
}

static int lg_first(void *c, uint64_t *o)
{
	struct log_store m = mem(c);
	return m.ops->first_index(m.ctx, o);
}

static int lg_last(void *c, uint64_t *o)
{
	struct log_store m = mem(c);
	return m.ops->last_index(m.ctx, o);
}

static int lg_term(void *c, uint64_t i, uint64_t *o)
{
	struct log_store m = mem(c);
	return m.ops->term(m.ctx, i, o);
}

static int lg_entries(void *c, uint64_t lo, uint64_t hi, size_t max, struct raft_entry *out,
		      size_t *n)
{
	struct log_store m = mem(c);
	return m.ops->entries(m.ctx, lo, hi, max, out, n);
}

static void lg_log_start(void *c, uint64_t *index, uint64_t *term)
{
	struct log_store m = mem(c);
	m.ops->log_start(m.ctx, index, term);
}

/* A crash may come before the write reaches the disk (the whole Ready is
 * lost: nothing of it may have been sent) or right after (lg_commit). */
static int lg_begin(void *c)
{
	struct sim_node *nd = c;
	struct sim *s = nd->sim;
	if (s->faults && s->crash_in_ready_pm && sim_chance(s, s->crash_in_ready_pm / 2))
		nd->crash_pending = nd->write_lost = true;
	return 0;
}

static void lg_abort(void *c) {}

static int lg_append(void *c, const struct raft_entry *e, size_t n)
{
	struct sim_node *nd = c;
	struct sim *s = nd->sim;
	if (nd->write_lost)
		return 0;
	check_persist(s, nd->slot, e, n);
	if (memstore_append(&nd->store, e, n))
		sim_fail(s, "ready", "node %d: entries from %llu do not extend its log",
			 nd->slot + 1, (unsigned long long)e[0].index);
	return 0;
}

static int lg_set_hard_state(void *c, const struct raft_hard_state *hs)
{
	struct sim_node *nd = c;
	struct sim *s = nd->sim;
	if (nd->write_lost)
		return 0;
	if (hs->vote > (uint64_t)s->n_voters)
		sim_fail(s, "votes go to voters", "node %d voted for learner %llu in term %llu",
			 nd->slot + 1, (unsigned long long)hs->vote, (unsigned long long)hs->term);
	if (hs->term < nd->store.hs.term ||
	    (hs->term == nd->store.hs.term && nd->store.hs.vote && hs->vote != nd->store.hs.vote))
		sim_fail(s, "one vote per term", "node %d: term/vote %llu/%llu -> %llu/%llu",
			 nd->slot + 1, (unsigned long long)nd->store.hs.term,
			 (unsigned long long)nd->store.hs.vote, (unsigned long long)hs->term,
			 (unsigned long long)hs->vote);
	nd->store.hs = *hs;
	return 0;
}

/* The write is durable: a crash now loses only what was not sent yet. */
static int lg_commit(void *c)
{
	struct sim_node *nd = c;
	struct sim *s = nd->sim;
	if (!nd->crash_pending && s->faults && s->crash_in_ready_pm &&
	    sim_chance(s, s->crash_in_ready_pm))
		nd->crash_pending = true;
	return 0;
}

static const struct log_store_ops log_ops = {
    .hard_state = lg_hard_state,
    .first_index = lg_first,
    .last_index = lg_last,
    .term = lg_term,
    .entries = lg_entries,
    .log_start = lg_log_start,
    .begin = lg_begin,
    .append = lg_append,
    .set_hard_state = lg_set_hard_state,
    .commit = lg_commit,
    .abort = lg_abort,
};

/* --- the state machine: a hash chain of applied entries -------------------- */

static uint64_t sm_applied_index(void *c) { return ((struct sim_node *)c)->sm_applied; }
static void sm_proposed(void *c, uint64_t index, const uint8_t *data, size_t len) {}
static int sm_save(void *c) { return 0; }

static int sm_install_store(void *c, uint64_t index, uint64_t term, const uint8_t *data, size_t len)
{
	struct sim_node *nd = c;
	if (nd->write_lost)
		return 0;
	struct raft_snapshot snap = {index, term, data, len};
	check_install(nd->sim, nd->slot, &snap);
	if (memstore_install(&nd->store, &snap))
		sim_fail(nd->sim, "sim", "memstore install failed");
	return 0;
}

static void sm_install(void *c, uint64_t index, const uint8_t *data, size_t len) {}

static int sm_apply(void *c, const struct sm_entry *e)
{
	struct sim_node *nd = c;
	if (nd->crash_pending)
		return 0; /* crashed before applying: lost with the process */
	struct raft_entry re = {e->index, e->term, e->kind, e->data, e->len};
	check_apply(nd->sim, nd->slot, &re);
	return 0;
}

static int sm_lead(void *c, uint64_t term) { return 0; }
static void sm_step_down(void *c) {}

/* The driver asks every snapshot_threshold applied entries: the log start
 * moves to the applied index, recording the chain's state there. */
static int sm_snapshot(void *c)
{
	struct sim_node *nd = c;
	if (nd->crash_pending || nd->sm_applied <= nd->store.start_index)
		return 0;
	uint8_t snap[16];
	be64_store(snap, nd->sm_hash);
	be64_store(snap + 8, nd->sm_applied);
	if (memstore_compact(&nd->store, nd->sm_applied, snap, sizeof(snap)) == 0)
		nd->sim->stats.compactions++;
	return 0;
}

static void sm_start_state(void *c, const uint8_t **data, size_t *len)
{
	struct sim_node *nd = c;
	*data = nd->store.snap;
	*len = nd->store.snap_len;
}

static int sim_sm_read(void *c, int kind, const void *req, void *result) { return ERR_UNSUPPORTED; }

static void sm_status_of(void *c, struct sm_status *out)
{
	*out = (struct sm_status){.applied = ((struct sim_node *)c)->sm_applied};
}

static const struct sm_ops sm_ops = {
    .applied = sm_applied_index,
    .proposed = sm_proposed,
    .save = sm_save,
    .install_store = sm_install_store,
    .install = sm_install,
    .apply = sm_apply,
    .lead = sm_lead,
    .step_down = sm_step_down,
    .snapshot = sm_snapshot,
    .start_state = sm_start_state,
    .read = sim_sm_read,
    .status = sm_status_of,
};

/* --- driver callbacks ------------------------------------------------------- */

static void cb_send(void *ctx, const struct raft_message *m)
{
	struct sim_node *nd = ctx;
	if (!nd->crash_pending) /* a crash before sending loses them */
		net_send(nd->sim, nd->slot, m);
}

static void cb_failed(void *ctx, int err)
{
	struct sim_node *nd = ctx;
	sim_fail(nd->sim, "driver", "node %d: a write failed: %s", nd->slot + 1, err_str(err));
}

void sim_init(struct sim *s, uint64_t seed, int n, bool verbose)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->n = n;
	s->n_voters = n;
	s->verbose = verbose;
	s->rng = seed * 0x2545f4914f6cdd1dULL + (uint64_t)n;
	s->election_ticks = 10;
	s->heartbeat_ticks = 2;
	s->min_delay = 1;
	s->max_delay = SIM_TICK / 2;
	s->max_down_ticks = 60;
	/* Flow-control limits vary per seed: one entry per message makes
	 * partial replication (and its corner cases) common. */
	static const size_t msgs[] = {1, 2, 4, 8}, bytes[] = {1, 200, 600, 4096},
			    ents[] = {1, 2, 4, 16};
	s->max_inflight_msgs = msgs[sim_below(s, 4)];
	s->max_msg_bytes = bytes[sim_below(s, 4)];
	s->max_msg_entries = ents[sim_below(s, 4)];
	s->max_inflight_bytes = sim_chance(s, 500) ? 0 : 4096;
	/* The driver's snapshots compact the log: off, often or now and then. */
	static const uint64_t thresholds[] = {0, 5, 23};
	s->snapshot_threshold = thresholds[sim_below(s, 3)];
	s->base = event_base_new();
	if (s->base == NULL)
		abort();
	buf_init(&s->enc);
	arena_init(&s->arena);
	for (int i = 0; i < n; i++) {
		struct sim_node *nd = &s->nodes[i];
		nd->id = (uint64_t)i + 1;
		nd->sim = s;
		nd->slot = i;
		nd->phase = (int)sim_below(s, SIM_TICK);
		memstore_init(&nd->store);
	}
}

void sim_set_learners(struct sim *s, int n_learners) { s->n_voters = s->n - n_learners; }

bool sim_is_learner(const struct sim *s, int i) { return i >= s->n_voters; }

void sim_free(struct sim *s)
{
	for (int i = 0; i < s->n; i++) {
		if (s->nodes[i].up)
			raft_driver_abandon(&s->nodes[i].drv);
		pnode_free(&s->nodes[i]);
		memstore_free(&s->nodes[i].store);
	}
	net_free(s);
	check_free(s);
	buf_free(&s->enc);
	arena_free(&s->arena);
	pnode_dir_free(s);
	if (s->base)
		event_base_free(s->base);
	s->base = NULL;
}

void sim_start_node(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	int32_t peers[SIM_MAX_NODES];
	for (int j = 0; j < s->n; j++)
		peers[j] = j + 1;
	/* The state machine restarts from the stored log start. */
	nd->sm_applied = nd->store.start_index;
	nd->sm_hash = nd->store.snap_len == 16 ? be64_load(nd->store.snap) : 0;
	struct raft_config cfg = {
	    .election_ticks = s->election_ticks,
	    .heartbeat_ticks = s->heartbeat_ticks,
	    .max_inflight_msgs = s->max_inflight_msgs,
	    .max_msg_bytes = s->max_msg_bytes,
	    .max_msg_entries = s->max_msg_entries,
	    .max_inflight_bytes = s->max_inflight_bytes,
	    .max_apply_bytes = 0,
	    .seed = s->seed * 1000003 + (uint64_t)nd->lives * 131 + (uint64_t)i,
	    .pre_vote = true,
	    .check_quorum = true,
	    .quiesce = s->quiesce,
	    .panic_cb = on_panic,
	    .panic_ctx = s,
	};
	struct raft_driver_config dc = {
	    .self = (int32_t)nd->id,
	    .voters = peers,
	    .n_voters = s->n_voters,
	    .learners = peers + s->n_voters,
	    .n_learners = s->n - s->n_voters,
	    .tick_ms = 0,
	    .election_ticks = s->election_ticks,
	    .max_msg_entries = s->max_msg_entries,
	    .seed = cfg.seed,
	    .snapshot_threshold = s->snapshot_threshold,
	    .rounds_per_flush = 1,
	    .core = &cfg,
	};
	struct raft_driver_callbacks cb = {.ctx = nd, .failed = cb_failed, .send = cb_send};
	struct log_store lg = {&log_ops, nd};
	struct sm sm = {&sm_ops, nd};
	if (s->partition)
		pnode_open(s, i, &lg, &sm); /* also sets sm_applied and sm_hash */
	nd->crash_pending = nd->write_lost = false;
	int rc = raft_driver_init(&nd->drv, s->base, &dc, &lg, &sm, &cb);
	if (rc)
		sim_fail(s, "restart", "node %d cannot start from its stored state: %s", i + 1,
			 err_str(rc));
	nd->up = true;
	nd->lazy = false;
	nd->lives++;
	nd->last_role = RAFT_FOLLOWER;
	nd->last_term = raft_term(&nd->drv.raft);
	nd->last_commit = raft_commit(&nd->drv.raft);
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
			  raft_role_name(raft_role(&nd->drv.raft)),
			  (unsigned long long)raft_term(&nd->drv.raft));
	struct raft_counters c;
	raft_get_counters(&nd->drv.raft, &c);
	s->stats.elections += c.elections;
	s->stats.quiesces += c.quiesces;
	/* Whatever the core held in memory, unstable entries included, is gone. */
	raft_driver_abandon(&nd->drv);
	pnode_close(nd);
	nd->crash_pending = nd->write_lost = false;
	nd->up = false;
	nd->restart_at = s->tick + 1 + sim_below(s, (uint64_t)s->max_down_ticks);
	s->stats.crashes++;
}

void sim_drive(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	for (int round = 0; nd->up && raft_has_ready(&nd->drv.raft); round++) {
		if (round > 64)
			sim_fail(s, "ready", "node %d keeps producing Ready batches", i + 1);
		/* One Ready: persist (log start, entries, hard state), send,
		 * apply, advance; a crash may come right after the persist. */
		raft_driver_flush(&nd->drv);
		if (nd->crash_pending) {
			sim_crash(s, i);
			return;
		}
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
	if (raft_driver_tick(&nd->drv))
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
		for (int b = a; b > 0 && s->nodes[order[b]].phase < s->nodes[order[b - 1]].phase;
		     b--) {
			int t = order[b];
			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	for (uint64_t k = 0; k < ticks; k++) {
		uint64_t start = s->tick * SIM_TICK;
		if (hook)
			hook(s, arg);
		if (s->quiesce)
			liveness_tick(s);
		for (int j = 0; j <= s->n; j++) {
			uint64_t t = j < s->n ? start + (uint64_t)s->nodes[order[j]].phase
					      : start + SIM_TICK;
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
	uint64_t idx = 0, id;
	int rc;
	if (s->partition) {
		rc = pnode_propose(s, i, &idx);
		id = s->next_payload;
	} else {
		uint8_t payload[256];
		id = ++s->next_payload;
		size_t len = 8 + (size_t)sim_below(s, 200);
		be64_store(payload, id);
		for (size_t k = 8; k < len; k++)
			payload[k] = (uint8_t)(id * 31 + k);
		rc = raft_driver_propose(&nd->drv, payload, len, &idx);
	}
	if (rc == 0) {
		s->stats.proposals++;
		if (s->verbose)
			sim_trace(s, "node %d proposes #%llu at index %llu", i + 1,
				  (unsigned long long)id, (unsigned long long)idx);
	} else if (rc == ERR_NOTLEADER) {
		/* A leader refuses only during a transfer, or before its driver
		 * handled the Ready that made it leader (a lazy driver). */
		if (raft_role(&nd->drv.raft) == RAFT_LEADER && !raft_transferee(&nd->drv.raft) &&
		    nd->drv.leader_ready_term == raft_term(&nd->drv.raft))
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
		if (nd->up && raft_role(&nd->drv.raft) == RAFT_LEADER &&
		    (best < 0 || raft_term(&nd->drv.raft) > raft_term(&s->nodes[best].drv.raft)))
			best = i;
	}
	return best;
}

bool sim_settled(struct sim *s, int leader)
{
	if (leader < 0)
		return false;
	const struct raft *l = &s->nodes[leader].drv.raft;
	uint64_t t = 0;
	/* The leader has committed its no-op, so it knows the commit index. */
	if (raft_log_term(l, raft_commit(l), &t) != 0 || t != raft_term(l) || raft_transferee(l))
		return false;
	for (int i = 0; i < s->n; i++) {
		const struct sim_node *nd = &s->nodes[i];
		if (!nd->up || i == leader)
			continue;
		if (raft_term(&nd->drv.raft) != raft_term(l) ||
		    raft_leader(&nd->drv.raft) != s->nodes[leader].id)
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
		raft_get_counters(&s->nodes[i].drv.raft, &c);
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
		const struct raft *r = &nd->drv.raft;
		sim_trace(
		    s, "node %d %s term %llu leader %llu commit %llu applied %llu log (%llu, %llu]",
		    i + 1, raft_role_name(raft_role(r)), (unsigned long long)raft_term(r),
		    (unsigned long long)raft_leader(r), (unsigned long long)raft_commit(r),
		    (unsigned long long)nd->sm_applied, (unsigned long long)nd->store.start_index,
		    (unsigned long long)raft_last_index(r));
		if (raft_role(r) != RAFT_LEADER)
			continue;
		for (size_t k = 0; k < r->n_peers; k++) {
			const struct raft_progress *pr = &r->prs[k];
			sim_trace(s,
				  "  progress %llu: state %d match %llu next %llu probe_sent %d "
				  "inflight %zu/%zu bytes %zu",
				  (unsigned long long)pr->id, pr->state,
				  (unsigned long long)pr->match, (unsigned long long)pr->next,
				  pr->probe_sent, pr->inflight.count, pr->inflight.cap,
				  pr->inflight.total_bytes);
		}
	}
}
