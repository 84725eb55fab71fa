/* failover.h - fast failover: campaigning when a peer says its leader
 * worker died, or when a whole peer node crashed.
 *
 * A peer's WORKER_DIED{topic, partition, term} means that group has no
 * leader now, and waiting out the election timeout would cost seconds. The
 * replicas that are caught up may campaign at once (IPC_CAMPAIGN); to avoid
 * split votes only one does: the first replica in placement order, other
 * than the dead one's node, that is alive and caught up as far as this node
 * knows (its own worker's status, or the peer's LEADERS table). The others
 * wait FAILOVER_BACKUP_MS and campaign only if no leader of a higher term
 * than the dead one's has appeared by then, in case the first one could not.
 * Every node decides alone from what it knows, so two nodes may disagree;
 * Raft keeps that safe (one vote per term) and the backup covers a
 * campaign that never happened.
 *
 * A node that crashes whole (supervisor and workers killed) sends no
 * WORKER_DIED, but the kernel closes its sockets at once: its supervisor
 * channels end with EOF or a reset. peers.c reports that here, and every
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

struct sup;
struct failover;

/* Returns the failover state for s (borrowed), or NULL when out of memory. */
struct failover *failover_new(struct sup *s);
/* Cancels pending backups and frees. NULL is fine. */
void failover_free(struct failover *f);

/* Acts on a peer's WORKER_DIED as described above. NULL f: ignored. */
void failover_on_worker_died(struct failover *f, const struct peer_worker_died *d);

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
 * whose eligible[i] is true, or -1. */
int32_t failover_pick(const int32_t *replicas, const bool *eligible, int n, int32_t dead_node);

#endif
