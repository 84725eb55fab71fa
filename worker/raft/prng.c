/* prng.c - splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and good
 * enough for election-timeout jitter. Not for anything secret. */
#include "prng.h"

uint64_t prng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t prng_below(uint64_t *state, uint64_t n)
{
	/* Modulo bias is at most n / 2^64: irrelevant for timeouts. */
	return prng_next(state) % n;
}
