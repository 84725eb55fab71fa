/* find_coordinator.c - FindCoordinator (see find_coordinator.h). */
#include "find_coordinator.h"

#include <string.h>

#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/coordinator_key.h"
#include "supervisor/internal_topics.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/leader_hint.h"
#include "supervisor/router.h"
#include "supervisor/sup.h"

#define KEY_TYPE_GROUP 0

struct coord {
	int16_t error;
	const char *message; /* NULL = none */
	int32_t node, port;
	struct kafka_str host;
};

static void find(struct kreq *r, struct kafka_str key, int8_t key_type, struct coord *out)
{
	*out =
	    (struct coord){.error = KERR_NONE, .node = -1, .port = -1, .host = kafka_str_from("")};
	if (!r->served) {
		out->error = KERR_UNSUPPORTED_VERSION;
		return;
	}
	if (key_type != KEY_TYPE_GROUP) {
		out->error = KERR_INVALID_REQUEST;
		out->message = key_type == 1 ? "fjord has no transactions (key type 1)"
					     : "unknown coordinator key type";
		return;
	}
	if (key.len <= 0) {
		out->error = KERR_INVALID_GROUP_ID;
		out->message = "empty group id";
		return;
	}
	int32_t n = coordinator_n_partitions(r->sup);
	if (n <= 0) {
		out->error = KERR_COORDINATOR_NOT_AVAILABLE;
		return;
	}
	int32_t p = coordinator_partition(key.ptr, (size_t)key.len, n);
	const char *t = INTERNAL_OFFSETS_TOPIC;
	struct router_leader l;
	router_leader(r->sup, t, strlen(t), p, &l);
	if (l.leader_id < 0 ||
	    !leader_hint_endpoint(r->sup->cfg, l.leader_id, &out->host, &out->port)) {
		out->error = KERR_COORDINATOR_NOT_AVAILABLE;
		out->message = "the group's coordinator partition has no leader yet";
		out->port = -1;
		out->host = kafka_str_from("");
		return;
	}
	out->node = l.leader_id;
}

void find_coordinator_handle(struct kreq *r, struct reader *body)
{
	struct kafka_find_coordinator_request q;
	if (kafka_find_coordinator_request_decode(body, r->api_version, &q, &r->arena) != 0) {
		kreq_fail(r, "garbled FindCoordinator request");
		return;
	}
	struct kafka_find_coordinator_response resp;
	kafka_find_coordinator_response_init(&resp);
	int8_t kt = r->api_version >= 1 ? q.key_type : KEY_TYPE_GROUP;
	if (r->api_version < 4) {
		struct coord c;
		find(r, q.key, kt, &c);
		resp.error_code = c.error;
		resp.error_message = kafka_str_from(c.message);
		resp.node_id = c.node;
		resp.host = c.host;
		resp.port = c.port;
	} else {
		int n = q.n_coordinator_keys > 0 ? q.n_coordinator_keys : 0;
		struct kafka_find_coordinator_response_coordinator *v =
		    arena_calloc(&r->arena, (size_t)n + 1, sizeof(*v));
		if (v == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		for (int i = 0; i < n; i++) {
			struct coord c;
			find(r, q.coordinator_keys[i], kt, &c);
			kafka_find_coordinator_response_coordinator_init(&v[i]);
			v[i].key = q.coordinator_keys[i];
			v[i].node_id = c.node;
			v[i].host = c.host;
			v[i].port = c.port;
			v[i].error_code = c.error;
			v[i].error_message = kafka_str_from(c.message);
		}
		resp.coordinators = v;
		resp.n_coordinators = n;
	}
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_find_coordinator_response_encode(&b, r->api_version, &resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the FindCoordinator response");
		return;
	}
	kreq_respond(r, &b);
}
