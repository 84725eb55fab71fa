/* test_worker_cluster.c - three real fjord-worker processes forming one
 * Raft group, with this test as every node's supervisor: it speaks ipc to
 * each worker, listens on each node's raft address, reads the hellos and
 * hands the connections over on --conn-fd as fjord-supervisor does.
 *
 * Checks the first election (the preferred replica, one election), acks=-1
 * produce committed on every replica with equal checksums, followers
 * answering NOT_LEADER_OR_FOLLOWER, acks=1 versus acks=-1 without a
 * majority (REQUEST_TIMED_OUT, then NOT_LEADER_OR_FOLLOWER once the leader
 * steps down), IPC_CAMPAIGN after the leader's death, leadership returning
 * to the restarted preferred replica, IPC_TRANSFER{-1}, and idempotent
 * producers: a batch retried after a failover, or while its original is
 * still in flight, gets the original offset and is stored once; and
 * liveness: a follower stopped with SIGSTOP (its kernel still takes the
 * bytes, so TCP sees nothing wrong) is cut off by the leader within the
 * silence bound and redialled, and replication resumes soon after it
 * continues. Every wait is bounded. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "check_main.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fdpass.h"
#include "common/hello.h"
#include "common/ipc.h"
#include "common/kafka/kerr.h"
#include "common/record_batch.h"
#include "common/settle.h"
#include "testdir.h"
#include "worker_proc.h"

#define N 3
#define MAXRES 256

struct result {
	int type;
	uint64_t req_id;
	int16_t error;
	int64_t base_offset;
	int64_t hwm;
};

struct wk {
	pid_t pid; /* 0 = down */
	int ipc;   /* our end of its ipc socketpair */
	int conn;  /* our end of its --conn-fd pair */
	int lfd;   /* its node's raft_listen */
	uint16_t port;
	char *dir;
	struct buf in; /* ipc bytes not yet framed */
	struct ipc_status st;
	int n_st;
	struct result res[MAXRES];
	int n_res;
};

struct pending_hello {
	int fd;
	int node; /* whose raft_listen accepted it (index) */
	uint8_t b[HELLO_FRAME_MAX + 4];
	size_t len;
};

static struct wk w[N];
static struct pending_hello ph[32];
static int n_ph;
static int n_hellos[N][N]; /* [to][from]: hellos each node's raft_listen read */

/* Short, so tests of elections run quickly; the campaign test lengthens it
 * so that "faster than the timeout" has a margin a loaded machine keeps. */
static const char *election_timeout_ms = "600";
static const char *heartbeat_interval_ms = "50";

static void wk_start(int i)
{
	struct wk *k = &w[i];
	char a_node[16], peers[N][64];
	snprintf(a_node, sizeof(a_node), "%d", i + 1);
	const char *args[40] = {"--topic", "t", "--partition", "0", "--dir", k->dir, "--node-id",
				a_node, "--log-level", "warn", "--sync", "never", "--replicas",
				"1,2,3", "--cluster", "test", "--election-timeout-ms",
				election_timeout_ms, "--heartbeat-interval-ms",
				heartbeat_interval_ms,
				/* batches from 1970: keep them, not the file's 7 days */
				"--retention-ms", "-1"};
	int n = 22;
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

/* Takes whole frames from the worker's ipc bytes. */
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
			continue;
		}
		ck_assert_int_lt(k->n_res, MAXRES);
		struct result *r = &k->res[k->n_res++];
		r->type = m.type;
		if (m.type == IPC_PRODUCE_RESULT) {
			r->req_id = m.u.produce_result.req_id;
			r->error = m.u.produce_result.error;
			r->base_offset = m.u.produce_result.base_offset;
		} else if (m.type == IPC_FETCH_RESULT) {
			r->req_id = m.u.fetch_result.req_id;
			r->error = m.u.fetch_result.error;
			r->hwm = m.u.fetch_result.high_watermark;
		} else if (m.type == IPC_LIST_OFFSETS_RESULT) {
			r->req_id = m.u.list_offsets_result.req_id;
			r->error = m.u.list_offsets_result.error;
		}
	}
	memmove(k->in.data, k->in.data + off, k->in.len - off);
	k->in.len -= off;
}

/* A hello is complete: hand the socket to the worker of that node, or
 * refuse it when the worker is down (as the supervisor does). */
static void hand_over(struct pending_hello *p)
{
	struct hello h;
	struct wk *k = &w[p->node];
	if (p->len < 4 || hello_decode(p->b + 4, p->len - 4, &h) != 0 || k->pid <= 0 ||
	    fdpass_send(k->conn, p->fd, h.from_node) != 0) {
		struct buf r;
		buf_init(&r);
		hello_reject_encode("worker restarting", &r);
		uint8_t hdr[4];
		be32_store(hdr, (uint32_t)r.len);
		if (write(p->fd, hdr, 4) == 4 && write(p->fd, r.data, r.len) < 0)
			(void)0;
		buf_free(&r);
	} else {
		ck_assert_str_eq(h.cluster, "test");
		ck_assert_str_eq(h.group, "t/0");
	}
	if (p->len >= 4 && hello_decode(p->b + 4, p->len - 4, &h) == 0 && h.from_node >= 1 &&
	    h.from_node <= N)
		n_hellos[p->node][h.from_node - 1]++;
	close(p->fd);
}

/* Serves every socket for up to ms. */
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
				if (c >= 0 && n_ph < 32) {
					ph[n_ph] = (struct pending_hello){.fd = c, .node = i};
					n_ph++;
				} else if (c >= 0) {
					close(c);
				}
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

static void send_msg(int i, const struct ipc_msg *m) { wproc_send(w[i].ipc, m); }

/* Waits for the result of req_id from worker i. */
static struct result wait_result(int i, uint64_t req_id, int ms)
{
	int64_t deadline = wproc_now_ms() + ms;
	for (;;) {
		for (int j = 0; j < w[i].n_res; j++) {
			if (w[i].res[j].req_id == req_id) {
				struct result r = w[i].res[j];
				w[i].res[j] = w[i].res[--w[i].n_res];
				return r;
			}
		}
		ck_assert_msg(wproc_now_ms() < deadline, "no answer to request %llu from node %d",
			      (unsigned long long)req_id, i + 1);
		pump(10);
	}
}

static void produce(int i, uint64_t req_id, int acks, int timeout_ms, int n, const char *tag)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, n, 1000, tag);
	struct ipc_msg m = {.type = IPC_PRODUCE};
	m.u.produce = (struct ipc_produce){.req_id = req_id,
					   .acks = (int16_t)acks,
					   .timeout_ms = timeout_ms,
					   .records = b.data,
					   .records_len = (uint32_t)b.len};
	send_msg(i, &m);
	buf_free(&b);
}

/* An idempotent batch: n records of producer pid/epoch from sequence seq. */
static void produce_idem(int i, uint64_t req_id, int timeout_ms, int64_t pid, int16_t epoch,
			 int32_t seq, int n)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, n, 1000, "idem");
	be64_store(b.data + RB_OFF_PRODUCER_ID, (uint64_t)pid);
	be16_store(b.data + RB_OFF_PRODUCER_EPOCH, (uint16_t)epoch);
	be32_store(b.data + RB_OFF_BASE_SEQUENCE, (uint32_t)seq);
	tb_fix_crc(b.data);
	struct ipc_msg m = {.type = IPC_PRODUCE};
	m.u.produce = (struct ipc_produce){.req_id = req_id,
					   .acks = -1,
					   .timeout_ms = timeout_ms,
					   .records = b.data,
					   .records_len = (uint32_t)b.len};
	send_msg(i, &m);
	buf_free(&b);
}

static int leader_index(void)
{
	int found = -1;
	for (int i = 0; i < N; i++) {
		if (w[i].pid > 0 && w[i].n_st > 0 && w[i].st.role == IPC_ROLE_LEADER) {
			if (found >= 0 && w[i].st.term <= w[found].st.term)
				continue;
			found = i;
		}
	}
	return found;
}

/* Waits until node i leads and every live replica follows it. */
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
		ck_assert_msg(wproc_now_ms() < deadline,
			      "node %d did not become the leader (leader now %d)", i + 1,
			      leader_index() + 1);
		pump(10);
	}
}

/* Waits until every live replica reports commit offset `off` with the same
 * checksum (statuses come every second; a changed role comes at once). */
static void wait_equal(int64_t off, int ms)
{
	int64_t deadline = wproc_now_ms() + ms;
	for (;;) {
		bool ok = true;
		uint64_t sum = 0;
		int first = -1;
		for (int j = 0; j < N && ok; j++) {
			if (w[j].pid <= 0)
				continue;
			ok = w[j].st.commit_offset == off;
			if (first < 0) {
				first = j;
				sum = w[j].st.log_checksum;
			} else {
				ok = ok && w[j].st.log_checksum == sum;
			}
		}
		if (ok)
			return;
		ck_assert_msg(wproc_now_ms() < deadline, "replicas did not converge at offset %lld",
			      (long long)off);
		pump(20);
	}
}

static void setup_with(const char *election_ms, const char *heartbeat_ms)
{
	election_timeout_ms = election_ms;
	heartbeat_interval_ms = heartbeat_ms;
	memset(w, 0, sizeof(w));
	memset(n_hellos, 0, sizeof(n_hellos));
	n_ph = 0;
	for (int i = 0; i < N; i++) {
		w[i].dir = testdir_new("worker-cluster");
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
	for (int i = 0; i < N; i++)
		wk_start(i);
}

static void setup(void) { setup_with("600", "50"); }

/* Ticks of 2 s: whatever waits for a tick shows. */
static void setup_slow_ticks(void) { setup_with("10000", "2000"); }

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

START_TEST(the_preferred_replica_leads_and_every_replica_commits_the_same_batches)
{
	wait_leader(0, 5000);
	ck_assert_uint_eq(w[0].st.term, 1);
	ck_assert_uint_eq(w[0].st.elections, 1);
	ck_assert_uint_eq(w[1].st.elections, 0);
	ck_assert_uint_eq(w[2].st.elections, 0);
	int64_t total = 0;
	for (uint64_t req = 1; req <= 20; req++) {
		produce(0, req, -1, 5000, 3, "c");
		struct result r = wait_result(0, req, 5000);
		ck_assert_int_eq(r.error, KERR_NONE);
		ck_assert_int_eq(r.base_offset, total);
		total += 3;
	}
	/* Followers refuse produce, fetch and list offsets. */
	produce(1, 100, -1, 5000, 1, "x");
	ck_assert_int_eq(wait_result(1, 100, 3000).error, KERR_NOT_LEADER_OR_FOLLOWER);
	struct ipc_msg f = {.type = IPC_FETCH};
	f.u.fetch = (struct ipc_fetch){
	    .req_id = 101, .offset = 0, .max_bytes = 1 << 20, .leader_epoch = -1};
	send_msg(2, &f);
	ck_assert_int_eq(wait_result(2, 101, 3000).error, KERR_NOT_LEADER_OR_FOLLOWER);
	f.u.fetch.req_id = 102;
	send_msg(0, &f);
	struct result fr = wait_result(0, 102, 3000);
	ck_assert_int_eq(fr.error, KERR_NONE);
	ck_assert_int_eq(fr.hwm, total);
	wait_equal(total, 5000);
	ck_assert_uint_ne(w[0].st.log_checksum, 0);
	ck_assert(w[1].st.caught_up);
	ck_assert(w[2].st.caught_up);
	ck_assert_uint_eq(w[0].st.match_lag, 0);
	ck_assert_uint_eq(w[1].st.last_index, w[0].st.last_index);
}
END_TEST

START_TEST(without_a_majority_acks_all_times_out_and_acks_one_does_not)
{
	wait_leader(0, 5000);
	produce(0, 1, -1, 5000, 2, "ok");
	ck_assert_int_eq(wait_result(0, 1, 5000).error, KERR_NONE);
	wk_kill(1);
	wk_kill(2);
	/* The leader's own durable append is enough for acks=1. */
	produce(0, 2, 1, 5000, 2, "one");
	struct result r = wait_result(0, 2, 2000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 2);
	int64_t t0 = wproc_now_ms();
	produce(0, 3, -1, 200, 2, "all");
	r = wait_result(0, 3, 2000);
	ck_assert_int_eq(r.error, KERR_REQUEST_TIMED_OUT);
	ck_assert_int_ge(wproc_now_ms() - t0, 150);
	/* A request still waiting when check-quorum deposes the leader. */
	produce(0, 4, -1, 60000, 2, "lost");
	r = wait_result(0, 4, 5000);
	ck_assert_int_eq(r.error, KERR_NOT_LEADER_OR_FOLLOWER);
	pump(100);
	ck_assert_int_ne(w[0].st.role, IPC_ROLE_LEADER);
	produce(0, 5, -1, 1000, 2, "refused");
	ck_assert_int_eq(wait_result(0, 5, 2000).error, KERR_NOT_LEADER_OR_FOLLOWER);
}
END_TEST

START_TEST(a_campaign_after_the_leaders_death_then_leadership_returns_to_the_preferred)
{
	wait_leader(0, 5000);
	produce(0, 1, -1, 5000, 4, "before");
	ck_assert_int_eq(wait_result(0, 1, 5000).error, KERR_NONE);
	wait_equal(4, 5000);
	uint64_t term = w[0].st.term;
	/* Restart the followers with a 5 s election timeout: only the
	 * campaign can make a leader within 2.5 s. */
	election_timeout_ms = "5000";
	wk_kill(1);
	wk_start(1);
	wk_kill(2);
	wk_start(2);
	wait_equal(4, 5000);
	wk_kill(0);
	int64_t t0 = wproc_now_ms();
	struct ipc_msg c = {.type = IPC_CAMPAIGN};
	send_msg(1, &c);
	wait_leader(1, 4000);
	int64_t took = wproc_now_ms() - t0;
	ck_assert_int_lt(took, 2500); /* not the 5 s election timeout */
	ck_assert_uint_gt(w[1].st.term, term);
	produce(1, 2, -1, 5000, 1, "after");
	struct result r = wait_result(1, 2, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 4);
	/* Node 1 comes back, catches up, and gets its leadership back, but
	 * only once it has been healthy for the settle period (a replica
	 * back from a stall is not handed leadership at once). */
	int64_t t1 = wproc_now_ms();
	wk_start(0);
	wait_leader(0, SETTLE_MIN_MS + 8000);
	ck_assert_int_ge(wproc_now_ms() - t1, SETTLE_MIN_MS);
	wait_equal(5, 5000);
	produce(0, 3, -1, 5000, 1, "home");
	r = wait_result(0, 3, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 5);
}
END_TEST

START_TEST(a_drain_hands_leadership_to_a_follower_and_keeps_it_away)
{
	wait_leader(0, 5000);
	produce(0, 1, -1, 5000, 2, "d");
	ck_assert_int_eq(wait_result(0, 1, 5000).error, KERR_NONE);
	struct ipc_msg t = {.type = IPC_TRANSFER, .u.transfer.target_node = -1};
	int64_t t0 = wproc_now_ms();
	send_msg(0, &t);
	int64_t deadline = t0 + 3000;
	while (leader_index() <= 0 && wproc_now_ms() < deadline)
		pump(10);
	int l = leader_index();
	ck_assert_int_gt(l, 0);
	ck_assert_int_lt(wproc_now_ms() - t0, 1000);
	uint64_t term = w[l].st.term;
	/* The new leader does not hand it back while node 1 drains (its
	 * balance check runs every 2 s): same leader, same term. */
	pump(2500);
	ck_assert_int_eq(leader_index(), l);
	ck_assert_uint_eq(w[l].st.term, term);
	ck_assert_int_eq(w[0].st.role, IPC_ROLE_FOLLOWER);
	produce(l, 2, -1, 5000, 1, "d2");
	struct result r = wait_result(l, 2, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 2);
}
END_TEST

START_TEST(after_a_failover_a_retried_batch_gets_its_original_offset_and_is_not_stored_twice)
{
	wait_leader(0, 5000);
	produce_idem(0, 1, 5000, 77, 0, 0, 3);
	struct result r = wait_result(0, 1, 5000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 0);
	produce_idem(0, 2, 5000, 77, 0, 3, 2);
	r = wait_result(0, 2, 5000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 3);
	wait_equal(5, 5000);
	/* The leader dies; its producer retries both batches at the new one. */
	wk_kill(0);
	struct ipc_msg c = {.type = IPC_CAMPAIGN};
	send_msg(1, &c);
	wait_leader(1, 3000);
	produce_idem(1, 3, 5000, 77, 0, 3, 2);
	r = wait_result(1, 3, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 3);
	produce_idem(1, 4, 5000, 77, 0, 0, 3);
	r = wait_result(1, 4, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 0);
	produce_idem(1, 5, 5000, 77, 0, 7, 1);
	ck_assert_int_eq(wait_result(1, 5, 3000).error, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
	produce_idem(1, 6, 5000, 77, 0, 5, 1);
	r = wait_result(1, 6, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 5);
	/* Nothing was appended twice: both live replicas end at offset 6. */
	wait_equal(6, 5000);
}
END_TEST

START_TEST(a_retry_of_a_batch_still_in_flight_is_answered_when_the_original_commits)
{
	wait_leader(0, 5000);
	produce_idem(0, 1, 5000, 88, 2, 0, 3);
	ck_assert_int_eq(wait_result(0, 1, 5000).error, KERR_NONE);
	/* Without its followers for a moment (less than the election timeout,
	 * so check-quorum keeps it leader) the next batch cannot commit. */
	kill(w[1].pid, SIGSTOP);
	kill(w[2].pid, SIGSTOP);
	produce_idem(0, 2, 5000, 88, 2, 3, 2);
	produce_idem(0, 3, 5000, 88, 2, 3, 2); /* the producer's retry */
	produce(0, 4, -1, 5000, 1, "plain");
	pump(100);
	for (int j = 0; j < w[0].n_res; j++)
		ck_assert_msg(w[0].res[j].req_id < 2, "request %llu answered before its commit",
			      (unsigned long long)w[0].res[j].req_id);
	kill(w[1].pid, SIGCONT);
	kill(w[2].pid, SIGCONT);
	struct result r = wait_result(0, 2, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 3);
	r = wait_result(0, 3, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 3);
	r = wait_result(0, 4, 3000);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.base_offset, 5);
	wait_equal(6, 5000);
}
END_TEST

START_TEST(a_stopped_follower_is_cut_off_within_the_silence_bound_and_replication_resumes)
{
	wait_leader(0, 5000);
	produce(0, 1, -1, 5000, 2, "before");
	ck_assert_int_eq(wait_result(0, 1, 5000).error, KERR_NONE);
	wait_equal(2, 5000);
	int hellos = n_hellos[2][0];
	ck_assert_int_ge(hellos, 1);
	/* Election timeout 600 ms, heartbeats 50 ms: the bound is
	 * max(4 * 50, 600 / 2) = 300 ms. Node 3 stops for five times that;
	 * the leader keeps its majority with node 2 and keeps leading. A
	 * quiet group sends nothing to notice silence with: the write wakes
	 * it, and node 3, left behind, keeps it awake and heartbeating. */
	kill(w[2].pid, SIGSTOP);
	produce(0, 2, -1, 5000, 3, "during");
	ck_assert_int_eq(wait_result(0, 2, 3000).error, KERR_NONE);
	pump(1500);
	/* The leader gave up on its connection and dialled node 3 again
	 * (whose kernel accepts; the hello waits for the stopped worker). */
	ck_assert_int_gt(n_hellos[2][0], hellos);
	ck_assert_int_eq(leader_index(), 0);
	kill(w[2].pid, SIGCONT);
	int64_t t0 = wproc_now_ms();
	/* The leader's redial, at most a 2 s backoff away, reaches it. */
	wait_equal(5, 4000);
	ck_assert_int_lt(wproc_now_ms() - t0, 4000);
	produce(0, 3, -1, 5000, 1, "after");
	ck_assert_int_eq(wait_result(0, 3, 3000).error, KERR_NONE);
	wait_equal(6, 3000);
}
END_TEST

/* A new topic's partitions have no leader until their first election, and
 * some clients fail a whole Metadata answer on one such partition. A
 * brand-new group elects as soon as a majority is connected, not at a tick
 * (2 s here: without that the first election comes after two of them). */
START_TEST(a_brand_new_group_elects_its_preferred_replica_without_waiting_for_a_tick)
{
	int64_t t0 = wproc_now_ms();
	wait_leader(0, 1500);
	ck_assert_uint_eq(w[0].st.term, 1);
	ck_assert_uint_eq(w[0].st.elections, 1);
	ck_assert_int_lt(wproc_now_ms() - t0, 1500);
}
END_TEST

static Suite *worker_cluster_suite(void)
{
	Suite *s = suite_create("worker_cluster");
	TCase *tc = tcase_create("cluster");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_preferred_replica_leads_and_every_replica_commits_the_same_batches);
	tcase_add_test(tc, without_a_majority_acks_all_times_out_and_acks_one_does_not);
	tcase_add_test(tc,
		       a_campaign_after_the_leaders_death_then_leadership_returns_to_the_preferred);
	tcase_add_test(tc, a_drain_hands_leadership_to_a_follower_and_keeps_it_away);
	tcase_add_test(
	    tc, after_a_failover_a_retried_batch_gets_its_original_offset_and_is_not_stored_twice);
	tcase_add_test(tc,
		       a_retry_of_a_batch_still_in_flight_is_answered_when_the_original_commits);
	tcase_add_test(
	    tc, a_stopped_follower_is_cut_off_within_the_silence_bound_and_replication_resumes);
	suite_add_tcase(s, tc);
	TCase *first = tcase_create("first election");
	tcase_set_timeout(first, 30);
	tcase_add_checked_fixture(first, setup_slow_ticks, teardown);
	tcase_add_test(first,
		       a_brand_new_group_elects_its_preferred_replica_without_waiting_for_a_tick);
	suite_add_tcase(s, first);
	return s;
}

CHECK_MAIN(worker_cluster_suite)
