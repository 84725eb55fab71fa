/* offset_for_leader_epoch.c - OffsetForLeaderEpoch: one IPC_EPOCH_END per
 * partition, one merged response in request order. Consumers send it after
 * a leader change to check that their position still exists in the new
 * leader's log (truncation detection, KIP-320). */
#include "offset_for_leader_epoch.h"

#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/worker_link.h"

/* Workers answer from their store at once; this only bounds a lost one. */
#define TIMEOUT_MS 30000

typedef struct kafka_offset_for_leader_epoch_response_epoch_end_offset part_resp;
typedef struct kafka_offset_for_leader_epoch_request_offset_for_leader_topic req_topic;
typedef struct kafka_offset_for_leader_epoch_response_offset_for_leader_topic_result resp_topic;

struct ofle_state {
	struct kreq *r;
	struct kafka_offset_for_leader_epoch_response resp;
	part_resp **parts;
	int n_waiting;
};

static void finish(struct ofle_state *st)
{
	struct kreq *r = st->r;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_offset_for_leader_epoch_response_encode(&b, r->api_version, &st->resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the OffsetForLeaderEpoch response");
		return;
	}
	kreq_respond(r, &b);
}

static void set_error(part_resp *p, int16_t kerr)
{
	p->error_code = kerr;
	p->leader_epoch = -1;
	p->end_offset = -1;
}

static void on_result(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr)
{
	struct ofle_state *st = ctx;
	part_resp *p = st->parts[idx];
	if (res == NULL) {
		set_error(p, kerr);
	} else {
		const struct ipc_epoch_end_result *x = &res->u.epoch_end_result;
		p->error_code = x->error;
		p->leader_epoch = x->leader_epoch;
		p->end_offset = x->end_offset;
	}
	if (--st->n_waiting == 0)
		finish(st);
}

void offset_for_leader_epoch_handle(struct kreq *r, struct reader *body)
{
	struct kafka_offset_for_leader_epoch_request req;
	kafka_offset_for_leader_epoch_request_init(&req);
	if (kafka_offset_for_leader_epoch_request_decode(body, r->api_version, &req, &r->arena) !=
	    0) {
		kreq_fail(r, "garbled OffsetForLeaderEpoch request");
		return;
	}
	struct ofle_state *st = arena_alloc(&r->arena, sizeof(*st));
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	kafka_offset_for_leader_epoch_response_init(&st->resp);
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
		kafka_offset_for_leader_epoch_response_offset_for_leader_topic_result_init(tr);
		tr->topic = rt->topic;
		int np = rt->n_partitions > 0 ? rt->n_partitions : 0;
		tr->partitions = arena_calloc(&r->arena, (size_t)np + 1, sizeof(part_resp));
		if (tr->partitions == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		tr->n_partitions = np;
		for (int j = 0; j < np; j++) {
			part_resp *p = &tr->partitions[j];
			kafka_offset_for_leader_epoch_response_epoch_end_offset_init(p);
			p->partition = rt->partitions[j].partition;
			set_error(p, KERR_NONE);
			st->parts[idx++] = p;
		}
	}

	int64_t deadline = spawn_now_ms() + TIMEOUT_MS;
	st->n_waiting = 1; /* our own hold while forwarding */
	idx = 0;
	for (int i = 0; i < n_topics; i++) {
		const req_topic *rt = &req.topics[i];
		for (int j = 0; j < rt->n_partitions; j++, idx++) {
			const struct
			    kafka_offset_for_leader_epoch_request_offset_for_leader_partition *rp =
				&rt->partitions[j];
			part_resp *p = st->parts[idx];
			if (!r->served) {
				set_error(p, KERR_UNSUPPORTED_VERSION);
				continue;
			}
			struct worker *w;
			int16_t e = router_route(r->sup, rt->topic, rp->partition, &w);
			if (e != KERR_NONE) {
				set_error(p, e);
				continue;
			}
			struct ipc_msg m = {.type = IPC_EPOCH_END};
			m.u.epoch_end.leader_epoch = rp->leader_epoch;
			/* v0-1 carry no current epoch: no fencing, as in Kafka. */
			m.u.epoch_end.current_leader_epoch =
			    r->api_version >= 2 ? rp->current_leader_epoch : -1;
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
