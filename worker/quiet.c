/* quiet.c - quiescence policy and node-level liveness of one replica (see
 * quiet.h). */
#include "quiet.h"

#include <event2/event.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

void quiet_init(struct quiet *q, struct leadership *l)
{
	memset(q, 0, sizeof(*q));
	q->l = l;
}

static void backup_cb(evutil_socket_t fd, short what, void *arg);

int quiet_start(struct quiet *q)
{
	struct leadership *l = q->l;
	if (QUIET_PATIENCE_TIMEOUTS > 0 && l->tick_ms > 0)
		raft_driver_set_patience(l->drv,
					 QUIET_PATIENCE_TIMEOUTS * (l->election_ms / l->tick_ms));
	q->backup = evtimer_new(l->drv->base, backup_cb, q);
	return q->backup ? 0 : ERR_NOMEM;
}

void quiet_close(struct quiet *q)
{
	if (q->backup)
		event_free(q->backup);
	q->backup = NULL;
}

void quiet_on_tick(struct quiet *q)
{
	struct leadership *l = q->l;
	enum raft_role role = raft_role(&l->drv->raft);
	int32_t pref = l->voters[0];
	bool hold = role == RAFT_LEADER && l->n_voters >= 2 && pref != l->self && l->tp &&
		    transport_connected(l->tp, pref);
	hold = hold || (role == RAFT_LEADER && q->leader_stays_awake);
	raft_driver_hold_awake(l->drv, hold);
}

static bool is_dead(const struct quiet *q, int32_t node)
{
	for (int i = 0; i < q->n_dead; i++)
		if (q->dead[i] == node)
			return true;
	return false;
}

static bool is_voter(const struct leadership *l, int32_t node)
{
	for (int i = 0; i < l->n_voters; i++)
		if (l->voters[i] == node)
			return true;
	return false;
}

/* The first voter in placement order whose node is not dead (and is not
 * `skip`): the one that campaigns, so that two followers do not split the
 * vote. */
static int32_t first_in_line_but(const struct quiet *q, int32_t skip)
{
	for (int i = 0; i < q->l->n_voters; i++)
		if (!is_dead(q, q->l->voters[i]) && q->l->voters[i] != skip)
			return q->l->voters[i];
	return -1;
}

static int32_t first_in_line(const struct quiet *q) { return first_in_line_but(q, -1); }

static void backup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct quiet *q = arg;
	struct leadership *l = q->l;
	if (q->backup_probe) {
		int32_t node = q->backup_dead;
		bool stalled = q->probe_stalled;
		q->probe_stalled = false;
		if (raft_role(&l->drv->raft) != RAFT_FOLLOWER ||
		    raft_leader(&l->drv->raft) != (uint64_t)node || (!stalled && !is_dead(q, node)))
			return;
		int64_t heard = l->tp ? transport_last_heard_ms(l->tp, node) : -1;
		if (heard >= q->probe_ms) {
			log_info("node %d, our leader's, is reported unreachable but answered our "
				 "probe; following it still",
				 (int)node);
			return;
		}
		bool campaign =
		    (stalled ? first_in_line_but(q, node) : first_in_line(q)) == l->self;
		log_info("node %d, our leader's, is %s and did not answer in %d ms; %s", (int)node,
			 stalled ? "reported stalled" : "unreachable", QUIET_PROBE_MS,
			 campaign ? "campaigning now" : "running the election timer again");
		raft_driver_leader_unreachable(l->drv, campaign);
		return;
	}
	if (raft_role(&l->drv->raft) != RAFT_FOLLOWER || raft_leader(&l->drv->raft) != 0 ||
	    !is_dead(q, q->backup_dead) || first_in_line(q) != l->self)
		return;
	log_info("no leader %d ms after node %d was reported gone; campaigning",
		 QUIET_CRASH_BACKUP_MS, (int)q->backup_dead);
	raft_driver_leader_unreachable(l->drv, true);
}

void quiet_on_peer_node(struct quiet *q, int32_t node, bool alive, bool crashed)
{
	struct leadership *l = q->l;
	if (l->n_voters < 2 || node == l->self || !is_voter(l, node))
		return;
	if (alive) {
		for (int i = 0; i < q->n_dead; i++)
			if (q->dead[i] == node)
				q->dead[i--] = q->dead[--q->n_dead];
		return;
	}
	if (!is_dead(q, node) && q->n_dead < RAFT_DRIVER_MAX_VOTERS)
		q->dead[q->n_dead++] = node;
	if (raft_role(&l->drv->raft) == RAFT_LEADER) {
		if (l->n_voters - q->n_dead < l->n_voters / 2 + 1)
			raft_driver_wake(l->drv); /* check-quorum decides */
		return;
	}
	if (raft_leader(&l->drv->raft) != (uint64_t)node)
		return;
	/* An awake group that heard its leader within four heartbeats has
	 * better evidence than the supervisors' channel (a stalled supervisor
	 * is not a dead worker): keep following it. */
	int64_t heard = l->tp ? transport_last_heard_ms(l->tp, node) : -1;
	if (!raft_driver_quiesced(l->drv) && heard >= 0 &&
	    transport_now_ms() - heard <= 4 * (int64_t)l->tick_ms) {
		log_info("node %d, our leader's, is reported %s but we heard it %lld ms ago; "
			 "following it still",
			 (int)node, crashed ? "gone" : "unreachable",
			 (long long)(transport_now_ms() - heard));
		return;
	}
	l->early_done = true;
	if (!crashed && q->backup) {
		/* Silence: ask the leader first (QUIET_PROBE_MS). */
		log_info("node %d, our leader's, is reported unreachable; probing it", (int)node);
		raft_driver_probe_leader(l->drv);
		q->probe_stalled = false;
		q->backup_dead = node;
		q->backup_probe = true;
		q->probe_ms = transport_now_ms();
		struct timeval tv = {0, QUIET_PROBE_MS * 1000};
		evtimer_add(q->backup, &tv);
		return;
	}
	log_info("node %d, our leader's, is gone; running the election timer again", (int)node);
	raft_driver_leader_unreachable(l->drv, false);
	if (q->backup) {
		q->backup_dead = node;
		q->backup_probe = false;
		struct timeval tv = {QUIET_CRASH_BACKUP_MS / 1000,
				     (QUIET_CRASH_BACKUP_MS % 1000) * 1000};
		evtimer_add(q->backup, &tv);
	}
}

void quiet_probe_leader(struct quiet *q)
{
	struct leadership *l = q->l;
	uint64_t leader = raft_leader(&l->drv->raft);
	if (l->n_voters < 2 || q->backup == NULL || raft_role(&l->drv->raft) != RAFT_FOLLOWER ||
	    leader == 0 || leader > INT32_MAX || evtimer_pending(q->backup, NULL))
		return;
	int32_t node = (int32_t)leader;
	int64_t now = transport_now_ms();
	int64_t heard = l->tp ? transport_last_heard_ms(l->tp, node) : -1;
	if (heard >= 0 && now - heard <= 4 * (int64_t)l->tick_ms)
		return; /* an awake group heard it just now: better evidence */
	log_info("node %d says our leader there went silent; probing it", (int)node);
	raft_driver_probe_leader(l->drv);
	q->backup_dead = node;
	q->backup_probe = true;
	q->probe_stalled = true;
	q->probe_ms = now;
	struct timeval tv = {0, QUIET_PROBE_MS * 1000};
	evtimer_add(q->backup, &tv);
}
