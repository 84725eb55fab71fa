/* describe_log_dirs.c - DescribeLogDirs from the local worker table
 * (describe_log_dirs.h). Kafka's admin client sends it to every broker
 * (kafka-log-dirs.sh), so each supervisor describes only its own node. */
#include "describe_log_dirs.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/fs_usage.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/sup.h"
#include "supervisor/worker.h"
#include "supervisor/workers.h"

typedef struct kafka_describe_log_dirs_response_describe_log_dirs_topic resp_topic;
typedef struct kafka_describe_log_dirs_response_describe_log_dirs_partition resp_part;
typedef struct kafka_describe_log_dirs_request_describable_log_dir_topic req_topic;

/* Whether the request asks about (topic, partition); NULL = everything. */
static bool wanted(const struct kafka_describe_log_dirs_request *req, const struct worker *w)
{
	if (req->n_topics < 0)
		return true;
	for (int i = 0; i < req->n_topics; i++) {
		const req_topic *t = &req->topics[i];
		if (!kafka_str_eq(t->topic, w->topic))
			continue;
		for (int j = 0; j < t->n_partitions; j++)
			if (t->partitions[j] == w->partition)
				return true;
	}
	return false;
}

void describe_log_dirs_handle(struct kreq *r, struct reader *body)
{
	struct kafka_describe_log_dirs_request req;
	kafka_describe_log_dirs_request_init(&req);
	if (kafka_describe_log_dirs_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled DescribeLogDirs request");
		return;
	}
	struct kafka_describe_log_dirs_response resp;
	kafka_describe_log_dirs_response_init(&resp);
	struct kafka_describe_log_dirs_response_describe_log_dirs_result *dir =
	    arena_calloc(&r->arena, 1, sizeof(*dir));
	int n_workers = workers_count(r->sup->workers);
	/* At most one topic and one partition per worker. */
	resp_topic *topics = arena_calloc(&r->arena, (size_t)n_workers + 1, sizeof(*topics));
	resp_part *parts = arena_calloc(&r->arena, (size_t)n_workers + 1, sizeof(*parts));
	if (dir == NULL || topics == NULL || parts == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	kafka_describe_log_dirs_response_describe_log_dirs_result_init(dir);
	dir->log_dir = kafka_str_from(r->sup->cfg->node.data_dir);
	uint64_t fs_free = 0, fs_size = 0;
	if (!r->served) {
		dir->error_code = KERR_UNSUPPORTED_VERSION;
	} else {
		if (fs_usage(r->sup->cfg->node.data_dir, &fs_free, &fs_size) != 0)
			dir->error_code = KERR_KAFKA_STORAGE_ERROR;
		/* Group the replicas by topic: each topic's partitions are
		 * contiguous in parts[], so a topic's entries are placed as
		 * its first replica is met and filled in a second pass. */
		int n_topics = 0, n_parts = 0;
		for (int pass = 0; pass < 2 && dir->error_code == KERR_NONE; pass++) {
			for (int i = 0; i < n_workers; i++) {
				struct worker *w = workers_at(r->sup->workers, i);
				if (w == NULL || !wanted(&req, w))
					continue;
				int t = 0;
				while (t < n_topics && !kafka_str_eq(topics[t].name, w->topic))
					t++;
				if (pass == 0) {
					if (t == n_topics) {
						kafka_describe_log_dirs_response_describe_log_dirs_topic_init(
						    &topics[t]);
						topics[t].name = kafka_str_from(w->topic);
						n_topics++;
					}
					topics[t].n_partitions++;
					continue;
				}
				resp_part *p = &topics[t].partitions[topics[t].n_partitions++];
				kafka_describe_log_dirs_response_describe_log_dirs_partition_init(
				    p);
				p->partition_index = w->partition;
				p->partition_size =
				    w->has_status ? (int64_t)w->status.storage_used_bytes : 0;
				p->offset_lag = 0;
				p->is_future_key = false;
			}
			if (pass == 0) {
				for (int t = 0; t < n_topics; t++) {
					topics[t].partitions = parts + n_parts;
					n_parts += topics[t].n_partitions;
					topics[t].n_partitions = 0;
				}
			}
		}
		dir->topics = topics;
		dir->n_topics = n_topics;
	}
	dir->total_bytes = r->api_version >= 4 ? (int64_t)fs_size : -1;
	dir->usable_bytes = r->api_version >= 4 ? (int64_t)fs_free : -1;
	resp.throttle_time_ms = 0;
	resp.error_code = KERR_NONE;
	resp.results = dir;
	resp.n_results = 1;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_describe_log_dirs_response_encode(&b, r->api_version, &resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the DescribeLogDirs response");
		return;
	}
	kreq_respond(r, &b);
}
