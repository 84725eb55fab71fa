/* leaders.h - what the peer supervisors last said about their replicas.
 *
 * Each peer sends its whole LEADERS table (peer_proto.h) on change and
 * every second; this keeps the latest table per peer, indexed by
 * (topic, partition), and when it arrived. A table older than
 * LEADERS_STALE_MS counts as gone: that peer is treated as down until it
 * speaks again, so a node that vanished without closing its connection
 * stops being reported as a leader. Nothing here knows about local
 * workers; router.c combines both. */
#ifndef FJORD_SUP_LEADERS_H
#define FJORD_SUP_LEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/peer_proto.h"

#define LEADERS_STALE_MS 3500
/* Tables come every second; two further apart than this mean at least one
 * was lost or late: the sender was not heard from in every exchange. */
#define LEADERS_GAP_MS 1500

struct leaders;

/* Returns an empty table, or NULL when out of memory. */
struct leaders *leaders_new(void);
void leaders_free(struct leaders *l);

/* Replaces node's table with claims[0..n) received at now_ms, and whether
 * node said it is draining. Takes ownership of claims (freed here on error
 * too). Returns 0 or ERR_NOMEM. */
int leaders_replace(struct leaders *l, int32_t node, bool draining, struct peer_claim *claims,
		    int n, int64_t now_ms);

/* Forgets node's table (its channel closed). */
void leaders_forget(struct leaders *l, int32_t node);

/* True when node's table arrived within LEADERS_STALE_MS before now_ms. */
bool leaders_fresh(const struct leaders *l, int32_t node, int64_t now_ms);

/* True when node's table is fresh and says node is draining. */
bool leaders_draining(const struct leaders *l, int32_t node, int64_t now_ms);

/* node's claim for (topic, partition) (topic is len bytes, not
 * NUL-terminated) when its table is fresh, else NULL. The pointer is
 * borrowed until the next leaders_replace/leaders_forget for node. */
const struct peer_claim *leaders_get(const struct leaders *l, int32_t node, const char *topic,
				     size_t len, int32_t partition, int64_t now_ms);

/* How long ago node's table arrived, or -1 when there is none (never
 * received, or forgotten). */
int64_t leaders_age_ms(const struct leaders *l, int32_t node, int64_t now_ms);

/* Since when node's replica of (topic, partition) has been healthy: a
 * caught-up follower of the same leader in the same term in every table,
 * with no two tables more than LEADERS_GAP_MS apart, the latest one too
 * (as of now_ms). -1 when it is not healthy now. Balance waits for a
 * settle period of this (balance.h). */
int64_t leaders_healthy_since(const struct leaders *l, int32_t node, const char *topic, size_t len,
			      int32_t partition, int64_t now_ms);

#endif
