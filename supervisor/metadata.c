/* metadata.c - Metadata responses: every node of the cluster as a broker,
 * every configured topic with, per partition, its replicas (placement),
 * leader and epoch (router.c), in-sync replicas (alive and leading or
 * caught up) and offline replicas (on nodes not heard from).
 *
 * Request semantics by version: v0 lists every topic for an empty topic
 * array; v1+ lists every topic for a null array and none for an empty one.
 * From v10 a topic may be asked for by id (name null). A topic asked for
 * by name that does not exist is created when the node and the request
 * allow it (auto_create.h), answered LEADER_NOT_AVAILABLE meanwhile. */
#include "metadata.h"

#include <limits.h>
#include <string.h>

#include "common/err.h"
#include "common/kafka/kerr.h"
#include "supervisor/auto_create.h"
#include "supervisor/cluster.h"
#include "supervisor/controller_id.h"
#include "supervisor/ids.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/router.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/workers.h"

/* Kafka's "authorized operations not requested / unknown" marker. */
#define AUTH_OPS_OMITTED INT32_MIN

static int fill_topic(struct sup *s, const struct config_topic *t,
		      struct kafka_metadata_response_metadata_response_topic *out, struct arena *a)
{
	const int n_nodes = TOPICS_REPS_MAX;
	size_t name_len = strlen(t->name);
	out->error_code = KERR_NONE;
	out->name = kafka_str_from(t->name);
	topics_id(s, t, &out->topic_id);
	out->is_internal = strncmp(t->name, "__", 2) == 0;
	out->partitions = arena_calloc(a, (size_t)t->partitions, sizeof(*out->partitions));
	if (out->partitions == NULL)
		return ERR_NOMEM;
	out->n_partitions = t->partitions;
	for (int32_t p = 0; p < t->partitions; p++) {
		struct kafka_metadata_response_metadata_response_partition *mp =
		    &out->partitions[p];
		kafka_metadata_response_metadata_response_partition_init(mp);
		int32_t *reps = arena_alloc(a, (size_t)n_nodes * sizeof(int32_t));
		int32_t *isr = arena_alloc(a, (size_t)n_nodes * sizeof(int32_t));
		int32_t *off = arena_alloc(a, (size_t)n_nodes * sizeof(int32_t));
		if (reps == NULL || isr == NULL || off == NULL)
			return ERR_NOMEM;
		int n = topics_replicas(s, t, p, reps);
		int n_isr = 0, n_off = 0;
		for (int i = 0; i < n; i++) {
			bool alive;
			if (router_replica_in_sync(s, t->name, name_len, p, reps[i], &alive))
				isr[n_isr++] = reps[i];
			if (!alive)
				off[n_off++] = reps[i];
		}
		struct router_leader l;
		router_leader(s, t->name, name_len, p, &l);
		/* The leader is in sync by definition, even when its table is a
		 * moment older than a follower's report of it. */
		bool leader_listed = l.leader_id < 0;
		for (int i = 0; i < n_isr; i++)
			leader_listed = leader_listed || isr[i] == l.leader_id;
		if (!leader_listed && n_isr < n_nodes)
			isr[n_isr++] = l.leader_id;
		mp->error_code = l.error;
		mp->partition_index = p;
		mp->leader_id = l.leader_id;
		mp->leader_epoch = l.leader_epoch;
		mp->replica_nodes = reps;
		mp->n_replica_nodes = n;
		mp->isr_nodes = isr;
		mp->n_isr_nodes = n_isr;
		mp->offline_replicas = off;
		mp->n_offline_replicas = n_off;
	}
	return 0;
}

/* Every node of [cluster] (this node alone without it). This node is
 * described by its own advertised_host and kafka_listen port, peers by
 * their [cluster] line. */
static int fill_brokers(struct sup *s, struct kafka_metadata_response *resp, struct arena *a)
{
	const struct config *c = s->cfg;
	int n = cluster_n_nodes(c);
	struct kafka_metadata_response_metadata_response_broker *b =
	    arena_calloc(a, (size_t)n, sizeof(*b));
	if (b == NULL)
		return ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		kafka_metadata_response_metadata_response_broker_init(&b[i]);
		b[i].rack.len = -1;
		const struct config_peer *pe = c->n_peers > 0 ? &c->peers[i] : NULL;
		if (pe == NULL || pe->id == c->node.id) {
			b[i].node_id = c->node.id;
			b[i].host = kafka_str_from(c->node.advertised_host);
			b[i].port = c->node.kafka_listen.port;
		} else {
			b[i].node_id = pe->id;
			b[i].host = kafka_str_from(pe->kafka.host);
			b[i].port = pe->kafka.port;
		}
	}
	resp->brokers = b;
	resp->n_brokers = n;
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
	kafka_metadata_response_init(resp);
	resp->throttle_time_ms = 0;

	if (fill_brokers(s, resp, a) != 0)
		return ERR_NOMEM;
	resp->cluster_id = kafka_str_from(s->cluster_id);
	/* The controller's leader when known; otherwise any live broker id
	 * will do for clients (admin requests are forwarded inside the
	 * cluster wherever they land), and this one answered. */
	resp->controller_id = controller_id(s);
	resp->cluster_authorized_operations = AUTH_OPS_OMITTED;

	bool all = (version == 0 && req->n_topics == 0) || (version >= 1 && req->n_topics < 0);
	int32_t n = all ? topics_count(s) : req->n_topics;
	resp->topics = n > 0 ? arena_calloc(a, (size_t)n, sizeof(*resp->topics)) : NULL;
	if (n > 0 && resp->topics == NULL)
		return ERR_NOMEM;
	resp->n_topics = n;
	for (int32_t i = 0; i < n; i++) {
		struct kafka_metadata_response_metadata_response_topic *out = &resp->topics[i];
		kafka_metadata_response_metadata_response_topic_init(out);
		out->topic_authorized_operations = AUTH_OPS_OMITTED;
		if (all) {
			if (fill_topic(s, topics_at(s, i), out, a) != 0)
				return ERR_NOMEM;
			continue;
		}
		const struct kafka_metadata_request_metadata_request_topic *rt = &req->topics[i];
		const struct config_topic *t = NULL;
		static const uint8_t zero_id[16];
		if (rt->name.len < 0 ||
		    (rt->name.len == 0 && memcmp(rt->topic_id.b, zero_id, 16) != 0)) {
			/* By id (v10+): the name null, or empty as the Java client
			 * sends it. */
			t = topics_by_id(s, &rt->topic_id);
			if (t == NULL) {
				unknown_topic(out, rt->name, &rt->topic_id, KERR_UNKNOWN_TOPIC_ID);
				continue;
			}
		} else {
			if (config_topic_name_check(rt->name.ptr, (size_t)rt->name.len) != 0) {
				unknown_topic(out, rt->name, NULL, KERR_INVALID_TOPIC_EXCEPTION);
				continue;
			}
			t = topics_find(s, rt->name.ptr, (size_t)rt->name.len);
			if (t == &s->ctl_topic) {
				unknown_topic(out, rt->name, NULL, KERR_UNKNOWN_TOPIC_OR_PARTITION);
				continue;
			}
			if (t == NULL) {
				bool create = version < 4 || req->allow_auto_topic_creation;
				unknown_topic(
				    out, rt->name, NULL,
				    create && auto_create(s, rt->name.ptr, (size_t)rt->name.len)
					? KERR_LEADER_NOT_AVAILABLE
					: KERR_UNKNOWN_TOPIC_OR_PARTITION);
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
