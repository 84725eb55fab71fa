/* leadership.h - when this replica seeks or gives up its group's leadership.
 *
 * Policy only; Raft's rules stay in the core. It decides:
 *
 * - The first election. The preferred replica (first of the voters) runs its
 *   election timer out once it has connections to a majority of the voters
 *   and has heard of no leader for two ticks (a brand-new group, term 0 and
 *   an empty log, does not wait: checked again at each new connection):
 *   a normal pre-vote election, so a leader that already exists is never
 *   disrupted (sticky voters ignore the pre-votes). The others keep the
 *   normal [T, 2T), so a cluster start costs one election per group. A
 *   lone voter elects itself at once. Learners take no part in any of this.
 * - Fast failover: IPC_CAMPAIGN (the supervisor saw the leader's worker die)
 *   campaigns at once (raft_campaign).
 * - Balance: every BALANCE_MS a leader that is not the preferred replica
 *   hands leadership to it once it has been healthy for a settle period
 *   (common/settle.h): checked every tick, connected, heard from within
 *   BALANCE_HEARD_TICKS ticks and at most BALANCE_MAX_LAG entries behind
 *   (the transfer brings it the rest), without a break. The period starts
 *   at 10 s and doubles (to 160 s) after each failed hand-back: leadership
 *   back here within 60 s, or the transfer not happening at all.
 *   Leadership handed to us by a replica's TIMEOUT_NOW is not handed back
 *   to that replica for BALANCE_HOLD_MS unless it reconnects first (it
 *   restarted): the giver is probably draining.
 * - Drain: IPC_TRANSFER{-1} hands leadership to the live follower with the
 *   highest match, and for DRAIN_MS any leadership won back is handed on.
 *
 * Borrows the driver and the transport; keeps no resources. */
#ifndef FJORD_WORKER_LEADERSHIP_H
#define FJORD_WORKER_LEADERSHIP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/settle.h"
#include "worker/raft/raft.h"
#include "worker/raft_driver.h"
#include "worker/transport.h"

#define BALANCE_MS 2000
#define BALANCE_MAX_LAG 64
#define BALANCE_HEARD_TICKS 3
#define BALANCE_HOLD_MS 10000
#define DRAIN_MS 30000

struct leadership {
	struct raft_driver *drv; /* borrowed */
	struct transport *tp;	 /* borrowed; NULL for a group of one */
	int32_t self;
	int32_t voters[RAFT_DRIVER_MAX_VOTERS]; /* preferred first */
	int n_voters;
	int tick_ms, election_ms;
	int64_t start_ms;
	bool early_done; /* the early first election is behind us (or not ours) */
	bool was_leader;
	int64_t next_balance_ms;
	int32_t handoff_from; /* sender of the last TIMEOUT_NOW, 0 = none */
	int64_t handoff_ms;
	int32_t hold_node; /* not to be handed leadership back, 0 = none */
	int64_t hold_until_ms;
	uint64_t hold_generation; /* its connection generation when the hold began */
	int64_t drain_until_ms;	  /* 0 = not draining */
	struct settle settle;	  /* the preferred replica's health, and the back-off */
};

/* Starts the policy at time now (transport_now_ms). voters are copied. */
void leadership_init(struct leadership *l, struct raft_driver *d, struct transport *tp,
		     int32_t self, const int32_t *voters, int n_voters, int tick_ms,
		     int election_ms, int64_t now);

/* A message from a peer, before the driver steps it (TIMEOUT_NOW tells who
 * handed leadership over). Borrowed for the call. */
void leadership_on_message(struct leadership *l, int32_t from, const struct raft_message *m,
			   int64_t now);

/* Role, term or leader changed. */
void leadership_on_change(struct leadership *l, int64_t now);

/* Once per Raft tick: the early election and the balance check. */
void leadership_on_tick(struct leadership *l, int64_t now);

/* A connection to a peer came up: the early election may not have to
 * wait for the next tick. */
void leadership_on_link(struct leadership *l, int64_t now);

/* IPC_CAMPAIGN: campaign now unless leading, alone or a learner. */
void leadership_campaign(struct leadership *l);

/* IPC_TRANSFER: hand leadership to node target, or drain when target < 0. */
void leadership_transfer(struct leadership *l, int32_t target, int64_t now);

/* True while a drain asked for it (DRAIN_MS). */
bool leadership_draining(const struct leadership *l, int64_t now);

#endif
