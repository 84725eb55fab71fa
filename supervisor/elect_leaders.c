/* elect_leaders.c - ElectLeaders (elect_leaders.h): asks each partition's
 * leader to hand over to its preferred replica, then polls the router
 * until they lead or the timeout passes. */
#include "elect_leaders.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/balance.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/partition_view.h"
#include "supervisor/peers.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

#define ELECTION_PREFERRED 0
#define TIMEOUT_MAX_MS 30000
#define POLL_MS 100

typedef struct kafka_elect_leaders_response_partition_result part_res;
typedef struct kafka_elect_leaders_response_replica_election_result topic_res;

/* A partition whose hand-over was asked for and not yet seen. */
struct waiting {
	/* Copied and looked up again at each poll: a reload may replace
	 * the configuration while the answer waits. */
	char topic[CONFIG_TOPIC_NAME_MAX + 1];
	int32_t partition;
	int32_t preferred;
	part_res *res;
};

struct el_state {
	struct kreq *r;
	struct kafka_elect_leaders_response resp;
	struct waiting *w;
	int n_w;
	int64_t deadline_ms;
	struct event *timer;
};

static struct kafka_str no_msg(void) { return (struct kafka_str){.ptr = NULL, .len = -1}; }

static void finish(struct el_state *st)
{
	struct kreq *r = st->r;
	if (st->timer != NULL)
		event_free(st->timer);
	st->timer = NULL;
	struct buf b;
	buf_init(&b);
	kreq_response_begin(r, &b);
	if (kafka_elect_leaders_response_encode(&b, r->api_version, &st->resp) != 0) {
		buf_free(&b);
		kreq_fail(r, "cannot encode the ElectLeaders response");
		return;
	}
	kreq_respond(r, &b);
}

/* Whether every waiting partition is led by its preferred replica; marks
 * the rest "not yet" when the time is up. */
static bool all_done(struct el_state *st, bool time_up)
{
	bool done = true;
	for (int i = 0; i < st->n_w; i++) {
		struct waiting *w = &st->w[i];
		if (w->res == NULL)
			continue;
		const struct config_topic *t =
		    config_topic_find(st->r->sup->cfg, w->topic, strlen(w->topic));
		struct partition_view v;
		bool led = t != NULL && w->partition < t->partitions &&
			   partition_view(st->r->sup, t, w->partition, &v, &st->r->arena) == 0 &&
			   v.leader_id == w->preferred;
		if (led) {
			w->res = NULL;
		} else if (time_up) {
			w->res->error_code = KERR_PREFERRED_LEADER_NOT_AVAILABLE;
			w->res->error_message = kafka_str_from(
			    "the hand-over to the preferred replica was asked for and has not "
			    "happened yet");
			w->res = NULL;
		} else {
			done = false;
		}
	}
	return done;
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct el_state *st = arg;
	bool time_up = spawn_now_ms() >= st->deadline_ms;
	if (all_done(st, time_up)) {
		finish(st);
		return;
	}
	struct timeval tv = {0, POLL_MS * 1000};
	evtimer_add(st->timer, &tv);
}

/* Decides one partition: fills *res, and returns true when a hand-over was
 * asked for (the answer then waits for it), with *preferred_out the node
 * that should lead. */
static bool elect_one(struct kreq *r, const struct config_topic *t, int32_t p, part_res *res,
		      int32_t *preferred_out)
{
	struct sup *s = r->sup;
	struct partition_view v;
	if (partition_view(s, t, p, &v, &r->arena) != 0 || v.n_replicas == 0) {
		res->error_code = KERR_UNKNOWN_SERVER_ERROR;
		return false;
	}
	int32_t preferred = v.replicas[0];
	*preferred_out = preferred;
	if (v.leader_id == preferred) {
		res->error_code = KERR_ELECTION_NOT_NEEDED;
		return false;
	}
	for (int i = 0; i < v.n_offline; i++)
		if (v.offline[i] == preferred) {
			res->error_code = KERR_PREFERRED_LEADER_NOT_AVAILABLE;
			res->error_message = kafka_str_from("the preferred replica's node is not "
							    "heard from");
			return false;
		}
	if (v.leader_id < 0) {
		res->error_code = KERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
		res->error_message = kafka_str_from("no leader is known: an election is under way");
		return false;
	}
	int rc = v.leader_id == s->cfg->node.id
		     ? balance_transfer_to(s, t->name, p, preferred)
		     : peers_send_elect(s->peers, v.leader_id, t->name, p, preferred);
	if (rc != 0) {
		res->error_code = KERR_PREFERRED_LEADER_NOT_AVAILABLE;
		res->error_message = kafka_str_from("the leader's node cannot be asked right now");
		return false;
	}
	log_info("elect leaders: %s/%d asked to move from node %d to node %d", t->name, (int)p,
		 (int)v.leader_id, (int)preferred);
	return true;
}

void elect_leaders_handle(struct kreq *r, struct reader *body)
{
	struct kafka_elect_leaders_request req;
	kafka_elect_leaders_request_init(&req);
	if (kafka_elect_leaders_request_decode(body, r->api_version, &req, &r->arena) != 0) {
		kreq_fail(r, "garbled ElectLeaders request");
		return;
	}
	struct el_state *st = arena_calloc(&r->arena, 1, sizeof(*st));
	if (st == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	st->r = r;
	kafka_elect_leaders_response_init(&st->resp);
	st->resp.throttle_time_ms = 0;
	st->resp.error_code = KERR_NONE;
	bool all = req.n_topic_partitions < 0;
	int n_topics = all ? topics_count(r->sup) : req.n_topic_partitions;
	int total = 0;
	for (int i = 0; i < n_topics; i++)
		total += all ? topics_at(r->sup, i)->partitions
			     : (req.topic_partitions[i].n_partitions > 0
				    ? req.topic_partitions[i].n_partitions
				    : 0);
	topic_res *topics = arena_calloc(&r->arena, (size_t)n_topics + 1, sizeof(*topics));
	part_res *parts = arena_calloc(&r->arena, (size_t)total + 1, sizeof(*parts));
	st->w = arena_calloc(&r->arena, (size_t)total + 1, sizeof(*st->w));
	if (topics == NULL || parts == NULL || st->w == NULL) {
		kreq_fail(r, "out of memory");
		return;
	}
	bool preferred_type = r->api_version == 0 || req.election_type == ELECTION_PREFERRED;
	int n_parts = 0, n_out = 0;
	for (int i = 0; i < n_topics; i++) {
		struct kafka_str name = all ? kafka_str_from(topics_at(r->sup, i)->name)
					    : req.topic_partitions[i].topic;
		const struct config_topic *t =
		    name.len > 0 ? topics_find(r->sup, name.ptr, (size_t)name.len) : NULL;
		if (t == &r->sup->ctl_topic)
			t = NULL;
		int np = all ? topics_at(r->sup, i)->partitions
			     : (req.topic_partitions[i].n_partitions > 0
				    ? req.topic_partitions[i].n_partitions
				    : 0);
		topic_res *tr = &topics[n_out];
		kafka_elect_leaders_response_replica_election_result_init(tr);
		tr->topic = name;
		tr->partition_result = parts + n_parts;
		for (int j = 0; j < np; j++) {
			int32_t p = all ? j : req.topic_partitions[i].partitions[j];
			part_res *res = &parts[n_parts];
			kafka_elect_leaders_response_partition_result_init(res);
			res->partition_id = p;
			res->error_code = KERR_NONE;
			res->error_message = no_msg();
			bool asked = false;
			int32_t preferred = -1;
			if (!r->served) {
				res->error_code = KERR_UNSUPPORTED_VERSION;
			} else if (!preferred_type) {
				res->error_code = KERR_INVALID_REQUEST;
				res->error_message = kafka_str_from(
				    "fjord runs preferred elections only: a Raft group never "
				    "elects an unclean leader");
			} else if (t == NULL || p < 0 || p >= t->partitions) {
				res->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
			} else {
				asked = elect_one(r, t, p, res, &preferred);
			}
			if (all && res->error_code == KERR_ELECTION_NOT_NEEDED)
				continue;
			if (asked) {
				struct waiting *w = &st->w[st->n_w++];
				snprintf(w->topic, sizeof(w->topic), "%s", t->name);
				w->partition = p;
				w->preferred = preferred;
				w->res = res;
			}
			n_parts++;
			tr->n_partition_result++;
		}
		if (!all || tr->n_partition_result > 0)
			n_out++;
	}
	st->resp.replica_election_results = topics;
	st->resp.n_replica_election_results = n_out;
	int32_t timeout =
	    req.timeout_ms > 0 && req.timeout_ms < TIMEOUT_MAX_MS ? req.timeout_ms : TIMEOUT_MAX_MS;
	st->deadline_ms = spawn_now_ms() + timeout;
	if (st->n_w == 0 || r->sup->base == NULL) {
		finish(st);
		return;
	}
	st->timer = evtimer_new(r->sup->base, poll_cb, st);
	if (st->timer == NULL) {
		all_done(st, true);
		finish(st);
		return;
	}
	struct timeval tv = {0, POLL_MS * 1000};
	evtimer_add(st->timer, &tv);
}
