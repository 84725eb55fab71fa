/* drain.c - the leadership hand-off of drain.h, polled on a short timer
 * because worker status arrives on change anyway. */
#include "drain.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipc.h"
#include "common/log.h"
#include "supervisor/cluster.h"
#include "supervisor/leaders.h"
#include "supervisor/peers.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

struct drain {
	struct sup *s;
	struct event *ev;
	int64_t started_ms;
	int64_t last_sent_ms;
	int64_t took_ms; /* -1 until finish() */
};

/* A local worker leading a group that has somewhere else to go: another
 * replica on a node that is up and not draining itself (when a whole
 * cluster stops at once there is nowhere to go, and waiting would only
 * bounce leaderships between the stopping nodes). */
static bool must_hand_over(struct sup *s, struct worker *w)
{
	if (!router_worker_leads(w) || s->leaders == NULL)
		return false;
	const struct config_topic *t = topics_find(s, w->topic, strlen(w->topic));
	if (t == NULL || t->replication < 2)
		return false;
	int32_t reps[TOPICS_REPS_MAX];
	int n = topics_replicas(s, t, w->partition, reps);
	int64_t now = spawn_now_ms();
	for (int i = 0; i < n; i++)
		if (reps[i] != s->cfg->node.id && leaders_fresh(s->leaders, reps[i], now) &&
		    !leaders_draining(s->leaders, reps[i], now))
			return true;
	return false;
}

/* Sends the transfers; returns how many local leaders remain. */
static int hand_over(struct sup *s, bool send)
{
	int left = 0;
	for (int i = 0; i < workers_count(s->workers); i++) {
		struct worker *w = workers_at(s->workers, i);
		if (!must_hand_over(s, w))
			continue;
		left++;
		if (send) {
			struct ipc_msg m = {.type = IPC_TRANSFER};
			m.u.transfer.target_node = -1;
			link_post(w, &m);
		}
	}
	return left;
}

static void finish(struct drain *d, const char *how)
{
	d->took_ms = spawn_now_ms() - d->started_ms;
	log_info("drain: %s after %lld ms", how, (long long)d->took_ms);
	event_del(d->ev);
	event_base_loopexit(d->s->base, NULL);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct drain *d = arg;
	int64_t now = spawn_now_ms();
	bool resend = now - d->last_sent_ms >= DRAIN_RETRY_MS;
	int left = hand_over(d->s, resend);
	if (resend)
		d->last_sent_ms = now;
	if (left == 0) {
		finish(d, "every leadership handed over");
		return;
	}
	if (now - d->started_ms >= DRAIN_TIMEOUT_MS) {
		log_warn("drain: %d local replica(s) still lead after %d ms; stopping anyway", left,
			 DRAIN_TIMEOUT_MS);
		finish(d, "gave up");
	}
}

void drain_start(struct sup *s)
{
	if (s->draining) {
		log_info("drain: stopping now without waiting for it");
		event_base_loopexit(s->base, NULL);
		return;
	}
	s->draining = true;
	peers_local_changed(s->peers); /* tell the others we are leaving */
	int left = hand_over(s, false);
	if (left == 0) {
		event_base_loopexit(s->base, NULL);
		return;
	}
	struct drain *d = calloc(1, sizeof(*d));
	if (d != NULL)
		d->ev = event_new(s->base, -1, EV_PERSIST, on_poll, d);
	if (d == NULL || d->ev == NULL) {
		free(d);
		event_base_loopexit(s->base, NULL);
		return;
	}
	d->s = s;
	d->took_ms = -1;
	d->started_ms = spawn_now_ms();
	d->last_sent_ms = d->started_ms;
	s->drain = d;
	log_info("drain: handing over the leadership of %d local replica(s)", left);
	hand_over(s, true);
	struct timeval tv = {0, DRAIN_POLL_MS * 1000};
	event_add(d->ev, &tv);
}

void drain_free(struct sup *s)
{
	struct drain *d = s->drain;
	if (d == NULL)
		return;
	event_free(d->ev);
	free(d);
	s->drain = NULL;
}

int64_t drain_took_ms(const struct sup *s) { return s->drain != NULL ? s->drain->took_ms : -1; }
