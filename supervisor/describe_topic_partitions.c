/* describe_topic_partitions.c - DescribeTopicPartitions with its cursor
 * (describe_topic_partitions.h). */
#include "describe_topic_partitions.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/ids.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/partition_view.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

#define PARTITION_LIMIT_MAX 2000

typedef struct kafka_describe_topic_partitions_response_describe_topic_partitions_response_topic
    topic_t;
typedef struct kafka_describe_topic_partitions_response_describe_topic_partitions_response_partition
    part_t;

static int cmp_str(const void *a, const void *b)
{
	const struct kafka_str *x = a, *y = b;
	int32_t n = x->len < y->len ? x->len : y->len;
	int c = n > 0 ? memcmp(x->ptr, y->ptr, (size_t)n) : 0;
	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static int fill_partition(struct kreq *r, const struct config_topic *t, int32_t p, part_t *out)
{
	struct partition_view v;
	if (partition_view(r->sup, t, p, &v, &r->arena) != 0)
		return -1;
	kafka_describe_topic_partitions_response_describe_topic_partitions_response_partition_init(
	    out);
	out->error_code = v.error;
	out->partition_index = p;
	out->leader_id = v.leader_id;
	out->leader_epoch = v.leader_epoch;
	out->replica_nodes = v.replicas;
	out->n_replica_nodes = v.n_replicas;
	out->isr_nodes = v.isr;
	out->n_isr_nodes = v.n_isr;
	out->n_eligible_leader_replicas = 0;
	out->n_last_known_elr = 0;
	out->offline_replicas = v.offline;
	out->n_offline_replicas = v.n_offline;
	return 0;
}

void describe_topic_partitions_handle(struct kreq *r, struct reader *body)
{
	struct kafka_describe_topic_partitions_request req;
	kafka_describe_topic_partitions_request_init(&req);
	if (kafka_describe_topic_partitions_request_decode(body, r->api_version, &req, &r->arena) !=
	    0) {
		kreq_fail(r, "garbled DescribeTopicPartitions request");
		return;
	}
	struct kafka_describe_topic_partitions_response resp;
	kafka_describe_topic_partitions_response_init(&resp);
	resp.throttle_time_ms = 0;
	resp.next_cursor = NULL;

	/* The names to describe, sorted, without repeats. */
	int n = req.n_topics > 0 ? req.n_topics : topics_count(r->sup);
	struct kafka_str *names = arena_calloc(&r->arena, (size_t)n + 1, sizeof(*names));
	topic_t *topics = arena_calloc(&r->arena, (size_t)n + 1, sizeof(*topics));
	if (names == NULL || topics == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++)
		names[i] = req.n_topics > 0 ? req.topics[i].name
					    : kafka_str_from(topics_at(r->sup, i)->name);
	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	int limit = req.response_partition_limit;
	if (limit <= 0 || limit > PARTITION_LIMIT_MAX)
		limit = PARTITION_LIMIT_MAX;
	int used = 0, n_out = 0;
	for (int i = 0; i < n && r->served; i++) {
		if (i > 0 && cmp_str(&names[i - 1], &names[i]) == 0)
			continue;
		int32_t first = 0;
		if (req.cursor != NULL) {
			int c_cmp = cmp_str(&names[i], &req.cursor->topic_name);
			if (c_cmp < 0)
				continue;
			if (c_cmp == 0)
				first = req.cursor->partition_index > 0
					    ? req.cursor->partition_index
					    : 0;
		}
		const struct config_topic *t =
		    names[i].len > 0 ? topics_find(r->sup, names[i].ptr, (size_t)names[i].len)
				     : NULL;
		if (t == &r->sup->ctl_topic)
			t = NULL;
		if (t != NULL && first < t->partitions && used == limit) {
			/* Room is out: the client asks again from here. */
			resp.next_cursor = arena_calloc(&r->arena, 1, sizeof(*resp.next_cursor));
			if (resp.next_cursor == NULL) {
				kreq_fail(r, "out of memory");
				return;
			}
			kafka_describe_topic_partitions_response_cursor_init(resp.next_cursor);
			resp.next_cursor->topic_name = names[i];
			resp.next_cursor->partition_index = first;
			break;
		}
		topic_t *out = &topics[n_out++];
		kafka_describe_topic_partitions_response_describe_topic_partitions_response_topic_init(
		    out);
		out->name = names[i];
		out->is_internal = false;
		out->topic_authorized_operations = INT32_MIN;
		if (t == NULL) {
			out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
			continue;
		}
		out->error_code = KERR_NONE;
		topics_id(r->sup, t, &out->topic_id);
		int32_t count = t->partitions - first;
		if (count < 0)
			count = 0;
		if (count > limit - used)
			count = limit - used;
		out->partitions = arena_calloc(&r->arena, (size_t)count + 1, sizeof(part_t));
		if (out->partitions == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		for (int32_t k = 0; k < count; k++)
			if (fill_partition(r, t, first + k, &out->partitions[k]) != 0) {
				kreq_fail(r, "out of memory");
				return;
			}
		out->n_partitions = count;
		used += count;
		if (first + count < t->partitions) {
			resp.next_cursor = arena_calloc(&r->arena, 1, sizeof(*resp.next_cursor));
			if (resp.next_cursor == NULL) {
				kreq_fail(r, "out of memory");
				return;
			}
			kafka_describe_topic_partitions_response_cursor_init(resp.next_cursor);
			resp.next_cursor->topic_name = names[i];
			resp.next_cursor->partition_index = first + count;
			break;
		}
	}
	resp.topics = topics;
	resp.n_topics = n_out;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_describe_topic_partitions_response_encode(&b, r->api_version, &resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the DescribeTopicPartitions response");
		return;
	}
	kreq_respond(r, &b);
}
