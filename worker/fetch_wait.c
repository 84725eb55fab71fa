/* fetch_wait.c - the parked Fetch requests of fetch_wait.h. */
#include "fetch_wait.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct parked_fetch {
	struct parked_fetch *prev, *next;
	struct fetch_wait *owner;
	struct ipc_fetch req;
	size_t have; /* bytes visible to it so far */
	struct event *timer;
};

static void unlink_one(struct fetch_wait *w, struct parked_fetch *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		w->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		w->tail = p->prev;
	w->n--;
}

static void drop(struct parked_fetch *p)
{
	unlink_one(p->owner, p);
	event_free(p->timer);
	free(p);
}

/* Unparks p and answers it. The request is copied first: answering may
 * park or cancel other fetches. */
static void answer(struct parked_fetch *p)
{
	struct fetch_wait *w = p->owner;
	struct ipc_fetch req = p->req;
	drop(p);
	w->answer(w->ctx, &req);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg) { answer(arg); }

void fetch_wait_init(struct fetch_wait *w, struct event_base *base, fetch_wait_answer_cb cb,
		     void *ctx)
{
	memset(w, 0, sizeof(*w));
	w->base = base;
	w->answer = cb;
	w->ctx = ctx;
}

int fetch_wait_park(struct fetch_wait *w, const struct ipc_fetch *f, size_t have_bytes)
{
	if (w->n >= FETCH_WAIT_MAX)
		return ERR_AGAIN;
	struct parked_fetch *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ERR_NOMEM;
	p->timer = evtimer_new(w->base, timer_cb, p);
	if (p->timer == NULL) {
		free(p);
		return ERR_NOMEM;
	}
	p->owner = w;
	p->req = *f;
	p->have = have_bytes;
	struct timeval tv = {.tv_sec = f->max_wait_ms / 1000,
			     .tv_usec = (f->max_wait_ms % 1000) * 1000};
	evtimer_add(p->timer, &tv);
	p->prev = w->tail;
	if (w->tail)
		w->tail->next = p;
	else
		w->head = p;
	w->tail = p;
	w->n++;
	return 0;
}

void fetch_wait_notify(struct fetch_wait *w, size_t new_bytes)
{
	/* Collect the satisfied ones first: answering can change the list. */
	struct parked_fetch *ready = NULL, *p, *next;
	for (p = w->head; p; p = next) {
		next = p->next;
		p->have += new_bytes;
		if (p->have >= (size_t)(p->req.min_bytes > 0 ? p->req.min_bytes : 1)) {
			unlink_one(w, p);
			p->next = ready;
			ready = p;
		}
	}
	/* Answer in arrival order (the list was built reversed). */
	struct parked_fetch *ordered = NULL;
	while (ready) {
		next = ready->next;
		ready->next = ordered;
		ordered = ready;
		ready = next;
	}
	for (p = ordered; p; p = next) {
		next = p->next;
		struct ipc_fetch req = p->req;
		event_free(p->timer);
		free(p);
		w->answer(w->ctx, &req);
	}
}

int fetch_wait_cancel(struct fetch_wait *w, uint64_t req_id)
{
	for (struct parked_fetch *p = w->head; p; p = p->next) {
		if (p->req.req_id == req_id) {
			answer(p);
			return 1;
		}
	}
	return 0;
}

void fetch_wait_flush_all(struct fetch_wait *w)
{
	/* Bounded by the count at entry: answers never re-park. */
	for (size_t n = w->n; n > 0 && w->head; n--)
		answer(w->head);
}

void fetch_wait_close(struct fetch_wait *w)
{
	while (w->head)
		drop(w->head);
}
