/* test_supervisor_cluster.c - the cluster view of a supervisor: placement
 * of local workers, the peers' LEADERS tables, who leads a partition, where
 * requests may go, what Metadata says, and who campaigns on failover. One
 * process, no sockets: workers are table entries with a status, peers are
 * LEADERS tables fed in directly. */
#include <check.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "common/config.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kerr.h"
#include "common/placement.h"
#include "fake_sup.h"
#include "supervisor/admin_http.h"
#include "supervisor/cluster.h"
#include "supervisor/controller_id.h"
#include "supervisor/failover.h"
#include "supervisor/leaders.h"
#include "supervisor/metadata.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

static struct sup s;

static void setup(void)
{
	fake_sup_init(&s, "[node]\nid = 1\nkafka_listen = 127.0.0.1:19001\n"
			  "[cluster]\nnode.1 = 127.0.0.1:19001,127.0.0.1:19101\n"
			  "node.2 = h2:19002,h2:19102\nnode.3 = h3:19003,h3:19103\n"
			  "[topic.t]\npartitions = 6\nreplication = 3\n"
			  "[topic.one]\npartitions = 6\n");
	fake_sup_place_workers(&s); /* what main.c would create */
}

static void teardown(void) { fake_sup_free(&s); }

static struct worker *local(const char *topic, int32_t p)
{
	return workers_find(s.workers, topic, strlen(topic), p);
}

/* Gives peer `node` a table with one claim (plus a filler claim, so the
 * index holds more than one entry). */
static void peer_says(int32_t node, const char *topic, int32_t p, int8_t role, uint64_t term,
		      int32_t leader, bool caught_up, int64_t age_ms)
{
	struct peer_claim *c = calloc(2, sizeof(*c));
	snprintf(c[0].topic, sizeof(c[0].topic), "%s", topic);
	c[0].partition = p;
	c[0].role = role;
	c[0].term = term;
	c[0].leader = leader;
	c[0].caught_up = caught_up;
	snprintf(c[1].topic, sizeof(c[1].topic), "filler");
	ck_assert_int_eq(leaders_replace(s.leaders, node, false, c, 2, spawn_now_ms() - age_ms), 0);
}

START_TEST(the_controller_is_the_lowest_node_that_is_up)
{
	ck_assert_int_eq(controller_id(&s), 1); /* this node is the lowest */
	struct sup two;
	fake_sup_init_on(&two, s.base,
			 "[node]\nid = 2\nkafka_listen = 127.0.0.1:19002\n"
			 "[cluster]\nnode.1 = h1:19001,h1:19101\n"
			 "node.2 = 127.0.0.1:19002,127.0.0.1:19102\nnode.3 = h3:19003,h3:19103\n");
	/* Node 1 not heard from: this node, not a dead one. */
	ck_assert_int_eq(controller_id(&two), 2);
	struct peer_claim *c = calloc(1, sizeof(*c));
	snprintf(c->topic, sizeof(c->topic), "x");
	ck_assert_int_eq(leaders_replace(two.leaders, 1, false, c, 1, spawn_now_ms()), 0);
	ck_assert_int_eq(controller_id(&two), 1);
	/* Its table goes stale: node 1 no longer counts. */
	c = calloc(1, sizeof(*c));
	snprintf(c->topic, sizeof(c->topic), "x");
	ck_assert_int_eq(leaders_replace(two.leaders, 1, false, c, 1, spawn_now_ms() - 60000), 0);
	ck_assert_int_eq(controller_id(&two), 2);
	fake_sup_free(&two);
}
END_TEST

START_TEST(only_replicas_placed_on_this_node_get_workers)
{
	/* Replication 3 on 3 nodes: every partition of t is here. */
	for (int32_t p = 0; p < 6; p++)
		ck_assert_ptr_nonnull(local("t", p));
	/* Replication 1: exactly the partitions whose single replica is 1. */
	int32_t ids[] = {1, 2, 3};
	int here = 0;
	for (int32_t p = 0; p < 6; p++) {
		int32_t r[1];
		ck_assert_int_eq(placement_replicas("one", p, ids, 3, 1, r), 1);
		ck_assert_int_eq(local("one", p) != NULL, r[0] == 1);
		here += r[0] == 1;
	}
	ck_assert_int_eq(here, 2); /* consecutive partitions rotate over 3 nodes */
}
END_TEST

START_TEST(leaders_table_is_indexed_replaced_whole_and_goes_stale)
{
	peer_says(2, "t", 3, IPC_ROLE_LEADER, 9, 2, false, 0);
	const struct peer_claim *c = leaders_get(s.leaders, 2, "t", 1, 3, spawn_now_ms());
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->term, 9);
	ck_assert_ptr_null(leaders_get(s.leaders, 2, "t", 1, 4, spawn_now_ms()));
	ck_assert_ptr_null(leaders_get(s.leaders, 3, "t", 1, 3, spawn_now_ms()));
	/* A new table replaces the old one entirely. */
	peer_says(2, "t", 4, IPC_ROLE_FOLLOWER, 10, 3, true, 0);
	ck_assert_ptr_null(leaders_get(s.leaders, 2, "t", 1, 3, spawn_now_ms()));
	ck_assert_ptr_nonnull(leaders_get(s.leaders, 2, "t", 1, 4, spawn_now_ms()));
	ck_assert(leaders_fresh(s.leaders, 2, spawn_now_ms()));
	/* Too old: as if the peer were gone. */
	peer_says(2, "t", 4, IPC_ROLE_FOLLOWER, 10, 3, true, LEADERS_STALE_MS + 100);
	ck_assert(!leaders_fresh(s.leaders, 2, spawn_now_ms()));
	ck_assert_ptr_null(leaders_get(s.leaders, 2, "t", 1, 4, spawn_now_ms()));
	/* Forgotten when its channel closes. */
	peer_says(3, "t", 4, IPC_ROLE_FOLLOWER, 10, 3, true, 0);
	leaders_forget(s.leaders, 3);
	ck_assert(!leaders_fresh(s.leaders, 3, spawn_now_ms()));
	ck_assert_ptr_null(leaders_get(s.leaders, 3, "t", 1, 4, spawn_now_ms()));
}
END_TEST

START_TEST(leader_is_the_highest_term_claim_and_own_claims_beat_reports)
{
	struct router_leader l;
	/* Nobody claims anything. */
	router_leader(&s, "t", 1, 0, &l);
	ck_assert_int_eq(l.error, KERR_LEADER_NOT_AVAILABLE);
	ck_assert_int_eq(l.leader_id, -1);
	ck_assert_int_eq(l.leader_epoch, -1);

	/* Our follower heard of node 3 at term 4; node 3 is silent, so that
	 * is not believed... */
	local("t", 0)->status.term = 4;
	local("t", 0)->status.leader_node = 3;
	router_leader(&s, "t", 1, 0, &l);
	ck_assert_int_eq(l.leader_id, -1);
	/* ...until node 3 is heard from (its table need not mention t/0). */
	peer_says(3, "t", 5, IPC_ROLE_FOLLOWER, 1, 1, false, 0);
	router_leader(&s, "t", 1, 0, &l);
	ck_assert_int_eq(l.error, 0);
	ck_assert_int_eq(l.leader_id, 3);
	ck_assert_int_eq(l.leader_epoch, 4);

	/* Node 2 leads term 5: newer. */
	peer_says(2, "t", 0, IPC_ROLE_LEADER, 5, 2, false, 0);
	router_leader(&s, "t", 1, 0, &l);
	ck_assert_int_eq(l.leader_id, 2);
	ck_assert_int_eq(l.leader_epoch, 5);

	/* Node 3 reports node 2 at term 5 too; node 2's own claim is the
	 * same answer. A report naming this node is ignored: only our own
	 * worker says whether we lead. */
	peer_says(3, "t", 0, IPC_ROLE_FOLLOWER, 6, 1, true, 0);
	router_leader(&s, "t", 1, 0, &l);
	ck_assert_int_eq(l.leader_id, 2);
	ck_assert_int_eq(l.leader_epoch, 5);
	/* A report of a newer term naming a live node wins over an older own
	 * claim. */
	peer_says(3, "t", 0, IPC_ROLE_FOLLOWER, 6, 2, true, 0);
	peer_says(2, "t", 0, IPC_ROLE_LEADER, 5, 2, false, 0);
	router_leader(&s, "t", 1, 0, &l);
	ck_assert_int_eq(l.leader_id, 2);
	ck_assert_int_eq(l.leader_epoch, 6);

	/* Our worker becomes leader at term 6. */
	local("t", 0)->status.role = IPC_ROLE_LEADER;
	local("t", 0)->status.term = 6;
	router_leader(&s, "t", 1, 0, &l);
	ck_assert_int_eq(l.leader_id, 1);
	ck_assert_int_eq(l.leader_epoch, 6);

	/* A worker that is not serving claims nothing. */
	local("t", 0)->state = WORKER_WAITING;
	router_leader(&s, "t", 1, 0, &l);
	ck_assert_int_eq(l.leader_id, 2);
}
END_TEST

START_TEST(requests_go_only_to_a_local_leader_nobody_has_deposed)
{
	struct worker *w;
	/* Unknown topic or partition. */
	ck_assert_int_eq(router_route(&s, kafka_str_from("nope"), 0, &w),
			 KERR_UNKNOWN_TOPIC_OR_PARTITION);
	ck_assert_int_eq(router_route(&s, kafka_str_from("t"), 6, &w),
			 KERR_UNKNOWN_TOPIC_OR_PARTITION);
	ck_assert_int_eq(router_route(&s, kafka_str_from("t"), -1, &w),
			 KERR_UNKNOWN_TOPIC_OR_PARTITION);
	/* A local follower. */
	ck_assert_int_eq(router_route(&s, kafka_str_from("t"), 1, &w), KERR_NOT_LEADER_OR_FOLLOWER);
	ck_assert_ptr_null(w);
	/* A local leader. */
	local("t", 1)->status.role = IPC_ROLE_LEADER;
	local("t", 1)->status.term = 3;
	ck_assert_int_eq(router_route(&s, kafka_str_from("t"), 1, &w), KERR_NONE);
	ck_assert_ptr_eq(w, local("t", 1));
	/* ...that a peer knows was deposed by a newer term. */
	peer_says(3, "t", 1, IPC_ROLE_LEADER, 4, 3, false, 0);
	ck_assert_int_eq(router_route(&s, kafka_str_from("t"), 1, &w), KERR_NOT_LEADER_OR_FOLLOWER);
	/* A partition placed on other nodes only. */
	for (int32_t p = 0; p < 6; p++) {
		if (local("one", p) != NULL)
			continue;
		ck_assert_int_eq(router_route(&s, kafka_str_from("one"), p, &w),
				 KERR_NOT_LEADER_OR_FOLLOWER);
	}
}
END_TEST

START_TEST(metadata_lists_every_broker_replicas_isr_and_offline_nodes)
{
	/* t/2: local follower caught up, node 2 leads term 7, node 3 silent. */
	local("t", 2)->status.caught_up = true;
	local("t", 2)->status.term = 7;
	local("t", 2)->status.leader_node = 2;
	peer_says(2, "t", 2, IPC_ROLE_LEADER, 7, 2, false, 0);
	struct kafka_metadata_request req;
	kafka_metadata_request_init(&req);
	req.n_topics = -1;
	struct kafka_metadata_response resp;
	struct arena a;
	arena_init(&a);
	ck_assert_int_eq(metadata_build(&s, 12, &req, &resp, &a), 0);
	ck_assert_int_eq(resp.n_brokers, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(resp.brokers[i].node_id, i + 1);
	ck_assert(kafka_str_eq(resp.brokers[0].host, "127.0.0.1"));
	ck_assert_int_eq(resp.brokers[0].port, 19001);
	ck_assert(kafka_str_eq(resp.brokers[1].host, "h2"));
	ck_assert_int_eq(resp.brokers[1].port, 19002);
	ck_assert(kafka_str_eq(resp.brokers[2].host, "h3"));
	ck_assert_int_eq(resp.brokers[2].port, 19003);

	const struct kafka_metadata_response_metadata_response_partition *mp =
	    &resp.topics[0].partitions[2];
	ck_assert_int_eq(mp->error_code, 0);
	ck_assert_int_eq(mp->leader_id, 2);
	ck_assert_int_eq(mp->leader_epoch, 7);
	int32_t want[3], ids[] = {1, 2, 3};
	ck_assert_int_eq(placement_replicas("t", 2, ids, 3, 3, want), 3);
	ck_assert_int_eq(mp->n_replica_nodes, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(mp->replica_nodes[i], want[i]);
	/* In sync: this node (caught up) and node 2 (leader), in placement
	 * order; node 3 is offline. */
	ck_assert_int_eq(mp->n_isr_nodes, 2);
	int j = 0;
	for (int i = 0; i < 3; i++)
		if (want[i] != 3)
			ck_assert_int_eq(mp->isr_nodes[j++], want[i]);
	ck_assert_int_eq(mp->n_offline_replicas, 1);
	ck_assert_int_eq(mp->offline_replicas[0], 3);

	/* Replication 1 partitions list their one replica wherever it is. */
	for (int32_t p = 0; p < 6; p++) {
		const struct kafka_metadata_response_metadata_response_partition *q =
		    &resp.topics[1].partitions[p];
		int32_t r[1];
		placement_replicas("one", p, ids, 3, 1, r);
		ck_assert_int_eq(q->n_replica_nodes, 1);
		ck_assert_int_eq(q->replica_nodes[0], r[0]);
		ck_assert_int_eq(q->leader_id, -1);
		ck_assert_int_eq(q->error_code, KERR_LEADER_NOT_AVAILABLE);
	}
	for (int16_t v = 0; v <= 12; v++) {
		struct buf b;
		buf_init(&b);
		ck_assert_msg(kafka_metadata_response_encode(&b, v, &resp) == 0, "v%d", v);
		buf_free(&b);
	}
	arena_free(&a);
}
END_TEST

static bool has(const struct buf *b, const char *needle)
{
	return memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

START_TEST(admin_status_and_metrics_show_each_replica_and_the_nodes)
{
	struct worker *w = local("t", 4);
	w->status.role = IPC_ROLE_LEADER;
	w->status.term = 12;
	w->status.leader_node = 1;
	w->status.commit_offset = 4242;
	w->status.log_checksum = 18446744073709551615ULL;
	w->status.last_index = 77;
	w->status.match_lag = 3;
	w->status.elections = 2;
	w->restarts = 5;
	/* A worker that is down reports no leadership, whatever it last said. */
	struct worker *down = local("t", 5);
	down->state = WORKER_WAITING;
	down->status.role = IPC_ROLE_LEADER;
	down->status.term = 3;
	peer_says(2, "t", 0, IPC_ROLE_FOLLOWER, 1, 1, true, 0);

	struct buf b;
	buf_init(&b);
	admin_http_status(&s, &b);
	buf_put_u8(&b, 0);
	ck_assert_msg(has(&b, "{\"topic\":\"t\",\"partition\":4,\"node_id\":1,\"serving\":true,"
			      "\"role\":\"leader\",\"term\":12,\"leader\":1,"),
		      "%s", b.data);
	ck_assert(has(&b, "\"commit_offset\":4242,\"log_checksum\":18446744073709551615,"
			  "\"last_index\":77,\"match_lag\":3,\"caught_up\":false,"
			  "\"elections\":2,"));
	ck_assert(has(&b, "{\"topic\":\"t\",\"partition\":5,\"node_id\":1,\"serving\":false,"
			  "\"role\":\"follower\",\"term\":3,"));
	ck_assert(has(&b, "\"cluster\":\"fjord\",\"nodes\":[{\"id\":1,"));
	ck_assert(has(&b, "{\"id\":2,\"kafka\":\"h2:19002\",\"raft\":\"h2:19102\",\"self\":false,"
			  "\"up\":true,"));
	ck_assert(has(&b, "{\"id\":3,\"kafka\":\"h3:19003\",\"raft\":\"h3:19103\",\"self\":false,"
			  "\"up\":false,"));
	buf_free(&b);

	buf_init(&b);
	admin_http_metrics(&s, &b);
	buf_put_u8(&b, 0);
	ck_assert(has(&b, "fjord_raft_term{topic=\"t\",partition=\"4\"} 12\n"));
	ck_assert(has(&b, "fjord_raft_role{topic=\"t\",partition=\"4\"} 2\n"));
	ck_assert(has(&b, "fjord_raft_role{topic=\"t\",partition=\"5\"} 0\n"));
	ck_assert(has(&b, "fjord_raft_elections_total{topic=\"t\",partition=\"4\"} 2\n"));
	ck_assert(has(&b, "fjord_worker_restarts_total{topic=\"t\",partition=\"4\"} 5\n"));
	ck_assert(has(&b, "fjord_raft_leader_changes_total{topic=\"t\",partition=\"4\"} 0\n"));
	ck_assert(has(&b, "fjord_raft_lower_term_messages_total{topic=\"t\",partition=\"4\"} 0\n"));
	ck_assert(has(&b, "fjord_partition_commit_offset{topic=\"t\",partition=\"4\"} 4242\n"));
	ck_assert(has(&b, "fjord_peer_up{node=\"2\"} 1\n"));
	ck_assert(has(&b, "fjord_peer_up{node=\"3\"} 0\n"));
	buf_free(&b);
}
END_TEST

START_TEST(failover_picks_the_first_eligible_survivor_in_placement_order)
{
	const enum failover_known Y = FAILOVER_YES, N = FAILOVER_NO;
	int32_t reps[] = {2, 3, 1};
	bool sure;
	enum failover_known all[] = {Y, Y, Y};
	ck_assert_int_eq(failover_pick(reps, all, 3, 2, &sure), 3);
	ck_assert(sure);
	ck_assert_int_eq(failover_pick(reps, all, 3, 3, &sure), 2);
	ck_assert_int_eq(failover_pick(reps, all, 3, 1, &sure), 2);
	enum failover_known not3[] = {Y, N, Y};
	ck_assert_int_eq(failover_pick(reps, not3, 3, 2, &sure), 1);
	ck_assert(sure);
	enum failover_known none[] = {N, N, N};
	ck_assert_int_eq(failover_pick(reps, none, 3, 2, &sure), -1);
	ck_assert(!sure);
	enum failover_known only_dead[] = {Y, N, N};
	ck_assert_int_eq(failover_pick(reps, only_dead, 3, 2, &sure), -1);
}
END_TEST

START_TEST(failover_does_not_skip_a_replica_whose_state_is_unknown)
{
	const enum failover_known Y = FAILOVER_YES, N = FAILOVER_NO, U = FAILOVER_UNKNOWN;
	int32_t reps[] = {2, 3, 1};
	bool sure = true;
	/* Node 2 died; node 3's table is stale. Node 1 must not count itself
	 * first: node 3 may well be eligible and campaigning (split vote). */
	enum failover_known stale3[] = {N, U, Y};
	ck_assert_int_eq(failover_pick(reps, stale3, 3, 2, &sure), 3);
	ck_assert(!sure);
	/* Known ineligible is skipped, unknown after the pick does not matter. */
	enum failover_known later_unknown[] = {N, Y, U};
	ck_assert_int_eq(failover_pick(reps, later_unknown, 3, 2, &sure), 3);
	ck_assert(sure);
}
END_TEST

Suite *supervisor_cluster_suite(void)
{
	Suite *su = suite_create("supervisor_cluster");
	TCase *tc = tcase_create("cluster");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, only_replicas_placed_on_this_node_get_workers);
	tcase_add_test(tc, leaders_table_is_indexed_replaced_whole_and_goes_stale);
	tcase_add_test(tc, leader_is_the_highest_term_claim_and_own_claims_beat_reports);
	tcase_add_test(tc, requests_go_only_to_a_local_leader_nobody_has_deposed);
	tcase_add_test(tc, metadata_lists_every_broker_replicas_isr_and_offline_nodes);
	tcase_add_test(tc, admin_status_and_metrics_show_each_replica_and_the_nodes);
	tcase_add_test(tc, failover_picks_the_first_eligible_survivor_in_placement_order);
	tcase_add_test(tc, failover_does_not_skip_a_replica_whose_state_is_unknown);
	tcase_add_test(tc, the_controller_is_the_lowest_node_that_is_up);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(supervisor_cluster_suite)
