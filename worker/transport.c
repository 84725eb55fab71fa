/* transport.c - peer connections of one Raft group member (see transport.h). */
#include "transport.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/dialer.h"
#include "common/err.h"
#include "common/fdpass.h"
#include "common/frame.h"
#include "common/log.h"
#include "worker/raft_codec.h"

/* Read up to this much per wakeup: a follower catching up receives big
 * appends, and libevent's default (16 KiB) would split each one over many
 * loop iterations. */
#define READ_MAX (4u * 1024 * 1024)

enum peer_state { P_DIALING, P_READY };

struct transport_peer {
	struct transport *t;
	struct worker_peer addr;
	enum peer_state state;
	struct dialer *dialer;
	struct bufferevent *bev; /* P_READY: our connection to it */
	struct event *liveness;	 /* pending while awaiting_ms >= 0 */
	int64_t last_heard_ms;
	/* When we sent the first request it must answer since we last heard
	 * from it; -1 when nothing is owed. */
	int64_t awaiting_ms;
	uint64_t in_generation; /* inbound connections accepted from this node */
	/* The last (pre-)vote answer to it that found our connection down,
	 * sent as soon as it is up (has_held_answer). */
	struct raft_message held_answer;
	bool has_held_answer;
};

struct transport_in {
	struct transport_in *next;
	struct transport *t;
	struct bufferevent *bev;
	int32_t node;
};

int64_t transport_now_ms(void) { return clock_mono_ms(); }

int transport_silence_ms(int heartbeat_interval_ms, int election_timeout_ms)
{
	int a = 4 * heartbeat_interval_ms, b = election_timeout_ms / 2;
	return a > b ? a : b;
}

static struct transport_peer *peer_find(const struct transport *t, int32_t node)
{
	for (int i = 0; i < t->n_peers; i++)
		if (t->peers[i].addr.node == node)
			return &t->peers[i];
	return NULL;
}

static void in_free(struct transport *t, struct transport_in *c);

/* --- outbound ------------------------------------------------------------- */

/* Our connection to p is gone: redial after the dialer's backoff. */
static void out_lost(struct transport_peer *p)
{
	if (p->bev)
		bufferevent_free(p->bev);
	p->bev = NULL;
	p->state = P_DIALING;
	p->awaiting_ms = -1;
	dialer_redial(p->dialer);
}

static void out_read_cb(struct bufferevent *bev, void *arg)
{
	/* The accepting side never writes after its ack. */
	struct evbuffer *in = bufferevent_get_input(bev);
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void out_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct transport_peer *p = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		int e = EVUTIL_SOCKET_ERROR();
		if ((what & BEV_EVENT_ERROR) && e != 0)
			log_info("raft: connection to node %d failed: %s; redialling",
				 (int)p->addr.node, evutil_socket_error_to_string(e));
		else
			log_info("raft: connection to node %d was closed by the peer; redialling",
				 (int)p->addr.node);
		out_lost(p);
	}
}

static void on_dialled(void *ctx, struct bufferevent *bev)
{
	struct transport_peer *p = ctx;
	p->bev = bev;
	p->state = P_READY;
	p->awaiting_ms = -1;
	p->t->stats.connects++;
	bufferevent_setcb(bev, out_read_cb, NULL, out_event_cb, p);
	bufferevent_set_max_single_read(bev, 64 * 1024);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	log_info("raft: connected to node %d", (int)p->addr.node);
	if (p->has_held_answer) {
		p->has_held_answer = false;
		(void)transport_send(p->t, &p->held_answer);
	}
	if (p->t->on_link)
		p->t->on_link(p->t->ctx, p->addr.node);
}

static bool is_request(uint8_t type)
{
	return type == RAFT_MSG_APPEND || type == RAFT_MSG_HEARTBEAT || type == RAFT_MSG_SNAPSHOT;
}

static void arm_ms(struct event *ev, int64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(ev, &tv);
}

/* We owe nothing to p and it owes us nothing: any traffic from it proves
 * both connections work (it got our request, we got its answer). */
static void heard(struct transport_peer *p, int64_t now)
{
	p->last_heard_ms = now;
	p->awaiting_ms = -1;
}

/* p went silent: both our connections with it are suspect. */
static void silent(struct transport_peer *p, int64_t quiet_ms)
{
	struct transport *t = p->t;
	t->stats.silences++;
	log_info("raft: nothing from node %d for %lld ms after our appends or heartbeats; "
		 "closing both connections and redialling",
		 (int)p->addr.node, (long long)quiet_ms);
	for (struct transport_in *c = t->in; c; c = c->next) {
		if (c->node == p->addr.node) {
			in_free(t, c);
			break;
		}
	}
	if (p->state == P_READY)
		out_lost(p);
	p->awaiting_ms = -1;
}

/* True when bytes from node wait unread, in the kernel or in the input
 * buffer: then we were the slow one (a frozen or overloaded process, its
 * loop late), not the peer. */
static bool unread_from(const struct transport *t, int32_t node)
{
	for (const struct transport_in *c = t->in; c; c = c->next) {
		if (c->node != node)
			continue;
		int n = 0;
		int fd = bufferevent_getfd(c->bev);
		if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0 ||
		    (fd >= 0 && ioctl(fd, FIONREAD, &n) == 0 && n > 0))
			return true;
	}
	return false;
}

static void liveness_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport_peer *p = arg;
	if (p->awaiting_ms < 0)
		return;
	int64_t quiet = transport_now_ms() - p->awaiting_ms;
	if (quiet < p->t->silence_ms)
		arm_ms(p->liveness, p->t->silence_ms - quiet);
	else if (unread_from(p->t, p->addr.node))
		arm_ms(p->liveness, 10); /* read it first */
	else
		silent(p, quiet);
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
		/* Any frame shows that the node hears us and reaches us. */
		struct transport_peer *p = peer_find(t, c->node);
		if (p)
			heard(p, transport_now_ms());
		struct raft_message m;
		arena_reset(&t->arena);
		rc = raft_codec_decode(t->frame.data, t->frame.len, &m, &t->arena);
		if (rc != 0 || m.from != (uint64_t)c->node) {
			if (t->stats.malformed++ % 1000 == 0)
				log_warn("raft: ignoring a %s message from node %d",
					 rc ? "malformed" : "misaddressed", (int)c->node);
			continue;
		}
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
	struct transport_peer *p = peer_find(t, node);
	if (p->state == P_DIALING)
		dialer_hurry(p->dialer);
	if (t->on_link)
		t->on_link(t->ctx, node);
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
	t->on_link = c->on_link;
	t->ctx = ctx;
	t->conn_fd = c->conn_fd;
	t->silence_ms = c->silence_ms;
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
	struct hello h = {.from_node = t->self};
	snprintf(h.cluster, sizeof(h.cluster), "%s", t->cluster);
	snprintf(h.group, sizeof(h.group), "%s", t->group);
	for (int i = 0; i < c->n_peers; i++) {
		struct transport_peer *p = &t->peers[i];
		p->t = t;
		p->addr = c->peers[i];
		p->state = P_DIALING;
		p->last_heard_ms = -1;
		p->awaiting_ms = -1;
		/* Resolving a name needs this process's resolver; numeric
		 * addresses (the usual case) never create it. */
		if (t->dns == NULL && !dialer_host_is_numeric(p->addr.host)) {
			t->dns = dialer_dns_new(base);
			if (t->dns == NULL)
				return ERR_NOMEM;
		}
		char name[48];
		snprintf(name, sizeof(name), "raft: node %d", (int)p->addr.node);
		struct dialer_config dc = {
		    .name = name,
		    .host = p->addr.host,
		    .port = p->addr.port,
		    .hello = &h,
		    .expect_node = p->addr.node,
		    .handshake_ms = c->handshake_ms > 0 ? c->handshake_ms : TRANSPORT_HANDSHAKE_MS,
		    .user_timeout_ms = c->user_timeout_ms,
		    /* a peer node still starting is normal */
		    .fail_level = LOG_INFO};
		p->dialer = dialer_new(base, t->dns, &dc, on_dialled, NULL, p);
		p->liveness = evtimer_new(base, liveness_cb, p);
		if (p->dialer == NULL || p->liveness == NULL)
			return ERR_NOMEM;
		dialer_start(p->dialer);
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
		dialer_free(p->dialer);
		if (p->liveness)
			event_free(p->liveness);
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
	/* After the dialers: a lookup they cancelled answers into it. */
	if (t->dns)
		evdns_base_free(t->dns, 0);
	t->dns = NULL;
	buf_free(&t->enc);
	buf_free(&t->frame);
	arena_free(&t->arena);
	if (t->stage)
		evbuffer_free(t->stage);
	t->stage = NULL;
}

/* Pieces of an encoding at least this long (entry payloads: record batches)
 * go straight into the frame being assembled; shorter ones are gathered in
 * t->enc first so a message is not a chain of tiny evbuffer pieces. */
#define DIRECT_PIECE_MIN 256

static int count_cb(void *ctx, const uint8_t *p, size_t len)
{
	*(size_t *)ctx += len;
	return 0;
}

static int flush_small(struct transport *t)
{
	if (t->enc.len == 0)
		return 0;
	int rc = evbuffer_add(t->stage, t->enc.data, t->enc.len) == 0 ? 0 : -1;
	buf_reset(&t->enc);
	return rc;
}

static void release_block(const void *data, size_t len, void *block) { raft_block_release(block); }

static int piece_cb(void *ctx, const uint8_t *p, size_t len)
{
	struct transport *t = ctx;
	if (len < DIRECT_PIECE_MIN) {
		buf_put(&t->enc, p, len);
		return t->enc.oom ? -1 : 0;
	}
	if (flush_small(t) != 0)
		return -1;
	if (t->stage_block == NULL)
		return evbuffer_add(t->stage, p, len) == 0 ? 0 : -1;
	/* A payload inside the core's message block: the socket buffer refers
	 * to it and holds the block until the bytes are written (or the
	 * connection is freed), so the bytes are not copied at all here. */
	raft_block_hold(t->stage_block);
	if (evbuffer_add_reference(t->stage, p, len, release_block, t->stage_block) != 0) {
		raft_block_release(t->stage_block);
		return -1;
	}
	return 0;
}

/* Appends m as one frame to out. An entry's payload is not copied into an
 * encoding buffer: when m comes from a Ready (m->block set) the frame refers
 * to the core's block, held until written; otherwise it is copied once, into
 * the frame. The frame is assembled in t->stage and moved to out whole
 * (evbuffer_add_buffer moves chains, no copy), so a failure half way leaves
 * out untouched. */
static int push_message(struct transport *t, struct evbuffer *out, const struct raft_message *m)
{
	size_t len = 0;
	int rc = raft_codec_encode_cb(m, count_cb, &len);
	if (rc != 0)
		return rc;
	if (len > UINT32_MAX)
		return ERR_TOOBIG;
	if (t->stage == NULL && (t->stage = evbuffer_new()) == NULL)
		return ERR_NOMEM;
	buf_reset(&t->enc);
	buf_put_u32(&t->enc, (uint32_t)len); /* the frame header */
	t->stage_block = m->block;
	rc = raft_codec_encode_cb(m, piece_cb, t);
	t->stage_block = NULL;
	if (rc == 0 && (t->enc.oom || flush_small(t) != 0))
		rc = ERR_NOMEM;
	if (rc == 0 && evbuffer_add_buffer(out, t->stage) != 0)
		rc = ERR_NOMEM;
	evbuffer_drain(t->stage, evbuffer_get_length(t->stage));
	if (t->enc.cap > (4u << 20))
		buf_free(&t->enc);
	return rc;
}

int transport_send(struct transport *t, const struct raft_message *m)
{
	if (m->to > INT32_MAX)
		return ERR_INVALID;
	struct transport_peer *p = peer_find(t, (int32_t)m->to);
	if (p == NULL)
		return ERR_INVALID;
	if (p->state != P_READY) {
		/* A (pre-)vote request or answer is rare and urgent: a
		 * campaign waits for it, often right after a cut healed or a
		 * node crashed, while our dial to that node may sit in a
		 * backoff of up to 2 s. Start that dial now so the
		 * candidate's re-ask (on connect, and every heartbeat
		 * interval) is answered within the election timeout. */
		if (m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE ||
		    m->type == RAFT_MSG_VOTE_RESP || m->type == RAFT_MSG_PREVOTE_RESP)
			dialer_hurry(p->dialer);
		/* A candidate re-asks a peer when its own link to that peer
		 * comes up, not when the peer's link back does: a request
		 * that arrived on the candidate's connection before ours to
		 * it was up would otherwise wait a heartbeat interval for
		 * the re-ask. Its answer goes out once ours is up; late, as
		 * a slow network would deliver it, which Raft allows (the
		 * answer carries its term). Answers carry no entries. */
		if (m->type == RAFT_MSG_VOTE_RESP || m->type == RAFT_MSG_PREVOTE_RESP) {
			p->held_answer = *m;
			p->held_answer.block = NULL;
			p->has_held_answer = true;
		}
		t->stats.dropped++;
		return ERR_UNAVAILABLE;
	}
	struct evbuffer *out = bufferevent_get_output(p->bev);
	if (evbuffer_get_length(out) > TRANSPORT_OUT_MAX) {
		t->stats.dropped++;
		return ERR_AGAIN;
	}
	int rc = push_message(t, out, m);
	if (rc != 0) {
		t->stats.dropped++;
		return rc;
	}
	t->stats.sent++;
	if (t->silence_ms > 0 && is_request(m->type) && p->awaiting_ms < 0) {
		p->awaiting_ms = transport_now_ms();
		if (!evtimer_pending(p->liveness, NULL))
			arm_ms(p->liveness, t->silence_ms);
	}
	return 0;
}

void transport_push(struct transport *t)
{
	for (int i = 0; i < t->n_peers; i++) {
		struct transport_peer *p = &t->peers[i];
		if (p->state != P_READY)
			continue;
		struct evbuffer *out = bufferevent_get_output(p->bev);
		/* Whatever the socket does not take now (or an error) is left
		 * to the bufferevent, which writes when the loop runs. */
		if (evbuffer_get_length(out) > 0)
			(void)evbuffer_write(out, bufferevent_getfd(p->bev));
	}
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
