/* fetch_wait.h - Fetch requests parked until data arrives or time runs out.
 *
 * Kafka's long polling: a fetch that finds fewer than min_bytes waits up to
 * max_wait_ms. A parked fetch remembers how many bytes it could already see;
 * each commit adds the bytes it made visible, and once the sum reaches
 * min_bytes (or the timer fires, or the supervisor cancels it) the fetch is
 * handed back to the owner to be answered from the partition. The count of
 * new bytes is an estimate (whole entries), as in Kafka. */
#ifndef FJORD_WORKER_FETCH_WAIT_H
#define FJORD_WORKER_FETCH_WAIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ipc.h"

struct event_base;
struct parked_fetch;

/* Answer this fetch now. f is valid during the call only. */
typedef void (*fetch_wait_answer_cb)(void *ctx, const struct ipc_fetch *f);

#define FETCH_WAIT_MAX 100000 /* parked at once; beyond it fetches answer at once */

struct fetch_wait {
	struct event_base *base;
	struct parked_fetch *head; /* oldest first */
	struct parked_fetch *tail;
	size_t n;
	fetch_wait_answer_cb answer;
	void *ctx;
};

void fetch_wait_init(struct fetch_wait *w, struct event_base *base, fetch_wait_answer_cb answer,
		     void *ctx);

/* Parks f (copied) which already sees have_bytes. Returns 0, ERR_AGAIN when
 * FETCH_WAIT_MAX are parked, or ERR_NOMEM; on error the caller answers. */
int fetch_wait_park(struct fetch_wait *w, const struct ipc_fetch *f, size_t have_bytes);

/* new_bytes more bytes became visible: answers every fetch now satisfied. */
void fetch_wait_notify(struct fetch_wait *w, size_t new_bytes);

/* Answers the parked fetch req_id now, if there is one. Returns 1 if found. */
int fetch_wait_cancel(struct fetch_wait *w, uint64_t req_id);

/* Answers every parked fetch now (e.g. the log start moved). */
void fetch_wait_flush_all(struct fetch_wait *w);

/* Drops every parked fetch without answering. */
void fetch_wait_close(struct fetch_wait *w);

#endif
