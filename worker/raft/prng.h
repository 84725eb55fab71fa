/* prng.h - the core's only source of randomness: splitmix64 over a state
 * word the caller seeds, so a seed replays a run exactly. */
#ifndef FJORD_RAFT_PRNG_H
#define FJORD_RAFT_PRNG_H

#include <stdint.h>

/* Returns the next 64 random bits and advances *state. */
uint64_t prng_next(uint64_t *state);
/* Returns a value in [0, n); n must be > 0. */
uint64_t prng_below(uint64_t *state, uint64_t n);

#endif
