/* pid_blocks.c - producer ids from controller blocks (pid_blocks.h). */
#include "pid_blocks.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/proposals.h"
#include "supervisor/sup.h"

struct waiter {
	pid_blocks_cb cb;
	void *ctx;
	struct waiter *next;
};

struct pid_blocks {
	int64_t next, end; /* the block held: [next, end) */
	bool asking;
	struct waiter *head, *tail;
};

static void ask(struct sup *s);

static void drain(struct sup *s)
{
	struct pid_blocks *pb = s->pid_blocks;
	while (pb->head && pb->next < pb->end) {
		struct waiter *w = pb->head;
		pb->head = w->next;
		if (pb->head == NULL)
			pb->tail = NULL;
		int64_t id = pb->next++;
		w->cb(w->ctx, id);
		free(w);
	}
	if (pb->head)
		ask(s);
}

static void on_block(void *ctx, const struct catalog_result *res)
{
	struct sup *s = ctx;
	struct pid_blocks *pb = s->pid_blocks;
	if (pb == NULL)
		return;
	pb->asking = false;
	if (res->error == KERR_NONE && res->value >= 0) {
		pb->next = res->value;
		pb->end = res->value + PID_BLOCK_SIZE;
		log_info("producer ids: block %lld..%lld from the controller", (long long)pb->next,
			 (long long)(pb->end - 1));
		drain(s);
		return;
	}
	log_warn("producer ids: no block from the controller: %s (%s)", kerr_name(res->error),
		 res->msg);
	while (pb->head) {
		struct waiter *w = pb->head;
		pb->head = w->next;
		w->cb(w->ctx, -1);
		free(w);
	}
	pb->tail = NULL;
}

static void ask(struct sup *s)
{
	struct pid_blocks *pb = s->pid_blocks;
	if (pb->asking)
		return;
	struct buf cmd;
	buf_init(&cmd);
	catalog_cmd_alloc_producer_ids(s->cfg->node.id, PID_BLOCK_SIZE, &cmd);
	pb->asking = !cmd.oom &&
		     proposals_submit(s, cmd.data, cmd.len, PID_BLOCK_TIMEOUT_MS, on_block, s) != 0;
	buf_free(&cmd);
	if (!pb->asking) {
		struct catalog_result r = {.error = KERR_UNKNOWN_SERVER_ERROR};
		on_block(s, &r);
	}
}

void pid_blocks_next(struct sup *s, pid_blocks_cb cb, void *ctx)
{
	if (s->pid_blocks == NULL)
		s->pid_blocks = calloc(1, sizeof(*s->pid_blocks));
	struct pid_blocks *pb = s->pid_blocks;
	struct waiter *w = pb ? calloc(1, sizeof(*w)) : NULL;
	if (w == NULL) {
		cb(ctx, -1);
		return;
	}
	w->cb = cb;
	w->ctx = ctx;
	if (pb->tail)
		pb->tail->next = w;
	else
		pb->head = w;
	pb->tail = w;
	drain(s);
}

void pid_blocks_free(struct sup *s)
{
	struct pid_blocks *pb = s->pid_blocks;
	if (pb == NULL)
		return;
	while (pb->head) {
		struct waiter *w = pb->head;
		pb->head = w->next;
		free(w);
	}
	free(pb);
	s->pid_blocks = NULL;
}
