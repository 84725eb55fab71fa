/* test_group_coord.c - the pure group coordinator (worker/group_coord.h):
 * requests in as Kafka bodies with the time passed in, responses out
 * through a capturing env, and a fake Raft that commits the records it
 * takes (and can fail, hold or replay them on another replica). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "common/arena.h"
#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "supervisor/coordinator_key.h"
#include "worker/group_coord.h"
#include "worker/group_report.h"

#include <jansson.h>

/* --- harness ------------------------------------------------------------ */

#define MAX_CAPS 256

struct cap {
	struct gc_reply to;
	uint8_t *body;
	size_t len;
};

static struct cap caps[MAX_CAPS];
static int n_caps;
static uint64_t next_req = 1;
static uint64_t raft_index;
/* Every record committed so far, in order ([i32 klen][k][i32 vlen][v]...):
 * what a follower would apply. */
static struct buf log_records;
static int log_n;

static void respond(void *ctx, const struct gc_reply *to, const uint8_t *body, size_t len)
{
	ck_assert_int_lt(n_caps, MAX_CAPS);
	caps[n_caps].to = *to;
	caps[n_caps].body = malloc(len + 1);
	memcpy(caps[n_caps].body, body, len);
	caps[n_caps].len = len;
	n_caps++;
}

static void reset_caps(void)
{
	for (int i = 0; i < n_caps; i++)
		free(caps[i].body);
	n_caps = 0;
}

static struct gc_config cfg = {.min_session_ms = 6000,
			       .max_session_ms = 300000,
			       .max_size = 3,
			       .retention_ms = 60000,
			       .seed = 42};

static void new_gc(struct gc *g, bool lead)
{
	struct gc_env env = {.ctx = NULL, .respond = respond};
	gc_init(g, &cfg, &env);
	if (lead) {
		gc_lead(g);
		gc_loaded(g, 0);
	}
}

static void setup(void)
{
	reset_caps();
	raft_index = 0;
	buf_init(&log_records);
	log_n = 0;
}

static void teardown(void)
{
	reset_caps();
	buf_free(&log_records);
}

/* Applies a record list to g. */
static void apply_list(struct gc *g, const uint8_t *p, size_t len, int n)
{
	struct reader r;
	reader_init(&r, p, len);
	for (int i = 0; i < n; i++) {
		uint32_t kl = reader_u32(&r);
		const uint8_t *k = reader_bytes(&r, kl);
		uint32_t vl = reader_u32(&r);
		const uint8_t *v = vl == 0xffffffffu ? NULL : reader_bytes(&r, vl);
		ck_assert_int_eq(r.err, 0);
		ck_assert_int_eq(gc_apply_record(g, k, (int32_t)kl, v, v ? (int32_t)vl : -1), 0);
	}
}

/* Raft in one step: the records become an entry, commit and are applied. */
static int commit(struct gc *g)
{
	if (!gc_has_records(g))
		return 0;
	struct buf recs;
	buf_init(&recs);
	int n = gc_take_records(g, &recs);
	gc_proposed(g, ++raft_index);
	apply_list(g, recs.data, recs.len, n);
	buf_put(&log_records, recs.data, recs.len);
	log_n += n;
	gc_committed(g, raft_index);
	buf_free(&recs);
	return n;
}

static const struct cap *find_cap(uint64_t req)
{
	for (int i = 0; i < n_caps; i++)
		if (caps[i].to.req_id == req)
			return &caps[i];
	return NULL;
}

static struct reader cap_reader(uint64_t req)
{
	const struct cap *c = find_cap(req);
	ck_assert_msg(c != NULL, "request %llu not answered", (unsigned long long)req);
	struct reader r;
	reader_init(&r, c->body, c->len);
	return r;
}

static uint64_t send(struct gc *g, int64_t now, int16_t api, int16_t v, struct buf *body)
{
	struct gc_reply to = {.req_id = next_req++, .api_key = api, .version = v};
	ck_assert_int_eq(gc_handle(g, now, &to, body->data, body->len, "cli", "/127.0.0.1"), 0);
	buf_free(body);
	return to.req_id;
}

static uint64_t join(struct gc *g, int64_t now, int16_t v, const char *group, const char *member,
		     const char *instance, const char *proto)
{
	struct kafka_join_group_request q;
	kafka_join_group_request_init(&q);
	q.group_id = kafka_str_from(group);
	q.session_timeout_ms = 10000;
	q.rebalance_timeout_ms = 20000;
	q.member_id = kafka_str_from(member);
	q.group_instance_id = kafka_str_from(instance);
	q.protocol_type = kafka_str_from("consumer");
	struct kafka_join_group_request_join_group_request_protocol ps[2];
	kafka_join_group_request_join_group_request_protocol_init(&ps[0]);
	kafka_join_group_request_join_group_request_protocol_init(&ps[1]);
	ps[0].name = kafka_str_from(proto);
	ps[0].metadata = (struct kafka_bytes){(const uint8_t *)member, (int32_t)strlen(member)};
	ps[1].name = kafka_str_from("range");
	ps[1].metadata = (struct kafka_bytes){(const uint8_t *)"r", 1};
	q.protocols = ps;
	q.n_protocols = strcmp(proto, "range") == 0 ? 1 : 2;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_join_group_request_encode(&b, v, &q), 0);
	return send(g, now, KAFKA_API_JOIN_GROUP, v, &b);
}

struct join_res {
	int16_t err;
	int32_t gen;
	char proto[64], leader[128], member[128];
	int n_members;
};

static bool joined(uint64_t req, int16_t v, struct join_res *out)
{
	if (find_cap(req) == NULL)
		return false;
	struct reader r = cap_reader(req);
	struct arena a;
	arena_init(&a);
	struct kafka_join_group_response resp;
	ck_assert_int_eq(kafka_join_group_response_decode(&r, v, &resp, &a), 0);
	memset(out, 0, sizeof(*out));
	out->err = resp.error_code;
	out->gen = resp.generation_id;
	if (resp.protocol_name.len > 0)
		memcpy(out->proto, resp.protocol_name.ptr, (size_t)resp.protocol_name.len);
	memcpy(out->leader, resp.leader.ptr, (size_t)resp.leader.len);
	memcpy(out->member, resp.member_id.ptr, (size_t)resp.member_id.len);
	out->n_members = resp.n_members;
	arena_free(&a);
	return true;
}

static uint64_t sync_req(struct gc *g, int64_t now, const char *group, int32_t gen,
			 const char *member, const char *instance, int n, const char **ids,
			 const char **assign)
{
	struct kafka_sync_group_request q;
	kafka_sync_group_request_init(&q);
	q.group_id = kafka_str_from(group);
	q.generation_id = gen;
	q.member_id = kafka_str_from(member);
	q.group_instance_id = kafka_str_from(instance);
	struct kafka_sync_group_request_sync_group_request_assignment as[4];
	for (int i = 0; i < n; i++) {
		kafka_sync_group_request_sync_group_request_assignment_init(&as[i]);
		as[i].member_id = kafka_str_from(ids[i]);
		as[i].assignment =
		    (struct kafka_bytes){(const uint8_t *)assign[i], (int32_t)strlen(assign[i])};
	}
	q.assignments = as;
	q.n_assignments = n;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_sync_group_request_encode(&b, 3, &q), 0);
	return send(g, now, KAFKA_API_SYNC_GROUP, 3, &b);
}

/* The error and assignment of a SyncGroup v3 answer; false when unanswered. */
static bool synced(uint64_t req, int16_t *err, char *assign)
{
	if (find_cap(req) == NULL)
		return false;
	struct reader r = cap_reader(req);
	struct arena a;
	arena_init(&a);
	struct kafka_sync_group_response resp;
	ck_assert_int_eq(kafka_sync_group_response_decode(&r, 3, &resp, &a), 0);
	*err = resp.error_code;
	assign[0] = '\0';
	if (resp.assignment.len > 0) {
		memcpy(assign, resp.assignment.ptr, (size_t)resp.assignment.len);
		assign[resp.assignment.len] = '\0';
	}
	arena_free(&a);
	return true;
}

static int16_t heartbeat(struct gc *g, int64_t now, const char *group, int32_t gen,
			 const char *member, const char *instance)
{
	struct kafka_heartbeat_request q;
	kafka_heartbeat_request_init(&q);
	q.group_id = kafka_str_from(group);
	q.generation_id = gen;
	q.member_id = kafka_str_from(member);
	q.group_instance_id = kafka_str_from(instance);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_heartbeat_request_encode(&b, 3, &q), 0);
	uint64_t id = send(g, now, KAFKA_API_HEARTBEAT, 3, &b);
	struct reader r = cap_reader(id);
	struct arena a;
	arena_init(&a);
	struct kafka_heartbeat_response resp;
	ck_assert_int_eq(kafka_heartbeat_response_decode(&r, 3, &resp, &a), 0);
	arena_free(&a);
	return resp.error_code;
}

/* One member: v4 join (MEMBER_ID_REQUIRED), join again, sync "A". */
static void solo(struct gc *g, const char *group, char *member, int32_t *gen)
{
	struct join_res j;
	uint64_t r1 = join(g, 0, 5, group, "", NULL, "range");
	ck_assert(joined(r1, 5, &j));
	ck_assert_int_eq(j.err, KERR_MEMBER_ID_REQUIRED);
	ck_assert_int_gt((int)strlen(j.member), 0);
	strcpy(member, j.member);
	uint64_t r2 = join(g, 0, 5, group, member, NULL, "range");
	ck_assert(joined(r2, 5, &j));
	ck_assert_int_eq(j.err, 0);
	ck_assert_str_eq(j.leader, member);
	ck_assert_int_eq(j.n_members, 1);
	*gen = j.gen;
	const char *ids[] = {member};
	const char *as[] = {"A"};
	uint64_t s = sync_req(g, 0, group, *gen, member, NULL, 1, ids, as);
	int16_t err;
	char got[64];
	ck_assert(!synced(s, &err, got)); /* waits for its record */
	ck_assert_int_eq(commit(g), 1);
	ck_assert(synced(s, &err, got));
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(got, "A");
}

static uint64_t commit_req(struct gc *g, int64_t now, int16_t v, const char *group, int32_t gen,
			   const char *member, int32_t partition, int64_t offset)
{
	struct kafka_offset_commit_request q;
	kafka_offset_commit_request_init(&q);
	q.group_id = kafka_str_from(group);
	q.generation_id_or_member_epoch = gen;
	q.member_id = kafka_str_from(member);
	struct kafka_offset_commit_request_offset_commit_request_partition p;
	kafka_offset_commit_request_offset_commit_request_partition_init(&p);
	p.partition_index = partition;
	p.committed_offset = offset;
	p.committed_leader_epoch = 7;
	p.committed_metadata = kafka_str_from("m");
	struct kafka_offset_commit_request_offset_commit_request_topic t;
	kafka_offset_commit_request_offset_commit_request_topic_init(&t);
	t.name = kafka_str_from("t");
	t.partitions = &p;
	t.n_partitions = 1;
	q.topics = &t;
	q.n_topics = 1;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_offset_commit_request_encode(&b, v, &q), 0);
	return send(g, now, KAFKA_API_OFFSET_COMMIT, v, &b);
}

static bool committed(uint64_t req, int16_t v, int16_t *err)
{
	if (find_cap(req) == NULL)
		return false;
	struct reader r = cap_reader(req);
	struct arena a;
	arena_init(&a);
	struct kafka_offset_commit_response resp;
	ck_assert_int_eq(kafka_offset_commit_response_decode(&r, v, &resp, &a), 0);
	ck_assert_int_eq(resp.n_topics, 1);
	ck_assert_int_eq(resp.topics[0].n_partitions, 1);
	*err = resp.topics[0].partitions[0].error_code;
	arena_free(&a);
	return true;
}

/* OffsetFetch v8 (the group form) of t/partition: *offset, *epoch; returns
 * the partition's error, or the group's when that is set. */
static int16_t fetch_offset(struct gc *g, const char *group, int32_t partition, bool stable,
			    int64_t *offset, int32_t *epoch)
{
	struct kafka_offset_fetch_request q;
	kafka_offset_fetch_request_init(&q);
	struct kafka_offset_fetch_request_offset_fetch_request_topics t;
	kafka_offset_fetch_request_offset_fetch_request_topics_init(&t);
	t.name = kafka_str_from("t");
	t.partition_indexes = &partition;
	t.n_partition_indexes = 1;
	struct kafka_offset_fetch_request_offset_fetch_request_group gq;
	kafka_offset_fetch_request_offset_fetch_request_group_init(&gq);
	gq.group_id = kafka_str_from(group);
	gq.topics = &t;
	gq.n_topics = 1;
	q.groups = &gq;
	q.n_groups = 1;
	q.require_stable = stable;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_offset_fetch_request_encode(&b, 8, &q), 0);
	uint64_t id = send(g, 0, KAFKA_API_OFFSET_FETCH, 8, &b);
	struct reader r = cap_reader(id);
	struct arena a;
	arena_init(&a);
	struct kafka_offset_fetch_response resp;
	ck_assert_int_eq(kafka_offset_fetch_response_decode(&r, 8, &resp, &a), 0);
	ck_assert_int_eq(resp.n_groups, 1);
	int16_t e = resp.groups[0].error_code;
	if (e == 0) {
		ck_assert_int_eq(resp.groups[0].n_topics, 1);
		*offset = resp.groups[0].topics[0].partitions[0].committed_offset;
		*epoch = resp.groups[0].topics[0].partitions[0].committed_leader_epoch;
		e = resp.groups[0].topics[0].partitions[0].error_code;
	}
	arena_free(&a);
	return e;
}

static const char *describe_state(struct gc *g, const char *group, int *n_members)
{
	static char state[64];
	struct kafka_describe_groups_request q;
	kafka_describe_groups_request_init(&q);
	struct kafka_str id = kafka_str_from(group);
	q.groups = &id;
	q.n_groups = 1;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_describe_groups_request_encode(&b, 5, &q), 0);
	uint64_t rid = send(g, 0, KAFKA_API_DESCRIBE_GROUPS, 5, &b);
	struct reader r = cap_reader(rid);
	struct arena a;
	arena_init(&a);
	struct kafka_describe_groups_response resp;
	ck_assert_int_eq(kafka_describe_groups_response_decode(&r, 5, &resp, &a), 0);
	ck_assert_int_eq(resp.n_groups, 1);
	snprintf(state, sizeof(state), "%.*s", (int)resp.groups[0].group_state.len,
		 resp.groups[0].group_state.ptr);
	*n_members = resp.groups[0].n_members;
	arena_free(&a);
	return state;
}

/* --- membership --------------------------------------------------------- */

START_TEST(a_v4_join_gets_member_id_required_then_leads_a_group_of_one)
{
	struct gc g;
	new_gc(&g, true);
	char m[128];
	int32_t gen;
	solo(&g, "g", m, &gen);
	ck_assert_int_eq(gen, 1);
	ck_assert_int_eq(strncmp(m, "cli-", 4), 0);
	ck_assert_int_eq(heartbeat(&g, 1000, "g", gen, m, NULL), 0);
	int n;
	ck_assert_str_eq(describe_state(&g, "g", &n), "Stable");
	ck_assert_int_eq(n, 1);
	gc_close(&g);
}
END_TEST

START_TEST(a_v3_join_needs_no_second_round)
{
	struct gc g;
	new_gc(&g, true);
	struct join_res j;
	uint64_t r = join(&g, 0, 3, "g", "", NULL, "range");
	ck_assert(joined(r, 3, &j));
	ck_assert_int_eq(j.err, 0);
	ck_assert_int_eq(j.gen, 1);
	ck_assert_str_eq(j.leader, j.member);
	gc_close(&g);
}
END_TEST

START_TEST(a_second_member_makes_both_rejoin_and_the_leader_alone_sees_the_members)
{
	struct gc g;
	new_gc(&g, true);
	char a[128], b[128];
	int32_t gen;
	solo(&g, "g", a, &gen);
	struct join_res j;
	uint64_t rb = join(&g, 10, 5, "g", "", NULL, "roundrobin");
	ck_assert(joined(rb, 5, &j));
	strcpy(b, j.member);
	rb = join(&g, 10, 5, "g", b, NULL, "roundrobin");
	/* Held: the known member has not rejoined. */
	ck_assert(!joined(rb, 5, &j));
	ck_assert_int_eq(heartbeat(&g, 20, "g", gen, a, NULL), KERR_REBALANCE_IN_PROGRESS);
	uint64_t ra = join(&g, 30, 5, "g", a, NULL, "range");
	struct join_res ja, jb;
	ck_assert(joined(ra, 5, &ja));
	ck_assert(joined(rb, 5, &jb));
	ck_assert_int_eq(ja.err, 0);
	ck_assert_int_eq(jb.err, 0);
	ck_assert_int_eq(ja.gen, gen + 1);
	ck_assert_int_eq(jb.gen, gen + 1);
	/* The old leader stays; only range is supported by both. */
	ck_assert_str_eq(ja.leader, a);
	ck_assert_str_eq(jb.leader, a);
	ck_assert_str_eq(ja.proto, "range");
	ck_assert_int_eq(ja.n_members, 2);
	ck_assert_int_eq(jb.n_members, 0);
	/* The follower's sync waits for the leader's, which waits for commit. */
	uint64_t sb = sync_req(&g, 40, "g", gen + 1, b, NULL, 0, NULL, NULL);
	int16_t err;
	char got[64];
	ck_assert(!synced(sb, &err, got));
	ck_assert_int_eq(heartbeat(&g, 40, "g", gen + 1, b, NULL), 0);
	const char *ids[] = {a, b};
	const char *as[] = {"A", "B"};
	uint64_t sa = sync_req(&g, 50, "g", gen + 1, a, NULL, 2, ids, as);
	ck_assert(!synced(sa, &err, got));
	ck_assert(!synced(sb, &err, got));
	commit(&g);
	ck_assert(synced(sb, &err, got));
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(got, "B");
	ck_assert(synced(sa, &err, got));
	ck_assert_str_eq(got, "A");
	gc_close(&g);
}
END_TEST

START_TEST(the_protocol_most_members_prefer_wins)
{
	struct gc g;
	new_gc(&g, true);
	/* v3: no member id round. Three members all support both; two prefer
	 * roundrobin. */
	struct join_res j1, j2, j3;
	uint64_t r1 = join(&g, 0, 3, "g", "", NULL, "roundrobin");
	ck_assert(joined(r1, 3, &j1));
	uint64_t r2 = join(&g, 0, 3, "g", "", NULL, "roundrobin");
	ck_assert(!joined(r2, 3, &j2));
	uint64_t r1b = join(&g, 0, 3, "g", j1.member, NULL, "roundrobin");
	ck_assert(joined(r1b, 3, &j1));
	ck_assert(joined(r2, 3, &j2));
	ck_assert_str_eq(j1.proto, "roundrobin");
	ck_assert_int_eq(j1.gen, 2);
	(void)j3;
	gc_close(&g);
}
END_TEST

START_TEST(bad_joins_get_their_errors_and_the_group_keeps_working)
{
	struct gc g;
	new_gc(&g, true);
	char m[128];
	int32_t gen;
	solo(&g, "g", m, &gen);
	struct join_res j;
	ck_assert(joined(join(&g, 0, 5, "", "", NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_INVALID_GROUP_ID);
	char longid[301];
	memset(longid, 'x', 300);
	longid[300] = '\0';
	ck_assert(joined(join(&g, 0, 5, longid, "", NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_INVALID_GROUP_ID);
	ck_assert(joined(join(&g, 0, 5, "g", "ghost", NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_UNKNOWN_MEMBER_ID);
	ck_assert(joined(join(&g, 0, 5, "new", "ghost", NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_UNKNOWN_MEMBER_ID);
	/* A protocol no member supports. */
	struct kafka_join_group_request q;
	kafka_join_group_request_init(&q);
	q.group_id = kafka_str_from("g");
	q.session_timeout_ms = 10000;
	q.member_id = kafka_str_from("");
	q.protocol_type = kafka_str_from("consumer");
	struct kafka_join_group_request_join_group_request_protocol p;
	kafka_join_group_request_join_group_request_protocol_init(&p);
	p.name = kafka_str_from("sticky-only");
	p.metadata = (struct kafka_bytes){NULL, 0};
	q.protocols = &p;
	q.n_protocols = 1;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_join_group_request_encode(&b, 5, &q), 0);
	ck_assert(joined(send(&g, 0, KAFKA_API_JOIN_GROUP, 5, &b), 5, &j));
	ck_assert_int_eq(j.err, KERR_INCONSISTENT_GROUP_PROTOCOL);
	/* Session timeout outside [min, max]. */
	q.session_timeout_ms = 100;
	q.protocols[0].name = kafka_str_from("range");
	buf_init(&b);
	ck_assert_int_eq(kafka_join_group_request_encode(&b, 5, &q), 0);
	ck_assert(joined(send(&g, 0, KAFKA_API_JOIN_GROUP, 5, &b), 5, &j));
	ck_assert_int_eq(j.err, KERR_INVALID_SESSION_TIMEOUT);
	/* Stale generations, unknown members. */
	ck_assert_int_eq(heartbeat(&g, 0, "g", gen - 1, m, NULL), KERR_ILLEGAL_GENERATION);
	ck_assert_int_eq(heartbeat(&g, 0, "g", gen, "ghost", NULL), KERR_UNKNOWN_MEMBER_ID);
	ck_assert_int_eq(heartbeat(&g, 0, "nogroup", gen, m, NULL), KERR_UNKNOWN_MEMBER_ID);
	int16_t err;
	char got[64];
	ck_assert(synced(sync_req(&g, 0, "g", gen + 3, m, NULL, 0, NULL, NULL), &err, got));
	ck_assert_int_eq(err, KERR_ILLEGAL_GENERATION);
	/* Still Stable, still the same member. */
	ck_assert_int_eq(heartbeat(&g, 0, "g", gen, m, NULL), 0);
	int n;
	ck_assert_str_eq(describe_state(&g, "g", &n), "Stable");
	gc_close(&g);
}
END_TEST

START_TEST(not_leader_is_not_coordinator_and_replaying_is_load_in_progress)
{
	struct gc g;
	new_gc(&g, false);
	struct join_res j;
	ck_assert(joined(join(&g, 0, 5, "g", "", NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_NOT_COORDINATOR);
	gc_lead(&g);
	ck_assert(joined(join(&g, 0, 5, "g", "", NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_COORDINATOR_LOAD_IN_PROGRESS);
	int64_t off;
	int32_t ep;
	ck_assert_int_eq(fetch_offset(&g, "g", 0, false, &off, &ep),
			 KERR_COORDINATOR_LOAD_IN_PROGRESS);
	gc_loaded(&g, 0);
	ck_assert(joined(join(&g, 0, 5, "g", "", NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_MEMBER_ID_REQUIRED);
	gc_close(&g);
}
END_TEST

START_TEST(a_silent_member_expires_after_its_session_and_the_group_empties)
{
	struct gc g;
	new_gc(&g, true);
	char m[128];
	int32_t gen;
	solo(&g, "g", m, &gen);
	gc_tick(&g, 9999);
	ck_assert_int_eq(heartbeat(&g, 9999, "g", gen, m, NULL), 0);
	gc_tick(&g, 9999 + 10000);
	ck_assert_int_eq(heartbeat(&g, 20000, "g", gen, m, NULL), KERR_UNKNOWN_MEMBER_ID);
	int n;
	ck_assert_str_eq(describe_state(&g, "g", &n), "Empty");
	ck_assert_int_eq(n, 0);
	/* The empty group, at the next generation, is recorded. */
	ck_assert_int_eq(commit(&g), 1);
	gc_close(&g);
}
END_TEST

START_TEST(a_member_that_does_not_rejoin_in_time_is_dropped_from_the_rebalance)
{
	struct gc g;
	new_gc(&g, true);
	char a[128];
	int32_t gen;
	solo(&g, "g", a, &gen);
	struct join_res j;
	uint64_t rb = join(&g, 100, 5, "g", "", NULL, "range");
	ck_assert(joined(rb, 5, &j));
	char b[128];
	strcpy(b, j.member);
	rb = join(&g, 100, 5, "g", b, NULL, "range");
	/* a keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins. */
	for (int64_t t = 1000; t < 20100; t += 1000) {
		ck_assert_int_eq(heartbeat(&g, t, "g", gen, a, NULL), KERR_REBALANCE_IN_PROGRESS);
		gc_tick(&g, t);
		ck_assert(!joined(rb, 5, &j));
	}
	gc_tick(&g, 20100); /* the rebalance timeout (20 s) from t=100 */
	ck_assert(joined(rb, 5, &j));
	ck_assert_int_eq(j.err, 0);
	ck_assert_str_eq(j.leader, b);
	ck_assert_int_eq(j.n_members, 1);
	ck_assert_int_eq(heartbeat(&g, 20100, "g", j.gen, a, NULL), KERR_UNKNOWN_MEMBER_ID);
	gc_close(&g);
}
END_TEST

START_TEST(leave_group_v3_answers_each_member_and_rebalances_the_rest)
{
	struct gc g;
	new_gc(&g, true);
	char a[128];
	int32_t gen;
	solo(&g, "g", a, &gen);
	struct kafka_leave_group_request q;
	kafka_leave_group_request_init(&q);
	q.group_id = kafka_str_from("g");
	struct kafka_leave_group_request_member_identity ms[2];
	kafka_leave_group_request_member_identity_init(&ms[0]);
	kafka_leave_group_request_member_identity_init(&ms[1]);
	ms[0].member_id = kafka_str_from("ghost");
	ms[1].member_id = kafka_str_from(a);
	q.members = ms;
	q.n_members = 2;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_leave_group_request_encode(&b, 3, &q), 0);
	uint64_t id = send(&g, 0, KAFKA_API_LEAVE_GROUP, 3, &b);
	struct reader r = cap_reader(id);
	struct arena ar;
	arena_init(&ar);
	struct kafka_leave_group_response resp;
	ck_assert_int_eq(kafka_leave_group_response_decode(&r, 3, &resp, &ar), 0);
	ck_assert_int_eq(resp.error_code, 0);
	ck_assert_int_eq(resp.n_members, 2);
	ck_assert_int_eq(resp.members[0].error_code, KERR_UNKNOWN_MEMBER_ID);
	ck_assert_int_eq(resp.members[1].error_code, 0);
	arena_free(&ar);
	int n;
	ck_assert_str_eq(describe_state(&g, "g", &n), "Empty");
	gc_close(&g);
}
END_TEST

START_TEST(a_static_member_restarting_within_its_session_keeps_the_generation)
{
	struct gc g;
	new_gc(&g, true);
	struct join_res ja, jb;
	/* Static members join without a member-id round. */
	uint64_t ra = join(&g, 0, 5, "g", "", "ia", "range");
	ck_assert(joined(ra, 5, &ja));
	ck_assert_int_eq(ja.err, 0);
	uint64_t rb = join(&g, 0, 5, "g", "", "ib", "range");
	ck_assert(!joined(rb, 5, &jb));
	ra = join(&g, 0, 5, "g", ja.member, "ia", "range");
	ck_assert(joined(ra, 5, &ja));
	ck_assert(joined(rb, 5, &jb));
	int32_t gen = ja.gen;
	const char *ids[] = {ja.member, jb.member};
	const char *as[] = {"A", "B"};
	sync_req(&g, 0, "g", gen, ja.member, "ia", 2, ids, as);
	commit(&g);
	/* b restarts: no member id, same instance. */
	struct join_res jb2;
	uint64_t rb2 = join(&g, 1000, 5, "g", "", "ib", "range");
	ck_assert(!joined(rb2, 5, &jb2)); /* its new id is recorded first */
	ck_assert_int_eq(commit(&g), 1);
	ck_assert(joined(rb2, 5, &jb2));
	ck_assert_int_eq(jb2.err, 0);
	ck_assert_int_eq(jb2.gen, gen);
	ck_assert_str_ne(jb2.member, jb.member);
	ck_assert_int_eq(heartbeat(&g, 1000, "g", gen, ja.member, "ia"), 0);
	ck_assert_int_eq(heartbeat(&g, 1000, "g", gen, jb.member, "ib"), KERR_FENCED_INSTANCE_ID);
	ck_assert_int_eq(heartbeat(&g, 1000, "g", gen, jb2.member, "ib"), 0);
	int16_t err;
	char got[64];
	ck_assert(synced(sync_req(&g, 0, "g", gen, jb2.member, "ib", 0, NULL, NULL), &err, got));
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(got, "B");
	gc_close(&g);
}
END_TEST

/* Kafka's group.initial.rebalance.delay.ms: the first join of an empty group
 * waits for the others; each newcomer extends the wait by one delay, and
 * the rebalance timeout (20 s in join()) caps it. */
START_TEST(an_empty_groups_first_join_waits_for_the_others_within_the_rebalance_timeout)
{
	struct gc g;
	struct gc_config slow = cfg;
	slow.initial_delay_ms = 3000;
	slow.max_size = 10;
	struct gc_env env = {.ctx = NULL, .respond = respond};
	gc_init(&g, &slow, &env);
	gc_lead(&g);
	gc_loaded(&g, 0);
	struct join_res j;
	uint64_t a = join(&g, 0, 3, "g", "", NULL, "range");
	gc_tick(&g, 1000);
	uint64_t b = join(&g, 1000, 3, "g", "", NULL, "range");
	/* both joined: without the delay this would end the join phase */
	gc_tick(&g, 3500);
	ck_assert(!joined(a, 3, &j));
	ck_assert(!joined(b, 3, &j));
	/* one delay after the last newcomer: one rebalance for both */
	gc_tick(&g, 4000);
	ck_assert(joined(a, 3, &j));
	ck_assert_int_eq(j.err, KERR_NONE);
	ck_assert_int_eq(j.gen, 1);
	ck_assert_int_eq(j.n_members, 2); /* a leads and gets both */
	char ida[128], idb[128];
	snprintf(ida, sizeof(ida), "%s", j.member);
	ck_assert(joined(b, 3, &j));
	ck_assert_int_eq(j.gen, 1);
	snprintf(idb, sizeof(idb), "%s", j.member);
	commit(&g);
	ck_assert_uint_eq(g.counters.rebalances, 1);
	/* a group with members rebalances without the delay: a third
	 * member, and the two rejoin at once */
	uint64_t c = join(&g, 5000, 3, "g", "", NULL, "range");
	a = join(&g, 5000, 3, "g", ida, NULL, "range");
	b = join(&g, 5000, 3, "g", idb, NULL, "range");
	ck_assert(joined(c, 3, &j));
	ck_assert_int_eq(j.err, KERR_NONE);
	ck_assert_int_eq(j.gen, 2);
	ck_assert(joined(a, 3, &j) && j.gen == 2 && j.n_members == 3);
	commit(&g);
	gc_close(&g);

	/* newcomers every 2.5 s: the wait ends at the rebalance timeout */
	reset_caps();
	gc_init(&g, &slow, &env);
	gc_lead(&g);
	gc_loaded(&g, 0);
	uint64_t first = join(&g, 0, 3, "h", "", NULL, "range");
	int64_t t;
	for (t = 2500; t < 20000; t += 2500) {
		gc_tick(&g, t);
		ck_assert_msg(!joined(first, 3, &j), "answered at %lld", (long long)t);
		join(&g, t, 3, "h", "", NULL, "range");
	}
	gc_tick(&g, 20000);
	ck_assert(joined(first, 3, &j));
	ck_assert_int_eq(j.err, KERR_NONE);
	ck_assert_int_eq(j.n_members, 8);
	commit(&g);
	gc_close(&g);
}
END_TEST

START_TEST(the_member_beyond_max_size_is_refused)
{
	struct gc g;
	new_gc(&g, true);
	struct join_res j;
	for (int i = 0; i < 3; i++) {
		ck_assert(joined(join(&g, 0, 5, "g", "", NULL, "range"), 5, &j));
		ck_assert_int_eq(j.err, KERR_MEMBER_ID_REQUIRED);
	}
	ck_assert(joined(join(&g, 0, 5, "g", "", NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_GROUP_MAX_SIZE_REACHED);
	gc_close(&g);
}
END_TEST

START_TEST(stepping_down_answers_held_requests_not_coordinator)
{
	struct gc g;
	new_gc(&g, true);
	char a[128];
	int32_t gen;
	solo(&g, "g", a, &gen);
	struct join_res j;
	uint64_t rb = join(&g, 0, 3, "g", "", NULL, "range");
	ck_assert(!joined(rb, 3, &j));
	uint64_t c = commit_req(&g, 0, 7, "g", gen, a, 0, 5);
	gc_step_down(&g);
	ck_assert(joined(rb, 3, &j));
	ck_assert_int_eq(j.err, KERR_NOT_COORDINATOR);
	int16_t err;
	ck_assert(committed(c, 7, &err));
	ck_assert_int_eq(err, KERR_NOT_COORDINATOR);
	ck_assert(!gc_has_records(&g));
	gc_close(&g);
}
END_TEST

/* --- offsets ------------------------------------------------------------ */

START_TEST(offset_commit_is_answered_once_committed_and_read_back)
{
	struct gc g;
	new_gc(&g, true);
	char m[128];
	int32_t gen;
	solo(&g, "g", m, &gen);
	uint64_t c = commit_req(&g, 0, 8, "g", gen, m, 3, 100);
	int16_t err;
	ck_assert(!committed(c, 8, &err));
	int64_t off = 0;
	int32_t ep = 0;
	/* Not applied yet: nothing; require_stable says so. */
	ck_assert_int_eq(fetch_offset(&g, "g", 3, false, &off, &ep), 0);
	ck_assert_int_eq(off, -1);
	ck_assert_int_eq(fetch_offset(&g, "g", 3, true, &off, &ep), KERR_UNSTABLE_OFFSET_COMMIT);
	commit(&g);
	ck_assert(committed(c, 8, &err));
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(fetch_offset(&g, "g", 3, true, &off, &ep), 0);
	ck_assert_int_eq(off, 100);
	ck_assert_int_eq(ep, 7);
	/* Generation checks. */
	ck_assert(committed(commit_req(&g, 0, 8, "g", gen + 1, m, 3, 1), 8, &err));
	ck_assert_int_eq(err, KERR_ILLEGAL_GENERATION);
	ck_assert(committed(commit_req(&g, 0, 8, "g", gen, "ghost", 3, 1), 8, &err));
	ck_assert_int_eq(err, KERR_UNKNOWN_MEMBER_ID);
	ck_assert(committed(commit_req(&g, 0, 8, "g", -1, "", 3, 1), 8, &err));
	ck_assert_int_eq(err, KERR_UNKNOWN_MEMBER_ID);
	ck_assert(!gc_has_records(&g));
	gc_close(&g);
}
END_TEST

START_TEST(a_simple_commit_to_an_unknown_group_creates_it_empty)
{
	struct gc g;
	new_gc(&g, true);
	int16_t err;
	uint64_t c = commit_req(&g, 0, 2, "solo", -1, "", 0, 9);
	commit(&g);
	ck_assert(committed(c, 2, &err));
	ck_assert_int_eq(err, 0);
	int64_t off;
	int32_t ep;
	ck_assert_int_eq(fetch_offset(&g, "solo", 0, false, &off, &ep), 0);
	ck_assert_int_eq(off, 9);
	ck_assert_int_eq(ep, -1); /* v2 carries no leader epoch */
	int n;
	ck_assert_str_eq(describe_state(&g, "solo", &n), "Empty");
	gc_close(&g);
}
END_TEST

START_TEST(a_failed_proposal_answers_not_coordinator)
{
	struct gc g;
	new_gc(&g, true);
	uint64_t c = commit_req(&g, 0, 7, "g", -1, "", 0, 9);
	struct buf recs;
	buf_init(&recs);
	ck_assert_int_eq(gc_take_records(&g, &recs), 1);
	gc_propose_failed(&g);
	int16_t err;
	ck_assert(committed(c, 7, &err));
	ck_assert_int_eq(err, KERR_NOT_COORDINATOR);
	buf_free(&recs);
	gc_close(&g);
}
END_TEST

START_TEST(a_new_leader_replays_the_records_and_keeps_generation_members_and_offsets)
{
	struct gc g;
	new_gc(&g, true);
	char m[128];
	int32_t gen;
	solo(&g, "g", m, &gen);
	commit_req(&g, 0, 7, "g", gen, m, 1, 55);
	commit(&g);
	gc_close(&g);
	/* Another replica applies the same records, then leads. */
	struct gc f;
	new_gc(&f, false);
	apply_list(&f, log_records.data, log_records.len, log_n);
	struct join_res j;
	ck_assert(joined(join(&f, 0, 5, "g", m, NULL, "range"), 5, &j));
	ck_assert_int_eq(j.err, KERR_NOT_COORDINATOR);
	gc_lead(&f);
	gc_loaded(&f, 50000);
	ck_assert_int_eq(heartbeat(&f, 50000, "g", gen, m, NULL), 0);
	int16_t err;
	char got[64];
	ck_assert(synced(sync_req(&f, 50000, "g", gen, m, NULL, 0, NULL, NULL), &err, got));
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(got, "A");
	int64_t off;
	int32_t ep;
	ck_assert_int_eq(fetch_offset(&f, "g", 1, false, &off, &ep), 0);
	ck_assert_int_eq(off, 55);
	/* Sessions restart at the load: alive at 59 s, gone after 60 s. */
	gc_tick(&f, 59000);
	ck_assert_int_eq(heartbeat(&f, 59000, "g", gen, m, NULL), 0);
	gc_tick(&f, 69001);
	ck_assert_int_eq(heartbeat(&f, 69001, "g", gen, m, NULL), KERR_UNKNOWN_MEMBER_ID);
	gc_close(&f);
}
END_TEST

START_TEST(a_snapshot_rebuilds_the_same_applied_state)
{
	struct gc g;
	new_gc(&g, true);
	char m[128];
	int32_t gen;
	solo(&g, "g", m, &gen);
	commit_req(&g, 0, 7, "g", gen, m, 1, 55);
	commit_req(&g, 0, 7, "simple", -1, "", 4, 66);
	commit(&g);
	struct buf snap;
	buf_init(&snap);
	int n = gc_snapshot(&g, &snap);
	ck_assert_int_eq(n, 3); /* g's record, g's offset, simple's offset */
	gc_close(&g);
	struct gc f;
	new_gc(&f, false);
	ck_assert_int_eq(gc_apply_list(&f, snap.data, snap.len, n), 0);
	gc_lead(&f);
	gc_loaded(&f, 0);
	ck_assert_int_eq(heartbeat(&f, 0, "g", gen, m, NULL), 0);
	int64_t off;
	int32_t ep;
	ck_assert_int_eq(fetch_offset(&f, "g", 1, false, &off, &ep), 0);
	ck_assert_int_eq(off, 55);
	ck_assert_int_eq(ep, 7);
	ck_assert_int_eq(fetch_offset(&f, "simple", 4, false, &off, &ep), 0);
	ck_assert_int_eq(off, 66);
	/* A truncated list is refused, not read past its end. */
	struct gc t;
	new_gc(&t, false);
	ck_assert_int_eq(gc_apply_list(&t, snap.data, snap.len - 3, n), ERR_INVALID);
	gc_close(&t);
	buf_free(&snap);
	gc_close(&f);
}
END_TEST

START_TEST(offsets_of_an_empty_group_expire_after_retention)
{
	struct gc g;
	new_gc(&g, true);
	int16_t err;
	uint64_t c = commit_req(&g, 1000, 7, "old", -1, "", 0, 9);
	commit(&g);
	ck_assert(committed(c, 7, &err));
	gc_tick(&g, 1000 + 59000);
	ck_assert(!gc_has_records(&g));
	/* Retention is scanned every 5 s at most. */
	gc_tick(&g, 1000 + 60000);
	ck_assert(!gc_has_records(&g));
	gc_tick(&g, 1000 + 64000);
	ck_assert_int_eq(commit(&g), 1);
	int64_t off = 0;
	int32_t ep;
	ck_assert_int_eq(fetch_offset(&g, "old", 0, false, &off, &ep), 0);
	ck_assert_int_eq(off, -1);
	ck_assert_uint_eq(g.counters.expired, 1);
	gc_close(&g);
}
END_TEST

START_TEST(deleting_a_group_needs_it_empty)
{
	struct gc g;
	new_gc(&g, true);
	char m[128];
	int32_t gen;
	solo(&g, "busy", m, &gen);
	commit_req(&g, 0, 7, "idle", -1, "", 0, 1);
	commit(&g);
	struct kafka_delete_groups_request q;
	kafka_delete_groups_request_init(&q);
	struct kafka_str ids[3] = {kafka_str_from("busy"), kafka_str_from("idle"),
				   kafka_str_from("none")};
	q.groups_names = ids;
	q.n_groups_names = 3;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_delete_groups_request_encode(&b, 2, &q), 0);
	uint64_t id = send(&g, 0, KAFKA_API_DELETE_GROUPS, 2, &b);
	ck_assert_ptr_null(find_cap(id));
	commit(&g);
	struct reader r = cap_reader(id);
	struct arena a;
	arena_init(&a);
	struct kafka_delete_groups_response resp;
	ck_assert_int_eq(kafka_delete_groups_response_decode(&r, 2, &resp, &a), 0);
	ck_assert_int_eq(resp.n_results, 3);
	ck_assert_int_eq(resp.results[0].error_code, KERR_NON_EMPTY_GROUP);
	ck_assert_int_eq(resp.results[1].error_code, 0);
	ck_assert_int_eq(resp.results[2].error_code, KERR_GROUP_ID_NOT_FOUND);
	arena_free(&a);
	ck_assert_ptr_null(gc_find(&g, "idle", 4));
	ck_assert_ptr_nonnull(gc_find(&g, "busy", 4));
	int n;
	ck_assert_str_eq(describe_state(&g, "idle", &n), "Dead");
	gc_close(&g);
}
END_TEST

START_TEST(list_groups_filters_by_state)
{
	struct gc g;
	new_gc(&g, true);
	char m[128];
	int32_t gen;
	solo(&g, "busy", m, &gen);
	commit_req(&g, 0, 7, "idle", -1, "", 0, 1);
	commit(&g);
	struct kafka_list_groups_request q;
	kafka_list_groups_request_init(&q);
	struct kafka_str st = kafka_str_from("stable");
	q.states_filter = &st;
	q.n_states_filter = 1;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_list_groups_request_encode(&b, 4, &q), 0);
	uint64_t id = send(&g, 0, KAFKA_API_LIST_GROUPS, 4, &b);
	struct reader r = cap_reader(id);
	struct arena a;
	arena_init(&a);
	struct kafka_list_groups_response resp;
	ck_assert_int_eq(kafka_list_groups_response_decode(&r, 4, &resp, &a), 0);
	ck_assert_int_eq(resp.n_groups, 1);
	ck_assert(kafka_str_eq(resp.groups[0].group_id, "busy"));
	ck_assert(kafka_str_eq(resp.groups[0].protocol_type, "consumer"));
	arena_free(&a);
	gc_close(&g);
}
END_TEST

START_TEST(the_report_is_json_with_members_assignment_and_offsets)
{
	struct gc g;
	new_gc(&g, true);
	struct join_res j;
	uint64_t r = join(&g, 0, 3, "g\"q", "", NULL, "range");
	ck_assert(joined(r, 3, &j));
	/* ConsumerProtocolAssignment v0: topic "t" partitions 0 and 2. */
	const char as[] = {0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2,
			   0, 0, 0, 0, 0, 0, 0, 2, 0,	0, 0, 0};
	struct kafka_sync_group_request q;
	kafka_sync_group_request_init(&q);
	q.group_id = kafka_str_from("g\"q");
	q.generation_id = j.gen;
	q.member_id = kafka_str_from(j.member);
	struct kafka_sync_group_request_sync_group_request_assignment a;
	kafka_sync_group_request_sync_group_request_assignment_init(&a);
	a.member_id = kafka_str_from(j.member);
	a.assignment = (struct kafka_bytes){(const uint8_t *)as, (int32_t)sizeof(as)};
	q.assignments = &a;
	q.n_assignments = 1;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(kafka_sync_group_request_encode(&b, 3, &q), 0);
	send(&g, 0, KAFKA_API_SYNC_GROUP, 3, &b);
	commit(&g); /* the assignment: Stable */
	commit_req(&g, 0, 7, "g\"q", j.gen, j.member, 2, 31);
	commit(&g);
	struct buf out;
	buf_init(&out);
	ck_assert_int_eq(group_report_json(&g, 1, 1 << 20, &out), 1);
	buf_put_u8(&out, 0);
	char text[4096];
	snprintf(text, sizeof(text), "[%s]", (const char *)out.data);
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	ck_assert_msg(root != NULL, "%s: %s", je.text, text);
	json_t *x = json_array_get(root, 0);
	ck_assert_str_eq(json_string_value(json_object_get(x, "group")), "g\"q");
	ck_assert_str_eq(json_string_value(json_object_get(x, "state")), "Stable");
	ck_assert_int_eq(json_integer_value(json_object_get(x, "partition")), 1);
	json_t *m = json_array_get(json_object_get(x, "members"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(m, "host")), "/127.0.0.1");
	json_t *tp = json_array_get(json_object_get(m, "assignment"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(tp, "topic")), "t");
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(tp, "partitions"), 1)),
			 2);
	json_t *o = json_array_get(json_object_get(x, "offsets"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "offset")), 31);
	json_decref(root);
	/* Too small a bound: no group rather than half of one. */
	ck_assert_int_eq(group_report_json(&g, 1, 10, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
	gc_close(&g);
}
END_TEST

START_TEST(a_malformed_record_is_skipped)
{
	struct gc g;
	new_gc(&g, false);
	uint8_t junk[] = {9, 0, 1, 'x'};
	ck_assert_int_eq(gc_apply_record(&g, junk, 4, junk, 4), ERR_INVALID);
	ck_assert_int_eq(gc_apply_record(&g, NULL, -1, NULL, -1), ERR_INVALID);
	ck_assert_int_eq(g.n_groups, 0);
	gc_close(&g);
}
END_TEST

/* --- which partition coordinates a group ------------------------------- */

START_TEST(the_coordinator_partition_is_kafkas_java_hash_rule)
{
	ck_assert_int_eq(coordinator_java_hash("hello", 5), 99162322);
	ck_assert_int_eq(coordinator_partition("hello", 5, 50), 22);
	/* Java's hashCode of this string is INT_MIN, which Kafka's abs maps to 0. */
	ck_assert_int_eq(coordinator_java_hash("polygenelubricants", 18), INT32_MIN);
	ck_assert_int_eq(coordinator_partition("polygenelubricants", 18, 3), 0);
	/* Over UTF-16 code units: e-acute, an emoji (a surrogate pair), x. */
	const char *s = "\xc3\xa9\xf0\x9f\x98\x80x";
	ck_assert_int_eq(coordinator_java_hash(s, strlen(s)), 61901292);
	for (int n = 1; n < 60; n++) {
		int32_t p = coordinator_partition("console-consumer-12345", 22, n);
		ck_assert(p >= 0 && p < n);
	}
}
END_TEST

static Suite *group_coord_suite(void)
{
	Suite *su = suite_create("group_coord");
	TCase *tc = tcase_create("membership");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_v4_join_gets_member_id_required_then_leads_a_group_of_one);
	tcase_add_test(tc, a_v3_join_needs_no_second_round);
	tcase_add_test(tc, a_second_member_makes_both_rejoin_and_the_leader_alone_sees_the_members);
	tcase_add_test(tc, the_protocol_most_members_prefer_wins);
	tcase_add_test(tc, bad_joins_get_their_errors_and_the_group_keeps_working);
	tcase_add_test(tc, not_leader_is_not_coordinator_and_replaying_is_load_in_progress);
	tcase_add_test(tc, a_silent_member_expires_after_its_session_and_the_group_empties);
	tcase_add_test(tc, a_member_that_does_not_rejoin_in_time_is_dropped_from_the_rebalance);
	tcase_add_test(tc, leave_group_v3_answers_each_member_and_rebalances_the_rest);
	tcase_add_test(tc, a_static_member_restarting_within_its_session_keeps_the_generation);
	tcase_add_test(tc, the_member_beyond_max_size_is_refused);
	tcase_add_test(
	    tc, an_empty_groups_first_join_waits_for_the_others_within_the_rebalance_timeout);
	tcase_add_test(tc, stepping_down_answers_held_requests_not_coordinator);
	suite_add_tcase(su, tc);
	TCase *to = tcase_create("offsets");
	tcase_add_checked_fixture(to, setup, teardown);
	tcase_add_test(to, offset_commit_is_answered_once_committed_and_read_back);
	tcase_add_test(to, a_simple_commit_to_an_unknown_group_creates_it_empty);
	tcase_add_test(to, a_failed_proposal_answers_not_coordinator);
	tcase_add_test(to,
		       a_new_leader_replays_the_records_and_keeps_generation_members_and_offsets);
	tcase_add_test(to, a_snapshot_rebuilds_the_same_applied_state);
	tcase_add_test(to, offsets_of_an_empty_group_expire_after_retention);
	tcase_add_test(to, deleting_a_group_needs_it_empty);
	tcase_add_test(to, list_groups_filters_by_state);
	tcase_add_test(to, a_malformed_record_is_skipped);
	tcase_add_test(to, the_report_is_json_with_members_assignment_and_offsets);
	tcase_add_test(to, the_coordinator_partition_is_kafkas_java_hash_rule);
	suite_add_tcase(su, to);
	return su;
}

CHECK_MAIN(group_coord_suite)
