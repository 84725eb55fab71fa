/* list_offsets.h - the ListOffsets API: split per partition, forward, merge. */
#ifndef FJORD_SUP_LIST_OFFSETS_H
#define FJORD_SUP_LIST_OFFSETS_H

#include "common/buf.h"

struct kreq;

/* Decodes a ListOffsets request, asks each partition's worker, answers when
 * all have. Version 0 (old-style offset lists) gets UNSUPPORTED_VERSION per
 * partition. */
void list_offsets_handle(struct kreq *r, struct reader *body);

#endif
