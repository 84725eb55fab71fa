/* quiet.c - the quiescence scenarios, on a healthy network unless said:
 *   quiet idle       a settled group goes quiet within a few heartbeats and
 *                    then sends nothing and elects nobody for 20,000 ticks;
 *   quiet crash      the leader of a quiet group crashes: node liveness
 *                    (liveness.c) wakes the followers and one is elected;
 *   quiet partition  the leader of a quiet group is cut off: the others
 *                    elect a new leader, the old one wakes (its node sees
 *                    the others dead), steps down by check-quorum, and
 *                    follows once the network heals. */
#include <stdio.h>

#include "scenarios.h"
#include "schedule.h"
#include "sim.h"

#define QUIET_IDLE_TICKS 20000

static bool all_quiet(struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->nodes[i].up && !raft_quiesced(&s->nodes[i].drv.raft))
			return false;
	return true;
}

/* A settled leader with a few entries, then quiet; returns the leader and
 * sets *took to the ticks the group needed to go quiet. */
static int quiet_setup(struct sim *s, int nodes, uint64_t *took)
{
	s->quiesce = true;
	sim_calm_network(s);
	for (int i = 0; i < nodes; i++)
		sim_start_node(s, i);
	int l = schedule_await_leader(s, 200, "first election", NULL);
	schedule_await_commit(s, l, 5, 50);
	for (uint64_t k = 0; k < 10 * (uint64_t)s->heartbeat_ticks; k++) {
		if (all_quiet(s)) {
			*took = k;
			return l;
		}
		sim_run(s, 1, NULL, NULL);
	}
	sim_fail(s, "quiescence", "the group is not quiet %d ticks after its last entry",
		 10 * s->heartbeat_ticks);
}

void scenario_quiet_idle(struct sim *s, int nodes, char *info, size_t len)
{
	uint64_t took = 0;
	int l = quiet_setup(s, nodes, &took);
	uint64_t msgs = s->stats.msgs, elections = sim_elections(s);
	uint64_t term = raft_term(&s->nodes[l].drv.raft);
	sim_run(s, QUIET_IDLE_TICKS, NULL, NULL);
	if (s->stats.msgs != msgs)
		sim_fail(s, "quiescence", "%llu messages sent by a quiet group",
			 (unsigned long long)(s->stats.msgs - msgs));
	if (sim_elections(s) != elections || !all_quiet(s) ||
	    raft_term(&s->nodes[l].drv.raft) != term)
		sim_fail(s, "quiescence", "a quiet group woke or elected on its own");
	/* A proposal wakes it; it commits and goes quiet again. */
	schedule_await_commit(s, l, 3, 50);
	uint64_t again = 0;
	while (!all_quiet(s) && again < 10 * (uint64_t)s->heartbeat_ticks)
		sim_run(s, 1, NULL, NULL), again++;
	if (!all_quiet(s))
		sim_fail(s, "quiescence", "not quiet again after a write");
	snprintf(info, len,
		 "quiet %llu ticks after its last entry, then 0 messages and 0 elections in %d "
		 "ticks; a write woke it, quiet again after %llu ticks",
		 (unsigned long long)took, QUIET_IDLE_TICKS, (unsigned long long)again);
}

void scenario_quiet_crash(struct sim *s, int nodes, char *info, size_t len)
{
	uint64_t took = 0;
	int l = quiet_setup(s, nodes, &took);
	sim_run(s, 5 * (uint64_t)s->election_ticks, NULL, NULL);
	uint64_t term = raft_term(&s->nodes[l].drv.raft);
	sim_crash(s, l);
	s->nodes[l].restart_at = UINT64_MAX;
	uint64_t k = 0, limit = SIM_LIVENESS_TICKS + 2 * (uint64_t)s->election_ticks;
	int nl = -1;
	for (; k <= limit; k++) {
		nl = sim_leader(s);
		if (nl >= 0 && nl != l && sim_settled(s, nl))
			break;
		sim_run(s, 1, NULL, NULL);
	}
	if (k > limit)
		sim_fail(s, "quiet crash",
			 "no new leader %llu ticks after the quiet leader crashed",
			 (unsigned long long)limit);
	schedule_await_commit(s, nl, 3, 50);
	snprintf(info, len,
		 "quiet leader node %d crashed; node %d led term %llu after %llu ticks (liveness "
		 "%d, election timeout %d)",
		 l + 1, nl + 1, (unsigned long long)raft_term(&s->nodes[nl].drv.raft),
		 (unsigned long long)k, SIM_LIVENESS_TICKS, s->election_ticks);
	(void)term;
}

void scenario_quiet_partition(struct sim *s, int nodes, char *info, size_t len)
{
	uint64_t took = 0;
	int l = quiet_setup(s, nodes, &took);
	sim_run(s, 5 * (uint64_t)s->election_ticks, NULL, NULL);
	net_isolate(s, l, true, true);
	uint64_t k = 0, limit = SIM_LIVENESS_TICKS + 3 * (uint64_t)s->election_ticks;
	int nl = -1;
	bool old_down = false;
	uint64_t stepped = 0;
	for (; k <= limit; k++) {
		if (!old_down && raft_role(&s->nodes[l].drv.raft) != RAFT_LEADER) {
			old_down = true;
			stepped = k;
		}
		int c = -1;
		uint64_t best = 0;
		for (int i = 0; i < nodes; i++) {
			struct raft *r = &s->nodes[i].drv.raft;
			if (i != l && raft_role(r) == RAFT_LEADER && raft_term(r) > best) {
				c = i;
				best = raft_term(r);
			}
		}
		if (c >= 0)
			nl = c;
		if (nl >= 0 && old_down)
			break;
		sim_run(s, 1, NULL, NULL);
	}
	if (nl < 0)
		sim_fail(s, "quiet partition", "the majority elected nobody in %llu ticks",
			 (unsigned long long)limit);
	if (!old_down)
		sim_fail(s, "quiet partition", "the cut-off leader still leads after %llu ticks",
			 (unsigned long long)limit);
	sim_heal(s);
	uint64_t took2 = 0;
	int fl = schedule_await_leader(s, 200, "quiet partition", &took2);
	schedule_await_commit(s, fl, 3, 50);
	if (raft_leader(&s->nodes[l].drv.raft) != s->nodes[fl].id)
		sim_fail(s, "quiet partition", "the old leader does not follow after the heal");
	snprintf(info, len,
		 "quiet leader node %d cut off: node %d elected, the old leader stepped down after "
		 "%llu ticks, and follows after the heal",
		 l + 1, nl + 1, (unsigned long long)stepped);
}
