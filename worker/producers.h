/* producers.h - a partition's idempotent-producer table and its rules.
 *
 * Maps producer id -> {epoch, the PRODUCERS_HISTORY most recent batches:
 * first and last sequence, base and last offset, log index}. Pure: no
 * store, no clock, no I/O (it reads record batch headers handed to it);
 * worker/idem.c fills it from the log and asks it about produced batches.
 * Batches with producer id < 0 (not idempotent) never reach it.
 *
 * The rules for a produced batch (producers_check), as Kafka's:
 *   - unknown producer id: accepted (its state may have been removed by
 *     retention, or forgotten at the size limit);
 *   - epoch lower than known: INVALID_PRODUCER_EPOCH;
 *   - epoch higher than known: a new history; accepted only when its first
 *     sequence is 0, else OUT_OF_ORDER_SEQUENCE_NUMBER;
 *   - same epoch, (first_seq, last_seq) equal to one of the recent batches:
 *     a duplicate, answered with that batch's original offsets;
 *   - same epoch, first_seq right after the last known last_seq (INT32_MAX
 *     wraps to 0): accepted; anything else OUT_OF_ORDER_SEQUENCE_NUMBER.
 *
 * Memory: at most `max` producers; when full, the quarter whose last batch
 * is oldest in the log is forgotten (they become unknown, so accepted). */
#ifndef FJORD_WORKER_PRODUCERS_H
#define FJORD_WORKER_PRODUCERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define PRODUCERS_HISTORY 5
#define PRODUCERS_MAX_DEFAULT 20000

/* One idempotent batch as the table sees it. */
struct producers_batch {
	int64_t producer_id; /* >= 0 */
	int16_t epoch;
	int32_t first_seq; /* baseSequence */
	int32_t last_seq;  /* baseSequence + lastOffsetDelta, wrapped */
	int64_t base_offset;
	int64_t last_offset;
	uint64_t index; /* log index of the entry holding it */
};

struct producers_recent {
	int32_t first_seq, last_seq;
	int64_t base_offset, last_offset;
	uint64_t index;
};

/* One producer's state; internal to producers.c, here for its size. */
struct producers_entry {
	int64_t id; /* -1: an empty slot */
	int16_t epoch;
	uint8_t n;    /* recent batches held, <= PRODUCERS_HISTORY */
	uint8_t head; /* slot of the newest */
	struct producers_recent recent[PRODUCERS_HISTORY];
};

struct producers {
	struct producers_entry *slots; /* owned; open addressing, cap a power of 2 */
	size_t cap;
	size_t n;
	size_t max;
};

/* An empty table holding at most max producers (0: PRODUCERS_MAX_DEFAULT). */
void producers_init(struct producers *t, size_t max);

/* Frees the slots; the table is empty (and usable) afterwards. */
void producers_free(struct producers *t);

/* Forgets every producer, keeping the memory. */
void producers_clear(struct producers *t);

/* Makes dst (initialised) an exact copy of src. Errors: ERR_NOMEM (dst is
 * then empty). */
int producers_copy(struct producers *dst, const struct producers *src);

size_t producers_count(const struct producers *t);

/* The last sequence of a batch: first_seq + last_offset_delta, wrapping
 * past INT32_MAX to 0 as producers do. */
int32_t producers_last_seq(int32_t first_seq, int32_t last_offset_delta);

/* The sequence that follows seq (INT32_MAX -> 0). */
int32_t producers_next_seq(int32_t seq);

/* The epoch and sequence rule alone, for a batch following a known one
 * (known_epoch, known_last_seq): KERR_NONE, KERR_INVALID_PRODUCER_EPOCH or
 * KERR_OUT_OF_ORDER_SEQUENCE_NUMBER. No duplicate detection. */
int16_t producers_rule(int16_t known_epoch, int32_t known_last_seq, int16_t epoch,
		       int32_t first_seq);

/* Applies the rules above to batch b (its offsets and index are ignored).
 * Returns KERR_NONE, KERR_INVALID_PRODUCER_EPOCH or
 * KERR_OUT_OF_ORDER_SEQUENCE_NUMBER. On KERR_NONE, *dup tells whether it is
 * a duplicate, and then *orig (may be NULL) is the original batch. */
int16_t producers_check(const struct producers *t, const struct producers_batch *b, bool *dup,
			struct producers_batch *orig);

/* The state of producer id, if known: 1 with *epoch and *last (the newest
 * batch) set, else 0. */
int producers_find(const struct producers *t, int64_t id, int16_t *epoch,
		   struct producers_batch *last);

/* Calls cb once per known producer with its id, epoch and newest batch,
 * in no particular order; stops early when cb returns non-zero (and
 * returns that value), else returns 0. cb must not change t. */
typedef int (*producers_each_cb)(void *ctx, int64_t id, int16_t epoch,
				 const struct producers_recent *last);
int producers_each(const struct producers *t, producers_each_cb cb, void *ctx);

/* Records batch b as the producer's newest, following the log, which is
 * authoritative: a different epoch than known starts a new history with
 * b; the same epoch adds b, forgetting the oldest beyond
 * PRODUCERS_HISTORY. A batch equal to a recent one of the same epoch is
 * not added twice. Errors: ERR_NOMEM (the table is unchanged). */
int producers_record(struct producers *t, const struct producers_batch *b);

/* Fills *b from the header of a stored batch (offsets assigned). Returns 1
 * when the batch is idempotent (producer id, epoch and base sequence all
 * >= 0), else 0. The batch must hold at least RB_HEADER_LEN bytes. */
int producers_batch_from(const uint8_t *batch, uint64_t index, struct producers_batch *b);

/* Records every idempotent batch of a log entry's payload (batches with
 * offsets assigned, as stored) at log index `index`. The payload was
 * validated when produced; only batch framing is checked here, and a
 * malformed tail is skipped. Errors: ERR_NOMEM (batches before the failing
 * one are recorded). */
int producers_record_entry(struct producers *t, const uint8_t *data, size_t len, uint64_t index);

/* The table as bytes (appended to out), for a snapshot: every producer
 * with its epoch and recent batches. Errors: ERR_NOMEM. */
int producers_encode(const struct producers *t, struct buf *out);

/* Replaces t's contents with a table producers_encode wrote (borrowed).
 * Errors: ERR_CORRUPT (malformed; t is then empty), ERR_NOMEM. A table
 * larger than t's max keeps the newest producers (eviction as usual). */
int producers_decode(struct producers *t, const uint8_t *data, size_t len);

#endif
