/* kafka_conn.h - one Kafka client connection: framing, header decoding,
 * dispatch to the API handlers, and in-order responses.
 *
 * A request becomes a struct kreq owned by the front end until its handler
 * calls kreq_respond(), kreq_drop() or kreq_fail(); exactly one of them, once.
 * If the connection closes first, the kreq lives on with conn == NULL
 * ("orphaned") until its handler finishes, and the response is discarded, so
 * a handler never has to know whether its client is still there. */
#ifndef FJORD_SUP_KAFKA_CONN_H
#define FJORD_SUP_KAFKA_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/kafka/kafka_types.h"

struct sup;
struct kconn;
struct respq_slot;

struct kreq {
	struct sup *sup;
	struct kconn *conn;	 /* NULL once the connection is gone */
	struct respq_slot *slot; /* NULL once dropped or orphaned */
	int16_t api_key;
	int16_t api_version;
	int32_t correlation_id;
	bool served;		    /* api_version is in its api_table.h range */
	struct kafka_str client_id; /* from the header (borrows raw); set before the handler */
	int64_t read_ns;	    /* metrics_now_ns() when the whole frame was read */
	struct arena arena;	    /* decoded request, response structs */
	struct buf raw;		    /* the request bytes; decoded fields borrow them */
	void **owned;		    /* memory freed with the request (kreq_adopt) */
	int n_owned, cap_owned;
	struct kreq *prev, *next; /* the connection's live requests */
};

/* Takes ownership of a connected socket fd and starts serving it. Returns
 * 0, or ERR_NOMEM (fd is then closed). */
int kconn_open(struct sup *s, int fd);

/* Takes ownership of p (malloc'ed), freed when r is: a worker's frame whose
 * bytes r's response borrows. Returns 0, or ERR_NOMEM (p is then still the
 * caller's). */
int kreq_adopt(struct kreq *r, void *p);

/* Starts a response for r in b (buf_init'ed by the caller): reserves the
 * size prefix and writes the response header for r's api and version. The
 * handler then encodes the body into b and calls kreq_respond. */
void kreq_response_begin(struct kreq *r, struct buf *b);

/* Sends b (begun with kreq_response_begin, takes ownership of its bytes)
 * as r's response, in request order; frees r. If b ran out of memory the
 * connection is closed instead. */
void kreq_respond(struct kreq *r, struct buf *b);

/* Gives up r's place in the response order without answering (acks=0
 * produce), so later responses are not held back; r itself stays alive
 * (it still counts against the connection's in-flight limit) until
 * kreq_drop. */
void kreq_release_slot(struct kreq *r);

/* Finishes r without a response; frees r. */
void kreq_drop(struct kreq *r);

/* Finishes r by closing its connection (a request that cannot be answered:
 * garbled, or an error that cannot be encoded); logs why; frees r. */
void kreq_fail(struct kreq *r, const char *why);

/* The client's address, "host:port" ("" once the connection is gone).
 * Borrowed from the connection. */
const char *kreq_peer(const struct kreq *r);

/* Closes every connection (shutdown). Live requests become orphans. */
void kconn_close_all(struct sup *s);

#endif
