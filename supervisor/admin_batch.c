/* admin_batch.c - an admin request's catalog commands (admin_batch.h). */
#include "admin_batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/kafka/kerr.h"
#include "supervisor/follow.h"
#include "supervisor/proposals.h"
#include "supervisor/sup.h"

void admin_batch_init(struct admin_batch *b, struct sup *s, int32_t timeout_ms,
		      void (*done)(struct admin_batch *b), void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->s = s;
	b->done = done;
	b->ctx = ctx;
	b->timeout_ms = timeout_ms < ADMIN_TIMEOUT_MIN_MS   ? ADMIN_TIMEOUT_MIN_MS
			: timeout_ms > ADMIN_TIMEOUT_MAX_MS ? ADMIN_TIMEOUT_MAX_MS
							    : timeout_ms;
}

void admin_item_fail(struct admin_item *it, int16_t error, const char *fmt, ...)
{
	it->error = error;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->msg, sizeof(it->msg), fmt, ap);
	va_end(ap);
}

static void on_settled(void *ctx)
{
	struct admin_batch *b = ctx;
	b->done(b);
}

static void maybe_done(struct admin_batch *b)
{
	if (!b->sealed || b->pending > 0)
		return;
	if (follow_wait(b->s, b->max_index, b->max_index ? ADMIN_BATCH_SETTLE_MS : 0, on_settled,
			b) != 0)
		b->done(b);
}

static void on_result(void *ctx, const struct catalog_result *res)
{
	struct admin_item *it = ctx;
	struct admin_batch *b = it->b;
	it->error = res->error;
	it->value = res->value;
	snprintf(it->msg, sizeof(it->msg), "%s", res->msg);
	if (res->error == KERR_NONE && res->index > b->max_index)
		b->max_index = res->index;
	b->pending--;
	maybe_done(b);
}

void admin_batch_propose(struct admin_batch *b, struct admin_item *it, const struct buf *cmd)
{
	it->b = b;
	if (cmd->oom) {
		admin_item_fail(it, KERR_UNKNOWN_SERVER_ERROR, "out of memory");
		return;
	}
	if (proposals_submit(b->s, cmd->data, cmd->len, b->timeout_ms, on_result, it) == 0) {
		admin_item_fail(it, KERR_UNKNOWN_SERVER_ERROR, "out of memory");
		return;
	}
	b->pending++;
}

void admin_batch_seal(struct admin_batch *b)
{
	b->sealed = true;
	maybe_done(b);
}

struct kafka_str admin_item_msg(const struct admin_item *it)
{
	if (it->msg[0] == '\0')
		return (struct kafka_str){.ptr = NULL, .len = -1};
	return kafka_str_from(it->msg);
}

bool admin_str(struct kafka_str s, char *out, size_t out_len)
{
	out[0] = '\0';
	if (s.len < 0 || (size_t)s.len >= out_len)
		return false;
	memcpy(out, s.ptr, (size_t)s.len);
	out[s.len] = '\0';
	return true;
}
