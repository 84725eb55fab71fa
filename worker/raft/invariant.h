/* invariant.h - safety checks that stay on in release builds.
 *
 * A broken Raft invariant means the log or the state machine is about to be
 * corrupted; stopping the process (the supervisor restarts the worker from
 * its durable state) is the only safe answer. RAFT_CHECK never compiles
 * away, unlike assert(). */
#ifndef FJORD_RAFT_INVARIANT_H
#define FJORD_RAFT_INVARIANT_H

#include "raft.h"

/* Formats the message, calls r->panic_cb if set, prints it to stderr and
 * aborts. Does not return (unless panic_cb longjmps away). */
void invariant_fail(const struct raft *r, const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

#define RAFT_CHECK(r, cond, ...)                                                                   \
	do {                                                                                       \
		if (__builtin_expect(!(cond), 0))                                                  \
			invariant_fail((r), __FILE__, __LINE__, __VA_ARGS__);                      \
	} while (0)

#endif
