/* controller_id.c - the node named as controller (controller_id.h). */
#include "controller_id.h"

#include "supervisor/sup.h"

int32_t controller_id(const struct sup *s)
{
	const struct config *c = s->cfg;
	if (c->n_peers == 0)
		return c->node.id;
	int32_t lowest = c->peers[0].id;
	for (int i = 1; i < c->n_peers; i++)
		if (c->peers[i].id < lowest)
			lowest = c->peers[i].id;
	return lowest;
}
