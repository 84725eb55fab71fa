/* worker_link.c - one worker's socketpair as a libevent bufferevent: frames
 * out, frames in, and the list of requests waiting for a result.
 *
 * Results are matched by req_id. Produce results come back in order, so
 * the search from the head of the list is usually one step; parked fetches
 * stay near the head but are few (one per consumer of the partition). */
#include "worker_link.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/frame.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/spawn.h"
#include "supervisor/worker.h"

struct link_pending {
	uint64_t req_id;
	int64_t deadline_ms;
	int64_t sent_ms;
	enum ipc_type type;
	link_result_cb cb;
	void *ctx;
	int idx;
	struct link_pending *prev, *next;
};

static uint64_t next_req_id = 1;

static void unlink_pending(struct worker *w, struct link_pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		w->pending_head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		w->pending_tail = p->prev;
	w->n_pending--;
}

static struct link_pending *find_pending(struct worker *w, uint64_t req_id)
{
	for (struct link_pending *p = w->pending_head; p; p = p->next)
		if (p->req_id == req_id)
			return p;
	return NULL;
}

/* Expected result type for each request type. */
static enum ipc_type result_type(enum ipc_type t)
{
	switch (t) {
	case IPC_PRODUCE:
		return IPC_PRODUCE_RESULT;
	case IPC_FETCH:
		return IPC_FETCH_RESULT;
	case IPC_LIST_OFFSETS:
		return IPC_LIST_OFFSETS_RESULT;
	case IPC_EPOCH_END:
		return IPC_EPOCH_END_RESULT;
	case IPC_PRODUCERS:
		return IPC_PRODUCERS_RESULT;
	case IPC_CTL_PROPOSE:
		return IPC_CTL_RESULT;
	case IPC_DELETE_RECORDS:
		return IPC_DELETE_RECORDS_RESULT;
	case IPC_GROUP:
		return IPC_GROUP_RESULT;
	default:
		return 0;
	}
}

static void deliver(struct worker *w, const struct ipc_msg *m, uint64_t req_id)
{
	struct link_pending *p = find_pending(w, req_id);
	if (p == NULL) {
		/* Timed out earlier, or a cancelled fetch answered twice. */
		log_debug("worker %s/%d: result for unknown request %llu ignored", w->topic,
			  (int)w->partition, (unsigned long long)req_id);
		return;
	}
	unlink_pending(w, p);
	if (result_type(p->type) != m->type) {
		log_warn("worker %s/%d: request %llu answered with message type %d", w->topic,
			 (int)w->partition, (unsigned long long)req_id, m->type);
		p->cb(p->ctx, p->idx, NULL, KERR_UNKNOWN_SERVER_ERROR);
	} else {
		p->cb(p->ctx, p->idx, m, 0);
	}
	free(p);
}

uint8_t *link_take_frame(struct worker *w)
{
	uint8_t *p = w->rx.data;
	buf_init(&w->rx);
	return p;
}

static void notify_closed(struct worker *w)
{
	if (w->link_obs != NULL && w->link_obs->on_closed != NULL)
		w->link_obs->on_closed(w);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct worker *w = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	w->last_rx_ms = spawn_now_ms(); /* alive: see link_sweep */
	w->known_silent = false;
	w->silent_leader_told = false;
	/* Bounded: each pass consumes one whole frame or stops. */
	for (;;) {
		int rc = frame_pull(in, FRAME_MAX_DEFAULT, &w->rx);
		if (rc == 0)
			return;
		if (rc < 0) {
			log_error("worker %s/%d: bad frame on its channel (%s); closing it",
				  w->topic, (int)w->partition, err_str(rc));
			link_close(w, KERR_NOT_LEADER_OR_FOLLOWER);
			notify_closed(w);
			return;
		}
		struct ipc_msg m;
		if (ipc_decode(w->rx.data, w->rx.len, &m) != 0) {
			log_warn("worker %s/%d: undecodable message of %zu bytes ignored", w->topic,
				 (int)w->partition, w->rx.len);
			continue;
		}
		switch (m.type) {
		case IPC_STATUS:
			if (w->link_obs != NULL && w->link_obs->on_status != NULL)
				w->link_obs->on_status(w, &m.u.status);
			break;
		case IPC_PRODUCE_RESULT:
			deliver(w, &m, m.u.produce_result.req_id);
			break;
		case IPC_FETCH_RESULT:
			deliver(w, &m, m.u.fetch_result.req_id);
			break;
		case IPC_LIST_OFFSETS_RESULT:
			deliver(w, &m, m.u.list_offsets_result.req_id);
			break;
		case IPC_EPOCH_END_RESULT:
			deliver(w, &m, m.u.epoch_end_result.req_id);
			break;
		case IPC_PRODUCERS_RESULT:
			deliver(w, &m, m.u.producers_result.req_id);
			break;
		case IPC_CTL_RESULT:
			deliver(w, &m, m.u.ctl_result.req_id);
			break;
		case IPC_CATALOG:
			if (w->link_obs != NULL && w->link_obs->on_catalog != NULL)
				w->link_obs->on_catalog(w, &m.u.catalog);
			break;
		case IPC_RESIGNED:
			if (w->link_obs != NULL && w->link_obs->on_resigned != NULL)
				w->link_obs->on_resigned(w, m.u.resigned.term);
			break;
		case IPC_DELETE_RECORDS_RESULT:
			deliver(w, &m, m.u.delete_records_result.req_id);
			break;
		case IPC_GROUP_RESULT:
			deliver(w, &m, m.u.group_result.req_id);
			break;
		case IPC_GROUP_STATUS: {
			const struct ipc_group_status *x = &m.u.group_status;
			char *rep = malloc((size_t)x->report_len + 1);
			if (rep != NULL) {
				memcpy(rep, x->report, x->report_len);
				rep[x->report_len] = '\0';
			}
			free(w->group_report);
			w->group_report = rep;
			w->group_status = *x;
			w->group_status.report = NULL;
			w->group_status.report_len = 0;
			w->has_group_status = true;
			break;
		}
		default:
			log_warn("worker %s/%d: unexpected message type %d ignored", w->topic,
				 (int)w->partition, m.type);
			break;
		}
		if (w->bev == NULL)
			return; /* a callback closed the link */
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct worker *w = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		link_close(w, KERR_NOT_LEADER_OR_FOLLOWER);
		notify_closed(w);
	}
}

int link_open(struct worker *w, struct event_base *base, int fd, const struct link_observer *obs)
{
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return ERR_NOMEM;
	bufferevent_setcb(bev, on_read, NULL, on_event, w);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0) {
		bufferevent_setfd(bev, -1); /* the caller still owns fd on failure */
		bufferevent_free(bev);
		return ERR_NOMEM;
	}
	w->bev = bev;
	w->link_obs = obs;
	w->last_rx_ms = spawn_now_ms();
	w->known_silent = false;
	w->silent_leader_told = false;
	return 0;
}

void link_close(struct worker *w, int16_t kerr)
{
	if (w->bev != NULL) {
		bufferevent_free(w->bev);
		w->bev = NULL;
	}
	/* Pop one at a time: a callback may send to other workers or cancel. */
	for (struct link_pending *p = w->pending_head; p != NULL; p = w->pending_head) {
		unlink_pending(w, p);
		p->cb(p->ctx, p->idx, NULL, kerr);
		free(p);
	}
}

void link_discard(struct worker *w)
{
	if (w->bev != NULL) {
		bufferevent_free(w->bev);
		w->bev = NULL;
	}
	for (struct link_pending *p = w->pending_head; p != NULL; p = w->pending_head) {
		unlink_pending(w, p);
		free(p);
	}
}

/* Encodes m and queues it as one frame on the worker's socketpair. */
static int send_frame(struct worker *w, const struct ipc_msg *m)
{
	/* A Produce's records go from the request straight into the socket
	 * buffer: one copy, not a copy into the encoding and another out of it. */
	struct buf b;
	struct ipc_tail tail;
	buf_init(&b);
	int rc = ipc_encode_head(m, &b, &tail);
	if (rc == 0)
		rc =
		    frame_push2(bufferevent_get_output(w->bev), b.data, b.len, tail.data, tail.len);
	buf_free(&b);
	return rc;
}

int link_send(struct worker *w, struct ipc_msg *m, int64_t deadline_ms, link_result_cb cb,
	      void *ctx, int idx, uint64_t *req_id)
{
	if (w->bev == NULL || w->state != WORKER_SERVING)
		return ERR_NOTLEADER;
	struct link_pending *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ERR_NOMEM;
	uint64_t id = next_req_id++;
	switch (m->type) {
	case IPC_PRODUCE:
		m->u.produce.req_id = id;
		break;
	case IPC_FETCH:
		m->u.fetch.req_id = id;
		break;
	case IPC_LIST_OFFSETS:
		m->u.list_offsets.req_id = id;
		break;
	case IPC_EPOCH_END:
		m->u.epoch_end.req_id = id;
		break;
	case IPC_PRODUCERS:
		m->u.producers.req_id = id;
		break;
	case IPC_CTL_PROPOSE:
		m->u.ctl_propose.req_id = id;
		break;
	case IPC_DELETE_RECORDS:
		m->u.delete_records.req_id = id;
		break;
	case IPC_GROUP:
		m->u.group.req_id = id;
		break;
	default:
		free(p);
		return ERR_INVALID;
	}
	int rc = send_frame(w, m);
	if (rc != 0) {
		free(p);
		return rc;
	}
	p->req_id = id;
	p->deadline_ms = deadline_ms;
	p->sent_ms = spawn_now_ms();
	p->type = m->type;
	p->cb = cb;
	p->ctx = ctx;
	p->idx = idx;
	p->prev = w->pending_tail;
	if (w->pending_tail)
		w->pending_tail->next = p;
	else
		w->pending_head = p;
	w->pending_tail = p;
	w->n_pending++;
	if (req_id)
		*req_id = id;
	return 0;
}

int link_post(struct worker *w, const struct ipc_msg *m)
{
	if (m->type != IPC_CAMPAIGN && m->type != IPC_TRANSFER && m->type != IPC_CONFIG &&
	    m->type != IPC_TOPIC_SETTINGS && m->type != IPC_PEER_NODE &&
	    m->type != IPC_PROBE_LEADER)
		return ERR_INVALID;
	if (w->bev == NULL)
		return ERR_NOTLEADER;
	return send_frame(w, m);
}

void link_cancel_fetch(struct worker *w, uint64_t req_id)
{
	if (w->bev == NULL || find_pending(w, req_id) == NULL)
		return;
	struct ipc_msg m = {.type = IPC_FETCH_CANCEL};
	m.u.fetch_cancel.req_id = req_id;
	struct buf b;
	buf_init(&b);
	if (ipc_encode(&m, &b) == 0)
		frame_push(bufferevent_get_output(w->bev), b.data, b.len);
	buf_free(&b);
}

/* What a request cut off because its worker went silent is answered with:
 * retriable errors a Kafka client acts on (retry; refresh metadata). */
static int16_t silent_kerr(enum ipc_type t)
{
	return t == IPC_PRODUCE ? KERR_REQUEST_TIMED_OUT : KERR_NOT_LEADER_OR_FOLLOWER;
}

void link_sweep(struct worker *w, int64_t now_ms, int64_t silent_ms)
{
	/* Silent: nothing from it for silent_ms since the later of its last
	 * frame and the oldest request it owes. A quiet worker (its group
	 * idle: a status every 10 s) may have said nothing for long before a
	 * request; that is not silence. Once found silent it stays so until
	 * its next frame, so new requests are answered at once. */
	int64_t since = w->last_rx_ms;
	if (w->pending_head != NULL && w->pending_head->sent_ms > since)
		since = w->pending_head->sent_ms;
	bool silent = silent_ms > 0 && (w->known_silent || now_ms - since > silent_ms);
	if (silent && w->pending_head != NULL)
		w->known_silent = true;
	int n_silent = 0;
	struct link_pending *p = w->pending_head;
	while (p != NULL) {
		struct link_pending *next = p->next;
		if (p->deadline_ms < now_ms || silent) {
			int16_t kerr = KERR_REQUEST_TIMED_OUT;
			if (p->deadline_ms < now_ms)
				log_warn("worker %s/%d: request %llu got no result in time",
					 w->topic, (int)w->partition,
					 (unsigned long long)p->req_id);
			else {
				kerr = silent_kerr(p->type);
				n_silent++;
			}
			unlink_pending(w, p);
			p->cb(p->ctx, p->idx, NULL, kerr);
			free(p);
			/* The callback may have changed the list: restart. */
			next = w->pending_head;
		}
		p = next;
	}
	if (n_silent > 0)
		log_warn("worker %s/%d: silent for %lld ms; answered %d request(s) with a "
			 "retriable error so the others are not held",
			 w->topic, (int)w->partition, (long long)(now_ms - w->last_rx_ms),
			 n_silent);
}
