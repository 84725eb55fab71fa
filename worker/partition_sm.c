/* partition_sm.c - the data partition's sm ops over partition.c and idem.c
 * (see partition_sm.h). */
#include "partition_sm.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "common/record_batch.h"
#include "worker/idem.h"
#include "worker/store.h"

static uint64_t ps_applied(void *c) { return ((struct partition_sm *)c)->part->commit_index; }

static void ps_proposed(void *c, uint64_t index, const uint8_t *data, size_t len)
{
	partition_proposed(((struct partition_sm *)c)->part, data, len);
}

/* Entries applied between two saves of the apply state. The state is a
 * restart's starting point, not a safety record: what was applied after it
 * is committed in the log and applied again (the driver replays from the
 * saved index). Saving it with every Ready would rewrite a meta page in
 * every transaction; saving every PARTITION_SAVE_EVERY entries bounds the
 * replay to that many entries. A pending DeleteRecords is saved at once. */
#define PARTITION_SAVE_EVERY 1024

static int ps_save(void *c)
{
	struct partition *p = ((struct partition_sm *)c)->part;
	if (p->commit_index - p->saved_index < PARTITION_SAVE_EVERY && !p->delete_dirty)
		return 0;
	return partition_save(p);
}

static int ps_install_store(void *c, uint64_t index, uint64_t term, const uint8_t *data, size_t len)
{
	struct partition_sm *ps = c;
	int rc = partition_restore_store(ps->part, index, term, data, len);
	if (rc == 0)
		rc = idem_snapshot_reset(ps->part->store, index);
	return rc;
}

static void ps_install(void *c, uint64_t index, const uint8_t *data, size_t len)
{
	struct partition_sm *ps = c;
	partition_restore(ps->part, index, data, len);
	idem_drop_leader(ps->idem);
	ps->snapshot_index = index;
	log_info("installed the leader's log start: index %llu, offset %lld",
		 (unsigned long long)index, (long long)ps->part->log_start_offset);
}

static int ps_apply(void *c, const struct sm_entry *e)
{
	return partition_apply_entry(((struct partition_sm *)c)->part, e->index, e->kind, e->data,
				     e->len);
}

static int ps_lead(void *c, uint64_t term)
{
	int rc = partition_reset_next(((struct partition_sm *)c)->part);
	if (rc != 0)
		log_error("cannot find the end of the log: %s", err_str(rc));
	return rc;
}

static void ps_step_down(void *c) { idem_drop_leader(((struct partition_sm *)c)->idem); }

static int ps_snapshot(void *c)
{
	struct partition_sm *ps = c;
	/* The apply state first: on restart it must not be behind the
	 * producer table, or entries would be recorded twice. */
	int rc = partition_save(ps->part);
	if (rc == 0)
		rc = idem_snapshot(ps->idem, ps->part->store, ps->part->commit_index);
	if (rc == 0)
		ps->snapshot_index = ps->part->commit_index;
	return rc;
}

static void ps_start_state(void *c, const uint8_t **data, size_t *len)
{
	struct partition_sm *ps = c;
	partition_snapshot(ps->part, ps->start);
	*data = ps->start;
	*len = sizeof(ps->start);
}

/* --- DescribeProducers ---------------------------------------------------- */

struct ts_of_ctx {
	int64_t offset; /* the offset whose batch is wanted */
	int64_t ts;	/* that batch's maxTimestamp, -1 = not found */
};

static int ts_of_cb(void *ctx, const struct store_entry *e)
{
	struct ts_of_ctx *x = ctx;
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	record_batch_iter_init(&it, e->data, e->len);
	while (record_batch_iter_next_header(&it, &b, &bl, NULL) == 1)
		if (record_batch_base_offset(b) <= x->offset &&
		    x->offset < record_batch_next_offset(b))
			x->ts = record_batch_max_timestamp(b);
	return 1;
}

/* The maxTimestamp of the stored batch holding `offset`, -1 when retention
 * removed it: Kafka's lastTimestamp of a producer is its last batch's. One
 * offsets-row lookup and one entry read per producer, on request only. */
static int64_t batch_timestamp(struct store *s, int64_t offset)
{
	int64_t base;
	uint64_t index;
	if (store_offset_floor(s, offset, &base, &index) != 0)
		return -1;
	struct ts_of_ctx x = {.offset = offset, .ts = -1};
	if (store_scan(s, index, index + 1, ts_of_cb, &x) < 0)
		return -1;
	return x.ts;
}

struct producers_out {
	struct store *store;
	struct buf *out;
	size_t n;
};

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static int producer_out_cb(void *ctx, int64_t id, int16_t epoch,
			   const struct producers_recent *last)
{
	struct producers_out *x = ctx;
	uint8_t rec[IPC_PRODUCER_LEN];
	put_be(rec, (uint64_t)id, 8);
	put_be(rec + 8, (uint16_t)epoch, 2);
	put_be(rec + 10, (uint32_t)last->last_seq, 4);
	put_be(rec + 14, (uint64_t)batch_timestamp(x->store, last->last_offset), 8);
	buf_put(x->out, rec, sizeof(rec));
	x->n++;
	return x->out->oom ? ERR_NOMEM : 0;
}

static int ps_read(void *c, int kind, const void *req, void *result)
{
	struct partition_sm *ps = c;
	switch (kind) {
	case PARTITION_READ_FETCH: {
		const struct partition_fetch_req *q = req;
		struct partition_fetch_res *r = result;
		r->error = partition_fetch_emit(ps->part, q->offset, q->max_bytes, q->emit, q->ctx,
						&r->bytes);
		return 0;
	}
	case PARTITION_READ_LIST_OFFSETS: {
		const struct partition_list_req *q = req;
		struct partition_list_res *r = result;
		r->error =
		    partition_list_offsets(ps->part, q->timestamp, &r->offset, &r->timestamp);
		return 0;
	}
	case PARTITION_READ_EPOCH_END: {
		const struct partition_epoch_req *q = req;
		struct partition_epoch_res *r = result;
		r->error = partition_epoch_end(ps->part, q->epoch, q->current_term, &r->epoch,
					       &r->end_offset);
		return 0;
	}
	case PARTITION_READ_PRODUCERS: {
		const struct partition_producers_req *q = req;
		struct partition_producers_res *r = result;
		struct producers_out x = {.store = ps->part->store, .out = q->out};
		int rc = ps->part->producers
			     ? producers_each(ps->part->producers, producer_out_cb, &x)
			     : 0;
		r->error = rc == 0 ? KERR_NONE : KERR_UNKNOWN_SERVER_ERROR;
		r->n = x.n;
		return 0;
	}
	default:
		return ERR_UNSUPPORTED;
	}
}

static void ps_status(void *c, struct sm_status *out)
{
	struct partition_sm *ps = c;
	*out = (struct sm_status){.applied = ps->part->commit_index,
				  .checksum = ps->part->log_checksum,
				  .snapshot_index = ps->snapshot_index};
}

static const struct sm_ops ops = {
    .applied = ps_applied,
    .proposed = ps_proposed,
    .save = ps_save,
    .install_store = ps_install_store,
    .install = ps_install,
    .apply = ps_apply,
    .lead = ps_lead,
    .step_down = ps_step_down,
    .snapshot = ps_snapshot,
    .start_state = ps_start_state,
    .read = ps_read,
    .status = ps_status,
};

struct sm partition_sm_init(struct partition_sm *ps, struct partition *p, struct idem *x)
{
	*ps = (struct partition_sm){.part = p, .idem = x};
	p->producers = &x->applied;
	return (struct sm){&ops, ps};
}
