/* partition.h - Kafka semantics of one partition over its store.
 *
 * Owns the offsets bookkeeping of a partition replica: validating produced
 * batches and assigning their offsets, the high watermark, the log start
 * offset, and answering Fetch and ListOffsets from the store. Knows nothing
 * of sockets, ipc or the event loop, and nothing of how an entry becomes
 * committed: that is the Raft driver's job, which reaches it through the
 * partition state machine (partition_sm.c) and partition_apply_entry.
 *
 * The produce path: partition_produce validates the records and rewrites
 * their baseOffset and partitionLeaderEpoch in place from next_offset. The
 * caller proposes the bytes as one log entry; once the Raft core accepted
 * it, partition_proposed moves next_offset past it (the state machine's
 * proposed hook, partition_sm.c), so a refused proposal reserves nothing.
 * When the entry commits, partition_apply_entry moves the high watermark
 * to its end. next_offset is written only here: by partition_proposed,
 * partition_apply_entry (never below the high watermark),
 * partition_reset_next (a new leader) and partition_restore.
 *
 * One log entry holds the whole records field of one produce request (one or
 * more batches), so a request is stored all or nothing. Kafka error codes
 * come back as int16_t (common/kafka/kerr.h). */
#ifndef FJORD_PARTITION_H
#define FJORD_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct producers;
struct store;

#define PARTITION_MAX_MESSAGE_BYTES_DEFAULT 1048588 /* Kafka's message.max.bytes */
/* The decompression-bomb limit: a compressed batch may decode to at most
 * this many times max_message_bytes (64 MiB at the default), else
 * MESSAGE_TOO_LARGE (the Java producer then splits the batch). */
#define PARTITION_INFLATE_FACTOR 64

struct partition_config {
	int32_t max_message_bytes; /* largest batch accepted; <= 0 = the default */
	int64_t retention_ms;	   /* delete batches older than this; < 0 = never */
	int64_t retention_bytes;   /* keep the log below this; < 0 = no limit */
	bool log_append_time;	   /* message.timestamp.type=LogAppendTime */
};

struct partition {
	struct store *store; /* borrowed; outlives the partition */
	struct partition_config cfg;
	int64_t log_start_offset; /* first offset still stored */
	int64_t high_watermark;	  /* offset after the last committed record */
	int64_t next_offset;	  /* offset the next accepted batch gets */
	uint64_t commit_index;	  /* log index of the last committed entry */
	/* For comparing replicas: the sum (mod 2^64) of partition_batch_hash
	 * over every committed batch below high_watermark (log_checksum) and
	 * below log_start_offset (start_checksum). A sum, not a chain, so
	 * retention can carry the removed batches into start_checksum as it
	 * deletes them; each hash covers its batch's offset, so two replicas
	 * agree only if they hold the same batches at the same offsets. */
	uint64_t log_checksum;
	uint64_t start_checksum;
	uint64_t saved_index; /* commit_index of the apply state last saved */
	/* Idempotent producers of the committed log (worker/idem.h), fed by
	 * partition_apply_entry and cleared by partition_restore; borrowed,
	 * NULL = not kept. Set by the owner after open/recover. */
	struct producers *producers;
	/* DeleteRecords: the highest log start a committed delete command
	 * asked for (0: none). log_start_offset is at least this; the store
	 * may still hold a batch that straddles it (only whole batches are
	 * removed, by partition_retain), which Fetch and ListOffsets do not
	 * reach below it. delete_dirty: partition_save must persist it;
	 * delete_pending: partition_retain has batches to remove for it,
	 * which it does once the delete is saved (not dirty). */
	int64_t deleted_below;
	bool delete_dirty;
	bool delete_pending;
};

/* The payload of a delete command (a RAFT_ENTRY_COMMAND entry): one byte
 * PARTITION_CMD_DELETE_BELOW, then the new log start offset (i64,
 * big-endian). */
#define PARTITION_CMD_DELETE_BELOW 1
#define PARTITION_CMD_DELETE_LEN 9
void partition_delete_command(int64_t offset, uint8_t out[PARTITION_CMD_DELETE_LEN]);

/* DeleteRecords' check on the leader: `*offset` -1 means the high
 * watermark (resolved into *offset). Returns KERR_NONE, or
 * KERR_OFFSET_OUT_OF_RANGE for an offset beyond the high watermark or
 * another negative one. An offset at or below the log start needs no
 * command: the caller answers with the log start at once. */
int16_t partition_delete_check(const struct partition *p, int64_t *offset);

/* Recovers the partition from the store. Entries up to commit_index are
 * committed (single replica: the whole log; with Raft: the applied index).
 * Errors: ERR_CORRUPT (an entry does not hold record batches), ERR_IO. */
int partition_open(struct partition *p, struct store *s, const struct partition_config *cfg,
		   uint64_t commit_index);

/* Recovers the partition from the apply state the Raft driver saved
 * (partition_save): commit_index and log_checksum as they were then, the log
 * start's checksum, and the high watermark at that index. Entries committed
 * after it are applied again by the driver. A store without saved state
 * (new, or written by the single-replica code) starts from its log start.
 * Errors: as partition_open, plus ERR_CORRUPT for malformed saved state. */
int partition_recover(struct partition *p, struct store *s, const struct partition_config *cfg);

/* The hash of one stored batch (bytes as served, offsets assigned), from its
 * CRC-32C over all of its bytes, its length and its base offset. */
uint64_t partition_batch_hash(const uint8_t *batch, size_t len);

/* Applies the committed log entry at `index` (entries in index order): a
 * data entry moves the high watermark past its batches, adds their
 * hashes to log_checksum and records its idempotent batches in
 * p->producers; a delete command (STORE_KIND_COMMAND) moves the log start
 * up to its offset (never past the high watermark, never down) and leaves
 * the stored batches wholly below it to partition_retain; any kind moves
 * commit_index. Returns 0, or ERR_CORRUPT when a data entry holds no
 * well-framed batch or a command is malformed (nothing changes then but
 * commit_index). */
int partition_apply_entry(struct partition *p, uint64_t index, uint8_t kind, const uint8_t *data,
			  size_t len);

/* Writes the apply state (commit_index, log_checksum) into the store, in its
 * open batch if there is one, when it changed since the last save. Errors:
 * store errors. */
int partition_save(struct partition *p);

/* For a new leader: the next offset is the one after the last data entry in
 * the whole log, committed or not (a new leader commits everything it
 * holds), and never below the high watermark. Errors: ERR_CORRUPT, ERR_IO. */
int partition_reset_next(struct partition *p);

/* The partition's part of a Raft snapshot: its state at the log start is
 * only where the log starts, so the bytes are the log start offset and
 * start_checksum (16 bytes, big-endian). */
#define PARTITION_SNAPSHOT_LEN 16
void partition_snapshot(const struct partition *p, uint8_t out[PARTITION_SNAPSHOT_LEN]);

/* Installing a leader's log start on a follower that fell behind it, in two
 * steps around the commit of the driver's write batch: partition_restore_store
 * (inside the batch) discards the whole log and records the new start;
 * partition_restore (after the commit) moves the in-memory state there:
 * offsets restart at the snapshot's log start offset, and the producer
 * state is forgotten (its producers are unknown, so accepted). Errors:
 * ERR_INVALID (not a partition snapshot), store errors. */
int partition_restore_store(struct partition *p, uint64_t index, uint64_t term, const uint8_t *data,
			    size_t len);
void partition_restore(struct partition *p, uint64_t index, const uint8_t *data, size_t len);

/* Validates a produce request's records (one or more v2 batches) and assigns
 * offsets: each batch gets baseOffset = next offset and partitionLeaderEpoch
 * = leader_epoch, written into `records` in place (borrowed, modified). On
 * success returns KERR_NONE with *base_offset (the first batch's) and
 * *next_offset (after the last record) set; p->next_offset moves only when
 * the entry is proposed (partition_proposed).
 * Otherwise nothing changes and it returns:
 *   KERR_CORRUPT_MESSAGE               bad CRC, truncated or malformed batch,
 *                                      a compressed payload that does not
 *                                      decode or holds malformed records
 *   KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT magic other than 2
 *   KERR_MESSAGE_TOO_LARGE             a batch larger than max_message_bytes,
 *                                      or decoding to more than
 *                                      PARTITION_INFLATE_FACTOR times that
 *   KERR_INVALID_RECORD                no batch, no records, a record count
 *                                      that disagrees with lastOffsetDelta,
 *                                      or compressed records whose offset
 *                                      deltas are not 0, 1, 2...
 * Per-record work is record_batch_validate_max's: CRC, framing, and every
 * record, decompressed as a stream for compressed batches. */
int16_t partition_produce(struct partition *p, uint8_t *records, size_t len, int32_t leader_epoch,
			  int64_t *base_offset, int64_t *next_offset);

/* An entry holding `data` (offsets assigned by partition_produce) was
 * accepted for the log: next_offset moves past its last record. */
void partition_proposed(struct partition *p, const uint8_t *data, size_t len);

/* The offsets-row key of a stored entry (store_log.h): the Kafka base
 * offset of a data entry's first batch, -1 for other kinds. */
int64_t partition_entry_key(uint8_t kind, const uint8_t *data, size_t len);

/* partition_produce in its two steps, for a caller that must decide
 * something (the idempotence check) between them: partition_validate
 * returns the errors above and changes nothing; partition_assign, only on
 * records partition_validate accepted, assigns the offsets. Nothing may be
 * read from a batch's header before partition_validate accepted it. */
int16_t partition_validate(const struct partition *p, const uint8_t *records, size_t len);
void partition_assign(struct partition *p, uint8_t *records, size_t len, int32_t leader_epoch,
		      int64_t *base_offset, int64_t *next_offset);

/* For a LogAppendTime topic, after partition_assign: stamps every batch of
 * `records` (accepted by partition_validate) with append time now_ms
 * (record_batch_set_log_append_time: attribute, maxTimestamp and a new
 * CRC, since the CRC covers both). */
void partition_stamp_append_time(uint8_t *records, size_t len, int64_t now_ms);

/* The data entry at log index `index`, ending before `next_offset`, is
 * committed: the high watermark moves to next_offset. Entries must be applied
 * in index order. */
void partition_apply(struct partition *p, uint64_t index, int64_t next_offset);

/* Offset after the last record of an entry's payload (its last batch's
 * baseOffset + lastOffsetDelta + 1), for drivers that apply entries read
 * from the log. Returns -1 when the payload holds no well-framed batch. */
int64_t partition_entry_next_offset(const uint8_t *payload, size_t len);

/* Appends to `out` the committed batches from the one containing `offset`
 * on, whole batches only, stopping before max_bytes would be exceeded but
 * always including the first batch (Kafka's rule, so a large batch cannot
 * stall a consumer). Clients skip the records before `offset` themselves.
 * Returns KERR_NONE (offset == high watermark appends nothing),
 * KERR_OFFSET_OUT_OF_RANGE (offset below the log start or above the high
 * watermark) or KERR_KAFKA_STORAGE_ERROR. */
int16_t partition_fetch(struct partition *p, int64_t offset, int32_t max_bytes, struct buf *out);

/* The same, handing each batch to emit (its bytes borrow from the store for
 * the call only) instead of a buffer, so a caller can copy straight from the
 * store into its output. emit returns 0, or a negative ERR_* to stop (the
 * fetch then answers KERR_KAFKA_STORAGE_ERROR). *total is the bytes emitted. */
typedef int (*partition_emit_cb)(void *ctx, const uint8_t *batch, size_t len);
int16_t partition_fetch_emit(struct partition *p, int64_t offset, int32_t max_bytes,
			     partition_emit_cb emit, void *ctx, size_t *total);

/* ListOffsets. timestamp -2 (earliest) answers the log start offset, -1
 * (latest) the high watermark, both with timestamp -1; -3 (max timestamp)
 * the first committed record with the largest timestamp; any other value
 * >= 0 the first committed record whose timestamp is >= it; both with that
 * record's offset and timestamp, compressed batches included (Kafka 3.8+,
 * KAFKA-16310). A LogAppendTime batch's records all have its maxTimestamp,
 * so its first record answers. -4 (earliest local) answers as -2 and -5
 * (earliest pending upload) offset -1, as Kafka does for topics without
 * remote storage. Not found: offset -1, timestamp -1.
 * Cost of -3 and >= 0: a scan of the batch headers from the log start
 * (linear; an index by time is future work), then the records of the one
 * batch that holds the answer, decoded as a stream when compressed (at most
 * PARTITION_INFLATE_FACTOR times max_message_bytes; past that, or when no
 * record agrees with the batch's maxTimestamp, the batch's base offset and
 * maxTimestamp answer). Returns KERR_NONE, KERR_KAFKA_STORAGE_ERROR (also
 * for a stored batch that no longer decodes) or KERR_INVALID_REQUEST
 * (other negative values). */
int16_t partition_list_offsets(struct partition *p, int64_t timestamp, int64_t *offset,
			       int64_t *ts_out);

/* OffsetForLeaderEpoch (KIP-320) on a leader of term current_term: where
 * leader epoch `epoch` (a Raft term) ended in this log, with Kafka's rules:
 *   - epoch == current_term: (epoch, the log end offset);
 *   - epoch < 0 or > current_term: (-1, -1);
 *   - otherwise the end offset is the base offset of the first batch of a
 *     later epoch (the log end when no later batch is stored yet) and the
 *     epoch is the largest one <= `epoch` in the log, or `epoch` itself
 *     when the log holds none that small.
 * Sets *epoch_out and *end_offset. Returns KERR_NONE or
 * KERR_KAFKA_STORAGE_ERROR. */
int16_t partition_epoch_end(struct partition *p, int32_t epoch, uint64_t current_term,
			    int32_t *epoch_out, int64_t *end_offset);

/* Applies the retention limits at time now_ms: deletes whole committed
 * entries from the front while the oldest one is entirely older than
 * retention_ms, or while the log holds more than retention_bytes, or while
 * it lies wholly below deleted_below (DeleteRecords). The log start offset
 * moves (never below deleted_below). Sets *changed when something was
 * deleted.
 * Errors: ERR_NOSPACE, ERR_IO (nothing deleted). */
int partition_retain(struct partition *p, int64_t now_ms, bool *changed);

#endif
