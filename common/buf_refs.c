/* buf_refs.c - byte runs a buf points to instead of holding (buf_refs.h). */
#include "buf_refs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

int buf_refs_enable(struct buf *b)
{
	if (b->refs != NULL)
		return 0;
	b->refs = calloc(1, sizeof(*b->refs));
	return b->refs ? 0 : ERR_NOMEM;
}

/* Makes room for `need` elements of size sz in *v (*cap held). */
static int reserve(void **v, size_t need, size_t *cap, size_t sz)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	void *nv = realloc(*v, c * sz);
	if (nv == NULL)
		return ERR_NOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

int buf_refs_allow(struct buf *b, const void *p, size_t n)
{
	struct buf_refs *r = b->refs;
	if (r == NULL)
		return 0;
	if (reserve((void **)&r->allowed, r->n_allowed + 1, &r->cap_allowed, sizeof(*r->allowed)) !=
	    0)
		return ERR_NOMEM;
	r->allowed[r->n_allowed++] = (struct buf_span){.p = p, .n = n};
	return 0;
}

int buf_refs_own_all(struct buf *b, void **v, size_t n)
{
	struct buf_refs *r = b->refs;
	if (r == NULL)
		return ERR_INVALID;
	if (reserve((void **)&r->owned, r->n_owned + n, &r->cap_owned, sizeof(*r->owned)) != 0)
		return ERR_NOMEM;
	memcpy(r->owned + r->n_owned, v, n * sizeof(*v));
	r->n_owned += n;
	return 0;
}

/* Compared as integers: p may point into another object than a span. */
static bool is_allowed(const struct buf_refs *r, const uint8_t *p, size_t n)
{
	uintptr_t x = (uintptr_t)p;
	for (size_t i = 0; i < r->n_allowed; i++) {
		uintptr_t a = (uintptr_t)r->allowed[i].p;
		size_t an = r->allowed[i].n;
		if (x >= a && n <= an && x - a <= an - n)
			return true;
	}
	return false;
}

void buf_put_ref(struct buf *b, const void *p, size_t n)
{
	struct buf_refs *r = b->refs;
	if (n == 0)
		return;
	if (r == NULL || r->paused > 0 || b->oom || !is_allowed(r, p, n) ||
	    reserve((void **)&r->v, r->n + 1, &r->cap, sizeof(*r->v)) != 0) {
		buf_put(b, p, n);
		return;
	}
	r->v[r->n++] = (struct buf_ref){.at = b->len, .p = p, .n = n};
	r->total += n;
}

void buf_refs_pause(struct buf *b)
{
	if (b->refs != NULL)
		b->refs->paused++;
}

void buf_refs_resume(struct buf *b)
{
	if (b->refs != NULL && b->refs->paused > 0)
		b->refs->paused--;
}

size_t buf_size(const struct buf *b) { return b->len + (b->refs ? b->refs->total : 0); }

void buf_flatten(const struct buf *b, struct buf *out)
{
	size_t from = 0, n = b->refs ? b->refs->n : 0;
	for (size_t i = 0; i < n; i++) {
		const struct buf_ref *x = &b->refs->v[i];
		buf_put(out, b->data + from, x->at - from);
		buf_put(out, x->p, x->n);
		from = x->at;
	}
	buf_put(out, b->data + from, b->len - from);
}

void buf_refs_drop(struct buf *b)
{
	if (b->refs == NULL || b->refs->n == 0)
		return;
	struct buf flat;
	buf_init(&flat);
	buf_flatten(b, &flat);
	struct buf_refs *r = b->refs;
	b->refs = NULL;
	buf_free(b);
	*b = flat;
	b->refs = r; /* what it owns, and its allowed memory, stay */
	r->n = 0;
	r->total = 0;
}

void buf_refs_free(struct buf_refs *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_owned; i++)
		free(r->owned[i]);
	free(r->owned);
	free(r->allowed);
	free(r->v);
	free(r);
}
