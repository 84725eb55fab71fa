/* peers.c - outbound and inbound supervisor channels of peers.h.
 *
 * Outbound connections are made by a dialer each (common/dialer.h): the
 * name is resolved with evdns at every attempt (a name in [cluster] may
 * move; a numeric address skips the resolver), the hello for group "" is
 * sent and acknowledged, and failures are retried with jittered backoff.
 *
 * Liveness: every peer sends LEADERS every second, so an inbound channel
 * silent for SILENCE_MS means that peer is stalled or the network between
 * us is broken, whatever TCP says. That channel is then closed, after a
 * GOODBYE (peer_proto.h) so the peer can tell our choice from a crash, and
 * the peer redials it. */
#include "peers.h"

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
#include <unistd.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/dialer.h"
#include "common/err.h"
#include "common/frame.h"
#include "common/hello.h"
#include "common/ipc.h"
#include "common/log.h"
#include "supervisor/failover.h"
#include "supervisor/leaders.h"
#include "supervisor/peer_proto.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

/* Connect and ack within this, so that after a network heals the next
 * attempt comes within about HANDSHAKE_MS + the 2 s backoff cap. */
#define HANDSHAKE_MS 2000
#define WRITE_TIMEOUT_S 10
/* A peer sends LEADERS every second: three and a half missed tables, the
 * bound after which its table counts as stale anyway. */
#define SILENCE_MS LEADERS_STALE_MS
#define OUT_BACKLOG_MAX (8u << 20) /* skip a LEADERS table while this much waits */
#define TICK_MS 1000

enum out_state { OUT_DIALING, OUT_READY };

struct out_link {
	struct peers *p;
	int32_t node;
	struct config_addr addr;
	enum out_state st;
	struct dialer *dialer;
	struct bufferevent *bev; /* OUT_READY */
	struct buf rx;		 /* a frame the accepting side sent (GOODBYE) */
	bool quiet; /* a failure was logged: say so when it connects again */
};

struct in_link {
	struct peers *p;
	int32_t node;
	struct bufferevent *bev;
	struct buf rx;
	/* A frame arrived on this channel. The peer sends LEADERS as soon as
	 * it reads our ack, so a channel that ends before any frame was one
	 * its dialer had already given up on (a handshake that timed out while
	 * we were stalled), not evidence of a crash. */
	bool got_frame;
};

struct peers {
	struct sup *s;
	struct evdns_base *dns; /* owned; NULL while every peer address is numeric */
	struct out_link *out;
	struct in_link *in;
	int n;
	struct event *tick_ev;
	struct event *send_ev; /* activated by peers_local_changed */
	bool send_pending;
};

/* An established channel ended because the peer's socket was closed (EOF)
 * or reset: its process is gone, as opposed to a network that went
 * silent (timeouts, or errors such as ETIMEDOUT and EHOSTUNREACH). A
 * channel the peer closed on purpose says GOODBYE first and is handled
 * before it gets here. */
static bool closed_by_peer(short what, int err)
{
	if (what & BEV_EVENT_EOF)
		return true;
	return (what & BEV_EVENT_ERROR) && (err == ECONNRESET || err == EPIPE);
}

/* Best effort: tells the peer that the close that follows is deliberate.
 * Only whole frames go out: when earlier frames still wait in the output
 * buffer and the socket does not take them all now, no GOODBYE is sent
 * (the peer then sees a cut-off stream, like any broken connection). */
static void say_goodbye(struct peers *p, struct bufferevent *bev, const char *reason)
{
	int fd = bufferevent_getfd(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	for (int guard = 0; guard < 16 && evbuffer_get_length(out) > 0; guard++)
		if (evbuffer_write(out, fd) <= 0)
			break;
	if (fd < 0 || evbuffer_get_length(out) > 0)
		return;
	struct buf b;
	buf_init(&b);
	buf_put_u32(&b, 0);
	if (peer_goodbye_encode(p->s->cfg->node.id, reason, &b) == 0 && !b.oom) {
		buf_patch_u32(&b, 0, (uint32_t)(b.len - FRAME_HEADER_LEN));
		ssize_t n = send(fd, b.data, b.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)n;
	}
	buf_free(&b);
}

/* Our channel to o->node is gone: redial it after the dialer's backoff.
 * goodbye: the reason to send first when we are the one closing it. */
static void out_drop(struct out_link *o, const char *goodbye)
{
	if (o->bev != NULL) {
		if (goodbye != NULL)
			say_goodbye(o->p, o->bev, goodbye);
		bufferevent_free(o->bev);
		o->bev = NULL;
	}
	buf_reset(&o->rx);
	o->st = OUT_DIALING;
	if (!o->p->s->stopping)
		dialer_redial(o->dialer);
}

/* Builds this node's LEADERS payload from its serving workers. */
static int build_leaders(struct peers *p, struct buf *out)
{
	struct sup *s = p->s;
	int n = workers_count(s->workers);
	struct peer_claim *v = n > 0 ? calloc((size_t)n, sizeof(*v)) : NULL;
	if (n > 0 && v == NULL)
		return ERR_NOMEM;
	int k = 0;
	for (int i = 0; i < n; i++) {
		struct worker *w = workers_at(s->workers, i);
		if (w->state != WORKER_SERVING || !w->status_this_run)
			continue;
		struct peer_claim *c = &v[k++];
		snprintf(c->topic, sizeof(c->topic), "%s", w->topic);
		c->partition = w->partition;
		c->role = w->status.role;
		c->term = w->status.term;
		c->leader =
		    w->status.role == IPC_ROLE_LEADER ? s->cfg->node.id : w->status.leader_node;
		c->commit_offset = w->status.commit_offset;
		c->caught_up = w->status.caught_up;
	}
	int rc = peer_leaders_encode(s->cfg->node.id, s->draining, v, k, out);
	free(v);
	return rc;
}

static void send_frame(struct out_link *o, const struct buf *b, bool droppable)
{
	if (o->st != OUT_READY || o->bev == NULL)
		return;
	struct evbuffer *ob = bufferevent_get_output(o->bev);
	if (droppable && evbuffer_get_length(ob) > OUT_BACKLOG_MAX)
		return; /* the next table says it all again */
	if (frame_push(ob, b->data, b->len) != 0)
		log_warn("peer %d: out of memory queueing a message", (int)o->node);
}

static void send_leaders(struct peers *p, struct out_link *only)
{
	struct buf b;
	buf_init(&b);
	if (build_leaders(p, &b) != 0) {
		log_warn("peers: cannot build the LEADERS table (out of memory)");
		buf_free(&b);
		return;
	}
	for (int i = 0; i < p->n; i++)
		if (only == NULL || only == &p->out[i])
			send_frame(&p->out[i], &b, true);
	buf_free(&b);
}

static void on_out_read(struct bufferevent *bev, void *arg)
{
	struct out_link *o = arg;
	/* After its ack the accepting side sends nothing but a GOODBYE. */
	for (int guard = 0; guard < 16 && o->bev == bev; guard++) {
		int rc = frame_pull(bufferevent_get_input(bev), PEER_FRAME_MAX, &o->rx);
		if (rc == 0)
			return;
		if (rc < 0) {
			log_warn("peer %d: unreadable frame on our channel; reconnecting",
				 (int)o->node);
			out_drop(o, "bad frame");
			return;
		}
		int32_t node;
		char reason[PEER_REASON_MAX + 1];
		if (peer_msg_type(o->rx.data, o->rx.len) == PEER_GOODBYE &&
		    peer_goodbye_decode(o->rx.data, o->rx.len, &node, reason,
					sizeof(reason)) == 0) {
			log_info("peer %d: closed our channel on purpose (%s); redialling",
				 (int)o->node, reason);
			out_drop(o, NULL);
			return;
		}
		log_debug("peer %d: ignoring a %zu-byte message on our channel", (int)o->node,
			  o->rx.len);
	}
}

static void on_out_event(struct bufferevent *bev, short what, void *arg)
{
	struct out_link *o = arg;
	if (what & BEV_EVENT_TIMEOUT) {
		log_warn("peer %d: writes stalled for %d s; reconnecting", (int)o->node,
			 WRITE_TIMEOUT_S);
		o->quiet = true;
		out_drop(o, "writes stalled");
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		int e = EVUTIL_SOCKET_ERROR();
		if (closed_by_peer(what, e))
			failover_on_node_lost(o->p->s->failover, o->node);
		char a[CONFIG_HOST_MAX + 16];
		log_warn("peer %d (%s): our channel %s; redialling", (int)o->node,
			 config_addr_str(&o->addr, a, sizeof(a)),
			 (what & BEV_EVENT_EOF) ? "was closed" : evutil_socket_error_to_string(e));
		o->quiet = true;
		out_drop(o, NULL);
	}
}

static void on_dialled(void *ctx, struct bufferevent *bev)
{
	struct out_link *o = ctx;
	o->bev = bev;
	o->st = OUT_READY;
	buf_reset(&o->rx);
	bufferevent_setcb(bev, on_out_read, NULL, on_out_event, o);
	/* Only a stuck write counts as a failure here; silence is judged
	 * on the peer's channel to us. */
	struct timeval wt = {WRITE_TIMEOUT_S, 0};
	bufferevent_set_timeouts(bev, NULL, &wt);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	failover_on_node_back(o->p->s->failover, o->node);
	if (o->quiet)
		log_info("peer %d: connected", (int)o->node);
	else
		log_debug("peer %d: connected", (int)o->node);
	o->quiet = false;
	send_leaders(o->p, o);
	if (o->bev == bev && evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		on_out_read(bev, o);
}

static void on_dial_failed(void *ctx, enum dialer_failure kind, const char *why)
{
	struct out_link *o = ctx;
	o->quiet = true; /* the dialer logged it */
}

/* crashed: the peer's end was closed or reset (closed_by_peer), so the
 * groups it led fail over now, while its table still says which.
 * goodbye: the reason to send first when we are the one closing it. */
static void in_close(struct in_link *l, const char *why, bool crashed, const char *goodbye)
{
	if (l->bev == NULL)
		return;
	if (goodbye != NULL)
		say_goodbye(l->p, l->bev, goodbye);
	bufferevent_free(l->bev);
	l->bev = NULL;
	buf_reset(&l->rx);
	log_info("peer %d: its channel to us %s; forgetting its replicas", (int)l->node, why);
	if (crashed)
		failover_on_node_lost(l->p->s->failover, l->node);
	if (l->p->s->leaders != NULL)
		leaders_forget(l->p->s->leaders, l->node);
}

static void on_in_read(struct bufferevent *bev, void *arg)
{
	struct in_link *l = arg;
	struct sup *s = l->p->s;
	for (int guard = 0; guard < 1000 && l->bev != NULL; guard++) {
		int rc = frame_pull(bufferevent_get_input(bev), PEER_FRAME_MAX, &l->rx);
		if (rc == 0)
			return;
		if (rc < 0) {
			in_close(l, "sent a bad frame", false, "bad frame");
			return;
		}
		l->got_frame = true;
		int type = peer_msg_type(l->rx.data, l->rx.len);
		if (type == PEER_GOODBYE) {
			int32_t node;
			char reason[PEER_REASON_MAX + 1], why[PEER_REASON_MAX + 33];
			if (peer_goodbye_decode(l->rx.data, l->rx.len, &node, reason,
						sizeof(reason)) != 0)
				snprintf(reason, sizeof(reason), "?");
			snprintf(why, sizeof(why), "was closed on purpose (%s)", reason);
			in_close(l, why, false, NULL);
			return;
		} else if (type == PEER_LEADERS) {
			int32_t node;
			bool draining;
			struct peer_claim *claims;
			int n;
			rc = peer_leaders_decode(l->rx.data, l->rx.len, &node, &draining, &claims,
						 &n);
			if (rc != 0 || node != l->node) {
				if (rc == 0)
					free(claims);
				log_warn("peer %d: undecodable LEADERS message ignored",
					 (int)l->node);
				continue;
			}
			if (leaders_replace(s->leaders, node, draining, claims, n,
					    spawn_now_ms()) != 0)
				log_warn("peer %d: out of memory storing its LEADERS table",
					 (int)l->node);
		} else if (type == PEER_WORKER_DIED) {
			struct peer_worker_died d;
			if (peer_worker_died_decode(l->rx.data, l->rx.len, &d) != 0 ||
			    d.node != l->node) {
				log_warn("peer %d: undecodable WORKER_DIED message ignored",
					 (int)l->node);
				continue;
			}
			failover_on_worker_died(s->failover, &d);
		} else {
			log_warn("peer %d: unknown message of %zu bytes ignored", (int)l->node,
				 l->rx.len);
		}
	}
}

/* Nothing from l->node for SILENCE_MS: it is stalled, or the network
 * between us is cut one way or both. Close its channel to us, saying
 * GOODBYE (it may still hear us): it redials, which gives a healed network
 * a fresh connection instead of one deep in TCP's retransmission backoff.
 * Our channel to it stays: its own silence check closes it the same way
 * when our tables stop reaching it, and TCP_USER_TIMEOUT (peer_socket.h)
 * ends it when our writes go unacknowledged; and a live peer that keeps
 * one channel open is, to the other side, visibly not a crashed one. */
static void in_silent(struct in_link *l)
{
	log_info("peer %d: nothing on its channel for %d ms; closing it", (int)l->node,
		 SILENCE_MS);
	in_close(l, "went silent", false, "went silent");
}

/* True when bytes wait in the kernel for fd: then a read timeout means we
 * were the slow one (a frozen or overloaded process, its loop late), not
 * the peer. */
static bool bytes_waiting(int fd)
{
	int n = 0;
	return fd >= 0 && ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static void on_in_event(struct bufferevent *bev, short what, void *arg)
{
	struct in_link *l = arg;
	int e = EVUTIL_SOCKET_ERROR();
	if ((what & BEV_EVENT_TIMEOUT) && bytes_waiting(bufferevent_getfd(bev))) {
		bufferevent_enable(bev, EV_READ); /* a timeout disabled reading */
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		in_silent(l);
	else if (what & BEV_EVENT_EOF)
		in_close(l, "closed", l->got_frame, NULL);
	else if (what & BEV_EVENT_ERROR)
		in_close(l, e == ECONNRESET ? "was reset" : "failed",
			 l->got_frame && closed_by_peer(what, e), NULL);
}

void peers_accept(struct peers *p, int fd, int32_t node)
{
	if (p == NULL) {
		close(fd);
		return;
	}
	struct in_link *l = NULL;
	for (int i = 0; i < p->n; i++)
		if (p->in[i].node == node)
			l = &p->in[i];
	if (l == NULL) {
		close(fd);
		return;
	}
	if (l->bev != NULL) {
		/* The peer reconnected before we saw the old channel close. */
		bufferevent_free(l->bev);
		l->bev = NULL;
	}
	buf_reset(&l->rx);
	l->got_frame = false;
	l->bev = bufferevent_socket_new(p->s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (l->bev == NULL) {
		close(fd);
		log_warn("peer %d: out of memory accepting its channel", (int)node);
		return;
	}
	bufferevent_setcb(l->bev, on_in_read, NULL, on_in_event, l);
	struct timeval tv = {SILENCE_MS / 1000, (SILENCE_MS % 1000) * 1000};
	bufferevent_set_timeouts(l->bev, &tv, NULL);
	bufferevent_enable(l->bev, EV_READ);
	failover_on_node_back(p->s->failover, node);
	log_debug("peer %d: accepted its channel", (int)node);
}

static void on_send(evutil_socket_t fd, short what, void *arg)
{
	struct peers *p = arg;
	p->send_pending = false;
	send_leaders(p, NULL);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct peers *p = arg;
	send_leaders(p, NULL);
}

void peers_local_changed(struct peers *p)
{
	if (p == NULL || p->send_pending)
		return;
	p->send_pending = true;
	event_active(p->send_ev, EV_TIMEOUT, 0);
}

void peers_worker_died(struct peers *p, const char *topic, int32_t partition, uint64_t term)
{
	if (p == NULL)
		return;
	struct peer_worker_died d = {
	    .node = p->s->cfg->node.id, .partition = partition, .term = term};
	snprintf(d.topic, sizeof(d.topic), "%s", topic);
	struct buf b;
	buf_init(&b);
	if (peer_worker_died_encode(&d, &b) == 0) {
		int sent = 0;
		for (int i = 0; i < p->n; i++) {
			sent += p->out[i].st == OUT_READY;
			send_frame(&p->out[i], &b, false);
		}
		log_info("worker %s/%d led term %llu when it died; told %d peer(s)", topic,
			 (int)partition, (unsigned long long)term, sent);
	}
	buf_free(&b);
}

bool peers_out_ready(const struct peers *p, int32_t node)
{
	for (int i = 0; p != NULL && i < p->n; i++)
		if (p->out[i].node == node)
			return p->out[i].st == OUT_READY;
	return false;
}

bool peers_in_open(const struct peers *p, int32_t node)
{
	for (int i = 0; p != NULL && i < p->n; i++)
		if (p->in[i].node == node)
			return p->in[i].bev != NULL;
	return false;
}

struct peers *peers_new(struct sup *s)
{
	struct peers *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->s = s;
	int n = s->cfg->n_peers;
	p->out = calloc((size_t)n + 1, sizeof(*p->out));
	p->in = calloc((size_t)n + 1, sizeof(*p->in));
	p->tick_ev = event_new(s->base, -1, EV_PERSIST, on_tick, p);
	p->send_ev = event_new(s->base, -1, 0, on_send, p);
	if (p->out == NULL || p->in == NULL || p->tick_ev == NULL || p->send_ev == NULL) {
		peers_free(p);
		return NULL;
	}
	struct hello h = {.from_node = s->cfg->node.id};
	snprintf(h.cluster, sizeof(h.cluster), "%s", s->cfg->cluster_name);
	h.group[0] = '\0';
	for (int i = 0; i < n; i++) {
		const struct config_peer *c = &s->cfg->peers[i];
		if (c->id == s->cfg->node.id)
			continue;
		struct out_link *o = &p->out[p->n];
		struct in_link *l = &p->in[p->n];
		o->p = p;
		o->node = c->id;
		o->addr = c->raft;
		o->st = OUT_DIALING;
		buf_init(&o->rx);
		l->p = p;
		l->node = c->id;
		buf_init(&l->rx);
		p->n++;
		/* Resolving a name needs this process's resolver; numeric
		 * addresses never create it. */
		if (p->dns == NULL && !dialer_host_is_numeric(c->raft.host)) {
			p->dns = dialer_dns_new(s->base);
			if (p->dns == NULL) {
				peers_free(p);
				return NULL;
			}
		}
		char name[32];
		snprintf(name, sizeof(name), "peer %d", (int)c->id);
		struct dialer_config dc = {.name = name,
					   .host = c->raft.host,
					   .port = c->raft.port,
					   .hello = &h,
					   .expect_node = c->id,
					   .handshake_ms = HANDSHAKE_MS,
					   .user_timeout_ms = s->cfg->raft.election_timeout_ms,
					   .fail_level = LOG_WARN};
		o->dialer = dialer_new(s->base, p->dns, &dc, on_dialled, on_dial_failed, o);
		if (o->dialer == NULL) {
			peers_free(p);
			return NULL;
		}
	}
	struct timeval tv = {TICK_MS / 1000, (TICK_MS % 1000) * 1000};
	event_add(p->tick_ev, &tv);
	for (int i = 0; i < p->n; i++)
		dialer_start(p->out[i].dialer);
	return p;
}

void peers_free(struct peers *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->n; i++) {
		struct out_link *o = &p->out[i];
		if (o->bev)
			bufferevent_free(o->bev);
		dialer_free(o->dialer);
		buf_free(&o->rx);
		if (p->in[i].bev)
			bufferevent_free(p->in[i].bev);
		buf_free(&p->in[i].rx);
	}
	/* After the dialers: a lookup they cancelled answers into it. */
	if (p->dns)
		evdns_base_free(p->dns, 0);
	if (p->tick_ev)
		event_free(p->tick_ev);
	if (p->send_ev)
		event_free(p->send_ev);
	free(p->out);
	free(p->in);
	free(p);
}
