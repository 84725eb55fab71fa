/* failover.h - fast failover: campaigning when a peer says its leader
 * worker died.
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
 * campaign that never happened. */
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

/* The pure rule: the first of replicas[0..n) that is not dead_node and
 * whose eligible[i] is true, or -1. */
int32_t failover_pick(const int32_t *replicas, const bool *eligible, int n, int32_t dead_node);

#endif
