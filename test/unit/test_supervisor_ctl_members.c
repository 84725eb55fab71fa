/* test_supervisor_ctl_members.c - unit tests for the members of
 * `__controller` (supervisor/topics.c): the voters, the learners on every
 * other node up to the worker's member bound, and which nodes host the
 * controller's worker. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "common/catalog.h"
#include "common/config.h"
#include "fake_sup.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"

/* INI text for node `self` of a cluster of n nodes (ids 1..n), with
 * controller_voters = voters when voters > 0. */
static void cluster_ini(char *out, size_t len, int self, int n, int voters)
{
	size_t used = (size_t)snprintf(out, len, "[node]\nid = %d\n[cluster]\n", self);
	if (voters > 0)
		used +=
		    (size_t)snprintf(out + used, len - used, "controller_voters = %d\n", voters);
	for (int i = 1; i <= n; i++)
		used += (size_t)snprintf(out + used, len - used, "node.%d = h%d:9092,h%d:9192\n", i,
					 i, i);
	ck_assert_uint_lt(used, len);
}

static void ids_eq(const int32_t *got, int n_got, const int32_t *want, int n_want)
{
	ck_assert_int_eq(n_got, n_want);
	for (int i = 0; i < n_want; i++)
		ck_assert_int_eq(got[i], want[i]);
}

START_TEST(a_fourth_node_is_a_learner_and_hosts_the_controller)
{
	char ini[1024];
	cluster_ini(ini, sizeof(ini), 4, 4, 0);
	struct sup s;
	fake_sup_init(&s, ini);
	int32_t v[TOPICS_REPS_MAX], l[TOPICS_CTL_MEMBERS_MAX];
	ids_eq(v, topics_controller_voters(s.cfg, v), (int32_t[]){1, 2, 3}, 3);
	ids_eq(l, topics_controller_learners(s.cfg, l), (int32_t[]){4}, 1);
	for (int32_t id = 1; id <= 4; id++)
		ck_assert(topics_controller_member(s.cfg, id));
	ck_assert(!topics_controller_member(s.cfg, 5));
	ck_assert_int_eq(topics_rebuild(&s), 0);
	const struct config_topic *t = topics_find(&s, CATALOG_TOPIC, strlen(CATALOG_TOPIC));
	ck_assert_ptr_eq(t, &s.ctl_topic);
	ck_assert(topics_hosts(&s, t, 0));
	ck_assert(!topics_hosts(&s, t, 1));
	/* Its replicas (what failover, balancing and Metadata read) stay the
	 * voters only. */
	int32_t r[TOPICS_REPS_MAX];
	ids_eq(r, topics_replicas(&s, t, 0, r), (int32_t[]){1, 2, 3}, 3);
	topics_free(&s);
	fake_sup_free(&s);
}
END_TEST

START_TEST(three_nodes_all_vote_and_no_cluster_is_this_node_alone)
{
	char ini[1024];
	cluster_ini(ini, sizeof(ini), 2, 3, 0);
	struct config *c = fake_config(ini);
	int32_t v[TOPICS_REPS_MAX], l[TOPICS_CTL_MEMBERS_MAX];
	ids_eq(v, topics_controller_voters(c, v), (int32_t[]){1, 2, 3}, 3);
	ck_assert_int_eq(topics_controller_learners(c, l), 0);
	config_free(c);

	c = fake_config("[node]\nid = 7\n");
	ids_eq(v, topics_controller_voters(c, v), (int32_t[]){7}, 1);
	ck_assert_int_eq(topics_controller_learners(c, l), 0);
	ck_assert(topics_controller_member(c, 7));
	config_free(c);
}
END_TEST

START_TEST(five_voters_leave_the_rest_as_learners)
{
	char ini[1024];
	cluster_ini(ini, sizeof(ini), 1, 7, 5);
	struct config *c = fake_config(ini);
	int32_t v[TOPICS_REPS_MAX], l[TOPICS_CTL_MEMBERS_MAX];
	ids_eq(v, topics_controller_voters(c, v), (int32_t[]){1, 2, 3, 4, 5}, 5);
	ids_eq(l, topics_controller_learners(c, l), (int32_t[]){6, 7}, 2);
	config_free(c);
}
END_TEST

START_TEST(members_stop_at_the_workers_bound)
{
	char ini[8192];
	cluster_ini(ini, sizeof(ini), 70, 70, 0);
	struct sup s;
	fake_sup_init(&s, ini);
	int32_t l[TOPICS_CTL_MEMBERS_MAX];
	int n = topics_controller_learners(s.cfg, l);
	ck_assert_int_eq(n, TOPICS_CTL_MEMBERS_MAX - 3);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(l[i], 4 + i);
	ck_assert(topics_controller_member(s.cfg, TOPICS_CTL_MEMBERS_MAX));
	ck_assert(!topics_controller_member(s.cfg, TOPICS_CTL_MEMBERS_MAX + 1));
	/* Node 70 holds no replica: no controller worker to start or to hand
	 * a peer's connection to. */
	ck_assert_int_eq(topics_rebuild(&s), 0);
	ck_assert_ptr_null(topics_find(&s, CATALOG_TOPIC, strlen(CATALOG_TOPIC)));
	ck_assert(!topics_hosts(&s, &s.ctl_topic, 0));
	topics_free(&s);
	fake_sup_free(&s);
}
END_TEST

static Suite *ctl_members_suite(void)
{
	Suite *s = suite_create("supervisor_ctl_members");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, a_fourth_node_is_a_learner_and_hosts_the_controller);
	tcase_add_test(tc, three_nodes_all_vote_and_no_cluster_is_this_node_alone);
	tcase_add_test(tc, five_voters_leave_the_rest_as_learners);
	tcase_add_test(tc, members_stop_at_the_workers_bound);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(ctl_members_suite)
