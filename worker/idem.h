/* idem.h - a partition replica's idempotent producers, kept from its log.
 *
 * Two producer tables (producers.h):
 *   - applied: every committed entry, on every replica. Loaded from the log
 *     at start (idem_load, at most the last IDEM_SCAN_MAX entries), then
 *     fed by partition_apply_entry (the partition borrows it). Committed
 *     entries are never truncated, so it is never stale; installing a
 *     leader's log start clears it.
 *   - leader: what a leader checks produce requests against. Built when a
 *     replica starts proposing in a term (idem_lead): a copy of `applied`
 *     plus every entry after the commit index, the uncommitted tail a new
 *     leader will commit; then every accepted proposal is recorded
 *     (idem_record). It is dropped whenever leadership or the store's
 *     state is in doubt and built again from the log, so a follower's
 *     truncated suffix never leaves stale state behind.
 *
 * The producer state is not replicated on its own: the batches in the log
 * carry producerId, producerEpoch, baseSequence and lastOffsetDelta, so the
 * log is the replicated state. A snapshot of `applied` (idem_snapshot, the
 * partition state machine's snapshot) only shortens the rebuild at start:
 * the table at its index, then the entries after it. */
#ifndef FJORD_WORKER_IDEM_H
#define FJORD_WORKER_IDEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/producers.h"

struct store;

/* Log entries read at start to rebuild the committed producer state. A
 * producer whose last batch is older is unknown, so accepted. */
#define IDEM_SCAN_MAX 100000

struct idem {
	struct producers applied;
	struct producers leader;
	struct producers scratch; /* idem_check: earlier batches of a request */
	uint64_t leader_term;	  /* term `leader` is valid for; 0 = none */
	size_t scan_max;
};

/* What idem_check found for a produce request. */
struct idem_verdict {
	bool duplicate;	     /* answer with base_offset, do not append */
	int64_t base_offset; /* the original batch's */
	uint64_t index;	     /* log index of the entry holding the original */
};

/* Empty tables (max producers each: 0 = PRODUCERS_MAX_DEFAULT); scan_max
 * 0 = IDEM_SCAN_MAX. */
void idem_init(struct idem *x, size_t max_producers, size_t scan_max);
void idem_close(struct idem *x);

/* The store's named snapshot (store_put_snapshot) holding `applied`. */
#define IDEM_SNAPSHOT "producers"

/* Rebuilds `applied` from the committed log up to index upto: from the
 * snapshot (idem_snapshot) when there is one at an index <= upto whose
 * following entries the log still holds, plus those entries; otherwise
 * from the entries max(first, upto - scan_max + 1) .. upto. A malformed
 * snapshot is logged and scanned around. Errors: store errors, ERR_NOMEM
 * (the table then holds what fitted). */
int idem_load(struct idem *x, struct store *s, uint64_t upto);

/* Saves `applied`, which must reflect every entry up to `index` and no
 * later one, as the store's IDEM_SNAPSHOT (in its open batch if any).
 * Errors: ERR_NOMEM, store errors. */
int idem_snapshot(struct idem *x, struct store *s, uint64_t index);

/* Saves an empty table at `index` as the IDEM_SNAPSHOT: after installing a
 * leader's log start, whose producers are unknown. Errors: store errors. */
int idem_snapshot_reset(struct store *s, uint64_t index);

/* Builds `leader` for term: `applied` (which must reflect every entry up to
 * commit) plus the stored entries after commit. Call it when the store
 * holds every entry of the log (after a flush), before the term's first
 * proposal is checked. Errors: store errors, ERR_NOMEM (leader then not
 * valid). */
int idem_lead(struct idem *x, struct store *s, uint64_t commit, uint64_t term);

/* True when `leader` is valid for term. */
bool idem_leading(const struct idem *x, uint64_t term);

/* Marks `leader` not valid (leadership lost, a failed write). */
void idem_drop_leader(struct idem *x);

/* Checks a produce request's records (one or more batches, not yet
 * assigned offsets) against `leader`, batch by batch, each following the
 * request's earlier batches of the same producer. Returns KERR_NONE (then
 * *v says whether it is a duplicate), KERR_INVALID_PRODUCER_EPOCH or
 * KERR_OUT_OF_ORDER_SEQUENCE_NUMBER. Call it only on records that
 * partition_validate accepted (CRC, framing, records): it trusts headers.
 * A request any of whose batches duplicates a recent one is answered as a
 * duplicate of the first such batch, as Kafka does. */
int16_t idem_check(struct idem *x, const uint8_t *records, size_t len, struct idem_verdict *v);

/* Records the accepted request's batches (offsets assigned) at log index
 * `index` in `leader`. Errors: ERR_NOMEM (then `leader` is dropped). */
int idem_record(struct idem *x, const uint8_t *records, size_t len, uint64_t index);

#endif
