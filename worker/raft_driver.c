/* raft_driver.c - the Raft core on libevent, persisting to a log with
 * group commit and applying to a state machine (see raft_driver.h). */
#include "raft_driver.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

/* Ready batches handled per event run; more are left for the next run so
 * one busy group cannot starve the loop (committed entries come at most
 * RLOG_MAX_APPLY_ENTRIES per Ready). */
#define ROUNDS_PER_FLUSH 16

/* --- storage for the core ------------------------------------------------- */

static int st_initial(void *c, struct raft_hard_state *o)
{
	struct raft_driver *d = c;
	return d->log.ops->hard_state(d->log.ctx, o);
}

static int st_first(void *c, uint64_t *o)
{
	struct raft_driver *d = c;
	return d->log.ops->first_index(d->log.ctx, o);
}

static int st_last(void *c, uint64_t *o)
{
	struct raft_driver *d = c;
	return d->log.ops->last_index(d->log.ctx, o);
}

static int st_term(void *c, uint64_t i, uint64_t *o)
{
	struct raft_driver *d = c;
	return d->log.ops->term(d->log.ctx, i, o);
}

static int st_entries(void *c, uint64_t lo, uint64_t hi, size_t max_bytes, struct raft_entry *out,
		      size_t *n_out)
{
	struct raft_driver *d = c;
	return d->log.ops->entries(d->log.ctx, lo, hi, max_bytes, out, n_out);
}

/* The log start for a follower behind it: where it is (the log) and what
 * the state there is (the state machine). */
static int st_snapshot(void *c, struct raft_snapshot *o)
{
	struct raft_driver *d = c;
	const uint8_t *data = NULL;
	size_t len = 0;
	d->log.ops->log_start(d->log.ctx, &o->index, &o->term);
	d->sm.ops->start_state(d->sm.ctx, &data, &len);
	o->data = data;
	o->data_len = len;
	return 0;
}

/* --- the Ready loop ------------------------------------------------------- */

/* True when the Ready's term or vote differs from the stored ones: Raft
 * needs only those two durable. The commit index in the hard state is a
 * hint for the next start, written when they are; rewriting it with every
 * append would dirty the meta database's pages in every transaction (LMDB
 * copies every page it touches, and each copy is one more page to flush). */
static bool vote_changed(struct raft_driver *d, const struct raft_hard_state *hs)
{
	struct raft_hard_state cur;
	if (d->log.ops->hard_state(d->log.ctx, &cur) != 0)
		return true;
	return cur.term != hs->term || cur.vote != hs->vote;
}

/* A Ready with only a new commit index writes nothing: losing it costs a
 * little replay after a restart, never safety. */
static bool writes(const struct raft_ready *rd)
{
	return rd->must_sync || rd->has_snapshot || rd->n_entries;
}

/* Writes what the Ready asks to persist in one transaction. */
static int persist(struct raft_driver *d, const struct raft_ready *rd)
{
	if (!writes(rd))
		return 0;
	const struct log_store_ops *lo = d->log.ops;
	int rc = lo->begin(d->log.ctx);
	if (rc != 0)
		return rc;
	if (rd->has_snapshot)
		rc = d->sm.ops->install_store(d->sm.ctx, rd->snapshot.index, rd->snapshot.term,
					      rd->snapshot.data, rd->snapshot.data_len);
	if (rc == 0 && rd->n_entries)
		rc = lo->append(d->log.ctx, rd->entries, rd->n_entries);
	if (rc == 0 && vote_changed(d, &rd->hard_state))
		rc = lo->set_hard_state(d->log.ctx, &rd->hard_state);
	if (rc == 0)
		rc = d->sm.ops->save(d->sm.ctx);
	if (rc != 0) {
		lo->abort(d->log.ctx);
		return rc;
	}
	rc = lo->commit(d->log.ctx);
	if (rc == 0) {
		d->stats.txns++;
		d->stats.entries += rd->n_entries;
	}
	return rc;
}

/* Asks the state machine for a snapshot in a transaction of its own. A
 * failure is logged and retried after the next applied entries. */
static void take_snapshot(struct raft_driver *d)
{
	int rc = d->log.ops->begin(d->log.ctx);
	if (rc == 0) {
		rc = d->sm.ops->snapshot(d->sm.ctx);
		if (rc == 0)
			rc = d->log.ops->commit(d->log.ctx);
		else
			d->log.ops->abort(d->log.ctx);
	}
	if (rc != 0) {
		log_warn("cannot take a snapshot at %llu: %s", (unsigned long long)d->applied,
			 err_str(rc));
		return;
	}
	d->snapshot_at = d->applied;
	d->stats.snapshots++;
	log_debug("snapshot at applied index %llu", (unsigned long long)d->applied);
}

/* Sends the Ready's messages that may leave before its write (a leader's
 * appends and heartbeats) and pushes them to the wire, so the followers'
 * writes overlap the leader's. */
static void send_early(struct raft_driver *d)
{
	const struct raft_ready *rd = &d->rd;
	size_t sent = 0;
	for (size_t i = 0; i < rd->n_messages && d->cb.send; i++) {
		if (raft_msg_sendable_early(&rd->messages[i])) {
			d->cb.send(d->cb.ctx, &rd->messages[i]);
			sent++;
		}
	}
	if (sent && writes(rd) && d->cb.push)
		d->cb.push(d->cb.ctx);
}

/* Everything after a successful persist: install, send (all messages, or
 * those send_early left when early_sent), apply, advance, and note the
 * durable entries for report_persisted at the flush's end. */
static void after_persist(struct raft_driver *d, bool early_sent)
{
	struct raft_ready *rd = &d->rd;
	if (rd->has_snapshot) {
		d->sm.ops->install(d->sm.ctx, rd->snapshot.index, rd->snapshot.data,
				   rd->snapshot.data_len);
		d->applied = d->snapshot_at = rd->snapshot.index;
	}
	uint64_t persisted = rd->n_entries ? rd->entries[rd->n_entries - 1].index : 0;
	for (size_t i = 0; i < rd->n_messages && d->cb.send; i++) {
		if (!early_sent || !raft_msg_sendable_early(&rd->messages[i]))
			d->cb.send(d->cb.ctx, &rd->messages[i]);
	}
	size_t bytes = 0;
	uint64_t applied = 0;
	for (size_t i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		/* A malformed entry is logged by the state machine and counted
		 * as applied: every replica holds the same bytes, so skipping it
		 * keeps them in step. */
		struct sm_entry se = {e->index, e->term, e->kind, e->data, e->data_len};
		d->sm.ops->apply(d->sm.ctx, &se);
		bytes += e->data_len;
		applied = e->index;
	}
	if (applied)
		d->applied = applied;
	raft_advance(&d->raft, rd);
	if (raft_role(&d->raft) == RAFT_LEADER && d->leader_ready_term != raft_term(&d->raft)) {
		/* Everything this leader holds is persisted now. */
		if (d->sm.ops->lead(d->sm.ctx, raft_term(&d->raft)) == 0)
			d->leader_ready_term = raft_term(&d->raft);
	}
	if (d->snapshot_threshold && d->applied >= d->snapshot_at + d->snapshot_threshold)
		take_snapshot(d);
	if (persisted > d->persisted_unreported)
		d->persisted_unreported = persisted;
	if (applied && d->cb.applied)
		d->cb.applied(d->cb.ctx, applied, bytes);
}

/* Reports the durable entries once per flush rather than per Ready: a
 * group of one commits its entries in the Ready after the one that wrote
 * them (the core counts its own copy once durable), and the status the
 * persisted callback may send should carry that commit. */
static void report_persisted(struct raft_driver *d)
{
	uint64_t last = d->persisted_unreported;
	d->persisted_unreported = 0;
	if (last && d->cb.persisted)
		d->cb.persisted(d->cb.ctx, last);
}

static void notice_changes(struct raft_driver *d)
{
	uint8_t role = (uint8_t)raft_role(&d->raft);
	uint64_t term = raft_term(&d->raft), leader = raft_leader(&d->raft);
	bool quiet = raft_quiesced(&d->raft);
	if (role == d->seen_role && term == d->seen_term && leader == d->seen_leader &&
	    quiet == d->seen_quiesced)
		return;
	d->seen_quiesced = quiet;
	if (d->seen_role == RAFT_LEADER && (role != RAFT_LEADER || term != d->seen_term))
		d->sm.ops->step_down(d->sm.ctx);
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
	 * succeeds: the state machine's lead op runs again then. */
	d->leader_ready_term = 0;
	d->sm.ops->step_down(d->sm.ctx);
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
	send_early(d);
	int rc = persist(d, &d->rd);
	if (rc != 0) {
		persist_failed(d, rc);
		return rc;
	}
	after_persist(d, true);
	return 0;
}

/* No timer while the core is quiet; the timer back as soon as it is not. */
static void sync_tick_timer(struct raft_driver *d)
{
	if (d->tick_ms <= 0 || d->tick_ev == NULL)
		return;
	bool quiet = raft_quiesced(&d->raft);
	bool pending = evtimer_pending(d->tick_ev, NULL);
	if (quiet && pending) {
		event_del(d->tick_ev);
	} else if (!quiet && !pending) {
		struct timeval tv = {.tv_sec = d->tick_ms / 1000,
				     .tv_usec = (d->tick_ms % 1000) * 1000};
		event_add(d->tick_ev, &tv);
	}
}

void raft_driver_flush(struct raft_driver *d)
{
	if (d->stuck || d->dead || !d->raft_up)
		return;
	int rounds = d->rounds_per_flush > 0 ? d->rounds_per_flush : ROUNDS_PER_FLUSH;
	for (int round = 0; round < rounds && raft_has_ready(&d->raft); round++) {
		raft_ready(&d->raft, &d->rd);
		if (handle(d) != 0)
			break;
	}
	if (!d->stuck && raft_has_ready(&d->raft))
		event_active(d->flush_ev, 0, 0);
	report_persisted(d);
	notice_changes(d);
	sync_tick_timer(d);
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
	after_persist(d, false);
	raft_driver_flush(d);
}

static void schedule(struct raft_driver *d) { event_active(d->flush_ev, 0, 0); }

int raft_driver_tick(struct raft_driver *d)
{
	if (d->dead)
		return ERR_AGAIN;
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
		return ERR_AGAIN;
	}
	int rc = raft_tick(&d->raft);
	schedule(d);
	if (d->cb.tick)
		d->cb.tick(d->cb.ctx);
	return rc;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg) { raft_driver_tick(arg); }

/* --- API ------------------------------------------------------------------ */

int raft_driver_init(struct raft_driver *d, struct event_base *base,
		     const struct raft_driver_config *cfg, const struct log_store *log,
		     const struct sm *sm, const struct raft_driver_callbacks *cb)
{
	memset(d, 0, sizeof(*d));
	d->base = base;
	d->log = *log;
	d->sm = *sm;
	d->cb = *cb;
	d->snapshot_threshold = cfg->snapshot_threshold;
	d->applied = d->snapshot_at = sm->ops->applied(sm->ctx);
	d->tick_ms = cfg->tick_ms;
	d->election_ticks = cfg->election_ticks;
	d->rounds_per_flush = cfg->rounds_per_flush;
	d->seen_role = 0xff;
	if (cfg->n_voters < 1 || cfg->n_voters > RAFT_DRIVER_MAX_VOTERS || cfg->n_learners < 0 ||
	    cfg->n_learners > RAFT_DRIVER_MAX_MEMBERS - cfg->n_voters ||
	    (cfg->n_learners > 0 && cfg->learners == NULL) ||
	    (cfg->n_voters + cfg->n_learners > 1 && cb->send == NULL))
		return ERR_CONFIG;
	/* The core takes the two lists apart; members[] keeps them end to end. */
	uint64_t members[RAFT_DRIVER_MAX_MEMBERS];
	d->n_members = cfg->n_voters + cfg->n_learners;
	for (int i = 0; i < d->n_members; i++) {
		d->members[i] =
		    i < cfg->n_voters ? cfg->voters[i] : cfg->learners[i - cfg->n_voters];
		members[i] = (uint64_t)d->members[i];
	}
	uint64_t *voters = members, *learners = members + cfg->n_voters;
	d->storage = (struct raft_storage){d,	    st_initial, st_first,   st_last,
					   st_term, st_entries, st_snapshot};
	struct raft_config rc = {
	    .id = (uint64_t)cfg->self,
	    .peers = voters,
	    .n_peers = (size_t)cfg->n_voters,
	    .learners = learners,
	    .n_learners = (size_t)cfg->n_learners,
	    .election_ticks = cfg->election_ticks,
	    .heartbeat_ticks = 1,
	    .max_inflight_msgs = 64,
	    .max_msg_bytes = 1u << 20,
	    .max_msg_entries = cfg->max_msg_entries,
	    .max_inflight_bytes = 32u << 20,
	    .max_apply_bytes = 64u << 20,
	    .seed = cfg->seed,
	    .applied = d->applied,
	    .storage = &d->storage,
	    .pre_vote = true,
	    .check_quorum = true,
	    .quiesce = cfg->quiesce,
	};
	if (cfg->core != NULL) {
		rc = *cfg->core;
		rc.id = (uint64_t)cfg->self;
		rc.peers = voters;
		rc.n_peers = (size_t)cfg->n_voters;
		rc.learners = learners;
		rc.n_learners = (size_t)cfg->n_learners;
		rc.applied = d->applied;
		rc.storage = &d->storage;
	}
	int err = raft_init(&d->raft, &rc);
	if (err != 0)
		return err;
	d->raft_up = true;
	d->flush_ev = event_new(base, -1, 0, flush_cb, d);
	d->retry_ev = evtimer_new(base, retry_cb, d);
	d->tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, d);
	if (d->flush_ev == NULL || d->retry_ev == NULL || d->tick_ev == NULL)
		return ERR_NOMEM;
	if (cfg->tick_ms > 0) {
		struct timeval tv = {.tv_sec = cfg->tick_ms / 1000,
				     .tv_usec = (cfg->tick_ms % 1000) * 1000};
		event_add(d->tick_ev, &tv);
	}
	notice_changes(d);
	return 0;
}

void raft_driver_close(struct raft_driver *d)
{
	if (d->raft_up && !d->stuck && !d->dead)
		raft_driver_flush(d);
	raft_driver_abandon(d);
}

void raft_driver_abandon(struct raft_driver *d)
{
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
}

int raft_driver_step(struct raft_driver *d, const struct raft_message *m)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN; /* a lost message, as far as Raft can tell */
	if ((m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT) &&
	    m->term >= raft_term(&d->raft) && m->commit > d->leader_commit_heard)
		d->leader_commit_heard = m->commit;
	int rc = raft_step(&d->raft, m);
	if (rc != 0 && rc != ERR_NOMEM)
		log_debug("raft: %s from %llu refused: %s", raft_msg_type_name(m->type),
			  (unsigned long long)m->from, err_str(rc));
	schedule(d);
	return rc;
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
	uint64_t at = 0;
	int rc = raft_propose(&d->raft, data, len, &at);
	if (rc != 0)
		return rc;
	d->sm.ops->proposed(d->sm.ctx, at, data, len);
	if (index)
		*index = at;
	schedule(d);
	return 0;
}

int raft_driver_propose_command(struct raft_driver *d, const void *data, size_t len,
				uint64_t *index)
{
	if (d->dead)
		return ERR_IO;
	if (d->stuck)
		return ERR_NOSPACE;
	if (!raft_driver_can_propose(d))
		return ERR_NOTLEADER;
	uint64_t at = 0;
	int rc = raft_propose_kind(&d->raft, RAFT_ENTRY_COMMAND, data, len, &at);
	if (rc != 0)
		return rc;
	if (index)
		*index = at;
	schedule(d);
	return 0;
}

int raft_driver_campaign(struct raft_driver *d)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN;
	int rc = raft_campaign(&d->raft);
	schedule(d);
	return rc;
}

uint64_t raft_driver_resign(struct raft_driver *d)
{
	if (!d->stuck || d->dead || raft_role(&d->raft) != RAFT_LEADER)
		return 0;
	/* A lone voter keeps its term: nobody could take over, and as
	 * leader it still serves reads while it waits for room. */
	if (d->raft.n_voters < 2)
		return 0;
	uint64_t term = raft_term(&d->raft);
	if (raft_step_down(&d->raft) != 0)
		return 0;
	notice_changes(d);
	return term;
}

int raft_driver_peer_connected(struct raft_driver *d, int32_t node)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN;
	if (node <= 0)
		return ERR_INVALID;
	int rc = raft_peer_connected(&d->raft, (uint64_t)node);
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

bool raft_driver_quiesced(const struct raft_driver *d)
{
	return d->raft_up && raft_quiesced(&d->raft);
}

int raft_driver_wake(struct raft_driver *d)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN;
	int rc = raft_wake(&d->raft);
	schedule(d);
	return rc;
}

int raft_driver_hold_awake(struct raft_driver *d, bool hold)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN;
	bool was = raft_quiesced(&d->raft);
	int rc = raft_hold_awake(&d->raft, hold);
	if (was != raft_quiesced(&d->raft))
		schedule(d);
	return rc;
}

int raft_driver_leader_unreachable(struct raft_driver *d, bool campaign)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN;
	int rc = raft_leader_unreachable(&d->raft, campaign);
	schedule(d);
	return rc;
}

int raft_driver_probe_leader(struct raft_driver *d)
{
	if (d->stuck || d->dead)
		return ERR_AGAIN;
	int rc = raft_probe_leader(&d->raft);
	schedule(d);
	return rc;
}

int raft_driver_set_patience(struct raft_driver *d, int ticks)
{
	return raft_set_patience(&d->raft, ticks);
}

bool raft_driver_caught_up(const struct raft_driver *d)
{
	enum raft_role role = raft_role(&d->raft);
	return (role == RAFT_FOLLOWER || role == RAFT_LEARNER) && raft_leader(&d->raft) != 0 &&
	       raft_last_index(&d->raft) >= d->leader_commit_heard;
}

uint64_t raft_driver_match_lag(const struct raft_driver *d)
{
	if (raft_role(&d->raft) != RAFT_LEADER)
		return 0;
	uint64_t last = raft_last_index(&d->raft), lag = 0;
	for (int i = 0; i < d->n_members; i++) {
		uint64_t m = 0;
		if (raft_peer_match(&d->raft, (uint64_t)d->members[i], &m) == 0 && last - m > lag)
			lag = last - m;
	}
	return lag;
}
