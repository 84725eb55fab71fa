/* proposals.c - carrying catalog commands to the controller's leader and
 * their results back (see proposals.h). */
#include "proposals.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/peer_proto.h"
#include "supervisor/peers.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

struct prop {
	struct proposals *ps;
	uint64_t id;
	struct buf cmd;
	int64_t deadline;
	proposal_cb cb;
	void *ctx;
	/* Proposed for a peer (PEER_CTL_PROPOSE): answered to it, never
	 * forwarded again. */
	bool for_peer;
	int32_t origin;
	uint64_t origin_req;
	int attempt;	/* serial of the attempt under way, 0 = none */
	int32_t remote; /* node asked by that attempt, -1 = the local worker */
	int32_t hint;	/* the leader a NOT_CONTROLLER answer named, -1 none */
	int n_attempts;
	struct event *ev; /* next attempt, or the current one's end */
	struct prop *prev, *next;
};

struct proposals {
	struct sup *s;
	struct prop *head;
	uint64_t next_id;
	int next_attempt;
	int n;
};

static void try_now(struct prop *p);

static void unlink_prop(struct prop *p)
{
	struct proposals *ps = p->ps;
	if (p->prev)
		p->prev->next = p->next;
	else
		ps->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	ps->n--;
}

static void free_prop(struct prop *p)
{
	if (p->ev)
		event_free(p->ev);
	buf_free(&p->cmd);
	free(p);
}

static void finish(struct prop *p, const struct catalog_result *res)
{
	struct proposals *ps = p->ps;
	unlink_prop(p);
	if (p->for_peer) {
		struct peer_ctl m = {.type = PEER_CTL_RESULT,
				     .node = ps->s->cfg->node.id,
				     .req_id = p->origin_req,
				     .error = res->error,
				     .value = res->value,
				     .index = res->index,
				     .data = (const uint8_t *)res->msg,
				     .len = (uint32_t)strlen(res->msg)};
		struct buf b;
		buf_init(&b);
		if (peer_ctl_encode(&m, &b) != 0 || peers_send_to(ps->s->peers, p->origin, &b) != 0)
			log_debug("controller: cannot answer node %d's proposal", (int)p->origin);
		buf_free(&b);
	} else if (p->cb) {
		p->cb(p->ctx, res);
	}
	free_prop(p);
}

static void finish_err(struct prop *p, int16_t err, const char *msg)
{
	struct catalog_result r = {.error = err};
	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	finish(p, &r);
}

static void arm(struct prop *p, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
	evtimer_add(p->ev, &tv);
}

/* The current attempt failed or was refused: try again soon. */
static void retry_later(struct prop *p)
{
	p->attempt = 0;
	if (spawn_now_ms() + PROPOSALS_RETRY_MS >= p->deadline) {
		log_warn("controller: a catalog command found no controller leader in time "
			 "(%d attempts)",
			 p->n_attempts);
		finish_err(p, KERR_REQUEST_TIMED_OUT, "no controller leader answered in time");
		return;
	}
	arm(p, PROPOSALS_RETRY_MS);
}

static struct prop *find_attempt(struct proposals *ps, int attempt)
{
	for (struct prop *p = ps->head; p; p = p->next)
		if (attempt != 0 && p->attempt == attempt)
			return p;
	return NULL;
}

static void on_local_result(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr)
{
	struct prop *p = find_attempt(ctx, idx);
	if (p == NULL || p->remote != -1)
		return; /* cancelled, or an attempt given up on */
	if (res == NULL) {
		retry_later(p);
		return;
	}
	const struct ipc_ctl_result *r = &res->u.ctl_result;
	if (r->error == KERR_NOT_CONTROLLER && !p->for_peer) {
		p->hint = r->value >= 0 && r->value <= INT32_MAX ? (int32_t)r->value : -1;
		retry_later(p);
		return;
	}
	struct catalog_result out = {.error = r->error, .value = r->value, .index = r->index};
	size_t n = r->msg_len < sizeof(out.msg) - 1 ? r->msg_len : sizeof(out.msg) - 1;
	memcpy(out.msg, r->msg, n);
	finish(p, &out);
}

static bool try_local(struct prop *p)
{
	struct sup *s = p->ps->s;
	struct worker *w = workers_find(s->workers, CATALOG_TOPIC, strlen(CATALOG_TOPIC), 0);
	if (w == NULL || w->state != WORKER_SERVING)
		return false;
	int attempt = ++p->ps->next_attempt;
	if (attempt <= 0)
		attempt = p->ps->next_attempt = 1;
	struct ipc_msg m = {.type = IPC_CTL_PROPOSE};
	m.u.ctl_propose.cmd = p->cmd.data;
	m.u.ctl_propose.cmd_len = (uint32_t)p->cmd.len;
	p->attempt = attempt;
	p->remote = -1;
	int64_t end = spawn_now_ms() + PROPOSALS_ATTEMPT_MS;
	if (link_send(w, &m, end < p->deadline ? end : p->deadline, on_local_result, p->ps, attempt,
		      NULL) != 0) {
		p->attempt = 0;
		return false;
	}
	return true;
}

static bool try_remote(struct prop *p, int32_t node)
{
	struct proposals *ps = p->ps;
	int attempt = ++ps->next_attempt;
	if (attempt <= 0)
		attempt = ps->next_attempt = 1;
	struct peer_ctl m = {.type = PEER_CTL_PROPOSE,
			     .node = ps->s->cfg->node.id,
			     .req_id = (uint64_t)attempt,
			     .data = p->cmd.data,
			     .len = (uint32_t)p->cmd.len};
	struct buf b;
	buf_init(&b);
	int rc = peer_ctl_encode(&m, &b);
	if (rc == 0)
		rc = peers_send_to(ps->s->peers, node, &b);
	buf_free(&b);
	if (rc != 0)
		return false;
	p->attempt = attempt;
	p->remote = node;
	arm(p, PROPOSALS_ATTEMPT_MS);
	return true;
}

static void try_now(struct prop *p)
{
	struct sup *s = p->ps->s;
	int32_t self = s->cfg->node.id;
	p->n_attempts++;
	if (spawn_now_ms() >= p->deadline) {
		finish_err(p, KERR_REQUEST_TIMED_OUT, "no controller leader answered in time");
		return;
	}
	if (p->for_peer) {
		if (!try_local(p))
			finish_err(p, KERR_NOT_CONTROLLER, "no controller replica serving here");
		return;
	}
	struct router_leader l;
	router_leader(s, CATALOG_TOPIC, strlen(CATALOG_TOPIC), 0, &l);
	if (l.leader_id == self && try_local(p))
		return;
	if (l.leader_id >= 0 && l.leader_id != self && try_remote(p, l.leader_id))
		return;
	if (p->hint >= 0 && p->hint != self && try_remote(p, p->hint))
		return;
	if (try_local(p))
		return;
	retry_later(p);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct prop *p = arg;
	if (p->attempt != 0 && p->remote >= 0)
		log_debug("controller: node %d did not answer a proposal in time", (int)p->remote);
	p->attempt = 0;
	try_now(p);
}

static struct prop *add(struct proposals *ps, const uint8_t *cmd, size_t len, int timeout_ms)
{
	struct prop *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->ps = ps;
	buf_init(&p->cmd);
	buf_put(&p->cmd, cmd, len);
	p->ev = evtimer_new(ps->s->base, on_timer, p);
	if (p->cmd.oom || p->ev == NULL) {
		free_prop(p);
		return NULL;
	}
	p->id = ++ps->next_id;
	p->deadline = spawn_now_ms() + timeout_ms;
	p->hint = -1;
	p->remote = -1;
	p->next = ps->head;
	if (ps->head)
		ps->head->prev = p;
	ps->head = p;
	ps->n++;
	arm(p, 0); /* the first attempt runs from the loop, never inside submit */
	return p;
}

uint64_t proposals_submit(struct sup *s, const uint8_t *cmd, size_t len, int timeout_ms,
			  proposal_cb cb, void *ctx)
{
	if (s->proposals == NULL)
		return 0;
	struct prop *p = add(s->proposals, cmd, len, timeout_ms);
	if (p == NULL)
		return 0;
	p->cb = cb;
	p->ctx = ctx;
	return p->id;
}

void proposals_cancel(struct sup *s, uint64_t id)
{
	if (s->proposals == NULL)
		return;
	for (struct prop *p = s->proposals->head; p; p = p->next)
		if (p->id == id) {
			unlink_prop(p);
			free_prop(p);
			return;
		}
}

int proposals_pending(const struct sup *s) { return s->proposals ? s->proposals->n : 0; }

void proposals_on_peer(struct sup *s, int32_t node, int type, const uint8_t *data, size_t len)
{
	struct proposals *ps = s->proposals;
	struct peer_ctl m;
	if (ps == NULL || peer_ctl_decode(data, len, &m) != 0 || m.node != node) {
		log_warn("peer %d: undecodable controller message ignored", (int)node);
		return;
	}
	if (m.type == PEER_CTL_PROPOSE) {
		struct prop *p = add(ps, m.data, m.len, PROPOSALS_ATTEMPT_MS - 500);
		if (p == NULL)
			return; /* the origin retries */
		p->for_peer = true;
		p->origin = node;
		p->origin_req = m.req_id;
		return;
	}
	if (m.type != PEER_CTL_RESULT || m.req_id > INT32_MAX)
		return;
	struct prop *p = find_attempt(ps, (int)m.req_id);
	if (p == NULL || p->remote != node)
		return;
	evtimer_del(p->ev);
	if (m.error == KERR_NOT_CONTROLLER) {
		p->hint =
		    m.value >= 0 && m.value <= INT32_MAX && m.value != node ? (int32_t)m.value : -1;
		retry_later(p);
		return;
	}
	struct catalog_result out = {.error = m.error, .value = m.value, .index = m.index};
	size_t n = m.len < sizeof(out.msg) - 1 ? m.len : sizeof(out.msg) - 1;
	memcpy(out.msg, m.data, n);
	finish(p, &out);
}

struct proposals *proposals_new(struct sup *s)
{
	struct proposals *ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return NULL;
	ps->s = s;
	return ps;
}

void proposals_free(struct proposals *ps)
{
	if (ps == NULL)
		return;
	while (ps->head) {
		struct prop *p = ps->head;
		unlink_prop(p);
		free_prop(p);
	}
	free(ps);
}
