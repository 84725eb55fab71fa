/* fnv.h - the 64-bit FNV-1a hash, for hash tables and derived ids.
 *
 * Not for anything an attacker chooses to collide, nor for placement
 * (common/placement.c has its own 32-bit contract shared by every node). */
#ifndef FJORD_FNV_H
#define FJORD_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_OFFSET 1469598103934665603ULL

/* Continues hash h over p[0..len); start with FNV64_OFFSET. */
uint64_t fnv1a64(uint64_t h, const void *p, size_t len);

/* A table key for (topic[0..len), partition), its low bits mixed so that
 * `& mask` spreads well. */
uint64_t fnv_partition_key(const char *topic, size_t len, int32_t partition);

#endif
