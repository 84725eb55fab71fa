/* admin_batch.h - one admin request's catalog commands, answered together.
 *
 * CreateTopics, DeleteTopics, CreatePartitions and the config changes carry
 * one item per topic; each valid item is a catalog command proposed through
 * proposals.c, the others have their error already. When every command has
 * its result, the batch waits (at most ADMIN_BATCH_SETTLE_MS) until this
 * node follows the catalog version of the last applied one, so a client's
 * next Metadata here shows the change, then calls done(). Items and the
 * batch live in the request's arena (a kreq outlives its connection, so a
 * late result is always safe to store). */
#ifndef FJORD_SUP_ADMIN_BATCH_H
#define FJORD_SUP_ADMIN_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "common/kafka/kafka_types.h"

struct sup;
struct arena;

#define ADMIN_BATCH_SETTLE_MS 3000
#define ADMIN_TIMEOUT_MIN_MS 5000
#define ADMIN_TIMEOUT_MAX_MS 60000

struct admin_batch;

struct admin_item {
	struct admin_batch *b;
	int16_t error;
	char msg[CATALOG_MSG_MAX]; /* "" = none */
	int64_t value;
};

struct admin_batch {
	struct sup *s;
	int pending;
	bool sealed;
	uint64_t max_index;
	int timeout_ms;
	void (*done)(struct admin_batch *b);
	void *ctx;
};

/* timeout_ms: the client's, clamped to [ADMIN_TIMEOUT_MIN_MS, MAX]. */
void admin_batch_init(struct admin_batch *b, struct sup *s, int32_t timeout_ms,
		      void (*done)(struct admin_batch *b), void *ctx);

/* Sets it's error and message (printf-style). */
void admin_item_fail(struct admin_item *it, int16_t error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Proposes cmd (copied) for it; its result lands in it. */
void admin_batch_propose(struct admin_batch *b, struct admin_item *it, const struct buf *cmd);

/* Every item is in: done() runs once all results (and the catalog) are
 * here; at once (from the loop) when nothing was proposed. */
void admin_batch_seal(struct admin_batch *b);

/* The item's message as a response field: null when empty. */
struct kafka_str admin_item_msg(const struct admin_item *it);

/* A Kafka string copied into a NUL-terminated buffer (at most out_len - 1
 * bytes; false when it did not fit or is null). */
bool admin_str(struct kafka_str s, char *out, size_t out_len);

#endif
