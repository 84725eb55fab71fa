/* fetch.h - the Fetch API: long polling across the partitions' workers. */
#ifndef FJORD_SUP_FETCH_H
#define FJORD_SUP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct kreq;

/* Decodes a Fetch request and sends IPC_FETCH to each partition's worker
 * (they park it up to max_wait_ms). As soon as the records gathered reach
 * min_bytes, or a partition reports an error, the still-parked parts are
 * cancelled so they answer at once; the response goes out when all have. */
void fetch_handle(struct kreq *r, struct reader *body);

/* How many leading bytes of records (whole record batches) fit in budget:
 * batches are taken in order while the total stays <= budget. A trailing
 * partial batch counts as not fitting. Exposed for tests. */
size_t fetch_fit_batches(const uint8_t *records, size_t len, size_t budget);

#endif
