/* clock.h - the one source of time for the supervisor and the worker.
 *
 * Every reading of the monotonic or the wall clock in supervisor/ and
 * worker/ goes through here, so a test can install a manual clock and
 * drive time instead of sleeping. The default is the system clock
 * (CLOCK_MONOTONIC and CLOCK_REALTIME). The Raft core never reads a clock:
 * its time is the ticks its driver gives it.
 *
 * Not covered: libevent's own timers (event_add with a timeout) run on
 * libevent's clock; code that must be driven by a manual clock calls its
 * tick function directly instead of waiting for a timer (the simulation
 * does this with the Raft driver). */
#ifndef FJORD_CLOCK_H
#define FJORD_CLOCK_H

#include <stdint.h>

/* A clock: two readings in nanoseconds. ctx is passed back. */
struct clock {
	int64_t (*mono_ns)(void *ctx); /* never goes back */
	int64_t (*wall_ns)(void *ctx); /* since the Unix epoch */
	void *ctx;
};

/* Installs c (borrowed: it must outlive its use) as the process's clock;
 * NULL goes back to the system clock. */
void clock_install(const struct clock *c);

int64_t clock_mono_ns(void);
int64_t clock_mono_ms(void);
int64_t clock_wall_ns(void);
int64_t clock_wall_ms(void);

/* A manual clock for tests: time moves only when the test says so. */
struct clock_manual {
	int64_t mono_ns;
	int64_t wall_ns;
	struct clock clock; /* what clock_install takes; ctx points here */
};

/* Starts at the given readings; install with clock_install(&m->clock). */
void clock_manual_init(struct clock_manual *m, int64_t mono_ns, int64_t wall_ns);

/* Moves both readings forward by ms milliseconds (ms >= 0). */
void clock_manual_advance_ms(struct clock_manual *m, int64_t ms);

#endif
