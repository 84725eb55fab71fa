/* invariant.c - reporting a broken Raft invariant and stopping.
 *
 * The only place in the core that prints: a dying process must say why. */
#include "invariant.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void invariant_fail(const struct raft *r, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(
	    msg, sizeof(msg), "raft invariant broken (replica %llu, term %llu) at %s:%d: ",
	    (unsigned long long)(r ? r->id : 0), (unsigned long long)(r ? r->term : 0), file, line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (r && r->panic_cb)
		r->panic_cb(r->panic_ctx, msg);
	fprintf(stderr, "%s\n", msg);
	abort();
}
