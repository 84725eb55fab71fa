/* schedule.c - one random schedule: a period of faults (crashes and
 * restarts, partitions that heal, lossy and reordering network, slow
 * drivers, transfers, step-downs, forced campaigns, compaction) with proposals to
 * whoever leads, then the liveness check: once faults stop and every node is
 * back, a leader must emerge within a bounded number of ticks and every
 * proposal made to it must be applied by every replica. */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "pnode.h"
#include "schedule.h"
#include "sim.h"

/* Ticks allowed from the end of faults to a settled leader, and from a
 * proposal to its application everywhere. */
#define LIVENESS_ELECT_TICKS 400
#define LIVENESS_COMMIT_TICKS 100
#define LIVENESS_PROPOSALS 5
#define COMPACT_MIN 8 /* entries before a compaction is worth it */

void schedule_compact(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	if (s->partition) {
		pnode_compact(s, i);
		return;
	}
	/* Only applied entries may go, and the log start records the state
	 * at exactly that index: compact at the applied index. */
	if (!nd->up || nd->sm_applied < nd->store.start_index + COMPACT_MIN)
		return;
	uint8_t snap[16];
	be64_store(snap, nd->sm_hash);
	be64_store(snap + 8, nd->sm_applied);
	if (memstore_compact(&nd->store, nd->sm_applied, snap, sizeof(snap)) == 0) {
		s->stats.compactions++;
		if (s->verbose)
			sim_trace(s, "node %d compacts its log up to %llu", i + 1,
				  (unsigned long long)nd->sm_applied);
	}
}

static void partition(struct sim *s)
{
	sim_heal(s);
	int kind = (int)sim_below(s, 4);
	int a = (int)sim_below(s, (uint64_t)s->n);
	if (kind == 0) {
		net_isolate(s, a, true, true);
	} else if (kind == 1) {
		/* random split into two sides */
		bool side[SIM_MAX_NODES];
		for (int i = 0; i < s->n; i++)
			side[i] = sim_chance(s, 500);
		for (int i = 0; i < s->n; i++)
			for (int j = 0; j < s->n; j++)
				if (side[i] != side[j])
					s->blocked[i][j] = true;
	} else if (kind == 2) {
		/* asymmetric: a hears nobody, or nobody hears a */
		bool in = sim_chance(s, 500);
		net_isolate(s, a, in, !in);
	} else {
		/* random one-way links */
		for (int i = 0; i < s->n; i++)
			for (int j = 0; j < s->n; j++)
				if (i != j && sim_chance(s, 250))
					s->blocked[i][j] = true;
	}
	s->partitioned = true;
	s->heal_at = s->tick + 5 + sim_below(s, 60);
	if (s->verbose) {
		char buf[256];
		size_t k = 0;
		for (int i = 0; i < s->n; i++)
			for (int j = 0; j < s->n; j++)
				if (s->blocked[i][j] && k + 16 < sizeof(buf))
					k += (size_t)snprintf(buf + k, sizeof(buf) - k, " %d->%d",
							      i + 1, j + 1);
		buf[k] = 0;
		sim_trace(s, "partition until tick %llu, blocked:%s",
			  (unsigned long long)s->heal_at, buf);
	}
}

/* After an action on node i: check what it stepped into, and let it handle
 * the Ready now unless it is a lazy driver this round. */
static void after_action(struct sim *s, int i)
{
	check_step(s, i);
	if (!s->nodes[i].lazy)
		sim_drive(s, i);
}

/* A restarted worker dials its peers at start, and each up peer's
 * transport reports the accepted connection (worker/transport.c's on_link):
 * a quiet leader wakes and heartbeats the replica, which may have come back
 * behind the commit index it had. A cut link connects nothing. */
static void reconnect_peers(struct sim *s, int i)
{
	for (int j = 0; j < s->n; j++) {
		if (j == i || !s->nodes[j].up || s->blocked[i][j] || s->blocked[j][i])
			continue;
		if (s->verbose)
			sim_trace(s, "node %d: a connection with node %d came up", j + 1, i + 1);
		raft_driver_peer_connected(&s->nodes[j].drv, i + 1);
		after_action(s, j);
	}
}

static void fault_hook(struct sim *s, void *arg)
{
	(void)arg;
	for (int i = 0; i < s->n; i++) {
		struct sim_node *nd = &s->nodes[i];
		if (!nd->up && s->tick >= nd->restart_at) {
			sim_start_node(s, i);
			reconnect_peers(s, i);
		}
	}
	if (s->partitioned && s->tick >= s->heal_at) {
		sim_heal(s);
		if (s->verbose)
			sim_trace(s, "partition healed");
	}
	if (!s->partitioned && sim_chance(s, s->part_pm))
		partition(s);
	if (sim_chance(s, s->crash_pm))
		sim_crash(s, (int)sim_below(s, (uint64_t)s->n));
	for (int i = 0; i < s->n; i++) {
		s->nodes[i].lazy = sim_chance(s, s->lazy_pm);
		if (sim_chance(s, s->compact_pm))
			schedule_compact(s, i);
	}
	int i = (int)sim_below(s, (uint64_t)s->n);
	struct sim_node *nd = &s->nodes[i];
	if (!nd->up)
		return;
	if (sim_chance(s, s->propose_pm)) {
		sim_propose(s, i, NULL);
		/* proposals also go to a leader, not only to random nodes */
		int l = sim_leader(s);
		if (l >= 0 && sim_chance(s, 700))
			sim_propose(s, l, NULL);
		if (!nd->up)
			return; /* crashed while handling its Ready */
	}
	if (raft_role(&nd->drv.raft) == RAFT_LEADER && sim_chance(s, s->transfer_pm)) {
		uint64_t to = sim_below(s, (uint64_t)s->n + 1); /* 0 = most caught up */
		if (to != nd->id) {
			if (s->verbose)
				sim_trace(s, "node %d transfers leadership to %llu", i + 1,
					  (unsigned long long)to);
			raft_driver_transfer(&nd->drv, to);
			s->stats.transfers++;
			after_action(s, i);
		}
	} else if (raft_role(&nd->drv.raft) == RAFT_LEADER && sim_chance(s, s->transfer_pm / 4)) {
		/* A leader gives up its term (worker/replica.c does this when
		 * its store is full): the others must elect a new one, and
		 * nothing committed may be lost. */
		if (s->verbose)
			sim_trace(s, "node %d steps down", i + 1);
		raft_step_down(&nd->drv.raft);
		s->stats.step_downs++;
		after_action(s, i);
	} else if (raft_role(&nd->drv.raft) != RAFT_LEADER && sim_chance(s, s->campaign_pm)) {
		if (s->verbose)
			sim_trace(s, "node %d is told to campaign now", i + 1);
		raft_driver_campaign(&nd->drv);
		s->stats.campaigns++;
		after_action(s, i);
	}
	/* A connection with a peer came up (worker/transport.c's on_link):
	 * a (pre-)candidate asks that peer again; the repeat must be as safe
	 * as the first request. */
	if (nd->up && sim_chance(s, 30)) {
		int j = (int)sim_below(s, (uint64_t)s->n);
		if (j != i) {
			if (s->verbose)
				sim_trace(s, "node %d: a connection with node %d came up", i + 1,
					  j + 1);
			raft_driver_peer_connected(&nd->drv, j + 1);
			s->stats.links++;
			after_action(s, i);
		}
	}
}

static void calm_hook(struct sim *s, void *arg)
{
	(void)arg;
	if (s->tick % 7 == 0)
		for (int i = 0; i < s->n; i++)
			schedule_compact(s, i);
}

/* Waits until a leader is settled; fails after `limit` ticks. */
int schedule_await_leader(struct sim *s, uint64_t limit, const char *rule, uint64_t *took)
{
	/* Settled means settled for a whole election timeout: a leader left
	 * over from the faults may still step down when check-quorum finds
	 * it did not hear from a majority in its last round. */
	int held = -1;
	uint64_t since = 0, term = 0;
	for (uint64_t k = 0; k < limit; k++) {
		int l = sim_leader(s);
		if (!sim_settled(s, l)) {
			held = -1;
		} else if (l != held || raft_term(&s->nodes[l].drv.raft) != term) {
			held = l;
			term = raft_term(&s->nodes[l].drv.raft);
			since = k;
		}
		if (held >= 0 && k - since >= (uint64_t)s->election_ticks) {
			if (took)
				*took = since;
			return held;
		}
		sim_run(s, 1, calm_hook, NULL);
	}
	sim_fail(s, rule, "no settled leader %llu ticks after faults stopped",
		 (unsigned long long)limit);
}

/* Proposes on the leader and waits until every live node applied it. */
void schedule_await_commit(struct sim *s, int leader, int count, uint64_t limit)
{
	uint64_t want = 0;
	uint64_t term = raft_term(&s->nodes[leader].drv.raft);
	for (int k = 0; k < count; k++) {
		uint64_t idx = 0;
		if (sim_propose(s, leader, &idx) != 0)
			sim_fail(s, "liveness", "settled leader node %d refused a proposal",
				 leader + 1);
		want = idx;
		sim_run(s, 1, calm_hook, NULL);
	}
	for (uint64_t k = 0; k < limit; k++) {
		bool all = true;
		for (int i = 0; i < s->n; i++)
			if (s->nodes[i].up)
				all &= s->nodes[i].sm_applied >= want;
		if (all)
			break;
		if (k + 1 == limit) {
			if (s->verbose)
				sim_dump(s);
			sim_fail(s, "liveness",
				 "index %llu not applied everywhere %llu ticks after proposal",
				 (unsigned long long)want, (unsigned long long)limit);
		}
		sim_run(s, 1, calm_hook, NULL);
	}
	if (sim_leader(s) != leader || raft_term(&s->nodes[leader].drv.raft) != term)
		sim_fail(s, "stability", "leadership changed while the network was healthy");
}

static void stats_add(struct sim_stats *acc, struct sim *s)
{
	if (!acc)
		return;
	acc->msgs += s->stats.msgs;
	acc->dropped += s->stats.dropped;
	acc->dups += s->stats.dups;
	acc->steps += s->stats.steps;
	acc->snapshots_sent += s->stats.snapshots_sent;
	acc->snapshots_installed += s->stats.snapshots_installed;
	acc->crashes += s->stats.crashes;
	acc->proposals += s->stats.proposals;
	acc->elections += sim_elections(s);
	acc->transfers += s->stats.transfers;
	acc->step_downs += s->stats.step_downs;
	acc->campaigns += s->stats.campaigns;
	acc->links += s->stats.links;
	acc->compactions += s->stats.compactions;
	acc->quiet_runs += s->quiesce;
	acc->liveness_reports += s->stats.liveness_reports;
	acc->quiesces += s->stats.quiesces;
	for (int i = 0; i < s->n; i++) {
		if (!s->nodes[i].up)
			continue;
		struct raft_counters c;
		raft_get_counters(&s->nodes[i].drv.raft, &c);
		acc->quiesces += c.quiesces;
	}
	if (s->stats.max_term > acc->max_term)
		acc->max_term = s->stats.max_term;
}

int schedule_run(uint64_t seed, int nodes, int learners, uint64_t fault_ticks, bool verbose,
		 bool partition, struct sim_stats *acc, uint64_t *settle_ticks, char *why,
		 size_t why_len)
{
	static struct sim s; /* big: keep it off the stack */
	sim_init(&s, seed, nodes, verbose);
	sim_set_learners(&s, learners);
	s.partition = partition;
	if (partition && pnode_dir_init(&s) != 0) {
		snprintf(why, why_len, "cannot create a temporary directory");
		sim_free(&s);
		return -1;
	}
	if (setjmp(s.jmp)) {
		snprintf(why, why_len, "%s", s.fail);
		sim_free(&s);
		return -1;
	}
	/* Every other seed runs quiet groups, with the node-liveness oracle
	 * (liveness.c) standing in for the supervisors. */
	s.quiesce = seed % 2 == 0;
	/* Each seed draws its own fault mix. */
	s.faults = true;
	s.drop_pm = (int)sim_below(&s, 150);
	s.dup_pm = (int)sim_below(&s, 80);
	s.long_delay_pm = (int)sim_below(&s, 20);
	s.max_delay = SIM_TICK / 2 + (int)sim_below(&s, 3 * SIM_TICK);
	s.crash_pm = (int)sim_below(&s, 25);
	s.crash_in_ready_pm = (int)sim_below(&s, 5);
	s.part_pm = (int)sim_below(&s, 40);
	s.lazy_pm = (int)sim_below(&s, 300);
	s.propose_pm = 300 + (int)sim_below(&s, 500);
	s.transfer_pm = (int)sim_below(&s, 15);
	s.campaign_pm = (int)sim_below(&s, 10);
	s.compact_pm = (int)sim_below(&s, 100);
	for (int i = 0; i < nodes; i++)
		sim_start_node(&s, i);
	sim_run(&s, fault_ticks, fault_hook, NULL);

	/* Faults stop: heal, restart everyone, calm the network. Messages
	 * still in flight go too: a long-delayed TIMEOUT_NOW from an old
	 * transfer would legitimately start an election later on. */
	sim_calm_network(&s);
	sim_heal(&s);
	net_free(&s);
	for (int i = 0; i < nodes; i++)
		if (!s.nodes[i].up)
			sim_start_node(&s, i);
	if (verbose)
		sim_trace(&s, "faults stop");
	int l = schedule_await_leader(&s, LIVENESS_ELECT_TICKS, "liveness", settle_ticks);
	/* Followers may first have a backlog to catch up on, at worst one
	 * entry per round trip with the tightest flow-control settings. */
	uint64_t backlog = 0, last = raft_last_index(&s.nodes[l].drv.raft);
	for (int i = 0; i < nodes; i++)
		if (last - s.nodes[i].sm_applied > backlog)
			backlog = last - s.nodes[i].sm_applied;
	schedule_await_commit(&s, l, LIVENESS_PROPOSALS, LIVENESS_COMMIT_TICKS + backlog);
	check_logs(&s);
	check_learners_complete(&s);
	stats_add(acc, &s);
	sim_free(&s);
	return 0;
}
