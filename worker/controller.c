/* controller.c - catalog proposals and pushes of a `__controller` worker
 * (see controller.h). */
#include "controller.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "worker/raft_driver.h"
#include "worker/uplink.h"

static void answer_at(struct controller *c, uint64_t req_id, int16_t err, int64_t value,
		      uint64_t index, const char *msg)
{
	struct ipc_msg m = {.type = IPC_CTL_RESULT};
	m.u.ctl_result = (struct ipc_ctl_result){.req_id = req_id,
						 .error = err,
						 .value = value,
						 .index = index,
						 .msg = msg,
						 .msg_len = (uint32_t)strlen(msg)};
	int rc = uplink_send(c->up, &m);
	if (rc != 0 && rc != ERR_CLOSED)
		log_error("cannot send a catalog result: %s", err_str(rc));
}

static void answer(struct controller *c, uint64_t req_id, int16_t err, int64_t value,
		   const char *msg)
{
	answer_at(c, req_id, err, value, 0, msg);
}

static void on_applied(void *ctx, uint64_t index, const struct catalog_result *res)
{
	struct controller *c = ctx;
	c->dirty = true;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].index != index)
			continue;
		answer_at(c, c->v[i].req_id, res->error, res->value, index, res->msg);
		c->v[i] = c->v[--c->n];
		return;
	}
}

int controller_open(struct controller *c, struct store *s, struct uplink *up)
{
	memset(c, 0, sizeof(*c));
	c->up = up;
	c->dirty = true;
	return controller_sm_open(&c->csm, s, on_applied, c);
}

void controller_close(struct controller *c)
{
	controller_sm_close(&c->csm);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

struct sm controller_sm_of(struct controller *c) { return controller_sm_sm(&c->csm); }

static int64_t leader_of(const struct controller *c)
{
	uint64_t l = c->drv ? raft_leader(&c->drv->raft) : 0;
	return l ? (int64_t)l : -1;
}

void controller_propose(struct controller *c, const struct ipc_ctl_propose *p)
{
	if (c->drv == NULL) {
		answer(c, p->req_id, KERR_NOT_CONTROLLER, -1, "controller starting");
		return;
	}
	if (raft_role(&c->drv->raft) == RAFT_LEADER && !raft_driver_can_propose(c->drv) &&
	    !c->drv->stuck)
		raft_driver_flush(c->drv);
	if (!raft_driver_can_propose(c->drv)) {
		answer(c, p->req_id, KERR_NOT_CONTROLLER, leader_of(c), "not the controller");
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct ctl_pending *v = realloc(c->v, cap * sizeof(*v));
		if (v == NULL) {
			answer(c, p->req_id, KERR_UNKNOWN_SERVER_ERROR, -1, "out of memory");
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	uint64_t index;
	int rc = raft_driver_propose(c->drv, p->cmd, p->cmd_len, &index);
	if (rc != 0) {
		answer(c, p->req_id,
		       rc == ERR_NOTLEADER ? KERR_NOT_CONTROLLER : KERR_REQUEST_TIMED_OUT,
		       leader_of(c), err_str(rc));
		return;
	}
	c->v[c->n++] = (struct ctl_pending){.req_id = p->req_id, .index = index};
}

void controller_push(struct controller *c, bool always)
{
	if (!c->dirty && !always)
		return;
	struct buf b;
	buf_init(&b);
	int rc = catalog_encode(&c->csm.cat, &b);
	if (rc == 0) {
		struct ipc_msg m = {.type = IPC_CATALOG};
		m.u.catalog = (struct ipc_catalog){.data = b.data, .len = (uint32_t)b.len};
		rc = uplink_send(c->up, &m);
	}
	if (rc != 0 && rc != ERR_CLOSED)
		log_error("cannot push the catalog: %s", err_str(rc));
	else
		c->dirty = false;
	buf_free(&b);
}

void controller_on_changed(struct controller *c, bool leader)
{
	if (leader)
		return;
	for (size_t i = 0; i < c->n; i++)
		answer(c, c->v[i].req_id, KERR_NOT_CONTROLLER, leader_of(c), "leadership lost");
	c->n = 0;
}
