/* controller_id.c - the node named as controller (controller_id.h). */
#include "controller_id.h"

#include <string.h>

#include "common/catalog.h"
#include "supervisor/leaders.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"

int32_t controller_id(struct sup *s)
{
	struct router_leader l;
	router_leader(s, CATALOG_TOPIC, strlen(CATALOG_TOPIC), 0, &l);
	if (l.leader_id >= 0)
		return l.leader_id;
	const struct config *c = s->cfg;
	if (c->n_peers == 0)
		return c->node.id;
	int64_t now = spawn_now_ms();
	int32_t lowest = -1;
	for (int i = 0; i < c->n_peers; i++) {
		int32_t id = c->peers[i].id;
		/* A node not heard from would send the client's admin requests
		 * nowhere: skip it. */
		bool up =
		    id == c->node.id || (s->leaders != NULL && leaders_fresh(s->leaders, id, now));
		if (up && (lowest < 0 || id < lowest))
			lowest = id;
	}
	return lowest >= 0 ? lowest : c->node.id;
}
