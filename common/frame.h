/* frame.h - length-prefixed frames on a stream socket.
 *
 * A frame is a 4-byte big-endian payload length followed by the payload. It
 * carries the msgpack messages between supervisor and workers (ipc.h) and
 * between peer workers. The length is checked against a maximum before any
 * allocation, so a garbled or hostile length cannot exhaust memory. */
#ifndef FJORD_FRAME_H
#define FJORD_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct buf;

#define FRAME_HEADER_LEN 4
#define FRAME_MAX_DEFAULT (128u * 1024 * 1024)

/* Removes one whole frame's payload from `in` into `out` (reset first).
 * Returns 1 when a frame was taken, 0 when more bytes are needed, ERR_TOOBIG
 * when the announced length exceeds max_len (nothing is consumed; the caller
 * should close the connection), ERR_NOMEM. */
int frame_pull(struct evbuffer *in, size_t max_len, struct buf *out);

/* Appends one frame holding payload[0..len) to `out`. Returns 0 or ERR_NOMEM. */
int frame_push(struct evbuffer *out, const void *payload, size_t len);

/* Appends one frame whose payload is head[0..head_len) then tail[0..tail_len)
 * (tail may be NULL when tail_len is 0): two pieces, one frame, no copy to
 * join them first. Returns 0, ERR_TOOBIG past 4 GiB, or ERR_NOMEM. */
int frame_push2(struct evbuffer *out, const void *head, size_t head_len, const void *tail,
		size_t tail_len);

#endif
