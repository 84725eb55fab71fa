/* batch_builder.h - builds Kafka v2 record batches for tests.
 *
 * Test-only helper, linked into every unit-test binary: a correct batch is
 * the starting point of every record_batch, partition and worker test, which
 * then corrupts it on purpose. */
#ifndef FJORD_TEST_BATCH_BUILDER_H
#define FJORD_TEST_BATCH_BUILDER_H

#include <stddef.h>
#include <stdint.h>

struct buf;

struct tb_rec {
	const char *key;   /* NULL = null key */
	const char *value; /* NULL = null value */
	int64_t ts_delta;  /* timestamp = base_ts + ts_delta */
	const char *hkey;  /* NULL = no header; else one header hkey=hval */
	const char *hval;  /* NULL = null header value */
};

/* Appends one uncompressed batch (baseOffset 0, epoch -1, CreateTime,
 * producer id -1) holding recs[0..n) to out, CRC set. Returns the position
 * of the batch in out. */
size_t tb_batch(struct buf *out, int64_t base_ts, const struct tb_rec *recs, int n);

/* Appends a batch of n records with values "<prefix>-<i>", keys NULL and
 * timestamps base_ts + i. Returns the position of the batch in out. */
size_t tb_simple_batch(struct buf *out, int n, int64_t base_ts, const char *prefix);

/* Recomputes the CRC of the batch at b after a test changed it. */
void tb_fix_crc(uint8_t *b);

#endif
