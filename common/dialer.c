/* dialer.c - resolve, connect, hello, ack, backoff (dialer.h).
 *
 * One timer drives every step: in D_IDLE it starts the next attempt, in
 * D_RESOLVING it bounds the name lookup, in D_CONNECTING and D_HELLO it
 * bounds the handshake. evdns may answer a pending lookup after we stopped
 * caring (cancelled, or the dialer freed), so each lookup carries a small
 * token that outlives the dialer and is freed by the lookup's callback. */
#include "dialer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "frame.h"
#include "peer_socket.h"
#include "retry.h"

#define DIALER_ADDRS_MAX 8

enum dialer_state { D_IDLE, D_RESOLVING, D_CONNECTING, D_HELLO, D_HANDED };

struct lookup {
	struct dialer *d; /* NULL once the dialer stopped waiting for it */
};

struct dialer {
	struct event_base *base;
	struct evdns_base *dns;
	char name[64];
	char host[256];
	uint16_t port;
	struct hello hello;
	int32_t expect_node;
	int handshake_ms, resolve_ms, user_timeout_ms;
	enum log_level fail_level;
	dialer_connected_cb connected;
	dialer_failed_cb failed;
	void *ctx;

	enum dialer_state st;
	bool scheduled; /* in D_IDLE: the timer will start an attempt */
	struct event *timer;
	struct bufferevent *bev; /* D_CONNECTING, D_HELLO */
	struct lookup *lookup;	 /* D_RESOLVING */
	struct evdns_getaddrinfo_request *req;
	struct buf rx;
	/* The addresses of this attempt, tried in order: a name may resolve
	 * to several (localhost: ::1 and 127.0.0.1) and the peer listen on
	 * one only. */
	struct sockaddr_storage addrs[DIALER_ADDRS_MAX];
	socklen_t addr_lens[DIALER_ADDRS_MAX];
	int n_addrs, next_addr;
	int64_t connect_ms; /* D_CONNECTING: when the connect began (clock_mono_ms) */
	struct retry backoff;
	int last_delay_ms;
	char last_why[160]; /* the failure logged at fail_level; "" after a success */
};

static void arm(struct dialer *d, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_add(d->timer, &tv);
}

static void drop_attempt(struct dialer *d)
{
	if (d->bev != NULL) {
		bufferevent_free(d->bev);
		d->bev = NULL;
	}
	if (d->lookup != NULL) {
		/* The callback still comes (EVUTIL_EAI_CANCEL) and frees it. */
		d->lookup->d = NULL;
		d->lookup = NULL;
		evdns_getaddrinfo_cancel(d->req);
		d->req = NULL;
	}
	evtimer_del(d->timer);
	buf_reset(&d->rx);
}

static void schedule(struct dialer *d, int ms)
{
	d->st = D_IDLE;
	d->scheduled = true;
	d->last_delay_ms = ms;
	arm(d, ms);
}

/* Ends the attempt, logs, schedules the next and tells the owner (last:
 * the owner may free d). */
static void fail(struct dialer *d, enum dialer_failure kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct dialer *d, enum dialer_failure kind, const char *fmt, ...)
{
	char why[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	drop_attempt(d);
	int delay = retry_next(&d->backoff);
	schedule(d, delay);
	enum log_level level = strcmp(why, d->last_why) != 0 ? d->fail_level : LOG_DEBUG;
	log_write(level, "%s (%s:%u): %s; retrying in %d ms", d->name, d->host, (unsigned)d->port,
		  why, delay);
	snprintf(d->last_why, sizeof(d->last_why), "%s", why);
	if (d->failed != NULL)
		d->failed(d->ctx, kind, why);
}

static void succeed(struct dialer *d)
{
	struct bufferevent *bev = d->bev;
	d->bev = NULL;
	evtimer_del(d->timer);
	buf_reset(&d->rx);
	d->st = D_HANDED;
	d->scheduled = false;
	retry_reset(&d->backoff);
	d->last_why[0] = '\0';
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	d->connected(d->ctx, bev);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct dialer *d = arg;
	if (d->st != D_HELLO)
		return;
	int rc = frame_pull(bufferevent_get_input(bev), HELLO_FRAME_MAX, &d->rx);
	if (rc == 0)
		return;
	bool accepted = false;
	int32_t node = -1;
	char reason[128];
	if (rc < 0 || hello_reply_decode(d->rx.data, d->rx.len, &accepted, &node, reason,
					 sizeof(reason)) != 0) {
		fail(d, DIALER_PROTOCOL, "garbled answer to our hello");
		return;
	}
	if (!accepted) {
		fail(d, DIALER_REJECTED, "refused our hello: %s", reason);
		return;
	}
	if (node != d->expect_node) {
		fail(d, DIALER_PROTOCOL, "answered as node %d", (int)node);
		return;
	}
	succeed(d);
}

static void connect_next(struct dialer *d);

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct dialer *d = arg;
	if (what & BEV_EVENT_CONNECTED) {
		struct buf b;
		buf_init(&b);
		int rc = hello_encode(&d->hello, &b);
		if (rc == 0)
			rc = frame_push(bufferevent_get_output(bev), b.data, b.len);
		buf_free(&b);
		if (rc != 0) {
			fail(d, DIALER_NOMEM, "cannot send our hello: out of memory");
			return;
		}
		d->st = D_HELLO;
		return;
	}
	if (what & BEV_EVENT_EOF) {
		fail(d, DIALER_CLOSED, "closed before answering our hello");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int e = EVUTIL_SOCKET_ERROR();
		if (d->st == D_CONNECTING && d->next_addr < d->n_addrs) {
			log_debug("%s (%s:%u): cannot connect to address %d of %d: %s; trying the "
				  "next",
				  d->name, d->host, (unsigned)d->port, d->next_addr, d->n_addrs,
				  evutil_socket_error_to_string(e));
			bufferevent_free(d->bev);
			d->bev = NULL;
			connect_next(d);
			return;
		}
		fail(d, e == ECONNREFUSED ? DIALER_REFUSED : DIALER_CONNECT, "%s: %s",
		     d->st == D_CONNECTING ? "cannot connect" : "connection failed",
		     evutil_socket_error_to_string(e));
	}
}

/* Connects to the next address of d->addrs. */
static void connect_next(struct dialer *d)
{
	int i = d->next_addr++;
	const struct sockaddr *sa = (const struct sockaddr *)&d->addrs[i];
	int sa_len = (int)d->addr_lens[i];
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(d, DIALER_CONNECT, "cannot create a socket: %s", strerror(errno));
		return;
	}
	if (peer_socket_tune(fd, d->user_timeout_ms) != 0)
		log_debug("%s: some TCP options were refused", d->name);
	d->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (d->bev == NULL) {
		close(fd);
		fail(d, DIALER_NOMEM, "out of memory");
		return;
	}
	bufferevent_setcb(d->bev, on_read, NULL, on_event, d);
	bufferevent_enable(d->bev, EV_READ | EV_WRITE);
	d->st = D_CONNECTING;
	d->connect_ms = clock_mono_ms();
	arm(d, d->handshake_ms);
	/* Errors known at once come back here (no callback); a refusal
	 * found at once still arrives as an event. */
	if (bufferevent_socket_connect(d->bev, sa, sa_len) != 0)
		fail(d, DIALER_CONNECT, "cannot connect: %s", strerror(errno));
}

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct lookup *lk = arg;
	struct dialer *d = lk->d;
	free(lk);
	if (d == NULL) { /* cancelled or freed meanwhile */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	d->lookup = NULL;
	d->req = NULL;
	evtimer_del(d->timer);
	if (result != 0 || res == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		fail(d, DIALER_RESOLVE, "cannot resolve: %s",
		     result != 0 ? evutil_gai_strerror(result) : "no address");
		return;
	}
	d->n_addrs = d->next_addr = 0;
	for (struct evutil_addrinfo *a = res; a != NULL && d->n_addrs < DIALER_ADDRS_MAX;
	     a = a->ai_next) {
		if (a->ai_addrlen > sizeof(d->addrs[0]))
			continue;
		memcpy(&d->addrs[d->n_addrs], a->ai_addr, a->ai_addrlen);
		d->addr_lens[d->n_addrs++] = (socklen_t)a->ai_addrlen;
	}
	evutil_freeaddrinfo(res);
	if (d->n_addrs == 0) {
		fail(d, DIALER_RESOLVE, "cannot resolve: no usable address");
		return;
	}
	connect_next(d);
}

static void resolve(struct dialer *d)
{
	if (d->dns == NULL) {
		fail(d, DIALER_RESOLVE, "cannot resolve a name: no resolver");
		return;
	}
	struct lookup *lk = malloc(sizeof(*lk));
	if (lk == NULL) {
		fail(d, DIALER_NOMEM, "out of memory");
		return;
	}
	lk->d = d;
	d->lookup = lk;
	d->st = D_RESOLVING;
	arm(d, d->resolve_ms);
	char port[8];
	snprintf(port, sizeof(port), "%u", (unsigned)d->port);
	struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC,
					.ai_socktype = SOCK_STREAM,
					.ai_protocol = IPPROTO_TCP,
					.ai_flags = EVUTIL_AI_NUMERICSERV};
	/* An answer known at once (/etc/hosts) runs on_resolved before this
	 * returns NULL; then d->lookup is already cleared. */
	struct evdns_getaddrinfo_request *req =
	    evdns_getaddrinfo(d->dns, d->host, port, &hints, on_resolved, lk);
	if (d->lookup == lk)
		d->req = req;
}

static void attempt(struct dialer *d)
{
	d->scheduled = false;
	memset(&d->addrs[0], 0, sizeof(d->addrs[0]));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&d->addrs[0];
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&d->addrs[0];
	d->n_addrs = 1;
	d->next_addr = 0;
	if (inet_pton(AF_INET, d->host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(d->port);
		d->addr_lens[0] = sizeof(*v4);
		connect_next(d);
	} else if (inet_pton(AF_INET6, d->host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(d->port);
		d->addr_lens[0] = sizeof(*v6);
		connect_next(d);
	} else {
		d->n_addrs = 0;
		resolve(d);
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dialer *d = arg;
	switch (d->st) {
	case D_IDLE:
		if (d->scheduled)
			attempt(d);
		break;
	case D_RESOLVING:
		fail(d, DIALER_RESOLVE, "name resolution took over %d ms", d->resolve_ms);
		break;
	case D_CONNECTING:
		fail(d, DIALER_TIMEOUT, "no connection within %d ms", d->handshake_ms);
		break;
	case D_HELLO:
		fail(d, DIALER_TIMEOUT, "no answer to our hello within %d ms", d->handshake_ms);
		break;
	case D_HANDED:
		break;
	}
}

static uint64_t default_seed(const void *p)
{
	uint64_t ns = (uint64_t)clock_mono_ns();
	return ns ^ (ns << 30) ^ ((uint64_t)getpid() << 44) ^ (uint64_t)(uintptr_t)p;
}

struct dialer *dialer_new(struct event_base *base, struct evdns_base *dns,
			  const struct dialer_config *c, dialer_connected_cb connected,
			  dialer_failed_cb failed, void *ctx)
{
	if (strlen(c->host) >= sizeof(((struct dialer *)0)->host))
		return NULL;
	struct dialer *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->base = base;
	d->dns = dns;
	snprintf(d->name, sizeof(d->name), "%s", c->name != NULL ? c->name : "peer");
	snprintf(d->host, sizeof(d->host), "%s", c->host);
	d->port = c->port;
	d->hello = *c->hello;
	d->expect_node = c->expect_node;
	d->handshake_ms = c->handshake_ms > 0 ? c->handshake_ms : DIALER_HANDSHAKE_MS;
	d->resolve_ms = c->resolve_ms > 0 ? c->resolve_ms : DIALER_RESOLVE_MS;
	d->user_timeout_ms = c->user_timeout_ms;
	d->fail_level = c->fail_level != LOG_ERROR ? c->fail_level : LOG_INFO;
	d->connected = connected;
	d->failed = failed;
	d->ctx = ctx;
	d->st = D_IDLE;
	buf_init(&d->rx);
	retry_init(&d->backoff, c->backoff_min_ms > 0 ? c->backoff_min_ms : DIALER_BACKOFF_MIN_MS,
		   c->backoff_max_ms > 0 ? c->backoff_max_ms : DIALER_BACKOFF_MAX_MS,
		   c->seed != 0 ? c->seed : default_seed(d));
	d->timer = evtimer_new(base, on_timer, d);
	if (d->timer == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void dialer_free(struct dialer *d)
{
	if (d == NULL)
		return;
	drop_attempt(d);
	event_free(d->timer);
	buf_free(&d->rx);
	free(d);
}

void dialer_start(struct dialer *d)
{
	if (d->st == D_IDLE && d->scheduled) {
		schedule(d, 0); /* sooner than the pending retry */
		return;
	}
	if (d->st == D_IDLE || d->st == D_HANDED)
		schedule(d, 0);
}

void dialer_redial(struct dialer *d)
{
	if (d->st != D_IDLE && d->st != D_HANDED)
		return; /* an attempt is already underway */
	if (d->st == D_IDLE && d->scheduled)
		return;
	schedule(d, retry_next(&d->backoff));
}

void dialer_hurry(struct dialer *d)
{
	if (d->st == D_IDLE && d->scheduled) {
		retry_reset(&d->backoff);
		schedule(d, 0);
		return;
	}
	if (d->st == D_CONNECTING && clock_mono_ms() - d->connect_ms >= DIALER_HURRY_STALE_MS) {
		log_debug("%s (%s:%u): the peer reached us; connecting again", d->name, d->host,
			  (unsigned)d->port);
		drop_attempt(d);
		retry_reset(&d->backoff);
		schedule(d, 0);
	}
}

bool dialer_busy(const struct dialer *d)
{
	return d->st != D_HANDED && (d->st != D_IDLE || d->scheduled);
}

int dialer_last_delay_ms(const struct dialer *d) { return d->last_delay_ms; }

bool dialer_host_is_numeric(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

struct evdns_base *dialer_dns_new(struct event_base *base)
{
	return evdns_base_new(base,
			      EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
}
