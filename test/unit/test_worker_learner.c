/* test_worker_learner.c - a Raft group of real fjord-worker processes with
 * a non-voting learner: three voters (nodes 1-3, --replicas 1,2,3) and one
 * learner (node 4, --learners 4), with this test as every node's
 * supervisor (ipc, raft listeners, hello hand-over on --conn-fd), as in
 * test_worker_cluster.c.
 *
 * Checks that the transport dials and accepts the learner like any peer,
 * that records produced on the leader reach the learner's store (same
 * commit offset and checksum), that the learner reports role learner,
 * refuses produce, ignores IPC_CAMPAIGN and never leads, also after the
 * leader dies and the voters elect another; and that a learner started
 * after the others catches up. Every wait is bounded. */
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "batch_builder.h"
#include "check_main.h"
#include "common/buf.h"
#include "common/fdpass.h"
#include "common/hello.h"
#include "common/ipc.h"
#include "common/kafka/kerr.h"
#include "testdir.h"
#include "worker_proc.h"

#define N 4	  /* nodes 1..3 vote, node 4 learns */
#define LEARNER 3 /* its slot */
#define MAXRES 64

struct wk {
	pid_t pid; /* 0 = down */
	int ipc, conn, lfd;
	uint16_t port;
	char *dir;
	struct buf in;
	struct ipc_status st;
	int n_st;
	bool ever_led, ever_candidate; /* from every status seen */
	uint64_t req[MAXRES];
	int16_t err[MAXRES];
	int n_res;
};

struct pending_hello {
	int fd, node;
	uint8_t b[HELLO_FRAME_MAX + 4];
	size_t len;
};

static struct wk w[N];
static struct pending_hello ph[32];
static int n_ph;
static int n_hellos[N][N]; /* [to][from] */

static void wk_start(int i)
{
	struct wk *k = &w[i];
	char a_node[16], peers[N][64];
	snprintf(a_node, sizeof(a_node), "%d", i + 1);
	const char *args[40] = {"--topic",
				"t",
				"--partition",
				"0",
				"--dir",
				k->dir,
				"--node-id",
				a_node,
				"--log-level",
				"warn",
				"--sync",
				"never",
				"--replicas",
				"1,2,3",
				"--learners",
				"4",
				"--cluster",
				"test",
				"--election-timeout-ms",
				"600",
				"--heartbeat-interval-ms",
				"50",
				"--retention-ms",
				"-1"};
	int n = 24;
	for (int j = 0; j < N; j++) {
		if (j == i)
			continue;
		snprintf(peers[j], sizeof(peers[j]), "%d=127.0.0.1:%u", j + 1, w[j].port);
		args[n++] = "--peer";
		args[n++] = peers[j];
	}
	buf_reset(&k->in);
	k->pid = wproc_spawn(args, &k->ipc, &k->conn);
	fcntl(k->ipc, F_SETFL, O_NONBLOCK);
	k->n_st = 0;
	k->n_res = 0;
	memset(&k->st, 0, sizeof(k->st));
}

static void wk_kill(int i)
{
	struct wk *k = &w[i];
	if (k->pid <= 0)
		return;
	wproc_kill(k->pid);
	k->pid = 0;
	close(k->ipc);
	close(k->conn);
	k->ipc = k->conn = -1;
}

static void wk_parse(struct wk *k)
{
	size_t off = 0;
	while (k->in.len - off >= 4) {
		uint32_t len = be32_load(k->in.data + off);
		if (k->in.len - off - 4 < len)
			break;
		struct ipc_msg m;
		ck_assert_int_eq(ipc_decode(k->in.data + off + 4, len, &m), 0);
		off += 4 + len;
		if (m.type == IPC_STATUS) {
			k->st = m.u.status;
			k->n_st++;
			k->ever_led |= k->st.role == IPC_ROLE_LEADER;
			k->ever_candidate |= k->st.role == IPC_ROLE_CANDIDATE;
		} else if (m.type == IPC_PRODUCE_RESULT) {
			ck_assert_int_lt(k->n_res, MAXRES);
			k->req[k->n_res] = m.u.produce_result.req_id;
			k->err[k->n_res++] = m.u.produce_result.error;
		}
	}
	memmove(k->in.data, k->in.data + off, k->in.len - off);
	k->in.len -= off;
}

/* A complete hello: hand the socket to that node's worker, as the
 * supervisor does, or refuse it while the worker is down. */
static void hand_over(struct pending_hello *p)
{
	struct hello h;
	struct wk *k = &w[p->node];
	bool ok = p->len >= 4 && hello_decode(p->b + 4, p->len - 4, &h) == 0;
	if (!ok || k->pid <= 0 || fdpass_send(k->conn, p->fd, h.from_node) != 0) {
		struct buf r;
		buf_init(&r);
		hello_reject_encode("worker restarting", &r);
		uint8_t hdr[4];
		be32_store(hdr, (uint32_t)r.len);
		if (write(p->fd, hdr, 4) == 4 && write(p->fd, r.data, r.len) < 0)
			(void)0;
		buf_free(&r);
	}
	if (ok && h.from_node >= 1 && h.from_node <= N)
		n_hellos[p->node][h.from_node - 1]++;
	close(p->fd);
}

/* Serves every socket for ms. */
static void pump(int ms)
{
	int64_t deadline = wproc_now_ms() + ms;
	do {
		struct pollfd pf[N * 2 + 32];
		int np = 0;
		for (int i = 0; i < N; i++) {
			pf[np++] = (struct pollfd){.fd = w[i].lfd, .events = POLLIN};
			pf[np++] =
			    (struct pollfd){.fd = w[i].pid > 0 ? w[i].ipc : -1, .events = POLLIN};
		}
		for (int j = 0; j < n_ph; j++)
			pf[np++] = (struct pollfd){.fd = ph[j].fd, .events = POLLIN};
		int left = (int)(deadline - wproc_now_ms());
		if (poll(pf, (nfds_t)np, left > 0 ? (left < 20 ? left : 20) : 0) <= 0)
			continue;
		for (int i = 0; i < N; i++) {
			if (pf[2 * i].revents & POLLIN) {
				int c = accept(w[i].lfd, NULL, NULL);
				if (c >= 0 && n_ph < 32)
					ph[n_ph++] = (struct pending_hello){.fd = c, .node = i};
				else if (c >= 0)
					close(c);
			}
			if (pf[2 * i + 1].revents & (POLLIN | POLLHUP)) {
				struct wk *k = &w[i];
				for (;;) {
					uint8_t *p = buf_extend(&k->in, 65536);
					ssize_t r = read(k->ipc, p, 65536);
					k->in.len -= 65536 - (r > 0 ? (size_t)r : 0);
					if (r <= 0)
						break;
				}
				wk_parse(k);
			}
		}
		for (int j = 0; j < n_ph; j++) {
			if (!(pf[2 * N + j].revents & (POLLIN | POLLHUP)))
				continue;
			struct pending_hello *p = &ph[j];
			ssize_t r = read(p->fd, p->b + p->len, sizeof(p->b) - p->len);
			bool done = r <= 0;
			if (r > 0) {
				p->len += (size_t)r;
				done = p->len >= 4 && p->len >= 4 + be32_load(p->b);
			}
			if (done) {
				hand_over(p);
				p->fd = -1;
			}
		}
		int keep = 0;
		for (int j = 0; j < n_ph; j++)
			if (ph[j].fd >= 0)
				ph[keep++] = ph[j];
		n_ph = keep;
	} while (wproc_now_ms() < deadline);
}

static void produce(int i, uint64_t req_id, int n, const char *tag)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, n, 1000, tag);
	struct ipc_msg m = {.type = IPC_PRODUCE};
	m.u.produce = (struct ipc_produce){.req_id = req_id,
					   .acks = -1,
					   .timeout_ms = 5000,
					   .records = b.data,
					   .records_len = (uint32_t)b.len};
	wproc_send(w[i].ipc, &m);
	buf_free(&b);
}

static int16_t wait_result(int i, uint64_t req_id, int ms)
{
	int64_t deadline = wproc_now_ms() + ms;
	for (;;) {
		for (int j = 0; j < w[i].n_res; j++) {
			if (w[i].req[j] == req_id) {
				int16_t e = w[i].err[j];
				w[i].req[j] = w[i].req[w[i].n_res - 1];
				w[i].err[j] = w[i].err[--w[i].n_res];
				return e;
			}
		}
		ck_assert_msg(wproc_now_ms() < deadline, "no answer to request %llu from node %d",
			      (unsigned long long)req_id, i + 1);
		pump(10);
	}
}

/* Waits until node i leads and every live replica, the learner included,
 * follows it in its term. */
static void wait_leader(int i, int ms)
{
	int64_t deadline = wproc_now_ms() + ms;
	for (;;) {
		bool ok = w[i].n_st > 0 && w[i].st.role == IPC_ROLE_LEADER;
		for (int j = 0; j < N && ok; j++)
			if (w[j].pid > 0 && j != i)
				ok = w[j].n_st > 0 && w[j].st.leader_node == i + 1 &&
				     w[j].st.term == w[i].st.term;
		if (ok)
			return;
		ck_assert_msg(wproc_now_ms() < deadline, "node %d did not become the leader",
			      i + 1);
		pump(10);
	}
}

/* The voter that leads (highest term), or -1. */
static int leader_index(void)
{
	int found = -1;
	for (int i = 0; i < N; i++)
		if (w[i].pid > 0 && w[i].n_st > 0 && w[i].st.role == IPC_ROLE_LEADER &&
		    (found < 0 || w[i].st.term > w[found].st.term))
			found = i;
	return found;
}

/* Waits until every live replica reports commit offset off with one
 * checksum: the learner's store holds exactly what the voters hold. */
static void wait_equal(int64_t off, int ms)
{
	int64_t deadline = wproc_now_ms() + ms;
	for (;;) {
		bool ok = true;
		int first = -1;
		for (int j = 0; j < N && ok; j++) {
			if (w[j].pid <= 0)
				continue;
			ok = w[j].n_st > 0 && w[j].st.commit_offset == off;
			if (first < 0)
				first = j;
			else
				ok = ok && w[j].st.log_checksum == w[first].st.log_checksum;
		}
		if (ok)
			return;
		ck_assert_msg(wproc_now_ms() < deadline,
			      "replicas did not converge at offset %lld (learner at %lld)",
			      (long long)off, (long long)w[LEARNER].st.commit_offset);
		pump(20);
	}
}

static void setup(void)
{
	memset(w, 0, sizeof(w));
	memset(n_hellos, 0, sizeof(n_hellos));
	n_ph = 0;
	for (int i = 0; i < N; i++) {
		w[i].dir = testdir_new("worker-learner");
		ck_assert_ptr_nonnull(w[i].dir);
		buf_init(&w[i].in);
		w[i].lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		ck_assert_int_eq(bind(w[i].lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(listen(w[i].lfd, 16), 0);
		socklen_t len = sizeof(sa);
		getsockname(w[i].lfd, (struct sockaddr *)&sa, &len);
		w[i].port = ntohs(sa.sin_port);
	}
	ck_assert_msg(access(wproc_bin(), X_OK) == 0, "%s is not built", wproc_bin());
	signal(SIGPIPE, SIG_IGN);
}

static void teardown(void)
{
	for (int i = 0; i < N; i++) {
		wk_kill(i);
		close(w[i].lfd);
		buf_free(&w[i].in);
		testdir_free(w[i].dir);
	}
	for (int j = 0; j < n_ph; j++)
		close(ph[j].fd);
	n_ph = 0;
}

static void assert_learner_never_led(void)
{
	const struct wk *l = &w[LEARNER];
	ck_assert_int_eq(l->st.role, IPC_ROLE_LEARNER);
	ck_assert(!l->ever_led);
	ck_assert(!l->ever_candidate);
	ck_assert_uint_eq(l->st.elections, 0);
}

START_TEST(records_produced_on_the_leader_reach_the_learner_which_never_leads)
{
	for (int i = 0; i < N; i++)
		wk_start(i);
	wait_leader(0, 5000);
	assert_learner_never_led();
	/* The transport dialled the learner and the learner dialled back. */
	ck_assert_int_ge(n_hellos[LEARNER][0], 1);
	ck_assert_int_ge(n_hellos[0][LEARNER], 1);
	int64_t total = 0;
	for (uint64_t req = 1; req <= 10; req++) {
		produce(0, req, 3, "v");
		ck_assert_int_eq(wait_result(0, req, 5000), KERR_NONE);
		total += 3;
	}
	wait_equal(total, 5000);
	ck_assert(w[LEARNER].st.caught_up);
	/* The learner refuses produce and ignores a campaign order. */
	produce(LEARNER, 100, 1, "no");
	ck_assert_int_eq(wait_result(LEARNER, 100, 3000), KERR_NOT_LEADER_OR_FOLLOWER);
	struct ipc_msg c = {.type = IPC_CAMPAIGN};
	wproc_send(w[LEARNER].ipc, &c);
	pump(1500);
	ck_assert_int_eq(leader_index(), 0);
	assert_learner_never_led();

	/* The leader dies; told to campaign, the learner does not, and a
	 * voter takes over once told that the leader's node is gone, as the
	 * supervisors tell every worker (a quiet group runs no election
	 * timer of its own). */
	wk_kill(0);
	wproc_send(w[LEARNER].ipc, &c);
	struct ipc_msg gone = {.type = IPC_PEER_NODE,
			       .u.peer_node = {.node = 1, .alive = false, .crashed = true}};
	for (int i = 1; i < N; i++)
		wproc_send(w[i].ipc, &gone);
	int64_t deadline = wproc_now_ms() + 8000;
	while (leader_index() < 0 || leader_index() == 0) {
		ck_assert_msg(wproc_now_ms() < deadline, "no voter took over");
		pump(20);
	}
	int l = leader_index();
	ck_assert_int_ne(l, LEARNER);
	wait_leader(l, 5000);
	produce(l, 200, 2, "after");
	ck_assert_int_eq(wait_result(l, 200, 5000), KERR_NONE);
	wait_equal(total + 2, 5000);
	assert_learner_never_led();
}
END_TEST

START_TEST(a_learner_started_late_catches_up)
{
	for (int i = 0; i < LEARNER; i++)
		wk_start(i);
	wait_leader(0, 5000);
	int64_t total = 0;
	for (uint64_t req = 1; req <= 30; req++) {
		produce(0, req, 5, "backlog");
		ck_assert_int_eq(wait_result(0, req, 5000), KERR_NONE);
		total += 5;
	}
	wk_start(LEARNER);
	wait_equal(total, 8000);
	wait_leader(0, 3000);
	assert_learner_never_led();
	ck_assert_int_eq(w[LEARNER].st.commit_offset, total);
}
END_TEST

static Suite *worker_learner_suite(void)
{
	Suite *s = suite_create("worker_learner");
	TCase *tc = tcase_create("cluster");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, records_produced_on_the_leader_reach_the_learner_which_never_leads);
	tcase_add_test(tc, a_learner_started_late_catches_up);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(worker_learner_suite)
