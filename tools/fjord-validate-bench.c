/* fjord-validate-bench - what validating a produced batch costs, per codec.
 *
 * Builds one batch of text-like records, compressed as the clients do it
 * (gzip level 6, raw snappy, an lz4 frame, zstd level 3), and times
 * record_batch_validate on it in a loop: the CRC plus, for a compressed
 * batch, decoding the payload and walking every record, which is what the
 * leader does before it stores a batch. It also times the CRC alone, all
 * that was checked of a compressed batch before. Prints one line per codec.
 * A measurement tool: no broker, no I/O. */
#include <getopt.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/record_batch.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The records of a batch: n values of size bytes of words. */
static void make_records(struct buf *out, int n, int size)
{
	uint32_t x = 2463534242u;
	static const char *words[] = {"order", "id",	  "customer",	"amount",
				      "EUR",   "shipped", "2026-12-04", "warehouse",
				      "north", "status",  "ok",		"42"};
	char *v = malloc((size_t)size);
	for (int i = 0; i < n; i++) {
		int k = 0;
		while (k < size) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			const char *w = words[x % 12];
			for (const char *c = w; *c && k < size; c++)
				v[k++] = *c;
			if (k < size)
				v[k++] = (x >> 8) % 3 ? ' ' : ',';
		}
		struct buf r;
		buf_init(&r);
		buf_put_u8(&r, 0);
		buf_put_varint(&r, i);
		buf_put_varint(&r, i);
		buf_put_varint(&r, -1);
		buf_put_varint(&r, size);
		buf_put(&r, v, (size_t)size);
		buf_put_varint(&r, 0);
		buf_put_varint(out, (int64_t)r.len);
		buf_put(out, r.data, r.len);
		buf_free(&r);
	}
	free(v);
}

static size_t encode(int codec, const struct buf *in, uint8_t *dst, size_t cap)
{
	size_t n = cap;
	switch (codec) {
	case 1: {
		z_stream z;
		memset(&z, 0, sizeof(z));
		deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
		z.next_in = in->data;
		z.avail_in = (uInt)in->len;
		z.next_out = dst;
		z.avail_out = (uInt)cap;
		deflate(&z, Z_FINISH);
		n = cap - z.avail_out;
		deflateEnd(&z);
		return n;
	}
	case 2:
		snappy_compress((const char *)in->data, in->len, (char *)dst, &n);
		return n;
	case 3:
		return LZ4F_compressFrame(dst, cap, in->data, in->len, NULL);
	case 4:
		return ZSTD_compress(dst, cap, in->data, in->len, 3);
	}
	memcpy(dst, in->data, in->len);
	return in->len;
}

static void build_batch(struct buf *b, int codec, const struct buf *recs, int n)
{
	size_t cap = recs->len * 2 + 4096;
	uint8_t *payload = malloc(cap);
	size_t plen = encode(codec, recs, payload, cap);
	buf_reset(b);
	buf_put_u64(b, 0);
	buf_put_u32(b, 0);
	buf_put_u32(b, (uint32_t)-1);
	buf_put_u8(b, 2);
	buf_put_u32(b, 0);
	buf_put_u16(b, (uint16_t)codec);
	buf_put_u32(b, (uint32_t)(n - 1));
	buf_put_u64(b, 0);
	buf_put_u64(b, 0);
	buf_put_u64(b, (uint64_t)-1);
	buf_put_u16(b, (uint16_t)-1);
	buf_put_u32(b, (uint32_t)-1);
	buf_put_u32(b, (uint32_t)n);
	buf_put(b, payload, plen);
	be32_store(b->data + RB_OFF_BATCH_LENGTH, (uint32_t)(b->len - RB_LENGTH_OVERHEAD));
	be32_store(b->data + RB_OFF_CRC,
		   crc32c(0, b->data + RB_OFF_ATTRIBUTES, b->len - RB_OFF_ATTRIBUTES));
	free(payload);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: fjord-validate-bench [--records N] [--size BYTES] [--seconds S]\n"
		   "Try 'fjord-validate-bench --help' for more.\n");
}

static void help(void)
{
	printf("NAME\n"
	       "    fjord-validate-bench - time the validation of produced record batches per "
	       "codec\n"
	       "\n"
	       "SYNOPSIS\n"
	       "    fjord-validate-bench [--records N] [--size BYTES] [--seconds S]\n"
	       "\n"
	       "DESCRIPTION\n"
	       "    Builds one record batch of N text-like records of BYTES each, once\n"
	       "    uncompressed and once per codec as the clients compress (gzip level 6,\n"
	       "    raw snappy, an lz4 frame, zstd level 3), and times what the leader does\n"
	       "    before it stores a batch: record_batch_validate, the CRC-32C plus, for a\n"
	       "    compressed batch, decoding its payload and walking every record. It\n"
	       "    also times the CRC alone. One line per codec: batch bytes, record\n"
	       "    bytes, microseconds per validation, record MB/s (10^6 B) and\n"
	       "    microseconds for the CRC alone. No broker, no I/O; see docs/BENCH.md.\n"
	       "\n"
	       "OPTIONS\n"
	       "    --records N     records in the batch (default 1000)\n"
	       "    --size BYTES    value size of each record (default 1000)\n"
	       "    --seconds S     time spent timing each codec (default 1)\n"
	       "    -h, --help      print this text\n"
	       "\n"
	       "EXIT STATUS\n"
	       "    0 done, 1 a batch did not validate, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	int n = 1000, size = 1000;
	double seconds = 1.0;
	static const struct option opts[] = {{"records", required_argument, NULL, 'n'},
					     {"size", required_argument, NULL, 's'},
					     {"seconds", required_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'n')
			n = atoi(optarg);
		else if (c == 's')
			size = atoi(optarg);
		else if (c == 't')
			seconds = atof(optarg);
		else if (c == 'h') {
			help();
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (n < 1 || size < 1 || seconds <= 0 || optind < argc) {
		usage(stderr);
		return 2;
	}
	struct buf recs, b;
	buf_init(&recs);
	buf_init(&b);
	make_records(&recs, n, size);
	static const char *names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
	printf("%-7s %10s %10s %12s %12s %12s\n", "codec", "batch_B", "records_B", "validate_us",
	       "records_MB/s", "crc_only_us");
	for (int codec = 0; codec <= 4; codec++) {
		build_batch(&b, codec, &recs, n);
		size_t bl;
		if (record_batch_validate(b.data, b.len, NULL, &bl) != 0) {
			fprintf(stderr, "fjord-validate-bench: %s batch does not validate\n",
				names[codec]);
			return 1;
		}
		long iters = 0;
		double t0 = now_s(), t;
		do {
			record_batch_validate(b.data, b.len, NULL, &bl);
			iters++;
		} while ((t = now_s() - t0) < seconds);
		double per = t / (double)iters;
		long citers = 0;
		uint32_t sink = 0;
		double c0 = now_s(), ct;
		do {
			sink ^= crc32c(0, b.data + RB_OFF_ATTRIBUTES, b.len - RB_OFF_ATTRIBUTES);
			citers++;
		} while ((ct = now_s() - c0) < seconds / 4);
		printf("%-7s %10zu %10zu %12.1f %12.1f %12.1f%s\n", names[codec], b.len, recs.len,
		       per * 1e6, (double)recs.len / per / 1e6, ct / (double)citers * 1e6,
		       sink == 1 ? " " : "");
	}
	buf_free(&recs);
	buf_free(&b);
	return 0;
}
