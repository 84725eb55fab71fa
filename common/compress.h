/* compress.h - decompression of the payload of compressed Kafka record
 * batches, as a stream read chunk by chunk.
 *
 * Codecs are the batch attribute's: gzip (zlib), snappy (raw, as librdkafka
 * writes it, or Xerial-framed, as the Java client writes it), lz4 (the LZ4
 * frame format) and zstd. Memory stays bounded whatever the input: the
 * streaming codecs decode into a fixed buffer, snappy's whole-block output
 * is checked against the most a snappy block can expand to before it is
 * allocated, and the total output is capped by the caller (the
 * decompression-bomb limit). It only decodes: what the bytes mean is
 * record_batch.c's business. Used on the produce path (validation) and by
 * ListOffsets by timestamp, which decodes at most one stored batch per
 * lookup; Fetch serves stored batches as they are. */
#ifndef FJORD_COMPRESS_H
#define FJORD_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* The compression codec in bits 0-2 of a batch's attributes. */
enum compress_codec {
	COMPRESS_NONE = 0,
	COMPRESS_GZIP = 1,
	COMPRESS_SNAPPY = 2,
	COMPRESS_LZ4 = 3,
	COMPRESS_ZSTD = 4,
};

struct compress_stream;

/* Opens a stream decoding in[0..in_len) (borrowed: it must outlive the
 * stream) with codec, producing at most max_out bytes. On success *out is
 * the stream (caller frees with compress_stream_close). Errors:
 *   ERR_UNSUPPORTED a codec other than gzip, snappy, lz4 or zstd;
 *   ERR_NOMEM. */
int compress_stream_open(struct compress_stream **out, int codec, const uint8_t *in, size_t in_len,
			 uint64_t max_out);

/* Returns the next decoded bytes: 1 with *chunk (borrowed, valid until the
 * next call) and *n > 0 set, 0 at the end of the stream (every input byte
 * consumed by complete frames or members), or an error that ends the
 * stream:
 *   ERR_CORRUPT the input does not decode (garbage, truncated, a checksum,
 *               trailing bytes), including an empty input;
 *   ERR_TOOBIG  the output would exceed max_out;
 *   ERR_NOMEM. */
int compress_stream_read(struct compress_stream *s, const uint8_t **chunk, size_t *n);

/* Frees the stream; NULL is fine. */
void compress_stream_close(struct compress_stream *s);

/* Decodes all of in[0..in_len) and appends it to out (for tests and the
 * benchmark). Same errors as the stream's. */
int compress_decompress(int codec, const uint8_t *in, size_t in_len, uint64_t max_out,
			struct buf *out);

#endif
