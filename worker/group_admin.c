/* group_admin.c - DescribeGroups, ListGroups and DeleteGroups for the
 * groups of one coordinator (see group_coord.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "worker/group_coord.h"
#include "worker/group_int.h"
#include "worker/group_rec.h"

typedef struct kafka_describe_groups_response_described_group dg_group;
typedef struct kafka_describe_groups_response_described_group_member dg_member;

static struct kafka_str ks(const char *s) { return kafka_str_from(s); }

static void describe_one(struct gc *g, struct arena *a, dg_group *out, struct kafka_str id,
			 int16_t version)
{
	kafka_describe_groups_response_described_group_init(out);
	out->group_id = id;
	out->group_state = ks("");
	out->protocol_type = ks("");
	out->protocol_data = ks("");
	out->error_code = gc_serving(g);
	if (out->error_code != KERR_NONE)
		return;
	struct gc_group *gr = id.len > 0 ? gc_find(g, id.ptr, (size_t)id.len) : NULL;
	if (gr == NULL) {
		out->group_state = ks("Dead");
		/* v6+ (KIP-1043) names a missing group; older clients read Dead. */
		if (version >= 6)
			out->error_code = KERR_GROUP_ID_NOT_FOUND;
		return;
	}
	out->group_state = ks(gc_state_name(gr->state));
	out->protocol_type = ks(gr->protocol_type ? gr->protocol_type : "");
	/* Kafka names the protocol only once the group is Stable. */
	out->protocol_data = ks(gr->state == GC_STABLE && gr->protocol ? gr->protocol : "");
	dg_member *ms = arena_calloc(a, (size_t)gr->n_members + 1, sizeof(*ms));
	if (ms == NULL) {
		out->error_code = KERR_UNKNOWN_SERVER_ERROR;
		return;
	}
	for (int i = 0; i < gr->n_members; i++) {
		const struct gc_member *m = &gr->members[i];
		kafka_describe_groups_response_described_group_member_init(&ms[i]);
		ms[i].member_id = ks(m->id);
		ms[i].group_instance_id = ks(m->instance_id);
		ms[i].client_id = ks(m->client_id ? m->client_id : "");
		ms[i].client_host = ks(m->host ? m->host : "");
		ms[i].member_metadata = (struct kafka_bytes){NULL, 0};
		ms[i].member_assignment = (struct kafka_bytes){NULL, 0};
		if (gr->state == GC_STABLE) {
			for (int j = 0; j < m->n_protos; j++)
				if (gr->protocol && strcmp(m->protos[j].name, gr->protocol) == 0)
					ms[i].member_metadata = (struct kafka_bytes){
					    m->protos[j].meta, m->protos[j].meta_len};
			if (m->assignment)
				ms[i].member_assignment =
				    (struct kafka_bytes){m->assignment, m->assignment_len};
		}
	}
	out->members = ms;
	out->n_members = gr->n_members;
}

int gc_describe_groups(struct gc *g, const struct gc_reply *to, struct reader *r)
{
	struct arena a;
	arena_init(&a);
	struct kafka_describe_groups_request q;
	int rc = kafka_describe_groups_request_decode(r, to->version, &q, &a);
	if (rc != 0) {
		arena_free(&a);
		return rc;
	}
	struct kafka_describe_groups_response resp;
	kafka_describe_groups_response_init(&resp);
	int n = q.n_groups > 0 ? q.n_groups : 0;
	dg_group *gs = arena_calloc(&a, (size_t)n + 1, sizeof(*gs));
	for (int i = 0; gs && i < n; i++)
		describe_one(g, &a, &gs[i], q.groups[i], to->version);
	resp.groups = gs;
	resp.n_groups = gs ? n : 0;
	struct buf b;
	buf_init(&b);
	if (kafka_describe_groups_response_encode(&b, to->version, &resp) == 0)
		gc_send(g, to, &b);
	buf_free(&b);
	arena_free(&a);
	return 0;
}

typedef struct kafka_list_groups_response_listed_group lg_group;

static bool in_filter(const struct kafka_str *f, int n, const char *v)
{
	if (n <= 0)
		return true;
	for (int i = 0; i < n; i++)
		if (f[i].len == (int32_t)strlen(v) &&
		    strncasecmp(f[i].ptr, v, (size_t)f[i].len) == 0)
			return true;
	return false;
}

int gc_list_groups(struct gc *g, const struct gc_reply *to, struct reader *r)
{
	struct arena a;
	arena_init(&a);
	struct kafka_list_groups_request q;
	int rc = kafka_list_groups_request_decode(r, to->version, &q, &a);
	if (rc != 0) {
		arena_free(&a);
		return rc;
	}
	struct kafka_list_groups_response resp;
	kafka_list_groups_response_init(&resp);
	resp.error_code = gc_serving(g);
	if (resp.error_code == KERR_NONE) {
		lg_group *gs = arena_calloc(&a, (size_t)g->n_groups + 1, sizeof(*gs));
		for (int i = 0; gs && i < g->n_groups; i++) {
			const struct gc_group *gr = g->groups[i];
			const char *state = gc_state_name(gr->state);
			if (to->version >= 4 &&
			    !in_filter(q.states_filter, q.n_states_filter, state))
				continue;
			if (to->version >= 5 &&
			    !in_filter(q.types_filter, q.n_types_filter, "classic"))
				continue;
			lg_group *x = &gs[resp.n_groups++];
			kafka_list_groups_response_listed_group_init(x);
			x->group_id = ks(gr->id);
			x->protocol_type = ks(gr->protocol_type ? gr->protocol_type : "");
			x->group_state = ks(state);
			x->group_type = ks("classic");
		}
		resp.groups = gs;
		if (gs == NULL)
			resp.error_code = KERR_UNKNOWN_SERVER_ERROR;
	}
	struct buf b;
	buf_init(&b);
	if (kafka_list_groups_response_encode(&b, to->version, &resp) == 0)
		gc_send(g, to, &b);
	buf_free(&b);
	arena_free(&a);
	return 0;
}

typedef struct kafka_delete_groups_response_deletable_group_result del_result;

int gc_delete_groups(struct gc *g, int64_t now, const struct gc_reply *to, struct reader *r)
{
	struct arena a;
	arena_init(&a);
	struct kafka_delete_groups_request q;
	int rc = kafka_delete_groups_request_decode(r, to->version, &q, &a);
	if (rc != 0) {
		arena_free(&a);
		return rc;
	}
	struct kafka_delete_groups_response resp;
	kafka_delete_groups_response_init(&resp);
	int n = q.n_groups_names > 0 ? q.n_groups_names : 0;
	del_result *rs = arena_calloc(&a, (size_t)n + 1, sizeof(*rs));
	resp.results = rs;
	resp.n_results = rs ? n : 0;
	bool *deleting = arena_calloc(&a, (size_t)n + 1, sizeof(bool));
	int n_records = 0;
	struct buf k;
	buf_init(&k);
	for (int i = 0; rs && deleting && i < n; i++) {
		struct kafka_str id = q.groups_names[i];
		rs[i].group_id = id;
		rs[i].error_code = gc_serving(g);
		if (rs[i].error_code != KERR_NONE)
			continue;
		struct gc_group *gr = id.len > 0 ? gc_find(g, id.ptr, (size_t)id.len) : NULL;
		if (id.len <= 0) {
			rs[i].error_code = KERR_INVALID_GROUP_ID;
			continue;
		}
		if (gr == NULL) {
			rs[i].error_code = KERR_GROUP_ID_NOT_FOUND;
			continue;
		}
		if (gr->n_members > 0 || gr->n_pending > 0 || gr->state != GC_EMPTY) {
			rs[i].error_code = KERR_NON_EMPTY_GROUP;
			continue;
		}
		for (int j = 0; j < gr->n_offsets; j++) {
			buf_reset(&k);
			grec_key_offset(&k, gr->id, gr->offsets[j].topic,
					strlen(gr->offsets[j].topic), gr->offsets[j].partition);
			gc_add_record(g, &k, NULL);
		}
		buf_reset(&k);
		grec_key_group(&k, gr->id);
		gc_add_record(g, &k, NULL);
		gr->state = GC_DEAD;
		deleting[i] = true;
		n_records++;
	}
	buf_free(&k);
	struct buf ok;
	buf_init(&ok);
	if (kafka_delete_groups_response_encode(&ok, to->version, &resp) != 0)
		ok.oom = true;
	if (n_records == 0) {
		gc_send(g, to, &ok);
		buf_free(&ok);
	} else {
		struct gc_waiter *w = gc_wait(g, GW_BODY, to, NULL);
		if (w) {
			w->ok = ok;
			for (int i = 0; i < resp.n_results; i++)
				if (deleting[i])
					rs[i].error_code = KERR_NOT_COORDINATOR;
			if (kafka_delete_groups_response_encode(&w->fail, to->version, &resp) != 0)
				w->fail.oom = true;
		} else {
			buf_free(&ok);
		}
	}
	(void)now;
	arena_free(&a);
	return 0;
}
