/* fuzz_record_batch.c - libFuzzer target for record batch validation.
 *
 * The input is a produce request's records field: hostile bytes straight
 * from a client. Beyond "no crash, no UB", it checks that whatever
 * validation accepts can be walked: every record and header of an accepted
 * uncompressed batch parses, there are exactly recordsCount of them, and
 * the header-only walk frames the same batches. Both CRC-32C paths agree.
 * Random bytes almost never carry a right CRC, so each input is also run
 * with every framed batch's CRC fixed, which lets the fuzzer reach the
 * record parser and, for compressed batches (seeds of every codec), the
 * decoders of common/compress.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/record_batch.h"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_record_batch: %s\n", what);
	abort();
}

static void walk_records(const uint8_t *b, size_t bl, const struct record_batch_header *h)
{
	struct record_batch_records it;
	if (record_batch_records_init(&it, b, bl) != 0)
		return; /* compressed: validation decoded and walked it */
	struct record_batch_record r;
	int32_t n = 0;
	int rc;
	while ((rc = record_batch_records_next(&it, &r)) == 1) {
		n++;
		if (r.key_len > 0 && (r.key < b || r.key + r.key_len > b + bl))
			fail("key outside the batch");
		if (r.value_len > 0 && (r.value < b || r.value + r.value_len > b + bl))
			fail("value outside the batch");
		struct record_batch_headers hi;
		const uint8_t *k, *v;
		int32_t kl, vl, nh = 0;
		record_batch_headers_init(&hi, &r);
		while ((rc = record_batch_headers_next(&hi, &k, &kl, &v, &vl)) == 1)
			nh++;
		if (rc != 0 || nh != r.n_headers)
			fail("headers of an accepted record do not parse");
	}
	if (rc != 0 || n != h->records_count)
		fail("records of an accepted batch do not parse");
}

static void check(const uint8_t *data, size_t size)
{
	struct record_batch_iter it, hit;
	const uint8_t *b, *hb;
	size_t bl, hbl;
	struct record_batch_header h;
	record_batch_iter_init(&it, data, size);
	record_batch_iter_init(&hit, data, size);
	while (record_batch_iter_next(&it, &b, &bl, &h) == 1) {
		if (b < data || b + bl > data + size || bl < RB_HEADER_LEN)
			fail("batch outside the input");
		if (record_batch_iter_next_header(&hit, &hb, &hbl, NULL) != 1 || hb != b ||
		    hbl != bl)
			fail("header walk frames batches differently");
		walk_records(b, bl, &h);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (crc32c_hw_available() && crc32c_hw(0, data, size) != crc32c_sw(0, data, size))
		fail("crc32c paths disagree");
	check(data, size);

	uint8_t *copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	record_batch_iter_init(&it, copy, size);
	while (record_batch_iter_next_header(&it, &b, &bl, NULL) == 1) {
		uint8_t *w = copy + (b - copy);
		be32_store(w + RB_OFF_CRC,
			   crc32c(0, w + RB_OFF_ATTRIBUTES, bl - RB_OFF_ATTRIBUTES));
	}
	check(copy, size);
	free(copy);
	return 0;
}
