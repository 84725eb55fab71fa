/* fnv.c - 64-bit FNV-1a of fnv.h. */
#include "fnv.h"

#define FNV64_PRIME 1099511628211ULL

uint64_t fnv1a64(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= FNV64_PRIME;
	}
	return h;
}

uint64_t fnv_partition_key(const char *topic, size_t len, int32_t partition)
{
	uint64_t h = fnv1a64(FNV64_OFFSET, topic, len);
	h ^= (uint32_t)partition;
	h *= FNV64_PRIME;
	return h ^ (h >> 29);
}
