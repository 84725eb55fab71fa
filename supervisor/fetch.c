/* fetch.c - Fetch: park per partition in the workers, cancel on enough,
 * merge, trim to max_bytes.
 *
 * Fetch sessions (KIP-227) are not kept: every response carries session_id
 * 0, which tells the client to send full fetches, which is always valid.
 * Records are never null in a response, an empty partition gets empty bytes
 * (some clients crash on null records, KAFKA-18646). max_bytes is applied
 * across partitions in request order at record batch boundaries, except that
 * the first partition with data is always returned whole so a client can
 * make progress past a batch larger than its limits. */
#include "fetch.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf_refs.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/ids.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/leader_hint.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

#define WORKER_GRACE_MS 10000
#define BATCH_HEADER_LEN 12 /* baseOffset int64 + batchLength int32 */
#define TAKE_FRAME_MIN 4096 /* records this long are kept in their frame, not copied */

typedef struct kafka_fetch_response_partition_data part_resp;

struct fetch_part {
	part_resp *resp;
	struct worker *w;      /* set while a request to it is pending */
	struct worker *target; /* the replica it went to, NULL if not forwarded */
	uint64_t req_id;
	bool in_frame; /* resp->records lies in a frame the request adopted */
};

struct fetch_state {
	struct kreq *r;
	struct kafka_fetch_response resp;
	struct fetch_part *parts;
	int n_parts;
	int n_waiting;
	int64_t bytes; /* records gathered so far */
	int32_t min_bytes;
	int32_t max_bytes;
	bool cancelled;
};

size_t fetch_fit_batches(const uint8_t *records, size_t len, size_t budget)
{
	size_t used = 0;
	while (len - used >= BATCH_HEADER_LEN) {
		uint32_t blen = be32_load(records + used + 8);
		size_t whole = BATCH_HEADER_LEN + (size_t)blen;
		if (whole > len - used || used + whole > budget)
			break;
		used += whole;
	}
	return used;
}

/* KIP-951: the current leader of every partition refused as not led here
 * (the field exists from v12) and, from v16, those leaders' endpoints. */
static void add_leader_hints(struct fetch_state *st)
{
	struct kreq *r = st->r;
	struct leader_hint_nodes nodes = {0};
	for (int i = 0; i < st->resp.n_responses; i++) {
		struct kafka_fetch_response_fetchable_topic_response *tr = &st->resp.responses[i];
		struct kafka_str name = tr->topic;
		if (r->api_version >= 13) {
			const struct config_topic *t = topics_by_id(r->sup, &tr->topic_id);
			name = t ? kafka_str_from(t->name) : (struct kafka_str){NULL, -1};
		}
		for (int j = 0; j < tr->n_partitions; j++) {
			part_resp *p = &tr->partitions[j];
			if (leader_hint_wanted(p->error_code))
				leader_hint_get(r->sup, name, p->partition_index, &r->arena, &nodes,
						&p->current_leader.leader_id,
						&p->current_leader.leader_epoch);
		}
	}
	if (nodes.n == 0 || r->api_version < 16)
		return;
	struct kafka_fetch_response_node_endpoint *ep =
	    arena_calloc(&r->arena, (size_t)nodes.n, sizeof(*ep));
	if (ep == NULL)
		return;
	int n = 0;
	for (int i = 0; i < nodes.n; i++) {
		kafka_fetch_response_node_endpoint_init(&ep[n]);
		ep[n].node_id = nodes.ids[i];
		ep[n].rack.len = -1;
		if (leader_hint_endpoint(r->sup->cfg, nodes.ids[i], &ep[n].host, &ep[n].port))
			n++;
	}
	st->resp.node_endpoints = ep;
	st->resp.n_node_endpoints = n;
}

static void finish(struct fetch_state *st)
{
	struct kreq *r = st->r;
	if (r->api_version >= 12)
		add_leader_hints(st);
	/* Apply max_bytes across partitions, in request order. */
	int64_t left = st->max_bytes;
	bool first = true;
	for (int i = 0; i < st->n_parts; i++) {
		part_resp *p = st->parts[i].resp;
		if (p->records.len <= 0)
			continue;
		size_t keep = (size_t)p->records.len;
		if (!first)
			keep = left > 0 ? fetch_fit_batches(p->records.ptr, keep, (size_t)left) : 0;
		first = false;
		p->records.len = (int32_t)keep;
		left -= (int64_t)keep;
		if (st->parts[i].target != NULL)
			st->parts[i].target->fetch_bytes += keep; /* what the client gets */
	}
	/* Records still in the frames their workers sent go to the socket by
	 * reference (buf_refs.h): the response takes the frames over. If that
	 * cannot be set up they are copied, as smaller results always are. */
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < st->n_parts; i++) {
		const part_resp *p = st->parts[i].resp;
		if (st->parts[i].in_frame && p->records.len > 0 && buf_refs_enable(&b) == 0)
			(void)buf_refs_allow(&b, p->records.ptr, (size_t)p->records.len);
	}
	kreq_response_begin(r, &b);
	if (kafka_fetch_response_encode(&b, r->api_version, &st->resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the Fetch response");
		return;
	}
	kreq_respond(r, &b);
}

/* Asks every still-parked part to answer now. */
static void cancel_rest(struct fetch_state *st)
{
	st->cancelled = true;
	for (int i = 0; i < st->n_parts; i++)
		if (st->parts[i].w != NULL)
			link_cancel_fetch(st->parts[i].w, st->parts[i].req_id);
}

static void set_error(part_resp *p, int16_t kerr)
{
	p->error_code = kerr;
	p->high_watermark = -1;
	p->last_stable_offset = -1;
	p->log_start_offset = -1;
}

static void on_result(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr)
{
	struct fetch_state *st = ctx;
	struct fetch_part *fp = &st->parts[idx];
	part_resp *p = fp->resp;
	struct worker *w = fp->w;
	fp->w = NULL;
	int16_t err = kerr;
	if (res != NULL) {
		const struct ipc_fetch_result *x = &res->u.fetch_result;
		err = x->error;
		p->error_code = x->error;
		p->high_watermark = x->high_watermark;
		p->last_stable_offset = x->last_stable_offset;
		p->log_start_offset = x->log_start_offset;
		/* The result borrows the link's receive buffer, which the next
		 * frame overwrites: the request takes that buffer over (no copy),
		 * or keeps a copy of a small result (cheaper than a new buffer). */
		uint8_t *frame =
		    x->records_len >= TAKE_FRAME_MIN && w != NULL ? link_take_frame(w) : NULL;
		if (frame != NULL && kreq_adopt(st->r, frame) != 0) {
			free(frame); /* x->records pointed into it: nothing to serve */
			set_error(p, KERR_UNKNOWN_SERVER_ERROR);
			err = KERR_UNKNOWN_SERVER_ERROR;
		} else if (frame != NULL) {
			fp->in_frame = true;
			p->records.ptr = x->records;
			p->records.len = (int32_t)x->records_len;
			st->bytes += x->records_len;
		} else if (x->records_len > 0) {
			uint8_t *copy = arena_alloc_bytes(&st->r->arena, x->records_len);
			if (copy == NULL) {
				set_error(p, KERR_UNKNOWN_SERVER_ERROR);
				err = KERR_UNKNOWN_SERVER_ERROR;
			} else {
				memcpy(copy, x->records, x->records_len);
				p->records.ptr = copy;
				p->records.len = (int32_t)x->records_len;
				st->bytes += x->records_len;
			}
		}
	} else {
		set_error(p, kerr);
	}
	st->n_waiting--;
	if (st->n_waiting > 0 && !st->cancelled &&
	    (err != KERR_NONE || (st->bytes > 0 && st->bytes >= st->min_bytes)))
		cancel_rest(st);
	if (st->n_waiting == 0)
		finish(st);
}

void fetch_handle(struct kreq *r, struct reader *body)
{
	struct kafka_fetch_request req;
	kafka_fetch_request_init(&req);
	if (kafka_fetch_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled Fetch request");
		return;
	}
	struct fetch_state *st = arena_alloc(&r->arena, sizeof(*st));
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	st->min_bytes = req.min_bytes;
	st->max_bytes = req.max_bytes > 0 ? req.max_bytes : 0;
	kafka_fetch_response_init(&st->resp);
	st->resp.throttle_time_ms = 0;
	st->resp.error_code = KERR_NONE;
	st->resp.session_id = 0;

	/* We never hand out a session, so a client naming one is confused. */
	int n_topics = req.n_topics > 0 ? req.n_topics : 0;
	if (r->api_version >= 7 && req.session_id != 0) {
		st->resp.error_code = KERR_FETCH_SESSION_ID_NOT_FOUND;
		n_topics = 0;
	}
	int total = 0;
	for (int i = 0; i < n_topics; i++)
		total += req.topics[i].n_partitions > 0 ? req.topics[i].n_partitions : 0;
	st->resp.responses =
	    arena_calloc(&r->arena, (size_t)n_topics + 1, sizeof(*st->resp.responses));
	st->parts = arena_calloc(&r->arena, (size_t)total + 1, sizeof(*st->parts));
	if (st->resp.responses == NULL || st->parts == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->resp.n_responses = n_topics;
	st->n_parts = total;

	/* Topic names: by name up to v12, by id from v13. */
	struct kafka_str *names = arena_calloc(&r->arena, (size_t)n_topics + 1, sizeof(*names));
	if (names == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	int idx = 0;
	for (int i = 0; i < n_topics; i++) {
		const struct kafka_fetch_request_fetch_topic *rt = &req.topics[i];
		struct kafka_fetch_response_fetchable_topic_response *tr = &st->resp.responses[i];
		kafka_fetch_response_fetchable_topic_response_init(tr);
		tr->topic = rt->topic;
		tr->topic_id = rt->topic_id;
		names[i] = rt->topic;
		if (r->api_version >= 13) {
			const struct config_topic *t = topics_by_id(r->sup, &rt->topic_id);
			names[i] = t ? kafka_str_from(t->name) : (struct kafka_str){NULL, -1};
		}
		int np = rt->n_partitions > 0 ? rt->n_partitions : 0;
		tr->partitions = arena_calloc(&r->arena, (size_t)np + 1, sizeof(part_resp));
		if (tr->partitions == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		tr->n_partitions = np;
		for (int j = 0; j < np; j++) {
			part_resp *p = &tr->partitions[j];
			kafka_fetch_response_partition_data_init(p);
			p->partition_index = rt->partitions[j].partition;
			p->records.ptr = (const uint8_t *)"";
			p->records.len = 0;
			/* Null for read_uncommitted, empty for read_committed. */
			p->aborted_transactions = NULL;
			p->n_aborted_transactions = req.isolation_level == 1 ? 0 : -1;
			st->parts[idx++].resp = p;
		}
	}

	int64_t deadline =
	    spawn_now_ms() + (req.max_wait_ms > 0 ? req.max_wait_ms : 0) + WORKER_GRACE_MS;
	st->n_waiting = 1; /* our own hold while forwarding */
	bool any_error = false;
	idx = 0;
	for (int i = 0; i < n_topics; i++) {
		const struct kafka_fetch_request_fetch_topic *rt = &req.topics[i];
		for (int j = 0; j < rt->n_partitions; j++, idx++) {
			const struct kafka_fetch_request_fetch_partition *rp = &rt->partitions[j];
			struct fetch_part *fp = &st->parts[idx];
			int16_t e;
			struct worker *w = NULL;
			if (!r->served)
				e = KERR_UNSUPPORTED_VERSION;
			else if (names[i].len < 0)
				e = KERR_UNKNOWN_TOPIC_ID;
			else
				e = router_route(r->sup, names[i], rp->partition, &w);
			if (e == KERR_NONE) {
				struct ipc_msg m = {.type = IPC_FETCH};
				m.u.fetch.offset = rp->fetch_offset;
				m.u.fetch.max_bytes = rp->partition_max_bytes < st->max_bytes
							  ? rp->partition_max_bytes
							  : st->max_bytes;
				m.u.fetch.max_wait_ms = req.max_wait_ms;
				m.u.fetch.min_bytes = req.min_bytes;
				m.u.fetch.isolation = req.isolation_level;
				m.u.fetch.leader_epoch = rp->current_leader_epoch;
				int rc =
				    link_send(w, &m, deadline, on_result, st, idx, &fp->req_id);
				if (rc == 0) {
					fp->w = w;
					fp->target = w;
					w->fetch_requests++;
					st->n_waiting++;
					continue;
				}
				e = kerr_from_err(rc, KERR_CTX_FORWARD);
			}
			set_error(fp->resp, e);
			any_error = true;
		}
	}
	/* Like Kafka, an error in any partition answers the request at once. */
	if (any_error && st->n_waiting > 1)
		cancel_rest(st);
	if (--st->n_waiting == 0)
		finish(st);
}
