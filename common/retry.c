/* retry.c - exponential backoff with equal jitter (retry.h). */
#include "retry.h"

void retry_init(struct retry *b, int min_ms, int max_ms, uint64_t seed)
{
	if (min_ms < 1)
		min_ms = 1;
	if (max_ms < min_ms)
		max_ms = min_ms;
	b->min_ms = min_ms;
	b->max_ms = max_ms;
	b->base_ms = min_ms;
	b->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

int retry_next(struct retry *b)
{
	int hi = b->base_ms, lo = hi / 2;
	int delay = lo + (int)(xorshift64(&b->rng) % (uint64_t)(hi - lo + 1));
	b->base_ms = hi > b->max_ms / 2 ? b->max_ms : hi * 2;
	return delay;
}

void retry_reset(struct retry *b) { b->base_ms = b->min_ms; }
