/* crc32c.c - CRC-32C in hardware (SSE4.2) or by slice-by-8 tables.
 *
 * The polynomial is Castagnoli's 0x1EDC6F41, reflected 0x82F63B78, with the
 * usual pre- and post-inversion. The tables are built on first use of the
 * software path; the dispatcher checks the CPU once and caches the choice.
 * FJORD_CRC32C_NO_HW (any non-empty value) makes the CPU look as if it had
 * no SSE4.2, so tests can take the software path on any machine.
 * fjord has no threads, so the lazy initialisation needs no lock. */
#include "crc32c.h"

#include <stdlib.h>
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static bool table_ready;

static void table_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
		table[0][n] = c;
	}
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = table[0][n];
		for (int t = 1; t < 8; t++) {
			c = table[0][c & 0xff] ^ (c >> 8);
			table[t][n] = c;
		}
	}
	table_ready = true;
}

uint32_t crc32c_sw(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *s = p;
	uint32_t c = ~crc;

	if (!table_ready)
		table_init();
	/* Bytes one at a time until s is 8-aligned, so the word loads below
	 * are aligned on every architecture. */
	while (len > 0 && ((uintptr_t)s & 7) != 0) {
		c = table[0][(c ^ *s++) & 0xff] ^ (c >> 8);
		len--;
	}
	while (len >= 8) {
		/* Little-endian assembly of the 8 bytes keeps this correct on
		 * any host byte order; compilers turn it into one load. */
		uint32_t lo = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
			      (uint32_t)s[3] << 24;
		uint32_t hi = (uint32_t)s[4] | (uint32_t)s[5] << 8 | (uint32_t)s[6] << 16 |
			      (uint32_t)s[7] << 24;
		lo ^= c;
		c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
		    table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		    table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
		s += 8;
		len -= 8;
	}
	while (len > 0) {
		c = table[0][(c ^ *s++) & 0xff] ^ (c >> 8);
		len--;
	}
	return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *s = p;
	uint64_t c = ~crc;

	while (len > 0 && ((uintptr_t)s & 7) != 0) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *s++);
		len--;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		c = __builtin_ia32_crc32di(c, w);
		s += 8;
		len -= 8;
	}
	while (len > 0) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *s++);
		len--;
	}
	return ~(uint32_t)c;
}

bool crc32c_hw_available(void)
{
	const char *off = getenv("FJORD_CRC32C_NO_HW");
	if (off != NULL && *off != '\0')
		return false;
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
}
#else
/* No hardware path on this architecture: the "hardware" entry point is the
 * table so callers and tests need no #ifdef. */
uint32_t crc32c_hw(uint32_t crc, const void *p, size_t len) { return crc32c_sw(crc, p, len); }

bool crc32c_hw_available(void) { return false; }
#endif

uint32_t crc32c(uint32_t crc, const void *p, size_t len)
{
	static int use_hw = -1; /* -1 = not decided yet */

	if (use_hw < 0)
		use_hw = crc32c_hw_available() ? 1 : 0;
	return use_hw ? crc32c_hw(crc, p, len) : crc32c_sw(crc, p, len);
}
