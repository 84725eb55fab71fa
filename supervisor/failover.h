/* failover.h - fast failover: campaigning when a peer says its leader
 * worker died, or when a whole peer node crashed.
 *
 * A forced campaign skips pre-vote, so it is used only on evidence that
 * the leader's process is gone: a peer's WORKER_DIED{topic, partition,
 * term} (sent by the node that ran the worker), or the crash of the whole
 * node (below). The replicas caught up in that term may then campaign at
 * once (IPC_CAMPAIGN); to avoid split votes only one does: the first
 * replica in placement order, other than the dead one's node, that is not
 * known to be ineligible. Each replica is known eligible (its own worker's
 * status, or the peer's LEADERS table younger than FAILOVER_FRESH_MS says
 * it follows, caught up, in the dead leader's term), known ineligible (such
 * a table says otherwise), or unknown (no table that fresh: after a network
 * heal, tables may be old). When the first in line is this node, it
 * campaigns. When it is another node known eligible, this one waits
 * FAILOVER_BACKUP_MS and campaigns only if no leader of a higher term has
 * appeared by then, in case the first one could not. When it is a node
 * whose state is unknown, this node is unsure and does nothing: the normal
 * election timeout with pre-vote follows. So two nodes with stale views of
 * each other do not both count themselves first. Raft keeps any remaining
 * disagreement safe (one vote per term).
 *
 * A node that crashes whole (supervisor and workers killed) sends no
 * WORKER_DIED, but the kernel closes its sockets at once: its supervisor
 * channels end with EOF or a reset. peers.c reports that here only when
 * the peer did not say GOODBYE first and its other channel is not still
 * established (see crash_evidence in peers.c), and every
 * group whose leader this node last knew to be on that node (the
 * highest-term claim, router.c) is handled as if WORKER_DIED{group, term}
 * had come from it. A channel that goes silent but stays open (a network
 * failure) is not reported, and those groups wait for the election
 * timeout; nor is a node that announced draining (SIGTERM: it handed its
 * leaderships away and closing its channels is expected). */
#ifndef FJORD_SUP_FAILOVER_H
#define FJORD_SUP_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "supervisor/peer_proto.h"

#define FAILOVER_BACKUP_MS 500
/* LEADERS tables come every second: one younger than this is recent
 * enough to rank a replica as first in line. */
#define FAILOVER_FRESH_MS 2000

/* What this node knows about one replica's eligibility to campaign. */
enum failover_known { FAILOVER_NO, FAILOVER_YES, FAILOVER_UNKNOWN };

struct sup;
struct failover;

/* Returns the failover state for s (borrowed), or NULL when out of memory. */
struct failover *failover_new(struct sup *s);
/* Cancels pending backups and frees. NULL is fine. */
void failover_free(struct failover *f);

/* Acts on a peer's WORKER_DIED as described above. NULL f: ignored. */
void failover_on_worker_died(struct failover *f, const struct peer_worker_died *d);

/* A peer says its worker leading d's group has sent it nothing for a
 * while (PEER_LEADER_SILENT): not evidence of a crash, so the local
 * follower of that group is only asked to probe its leader
 * (IPC_PROBE_LEADER); it campaigns, with pre-vote, if the leader does not
 * answer (worker/quiet.c). A quiet group has no election timer to notice
 * a stalled leader itself. */
void failover_on_leader_silent(struct failover *f, const struct peer_worker_died *d);

/* node's supervisor channel (either direction) ended by EOF or a
 * connection reset: acts as above for every local replica's group that
 * node led, once, until failover_on_node_back(node); later calls are
 * ignored. Call it before forgetting node's LEADERS table. Logs one info
 * line per group it acts on and returns how many those were. NULL f:
 * returns 0. */
int failover_on_node_lost(struct failover *f, int32_t node);
/* node's channel is up again: its next loss counts. NULL f: ignored. */
void failover_on_node_back(struct failover *f, int32_t node);

/* The pure rule: the first of replicas[0..n) that is not dead_node and
 * whose known[i] is not FAILOVER_NO, or -1; *sure tells whether that one
 * is known eligible (FAILOVER_YES) rather than unknown. */
int32_t failover_pick(const int32_t *replicas, const enum failover_known *known, int n,
		      int32_t dead_node, bool *sure);

#endif
