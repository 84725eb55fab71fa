/* worker_link.h - the framed msgpack channel between the supervisor and one
 * worker, and the requests waiting on it.
 *
 * A request sent with link_send() is remembered until its result arrives,
 * the worker dies (link_close), its deadline passes or the worker goes
 * silent (link_sweep); in every
 * case its callback runs exactly once, so no Kafka request is left hanging. */
#ifndef FJORD_SUP_WORKER_LINK_H
#define FJORD_SUP_WORKER_LINK_H

#include <stdint.h>

#include "common/ipc.h"

struct worker;
struct event_base;

/* Called once per sent request. On success `res` is the worker's result
 * (borrowed for the call; byte fields borrow from the frame) and kerr is 0.
 * On failure `res` is NULL and kerr is the Kafka error to report:
 * NOT_LEADER_OR_FOLLOWER when the worker died or is not serving,
 * REQUEST_TIMED_OUT when the deadline passed. ctx and idx are the caller's. */
typedef void (*link_result_cb)(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr);

struct link_pending;

/* What the link tells its owner (workers.c), which registers it at
 * link_open: the link calls up through it instead of calling workers.c,
 * so the dependency runs one way (workers -> worker_link). */
struct link_observer {
	/* w sent IPC_STATUS (st borrowed for the call). */
	void (*on_status)(struct worker *w, const struct ipc_status *st);
	/* w's channel ended (EOF, error or a bad frame) and pending requests
	 * have failed; w's process is exiting or broken. */
	void (*on_closed)(struct worker *w);
	/* The controller worker w sent the committed catalog (IPC_CATALOG,
	 * borrowed for the call). */
	void (*on_catalog)(struct worker *w, const struct ipc_catalog *c);
	/* w gave up leading `term`: its store is full (IPC_RESIGNED). */
	void (*on_resigned)(struct worker *w, uint64_t term);
};

/* Starts reading frames from fd (the supervisor's end of the socketpair;
 * the link takes ownership). obs (borrowed, must outlive the link; NULL:
 * nobody listens) hears w's status and the channel's end. Returns 0 or
 * ERR_NOMEM. */
int link_open(struct worker *w, struct event_base *base, int fd, const struct link_observer *obs);

/* Closes the channel and fails every pending request with kerr. Safe to
 * call on a closed link. Callbacks may run link_send/link_cancel on other
 * workers but must not free w. */
void link_close(struct worker *w, int16_t kerr);

/* Sends m (its req_id is assigned here and returned in *req_id) and
 * registers cb. deadline_ms is a spawn_now_ms() time after which the request
 * fails with REQUEST_TIMED_OUT. Returns 0, ERR_NOTLEADER if the link is
 * closed, or ERR_NOMEM; on error cb is NOT called. */
int link_send(struct worker *w, struct ipc_msg *m, int64_t deadline_ms, link_result_cb cb,
	      void *ctx, int idx, uint64_t *req_id);

/* Sends a message that has no result (IPC_CAMPAIGN, IPC_TRANSFER, IPC_CONFIG,
 * IPC_TOPIC_SETTINGS, IPC_PEER_NODE, IPC_PROBE_LEADER). Returns
 * 0, ERR_NOTLEADER if the link is closed, ERR_INVALID for another type, or
 * ERR_NOMEM. */
int link_post(struct worker *w, const struct ipc_msg *m);

/* Inside a result callback: hands the caller the frame that the result's
 * byte fields (fetch records) borrow, so it can keep them without a copy.
 * The caller owns the returned memory (free()); the link reads its next
 * frame into a new buffer. NULL when there is none (not in a callback, or
 * already taken). */
uint8_t *link_take_frame(struct worker *w);

/* Sends IPC_FETCH_CANCEL for req_id if that request is still pending. */
void link_cancel_fetch(struct worker *w, uint64_t req_id);

/* Fails the pending requests of w whose deadline is before now_ms with
 * REQUEST_TIMED_OUT. When silent_ms > 0 and w has sent nothing (not even
 * its once-a-second IPC_STATUS) for more than silent_ms, fails all of its
 * pending requests too: Produce with REQUEST_TIMED_OUT, Fetch and
 * ListOffsets with NOT_LEADER_OR_FOLLOWER (both retriable). A stalled
 * worker (SIGSTOP, a stuck disk) then holds its own partitions for about
 * silent_ms, not the other partitions of a merged response or the
 * requests behind it on the connection. Silence, not the age of a
 * request, is the test: a live worker legitimately holds an acks=all
 * produce or a long-poll fetch up to the client's timeout. A result that
 * arrives later finds no pending entry and is dropped. */
void link_sweep(struct worker *w, int64_t now_ms, int64_t silent_ms);

/* Frees the pending entries without calling them (process teardown). */
void link_discard(struct worker *w);

#endif
