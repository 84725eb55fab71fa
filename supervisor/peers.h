/* peers.h - the supervisor-to-supervisor channels.
 *
 * For every other node of [cluster] this keeps one outbound connection:
 * a dialer (common/dialer.h) connects to its raft_listen, sends a hello
 * for group "" (hello.h) and waits for the ack; then LEADERS (on change,
 * coalesced per loop iteration, and every second) and WORKER_DIED (at
 * once) go out on it. Lost or refused connections are retried with
 * jittered backoff, 100 ms doubling to 2 s. Inbound channels (accepted by
 * raft_accept.c, which answers the hello) are only read: LEADERS tables go
 * to s->leaders, WORKER_DIED to failover.c. When an inbound channel
 * closes, that peer's table is forgotten at once.
 *
 * Liveness: an inbound channel that brings nothing for 3.5 s (a peer sends
 * LEADERS every second) means the peer is stalled or the network cut; it
 * is closed after a GOODBYE frame (peer_proto.h) and the peer redials it.
 * Our outbound channel is the peer's to judge the same way, and its
 * kernel's (TCP_USER_TIMEOUT).
 *
 * When an established channel in either direction ends by EOF or a
 * connection reset and that is evidence that the peer's process is gone
 * (no GOODBYE came first, the channel in the other direction is not still
 * established, and, inbound, the channel had carried a message: one that
 * ends before its first was given up by its dialer while we were slow),
 * failover_on_node_lost runs first; a channel coming up again calls
 * failover_on_node_back.
 *
 * peers_new registers peers_local_changed and peers_worker_died as the
 * struct sup's observer (sup.h), which is how workers.c reaches them
 * without calling this module.
 *
 * Every function accepts a NULL struct peers (a node without peers) and
 * then does nothing. */
#ifndef FJORD_SUP_PEERS_H
#define FJORD_SUP_PEERS_H

#include <stdbool.h>
#include <stdint.h>

struct sup;
struct peers;
struct buf;

/* Starts dialing every other node of s->cfg's [cluster]. s is borrowed and
 * must outlive the result; s->leaders must be set. Returns NULL when out
 * of memory. */
struct peers *peers_new(struct sup *s);
void peers_free(struct peers *p);

/* Takes fd, an accepted connection whose hello from `node` was accepted
 * and acknowledged, as node's inbound channel (replacing an older one). */
void peers_accept(struct peers *p, int fd, int32_t node);

/* A local worker's role, term, leader or caught-up state changed: send
 * LEADERS to every peer at the end of this loop iteration. */
void peers_local_changed(struct peers *p);

/* The local worker of (topic, partition) died while leading term: tell
 * every peer now. */
void peers_worker_died(struct peers *p, const char *topic, int32_t partition, uint64_t term);

/* ElectLeaders: asks node `to` (its supervisor) to have its leader of
 * (topic, partition) hand leadership to node `target` (PEER_ELECT).
 * Returns 0, or ERR_NOTFOUND when no channel to `to` is up. */
int peers_send_elect(struct peers *p, int32_t to, const char *topic, int32_t partition,
		     int32_t target);

/* Closes node's inbound channel on purpose (it went silent, say) and
 * forgets node's table. With goodbye, GOODBYE (peer_proto.h) goes first, so
 * node does not take the EOF for this process's crash; without, the close
 * looks like an older peer's (tests use it to check that one closed
 * channel, while the other stays established, is not taken for a crash). */
void peers_close_in(struct peers *p, int32_t node, const char *why, bool goodbye);

/* True when the outbound channel to node is up (hello acknowledged). */
bool peers_out_ready(const struct peers *p, int32_t node);
/* True when node's inbound channel is open. */
bool peers_in_open(const struct peers *p, int32_t node);

/* Sends one frame (payload b, borrowed) on our channel to node. Returns
 * 0, or ERR_NOTLEADER when that channel is not up (or p is NULL). */
int peers_send_to(struct peers *p, int32_t node, const struct buf *b);

#endif
