/* replica.c - request handling of one partition replica (see replica.h). */
#include "replica.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "worker/store.h"

void replica_stop(struct replica *r, int exit_code)
{
	r->exit_code = exit_code;
	event_base_loopbreak(r->base);
}

static void send_msg(struct replica *r, const struct ipc_msg *m)
{
	int rc = uplink_send(&r->up, m);
	if (rc != 0 && rc != ERR_CLOSED)
		log_error("cannot send ipc message %d: %s", m->type, err_str(rc));
}

/* --- status ------------------------------------------------------------- */

static void send_status(struct replica *r, bool always)
{
	struct ipc_status st = {
	    .role = IPC_ROLE_LEADER,
	    .term = r->solo.term,
	    .leader_node = (int32_t)r->args->node_id,
	    .commit_index = r->solo.commit_index,
	    .high_watermark = r->part.high_watermark,
	    .log_start_offset = r->part.log_start_offset,
	};
	bool changed = st.role != r->sent.role || st.term != r->sent.term ||
		       st.leader_node != r->sent.leader_node ||
		       st.log_start_offset != r->sent.log_start_offset;
	if (!always && !changed)
		return;
	struct ipc_msg m = {.type = IPC_STATUS, .u.status = st};
	send_msg(r, &m);
	r->sent = st;
}

static int64_t now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct replica *r = arg;
	/* Retention compacts in its own transaction, so not while a group is
	 * open in this iteration. */
	if ((r->part.cfg.retention_ms >= 0 || r->part.cfg.retention_bytes >= 0) &&
	    !store_in_txn(r->store)) {
		bool changed = false;
		int rc = partition_retain(&r->part, now_ms(), &changed);
		if (rc != 0)
			log_warn("retention failed: %s", err_str(rc));
		else if (changed)
			log_info("retention: log start offset is now %lld",
				 (long long)r->part.log_start_offset);
	}
	send_status(r, true);
}

/* --- produce ------------------------------------------------------------ */

static void produce_answer(struct replica *r, uint64_t req_id, int16_t err, int64_t base)
{
	struct ipc_msg m = {.type = IPC_PRODUCE_RESULT};
	m.u.produce_result = (struct ipc_produce_result){
	    .req_id = req_id,
	    .error = err,
	    .base_offset = err == KERR_NONE ? base : -1,
	    .log_append_time = -1,
	    .log_start_offset = r->part.log_start_offset,
	};
	send_msg(r, &m);
}

static int pend_push(struct replica *r, const struct pending_produce *p)
{
	if (r->n_pend == r->cap_pend) {
		size_t cap = r->cap_pend ? 2 * r->cap_pend : 64;
		struct pending_produce *n = realloc(r->pend, cap * sizeof(*n));
		if (n == NULL)
			return ERR_NOMEM;
		r->pend = n;
		r->cap_pend = cap;
	}
	r->pend[r->n_pend++] = *p;
	return 0;
}

static void on_produce(struct replica *r, struct ipc_produce *pr)
{
	int64_t base, next;
	/* The records live in the uplink's frame buffer, which we may modify
	 * (uplink.h): offsets are assigned in place, no copy. */
	uint8_t *records = (uint8_t *)pr->records;
	int16_t k = partition_produce(&r->part, records, pr->records_len, (int32_t)r->solo.term,
				      &base, &next);
	if (k != KERR_NONE) {
		log_debug("produce %llu rejected: %s", (unsigned long long)pr->req_id,
			  kerr_name(k));
		produce_answer(r, pr->req_id, k, -1);
		return;
	}
	uint64_t index;
	int rc = solo_propose(&r->solo, STORE_KIND_DATA, base, records, pr->records_len, &index);
	if (rc != 0) {
		/* The whole open group is lost (solo.h); on_failed answers the
		 * others at the end of the iteration. */
		partition_rewind(&r->part, base);
		produce_answer(r, pr->req_id, KERR_KAFKA_STORAGE_ERROR, -1);
		return;
	}
	struct pending_produce p = {.req_id = pr->req_id,
				    .index = index,
				    .base_offset = base,
				    .next_offset = next,
				    .len = pr->records_len};
	if (pend_push(r, &p) != 0) {
		/* The entry still commits (and the high watermark passes it with
		 * the next one); only its answer is lost, so the producer retries:
		 * at-least-once, never a reused offset. */
		log_error("out of memory tracking produce %llu", (unsigned long long)pr->req_id);
		produce_answer(r, pr->req_id, KERR_UNKNOWN_SERVER_ERROR, -1);
	}
}

static void on_committed(void *ctx, uint64_t commit_index)
{
	struct replica *r = ctx;
	size_t done = 0, bytes = 0;
	while (done < r->n_pend && r->pend[done].index <= commit_index) {
		struct pending_produce *p = &r->pend[done++];
		partition_apply(&r->part, p->index, p->next_offset);
		bytes += p->len;
	}
	for (size_t i = 0; i < done; i++)
		produce_answer(r, r->pend[i].req_id, KERR_NONE, r->pend[i].base_offset);
	memmove(r->pend, r->pend + done, (r->n_pend - done) * sizeof(*r->pend));
	r->n_pend -= done;
	if (bytes > 0)
		fetch_wait_notify(&r->fw, bytes);
}

static void on_failed(void *ctx, int err)
{
	struct replica *r = ctx;
	/* Retriable for the producer whatever the cause: nothing was stored. */
	for (size_t i = 0; i < r->n_pend; i++)
		produce_answer(r, r->pend[i].req_id, KERR_KAFKA_STORAGE_ERROR, -1);
	r->n_pend = 0;
	partition_rewind(&r->part, r->part.high_watermark);
	if (err == ERR_IO || err == ERR_CORRUPT) {
		/* After a failed commit or fsync what reached the disk is
		 * unknown; a restart reopens the store from what is there. */
		log_error("storage failed (%s); stopping so the supervisor restarts us",
			  err_str(err));
		replica_stop(r, 1);
	}
}

/* --- fetch and list offsets --------------------------------------------- */

/* Kafka's leader epoch fencing: a client ahead of us knows a newer leader,
 * one behind us must refresh its metadata. -1 = the client does not say. */
static int16_t epoch_check(const struct replica *r, int32_t epoch)
{
	if (epoch < 0)
		return KERR_NONE;
	if ((uint64_t)epoch > r->solo.term)
		return KERR_UNKNOWN_LEADER_EPOCH;
	if ((uint64_t)epoch < r->solo.term)
		return KERR_FENCED_LEADER_EPOCH;
	return KERR_NONE;
}

static int emit_evbuffer(void *ctx, const uint8_t *b, size_t n)
{
	return evbuffer_add(ctx, b, n) == 0 ? 0 : ERR_NOMEM;
}

static void answer_fetch(struct replica *r, const struct ipc_fetch *f, bool may_park)
{
	/* Batches go from LMDB straight into an evbuffer that then moves,
	 * without another copy, into the socket's queue (uplink_send_body). */
	struct evbuffer *body = evbuffer_new();
	size_t n = 0;
	int16_t k = body ? epoch_check(r, f->leader_epoch) : KERR_UNKNOWN_SERVER_ERROR;
	if (k == KERR_NONE)
		k = partition_fetch_emit(&r->part, f->offset, f->max_bytes, emit_evbuffer, body,
					 &n);
	if (k == KERR_NONE && may_park && f->max_wait_ms > 0 && f->min_bytes > 0 &&
	    n < (size_t)f->min_bytes && fetch_wait_park(&r->fw, f, n) == 0) {
		evbuffer_free(body);
		return;
	}
	if (k != KERR_NONE && body)
		evbuffer_drain(body, evbuffer_get_length(body));
	struct ipc_msg m = {.type = IPC_FETCH_RESULT};
	m.u.fetch_result = (struct ipc_fetch_result){
	    .req_id = f->req_id,
	    .error = k,
	    .high_watermark = r->part.high_watermark,
	    /* No transactions yet: everything committed is stable. */
	    .last_stable_offset = r->part.high_watermark,
	    .log_start_offset = r->part.log_start_offset,
	};
	int rc = body ? uplink_send_body(&r->up, &m, body) : uplink_send(&r->up, &m);
	if (rc != 0 && rc != ERR_CLOSED)
		log_error("cannot send fetch result: %s", err_str(rc));
	if (body)
		evbuffer_free(body);
}

static void answer_parked(void *ctx, const struct ipc_fetch *f) { answer_fetch(ctx, f, false); }

static void on_list_offsets(struct replica *r, const struct ipc_list_offsets *lo)
{
	int64_t off = -1, ts = -1;
	int16_t k = epoch_check(r, lo->leader_epoch);
	if (k == KERR_NONE)
		k = partition_list_offsets(&r->part, lo->timestamp, &off, &ts);
	struct ipc_msg m = {.type = IPC_LIST_OFFSETS_RESULT};
	m.u.list_offsets_result = (struct ipc_list_offsets_result){
	    .req_id = lo->req_id,
	    .error = k,
	    .timestamp = ts,
	    .offset = off,
	    .leader_epoch = (int32_t)r->solo.term,
	};
	send_msg(r, &m);
}

/* --- dispatch ----------------------------------------------------------- */

static void on_msg(void *ctx, struct ipc_msg *m)
{
	struct replica *r = ctx;
	switch (m->type) {
	case IPC_PRODUCE:
		on_produce(r, &m->u.produce);
		break;
	case IPC_FETCH:
		answer_fetch(r, &m->u.fetch, true);
		break;
	case IPC_FETCH_CANCEL:
		fetch_wait_cancel(&r->fw, m->u.fetch_cancel.req_id);
		break;
	case IPC_LIST_OFFSETS:
		on_list_offsets(r, &m->u.list_offsets);
		break;
	case IPC_CAMPAIGN:
	case IPC_TRANSFER:
		log_debug("ipc %d ignored: a single replica always leads", m->type);
		break;
	default:
		log_warn("ignoring ipc message of type %d, not meant for a worker", m->type);
		break;
	}
}

static void on_closed(void *ctx)
{
	struct replica *r = ctx;
	log_info("supervisor gone, exiting");
	replica_stop(r, 0);
}

/* mkdir -p: the supervisor's data directory may not exist yet either. */
static int make_dirs(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(tmp))
		return ERR_INVALID;
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char c = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
			log_error("cannot create %s: %s", tmp, strerror(errno));
			return ERR_IO;
		}
		tmp[i] = c;
	}
	return 0;
}

int replica_init(struct replica *r, struct event_base *base, const struct worker_args *a)
{
	memset(r, 0, sizeof(*r));
	r->base = base;
	r->args = a;
	r->sent.role = -1;
	fetch_wait_init(&r->fw, base, answer_parked, r);

	int rc = make_dirs(a->dir);
	if (rc != 0)
		return rc;
	struct store_options so = {.map_size = (size_t)a->map_size_mb << 20, .sync = a->sync};
	rc = store_open(a->dir, &so, &r->store);
	if (rc != 0) {
		log_error("cannot open the store in %s: %s", a->dir, err_str(rc));
		return rc;
	}
	rc = solo_init(&r->solo, base, r->store, (uint64_t)a->node_id, on_committed, on_failed, r);
	if (rc != 0) {
		log_error("cannot start the term: %s", err_str(rc));
		return rc;
	}
	struct partition_config pc = {.max_message_bytes = a->max_message_bytes,
				      .retention_ms = a->retention_ms,
				      .retention_bytes = a->retention_bytes};
	rc = partition_open(&r->part, r->store, &pc, r->solo.commit_index);
	if (rc != 0) {
		log_error("cannot recover the partition: %s", err_str(rc));
		return rc;
	}
	rc = uplink_init(&r->up, base, a->ipc_fd, on_msg, on_closed, r);
	if (rc != 0)
		return rc;
	r->tick = event_new(base, -1, EV_PERSIST, tick_cb, r);
	if (r->tick == NULL)
		return ERR_NOMEM;
	struct timeval sec = {1, 0};
	event_add(r->tick, &sec);
	log_info("leader of term %llu: offsets %lld..%lld, log index %llu..%llu",
		 (unsigned long long)r->solo.term, (long long)r->part.log_start_offset,
		 (long long)r->part.high_watermark, (unsigned long long)store_first_index(r->store),
		 (unsigned long long)store_last_index(r->store));
	send_status(r, true);
	return 0;
}

void replica_close(struct replica *r)
{
	if (r->store && r->solo.flush)
		solo_flush(&r->solo);
	fetch_wait_close(&r->fw);
	if (r->tick)
		event_free(r->tick);
	r->tick = NULL;
	if (r->up.bev)
		uplink_close(&r->up);
	if (r->solo.flush)
		solo_close(&r->solo);
	store_close(r->store);
	r->store = NULL;
	free(r->pend);
	r->pend = NULL;
}
