/* auto_create.c - topics created by Metadata requests (auto_create.h). */
#include "auto_create.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/ids.h"
#include "supervisor/proposals.h"
#include "supervisor/sup.h"

#define AUTO_CREATE_TIMEOUT_MS 10000
#define AUTO_CREATE_MAX_INFLIGHT 256

struct pending {
	char name[CONFIG_TOPIC_NAME_MAX + 1];
	struct pending *next;
};

/* Names being created (one supervisor per process). */
static struct pending *inflight;
static int n_inflight;

static void on_result(void *ctx, const struct catalog_result *res)
{
	struct pending *p = ctx;
	if (res->error == KERR_NONE)
		log_info("auto-created topic %s", p->name);
	else if (res->error != KERR_TOPIC_ALREADY_EXISTS)
		log_warn("auto-creating topic %s: %s (%s)", p->name, kerr_name(res->error),
			 res->msg);
	for (struct pending **pp = &inflight; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	n_inflight--;
	free(p);
}

bool auto_create(struct sup *s, const char *name, size_t len)
{
	const struct config *c = s->cfg;
	if (!c->kafka.auto_create_topics || s->catalog == NULL || s->proposals == NULL ||
	    config_topic_name_check(name, len) != 0 || (len >= 2 && memcmp(name, "__", 2) == 0))
		return false;
	for (struct pending *p = inflight; p; p = p->next)
		if (strlen(p->name) == len && memcmp(p->name, name, len) == 0)
			return true;
	if (n_inflight >= AUTO_CREATE_MAX_INFLIGHT)
		return true; /* the client asks again */
	struct pending *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return false;
	memcpy(p->name, name, len);
	int rf = c->kafka.default_replication;
	if (s->catalog->n_nodes > 0 && rf > s->catalog->n_nodes)
		rf = s->catalog->n_nodes;
	struct catalog_topic_spec spec = {
	    .name = p->name, .partitions = c->kafka.default_partitions, .replication = rf};
	ids_random_topic_id(spec.id);
	struct buf cmd;
	buf_init(&cmd);
	catalog_cmd_create_topic(&spec, false, &cmd);
	uint64_t id =
	    cmd.oom ? 0
		    : proposals_submit(s, cmd.data, cmd.len, AUTO_CREATE_TIMEOUT_MS, on_result, p);
	buf_free(&cmd);
	if (id == 0) {
		free(p);
		return false;
	}
	p->next = inflight;
	inflight = p;
	n_inflight++;
	return true;
}
