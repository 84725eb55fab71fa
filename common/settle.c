/* settle.c - the settle period and its back-off (see settle.h). */
#include "settle.h"

void settle_init(struct settle *s)
{
	s->healthy_since = -1;
	s->period_ms = SETTLE_MIN_MS;
	s->handed_ms = -1;
}

void settle_observe(struct settle *s, bool healthy, int64_t now)
{
	if (!healthy)
		s->healthy_since = -1;
	else if (s->healthy_since < 0)
		s->healthy_since = now;
}

bool settle_ready(const struct settle *s, int64_t since, int64_t now)
{
	return since >= 0 && now - since >= s->period_ms;
}

void settle_handed(struct settle *s, int64_t now) { s->handed_ms = now; }

void settle_lead_again(struct settle *s, int64_t now)
{
	if (s->handed_ms < 0)
		return;
	if (now - s->handed_ms < SETTLE_FAIL_WINDOW_MS) {
		s->period_ms = s->period_ms * 2 > SETTLE_MAX_MS ? SETTLE_MAX_MS : s->period_ms * 2;
		s->healthy_since = -1;
	} else {
		s->period_ms = SETTLE_MIN_MS;
	}
	s->handed_ms = -1;
}
