/* replica.c - request handling of one partition replica (see replica.h). */
#include "replica.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/catalog.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/hello.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "worker/quiet.h"
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

static enum raft_role role(const struct replica *r) { return raft_role(&r->drv.raft); }
static uint64_t term(const struct replica *r) { return raft_term(&r->drv.raft); }

/* --- status ------------------------------------------------------------- */

static int8_t ipc_role(enum raft_role rr)
{
	switch (rr) {
	case RAFT_LEADER:
		return IPC_ROLE_LEADER;
	case RAFT_CANDIDATE:
		return IPC_ROLE_CANDIDATE;
	case RAFT_LEARNER:
		return IPC_ROLE_LEARNER;
	default:
		return IPC_ROLE_FOLLOWER; /* a pre-candidate has not left its term */
	}
}

static void send_status(struct replica *r, bool always)
{
	if (!r->drv_up)
		return;
	struct raft_counters c;
	raft_get_counters(&r->drv.raft, &c);
	uint64_t leader = raft_leader(&r->drv.raft);
	struct ipc_status st = {
	    .role = ipc_role(role(r)),
	    .term = term(r),
	    .leader_node = leader ? (int32_t)leader : -1,
	    .commit_index = r->is_ctl ? r->ctl.csm.cat.version : r->part.commit_index,
	    .high_watermark = r->part.high_watermark,
	    .log_start_offset = r->part.log_start_offset,
	    .elections = c.elections,
	    .leader_changes = c.leader_changes,
	    .lower_term_messages = c.lower_term_msgs,
	    .commit_offset = r->part.high_watermark,
	    .log_checksum = r->part.log_checksum,
	    .last_index = raft_last_index(&r->drv.raft),
	    .match_lag = raft_driver_match_lag(&r->drv),
	    .caught_up = raft_driver_caught_up(&r->drv),
	    .quiesced = raft_driver_quiesced(&r->drv),
	};
	/* Going quiet is a change: the status then carries the group's final
	 * state (high watermark, commit) until the next keep-alive. */
	bool changed = st.role != r->sent.role || st.term != r->sent.term ||
		       st.leader_node != r->sent.leader_node ||
		       st.log_start_offset != r->sent.log_start_offset ||
		       st.caught_up != r->sent.caught_up || st.quiesced != r->sent.quiesced;
	if (!always && !changed)
		return;
	/* Only for a status that goes out: two reads of LMDB's meta pages. A
	 * failure (not expected on an open environment) reports zeros. */
	if (store_usage(r->store, &st.storage_used_bytes, &st.storage_map_bytes) != 0)
		st.storage_used_bytes = st.storage_map_bytes = 0;
	struct ipc_msg m = {.type = IPC_STATUS, .u.status = st};
	send_msg(r, &m);
	r->sent = st;
}

/* The status and retention timer: every second while the group is awake
 * or a request waits here (a parked fetch, a produce before its commit:
 * the supervisor takes a worker that owes an answer and says nothing for
 * partition_timeout_ms for stalled), every IPC_STATUS_QUIET_MS otherwise
 * (nothing changes then but retention, which can wait that long).
 * on_changed and a parked fetch bring it back to the second. */
static void arm_status_timer(struct replica *r)
{
	r->status_slow =
	    raft_driver_quiesced(&r->drv) && r->fw.n == 0 && r->durable.n == 0 && r->commit.n == 0;
	int ms = r->status_slow ? IPC_STATUS_QUIET_MS : 1000;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(r->tick, &tv);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct replica *r = arg;
	arm_status_timer(r);
	/* Retention compacts in its own transaction; the Raft driver's
	 * batches open and close within one callback, so none is open here. */
	if (!r->is_ctl &&
	    (r->part.cfg.retention_ms >= 0 || r->part.cfg.retention_bytes >= 0 ||
	     r->part.delete_pending) &&
	    !store_in_txn(r->store)) {
		bool changed = false;
		int rc = partition_retain(&r->part, clock_wall_ms(), &changed);
		if (rc != 0)
			log_warn("retention failed: %s", err_str(rc));
		else if (changed && r->part.log_start_offset != r->sent.log_start_offset)
			log_info("retention: log start offset is now %lld",
				 (long long)r->part.log_start_offset);
	}
	send_status(r, true);
	if (r->coord_up)
		coordinator_status(&r->coord);
}

static void dels_pop(struct replica *r, uint64_t upto, int16_t err, int64_t now);

/* --- produce ------------------------------------------------------------ */

static void produce_answer_at(struct replica *r, uint64_t req_id, int16_t err, int64_t base,
			      int64_t append_time)
{
	struct ipc_msg m = {.type = IPC_PRODUCE_RESULT};
	m.u.produce_result = (struct ipc_produce_result){
	    .req_id = req_id,
	    .error = err,
	    .base_offset = err == KERR_NONE ? base : -1,
	    .log_append_time = err == KERR_NONE ? append_time : -1,
	    .log_start_offset = r->part.log_start_offset,
	};
	send_msg(r, &m);
}

static void produce_answer(struct replica *r, uint64_t req_id, int16_t err, int64_t base)
{
	produce_answer_at(r, req_id, err, base, -1);
}

static int pend_push(struct pend_queue *q, const struct pending_produce *p)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		struct pending_produce *n = realloc(q->v, cap * sizeof(*n));
		if (n == NULL)
			return ERR_NOMEM;
		q->v = n;
		q->cap = cap;
	}
	q->v[q->n++] = *p;
	return 0;
}

/* Answers (with err, or success) and drops the requests whose entry index
 * is at most upto. */
static void pend_pop(struct replica *r, struct pend_queue *q, uint64_t upto, int16_t err)
{
	size_t done = 0;
	while (done < q->n && q->v[done].index <= upto) {
		const struct pending_produce *p = &q->v[done++];
		if (!p->answered)
			produce_answer_at(r, p->req_id, err, p->base_offset, p->append_time);
	}
	if (done == 0)
		return;
	memmove(q->v, q->v + done, (q->n - done) * sizeof(*q->v));
	q->n -= done;
}

/* A duplicate waits for its original's entry, which may precede requests
 * already queued: insert it in index order so pend_pop answers it when that
 * entry is done. */
static int pend_insert(struct pend_queue *q, const struct pending_produce *p)
{
	int rc = pend_push(q, p);
	if (rc != 0)
		return rc;
	size_t i = q->n - 1;
	while (i > 0 && q->v[i - 1].index > p->index) {
		q->v[i] = q->v[i - 1];
		i--;
	}
	q->v[i] = *p;
	return 0;
}

static void pend_fail_all(struct replica *r, int16_t err)
{
	pend_pop(r, &r->durable, UINT64_MAX, err);
	pend_pop(r, &r->commit, UINT64_MAX, err);
}

/* Kafka's REQUEST_TIMED_OUT for acks=-1 requests not committed in time; the
 * entry may still commit later (the producer may then see a duplicate). */
static void pend_expire(struct replica *r, int64_t now)
{
	for (size_t i = 0; i < r->commit.n; i++) {
		struct pending_produce *p = &r->commit.v[i];
		if (!p->answered && p->deadline_ms <= now) {
			produce_answer(r, p->req_id, KERR_REQUEST_TIMED_OUT, -1);
			p->answered = true;
		}
	}
}

/* The idempotence check of a produce request on a leader that can propose.
 * Answers the request itself (and returns its error, or KERR_NONE with
 * v->duplicate set) when it must not be appended: a fenced epoch, a
 * sequence out of order, or a duplicate, whose answer is its original's
 * offset, now if committed, else once its entry commits. */
static int16_t idem_check_produce(struct replica *r, struct ipc_produce *pr, struct idem_verdict *v)
{
	v->duplicate = false;
	if (!idem_leading(&r->idem, term(r))) {
		/* First proposal of this term (or after a failed write): the
		 * store holds the whole log once the pending Ready is handled. */
		raft_driver_flush(&r->drv);
		if (!raft_driver_can_propose(&r->drv)) {
			produce_answer(r, pr->req_id, KERR_NOT_LEADER_OR_FOLLOWER, -1);
			return KERR_NOT_LEADER_OR_FOLLOWER;
		}
		if (idem_lead(&r->idem, r->store, r->part.commit_index, term(r)) != 0) {
			produce_answer(r, pr->req_id, KERR_KAFKA_STORAGE_ERROR, -1);
			return KERR_KAFKA_STORAGE_ERROR;
		}
	}
	int16_t k = idem_check(&r->idem, pr->records, pr->records_len, v);
	if (k != KERR_NONE) {
		log_debug("produce %llu rejected: %s", (unsigned long long)pr->req_id,
			  kerr_name(k));
		produce_answer(r, pr->req_id, k, -1);
		return k;
	}
	if (!v->duplicate)
		return KERR_NONE;
	log_debug("produce %llu duplicates the batch at offset %lld (entry %llu)",
		  (unsigned long long)pr->req_id, (long long)v->base_offset,
		  (unsigned long long)v->index);
	if (v->index <= r->part.commit_index) {
		produce_answer(r, pr->req_id, KERR_NONE, v->base_offset);
		return KERR_NONE;
	}
	struct pending_produce p = {.req_id = pr->req_id,
				    .index = v->index,
				    .base_offset = v->base_offset,
				    .append_time = -1,
				    .deadline_ms = INT64_MAX};
	if (pr->timeout_ms > 0)
		p.deadline_ms = transport_now_ms() + pr->timeout_ms;
	if (pend_insert(&r->commit, &p) != 0)
		produce_answer(r, pr->req_id, KERR_UNKNOWN_SERVER_ERROR, -1);
	return KERR_NONE;
}

static void on_produce(struct replica *r, struct ipc_produce *pr)
{
	/* A new leader learns its next offset once the Ready that made it
	 * leader is on disk; do that now rather than refuse. */
	if (role(r) == RAFT_LEADER && !raft_driver_can_propose(&r->drv) && !r->drv.stuck)
		raft_driver_flush(&r->drv);
	if (r->drv.stuck || r->drv.dead) {
		produce_answer(r, pr->req_id, KERR_KAFKA_STORAGE_ERROR, -1);
		return;
	}
	if (!raft_driver_can_propose(&r->drv)) {
		produce_answer(r, pr->req_id, KERR_NOT_LEADER_OR_FOLLOWER, -1);
		return;
	}
	int64_t base, next;
	/* The records live in the uplink's frame buffer, which we may modify
	 * (uplink.h): offsets and the leader epoch are written in place. */
	uint8_t *records = (uint8_t *)pr->records;
	/* Every batch is validated whole (CRC, records) before the
	 * idempotence check reads its header: a corrupt retry of a batch must
	 * get CORRUPT_MESSAGE, not the original's offset. */
	int16_t k = partition_validate(&r->part, records, pr->records_len);
	if (k != KERR_NONE) {
		log_debug("produce %llu rejected: %s", (unsigned long long)pr->req_id,
			  kerr_name(k));
		produce_answer(r, pr->req_id, k, -1);
		return;
	}
	struct idem_verdict v;
	k = idem_check_produce(r, pr, &v);
	if (k != KERR_NONE || v.duplicate)
		return;
	partition_assign(&r->part, records, pr->records_len, (int32_t)term(r), &base, &next);
	int64_t append_time = -1;
	if (r->part.cfg.log_append_time) {
		append_time = clock_wall_ms();
		partition_stamp_append_time(records, pr->records_len, append_time);
	}
	uint64_t index;
	int rc = raft_driver_propose(&r->drv, records, pr->records_len, &index);
	if (rc != 0) {
		produce_answer(r, pr->req_id, kerr_from_err(rc, KERR_CTX_APPEND), -1);
		return;
	}
	idem_record(&r->idem, records, pr->records_len, index);
	struct pending_produce p = {.req_id = pr->req_id,
				    .index = index,
				    .base_offset = base,
				    .append_time = append_time,
				    .deadline_ms = INT64_MAX};
	if (pr->acks == -1 && pr->timeout_ms > 0)
		p.deadline_ms = transport_now_ms() + pr->timeout_ms;
	if (pend_push(pr->acks == -1 ? &r->commit : &r->durable, &p) != 0) {
		/* The entry still commits; only its answer is lost, so the
		 * producer retries: at-least-once, never a reused offset. */
		log_error("out of memory tracking produce %llu", (unsigned long long)pr->req_id);
		produce_answer(r, pr->req_id, KERR_UNKNOWN_SERVER_ERROR, -1);
	}
}

/* --- Raft driver callbacks ------------------------------------------------ */

static void on_persisted(void *ctx, uint64_t last)
{
	struct replica *r = ctx;
	pend_pop(r, &r->durable, last, KERR_NONE);
	send_status(r, false);
}

static void on_applied(void *ctx, uint64_t index, size_t bytes)
{
	struct replica *r = ctx;
	if (r->is_ctl) {
		controller_push(&r->ctl, false);
		send_status(r, false);
		return;
	}
	pend_pop(r, &r->commit, index, KERR_NONE);
	dels_pop(r, index, KERR_NONE, INT64_MIN);
	if (bytes > 0)
		fetch_wait_notify(&r->fw, bytes);
	if (r->coord_up)
		coordinator_applied(&r->coord, index);
	send_status(r, false);
}

static void on_changed(void *ctx)
{
	struct replica *r = ctx;
	bool leader = role(r) == RAFT_LEADER;
	if (r->lead.was_leader && !leader) {
		/* Whatever the new leader keeps, we cannot tell these producers
		 * when it commits: they retry against it. */
		pend_fail_all(r, KERR_NOT_LEADER_OR_FOLLOWER);
		dels_pop(r, UINT64_MAX, KERR_NOT_LEADER_OR_FOLLOWER, INT64_MIN);
		fetch_wait_flush_all(&r->fw);
	}
	if (r->is_ctl)
		controller_on_changed(&r->ctl, leader);
	leadership_on_change(&r->lead, transport_now_ms());
	if (r->coord_up)
		coordinator_changed(&r->coord, leader);
	/* Awake again: the status cadence speeds up now (arm_status_timer).
	 * Going quiet waits for the pending one-second tick to re-arm the
	 * slow one: re-arming here at every change would push the next tick
	 * (and retention with it) out for as long as the group flaps. */
	if (r->tick && r->status_slow && !raft_driver_quiesced(&r->drv))
		arm_status_timer(r);
	send_status(r, false);
}

static void on_failed(void *ctx, int err)
{
	struct replica *r = ctx;
	/* Retriable for the producer whatever the cause. The entries of the
	 * failed group may still land if a retry succeeds. */
	pend_fail_all(r, KERR_KAFKA_STORAGE_ERROR);
	dels_pop(r, UINT64_MAX, KERR_KAFKA_STORAGE_ERROR, INT64_MIN);
	if (err == ERR_NOSPACE) {
		/* A leader that can persist nothing can commit nothing: it
		 * steps down and says so, and the other replicas' supervisors
		 * have one of them campaign at once (fast failover). */
		uint64_t led = raft_driver_resign(&r->drv);
		if (led != 0) {
			/* The new role's status went out with the change
			 * (on_changed). */
			struct ipc_msg m = {.type = IPC_RESIGNED, .u.resigned = {.term = led}};
			send_msg(r, &m);
		}
	} else {
		/* After a failed commit or fsync what reached the disk is
		 * unknown; a restart reopens the store from what is there. */
		log_error("storage failed (%s); stopping so the supervisor restarts us",
			  err_str(err));
		replica_stop(r, 1);
	}
}

static void on_raft_tick(void *ctx)
{
	struct replica *r = ctx;
	int64_t now = transport_now_ms();
	pend_expire(r, now);
	dels_pop(r, 0, KERR_NONE, now);
	leadership_on_tick(&r->lead, now);
	if (r->coord_up)
		coordinator_tick(&r->coord);
	quiet_on_tick(&r->quiet);
}

static void send_peer_msg(void *ctx, const struct raft_message *m)
{
	struct replica *r = ctx;
	if (r->tp_up)
		transport_send(&r->tp, m);
}

static void push_peer_msgs(void *ctx)
{
	struct replica *r = ctx;
	if (r->tp_up)
		transport_push(&r->tp);
}

static void on_peer_msg(void *ctx, int32_t from, const struct raft_message *m)
{
	struct replica *r = ctx;
	if (!r->drv_up)
		return;
	leadership_on_message(&r->lead, from, m, transport_now_ms());
	raft_driver_step(&r->drv, m);
}

static void on_peer_link(void *ctx, int32_t node)
{
	struct replica *r = ctx;
	if (!r->drv_up)
		return;
	raft_driver_peer_connected(&r->drv, node);
	leadership_on_link(&r->lead, transport_now_ms());
}

/* --- fetch and list offsets --------------------------------------------- */

/* Kafka's leader epoch fencing: a client ahead of us knows a newer leader,
 * one behind us must refresh its metadata. -1 = the client does not say. */
static int16_t epoch_check(const struct replica *r, int32_t epoch)
{
	if (role(r) != RAFT_LEADER)
		return KERR_NOT_LEADER_OR_FOLLOWER;
	if (epoch < 0)
		return KERR_NONE;
	if ((uint64_t)epoch > term(r))
		return KERR_UNKNOWN_LEADER_EPOCH;
	if ((uint64_t)epoch < term(r))
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
	if (k == KERR_NONE) {
		struct partition_fetch_req q = {f->offset, f->max_bytes, emit_evbuffer, body};
		struct partition_fetch_res res = {0};
		sm_read(&r->sm, PARTITION_READ_FETCH, &q, &res);
		k = res.error;
		n = res.bytes;
	}
	if (k == KERR_NONE && may_park && f->max_wait_ms > 0 && f->min_bytes > 0 &&
	    n < (size_t)f->min_bytes && fetch_wait_park(&r->fw, f, n) == 0) {
		evbuffer_free(body);
		if (r->status_slow)
			arm_status_timer(r); /* it owes an answer: status every second */
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
	if (k == KERR_NONE) {
		struct partition_list_req q = {.timestamp = lo->timestamp};
		struct partition_list_res res = {0};
		sm_read(&r->sm, PARTITION_READ_LIST_OFFSETS, &q, &res);
		k = res.error;
		off = res.offset;
		ts = res.timestamp;
	}
	struct ipc_msg m = {.type = IPC_LIST_OFFSETS_RESULT};
	m.u.list_offsets_result = (struct ipc_list_offsets_result){
	    .req_id = lo->req_id,
	    .error = k,
	    .timestamp = ts,
	    .offset = off,
	    .leader_epoch = (int32_t)term(r),
	};
	send_msg(r, &m);
}

static void on_epoch_end(struct replica *r, const struct ipc_epoch_end *q)
{
	struct partition_epoch_res res = {.epoch = -1, .end_offset = -1};
	res.error = epoch_check(r, q->current_leader_epoch);
	if (res.error == KERR_NONE) {
		struct partition_epoch_req rq = {.epoch = q->leader_epoch, .current_term = term(r)};
		sm_read(&r->sm, PARTITION_READ_EPOCH_END, &rq, &res);
	}
	struct ipc_msg m = {.type = IPC_EPOCH_END_RESULT};
	m.u.epoch_end_result = (struct ipc_epoch_end_result){
	    .req_id = q->req_id,
	    .error = res.error,
	    .leader_epoch = res.error == KERR_NONE ? res.epoch : -1,
	    .end_offset = res.error == KERR_NONE ? res.end_offset : -1,
	};
	send_msg(r, &m);
}

static void on_producers(struct replica *r, const struct ipc_producers *q)
{
	struct buf out;
	buf_init(&out);
	struct partition_producers_res res = {0};
	res.error = epoch_check(r, -1);
	if (res.error == KERR_NONE) {
		struct partition_producers_req rq = {.out = &out};
		sm_read(&r->sm, PARTITION_READ_PRODUCERS, &rq, &res);
	}
	struct ipc_msg m = {.type = IPC_PRODUCERS_RESULT};
	m.u.producers_result = (struct ipc_producers_result){
	    .req_id = q->req_id,
	    .error = res.error,
	    .producers = res.error == KERR_NONE ? out.data : NULL,
	    .producers_len = res.error == KERR_NONE ? (uint32_t)out.len : 0,
	};
	send_msg(r, &m);
	buf_free(&out);
}

/* --- DeleteRecords -------------------------------------------------------- */

static void delete_answer(struct replica *r, uint64_t req_id, int16_t err)
{
	struct ipc_msg m = {.type = IPC_DELETE_RECORDS_RESULT};
	m.u.delete_records_result = (struct ipc_delete_records_result){
	    .req_id = req_id,
	    .error = err,
	    .low_watermark = err == KERR_NONE ? r->part.log_start_offset : -1,
	};
	send_msg(r, &m);
}

/* Answers (err, or success with the log start now) the deletes whose
 * command index is at most upto, and those past their deadline with
 * REQUEST_TIMED_OUT (their command may still commit later). */
static void dels_pop(struct replica *r, uint64_t upto, int16_t err, int64_t now)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->n_dels; i++) {
		struct pending_delete *d = &r->dels[i];
		if (d->index <= upto)
			delete_answer(r, d->req_id, err);
		else if (d->deadline_ms <= now)
			delete_answer(r, d->req_id, KERR_REQUEST_TIMED_OUT);
		else
			r->dels[kept++] = *d;
	}
	r->n_dels = kept;
}

/* DeleteRecords on the leader: an offset at or below the log start is
 * answered at once; otherwise a delete command goes through Raft and the
 * answer waits until it is applied here (every replica applies it). */
static void on_delete_records(struct replica *r, const struct ipc_delete_records *q)
{
	int16_t k = epoch_check(r, -1);
	if (k == KERR_NONE && !raft_driver_can_propose(&r->drv))
		k = KERR_NOT_LEADER_OR_FOLLOWER;
	int64_t off = q->offset;
	if (k == KERR_NONE)
		k = partition_delete_check(&r->part, &off);
	if (k != KERR_NONE || off <= r->part.log_start_offset) {
		delete_answer(r, q->req_id, k);
		return;
	}
	if (r->n_dels == r->cap_dels) {
		size_t cap = r->cap_dels ? 2 * r->cap_dels : 16;
		struct pending_delete *n = realloc(r->dels, cap * sizeof(*n));
		if (n == NULL) {
			delete_answer(r, q->req_id, KERR_UNKNOWN_SERVER_ERROR);
			return;
		}
		r->dels = n;
		r->cap_dels = cap;
	}
	uint8_t cmd[PARTITION_CMD_DELETE_LEN];
	partition_delete_command(off, cmd);
	uint64_t index = 0;
	int rc = raft_driver_propose_command(&r->drv, cmd, sizeof(cmd), &index);
	if (rc != 0) {
		delete_answer(r, q->req_id,
			      rc == ERR_NOTLEADER ? KERR_NOT_LEADER_OR_FOLLOWER
						  : KERR_KAFKA_STORAGE_ERROR);
		return;
	}
	int64_t timeout = q->timeout_ms > 0 ? q->timeout_ms : 30000;
	r->dels[r->n_dels++] = (struct pending_delete){
	    .req_id = q->req_id, .index = index, .deadline_ms = transport_now_ms() + timeout};
	log_info("DeleteRecords: proposed log start %lld at index %llu", (long long)off,
		 (unsigned long long)index);
}

/* --- dispatch ----------------------------------------------------------- */

static void on_msg(void *ctx, struct ipc_msg *m)
{
	struct replica *r = ctx;
	if (r->is_ctl && m->type != IPC_CTL_PROPOSE && m->type != IPC_CAMPAIGN &&
	    m->type != IPC_TRANSFER && m->type != IPC_CONFIG) {
		log_warn("ignoring ipc message of type %d: this worker holds the catalog", m->type);
		return;
	}
	switch (m->type) {
	case IPC_CTL_PROPOSE:
		if (r->is_ctl)
			controller_propose(&r->ctl, &m->u.ctl_propose);
		break;
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
	case IPC_EPOCH_END:
		on_epoch_end(r, &m->u.epoch_end);
		break;
	case IPC_PRODUCERS:
		on_producers(r, &m->u.producers);
		break;
	case IPC_DELETE_RECORDS:
		on_delete_records(r, &m->u.delete_records);
		break;
	case IPC_GROUP:
		if (r->coord_up)
			coordinator_request(&r->coord, &m->u.group);
		else
			log_warn("group request for %s, which runs no coordinator", r->args->topic);
		break;
	case IPC_CAMPAIGN:
		leadership_campaign(&r->lead);
		break;
	case IPC_PROBE_LEADER:
		quiet_probe_leader(&r->quiet);
		break;
	case IPC_PEER_NODE:
		quiet_on_peer_node(&r->quiet, m->u.peer_node.node, m->u.peer_node.alive,
				   m->u.peer_node.crashed);
		break;
	case IPC_TRANSFER:
		leadership_transfer(&r->lead, m->u.transfer.target_node, transport_now_ms());
		break;
	case IPC_TOPIC_SETTINGS: {
		/* Read where used (retention on the tick, validation and
		 * stamping per produce): nothing else to redo. */
		const struct ipc_topic_settings *ts = &m->u.topic_settings;
		struct config_topic *t = &r->args->topic_cfg;
		t->retention_ms = ts->retention_ms;
		t->retention_bytes = ts->retention_bytes;
		t->max_message_bytes = ts->max_message_bytes;
		t->message_timestamp_type = ts->message_timestamp_type;
		r->part.cfg.retention_ms = ts->retention_ms;
		r->part.cfg.retention_bytes = ts->retention_bytes;
		r->part.cfg.max_message_bytes = ts->max_message_bytes;
		r->part.cfg.log_append_time =
		    ts->message_timestamp_type == CONFIG_TS_LOG_APPEND_TIME;
		log_info("topic settings now: retention_ms %lld, retention_bytes %lld, "
			 "max_message_bytes %d, %s",
			 (long long)ts->retention_ms, (long long)ts->retention_bytes,
			 (int)ts->max_message_bytes,
			 r->part.cfg.log_append_time ? "LogAppendTime" : "CreateTime");
		break;
	}
	case IPC_CONFIG:
		worker_args_apply_live(r->args, &m->u.config);
		/* The driver keeps its own copy of the live Raft settings. */
		r->drv.snapshot_threshold = r->args->cfg.raft.snapshot_threshold > 0
						? (uint64_t)r->args->cfg.raft.snapshot_threshold
						: 0;
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

static int start_raft(struct replica *r, const struct worker_args *a)
{
	r->n_voters = worker_args_voters(a, r->voters);
	if (a->n_peers > 0 || a->conn_fd >= 0) {
		char group[HELLO_GROUP_MAX];
		hello_group_name(group, sizeof(group), a->topic, a->partition);
		int silence = transport_silence_ms(a->cfg.raft.heartbeat_interval_ms,
						   a->cfg.raft.election_timeout_ms);
		struct transport_config tc = {.cluster = a->cfg.cluster_name,
					      .self = a->cfg.node.id,
					      .group = group,
					      .peers = a->peers,
					      .n_peers = a->n_peers,
					      .conn_fd = a->conn_fd,
					      .silence_ms = silence,
					      /* short enough that a redial lands soon after
					       * a network heals (see transport.h) */
					      .handshake_ms = silence,
					      .user_timeout_ms = a->cfg.raft.election_timeout_ms,
					      .on_link = on_peer_link};
		int rc = transport_init(&r->tp, r->base, &tc, on_peer_msg, r);
		r->tp_up = true;
		if (rc != 0)
			return rc;
	}
	uint64_t now_ns = (uint64_t)clock_wall_ns();
	struct raft_driver_config dc = {
	    .self = a->cfg.node.id,
	    .voters = r->voters,
	    .n_voters = r->n_voters,
	    .learners = a->learners,
	    .n_learners = a->n_learners,
	    .tick_ms = a->cfg.raft.heartbeat_interval_ms,
	    .election_ticks = a->cfg.raft.election_timeout_ms / a->cfg.raft.heartbeat_interval_ms,
	    .max_msg_entries = (size_t)a->cfg.raft.max_entries_per_batch,
	    .seed = now_ns ^ (now_ns << 20) ^ ((uint64_t)getpid() << 40),
	    .snapshot_threshold =
		a->cfg.raft.snapshot_threshold > 0 ? (uint64_t)a->cfg.raft.snapshot_threshold : 0,
	    .quiesce = true,
	};
	struct raft_driver_callbacks cb = {.ctx = r,
					   .persisted = on_persisted,
					   .applied = on_applied,
					   .changed = on_changed,
					   .failed = on_failed,
					   .tick = on_raft_tick,
					   .send = send_peer_msg,
					   .push = push_peer_msgs};
	/* Before the driver: its init reports the first state to on_changed. */
	int64_t now = transport_now_ms();
	leadership_init(&r->lead, &r->drv, r->tp_up ? &r->tp : NULL, a->cfg.node.id, r->voters,
			r->n_voters, a->cfg.raft.heartbeat_interval_ms,
			a->cfg.raft.election_timeout_ms, now);
	quiet_init(&r->quiet, &r->lead);
	r->quiet.leader_stays_awake = r->coord_up;
	int rc = raft_driver_init(&r->drv, r->base, &dc, &r->slog.log, &r->sm, &cb);
	if (rc != 0) {
		log_error("cannot start Raft: %s", err_str(rc));
		return rc;
	}
	r->drv_up = true;
	rc = quiet_start(&r->quiet);
	if (rc != 0)
		return rc;
	if (r->n_voters == 1 && r->voters[0] == a->cfg.node.id) {
		/* Its own majority: leader of a new term before the first status,
		 * as every restart of a single replica is a new leader epoch. */
		leadership_on_tick(&r->lead, now);
		raft_driver_flush(&r->drv);
	} else {
		/* Links that came up inside transport_init (connections the
		 * supervisor handed over) were reported before the driver
		 * was: a brand-new group checks for its majority now. */
		leadership_on_link(&r->lead, now);
	}
	return 0;
}

static int start_tick(struct replica *r)
{
	r->tick = event_new(r->base, -1, EV_PERSIST, tick_cb, r);
	if (r->tick == NULL)
		return ERR_NOMEM;
	struct timeval sec = {1, 0};
	event_add(r->tick, &sec);
	return 0;
}

/* The rest of replica_init for `__controller`: the catalog instead of the
 * partition, no offsets index. */
static int ctl_init(struct replica *r, struct event_base *base, struct worker_args *a)
{
	r->is_ctl = true;
	int rc = controller_open(&r->ctl, r->store, &r->up);
	if (rc != 0) {
		log_error("cannot load the catalog: %s", err_str(rc));
		return rc;
	}
	r->ctl_up = true;
	r->sm = controller_sm_of(&r->ctl);
	store_log_init(&r->slog, r->store);
	r->slog_up = true;
	rc = uplink_init(&r->up, base, a->ipc_fd, on_msg, on_closed, r);
	if (rc == 0)
		rc = start_raft(r, a);
	if (rc == 0)
		rc = start_tick(r);
	if (rc != 0)
		return rc;
	r->ctl.drv = &r->drv;
	log_info("controller: %s of term %llu with %d voter(s), catalog version %llu, %d topics",
		 raft_role_name(role(r)), (unsigned long long)term(r), r->n_voters,
		 (unsigned long long)r->ctl.csm.cat.version, r->ctl.csm.cat.n_topics);
	send_status(r, true);
	controller_push(&r->ctl, true);
	return 0;
}

int replica_init(struct replica *r, struct event_base *base, struct worker_args *a)
{
	memset(r, 0, sizeof(*r));
	r->base = base;
	r->args = a;
	r->sent.role = -1;
	fetch_wait_init(&r->fw, base, answer_parked, r);

	int rc = make_dirs(a->dir);
	if (rc != 0)
		return rc;
	bool catalog = strcmp(a->topic, CATALOG_TOPIC) == 0;
	struct store_options so = {.map_size = (size_t)a->cfg.storage.map_size_mb << 20,
				   .sync = a->cfg.storage.sync == CONFIG_SYNC_ALWAYS,
				   .key = catalog ? NULL : partition_entry_key};
	rc = store_open(a->dir, &so, &r->store);
	if (rc != 0) {
		log_error("cannot open the store in %s: %s", a->dir, err_str(rc));
		return rc;
	}
	if (catalog)
		return ctl_init(r, base, a);
	struct partition_config pc = {.max_message_bytes = a->topic_cfg.max_message_bytes,
				      .retention_ms = a->topic_cfg.retention_ms,
				      .retention_bytes = a->topic_cfg.retention_bytes,
				      .log_append_time = a->topic_cfg.message_timestamp_type ==
							 CONFIG_TS_LOG_APPEND_TIME};
	rc = partition_recover(&r->part, r->store, &pc);
	if (rc != 0) {
		log_error("cannot recover the partition: %s", err_str(rc));
		return rc;
	}
	/* The committed producer state, before the driver applies the
	 * entries committed after the saved apply state. */
	idem_init(&r->idem, 0, 0);
	r->idem_up = true;
	rc = idem_load(&r->idem, r->store, r->part.commit_index);
	if (rc != 0)
		return rc;
	/* What the Raft driver sees: the store as its log, the partition
	 * and its producers as its state machine. */
	r->sm = partition_sm_init(&r->psm, &r->part, &r->idem);
	store_log_init(&r->slog, r->store);
	r->slog_up = true;
	if (coordinator_topic(a->topic)) {
		/* Wraps r->sm: every applied entry also reaches the groups. */
		rc = coordinator_init(&r->coord, r, &r->sm);
		r->coord_up = true;
		if (rc != 0)
			return rc;
	}
	rc = uplink_init(&r->up, base, a->ipc_fd, on_msg, on_closed, r);
	if (rc != 0)
		return rc;
	rc = start_raft(r, a);
	if (rc != 0)
		return rc;
	r->tick = evtimer_new(base, tick_cb, r);
	if (r->tick == NULL)
		return ERR_NOMEM;
	arm_status_timer(r);
	log_info("%s of term %llu with %d voter(s) and %d learner(s): offsets %lld..%lld, log "
		 "index %llu..%llu",
		 raft_role_name(role(r)), (unsigned long long)term(r), r->n_voters, a->n_learners,
		 (long long)r->part.log_start_offset, (long long)r->part.high_watermark,
		 (unsigned long long)store_first_index(r->store),
		 (unsigned long long)store_last_index(r->store));
	send_status(r, true);
	return 0;
}

void replica_close(struct replica *r)
{
	quiet_close(&r->quiet);
	if (r->drv_up)
		raft_driver_close(&r->drv);
	r->drv_up = false;
	if (r->coord_up)
		coordinator_close(&r->coord);
	r->coord_up = false;
	fetch_wait_close(&r->fw);
	if (r->tick)
		event_free(r->tick);
	r->tick = NULL;
	if (r->tp_up)
		transport_close(&r->tp);
	r->tp_up = false;
	if (r->up.bev)
		uplink_close(&r->up);
	if (r->slog_up)
		store_log_close(&r->slog);
	r->slog_up = false;
	if (r->ctl_up)
		controller_close(&r->ctl);
	r->ctl_up = false;
	store_close(r->store);
	r->store = NULL;
	if (r->idem_up)
		idem_close(&r->idem);
	r->idem_up = false;
	free(r->durable.v);
	free(r->commit.v);
	free(r->dels);
	r->dels = NULL;
	r->n_dels = r->cap_dels = 0;
	r->durable = (struct pend_queue){0};
	r->commit = (struct pend_queue){0};
}
