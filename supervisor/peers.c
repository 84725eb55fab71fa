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
 * the peer redials it. A channel accepted from a peer hurries our dial to
 * it (dialer_hurry): the network between us works again. */
#include "peers.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "supervisor/balance.h"
#include "supervisor/failover.h"
#include "supervisor/leaders.h"
#include "supervisor/liveness.h"
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
/* Tables sent because a local worker changed go at most this often: when
 * a thousand workers start or fail over, each change would otherwise send
 * the whole table (a claim per worker) to every peer, which decodes it:
 * quadratic work that starved the front end for seconds. */
#define CHANGED_PACE_MS 100

enum out_state { OUT_DIALING, OUT_READY };

struct out_link {
	struct peers *p;
	int32_t node;
	struct config_addr addr;
	enum out_state st;
	struct dialer *dialer;
	struct bufferevent *bev; /* OUT_READY */
	struct buf rx;		 /* a frame the accepting side sent (GOODBYE) */
	bool quiet;		 /* a failure was logged: say so when it connects again */
	bool goodbye;		 /* the peer sent GOODBYE on this connection */
};

struct in_link {
	struct peers *p;
	int32_t node;
	struct bufferevent *bev;
	struct buf rx;
	bool goodbye; /* the peer sent GOODBYE on this connection */
	/* A frame arrived on this channel. The peer sends LEADERS as soon as
	 * it reads our ack, so a channel that ends before any frame was one
	 * its dialer had already given up on (a handshake that timed out while
	 * we were stalled), not evidence of a crash. */
	bool got_frame;
	/* Our workers were told this node is dead (liveness.h); its next
	 * LEADERS table tells them it is back. */
	bool told_dead;
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
	int64_t sent_ms; /* when the last whole table went to every peer */
};

/* An established channel ended because the peer's socket was closed (EOF)
 * or reset: its process is gone, as opposed to a network that went
 * silent (timeouts, or errors such as ETIMEDOUT and EHOSTUNREACH). */
static bool closed_by_peer(short what, int err)
{
	if (what & BEV_EVENT_EOF)
		return true;
	return (what & BEV_EVENT_ERROR) && (err == ECONNRESET || err == EPIPE);
}

/* The socket of bev is still an established TCP connection: its peer has
 * neither closed nor reset it, as far as this kernel knows. When that
 * cannot be read, true (unsure counts as alive: no forced failover). */
static bool established(struct bufferevent *bev)
{
	if (bev == NULL || bufferevent_getfd(bev) < 0)
		return false;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return true;
	return ti.tcpi_state == TCP_ESTABLISHED;
}

static struct out_link *out_of(struct peers *p, int32_t node);
static struct in_link *in_of(struct peers *p, int32_t node);
/* Node liveness for the local workers (liveness.h), once per change. */
static void tell_dead(struct peers *p, int32_t node, bool crashed);

/* Whether the end of one of node's channels is evidence that node's
 * process is gone, so that the groups it led may fail over at once
 * (failover.h). Only a crash is a crash:
 * - the channel was closed (EOF) or reset by the peer (closed_by_peer),
 * - and the peer did not say GOODBYE on it first (a live peer closing a
 *   channel it judged silent or stalled does, and then lives on),
 * - and node's channel in the other direction is not still established:
 *   a crashed process's kernel closes all of its sockets at once, while a
 *   peer that closed one channel on purpose keeps the other.
 * Anything else (timeouts, unreachable, a goodbye) waits for the election
 * timeout with pre-vote. */
static bool crash_evidence(struct peers *p, int32_t node, bool by_peer, bool goodbye, bool outbound)
{
	if (!by_peer || goodbye)
		return false;
	if (outbound) {
		struct in_link *l = in_of(p, node);
		return l == NULL || !established(l->bev);
	}
	struct out_link *o = out_of(p, node);
	return o == NULL || o->st != OUT_READY || !established(o->bev);
}

/* Tells the peer on bev that this end closes the channel on purpose
 * (GOODBYE), so that it does not take the EOF for a crash. Best effort and
 * never blocking: written straight to the socket, and only when nothing
 * else is queued (a frame half-written by the bufferevent would otherwise
 * be interleaved). Call just before freeing bev. */
static void say_goodbye(struct peers *p, struct bufferevent *bev, const char *why)
{
	if (bev == NULL || bufferevent_getfd(bev) < 0 ||
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	struct buf b, f;
	buf_init(&b);
	buf_init(&f);
	if (peer_goodbye_encode(p->s->cfg->node.id, why, &b) == 0) {
		buf_put_u32(&f, (uint32_t)b.len);
		buf_put(&f, b.data, b.len);
		if (!f.oom)
			(void)send(bufferevent_getfd(bev), f.data, f.len,
				   MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	buf_free(&b);
	buf_free(&f);
}

/* Our channel to o->node is gone: redial it after the dialer's backoff.
 * The first failure after a success is logged at warn, the rest at debug
 * (the dialer logs its own failures the same way). */
static void out_close(struct out_link *o, const char *why, bool warn)
{
	if (o->bev != NULL) {
		bufferevent_free(o->bev);
		o->bev = NULL;
	}
	char a[CONFIG_HOST_MAX + 16];
	if (why != NULL) {
		if (warn && !o->quiet)
			log_warn("peer %d (%s): %s; redialling", (int)o->node,
				 config_addr_str(&o->addr, a, sizeof(a)), why);
		else
			log_debug("peer %d (%s): %s", (int)o->node,
				  config_addr_str(&o->addr, a, sizeof(a)), why);
		o->quiet = true;
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
		/* A learner's claim (the __controller replica of a node beyond
		 * its voters) helps no peer: failover, balancing and routing
		 * read the voters' claims. Left out: LEADERS carries roles 0-2
		 * only, and a peer refuses a whole table with any other. */
		if (w->state != WORKER_SERVING || !w->status_this_run ||
		    w->status.role == IPC_ROLE_LEARNER)
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
	if (only == NULL)
		p->sent_ms = spawn_now_ms();
}

/* After the ack the accepting side sends only GOODBYE, just before it
 * closes; anything else is skipped. */
static void out_read_ready(struct out_link *o, struct bufferevent *bev)
{
	for (int guard = 0; guard < 1000; guard++) {
		if (frame_pull(bufferevent_get_input(bev), PEER_FRAME_MAX, &o->rx) <= 0)
			return;
		int32_t node;
		char why[PEER_REASON_MAX + 1];
		if (peer_msg_type(o->rx.data, o->rx.len) == PEER_GOODBYE &&
		    peer_goodbye_decode(o->rx.data, o->rx.len, &node, why, sizeof(why)) == 0 &&
		    node == o->node) {
			o->goodbye = true;
			log_info("peer %d: closes our channel on purpose (%s)", (int)o->node, why);
		}
	}
}

static void on_out_event(struct bufferevent *bev, short what, void *arg);

static void on_out_read(struct bufferevent *bev, void *arg)
{
	struct out_link *o = arg;
	if (o->st == OUT_READY)
		out_read_ready(o, bev);
}

static void on_dialled(void *ctx, struct bufferevent *bev)
{
	struct out_link *o = ctx;
	o->bev = bev;
	o->st = OUT_READY;
	o->goodbye = false;
	buf_reset(&o->rx);
	bufferevent_setcb(bev, on_out_read, NULL, on_out_event, o);
	/* Only a stuck write counts as a failure here; silence is judged on
	 * the peer's channel to us. */
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
		out_read_ready(o, bev);
}

static void on_dial_failed(void *ctx, enum dialer_failure kind, const char *why)
{
	struct out_link *o = ctx;
	o->quiet = true; /* the dialer logged it */
}

static void on_out_event(struct bufferevent *bev, short what, void *arg)
{
	struct out_link *o = arg;
	if (what & BEV_EVENT_TIMEOUT) {
		if (o->st == OUT_READY)
			say_goodbye(o->p, o->bev, "writes stalled");
		out_close(o, "writes stalled", true);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		char why[160];
		int e = EVUTIL_SOCKET_ERROR();
		if (what & BEV_EVENT_EOF)
			out_read_ready(o, bev); /* a GOODBYE may precede the EOF */
		if (o->st == OUT_READY &&
		    crash_evidence(o->p, o->node, closed_by_peer(what, e), o->goodbye, true)) {
			failover_on_node_lost(o->p->s->failover, o->node);
			tell_dead(o->p, o->node, true);
			/* A table in_close kept for this moment goes now. */
			struct in_link *l = in_of(o->p, o->node);
			if (l != NULL && l->bev == NULL && o->p->s->leaders != NULL)
				leaders_forget(o->p->s->leaders, o->node);
		}
		if (what & BEV_EVENT_EOF)
			snprintf(why, sizeof(why), "connection closed");
		else
			snprintf(why, sizeof(why), "connection failed: %s",
				 evutil_socket_error_to_string(e));
		out_close(o, why, true);
	}
}

/* crashed: crash_evidence() said the peer's process is gone, so the
 * groups it led fail over now, while its table still says which. chosen:
 * this side closes on purpose and says GOODBYE first. keep: the peer
 * closed it without a GOODBYE while our channel to it still looked
 * established; a killed node's kernel closes both at once, and the end of
 * ours may simply not have reached us yet. Its table is then kept (it goes
 * stale by itself) so that the end of ours, if it comes, still knows which
 * groups the node led (on_out_event). */
static void in_close(struct in_link *l, const char *why, bool crashed, bool chosen, bool keep)
{
	if (l->bev == NULL)
		return;
	if (chosen)
		say_goodbye(l->p, l->bev, why);
	bufferevent_free(l->bev);
	l->bev = NULL;
	buf_reset(&l->rx);
	log_info("peer %d: its channel to us %s; %s", (int)l->node, why,
		 keep ? "keeping its replicas until our channel to it ends or they go stale"
		      : "forgetting its replicas");
	if (crashed) {
		failover_on_node_lost(l->p->s->failover, l->node);
		tell_dead(l->p, l->node, true);
	}
	if (l->p->s->leaders != NULL && !keep)
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
			in_close(l, "sent a bad frame", false, true, false);
			return;
		}
		l->got_frame = true;
		int type = peer_msg_type(l->rx.data, l->rx.len);
		if (type == PEER_LEADERS) {
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
			if (l->told_dead) {
				l->told_dead = false;
				liveness_tell_workers(s, node, true, false);
			}
		} else if (type == PEER_GOODBYE) {
			int32_t node;
			char why[PEER_REASON_MAX + 1];
			if (peer_goodbye_decode(l->rx.data, l->rx.len, &node, why, sizeof(why)) ==
				0 &&
			    node == l->node) {
				l->goodbye = true;
				log_info("peer %d: closes its channel to us on purpose (%s)",
					 (int)l->node, why);
			}
		} else if (type == PEER_ELECT) {
			struct peer_elect e;
			if (peer_elect_decode(l->rx.data, l->rx.len, &e) != 0 ||
			    e.node != l->node) {
				log_warn("peer %d: undecodable ELECT message ignored",
					 (int)l->node);
				continue;
			}
			int rc = balance_transfer_to(s, e.topic, e.partition, e.target);
			if (rc != 0)
				log_info("peer %d asks %s/%d to move to node %d: %s", (int)l->node,
					 e.topic, (int)e.partition, (int)e.target, err_str(rc));
		} else if (type == PEER_WORKER_DIED) {
			struct peer_worker_died d;
			if (peer_worker_died_decode(l->rx.data, l->rx.len, &d) != 0 ||
			    d.node != l->node) {
				log_warn("peer %d: undecodable WORKER_DIED message ignored",
					 (int)l->node);
				continue;
			}
			failover_on_worker_died(s->failover, &d);
		} else if (type == PEER_LEADER_SILENT) {
			struct peer_worker_died d;
			if (peer_leader_silent_decode(l->rx.data, l->rx.len, &d) != 0 ||
			    d.node != l->node) {
				log_warn("peer %d: undecodable LEADER_SILENT message ignored",
					 (int)l->node);
				continue;
			}
			failover_on_leader_silent(s->failover, &d);
		} else if (type >= PEER_CTL_PROPOSE && type <= PEER_CATALOG) {
			sup_notify_ctl_peer(s, l->node, type, l->rx.data, l->rx.len);
		} else {
			log_warn("peer %d: unknown message of %zu bytes ignored", (int)l->node,
				 l->rx.len);
		}
	}
}

/* True when bytes wait in the kernel for fd: then a read timeout means we
 * were the slow one (a frozen or overloaded process, its loop late), not
 * the peer. */
static bool bytes_waiting(int fd)
{
	int n = 0;
	return fd >= 0 && ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/* Nothing from l->node for SILENCE_MS: it is stalled, or the network
 * between us is cut one way or both. Close its channel to us, saying
 * GOODBYE (it may still hear us): it redials, which gives a healed network
 * a fresh connection instead of one deep in TCP's retransmission backoff.
 * Our channel to it stays: its own silence check closes it the same way
 * when our tables stop reaching it, and TCP_USER_TIMEOUT (peer_socket.h)
 * ends it when our writes go unacknowledged; and a live peer that keeps
 * one channel open is, to the other side, visibly not a crashed one
 * (crash_evidence). */
static void in_silent(struct in_link *l)
{
	log_info("peer %d: nothing on its channel for %d ms; closing it", (int)l->node, SILENCE_MS);
	int32_t node = l->node;
	struct peers *p = l->p;
	in_close(l, "went silent", false, true, false);
	tell_dead(p, node, false);
}

static void tell_dead(struct peers *p, int32_t node, bool crashed)
{
	struct in_link *l = in_of(p, node);
	if (l == NULL || l->told_dead || p->s->stopping)
		return;
	l->told_dead = true;
	liveness_tell_workers(p->s, node, false, crashed);
}

static void on_in_event(struct bufferevent *bev, short what, void *arg)
{
	struct in_link *l = arg;
	int e = EVUTIL_SOCKET_ERROR();
	if ((what & BEV_EVENT_TIMEOUT) && bytes_waiting(bufferevent_getfd(bev))) {
		bufferevent_enable(bev, EV_READ); /* a timeout disabled reading */
		return;
	}
	if (what & BEV_EVENT_EOF)
		on_in_read(bev, l); /* a GOODBYE may precede the EOF */
	if (l->bev == NULL)
		return;
	bool by_peer = closed_by_peer(what, e);
	bool crashed = l->got_frame && crash_evidence(l->p, l->node, by_peer, l->goodbye, false);
	bool keep = l->got_frame && by_peer && !l->goodbye && !crashed;
	if (what & BEV_EVENT_TIMEOUT)
		in_silent(l);
	else if (what & BEV_EVENT_EOF)
		in_close(l, l->goodbye ? "was closed on purpose" : "closed", crashed, false, keep);
	else if (what & BEV_EVENT_ERROR)
		in_close(l, e == ECONNRESET ? "was reset" : "failed", crashed, false, keep);
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
	l->goodbye = false;
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
	/* It reaches us, so the network to it works (a cut healed, say): our
	 * own channel to it need not wait out its backoff or a lost SYN. */
	for (int i = 0; i < p->n; i++)
		if (p->out[i].node == node && p->out[i].st == OUT_DIALING)
			dialer_hurry(p->out[i].dialer);
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
	int64_t wait = p->sent_ms + CHANGED_PACE_MS - spawn_now_ms();
	if (wait <= 0) {
		event_active(p->send_ev, EV_TIMEOUT, 0);
		return;
	}
	struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)((wait % 1000) * 1000)};
	event_add(p->send_ev, &tv);
}

static void obs_local_changed(void *arg) { peers_local_changed(arg); }

static void obs_leader_died(void *arg, const char *topic, int32_t partition, uint64_t term)
{
	peers_worker_died(arg, topic, partition, term);
}

/* Our worker leading (topic, partition) went silent: tell every peer, whose
 * followers of that group probe it (failover_on_leader_silent). */
static void obs_leader_silent(void *arg, const char *topic, int32_t partition, uint64_t term)
{
	struct peers *p = arg;
	struct peer_worker_died d = {
	    .node = p->s->cfg->node.id, .partition = partition, .term = term};
	snprintf(d.topic, sizeof(d.topic), "%s", topic);
	struct buf b;
	buf_init(&b);
	if (peer_leader_silent_encode(&d, &b) == 0) {
		for (int i = 0; i < p->n; i++)
			send_frame(&p->out[i], &b, false);
		log_warn("worker %s/%d leads term %llu but has sent nothing for a while; told the "
			 "peers, whose followers will probe it",
			 topic, (int)partition, (unsigned long long)term);
	}
	buf_free(&b);
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
		log_info("worker %s/%d led term %llu until it died or resigned; told %d peer(s)",
			 topic, (int)partition, (unsigned long long)term, sent);
	}
	buf_free(&b);
}

static struct out_link *out_of(struct peers *p, int32_t node)
{
	for (int i = 0; i < p->n; i++)
		if (p->out[i].node == node)
			return &p->out[i];
	return NULL;
}

int peers_send_elect(struct peers *p, int32_t to, const char *topic, int32_t partition,
		     int32_t target)
{
	struct out_link *o = p != NULL ? out_of(p, to) : NULL;
	if (o == NULL || o->st != OUT_READY)
		return ERR_NOTFOUND;
	struct peer_elect e = {
	    .node = p->s->cfg->node.id, .partition = partition, .target = target};
	snprintf(e.topic, sizeof(e.topic), "%s", topic);
	struct buf b;
	buf_init(&b);
	int rc = peer_elect_encode(&e, &b);
	if (rc == 0)
		send_frame(o, &b, false);
	buf_free(&b);
	return rc;
}

static struct in_link *in_of(struct peers *p, int32_t node)
{
	for (int i = 0; i < p->n; i++)
		if (p->in[i].node == node)
			return &p->in[i];
	return NULL;
}

void peers_close_in(struct peers *p, int32_t node, const char *why, bool goodbye)
{
	struct in_link *l = p ? in_of(p, node) : NULL;
	if (l == NULL || l->bev == NULL)
		return;
	in_close(l, why, false, goodbye, false);
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
	s->obs = (struct sup_observer){p, obs_local_changed, obs_leader_died, obs_leader_silent};
	for (int i = 0; i < p->n; i++)
		dialer_start(p->out[i].dialer);
	return p;
}

void peers_free(struct peers *p)
{
	if (p == NULL)
		return;
	if (p->s->obs.arg == p)
		p->s->obs = (struct sup_observer){0};
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

int peers_send_to(struct peers *p, int32_t node, const struct buf *b)
{
	if (p == NULL)
		return ERR_NOTLEADER;
	struct out_link *o = out_of(p, node);
	if (o == NULL || o->st != OUT_READY || o->bev == NULL)
		return ERR_NOTLEADER;
	send_frame(o, b, false);
	return 0;
}
