/* dialer.h - one outbound connection to a peer node's raft_listen: resolve
 * the name, connect, send the hello (hello.h), wait for the ack, and retry
 * with backoff. The supervisor channels (supervisor/peers.c) and the
 * worker's Raft transport (worker/transport.c) each keep one dialer per
 * peer.
 *
 * Nothing here blocks the event loop: a numeric address is used as it is;
 * a name is resolved with libevent's evdns on the caller's evdns_base (one
 * per process, dialer_dns_new), at every attempt, since a name in
 * [cluster] may move. A name's addresses are tried in order within one
 * attempt when a connect fails (localhost may be ::1 and 127.0.0.1, and the
 * peer listen on one). The whole attempt after resolution (TCP connect,
 * hello, ack) must finish within handshake_ms, per address tried. Retries wait retry.h's
 * jittered delays (by default 100 ms doubling to 2 s); an ack resets them.
 *
 * Callbacks never run inside a dialer_* call: every step runs from the
 * event loop. The first failure of a kind is logged at fail_level and
 * repeats of it at debug, so a peer that stays down does not flood the log;
 * every log line names the peer and says when the next attempt is. */
#ifndef FJORD_DIALER_H
#define FJORD_DIALER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hello.h"
#include "common/log.h"

struct bufferevent;
struct event_base;
struct evdns_base;
struct dialer;

#define DIALER_HANDSHAKE_MS 5000
#define DIALER_RESOLVE_MS 5000
#define DIALER_BACKOFF_MIN_MS 100
#define DIALER_BACKOFF_MAX_MS 2000
#define DIALER_HURRY_STALE_MS 200

/* Why an attempt failed. DIALER_REFUSED is the only one that proves the
 * peer's host is up with nothing listening on the port. */
enum dialer_failure {
	DIALER_RESOLVE = 1, /* the name did not resolve (or no resolver, or too slow) */
	DIALER_REFUSED,	    /* ECONNREFUSED */
	DIALER_CONNECT,	    /* any other socket or connect error */
	DIALER_TIMEOUT,	    /* no ack within handshake_ms */
	DIALER_REJECTED,    /* the peer answered with a hello-reject */
	DIALER_PROTOCOL,    /* a garbled answer, or an ack from another node */
	DIALER_CLOSED,	    /* closed before answering */
	DIALER_NOMEM,
};

struct dialer_config {
	const char *name; /* for log lines, e.g. "peer 2"; copied */
	const char *host; /* a name or numeric address (IPv6 without []); copied */
	uint16_t port;
	const struct hello *hello; /* sent once connected; copied */
	int32_t expect_node;	   /* the ack must name this node */
	int handshake_ms;	   /* 0 = DIALER_HANDSHAKE_MS */
	int resolve_ms;		   /* 0 = DIALER_RESOLVE_MS */
	int backoff_min_ms;	   /* 0 = DIALER_BACKOFF_MIN_MS */
	int backoff_max_ms;	   /* 0 = DIALER_BACKOFF_MAX_MS */
	int user_timeout_ms;	   /* TCP_USER_TIMEOUT (peer_socket.h); 0 = kernel default */
	enum log_level fail_level; /* first failure of a kind; LOG_ERROR (0) is taken as LOG_INFO */
	uint64_t seed;		   /* backoff jitter; 0 = from the clock and the pid */
};

/* The hello was acknowledged. bev is the connection; ownership passes to
 * the callee, with no callbacks set and reading and writing enabled. Bytes
 * that followed the ack are still in its input buffer. */
typedef void (*dialer_connected_cb)(void *ctx, struct bufferevent *bev);

/* An attempt failed (already logged); the next one is scheduled. why is
 * borrowed for the call. May be NULL in dialer_new. */
typedef void (*dialer_failed_cb)(void *ctx, enum dialer_failure kind, const char *why);

/* A new idle dialer; dialer_start begins. base is borrowed; dns is
 * borrowed and may be NULL when c->host is numeric (a name then fails
 * with DIALER_RESOLVE at every attempt). Returns NULL when out of memory
 * or when c->host is too long. The callbacks may free the dialer. */
struct dialer *dialer_new(struct event_base *base, struct evdns_base *dns,
			  const struct dialer_config *c, dialer_connected_cb connected,
			  dialer_failed_cb failed, void *ctx);

/* Cancels any attempt (closing its socket and any pending resolution) and
 * frees d. NULL is ignored. */
void dialer_free(struct dialer *d);

/* Attempts now, unless an attempt or a retry is already underway. */
void dialer_start(struct dialer *d);

/* The connection handed over by the last connected callback is gone:
 * attempt again after the next backoff delay. */
void dialer_redial(struct dialer *d);

/* The peer just reached us (it connected to us): the network to it works.
 * A retry waiting out its backoff starts now, and a connect still
 * unanswered after DIALER_HURRY_STALE_MS is abandoned and started again
 * (its SYN was likely lost in the cut that just healed, and the kernel
 * would resend it only a second or more later); the backoff is reset.
 * An attempt that is resolving or waiting for the hello ack, or a
 * connection handed over, is left alone. */
void dialer_hurry(struct dialer *d);

/* True from dialer_start or dialer_redial until the connected callback. */
bool dialer_busy(const struct dialer *d);

/* The delay before the last scheduled attempt, in ms (for tests and logs). */
int dialer_last_delay_ms(const struct dialer *d);

/* True when host is a numeric IPv4 or IPv6 address: no resolver needed. */
bool dialer_host_is_numeric(const char *host);

/* This process's resolver on base: nameservers and /etc/hosts from the
 * system's configuration, and inactive (no events keeping the loop alive)
 * while no name is being resolved. NULL when out of memory. Free it with
 * evdns_base_free(dns, 0) after every dialer using it. */
struct evdns_base *dialer_dns_new(struct event_base *base);

#endif
