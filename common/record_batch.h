/* record_batch.h - parsing and validation of Kafka record batches (magic 2).
 *
 * A produce request's `records` field is zero or more batches laid end to
 * end. This module checks them (header, length, CRC-32C, and every record,
 * decompressing a compressed batch's payload as a stream through
 * compress.h), reads header fields, patches the two broker-owned fields that
 * sit outside the CRC (baseOffset and partitionLeaderEpoch), and iterates
 * the records and headers of uncompressed batches, and the offsets and
 * timestamps of any batch's records (ListOffsets). Only the decoding of a
 * compressed batch allocates (the decoder's bounded state). All pointers it
 * hands out borrow from the caller's buffer.
 * Functions and types are record_batch_*; the layout constants use the
 * short prefix RB_ to keep header arithmetic readable. */
#ifndef FJORD_RECORD_BATCH_H
#define FJORD_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* Byte offsets in the batch header (big-endian fields). */
#define RB_OFF_BASE_OFFSET 0
#define RB_OFF_BATCH_LENGTH 8
#define RB_OFF_LEADER_EPOCH 12
#define RB_OFF_MAGIC 16
#define RB_OFF_CRC 17
#define RB_OFF_ATTRIBUTES 21
#define RB_OFF_LAST_OFFSET_DELTA 23
#define RB_OFF_BASE_TIMESTAMP 27
#define RB_OFF_MAX_TIMESTAMP 35
#define RB_OFF_PRODUCER_ID 43
#define RB_OFF_PRODUCER_EPOCH 51
#define RB_OFF_BASE_SEQUENCE 53
#define RB_OFF_RECORDS_COUNT 57
#define RB_HEADER_LEN 61
/* batchLength counts the bytes after its own field. */
#define RB_LENGTH_OVERHEAD 12

#define RB_ATTR_COMPRESSION_MASK 0x07
#define RB_ATTR_LOG_APPEND_TIME 0x08
#define RB_ATTR_TRANSACTIONAL 0x10
#define RB_ATTR_CONTROL 0x20

struct record_batch_header {
	int64_t base_offset;
	int32_t batch_length; /* bytes after this field: total size - 12 */
	int32_t leader_epoch;
	int8_t magic;
	uint32_t crc;
	int16_t attributes;
	int32_t last_offset_delta;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int32_t records_count;
};

/* Reads the header of the batch at p[0..len) without checking the CRC or
 * the records. On success *h is filled and the batch occupies
 * h->batch_length + 12 bytes, all inside len. Errors:
 *   ERR_TRUNCATED   fewer than 17 bytes, or the batch extends past len;
 *   ERR_UNSUPPORTED magic is not 2 (nothing after the magic is read);
 *   ERR_INVALID     batchLength too small for a v2 header. */
int record_batch_parse_header(const uint8_t *p, size_t len, struct record_batch_header *h);

/* The decompressed bytes record_batch_validate allows one compressed batch
 * (the decompression-bomb limit when the caller names none). */
#define RB_MAX_INFLATED_DEFAULT ((uint64_t)64 << 20)

/* Fully validates the one batch that starts at p (there may be more bytes
 * after it): the header as above, then the CRC-32C over attributes..end
 * (ERR_CORRUPT), recordsCount >= 0 (ERR_INVALID) and that exactly
 * recordsCount well-formed records fill the batch to its end (ERR_INVALID).
 * A compressed batch's payload must decode (ERR_CORRUPT: garbage, empty,
 * truncated, trailing bytes, or codec 5-7) to at most max_inflated bytes
 * (ERR_TOOBIG), hold exactly recordsCount well-formed records (ERR_INVALID)
 * whose offset deltas are 0, 1, 2... (ERR_BADRECORD); ERR_NOMEM when the
 * decoder cannot get its memory. On success fills *h (may be NULL) and
 * *batch_len. record_batch_validate allows RB_MAX_INFLATED_DEFAULT. */
int record_batch_validate(const uint8_t *p, size_t len, struct record_batch_header *h,
			  size_t *batch_len);
int record_batch_validate_max(const uint8_t *p, size_t len, struct record_batch_header *h,
			      size_t *batch_len, uint64_t max_inflated);

/* Iterates the batches laid end to end in a records field. */
struct record_batch_iter {
	const uint8_t *p; /* borrowed */
	size_t len;
	size_t pos;
};

void record_batch_iter_init(struct record_batch_iter *it, const uint8_t *p, size_t len);
/* Validates (record_batch_validate) and returns the next batch: 1 with
 * *batch, *batch_len (borrowed) and *h (may be NULL) set, 0 at the clean end
 * of the buffer, or a negative ERR_* from validation (the iterator stops). */
int record_batch_iter_next(struct record_batch_iter *it, const uint8_t **batch, size_t *batch_len,
			   struct record_batch_header *h);

/* Header-only variant for data already validated once (e.g. read back from
 * the store): checks lengths, not CRCs or records. Same return values. */
int record_batch_iter_next_header(struct record_batch_iter *it, const uint8_t **batch,
				  size_t *batch_len, struct record_batch_header *h);

/* Field accessors on a batch known to hold at least RB_HEADER_LEN bytes. */
int64_t record_batch_base_offset(const uint8_t *batch);
int32_t record_batch_last_offset_delta(const uint8_t *batch);
int64_t record_batch_base_timestamp(const uint8_t *batch);
int64_t record_batch_max_timestamp(const uint8_t *batch);
int32_t record_batch_records_count(const uint8_t *batch);
int16_t record_batch_attributes(const uint8_t *batch);
/* Offset after the batch's last record: baseOffset + lastOffsetDelta + 1. */
int64_t record_batch_next_offset(const uint8_t *batch);

/* Patch the broker-owned fields in place. Both lie before the CRC'd region,
 * so the CRC stays valid. */
void record_batch_set_base_offset(uint8_t *batch, int64_t base_offset);
void record_batch_set_leader_epoch(uint8_t *batch, int32_t epoch);

/* Makes a whole, valid batch of batch_len bytes a LogAppendTime batch
 * stamped `ts`: sets the timestamp-type attribute bit and maxTimestamp
 * (what readers of such a batch take as every record's timestamp) and
 * recomputes the CRC, which covers both (unlike baseOffset and
 * partitionLeaderEpoch). Records are not touched. */
void record_batch_set_log_append_time(uint8_t *batch, size_t batch_len, int64_t ts);

/* One record of an uncompressed batch; pointers borrow from the batch. */
struct record_batch_record {
	int8_t attributes;
	int64_t timestamp_delta;
	int32_t offset_delta;
	int32_t key_len; /* -1 = null key (key is NULL) */
	const uint8_t *key;
	int32_t value_len; /* -1 = null value */
	const uint8_t *value;
	int32_t n_headers;
	const uint8_t *headers; /* the raw header section, see record_batch_headers */
	size_t headers_len;
};

struct record_batch_records {
	const uint8_t *p; /* borrowed: first record */
	size_t len;	  /* bytes of records */
	size_t pos;
	int32_t left; /* records not yet returned */
};

/* Starts iterating the records of a batch that record_batch_validate
 * accepted. Returns 0, or ERR_UNSUPPORTED for a compressed batch. */
int record_batch_records_init(struct record_batch_records *it, const uint8_t *batch,
			      size_t batch_len);
/* Returns 1 with *r set, 0 after the last record, or ERR_INVALID /
 * ERR_TRUNCATED for a malformed record. */
int record_batch_records_next(struct record_batch_records *it, struct record_batch_record *r);

/* Called with each record's offset (baseOffset + offsetDelta) and
 * timestamp; returns 0 to go on, > 0 to stop, < 0 to stop with an error. */
typedef int (*record_batch_time_cb)(void *ctx, int64_t offset, int64_t timestamp);

/* Walks the records of one batch that record_batch_validate accepted,
 * compressed or not, calling cb in order until it returns non-zero. A
 * compressed payload is decoded as a stream (bounded memory) up to the
 * record cb stops at, at most max_inflated bytes. Timestamps are Kafka's:
 * maxTimestamp for every record of a LogAppendTime batch, else
 * baseTimestamp + timestampDelta. Returns 0 (also when cb stopped with a
 * positive value), cb's negative value, or a decoding error:
 *   ERR_UNSUPPORTED codec 5-7;
 *   ERR_CORRUPT     the payload does not decode;
 *   ERR_TOOBIG      it decodes to more than max_inflated bytes;
 *   ERR_INVALID / ERR_TRUNCATED a malformed record;
 *   ERR_NOMEM. */
int record_batch_walk_times(const uint8_t *batch, size_t batch_len, uint64_t max_inflated,
			    record_batch_time_cb cb, void *ctx);

/* Iterates the headers of one record. */
struct record_batch_headers {
	const uint8_t *p;
	size_t len;
	size_t pos;
	int32_t left;
};

void record_batch_headers_init(struct record_batch_headers *it,
			       const struct record_batch_record *r);
/* Returns 1 with key (never NULL when key_len > 0) and value (-1 = null),
 * 0 at the end, or ERR_INVALID / ERR_TRUNCATED. */
int record_batch_headers_next(struct record_batch_headers *it, const uint8_t **key,
			      int32_t *key_len, const uint8_t **value, int32_t *value_len);

#endif
