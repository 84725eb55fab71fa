/* metadata.c - Metadata responses: this node as the only broker, every
 * configured topic with its partitions' leadership from router.c.
 *
 * Request semantics by version: v0 lists every topic for an empty topic
 * array; v1+ lists every topic for a null array and none for an empty one.
 * From v10 a topic may be asked for by id (name null). Auto-creation is
 * ignored: topics exist only through the configuration. */
#include "metadata.h"

#include <limits.h>
#include <string.h>

#include "common/err.h"
#include "common/kafka/kerr.h"
#include "supervisor/ids.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/router.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

/* Kafka's "authorized operations not requested / unknown" marker. */
#define AUTH_OPS_OMITTED INT32_MIN

static int fill_topic(struct sup *s, const struct config_topic *t,
		      struct kafka_metadata_response_metadata_response_topic *out, struct arena *a)
{
	int32_t self = s->cfg->node.id;
	out->error_code = KERR_NONE;
	out->name = kafka_str_from(t->name);
	ids_topic_id(t->name, strlen(t->name), &out->topic_id);
	out->is_internal = false;
	out->partitions = arena_calloc(a, (size_t)t->partitions, sizeof(*out->partitions));
	int32_t *self_list = arena_alloc(a, sizeof(int32_t));
	if (out->partitions == NULL || self_list == NULL)
		return ERR_NOMEM;
	*self_list = self;
	out->n_partitions = t->partitions;
	for (int32_t p = 0; p < t->partitions; p++) {
		struct kafka_metadata_response_metadata_response_partition *mp =
		    &out->partitions[p];
		kafka_metadata_response_metadata_response_partition_init(mp);
		struct worker *w = workers_find(s->workers, t->name, strlen(t->name), p);
		struct router_leader l;
		router_leader_of(s, w, &l);
		mp->error_code = l.error;
		mp->partition_index = p;
		mp->leader_id = l.leader_id;
		mp->leader_epoch = l.leader_epoch;
		/* One replica per partition today: this node. */
		mp->replica_nodes = self_list;
		mp->n_replica_nodes = 1;
		mp->isr_nodes = self_list;
		mp->n_isr_nodes = 1;
		mp->offline_replicas = NULL;
		mp->n_offline_replicas = 0;
	}
	return 0;
}

static void unknown_topic(struct kafka_metadata_response_metadata_response_topic *out,
			  struct kafka_str name, const struct kafka_uuid *id, int16_t error)
{
	out->error_code = error;
	out->name = name;
	if (id != NULL)
		out->topic_id = *id;
	out->n_partitions = 0;
}

int metadata_build(struct sup *s, int16_t version, const struct kafka_metadata_request *req,
		   struct kafka_metadata_response *resp, struct arena *a)
{
	const struct config *c = s->cfg;
	kafka_metadata_response_init(resp);
	resp->throttle_time_ms = 0;

	struct kafka_metadata_response_metadata_response_broker *b = arena_alloc(a, sizeof(*b));
	if (b == NULL)
		return ERR_NOMEM;
	kafka_metadata_response_metadata_response_broker_init(b);
	b->node_id = c->node.id;
	b->host = kafka_str_from(c->node.advertised_host);
	b->port = c->node.kafka_listen.port;
	b->rack.len = -1;
	resp->brokers = b;
	resp->n_brokers = 1;
	resp->cluster_id = kafka_str_from(s->cluster_id);
	resp->controller_id = c->node.id;
	resp->cluster_authorized_operations = AUTH_OPS_OMITTED;

	bool all = (version == 0 && req->n_topics == 0) || (version >= 1 && req->n_topics < 0);
	int32_t n = all ? c->n_topics : req->n_topics;
	resp->topics = n > 0 ? arena_calloc(a, (size_t)n, sizeof(*resp->topics)) : NULL;
	if (n > 0 && resp->topics == NULL)
		return ERR_NOMEM;
	resp->n_topics = n;
	for (int32_t i = 0; i < n; i++) {
		struct kafka_metadata_response_metadata_response_topic *out = &resp->topics[i];
		kafka_metadata_response_metadata_response_topic_init(out);
		out->topic_authorized_operations = AUTH_OPS_OMITTED;
		if (all) {
			if (fill_topic(s, &c->topics[i], out, a) != 0)
				return ERR_NOMEM;
			continue;
		}
		const struct kafka_metadata_request_metadata_request_topic *rt = &req->topics[i];
		const struct config_topic *t = NULL;
		if (rt->name.len < 0) {
			/* By id (v10+). */
			t = ids_topic_by_id(c, &rt->topic_id);
			if (t == NULL) {
				unknown_topic(out, rt->name, &rt->topic_id, KERR_UNKNOWN_TOPIC_ID);
				continue;
			}
		} else {
			if (config_topic_name_check(rt->name.ptr, (size_t)rt->name.len) != 0) {
				unknown_topic(out, rt->name, NULL, KERR_INVALID_TOPIC_EXCEPTION);
				continue;
			}
			t = config_topic_find(c, rt->name.ptr, (size_t)rt->name.len);
			if (t == NULL) {
				unknown_topic(out, rt->name, NULL, KERR_UNKNOWN_TOPIC_OR_PARTITION);
				continue;
			}
		}
		if (fill_topic(s, t, out, a) != 0)
			return ERR_NOMEM;
	}
	return 0;
}

void metadata_handle(struct kreq *r, struct reader *body)
{
	struct kafka_metadata_request req;
	struct kafka_metadata_response resp;
	kafka_metadata_request_init(&req);
	if (!r->served) {
		/* Every Metadata version the schemas define is served; a gap
		 * here would be a table mismatch, not a client error. */
		kreq_fail(r, "Metadata version not served");
		return;
	}
	if (kafka_metadata_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled Metadata request");
		return;
	}
	if (metadata_build(r->sup, r->api_version, &req, &resp, &r->arena) != 0) {
		kreq_fail(r, "out of memory building Metadata");
		return;
	}
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_metadata_response_encode(&b, r->api_version, &resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the Metadata response");
		return;
	}
	kreq_respond(r, &b);
}
