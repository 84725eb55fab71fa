/* quiet.h - this replica's side of quiescence and node-level liveness.
 *
 * Policy only (the core decides when a settled group goes quiet):
 *
 * - Holding a leader awake: a leader that is not its group's preferred
 *   replica while the preferred one is connected keeps heartbeating, so
 *   that leadership.c sees it healthy and hands leadership back; any other
 *   leader may go quiet.
 * - Node liveness: while a group is quiet its followers run no election
 *   timer and rely on the supervisor instead, which tells every worker when
 *   a peer node stops answering its supervisor channel or its channel ends
 *   as a crash's does (IPC_PEER_NODE), and when it is back. A follower
 *   whose leader is on that node (and, if awake, has not heard it within
 *   four heartbeats) wakes and forgets that leader (so it
 *   grants another follower's pre-vote) and runs its election timer again.
 *   After a silence, the first voter in placement order other than that
 *   node campaigns at once (pre-vote first); after a crash, the
 *   supervisor's fast failover picks who campaigns (IPC_CAMPAIGN, forced),
 *   so nobody else campaigns at once and splits the vote. A leader wakes
 *   when the nodes it considers dead leave it without a majority, so
 *   check-quorum steps it down if it is the one cut off. A quiet group is
 *   never woken because it was quiet.
 * - Overload: see quiet_start (patience, off).
 *
 * Borrows the leadership state (driver, transport, voters). */
#ifndef FJORD_WORKER_QUIET_H
#define FJORD_WORKER_QUIET_H

#include <stdbool.h>
#include <stdint.h>

#include "worker/leadership.h"

struct event;

/* After a crash report, the first in line campaigns (pre-vote) if no
 * leader has appeared this long after it: the supervisors' fast failover
 * does nothing when its peers' tables are too old to rank the replicas
 * (right after a network heal), and a quiet follower has no election timer
 * running from a last heartbeat. Longer than FAILOVER_BACKUP_MS, so the
 * supervisors' own campaigns come first. */
#define QUIET_CRASH_BACKUP_MS 1000
/* After a silence report, a follower first probes its leader through its
 * own connection (raft_probe_leader) and campaigns only if the leader is
 * not heard within this: a supervisor that stalls while its workers run
 * silences its channel too, and must not cost its groups their leaders. */
#define QUIET_PROBE_MS 500

struct quiet {
	struct leadership *l;		      /* borrowed */
	struct event *backup;		      /* QUIET_CRASH_BACKUP_MS after a crash report, or
					       * QUIET_PROBE_MS after a silence report */
	int32_t backup_dead;		      /* the node it is for */
	bool backup_probe;		      /* it ends a probe (silence), not a crash backup */
	int64_t probe_ms;		      /* when the probe went out */
	int32_t dead[RAFT_DRIVER_MAX_VOTERS]; /* voters' nodes the supervisor says are dead */
	int n_dead;
	/* A leader that runs timers of its own on the Raft tick (a group
	 * coordinator: session and join timeouts, offset retention) never goes
	 * quiet; there are few of them (offsets_partitions per cluster). */
	bool leader_stays_awake;
	/* The running probe is for a leader its supervisor reported silent
	 * (quiet_probe_leader), not for a node reported unreachable. */
	bool probe_stalled;
};

void quiet_init(struct quiet *q, struct leadership *l);
/* Once the driver is up: a follower may give a leader whose node is alive
 * QUIET_PATIENCE_TIMEOUTS more election timeouts (raft_set_patience)
 * before it campaigns, so that heartbeats made late by an overloaded
 * machine do not depose it; the supervisor tells of a dead node sooner
 * (IPC_PEER_NODE), and of a dead worker at once (IPC_CAMPAIGN). Off (0):
 * a leader stuck on a full disk is alive too and sends nothing, and with
 * one timeout of patience its followers took over after 6.2 s, past the
 * two election timeouts test_faults.py allows. Quiet groups, which send
 * no heartbeats to be late, are what keeps an overloaded machine calm. */
#define QUIET_PATIENCE_TIMEOUTS 0
/* Also creates the backup timer on the driver's event base: returns 0 or
 * ERR_NOMEM. */
int quiet_start(struct quiet *q);
void quiet_close(struct quiet *q);

/* Once per Raft tick (the replica is awake then): holds a leader awake or
 * lets it go quiet, by the rule above. */
void quiet_on_tick(struct quiet *q);

/* IPC_PEER_NODE: the supervisor considers node dead (alive false; crashed
 * or silent) or back. */
void quiet_on_peer_node(struct quiet *q, int32_t node, bool alive, bool crashed);

/* IPC_PROBE_LEADER: the supervisor of our leader's node says that worker
 * has sent it nothing for longer than a quiet leader may. Probe the leader;
 * if it does not answer within QUIET_PROBE_MS, the first voter in line
 * other than the leader campaigns (with pre-vote) and the others run
 * their election timers again. An answered probe changes nothing. */
void quiet_probe_leader(struct quiet *q);

#endif
