/* leaders.c - the latest LEADERS table of every peer, with a hash index per
 * peer because routing looks a claim up for every partition of every
 * request. Tables are replaced whole, so the index is rebuilt, never
 * updated in place. */
#include "leaders.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fnv.h"
#include "common/ipc.h"

struct node_table {
	int32_t node;
	bool draining;
	int64_t updated_ms;
	struct peer_claim *claims;
	int64_t *since; /* per claim: caught up without a break since, or -1 */
	int n;
	int *index; /* slots: -1 empty, else position in claims */
	size_t index_cap;
};

struct leaders {
	struct node_table *v;
	int n, cap;
};

struct leaders *leaders_new(void) { return calloc(1, sizeof(struct leaders)); }

static void table_clear(struct node_table *t)
{
	free(t->claims);
	free(t->since);
	free(t->index);
	t->claims = NULL;
	t->since = NULL;
	t->index = NULL;
	t->n = 0;
	t->index_cap = 0;
	t->updated_ms = 0;
}

void leaders_free(struct leaders *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < l->n; i++)
		table_clear(&l->v[i]);
	free(l->v);
	free(l);
}

static struct node_table *find(const struct leaders *l, int32_t node)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i].node == node)
			return &l->v[i];
	return NULL;
}

/* Position of (topic, partition) in t's claims, or -1 (also for no table). */
static int lookup(const struct node_table *t, const char *topic, size_t len, int32_t partition)
{
	if (t == NULL || t->index == NULL)
		return -1;
	size_t mask = t->index_cap - 1;
	size_t s = fnv_partition_key(topic, len, partition) & mask;
	while (t->index[s] >= 0) {
		const struct peer_claim *c = &t->claims[t->index[s]];
		if (c->partition == partition && strlen(c->topic) == len &&
		    memcmp(c->topic, topic, len) == 0)
			return t->index[s];
		s = (s + 1) & mask;
	}
	return -1;
}

int leaders_replace(struct leaders *l, int32_t node, bool draining, struct peer_claim *claims,
		    int n, int64_t now_ms)
{
	struct node_table *t = find(l, node);
	if (t == NULL) {
		if (l->n == l->cap) {
			int cap = l->cap ? l->cap * 2 : 4;
			struct node_table *v = realloc(l->v, (size_t)cap * sizeof(*v));
			if (v == NULL) {
				free(claims);
				return ERR_NOMEM;
			}
			l->v = v;
			l->cap = cap;
		}
		t = &l->v[l->n++];
		memset(t, 0, sizeof(*t));
		t->node = node;
	}
	size_t cap = 16;
	while (cap < (size_t)n * 2 + 1)
		cap *= 2;
	int *index = malloc(cap * sizeof(*index));
	int64_t *since = malloc(((size_t)n + 1) * sizeof(*since));
	if (index == NULL || since == NULL) {
		free(index);
		free(since);
		free(claims);
		return ERR_NOMEM;
	}
	memset(index, 0xff, cap * sizeof(*index)); /* all -1 */
	for (int i = 0; i < n; i++) {
		size_t s = fnv_partition_key(claims[i].topic, strlen(claims[i].topic),
					     claims[i].partition) &
			   (cap - 1);
		while (index[s] >= 0)
			s = (s + 1) & (cap - 1);
		index[s] = i;
	}
	/* A claim stays healthy while every table in a row (no gap above
	 * LEADERS_GAP_MS) has it as a caught-up follower of the same leader
	 * in the same term. */
	bool unbroken = t->index != NULL && now_ms - t->updated_ms <= LEADERS_GAP_MS;
	for (int i = 0; i < n; i++) {
		const struct peer_claim *c = &claims[i];
		since[i] = -1;
		if (c->role != IPC_ROLE_FOLLOWER || !c->caught_up)
			continue;
		since[i] = now_ms;
		int j = unbroken ? lookup(t, c->topic, strlen(c->topic), c->partition) : -1;
		if (j >= 0 && t->since[j] >= 0 && t->claims[j].term == c->term &&
		    t->claims[j].leader == c->leader)
			since[i] = t->since[j];
	}
	table_clear(t);
	t->claims = claims;
	t->since = since;
	t->n = n;
	t->index = index;
	t->index_cap = cap;
	t->updated_ms = now_ms;
	t->draining = draining;
	return 0;
}

void leaders_forget(struct leaders *l, int32_t node)
{
	struct node_table *t = find(l, node);
	if (t != NULL)
		table_clear(t);
}

bool leaders_fresh(const struct leaders *l, int32_t node, int64_t now_ms)
{
	const struct node_table *t = l ? find(l, node) : NULL;
	return t != NULL && t->index != NULL && now_ms - t->updated_ms <= LEADERS_STALE_MS;
}

bool leaders_draining(const struct leaders *l, int32_t node, int64_t now_ms)
{
	return leaders_fresh(l, node, now_ms) && find(l, node)->draining;
}

const struct peer_claim *leaders_get(const struct leaders *l, int32_t node, const char *topic,
				     size_t len, int32_t partition, int64_t now_ms)
{
	if (!leaders_fresh(l, node, now_ms))
		return NULL;
	int i = lookup(find(l, node), topic, len, partition);
	return i >= 0 ? &find(l, node)->claims[i] : NULL;
}

int64_t leaders_age_ms(const struct leaders *l, int32_t node, int64_t now_ms)
{
	const struct node_table *t = l ? find(l, node) : NULL;
	return t != NULL && t->index != NULL ? now_ms - t->updated_ms : -1;
}

int64_t leaders_healthy_since(const struct leaders *l, int32_t node, const char *topic, size_t len,
			      int32_t partition, int64_t now_ms)
{
	const struct node_table *t = l ? find(l, node) : NULL;
	if (t == NULL || t->index == NULL || now_ms - t->updated_ms > LEADERS_GAP_MS)
		return -1;
	int i = lookup(t, topic, len, partition);
	return i >= 0 ? t->since[i] : -1;
}
