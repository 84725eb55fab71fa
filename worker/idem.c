/* idem.c - the committed and the leader's producer tables of a replica,
 * rebuilt from the log (see idem.h). */
#include "idem.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "common/record_batch.h"
#include "worker/store.h"

void idem_init(struct idem *x, size_t max_producers, size_t scan_max)
{
	producers_init(&x->applied, max_producers);
	producers_init(&x->leader, max_producers);
	producers_init(&x->scratch, 0);
	x->leader_term = 0;
	x->scan_max = scan_max ? scan_max : IDEM_SCAN_MAX;
}

void idem_close(struct idem *x)
{
	producers_free(&x->applied);
	producers_free(&x->leader);
	producers_free(&x->scratch);
	x->leader_term = 0;
}

static int record_cb(void *ctx, const struct store_entry *e)
{
	if (e->kind != STORE_KIND_DATA)
		return 0;
	return producers_record_entry(ctx, e->data, e->len, e->index);
}

/* Records the stored entries lo..hi-1 (those that exist) into t. */
static int scan_into(struct producers *t, struct store *s, uint64_t lo, uint64_t hi)
{
	uint64_t first = store_first_index(s);
	if (lo < first)
		lo = first;
	if (lo >= hi)
		return 0;
	return store_scan(s, lo, hi, record_cb, t);
}

/* Loads the snapshot's table into `applied` when it is usable for a load
 * up to `upto`: taken at an index the log still holds the entries after
 * (so they can be replayed) and not past upto. Returns 1 with *index set,
 * 0 when there is none or it is not usable (applied then empty), or an
 * error. */
static int load_snapshot(struct idem *x, struct store *s, uint64_t upto, uint64_t *index)
{
	struct buf b;
	buf_init(&b);
	int rc = store_get_snapshot(s, IDEM_SNAPSHOT, &b);
	if (rc == ERR_NOTFOUND) {
		buf_free(&b);
		return 0;
	}
	if (rc == 0 && b.len < 8)
		rc = ERR_CORRUPT;
	if (rc == 0) {
		*index = be64_load(b.data);
		if (*index + 1 < store_first_index(s) || *index > upto)
			rc = 1; /* not usable: scan instead */
		else
			rc = producers_decode(&x->applied, b.data + 8, b.len - 8);
	}
	buf_free(&b);
	if (rc == 1) {
		log_info("producer snapshot at %llu not usable for the log up to %llu; scanning",
			 (unsigned long long)*index, (unsigned long long)upto);
		return 0;
	}
	if (rc != 0) {
		log_warn("producer snapshot not loaded (%s); scanning the log", err_str(rc));
		producers_clear(&x->applied);
		return 0;
	}
	return 1;
}

int idem_load(struct idem *x, struct store *s, uint64_t upto)
{
	producers_clear(&x->applied);
	uint64_t snap = 0;
	if (load_snapshot(x, s, upto, &snap) == 1) {
		int rc = scan_into(&x->applied, s, snap + 1, upto + 1);
		if (rc != 0)
			log_error("cannot replay the log after the producer snapshot: %s",
				  err_str(rc));
		else
			log_info("producer state: %zu idempotent producer(s) from the snapshot at "
				 "%llu and log entries up to %llu",
				 producers_count(&x->applied), (unsigned long long)snap,
				 (unsigned long long)upto);
		return rc;
	}
	uint64_t lo = upto >= x->scan_max ? upto - x->scan_max + 1 : 1;
	int rc = scan_into(&x->applied, s, lo, upto + 1);
	if (rc != 0)
		log_error("cannot rebuild the producer state from the log: %s", err_str(rc));
	else if (producers_count(&x->applied) > 0)
		log_info(
		    "producer state: %zu idempotent producer(s) in log entries %llu..%llu",
		    producers_count(&x->applied),
		    (unsigned long long)(lo > store_first_index(s) ? lo : store_first_index(s)),
		    (unsigned long long)upto);
	return rc;
}

int idem_snapshot(struct idem *x, struct store *s, uint64_t index)
{
	struct buf b;
	buf_init(&b);
	buf_put_u64(&b, index);
	int rc = producers_encode(&x->applied, &b);
	if (rc == 0)
		rc = b.oom ? ERR_NOMEM : store_put_snapshot(s, IDEM_SNAPSHOT, b.data, b.len);
	buf_free(&b);
	return rc;
}

int idem_snapshot_reset(struct store *s, uint64_t index)
{
	uint8_t b[8 + 5] = {0};
	be64_store(b, index);
	b[8] = 1; /* producers_encode's version; no producers */
	return store_put_snapshot(s, IDEM_SNAPSHOT, b, sizeof(b));
}

int idem_lead(struct idem *x, struct store *s, uint64_t commit, uint64_t term)
{
	x->leader_term = 0;
	int rc = producers_copy(&x->leader, &x->applied);
	if (rc == 0)
		rc = scan_into(&x->leader, s, commit + 1, UINT64_MAX);
	if (rc != 0) {
		log_error("cannot build the leader's producer state: %s", err_str(rc));
		return rc;
	}
	x->leader_term = term;
	return 0;
}

bool idem_leading(const struct idem *x, uint64_t term)
{
	return term != 0 && x->leader_term == term;
}

void idem_drop_leader(struct idem *x) { x->leader_term = 0; }

int16_t idem_check(struct idem *x, const uint8_t *records, size_t len, struct idem_verdict *v)
{
	*v = (struct idem_verdict){.duplicate = false, .base_offset = -1, .index = 0};
	bool scratch = false;
	size_t pos = 0;
	while (pos < len) {
		struct record_batch_header h;
		if (record_batch_parse_header(records + pos, len - pos, &h) != 0)
			break; /* partition_produce names the error */
		size_t bl = (size_t)h.batch_length + RB_LENGTH_OVERHEAD;
		struct producers_batch b;
		int16_t k = KERR_NONE;
		if (bl >= RB_HEADER_LEN && producers_batch_from(records + pos, 0, &b)) {
			int16_t epoch;
			struct producers_batch prev;
			if (scratch && producers_find(&x->scratch, b.producer_id, &epoch, &prev)) {
				/* Follows an earlier batch of this request. */
				k = producers_rule(epoch, prev.last_seq, b.epoch, b.first_seq);
			} else {
				bool dup = false;
				struct producers_batch orig;
				k = producers_check(&x->leader, &b, &dup, &orig);
				if (k == KERR_NONE && dup) {
					v->duplicate = true;
					v->base_offset = orig.base_offset;
					v->index = orig.index;
					return KERR_NONE;
				}
			}
			if (k != KERR_NONE)
				return k;
			if (pos + bl < len) {
				/* More batches follow: they must follow this one. */
				if (!scratch)
					producers_clear(&x->scratch);
				scratch = true;
				if (producers_record(&x->scratch, &b) != 0)
					return KERR_UNKNOWN_SERVER_ERROR;
			}
		}
		pos += bl;
	}
	return KERR_NONE;
}

int idem_record(struct idem *x, const uint8_t *records, size_t len, uint64_t index)
{
	int rc = producers_record_entry(&x->leader, records, len, index);
	if (rc != 0) {
		/* Rebuilt from the log before the next check. */
		log_warn("cannot record produced batches: %s", err_str(rc));
		x->leader_term = 0;
	}
	return rc;
}
