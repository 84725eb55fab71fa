/* leadership.c - the leadership policy of one replica (see leadership.h). */
#include "leadership.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"

static enum raft_role role(const struct leadership *l) { return raft_role(&l->drv->raft); }

void leadership_init(struct leadership *l, struct raft_driver *d, struct transport *tp,
		     int32_t self, const int32_t *voters, int n_voters, int tick_ms,
		     int election_ms, int64_t now)
{
	memset(l, 0, sizeof(*l));
	l->drv = d;
	l->tp = tp;
	l->self = self;
	if (n_voters > RAFT_DRIVER_MAX_VOTERS)
		n_voters = RAFT_DRIVER_MAX_VOTERS;
	memcpy(l->voters, voters, (size_t)n_voters * sizeof(*voters));
	l->n_voters = n_voters;
	l->tick_ms = tick_ms;
	l->election_ms = election_ms;
	l->start_ms = now;
	settle_init(&l->settle);
}

bool leadership_draining(const struct leadership *l, int64_t now)
{
	return l->drain_until_ms && now < l->drain_until_ms;
}

/* Connected and heard from within four ticks. */
static bool live(const struct leadership *l, int32_t node, int64_t now)
{
	return l->tp && transport_connected(l->tp, node) &&
	       transport_last_heard_ms(l->tp, node) >= 0 &&
	       now - transport_last_heard_ms(l->tp, node) <= 4 * l->tick_ms;
}

/* The live follower with the highest match, or 0. */
static uint64_t best_follower(const struct leadership *l, int64_t now)
{
	uint64_t best = 0, best_match = 0;
	for (int i = 0; i < l->n_voters; i++) {
		int32_t n = l->voters[i];
		uint64_t m = 0;
		if (n == l->self || !live(l, n, now) ||
		    raft_peer_match(&l->drv->raft, (uint64_t)n, &m) != 0)
			continue;
		if (best == 0 || m > best_match) {
			best = (uint64_t)n;
			best_match = m;
		}
	}
	return best;
}

static void drain_now(struct leadership *l, int64_t now)
{
	if (role(l) != RAFT_LEADER || l->n_voters < 2 || raft_transferee(&l->drv->raft) != 0)
		return;
	/* Nobody live: let the core pick (it will not get far either way). */
	uint64_t to = best_follower(l, now);
	int rc = raft_driver_transfer(l->drv, to);
	log_info("draining: handing leadership to node %llu: %s", (unsigned long long)to,
		 err_str(rc));
}

void leadership_on_message(struct leadership *l, int32_t from, const struct raft_message *m,
			   int64_t now)
{
	if (m->type == RAFT_MSG_TIMEOUT_NOW) {
		l->handoff_from = from;
		l->handoff_ms = now;
	}
}

void leadership_on_change(struct leadership *l, int64_t now)
{
	bool leader = role(l) == RAFT_LEADER;
	if (leader && !l->was_leader) {
		/* Leadership came back soon after a hand-back: it failed. */
		int64_t period = l->settle.period_ms;
		settle_lead_again(&l->settle, now);
		if (l->settle.period_ms > period)
			log_info("balance: leadership came back; the preferred replica must now be "
				 "healthy for %lld ms",
				 (long long)l->settle.period_ms);
		l->hold_node = 0;
		if (l->handoff_from && now - l->handoff_ms < l->election_ms) {
			l->hold_node = l->handoff_from;
			l->hold_until_ms = now + BALANCE_HOLD_MS;
			l->hold_generation =
			    l->tp ? transport_in_generation(l->tp, l->hold_node) : 0;
		}
		l->handoff_from = 0;
	}
	l->was_leader = leader;
	if (leader || raft_leader(&l->drv->raft) != 0)
		l->early_done = true;
	if (leader && leadership_draining(l, now))
		drain_now(l, now);
}

static void maybe_elect_early(struct leadership *l, int64_t now)
{
	if (l->early_done)
		return;
	if (role(l) != RAFT_FOLLOWER || raft_leader(&l->drv->raft) != 0 ||
	    l->voters[0] != l->self) {
		l->early_done = true;
		return;
	}
	/* Connections to learners do not make a majority: they cannot vote. */
	int quorum = l->n_voters / 2 + 1, connected = 1;
	for (int i = 0; i < l->n_voters && l->tp; i++)
		connected += l->voters[i] != l->self && transport_connected(l->tp, l->voters[i]);
	if (connected < quorum)
		return;
	/* A group that has never had a term holds nothing and can have no
	 * leader to hear of (a replica whose data was lost would be refused
	 * by the sticky voters' pre-votes): it elects as soon as a majority
	 * is connected. Until then a new topic's partitions have no leader,
	 * and some clients fail a whole Metadata answer on one such partition
	 * (kafkajs's admin calls). */
	bool brand_new = raft_term(&l->drv->raft) == 0 && raft_last_index(&l->drv->raft) == 0;
	if (l->n_voters > 1 && !brand_new && now - l->start_ms < 2 * l->tick_ms)
		return;
	l->early_done = true;
	if (l->n_voters > 1)
		log_info("preferred replica: starting the first election now");
	raft_driver_expire_election(l->drv);
}

/* The preferred replica, seen from its leader, is healthy right now:
 * connected, heard from within BALANCE_HEARD_TICKS ticks (so, with the
 * check every tick, at every heartbeat exchange) and at most
 * BALANCE_MAX_LAG entries behind. */
static bool pref_healthy(const struct leadership *l, int64_t now)
{
	int32_t pref = l->voters[0];
	uint64_t m = 0;
	return l->n_voters >= 2 && role(l) == RAFT_LEADER && pref != l->self && l->tp &&
	       transport_connected(l->tp, pref) && transport_last_heard_ms(l->tp, pref) >= 0 &&
	       now - transport_last_heard_ms(l->tp, pref) <= BALANCE_HEARD_TICKS * l->tick_ms &&
	       raft_peer_match(&l->drv->raft, (uint64_t)pref, &m) == 0 &&
	       m + BALANCE_MAX_LAG >= raft_last_index(&l->drv->raft);
}

static void maybe_balance(struct leadership *l, int64_t now)
{
	settle_observe(&l->settle, pref_healthy(l, now), now);
	if (l->n_voters < 2 || role(l) != RAFT_LEADER || now < l->next_balance_ms)
		return;
	l->next_balance_ms = now + BALANCE_MS;
	int32_t pref = l->voters[0];
	/* Still leading well after a hand-back started: it did not happen. */
	if (l->settle.handed_ms >= 0 && raft_transferee(&l->drv->raft) == 0 &&
	    now - l->settle.handed_ms > l->election_ms) {
		settle_lead_again(&l->settle, now);
		log_info("balance: the hand-back to node %d did not happen; next try after it is "
			 "healthy for %lld ms",
			 (int)pref, (long long)l->settle.period_ms);
	}
	if (pref == l->self || leadership_draining(l, now) || raft_transferee(&l->drv->raft) != 0 ||
	    !live(l, pref, now) || !settle_ready(&l->settle, l->settle.healthy_since, now))
		return;
	if (pref == l->hold_node && now < l->hold_until_ms &&
	    transport_in_generation(l->tp, pref) == l->hold_generation)
		return;
	int rc = raft_driver_transfer(l->drv, (uint64_t)pref);
	settle_handed(&l->settle, now);
	log_info("balance: handing leadership back to the preferred replica on node %d "
		 "(healthy for %lld ms): %s",
		 (int)pref, (long long)(now - l->settle.healthy_since), err_str(rc));
}

void leadership_on_tick(struct leadership *l, int64_t now)
{
	maybe_elect_early(l, now);
	maybe_balance(l, now);
}

void leadership_on_link(struct leadership *l, int64_t now) { maybe_elect_early(l, now); }

void leadership_campaign(struct leadership *l)
{
	if (role(l) == RAFT_LEADER || l->n_voters < 2)
		return;
	if (role(l) == RAFT_LEARNER) {
		log_debug("not campaigning: this replica is a learner");
		return;
	}
	log_info("campaigning now: the supervisor says the leader is gone");
	l->early_done = true;
	raft_driver_campaign(l->drv);
}

void leadership_transfer(struct leadership *l, int32_t target, int64_t now)
{
	if (target < 0) {
		l->drain_until_ms = now + DRAIN_MS;
		drain_now(l, now);
		return;
	}
	if (role(l) != RAFT_LEADER || l->n_voters < 2)
		return;
	int rc = raft_driver_transfer(l->drv, (uint64_t)target);
	log_info("handing leadership to node %d: %s", (int)target, err_str(rc));
}
