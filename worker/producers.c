/* producers.c - the idempotent-producer table (see producers.h): an open
 * addressing hash table with linear probing, kept at most half full. Rows
 * are only added or forgotten all at once (clear, eviction), so there is
 * no single-row deletion to get right. */
#include "producers.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/record_batch.h"

#define MIN_CAP 16

static size_t hash_id(int64_t id)
{
	/* splitmix64's finaliser: producer ids are node << 40 | counter, so
	 * their low bits alone would cluster. */
	uint64_t z = (uint64_t)id;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (size_t)(z ^ (z >> 31));
}

void producers_init(struct producers *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max ? max : PRODUCERS_MAX_DEFAULT;
}

void producers_free(struct producers *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = 0;
	t->n = 0;
}

void producers_clear(struct producers *t)
{
	for (size_t i = 0; i < t->cap; i++)
		t->slots[i].id = -1;
	t->n = 0;
}

size_t producers_count(const struct producers *t) { return t->n; }

int producers_each(const struct producers *t, producers_each_cb cb, void *ctx)
{
	for (size_t i = 0; i < t->cap; i++) {
		const struct producers_entry *e = &t->slots[i];
		if (e->id < 0 || e->n == 0)
			continue;
		int rc = cb(ctx, e->id, e->epoch, &e->recent[e->head]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int producers_copy(struct producers *dst, const struct producers *src)
{
	dst->max = src->max;
	if (dst->cap != src->cap) {
		struct producers_entry *s = NULL;
		if (src->cap) {
			s = malloc(src->cap * sizeof(*s));
			if (s == NULL) {
				producers_clear(dst);
				return ERR_NOMEM;
			}
		}
		free(dst->slots);
		dst->slots = s;
		dst->cap = src->cap;
	}
	if (src->cap)
		memcpy(dst->slots, src->slots, src->cap * sizeof(*src->slots));
	dst->n = src->n;
	return 0;
}

int32_t producers_next_seq(int32_t seq) { return seq == INT32_MAX ? 0 : seq + 1; }

int32_t producers_last_seq(int32_t first_seq, int32_t last_offset_delta)
{
	int64_t last = (int64_t)first_seq + last_offset_delta;
	if (last > INT32_MAX)
		last -= (int64_t)INT32_MAX + 1;
	return (int32_t)last;
}

static struct producers_entry *find(const struct producers *t, int64_t id)
{
	if (t->cap == 0)
		return NULL;
	size_t mask = t->cap - 1;
	for (size_t i = hash_id(id) & mask, k = 0; k < t->cap; i = (i + 1) & mask, k++) {
		if (t->slots[i].id == id)
			return &t->slots[i];
		if (t->slots[i].id < 0)
			return NULL;
	}
	return NULL;
}

/* Places e in slots (cap a power of 2, a free slot guaranteed). */
static struct producers_entry *place(struct producers_entry *slots, size_t cap,
				     const struct producers_entry *e)
{
	size_t mask = cap - 1, i = hash_id(e->id) & mask;
	while (slots[i].id >= 0)
		i = (i + 1) & mask;
	slots[i] = *e;
	return &slots[i];
}

static int resize(struct producers *t, size_t cap)
{
	struct producers_entry *s = malloc(cap * sizeof(*s));
	if (s == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < cap; i++)
		s[i].id = -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].id >= 0)
			place(s, cap, &t->slots[i]);
	free(t->slots);
	t->slots = s;
	t->cap = cap;
	return 0;
}

static uint64_t newest_index(const struct producers_entry *e)
{
	return e->n ? e->recent[e->head].index : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Forgets the quarter of the producers (at least one) whose newest batch
 * is oldest in the log, so filling the table costs O(log n) per producer. */
static int evict(struct producers *t)
{
	uint64_t *idx = malloc(t->n * sizeof(*idx));
	if (idx == NULL)
		return ERR_NOMEM;
	size_t k = 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].id >= 0)
			idx[k++] = newest_index(&t->slots[i]);
	qsort(idx, k, sizeof(*idx), cmp_u64);
	size_t drop = k / 4 ? k / 4 : 1;
	uint64_t cut = idx[drop - 1];
	free(idx);
	/* Rebuild in place: take the survivors out, then re-place them. */
	struct producers_entry *s = malloc(t->cap * sizeof(*s));
	if (s == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < t->cap; i++)
		s[i].id = -1;
	size_t n = 0;
	for (size_t i = 0; i < t->cap; i++) {
		const struct producers_entry *e = &t->slots[i];
		if (e->id >= 0 && newest_index(e) > cut) {
			place(s, t->cap, e);
			n++;
		}
	}
	free(t->slots);
	t->slots = s;
	t->n = n;
	return 0;
}

/* A new empty row for id, making room first. */
static int add(struct producers *t, int64_t id, struct producers_entry **out)
{
	if (t->n >= t->max) {
		int rc = evict(t);
		if (rc != 0)
			return rc;
	}
	if (2 * (t->n + 1) > t->cap) {
		int rc = resize(t, t->cap ? 2 * t->cap : MIN_CAP);
		if (rc != 0)
			return rc;
	}
	struct producers_entry e = {.id = id};
	*out = place(t->slots, t->cap, &e);
	t->n++;
	return 0;
}

int16_t producers_rule(int16_t known_epoch, int32_t known_last_seq, int16_t epoch,
		       int32_t first_seq)
{
	if (epoch < known_epoch)
		return KERR_INVALID_PRODUCER_EPOCH;
	if (epoch > known_epoch)
		return first_seq == 0 ? KERR_NONE : KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
	return first_seq == producers_next_seq(known_last_seq) ? KERR_NONE
							       : KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
}

static void to_batch(const struct producers_entry *e, const struct producers_recent *r,
		     struct producers_batch *out)
{
	*out = (struct producers_batch){.producer_id = e->id,
					.epoch = e->epoch,
					.first_seq = r->first_seq,
					.last_seq = r->last_seq,
					.base_offset = r->base_offset,
					.last_offset = r->last_offset,
					.index = r->index};
}

static const struct producers_recent *find_recent(const struct producers_entry *e, int32_t first,
						  int32_t last)
{
	for (uint8_t i = 0; i < e->n; i++) {
		const struct producers_recent *r = &e->recent[i];
		if (r->first_seq == first && r->last_seq == last)
			return r;
	}
	return NULL;
}

int16_t producers_check(const struct producers *t, const struct producers_batch *b, bool *dup,
			struct producers_batch *orig)
{
	*dup = false;
	const struct producers_entry *e = find(t, b->producer_id);
	if (e == NULL || e->n == 0)
		return KERR_NONE;
	if (b->epoch == e->epoch) {
		const struct producers_recent *r = find_recent(e, b->first_seq, b->last_seq);
		if (r != NULL) {
			*dup = true;
			if (orig)
				to_batch(e, r, orig);
			return KERR_NONE;
		}
	}
	return producers_rule(e->epoch, e->recent[e->head].last_seq, b->epoch, b->first_seq);
}

int producers_find(const struct producers *t, int64_t id, int16_t *epoch,
		   struct producers_batch *last)
{
	const struct producers_entry *e = find(t, id);
	if (e == NULL || e->n == 0)
		return 0;
	*epoch = e->epoch;
	if (last)
		to_batch(e, &e->recent[e->head], last);
	return 1;
}

int producers_record(struct producers *t, const struct producers_batch *b)
{
	struct producers_entry *e = find(t, b->producer_id);
	if (e == NULL) {
		int rc = add(t, b->producer_id, &e);
		if (rc != 0)
			return rc;
	}
	if (e->n > 0 && e->epoch == b->epoch && find_recent(e, b->first_seq, b->last_seq))
		return 0;
	if (e->n == 0 || e->epoch != b->epoch) {
		e->epoch = b->epoch;
		e->n = 0;
		e->head = PRODUCERS_HISTORY - 1;
	}
	e->head = (uint8_t)((e->head + 1) % PRODUCERS_HISTORY);
	e->recent[e->head] = (struct producers_recent){.first_seq = b->first_seq,
						       .last_seq = b->last_seq,
						       .base_offset = b->base_offset,
						       .last_offset = b->last_offset,
						       .index = b->index};
	if (e->n < PRODUCERS_HISTORY)
		e->n++;
	return 0;
}

int producers_batch_from(const uint8_t *batch, uint64_t index, struct producers_batch *b)
{
	int64_t id = (int64_t)be64_load(batch + RB_OFF_PRODUCER_ID);
	int16_t epoch = (int16_t)be16_load(batch + RB_OFF_PRODUCER_EPOCH);
	int32_t seq = (int32_t)be32_load(batch + RB_OFF_BASE_SEQUENCE);
	if (id < 0 || epoch < 0 || seq < 0)
		return 0;
	int32_t delta = record_batch_last_offset_delta(batch);
	int64_t base = record_batch_base_offset(batch);
	*b = (struct producers_batch){.producer_id = id,
				      .epoch = epoch,
				      .first_seq = seq,
				      .last_seq = producers_last_seq(seq, delta),
				      .base_offset = base,
				      .last_offset = base + delta,
				      .index = index};
	return 1;
}

int producers_record_entry(struct producers *t, const uint8_t *data, size_t len, uint64_t index)
{
	struct record_batch_iter it;
	const uint8_t *bp;
	size_t bl;
	record_batch_iter_init(&it, data, len);
	while (record_batch_iter_next_header(&it, &bp, &bl, NULL) == 1) {
		struct producers_batch b;
		if (!producers_batch_from(bp, index, &b))
			continue;
		int rc = producers_record(t, &b);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- snapshot encoding ------------------------------------------------------ */

#define SNAP_VERSION 1
#define SNAP_HEADER 5	  /* version u8, count u32 */
#define SNAP_ROW_FIXED 12 /* id i64, epoch i16, n u8, head u8 */
#define SNAP_RECENT 32	  /* first i32, last i32, base i64, last i64, index u64 */

int producers_encode(const struct producers *t, struct buf *out)
{
	uint8_t h[SNAP_HEADER];
	h[0] = SNAP_VERSION;
	be32_store(h + 1, (uint32_t)t->n);
	buf_put(out, h, sizeof(h));
	for (size_t i = 0; i < t->cap; i++) {
		const struct producers_entry *e = &t->slots[i];
		if (e->id < 0)
			continue;
		uint8_t row[SNAP_ROW_FIXED + PRODUCERS_HISTORY * SNAP_RECENT];
		be64_store(row, (uint64_t)e->id);
		be16_store(row + 8, (uint16_t)e->epoch);
		row[10] = e->n;
		row[11] = e->head;
		uint8_t *p = row + SNAP_ROW_FIXED;
		for (int k = 0; k < e->n; k++, p += SNAP_RECENT) {
			const struct producers_recent *r = &e->recent[k];
			be32_store(p, (uint32_t)r->first_seq);
			be32_store(p + 4, (uint32_t)r->last_seq);
			be64_store(p + 8, (uint64_t)r->base_offset);
			be64_store(p + 16, (uint64_t)r->last_offset);
			be64_store(p + 24, r->index);
		}
		buf_put(out, row, (size_t)(p - row));
	}
	return out->oom ? ERR_NOMEM : 0;
}

int producers_decode(struct producers *t, const uint8_t *data, size_t len)
{
	producers_clear(t);
	if (len < SNAP_HEADER || data[0] != SNAP_VERSION)
		return ERR_CORRUPT;
	uint32_t count = be32_load(data + 1);
	size_t pos = SNAP_HEADER;
	for (uint32_t i = 0; i < count; i++) {
		if (len - pos < SNAP_ROW_FIXED)
			goto corrupt;
		const uint8_t *row = data + pos;
		uint8_t n = row[10], head = row[11];
		int64_t id = (int64_t)be64_load(row);
		if (id < 0 || n == 0 || n > PRODUCERS_HISTORY || head >= n ||
		    len - pos - SNAP_ROW_FIXED < (size_t)n * SNAP_RECENT || find(t, id) != NULL)
			goto corrupt;
		struct producers_entry *e;
		int rc = add(t, id, &e);
		if (rc != 0) {
			producers_clear(t);
			return rc;
		}
		e->epoch = (int16_t)be16_load(row + 8);
		e->n = n;
		e->head = head;
		const uint8_t *p = row + SNAP_ROW_FIXED;
		for (int k = 0; k < n; k++, p += SNAP_RECENT)
			e->recent[k] = (struct producers_recent){
			    .first_seq = (int32_t)be32_load(p),
			    .last_seq = (int32_t)be32_load(p + 4),
			    .base_offset = (int64_t)be64_load(p + 8),
			    .last_offset = (int64_t)be64_load(p + 16),
			    .index = be64_load(p + 24),
			};
		pos += SNAP_ROW_FIXED + (size_t)n * SNAP_RECENT;
	}
	if (pos != len)
		goto corrupt;
	return 0;
corrupt:
	producers_clear(t);
	return ERR_CORRUPT;
}
