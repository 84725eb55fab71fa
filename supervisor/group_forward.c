/* group_forward.c - the one-group APIs (JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetCommit, OffsetDelete, OffsetFetch v0-7): the group id
 * names the coordinator's worker, which gets the request body as the
 * client sent it and returns the response body (IPC_GROUP). */
#include "group_forward.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/coordinator_key.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/spawn.h"
#include "supervisor/worker_link.h"

/* A JoinGroup or SyncGroup is held by the coordinator until the group's
 * rebalance ends (the members' rebalance timeout, 5 minutes by default in
 * the Java client and librdkafka); the worker answers within that, so
 * this bound only catches a lost answer. Others are answered at once or
 * once their record commits. */
#define HELD_TIMEOUT_MS (30 * 60 * 1000)
#define TIMEOUT_MS 60000

struct fwd {
	struct kreq *r;
	struct kafka_offset_commit_request commit; /* OffsetCommit: for an error answer */
	struct kafka_offset_fetch_request fetch;   /* OffsetFetch v0-1: likewise */
};

/* OffsetCommit has no top-level error: every partition carries it. */
static int encode_commit_error(struct buf *b, struct kreq *r,
			       const struct kafka_offset_commit_request *q, int16_t err)
{
	struct kafka_offset_commit_response resp;
	kafka_offset_commit_response_init(&resp);
	int nt = q->n_topics > 0 ? q->n_topics : 0;
	struct kafka_offset_commit_response_offset_commit_response_topic *ts =
	    arena_calloc(&r->arena, (size_t)nt + 1, sizeof(*ts));
	if (ts == NULL)
		return ERR_NOMEM;
	for (int i = 0; i < nt; i++) {
		ts[i].name = q->topics[i].name;
		int np = q->topics[i].n_partitions > 0 ? q->topics[i].n_partitions : 0;
		struct kafka_offset_commit_response_offset_commit_response_partition *ps =
		    arena_calloc(&r->arena, (size_t)np + 1, sizeof(*ps));
		if (ps == NULL)
			return ERR_NOMEM;
		for (int j = 0; j < np; j++) {
			ps[j].partition_index = q->topics[i].partitions[j].partition_index;
			ps[j].error_code = err;
		}
		ts[i].partitions = ps;
		ts[i].n_partitions = np;
	}
	resp.topics = ts;
	resp.n_topics = nt;
	return kafka_offset_commit_response_encode(b, r->api_version, &resp);
}

/* OffsetFetch v0-1 carry errors per partition only. */
static int encode_fetch_error(struct buf *b, struct kreq *r,
			      const struct kafka_offset_fetch_request *q, int16_t err)
{
	struct kafka_offset_fetch_response resp;
	kafka_offset_fetch_response_init(&resp);
	int nt = q->n_topics > 0 ? q->n_topics : 0;
	struct kafka_offset_fetch_response_offset_fetch_response_topic *ts =
	    arena_calloc(&r->arena, (size_t)nt + 1, sizeof(*ts));
	if (ts == NULL)
		return ERR_NOMEM;
	for (int i = 0; i < nt; i++) {
		ts[i].name = q->topics[i].name;
		int np =
		    q->topics[i].n_partition_indexes > 0 ? q->topics[i].n_partition_indexes : 0;
		struct kafka_offset_fetch_response_offset_fetch_response_partition *ps =
		    arena_calloc(&r->arena, (size_t)np + 1, sizeof(*ps));
		if (ps == NULL)
			return ERR_NOMEM;
		for (int j = 0; j < np; j++) {
			ps[j].partition_index = q->topics[i].partition_indexes[j];
			ps[j].committed_offset = -1;
			ps[j].committed_leader_epoch = -1;
			ps[j].metadata = kafka_str_from("");
			ps[j].error_code = err;
		}
		ts[i].partitions = ps;
		ts[i].n_partitions = np;
	}
	resp.topics = ts;
	resp.n_topics = nt;
	return kafka_offset_fetch_response_encode(b, r->api_version, &resp);
}

/* Answers the whole request with err. */
static void answer_error(struct fwd *f, int16_t err)
{
	struct kreq *r = f->r;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	int rc;
	if (r->api_key == KAFKA_API_OFFSET_COMMIT)
		rc = encode_commit_error(&b, r, &f->commit, err);
	else if (r->api_key == KAFKA_API_OFFSET_FETCH && r->api_version < 2)
		rc = encode_fetch_error(&b, r, &f->fetch, err);
	else
		rc = kafka_error_response_encode(&b, r->api_key, r->api_version, err);
	if (rc != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode a group error response");
		return;
	}
	kreq_respond(r, &b);
}

/* What a failed hand-over means to a group client: find the coordinator
 * again (NOT_COORDINATOR is retriable and makes clients ask
 * FindCoordinator). */
static int16_t forward_error(int16_t kerr)
{
	return kerr == KERR_REQUEST_TIMED_OUT ? KERR_REQUEST_TIMED_OUT : KERR_NOT_COORDINATOR;
}

static void on_result(void *ctx, int idx, const struct ipc_msg *res, int16_t kerr)
{
	struct fwd *f = ctx;
	struct kreq *r = f->r;
	if (res == NULL) {
		answer_error(f, forward_error(kerr));
		return;
	}
	const struct ipc_group_result *x = &res->u.group_result;
	if (x->body_len == 0) {
		kreq_fail(r, "the coordinator could not decode the request");
		return;
	}
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	buf_put(&b, x->body, x->body_len);
	kreq_respond(r, &b);
}

int group_forward(struct kreq *r, struct worker *w, const uint8_t *body, size_t len,
		  link_result_cb cb, void *ctx, int idx)
{
	char host[80];
	const char *peer = kreq_peer(r);
	/* Kafka reports a member's host as "/a.b.c.d". */
	const char *colon = strrchr(peer, ':');
	size_t hl = colon ? (size_t)(colon - peer) : strlen(peer);
	int n = snprintf(host, sizeof(host), "/%.*s", (int)hl, peer);
	struct ipc_msg m = {.type = IPC_GROUP};
	m.u.group = (struct ipc_group){
	    .api_key = r->api_key,
	    .api_version = r->api_version,
	    .client_id = (const uint8_t *)(r->client_id.len > 0 ? r->client_id.ptr : ""),
	    .client_id_len = r->client_id.len > 0 ? (uint32_t)r->client_id.len : 0,
	    .client_host = (const uint8_t *)host,
	    .client_host_len = n > 0 && (size_t)n < sizeof(host) ? (uint32_t)n : 0,
	    .body = body,
	    .body_len = (uint32_t)len,
	};
	bool held = r->api_key == KAFKA_API_JOIN_GROUP || r->api_key == KAFKA_API_SYNC_GROUP;
	int64_t deadline = spawn_now_ms() + (held ? HELD_TIMEOUT_MS : TIMEOUT_MS);
	return link_send(w, &m, deadline, cb, ctx, idx, NULL);
}

/* Decodes just enough of the request to name its group. */
static int group_of(struct kreq *r, struct reader *rd, struct fwd *f, struct kafka_str *id)
{
	struct reader copy = *rd;
	int rc;
	switch (r->api_key) {
	case KAFKA_API_JOIN_GROUP: {
		struct kafka_join_group_request q;
		rc = kafka_join_group_request_decode(&copy, r->api_version, &q, &r->arena);
		*id = q.group_id;
		return rc;
	}
	case KAFKA_API_SYNC_GROUP: {
		struct kafka_sync_group_request q;
		rc = kafka_sync_group_request_decode(&copy, r->api_version, &q, &r->arena);
		*id = q.group_id;
		return rc;
	}
	case KAFKA_API_HEARTBEAT: {
		struct kafka_heartbeat_request q;
		rc = kafka_heartbeat_request_decode(&copy, r->api_version, &q, &r->arena);
		*id = q.group_id;
		return rc;
	}
	case KAFKA_API_LEAVE_GROUP: {
		struct kafka_leave_group_request q;
		rc = kafka_leave_group_request_decode(&copy, r->api_version, &q, &r->arena);
		*id = q.group_id;
		return rc;
	}
	case KAFKA_API_OFFSET_COMMIT:
		rc = kafka_offset_commit_request_decode(&copy, r->api_version, &f->commit,
							&r->arena);
		*id = f->commit.group_id;
		return rc;
	case KAFKA_API_OFFSET_FETCH:
		rc = kafka_offset_fetch_request_decode(&copy, r->api_version, &f->fetch, &r->arena);
		*id = f->fetch.group_id;
		return rc;
	case KAFKA_API_OFFSET_DELETE: {
		struct kafka_offset_delete_request q;
		rc = kafka_offset_delete_request_decode(&copy, r->api_version, &q, &r->arena);
		*id = q.group_id;
		return rc;
	}
	default:
		return ERR_UNSUPPORTED;
	}
}

void group_forward_handle(struct kreq *r, struct reader *body)
{
	struct fwd *f = arena_calloc(&r->arena, 1, sizeof(*f));
	if (f == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	f->r = r;
	kafka_offset_commit_request_init(&f->commit);
	kafka_offset_fetch_request_init(&f->fetch);
	struct kafka_str id;
	if (group_of(r, body, f, &id) != 0) {
		kreq_fail(r, "garbled group request");
		return;
	}
	if (!r->served) {
		answer_error(f, KERR_UNSUPPORTED_VERSION);
		return;
	}
	struct worker *w = NULL;
	int16_t e = coordinator_route(r->sup, id, &w);
	if (e != KERR_NONE) {
		answer_error(f, e);
		return;
	}
	const uint8_t *rest = body->p + body->pos;
	int rc = group_forward(r, w, rest, body->len - body->pos, on_result, f, 0);
	if (rc != 0)
		answer_error(f, forward_error(kerr_from_err(rc, KERR_CTX_FORWARD)));
}
