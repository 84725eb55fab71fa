/* group_split.c - group APIs that name several groups (DescribeGroups,
 * DeleteGroups, OffsetFetch v8+) or none (ListGroups): one IPC_GROUP per
 * local coordinator with the groups it owns, the answers merged in the
 * request's order (see group_forward.h). */
#include "group_split.h"

#include <string.h>

#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/coordinator_key.h"
#include "supervisor/group_forward.h"
#include "supervisor/internal_topics.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/router.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

struct split;

/* What differs per API. items are indexes into the request's groups. */
struct split_api {
	/* Encodes the request for the groups items[0..n) into out. */
	int (*encode_sub)(struct split *sp, const int *items, int n, struct buf *out);
	/* Places the decoded sub-response's results (in items' order). */
	int (*take)(struct split *sp, const int *items, int n, struct reader *body);
	/* The item's result is err (no local coordinator, or it failed). */
	void (*fail)(struct split *sp, int item, int16_t err);
	int (*encode)(struct split *sp, struct buf *b);
};

struct split {
	struct kreq *r;
	const struct split_api *api;
	int n_items;
	int n_waiting;
	union {
		struct {
			struct kafka_describe_groups_request q;
			struct kafka_describe_groups_response resp;
		} dg;
		struct {
			struct kafka_delete_groups_request q;
			struct kafka_delete_groups_response resp;
		} del;
		struct {
			struct kafka_offset_fetch_request q;
			struct kafka_offset_fetch_response resp;
		} of;
		struct {
			struct kafka_list_groups_response resp;
			int cap;
		} lg;
	} u;
};

struct sub {
	struct split *sp;
	int *items;
	int n;
};

static void finish(struct split *sp)
{
	struct kreq *r = sp->r;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (sp->api->encode(sp, &b) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode a group response");
		return;
	}
	kreq_respond(r, &b);
}

static void on_sub(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr)
{
	struct sub *s = ctx;
	struct split *sp = s->sp;
	int rc = ERR_INVALID;
	if (res != NULL && res->u.group_result.body_len > 0) {
		/* The body lives in the worker's frame: copy it, the merged
		 * response borrows strings from it. */
		const struct ipc_group_result *x = &res->u.group_result;
		uint8_t *copy = arena_alloc(&sp->r->arena, x->body_len);
		if (copy) {
			memcpy(copy, x->body, x->body_len);
			struct reader rd;
			reader_init(&rd, copy, x->body_len);
			rc = sp->api->take(sp, s->items, s->n, &rd);
		}
	}
	if (rc != 0) {
		int16_t e = res == NULL && kerr == KERR_REQUEST_TIMED_OUT ? KERR_REQUEST_TIMED_OUT
									  : KERR_NOT_COORDINATOR;
		for (int i = 0; i < s->n; i++)
			sp->api->fail(sp, s->items[i], e);
		if (s->n == 0)
			sp->api->fail(sp, -1, e);
	}
	if (--sp->n_waiting == 0)
		finish(sp);
}

/* Routes every item (ids[i] its group) and sends one sub-request per
 * coordinator worker; answers when all are back. */
static void run(struct split *sp, const struct kafka_str *ids)
{
	struct kreq *r = sp->r;
	int n = sp->n_items;
	struct worker **ws = arena_calloc(&r->arena, (size_t)n + 1, sizeof(*ws));
	bool *done = arena_calloc(&r->arena, (size_t)n + 1, sizeof(*done));
	if (ws == NULL || done == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	sp->n_waiting = 1;
	for (int i = 0; i < n; i++) {
		int16_t e = r->served ? coordinator_route(r->sup, ids[i], &ws[i])
				      : KERR_UNSUPPORTED_VERSION;
		if (e != KERR_NONE) {
			sp->api->fail(sp, i, e);
			done[i] = true;
		}
	}
	for (int i = 0; i < n; i++) {
		if (done[i])
			continue;
		struct sub *s = arena_calloc(&r->arena, 1, sizeof(*s));
		int *items = arena_calloc(&r->arena, (size_t)n, sizeof(int));
		if (s == NULL || items == NULL) {
			sp->api->fail(sp, i, KERR_UNKNOWN_SERVER_ERROR);
			done[i] = true;
			continue;
		}
		*s = (struct sub){sp, items, 0};
		for (int j = i; j < n; j++)
			if (!done[j] && ws[j] == ws[i]) {
				items[s->n++] = j;
				done[j] = true;
			}
		struct buf body;
		buf_init(&body);
		int rc = sp->api->encode_sub(sp, s->items, s->n, &body);
		if (rc == 0)
			rc = group_forward(r, ws[i], body.data, body.len, on_sub, s, 0);
		buf_free(&body);
		if (rc != 0) {
			for (int k = 0; k < s->n; k++)
				sp->api->fail(sp, s->items[k], KERR_NOT_COORDINATOR);
			continue;
		}
		sp->n_waiting++;
	}
	if (--sp->n_waiting == 0)
		finish(sp);
}

static struct split *split_new(struct kreq *r, const struct split_api *api)
{
	struct split *sp = arena_calloc(&r->arena, 1, sizeof(*sp));
	if (sp == NULL) {
		kreq_fail(r, "out of memory");
		return NULL;
	}
	sp->r = r;
	sp->api = api;
	return sp;
}

/* --- DescribeGroups ----------------------------------------------------- */

typedef struct kafka_describe_groups_response_described_group dg_group;

static int dg_encode_sub(struct split *sp, const int *items, int n, struct buf *out)
{
	struct kafka_describe_groups_request q = sp->u.dg.q;
	struct kafka_str *ids = arena_calloc(&sp->r->arena, (size_t)n, sizeof(*ids));
	if (ids == NULL)
		return ERR_NOMEM;
	for (int i = 0; i < n; i++)
		ids[i] = sp->u.dg.q.groups[items[i]];
	q.groups = ids;
	q.n_groups = n;
	return kafka_describe_groups_request_encode(out, sp->r->api_version, &q);
}

static int dg_take(struct split *sp, const int *items, int n, struct reader *body)
{
	struct kafka_describe_groups_response x;
	if (kafka_describe_groups_response_decode(body, sp->r->api_version, &x, &sp->r->arena) !=
		0 ||
	    x.n_groups != n)
		return ERR_INVALID;
	for (int i = 0; i < n; i++)
		sp->u.dg.resp.groups[items[i]] = x.groups[i];
	return 0;
}

static void dg_fail(struct split *sp, int item, int16_t err)
{
	dg_group *g = &sp->u.dg.resp.groups[item];
	kafka_describe_groups_response_described_group_init(g);
	g->error_code = err;
	g->group_id = sp->u.dg.q.groups[item];
	g->group_state = kafka_str_from("");
	g->protocol_type = kafka_str_from("");
	g->protocol_data = kafka_str_from("");
}

static int dg_encode(struct split *sp, struct buf *b)
{
	return kafka_describe_groups_response_encode(b, sp->r->api_version, &sp->u.dg.resp);
}

static const struct split_api dg_api = {dg_encode_sub, dg_take, dg_fail, dg_encode};

void group_describe_handle(struct kreq *r, struct reader *body)
{
	struct split *sp = split_new(r, &dg_api);
	if (sp == NULL)
		return;
	if (kafka_describe_groups_request_decode(body, r->api_version, &sp->u.dg.q, &r->arena) !=
	    0) {
		kreq_fail(r, "garbled DescribeGroups request");
		return;
	}
	kafka_describe_groups_response_init(&sp->u.dg.resp);
	sp->n_items = sp->u.dg.q.n_groups > 0 ? sp->u.dg.q.n_groups : 0;
	sp->u.dg.resp.groups = arena_calloc(&r->arena, (size_t)sp->n_items + 1, sizeof(dg_group));
	if (sp->u.dg.resp.groups == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	sp->u.dg.resp.n_groups = sp->n_items;
	run(sp, sp->u.dg.q.groups);
}

/* --- DeleteGroups ------------------------------------------------------- */

typedef struct kafka_delete_groups_response_deletable_group_result del_result;

static int del_encode_sub(struct split *sp, const int *items, int n, struct buf *out)
{
	struct kafka_delete_groups_request q = sp->u.del.q;
	struct kafka_str *ids = arena_calloc(&sp->r->arena, (size_t)n, sizeof(*ids));
	if (ids == NULL)
		return ERR_NOMEM;
	for (int i = 0; i < n; i++)
		ids[i] = sp->u.del.q.groups_names[items[i]];
	q.groups_names = ids;
	q.n_groups_names = n;
	return kafka_delete_groups_request_encode(out, sp->r->api_version, &q);
}

static int del_take(struct split *sp, const int *items, int n, struct reader *body)
{
	struct kafka_delete_groups_response x;
	if (kafka_delete_groups_response_decode(body, sp->r->api_version, &x, &sp->r->arena) != 0 ||
	    x.n_results != n)
		return ERR_INVALID;
	for (int i = 0; i < n; i++)
		sp->u.del.resp.results[items[i]] = x.results[i];
	return 0;
}

static void del_fail(struct split *sp, int item, int16_t err)
{
	del_result *x = &sp->u.del.resp.results[item];
	kafka_delete_groups_response_deletable_group_result_init(x);
	x->group_id = sp->u.del.q.groups_names[item];
	x->error_code = err;
}

static int del_encode(struct split *sp, struct buf *b)
{
	return kafka_delete_groups_response_encode(b, sp->r->api_version, &sp->u.del.resp);
}

static const struct split_api del_api = {del_encode_sub, del_take, del_fail, del_encode};

void group_delete_handle(struct kreq *r, struct reader *body)
{
	struct split *sp = split_new(r, &del_api);
	if (sp == NULL)
		return;
	if (kafka_delete_groups_request_decode(body, r->api_version, &sp->u.del.q, &r->arena) !=
	    0) {
		kreq_fail(r, "garbled DeleteGroups request");
		return;
	}
	kafka_delete_groups_response_init(&sp->u.del.resp);
	sp->n_items = sp->u.del.q.n_groups_names > 0 ? sp->u.del.q.n_groups_names : 0;
	sp->u.del.resp.results =
	    arena_calloc(&r->arena, (size_t)sp->n_items + 1, sizeof(del_result));
	if (sp->u.del.resp.results == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	sp->u.del.resp.n_results = sp->n_items;
	run(sp, sp->u.del.q.groups_names);
}

/* --- OffsetFetch v8+ ---------------------------------------------------- */

typedef struct kafka_offset_fetch_request_offset_fetch_request_group of_req_group;
typedef struct kafka_offset_fetch_response_offset_fetch_response_group of_group;

static int of_encode_sub(struct split *sp, const int *items, int n, struct buf *out)
{
	struct kafka_offset_fetch_request q = sp->u.of.q;
	of_req_group *gs = arena_calloc(&sp->r->arena, (size_t)n, sizeof(*gs));
	if (gs == NULL)
		return ERR_NOMEM;
	for (int i = 0; i < n; i++)
		gs[i] = sp->u.of.q.groups[items[i]];
	q.groups = gs;
	q.n_groups = n;
	return kafka_offset_fetch_request_encode(out, sp->r->api_version, &q);
}

static int of_take(struct split *sp, const int *items, int n, struct reader *body)
{
	struct kafka_offset_fetch_response x;
	if (kafka_offset_fetch_response_decode(body, sp->r->api_version, &x, &sp->r->arena) != 0 ||
	    x.n_groups != n)
		return ERR_INVALID;
	for (int i = 0; i < n; i++)
		sp->u.of.resp.groups[items[i]] = x.groups[i];
	return 0;
}

static void of_fail(struct split *sp, int item, int16_t err)
{
	of_group *x = &sp->u.of.resp.groups[item];
	kafka_offset_fetch_response_offset_fetch_response_group_init(x);
	x->group_id = sp->u.of.q.groups[item].group_id;
	x->error_code = err;
}

static int of_encode(struct split *sp, struct buf *b)
{
	return kafka_offset_fetch_response_encode(b, sp->r->api_version, &sp->u.of.resp);
}

static const struct split_api of_api = {of_encode_sub, of_take, of_fail, of_encode};

void group_offset_fetch_handle(struct kreq *r, struct reader *body)
{
	if (r->api_version < 8) {
		group_forward_handle(r, body);
		return;
	}
	struct split *sp = split_new(r, &of_api);
	if (sp == NULL)
		return;
	if (kafka_offset_fetch_request_decode(body, r->api_version, &sp->u.of.q, &r->arena) != 0) {
		kreq_fail(r, "garbled OffsetFetch request");
		return;
	}
	kafka_offset_fetch_response_init(&sp->u.of.resp);
	sp->n_items = sp->u.of.q.n_groups > 0 ? sp->u.of.q.n_groups : 0;
	sp->u.of.resp.groups = arena_calloc(&r->arena, (size_t)sp->n_items + 1, sizeof(of_group));
	struct kafka_str *ids = arena_calloc(&r->arena, (size_t)sp->n_items + 1, sizeof(*ids));
	if (sp->u.of.resp.groups == NULL || ids == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	sp->u.of.resp.n_groups = sp->n_items;
	for (int i = 0; i < sp->n_items; i++)
		ids[i] = sp->u.of.q.groups[i].group_id;
	run(sp, ids);
}

/* --- ListGroups: every local coordinator -------------------------------- */

typedef struct kafka_list_groups_response_listed_group lg_group;

static int lg_take(struct split *sp, const int *items, int n, struct reader *body)
{
	struct kafka_list_groups_response x;
	if (kafka_list_groups_response_decode(body, sp->r->api_version, &x, &sp->r->arena) != 0)
		return ERR_INVALID;
	struct kafka_list_groups_response *m = &sp->u.lg.resp;
	if (x.error_code != KERR_NONE && m->error_code == KERR_NONE)
		m->error_code = x.error_code;
	if (x.n_groups <= 0)
		return 0;
	if (m->n_groups + x.n_groups > sp->u.lg.cap) {
		int cap = 2 * (m->n_groups + x.n_groups);
		lg_group *v = arena_calloc(&sp->r->arena, (size_t)cap, sizeof(*v));
		if (v == NULL)
			return ERR_NOMEM;
		if (m->n_groups > 0)
			memcpy(v, m->groups, (size_t)m->n_groups * sizeof(*v));
		m->groups = v;
		sp->u.lg.cap = cap;
	}
	memcpy(m->groups + m->n_groups, x.groups, (size_t)x.n_groups * sizeof(*x.groups));
	m->n_groups += x.n_groups;
	return 0;
}

/* A coordinator that could not answer: Kafka's ListGroups carries one
 * error for the broker; its groups are missing from the list. */
static void lg_fail(struct split *sp, int item, int16_t err)
{
	if (sp->u.lg.resp.error_code == KERR_NONE)
		sp->u.lg.resp.error_code = KERR_COORDINATOR_LOAD_IN_PROGRESS;
}

static int lg_encode(struct split *sp, struct buf *b)
{
	return kafka_list_groups_response_encode(b, sp->r->api_version, &sp->u.lg.resp);
}

static const struct split_api lg_api = {NULL, lg_take, lg_fail, lg_encode};

void group_list_handle(struct kreq *r, struct reader *body)
{
	struct split *sp = split_new(r, &lg_api);
	if (sp == NULL)
		return;
	struct kafka_list_groups_request q;
	struct reader copy = *body;
	if (kafka_list_groups_request_decode(&copy, r->api_version, &q, &r->arena) != 0) {
		kreq_fail(r, "garbled ListGroups request");
		return;
	}
	kafka_list_groups_response_init(&sp->u.lg.resp);
	if (!r->served) {
		sp->u.lg.resp.error_code = KERR_UNSUPPORTED_VERSION;
		finish(sp);
		return;
	}
	/* Every local worker of __consumer_offsets that leads: each lists
	 * the groups it coordinates (Kafka's ListGroups is per broker). */
	const char *t = INTERNAL_OFFSETS_TOPIC;
	int32_t np = coordinator_n_partitions(r->sup);
	sp->n_waiting = 1;
	for (int32_t p = 0; p < np; p++) {
		struct worker *w = workers_find(r->sup->workers, t, strlen(t), p);
		if (w == NULL || !router_worker_leads(w))
			continue;
		struct sub *s = arena_calloc(&r->arena, 1, sizeof(*s));
		if (s == NULL)
			continue;
		s->sp = sp;
		if (group_forward(r, w, body->p + body->pos, body->len - body->pos, on_sub, s, 0) ==
		    0)
			sp->n_waiting++;
	}
	if (--sp->n_waiting == 0)
		finish(sp);
}
