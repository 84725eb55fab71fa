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

/* Encoders, as the clients compress (Kafka's codec numbers; snappy twice:
 * raw as librdkafka writes it, Xerial-framed as the Java client does). */
enum { TB_GZIP = 1, TB_SNAPPY_RAW = 2, TB_LZ4 = 3, TB_ZSTD = 4, TB_SNAPPY_XERIAL = 5 };

/* Appends in[0..n) compressed the `how` way to out. Aborts on failure. */
void tb_encode(int how, const uint8_t *in, size_t n, struct buf *out);
/* The batch attribute's codec for an encoder (both snappys are 2). */
int tb_codec(int how);

/* Rewrites the batch at out[at..] (the last one in out) as a compressed
 * batch: its records compressed the `how` way, attributes and CRC set. */
void tb_compress(struct buf *out, size_t at, int how);

/* Replaces the payload of the batch at out[at..] (the last one) with
 * p[0..n) and sets its codec attribute, length and a valid CRC: a batch
 * whose only fault is what its payload holds. */
void tb_set_payload(struct buf *out, size_t at, int codec, const uint8_t *p, size_t n);

#endif
