/* partition.c - Kafka produce/fetch/list-offsets semantics over the store.
 *
 * Stored entries were validated once, on produce; reading them back walks
 * batch headers only (record_batch_iter_next_header), never CRCs or records, except
 * where ListOffsets needs record timestamps: then the records of one batch
 * are walked, decoded when compressed (record_batch_walk_times). */
#include "partition.h"

#include <string.h>

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "common/record_batch.h"
#include "worker/producers.h"
#include "worker/store.h"

#define TS_LATEST (-1)
#define TS_EARLIEST (-2)
#define TS_MAX (-3)
#define TS_EARLIEST_LOCAL (-4) /* no tiered storage: the log start */
#define TS_PENDING_UPLOAD (-5) /* no tiered storage: none */

int64_t partition_entry_next_offset(const uint8_t *payload, size_t len)
{
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	int64_t next = -1;
	record_batch_iter_init(&it, payload, len);
	int rc;
	while ((rc = record_batch_iter_next_header(&it, &b, &bl, NULL)) == 1)
		next = record_batch_next_offset(b);
	return rc < 0 ? -1 : next;
}

struct end_ctx {
	int64_t next;
};

static int end_cb(void *ctx, const struct store_entry *e)
{
	struct end_ctx *x = ctx;
	x->next = partition_entry_next_offset(e->data, e->len);
	return 1;
}

/* The offset after the last data entry at or below max_index, or `dflt`
 * when there is none. */
static int end_offset_upto(struct store *s, uint64_t max_index, int64_t dflt, int64_t *out)
{
	int64_t base;
	uint64_t idx;
	int rc = store_offset_last(s, max_index, &base, &idx);
	if (rc == ERR_NOTFOUND) {
		*out = dflt;
		return 0;
	}
	if (rc != 0)
		return rc;
	struct end_ctx x = {.next = -1};
	rc = store_scan(s, idx, idx + 1, end_cb, &x);
	if (rc != 0)
		return rc;
	if (x.next < base) {
		log_error("partition: entry %llu holds no record batch", (unsigned long long)idx);
		return ERR_CORRUPT;
	}
	*out = x.next;
	return 0;
}

int partition_open(struct partition *p, struct store *s, const struct partition_config *cfg,
		   uint64_t commit_index)
{
	memset(p, 0, sizeof(*p));
	p->store = s;
	p->cfg = *cfg;
	if (p->cfg.max_message_bytes <= 0)
		p->cfg.max_message_bytes = PARTITION_MAX_MESSAGE_BYTES_DEFAULT;
	struct store_log_start ls;
	store_log_start(s, &ls);
	p->log_start_offset = ls.kafka_offset;
	if (commit_index > store_last_index(s))
		commit_index = store_last_index(s);
	if (commit_index < ls.index)
		commit_index = ls.index;
	p->commit_index = commit_index;
	int rc = end_offset_upto(s, UINT64_MAX, ls.kafka_offset, &p->next_offset);
	if (rc == 0)
		rc = end_offset_upto(s, commit_index, ls.kafka_offset, &p->high_watermark);
	return rc;
}

/* --- apply state, checksums, snapshots ------------------------------------ */

/* Named snapshots in the store's meta (store_put_snapshot): each holds
 * {index u64, checksum u64}, big-endian. */
#define SNAP_APPLY "apply" /* commit_index and log_checksum at the last save */
#define SNAP_START "start" /* the log start index and start_checksum */
/* {offset i64}: deleted_below, the log start DeleteRecords asked for. Saved
 * with SNAP_APPLY, so it reflects every delete command up to that index. */
#define SNAP_DELETED "deleted"

uint64_t partition_batch_hash(const uint8_t *batch, size_t len)
{
	uint64_t x = ((uint64_t)crc32c(0, batch, len) << 32) ^ (uint64_t)len;
	x ^= (uint64_t)record_batch_base_offset(batch) * 0x9e3779b97f4a7c15ULL;
	/* splitmix64's finaliser: every input bit moves every output bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void pair_store(uint8_t b[16], uint64_t a, uint64_t c)
{
	be64_store(b, a);
	be64_store(b + 8, c);
}

/* Reads a {index, checksum} snapshot. Returns 1 if present, 0 if not, or an
 * error. */
static int pair_load(struct store *s, const char *name, uint64_t *index, uint64_t *sum)
{
	struct buf b;
	buf_init(&b);
	int rc = store_get_snapshot(s, name, &b);
	if (rc == ERR_NOTFOUND) {
		buf_free(&b);
		return 0;
	}
	if (rc == 0 && b.len != 16) {
		log_error("partition: saved %s state has %zu bytes, want 16", name, b.len);
		rc = ERR_CORRUPT;
	}
	if (rc == 0) {
		*index = be64_load(b.data);
		*sum = be64_load(b.data + 8);
		rc = 1;
	}
	buf_free(&b);
	return rc;
}

int partition_recover(struct partition *p, struct store *s, const struct partition_config *cfg)
{
	struct store_log_start ls;
	store_log_start(s, &ls);
	uint64_t start_idx = 0, start_sum = 0, apply_idx = 0, apply_sum = 0;
	int rc = pair_load(s, SNAP_START, &start_idx, &start_sum);
	if (rc < 0)
		return rc;
	if (rc == 0 || start_idx != ls.index) {
		/* Compacted before checksums were kept: what was removed is
		 * unknown, so count it as nothing. */
		if (ls.index != 0)
			log_warn("partition: no checksum for the log start %llu; counting from 0",
				 (unsigned long long)ls.index);
		start_sum = 0;
	}
	rc = pair_load(s, SNAP_APPLY, &apply_idx, &apply_sum);
	if (rc < 0)
		return rc;
	if (rc == 0 || apply_idx < ls.index || apply_idx > store_last_index(s)) {
		apply_idx = ls.index;
		apply_sum = start_sum;
	}
	rc = partition_open(p, s, cfg, apply_idx);
	if (rc != 0)
		return rc;
	p->log_checksum = apply_sum;
	p->start_checksum = start_sum;
	p->saved_index = p->commit_index;
	struct buf b;
	buf_init(&b);
	rc = store_get_snapshot(s, SNAP_DELETED, &b);
	if (rc == 0 && b.len == 8) {
		p->deleted_below = (int64_t)be64_load(b.data);
		if (p->deleted_below > p->high_watermark)
			p->deleted_below = p->high_watermark;
		if (p->deleted_below > p->log_start_offset) {
			p->log_start_offset = p->deleted_below;
			p->delete_pending = true;
		}
	} else if (rc == 0) {
		log_error("partition: saved %s state has %zu bytes, want 8", SNAP_DELETED, b.len);
		rc = ERR_CORRUPT;
	}
	buf_free(&b);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

void partition_delete_command(int64_t offset, uint8_t out[PARTITION_CMD_DELETE_LEN])
{
	out[0] = PARTITION_CMD_DELETE_BELOW;
	be64_store(out + 1, (uint64_t)offset);
}

int16_t partition_delete_check(const struct partition *p, int64_t *offset)
{
	if (*offset == -1)
		*offset = p->high_watermark;
	if (*offset < 0 || *offset > p->high_watermark)
		return KERR_OFFSET_OUT_OF_RANGE;
	return KERR_NONE;
}

/* A committed delete command: the log start moves up to its offset. */
static int apply_command(struct partition *p, uint64_t index, const uint8_t *data, size_t len)
{
	if (len != PARTITION_CMD_DELETE_LEN || data[0] != PARTITION_CMD_DELETE_BELOW) {
		log_error("partition: committed command %llu is not a delete (%zu bytes)",
			  (unsigned long long)index, len);
		return ERR_CORRUPT;
	}
	int64_t off = (int64_t)be64_load(data + 1);
	/* The leader checked it against its high watermark, which every
	 * replica reaches before applying this later entry. */
	if (off > p->high_watermark)
		off = p->high_watermark;
	if (off <= p->deleted_below)
		return 0;
	p->deleted_below = off;
	p->delete_dirty = true;
	if (off > p->log_start_offset) {
		p->log_start_offset = off;
		p->delete_pending = true;
	}
	return 0;
}

int partition_apply_entry(struct partition *p, uint64_t index, uint8_t kind, const uint8_t *data,
			  size_t len)
{
	p->commit_index = index;
	if (kind == STORE_KIND_COMMAND)
		return apply_command(p, index, data, len);
	if (kind != STORE_KIND_DATA)
		return 0;
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	int64_t next = -1;
	uint64_t sum = 0;
	int rc;
	record_batch_iter_init(&it, data, len);
	while ((rc = record_batch_iter_next_header(&it, &b, &bl, NULL)) == 1) {
		sum += partition_batch_hash(b, bl);
		next = record_batch_next_offset(b);
	}
	if (rc < 0 || next < 0) {
		log_error("partition: committed entry %llu holds no record batch",
			  (unsigned long long)index);
		return ERR_CORRUPT;
	}
	p->log_checksum += sum;
	if (p->producers != NULL) {
		rc = producers_record_entry(p->producers, data, len, index);
		if (rc != 0)
			log_warn("partition: producer state of entry %llu not kept: %s",
				 (unsigned long long)index, err_str(rc));
	}
	if (next > p->high_watermark)
		p->high_watermark = next;
	if (p->next_offset < p->high_watermark)
		p->next_offset = p->high_watermark;
	return 0;
}

int partition_save(struct partition *p)
{
	if (p->commit_index == p->saved_index)
		return 0;
	uint8_t b[16];
	pair_store(b, p->commit_index, p->log_checksum);
	int rc = store_put_snapshot(p->store, SNAP_APPLY, b, sizeof(b));
	if (rc == 0 && p->delete_dirty) {
		uint8_t d[8];
		be64_store(d, (uint64_t)p->deleted_below);
		rc = store_put_snapshot(p->store, SNAP_DELETED, d, sizeof(d));
		if (rc == 0)
			p->delete_dirty = false;
	}
	if (rc == 0)
		p->saved_index = p->commit_index;
	return rc;
}

int partition_reset_next(struct partition *p)
{
	struct store_log_start ls;
	store_log_start(p->store, &ls);
	int64_t next;
	int rc = end_offset_upto(p->store, UINT64_MAX, ls.kafka_offset, &next);
	if (rc != 0)
		return rc;
	p->next_offset = next > p->high_watermark ? next : p->high_watermark;
	return 0;
}

void partition_snapshot(const struct partition *p, uint8_t out[PARTITION_SNAPSHOT_LEN])
{
	pair_store(out, (uint64_t)p->log_start_offset, p->start_checksum);
}

int partition_restore_store(struct partition *p, uint64_t index, uint64_t term, const uint8_t *data,
			    size_t len)
{
	if (len != PARTITION_SNAPSHOT_LEN || (int64_t)be64_load(data) < 0)
		return ERR_INVALID;
	struct store_log_start ls = {
	    .index = index, .term = term, .kafka_offset = (int64_t)be64_load(data)};
	uint8_t b[16];
	pair_store(b, index, be64_load(data + 8));
	int rc = store_reset(p->store, &ls);
	if (rc == 0)
		rc = store_put_snapshot(p->store, SNAP_START, b, sizeof(b));
	if (rc == 0)
		rc = store_put_snapshot(p->store, SNAP_APPLY, b, sizeof(b));
	return rc;
}

void partition_restore(struct partition *p, uint64_t index, const uint8_t *data, size_t len)
{
	if (len != PARTITION_SNAPSHOT_LEN)
		return;
	int64_t off = (int64_t)be64_load(data);
	p->log_start_offset = off;
	if (p->deleted_below > off)
		p->deleted_below = off; /* the leader's start is the truth now */
	p->delete_pending = false;
	p->high_watermark = off;
	p->next_offset = off;
	p->commit_index = index;
	p->saved_index = index;
	p->log_checksum = p->start_checksum = be64_load(data + 8);
	if (p->producers != NULL)
		producers_clear(p->producers);
}

int16_t partition_validate(const struct partition *p, const uint8_t *records, size_t len)
{
	if (len == 0)
		return KERR_INVALID_RECORD;
	/* Check every batch before touching any, so a request is taken whole
	 * or not at all. Header first: the magic and the size decide the
	 * error before the CRC is computed. */
	size_t pos = 0;
	while (pos < len) {
		struct record_batch_header h;
		size_t bl;
		int rc = record_batch_parse_header(records + pos, len - pos, &h);
		if (rc != 0)
			return kerr_from_err(rc, KERR_CTX_BATCH);
		if ((int64_t)h.batch_length + RB_LENGTH_OVERHEAD > p->cfg.max_message_bytes)
			return KERR_MESSAGE_TOO_LARGE;
		rc = record_batch_validate_max(records + pos, len - pos, &h, &bl,
					       (uint64_t)p->cfg.max_message_bytes *
						   PARTITION_INFLATE_FACTOR);
		if (rc != 0)
			return kerr_from_err(rc, KERR_CTX_BATCH);
		/* Kafka's rule for v2: offsets and record count must agree. */
		if (h.records_count <= 0 || h.last_offset_delta != h.records_count - 1)
			return KERR_INVALID_RECORD;
		pos += bl;
	}
	return KERR_NONE;
}

void partition_assign(struct partition *p, uint8_t *records, size_t len, int32_t leader_epoch,
		      int64_t *base_offset, int64_t *next_offset)
{
	/* Both fields lie outside the CRC. */
	int64_t off = p->next_offset;
	for (size_t pos = 0; pos < len;) {
		uint8_t *b = records + pos;
		record_batch_set_base_offset(b, off);
		record_batch_set_leader_epoch(b, leader_epoch);
		off += (int64_t)record_batch_last_offset_delta(b) + 1;
		pos += (size_t)be32_load(b + RB_OFF_BATCH_LENGTH) + RB_LENGTH_OVERHEAD;
	}
	*base_offset = p->next_offset;
	*next_offset = off;
}

int16_t partition_produce(struct partition *p, uint8_t *records, size_t len, int32_t leader_epoch,
			  int64_t *base_offset, int64_t *next_offset)
{
	int16_t k = partition_validate(p, records, len);
	if (k == KERR_NONE)
		partition_assign(p, records, len, leader_epoch, base_offset, next_offset);
	return k;
}

void partition_proposed(struct partition *p, const uint8_t *data, size_t len)
{
	int64_t next = partition_entry_next_offset(data, len);
	if (next > p->next_offset)
		p->next_offset = next;
}

int64_t partition_entry_key(uint8_t kind, const uint8_t *data, size_t len)
{
	if (kind != STORE_KIND_DATA || len < RB_HEADER_LEN)
		return -1;
	return record_batch_base_offset(data);
}

void partition_apply(struct partition *p, uint64_t index, int64_t next_offset)
{
	p->commit_index = index;
	if (next_offset > p->high_watermark)
		p->high_watermark = next_offset;
	if (p->next_offset < p->high_watermark)
		p->next_offset = p->high_watermark;
}

/* --- fetch -------------------------------------------------------------- */

struct fetch_ctx {
	int64_t offset; /* first wanted offset */
	int64_t hwm;
	size_t max_bytes;
	size_t added;
	partition_emit_cb emit;
	void *ctx;
};

static int fetch_cb(void *ctx, const struct store_entry *e)
{
	struct fetch_ctx *x = ctx;
	if (e->kind != STORE_KIND_DATA)
		return 0;
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	int rc;
	record_batch_iter_init(&it, e->data, e->len);
	while ((rc = record_batch_iter_next_header(&it, &b, &bl, NULL)) == 1) {
		if (record_batch_next_offset(b) <= x->offset)
			continue; /* before the wanted offset */
		if (record_batch_base_offset(b) >= x->hwm)
			return 1;
		if (x->added > 0 && x->added + bl > x->max_bytes)
			return 1;
		int erc = x->emit(x->ctx, b, bl);
		if (erc != 0)
			return erc;
		x->added += bl;
	}
	if (rc < 0) {
		log_error("partition: entry %llu is not a sequence of batches",
			  (unsigned long long)e->index);
		return ERR_CORRUPT;
	}
	return 0;
}

int16_t partition_fetch_emit(struct partition *p, int64_t offset, int32_t max_bytes,
			     partition_emit_cb emit, void *ctx, size_t *total)
{
	*total = 0;
	if (offset < p->log_start_offset || offset > p->high_watermark)
		return KERR_OFFSET_OUT_OF_RANGE;
	if (offset == p->high_watermark)
		return KERR_NONE;
	int64_t base;
	uint64_t idx;
	int rc = store_offset_floor(p->store, offset, &base, &idx);
	if (rc != 0)
		return kerr_from_err(rc, KERR_CTX_READ);
	struct fetch_ctx x = {
	    .offset = offset,
	    .hwm = p->high_watermark,
	    .max_bytes = max_bytes > 0 ? (size_t)max_bytes : 0,
	    .emit = emit,
	    .ctx = ctx,
	};
	rc = store_scan(p->store, idx, p->commit_index + 1, fetch_cb, &x);
	*total = x.added;
	return kerr_from_err(rc, KERR_CTX_READ);
}

static int emit_buf(void *ctx, const uint8_t *b, size_t n)
{
	struct buf *out = ctx;
	buf_put(out, b, n);
	return out->oom ? ERR_NOMEM : 0;
}

int16_t partition_fetch(struct partition *p, int64_t offset, int32_t max_bytes, struct buf *out)
{
	size_t total;
	return partition_fetch_emit(p, offset, max_bytes, emit_buf, out, &total);
}

/* --- list offsets ------------------------------------------------------- */

struct ts_ctx {
	int64_t target; /* timestamp wanted, or TS_MAX */
	int64_t hwm;
	uint64_t max_inflated; /* the bomb limit for decoding one batch */
	int64_t offset;	       /* answer, -1 = none yet */
	int64_t ts;
	uint64_t index; /* TS_MAX: log index of the entry holding batch `offset` */
	int err;	/* an ERR_* that makes the answer a storage error */
};

/* The record a batch is searched for: the first whose timestamp is >= want,
 * or == want when exact. */
struct find_ctx {
	int64_t want;
	int exact;
	int64_t offset; /* -1 = not found */
	int64_t ts;
};

static int find_cb(void *ctx, int64_t offset, int64_t ts)
{
	struct find_ctx *f = ctx;
	if (f->exact ? ts != f->want : ts < f->want)
		return 0;
	f->offset = offset;
	f->ts = ts;
	return 1;
}

/* Answers with the record of batch b that find_ctx describes: the batch's
 * records are walked (a compressed payload decoded as a stream, up to that
 * record only). A LogAppendTime batch needs no walk: every record has the
 * batch's maxTimestamp, so its first record answers. When no record
 * qualifies (a producer's batch whose maxTimestamp disagrees with its
 * records) or the payload decodes past the bomb limit (lowered since the
 * batch was accepted), the batch's base offset and maxTimestamp answer, so
 * one lookup decodes at most one batch. */
static void batch_answer(struct ts_ctx *x, const uint8_t *b, size_t bl, int64_t want, int exact)
{
	x->offset = record_batch_base_offset(b);
	x->ts = record_batch_max_timestamp(b);
	if (record_batch_attributes(b) & RB_ATTR_LOG_APPEND_TIME)
		return;
	struct find_ctx f = {.want = want, .exact = exact, .offset = -1, .ts = -1};
	int rc = record_batch_walk_times(b, bl, x->max_inflated, find_cb, &f);
	if (rc == 0 && f.offset >= 0) {
		x->offset = f.offset;
		x->ts = f.ts;
	} else if (rc == ERR_TOOBIG) {
		log_warn("list offsets: batch at offset %lld decodes past the limit of %llu "
			 "bytes; answering its base offset",
			 (long long)x->offset, (unsigned long long)x->max_inflated);
	} else if (rc < 0) {
		x->err = rc;
	}
}

/* By timestamp: the first batch whose maxTimestamp reaches the target holds
 * the first record that does, so only that batch's records are read. Max
 * timestamp: the first batch with the largest maxTimestamp (strictly larger
 * replaces, as Kafka's maxTimestampSoFar), its records read after the scan
 * (max_cb), so the scan itself reads headers only. */
static int ts_cb(void *ctx, const struct store_entry *e)
{
	struct ts_ctx *x = ctx;
	if (e->kind != STORE_KIND_DATA)
		return 0;
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	int rc;
	record_batch_iter_init(&it, e->data, e->len);
	while ((rc = record_batch_iter_next_header(&it, &b, &bl, NULL)) == 1) {
		if (record_batch_base_offset(b) >= x->hwm)
			return 1;
		int64_t max_ts = record_batch_max_timestamp(b);
		if (x->target == TS_MAX) {
			if (x->offset < 0 || max_ts > x->ts) {
				x->offset = record_batch_base_offset(b);
				x->ts = max_ts;
				x->index = e->index;
			}
		} else if (max_ts >= x->target) {
			batch_answer(x, b, bl, x->target, 0);
			return 1;
		}
	}
	if (rc < 0) {
		x->err = ERR_CORRUPT;
		return ERR_CORRUPT;
	}
	return 0;
}

/* Max timestamp, second step: in the entry the scan chose, the batch at
 * x->offset answers with its first record whose timestamp is its
 * maxTimestamp (Kafka's offsetOfMaxTimestamp). */
static int max_cb(void *ctx, const struct store_entry *e)
{
	struct ts_ctx *x = ctx;
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	int rc;
	record_batch_iter_init(&it, e->data, e->len);
	while ((rc = record_batch_iter_next_header(&it, &b, &bl, NULL)) == 1) {
		if (record_batch_base_offset(b) == x->offset) {
			batch_answer(x, b, bl, x->ts, 1);
			return 1;
		}
	}
	x->err = ERR_CORRUPT; /* the batch the scan saw is gone */
	return ERR_CORRUPT;
}

int16_t partition_list_offsets(struct partition *p, int64_t timestamp, int64_t *offset,
			       int64_t *ts_out)
{
	*offset = -1;
	*ts_out = -1;
	if (timestamp == TS_EARLIEST || timestamp == TS_EARLIEST_LOCAL) {
		*offset = p->log_start_offset;
		return KERR_NONE;
	}
	/* Kafka answers "no offset" (-1, -1) without an error when the topic
	 * has no remote storage, which is every fjord topic. */
	if (timestamp == TS_PENDING_UPLOAD)
		return KERR_NONE;
	if (timestamp == TS_LATEST) {
		*offset = p->high_watermark;
		return KERR_NONE;
	}
	if (timestamp < 0 && timestamp != TS_MAX)
		return KERR_INVALID_REQUEST;
	struct ts_ctx x = {
	    .target = timestamp,
	    .hwm = p->high_watermark,
	    .max_inflated = (uint64_t)p->cfg.max_message_bytes * PARTITION_INFLATE_FACTOR,
	    .offset = -1,
	    .ts = -1,
	};
	uint64_t first = store_first_index(p->store);
	if (first <= p->commit_index &&
	    store_scan(p->store, first, p->commit_index + 1, ts_cb, &x) != 0)
		return KERR_KAFKA_STORAGE_ERROR;
	if (timestamp == TS_MAX && x.offset >= 0 &&
	    store_scan(p->store, x.index, x.index + 1, max_cb, &x) != 0)
		return KERR_KAFKA_STORAGE_ERROR;
	if (x.err != 0)
		return KERR_KAFKA_STORAGE_ERROR;
	/* A record left in a batch that straddles a DeleteRecords start is
	 * gone for clients: the start answers for it. */
	if (x.offset >= 0 && x.offset < p->log_start_offset)
		x.offset = p->log_start_offset;
	*offset = x.offset;
	*ts_out = x.offset >= 0 ? x.ts : -1;
	return KERR_NONE;
}

void partition_stamp_append_time(uint8_t *records, size_t len, int64_t now_ms)
{
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	record_batch_iter_init(&it, records, len);
	while (record_batch_iter_next_header(&it, &b, &bl, NULL) == 1)
		record_batch_set_log_append_time((uint8_t *)b, bl, now_ms);
}

/* --- leader epochs ------------------------------------------------------- */

struct first_data_ctx {
	int64_t base; /* base offset of the first data entry seen, -1 = none */
};

static int first_data_cb(void *ctx, const struct store_entry *e)
{
	struct first_data_ctx *x = ctx;
	if (e->kind != STORE_KIND_DATA)
		return 0;
	const uint8_t *b;
	size_t bl;
	struct record_batch_iter it;
	record_batch_iter_init(&it, e->data, e->len);
	if (record_batch_iter_next_header(&it, &b, &bl, NULL) != 1)
		return ERR_CORRUPT;
	x->base = record_batch_base_offset(b);
	return 1;
}

int16_t partition_epoch_end(struct partition *p, int32_t epoch, uint64_t current_term,
			    int32_t *epoch_out, int64_t *end_offset)
{
	*epoch_out = -1;
	*end_offset = -1;
	if (epoch < 0 || (uint64_t)epoch > current_term)
		return KERR_NONE; /* Kafka: UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET */
	struct store_log_start ls;
	store_log_start(p->store, &ls);
	int64_t leo;
	if (end_offset_upto(p->store, UINT64_MAX, ls.kafka_offset, &leo) != 0)
		return KERR_KAFKA_STORAGE_ERROR;
	if (leo < p->high_watermark)
		leo = p->high_watermark;
	if ((uint64_t)epoch == current_term) {
		*epoch_out = epoch;
		*end_offset = leo;
		return KERR_NONE;
	}
	/* Terms never decrease along a Raft log, so the first entry of a
	 * later epoch is found by bisection on the entries' terms (each a
	 * point read), not by reading the log. A data entry's term is the
	 * partitionLeaderEpoch of its batches (partition_assign). */
	uint64_t first = store_first_index(p->store), last = store_last_index(p->store);
	uint64_t lo = first, hi = last + 1; /* answer in [lo, hi] */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2, t;
		if (store_term(p->store, mid, &t) != 0)
			return KERR_KAFKA_STORAGE_ERROR;
		if (t > (uint64_t)epoch)
			hi = mid;
		else
			lo = mid + 1;
	}
	/* The later epoch starts at its first batch; with none stored yet, at
	 * the log end (a leader's epoch begins where the log ended when it was
	 * elected). */
	struct first_data_ctx fx = {.base = -1};
	if (lo <= last && store_scan(p->store, lo, last + 1, first_data_cb, &fx) < 0)
		return KERR_KAFKA_STORAGE_ERROR;
	*end_offset = fx.base >= 0 ? fx.base : leo;
	/* The epoch answered is the largest one <= the one asked about that the
	 * log holds: the term of the entry before (the log start's term when
	 * that entry was compacted); if there is none, Kafka answers with the
	 * epoch asked about. */
	uint64_t floor = 0;
	if (lo > first) {
		if (store_term(p->store, lo - 1, &floor) != 0)
			return KERR_KAFKA_STORAGE_ERROR;
	} else if (ls.term <= (uint64_t)epoch) {
		floor = ls.term;
	}
	*epoch_out = floor > 0 ? (int32_t)floor : epoch;
	return KERR_NONE;
}

/* --- retention ---------------------------------------------------------- */

struct retain_ctx {
	int64_t cutoff_ts;     /* delete entries whose newest record is older; INT64_MIN = off */
	uint64_t bytes_excess; /* delete at least this many payload bytes */
	uint64_t freed;
	uint64_t upto;	      /* last index to delete, 0 = none */
	int64_t kafka_start;  /* first offset that stays */
	uint64_t removed_sum; /* partition_batch_hash of the batches deleted */
	int64_t delete_below; /* delete entries whose records all lie below; 0 = off */
};

static int retain_cb(void *ctx, const struct store_entry *e)
{
	struct retain_ctx *x = ctx;
	int64_t newest = INT64_MIN, next = -1;
	uint64_t sum = 0;
	if (e->kind == STORE_KIND_DATA) {
		struct record_batch_iter it;
		const uint8_t *b;
		size_t bl;
		record_batch_iter_init(&it, e->data, e->len);
		while (record_batch_iter_next_header(&it, &b, &bl, NULL) == 1) {
			if (record_batch_max_timestamp(b) > newest)
				newest = record_batch_max_timestamp(b);
			next = record_batch_next_offset(b);
			sum += partition_batch_hash(b, bl);
		}
		if (next < 0)
			return ERR_CORRUPT;
	}
	bool too_old = e->kind != STORE_KIND_DATA || newest < x->cutoff_ts;
	bool too_big = x->freed < x->bytes_excess;
	bool deleted = e->kind != STORE_KIND_DATA || next <= x->delete_below;
	if (!too_old && !too_big && !deleted)
		return 1;
	x->upto = e->index;
	x->freed += e->len;
	x->removed_sum += sum;
	if (next >= 0)
		x->kafka_start = next;
	return 0;
}

int partition_retain(struct partition *p, int64_t now_ms, bool *changed)
{
	*changed = false;
	/* Batches below a delete go only once the delete is saved: were the
	 * command's entry compacted away and the process to crash before
	 * snap/deleted is written, the log start would fall back to the
	 * batch boundary below it. */
	struct retain_ctx x = {.cutoff_ts = INT64_MIN,
			       .kafka_start = p->log_start_offset,
			       .delete_below =
				   p->delete_pending && !p->delete_dirty ? p->deleted_below : 0};
	if (p->cfg.retention_ms >= 0)
		x.cutoff_ts = now_ms - p->cfg.retention_ms;
	if (p->cfg.retention_bytes >= 0) {
		uint64_t size;
		int rc = store_size(p->store, &size);
		if (rc != 0)
			return rc;
		if (size > (uint64_t)p->cfg.retention_bytes)
			x.bytes_excess = size - (uint64_t)p->cfg.retention_bytes;
	}
	if (x.cutoff_ts == INT64_MIN && x.bytes_excess == 0 && x.delete_below == 0)
		return 0;
	uint64_t first = store_first_index(p->store);
	if (first > p->commit_index)
		return 0;
	int rc = store_scan(p->store, first, p->commit_index + 1, retain_cb, &x);
	if (rc != 0)
		return rc;
	/* Trailing non-data entries alone do not move the Kafka start. */
	if (x.upto == 0) {
		p->delete_pending = false; /* no batch lies wholly below it */
		return 0;
	}
	uint8_t snap[16];
	pair_store(snap, x.upto, p->start_checksum + x.removed_sum);
	rc =
	    store_compact_snapshot(p->store, x.upto, x.kafka_start, SNAP_START, snap, sizeof(snap));
	if (rc != 0)
		return rc;
	p->start_checksum += x.removed_sum;
	/* A delete may end inside the batch that now opens the log. */
	p->log_start_offset = x.kafka_start > p->deleted_below ? x.kafka_start : p->deleted_below;
	p->delete_pending = false;
	*changed = true;
	return 0;
}
