/* coordinator.c - the group coordinator in a __consumer_offsets replica
 * (see coordinator.h). */
#include "coordinator.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/crc32c.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "common/record_batch.h"
#include "worker/group_report.h"
#include "worker/replica.h"
#include "worker/store.h"

bool coordinator_topic(const char *topic) { return strcmp(topic, COORDINATOR_TOPIC) == 0; }

/* Group timers and record timestamps use the wall clock: offsets keep
 * their commit time across a failover to another node. */
static int64_t now_ms(void) { return clock_wall_ms(); }

/* --- records inside batches --------------------------------------------- */

/* Feeds every record of the batches in data to gc. */
static void feed_entry(struct gc *g, const uint8_t *data, size_t len)
{
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	record_batch_iter_init(&it, data, len);
	while (record_batch_iter_next_header(&it, &b, &bl, NULL) == 1) {
		struct record_batch_records rr;
		if (record_batch_records_init(&rr, b, bl) != 0)
			continue;
		struct record_batch_record rec;
		while (record_batch_records_next(&rr, &rec) == 1)
			if (gc_apply_record(g, rec.key, rec.key_len, rec.value, rec.value_len) != 0)
				log_warn("skipping a malformed group record");
	}
}

static void put_varint(struct buf *b, int64_t v) { buf_put_varint(b, v); }

/* One uncompressed v2 batch holding the records (group_coord.h's list
 * format), base offset 0 (the partition assigns it). */
static int build_batch(const struct buf *recs, int n, int64_t now, struct buf *out)
{
	buf_reset(out);
	uint8_t *h = buf_extend(out, RB_HEADER_LEN);
	if (h == NULL)
		return ERR_NOMEM;
	memset(h, 0, RB_HEADER_LEN);
	struct reader r;
	reader_init(&r, recs->data, recs->len);
	struct buf one;
	buf_init(&one);
	for (int i = 0; i < n; i++) {
		uint32_t kl = reader_u32(&r);
		const uint8_t *k = reader_bytes(&r, kl);
		uint32_t vl = reader_u32(&r);
		const uint8_t *v = vl == 0xffffffffu ? NULL : reader_bytes(&r, vl);
		if (r.err)
			break;
		buf_reset(&one);
		buf_put_u8(&one, 0); /* attributes */
		put_varint(&one, 0); /* timestamp delta */
		put_varint(&one, i); /* offset delta */
		put_varint(&one, kl);
		buf_put(&one, k, kl);
		if (v == NULL) {
			put_varint(&one, -1);
		} else {
			put_varint(&one, vl);
			buf_put(&one, v, vl);
		}
		put_varint(&one, 0); /* headers */
		put_varint(out, (int64_t)one.len);
		buf_put(out, one.data, one.len);
	}
	buf_free(&one);
	if (r.err || out->oom)
		return ERR_NOMEM;
	h = out->data;
	be64_store(h + RB_OFF_BASE_OFFSET, 0);
	be32_store(h + RB_OFF_BATCH_LENGTH, (uint32_t)(out->len - RB_LENGTH_OVERHEAD));
	be32_store(h + RB_OFF_LEADER_EPOCH, 0);
	h[RB_OFF_MAGIC] = 2;
	be16_store(h + RB_OFF_ATTRIBUTES, 0);
	be32_store(h + RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(n - 1));
	be64_store(h + RB_OFF_BASE_TIMESTAMP, (uint64_t)now);
	be64_store(h + RB_OFF_MAX_TIMESTAMP, (uint64_t)now);
	be64_store(h + RB_OFF_PRODUCER_ID, (uint64_t)-1);
	be16_store(h + RB_OFF_PRODUCER_EPOCH, (uint16_t)-1);
	be32_store(h + RB_OFF_BASE_SEQUENCE, (uint32_t)-1);
	be32_store(h + RB_OFF_RECORDS_COUNT, (uint32_t)n);
	be32_store(h + RB_OFF_CRC, crc32c(0, h + RB_OFF_ATTRIBUTES, out->len - RB_OFF_ATTRIBUTES));
	return 0;
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct coordinator *c = arg;
	struct replica *r = c->r;
	if (!gc_has_records(&c->gc))
		return;
	struct buf recs, batch;
	buf_init(&recs);
	buf_init(&batch);
	int n = gc_take_records(&c->gc, &recs);
	int64_t now = now_ms();
	if (!raft_driver_can_propose(&r->drv) && !r->drv.stuck)
		raft_driver_flush(&r->drv);
	int rc =
	    raft_driver_can_propose(&r->drv) ? build_batch(&recs, n, now, &batch) : ERR_NOTLEADER;
	uint64_t index = 0;
	if (rc == 0) {
		int64_t base, next;
		partition_assign(&r->part, batch.data, batch.len, (int32_t)raft_term(&r->drv.raft),
				 &base, &next);
		rc = raft_driver_propose(&r->drv, batch.data, batch.len, &index);
	}
	if (rc == 0) {
		gc_proposed(&c->gc, index);
	} else {
		log_warn("cannot propose %d group record(s): %s", n, err_str(rc));
		gc_propose_failed(&c->gc);
	}
	buf_free(&recs);
	buf_free(&batch);
}

static void schedule_flush(struct coordinator *c)
{
	if (gc_has_records(&c->gc) && c->flush)
		event_active(c->flush, EV_TIMEOUT, 0);
}

/* --- the wrapped state machine ------------------------------------------ */

#define INNER(c) (((struct coordinator *)(c))->inner)
#define ICTX(c) (((struct coordinator *)(c))->inner.ctx)

static uint64_t w_applied(void *c) { return INNER(c).ops->applied(ICTX(c)); }
static void w_proposed(void *c, uint64_t i, const uint8_t *d, size_t n)
{
	INNER(c).ops->proposed(ICTX(c), i, d, n);
}
static int w_save(void *c) { return INNER(c).ops->save(ICTX(c)); }
static int w_install_store(void *c, uint64_t i, uint64_t t, const uint8_t *d, size_t n)
{
	return INNER(c).ops->install_store(ICTX(c), i, t, d, n);
}
static void w_install(void *c, uint64_t i, const uint8_t *d, size_t n)
{
	/* The log before the leader's start is gone: so are its records. A
	 * __consumer_offsets topic has no retention, so this is not
	 * expected; the groups restart empty rather than stale. */
	struct coordinator *co = c;
	log_warn("installing a log start: group state restarts empty");
	struct gc_config cfg = co->gc.cfg;
	struct gc_env env = co->gc.env;
	gc_close(&co->gc);
	gc_init(&co->gc, &cfg, &env);
	INNER(c).ops->install(ICTX(c), i, d, n);
}
static int w_apply(void *c, const struct sm_entry *e)
{
	int rc = INNER(c).ops->apply(ICTX(c), e);
	if (e->kind == STORE_KIND_DATA)
		feed_entry(&((struct coordinator *)c)->gc, e->data, e->len);
	return rc;
}
static int w_lead(void *c, uint64_t term) { return INNER(c).ops->lead(ICTX(c), term); }
static void w_step_down(void *c) { INNER(c).ops->step_down(ICTX(c)); }
/* The partition's snapshot, then the groups' applied state at the same
 * index, in the driver's snapshot transaction: a restart loads it and
 * replays only the entries after it. */
static int w_snapshot(void *c)
{
	struct coordinator *co = c;
	int rc = INNER(c).ops->snapshot(ICTX(c));
	if (rc != 0)
		return rc;
	struct buf b;
	buf_init(&b);
	buf_put_u64(&b, co->r->part.commit_index);
	buf_put_u32(&b, 0);
	int n = gc_snapshot(&co->gc, &b);
	if (n < 0 || b.oom) {
		buf_free(&b);
		return ERR_NOMEM;
	}
	be32_store(b.data + 8, (uint32_t)n);
	rc = store_put_snapshot(co->r->store, COORDINATOR_SNAPSHOT, b.data, b.len);
	if (rc == 0)
		log_info("group snapshot at index %llu: %d record(s), %zu bytes",
			 (unsigned long long)co->r->part.commit_index, n, b.len);
	buf_free(&b);
	return rc;
}
static void w_start_state(void *c, const uint8_t **d, size_t *n)
{
	INNER(c).ops->start_state(ICTX(c), d, n);
}
static int w_read(void *c, int kind, const void *q, void *res)
{
	return INNER(c).ops->read(ICTX(c), kind, q, res);
}
static void w_status(void *c, struct sm_status *out) { INNER(c).ops->status(ICTX(c), out); }

/* --- replay at start ---------------------------------------------------- */

static int replay_cb(void *ctx, const struct store_entry *e)
{
	if (e->kind == STORE_KIND_DATA)
		feed_entry(ctx, e->data, e->len);
	return 0;
}

/* --- answers ------------------------------------------------------------ */

static void respond(void *ctx, const struct gc_reply *to, const uint8_t *body, size_t len)
{
	struct coordinator *c = ctx;
	struct ipc_msg m = {.type = IPC_GROUP_RESULT};
	m.u.group_result = (struct ipc_group_result){
	    .req_id = to->req_id, .body = body, .body_len = (uint32_t)len};
	int rc = uplink_send(&c->r->up, &m);
	if (rc != 0 && rc != ERR_CLOSED)
		log_error("cannot send a group result: %s", err_str(rc));
}

/* Applies the last group snapshot, if any that the log still follows;
 * returns the first index to replay after it. */
static uint64_t load_snapshot(struct coordinator *c)
{
	struct replica *r = c->r;
	uint64_t first = store_first_index(r->store);
	struct buf b;
	buf_init(&b);
	int rc = store_get_snapshot(r->store, COORDINATOR_SNAPSHOT, &b);
	if (rc != 0 || b.len < 12) {
		if (rc != 0 && rc != ERR_NOTFOUND)
			log_warn("cannot read the group snapshot (%s): replaying the log",
				 err_str(rc));
		buf_free(&b);
		return first;
	}
	uint64_t index = be64_load(b.data);
	uint32_t n = be32_load(b.data + 8);
	if (index > r->part.commit_index || index + 1 < first) {
		log_warn(
		    "group snapshot at index %llu does not fit the log (%llu..%llu): replaying "
		    "the log",
		    (unsigned long long)index, (unsigned long long)first,
		    (unsigned long long)r->part.commit_index);
		buf_free(&b);
		return first;
	}
	if (gc_apply_list(&c->gc, b.data + 12, b.len - 12, (int)n) != 0)
		log_warn("the group snapshot is malformed: what it held before the fault is kept");
	log_info("group snapshot at index %llu: %u record(s)", (unsigned long long)index, n);
	buf_free(&b);
	return index + 1;
}

int coordinator_init(struct coordinator *c, struct replica *r, struct sm *sm)
{
	memset(c, 0, sizeof(*c));
	c->r = r;
	const struct config *cfg = &r->args->cfg;
	struct gc_config gcfg = {
	    .min_session_ms = cfg->groups.min_session_timeout_ms,
	    .max_session_ms = cfg->groups.max_session_timeout_ms,
	    .max_size = cfg->groups.max_size,
	    .initial_delay_ms = cfg->groups.initial_rebalance_delay_ms,
	    .retention_ms = cfg->groups.offsets_retention_minutes * 60000,
	    .seed = (uint64_t)clock_wall_ns() ^ ((uint64_t)getpid() << 32) ^
		    ((uint64_t)(uint32_t)cfg->node.id << 48),
	};
	struct gc_env env = {.ctx = c, .respond = respond};
	gc_init(&c->gc, &gcfg, &env);
	c->flush = event_new(r->base, -1, 0, flush_cb, c);
	if (c->flush == NULL)
		return ERR_NOMEM;
	uint64_t lo = load_snapshot(c);
	uint64_t hi = r->part.commit_index + 1;
	if (lo < hi) {
		int rc = store_scan(r->store, lo, hi, replay_cb, &c->gc);
		if (rc < 0) {
			log_error("cannot replay the group records: %s", err_str(rc));
			return rc;
		}
	}
	log_info("group coordinator: %d group(s) replayed from log index %llu..%llu",
		 c->gc.n_groups, (unsigned long long)lo, (unsigned long long)(hi - 1));
	c->inner = *sm;
	c->ops = (struct sm_ops){
	    .applied = w_applied,
	    .proposed = w_proposed,
	    .save = w_save,
	    .install_store = w_install_store,
	    .install = w_install,
	    .apply = w_apply,
	    .lead = w_lead,
	    .step_down = w_step_down,
	    .snapshot = w_snapshot,
	    .start_state = w_start_state,
	    .read = w_read,
	    .status = w_status,
	};
	*sm = (struct sm){&c->ops, c};
	return 0;
}

void coordinator_close(struct coordinator *c)
{
	if (c->flush)
		event_free(c->flush);
	c->flush = NULL;
	gc_close(&c->gc);
}

static void check_loaded(struct coordinator *c)
{
	if (c->gc.leading && !c->gc.loaded && c->r->part.commit_index >= c->lead_index) {
		gc_loaded(&c->gc, now_ms());
		log_info("group coordinator loaded %d group(s) at index %llu", c->gc.n_groups,
			 (unsigned long long)c->lead_index);
	}
}

void coordinator_changed(struct coordinator *c, bool leader)
{
	if (leader && !c->gc.leading) {
		gc_lead(&c->gc);
		c->lead_index = raft_last_index(&c->r->drv.raft);
	} else if (!leader && c->gc.leading) {
		gc_step_down(&c->gc);
	}
	check_loaded(c);
}

void coordinator_applied(struct coordinator *c, uint64_t index)
{
	gc_committed(&c->gc, index);
	check_loaded(c);
	schedule_flush(c);
}

void coordinator_status(struct coordinator *c)
{
	struct ipc_msg m = {.type = IPC_GROUP_STATUS};
	struct ipc_group_status *x = &m.u.group_status;
	gc_count_states(&c->gc, x->groups);
	for (int i = 0; c->gc.loaded && i < c->gc.n_groups; i++)
		x->members += (uint64_t)c->gc.groups[i]->n_members;
	x->rebalances = c->gc.counters.rebalances;
	x->commits = c->gc.counters.commits;
	x->expired = c->gc.counters.expired;
	struct buf rep;
	buf_init(&rep);
	if (group_report_json(&c->gc, c->r->args->partition, COORDINATOR_REPORT_MAX, &rep) < 0)
		buf_reset(&rep);
	x->report = rep.data;
	x->report_len = (uint32_t)rep.len;
	int rc = uplink_send(&c->r->up, &m);
	if (rc != 0 && rc != ERR_CLOSED)
		log_error("cannot send the group status: %s", err_str(rc));
	buf_free(&rep);
}

void coordinator_tick(struct coordinator *c)
{
	check_loaded(c);
	gc_tick(&c->gc, now_ms());
	schedule_flush(c);
}

static char *cstr(const uint8_t *p, uint32_t n, char *out, size_t cap)
{
	size_t k = n < cap - 1 ? n : cap - 1;
	if (k)
		memcpy(out, p, k);
	out[k] = '\0';
	return out;
}

void coordinator_request(struct coordinator *c, const struct ipc_group *q)
{
	char cid[256], host[128];
	struct gc_reply to = {
	    .req_id = q->req_id, .api_key = q->api_key, .version = q->api_version};
	int rc = gc_handle(&c->gc, now_ms(), &to, q->body, q->body_len,
			   cstr(q->client_id, q->client_id_len, cid, sizeof(cid)),
			   cstr(q->client_host, q->client_host_len, host, sizeof(host)));
	if (rc != 0) {
		/* Not decodable and no error response: an empty body tells
		 * the supervisor to close the client's connection. */
		log_warn("undecodable group request (api %d v%d)", q->api_key, q->api_version);
		respond(c, &to, NULL, 0);
	}
	schedule_flush(c);
}
