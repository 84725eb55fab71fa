/* group_coord.c - the classic group protocol: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, timeouts, and the coordinator's bookkeeping of
 * groups, records and waiting answers (see group_coord.h). Offsets are in
 * group_offsets.c, the admin APIs in group_admin.c. */
#include "group_coord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "worker/group_int.h"
#include "worker/group_rec.h"

/* --- small helpers ------------------------------------------------------ */

char *gc_strdup_k(struct kafka_str s)
{
	if (s.len < 0)
		return NULL;
	char *p = malloc((size_t)s.len + 1);
	if (p == NULL)
		return NULL;
	if (s.len > 0)
		memcpy(p, s.ptr, (size_t)s.len);
	p[s.len] = '\0';
	return p;
}

char *gc_strdup(const char *s) { return s ? strdup(s) : NULL; }

bool gc_str_is(const char *a, struct kafka_str b)
{
	if (a == NULL || b.len < 0)
		return a == NULL && b.len < 0;
	return kafka_str_eq(b, a);
}

static struct kafka_str ks(const char *s) { return kafka_str_from(s); }

const char *gc_state_name(enum gc_state s)
{
	switch (s) {
	case GC_EMPTY:
		return "Empty";
	case GC_PREPARING:
		return "PreparingRebalance";
	case GC_COMPLETING:
		return "CompletingRebalance";
	case GC_STABLE:
		return "Stable";
	default:
		return "Dead";
	}
}

int16_t gc_serving(const struct gc *g)
{
	if (!g->leading)
		return KERR_NOT_COORDINATOR;
	if (!g->loaded)
		return KERR_COORDINATOR_LOAD_IN_PROGRESS;
	return KERR_NONE;
}

void gc_send(struct gc *g, const struct gc_reply *to, struct buf *b)
{
	if (!b->oom)
		g->env.respond(g->env.ctx, to, b->data, b->len);
}

void gc_send_error(struct gc *g, const struct gc_reply *to, int16_t err)
{
	struct buf b;
	buf_init(&b);
	if (kafka_error_response_encode(&b, to->api_key, to->version, err) == 0)
		gc_send(g, to, &b);
	buf_free(&b);
}

/* --- groups ------------------------------------------------------------- */

struct gc_group *gc_find(const struct gc *g, const char *id, size_t len)
{
	for (int i = 0; i < g->n_groups; i++)
		if (strlen(g->groups[i]->id) == len && memcmp(g->groups[i]->id, id, len) == 0)
			return g->groups[i];
	return NULL;
}

struct gc_group *gc_get_or_create(struct gc *g, const char *id, size_t len)
{
	struct gc_group *gr = gc_find(g, id, len);
	if (gr)
		return gr;
	if (g->n_groups == g->cap_groups) {
		int cap = g->cap_groups ? 2 * g->cap_groups : 16;
		struct gc_group **v = realloc(g->groups, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		g->groups = v;
		g->cap_groups = cap;
	}
	gr = calloc(1, sizeof(*gr));
	if (gr == NULL)
		return NULL;
	gr->id = gc_strdup_k((struct kafka_str){id, (int32_t)len});
	if (gr->id == NULL) {
		free(gr);
		return NULL;
	}
	gr->state = GC_EMPTY;
	g->groups[g->n_groups++] = gr;
	return gr;
}

static void member_free_protos(struct gc_member *m)
{
	for (int i = 0; i < m->n_protos; i++) {
		free(m->protos[i].name);
		free(m->protos[i].meta);
	}
	free(m->protos);
	m->protos = NULL;
	m->n_protos = 0;
}

static void member_free(struct gc_member *m)
{
	free(m->id);
	free(m->instance_id);
	free(m->client_id);
	free(m->host);
	member_free_protos(m);
	free(m->assignment);
	memset(m, 0, sizeof(*m));
}

/* Drops the live state (members, pending ids, protocol); the replicated
 * state stays. */
static void group_clear_live(struct gc_group *gr)
{
	for (int i = 0; i < gr->n_members; i++)
		member_free(&gr->members[i]);
	free(gr->members);
	gr->members = NULL;
	gr->n_members = gr->cap_members = 0;
	for (int i = 0; i < gr->n_pending; i++)
		free(gr->pending[i].id);
	free(gr->pending);
	gr->pending = NULL;
	gr->n_pending = gr->cap_pending = 0;
	free(gr->protocol_type);
	free(gr->protocol);
	free(gr->leader);
	gr->protocol_type = gr->protocol = gr->leader = NULL;
	gr->state = GC_EMPTY;
	gr->generation = 0;
}

static void group_free(struct gc_group *gr)
{
	group_clear_live(gr);
	for (int i = 0; i < gr->n_offsets; i++) {
		free(gr->offsets[i].topic);
		free(gr->offsets[i].metadata);
	}
	free(gr->offsets);
	free(gr->rec);
	free(gr->id);
	free(gr);
}

void gc_group_remove(struct gc *g, struct gc_group *gr)
{
	for (int i = 0; i < g->n_groups; i++) {
		if (g->groups[i] != gr)
			continue;
		g->groups[i] = g->groups[--g->n_groups];
		group_free(gr);
		return;
	}
}

static struct gc_member *member_find(struct gc_group *gr, struct kafka_str id)
{
	for (int i = 0; i < gr->n_members; i++)
		if (kafka_str_eq(id, gr->members[i].id))
			return &gr->members[i];
	return NULL;
}

static struct gc_member *member_by_instance(struct gc_group *gr, struct kafka_str inst)
{
	if (inst.len < 0)
		return NULL;
	for (int i = 0; i < gr->n_members; i++)
		if (gr->members[i].instance_id && kafka_str_eq(inst, gr->members[i].instance_id))
			return &gr->members[i];
	return NULL;
}

static struct gc_member *member_add(struct gc_group *gr)
{
	if (gr->n_members == gr->cap_members) {
		int cap = gr->cap_members ? 2 * gr->cap_members : 4;
		struct gc_member *v = realloc(gr->members, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		gr->members = v;
		gr->cap_members = cap;
	}
	struct gc_member *m = &gr->members[gr->n_members++];
	memset(m, 0, sizeof(*m));
	return m;
}

static void member_remove(struct gc_group *gr, struct gc_member *m)
{
	member_free(m);
	size_t i = (size_t)(m - gr->members);
	memmove(m, m + 1, (size_t)(gr->n_members - 1 - (int)i) * sizeof(*m));
	gr->n_members--;
}

static int pending_find(struct gc_group *gr, struct kafka_str id)
{
	for (int i = 0; i < gr->n_pending; i++)
		if (kafka_str_eq(id, gr->pending[i].id))
			return i;
	return -1;
}

static void pending_remove(struct gc_group *gr, int i)
{
	free(gr->pending[i].id);
	gr->pending[i] = gr->pending[--gr->n_pending];
}

static int pending_add(struct gc_group *gr, const char *id, int64_t deadline)
{
	if (gr->n_pending == gr->cap_pending) {
		int cap = gr->cap_pending ? 2 * gr->cap_pending : 4;
		struct gc_pending_member *v = realloc(gr->pending, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return ERR_NOMEM;
		gr->pending = v;
		gr->cap_pending = cap;
	}
	char *c = strdup(id);
	if (c == NULL)
		return ERR_NOMEM;
	gr->pending[gr->n_pending++] = (struct gc_pending_member){c, deadline};
	return 0;
}

/* --- records and waiters ------------------------------------------------ */

void gc_add_record(struct gc *g, const struct buf *key, const struct buf *val)
{
	buf_put_u32(&g->records, (uint32_t)key->len);
	buf_put(&g->records, key->data, key->len);
	if (val == NULL) {
		buf_put_u32(&g->records, 0xffffffffu);
	} else {
		buf_put_u32(&g->records, (uint32_t)val->len);
		buf_put(&g->records, val->data, val->len);
	}
	g->n_records++;
}

struct gc_waiter *gc_wait(struct gc *g, enum gw_kind kind, const struct gc_reply *to,
			  const char *group)
{
	struct gc_waiter *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->kind = kind;
	if (to)
		w->to = *to;
	buf_init(&w->ok);
	buf_init(&w->fail);
	w->group = gc_strdup(group);
	struct gc_waiter **p = &g->waiters;
	while (*p)
		p = &(*p)->next;
	*p = w;
	return w;
}

static void waiter_free(struct gc *g, struct gc_waiter *w)
{
	if (w->commit) {
		struct gc_group *gr = w->group ? gc_find(g, w->group, strlen(w->group)) : NULL;
		if (gr && gr->n_commits_in_flight > 0)
			gr->n_commits_in_flight--;
	}
	buf_free(&w->ok);
	buf_free(&w->fail);
	free(w->group);
	free(w);
}

void gc_persist_group(struct gc *g, struct gc_group *gr, int64_t now)
{
	struct buf k, v;
	buf_init(&k);
	buf_init(&v);
	grec_key_group(&k, gr->id);
	struct grec_group h = {.protocol_type = ks(gr->protocol_type),
			       .generation = gr->generation,
			       .protocol = ks(gr->protocol),
			       .leader = ks(gr->leader),
			       .ms = now,
			       .n_members = gr->n_members};
	grec_value_group(&v, &h);
	for (int i = 0; i < gr->n_members; i++) {
		const struct gc_member *m = &gr->members[i];
		struct grec_member rm = {
		    .id = ks(m->id),
		    .instance_id = ks(m->instance_id),
		    .client_id = ks(m->client_id),
		    .host = ks(m->host),
		    .session_ms = m->session_ms,
		    .rebalance_ms = m->rebalance_ms,
		    .assignment = {m->assignment, m->assignment_len},
		};
		for (int j = 0; j < m->n_protos; j++)
			if (gr->protocol && strcmp(m->protos[j].name, gr->protocol) == 0)
				rm.subscription =
				    (struct kafka_bytes){m->protos[j].meta, m->protos[j].meta_len};
		grec_value_member(&v, &rm);
	}
	gc_add_record(g, &k, &v);
	buf_free(&k);
	buf_free(&v);
}

int gc_take_records(struct gc *g, struct buf *out)
{
	buf_free(out);
	*out = g->records;
	buf_init(&g->records);
	int n = g->n_records;
	g->n_records = 0;
	for (struct gc_waiter *w = g->waiters; w; w = w->next)
		if (w->stage == 0)
			w->stage = 1;
	return n;
}

void gc_proposed(struct gc *g, uint64_t index)
{
	for (struct gc_waiter *w = g->waiters; w; w = w->next)
		if (w->stage == 1) {
			w->stage = 2;
			w->index = index;
		}
}

static void answer_syncs(struct gc *g, struct gc_group *gr, int16_t err);
static void prepare_rebalance(struct gc *g, struct gc_group *gr, int64_t now);

static void waiter_done(struct gc *g, struct gc_waiter *w, bool ok)
{
	if (w->kind == GW_BODY) {
		gc_send(g, &w->to, ok ? &w->ok : &w->fail);
		return;
	}
	if (w->kind != GW_SYNC)
		return;
	struct gc_group *gr = gc_find(g, w->group, strlen(w->group));
	if (gr == NULL || gr->generation != w->generation || gr->state != GC_COMPLETING)
		return;
	if (ok) {
		gr->state = GC_STABLE;
		answer_syncs(g, gr, KERR_NONE);
	} else {
		answer_syncs(g, gr, KERR_NOT_COORDINATOR);
	}
}

/* Answers and frees the waiters selected by stage (and index). */
static void waiters_finish(struct gc *g, int stage, uint64_t upto, bool ok)
{
	struct gc_waiter **p = &g->waiters;
	while (*p) {
		struct gc_waiter *w = *p;
		if (w->stage == stage && (stage != 2 || w->index <= upto)) {
			*p = w->next;
			waiter_done(g, w, ok);
			waiter_free(g, w);
		} else {
			p = &w->next;
		}
	}
}

void gc_propose_failed(struct gc *g) { waiters_finish(g, 1, 0, false); }

void gc_committed(struct gc *g, uint64_t index) { waiters_finish(g, 2, index, true); }

/* --- lifecycle ---------------------------------------------------------- */

void gc_init(struct gc *g, const struct gc_config *cfg, const struct gc_env *env)
{
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	g->env = *env;
	buf_init(&g->records);
	g->last_expire_ms = INT64_MIN;
}

void gc_close(struct gc *g)
{
	while (g->waiters) {
		struct gc_waiter *w = g->waiters;
		g->waiters = w->next;
		w->commit = false;
		waiter_free(g, w);
	}
	for (int i = 0; i < g->n_groups; i++)
		group_free(g->groups[i]);
	free(g->groups);
	buf_free(&g->records);
	memset(g, 0, sizeof(*g));
}

void gc_lead(struct gc *g)
{
	g->leading = true;
	g->loaded = false;
}

/* Builds a group's live state from its applied record. */
static void group_load(struct gc_group *gr, int64_t now)
{
	group_clear_live(gr);
	gr->empty_since = 0;
	if (gr->rec == NULL)
		return;
	struct reader r;
	struct grec_group h;
	if (grec_parse_group(&r, gr->rec, gr->rec_len, &h) != 0)
		return;
	gr->generation = h.generation;
	gr->protocol_type = gc_strdup_k(h.protocol_type);
	gr->protocol = gc_strdup_k(h.protocol);
	gr->leader = gc_strdup_k(h.leader);
	for (int32_t i = 0; i < h.n_members; i++) {
		struct grec_member rm;
		if (grec_parse_member(&r, &rm) != 0)
			break;
		struct gc_member *m = member_add(gr);
		if (m == NULL)
			break;
		m->id = gc_strdup_k(rm.id);
		m->instance_id = gc_strdup_k(rm.instance_id);
		m->client_id = gc_strdup_k(rm.client_id);
		m->host = gc_strdup_k(rm.host);
		m->session_ms = rm.session_ms;
		m->rebalance_ms = rm.rebalance_ms;
		m->deadline = now + rm.session_ms;
		if (gr->protocol && (m->protos = calloc(1, sizeof(*m->protos)))) {
			m->n_protos = 1;
			m->protos[0].name = strdup(gr->protocol);
			if (rm.subscription.len > 0 &&
			    (m->protos[0].meta = malloc((size_t)rm.subscription.len))) {
				memcpy(m->protos[0].meta, rm.subscription.ptr,
				       (size_t)rm.subscription.len);
				m->protos[0].meta_len = rm.subscription.len;
			}
		}
		if (rm.assignment.len > 0 && (m->assignment = malloc((size_t)rm.assignment.len))) {
			memcpy(m->assignment, rm.assignment.ptr, (size_t)rm.assignment.len);
			m->assignment_len = rm.assignment.len;
		}
	}
	gr->state = gr->n_members > 0 ? GC_STABLE : GC_EMPTY;
	if (gr->n_members == 0)
		gr->empty_since = h.ms;
}

void gc_loaded(struct gc *g, int64_t now)
{
	if (!g->leading || g->loaded)
		return;
	for (int i = 0; i < g->n_groups; i++)
		group_load(g->groups[i], now);
	g->loaded = true;
}

void gc_step_down(struct gc *g)
{
	/* Held joins and syncs first, then everything waiting on a record. */
	for (int i = 0; i < g->n_groups; i++) {
		struct gc_group *gr = g->groups[i];
		for (int j = 0; j < gr->n_members; j++) {
			struct gc_member *m = &gr->members[j];
			if (m->join_waiting)
				gc_send_error(g, &m->join_to, KERR_NOT_COORDINATOR);
			if (m->sync_waiting)
				gc_send_error(g, &m->sync_to, KERR_NOT_COORDINATOR);
			m->join_waiting = m->sync_waiting = false;
		}
	}
	waiters_finish(g, 0, 0, false);
	waiters_finish(g, 1, 0, false);
	waiters_finish(g, 2, UINT64_MAX, false);
	buf_reset(&g->records);
	g->n_records = 0;
	for (int i = 0; i < g->n_groups; i++) {
		group_clear_live(g->groups[i]);
		g->groups[i]->n_commits_in_flight = 0;
	}
	g->leading = g->loaded = false;
}

void gc_count_states(const struct gc *g, uint64_t n[GC_DEAD + 1])
{
	for (int i = 0; i <= GC_DEAD; i++)
		n[i] = 0;
	if (!g->loaded)
		return;
	for (int i = 0; i < g->n_groups; i++)
		n[g->groups[i]->state]++;
}

/* --- applying records --------------------------------------------------- */

int gc_apply_record(struct gc *g, const uint8_t *key, int32_t klen, const uint8_t *val,
		    int32_t vlen)
{
	struct grec_key k;
	if (key == NULL || klen < 0 || grec_parse_key(key, (size_t)klen, &k) != 0 ||
	    k.group.len == 0)
		return ERR_INVALID;
	if (k.type == GREC_OFFSET)
		return gc_apply_offset(g, &k, val, vlen);
	struct gc_group *gr = gc_find(g, k.group.ptr, (size_t)k.group.len);
	if (val == NULL || vlen < 0) {
		/* Group tombstone (DeleteGroups, or empty and offset-less). */
		if (gr == NULL)
			return 0;
		if (g->loaded && (gr->n_members > 0 || gr->n_pending > 0)) {
			free(gr->rec);
			gr->rec = NULL;
			return 0;
		}
		gc_group_remove(g, gr);
		return 0;
	}
	struct reader r;
	struct grec_group h;
	if (grec_parse_group(&r, val, (size_t)vlen, &h) != 0)
		return ERR_INVALID;
	if (gr == NULL && (gr = gc_get_or_create(g, k.group.ptr, (size_t)k.group.len)) == NULL)
		return ERR_NOMEM;
	uint8_t *copy = malloc((size_t)vlen + 1);
	if (copy == NULL)
		return ERR_NOMEM;
	memcpy(copy, val, (size_t)vlen);
	free(gr->rec);
	gr->rec = copy;
	gr->rec_len = (size_t)vlen;
	gr->rec_ms = h.ms;
	return 0;
}

int gc_apply_list(struct gc *g, const uint8_t *p, size_t len, int n)
{
	struct reader r;
	reader_init(&r, p, len);
	for (int i = 0; i < n; i++) {
		uint32_t kl = reader_u32(&r);
		const uint8_t *k = reader_bytes(&r, kl);
		uint32_t vl = reader_u32(&r);
		const uint8_t *v = vl == 0xffffffffu ? NULL : reader_bytes(&r, vl);
		if (r.err)
			return ERR_INVALID;
		gc_apply_record(g, k, (int32_t)kl, v, v ? (int32_t)vl : -1);
	}
	return 0;
}

int gc_snapshot(const struct gc *g, struct buf *out)
{
	struct buf k, v;
	buf_init(&k);
	buf_init(&v);
	int n = 0;
	for (int i = 0; i < g->n_groups; i++) {
		const struct gc_group *gr = g->groups[i];
		if (gr->rec) {
			buf_reset(&k);
			grec_key_group(&k, gr->id);
			buf_put_u32(out, (uint32_t)k.len);
			buf_put(out, k.data, k.len);
			buf_put_u32(out, (uint32_t)gr->rec_len);
			buf_put(out, gr->rec, gr->rec_len);
			n++;
		}
		for (int j = 0; j < gr->n_offsets; j++) {
			const struct gc_offset *o = &gr->offsets[j];
			buf_reset(&k);
			buf_reset(&v);
			grec_key_offset(&k, gr->id, o->topic, strlen(o->topic), o->partition);
			struct grec_offset ov = {.offset = o->offset,
						 .leader_epoch = o->leader_epoch,
						 .metadata = ks(o->metadata),
						 .commit_ms = o->commit_ms};
			grec_value_offset(&v, &ov);
			buf_put_u32(out, (uint32_t)k.len);
			buf_put(out, k.data, k.len);
			buf_put_u32(out, (uint32_t)v.len);
			buf_put(out, v.data, v.len);
			n++;
		}
	}
	bool oom = k.oom || v.oom || out->oom;
	buf_free(&k);
	buf_free(&v);
	return oom ? ERR_NOMEM : n;
}

/* --- the join phase ----------------------------------------------------- */

static bool member_supports(const struct gc_member *m, const char *proto)
{
	for (int i = 0; i < m->n_protos; i++)
		if (strcmp(m->protos[i].name, proto) == 0)
			return true;
	return false;
}

/* Kafka's selection: among the protocols every member supports, each member
 * votes for the first of its own list; most votes wins (ties: the earlier
 * candidate in the first member's list). NULL when there is none. */
static const char *select_protocol(const struct gc_group *gr)
{
	if (gr->n_members == 0)
		return NULL;
	const struct gc_member *first = &gr->members[0];
	const char *best = NULL;
	int best_votes = -1;
	for (int c = 0; c < first->n_protos; c++) {
		const char *cand = first->protos[c].name;
		bool all = true;
		for (int i = 1; i < gr->n_members && all; i++)
			all = member_supports(&gr->members[i], cand);
		if (!all)
			continue;
		int votes = 0;
		for (int i = 0; i < gr->n_members; i++) {
			const struct gc_member *m = &gr->members[i];
			for (int j = 0; j < m->n_protos; j++) {
				const char *p = m->protos[j].name;
				bool pall = true;
				for (int k = 0; k < gr->n_members && pall; k++)
					pall = member_supports(&gr->members[k], p);
				if (pall) {
					votes += strcmp(p, cand) == 0;
					break;
				}
			}
		}
		if (votes > best_votes) {
			best = cand;
			best_votes = votes;
		}
	}
	return best;
}

/* True when a joining member's protocols fit the group: same type, and at
 * least one protocol every current member (but `self`) also supports. */
static bool protocols_fit(const struct gc_group *gr, const struct kafka_join_group_request *q,
			  const struct gc_member *self)
{
	if (q->protocol_type.len <= 0 || q->n_protocols <= 0)
		return false;
	int others = 0;
	for (int i = 0; i < gr->n_members; i++)
		others += &gr->members[i] != self;
	if (others == 0)
		return true;
	if (gr->protocol_type && !kafka_str_eq(q->protocol_type, gr->protocol_type))
		return false;
	for (int p = 0; p < q->n_protocols; p++) {
		char *name = gc_strdup_k(q->protocols[p].name);
		if (name == NULL)
			continue;
		bool all = true;
		for (int i = 0; i < gr->n_members && all; i++)
			if (&gr->members[i] != self)
				all = member_supports(&gr->members[i], name);
		free(name);
		if (all)
			return true;
	}
	return false;
}

static int set_protocols(struct gc_member *m, const struct kafka_join_group_request *q)
{
	member_free_protos(m);
	m->protos = calloc((size_t)q->n_protocols, sizeof(*m->protos));
	if (m->protos == NULL)
		return ERR_NOMEM;
	for (int i = 0; i < q->n_protocols; i++) {
		struct gc_proto *p = &m->protos[m->n_protos++];
		p->name = gc_strdup_k(q->protocols[i].name);
		int32_t n = q->protocols[i].metadata.len > 0 ? q->protocols[i].metadata.len : 0;
		p->meta = malloc((size_t)n + 1);
		if (p->name == NULL || p->meta == NULL)
			return ERR_NOMEM;
		if (n > 0)
			memcpy(p->meta, q->protocols[i].metadata.ptr, (size_t)n);
		p->meta_len = n;
	}
	return 0;
}

/* Same protocol names and metadata, in the same order. */
static bool same_protocols(const struct gc_member *m, const struct kafka_join_group_request *q)
{
	if (m->n_protos != q->n_protocols)
		return false;
	for (int i = 0; i < m->n_protos; i++) {
		const struct kafka_join_group_request_join_group_request_protocol *p =
		    &q->protocols[i];
		int32_t n = p->metadata.len > 0 ? p->metadata.len : 0;
		if (!kafka_str_eq(p->name, m->protos[i].name) || n != m->protos[i].meta_len ||
		    (n > 0 && memcmp(p->metadata.ptr, m->protos[i].meta, (size_t)n) != 0))
			return false;
	}
	return true;
}

static const struct gc_proto *chosen(const struct gc_group *gr, const struct gc_member *m)
{
	for (int i = 0; gr->protocol && i < m->n_protos; i++)
		if (strcmp(m->protos[i].name, gr->protocol) == 0)
			return &m->protos[i];
	return NULL;
}

/* Encodes a JoinGroup response; the member list only when `members`. */
static void encode_join(struct buf *b, const struct gc_group *gr, int16_t version, int16_t err,
			const char *member_id, bool members, bool skip)
{
	struct kafka_join_group_response resp;
	kafka_join_group_response_init(&resp);
	resp.error_code = err;
	resp.member_id = ks(member_id ? member_id : "");
	resp.generation_id = -1;
	resp.leader = ks("");
	resp.protocol_name = version >= 7 ? (struct kafka_str){NULL, -1} : ks("");
	struct kafka_join_group_response_join_group_response_member *v = NULL;
	if (err == KERR_NONE && gr) {
		resp.generation_id = gr->generation;
		resp.protocol_type = ks(gr->protocol_type);
		resp.protocol_name = ks(gr->protocol ? gr->protocol : "");
		resp.leader = ks(gr->leader ? gr->leader : "");
		resp.skip_assignment = skip;
		if (members && gr->n_members > 0 &&
		    (v = calloc((size_t)gr->n_members, sizeof(*v)))) {
			for (int i = 0; i < gr->n_members; i++) {
				const struct gc_member *m = &gr->members[i];
				const struct gc_proto *p = chosen(gr, m);
				kafka_join_group_response_join_group_response_member_init(&v[i]);
				v[i].member_id = ks(m->id);
				v[i].group_instance_id = ks(m->instance_id);
				v[i].metadata = p ? (struct kafka_bytes){p->meta, p->meta_len}
						  : (struct kafka_bytes){NULL, 0};
			}
			resp.members = v;
			resp.n_members = gr->n_members;
		}
	}
	if (kafka_join_group_response_encode(b, version, &resp) != 0)
		b->oom = true;
	free(v);
}

static void join_answer(struct gc *g, const struct gc_reply *to, const struct gc_group *gr,
			int16_t err, const char *member_id, bool members, bool skip)
{
	struct buf b;
	buf_init(&b);
	encode_join(&b, gr, to->version, err, member_id, members, skip);
	gc_send(g, to, &b);
	buf_free(&b);
}

static void encode_sync(struct buf *b, const struct gc_group *gr, int16_t version, int16_t err,
			const struct gc_member *m)
{
	struct kafka_sync_group_response resp;
	kafka_sync_group_response_init(&resp);
	resp.error_code = err;
	resp.assignment = (struct kafka_bytes){NULL, 0};
	if (err == KERR_NONE && gr) {
		resp.protocol_type = ks(gr->protocol_type);
		resp.protocol_name = ks(gr->protocol);
		if (m && m->assignment)
			resp.assignment = (struct kafka_bytes){m->assignment, m->assignment_len};
	}
	if (kafka_sync_group_response_encode(b, version, &resp) != 0)
		b->oom = true;
}

static void sync_answer(struct gc *g, const struct gc_reply *to, const struct gc_group *gr,
			int16_t err, const struct gc_member *m)
{
	struct buf b;
	buf_init(&b);
	encode_sync(&b, gr, to->version, err, m);
	gc_send(g, to, &b);
	buf_free(&b);
}

static void answer_syncs(struct gc *g, struct gc_group *gr, int16_t err)
{
	for (int i = 0; i < gr->n_members; i++) {
		struct gc_member *m = &gr->members[i];
		if (!m->sync_waiting)
			continue;
		m->sync_waiting = false;
		sync_answer(g, &m->sync_to, gr, err, m);
	}
}

/* The join phase ends: a new generation, its protocol and leader, and every
 * waiting member answered (the leader with the member list). An empty
 * group becomes Empty with the next generation, and is recorded. */
static void complete_join(struct gc *g, struct gc_group *gr, int64_t now)
{
	/* Members that did not rejoin in time leave. */
	for (int i = 0; i < gr->n_members;) {
		if (!gr->members[i].join_waiting)
			member_remove(gr, &gr->members[i]);
		else
			i++;
	}
	gr->generation++;
	gr->initial_until = 0;
	g->counters.rebalances++;
	free(gr->protocol);
	gr->protocol = NULL;
	if (gr->n_members == 0) {
		free(gr->leader);
		gr->leader = NULL;
		free(gr->protocol_type);
		gr->protocol_type = NULL;
		gr->state = GC_EMPTY;
		gr->empty_since = now;
		gc_persist_group(g, gr, now);
		gc_wait(g, GW_NONE, NULL, gr->id);
		return;
	}
	const char *p = select_protocol(gr);
	gr->protocol = gc_strdup(p);
	bool leader_stays = gr->leader && member_find(gr, ks(gr->leader)) != NULL;
	if (!leader_stays) {
		free(gr->leader);
		gr->leader = strdup(gr->members[0].id);
	}
	gr->state = GC_COMPLETING;
	for (int i = 0; i < gr->n_members; i++) {
		struct gc_member *m = &gr->members[i];
		m->join_waiting = false;
		m->is_new = false;
		m->deadline = now + m->session_ms;
		free(m->assignment);
		m->assignment = NULL;
		m->assignment_len = 0;
		join_answer(g, &m->join_to, gr, KERR_NONE, m->id, strcmp(m->id, gr->leader) == 0,
			    false);
	}
}

static void try_complete_join(struct gc *g, struct gc_group *gr, int64_t now)
{
	if (gr->state != GC_PREPARING || gr->n_pending > 0 || gr->initial_until > now)
		return;
	for (int i = 0; i < gr->n_members; i++)
		if (!gr->members[i].join_waiting)
			return;
	complete_join(g, gr, now);
}

/* One initial delay from now, but not past the rebalance timeout. */
static int64_t initial_delay_end(const struct gc *g, const struct gc_group *gr, int64_t now)
{
	int64_t end = now + g->cfg.initial_delay_ms;
	return end < gr->rebalance_deadline ? end : gr->rebalance_deadline;
}

static void prepare_rebalance(struct gc *g, struct gc_group *gr, int64_t now)
{
	if (gr->state == GC_COMPLETING) {
		for (int i = 0; i < gr->n_members; i++) {
			free(gr->members[i].assignment);
			gr->members[i].assignment = NULL;
			gr->members[i].assignment_len = 0;
		}
		answer_syncs(g, gr, KERR_REBALANCE_IN_PROGRESS);
	}
	if (gr->state != GC_PREPARING) {
		int32_t t = 0;
		for (int i = 0; i < gr->n_members; i++)
			if (gr->members[i].rebalance_ms > t)
				t = gr->members[i].rebalance_ms;
		gr->rebalance_deadline = now + t;
		/* Consumers of a new or idle group usually start together:
		 * wait for the others rather than rebalance once per arrival
		 * (Kafka's InitialDelayedJoin). */
		gr->initial_until = 0;
		if (gr->state == GC_EMPTY && g->cfg.initial_delay_ms > 0)
			gr->initial_until = initial_delay_end(g, gr, now);
	}
	gr->state = GC_PREPARING;
	try_complete_join(g, gr, now);
}

/* A member id: the client id, a dash and 16 hex digits unique to this
 * coordinator's life (counter and time mixed with the seed). */
static void new_member_id(struct gc *g, char *out, size_t n, const char *client_id, int64_t now)
{
	uint64_t x =
	    g->cfg.seed ^ ((uint64_t)now << 20) ^ (++g->id_counter * 0x9e3779b97f4a7c15ull);
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	snprintf(out, n, "%.200s-%016llx", client_id ? client_id : "", (unsigned long long)x);
}

static int fill_member(struct gc_member *m, const struct kafka_join_group_request *q,
		       const char *client_id, const char *host, int16_t version)
{
	free(m->client_id);
	free(m->host);
	m->client_id = gc_strdup(client_id ? client_id : "");
	m->host = gc_strdup(host ? host : "");
	m->session_ms = q->session_timeout_ms;
	m->rebalance_ms = version >= 1 ? q->rebalance_timeout_ms : q->session_timeout_ms;
	if (m->client_id == NULL || m->host == NULL)
		return ERR_NOMEM;
	return set_protocols(m, q);
}

/* A static member (group.instance.id) rejoins with no member id: it takes
 * the place of its old member id, which is fenced. A Stable group with
 * unchanged protocols does not rebalance (the point of static
 * membership); the leader of an older client does, since it would
 * otherwise reassign from an empty member list. */
static void join_static_known(struct gc *g, int64_t now, const struct gc_reply *to,
			      struct gc_group *gr, struct gc_member *m,
			      const struct kafka_join_group_request *q, const char *client_id,
			      const char *host)
{
	if (m->join_waiting)
		gc_send_error(g, &m->join_to, KERR_FENCED_INSTANCE_ID);
	if (m->sync_waiting)
		gc_send_error(g, &m->sync_to, KERR_FENCED_INSTANCE_ID);
	m->join_waiting = m->sync_waiting = false;
	char id[256];
	new_member_id(g, id, sizeof(id), client_id, now);
	bool was_leader = gr->leader && strcmp(gr->leader, m->id) == 0;
	char *nid = strdup(id);
	if (nid == NULL) {
		join_answer(g, to, NULL, KERR_UNKNOWN_SERVER_ERROR, "", false, false);
		return;
	}
	free(m->id);
	m->id = nid;
	if (was_leader) {
		free(gr->leader);
		gr->leader = strdup(nid);
	}
	m->deadline = now + q->session_timeout_ms;
	bool same = same_protocols(m, q) || (m->n_protos == 1 && gr->protocol &&
					     chosen(gr, m) != NULL && q->n_protocols > 0);
	if (gr->state == GC_STABLE && same && (!was_leader || to->version >= 9)) {
		m->session_ms = q->session_timeout_ms;
		m->rebalance_ms =
		    to->version >= 1 ? q->rebalance_timeout_ms : q->session_timeout_ms;
		free(m->client_id);
		free(m->host);
		m->client_id = gc_strdup(client_id ? client_id : "");
		m->host = gc_strdup(host ? host : "");
		/* The new member id is recorded before it is handed out, so a
		 * coordinator failover does not fence the member it just
		 * accepted. */
		gc_persist_group(g, gr, now);
		struct gc_waiter *w = gc_wait(g, GW_BODY, to, gr->id);
		if (w == NULL)
			return;
		encode_join(&w->ok, gr, to->version, KERR_NONE, m->id, was_leader, was_leader);
		encode_join(&w->fail, gr, to->version, KERR_NOT_COORDINATOR, m->id, false, false);
		return;
	}
	if (fill_member(m, q, client_id, host, to->version) != 0) {
		join_answer(g, to, NULL, KERR_UNKNOWN_SERVER_ERROR, "", false, false);
		return;
	}
	m->join_waiting = true;
	m->join_to = *to;
	prepare_rebalance(g, gr, now);
}

static void handle_join(struct gc *g, int64_t now, const struct gc_reply *to,
			const struct kafka_join_group_request *q, const char *client_id,
			const char *host)
{
	int16_t err = gc_serving(g);
	const char *mid = NULL;
	char idbuf[256];
	struct kafka_str member = q->member_id.len < 0 ? ks("") : q->member_id;
	if (q->group_id.len <= 0 || q->group_id.len > GC_GROUP_ID_MAX)
		err = KERR_INVALID_GROUP_ID;
	else if (err == KERR_NONE && (q->session_timeout_ms < g->cfg.min_session_ms ||
				      q->session_timeout_ms > g->cfg.max_session_ms))
		err = KERR_INVALID_SESSION_TIMEOUT;
	if (err != KERR_NONE) {
		join_answer(g, to, NULL, err, NULL, false, false);
		return;
	}
	struct gc_group *gr = gc_find(g, q->group_id.ptr, (size_t)q->group_id.len);
	if (gr == NULL && member.len > 0) {
		join_answer(g, to, NULL, KERR_UNKNOWN_MEMBER_ID, NULL, false, false);
		return;
	}
	if (gr == NULL &&
	    (gr = gc_get_or_create(g, q->group_id.ptr, (size_t)q->group_id.len)) == NULL) {
		join_answer(g, to, NULL, KERR_UNKNOWN_SERVER_ERROR, NULL, false, false);
		return;
	}
	struct gc_member *m = member.len > 0 ? member_find(gr, member) : NULL;
	struct gc_member *by_inst = member_by_instance(gr, q->group_instance_id);
	if (!protocols_fit(gr, q, m ? m : by_inst)) {
		join_answer(g, to, NULL, KERR_INCONSISTENT_GROUP_PROTOCOL, NULL, false, false);
		return;
	}
	if (member.len == 0) {
		if (by_inst) {
			join_static_known(g, now, to, gr, by_inst, q, client_id, host);
			return;
		}
		if (gr->n_members + gr->n_pending >= g->cfg.max_size) {
			join_answer(g, to, NULL, KERR_GROUP_MAX_SIZE_REACHED, NULL, false, false);
			return;
		}
		new_member_id(g, idbuf, sizeof(idbuf), client_id, now);
		mid = idbuf;
		/* KIP-394: a v4+ dynamic member first learns its id and must
		 * come back with it, so a client that never returns holds no
		 * place in the rebalance for longer than its session. */
		if (to->version >= 4 && q->group_instance_id.len < 0) {
			if (pending_add(gr, mid, now + q->session_timeout_ms) != 0)
				err = KERR_UNKNOWN_SERVER_ERROR;
			else
				err = KERR_MEMBER_ID_REQUIRED;
			join_answer(g, to, NULL, err, mid, false, false);
			return;
		}
	} else if (m == NULL) {
		int pi = pending_find(gr, member);
		if (pi < 0) {
			join_answer(g, to, NULL,
				    by_inst ? KERR_FENCED_INSTANCE_ID : KERR_UNKNOWN_MEMBER_ID,
				    NULL, false, false);
			return;
		}
		if (gr->n_members >= g->cfg.max_size) {
			pending_remove(gr, pi);
			join_answer(g, to, NULL, KERR_GROUP_MAX_SIZE_REACHED, NULL, false, false);
			return;
		}
		pending_remove(gr, pi);
		mid = idbuf;
		snprintf(idbuf, sizeof(idbuf), "%.*s", (int)member.len, member.ptr);
	} else if (by_inst && by_inst != m) {
		join_answer(g, to, NULL, KERR_FENCED_INSTANCE_ID, NULL, false, false);
		return;
	}
	if (m == NULL) {
		/* A new member. */
		if (gr->n_members == 0) {
			free(gr->protocol_type);
			gr->protocol_type = gc_strdup_k(q->protocol_type);
		}
		m = member_add(gr);
		if (m == NULL || (m->id = strdup(mid)) == NULL) {
			if (m)
				member_remove(gr, m);
			join_answer(g, to, NULL, KERR_UNKNOWN_SERVER_ERROR, NULL, false, false);
			return;
		}
		m->instance_id = gc_strdup_k(q->group_instance_id);
		m->is_new = true;
		if (fill_member(m, q, client_id, host, to->version) != 0) {
			member_remove(gr, m);
			join_answer(g, to, NULL, KERR_UNKNOWN_SERVER_ERROR, NULL, false, false);
			return;
		}
		m->deadline = now + m->session_ms;
		m->join_waiting = true;
		m->join_to = *to;
		if (gr->state == GC_PREPARING && gr->initial_until > now)
			gr->initial_until = initial_delay_end(g, gr, now);
		prepare_rebalance(g, gr, now);
		return;
	}
	/* A known member rejoins. */
	if (m->join_waiting)
		gc_send_error(g, &m->join_to, KERR_REBALANCE_IN_PROGRESS);
	m->join_waiting = false;
	bool same = same_protocols(m, q);
	m->deadline = now + q->session_timeout_ms;
	if (gr->state == GC_STABLE && same && !(gr->leader && strcmp(gr->leader, m->id) == 0)) {
		/* Nothing changed for a follower: its current generation. */
		join_answer(g, to, gr, KERR_NONE, m->id, false, false);
		return;
	}
	if (fill_member(m, q, client_id, host, to->version) != 0) {
		join_answer(g, to, NULL, KERR_UNKNOWN_SERVER_ERROR, NULL, false, false);
		return;
	}
	m->join_waiting = true;
	m->join_to = *to;
	prepare_rebalance(g, gr, now);
}

/* --- sync, heartbeat, leave --------------------------------------------- */

/* Common checks of a member request: the error, or NONE with *out set. */
static int16_t check_member(struct gc *g, struct kafka_str group, struct kafka_str member,
			    struct kafka_str instance, struct gc_group **gro,
			    struct gc_member **out)
{
	int16_t err = gc_serving(g);
	if (group.len <= 0)
		return KERR_INVALID_GROUP_ID;
	if (err != KERR_NONE)
		return err;
	struct gc_group *gr = gc_find(g, group.ptr, (size_t)group.len);
	if (gr == NULL)
		return KERR_UNKNOWN_MEMBER_ID;
	struct gc_member *by_inst = member_by_instance(gr, instance);
	struct gc_member *m = member_find(gr, member);
	if (instance.len >= 0 && by_inst && by_inst != m)
		return KERR_FENCED_INSTANCE_ID;
	if (m == NULL)
		return KERR_UNKNOWN_MEMBER_ID;
	if (instance.len >= 0 && m->instance_id && !kafka_str_eq(instance, m->instance_id))
		return KERR_FENCED_INSTANCE_ID;
	*gro = gr;
	*out = m;
	return KERR_NONE;
}

static void handle_sync(struct gc *g, int64_t now, const struct gc_reply *to,
			const struct kafka_sync_group_request *q)
{
	struct gc_group *gr = NULL;
	struct gc_member *m = NULL;
	int16_t err = check_member(g, q->group_id, q->member_id, q->group_instance_id, &gr, &m);
	if (err == KERR_NONE && q->generation_id != gr->generation)
		err = KERR_ILLEGAL_GENERATION;
	if (err == KERR_NONE &&
	    ((q->protocol_type.len >= 0 && !gc_str_is(gr->protocol_type, q->protocol_type)) ||
	     (q->protocol_name.len >= 0 && !gc_str_is(gr->protocol, q->protocol_name))))
		err = KERR_INCONSISTENT_GROUP_PROTOCOL;
	if (err == KERR_NONE && gr->state == GC_PREPARING)
		err = KERR_REBALANCE_IN_PROGRESS;
	if (err == KERR_NONE && gr->state == GC_EMPTY)
		err = KERR_UNKNOWN_MEMBER_ID;
	if (err != KERR_NONE) {
		sync_answer(g, to, NULL, err, NULL);
		return;
	}
	m->deadline = now + m->session_ms;
	if (gr->state == GC_STABLE) {
		sync_answer(g, to, gr, KERR_NONE, m);
		return;
	}
	/* CompletingRebalance: wait for the leader's assignment. */
	if (m->sync_waiting)
		gc_send_error(g, &m->sync_to, KERR_REBALANCE_IN_PROGRESS);
	m->sync_waiting = true;
	m->sync_to = *to;
	if (!gr->leader || strcmp(gr->leader, m->id) != 0)
		return;
	for (int i = 0; i < gr->n_members; i++) {
		struct gc_member *x = &gr->members[i];
		free(x->assignment);
		x->assignment = NULL;
		x->assignment_len = 0;
		for (int j = 0; j < q->n_assignments; j++) {
			const struct kafka_bytes *a = &q->assignments[j].assignment;
			if (!kafka_str_eq(q->assignments[j].member_id, x->id) || a->len <= 0)
				continue;
			if ((x->assignment = malloc((size_t)a->len))) {
				memcpy(x->assignment, a->ptr, (size_t)a->len);
				x->assignment_len = a->len;
			}
		}
	}
	gc_persist_group(g, gr, now);
	struct gc_waiter *w = gc_wait(g, GW_SYNC, NULL, gr->id);
	if (w)
		w->generation = gr->generation;
}

static void heartbeat_answer(struct gc *g, const struct gc_reply *to, int16_t err)
{
	struct kafka_heartbeat_response resp;
	kafka_heartbeat_response_init(&resp);
	resp.error_code = err;
	struct buf b;
	buf_init(&b);
	if (kafka_heartbeat_response_encode(&b, to->version, &resp) == 0)
		gc_send(g, to, &b);
	buf_free(&b);
}

static void handle_heartbeat(struct gc *g, int64_t now, const struct gc_reply *to,
			     const struct kafka_heartbeat_request *q)
{
	struct gc_group *gr = NULL;
	struct gc_member *m = NULL;
	int16_t err = check_member(g, q->group_id, q->member_id, q->group_instance_id, &gr, &m);
	if (err == KERR_NONE && gr->state == GC_EMPTY)
		err = KERR_UNKNOWN_MEMBER_ID;
	if (err == KERR_NONE && q->generation_id != gr->generation && !(gr->state == GC_PREPARING))
		err = KERR_ILLEGAL_GENERATION;
	if (err == KERR_NONE) {
		m->deadline = now + m->session_ms;
		if (gr->state == GC_PREPARING)
			err = KERR_REBALANCE_IN_PROGRESS;
	}
	heartbeat_answer(g, to, err);
}

/* Removes a member (left or expired) and rebalances what remains. */
static void member_leaves(struct gc *g, struct gc_group *gr, struct gc_member *m, int64_t now)
{
	if (m->join_waiting)
		gc_send_error(g, &m->join_to, KERR_UNKNOWN_MEMBER_ID);
	if (m->sync_waiting)
		gc_send_error(g, &m->sync_to, KERR_UNKNOWN_MEMBER_ID);
	member_remove(gr, m);
	if (gr->state == GC_STABLE || gr->state == GC_COMPLETING) {
		prepare_rebalance(g, gr, now);
		try_complete_join(g, gr, now);
	} else if (gr->state == GC_PREPARING) {
		try_complete_join(g, gr, now);
	}
}

static void handle_leave(struct gc *g, int64_t now, const struct gc_reply *to,
			 const struct kafka_leave_group_request *q)
{
	struct kafka_leave_group_response resp;
	kafka_leave_group_response_init(&resp);
	struct kafka_leave_group_response_member_response *v = NULL;
	int16_t err = gc_serving(g);
	if (q->group_id.len <= 0)
		err = KERR_INVALID_GROUP_ID;
	struct gc_group *gr = err ? NULL : gc_find(g, q->group_id.ptr, (size_t)q->group_id.len);
	if (err == KERR_NONE && gr == NULL)
		err = KERR_UNKNOWN_MEMBER_ID;
	if (err == KERR_NONE && to->version < 3) {
		struct gc_member *m = member_find(gr, q->member_id);
		if (m == NULL)
			err = KERR_UNKNOWN_MEMBER_ID;
		else
			member_leaves(g, gr, m, now);
	} else if (err == KERR_NONE) {
		int n = q->n_members > 0 ? q->n_members : 0;
		v = calloc((size_t)n + 1, sizeof(*v));
		for (int i = 0; v && i < n; i++) {
			const struct kafka_leave_group_request_member_identity *x = &q->members[i];
			kafka_leave_group_response_member_response_init(&v[i]);
			v[i].member_id = x->member_id;
			v[i].group_instance_id = x->group_instance_id;
			struct gc_member *m = NULL;
			if (x->group_instance_id.len >= 0) {
				m = member_by_instance(gr, x->group_instance_id);
				if (m && x->member_id.len > 0 &&
				    !kafka_str_eq(x->member_id, m->id)) {
					v[i].error_code = KERR_FENCED_INSTANCE_ID;
					continue;
				}
			} else {
				m = member_find(gr, x->member_id);
			}
			if (m == NULL) {
				v[i].error_code = KERR_UNKNOWN_MEMBER_ID;
				continue;
			}
			member_leaves(g, gr, m, now);
		}
		resp.members = v;
		resp.n_members = v ? n : 0;
	}
	resp.error_code = err;
	struct buf b;
	buf_init(&b);
	if (kafka_leave_group_response_encode(&b, to->version, &resp) == 0)
		gc_send(g, to, &b);
	buf_free(&b);
	free(v);
}

/* --- dispatch and time -------------------------------------------------- */

int gc_handle(struct gc *g, int64_t now, const struct gc_reply *to, const uint8_t *body, size_t len,
	      const char *client_id, const char *host)
{
	struct reader r;
	reader_init(&r, body, len);
	struct arena a;
	arena_init(&a);
	int rc = 0;
	switch (to->api_key) {
	case KAFKA_API_JOIN_GROUP: {
		struct kafka_join_group_request q;
		rc = kafka_join_group_request_decode(&r, to->version, &q, &a);
		if (rc == 0)
			handle_join(g, now, to, &q, client_id, host);
		break;
	}
	case KAFKA_API_SYNC_GROUP: {
		struct kafka_sync_group_request q;
		rc = kafka_sync_group_request_decode(&r, to->version, &q, &a);
		if (rc == 0)
			handle_sync(g, now, to, &q);
		break;
	}
	case KAFKA_API_HEARTBEAT: {
		struct kafka_heartbeat_request q;
		rc = kafka_heartbeat_request_decode(&r, to->version, &q, &a);
		if (rc == 0)
			handle_heartbeat(g, now, to, &q);
		break;
	}
	case KAFKA_API_LEAVE_GROUP: {
		struct kafka_leave_group_request q;
		rc = kafka_leave_group_request_decode(&r, to->version, &q, &a);
		if (rc == 0)
			handle_leave(g, now, to, &q);
		break;
	}
	case KAFKA_API_OFFSET_COMMIT:
		rc = gc_offset_commit(g, now, to, &r);
		break;
	case KAFKA_API_OFFSET_FETCH:
		rc = gc_offset_fetch(g, to, &r);
		break;
	case KAFKA_API_OFFSET_DELETE:
		rc = gc_offset_delete(g, to, &r);
		break;
	case KAFKA_API_DESCRIBE_GROUPS:
		rc = gc_describe_groups(g, to, &r);
		break;
	case KAFKA_API_LIST_GROUPS:
		rc = gc_list_groups(g, to, &r);
		break;
	case KAFKA_API_DELETE_GROUPS:
		rc = gc_delete_groups(g, now, to, &r);
		break;
	default:
		rc = ERR_UNSUPPORTED;
		break;
	}
	arena_free(&a);
	if (rc != 0) {
		struct buf b;
		buf_init(&b);
		int e =
		    kafka_error_response_encode(&b, to->api_key, to->version, KERR_INVALID_REQUEST);
		if (e == 0)
			gc_send(g, to, &b);
		buf_free(&b);
		return e == 0 ? 0 : ERR_INVALID;
	}
	return 0;
}

void gc_tick(struct gc *g, int64_t now)
{
	if (!g->leading || !g->loaded)
		return;
	for (int i = 0; i < g->n_groups; i++) {
		struct gc_group *gr = g->groups[i];
		for (int j = 0; j < gr->n_pending;) {
			if (gr->pending[j].deadline <= now) {
				pending_remove(gr, j);
				try_complete_join(g, gr, now);
			} else {
				j++;
			}
		}
		for (int j = 0; j < gr->n_members;) {
			struct gc_member *m = &gr->members[j];
			/* A member held in the join or sync phase is alive. */
			if (m->join_waiting || m->sync_waiting || m->deadline > now) {
				j++;
				continue;
			}
			member_leaves(g, gr, m, now);
		}
		if (gr->state == GC_PREPARING && gr->rebalance_deadline <= now)
			complete_join(g, gr, now);
		else if (gr->state == GC_PREPARING && gr->initial_until > 0 &&
			 gr->initial_until <= now)
			try_complete_join(g, gr, now);
	}
	gc_offsets_expire(g, now);
}
