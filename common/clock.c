/* clock.c - the system clock and a manual one behind one switch (see
 * clock.h). The only file of the supervisor and the worker that calls
 * clock_gettime. */
#include "clock.h"

#include <stddef.h>
#include <time.h>

static int64_t sys_read(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t sys_mono(void *ctx) { return sys_read(CLOCK_MONOTONIC); }
static int64_t sys_wall(void *ctx) { return sys_read(CLOCK_REALTIME); }

static const struct clock system_clock = {.mono_ns = sys_mono, .wall_ns = sys_wall};
static const struct clock *current = &system_clock;

void clock_install(const struct clock *c) { current = c != NULL ? c : &system_clock; }

int64_t clock_mono_ns(void) { return current->mono_ns(current->ctx); }
int64_t clock_mono_ms(void) { return clock_mono_ns() / 1000000; }
int64_t clock_wall_ns(void) { return current->wall_ns(current->ctx); }
int64_t clock_wall_ms(void) { return clock_wall_ns() / 1000000; }

static int64_t manual_mono(void *ctx) { return ((struct clock_manual *)ctx)->mono_ns; }
static int64_t manual_wall(void *ctx) { return ((struct clock_manual *)ctx)->wall_ns; }

void clock_manual_init(struct clock_manual *m, int64_t mono_ns, int64_t wall_ns)
{
	m->mono_ns = mono_ns;
	m->wall_ns = wall_ns;
	m->clock = (struct clock){.mono_ns = manual_mono, .wall_ns = manual_wall, .ctx = m};
}

void clock_manual_advance_ms(struct clock_manual *m, int64_t ms)
{
	m->mono_ns += ms * 1000000;
	m->wall_ns += ms * 1000000;
}
