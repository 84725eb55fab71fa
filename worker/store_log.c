/* store_log.c - the Raft driver's log over the LMDB store (see
 * store_log.h). */
#include "store_log.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "worker/store.h"

static int l_hard_state(void *c, struct raft_hard_state *o)
{
	struct store_log *l = c;
	struct store_hard_state hs;
	store_hard_state(l->store, &hs);
	*o = (struct raft_hard_state){hs.term, hs.vote, hs.commit};
	return 0;
}

static int l_first(void *c, uint64_t *o)
{
	*o = store_first_index(((struct store_log *)c)->store);
	return 0;
}

static int l_last(void *c, uint64_t *o)
{
	*o = store_last_index(((struct store_log *)c)->store);
	return 0;
}

static int l_term(void *c, uint64_t i, uint64_t *o)
{
	return store_term(((struct store_log *)c)->store, i, o);
}

static int l_entries(void *c, uint64_t lo, uint64_t hi, size_t max_bytes, struct raft_entry *out,
		     size_t *n_out)
{
	struct store_log *l = c;
	struct store_entry *se = NULL;
	size_t n = 0;
	arena_reset(&l->arena);
	int rc = store_entries(l->store, lo, hi, max_bytes, &l->arena, &se, &n);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		out[i] =
		    (struct raft_entry){se[i].index, se[i].term, se[i].kind, se[i].data, se[i].len};
	*n_out = n;
	return 0;
}

static void l_log_start(void *c, uint64_t *index, uint64_t *term)
{
	struct store_log_start ls;
	store_log_start(((struct store_log *)c)->store, &ls);
	*index = ls.index;
	*term = ls.term;
}

static int l_begin(void *c) { return store_txn_begin(((struct store_log *)c)->store); }
static int l_commit(void *c) { return store_txn_commit(((struct store_log *)c)->store); }
static void l_abort(void *c) { store_txn_abort(((struct store_log *)c)->store); }

static int l_append(void *c, const struct raft_entry *e, size_t n)
{
	struct store_log *l = c;
	if (n > l->sbuf_cap) {
		size_t cap = l->sbuf_cap ? l->sbuf_cap : 64;
		while (cap < n)
			cap *= 2;
		struct store_entry *nb = realloc(l->sbuf, cap * sizeof(*nb));
		if (nb == NULL)
			return ERR_NOMEM;
		l->sbuf = nb;
		l->sbuf_cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		l->sbuf[i] = (struct store_entry){
		    .index = e[i].index,
		    .term = e[i].term,
		    .kind = e[i].kind,
		    .base_offset = store_base_offset(l->store, e[i].kind, e[i].data, e[i].data_len),
		    .data = e[i].data,
		    .len = e[i].data_len};
	return store_append(l->store, l->sbuf, n);
}

static int l_set_hard_state(void *c, const struct raft_hard_state *hs)
{
	struct store_hard_state s = {hs->term, hs->vote, hs->commit};
	return store_set_hard_state(((struct store_log *)c)->store, &s);
}

static const struct log_store_ops ops = {
    .hard_state = l_hard_state,
    .first_index = l_first,
    .last_index = l_last,
    .term = l_term,
    .entries = l_entries,
    .log_start = l_log_start,
    .begin = l_begin,
    .append = l_append,
    .set_hard_state = l_set_hard_state,
    .commit = l_commit,
    .abort = l_abort,
};

void store_log_init(struct store_log *l, struct store *s)
{
	memset(l, 0, sizeof(*l));
	l->store = s;
	arena_init(&l->arena);
	l->log = (struct log_store){&ops, l};
}

void store_log_close(struct store_log *l)
{
	free(l->sbuf);
	l->sbuf = NULL;
	l->sbuf_cap = 0;
	arena_free(&l->arena);
}
