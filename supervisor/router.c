/* router.c - partition -> worker routing and leadership, single-node form. */
#include "router.h"

#include "common/kafka/kerr.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

int16_t router_route(struct sup *s, struct kafka_str topic, int32_t partition, struct worker **out)
{
	*out = NULL;
	if (topic.len <= 0 || partition < 0)
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	struct worker *w = workers_find(s->workers, topic.ptr, (size_t)topic.len, partition);
	if (w == NULL)
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	if (w->state != WORKER_SERVING)
		return KERR_NOT_LEADER_OR_FOLLOWER;
	/* A serving replica that is not (yet) the Raft leader answers
	 * NOT_LEADER_OR_FOLLOWER itself; forwarding keeps that decision with
	 * the one process that knows the current term. */
	*out = w;
	return KERR_NONE;
}

void router_leader_of(struct sup *s, const struct worker *w, struct router_leader *out)
{
	if (w != NULL && w->state == WORKER_SERVING && w->has_status &&
	    w->status.role == IPC_ROLE_LEADER) {
		out->error = KERR_NONE;
		out->leader_id = s->cfg->node.id;
		out->leader_epoch =
		    w->status.term > INT32_MAX ? INT32_MAX : (int32_t)w->status.term;
		return;
	}
	out->error = KERR_LEADER_NOT_AVAILABLE;
	out->leader_id = -1;
	out->leader_epoch = -1;
}
