/* scenarios.c - targeted runs on a healthy network, each checking one
 * liveness or stability promise on top of the safety checks:
 *   stability      no election after the first leader in 100,000 ticks;
 *   isolation      a follower cut off and rejoined neither raises the
 *                  leader's term nor deposes it (pre-vote, check-quorum);
 *   deaf follower  a follower that hears nobody but is heard (asymmetric
 *                  partition) cannot disrupt the leader either;
 *   failover       after the leader crashes, raft_campaign on the most
 *                  up-to-date follower elects it well within an election
 *                  timeout;
 *   transfer       a lagging target is caught up, then takes over at term+1;
 *   log start      a follower behind the leader's compacted log start is
 *                  brought back with the log start and catches up;
 *   figure 8       the paper's Figure 8, step by step: an older term's
 *                  entry on a majority is not committed by counting;
 *   learner cut off a learner isolated while the leader writes and
 *                  compacts disturbs nobody, and rejoins through the
 *                  log start;
 *   voters lost    learners that still answer neither keep a leader that
 *                  lost its voters (check-quorum) nor elect one;
 *   quiet ...      quiescence and node liveness (quiet.c). */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "scenarios.h"
#include "schedule.h"
#include "sim.h"

#define STABILITY_TICKS 100000

struct watch {
	int leader;
	uint64_t term;
	uint64_t elections;
	int every;    /* propose every this many ticks (0 = never) */
	int isolated; /* a node excluded from the "same term" rule, or -1 */
};

/* Hook: leadership and terms must not move; proposals flow; logs compact. */
static void watch_hook(struct sim *s, void *arg)
{
	struct watch *w = arg;
	struct sim_node *l = &s->nodes[w->leader];
	if (raft_role(&l->drv.raft) != RAFT_LEADER || raft_term(&l->drv.raft) != w->term)
		sim_fail(s, "stability",
			 "leader node %d lost leadership or changed term (%s, term %llu)",
			 w->leader + 1, raft_role_name(raft_role(&l->drv.raft)),
			 (unsigned long long)raft_term(&l->drv.raft));
	for (int i = 0; i < s->n; i++)
		if (s->nodes[i].up && raft_term(&s->nodes[i].drv.raft) != w->term)
			sim_fail(s, "stability", "node %d moved to term %llu (leader's term %llu)",
				 i + 1, (unsigned long long)raft_term(&s->nodes[i].drv.raft),
				 (unsigned long long)w->term);
	if (sim_elections(s) != w->elections)
		sim_fail(s, "stability", "an election happened while the leader was healthy");
	if (w->every && s->tick % (uint64_t)w->every == 0)
		sim_propose(s, w->leader, NULL);
	if (s->tick % 13 == 0)
		for (int i = 0; i < s->n; i++)
			schedule_compact(s, i);
}

/* s is initialised by scenario_run (before its setjmp). */
static int setup(struct sim *s, int nodes)
{
	(void)nodes;
	sim_calm_network(s);
	for (int i = 0; i < nodes; i++)
		sim_start_node(s, i);
	return schedule_await_leader(s, 200, "first election", NULL);
}

/* Ticks until a settled leader exists (at most limit), or fails. */
static int await_new_leader(struct sim *s, uint64_t limit, const char *rule, uint64_t *took)
{
	for (uint64_t k = 0; k <= limit; k++) {
		int l = sim_leader(s);
		if (sim_settled(s, l)) {
			*took = k;
			return l;
		}
		sim_run(s, 1, NULL, NULL);
	}
	sim_fail(s, rule, "no settled leader within %llu ticks", (unsigned long long)limit);
}

static void watch_init(struct sim *s, struct watch *w, int leader, int every)
{
	w->leader = leader;
	w->term = raft_term(&s->nodes[leader].drv.raft);
	w->elections = sim_elections(s);
	w->every = every;
	w->isolated = -1;
}

static void stability(struct sim *s, int nodes, char *info, size_t len)
{
	int l = setup(s, nodes);
	struct watch w;
	watch_init(s, &w, l, 10);
	sim_run(s, STABILITY_TICKS, watch_hook, &w);
	schedule_await_commit(s, l, 3, 50);
	snprintf(info, len,
		 "%d ticks, 0 elections after the first leader, term stayed %llu, %llu entries",
		 STABILITY_TICKS, (unsigned long long)w.term, (unsigned long long)s->gmax);
}

/* A follower cut off (both ways, or only inbound when deaf) and rejoined. */
static void isolation(struct sim *s, int nodes, bool deaf, char *info, size_t len)
{
	int l = setup(s, nodes);
	int x = (l + 1) % nodes;
	struct watch w;
	watch_init(s, &w, l, 5);
	uint64_t x_term = raft_term(&s->nodes[x].drv.raft);
	struct raft_counters before;
	raft_get_counters(&s->nodes[x].drv.raft, &before);
	net_isolate(s, x, true, !deaf);
	/* Only node x may be confused; the others and the leader must not be. */
	for (uint64_t k = 0; k < 30 * (uint64_t)s->election_ticks; k++) {
		sim_run(s, 1, NULL, NULL);
		struct sim_node *ld = &s->nodes[l];
		if (raft_role(&ld->drv.raft) != RAFT_LEADER || raft_term(&ld->drv.raft) != w.term)
			sim_fail(s, "stability", "an isolated follower deposed the leader");
		if (raft_term(&s->nodes[x].drv.raft) != x_term)
			sim_fail(s, "stability", "isolated node %d raised its term to %llu", x + 1,
				 (unsigned long long)raft_term(&s->nodes[x].drv.raft));
		if (k % 5 == 0)
			sim_propose(s, l, NULL);
	}
	struct raft_counters after;
	raft_get_counters(&s->nodes[x].drv.raft, &after);
	if (after.elections != before.elections)
		sim_fail(s, "stability", "isolated node %d became a candidate", x + 1);
	sim_heal(s);
	w.elections = sim_elections(s);
	w.every = 0;
	sim_run(s, 30 * (uint64_t)s->election_ticks, watch_hook, &w);
	if (raft_leader(&s->nodes[x].drv.raft) != s->nodes[l].id)
		sim_fail(s, "stability", "rejoined node %d does not follow the leader", x + 1);
	schedule_await_commit(s, l, 3, 50);
	snprintf(info, len,
		 "node %d %s for %d ticks: leader and term %llu unchanged, it caught up to %llu",
		 x + 1, deaf ? "heard nobody" : "isolated", 30 * s->election_ticks,
		 (unsigned long long)w.term, (unsigned long long)s->nodes[x].sm_applied);
}

static void failover(struct sim *s, int nodes, char *info, size_t len)
{
	int l = setup(s, nodes);
	schedule_await_commit(s, l, 5, 50);
	uint64_t term = raft_term(&s->nodes[l].drv.raft);
	sim_crash(s, l);
	s->nodes[l].restart_at = UINT64_MAX;
	/* The supervisor would pick the follower with the most complete log. */
	int best = -1;
	uint64_t bt = 0, bi = 0;
	for (int i = 0; i < nodes; i++) {
		if (i == l)
			continue;
		struct raft *r = &s->nodes[i].drv.raft;
		uint64_t li = raft_last_index(r), lt = 0;
		raft_log_term(r, li, &lt);
		if (best < 0 || lt > bt || (lt == bt && li > bi)) {
			best = i;
			bt = lt;
			bi = li;
		}
	}
	if (raft_driver_campaign(&s->nodes[best].drv))
		sim_fail(s, "failover", "raft_campaign refused");
	check_step(s, best);
	sim_drive(s, best);
	uint64_t took = 0;
	int nl = await_new_leader(s, (uint64_t)s->election_ticks / 2, "failover", &took);
	if (nl != best)
		sim_fail(s, "failover", "node %d campaigned but node %d leads", best + 1, nl + 1);
	if (raft_term(&s->nodes[nl].drv.raft) != term + 1)
		sim_fail(s, "failover", "new term %llu, expected %llu",
			 (unsigned long long)raft_term(&s->nodes[nl].drv.raft),
			 (unsigned long long)term + 1);
	schedule_await_commit(s, nl, 3, 50);
	snprintf(info, len,
		 "leader node %d crashed, node %d led term %llu after %llu ticks (timeout %d)",
		 l + 1, nl + 1, (unsigned long long)term + 1, (unsigned long long)took,
		 s->election_ticks);
}

static void transfer(struct sim *s, int nodes, char *info, size_t len)
{
	int l = setup(s, nodes);
	int x = (l + 1) % nodes;
	uint64_t term = raft_term(&s->nodes[l].drv.raft);
	/* Make the target lag behind by 20 entries. */
	s->blocked[l][x] = true;
	for (int k = 0; k < 20; k++) {
		sim_propose(s, l, NULL);
		sim_run(s, 1, NULL, NULL);
	}
	s->blocked[l][x] = false;
	if (raft_driver_transfer(&s->nodes[l].drv, s->nodes[x].id))
		sim_fail(s, "transfer", "raft_transfer_leader refused");
	if (raft_driver_propose(&s->nodes[l].drv, "x", 1, NULL) != ERR_NOTLEADER)
		sim_fail(s, "transfer", "a leader handing over accepted a proposal");
	check_step(s, l);
	sim_drive(s, l);
	uint64_t took = 0;
	int nl = await_new_leader(s, (uint64_t)s->election_ticks, "transfer", &took);
	if (nl != x || raft_term(&s->nodes[nl].drv.raft) != term + 1)
		sim_fail(s, "transfer", "node %d leads term %llu; expected node %d in term %llu",
			 nl + 1, (unsigned long long)raft_term(&s->nodes[nl].drv.raft), x + 1,
			 (unsigned long long)term + 1);
	schedule_await_commit(s, nl, 3, 50);
	snprintf(info, len, "node %d (20 entries behind) took over term %llu after %llu ticks",
		 x + 1, (unsigned long long)term + 1, (unsigned long long)took);
}

static void log_start(struct sim *s, int nodes, char *info, size_t len)
{
	int l = setup(s, nodes);
	int x = (l + 1) % nodes;
	sim_crash(s, x);
	s->nodes[x].restart_at = UINT64_MAX;
	for (int k = 0; k < 60; k++) {
		sim_propose(s, l, NULL);
		sim_run(s, 1, NULL, NULL);
	}
	sim_run(s, 5, NULL, NULL);
	for (int i = 0; i < nodes; i++)
		schedule_compact(s, i);
	uint64_t start = s->nodes[l].store.start_index;
	if (start < 60)
		sim_fail(s, "log start", "leader compacted only up to %llu",
			 (unsigned long long)start);
	sim_start_node(s, x);
	schedule_await_commit(s, l, 3, 100);
	if (s->stats.snapshots_installed == 0)
		sim_fail(s, "log start", "node %d caught up without installing the log start",
			 x + 1);
	snprintf(info, len,
		 "node %d restarted behind log start %llu, installed it and caught up to %llu",
		 x + 1, (unsigned long long)start, (unsigned long long)s->nodes[x].sm_applied);
}

/* Figure 8 of the Raft paper, driven step by step: a leader of term 3
 * re-replicates an entry of term 1 to a majority but its own no-op
 * reaches nobody; a replica holding a conflicting entry of term 2 can then
 * still win and overwrite it. So counting replicas of an older term's
 * entry must not commit it (Raft §5.4.2). With that rule broken this
 * scenario fails on state machine safety / leader completeness. */
static bool fig8_filter(struct sim *s, int from, const struct raft_message *m)
{
	int stage = *(int *)s->filter_arg;
	bool from_leader = m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
			   m->type == RAFT_MSG_SNAPSHOT;
	/* node 5's term-2 no-op must stay local; and node 2, whose log is
	 * ahead of node 5's, never hears its forced vote request (it would
	 * refuse and campaign itself), as in the figure where S5 wins with
	 * S3 and S4 */
	if (stage == 1)
		return from == 4 && (from_leader || (m->type == RAFT_MSG_VOTE && m->to == 2));
	if (stage == 2 && from == 0 && m->type == RAFT_MSG_APPEND) {
		/* node 1 may bring others up to index 2, never send its no-op (3)
		 * to a node that could accept it */
		const struct sim_node *to = &s->nodes[m->to - 1];
		for (size_t k = 0; k < m->n_entries; k++)
			if (m->entries[k].index >= 3 && memstore_last(&to->store) >= 2)
				return true;
	}
	return false;
}

static void campaign_until_leader(struct sim *s, int i, int tries)
{
	for (int t = 0; t < tries; t++) {
		if (raft_role(&s->nodes[i].drv.raft) == RAFT_LEADER)
			return;
		raft_driver_campaign(&s->nodes[i].drv);
		check_step(s, i);
		sim_drive(s, i);
		sim_run(s, 1, NULL, NULL);
	}
	if (raft_role(&s->nodes[i].drv.raft) != RAFT_LEADER)
		sim_fail(s, "figure 8", "node %d could not be elected", i + 1);
}

static void figure8(struct sim *s, int nodes, char *info, size_t len)
{
	int stage = 0;
	s->max_msg_entries = 1;
	s->max_inflight_msgs = 1;
	s->filter = fig8_filter;
	s->filter_arg = &stage;
	sim_calm_network(s);
	for (int i = 0; i < nodes; i++)
		sim_start_node(s, i);
	/* (a) node 1 leads term 1; entry 2 reaches node 2 only; node 1 dies. */
	campaign_until_leader(s, 0, 3);
	sim_run(s, 3, NULL, NULL);
	for (int j = 2; j < nodes; j++)
		s->blocked[0][j] = s->blocked[j][0] = true;
	uint64_t idx = 0;
	sim_propose(s, 0, &idx);
	sim_run(s, 2, NULL, NULL);
	if (idx != 2 || memstore_last(&s->nodes[1].store) != 2)
		sim_fail(s, "figure 8", "setup: entry 2 did not reach node 2 only");
	sim_crash(s, 0);
	sim_heal(s);
	/* (b) node 5 leads term 2 with votes of 3 and 4; its no-op (index 2,
	 * term 2) stays local; node 5 dies. */
	stage = 1;
	campaign_until_leader(s, 4, 3);
	sim_crash(s, 4);
	/* (c) node 1 comes back and leads term 3; it copies entry 2 (term 1)
	 * to nodes 3 and 4, a majority with itself, but not its no-op. */
	stage = 2;
	sim_start_node(s, 0);
	campaign_until_leader(s, 0, 4);
	sim_run(s, 8, NULL, NULL);
	uint64_t commit_c = raft_commit(&s->nodes[0].drv.raft);
	sim_crash(s, 0);
	/* (d) node 5 comes back; with a last term of 2 it can win, and then
	 * replaces index 2 everywhere. Safe only if (c) committed nothing. */
	stage = 0;
	sim_start_node(s, 4);
	campaign_until_leader(s, 4, 4);
	sim_run(s, 5, NULL, NULL);
	/* (e) everyone back: the cluster must still make progress. */
	sim_start_node(s, 0);
	int l = schedule_await_leader(s, 200, "liveness", NULL);
	schedule_await_commit(s, l, 3, 50);
	snprintf(info, len,
		 "term-3 leader held entry 2 (term 1) on a majority with commit %llu; "
		 "node 5 then replaced it safely",
		 (unsigned long long)commit_c);
}

static void learner_cut_off(struct sim *s, int nodes, char *info, size_t len)
{
	int l = setup(s, nodes);
	int x = s->n - 1; /* the learner */
	struct watch w;
	watch_init(s, &w, l, 2);
	net_isolate(s, x, true, true);
	/* watch_hook: no election, nobody's term moves, proposals, compaction. */
	sim_run(s, 30 * (uint64_t)s->election_ticks, watch_hook, &w);
	uint64_t behind = s->nodes[x].sm_applied, start = s->nodes[l].store.start_index;
	uint64_t installed = s->stats.snapshots_installed;
	if (start <= behind)
		sim_fail(s, "learner cut off", "leader compacted only up to %llu, learner at %llu",
			 (unsigned long long)start, (unsigned long long)behind);
	sim_heal(s);
	w.every = 0;
	uint64_t want = raft_commit(&s->nodes[l].drv.raft), took = 0;
	for (; took < 100 && s->nodes[x].sm_applied < want; took++)
		sim_run(s, 1, watch_hook, &w);
	if (s->nodes[x].sm_applied < want)
		sim_fail(s, "learner completeness", "learner at %llu, commit %llu, 100 ticks on",
			 (unsigned long long)s->nodes[x].sm_applied, (unsigned long long)want);
	if (s->stats.snapshots_installed == installed)
		sim_fail(s, "learner cut off", "it caught up without the log start");
	schedule_await_commit(s, l, 3, 50);
	snprintf(info, len,
		 "learner node %d cut off %d ticks at %llu, leader and term %llu unchanged; "
		 "installed log start %llu and reached %llu in %llu ticks",
		 x + 1, 30 * s->election_ticks, (unsigned long long)behind,
		 (unsigned long long)w.term, (unsigned long long)start, (unsigned long long)want,
		 (unsigned long long)took);
}

static void voters_lost(struct sim *s, int nodes, char *info, size_t len)
{
	int l = setup(s, nodes);
	schedule_await_commit(s, l, 3, 50);
	int lost[2], k = 0;
	for (int i = 0; i < s->n_voters && k < 2; i++)
		if (i != l)
			lost[k++] = i;
	for (int j = 0; j < 2; j++) {
		sim_crash(s, lost[j]);
		s->nodes[lost[j]].restart_at = UINT64_MAX;
	}
	/* The learners keep answering; check-quorum must still step it down. */
	uint64_t down = 0;
	for (; down < 3 * (uint64_t)s->election_ticks; down++) {
		if (raft_role(&s->nodes[l].drv.raft) != RAFT_LEADER)
			break;
		sim_run(s, 1, NULL, NULL);
	}
	if (raft_role(&s->nodes[l].drv.raft) == RAFT_LEADER)
		sim_fail(s, "check-quorum", "node %d still leads with one voter of three", l + 1);
	uint64_t quiet = 30 * (uint64_t)s->election_ticks;
	for (uint64_t t = 0; t < quiet; t++) {
		sim_run(s, 1, NULL, NULL);
		if (sim_leader(s) >= 0)
			sim_fail(s, "voters lost", "node %d leads with one voter up",
				 sim_leader(s) + 1);
	}
	sim_start_node(s, lost[0]);
	uint64_t took = 0;
	int nl = schedule_await_leader(s, 200, "liveness", &took);
	schedule_await_commit(s, nl, 3, 100);
	check_learners_complete(s);
	snprintf(info, len,
		 "two voters down: leader stepped down after %llu ticks though %d learners "
		 "answered, no leader for %llu ticks; one voter back, node %d led after %llu",
		 (unsigned long long)down, s->n - s->n_voters, (unsigned long long)quiet, nl + 1,
		 (unsigned long long)took);
}

int scenario_count(void) { return 19; }

int scenario_run(int k, char *name, size_t name_len, char *info, size_t info_len, char *why,
		 size_t why_len)
{
	static struct sim s;
	static const struct {
		const char *name;
		int nodes, learners;
	} table[] = {
	    {"stability", 3, 0},       {"stability", 5, 0},	{"isolation", 3, 0},
	    {"isolation", 5, 0},       {"deaf follower", 3, 0}, {"failover", 3, 0},
	    {"failover", 5, 0},	       {"transfer", 3, 0},	{"transfer", 5, 0},
	    {"log start", 3, 0},       {"log start", 5, 0},	{"figure 8", 5, 0},
	    {"learner cut off", 4, 1}, {"voters lost", 5, 2},	{"quiet idle", 3, 0},
	    {"quiet idle", 5, 0},      {"quiet crash", 3, 0},	{"quiet crash", 5, 0},
	    {"quiet partition", 3, 0},
	};
	if (table[k].learners)
		snprintf(name, name_len, "%s (%d nodes, %d learner%s)", table[k].name,
			 table[k].nodes, table[k].learners, table[k].learners > 1 ? "s" : "");
	else
		snprintf(name, name_len, "%s (%d nodes)", table[k].name, table[k].nodes);
	info[0] = 0;
	sim_init(&s, 7000 + (uint64_t)k, table[k].nodes, false);
	sim_set_learners(&s, table[k].learners);
	s.max_inflight_msgs = 4; /* fixed, so timings are comparable */
	s.max_msg_bytes = 4096;
	s.max_msg_entries = 16;
	if (setjmp(s.jmp)) {
		snprintf(why, why_len, "%s", s.fail);
		sim_free(&s);
		return -1;
	}
	int n = table[k].nodes;
	switch (k) {
	case 0:
	case 1:
		stability(&s, n, info, info_len);
		break;
	case 2:
	case 3:
		isolation(&s, n, false, info, info_len);
		break;
	case 4:
		isolation(&s, n, true, info, info_len);
		break;
	case 5:
	case 6:
		failover(&s, n, info, info_len);
		break;
	case 7:
	case 8:
		transfer(&s, n, info, info_len);
		break;
	case 9:
	case 10:
		log_start(&s, n, info, info_len);
		break;
	case 11:
		figure8(&s, n, info, info_len);
		break;
	case 12:
		learner_cut_off(&s, n, info, info_len);
		break;
	case 13:
		voters_lost(&s, n, info, info_len);
		break;
	case 14:
	case 15:
		scenario_quiet_idle(&s, n, info, info_len);
		break;
	case 16:
	case 17:
		scenario_quiet_crash(&s, n, info, info_len);
		break;
	default:
		scenario_quiet_partition(&s, n, info, info_len);
		break;
	}
	sim_free(&s);
	return 0;
}
