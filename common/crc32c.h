/* crc32c.h - CRC-32C (Castagnoli), the checksum of Kafka record batches.
 *
 * One entry point picks the fastest implementation once per process: the
 * SSE4.2 `crc32` instruction when the CPU has it, otherwise a slice-by-8
 * table. Both are exported so tests can check them against the same vectors.
 * Pure functions: no allocation, no I/O. */
#ifndef FJORD_CRC32C_H
#define FJORD_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns the CRC-32C of p[0..len) continued from `crc`, the result of an
 * earlier call (0 to start). crc32c(crc32c(0, a), b) == crc32c(0, a || b).
 * crc32c(0, "123456789", 9) == 0xE3069283. p may be NULL when len is 0. */
uint32_t crc32c(uint32_t crc, const void *p, size_t len);

/* The portable slice-by-8 implementation, same contract as crc32c(). */
uint32_t crc32c_sw(uint32_t crc, const void *p, size_t len);

/* The SSE4.2 implementation, same contract. Only call it when
 * crc32c_hw_available() returns true (it faults otherwise). */
uint32_t crc32c_hw(uint32_t crc, const void *p, size_t len);

/* True when this CPU can run crc32c_hw() and the environment variable
 * FJORD_CRC32C_NO_HW is unset or empty. */
bool crc32c_hw_available(void);

#endif
