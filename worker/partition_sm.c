/* partition_sm.c - the data partition's sm ops over partition.c and idem.c
 * (see partition_sm.h). */
#include "partition_sm.h"

#include "common/err.h"
#include "common/log.h"
#include "worker/idem.h"
#include "worker/store.h"

static uint64_t ps_applied(void *c) { return ((struct partition_sm *)c)->part->commit_index; }

static void ps_proposed(void *c, uint64_t index, const uint8_t *data, size_t len)
{
	partition_proposed(((struct partition_sm *)c)->part, data, len);
}

static int ps_save(void *c) { return partition_save(((struct partition_sm *)c)->part); }

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
