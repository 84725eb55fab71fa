/* describe_producers.c - DescribeProducers: one IPC_PRODUCERS per
 * partition, one merged response in request order. */
#include "describe_producers.h"

#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/worker_link.h"

/* Workers answer from memory at once; this only bounds a lost one. */
#define TIMEOUT_MS 30000

typedef struct kafka_describe_producers_response_partition_response part_resp;
typedef struct kafka_describe_producers_response_producer_state prod_state;
typedef struct kafka_describe_producers_response_topic_response resp_topic;
typedef struct kafka_describe_producers_request_topic_request req_topic;

struct dp_state {
	struct kreq *r;
	struct kafka_describe_producers_response resp;
	part_resp **parts;
	int n_waiting;
};

static void finish(struct dp_state *st)
{
	struct kreq *r = st->r;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_describe_producers_response_encode(&b, r->api_version, &st->resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the DescribeProducers response");
		return;
	}
	kreq_respond(r, &b);
}

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void on_result(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr)
{
	struct dp_state *st = ctx;
	part_resp *p = st->parts[idx];
	if (res == NULL) {
		p->error_code = kerr;
	} else {
		const struct ipc_producers_result *x = &res->u.producers_result;
		p->error_code = x->error;
		size_t n = x->producers_len / IPC_PRODUCER_LEN;
		prod_state *v = n ? arena_calloc(&st->r->arena, n, sizeof(*v)) : NULL;
		if (n && v == NULL) {
			p->error_code = KERR_UNKNOWN_SERVER_ERROR;
			n = 0;
		}
		for (size_t i = 0; i < n; i++) {
			const uint8_t *q = x->producers + i * IPC_PRODUCER_LEN;
			kafka_describe_producers_response_producer_state_init(&v[i]);
			v[i].producer_id = (int64_t)be(q, 8);
			v[i].producer_epoch = (int16_t)be(q + 8, 2);
			v[i].last_sequence = (int32_t)be(q + 10, 4);
			v[i].last_timestamp = (int64_t)be(q + 14, 8);
			v[i].coordinator_epoch = -1;
			v[i].current_txn_start_offset = -1;
		}
		p->active_producers = v;
		p->n_active_producers = (int32_t)n;
	}
	if (--st->n_waiting == 0)
		finish(st);
}

void describe_producers_handle(struct kreq *r, struct reader *body)
{
	struct kafka_describe_producers_request req;
	kafka_describe_producers_request_init(&req);
	if (kafka_describe_producers_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled DescribeProducers request");
		return;
	}
	struct dp_state *st = arena_alloc(&r->arena, sizeof(*st));
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	kafka_describe_producers_response_init(&st->resp);
	int n_topics = req.n_topics > 0 ? req.n_topics : 0;
	int total = 0;
	for (int i = 0; i < n_topics; i++)
		total +=
		    req.topics[i].n_partition_indexes > 0 ? req.topics[i].n_partition_indexes : 0;
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
		kafka_describe_producers_response_topic_response_init(tr);
		tr->name = rt->name;
		int np = rt->n_partition_indexes > 0 ? rt->n_partition_indexes : 0;
		tr->partitions = arena_calloc(&r->arena, (size_t)np + 1, sizeof(part_resp));
		if (tr->partitions == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		tr->n_partitions = np;
		for (int j = 0; j < np; j++) {
			part_resp *p = &tr->partitions[j];
			kafka_describe_producers_response_partition_response_init(p);
			p->partition_index = rt->partition_indexes[j];
			st->parts[idx++] = p;
		}
	}

	int64_t deadline = spawn_now_ms() + TIMEOUT_MS;
	st->n_waiting = 1; /* our own hold while forwarding */
	idx = 0;
	for (int i = 0; i < n_topics; i++) {
		const req_topic *rt = &req.topics[i];
		for (int j = 0; j < rt->n_partition_indexes; j++, idx++) {
			part_resp *p = st->parts[idx];
			if (!r->served) {
				p->error_code = KERR_UNSUPPORTED_VERSION;
				continue;
			}
			struct worker *w;
			int16_t e = router_route(r->sup, rt->name, rt->partition_indexes[j], &w);
			if (e != KERR_NONE) {
				p->error_code = e;
				continue;
			}
			struct ipc_msg m = {.type = IPC_PRODUCERS};
			int rc = link_send(w, &m, deadline, on_result, st, idx, NULL);
			if (rc != 0) {
				p->error_code = kerr_from_err(rc, KERR_CTX_FORWARD);
				continue;
			}
			st->n_waiting++;
		}
	}
	if (--st->n_waiting == 0)
		finish(st);
}
