/* uplink.h - the worker's end of the socketpair to its supervisor.
 *
 * Reads length-prefixed frames (frame.h), decodes each with ipc_decode and
 * hands the message to a callback; encodes and queues outgoing messages. A
 * malformed frame is logged and skipped; a frame too large to be ours, EOF
 * or a socket error ends the link (the callback `closed` runs once) because
 * the stream cannot be trusted after that. Owns the fd. */
#ifndef FJORD_WORKER_UPLINK_H
#define FJORD_WORKER_UPLINK_H

#include <stddef.h>

#include "common/buf.h"

struct bufferevent;
struct event;
struct evbuffer;
struct event_base;
struct ipc_msg;

#define UPLINK_FRAME_MAX (128u * 1024 * 1024)

/* m's byte fields point into the uplink's own frame buffer, which stays
 * valid until the callback returns; the handler may modify those bytes in
 * place (the produce path rewrites offsets in them). */
typedef void (*uplink_msg_cb)(void *ctx, struct ipc_msg *m);
typedef void (*uplink_closed_cb)(void *ctx);

struct uplink {
	int fd;
	struct event *rd;	 /* readable: read_cb drains the socket */
	struct evbuffer *in;	 /* bytes read, not yet framed */
	struct bufferevent *bev; /* writes; owns the fd (BEV_OPT_CLOSE_ON_FREE) */
	struct buf frame;	 /* the frame being handled */
	struct buf enc;		 /* scratch for encoding */
	uplink_msg_cb on_msg;
	uplink_closed_cb on_closed;
	void *ctx;
	int closed;
	int paused; /* reading stopped: too many answers queued */
};

/* Starts reading fd (made non-blocking; owned from now on). Returns 0 or
 * ERR_NOMEM. */
int uplink_init(struct uplink *u, struct event_base *base, int fd, uplink_msg_cb on_msg,
		uplink_closed_cb on_closed, void *ctx);

/* Encodes m and queues it. Returns 0, ERR_CLOSED after the link ended,
 * ERR_NOMEM or ERR_INVALID (unknown type). */
int uplink_send(struct uplink *u, const struct ipc_msg *m);

/* Sends a message whose last field is its byte string (IPC_FETCH_RESULT's
 * records), taking those bytes from `body`, which is drained: the bytes are
 * moved into the socket's queue without another copy. m's own byte field is
 * ignored. Same errors as uplink_send. */
int uplink_send_body(struct uplink *u, const struct ipc_msg *m, struct evbuffer *body);

/* Bytes queued but not yet written to the socket. */
size_t uplink_pending(const struct uplink *u);

/* Frees everything and closes the fd. */
void uplink_close(struct uplink *u);

#endif
