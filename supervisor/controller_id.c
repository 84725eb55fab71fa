/* controller_id.c - the controller's node id for clients (controller_id.h). */
#include "controller_id.h"

#include <string.h>

#include "common/catalog.h"
#include "supervisor/router.h"
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
	int32_t lowest = c->peers[0].id;
	for (int i = 1; i < c->n_peers; i++)
		if (c->peers[i].id < lowest)
			lowest = c->peers[i].id;
	return lowest;
}
