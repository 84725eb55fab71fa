/* liveness.c - telling the local workers that a peer node is considered
 * dead or alive again (see liveness.h). */
#include "liveness.h"

#include "common/ipc.h"
#include "common/log.h"
#include "supervisor/sup.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

int liveness_tell_workers(struct sup *s, int32_t node, bool alive, bool crashed)
{
	if (s == NULL || s->workers == NULL)
		return 0;
	struct ipc_msg m = {.type = IPC_PEER_NODE};
	m.u.peer_node = (struct ipc_peer_node){.node = node, .alive = alive, .crashed = crashed};
	int told = 0, n = workers_count(s->workers);
	for (int i = 0; i < n; i++) {
		struct worker *w = workers_at(s->workers, i);
		if (w->state == WORKER_SERVING && link_post(w, &m) == 0)
			told++;
	}
	log_info("peer %d: told %d worker(s) it is %s", (int)node, told,
		 alive	   ? "alive"
		 : crashed ? "gone (crashed)"
			   : "unreachable (silent)");
	return told;
}
