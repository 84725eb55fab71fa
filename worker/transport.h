/* transport.h - a worker's Raft connections to the replicas of its group on
 * other nodes (the design contract's transport).
 *
 * One TCP connection per direction per pair of replicas. Outbound: for every
 * peer a dialer (common/dialer.h) connects to that node's raft_listen,
 * sends a hello frame {cluster, own node, "topic/partition"} and waits for
 * the ack; from then on the connection only carries our Raft messages to
 * that peer. A reject, an error or a handshake that takes over handshake_ms
 * closes it, and it is dialled again after a jittered backoff (100 ms
 * doubling to 2 s, reset by an ack). Inbound: the local supervisor accepts
 * the peers' connections, reads their hello and hands each socket over on
 * --conn-fd (fdpass.h); we answer hello-ack on it and from then on only
 * read the peer's Raft messages from it. A newer inbound connection from a
 * node replaces the older one (that node redialled).
 *
 * Liveness: a peer always answers an APPEND, HEARTBEAT or SNAPSHOT (Raft
 * answers even a stale leader, so it learns the newer term), and a leader
 * sends one of those to every follower every heartbeat interval. So when
 * we sent a peer such a request and then heard nothing at all from it for
 * silence_ms, one of the two connections is dead even if TCP has not
 * noticed (a network cut leaves both ends open, retransmitting with a
 * backoff that reaches tens of seconds): we close our connection to it and
 * its connection to us (it sees that and redials), and redial. Vote
 * requests do not count: a follower that hears its leader ignores them
 * (leader stickiness), and followers legitimately send each other nothing.
 * The kernel options of common/peer_socket.h cover what this cannot see.
 *
 * Links: a connection from a node proves that the network between us
 * works again (after a cut, say) while our own dial to it may be waiting
 * out a backoff delay or a SYN lost in the cut: the dialer is hurried
 * (dialer_hurry). Each connection that comes up, in either direction, is
 * reported to on_link: a candidate asks that node again for the vote its
 * first request, sent while there was no connection, never got.
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

struct dialer;
struct event;
struct event_base;
struct evdns_base;
struct transport_peer;
struct transport_in;

#define TRANSPORT_FRAME_MAX (256u * 1024 * 1024)
#define TRANSPORT_OUT_MAX (64u * 1024 * 1024)
#define TRANSPORT_HANDSHAKE_MS 5000

struct transport_config {
	const char *cluster;		 /* borrowed for init: copied */
	int32_t self;			 /* our node id */
	const char *group;		 /* "topic/partition", copied */
	const struct worker_peer *peers; /* every other replica; copied */
	int n_peers;
	int conn_fd; /* hand-over socket, owned from now on; -1 = none */
	/* Liveness (see above); 0 = no check. transport_silence_ms() gives
	 * the value for a group's Raft timing. */
	int silence_ms;
	int handshake_ms;    /* connect + hello ack; 0 = TRANSPORT_HANDSHAKE_MS */
	int user_timeout_ms; /* TCP_USER_TIMEOUT of dialled sockets; 0 = kernel default */
	/* Called (with the recv callback's ctx) when a connection with node
	 * comes up, ours or its; may be NULL. See "Links" above. */
	void (*on_link)(void *ctx, int32_t node);
};

/* m and its entries are borrowed for the call. from_node is the node the
 * supervisor authenticated by its hello; m->from is checked against it. */
typedef void (*transport_recv_cb)(void *ctx, int32_t from_node, const struct raft_message *m);

struct transport_stats {
	uint64_t sent, dropped, received, malformed, connects;
	uint64_t silences; /* connections closed because a peer went silent */
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
	struct evdns_base *dns; /* owned; NULL while every peer address is numeric */
	int silence_ms;
	struct buf enc;		/* encoding scratch */
	struct evbuffer *stage; /* a frame being assembled; owned, NULL until the first send */
	void *stage_block;	/* the message's raft block while it is being staged */
	struct buf frame;	/* the frame being decoded */
	struct arena arena;	/* decoded entry arrays */
	transport_recv_cb recv;
	void (*on_link)(void *ctx, int32_t node);
	void *ctx;
	struct transport_stats stats;
};

/* The liveness bound for a group's Raft timing: max(4 heartbeats, half the
 * election timeout). Four heartbeats so that a loaded machine (a slow fsync
 * before the answer, a late tick) is not taken for a dead link; below the
 * election timeout so that a link broken by the network is redialled
 * before the followers' election timers run out, and traffic resumes
 * within about one election timeout after the network heals. With the
 * defaults (150 ms, 3 s): 1.5 s. */
int transport_silence_ms(int heartbeat_interval_ms, int election_timeout_ms);

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
/* Writes the queued messages of every connected peer to its socket now,
 * as far as the socket takes them, rather than when the loop next runs:
 * for a caller about to block (a leader's fsync after its appends). */
void transport_push(struct transport *t);
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
