/* raft_accept.h - the raft_listen port: read each new connection's hello
 * and hand the connection to whoever it is for.
 *
 * Exactly one frame (at most HELLO_FRAME_MAX bytes) is read, byte-exact so
 * nothing the peer sends after it is consumed, within
 * RAFT_ACCEPT_HELLO_TIMEOUT_MS. It must name this cluster, come from a node
 * of [cluster] other than this one, and be for a group hosted here or for
 * the supervisor channel (group ""). A worker's connection is passed to
 * that worker's hand-off socket with SCM_RIGHTS (fdpass.h) and closed here;
 * the worker answers the hello-ack. The supervisor channel is acknowledged
 * here and given to peers.c. Anything else is answered with a hello-reject
 * naming the reason, logged, and closed. */
#ifndef FJORD_SUP_RAFT_ACCEPT_H
#define FJORD_SUP_RAFT_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#define RAFT_ACCEPT_HELLO_TIMEOUT_MS 5000
#define RAFT_ACCEPT_MAX_PENDING 1024 /* hellos awaited at once; more are closed */

struct sup;
struct raft_accept;
struct hello;

/* Binds s->cfg->node.raft_listen and starts accepting. Returns NULL after
 * logging why (address in use, out of memory). */
struct raft_accept *raft_accept_start(struct sup *s);

/* Stops listening and closes connections still waiting for their hello. */
void raft_accept_free(struct raft_accept *a);

/* The decision for one hello, without side effects (for tests): returns
 * NULL when it is acceptable, else the reason to send in the reject. */
const char *raft_accept_check(struct sup *s, const struct hello *h);

#endif
