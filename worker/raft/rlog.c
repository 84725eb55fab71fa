/* rlog.c - the replica's log: stable entries read through the caller's
 * storage, the unstable tail held here until a Ready hands it to the driver.
 *
 * Must not write to storage: persisting is the driver's job, driven by the
 * Ready. */
#include "rlog.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "invariant.h"

/* The log is embedded in struct raft; invariant reports want the raft. */
#define RAFT_OF(l) ((const struct raft *)((const char *)(l)-offsetof(struct raft, log)))

static uint64_t storage_first(const struct raft_log *l)
{
	uint64_t v = 0;
	int rc = l->storage->first_index(l->storage->ctx, &v);
	RAFT_CHECK(RAFT_OF(l), rc == 0, "storage first_index failed: %s", err_str(rc));
	return v;
}

int rlog_init(struct raft_log *l, const struct raft_storage *s, uint64_t commit, uint64_t applied)
{
	memset(l, 0, sizeof(*l));
	l->storage = s;
	uint64_t first = 0, last = 0;
	int rc = s->first_index(s->ctx, &first);
	if (rc == 0)
		rc = s->last_index(s->ctx, &last);
	if (rc)
		return rc;
	if (first == 0 || last + 1 < first)
		return ERR_CORRUPT;
	/* Entries the state machine already holds are committed by definition. */
	if (applied > commit)
		commit = applied;
	if (commit > last || applied + 1 < first)
		return ERR_CORRUPT;
	l->stable_last = last;
	l->u_offset = last + 1;
	l->commit = commit;
	l->applied = applied;
	return 0;
}

static void free_entries(struct raft_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)e[i].data);
}

/* Drops cached entries [from, end): all of them when from <= c_offset. */
static void cache_drop_from(struct raft_log *l, uint64_t from)
{
	if (l->n_c == 0 || from >= l->c_offset + l->n_c)
		return;
	size_t keep = from > l->c_offset ? (size_t)(from - l->c_offset) : 0;
	for (size_t i = keep; i < l->n_c; i++)
		l->c_bytes -= l->c[i].data_len;
	free_entries(l->c + keep, l->n_c - keep);
	l->n_c = keep;
}

/* Drops the first k cached entries. */
static void cache_drop_front(struct raft_log *l, size_t k)
{
	for (size_t i = 0; i < k; i++)
		l->c_bytes -= l->c[i].data_len;
	free_entries(l->c, k);
	memmove(l->c, l->c + k, (l->n_c - k) * sizeof(*l->c));
	l->n_c -= k;
	l->c_offset += k;
}

void rlog_cache_trim(struct raft_log *l)
{
	size_t k = 0, bytes = l->c_bytes;
	while (k < l->n_c && (l->c_offset + k <= l->applied || bytes > RLOG_CACHE_MAX_BYTES)) {
		bytes -= l->c[k].data_len;
		k++;
	}
	if (k)
		cache_drop_front(l, k);
}

void rlog_close(struct raft_log *l)
{
	free_entries(l->u, l->n_u);
	free(l->u);
	free_entries(l->c, l->n_c);
	free(l->c);
	if (l->has_snap)
		free((void *)l->snap.data);
	memset(l, 0, sizeof(*l));
}

uint64_t rlog_first_index(const struct raft_log *l)
{
	if (l->has_snap)
		return l->snap.index + 1;
	return storage_first(l);
}

uint64_t rlog_last_index(const struct raft_log *l)
{
	if (l->n_u)
		return l->u_offset + l->n_u - 1;
	if (l->has_snap)
		return l->snap.index;
	return l->stable_last;
}

int rlog_term(const struct raft_log *l, uint64_t index, uint64_t *term)
{
	if (l->n_u && index >= l->u_offset && index < l->u_offset + l->n_u) {
		*term = l->u[index - l->u_offset].term;
		return 0;
	}
	if (index > rlog_last_index(l))
		return ERR_UNAVAILABLE;
	if (l->has_snap) {
		if (index == l->snap.index) {
			*term = l->snap.term;
			return 0;
		}
		return ERR_COMPACTED; /* index < snap.index: the whole old log is gone */
	}
	int rc = l->storage->term(l->storage->ctx, index, term);
	RAFT_CHECK(RAFT_OF(l), rc == 0 || rc == ERR_COMPACTED || rc == ERR_UNAVAILABLE,
		   "storage term(%llu) failed: %s", (unsigned long long)index, err_str(rc));
	/* Within [log start, stable_last] the storage must answer. */
	RAFT_CHECK(RAFT_OF(l), rc != ERR_UNAVAILABLE, "storage lost entry %llu (stable last %llu)",
		   (unsigned long long)index, (unsigned long long)l->stable_last);
	return rc;
}

uint64_t rlog_last_term(const struct raft_log *l)
{
	uint64_t t = 0;
	int rc = rlog_term(l, rlog_last_index(l), &t);
	RAFT_CHECK(RAFT_OF(l), rc == 0, "no term for the last index %llu: %s",
		   (unsigned long long)rlog_last_index(l), err_str(rc));
	return t;
}

bool rlog_match_term(const struct raft_log *l, uint64_t index, uint64_t term)
{
	uint64_t t;
	return rlog_term(l, index, &t) == 0 && t == term;
}

bool rlog_is_up_to_date(const struct raft_log *l, uint64_t last_index, uint64_t last_term)
{
	uint64_t our = rlog_last_term(l);
	return last_term > our || (last_term == our && last_index >= rlog_last_index(l));
}

int rlog_append(struct raft_log *l, const struct raft_entry *ents, size_t n)
{
	if (n == 0)
		return 0;
	const struct raft *r = RAFT_OF(l);
	uint64_t after = ents[0].index;
	RAFT_CHECK(r, after > l->commit,
		   "append at %llu would overwrite committed entries (commit %llu)",
		   (unsigned long long)after, (unsigned long long)l->commit);
	RAFT_CHECK(r, after <= rlog_last_index(l) + 1, "append at %llu leaves a gap after %llu",
		   (unsigned long long)after, (unsigned long long)rlog_last_index(l));
	for (size_t i = 1; i < n; i++)
		RAFT_CHECK(r, ents[i].index == after + i && ents[i].term >= ents[i - 1].term,
			   "appended entries not contiguous or terms going back at %llu",
			   (unsigned long long)ents[i].index);

	/* Copy everything first so that running out of memory changes nothing. */
	uint8_t **copies = calloc(n, sizeof(*copies));
	if (!copies)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (ents[i].data_len == 0)
			continue;
		copies[i] = malloc(ents[i].data_len);
		if (!copies[i])
			goto nomem;
		memcpy(copies[i], ents[i].data, ents[i].data_len);
	}

	/* Where the new entries go in u[]: keep the unstable prefix before `after`. */
	size_t keep;
	if (l->n_u == 0 || after <= l->u_offset) {
		keep = 0;
	} else {
		keep = (size_t)(after - l->u_offset);
		if (keep > l->n_u)
			keep = l->n_u;
	}
	if (keep + n > l->cap_u) {
		size_t cap = l->cap_u ? l->cap_u : 16;
		while (cap < keep + n)
			cap *= 2;
		struct raft_entry *nu = realloc(l->u, cap * sizeof(*nu));
		if (!nu)
			goto nomem;
		l->u = nu;
		l->cap_u = cap;
	}
	free_entries(l->u + keep, l->n_u - keep);
	/* Stored entries from `after` on are being replaced: so are cached ones. */
	cache_drop_from(l, after);
	if (keep == 0)
		l->u_offset = after;
	for (size_t i = 0; i < n; i++) {
		l->u[keep + i] = ents[i];
		l->u[keep + i].data = copies[i];
	}
	l->n_u = keep + n;
	free(copies);
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		free(copies[i]);
	free(copies);
	return ERR_NOMEM;
}

int rlog_maybe_append(struct raft_log *l, const struct raft_entry *ents, size_t n)
{
	/* Raft §5.3: an existing entry that conflicts with a new one (same
	 * index, different term) is deleted with all that follow; entries we
	 * already hold are kept, so a stale or duplicated append never
	 * truncates a log that has moved on. */
	uint64_t last = rlog_last_index(l);
	for (size_t i = 0; i < n; i++) {
		if (ents[i].index > last || !rlog_match_term(l, ents[i].index, ents[i].term))
			return rlog_append(l, ents + i, n - i);
	}
	return 0;
}

void rlog_commit_to(struct raft_log *l, uint64_t index)
{
	if (index <= l->commit)
		return;
	RAFT_CHECK(RAFT_OF(l), index <= rlog_last_index(l),
		   "commit %llu is past the last index %llu", (unsigned long long)index,
		   (unsigned long long)rlog_last_index(l));
	l->commit = index;
}

int rlog_restore(struct raft_log *l, const struct raft_snapshot *s)
{
	RAFT_CHECK(RAFT_OF(l), s->index > l->commit,
		   "log start %llu would discard committed entries", (unsigned long long)s->index);
	uint8_t *copy = NULL;
	if (s->data_len) {
		copy = malloc(s->data_len);
		if (!copy)
			return ERR_NOMEM;
		memcpy(copy, s->data, s->data_len);
	}
	free_entries(l->u, l->n_u);
	l->n_u = 0;
	cache_drop_from(l, 0);
	if (l->has_snap)
		free((void *)l->snap.data);
	l->has_snap = true;
	l->snap = *s;
	l->snap.data = copy;
	l->u_offset = s->index + 1;
	l->commit = s->index;
	l->applied = s->index;
	return 0;
}

bool rlog_in_memory(const struct raft_log *l, uint64_t lo, uint64_t hi)
{
	if (lo >= l->u_offset)
		return true;
	uint64_t shi = hi < l->u_offset ? hi : l->u_offset;
	return l->n_c && lo >= l->c_offset && shi <= l->c_offset + l->n_c;
}

int rlog_slice(const struct raft_log *l, uint64_t lo, uint64_t hi, size_t max_bytes,
	       struct raft_entry *out, size_t *n_out)
{
	*n_out = 0;
	if (lo >= hi)
		return 0;
	if (lo < rlog_first_index(l))
		return ERR_COMPACTED;
	if (hi > rlog_last_index(l) + 1)
		return ERR_UNAVAILABLE;
	size_t n = 0, bytes = 0;
	if (lo < l->u_offset && rlog_in_memory(l, lo, hi)) {
		/* All of the stored part is in the stable cache. */
		uint64_t shi = hi < l->u_offset ? hi : l->u_offset;
		for (uint64_t i = lo; i < shi; i++) {
			const struct raft_entry *e = &l->c[i - l->c_offset];
			if (n > 0 && bytes + e->data_len > max_bytes) {
				*n_out = n;
				return 0;
			}
			out[n++] = *e;
			bytes += e->data_len;
		}
	} else if (lo < l->u_offset) {
		uint64_t shi = hi < l->u_offset ? hi : l->u_offset;
		int rc = l->storage->entries(l->storage->ctx, lo, shi, max_bytes, out, &n);
		if (rc == ERR_COMPACTED)
			return rc;
		RAFT_CHECK(RAFT_OF(l), rc == 0, "storage entries [%llu, %llu) failed: %s",
			   (unsigned long long)lo, (unsigned long long)shi, err_str(rc));
		RAFT_CHECK(RAFT_OF(l), n >= 1 && n <= shi - lo,
			   "storage returned %zu entries for [%llu, %llu)", n,
			   (unsigned long long)lo, (unsigned long long)shi);
		for (size_t i = 0; i < n; i++) {
			RAFT_CHECK(RAFT_OF(l), out[i].index == lo + i,
				   "storage returned index %llu for %llu",
				   (unsigned long long)out[i].index, (unsigned long long)(lo + i));
			bytes += out[i].data_len;
		}
		if (n < shi - lo) {
			*n_out = n;
			return 0;
		}
	}
	for (uint64_t i = lo > l->u_offset ? lo : l->u_offset; i < hi; i++) {
		const struct raft_entry *e = &l->u[i - l->u_offset];
		if (n > 0 && bytes + e->data_len > max_bytes)
			break;
		out[n++] = *e;
		bytes += e->data_len;
	}
	*n_out = n;
	return 0;
}

uint64_t rlog_first_index_of_term(const struct raft_log *l, uint64_t index, uint64_t term)
{
	uint64_t lo = l->commit + 1, first = rlog_first_index(l);
	if (lo < first)
		lo = first;
	if (lo > index)
		return index;
	/* Smallest i in [lo, index] with term(i) >= term; term(index) == term. */
	uint64_t hi = index;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2, t = 0;
		int rc = rlog_term(l, mid, &t);
		RAFT_CHECK(RAFT_OF(l), rc == 0, "no term for %llu: %s", (unsigned long long)mid,
			   err_str(rc));
		if (t >= term)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

bool rlog_last_index_at_term(const struct raft_log *l, uint64_t term, uint64_t hi, uint64_t *out,
			     uint64_t *found_term)
{
	uint64_t lo = rlog_first_index(l) - 1, last = rlog_last_index(l), t = 0;
	if (hi > last)
		hi = last;
	if (hi < lo || rlog_term(l, lo, &t) != 0 || t > term)
		return false;
	/* Largest j in [lo, hi] with term(j) <= term; term(lo) <= term holds. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2, mt = 0;
		int rc = rlog_term(l, mid, &mt);
		RAFT_CHECK(RAFT_OF(l), rc == 0, "no term for %llu: %s", (unsigned long long)mid,
			   err_str(rc));
		if (mt <= term)
			lo = mid;
		else
			hi = mid - 1;
	}
	int rc = rlog_term(l, lo, &t);
	RAFT_CHECK(RAFT_OF(l), rc == 0, "no term for %llu: %s", (unsigned long long)lo,
		   err_str(rc));
	*out = lo;
	*found_term = t;
	return true;
}

void rlog_stable_to(struct raft_log *l, uint64_t index)
{
	RAFT_CHECK(RAFT_OF(l), l->n_u && index == l->u_offset + l->n_u - 1,
		   "stable_to(%llu) does not match the unstable tail", (unsigned long long)index);
	/* The persisted entries move to the stable cache (their data too), which
	 * must stay one run ending at stable_last. */
	if (l->n_c && l->c_offset + l->n_c != l->u_offset)
		cache_drop_from(l, 0);
	if (l->n_c + l->n_u > l->cap_c) {
		size_t cap = l->cap_c ? l->cap_c : 16;
		while (cap < l->n_c + l->n_u)
			cap *= 2;
		struct raft_entry *nc = realloc(l->c, cap * sizeof(*nc));
		if (nc) {
			l->c = nc;
			l->cap_c = cap;
		}
	}
	if (l->n_c + l->n_u <= l->cap_c) {
		if (l->n_c == 0)
			l->c_offset = l->u_offset;
		for (size_t i = 0; i < l->n_u; i++) {
			l->c[l->n_c++] = l->u[i];
			l->c_bytes += l->u[i].data_len;
		}
	} else {
		free_entries(l->u, l->n_u); /* no room: storage still has them */
	}
	l->n_u = 0;
	l->u_offset = index + 1;
	l->stable_last = index;
	rlog_cache_trim(l);
}

void rlog_snapshot_stable(struct raft_log *l)
{
	RAFT_CHECK(RAFT_OF(l), l->has_snap, "no log start to mark stable");
	l->stable_last = l->snap.index;
	if (l->n_u == 0)
		l->u_offset = l->snap.index + 1;
	free((void *)l->snap.data);
	l->has_snap = false;
	memset(&l->snap, 0, sizeof(l->snap));
}
