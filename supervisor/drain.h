/* drain.h - SIGTERM: hand local leaderships away before stopping.
 *
 * Every local worker that leads a group of more than one replica is sent
 * IPC_TRANSFER{-1} (the worker picks its most caught-up follower), again
 * every DRAIN_RETRY_MS while it still leads, until no local worker leads
 * such a group or DRAIN_TIMEOUT_MS passed; then the event loop is stopped
 * and main.c stops the workers as usual. With nothing to hand over (one
 * node, single replicas) the loop stops at once. Clients of the groups see
 * only retriable errors: writes are refused while a transfer runs and the
 * new leader takes them after one Metadata refresh. */
#ifndef FJORD_SUP_DRAIN_H
#define FJORD_SUP_DRAIN_H

#define DRAIN_TIMEOUT_MS 5000
#define DRAIN_RETRY_MS 1000
#define DRAIN_POLL_MS 50

#include <stdint.h>

struct sup;

/* Starts draining s (sets s->draining; a second call stops at once).
 * Stops the loop when done; s->drain is freed by drain_free. */
void drain_start(struct sup *s);
void drain_free(struct sup *s);

/* How long a drain that waited for hand-overs ran before it stopped the
 * loop, or -1 while it runs (or when it never had to wait). For tests and
 * logs: it tells the drain's own stop from any other loop exit. */
int64_t drain_took_ms(const struct sup *s);

#endif
