/* controller_sm.c - the catalog's sm ops over the store (see
 * controller_sm.h). */
#include "controller_sm.h"

#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "worker/store.h"

#define SNAP_CATALOG "catalog"
#define SNAP_START "catalog_start"

static uint64_t cs_applied(void *c) { return ((struct controller_sm *)c)->cat.version; }

static void cs_proposed(void *c, uint64_t index, const uint8_t *data, size_t len) {}

static int encode(struct controller_sm *cs, struct buf *out)
{
	buf_reset(out);
	return catalog_encode(&cs->cat, out);
}

static int cs_save(void *c)
{
	struct controller_sm *cs = c;
	if (cs->cat.version == cs->saved)
		return 0;
	int rc = encode(cs, &cs->scratch);
	if (rc == 0)
		rc = store_put_snapshot(cs->store, SNAP_CATALOG, cs->scratch.data, cs->scratch.len);
	if (rc == 0)
		cs->saved = cs->cat.version;
	return rc;
}

static int cs_install_store(void *c, uint64_t index, uint64_t term, const uint8_t *data, size_t len)
{
	struct controller_sm *cs = c;
	struct catalog n;
	catalog_init(&n);
	int rc = catalog_decode(&n, data, len);
	if (rc != 0)
		return rc;
	n.version = index;
	struct buf b;
	buf_init(&b);
	rc = catalog_encode(&n, &b);
	struct store_log_start ls = {.index = index, .term = term, .kafka_offset = 0};
	if (rc == 0)
		rc = store_reset(cs->store, &ls);
	if (rc == 0)
		rc = store_put_snapshot(cs->store, SNAP_START, b.data, b.len);
	if (rc == 0)
		rc = store_put_snapshot(cs->store, SNAP_CATALOG, b.data, b.len);
	buf_free(&b);
	catalog_free(&n);
	return rc;
}

static void cs_install(void *c, uint64_t index, const uint8_t *data, size_t len)
{
	struct controller_sm *cs = c;
	if (catalog_decode(&cs->cat, data, len) != 0) {
		log_error("cannot decode the leader's catalog at %llu", (unsigned long long)index);
		abort();
	}
	cs->cat.version = index;
	cs->saved = index;
	cs->snapshot_index = index;
	buf_reset(&cs->start);
	buf_put(&cs->start, data, len);
	log_info("installed the leader's catalog: version %llu, %d topics",
		 (unsigned long long)index, cs->cat.n_topics);
	struct catalog_result none = {0};
	if (cs->on_applied)
		cs->on_applied(cs->ctx, index, &none);
}

static int cs_apply(void *c, const struct sm_entry *e)
{
	struct controller_sm *cs = c;
	struct catalog_result res = {0};
	if (e->kind != STORE_KIND_DATA || e->len == 0) {
		cs->cat.version = e->index;
	} else if (catalog_apply(&cs->cat, e->index, e->data, e->len, &res) != 0) {
		/* Out of memory half way: the catalog may be torn. Stop; the
		 * restart replays from the saved catalog. */
		log_error("out of memory applying catalog entry %llu; stopping",
			  (unsigned long long)e->index);
		abort();
	}
	if (cs->on_applied)
		cs->on_applied(cs->ctx, e->index, &res);
	return 0;
}

static int cs_lead(void *c, uint64_t term) { return 0; }

static void cs_step_down(void *c) {}

static int cs_snapshot(void *c)
{
	struct controller_sm *cs = c;
	int rc = cs_save(cs);
	if (rc == 0)
		rc = encode(cs, &cs->scratch);
	if (rc == 0)
		rc = store_compact_snapshot(cs->store, cs->cat.version, 0, SNAP_START,
					    cs->scratch.data, cs->scratch.len);
	if (rc == 0) {
		buf_reset(&cs->start);
		buf_put(&cs->start, cs->scratch.data, cs->scratch.len);
		cs->snapshot_index = cs->cat.version;
	}
	return rc;
}

static void cs_start_state(void *c, const uint8_t **data, size_t *len)
{
	struct controller_sm *cs = c;
	*data = cs->start.data;
	*len = cs->start.len;
}

static int cs_read(void *c, int kind, const void *req, void *result) { return ERR_UNSUPPORTED; }

static void cs_status(void *c, struct sm_status *out)
{
	struct controller_sm *cs = c;
	*out = (struct sm_status){
	    .applied = cs->cat.version, .checksum = 0, .snapshot_index = cs->snapshot_index};
}

static const struct sm_ops ops = {
    .applied = cs_applied,
    .proposed = cs_proposed,
    .save = cs_save,
    .install_store = cs_install_store,
    .install = cs_install,
    .apply = cs_apply,
    .lead = cs_lead,
    .step_down = cs_step_down,
    .snapshot = cs_snapshot,
    .start_state = cs_start_state,
    .read = cs_read,
    .status = cs_status,
};

int controller_sm_open(struct controller_sm *cs, struct store *s, controller_applied_cb cb,
		       void *ctx)
{
	*cs = (struct controller_sm){.store = s, .on_applied = cb, .ctx = ctx};
	catalog_init(&cs->cat);
	buf_init(&cs->start);
	buf_init(&cs->scratch);
	struct buf b;
	buf_init(&b);
	int rc = store_get_snapshot(s, SNAP_CATALOG, &b);
	if (rc == 0 && catalog_decode(&cs->cat, b.data, b.len) != 0) {
		log_error("the saved catalog does not decode");
		rc = ERR_CORRUPT;
	} else if (rc == ERR_NOTFOUND) {
		rc = 0;
	}
	cs->saved = cs->cat.version;
	if (rc == 0) {
		struct store_log_start ls;
		store_log_start(s, &ls);
		cs->snapshot_index = ls.index;
		int r2 = store_get_snapshot(s, SNAP_START, &cs->start);
		if (r2 == ERR_NOTFOUND)
			/* Never compacted: the log starts empty. */
			r2 = catalog_encode(&(struct catalog){0}, &cs->start);
		rc = r2;
	}
	buf_free(&b);
	return rc;
}

void controller_sm_close(struct controller_sm *cs)
{
	catalog_free(&cs->cat);
	buf_free(&cs->start);
	buf_free(&cs->scratch);
}

struct sm controller_sm_sm(struct controller_sm *cs) { return (struct sm){&ops, cs}; }
