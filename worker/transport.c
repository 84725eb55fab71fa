/* transport.c - peer connections of one Raft group member (see transport.h). */
#include "transport.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/fdpass.h"
#include "common/frame.h"
#include "common/log.h"
#include "worker/raft_codec.h"

/* Read up to this much per wakeup: a follower catching up receives big
 * appends, and libevent's default (16 KiB) would split each one over many
 * loop iterations. */
#define READ_MAX (4u * 1024 * 1024)

enum peer_state { P_IDLE, P_CONNECTING, P_HELLO, P_READY };

struct transport_peer {
	struct transport *t;
	struct worker_peer addr;
	enum peer_state state;
	struct bufferevent *bev;
	struct event *timer; /* IDLE: redial; CONNECTING/HELLO: handshake deadline */
	int backoff_ms;
	char last_failure[160]; /* logged once per streak of identical failures */
	int64_t last_heard_ms;
	uint64_t in_generation; /* inbound connections accepted from this node */
};

struct transport_in {
	struct transport_in *next;
	struct transport *t;
	struct bufferevent *bev;
	int32_t node;
};

int64_t transport_now_ms(void)
{
	return clock_mono_ms();
}

static struct transport_peer *peer_find(const struct transport *t, int32_t node)
{
	for (int i = 0; i < t->n_peers; i++)
		if (t->peers[i].addr.node == node)
			return &t->peers[i];
	return NULL;
}

static void arm(struct transport_peer *p, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_add(p->timer, &tv);
}

/* --- outbound ------------------------------------------------------------- */

/* Closes the connection and schedules the next dial. The first failure of a
 * kind is logged at info (a peer node still starting is normal), repeats at
 * debug, so a node that stays down does not flood the log. */
static void fail(struct transport_peer *p, const char *why)
{
	if (strcmp(why, p->last_failure) != 0) {
		log_info("raft: connection to node %d (%s:%u) %s; retrying", (int)p->addr.node,
			 p->addr.host, (unsigned)p->addr.port, why);
		snprintf(p->last_failure, sizeof(p->last_failure), "%s", why);
	} else {
		log_debug("raft: connection to node %d %s; retrying in %d ms", (int)p->addr.node,
			  why, p->backoff_ms);
	}
	if (p->bev)
		bufferevent_free(p->bev);
	p->bev = NULL;
	p->state = P_IDLE;
	arm(p, p->backoff_ms);
	p->backoff_ms *= 2;
	if (p->backoff_ms > TRANSPORT_BACKOFF_MAX_MS)
		p->backoff_ms = TRANSPORT_BACKOFF_MAX_MS;
}

static void out_read_cb(struct bufferevent *bev, void *arg)
{
	struct transport_peer *p = arg;
	struct transport *t = p->t;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (p->state != P_HELLO) {
		/* The accepting side never writes after its ack. */
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	int rc = frame_pull(in, HELLO_FRAME_MAX, &t->frame);
	if (rc == 0)
		return;
	bool ok = false;
	int32_t node = -1;
	char reason[128], why[160];
	if (rc < 0 || hello_reply_decode(t->frame.data, t->frame.len, &ok, &node, reason,
					 sizeof(reason)) != 0) {
		fail(p, "sent an unreadable hello reply");
		return;
	}
	if (!ok) {
		snprintf(why, sizeof(why), "refused: %s", reason);
		fail(p, why);
		return;
	}
	if (node != p->addr.node) {
		snprintf(why, sizeof(why), "was answered by node %d", (int)node);
		fail(p, why);
		return;
	}
	evtimer_del(p->timer);
	p->state = P_READY;
	p->backoff_ms = TRANSPORT_BACKOFF_MIN_MS;
	p->last_failure[0] = '\0';
	t->stats.connects++;
	log_info("raft: connected to node %d", (int)p->addr.node);
}

static void out_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct transport_peer *p = arg;
	struct transport *t = p->t;
	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct hello h = {.from_node = t->self};
		snprintf(h.cluster, sizeof(h.cluster), "%s", t->cluster);
		snprintf(h.group, sizeof(h.group), "%s", t->group);
		buf_reset(&t->enc);
		if (hello_encode(&h, &t->enc) != 0 ||
		    frame_push(bufferevent_get_output(bev), t->enc.data, t->enc.len) != 0) {
			fail(p, "could not send its hello");
			return;
		}
		p->state = P_HELLO;
		bufferevent_enable(bev, EV_READ | EV_WRITE);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		char why[160];
		if (p->state == P_READY)
			log_info("raft: connection to node %d closed", (int)p->addr.node);
		int e = EVUTIL_SOCKET_ERROR();
		if ((what & BEV_EVENT_ERROR) && e != 0)
			snprintf(why, sizeof(why), "failed: %s", evutil_socket_error_to_string(e));
		else
			snprintf(why, sizeof(why), "was closed by the peer");
		fail(p, why);
	}
}

static void dial(struct transport_peer *p)
{
	struct transport *t = p->t;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", (unsigned)p->addr.port);
	int gai = getaddrinfo(p->addr.host, port, &hints, &res);
	if (gai != 0 || res == NULL) {
		char why[160];
		snprintf(why, sizeof(why), "cannot resolve: %s", gai_strerror(gai));
		fail(p, why);
		return;
	}
	p->bev = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (p->bev == NULL) {
		freeaddrinfo(res);
		fail(p, "out of memory");
		return;
	}
	bufferevent_setcb(p->bev, out_read_cb, NULL, out_event_cb, p);
	bufferevent_set_max_single_read(p->bev, 64 * 1024);
	p->state = P_CONNECTING;
	arm(p, TRANSPORT_HANDSHAKE_MS);
	int rc = bufferevent_socket_connect(p->bev, res->ai_addr, (int)res->ai_addrlen);
	freeaddrinfo(res);
	/* On failure the event callback has already run (and failed us) or
	 * will run; only an immediate error without one is handled here. */
	if (rc != 0 && p->state == P_CONNECTING && p->bev != NULL)
		fail(p, "cannot connect");
}

static void peer_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport_peer *p = arg;
	if (p->state == P_IDLE)
		dial(p);
	else if (p->state != P_READY)
		fail(p, "did not complete the handshake in time");
}

/* --- inbound -------------------------------------------------------------- */

static void in_free(struct transport *t, struct transport_in *c)
{
	for (struct transport_in **pp = &t->in; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	bufferevent_free(c->bev);
	free(c);
}

static void in_read_cb(struct bufferevent *bev, void *arg)
{
	struct transport_in *c = arg;
	struct transport *t = c->t;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		int rc = frame_pull(in, TRANSPORT_FRAME_MAX, &t->frame);
		if (rc == 0)
			break;
		if (rc < 0) {
			log_warn("raft: unreadable frame from node %d (%s); closing its connection",
				 (int)c->node, err_str(rc));
			in_free(t, c);
			return;
		}
		struct raft_message m;
		arena_reset(&t->arena);
		rc = raft_codec_decode(t->frame.data, t->frame.len, &m, &t->arena);
		if (rc != 0 || m.from != (uint64_t)c->node) {
			if (t->stats.malformed++ % 1000 == 0)
				log_warn("raft: ignoring a %s message from node %d",
					 rc ? "malformed" : "misaddressed", (int)c->node);
			continue;
		}
		struct transport_peer *p = peer_find(t, c->node);
		if (p)
			p->last_heard_ms = transport_now_ms();
		t->stats.received++;
		t->recv(t->ctx, c->node, &m);
	}
	if (t->frame.cap > (4u << 20))
		buf_free(&t->frame);
}

static void in_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct transport_in *c = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_debug("raft: connection from node %d closed", (int)c->node);
		in_free(c->t, c);
	}
}

static void accept_fd(struct transport *t, int fd, int32_t node)
{
	if (peer_find(t, node) == NULL) {
		log_warn("raft: refusing a connection from node %d, not a replica of %s", (int)node,
			 t->group);
		close(fd);
		return;
	}
	struct transport_in *c = calloc(1, sizeof(*c));
	evutil_make_socket_nonblocking(fd);
	struct bufferevent *bev =
	    c ? bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (bev == NULL) {
		log_error("raft: out of memory accepting node %d", (int)node);
		free(c);
		close(fd);
		return;
	}
	buf_reset(&t->enc);
	if (hello_ack_encode(t->self, &t->enc) != 0 ||
	    frame_push(bufferevent_get_output(bev), t->enc.data, t->enc.len) != 0) {
		bufferevent_free(bev);
		free(c);
		return;
	}
	/* The node redialled: its older connection is dead or about to be. */
	for (struct transport_in *o = t->in; o; o = o->next) {
		if (o->node == node) {
			in_free(t, o);
			break;
		}
	}
	peer_find(t, node)->in_generation++;
	c->t = t;
	c->bev = bev;
	c->node = node;
	c->next = t->in;
	t->in = c;
	bufferevent_setcb(bev, in_read_cb, NULL, in_event_cb, c);
	bufferevent_set_max_single_read(bev, READ_MAX);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	log_debug("raft: accepted a connection from node %d", (int)node);
}

static void conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport *t = arg;
	for (int n = 0; n < 64; n++) {
		int got = -1;
		int32_t node = -1;
		int rc = fdpass_recv(t->conn_fd, &got, &node);
		if (rc == 0) {
			accept_fd(t, got, node);
			continue;
		}
		if (rc == ERR_AGAIN)
			return;
		if (rc == ERR_INVALID) {
			log_warn("raft: ignoring a malformed hand-over from the supervisor");
			continue;
		}
		/* Closed or broken: the supervisor is going away, and the uplink
		 * notices that too. */
		log_debug("raft: hand-over socket: %s", err_str(rc));
		event_del(t->conn_ev);
		return;
	}
}

/* --- API ------------------------------------------------------------------ */

int transport_init(struct transport *t, struct event_base *base, const struct transport_config *c,
		   transport_recv_cb recv, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->base = base;
	t->self = c->self;
	t->recv = recv;
	t->ctx = ctx;
	t->conn_fd = c->conn_fd;
	snprintf(t->cluster, sizeof(t->cluster), "%s", c->cluster);
	snprintf(t->group, sizeof(t->group), "%s", c->group);
	buf_init(&t->enc);
	buf_init(&t->frame);
	arena_init(&t->arena);
	if (c->n_peers > 0) {
		t->peers = calloc((size_t)c->n_peers, sizeof(*t->peers));
		if (t->peers == NULL)
			return ERR_NOMEM;
	}
	t->n_peers = c->n_peers;
	for (int i = 0; i < c->n_peers; i++) {
		struct transport_peer *p = &t->peers[i];
		p->t = t;
		p->addr = c->peers[i];
		p->backoff_ms = TRANSPORT_BACKOFF_MIN_MS;
		p->last_heard_ms = -1;
		p->timer = evtimer_new(base, peer_timer_cb, p);
		if (p->timer == NULL)
			return ERR_NOMEM;
		arm(p, 0);
	}
	if (t->conn_fd >= 0) {
		evutil_make_socket_nonblocking(t->conn_fd);
		t->conn_ev = event_new(base, t->conn_fd, EV_READ | EV_PERSIST, conn_cb, t);
		if (t->conn_ev == NULL)
			return ERR_NOMEM;
		event_add(t->conn_ev, NULL);
	}
	return 0;
}

void transport_close(struct transport *t)
{
	for (int i = 0; i < t->n_peers; i++) {
		struct transport_peer *p = &t->peers[i];
		if (p->bev)
			bufferevent_free(p->bev);
		if (p->timer)
			event_free(p->timer);
	}
	free(t->peers);
	t->peers = NULL;
	t->n_peers = 0;
	while (t->in)
		in_free(t, t->in);
	if (t->conn_ev)
		event_free(t->conn_ev);
	t->conn_ev = NULL;
	if (t->conn_fd >= 0)
		close(t->conn_fd);
	t->conn_fd = -1;
	buf_free(&t->enc);
	buf_free(&t->frame);
	arena_free(&t->arena);
}

int transport_send(struct transport *t, const struct raft_message *m)
{
	if (m->to > INT32_MAX)
		return ERR_INVALID;
	struct transport_peer *p = peer_find(t, (int32_t)m->to);
	if (p == NULL)
		return ERR_INVALID;
	if (p->state != P_READY) {
		t->stats.dropped++;
		return ERR_UNAVAILABLE;
	}
	struct evbuffer *out = bufferevent_get_output(p->bev);
	if (evbuffer_get_length(out) > TRANSPORT_OUT_MAX) {
		t->stats.dropped++;
		return ERR_AGAIN;
	}
	buf_reset(&t->enc);
	int rc = raft_codec_encode(m, &t->enc);
	if (rc == 0)
		rc = frame_push(out, t->enc.data, t->enc.len);
	if (t->enc.cap > (4u << 20))
		buf_free(&t->enc);
	if (rc != 0) {
		t->stats.dropped++;
		return rc;
	}
	t->stats.sent++;
	return 0;
}

bool transport_connected(const struct transport *t, int32_t node)
{
	const struct transport_peer *p = peer_find(t, node);
	return p && p->state == P_READY;
}

int transport_n_connected(const struct transport *t)
{
	int n = 0;
	for (int i = 0; i < t->n_peers; i++)
		n += t->peers[i].state == P_READY;
	return n;
}

uint64_t transport_in_generation(const struct transport *t, int32_t node)
{
	const struct transport_peer *p = peer_find(t, node);
	return p ? p->in_generation : 0;
}

int64_t transport_last_heard_ms(const struct transport *t, int32_t node)
{
	const struct transport_peer *p = peer_find(t, node);
	return p ? p->last_heard_ms : -1;
}
