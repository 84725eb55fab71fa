/* produce.c - Produce: one IPC_PRODUCE per partition, one merged response.
 *
 * The response mirrors the request's topics and partitions in order. A
 * partition that cannot be forwarded (unknown, worker not serving, an old
 * message format, a transactional producer) gets its error at once; the
 * others wait for their worker's result. With acks=0 the request gives up
 * its response slot immediately but stays alive until every worker has
 * answered, so it still counts against the connection's in-flight limit. */
#include "produce.h"

#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/leader_hint.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

/* Beyond the client's own timeout, how long a worker may take before the
 * supervisor answers REQUEST_TIMED_OUT for it. */
#define WORKER_GRACE_MS 10000

typedef struct kafka_produce_response_partition_produce_response part_resp;

/* One partition of the request, by flat index. */
struct produce_part {
	part_resp *resp;
	struct worker *w;     /* the replica it went to, NULL if not forwarded */
	uint32_t records_len; /* for fjord_produce_bytes_total once accepted */
};

struct produce_state {
	struct kreq *r;
	struct kafka_produce_response resp;
	struct produce_part *parts;
	int n_waiting;
	bool acks0;
};

/* KIP-951 (v10+): the current leader of every partition refused as not
 * led here, and the endpoints of those leaders. */
static void add_leader_hints(struct produce_state *st)
{
	struct kreq *r = st->r;
	struct leader_hint_nodes nodes = {0};
	for (int i = 0; i < st->resp.n_responses; i++) {
		struct kafka_produce_response_topic_produce_response *tr = &st->resp.responses[i];
		for (int j = 0; j < tr->n_partition_responses; j++) {
			part_resp *p = &tr->partition_responses[j];
			if (leader_hint_wanted(p->error_code))
				leader_hint_get(r->sup, tr->name, p->index, &r->arena, &nodes,
						&p->current_leader.leader_id,
						&p->current_leader.leader_epoch);
		}
	}
	if (nodes.n == 0)
		return;
	struct kafka_produce_response_node_endpoint *ep =
	    arena_calloc(&r->arena, (size_t)nodes.n, sizeof(*ep));
	if (ep == NULL)
		return;
	int n = 0;
	for (int i = 0; i < nodes.n; i++) {
		kafka_produce_response_node_endpoint_init(&ep[n]);
		ep[n].node_id = nodes.ids[i];
		ep[n].rack.len = -1;
		if (leader_hint_endpoint(r->sup->cfg, nodes.ids[i], &ep[n].host, &ep[n].port))
			n++;
	}
	st->resp.node_endpoints = ep;
	st->resp.n_node_endpoints = n;
}

static void finish(struct produce_state *st)
{
	struct kreq *r = st->r;
	if (st->acks0) {
		kreq_drop(r);
		return;
	}
	if (r->api_version >= 10)
		add_leader_hints(st);
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_produce_response_encode(&b, r->api_version, &st->resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the Produce response");
		return;
	}
	kreq_respond(r, &b);
}

static void set_error(part_resp *p, int16_t kerr)
{
	p->error_code = kerr;
	p->base_offset = -1;
	p->log_append_time_ms = -1;
	p->log_start_offset = -1;
}

static void on_result(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr)
{
	struct produce_state *st = ctx;
	part_resp *p = st->parts[idx].resp;
	if (res == NULL) {
		set_error(p, kerr);
	} else {
		const struct ipc_produce_result *x = &res->u.produce_result;
		if (x->error == KERR_NONE)
			st->parts[idx].w->produce_bytes += st->parts[idx].records_len;
		p->error_code = x->error;
		p->base_offset = x->error ? -1 : x->base_offset;
		p->log_append_time_ms = x->log_append_time;
		p->log_start_offset = x->log_start_offset;
	}
	if (--st->n_waiting == 0)
		finish(st);
}

void produce_handle(struct kreq *r, struct reader *body)
{
	struct kafka_produce_request req;
	kafka_produce_request_init(&req);
	if (kafka_produce_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled Produce request");
		return;
	}
	struct produce_state *st = arena_alloc(&r->arena, sizeof(*st));
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	st->acks0 = req.acks == 0;
	kafka_produce_response_init(&st->resp);
	st->resp.throttle_time_ms = 0;

	int n_topics = req.n_topic_data > 0 ? req.n_topic_data : 0;
	int total = 0;
	for (int i = 0; i < n_topics; i++)
		total +=
		    req.topic_data[i].n_partition_data > 0 ? req.topic_data[i].n_partition_data : 0;
	st->resp.responses =
	    arena_calloc(&r->arena, (size_t)n_topics + 1, sizeof(*st->resp.responses));
	st->parts = arena_calloc(&r->arena, (size_t)total + 1, sizeof(*st->parts));
	if (st->resp.responses == NULL || st->parts == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->resp.n_responses = n_topics;

	/* Errors that apply to the whole request, reported per partition. */
	int16_t all_err = KERR_NONE;
	if (r->api_version < 3)
		all_err = KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT; /* magic v0/v1 message sets */
	else if (!r->served)
		all_err = KERR_UNSUPPORTED_VERSION;
	else if (req.transactional_id.len >= 0)
		all_err = KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED; /* no transactions */
	else if (req.acks != 0 && req.acks != 1 && req.acks != -1)
		all_err = KERR_INVALID_REQUIRED_ACKS;

	/* First pass: build the response skeleton, so that no callback can
	 * run against a half-built one. */
	int idx = 0;
	for (int i = 0; i < n_topics; i++) {
		const struct kafka_produce_request_topic_produce_data *td = &req.topic_data[i];
		struct kafka_produce_response_topic_produce_response *tr = &st->resp.responses[i];
		kafka_produce_response_topic_produce_response_init(tr);
		tr->name = td->name;
		int np = td->n_partition_data > 0 ? td->n_partition_data : 0;
		tr->partition_responses =
		    arena_calloc(&r->arena, (size_t)np + 1, sizeof(part_resp));
		if (tr->partition_responses == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		tr->n_partition_responses = np;
		for (int j = 0; j < np; j++) {
			part_resp *p = &tr->partition_responses[j];
			kafka_produce_response_partition_produce_response_init(p);
			p->index = td->partition_data[j].index;
			set_error(p, KERR_NONE);
			st->parts[idx++].resp = p;
		}
	}

	if (st->acks0)
		kreq_release_slot(r); /* no response: later ones must not wait */

	/* Second pass: forward. n_waiting starts at 1 (this function's own
	 * hold) so a result cannot finish the request while we still loop. */
	int64_t deadline =
	    spawn_now_ms() + (req.timeout_ms > 0 ? req.timeout_ms : 0) + WORKER_GRACE_MS;
	st->n_waiting = 1;
	idx = 0;
	for (int i = 0; i < n_topics; i++) {
		const struct kafka_produce_request_topic_produce_data *td = &req.topic_data[i];
		for (int j = 0; j < td->n_partition_data; j++, idx++) {
			const struct kafka_produce_request_partition_produce_data *pd =
			    &td->partition_data[j];
			part_resp *p = st->parts[idx].resp;
			if (all_err != KERR_NONE) {
				set_error(p, all_err);
				continue;
			}
			struct worker *w;
			int16_t e = router_route(r->sup, td->name, pd->index, &w);
			if (e != KERR_NONE) {
				set_error(p, e);
				continue;
			}
			if (pd->records.len <= 0) {
				set_error(p, KERR_INVALID_RECORD);
				continue;
			}
			struct ipc_msg m = {.type = IPC_PRODUCE};
			m.u.produce.acks = req.acks;
			m.u.produce.timeout_ms = req.timeout_ms;
			m.u.produce.records = pd->records.ptr;
			m.u.produce.records_len = (uint32_t)pd->records.len;
			st->parts[idx].w = w; /* before: on_result may count its bytes */
			st->parts[idx].records_len = (uint32_t)pd->records.len;
			int rc = link_send(w, &m, deadline, on_result, st, idx, NULL);
			if (rc != 0) {
				set_error(p, kerr_from_err(rc, KERR_CTX_FORWARD));
				continue;
			}
			w->produce_requests++;
			st->n_waiting++;
		}
	}
	if (--st->n_waiting == 0)
		finish(st);
}
