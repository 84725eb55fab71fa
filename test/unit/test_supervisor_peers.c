/* test_supervisor_peers.c - two supervisors in one process, on one event
 * loop, talking over loopback: the supervisor channel handshake, LEADERS
 * tables flowing both ways, WORKER_DIED turning into IPC_CAMPAIGN at the
 * first replica in line (and only there), a closed channel making its
 * peer forget the tables, and a crashed node (its channels closed) making
 * the groups it led fail over the same way, once per crash. Workers are
 * table entries; t/0's has a fake ipc link the test reads. The liveness
 * tests replace node 3 by this test (a fake node that acks hellos, sends
 * what it is told and never reads): a silent channel is closed with a
 * GOODBYE within the bound, a GOODBYE before a close makes nobody campaign,
 * and neither does a channel that ends before its first message. */
#include <arpa/inet.h>
#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/frame.h"
#include "common/hello.h"
#include "common/ipc.h"
#include "fake_sup.h"
#include "supervisor/cluster.h"
#include "supervisor/failover.h"
#include "supervisor/leaders.h"
#include "supervisor/peer_proto.h"
#include "supervisor/peers.h"
#include "supervisor/raft_accept.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

#define N 3

static struct event_base *base;
static struct sup sups[N];
static struct raft_accept *acc[N];
static int ports[N];
static int fake[N] = {-1, -1, -1}; /* test end of each node's t/0 ipc link */

static void pump_ms(int ms)
{
	for (int i = 0; i < ms; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

#define PUMP_UNTIL(cond)                                                                           \
	do {                                                                                       \
		for (int r_ = 0; r_ < 3000 && !(cond); r_++)                                       \
			pump_ms(1);                                                                \
	} while (0)

static void start_node(int i)
{
	struct sup *s = &sups[i];
	char text[2048];
	int n =
	    snprintf(text, sizeof(text),
		     "[node]\nid = %d\nkafka_listen = 127.0.0.1:%d\nraft_listen = 127.0.0.1:%d\n"
		     "admin_listen = 127.0.0.1:%d\n[cluster]\n",
		     i + 1, ports[i] + 1, ports[i], ports[i] + 2);
	for (int j = 0; j < N; j++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "node.%d = 127.0.0.1:%d,127.0.0.1:%d\n", j + 1, ports[j] + 1,
			      ports[j]);
	snprintf(text + n, sizeof(text) - (size_t)n,
		 "[topic.t]\npartitions = 3\nreplication = 3\n");
	fake_sup_init_on(s, base, text);
	s->failover = failover_new(s);
	for (int32_t p = 0; p < 3; p++) {
		struct worker *w = fake_sup_worker(s, "t", p, IPC_ROLE_FOLLOWER, 4);
		w->status.caught_up = true;
		w->status.commit_offset = 100 + i;
	}
	/* t/0 gets a real ipc link so a campaign can be observed. */
	fake[i] = fake_sup_link(s, workers_find(s->workers, "t", 1, 0));
	acc[i] = raft_accept_start(s);
	ck_assert_ptr_nonnull(acc[i]);
	s->peers = peers_new(s);
	ck_assert_ptr_nonnull(s->peers);
}

static void stop_node(int i)
{
	struct sup *s = &sups[i];
	if (s->cfg == NULL)
		return;
	peers_free(s->peers);
	raft_accept_free(acc[i]);
	failover_free(s->failover);
	fake_sup_free(s);
	close(fake[i]);
}

static void setup(void)
{
	memset(sups, 0, sizeof(sups));
	base = event_base_new();
	for (int i = 0; i < N; i++)
		ports[i] = fake_free_port();
	for (int i = 0; i < N; i++)
		start_node(i);
}

static void teardown(void)
{
	for (int i = 0; i < N; i++)
		stop_node(i);
	event_base_free(base);
}

static bool all_connected(void)
{
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			if (i != j && (!peers_out_ready(sups[i].peers, j + 1) ||
				       !leaders_fresh(sups[i].leaders, j + 1, spawn_now_ms())))
				return false;
	return true;
}

/* IPC messages the fake worker of node i received (types, in order). */
static int read_types(int i, int *types, int max)
{
	uint8_t data[4096];
	ssize_t n = read(fake[i], data, sizeof(data));
	int k = 0;
	size_t off = 0;
	while (n > 0 && off + 4 <= (size_t)n && k < max) {
		uint32_t len = be32_load(data + off);
		struct ipc_msg m;
		ck_assert_int_eq(ipc_decode(data + off + 4, len, &m), 0);
		types[k++] = m.type;
		off += 4 + len;
	}
	return k;
}

START_TEST(supervisors_connect_and_exchange_leaders_tables)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	/* Node 3 sees node 2's replicas as node 2 reported them. */
	const struct peer_claim *c = leaders_get(sups[2].leaders, 2, "t", 1, 1, spawn_now_ms());
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->commit_offset, 101);
	ck_assert(c->caught_up);
	/* A change is sent at once, not at the next second. */
	struct worker *w = workers_find(sups[1].workers, "t", 1, 2);
	w->status.role = IPC_ROLE_LEADER;
	w->status.term = 9;
	peers_local_changed(sups[1].peers);
	const struct peer_claim *seen = NULL;
	for (int r = 0; r < 200; r++) {
		pump_ms(1);
		seen = leaders_get(sups[0].leaders, 2, "t", 1, 2, spawn_now_ms());
		if (seen && seen->term == 9)
			break;
	}
	ck_assert_ptr_nonnull(seen);
	ck_assert_uint_eq(seen->term, 9);
	ck_assert_int_eq(seen->role, IPC_ROLE_LEADER);
	ck_assert_int_eq(seen->leader, 2);
}
END_TEST

START_TEST(worker_died_makes_only_the_first_replica_in_line_campaign)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	/* Which node leads t/0 does not matter; the dead one is the first
	 * replica, and the second in placement order must campaign now. */
	int32_t reps[N];
	int n = cluster_replicas(sups[0].cfg, &sups[0].cfg->topics[0], 0, reps);
	ck_assert_int_eq(n, 3);
	int dead = reps[0] - 1, first = reps[1] - 1, second = reps[2] - 1;
	peers_worker_died(sups[dead].peers, "t", 0, 4);
	int types[8];
	int got = 0;
	for (int r = 0; r < 300 && got == 0; r++) {
		pump_ms(1);
		got = read_types(first, types, 8);
	}
	ck_assert_int_eq(got, 1);
	ck_assert_int_eq(types[0], IPC_CAMPAIGN);
	ck_assert_int_eq(read_types(second, types, 8), 0);
	/* The backup campaigns after FAILOVER_BACKUP_MS when no newer leader
	 * showed up... */
	pump_ms(FAILOVER_BACKUP_MS + 200);
	ck_assert_int_eq(read_types(second, types, 8), 1);
	ck_assert_int_eq(types[0], IPC_CAMPAIGN);
	/* ...but not when one did. */
	struct worker *w = workers_find(sups[first].workers, "t", 1, 0);
	w->status.role = IPC_ROLE_LEADER;
	w->status.term = 5;
	peers_local_changed(sups[first].peers);
	pump_ms(50);
	peers_worker_died(sups[dead].peers, "t", 0, 4);
	pump_ms(FAILOVER_BACKUP_MS + 200);
	ck_assert_int_eq(read_types(second, types, 8), 0);
	ck_assert_int_eq(read_types(dead, types, 8), 0); /* never the dead one's node */
}
END_TEST

START_TEST(a_closed_channel_makes_the_peer_forget_that_nodes_replicas)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	stop_node(2);
	bool gone = false;
	for (int r = 0; r < 1000 && !gone; r++) {
		pump_ms(1);
		gone = !leaders_fresh(sups[0].leaders, 3, spawn_now_ms()) &&
		       !leaders_fresh(sups[1].leaders, 3, spawn_now_ms());
	}
	ck_assert(gone);
	ck_assert(!peers_out_ready(sups[0].peers, 3) || !peers_in_open(sups[0].peers, 3));
	/* It comes back: the others reconnect with backoff and learn again. */
	start_node(2);
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
}
END_TEST

/* Makes node index `leader` lead t/0 in `term` on every running node (the
 * others caught-up followers) and waits until every running node knows it
 * from its own worker and every peer's table. */
static void lead_t0(int leader, uint64_t term)
{
	for (int i = 0; i < N; i++) {
		if (sups[i].cfg == NULL)
			continue;
		struct worker *w = workers_find(sups[i].workers, "t", 1, 0);
		w->status.role = i == leader ? IPC_ROLE_LEADER : IPC_ROLE_FOLLOWER;
		w->status.term = term;
		w->status.leader_node = leader + 1;
		w->status.caught_up = true;
		peers_local_changed(sups[i].peers);
	}
	bool known = false;
	for (int r = 0; r < 3000 && !known; r++) {
		pump_ms(1);
		known = true;
		for (int i = 0; i < N; i++) {
			if (sups[i].cfg == NULL)
				continue;
			struct router_leader l;
			router_leader(&sups[i], "t", 1, 0, &l);
			known =
			    known && l.leader_id == leader + 1 && l.leader_epoch == (int32_t)term;
			for (int j = 0; j < N; j++) {
				if (j == i || sups[j].cfg == NULL)
					continue;
				const struct peer_claim *c =
				    leaders_get(sups[i].leaders, j + 1, "t", 1, 0, spawn_now_ms());
				known = known && c != NULL && c->term == term;
			}
		}
	}
	ck_assert_msg(known, "t/0 led by node %d in term %llu is not known everywhere", leader + 1,
		      (unsigned long long)term);
}

/* Campaign messages node i's t/0 worker received within ms. */
static int campaigns_within(int i, int ms)
{
	int types[8];
	int got = 0;
	for (int r = 0; r < ms; r++) {
		pump_ms(1);
		int k = read_types(i, types, 8);
		for (int j = 0; j < k; j++) {
			/* Node liveness (liveness.h) comes with a crash too. */
			if (types[j] == IPC_PEER_NODE)
				continue;
			ck_assert_int_eq(types[j], IPC_CAMPAIGN);
			got++;
		}
	}
	return got;
}

/* The replicas of t/0 in placement order, as node indexes. */
static void t0_replicas(int *idx)
{
	int32_t reps[N];
	ck_assert_int_eq(cluster_replicas(sups[0].cfg, &sups[0].cfg->topics[0], 0, reps), N);
	for (int i = 0; i < N; i++)
		idx[i] = reps[i] - 1;
}

START_TEST(a_crashed_leader_node_makes_the_first_caught_up_survivor_campaign_once)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	int r[N];
	t0_replicas(r);
	int dead = r[0], first = r[1], second = r[2];
	lead_t0(dead, 5);
	/* Closing both of its channels is what the kernel does for a node
	 * killed with -9. */
	stop_node(dead);
	int64_t t0 = spawn_now_ms();
	int got = 0;
	for (int k = 0; k < 300 && got == 0; k++)
		got = campaigns_within(first, 1);
	ck_assert_int_eq(got, 1);
	ck_assert_int_lt(spawn_now_ms() - t0, 300);
	ck_assert_int_eq(campaigns_within(second, 1), 0);
	/* The backup after FAILOVER_BACKUP_MS (no newer leader appeared), and
	 * nothing more: two closed channels are one crash. */
	ck_assert_int_eq(campaigns_within(second, FAILOVER_BACKUP_MS + 300), 1);
	ck_assert_int_eq(campaigns_within(first, 300), 0);
	ck_assert_int_eq(campaigns_within(second, 1), 0);
	/* It comes back, leads again and crashes again: that is a new loss. */
	start_node(dead);
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	lead_t0(dead, 7);
	stop_node(dead);
	ck_assert_int_eq(campaigns_within(first, 300), 1);
	ck_assert_int_eq(campaigns_within(second, FAILOVER_BACKUP_MS + 300), 1);
}
END_TEST

START_TEST(a_node_loss_is_handled_once_until_its_channel_is_back)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	int r[N];
	t0_replicas(r);
	int dead = r[0], first = r[1];
	lead_t0(dead, 5);
	struct failover *f = sups[first].failover;
	ck_assert_int_eq(failover_on_node_lost(f, dead + 1), 1);
	ck_assert_int_eq(campaigns_within(first, 50), 1);
	ck_assert_int_eq(failover_on_node_lost(f, dead + 1), 0);
	ck_assert_int_eq(campaigns_within(first, 50), 0);
	/* Another node's loss is its own: it led nothing here. */
	ck_assert_int_eq(failover_on_node_lost(f, r[2] + 1), 0);
	ck_assert_int_eq(campaigns_within(first, 50), 0);
	failover_on_node_back(f, dead + 1);
	ck_assert_int_eq(failover_on_node_lost(f, dead + 1), 1);
	ck_assert_int_eq(campaigns_within(first, 50), 1);
	ck_assert_int_eq(failover_on_node_lost(NULL, dead + 1), 0);
}
END_TEST

START_TEST(a_crashed_node_that_led_nothing_here_makes_nobody_campaign)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	int r[N];
	t0_replicas(r);
	/* The second replica leads t/0; the first in placement order dies. */
	lead_t0(r[1], 5);
	stop_node(r[0]);
	ck_assert_int_eq(campaigns_within(r[1], FAILOVER_BACKUP_MS + 300), 0);
	ck_assert_int_eq(campaigns_within(r[2], 1), 0);
}
END_TEST

START_TEST(a_draining_node_closing_its_channels_makes_nobody_campaign)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	int r[N];
	t0_replicas(r);
	int dead = r[0];
	lead_t0(dead, 5);
	sups[dead].draining = true;
	peers_local_changed(sups[dead].peers);
	PUMP_UNTIL(leaders_draining(sups[r[1]].leaders, dead + 1, spawn_now_ms()) &&
		   leaders_draining(sups[r[2]].leaders, dead + 1, spawn_now_ms()));
	ck_assert(leaders_draining(sups[r[1]].leaders, dead + 1, spawn_now_ms()));
	ck_assert(leaders_draining(sups[r[2]].leaders, dead + 1, spawn_now_ms()));
	stop_node(dead);
	ck_assert_int_eq(campaigns_within(r[1], FAILOVER_BACKUP_MS + 300), 0);
	ck_assert_int_eq(campaigns_within(r[2], 1), 0);
	/* Its tables are gone all the same. */
	ck_assert(!leaders_fresh(sups[r[1]].leaders, dead + 1, spawn_now_ms()));
}
END_TEST

/* Node `closer` closes its inbound channel from `other` on purpose. */
static void close_in_on_purpose(int closer, int other, bool goodbye)
{
	peers_close_in(sups[closer].peers, other + 1, "went silent (test)", goodbye);
}

START_TEST(a_leader_that_closes_a_channel_with_goodbye_is_not_taken_for_a_crash)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	int r[N];
	t0_replicas(r);
	int leader = r[0], first = r[1], second = r[2];
	lead_t0(leader, 5);
	/* The leader judged first's channel silent and closed it: first sees
	 * GOODBYE then EOF on its outbound channel. The leader is alive, so
	 * nobody may force a campaign against it. */
	close_in_on_purpose(leader, first, true);
	ck_assert_int_eq(campaigns_within(first, FAILOVER_BACKUP_MS + 300), 0);
	ck_assert_int_eq(campaigns_within(second, 1), 0);
	/* first redials and all is as before. */
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
}
END_TEST

START_TEST(one_channel_closed_while_the_other_stays_established_is_not_a_crash)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	int r[N];
	t0_replicas(r);
	int leader = r[0], first = r[1], second = r[2];
	lead_t0(leader, 5);
	/* No GOODBYE (an older peer), but the leader's own channel to first is
	 * still established: its process lives. */
	close_in_on_purpose(leader, first, false);
	ck_assert_int_eq(campaigns_within(first, FAILOVER_BACKUP_MS + 300), 0);
	ck_assert_int_eq(campaigns_within(second, 1), 0);
	/* A real crash still fails over at once (both channels end). */
	PUMP_UNTIL(all_connected());
	lead_t0(leader, 6);
	stop_node(leader);
	ck_assert_int_eq(campaigns_within(first, 300), 1);
}
END_TEST

START_TEST(a_stale_table_keeps_a_survivor_from_counting_itself_first)
{
	PUMP_UNTIL(all_connected());
	ck_assert(all_connected());
	int r[N];
	t0_replicas(r);
	int dead = r[0], first = r[1], second = r[2];
	lead_t0(dead, 5);
	/* second has no fresh table of first (say, after a network heal): it
	 * must not skip first and campaign as if it came first. */
	leaders_forget(sups[second].leaders, first + 1);
	struct peer_worker_died d = {.node = dead + 1, .partition = 0, .term = 5};
	snprintf(d.topic, sizeof(d.topic), "t");
	failover_on_worker_died(sups[second].failover, &d);
	ck_assert_int_eq(campaigns_within(second, FAILOVER_BACKUP_MS + 300), 0);
	/* A follower of an older term is not caught up in the current one. */
	struct worker *w = workers_find(sups[first].workers, "t", 1, 0);
	w->status.term = 4;
	failover_on_worker_died(sups[first].failover, &d);
	ck_assert_int_eq(campaigns_within(first, 100), 0);
}
END_TEST

/* --- a fake node 3 ------------------------------------------------------- */

#define FAKE 2 /* node index the fake replaces */
static int fake_lfd = -1;
static struct event *fake_accept_ev;
static int fake_in[16];		 /* channels the real nodes dialled to the fake */
static int32_t fake_in_from[16]; /* and who dialled each */
static int n_fake_in;
static int fake_hellos[N];	       /* hellos from each real node */
static int fake_out[N] = {-1, -1, -1}; /* the fake's channel to each real node */

static void send_frame_fd(int fd, const struct buf *payload)
{
	uint8_t h[4];
	be32_store(h, (uint32_t)payload->len);
	ck_assert_int_eq(write(fd, h, 4), 4);
	ck_assert_int_eq(write(fd, payload->data, payload->len), (ssize_t)payload->len);
}

/* One whole frame from fd within ms (pumping the loop meanwhile); its
 * payload goes to out. Returns false on EOF or timeout. */
static bool recv_frame_fd(int fd, struct buf *out, int ms)
{
	uint8_t hdr[4];
	size_t got = 0, need = 4;
	buf_reset(out);
	for (int r = 0; r < ms; r++) {
		ssize_t n =
		    recv(fd, got < 4 ? hdr + got : out->data + (got - 4), need - got, MSG_DONTWAIT);
		if (n == 0)
			return false;
		if (n < 0) {
			pump_ms(1);
			continue;
		}
		got += (size_t)n;
		if (got == 4 && need == 4) {
			need = 4 + be32_load(hdr);
			ck_assert(buf_extend(out, need - 4) != NULL || need == 4);
		}
		if (got == need)
			return true;
	}
	return false;
}

static void fake_hello_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = *(struct event **)arg;
	free(arg);
	event_free(self);
	uint8_t b[HELLO_FRAME_MAX + 4];
	ssize_t n = recv(fd, b, sizeof(b), 0);
	struct hello h;
	if (n < 4 || (size_t)n != 4 + be32_load(b) || hello_decode(b + 4, (size_t)n - 4, &h) ||
	    n_fake_in >= 16) {
		close(fd);
		return;
	}
	struct buf r;
	buf_init(&r);
	ck_assert_int_eq(hello_ack_encode(FAKE + 1, &r), 0);
	send_frame_fd(fd, &r);
	buf_free(&r);
	fake_hellos[h.from_node - 1]++;
	fake_in_from[n_fake_in] = h.from_node;
	fake_in[n_fake_in++] = fd; /* never read again */
}

static void fake_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	int c = accept(fd, NULL, NULL);
	if (c < 0)
		return;
	struct event **slot = malloc(sizeof(*slot));
	*slot = event_new(base, c, EV_READ, fake_hello_cb, slot);
	event_add(*slot, NULL);
}

/* The fake's LEADERS: t/0 led by it in term, or nothing. */
static void fake_send_leaders(int to, uint64_t term)
{
	struct peer_claim c = {.topic = "t",
			       .partition = 0,
			       .role = IPC_ROLE_LEADER,
			       .term = term,
			       .leader = FAKE + 1,
			       .commit_offset = 100,
			       .caught_up = true};
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_leaders_encode(FAKE + 1, false, &c, term ? 1 : 0, &b), 0);
	send_frame_fd(fake_out[to], &b);
	buf_free(&b);
}

/* Node 3 is replaced by the fake, which dials node index `to`. */
static void fake_dial(int to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons((uint16_t)ports[to])};
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	struct hello h = {.from_node = FAKE + 1};
	snprintf(h.cluster, sizeof(h.cluster), "%s", sups[to].cfg->cluster_name);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(hello_encode(&h, &b), 0);
	send_frame_fd(fd, &b);
	ck_assert(recv_frame_fd(fd, &b, 2000));
	bool ok = false;
	int32_t node = 0;
	char reason[64];
	ck_assert_int_eq(hello_reply_decode(b.data, b.len, &ok, &node, reason, sizeof(reason)), 0);
	ck_assert(ok);
	buf_free(&b);
	fake_out[to] = fd;
}

static void fake_start(void)
{
	stop_node(FAKE);
	fake_lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fake_lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				.sin_port = htons((uint16_t)ports[FAKE])};
	ck_assert_int_eq(bind(fake_lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fake_lfd, 16), 0);
	fake_accept_ev = event_new(base, fake_lfd, EV_READ | EV_PERSIST, fake_accept_cb, NULL);
	event_add(fake_accept_ev, NULL);
	n_fake_in = 0;
	memset(fake_hellos, 0, sizeof(fake_hellos));
}

static void fake_stop(void)
{
	for (int i = 0; i < n_fake_in; i++)
		close(fake_in[i]);
	for (int i = 0; i < N; i++)
		if (fake_out[i] >= 0)
			close(fake_out[i]);
	memset(fake_out, -1, sizeof(fake_out));
	n_fake_in = 0;
	event_free(fake_accept_ev);
	close(fake_lfd);
}

/* The GOODBYE reason on fd after the LEADERS tables queued before it, or
 * "" when none came within ms per frame. It must be the last frame. */
static void goodbye_on(int fd, char *reason, int ms)
{
	struct buf b;
	buf_init(&b);
	reason[0] = '\0';
	int32_t node = 0;
	for (int k = 0; k < 100 && reason[0] == '\0' && recv_frame_fd(fd, &b, ms); k++) {
		int type = peer_msg_type(b.data, b.len);
		ck_assert(type == PEER_LEADERS || type == PEER_GOODBYE);
		if (type == PEER_GOODBYE)
			ck_assert_int_eq(
			    peer_goodbye_decode(b.data, b.len, &node, reason, PEER_REASON_MAX + 1),
			    0);
	}
	if (reason[0] != '\0') {
		ck_assert_int_eq(node, 1);
		ck_assert(!recv_frame_fd(fd, &b, ms)); /* then the close */
	}
	buf_free(&b);
}

START_TEST(a_silent_peers_channel_is_closed_with_a_goodbye_within_the_bound)
{
	PUMP_UNTIL(all_connected());
	fake_start();
	fake_dial(0);
	PUMP_UNTIL(peers_out_ready(sups[0].peers, FAKE + 1) &&
		   peers_in_open(sups[0].peers, FAKE + 1));
	ck_assert(peers_out_ready(sups[0].peers, FAKE + 1));
	ck_assert_int_eq(fake_hellos[0], 1);
	/* One table, then nothing: the fake has stalled. */
	fake_send_leaders(0, 0);
	int64_t t0 = spawn_now_ms();
	for (int r = 0; r < 6000 && peers_in_open(sups[0].peers, FAKE + 1); r++)
		pump_ms(1);
	int64_t took = spawn_now_ms() - t0;
	ck_assert(!peers_in_open(sups[0].peers, FAKE + 1));
	ck_assert_int_ge(took, LEADERS_STALE_MS - 50);
	ck_assert_int_lt(took, LEADERS_STALE_MS + 1000);
	/* It ends with a GOODBYE: the fake can tell node 1 chose to close it. */
	char reason[PEER_REASON_MAX + 1];
	goodbye_on(fake_out[0], reason, 500);
	ck_assert_str_eq(reason, "went silent");
	close(fake_out[0]);
	fake_out[0] = -1;
	/* Node 1's own channel to the fake is the fake's to judge: it stays,
	 * so the fake sees a live peer that kept one channel. */
	ck_assert(peers_out_ready(sups[0].peers, FAKE + 1));
	ck_assert_int_eq(fake_hellos[0], 1);
	/* The fake redials, as a live peer does after a GOODBYE. */
	fake_dial(0);
	PUMP_UNTIL(peers_in_open(sups[0].peers, FAKE + 1));
	ck_assert(peers_in_open(sups[0].peers, FAKE + 1));
	/* Node 2, which the fake never reached, is unaffected; 1 and 2 still
	 * talk. */
	ck_assert(peers_out_ready(sups[0].peers, 2) && peers_in_open(sups[0].peers, 2));
	ck_assert(peers_out_ready(sups[1].peers, 1) && peers_in_open(sups[1].peers, 1));
	fake_stop();
}
END_TEST

START_TEST(a_channel_closed_with_a_goodbye_makes_nobody_campaign)
{
	PUMP_UNTIL(all_connected());
	fake_start();
	fake_dial(0);
	fake_dial(1);
	PUMP_UNTIL(fake_hellos[0] >= 1 && fake_hellos[1] >= 1 &&
		   peers_out_ready(sups[0].peers, FAKE + 1) &&
		   peers_out_ready(sups[1].peers, FAKE + 1));
	/* The fake leads t/0 in term 5, as both real nodes learn. */
	fake_send_leaders(0, 5);
	fake_send_leaders(1, 5);
	bool known = false;
	for (int r = 0; r < 2000 && !known; r++) {
		pump_ms(1);
		const struct peer_claim *a =
		    leaders_get(sups[0].leaders, FAKE + 1, "t", 1, 0, spawn_now_ms());
		const struct peer_claim *b =
		    leaders_get(sups[1].leaders, FAKE + 1, "t", 1, 0, spawn_now_ms());
		known = a && b && a->term == 5 && b->term == 5;
	}
	ck_assert(known);
	/* It closes every channel on purpose, saying so first. */
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(peer_goodbye_encode(FAKE + 1, "silent", &b), 0);
	for (int i = 0; i < 2; i++) {
		send_frame_fd(fake_out[i], &b);
		close(fake_out[i]);
		fake_out[i] = -1;
	}
	for (int k = 0; k < n_fake_in; k++)
		send_frame_fd(fake_in[k], &b);
	for (int k = 0; k < n_fake_in; k++)
		close(fake_in[k]);
	n_fake_in = 0;
	buf_free(&b);
	ck_assert_int_eq(campaigns_within(0, FAILOVER_BACKUP_MS + 300), 0);
	ck_assert_int_eq(campaigns_within(1, 1), 0);
	ck_assert(!peers_in_open(sups[0].peers, FAKE + 1));
	fake_stop();
}
END_TEST

START_TEST(a_channel_that_ends_before_its_first_message_is_not_a_crash)
{
	PUMP_UNTIL(all_connected());
	fake_start();
	fake_dial(0);
	PUMP_UNTIL(peers_out_ready(sups[0].peers, FAKE + 1));
	fake_send_leaders(0, 5);
	const struct peer_claim *c = NULL;
	for (int r = 0; r < 2000 && (c == NULL || c->term != 5); r++) {
		pump_ms(1);
		c = leaders_get(sups[0].leaders, FAKE + 1, "t", 1, 0, spawn_now_ms());
	}
	ck_assert(c != NULL && c->term == 5);
	/* The fake redials (the new channel replaces the old one) and gives
	 * up on it right after the ack, before sending anything: what a
	 * dialer whose handshake timed out does while the acceptor was
	 * stalled. */
	int first = fake_out[0];
	fake_dial(0);
	close(fake_out[0]);
	fake_out[0] = -1;
	PUMP_UNTIL(!peers_in_open(sups[0].peers, FAKE + 1));
	ck_assert(!peers_in_open(sups[0].peers, FAKE + 1));
	ck_assert_int_eq(campaigns_within(0, FAILOVER_BACKUP_MS + 300), 0);
	ck_assert_int_eq(campaigns_within(1, 1), 0);
	close(first);
	fake_stop();
}
END_TEST

/* A node killed with -9: its kernel closes both of its channels with us
 * at once, but the end of our channel to it may reach us a moment after
 * the end of its channel to us. Then the first close alone is no proof of
 * a crash (our channel still looks established), and the second is: the
 * groups the node led must still fail over at once, so the first close
 * must not have thrown away the table that says which groups those were. */
START_TEST(a_crash_seen_one_channel_at_a_time_still_fails_over_at_once)
{
	PUMP_UNTIL(all_connected());
	fake_start();
	fake_dial(0);
	fake_dial(1);
	PUMP_UNTIL(fake_hellos[0] >= 1 && fake_hellos[1] >= 1 &&
		   peers_out_ready(sups[0].peers, FAKE + 1) &&
		   peers_out_ready(sups[1].peers, FAKE + 1));
	ck_assert(peers_out_ready(sups[0].peers, FAKE + 1) &&
		  peers_out_ready(sups[1].peers, FAKE + 1));
	/* The fake leads t/0 in term 5; the real nodes follow, caught up. */
	for (int i = 0; i < 2; i++) {
		struct worker *w = workers_find(sups[i].workers, "t", 1, 0);
		w->status.role = IPC_ROLE_FOLLOWER;
		w->status.term = 5;
		w->status.leader_node = FAKE + 1;
		w->status.caught_up = true;
		peers_local_changed(sups[i].peers);
	}
	bool known = false;
	for (int r = 0; r < 3000 && !known; r++) {
		if (r % 200 == 0) {
			fake_send_leaders(0, 5);
			fake_send_leaders(1, 5);
		}
		pump_ms(1);
		known = true;
		for (int i = 0; i < 2; i++) {
			struct router_leader l;
			router_leader(&sups[i], "t", 1, 0, &l);
			const struct peer_claim *c =
			    leaders_get(sups[i].leaders, 2 - i, "t", 1, 0, spawn_now_ms());
			known = known && l.leader_id == FAKE + 1 && l.leader_epoch == 5 &&
				c != NULL && c->term == 5 && c->caught_up;
		}
	}
	ck_assert(known);
	int r[N];
	t0_replicas(r);
	int first = r[0] != FAKE ? r[0] : r[1];
	int second = 1 - first;
	/* first sees the end of the fake's channel to it ... */
	close(fake_out[first]);
	fake_out[first] = -1;
	PUMP_UNTIL(!peers_in_open(sups[first].peers, FAKE + 1));
	ck_assert(!peers_in_open(sups[first].peers, FAKE + 1));
	ck_assert(peers_out_ready(sups[first].peers, FAKE + 1));
	ck_assert_int_eq(campaigns_within(first, 20), 0);
	/* ... then, a moment later, the end of its own channel to the fake,
	 * and second sees both of its channels end. */
	for (int k = 0; k < n_fake_in; k++)
		close(fake_in[k]);
	n_fake_in = 0;
	close(fake_out[second]);
	fake_out[second] = -1;
	ck_assert_int_eq(campaigns_within(first, 300), 1);
	ck_assert_int_eq(campaigns_within(first, FAILOVER_BACKUP_MS), 0);
	/* and the table is gone with the channels */
	ck_assert_ptr_null(leaders_get(sups[first].leaders, FAKE + 1, "t", 1, 0, spawn_now_ms()));
	fake_stop();
}
END_TEST

Suite *supervisor_peers_suite(void)
{
	Suite *su = suite_create("supervisor_peers");
	TCase *tc = tcase_create("peers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, supervisors_connect_and_exchange_leaders_tables);
	tcase_add_test(tc, worker_died_makes_only_the_first_replica_in_line_campaign);
	tcase_add_test(tc, a_closed_channel_makes_the_peer_forget_that_nodes_replicas);
	tcase_add_test(tc, a_crashed_leader_node_makes_the_first_caught_up_survivor_campaign_once);
	tcase_add_test(tc, a_node_loss_is_handled_once_until_its_channel_is_back);
	tcase_add_test(tc, a_crashed_node_that_led_nothing_here_makes_nobody_campaign);
	tcase_add_test(tc, a_draining_node_closing_its_channels_makes_nobody_campaign);
	tcase_add_test(tc, a_leader_that_closes_a_channel_with_goodbye_is_not_taken_for_a_crash);
	tcase_add_test(tc, one_channel_closed_while_the_other_stays_established_is_not_a_crash);
	tcase_add_test(tc, a_stale_table_keeps_a_survivor_from_counting_itself_first);
	tcase_add_test(tc, a_silent_peers_channel_is_closed_with_a_goodbye_within_the_bound);
	tcase_add_test(tc, a_channel_closed_with_a_goodbye_makes_nobody_campaign);
	tcase_add_test(tc, a_channel_that_ends_before_its_first_message_is_not_a_crash);
	tcase_add_test(tc, a_crash_seen_one_channel_at_a_time_still_fails_over_at_once);
	suite_add_tcase(su, tc);
	return su;
}

CHECK_MAIN(supervisor_peers_suite)
