/* create_partitions.c - CreatePartitions through the controller
 * (create_partitions.h). */
#include "create_partitions.h"

#include <stdlib.h>
#include <string.h>

#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/admin_batch.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

typedef struct kafka_create_partitions_request_create_partitions_topic topic_in;
typedef struct kafka_create_partitions_response_create_partitions_topic_result topic_out;

struct state {
	struct kreq *r;
	struct admin_batch b;
	struct kafka_create_partitions_request req;
	struct admin_item *items;
	int n;
};

static void respond(struct admin_batch *b)
{
	struct state *st = b->ctx;
	struct kreq *r = st->r;
	struct kafka_create_partitions_response resp;
	kafka_create_partitions_response_init(&resp);
	resp.throttle_time_ms = 0;
	resp.results = arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(topic_out));
	if (resp.results == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	resp.n_results = st->n;
	for (int i = 0; i < st->n; i++) {
		topic_out *o = &resp.results[i];
		kafka_create_partitions_response_create_partitions_topic_result_init(o);
		o->name = st->req.topics[i].name;
		o->error_code = st->items[i].error;
		o->error_message = admin_item_msg(&st->items[i]);
		log_info("CreatePartitions %.*s -> %d: %s%s%s", (int)o->name.len, o->name.ptr,
			 (int)st->req.topics[i].count, kerr_name(o->error_code),
			 st->items[i].msg[0] ? ": " : "", st->items[i].msg);
	}
	struct buf out;
	buf_init(&out);
	kreq_response_begin(r, &out);
	if (kafka_create_partitions_response_encode(&out, r->api_version, &resp) != 0) {
		buf_free(&out);
		kreq_fail(r, "cannot encode the CreatePartitions response");
		return;
	}
	kreq_respond(r, &out);
}

static void prepare(struct state *st, int i)
{
	const topic_in *t = &st->req.topics[i];
	struct admin_item *it = &st->items[i];
	char name[CONFIG_TOPIC_NAME_MAX + 1];
	if (!admin_str(t->name, name, sizeof(name))) {
		admin_item_fail(it, KERR_UNKNOWN_TOPIC_OR_PARTITION, "no such topic");
		return;
	}
	for (int j = 0; j < i; j++)
		if (st->req.topics[j].name.len == t->name.len &&
		    memcmp(st->req.topics[j].name.ptr, t->name.ptr, (size_t)t->name.len) == 0) {
			admin_item_fail(it, KERR_INVALID_REQUEST, "topic %s listed twice", name);
			return;
		}
	const struct config_topic *ct = topics_find(st->r->sup, name, strlen(name));
	int32_t *reps = NULL;
	int n_new = 0, rf = 0;
	if (t->n_assignments > 0 && ct != NULL) {
		n_new = t->count - ct->partitions;
		rf = ct->replication;
		if (n_new != t->n_assignments) {
			admin_item_fail(it, KERR_INVALID_REPLICA_ASSIGNMENT,
					"%d new partitions but %d assignments", n_new,
					(int)t->n_assignments);
			return;
		}
		reps = calloc((size_t)n_new * (size_t)rf + 1, sizeof(*reps));
		if (reps == NULL) {
			admin_item_fail(it, KERR_UNKNOWN_SERVER_ERROR, "out of memory");
			return;
		}
		for (int k = 0; k < n_new; k++) {
			if (t->assignments[k].n_broker_ids != rf) {
				admin_item_fail(it, KERR_INVALID_REPLICA_ASSIGNMENT,
						"each new partition needs %d replicas", rf);
				free(reps);
				return;
			}
			memcpy(reps + (size_t)k * (size_t)rf, t->assignments[k].broker_ids,
			       (size_t)rf * sizeof(int32_t));
		}
	}
	struct buf cmd;
	buf_init(&cmd);
	catalog_cmd_create_partitions(name, t->count, reps, n_new, rf, st->req.validate_only, &cmd);
	admin_batch_propose(&st->b, it, &cmd);
	buf_free(&cmd);
	free(reps);
}

void create_partitions_handle(struct kreq *r, struct reader *body)
{
	struct state *st = arena_calloc(&r->arena, 1, sizeof(*st));
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	kafka_create_partitions_request_init(&st->req);
	if (kafka_create_partitions_request_decode(body, r->api_version, &st->req, &r->arena) !=
	    0) {
		kreq_fail(r, "garbled CreatePartitions request");
		return;
	}
	st->n = st->req.n_topics > 0 ? st->req.n_topics : 0;
	st->items = arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(*st->items));
	if (st->items == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	admin_batch_init(&st->b, r->sup, st->req.timeout_ms, respond, st);
	for (int i = 0; i < st->n; i++) {
		st->items[i].b = &st->b;
		prepare(st, i);
	}
	admin_batch_seal(&st->b);
}
