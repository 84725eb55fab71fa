/* frame.c - the 4-byte length-prefixed framing of frame.h over evbuffers. */
#include "frame.h"

#include <event2/buffer.h>

#include "buf.h"
#include "err.h"

int frame_pull(struct evbuffer *in, size_t max_len, struct buf *out)
{
	uint8_t hdr[FRAME_HEADER_LEN];
	if (evbuffer_get_length(in) < FRAME_HEADER_LEN)
		return 0;
	if (evbuffer_copyout(in, hdr, sizeof(hdr)) != (ev_ssize_t)sizeof(hdr))
		return 0;
	uint32_t len = be32_load(hdr);
	if (len > max_len)
		return ERR_TOOBIG;
	if (evbuffer_get_length(in) < FRAME_HEADER_LEN + (size_t)len)
		return 0;
	buf_reset(out);
	uint8_t *dst = buf_extend(out, len);
	if (dst == NULL && len > 0)
		return ERR_NOMEM;
	evbuffer_drain(in, FRAME_HEADER_LEN);
	if (len > 0)
		evbuffer_remove(in, dst, len);
	return 1;
}

int frame_push2(struct evbuffer *out, const void *head, size_t head_len, const void *tail,
		size_t tail_len)
{
	uint8_t hdr[FRAME_HEADER_LEN];
	if (head_len > UINT32_MAX || tail_len > UINT32_MAX - head_len)
		return ERR_TOOBIG;
	be32_store(hdr, (uint32_t)(head_len + tail_len));
	if (evbuffer_add(out, hdr, sizeof(hdr)) != 0)
		return ERR_NOMEM;
	if (head_len > 0 && evbuffer_add(out, head, head_len) != 0)
		return ERR_NOMEM;
	if (tail_len > 0 && evbuffer_add(out, tail, tail_len) != 0)
		return ERR_NOMEM;
	return 0;
}

int frame_push(struct evbuffer *out, const void *payload, size_t len)
{
	uint8_t hdr[FRAME_HEADER_LEN];
	if (len > UINT32_MAX)
		return ERR_TOOBIG;
	be32_store(hdr, (uint32_t)len);
	if (evbuffer_add(out, hdr, sizeof(hdr)) != 0)
		return ERR_NOMEM;
	if (len > 0 && evbuffer_add(out, payload, len) != 0)
		return ERR_NOMEM;
	return 0;
}
