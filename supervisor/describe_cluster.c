/* describe_cluster.c - DescribeCluster from the configuration
 * (describe_cluster.h). */
#include "describe_cluster.h"

#include <limits.h>

#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/cluster.h"
#include "supervisor/controller_id.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/sup.h"

#define ENDPOINT_BROKERS 1

typedef struct kafka_describe_cluster_response_describe_cluster_broker broker_t;

void describe_cluster_handle(struct kreq *r, struct reader *body)
{
	struct kafka_describe_cluster_request req;
	kafka_describe_cluster_request_init(&req);
	if (kafka_describe_cluster_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled DescribeCluster request");
		return;
	}
	const struct config *c = r->sup->cfg;
	struct kafka_describe_cluster_response resp;
	kafka_describe_cluster_response_init(&resp);
	resp.throttle_time_ms = 0;
	resp.error_code = KERR_NONE;
	resp.error_message = (struct kafka_str){.ptr = NULL, .len = -1};
	resp.endpoint_type = ENDPOINT_BROKERS;
	resp.cluster_id = kafka_str_from(r->sup->cluster_id);
	resp.controller_id = controller_id(r->sup);
	resp.cluster_authorized_operations = INT32_MIN;
	if (!r->served) {
		resp.error_code = KERR_UNSUPPORTED_VERSION;
	} else if (r->api_version >= 1 && req.endpoint_type != ENDPOINT_BROKERS) {
		resp.error_code = KERR_MISMATCHED_ENDPOINT_TYPE;
		resp.error_message = kafka_str_from("fjord nodes serve broker endpoints only");
	} else {
		int n = cluster_n_nodes(c);
		broker_t *b = arena_calloc(&r->arena, (size_t)n, sizeof(*b));
		if (b == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		for (int i = 0; i < n; i++) {
			kafka_describe_cluster_response_describe_cluster_broker_init(&b[i]);
			b[i].rack = (struct kafka_str){.ptr = NULL, .len = -1};
			const struct config_peer *pe = c->n_peers > 0 ? &c->peers[i] : NULL;
			if (pe == NULL || pe->id == c->node.id) {
				b[i].broker_id = c->node.id;
				b[i].host = kafka_str_from(c->node.advertised_host);
				b[i].port = c->node.kafka_listen.port;
			} else {
				b[i].broker_id = pe->id;
				b[i].host = kafka_str_from(pe->kafka.host);
				b[i].port = pe->kafka.port;
			}
		}
		resp.brokers = b;
		resp.n_brokers = n;
	}
	struct buf out;
	buf_init(&out);
	kreq_response_begin(r, &out);
	if (kafka_describe_cluster_response_encode(&out, r->api_version, &resp) != 0) {
		buf_free(&out);
		kreq_fail(r, "cannot encode the DescribeCluster response");
		return;
	}
	kreq_respond(r, &out);
}
