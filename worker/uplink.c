/* uplink.c - framed msgpack messages between the worker and its supervisor. */
#include "uplink.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/frame.h"
#include "common/ipc.h"
#include "common/log.h"

/* A produce burst can be many frames. libevent's own socket reads take 4 KiB
 * at a time, so a burst would be split over many loop iterations and each
 * iteration's group commit would hold one or two produces. Reading until the
 * socket is empty (up to READ_MAX per wakeup) lets one group cover the burst. */
#define READ_MAX (16u * 1024 * 1024)
#define READ_CHUNK (256u * 1024)

/* Backpressure: while more than OUT_HIGH bytes of answers wait for the
 * supervisor to read them, stop reading its requests; resume below OUT_LOW. */
#define OUT_HIGH (64u * 1024 * 1024)
#define OUT_LOW (16u * 1024 * 1024)

static void end(struct uplink *u)
{
	if (u->closed)
		return;
	u->closed = 1;
	event_del(u->rd);
	bufferevent_disable(u->bev, EV_READ | EV_WRITE);
	u->on_closed(u->ctx);
}

/* Moves what the socket holds into u->in. Returns 0, or -1 after EOF or an
 * error (the link is ended). */
static int fill(struct uplink *u)
{
	size_t total = 0;
	while (total < READ_MAX) {
		struct evbuffer_iovec v;
		if (evbuffer_reserve_space(u->in, READ_CHUNK, &v, 1) < 1) {
			log_error("uplink: out of memory reading from the supervisor");
			end(u);
			return -1;
		}
		ssize_t r = read(u->fd, v.iov_base, v.iov_len);
		if (r > 0) {
			v.iov_len = (size_t)r;
			evbuffer_commit_space(u->in, &v, 1);
			total += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r == 0)
			log_info("uplink: supervisor closed the connection");
		else
			log_warn("uplink: read: %s", strerror(errno));
		end(u);
		return -1;
	}
	return 0;
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink *u = arg;
	int eof = fill(u);
	/* Frames that arrived before an EOF are still handled. */
	while (!u->closed || eof) {
		int rc = frame_pull(u->in, UPLINK_FRAME_MAX, &u->frame);
		if (rc == 0)
			break;
		if (rc < 0) {
			log_error("uplink: unreadable frame from the supervisor: %s", err_str(rc));
			end(u);
			return;
		}
		struct ipc_msg m;
		if (ipc_decode(u->frame.data, u->frame.len, &m) != 0) {
			log_warn("uplink: ignoring a malformed %zu-byte frame", u->frame.len);
			continue;
		}
		u->on_msg(u->ctx, &m);
		if (u->frame.cap > (4u << 20))
			buf_free(&u->frame);
	}
	if (!u->closed && !u->paused && uplink_pending(u) > OUT_HIGH) {
		log_warn("uplink: supervisor is not reading; pausing requests");
		u->paused = 1;
		event_del(u->rd);
	}
}

/* Output drained to the low watermark: take requests again. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct uplink *u = arg;
	if (u->paused && !u->closed && uplink_pending(u) <= OUT_LOW) {
		u->paused = 0;
		event_add(u->rd, NULL);
	}
}

/* The bufferevent only writes; a write error means the supervisor is gone. */
static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct uplink *u = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_warn("uplink: cannot write to the supervisor, closing");
		end(u);
	}
}

int uplink_init(struct uplink *u, struct event_base *base, int fd, uplink_msg_cb on_msg,
		uplink_closed_cb on_closed, void *ctx)
{
	memset(u, 0, sizeof(*u));
	buf_init(&u->frame);
	buf_init(&u->enc);
	u->on_msg = on_msg;
	u->on_closed = on_closed;
	u->ctx = ctx;
	u->fd = fd;
	evutil_make_socket_nonblocking(fd);
	u->in = evbuffer_new();
	u->rd = event_new(base, fd, EV_READ | EV_PERSIST, read_cb, u);
	u->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (u->in == NULL || u->rd == NULL || u->bev == NULL)
		return ERR_NOMEM;
	bufferevent_setcb(u->bev, NULL, write_cb, event_cb, u);
	bufferevent_setwatermark(u->bev, EV_WRITE, OUT_LOW, 0);
	bufferevent_enable(u->bev, EV_WRITE);
	event_add(u->rd, NULL);
	return 0;
}

int uplink_send(struct uplink *u, const struct ipc_msg *m)
{
	if (u->closed)
		return ERR_CLOSED;
	buf_reset(&u->enc);
	struct ipc_tail tail;
	int rc = ipc_encode_head(m, &u->enc, &tail);
	if (rc != 0)
		return rc;
	rc = frame_push2(bufferevent_get_output(u->bev), u->enc.data, u->enc.len, tail.data,
			 tail.len);
	/* Keep big scratch buffers from pinning memory after a large fetch. */
	if (u->enc.cap > (4u << 20))
		buf_free(&u->enc);
	return rc;
}

/* ipc.c writes the byte string last, as a msgpack bin. Encoding the message
 * with an empty one and swapping that 2-byte empty bin for the real header
 * gives the prefix; the body follows as is. If the encoding ever stops
 * ending in an empty bin, the slow path (copy body, ipc_encode) still works. */
int uplink_send_body(struct uplink *u, const struct ipc_msg *m, struct evbuffer *body)
{
	if (u->closed)
		return ERR_CLOSED;
	size_t n = evbuffer_get_length(body);
	struct ipc_msg mm = *m;
	mm.u.fetch_result.records = NULL;
	mm.u.fetch_result.records_len = 0;
	if (m->type != IPC_FETCH_RESULT || n > UINT32_MAX)
		return ERR_INVALID;
	buf_reset(&u->enc);
	int rc = ipc_encode(&mm, &u->enc);
	if (rc != 0)
		return rc;
	if (u->enc.len < 2 || u->enc.data[u->enc.len - 2] != 0xc4 ||
	    u->enc.data[u->enc.len - 1] != 0) {
		mm.u.fetch_result.records = evbuffer_pullup(body, -1);
		mm.u.fetch_result.records_len = (uint32_t)n;
		rc = uplink_send(u, &mm);
		evbuffer_drain(body, n);
		return rc;
	}
	u->enc.len -= 2;
	if (n < 256) {
		buf_put_u8(&u->enc, 0xc4);
		buf_put_u8(&u->enc, (uint8_t)n);
	} else if (n < 65536) {
		buf_put_u8(&u->enc, 0xc5);
		buf_put_u16(&u->enc, (uint16_t)n);
	} else {
		buf_put_u8(&u->enc, 0xc6);
		buf_put_u32(&u->enc, (uint32_t)n);
	}
	uint8_t hdr[FRAME_HEADER_LEN];
	size_t payload = u->enc.len + n;
	if (u->enc.oom || payload > UINT32_MAX)
		return ERR_NOMEM;
	be32_store(hdr, (uint32_t)payload);
	struct evbuffer *out = bufferevent_get_output(u->bev);
	if (evbuffer_add(out, hdr, sizeof(hdr)) != 0 ||
	    evbuffer_add(out, u->enc.data, u->enc.len) != 0 || evbuffer_add_buffer(out, body) != 0)
		return ERR_NOMEM;
	return 0;
}

size_t uplink_pending(const struct uplink *u)
{
	return evbuffer_get_length(bufferevent_get_output(u->bev));
}

void uplink_close(struct uplink *u)
{
	if (u->rd)
		event_free(u->rd);
	u->rd = NULL;
	if (u->in)
		evbuffer_free(u->in);
	u->in = NULL;
	if (u->bev)
		bufferevent_free(u->bev); /* closes the fd */
	u->bev = NULL;
	buf_free(&u->frame);
	buf_free(&u->enc);
}
