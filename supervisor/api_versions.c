/* api_versions.c - builds ApiVersions responses from the API table
 * (api_table.h): every served API and its versions, in table order. */
#include "api_versions.h"

#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/api_table.h"
#include "supervisor/kafka_conn.h"

static void respond(struct kreq *r, int16_t version, const struct kafka_api_versions_response *m)
{
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_api_versions_response_encode(&b, version, m) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the ApiVersions response");
		return;
	}
	kreq_respond(r, &b);
}

void api_versions_unsupported(struct kreq *r)
{
	struct kafka_api_versions_response m;
	struct kafka_api_versions_response_api_version self;
	kafka_api_versions_response_init(&m);
	kafka_api_versions_response_api_version_init(&self);
	const struct api_entry *e = api_table_find(KAFKA_API_API_VERSIONS);
	self.api_key = e->api_key;
	self.min_version = e->min_version;
	self.max_version = e->max_version;
	m.error_code = KERR_UNSUPPORTED_VERSION;
	m.api_keys = &self;
	m.n_api_keys = 1;
	respond(r, 0, &m);
}

void api_versions_handle(struct kreq *r, struct reader *body)
{
	struct kafka_api_versions_request req;
	struct kafka_api_versions_response m;
	kafka_api_versions_request_init(&req);
	kafka_api_versions_response_init(&m);
	/* A malformed body (client software name) is answered, like Kafka
	 * does, with INVALID_REQUEST and the full table. */
	if (kafka_api_versions_request_decode(body, r->api_version, &req, &r->arena) != 0)
		m.error_code = KERR_INVALID_REQUEST;
	size_t n;
	const struct api_entry *all = api_table_all(&n);
	struct kafka_api_versions_response_api_version *keys =
	    arena_calloc(&r->arena, n, sizeof(*keys));
	if (keys == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		kafka_api_versions_response_api_version_init(&keys[i]);
		keys[i].api_key = all[i].api_key;
		keys[i].min_version = all[i].min_version;
		keys[i].max_version = all[i].max_version;
	}
	m.api_keys = keys;
	m.n_api_keys = (int32_t)n;
	m.throttle_time_ms = 0;
	/* v3+ tagged fields: no features, nothing finalized. */
	m.n_supported_features = 0;
	m.finalized_features_epoch = -1;
	m.n_finalized_features = 0;
	m.zk_migration_ready = false;
	respond(r, r->api_version, &m);
}
