/* delete_topics.c - DeleteTopics through the controller (delete_topics.h). */
#include "delete_topics.h"

#include <string.h>

#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/admin_batch.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/sup.h"

typedef struct kafka_delete_topics_response_deletable_topic_result topic_out;

struct item {
	struct admin_item a;
	struct kafka_str name;
	struct kafka_uuid id;
	bool by_id;
};

struct state {
	struct kreq *r;
	struct admin_batch b;
	struct item *items;
	int n;
};

static void respond(struct admin_batch *b)
{
	struct state *st = b->ctx;
	struct kreq *r = st->r;
	struct kafka_delete_topics_response resp;
	kafka_delete_topics_response_init(&resp);
	resp.throttle_time_ms = 0;
	resp.responses = arena_calloc(&r->arena, (size_t)st->n + 1, sizeof(topic_out));
	if (resp.responses == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	resp.n_responses = st->n;
	for (int i = 0; i < st->n; i++) {
		struct item *it = &st->items[i];
		topic_out *o = &resp.responses[i];
		kafka_delete_topics_response_deletable_topic_result_init(o);
		o->name = it->name;
		o->topic_id = it->id;
		o->error_code = it->a.error;
		o->error_message = admin_item_msg(&it->a);
		log_info("DeleteTopics %.*s: %s%s%s", it->name.len > 0 ? (int)it->name.len : 4,
			 it->name.len > 0 ? it->name.ptr : "(id)", kerr_name(it->a.error),
			 it->a.msg[0] ? ": " : "", it->a.msg);
	}
	struct buf out;
	buf_init(&out);
	kreq_response_begin(r, &out);
	if (kafka_delete_topics_response_encode(&out, r->api_version, &resp) != 0) {
		buf_free(&out);
		kreq_fail(r, "cannot encode the DeleteTopics response");
		return;
	}
	kreq_respond(r, &out);
}

static void prepare(struct state *st, struct item *it)
{
	char name[CONFIG_TOPIC_NAME_MAX + 1];
	bool has_name = it->name.len >= 0;
	if (has_name && !admin_str(it->name, name, sizeof(name))) {
		admin_item_fail(&it->a, KERR_UNKNOWN_TOPIC_OR_PARTITION, "no such topic");
		return;
	}
	if (has_name && strncmp(name, "__", 2) == 0) {
		admin_item_fail(&it->a, KERR_INVALID_TOPIC_EXCEPTION,
				"internal topic %s cannot be deleted", name);
		return;
	}
	static const uint8_t zero[16];
	if (!has_name && memcmp(it->id.b, zero, 16) == 0) {
		admin_item_fail(&it->a, KERR_UNKNOWN_TOPIC_ID, "neither a name nor a topic id");
		return;
	}
	struct buf cmd;
	buf_init(&cmd);
	catalog_cmd_delete_topic(has_name ? name : NULL, it->by_id ? it->id.b : NULL, &cmd);
	admin_batch_propose(&st->b, &it->a, &cmd);
	buf_free(&cmd);
}

void delete_topics_handle(struct kreq *r, struct reader *body)
{
	struct kafka_delete_topics_request req;
	kafka_delete_topics_request_init(&req);
	if (kafka_delete_topics_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled DeleteTopics request");
		return;
	}
	struct state *st = arena_calloc(&r->arena, 1, sizeof(*st));
	int n = r->api_version >= 6 ? req.n_topics : req.n_topic_names;
	n = n > 0 ? n : 0;
	if (st == NULL ||
	    (st->items = arena_calloc(&r->arena, (size_t)n + 1, sizeof(*st->items))) == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	st->n = n;
	admin_batch_init(&st->b, r->sup, req.timeout_ms, respond, st);
	static const uint8_t zero[16];
	for (int i = 0; i < n; i++) {
		struct item *it = &st->items[i];
		it->a.b = &st->b;
		if (r->api_version >= 6) {
			it->name = req.topics[i].name;
			it->id = req.topics[i].topic_id;
			it->by_id = memcmp(it->id.b, zero, 16) != 0;
		} else {
			it->name = req.topic_names[i];
		}
		prepare(st, it);
	}
	admin_batch_seal(&st->b);
}
