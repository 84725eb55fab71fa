/* delete_records.c - DeleteRecords: one IPC_DELETE_RECORDS per partition,
 * one merged response in request order. */
#include "delete_records.h"

#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/worker_link.h"

#define DEFAULT_TIMEOUT_MS 30000
/* The worker answers a command that did not commit in time itself; this
 * margin only bounds a lost answer. */
#define LINK_MARGIN_MS 5000

typedef struct kafka_delete_records_response_delete_records_partition_result part_resp;
typedef struct kafka_delete_records_response_delete_records_topic_result resp_topic;
typedef struct kafka_delete_records_request_delete_records_topic req_topic;

struct dr_state {
	struct kreq *r;
	struct kafka_delete_records_response resp;
	part_resp **parts;
	int n_waiting;
};

static void finish(struct dr_state *st)
{
	struct kreq *r = st->r;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_delete_records_response_encode(&b, r->api_version, &st->resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the DeleteRecords response");
		return;
	}
	kreq_respond(r, &b);
}

static void set_error(part_resp *p, int16_t kerr)
{
	p->error_code = kerr;
	p->low_watermark = -1;
}

static void on_result(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr)
{
	struct dr_state *st = ctx;
	part_resp *p = st->parts[idx];
	if (res == NULL) {
		set_error(p, kerr);
	} else {
		p->error_code = res->u.delete_records_result.error;
		p->low_watermark = res->u.delete_records_result.low_watermark;
	}
	if (--st->n_waiting == 0)
		finish(st);
}

void delete_records_handle(struct kreq *r, struct reader *body)
{
	struct kafka_delete_records_request req;
	kafka_delete_records_request_init(&req);
	if (kafka_delete_records_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled DeleteRecords request");
		return;
	}
	struct dr_state *st = arena_alloc(&r->arena, sizeof(*st));
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	kafka_delete_records_response_init(&st->resp);
	st->resp.throttle_time_ms = 0;
	int n_topics = req.n_topics > 0 ? req.n_topics : 0;
	int total = 0;
	for (int i = 0; i < n_topics; i++)
		total += req.topics[i].n_partitions > 0 ? req.topics[i].n_partitions : 0;
	st->resp.topics = arena_calloc(&r->arena, (size_t)n_topics + 1, sizeof(resp_topic));
	st->parts = arena_calloc(&r->arena, (size_t)total + 1, sizeof(*st->parts));
	if (st->resp.topics == NULL || st->parts == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->resp.n_topics = n_topics;
	int idx = 0;
	for (int i = 0; i < n_topics; i++) {
		const req_topic *rt = &req.topics[i];
		resp_topic *tr = &st->resp.topics[i];
		kafka_delete_records_response_delete_records_topic_result_init(tr);
		tr->name = rt->name;
		int np = rt->n_partitions > 0 ? rt->n_partitions : 0;
		tr->partitions = arena_calloc(&r->arena, (size_t)np + 1, sizeof(part_resp));
		if (tr->partitions == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		tr->n_partitions = np;
		for (int j = 0; j < np; j++) {
			part_resp *p = &tr->partitions[j];
			kafka_delete_records_response_delete_records_partition_result_init(p);
			p->partition_index = rt->partitions[j].partition_index;
			set_error(p, KERR_NONE);
			st->parts[idx++] = p;
		}
	}

	int32_t timeout = req.timeout_ms > 0 ? req.timeout_ms : DEFAULT_TIMEOUT_MS;
	int64_t deadline = spawn_now_ms() + timeout + LINK_MARGIN_MS;
	st->n_waiting = 1; /* our own hold while forwarding */
	idx = 0;
	for (int i = 0; i < n_topics; i++) {
		const req_topic *rt = &req.topics[i];
		for (int j = 0; j < rt->n_partitions; j++, idx++) {
			part_resp *p = st->parts[idx];
			if (!r->served) {
				set_error(p, KERR_UNSUPPORTED_VERSION);
				continue;
			}
			struct worker *w;
			int16_t e = router_route(r->sup, rt->name, p->partition_index, &w);
			if (e != KERR_NONE) {
				set_error(p, e);
				continue;
			}
			struct ipc_msg m = {.type = IPC_DELETE_RECORDS};
			m.u.delete_records.offset = rt->partitions[j].offset;
			m.u.delete_records.timeout_ms = timeout;
			int rc = link_send(w, &m, deadline, on_result, st, idx, NULL);
			if (rc != 0) {
				set_error(p, kerr_from_err(rc, KERR_CTX_FORWARD));
				continue;
			}
			st->n_waiting++;
		}
	}
	if (--st->n_waiting == 0)
		finish(st);
}
