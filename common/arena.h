/* arena.h - a bump allocator for the lifetime of one request.
 *
 * Decoded Kafka messages put their arrays here; one arena_reset frees them
 * all. Memory is zeroed, except from arena_alloc_bytes: a buffer that is
 * about to be overwritten whole (a record batch copied in) is not worth a
 * memset of its own size. */
#ifndef FJORD_ARENA_H
#define FJORD_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t total; /* bytes handed out since the last reset */
};

void arena_init(struct arena *a);
/* Returns zeroed memory aligned to 16 bytes, or NULL when out of memory.
 * The arena owns it until arena_reset/arena_free. */
void *arena_alloc(struct arena *a, size_t size);
/* Like arena_alloc but the memory is not zeroed: for bytes the caller
 * overwrites at once. */
void *arena_alloc_bytes(struct arena *a, size_t size);
/* Like arena_alloc for n elements of size bytes; NULL also on overflow. */
void *arena_calloc(struct arena *a, size_t n, size_t size);
void arena_reset(struct arena *a); /* keeps the first block for reuse */
void arena_free(struct arena *a);

#endif
