/* memstore.c - in-memory Raft storage for the tests, with the same
 * contract the LMDB store has (see struct raft_storage and log_store.h). */
#include "memstore.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static int st_initial(void *ctx, struct raft_hard_state *out)
{
	*out = ((struct memstore *)ctx)->hs;
	return 0;
}

static int st_first(void *ctx, uint64_t *out)
{
	*out = ((struct memstore *)ctx)->start_index + 1;
	return 0;
}

static int st_last(void *ctx, uint64_t *out)
{
	*out = memstore_last(ctx);
	return 0;
}

static int st_term(void *ctx, uint64_t index, uint64_t *out)
{
	struct memstore *s = ctx;
	if (index < s->start_index)
		return ERR_COMPACTED;
	if (index > memstore_last(s))
		return ERR_UNAVAILABLE;
	*out = index == s->start_index ? s->start_term : s->ents[index - s->start_index - 1].term;
	return 0;
}

static int st_entries(void *ctx, uint64_t lo, uint64_t hi, size_t max_bytes, struct raft_entry *out,
		      size_t *n_out)
{
	struct memstore *s = ctx;
	*n_out = 0;
	if (lo <= s->start_index)
		return ERR_COMPACTED;
	if (hi > memstore_last(s) + 1)
		return ERR_UNAVAILABLE;
	size_t n = 0, bytes = 0;
	for (uint64_t i = lo; i < hi; i++) {
		const struct raft_entry *e = &s->ents[i - s->start_index - 1];
		if (n && bytes + e->data_len > max_bytes)
			break;
		out[n++] = *e;
		bytes += e->data_len;
	}
	*n_out = n;
	return 0;
}

static int st_snapshot(void *ctx, struct raft_snapshot *out)
{
	struct memstore *s = ctx;
	out->index = s->start_index;
	out->term = s->start_term;
	out->data = s->snap;
	out->data_len = s->snap_len;
	return 0;
}

void memstore_init(struct memstore *s)
{
	memset(s, 0, sizeof(*s));
	s->iface = (struct raft_storage){
	    .ctx = s,
	    .initial_state = st_initial,
	    .first_index = st_first,
	    .last_index = st_last,
	    .term = st_term,
	    .entries = st_entries,
	    .snapshot = st_snapshot,
	};
}

static void drop_from(struct memstore *s, size_t k)
{
	for (size_t i = k; i < s->n; i++)
		free((void *)s->ents[i].data);
	if (k < s->n)
		s->n = k;
}

void memstore_free(struct memstore *s)
{
	drop_from(s, 0);
	free(s->ents);
	free(s->snap);
	memset(s, 0, sizeof(*s));
}

uint64_t memstore_last(const struct memstore *s) { return s->start_index + s->n; }

int64_t memstore_term_at(const struct memstore *s, uint64_t index)
{
	uint64_t t;
	if (st_term((void *)s, index, &t) != 0)
		return -1;
	return (int64_t)t;
}

int memstore_append(struct memstore *s, const struct raft_entry *ents, size_t n)
{
	if (n == 0)
		return 0;
	uint64_t at = ents[0].index;
	if (at <= s->start_index || at > memstore_last(s) + 1)
		return ERR_INVALID;
	drop_from(s, (size_t)(at - s->start_index - 1));
	if (s->n + n > s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		while (cap < s->n + n)
			cap *= 2;
		struct raft_entry *e = realloc(s->ents, cap * sizeof(*e));
		if (!e)
			return ERR_NOMEM;
		s->ents = e;
		s->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct raft_entry e = ents[i];
		if (e.data_len) {
			uint8_t *d = malloc(e.data_len);
			if (!d)
				return ERR_NOMEM;
			memcpy(d, e.data, e.data_len);
			e.data = d;
		} else {
			e.data = NULL;
		}
		s->ents[s->n++] = e;
	}
	return 0;
}

static int set_snap(struct memstore *s, const uint8_t *data, size_t len)
{
	uint8_t *copy = NULL;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return ERR_NOMEM;
		memcpy(copy, data, len);
	}
	free(s->snap);
	s->snap = copy;
	s->snap_len = len;
	return 0;
}

int memstore_install(struct memstore *s, const struct raft_snapshot *snap)
{
	int rc = set_snap(s, snap->data, snap->data_len);
	if (rc)
		return rc;
	drop_from(s, 0);
	s->start_index = snap->index;
	s->start_term = snap->term;
	return 0;
}

int memstore_compact(struct memstore *s, uint64_t index, const uint8_t *snap, size_t len)
{
	if (index <= s->start_index || index > memstore_last(s))
		return ERR_INVALID;
	int rc = set_snap(s, snap, len);
	if (rc)
		return rc;
	size_t k = (size_t)(index - s->start_index);
	uint64_t term = s->ents[k - 1].term;
	for (size_t i = 0; i < k; i++)
		free((void *)s->ents[i].data);
	memmove(s->ents, s->ents + k, (s->n - k) * sizeof(*s->ents));
	s->n -= k;
	s->start_index = index;
	s->start_term = term;
	return 0;
}

/* --- as a driver's log ------------------------------------------------------ */

static void lg_log_start(void *ctx, uint64_t *index, uint64_t *term)
{
	struct memstore *s = ctx;
	*index = s->start_index;
	*term = s->start_term;
}

static int lg_nothing(void *ctx) { return 0; }
static void lg_abort(void *ctx) {}

static int lg_append(void *ctx, const struct raft_entry *e, size_t n)
{
	return memstore_append(ctx, e, n);
}

static int lg_set_hard_state(void *ctx, const struct raft_hard_state *hs)
{
	((struct memstore *)ctx)->hs = *hs;
	return 0;
}

static const struct log_store_ops log_ops = {
    .hard_state = st_initial,
    .first_index = st_first,
    .last_index = st_last,
    .term = st_term,
    .entries = st_entries,
    .log_start = lg_log_start,
    .begin = lg_nothing,
    .append = lg_append,
    .set_hard_state = lg_set_hard_state,
    .commit = lg_nothing,
    .abort = lg_abort,
};

struct log_store memstore_log(struct memstore *s) { return (struct log_store){&log_ops, s}; }
