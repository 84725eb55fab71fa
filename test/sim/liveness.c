/* liveness.c - the simulation's stand-in for node-level liveness: what the
 * supervisors' channels and IPC_PEER_NODE tell the workers (see
 * supervisor/liveness.h and worker/quiet.h), so that quiet groups, which
 * send no heartbeats, still elect a new leader when theirs crashes or is
 * cut off. Node j is dead to node i once it has been down, or unable to
 * reach i, for SIM_LIVENESS_TICKS; i is told once per change and acts as
 * worker/quiet.c does: a follower of j forgets it, the first in line
 * (placement order = slot order, skipping dead nodes) campaigns with
 * pre-vote; a leader left without a majority of live voters wakes so
 * check-quorum can step it down. The oracle errs as a real one may: a
 * node cut off one way is "dead" to some and alive to others. */
#include "sim.h"

static bool reaches(const struct sim *s, int from, int to)
{
	return s->nodes[from].up && !s->blocked[from][to];
}

static void act(struct sim *s, int i, int j)
{
	struct sim_node *nd = &s->nodes[i];
	struct raft *r = &nd->drv.raft;
	s->stats.liveness_reports++;
	if (raft_role(r) == RAFT_LEADER) {
		int dead = 0;
		for (int k = 0; k < s->n; k++)
			dead += s->told_dead[i][k];
		if (s->n - dead < s->n / 2 + 1)
			raft_driver_wake(&nd->drv);
	} else if (raft_leader(r) == s->nodes[j].id) {
		int first = -1;
		for (int k = 0; k < s->n && first < 0; k++)
			if (!s->told_dead[i][k])
				first = k;
		if (s->verbose)
			sim_trace(s, "node %d: node %d, its leader, is dead to it%s", i + 1, j + 1,
				  first == i ? "; campaigning" : "");
		raft_driver_leader_unreachable(&nd->drv, first == i);
	} else {
		return;
	}
	check_step(s, i);
	if (!nd->lazy)
		sim_drive(s, i);
}

void liveness_tick(struct sim *s)
{
	for (int i = 0; i < s->n; i++) {
		for (int j = 0; j < s->n; j++) {
			if (i == j)
				continue;
			if (reaches(s, j, i)) {
				s->unheard_since[i][j] = 0;
				s->told_dead[i][j] = false; /* alive again: nothing to do */
				continue;
			}
			if (s->unheard_since[i][j] == 0)
				s->unheard_since[i][j] = s->tick + 1;
			if (!s->told_dead[i][j] &&
			    s->tick + 1 - s->unheard_since[i][j] >= SIM_LIVENESS_TICKS) {
				s->told_dead[i][j] = true;
				if (s->nodes[i].up)
					act(s, i, j);
			}
		}
	}
}
