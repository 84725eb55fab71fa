/* test_supervisor_drain.c - SIGTERM's leadership hand-off: who is asked to
 * transfer, how often, and when the loop is let go. Workers are table
 * entries with fake ipc links; peers are LEADERS tables fed in directly. */
#include <check.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/ipc.h"
#include "supervisor/drain.h"
#include "supervisor/leaders.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

static struct sup s;
static int fake[3] = {-1, -1, -1};

static void setup(void)
{
	memset(&s, 0, sizeof(s));
	const char *text = "[node]\nid = 1\n[cluster]\nnode.1 = a:1,a:2\nnode.2 = b:1,b:2\n"
			   "node.3 = c:1,c:2\n[topic.t]\npartitions = 2\nreplication = 3\n"
			   "[topic.one]\npartitions = 3\n";
	char path[] = "/tmp/fjord-test-drain-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char err[512];
	int rc = config_load(path, NULL, 0, &s.cfg, err, sizeof(err));
	unlink(path);
	ck_assert_msg(rc == 0, "%s", err);
	s.base = event_base_new();
	s.workers = workers_new(&s);
	s.leaders = leaders_new();
	/* t/0, t/1 (three replicas) and one/<p> (one replica) all lead here. */
	const char *topics[] = {"t", "t", "one"};
	int32_t parts[] = {0, 1, 0};
	for (int i = 0; i < 3; i++) {
		bool created;
		struct worker *w = workers_ensure(s.workers, topics[i], parts[i], &created);
		w->state = WORKER_SERVING;
		w->has_status = true;
		w->status_this_run = true;
		w->status.role = IPC_ROLE_LEADER;
		w->status.term = 3;
		int sv[2];
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		evutil_make_socket_nonblocking(sv[0]);
		evutil_make_socket_nonblocking(sv[1]);
		ck_assert_int_eq(link_open(w, s.base, sv[0], NULL), 0);
		fake[i] = sv[1];
	}
}

static void teardown(void)
{
	drain_free(&s);
	leaders_free(s.leaders);
	workers_free(s.workers);
	event_base_free(s.base);
	config_free(s.cfg);
	for (int i = 0; i < 3; i++)
		close(fake[i]);
}

static void peer_up(int32_t node, bool draining)
{
	struct peer_claim *c = calloc(1, sizeof(*c));
	strcpy(c->topic, "x");
	ck_assert_int_eq(leaders_replace(s.leaders, node, draining, c, 1, spawn_now_ms()), 0);
}

/* Counts the IPC_TRANSFER{-1} messages fake worker i received. */
static int transfers(int i)
{
	uint8_t data[4096];
	ssize_t n = read(fake[i], data, sizeof(data));
	int k = 0;
	for (size_t off = 0; n > 0 && off + 4 <= (size_t)n;) {
		uint32_t len = be32_load(data + off);
		struct ipc_msg m;
		ck_assert_int_eq(ipc_decode(data + off + 4, len, &m), 0);
		ck_assert_int_eq(m.type, IPC_TRANSFER);
		ck_assert_int_eq(m.u.transfer.target_node, -1);
		k++;
		off += 4 + len;
	}
	return k;
}

/* Runs the loop until drain.c breaks it or ms pass; returns elapsed ms. */
static int64_t run_for(int ms)
{
	int64_t start = spawn_now_ms();
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(s.base, &tv);
	event_base_dispatch(s.base);
	return spawn_now_ms() - start;
}

START_TEST(leaders_of_replicated_groups_hand_over_and_then_the_loop_stops)
{
	peer_up(2, false);
	peer_up(3, false);
	drain_start(&s);
	ck_assert(s.draining);
	run_for(20); /* lets the writes go out */
	ck_assert_int_eq(transfers(0), 1);
	ck_assert_int_eq(transfers(1), 1);
	ck_assert_int_eq(transfers(2), 0); /* one replica: nowhere to go */
	/* t/0 hands over; t/1 keeps leading and is asked again a second later. */
	workers_find(s.workers, "t", 1, 0)->status.role = IPC_ROLE_FOLLOWER;
	int64_t took = run_for(DRAIN_RETRY_MS + 300);
	ck_assert_int_ge(took, DRAIN_RETRY_MS + 250); /* not stopped yet */
	ck_assert_int_eq(transfers(0), 0);
	ck_assert_int_eq(transfers(1), 1);
	peer_up(2, false); /* keep the peers fresh */
	peer_up(3, false);
	workers_find(s.workers, "t", 1, 1)->status.role = IPC_ROLE_FOLLOWER;
	/* Upper bounds here only tell "drain.c broke the loop" from "the test's
	 * own exit timer fired", so they are far from the expected times: a
	 * loaded machine must not fail them. */
	took = run_for(10000);
	ck_assert_int_lt(took, DRAIN_TIMEOUT_MS - 1000); /* broken by drain.c */
}
END_TEST

START_TEST(nothing_to_hand_over_when_the_other_replicas_are_down_or_draining)
{
	peer_up(2, true);
	/* Node 3 never spoke. */
	drain_start(&s);
	int64_t took = run_for(10000);
	ck_assert_int_lt(took, DRAIN_TIMEOUT_MS - 1000); /* at once, not by giving up */
	ck_assert_int_eq(transfers(0), 0);
	ck_assert_int_eq(transfers(1), 0);
}
END_TEST

START_TEST(a_drain_that_cannot_finish_gives_up_after_its_timeout)
{
	peer_up(2, false);
	drain_start(&s);
	/* Keep node 2 fresh while the workers never give up leadership; the
	 * loop returns early once drain.c lets it go. */
	for (int i = 0; i < 40 && drain_took_ms(&s) < 0; i++) {
		run_for(500);
		peer_up(2, false);
	}
	int64_t took = drain_took_ms(&s);
	ck_assert_int_ge(took, DRAIN_TIMEOUT_MS);
	ck_assert_int_lt(took, DRAIN_TIMEOUT_MS + 2500);
	ck_assert_int_ge(transfers(0), 4); /* asked about once a second */
}
END_TEST

START_TEST(a_second_signal_stops_at_once)
{
	peer_up(2, false);
	drain_start(&s);
	drain_start(&s);
	ck_assert_int_lt(run_for(10000), DRAIN_TIMEOUT_MS - 1000);
}
END_TEST

Suite *supervisor_drain_suite(void)
{
	Suite *su = suite_create("supervisor_drain");
	TCase *tc = tcase_create("drain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, leaders_of_replicated_groups_hand_over_and_then_the_loop_stops);
	tcase_add_test(tc, nothing_to_hand_over_when_the_other_replicas_are_down_or_draining);
	tcase_add_test(tc, a_drain_that_cannot_finish_gives_up_after_its_timeout);
	tcase_add_test(tc, a_second_signal_stops_at_once);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(supervisor_drain_suite)
