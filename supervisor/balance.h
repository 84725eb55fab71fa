/* balance.h - leadership balance on request (POST /v1/leaders/balance).
 *
 * Every worker already hands its leadership back to the preferred replica
 * (the first of its placement) on its own, checking every 2 s
 * (worker/leadership.c). This makes it immediate for a whole node: each
 * local leader whose preferred replica is on another node gets
 * IPC_TRANSFER{target = that node} at once, provided this node knows that
 * replica to be caught up: its node is up, not draining, and its last
 * LEADERS table has it following this node in the leader's term with its
 * log at the leader's commit, and every table for a settle period
 * (common/settle.h: 10 s, no gap between tables above LEADERS_GAP_MS) has
 * said so. The period doubles (to 160 s) for a partition that leads here
 * again within 60 s of a hand-back asked for here, and is not asked again
 * within an election timeout of the last request. The worker does the rest
 * (a Raft leadership transfer, which brings the target fully up to date
 * first). */
#ifndef FJORD_SUP_BALANCE_H
#define FJORD_SUP_BALANCE_H

#include <stdbool.h>
#include <stdint.h>

struct sup;
struct worker;

/* True when w (borrowed) leads and should hand its leadership to the
 * preferred replica now; *target is then that replica's node. False
 * without [cluster] peers, while this node drains, and for a worker that
 * does not lead, is itself preferred, or whose preferred replica is not
 * known caught up. */
bool balance_target(struct sup *s, struct worker *w, int32_t *target);

/* Sends IPC_TRANSFER to every local worker balance_target picks, after
 * counting a worker that leads again since its last hand-back as a failed
 * hand-back (settle_lead_again). Returns how many were sent (a worker
 * whose channel just closed is skipped). */
int balance_request(struct sup *s);

/* ElectLeaders (preferred), for one partition: when this node's worker of
 * (topic, partition) leads, asks it to hand its leadership to node
 * `target` (IPC_TRANSFER), whatever the settle period says (an operator
 * asked). Returns 0, ERR_NOTFOUND (no local worker), ERR_NOTLEADER (it does
 * not lead) or the link's error. */
int balance_transfer_to(struct sup *s, const char *topic, int32_t partition, int32_t target);

#endif
