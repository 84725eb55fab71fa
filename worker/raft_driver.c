/* raft_driver.c - the Raft core on libevent, persisting to the store with
 * group commit and applying to the partition (see raft_driver.h). */
#include "raft_driver.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/record_batch.h"
#include "worker/store.h"

/* Ready batches handled per event run; more are left for the next run so
 * one busy group cannot starve the loop (committed entries come at most
 * RLOG_MAX_APPLY_ENTRIES per Ready). */
#define ROUNDS_PER_FLUSH 16

/* --- storage for the core ------------------------------------------------- */

static int st_initial(void *c, struct raft_hard_state *o)
{
	struct raft_driver *d = c;
	struct store_hard_state hs;
	store_hard_state(d->store, &hs);
	*o = (struct raft_hard_state){hs.term, hs.vote, hs.commit};
	return 0;
}

static int st_first(void *c, uint64_t *o)
{
	*o = store_first_index(((struct raft_driver *)c)->store);
	return 0;
}

static int st_last(void *c, uint64_t *o)
{
	*o = store_last_index(((struct raft_driver *)c)->store);
	return 0;
}

static int st_term(void *c, uint64_t i, uint64_t *o)
{
	return store_term(((struct raft_driver *)c)->store, i, o);
}

static int st_entries(void *c, uint64_t lo, uint64_t hi, size_t max_bytes, struct raft_entry *out,
		      size_t *n_out)
{
	struct raft_driver *d = c;
	struct store_entry *se = NULL;
	size_t n = 0;
	arena_reset(&d->arena);
	int rc = store_entries(d->store, lo, hi, max_bytes, &d->arena, &se, &n);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		out[i] = (struct raft_entry){se[i].index, se[i].term, se[i].kind, se[i].data, se[i].len};
	*n_out = n;
	return 0;
}

static int st_snapshot(void *c, struct raft_snapshot *o)
{
	struct raft_driver *d = c;
	struct store_log_start ls;
	store_log_start(d->store, &ls);
	partition_snapshot(d->part, d->snap);
	*o = (struct raft_snapshot){ls.index, ls.term, d->snap, sizeof(d->snap)};
	return 0;
}

/* --- the Ready loop ------------------------------------------------------- */

static int map_entries(struct raft_driver *d, const struct raft_ready *rd)
{
	if (rd->n_entries > d->sbuf_cap) {
		size_t cap = d->sbuf_cap ? d->sbuf_cap : 64;
		while (cap < rd->n_entries)
			cap *= 2;
		struct store_entry *n = realloc(d->sbuf, cap * sizeof(*n));
		if (n == NULL)
			return ERR_NOMEM;
		d->sbuf = n;
		d->sbuf_cap = cap;
	}
	for (size_t i = 0; i < rd->n_entries; i++) {
		const struct raft_entry *e = &rd->entries[i];
		int64_t base = -1;
		/* Each data entry gets its offsets row from its first batch,
		 * whose baseOffset the leader set before proposing. */
		if (e->kind == RAFT_ENTRY_NORMAL && e->data_len >= RB_HEADER_LEN)
			base = record_batch_base_offset(e->data);
		d->sbuf[i] = (struct store_entry){.index = e->index,
						  .term = e->term,
						  .kind = e->kind,
						  .base_offset = base,
						  .data = e->data,
						  .len = e->data_len};
	}
	return 0;
}

/* Writes what the Ready asks to persist in one transaction. A Ready with
 * only a new commit index writes nothing: losing it costs a little replay
 * after a restart, never safety. */
static int persist(struct raft_driver *d, const struct raft_ready *rd)
{
	if (!rd->must_sync && !rd->has_snapshot && rd->n_entries == 0)
		return 0;
	int rc = store_txn_begin(d->store);
	if (rc != 0)
		return rc;
	if (rd->has_snapshot)
		rc = partition_restore_store(d->part, rd->snapshot.index, rd->snapshot.term,
					     rd->snapshot.data, rd->snapshot.data_len);
	if (rc == 0 && rd->n_entries) {
		rc = map_entries(d, rd);
		if (rc == 0)
			rc = store_append(d->store, d->sbuf, rd->n_entries);
	}
	if (rc == 0) {
		struct store_hard_state hs = {rd->hard_state.term, rd->hard_state.vote,
					      rd->hard_state.commit};
		rc = store_set_hard_state(d->store, &hs);
	}
	if (rc == 0)
		rc = partition_save(d->part);
	if (rc != 0) {
		store_txn_abort(d->store);
		return rc;
	}
	rc = store_txn_commit(d->store);
	if (rc == 0) {
		d->stats.txns++;
		d->stats.entries += rd->n_entries;
	}
	return rc;
}

/* Everything after a successful persist: install, report durability, send,
 * apply, advance. */
static void after_persist(struct raft_driver *d)
{
	struct raft_ready *rd = &d->rd;
	if (rd->has_snapshot) {
		partition_restore(d->part, rd->snapshot.index, rd->snapshot.data,
				  rd->snapshot.data_len);
		log_info("installed the leader's log start: index %llu, offset %lld",
			 (unsigned long long)rd->snapshot.index,
			 (long long)d->part->log_start_offset);
	}
	uint64_t persisted = rd->n_entries ? rd->entries[rd->n_entries - 1].index : 0;
	for (size_t i = 0; i < rd->n_messages && d->cb.send; i++)
		d->cb.send(d->cb.ctx, &rd->messages[i]);
	size_t bytes = 0;
	uint64_t applied = 0;
	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		/* A malformed data entry is logged by the partition and counted
		 * as applied: every replica holds the same bytes, so skipping it
		 * keeps them in step. */
		partition_apply_entry(d->part, e->index, e->kind, e->data, e->data_len);
		bytes += e->data_len;
		applied = e->index;
	}
	raft_advance(&d->raft, rd);
	if (raft_role(&d->raft) == RAFT_LEADER && d->leader_ready_term != raft_term(&d->raft)) {
		/* Everything this leader holds is persisted now. */
		int rc = partition_reset_next(d->part);
		if (rc == 0)
			d->leader_ready_term = raft_term(&d->raft);
		else
			log_error("cannot find the end of the log: %s", err_str(rc));
	}
	if (persisted && d->cb.persisted)
		d->cb.persisted(d->cb.ctx, persisted);
	if (applied && d->cb.applied)
		d->cb.applied(d->cb.ctx, applied, bytes);
}

static void notice_changes(struct raft_driver *d)
{
	uint8_t role = (uint8_t)raft_role(&d->raft);
	uint64_t term = raft_term(&d->raft), leader = raft_leader(&d->raft);
	if (role == d->seen_role && term == d->seen_term && leader == d->seen_leader)
		return;
	if (role != d->seen_role || term != d->seen_term)
		log_info("%s in term %llu (leader %llu)", raft_role_name((enum raft_role)role),
			 (unsigned long long)term, (unsigned long long)leader);
	d->seen_role = role;
	d->seen_term = term;
	d->seen_leader = leader;
	if (d->cb.changed)
		d->cb.changed(d->cb.ctx);
}

static void persist_failed(struct raft_driver *d, int rc)
{
	d->stuck = true;
	/* The proposals in the failed Ready may still land when a retry
	 * succeeds: the next offset is recomputed then. */
	d->leader_ready_term = 0;
	if (rc == ERR_NOSPACE) {
		log_warn("the store is full: %zu entries wait, retrying every %d ms",
			 d->rd.n_entries, RAFT_DRIVER_RETRY_MS);
		/* Give the Ready back so the core can still tick (tick_cb);
		 * each retry takes a new one. */
		raft_unready(&d->raft);
		struct timeval tv = {0, RAFT_DRIVER_RETRY_MS * 1000};
		evtimer_add(d->retry_ev, &tv);
	} else {
		log_error("cannot persist the Raft state: %s", err_str(rc));
		d->dead = true;
	}
	if (d->cb.failed)
		d->cb.failed(d->cb.ctx, rc);
}

/* Handles one Ready already taken into d->rd. Returns 0 or the error that
 * left the driver stuck. */
static int handle(struct raft_driver *d)
{
	d->stats.readies++;
	int rc = persist(d, &d->rd);
	if (rc != 0) {
		persist_failed(d, rc);
		return rc;
	}
	after_persist(d);
	return 0;
}

void raft_driver_flush(struct raft_driver *d)
{
	if (d->stuck || d->dead || !d->raft_up)
		return;
	for (int round = 0; round < ROUNDS_PER_FLUSH && raft_has_ready(&d->raft); round++) {
		raft_ready(&d->raft, &d->rd);
		if (handle(d) != 0)
			break;
	}
	if (!d->stuck && raft_has_ready(&d->raft))
		event_active(d->flush_ev, 0, 0);
	notice_changes(d);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg) { raft_driver_flush(arg); }

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raft_driver *d = arg;
	if (!d->stuck || d->dead)
		return;
	if (!raft_has_ready(&d->raft)) {
		d->stuck = false; /* nothing waits any more */
		raft_driver_flush(d);
		return;
	}
	raft_ready(&d->raft, &d->rd);
	int rc = persist(d, &d->rd);
	if (rc == ERR_NOSPACE) {
		raft_unready(&d->raft);
		struct timeval tv = {0, RAFT_DRIVER_RETRY_MS * 1000};
		evtimer_add(d->retry_ev, &tv);
		return;
	}
	if (rc != 0) {
		persist_failed(d, rc);
		return;
	}
	log_info("the store has room again: %zu waiting entries persisted", d->rd.n_entries);
	d->stuck = false;
	after_persist(d);
	raft_driver_flush(d);
}

static void schedule(struct raft_driver *d) { event_active(d->flush_ev, 0, 0); }

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raft_driver *d = arg;
	if (d->dead)
		return;
	if (d->stuck) {
		/* A leader that cannot write sends nothing and hears nothing
		 * (raft_driver_step drops messages meanwhile), so the others
		 * elect a new leader; ticking lets check-quorum step it down
		 * too rather than claim leadership of its old term for as long
		 * as the disk stays full. Followers wait: a replica that cannot
		 * persist a vote must not campaign. */
		if (raft_role(&d->raft) == RAFT_LEADER) {
			raft_tick(&d->raft);
			notice_changes(d);
		}
		return;
	}
	raft_tick(&d->raft);
	schedule(d);
	if (d->cb.tick)
		d->cb.tick(d->cb.ctx);
}

/* --- API ------------------------------------------------------------------ */

int raft_driver_init(struct raft_driver *d, struct event_base *base,
		     const struct raft_driver_config *cfg, struct store *s, struct partition *p,
		     const struct raft_driver_callbacks *cb)
{
	memset(d, 0, sizeof(*d));
	d->base = base;
	d->store = s;
	d->part = p;
	d->cb = *cb;
	d->tick_ms = cfg->tick_ms;
	d->election_ticks = cfg->election_ticks;
	d->seen_role = 0xff;
	arena_init(&d->arena);
	if (cfg->n_voters < 1 || cfg->n_voters > RAFT_DRIVER_MAX_VOTERS ||
	    (cfg->n_voters > 1 && cb->send == NULL))
		return ERR_CONFIG;
	uint64_t voters[RAFT_DRIVER_MAX_VOTERS];
	for (int i = 0; i < cfg->n_voters; i++) {
		voters[i] = (uint64_t)cfg->voters[i];
		d->voters[i] = cfg->voters[i];
	}
	d->n_voters = cfg->n_voters;
	d->storage = (struct raft_storage){d,	       st_initial, st_first,   st_last,
					   st_term, st_entries, st_snapshot};
	struct raft_config rc = {
	    .id = (uint64_t)cfg->self,
	    .peers = voters,
	    .n_peers = (size_t)cfg->n_voters,
	    .election_ticks = cfg->election_ticks,
	    .heartbeat_ticks = 1,
	    .max_inflight_msgs = 64,
	    .max_msg_bytes = 1u << 20,
	    .max_msg_entries = cfg->max_msg_entries,
	    .max_inflight_bytes = 32u << 20,
	    .max_apply_bytes = 64u << 20,
	    .seed = cfg->seed,
	    .applied = p->commit_index,
	    .storage = &d->storage,
	    .pre_vote = true,
	    .check_quorum = true,
	};
	int err = raft_init(&d->raft, &rc);
	if (err != 0)
		return err;
	d->raft_up = true;
	d->flush_ev = event_new(base, -1, 0, flush_cb, d);
	d->retry_ev = evtimer_new(base, retry_cb, d);
	d->tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, d);
	if (d->flush_ev == NULL || d->retry_ev == NULL || d->tick_ev == NULL)
		return ERR_NOMEM;
	struct timeval tv = {.tv_sec = cfg->tick_ms / 1000, .tv_usec = (cfg->tick_ms % 1000) * 1000};
	event_add(d->tick_ev, &tv);
	notice_changes(d);
	return 0;
}

void raft_driver_close(struct raft_driver *d)
{
	if (d->raft_up && !d->stuck && !d->dead)
		raft_driver_flush(d);
	if (d->tick_ev)
		event_free(d->tick_ev);
	if (d->flush_ev)
		event_free(d->flush_ev);
	if (d->retry_ev)
		event_free(d->retry_ev);
	d->tick_ev = d->flush_ev = d->retry_ev = NULL;
	if (d->raft_up)
		raft_close(&d->raft);
	d->raft_up = false;
	free(d->sbuf);
	d->sbuf = NULL;
	arena_free(&d->arena);
}

void raft_driver_step(struct raft_driver *d, const struct raft_message *m)
{
	if (d->stuck || d->dead)
		return; /* a lost message, as far as Raft can tell */
	if ((m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT) &&
	    m->term >= raft_term(&d->raft) && m->commit > d->leader_commit_heard)
		d->leader_commit_heard = m->commit;
	int rc = raft_step(&d->raft, m);
	if (rc != 0 && rc != ERR_NOMEM)
		log_debug("raft: %s from %llu refused: %s", raft_msg_type_name(m->type),
			  (unsigned long long)m->from, err_str(rc));
	schedule(d);
}

bool raft_driver_can_propose(const struct raft_driver *d)
{
	return !d->stuck && !d->dead && raft_role(&d->raft) == RAFT_LEADER &&
	       raft_transferee(&d->raft) == 0 && d->leader_ready_term == raft_term(&d->raft);
}

int raft_driver_propose(struct raft_driver *d, const void *data, size_t len, uint64_t *index)
{
	if (d->dead)
		return ERR_IO;
	if (d->stuck)
		return ERR_NOSPACE;
	if (!raft_driver_can_propose(d))
		return ERR_NOTLEADER;
	int rc = raft_propose(&d->raft, data, len, index);
	if (rc == 0)
		schedule(d);
	return rc;
}

int raft_driver_campaign(struct raft_driver *d)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN;
	int rc = raft_campaign(&d->raft);
	schedule(d);
	return rc;
}

int raft_driver_transfer(struct raft_driver *d, uint64_t to)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN;
	int rc = raft_transfer_leader(&d->raft, to);
	schedule(d);
	return rc;
}

void raft_driver_expire_election(struct raft_driver *d)
{
	if (d->stuck || d->dead)
		return;
	/* A follower campaigns after at most 2T ticks; stop at the first
	 * role change. Bounded either way. */
	for (int i = 0; i < 2 * d->election_ticks + 1; i++) {
		if (raft_role(&d->raft) != RAFT_FOLLOWER || raft_leader(&d->raft) != 0)
			break;
		if (raft_tick(&d->raft) != 0)
			break;
	}
	schedule(d);
}

bool raft_driver_caught_up(const struct raft_driver *d)
{
	return raft_role(&d->raft) == RAFT_FOLLOWER && raft_leader(&d->raft) != 0 &&
	       raft_last_index(&d->raft) >= d->leader_commit_heard;
}

uint64_t raft_driver_match_lag(const struct raft_driver *d)
{
	if (raft_role(&d->raft) != RAFT_LEADER)
		return 0;
	uint64_t last = raft_last_index(&d->raft), lag = 0;
	for (int i = 0; i < d->n_voters; i++) {
		uint64_t m = 0;
		if (raft_peer_match(&d->raft, (uint64_t)d->voters[i], &m) == 0 && last - m > lag)
			lag = last - m;
	}
	return lag;
}
