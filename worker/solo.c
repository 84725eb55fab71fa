/* solo.c - group commit for a one-replica partition (see solo.h). */
#include "solo.h"

#include <event2/event.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "worker/store.h"

void solo_flush(struct solo *r)
{
	if (!store_in_txn(r->store))
		return;
	size_t n = r->n_group;
	r->n_group = 0;
	uint64_t last = store_last_index(r->store);
	int rc = store_txn_commit(r->store);
	if (rc != 0) {
		log_warn("group commit of %zu entries failed: %s", n, err_str(rc));
		r->failed(r->ctx, rc);
		return;
	}
	log_debug("group commit: %zu entries, last index %llu", n, (unsigned long long)last);
	r->commit_index = last;
	r->committed(r->ctx, last);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg) { solo_flush(arg); }

int solo_init(struct solo *r, struct event_base *base, struct store *s, uint64_t node_id,
	      solo_committed_cb committed, solo_failed_cb failed, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->store = s;
	r->node_id = node_id;
	r->committed = committed;
	r->failed = failed;
	r->ctx = ctx;
	/* A low priority would be nicer, but the loop has one; events made
	 * active during a callback run after the callbacks already active in
	 * that iteration, so every frame read in this iteration joins. */
	r->flush = event_new(base, -1, 0, flush_cb, r);
	if (r->flush == NULL)
		return ERR_NOMEM;
	struct store_hard_state hs;
	store_hard_state(s, &hs);
	hs.term++;
	hs.vote = node_id;
	hs.commit = store_last_index(s);
	int rc = store_set_hard_state(s, &hs);
	if (rc != 0) {
		event_free(r->flush);
		r->flush = NULL;
		return rc;
	}
	r->term = hs.term;
	r->commit_index = store_last_index(s);
	return 0;
}

void solo_close(struct solo *r)
{
	if (r->flush)
		event_free(r->flush);
	r->flush = NULL;
	store_txn_abort(r->store);
}

int solo_propose(struct solo *r, uint8_t kind, int64_t base_offset, const uint8_t *data, size_t len,
		 uint64_t *index)
{
	if (!store_in_txn(r->store)) {
		int rc = store_txn_begin(r->store);
		if (rc != 0)
			return rc;
		r->n_group = 0;
	}
	if (r->n_group++ == 0)
		event_active(r->flush, 0, 0);
	struct store_entry e = {
	    .index = store_last_index(r->store) + 1,
	    .term = r->term,
	    .kind = kind,
	    .base_offset = base_offset,
	    .data = data,
	    .len = len,
	};
	int rc = store_append(r->store, &e, 1);
	if (rc == 0)
		*index = e.index;
	return rc;
}
