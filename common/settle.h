/* settle.h - when leadership may be handed back to the preferred replica:
 * only after it has been healthy for a settle period, and with a longer
 * period after each hand-back that failed.
 *
 * The supervisor's balance (supervisor/balance.c, on request) and the
 * worker's own balance (worker/leadership.c, every 2 s) apply the same
 * rule, so that a replica that keeps stalling (packet loss, SIGSTOP) is not
 * handed leadership over and over. "Healthy" is the caller's judgement
 * (caught up and heard from every time); this only keeps the times.
 * Pure: no clock, times come in as arguments (milliseconds). */
#ifndef FJORD_COMMON_SETTLE_H
#define FJORD_COMMON_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#define SETTLE_MIN_MS 10000	    /* the first settle period */
#define SETTLE_MAX_MS 160000	    /* after four failed hand-backs in a row */
#define SETTLE_FAIL_WINDOW_MS 60000 /* leading again this soon: the hand-back failed */

struct settle {
	int64_t healthy_since; /* -1: not healthy now (settle_observe) */
	int64_t period_ms;     /* SETTLE_MIN_MS, doubled per failed hand-back */
	int64_t handed_ms;     /* when the last hand-back started, -1 none pending */
};

void settle_init(struct settle *s);

/* Records whether the target is healthy at now: it stays healthy since the
 * first of an unbroken run of healthy observations. */
void settle_observe(struct settle *s, bool healthy, int64_t now);

/* True when a target healthy since `since` (-1: not healthy) has been so
 * for the current period. */
bool settle_ready(const struct settle *s, int64_t since, int64_t now);

/* A hand-back to the target starts at now. */
void settle_handed(struct settle *s, int64_t now);

/* This replica leads (again) at now although a hand-back was started: if
 * that was within SETTLE_FAIL_WINDOW_MS it failed, and the period doubles
 * (up to SETTLE_MAX_MS) and health must be shown anew; if longer ago the
 * hand-back had worked and the period is back to SETTLE_MIN_MS. Nothing
 * happens without a started hand-back. */
void settle_lead_again(struct settle *s, int64_t now);

#endif
