/* catalog_json.c - the catalog as JSON (catalog_json.h). */
#include "catalog_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "supervisor/router.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Names, addresses and config values are [a-zA-Z0-9._:[]-] or numbers
 * (checked where they enter the catalog), so they need no escaping; a
 * quote or backslash is still dropped rather than break the document. */
static void put_str(struct buf *b, const char *s)
{
	buf_put_u8(b, '"');
	for (; *s; s++)
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			buf_put_u8(b, (uint8_t)*s);
	buf_put_u8(b, '"');
}

/* A JSON array of node ids: [1,2,3]. */
static void put_ids(struct buf *b, const int32_t *ids, int n)
{
	putf(b, "[");
	for (int i = 0; i < n; i++)
		putf(b, "%s%d", i ? "," : "", (int)ids[i]);
	putf(b, "]");
}

void catalog_json(struct sup *s, struct buf *out)
{
	const struct catalog *c = s->catalog;
	struct router_leader l;
	router_leader(s, CATALOG_TOPIC, strlen(CATALOG_TOPIC), 0, &l);
	putf(out, "{\"node_id\":%d,\"cluster_id\":", (int)s->cfg->node.id);
	put_str(out, c && c->cluster_id[0] ? c->cluster_id : s->cluster_id);
	putf(out, ",\"version\":%llu,\"controller\":%d,\"nodes\":[",
	     (unsigned long long)(c ? c->version : 0), (int)l.leader_id);
	for (int i = 0; c && i < c->n_nodes; i++) {
		putf(out, "%s{\"id\":%d,\"kafka\":", i ? "," : "", (int)c->nodes[i].id);
		put_str(out, c->nodes[i].kafka);
		putf(out, ",\"raft\":");
		put_str(out, c->nodes[i].raft);
		putf(out, "}");
	}
	putf(out, "]");
	/* From this node's [cluster] list, which every member shares. */
	int32_t ids[TOPICS_CTL_MEMBERS_MAX];
	putf(out, ",\"controller_voters\":");
	put_ids(out, ids, topics_controller_voters(s->cfg, ids));
	putf(out, ",\"controller_learners\":");
	put_ids(out, ids, topics_controller_learners(s->cfg, ids));
	putf(out, ",\"topics\":[");
	for (int i = 0; c && i < c->n_topics; i++) {
		const struct catalog_topic *t = &c->topics[i];
		char id[32];
		catalog_id_str(t->id, id, sizeof(id));
		putf(out, "%s{\"name\":", i ? "," : "");
		put_str(out, t->name);
		putf(out, ",\"id\":\"%s\",\"partitions\":%d,\"replication\":%d,\"configs\":{", id,
		     (int)t->partitions, (int)t->replication);
		for (int k = 0; k < t->n_configs; k++) {
			putf(out, "%s", k ? "," : "");
			put_str(out, t->configs[k].key);
			putf(out, ":");
			put_str(out, t->configs[k].value);
		}
		putf(out, "},\"replicas\":[");
		for (int32_t p = 0; p < t->partitions; p++) {
			putf(out, "%s", p ? "," : "");
			put_ids(out, catalog_replicas(t, p), t->replication);
		}
		putf(out, "]}");
	}
	putf(out, "]}\n");
}
