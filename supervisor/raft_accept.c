/* raft_accept.c - the raft_listen listener and the hello of each accepted
 * connection. Reads are raw recv() calls for exactly the bytes of one frame
 * (4-byte length, then the payload): a buffered reader could swallow bytes
 * that belong to the worker the socket is handed to. Every accepted socket
 * gets the TCP keepalive and user timeout of common/peer_socket.h. */
#include "raft_accept.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fdpass.h"
#include "common/hello.h"
#include "common/log.h"
#include "common/peer_socket.h"
#include "supervisor/listen.h"
#include "supervisor/peers.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

struct pending {
	struct raft_accept *a;
	int fd;
	struct event *ev;
	uint8_t data[4 + HELLO_FRAME_MAX];
	size_t got;  /* bytes read so far */
	size_t need; /* 4 until the length is known, then 4 + length */
	char from[64];
	int64_t deadline_ms; /* the timeout below restarts on every read; this does not */
	struct pending *prev, *next;
};

struct raft_accept {
	struct sup *s;
	struct evconnlistener *l;
	struct pending *head;
	int n_pending;
};

static void pending_free(struct pending *p)
{
	struct raft_accept *a = p->a;
	if (p->prev)
		p->prev->next = p->next;
	else
		a->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	a->n_pending--;
	if (p->ev)
		event_free(p->ev);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/* Best effort: the frame is tiny and the socket buffer empty. */
static void send_frame(int fd, const struct buf *b)
{
	uint8_t hdr[4];
	be32_store(hdr, (uint32_t)b->len);
	struct iovec iov[2] = {{hdr, 4}, {b->data, b->len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
}

static void reject(struct pending *p, const char *reason)
{
	struct buf b;
	buf_init(&b);
	if (hello_reject_encode(reason, &b) == 0)
		send_frame(p->fd, &b);
	buf_free(&b);
}

const char *raft_accept_check(struct sup *s, const struct hello *h)
{
	const struct config *c = s->cfg;
	if (strcmp(h->cluster, c->cluster_name) != 0)
		return "wrong cluster";
	if (h->from_node == c->node.id || config_peer_find(c, h->from_node) == NULL)
		return "unknown node";
	if (h->group[0] == '\0')
		return NULL;
	char topic[CONFIG_TOPIC_NAME_MAX + 1];
	int32_t partition;
	if (hello_group_parse(h->group, topic, sizeof(topic), &partition) != 0)
		return "group not hosted here";
	struct worker *w = workers_find(s->workers, topic, strlen(topic), partition);
	if (w == NULL)
		return "group not hosted here";
	if (w->pid == 0 || w->conn_fd < 0)
		return "worker restarting";
	return NULL;
}

static void dispatch(struct pending *p)
{
	struct raft_accept *a = p->a;
	struct sup *s = a->s;
	struct hello h;
	if (hello_decode(p->data + 4, p->need - 4, &h) != 0) {
		log_warn("raft: garbled hello from %s; closing", p->from);
		reject(p, "garbled hello");
		pending_free(p);
		return;
	}
	const char *why = raft_accept_check(s, &h);
	if (why != NULL) {
		/* A restarting worker is routine; anything else is a
		 * misconfiguration someone should see. */
		if (strcmp(why, "worker restarting") == 0)
			log_debug("raft: hello from node %d for %s refused: %s", (int)h.from_node,
				  h.group, why);
		else
			log_warn("raft: hello from %s (node %d, cluster '%s', group '%s') refused: "
				 "%s",
				 p->from, (int)h.from_node, h.cluster, h.group, why);
		reject(p, why);
		pending_free(p);
		return;
	}
	if (h.group[0] == '\0') {
		struct buf b;
		buf_init(&b);
		if (hello_ack_encode(s->cfg->node.id, &b) == 0)
			send_frame(p->fd, &b);
		buf_free(&b);
		int fd = p->fd;
		p->fd = -1;
		pending_free(p);
		peers_accept(s->peers, fd, h.from_node);
		return;
	}
	char topic[CONFIG_TOPIC_NAME_MAX + 1];
	int32_t partition;
	hello_group_parse(h.group, topic, sizeof(topic), &partition);
	struct worker *w = workers_find(s->workers, topic, strlen(topic), partition);
	int rc = fdpass_send(w->conn_fd, p->fd, h.from_node);
	if (rc != 0) {
		log_debug("raft: cannot hand node %d's connection to worker %s: %s",
			  (int)h.from_node, h.group, err_str(rc));
		reject(p, rc == ERR_AGAIN ? "worker busy" : "worker restarting");
	}
	pending_free(p); /* our copy; the worker has its own */
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	if ((what & EV_TIMEOUT) || spawn_now_ms() > p->deadline_ms) {
		log_warn("raft: no hello from %s within %d ms; closing", p->from,
			 RAFT_ACCEPT_HELLO_TIMEOUT_MS);
		pending_free(p);
		return;
	}
	for (int guard = 0; guard < 4; guard++) {
		ssize_t n = recv(fd, p->data + p->got, p->need - p->got, 0);
		if (n == 0) {
			log_debug("raft: %s closed before its hello", p->from);
			pending_free(p);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			log_debug("raft: reading the hello of %s: %s", p->from, strerror(errno));
			pending_free(p);
			return;
		}
		p->got += (size_t)n;
		if (p->got < p->need)
			continue;
		if (p->need == 4) {
			uint32_t len = be32_load(p->data);
			if (len == 0 || len > HELLO_FRAME_MAX) {
				log_warn("raft: %s announced a %u-byte hello; closing", p->from,
					 (unsigned)len);
				pending_free(p);
				return;
			}
			p->need = 4 + len;
			continue;
		}
		dispatch(p);
		return;
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	struct raft_accept *a = arg;
	if (a->n_pending >= RAFT_ACCEPT_MAX_PENDING) {
		log_warn("raft: %d connections already waiting for their hello; closing a new one",
			 a->n_pending);
		close(fd);
		return;
	}
	struct pending *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		close(fd);
		return;
	}
	/* Before the hand-over: the options stay with the socket, so the
	 * worker that gets it has them too (peer_socket.h). */
	if (peer_socket_tune(fd, a->s->cfg->raft.election_timeout_ms) != 0)
		log_debug("raft: some TCP options were refused on an accepted connection");
	p->a = a;
	p->fd = fd;
	p->need = 4;
	p->deadline_ms = spawn_now_ms() + RAFT_ACCEPT_HELLO_TIMEOUT_MS;
	if (getnameinfo(sa, (socklen_t)socklen, p->from, sizeof(p->from), NULL, 0,
			NI_NUMERICHOST) != 0)
		snprintf(p->from, sizeof(p->from), "?");
	p->next = a->head;
	if (a->head)
		a->head->prev = p;
	a->head = p;
	a->n_pending++;
	p->ev = event_new(a->s->base, fd, EV_READ | EV_PERSIST, on_readable, p);
	struct timeval tv = {RAFT_ACCEPT_HELLO_TIMEOUT_MS / 1000,
			     (RAFT_ACCEPT_HELLO_TIMEOUT_MS % 1000) * 1000};
	if (p->ev == NULL || event_add(p->ev, &tv) != 0)
		pending_free(p);
}

struct raft_accept *raft_accept_start(struct sup *s)
{
	char why[512];
	int fd = listen_bind(&s->cfg->node.raft_listen, why, sizeof(why));
	if (fd < 0) {
		log_error("raft: %s", why);
		return NULL;
	}
	struct raft_accept *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		close(fd);
		log_error("raft: out of memory");
		return NULL;
	}
	a->s = s;
	a->l = evconnlistener_new(s->base, on_accept, a,
				  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (a->l == NULL) {
		close(fd);
		free(a);
		log_error("raft: cannot start the listener");
		return NULL;
	}
	return a;
}

void raft_accept_free(struct raft_accept *a)
{
	if (a == NULL)
		return;
	while (a->head != NULL)
		pending_free(a->head);
	evconnlistener_free(a->l);
	free(a);
}
