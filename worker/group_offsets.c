/* group_offsets.c - committed offsets: OffsetCommit, OffsetFetch,
 * OffsetDelete, applying offset records, and retention (see
 * group_coord.h). */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "worker/group_coord.h"
#include "worker/group_int.h"
#include "worker/group_rec.h"

/* Retention is checked at most this often (a scan of every offset). */
#define EXPIRE_EVERY_MS 5000

struct gc_offset *gc_offset_find(struct gc_group *gr, const char *topic, size_t len,
				 int32_t partition)
{
	for (int i = 0; i < gr->n_offsets; i++) {
		struct gc_offset *o = &gr->offsets[i];
		if (o->partition == partition && strlen(o->topic) == len &&
		    memcmp(o->topic, topic, len) == 0)
			return o;
	}
	return NULL;
}

int gc_apply_offset(struct gc *g, const struct grec_key *k, const uint8_t *val, int32_t vlen)
{
	struct gc_group *gr = gc_find(g, k->group.ptr, (size_t)k->group.len);
	struct gc_offset *o =
	    gr ? gc_offset_find(gr, k->topic.ptr, (size_t)k->topic.len, k->partition) : NULL;
	if (val == NULL || vlen < 0) {
		if (o == NULL)
			return 0;
		free(o->topic);
		free(o->metadata);
		*o = gr->offsets[--gr->n_offsets];
		/* A group known only by its offsets ends with its last one. */
		if (gr->n_offsets == 0 && gr->rec == NULL && gr->n_members == 0 &&
		    gr->n_pending == 0 && gr->n_commits_in_flight == 0)
			gc_group_remove(g, gr);
		return 0;
	}
	struct grec_offset v;
	if (grec_parse_offset(val, (size_t)vlen, &v) != 0)
		return ERR_INVALID;
	if (gr == NULL && (gr = gc_get_or_create(g, k->group.ptr, (size_t)k->group.len)) == NULL)
		return ERR_NOMEM;
	if (o == NULL) {
		if (gr->n_offsets == gr->cap_offsets) {
			int cap = gr->cap_offsets ? 2 * gr->cap_offsets : 8;
			struct gc_offset *nv = realloc(gr->offsets, (size_t)cap * sizeof(*nv));
			if (nv == NULL)
				return ERR_NOMEM;
			gr->offsets = nv;
			gr->cap_offsets = cap;
		}
		char *t = gc_strdup_k(k->topic);
		if (t == NULL)
			return ERR_NOMEM;
		o = &gr->offsets[gr->n_offsets++];
		*o = (struct gc_offset){.topic = t, .partition = k->partition};
	}
	free(o->metadata);
	o->metadata = gc_strdup_k(v.metadata);
	o->offset = v.offset;
	o->leader_epoch = v.leader_epoch;
	o->commit_ms = v.commit_ms;
	o->expiring = false;
	g->counters.commits++;
	return 0;
}

/* Kafka's validation of a commit against the group: simple commits (no
 * member, no generation) only for an empty or unknown group; a member's
 * only for its current generation. */
static int16_t commit_check(struct gc *g, struct gc_group *gr,
			    const struct kafka_offset_commit_request *q, int16_t version)
{
	int16_t err = gc_serving(g);
	if (err != KERR_NONE)
		return err;
	if (q->group_id.len <= 0 || q->group_id.len > GC_GROUP_ID_MAX)
		return KERR_INVALID_GROUP_ID;
	int32_t gen = version >= 1 ? q->generation_id_or_member_epoch : -1;
	struct kafka_str member = version >= 1 ? q->member_id : kafka_str_from("");
	bool simple = gen < 0 && (member.len <= 0);
	if (gr == NULL || gr->n_members == 0) {
		if (simple)
			return KERR_NONE;
		if (gr == NULL || gr->state == GC_EMPTY)
			return gen < 0 ? KERR_UNKNOWN_MEMBER_ID : KERR_ILLEGAL_GENERATION;
	}
	if (gr->state == GC_COMPLETING)
		return KERR_REBALANCE_IN_PROGRESS;
	struct gc_member *m = NULL;
	for (int i = 0; i < gr->n_members; i++)
		if (kafka_str_eq(member, gr->members[i].id))
			m = &gr->members[i];
	if (m == NULL)
		return KERR_UNKNOWN_MEMBER_ID;
	if (version >= 7 && q->group_instance_id.len >= 0 &&
	    (!m->instance_id || !kafka_str_eq(q->group_instance_id, m->instance_id)))
		return KERR_FENCED_INSTANCE_ID;
	if (gen != gr->generation)
		return KERR_ILLEGAL_GENERATION;
	return KERR_NONE;
}

typedef struct kafka_offset_commit_response_offset_commit_response_topic oc_topic;
typedef struct kafka_offset_commit_response_offset_commit_response_partition oc_part;

int gc_offset_commit(struct gc *g, int64_t now, const struct gc_reply *to, struct reader *r)
{
	struct arena a;
	arena_init(&a);
	struct kafka_offset_commit_request q;
	int rc = kafka_offset_commit_request_decode(r, to->version, &q, &a);
	if (rc != 0) {
		arena_free(&a);
		return rc;
	}
	struct gc_group *gr =
	    q.group_id.len > 0 ? gc_find(g, q.group_id.ptr, (size_t)q.group_id.len) : NULL;
	int16_t err = commit_check(g, gr, &q, to->version);
	if (err == KERR_NONE && gr == NULL &&
	    (gr = gc_get_or_create(g, q.group_id.ptr, (size_t)q.group_id.len)) == NULL)
		err = KERR_UNKNOWN_SERVER_ERROR;
	struct kafka_offset_commit_response resp;
	kafka_offset_commit_response_init(&resp);
	int nt = q.n_topics > 0 ? q.n_topics : 0;
	oc_topic *topics = arena_calloc(&a, (size_t)nt + 1, sizeof(*topics));
	resp.topics = topics;
	resp.n_topics = topics ? nt : 0;
	int n_records = 0;
	struct buf k, v;
	buf_init(&k);
	buf_init(&v);
	for (int i = 0; topics && i < nt; i++) {
		const struct kafka_offset_commit_request_offset_commit_request_topic *t =
		    &q.topics[i];
		kafka_offset_commit_response_offset_commit_response_topic_init(&topics[i]);
		topics[i].name = t->name;
		int np = t->n_partitions > 0 ? t->n_partitions : 0;
		oc_part *ps = arena_calloc(&a, (size_t)np + 1, sizeof(*ps));
		topics[i].partitions = ps;
		topics[i].n_partitions = ps ? np : 0;
		for (int j = 0; ps && j < np; j++) {
			const struct kafka_offset_commit_request_offset_commit_request_partition
			    *p = &t->partitions[j];
			ps[j].partition_index = p->partition_index;
			ps[j].error_code = err;
			if (err != KERR_NONE)
				continue;
			if (p->committed_metadata.len > GC_METADATA_MAX) {
				ps[j].error_code = KERR_OFFSET_METADATA_TOO_LARGE;
				continue;
			}
			if (t->name.len <= 0) {
				ps[j].error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
				continue;
			}
			buf_reset(&k);
			buf_reset(&v);
			grec_key_offset(&k, gr->id, t->name.ptr, (size_t)t->name.len,
					p->partition_index);
			struct grec_offset o = {
			    .offset = p->committed_offset,
			    .leader_epoch = to->version >= 6 ? p->committed_leader_epoch : -1,
			    .metadata = p->committed_metadata.len < 0 ? kafka_str_from("")
								      : p->committed_metadata,
			    .commit_ms = now,
			};
			grec_value_offset(&v, &o);
			gc_add_record(g, &k, &v);
			n_records++;
		}
	}
	buf_free(&k);
	buf_free(&v);
	struct buf ok;
	buf_init(&ok);
	if (kafka_offset_commit_response_encode(&ok, to->version, &resp) != 0)
		ok.oom = true;
	if (n_records == 0) {
		gc_send(g, to, &ok);
		buf_free(&ok);
		arena_free(&a);
		return 0;
	}
	struct gc_waiter *w = gc_wait(g, GW_BODY, to, gr->id);
	if (w) {
		w->ok = ok;
		w->commit = true;
		gr->n_commits_in_flight++;
		/* Not committed: retriable for the client. */
		for (int i = 0; i < resp.n_topics; i++)
			for (int j = 0; j < topics[i].n_partitions; j++)
				if (topics[i].partitions[j].error_code == KERR_NONE)
					topics[i].partitions[j].error_code = KERR_NOT_COORDINATOR;
		if (kafka_offset_commit_response_encode(&w->fail, to->version, &resp) != 0)
			w->fail.oom = true;
	} else {
		buf_free(&ok);
	}
	arena_free(&a);
	return 0;
}

/* --- OffsetFetch -------------------------------------------------------- */

typedef struct kafka_offset_fetch_response_offset_fetch_response_partitions of_part;
typedef struct kafka_offset_fetch_response_offset_fetch_response_topics of_topic;
typedef struct kafka_offset_fetch_response_offset_fetch_response_group of_group;
typedef struct kafka_offset_fetch_response_offset_fetch_response_partition of_part0;
typedef struct kafka_offset_fetch_response_offset_fetch_response_topic of_topic0;

static void fill_part(of_part *p, struct gc_group *gr, struct kafka_str topic, int32_t partition,
		      bool unstable)
{
	p->partition_index = partition;
	p->committed_offset = -1;
	p->committed_leader_epoch = -1;
	p->metadata = kafka_str_from("");
	p->error_code = KERR_NONE;
	if (unstable) {
		p->error_code = KERR_UNSTABLE_OFFSET_COMMIT;
		return;
	}
	struct gc_offset *o = gr && topic.len > 0
				  ? gc_offset_find(gr, topic.ptr, (size_t)topic.len, partition)
				  : NULL;
	if (o) {
		p->committed_offset = o->offset;
		p->committed_leader_epoch = o->leader_epoch;
		p->metadata = kafka_str_from(o->metadata ? o->metadata : "");
	}
}

/* One group's answer (the v8+ shape; older versions are copied from it).
 * topics NULL (n < 0) = every committed offset of the group. */
static void fetch_group(struct gc *g, struct arena *a, of_group *out, struct kafka_str group,
			const struct kafka_offset_fetch_request_offset_fetch_request_topics *topics,
			int n_topics, bool require_stable)
{
	kafka_offset_fetch_response_offset_fetch_response_group_init(out);
	out->group_id = group;
	out->error_code = gc_serving(g);
	if (out->error_code != KERR_NONE)
		return;
	if (group.len <= 0) {
		out->error_code = KERR_INVALID_GROUP_ID;
		return;
	}
	struct gc_group *gr = gc_find(g, group.ptr, (size_t)group.len);
	bool unstable = require_stable && gr && gr->n_commits_in_flight > 0;
	if (n_topics >= 0) {
		of_topic *ts = arena_calloc(a, (size_t)n_topics + 1, sizeof(*ts));
		if (ts == NULL) {
			out->error_code = KERR_UNKNOWN_SERVER_ERROR;
			return;
		}
		out->topics = ts;
		out->n_topics = n_topics;
		for (int i = 0; i < n_topics; i++) {
			ts[i].name = topics[i].name;
			int np =
			    topics[i].n_partition_indexes > 0 ? topics[i].n_partition_indexes : 0;
			of_part *ps = arena_calloc(a, (size_t)np + 1, sizeof(*ps));
			ts[i].partitions = ps;
			ts[i].n_partitions = ps ? np : 0;
			for (int j = 0; ps && j < np; j++)
				fill_part(&ps[j], gr, topics[i].name,
					  topics[i].partition_indexes[j], unstable);
		}
		return;
	}
	/* Every offset of the group, grouped by topic. */
	int n = gr ? gr->n_offsets : 0;
	of_topic *ts = arena_calloc(a, (size_t)n + 1, sizeof(*ts));
	if (ts == NULL) {
		out->error_code = KERR_UNKNOWN_SERVER_ERROR;
		return;
	}
	out->topics = ts;
	for (int i = 0; i < n; i++) {
		const struct gc_offset *o = &gr->offsets[i];
		of_topic *t = NULL;
		for (int j = 0; j < out->n_topics; j++)
			if (kafka_str_eq(ts[j].name, o->topic))
				t = &ts[j];
		if (t == NULL) {
			t = &ts[out->n_topics++];
			t->name = kafka_str_from(o->topic);
			t->partitions = arena_calloc(a, (size_t)n + 1, sizeof(of_part));
			if (t->partitions == NULL) {
				out->error_code = KERR_UNKNOWN_SERVER_ERROR;
				return;
			}
		}
		fill_part(&t->partitions[t->n_partitions++], gr, t->name, o->partition, unstable);
	}
}

int gc_offset_fetch(struct gc *g, const struct gc_reply *to, struct reader *r)
{
	struct arena a;
	arena_init(&a);
	struct kafka_offset_fetch_request q;
	int rc = kafka_offset_fetch_request_decode(r, to->version, &q, &a);
	if (rc != 0) {
		arena_free(&a);
		return rc;
	}
	bool stable = to->version >= 7 && q.require_stable;
	struct kafka_offset_fetch_response resp;
	kafka_offset_fetch_response_init(&resp);
	if (to->version >= 8) {
		int ng = q.n_groups > 0 ? q.n_groups : 0;
		of_group *gs = arena_calloc(&a, (size_t)ng + 1, sizeof(*gs));
		for (int i = 0; gs && i < ng; i++)
			fetch_group(g, &a, &gs[i], q.groups[i].group_id, q.groups[i].topics,
				    q.groups[i].n_topics, stable);
		resp.groups = gs;
		resp.n_groups = gs ? ng : 0;
	} else {
		/* The v0-7 shape: one group, its topics; the same work. */
		int nt = q.n_topics;
		struct kafka_offset_fetch_request_offset_fetch_request_topics *ts = NULL;
		if (nt > 0 && (ts = arena_calloc(&a, (size_t)nt, sizeof(*ts))))
			for (int i = 0; i < nt; i++) {
				ts[i].name = q.topics[i].name;
				ts[i].partition_indexes = q.topics[i].partition_indexes;
				ts[i].n_partition_indexes = q.topics[i].n_partition_indexes;
			}
		of_group one;
		/* v0-1: a null topic list is not allowed; empty means none. */
		fetch_group(g, &a, &one, q.group_id, ts, nt < 0 ? -1 : nt, stable);
		resp.error_code = one.error_code;
		of_topic0 *t0 = arena_calloc(&a, (size_t)one.n_topics + 1, sizeof(*t0));
		for (int i = 0; t0 && i < one.n_topics; i++) {
			t0[i].name = one.topics[i].name;
			int np = one.topics[i].n_partitions;
			of_part0 *p0 = arena_calloc(&a, (size_t)np + 1, sizeof(*p0));
			t0[i].partitions = p0;
			t0[i].n_partitions = p0 ? np : 0;
			for (int j = 0; p0 && j < np; j++) {
				const of_part *s = &one.topics[i].partitions[j];
				p0[j] =
				    (of_part0){.partition_index = s->partition_index,
					       .committed_offset = s->committed_offset,
					       .committed_leader_epoch = s->committed_leader_epoch,
					       .metadata = s->metadata,
					       .error_code = s->error_code};
				/* v0-1 carry the group's error per partition. */
				if (to->version < 2 && one.error_code != KERR_NONE)
					p0[j].error_code = one.error_code;
			}
		}
		resp.topics = t0;
		resp.n_topics = t0 ? one.n_topics : 0;
	}
	struct buf b;
	buf_init(&b);
	if (kafka_offset_fetch_response_encode(&b, to->version, &resp) == 0)
		gc_send(g, to, &b);
	buf_free(&b);
	arena_free(&a);
	return 0;
}

/* --- OffsetDelete ------------------------------------------------------- */

/* True when a consumer-protocol member subscribes to topic: its
 * subscription (ConsumerProtocolSubscription: i16 version, array of
 * strings) names it. */
static bool subscribed(const struct gc_group *gr, struct kafka_str topic)
{
	if (!gr->protocol_type || strcmp(gr->protocol_type, "consumer") != 0)
		return false;
	for (int i = 0; i < gr->n_members; i++) {
		const struct gc_member *m = &gr->members[i];
		for (int j = 0; j < m->n_protos; j++) {
			if (gr->protocol && strcmp(m->protos[j].name, gr->protocol) != 0)
				continue;
			struct reader r;
			reader_init(&r, m->protos[j].meta, (size_t)m->protos[j].meta_len);
			reader_u16(&r);
			int32_t n = (int32_t)reader_u32(&r);
			for (int32_t x = 0; x < n && !r.err; x++) {
				uint16_t l = reader_u16(&r);
				const uint8_t *p = reader_bytes(&r, l);
				if (p && l == (uint16_t)topic.len && memcmp(p, topic.ptr, l) == 0)
					return true;
			}
		}
	}
	return false;
}

typedef struct kafka_offset_delete_response_offset_delete_response_topic od_topic;
typedef struct kafka_offset_delete_response_offset_delete_response_partition od_part;

int gc_offset_delete(struct gc *g, const struct gc_reply *to, struct reader *r)
{
	struct arena a;
	arena_init(&a);
	struct kafka_offset_delete_request q;
	int rc = kafka_offset_delete_request_decode(r, to->version, &q, &a);
	if (rc != 0) {
		arena_free(&a);
		return rc;
	}
	struct kafka_offset_delete_response resp;
	kafka_offset_delete_response_init(&resp);
	resp.error_code = gc_serving(g);
	struct gc_group *gr = NULL;
	if (resp.error_code == KERR_NONE) {
		gr = q.group_id.len > 0 ? gc_find(g, q.group_id.ptr, (size_t)q.group_id.len) : NULL;
		if (q.group_id.len <= 0)
			resp.error_code = KERR_INVALID_GROUP_ID;
		else if (gr == NULL)
			resp.error_code = KERR_GROUP_ID_NOT_FOUND;
		else if (gr->protocol_type && strcmp(gr->protocol_type, "consumer") != 0 &&
			 gr->n_members > 0)
			resp.error_code = KERR_NON_EMPTY_GROUP;
	}
	int n_records = 0;
	if (resp.error_code == KERR_NONE) {
		int nt = q.n_topics > 0 ? q.n_topics : 0;
		od_topic *ts = arena_calloc(&a, (size_t)nt + 1, sizeof(*ts));
		resp.topics = ts;
		resp.n_topics = ts ? nt : 0;
		struct buf k;
		buf_init(&k);
		for (int i = 0; ts && i < nt; i++) {
			ts[i].name = q.topics[i].name;
			int np = q.topics[i].n_partitions > 0 ? q.topics[i].n_partitions : 0;
			od_part *ps = arena_calloc(&a, (size_t)np + 1, sizeof(*ps));
			ts[i].partitions = ps;
			ts[i].n_partitions = ps ? np : 0;
			bool sub = subscribed(gr, q.topics[i].name);
			for (int j = 0; ps && j < np; j++) {
				ps[j].partition_index = q.topics[i].partitions[j].partition_index;
				if (sub) {
					ps[j].error_code = KERR_GROUP_SUBSCRIBED_TO_TOPIC;
					continue;
				}
				if (q.topics[i].name.len <= 0 ||
				    !gc_offset_find(gr, q.topics[i].name.ptr,
						    (size_t)q.topics[i].name.len,
						    ps[j].partition_index))
					continue; /* nothing to delete: Kafka says NONE */
				buf_reset(&k);
				grec_key_offset(&k, gr->id, q.topics[i].name.ptr,
						(size_t)q.topics[i].name.len,
						ps[j].partition_index);
				gc_add_record(g, &k, NULL);
				n_records++;
			}
		}
		buf_free(&k);
	}
	struct buf ok;
	buf_init(&ok);
	if (kafka_offset_delete_response_encode(&ok, to->version, &resp) != 0)
		ok.oom = true;
	if (n_records == 0) {
		gc_send(g, to, &ok);
		buf_free(&ok);
	} else {
		struct gc_waiter *w = gc_wait(g, GW_BODY, to, gr->id);
		if (w) {
			w->ok = ok;
			if (kafka_error_response_encode(&w->fail, to->api_key, to->version,
							KERR_NOT_COORDINATOR) != 0)
				w->fail.oom = true;
		} else {
			buf_free(&ok);
		}
	}
	arena_free(&a);
	return 0;
}

/* --- retention ---------------------------------------------------------- */

/* Offsets of a group without members expire retention_ms after the later
 * of their commit and the group becoming empty (Kafka 2.1+, KIP-211); the
 * group's record goes with its last offset. Tombstones are proposed once:
 * an offset whose tombstone is in flight is marked `expiring`. */
void gc_offsets_expire(struct gc *g, int64_t now)
{
	if (g->cfg.retention_ms <= 0 ||
	    (g->last_expire_ms != INT64_MIN && now >= g->last_expire_ms &&
	     now - g->last_expire_ms < EXPIRE_EVERY_MS))
		return;
	g->last_expire_ms = now;
	struct buf k;
	buf_init(&k);
	for (int i = 0; i < g->n_groups; i++) {
		struct gc_group *gr = g->groups[i];
		if (gr->n_members > 0 || gr->n_pending > 0 || gr->state != GC_EMPTY)
			continue;
		int left = 0;
		for (int j = 0; j < gr->n_offsets; j++) {
			struct gc_offset *o = &gr->offsets[j];
			if (o->expiring)
				continue;
			int64_t from =
			    o->commit_ms > gr->empty_since ? o->commit_ms : gr->empty_since;
			if (now - from < g->cfg.retention_ms) {
				left++;
				continue;
			}
			buf_reset(&k);
			grec_key_offset(&k, gr->id, o->topic, strlen(o->topic), o->partition);
			gc_add_record(g, &k, NULL);
			o->expiring = true;
			g->counters.expired++;
		}
		if (left == 0 && gr->rec != NULL && gr->n_offsets > 0) {
			buf_reset(&k);
			grec_key_group(&k, gr->id);
			gc_add_record(g, &k, NULL);
		}
	}
	buf_free(&k);
}
