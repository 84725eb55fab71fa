/* init_producer_id.c - InitProducerId: producer ids and epochs for
 * idempotent producers (see init_producer_id.h). */
#include "init_producer_id.h"

#include <stdlib.h>

#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/pid_blocks.h"
#include "supervisor/producer_ids.h"
#include "supervisor/sup.h"

int init_producer_id_bump(int64_t producer_id, int16_t epoch, int16_t *epoch_out)
{
	if (producer_id < 0 && epoch < 0)
		return 0;
	if (producer_id < 0 || epoch < 0)
		return -1;
	/* Kafka's rule: an epoch at INT16_MAX - 1 cannot be bumped (the last
	 * value stays free for fencing), so the producer gets a new id. */
	if (epoch >= INT16_MAX - 1)
		return 0;
	*epoch_out = (int16_t)(epoch + 1);
	return 1;
}

void init_producer_id_free(struct sup *s)
{
	pid_blocks_free(s);
	free(s->producer_ids);
	s->producer_ids = NULL;
}

/* The node's allocator, created at the first request. */
static struct producer_ids *allocator(struct sup *s)
{
	if (s->producer_ids != NULL)
		return s->producer_ids;
	struct producer_ids *p = malloc(sizeof(*p));
	if (p == NULL)
		return NULL;
	int rc = producer_ids_init(p, s->cfg->node.data_dir, s->cfg->node.id);
	if (rc != 0) {
		log_error("producer ids: cannot use node %d over %s: %s", (int)s->cfg->node.id,
			  s->cfg->node.data_dir, err_str(rc));
		free(p);
		return NULL;
	}
	s->producer_ids = p;
	return p;
}

static void respond(struct kreq *r, const struct kafka_init_producer_id_response *m)
{
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_init_producer_id_response_encode(&b, r->api_version, m) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the InitProducerId response");
		return;
	}
	kreq_respond(r, &b);
}

/* A request waiting for an id from the controller (in its arena). */
struct pending {
	struct kreq *r;
	struct kafka_init_producer_id_response m;
};

static void on_pid(void *ctx, int64_t id)
{
	struct pending *pd = ctx;
	struct kreq *r = pd->r;
	struct kafka_init_producer_id_response *m = &pd->m;
	if (id < 0) {
		/* Retriable for the client: it asks again. */
		m->error_code = KERR_COORDINATOR_NOT_AVAILABLE;
	} else {
		m->producer_id = id;
		m->producer_epoch = 0;
		log_debug("InitProducerId: new producer %lld", (long long)id);
	}
	respond(r, m);
}

void init_producer_id_handle(struct kreq *r, struct reader *body)
{
	struct kafka_init_producer_id_request req;
	struct kafka_init_producer_id_response m;
	kafka_init_producer_id_request_init(&req);
	kafka_init_producer_id_response_init(&m);
	if (kafka_init_producer_id_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled InitProducerId request");
		return;
	}
	m.throttle_time_ms = 0;
	m.producer_id = -1;
	m.producer_epoch = -1;
	int16_t epoch = 0;
	int keep;
	if (!r->served) {
		m.error_code = KERR_UNSUPPORTED_VERSION;
	} else if (req.transactional_id.len >= 0) {
		log_debug("InitProducerId for transactional id '%.*s' refused: transactions are "
			  "not supported",
			  (int)req.transactional_id.len, req.transactional_id.ptr);
		m.error_code = KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
	} else if ((keep = init_producer_id_bump(req.producer_id, req.producer_epoch, &epoch)) <
		   0) {
		m.error_code = KERR_INVALID_REQUEST;
	} else if (keep == 1) {
		m.producer_id = req.producer_id;
		m.producer_epoch = epoch;
		log_debug("InitProducerId: producer %lld bumped to epoch %d",
			  (long long)req.producer_id, (int)epoch);
	} else if (r->sup->proposals != NULL) {
		/* A new id from the controller's blocks; answered when it comes. */
		struct pending *pd = arena_alloc(&r->arena, sizeof(*pd));
		if (pd == NULL) {
			kreq_fail(r, "out of memory");
			return;
		}
		pd->r = r;
		pd->m = m;
		pid_blocks_next(r->sup, on_pid, pd);
		return;
	} else {
		struct producer_ids *p = allocator(r->sup);
		int64_t id = -1;
		int rc = p ? producer_ids_next(p, &id) : ERR_NOMEM;
		if (rc != 0) {
			/* Retriable for the client: it asks again. */
			m.error_code = KERR_COORDINATOR_NOT_AVAILABLE;
		} else {
			m.producer_id = id;
			m.producer_epoch = 0;
			log_debug("InitProducerId: new producer %lld", (long long)id);
		}
	}
	respond(r, &m);
}
