/* transport.h - a worker's Raft connections to the replicas of its group on
 * other nodes (the design contract's transport).
 *
 * One TCP connection per direction per pair of replicas. Outbound: for every
 * peer the worker dials that node's raft_listen, sends a hello frame
 * {cluster, own node, "topic/partition"} and waits for one reply frame; an
 * ack makes the connection ready and from then on it only carries our Raft
 * messages to that peer. A reject, an error or a handshake that takes over
 * HANDSHAKE_MS closes it, and it is dialled again after a backoff (100 ms
 * doubling to 2 s, reset by an ack). Inbound: the local supervisor accepts
 * the peers' connections, reads their hello and hands each socket over on
 * --conn-fd (fdpass.h); we answer hello-ack on it and from then on only
 * read the peer's Raft messages from it. A newer inbound connection from a
 * node replaces the older one (that node redialled).
 *
 * Messages are frames (frame.h) of raft_codec messages. Sending never
 * blocks: a message to a peer that is not connected, or whose connection
 * already has TRANSPORT_OUT_MAX bytes queued, is dropped, which Raft
 * tolerates (it retries what matters). Received messages go to a callback
 * with their entries borrowed from the frame for the call only. */
#ifndef FJORD_WORKER_TRANSPORT_H
#define FJORD_WORKER_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/hello.h"
#include "worker/args.h"
#include "worker/raft/raft.h"

struct event;
struct event_base;
struct transport_peer;
struct transport_in;

#define TRANSPORT_FRAME_MAX (256u * 1024 * 1024)
#define TRANSPORT_OUT_MAX (64u * 1024 * 1024)
#define TRANSPORT_BACKOFF_MIN_MS 100
#define TRANSPORT_BACKOFF_MAX_MS 2000
#define TRANSPORT_HANDSHAKE_MS 5000

struct transport_config {
	const char *cluster;		 /* borrowed for init: copied */
	int32_t self;			 /* our node id */
	const char *group;		 /* "topic/partition", copied */
	const struct worker_peer *peers; /* every other replica; copied */
	int n_peers;
	int conn_fd; /* hand-over socket, owned from now on; -1 = none */
};

/* m and its entries are borrowed for the call. from_node is the node the
 * supervisor authenticated by its hello; m->from is checked against it. */
typedef void (*transport_recv_cb)(void *ctx, int32_t from_node, const struct raft_message *m);

struct transport_stats {
	uint64_t sent, dropped, received, malformed, connects;
};

struct transport {
	struct event_base *base;
	char cluster[HELLO_CLUSTER_MAX];
	char group[HELLO_GROUP_MAX];
	int32_t self;
	struct transport_peer *peers;
	int n_peers;
	struct transport_in *in; /* accepted connections */
	int conn_fd;
	struct event *conn_ev;
	struct buf enc;	    /* encoding scratch */
	struct buf frame;   /* the frame being decoded */
	struct arena arena; /* decoded entry arrays */
	transport_recv_cb recv;
	void *ctx;
	struct transport_stats stats;
};

/* Starts dialling every peer at once and accepting on conn_fd. Returns 0 or
 * ERR_NOMEM. */
int transport_init(struct transport *t, struct event_base *base, const struct transport_config *c,
		   transport_recv_cb recv, void *ctx);

/* Closes every connection and conn_fd. */
void transport_close(struct transport *t);

/* Queues m (borrowed; copied) to peer m->to. Returns 0, ERR_UNAVAILABLE
 * (no ready connection to it: dropped), ERR_AGAIN (its queue is full:
 * dropped), ERR_INVALID (unknown peer, unencodable) or ERR_NOMEM. */
int transport_send(struct transport *t, const struct raft_message *m);

/* True when our connection to node has been acknowledged and is open. */
bool transport_connected(const struct transport *t, int32_t node);

/* How many peers we have a ready connection to. */
int transport_n_connected(const struct transport *t);

/* How many connections node has opened to us so far: a change means the
 * peer's worker redialled (it restarted, or its connection broke). */
uint64_t transport_in_generation(const struct transport *t, int32_t node);

/* Monotonic time (ms, transport_now_ms) of the last message received from
 * node, or -1 if none yet. */
int64_t transport_last_heard_ms(const struct transport *t, int32_t node);

/* The monotonic clock the transport uses. */
int64_t transport_now_ms(void);

#endif
