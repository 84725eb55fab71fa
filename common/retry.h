/* retry.h - the delays between attempts of a connection that keeps failing:
 * exponential with jitter, bounded.
 *
 * The n-th delay after a reset is drawn uniformly from [b/2, b] where b
 * starts at min_ms and doubles up to max_ms ("equal jitter"): the upper
 * bound never exceeds max_ms, and peers that lost each other at the same
 * moment (a network heal, a restarted node) do not redial in lockstep.
 * Pure: no clock, no I/O; the random sequence comes from the seed, so tests
 * can replay it. */
#ifndef FJORD_RETRY_H
#define FJORD_RETRY_H

#include <stdint.h>

struct retry {
	int min_ms, max_ms; /* 0 < min_ms <= max_ms */
	int base_ms;	    /* upper bound of the next delay */
	uint64_t rng;	    /* xorshift state, never 0 */
};

/* Starts at min_ms. seed 0 picks a fixed non-zero state. */
void retry_init(struct retry *b, int min_ms, int max_ms, uint64_t seed);

/* The next delay in ms, in [base/2, base]; then base doubles (at most
 * max_ms). */
int retry_next(struct retry *b);

/* A success: the next delay is drawn from [min_ms/2, min_ms] again. */
void retry_reset(struct retry *b);

#endif
