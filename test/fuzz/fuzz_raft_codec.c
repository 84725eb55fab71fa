/* fuzz_raft_codec.c - libFuzzer target for the Raft message decoder.
 *
 * Any input must decode to a message or fail with ERR_INVALID, never crash
 * or read out of bounds; a message that decodes must encode again and
 * decode to the same fields (the codec loses nothing it accepts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "worker/raft_codec.h"

static void same(const struct raft_message *a, const struct raft_message *b)
{
	if (a->type != b->type || a->from != b->from || a->to != b->to || a->term != b->term ||
	    a->index != b->index || a->log_term != b->log_term || a->commit != b->commit ||
	    a->reject != b->reject || a->force != b->force || a->hint_index != b->hint_index ||
	    a->hint_term != b->hint_term || a->n_entries != b->n_entries ||
	    a->snapshot_len != b->snapshot_len)
		abort();
	if (a->snapshot_len && memcmp(a->snapshot, b->snapshot, a->snapshot_len))
		abort();
	for (size_t i = 0; i < a->n_entries; i++) {
		const struct raft_entry *x = &a->entries[i], *y = &b->entries[i];
		if (x->index != y->index || x->term != y->term || x->kind != y->kind ||
		    x->data_len != y->data_len ||
		    (x->data_len && memcmp(x->data, y->data, x->data_len)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	struct raft_message m;
	int rc = raft_codec_decode(data, size, &m, &a);
	if (rc != 0 && rc != ERR_INVALID && rc != ERR_NOMEM)
		abort();
	if (rc == 0) {
		struct buf b;
		buf_init(&b);
		if (raft_codec_encode(&m, &b) != 0)
			abort();
		struct raft_message again;
		if (raft_codec_decode(b.data, b.len, &again, &a) != 0)
			abort();
		same(&m, &again);
		buf_free(&b);
	}
	arena_free(&a);
	return 0;
}
