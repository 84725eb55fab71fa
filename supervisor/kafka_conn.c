/* kafka_conn.c - one Kafka client connection on a libevent bufferevent.
 *
 * Reads "4-byte size + request" frames, refusing a size outside
 * [8, socket_request_max_bytes] before allocating anything; decodes the
 * request header with the codec and hands the request to its API handler;
 * an API without one is answered UNSUPPORTED_VERSION where its response has
 * a top-level error code. Responses leave in request order through a respq.
 * Backpressure: reading stops while too many requests are in flight or the
 * output buffer is above a high watermark, and resumes from an event (never
 * recursively) once both have gone down. A garbled request closes this
 * connection only. */
#include "kafka_conn.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf_refs.h"
#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kafka_header.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/api_table.h"
#include "supervisor/metrics.h"
#include "supervisor/respq.h"
#include "supervisor/sup.h"

#define MAX_IN_FLIGHT 100		   /* requests per connection */
#define OUT_HIGH_WATER (16u * 1024 * 1024) /* stop reading above this */
#define OUT_LOW_WATER (4u * 1024 * 1024)   /* resume below this */
#define REQUEST_HEADER_MIN 8		   /* api key, version, correlation id */

struct kconn {
	struct sup *sup;
	struct bufferevent *bev;
	struct event *resume_ev;
	struct respq q;
	struct kreq *live; /* requests not finished yet */
	int n_live;
	bool paused;
	bool closed;
	int busy; /* > 0 while inside our own callbacks */
	char peer[64];
	struct kconn *prev, *next; /* all connections, for shutdown */
};

static struct kconn *all_conns;

static void conn_free(struct kconn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		all_conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	event_free(c->resume_ev);
	free(c);
}

/* Tears the connection down; the struct itself goes when no callback of
 * ours is on the stack. */
static void conn_close(struct kconn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	c->sup->n_connections--;
	log_debug("kafka: connection from %s closed", c->peer);
	bufferevent_free(c->bev);
	c->bev = NULL;
	for (struct kreq *r = c->live; r != NULL; r = r->next) {
		r->conn = NULL;
		r->slot = NULL;
	}
	c->live = NULL;
	c->n_live = 0;
	respq_free(&c->q);
	event_del(c->resume_ev);
	if (c->busy == 0)
		conn_free(c);
}

static bool over_limits(struct kconn *c)
{
	return c->n_live >= MAX_IN_FLIGHT ||
	       evbuffer_get_length(bufferevent_get_output(c->bev)) >= OUT_HIGH_WATER;
}

static void maybe_resume(struct kconn *c)
{
	if (!c->closed && c->paused && !over_limits(c))
		event_active(c->resume_ev, EV_TIMEOUT, 1);
}

static void free_buf_cb(const void *data, size_t len, void *arg) { free((void *)data); }

/* A response with runs by reference (buf_refs.h) goes to the socket as
 * pieces, each holding the whole response until libevent has written it. */
struct gathered {
	struct buf b;
	int pieces;
};

static void gathered_piece_done(const void *data, size_t len, void *arg)
{
	struct gathered *g = arg;
	if (--g->pieces > 0)
		return;
	buf_free(&g->b);
	free(g);
}

static int add_piece(struct evbuffer *o, struct gathered *g, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	g->pieces++;
	if (evbuffer_add_reference(o, p, n, gathered_piece_done, g) == 0)
		return 0;
	g->pieces--;
	return ERR_NOMEM;
}

/* Queues out's own bytes and runs in order; takes out. A failure leaves a
 * partial response in o: the caller closes the connection. */
static int queue_gathered(struct evbuffer *o, struct buf *out)
{
	struct gathered *g = malloc(sizeof(*g));
	if (g == NULL) {
		buf_free(out);
		return ERR_NOMEM;
	}
	g->b = *out;
	buf_init(out);
	g->pieces = 1; /* ours, dropped below */
	const struct buf_refs *r = g->b.refs;
	size_t from = 0;
	int rc = 0;
	for (size_t i = 0; i < r->n && rc == 0; i++) {
		rc = add_piece(o, g, g->b.data + from, r->v[i].at - from);
		if (rc == 0)
			rc = add_piece(o, g, r->v[i].p, r->v[i].n);
		from = r->v[i].at;
	}
	if (rc == 0)
		rc = add_piece(o, g, g->b.data + from, g->b.len - from);
	gathered_piece_done(NULL, 0, g);
	return rc;
}

static void flush(struct kconn *c)
{
	struct buf out;
	struct evbuffer *o = bufferevent_get_output(c->bev);
	while (respq_pop(&c->q, &out)) {
		int rc = 0;
		if (buf_size(&out) == 0) {
			buf_free(&out);
			continue;
		}
		if (out.refs != NULL && out.refs->n > 0) {
			rc = queue_gathered(o, &out);
		} else if (evbuffer_add_reference(o, out.data, out.len, free_buf_cb, NULL) != 0) {
			buf_free(&out);
			rc = ERR_NOMEM;
		} else {
			buf_refs_free(out.refs); /* enabled, but nothing referenced */
		}
		if (rc != 0) {
			log_error("kafka: out of memory queueing a response to %s", c->peer);
			conn_close(c);
			return;
		}
	}
}

static struct kreq *kreq_new(struct kconn *c)
{
	struct kreq *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->sup = c->sup;
	r->conn = c;
	r->read_ns = metrics_now_ns();
	arena_init(&r->arena);
	buf_init(&r->raw);
	r->next = c->live;
	if (c->live)
		c->live->prev = r;
	c->live = r;
	c->n_live++;
	return r;
}

/* Unlinks and frees r; if that makes room, lets its connection read again. */
static void kreq_free(struct kreq *r)
{
	struct kconn *c = r->conn;
	if (c != NULL) {
		if (r->prev)
			r->prev->next = r->next;
		else
			c->live = r->next;
		if (r->next)
			r->next->prev = r->prev;
		c->n_live--;
	}
	arena_free(&r->arena);
	buf_free(&r->raw);
	for (int i = 0; i < r->n_owned; i++)
		free(r->owned[i]);
	free(r->owned);
	free(r);
	if (c != NULL)
		maybe_resume(c);
}

void kreq_response_begin(struct kreq *r, struct buf *b)
{
	buf_put_u32(b, 0); /* size, patched in kreq_respond */
	kafka_response_header_write(b, r->api_key, r->api_version, r->correlation_id);
}

int kreq_adopt(struct kreq *r, void *p)
{
	if (r->n_owned == r->cap_owned) {
		int cap = r->cap_owned ? r->cap_owned * 2 : 8;
		void **o = realloc(r->owned, (size_t)cap * sizeof(*o));
		if (o == NULL)
			return ERR_NOMEM;
		r->owned = o;
		r->cap_owned = cap;
	}
	r->owned[r->n_owned++] = p;
	return 0;
}

void kreq_respond(struct kreq *r, struct buf *b)
{
	struct kconn *c = r->conn;
	if (c == NULL || r->slot == NULL) {
		buf_free(b);
		kreq_free(r);
		return;
	}
	/* Runs by reference point into memory r owns (frames it adopted):
	 * the response takes it over, or copies the runs if it cannot. */
	if (b->refs != NULL && b->refs->n > 0) {
		if (buf_refs_own_all(b, r->owned, (size_t)r->n_owned) == 0)
			r->n_owned = 0;
		else
			buf_refs_drop(b);
	}
	if (b->oom || b->len < 4) {
		buf_free(b);
		kreq_fail(r, "out of memory encoding the response");
		return;
	}
	buf_patch_u32(b, 0, (uint32_t)(buf_size(b) - 4));
	metrics_request_answered(&r->sup->requests, r->api_key, metrics_now_ns() - r->read_ns);
	respq_fill(r->slot, b);
	r->slot = NULL;
	kreq_free(r);
	c->busy++;
	flush(c);
	c->busy--;
	if (c->closed && c->busy == 0)
		conn_free(c);
	else
		maybe_resume(c);
}

void kreq_release_slot(struct kreq *r)
{
	struct kconn *c = r->conn;
	if (c == NULL || r->slot == NULL)
		return;
	/* An empty filled slot is skipped by flush(). */
	struct buf empty;
	buf_init(&empty);
	respq_fill(r->slot, &empty);
	r->slot = NULL;
	c->busy++;
	flush(c);
	c->busy--;
	if (c->closed && c->busy == 0)
		conn_free(c);
}

void kreq_drop(struct kreq *r)
{
	kreq_release_slot(r);
	kreq_free(r);
}

void kreq_fail(struct kreq *r, const char *why)
{
	struct kconn *c = r->conn;
	if (c != NULL)
		log_warn("kafka: closing connection from %s: %s (api %d v%d, correlation id %d)",
			 c->peer, why, r->api_key, r->api_version, r->correlation_id);
	kreq_free(r);
	if (c != NULL) {
		c->busy++;
		conn_close(c);
		c->busy--;
		if (c->busy == 0)
			conn_free(c);
	}
}

/* An API the schemas know but fjord does not serve (group coordination,
 * admin): a client that asks anyway gets UNSUPPORTED_VERSION in that API's
 * own response, in order, and the connection stays usable. A response with
 * no top-level error code (errors per topic or item only) cannot say that,
 * so that connection is closed as for a garbled request. The body is not
 * read: the answer does not depend on it. */
static void answer_not_served(struct kreq *r, const struct kafka_api_info *info)
{
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	int rc =
	    kafka_error_response_encode(&b, r->api_key, r->api_version, KERR_UNSUPPORTED_VERSION);
	if (rc == ERR_UNSUPPORTED) {
		buf_free(&b);
		kreq_fail(r, "API not served");
		return;
	}
	if (rc != 0) {
		buf_free(&b);
		kreq_fail(r, "out of memory encoding the response");
		return;
	}
	log_debug("kafka: API %s v%d not served: answered UNSUPPORTED_VERSION to %s", info->name,
		  r->api_version, r->conn->peer);
	kreq_respond(r, &b);
}

/* Decodes the header of r and runs its handler. */
static void dispatch(struct kconn *c, struct kreq *r)
{
	const uint8_t *p = r->raw.data;
	r->api_key = (int16_t)be16_load(p);
	r->api_version = (int16_t)be16_load(p + 2);
	r->correlation_id = (int32_t)be32_load(p + 4);
	metrics_request_received(&c->sup->requests, r->api_key);

	r->slot = respq_push(&c->q);
	if (r->slot == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	/* Any client may open with an ApiVersions newer than ours; it gets an
	 * answer that needs nothing past the correlation id. */
	const struct api_entry *api = api_table_find(r->api_key);
	if (api != NULL && api->refuse != NULL && !api_entry_serves(api, r->api_version)) {
		api->refuse(r);
		return;
	}
	const struct kafka_api_info *info = kafka_api_lookup(r->api_key);
	if (info == NULL) {
		kreq_fail(r, "unknown API key");
		return;
	}
	if (r->api_version < info->min_version || r->api_version > info->max_version) {
		kreq_fail(r, "API version unknown to the protocol schemas");
		return;
	}
	struct reader rd;
	struct kafka_request_header hdr;
	reader_init(&rd, r->raw.data, r->raw.len);
	if (kafka_request_header_read(&rd, &hdr, &r->arena) != 0) {
		kreq_fail(r, "garbled request header");
		return;
	}
	if (api == NULL) {
		answer_not_served(r, info);
		return;
	}
	r->served = api_entry_serves(api, r->api_version);
	r->client_id = hdr.client_id;
	api->handle(r, &rd);
}

static void process_input(struct kconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	int64_t max = c->sup->cfg->kafka.socket_request_max_bytes;
	c->busy++;
	/* Bounded by the bytes already received: each pass consumes a frame. */
	while (!c->closed && !c->paused) {
		uint8_t hdr[4];
		if (evbuffer_copyout(in, hdr, 4) != 4)
			break;
		int32_t size = (int32_t)be32_load(hdr);
		if (size < REQUEST_HEADER_MIN || size > max) {
			log_warn(
			    "kafka: closing connection from %s: request size %d outside 8..%lld",
			    c->peer, size, (long long)max);
			conn_close(c);
			break;
		}
		if (evbuffer_get_length(in) < 4 + (size_t)size)
			break;
		struct kreq *r = kreq_new(c);
		uint8_t *dst = r ? buf_extend(&r->raw, (size_t)size) : NULL;
		if (dst == NULL) {
			log_error("kafka: out of memory for a %d-byte request from %s", size,
				  c->peer);
			if (r)
				kreq_free(r);
			conn_close(c);
			break;
		}
		evbuffer_drain(in, 4);
		evbuffer_remove(in, dst, (size_t)size);
		dispatch(c, r);
		if (!c->closed && over_limits(c)) {
			c->paused = true;
			bufferevent_disable(c->bev, EV_READ);
		}
	}
	c->busy--;
	if (c->closed && c->busy == 0)
		conn_free(c);
}

static void on_read(struct bufferevent *bev, void *arg) { process_input(arg); }

static void on_write(struct bufferevent *bev, void *arg)
{
	maybe_resume(arg); /* output fell below the low watermark */
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct kconn *c = arg;
	if (c->closed || !c->paused || over_limits(c))
		return;
	c->paused = false;
	bufferevent_enable(c->bev, EV_READ);
	process_input(c); /* requests that arrived while paused */
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct kconn *c = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_close(c);
}

static void describe_peer(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(out, len, "%s:%u", host, port);
}

const char *kreq_peer(const struct kreq *r) { return r->conn ? r->conn->peer : ""; }

int kconn_open(struct sup *s, int fd)
{
	struct kconn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return ERR_NOMEM;
	}
	c->sup = s;
	respq_init(&c->q);
	describe_peer(fd, c->peer, sizeof(c->peer));
	int one = 1;
	/* Responses are whole messages; do not let Nagle hold them back. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evutil_make_socket_nonblocking(fd);
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->resume_ev = event_new(s->base, -1, 0, on_resume, c);
	if (c->bev == NULL || c->resume_ev == NULL) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->resume_ev)
			event_free(c->resume_ev);
		free(c);
		return ERR_NOMEM;
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, OUT_LOW_WATER, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = all_conns;
	if (all_conns)
		all_conns->prev = c;
	all_conns = c;
	s->n_connections++;
	s->n_connections_total++;
	log_debug("kafka: connection from %s", c->peer);
	return 0;
}

void kconn_close_all(struct sup *s)
{
	struct kconn *c = all_conns;
	while (c != NULL) {
		struct kconn *next = c->next;
		conn_close(c);
		c = next;
	}
}
