/* buf_refs.h - byte runs a buf points to instead of holding.
 *
 * A response can carry a large payload that already sits in memory the
 * response will keep alive (a Fetch's record batches, in the frame the
 * worker sent them in): the encoder writes it with buf_put_ref, and the
 * buf records where the run goes (`at`, an offset into its own bytes)
 * rather than copying it. The sender then hands the socket its own bytes
 * and the runs in order, each by reference.
 *
 * Only a buf whose refs were enabled takes runs, and only a run that lies
 * inside memory the caller allowed (buf_refs_allow); anything else is
 * copied as buf_put would, so an encoder can call buf_put_ref for every
 * payload without knowing where it came from. Inside a length that is
 * patched in afterwards (a tagged field, kafka_wire_tag_begin/end) runs are
 * copied too, since that patch moves the bytes after it. */
#ifndef FJORD_BUF_REFS_H
#define FJORD_BUF_REFS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct buf_ref {
	size_t at;	  /* the run goes before own byte `at` (after earlier runs there) */
	const uint8_t *p; /* borrowed */
	size_t n;
};

struct buf_span {
	const uint8_t *p;
	size_t n;
};

struct buf_refs {
	struct buf_ref *v;
	size_t n, cap;
	size_t total; /* bytes in runs: the buf's size is len + total */
	struct buf_span *allowed;
	size_t n_allowed, cap_allowed;
	void **owned; /* freed with the buf */
	size_t n_owned, cap_owned;
	int paused; /* > 0: inside a patched length; copy */
};

/* Lets b take runs. Returns 0 or ERR_NOMEM (b then copies, as before). */
int buf_refs_enable(struct buf *b);
/* Runs inside [p, p + n) may be referenced. Returns 0 or ERR_NOMEM (such
 * runs are then copied). No-op on a buf without refs. */
int buf_refs_allow(struct buf *b, const void *p, size_t n);
/* b frees each of v[0..n) (malloc'ed) with itself: all of them, or none
 * and ERR_NOMEM. ERR_INVALID on a buf without refs. */
int buf_refs_own_all(struct buf *b, void **v, size_t n);
/* Appends n bytes at p: by reference when b takes runs and p lies in
 * allowed memory, by copy otherwise. */
void buf_put_ref(struct buf *b, const void *p, size_t n);
void buf_refs_pause(struct buf *b);
void buf_refs_resume(struct buf *b);
/* b's bytes as the receiver sees them: own bytes plus runs. */
size_t buf_size(const struct buf *b);
/* Copies b's bytes as the receiver sees them into out (buf_init'ed). */
void buf_flatten(const struct buf *b, struct buf *out);
/* Replaces b's runs by copies of their bytes (b->oom if that fails); b
 * then needs nothing kept alive for it. */
void buf_refs_drop(struct buf *b);
/* Frees what buf_free must: the runs' table and the owned memory. */
void buf_refs_free(struct buf_refs *r);

#endif
