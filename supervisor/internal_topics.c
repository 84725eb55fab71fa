/* internal_topics.c - __consumer_offsets in the topic list (see
 * internal_topics.h). */
#include "internal_topics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

int internal_topics_add(struct config *c)
{
	const char *name = INTERNAL_OFFSETS_TOPIC;
	if (config_topic_find(c, name, strlen(name)) != NULL)
		return 0;
	struct config_topic *v = realloc(c->topics, (size_t)(c->n_topics + 1) * sizeof(*v));
	if (v == NULL)
		return ERR_NOMEM;
	c->topics = v;
	struct config_topic *t = &v[c->n_topics];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	int nodes = c->n_peers > 0 ? c->n_peers : 1;
	t->partitions = c->groups.offsets_partitions;
	t->replication = nodes < 3 ? nodes : 3;
	t->retention_ms = -1;
	t->retention_bytes = -1;
	t->max_message_bytes = c->storage.max_message_bytes;
	t->message_timestamp_type = CONFIG_TS_CREATE_TIME;
	t->line = 0;
	c->n_topics++;
	return 0;
}
