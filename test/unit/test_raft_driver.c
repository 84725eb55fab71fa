/* test_raft_driver.c - the Raft driver over real LMDB stores and a libevent
 * loop: drivers of one group live in this process and their messages go
 * through an in-memory network that can cut a node off. Checks group
 * commit, elections, replication into the partition (offsets, checksums),
 * a new leader's offsets, a follower installing the leader's log start, and
 * a full store that stalls the driver until retention makes room. */
#include <check.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch_builder.h"
#include "check_main.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "common/record_batch.h"
#include "testdir.h"
#include "worker/idem.h"
#include "worker/partition.h"
#include "worker/partition_sm.h"
#include "worker/raft_codec.h"
#include "worker/raft_driver.h"
#include "worker/store.h"
#include "worker/store_log.h"

#define MAXN 3
#define TICK_MS 10
#define ELECTION_TICKS 10

struct node {
	char *dir;
	struct store *store;
	struct partition part;
	struct idem idem;
	struct partition_sm psm;
	struct sm sm;
	struct store_log slog;
	struct raft_driver drv;
	bool up;
	bool cut;  /* messages to and from it are lost */
	bool deaf; /* messages to it are lost */
	uint64_t persisted, applied;
	int changes, failures, last_failure;
	int64_t next_when_ready; /* next offset when it could first propose, -1 = not yet */
	int64_t hwm_when_ready;
};

struct qmsg {
	struct buf enc; /* the message travels encoded, as on the wire */
	int to;
};

static struct event_base *base;
static struct node nodes[MAXN];
static int n_nodes;
static struct qmsg q[4096];
static size_t nq;
static struct event *net_ev;
static size_t map_size = 64u << 20;
static size_t map_size_of[MAXN]; /* per node when set */
static struct partition_config pcfg = {.retention_ms = -1, .retention_bytes = -1};
static uint64_t snapshot_threshold;
static size_t idem_scan_max; /* 0 = IDEM_SCAN_MAX */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cb_persisted(void *ctx, uint64_t last) { ((struct node *)ctx)->persisted = last; }
static void cb_applied(void *ctx, uint64_t index, size_t bytes)
{
	((struct node *)ctx)->applied = index;
}
static void cb_changed(void *ctx)
{
	struct node *n = ctx;
	n->changes++;
	if (n->next_when_ready < 0 && raft_driver_can_propose(&n->drv)) {
		n->next_when_ready = n->part.next_offset;
		n->hwm_when_ready = n->part.high_watermark;
	}
}
static void cb_failed(void *ctx, int err)
{
	struct node *n = ctx;
	n->failures++;
	n->last_failure = err;
}

static void cb_send(void *ctx, const struct raft_message *m)
{
	struct node *from = ctx;
	int to = (int)m->to - 1;
	if (from->cut || to < 0 || to >= n_nodes || nodes[to].cut || nodes[to].deaf || nq == 4096)
		return;
	buf_init(&q[nq].enc);
	ck_assert_int_eq(raft_codec_encode(m, &q[nq].enc), 0);
	q[nq].to = to;
	nq++;
	event_active(net_ev, 0, 0);
}

/* Delivers what is queued now; what that causes waits for the next run. */
static void net_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t n = nq;
	struct qmsg batch[4096];
	memcpy(batch, q, n * sizeof(*q));
	nq = 0;
	struct arena a;
	arena_init(&a);
	for (size_t i = 0; i < n; i++) {
		struct node *t = &nodes[batch[i].to];
		struct raft_message m;
		arena_reset(&a);
		ck_assert_int_eq(raft_codec_decode(batch[i].enc.data, batch[i].enc.len, &m, &a), 0);
		if (t->up && !t->cut)
			raft_driver_step(&t->drv, &m);
		buf_free(&batch[i].enc);
	}
	arena_free(&a);
}

static void node_start(int i)
{
	struct node *n = &nodes[i];
	n->next_when_ready = -1;
	struct store_options o = {.map_size = map_size_of[i] ? map_size_of[i] : map_size,
				  .sync = false,
				  .key = partition_entry_key};
	ck_assert_int_eq(store_open(n->dir, &o, &n->store), 0);
	ck_assert_int_eq(partition_recover(&n->part, n->store, &pcfg), 0);
	idem_init(&n->idem, 0, idem_scan_max);
	ck_assert_int_eq(idem_load(&n->idem, n->store, n->part.commit_index), 0);
	n->sm = partition_sm_init(&n->psm, &n->part, &n->idem);
	store_log_init(&n->slog, n->store);
	int32_t voters[MAXN];
	for (int k = 0; k < n_nodes; k++)
		voters[k] = k + 1;
	struct raft_driver_config dc = {.self = i + 1,
					.voters = voters,
					.n_voters = n_nodes,
					.tick_ms = TICK_MS,
					.election_ticks = ELECTION_TICKS,
					.max_msg_entries = 100,
					.seed = 42 + (uint64_t)i,
					.snapshot_threshold = snapshot_threshold};
	struct raft_driver_callbacks cb = {.ctx = n,
					   .persisted = cb_persisted,
					   .applied = cb_applied,
					   .changed = cb_changed,
					   .failed = cb_failed,
					   .send = cb_send};
	ck_assert_int_eq(raft_driver_init(&n->drv, base, &dc, &n->slog.log, &n->sm, &cb), 0);
	n->up = true;
}

static void node_stop(int i)
{
	struct node *n = &nodes[i];
	if (!n->up)
		return;
	raft_driver_close(&n->drv);
	store_log_close(&n->slog);
	idem_close(&n->idem);
	store_close(n->store);
	n->up = false;
}

static void cluster(int n)
{
	log_set_level(LOG_WARN);
	base = event_base_new();
	net_ev = event_new(base, -1, 0, net_cb, NULL);
	n_nodes = n;
	nq = 0;
	for (int i = 0; i < n; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		nodes[i].dir = testdir_new("raft-driver");
		ck_assert_ptr_nonnull(nodes[i].dir);
		node_start(i);
	}
}

static void teardown(void)
{
	for (int i = 0; i < n_nodes; i++) {
		node_stop(i);
		testdir_free(nodes[i].dir);
	}
	for (size_t i = 0; i < nq; i++)
		buf_free(&q[i].enc);
	nq = 0;
	n_nodes = 0;
	if (net_ev)
		event_free(net_ev);
	net_ev = NULL;
	if (base)
		event_base_free(base);
	base = NULL;
	map_size = 64u << 20;
	snapshot_threshold = 0;
	idem_scan_max = 0;
	memset(map_size_of, 0, sizeof(map_size_of));
	pcfg = (struct partition_config){.retention_ms = -1, .retention_bytes = -1};
}

/* Runs the loop until cond() holds or ms pass. Returns cond(). */
static bool run_until(bool (*cond)(void), int ms)
{
	int64_t deadline = mono_ms() + ms;
	while (!cond() && mono_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	return cond();
}

static void run_for(int ms)
{
	int64_t deadline = mono_ms() + ms;
	while (mono_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static int leader(void)
{
	for (int i = 0; i < n_nodes; i++)
		if (nodes[i].up && !nodes[i].cut && raft_driver_can_propose(&nodes[i].drv))
			return i;
	return -1;
}

static bool have_leader(void) { return leader() >= 0; }

static int64_t want_hwm;
static bool all_at_hwm(void)
{
	for (int i = 0; i < n_nodes; i++)
		if (nodes[i].up && !nodes[i].cut && nodes[i].part.high_watermark != want_hwm)
			return false;
	return true;
}

/* What the replica does for a produce: offsets and epoch in place, then
 * propose. Returns the base offset. */
static int64_t produce(int i, int n_records, const char *tag)
{
	struct node *n = &nodes[i];
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, n_records, 1000, tag);
	int64_t base_off, next;
	ck_assert_int_eq(partition_produce(&n->part, b.data, b.len,
					   (int32_t)raft_term(&n->drv.raft), &base_off, &next),
			 KERR_NONE);
	uint64_t index;
	ck_assert_int_eq(raft_driver_propose(&n->drv, b.data, b.len, &index), 0);
	buf_free(&b);
	return base_off;
}

START_TEST(a_single_voter_elects_itself_and_commits_a_burst_in_one_transaction)
{
	cluster(1);
	struct node *n = &nodes[0];
	ck_assert(!raft_driver_can_propose(&n->drv));
	raft_driver_expire_election(&n->drv);
	raft_driver_flush(&n->drv);
	ck_assert_int_eq(raft_role(&n->drv.raft), RAFT_LEADER);
	ck_assert(raft_driver_can_propose(&n->drv));
	ck_assert_uint_eq(raft_term(&n->drv.raft), 1);
	uint64_t txns = n->drv.stats.txns;
	/* 50 proposals in one loop iteration: one transaction, one fsync. */
	for (int k = 0; k < 50; k++)
		ck_assert_int_eq(produce(0, 2, "burst"), 2 * k);
	want_hwm = 100;
	ck_assert(run_until(all_at_hwm, 2000));
	ck_assert_uint_eq(n->drv.stats.txns, txns + 1);
	ck_assert_uint_eq(n->persisted, 51); /* the no-op, then 50 entries */
	ck_assert_uint_eq(n->applied, 51);
	ck_assert_uint_eq(n->part.commit_index, 51);
	/* A restart is a new term, and the log is all there. */
	uint64_t sum = n->part.log_checksum;
	node_stop(0);
	node_start(0);
	raft_driver_expire_election(&n->drv);
	raft_driver_flush(&n->drv);
	ck_assert_uint_eq(raft_term(&n->drv.raft), 2);
	ck_assert(run_until(all_at_hwm, 2000));
	ck_assert_uint_eq(n->part.log_checksum, sum);
	ck_assert_int_eq(produce(0, 1, "after"), 100);
}
END_TEST

/* One idempotent batch of producer 7, epoch 0, one record at sequence
 * seq, offsets not assigned. */
static void idem_batch(struct buf *b, int32_t seq)
{
	size_t at = tb_simple_batch(b, 1, 1000, "i");
	uint8_t *p = b->data + at;
	be64_store(p + RB_OFF_PRODUCER_ID, 7);
	be16_store(p + RB_OFF_PRODUCER_EPOCH, 0);
	be32_store(p + RB_OFF_BASE_SEQUENCE, (uint32_t)seq);
	tb_fix_crc(p);
}

START_TEST(the_driver_snapshots_every_threshold_entries_and_a_restart_loads_it)
{
	snapshot_threshold = 10;
	idem_scan_max = 1; /* a restart's scan alone would see one batch */
	cluster(1);
	struct node *n = &nodes[0];
	raft_driver_expire_election(&n->drv);
	raft_driver_flush(&n->drv);
	ck_assert(raft_driver_can_propose(&n->drv));
	for (int seq = 0; seq < 25; seq++) {
		struct buf b;
		buf_init(&b);
		idem_batch(&b, seq);
		int64_t bo, next;
		ck_assert_int_eq(partition_produce(&n->part, b.data, b.len, 1, &bo, &next),
				 KERR_NONE);
		ck_assert_int_eq(raft_driver_propose(&n->drv, b.data, b.len, NULL), 0);
		buf_free(&b);
		want_hwm = seq + 1;
		ck_assert(run_until(all_at_hwm, 2000));
	}
	/* Entries 1 (no-op) to 26 applied one by one: snapshots at 10 and 20. */
	ck_assert_uint_eq(n->drv.stats.snapshots, 2);
	ck_assert_uint_eq(n->drv.snapshot_at, 20);
	struct sm_status st;
	sm_status(&n->sm, &st);
	ck_assert_uint_eq(st.snapshot_index, 20);
	ck_assert_uint_eq(st.applied, 26);
	struct buf snap;
	buf_init(&snap);
	ck_assert_int_eq(store_get_snapshot(n->store, IDEM_SNAPSHOT, &snap), 0);
	ck_assert_uint_eq(be64_load(snap.data), 20);
	buf_free(&snap);

	/* A restart: the table at 20 plus entries 21..26. The batch at
	 * sequence 20 is in neither the last entry nor the scan, only in the
	 * snapshot's recent history: still a duplicate. */
	node_stop(0);
	node_start(0);
	raft_driver_expire_election(&n->drv);
	raft_driver_flush(&n->drv);
	ck_assert(raft_driver_can_propose(&n->drv));
	ck_assert_int_eq(
	    idem_lead(&n->idem, n->store, n->part.commit_index, raft_term(&n->drv.raft)), 0);
	struct buf b;
	buf_init(&b);
	idem_batch(&b, 20);
	struct idem_verdict v;
	ck_assert_int_eq(idem_check(&n->idem, b.data, b.len, &v), KERR_NONE);
	ck_assert(v.duplicate);
	ck_assert_int_eq(v.base_offset, 20);
	buf_free(&b);
}
END_TEST

START_TEST(three_replicas_elect_one_leader_and_agree_on_every_batch)
{
	cluster(3);
	raft_driver_expire_election(&nodes[0].drv);
	ck_assert(run_until(have_leader, 3000));
	ck_assert_int_eq(leader(), 0);
	struct raft_counters c;
	raft_get_counters(&nodes[0].drv.raft, &c);
	ck_assert_uint_eq(c.elections, 1);
	int64_t total = 0;
	for (int round = 0; round < 20; round++) {
		for (int k = 0; k < 5; k++) {
			ck_assert_int_eq(produce(0, 3, "r"), total);
			total += 3;
		}
		run_for(5);
	}
	want_hwm = total;
	ck_assert(run_until(all_at_hwm, 3000));
	for (int i = 1; i < n_nodes; i++) {
		ck_assert_uint_eq(nodes[i].part.log_checksum, nodes[0].part.log_checksum);
		ck_assert_uint_eq(nodes[i].part.commit_index, nodes[0].part.commit_index);
		ck_assert_uint_eq(store_last_index(nodes[i].store),
				  store_last_index(nodes[0].store));
		ck_assert(raft_driver_caught_up(&nodes[i].drv));
		ck_assert_int_eq(raft_role(&nodes[i].drv.raft), RAFT_FOLLOWER);
	}
	ck_assert_uint_ne(nodes[0].part.log_checksum, 0);
	ck_assert_uint_eq(raft_driver_match_lag(&nodes[0].drv), 0);
	/* Group commit on followers too: far fewer transactions than entries. */
	ck_assert_uint_lt(nodes[1].drv.stats.txns, nodes[1].drv.stats.entries);
	/* Nobody else ever became a candidate. */
	raft_get_counters(&nodes[1].drv.raft, &c);
	ck_assert_uint_eq(c.elections, 0);
	raft_get_counters(&nodes[2].drv.raft, &c);
	ck_assert_uint_eq(c.elections, 0);
}
END_TEST

START_TEST(a_new_leader_continues_offsets_after_what_its_log_holds)
{
	cluster(3);
	raft_driver_expire_election(&nodes[0].drv);
	ck_assert(run_until(have_leader, 3000));
	ck_assert_int_eq(produce(0, 4, "a"), 0);
	want_hwm = 4;
	ck_assert(run_until(all_at_hwm, 3000));
	/* Node 3 hears nothing more, node 1 hears no answers: node 2 gets
	 * entries that node 1 never learns are committed, then node 1 dies. */
	nodes[2].cut = true;
	nodes[0].deaf = true;
	ck_assert_int_eq(produce(0, 5, "b"), 4);
	ck_assert_int_eq(produce(0, 6, "c"), 9);
	uint64_t want_last = raft_last_index(&nodes[0].drv.raft);
	int64_t deadline = mono_ms() + 2000;
	while (store_last_index(nodes[1].store) < want_last && mono_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_uint_eq(store_last_index(nodes[1].store), want_last);
	node_stop(0);
	nodes[2].cut = false;
	ck_assert_int_eq(raft_driver_campaign(&nodes[1].drv), 0);
	ck_assert(run_until(have_leader, 3000));
	ck_assert_int_eq(leader(), 1);
	/* Its first offset follows the entries it holds, before it even knows
	 * they are committed. */
	ck_assert_int_eq(nodes[1].hwm_when_ready, 4);
	ck_assert_int_eq(nodes[1].next_when_ready, 15);
	ck_assert_int_eq(produce(1, 2, "d"), 15);
	want_hwm = 17;
	ck_assert(run_until(all_at_hwm, 3000));
	ck_assert_uint_eq(nodes[2].part.log_checksum, nodes[1].part.log_checksum);
	/* The old leader comes back as a follower and catches up. */
	nodes[0].deaf = false;
	node_start(0);
	ck_assert(run_until(all_at_hwm, 3000));
	ck_assert_uint_eq(nodes[0].part.log_checksum, nodes[1].part.log_checksum);
	ck_assert_int_eq(raft_role(&nodes[0].drv.raft), RAFT_FOLLOWER);
}
END_TEST

START_TEST(a_follower_behind_the_log_start_installs_it)
{
	pcfg.retention_ms = 0; /* every committed batch may go */
	cluster(3);
	raft_driver_expire_election(&nodes[0].drv);
	ck_assert(run_until(have_leader, 3000));
	nodes[2].cut = true;
	for (int k = 0; k < 10; k++)
		produce(0, 2, "old");
	want_hwm = 20;
	ck_assert(run_until(all_at_hwm, 3000));
	bool changed = false;
	ck_assert_int_eq(partition_retain(&nodes[0].part, INT64_MAX / 2, &changed), 0);
	ck_assert(changed);
	ck_assert_int_eq(nodes[0].part.log_start_offset, 20);
	uint64_t start_sum = nodes[0].part.start_checksum;
	ck_assert_uint_eq(start_sum, nodes[0].part.log_checksum);
	nodes[2].cut = false;
	ck_assert(run_until(all_at_hwm, 5000));
	ck_assert_int_eq(nodes[2].part.log_start_offset, 20);
	ck_assert_uint_eq(nodes[2].part.log_checksum, nodes[0].part.log_checksum);
	ck_assert_uint_eq(store_first_index(nodes[2].store), store_first_index(nodes[0].store));
	/* And replicates normally from there. */
	ck_assert_int_eq(produce(0, 1, "new"), 20);
	want_hwm = 21;
	ck_assert(run_until(all_at_hwm, 3000));
	ck_assert_uint_eq(nodes[2].part.log_checksum, nodes[0].part.log_checksum);
	/* Restarted, it keeps the installed start and checksum. */
	node_stop(2);
	node_start(2);
	ck_assert_int_eq(nodes[2].part.log_start_offset, 20);
	ck_assert(run_until(all_at_hwm, 3000));
	ck_assert_uint_eq(nodes[2].part.log_checksum, nodes[0].part.log_checksum);
}
END_TEST

START_TEST(a_full_store_stalls_the_driver_until_retention_makes_room)
{
	map_size = 1u << 20;
	pcfg.retention_ms = 0;
	cluster(1);
	struct node *n = &nodes[0];
	raft_driver_expire_election(&n->drv);
	raft_driver_flush(&n->drv);
	ck_assert(raft_driver_can_propose(&n->drv));
	static char value[50000];
	memset(value, 'v', sizeof(value) - 1);
	struct tb_rec rec = {.value = value};
	int ok = 0;
	for (int k = 0; k < 60 && n->failures == 0; k++) {
		struct buf b;
		buf_init(&b);
		tb_batch(&b, 0, &rec, 1);
		int64_t bo, next;
		ck_assert_int_eq(partition_produce(&n->part, b.data, b.len, 1, &bo, &next),
				 KERR_NONE);
		uint64_t index;
		ck_assert_int_eq(raft_driver_propose(&n->drv, b.data, b.len, &index), 0);
		buf_free(&b);
		raft_driver_flush(&n->drv);
		if (n->failures == 0)
			ok++;
	}
	ck_assert_int_eq(n->failures, 1);
	ck_assert_int_eq(n->last_failure, ERR_NOSPACE);
	ck_assert(n->drv.stuck);
	ck_assert_int_eq(raft_driver_propose(&n->drv, "x", 1, NULL), ERR_NOSPACE);
	ck_assert_int_eq(n->part.high_watermark, ok);
	/* Retention frees room; the waiting entry lands on the next retry. */
	bool changed = false;
	ck_assert_int_eq(partition_retain(&n->part, INT64_MAX / 2, &changed), 0);
	ck_assert(changed);
	want_hwm = ok + 1;
	ck_assert(run_until(all_at_hwm, 3000));
	ck_assert(!n->drv.stuck);
	ck_assert(raft_driver_can_propose(&n->drv));
	ck_assert_int_eq(produce(0, 1, "small"), ok + 1);
}
END_TEST

static bool old_leader_stepped_down_and_another_leads(void)
{
	return raft_role(&nodes[0].drv.raft) != RAFT_LEADER && leader() > 0;
}

/* A 3-node cluster led by node 0, whose store alone is small, written to
 * until that store is full. Returns how many records were committed. */
static int fill_the_leaders_store(void)
{
	map_size_of[0] = 1u << 20; /* only the leader's store fills up */
	pcfg.retention_ms = 0;
	cluster(3);
	struct node *n = &nodes[0];
	raft_driver_expire_election(&n->drv);
	ck_assert(run_until(have_leader, 3000));
	ck_assert_int_eq(leader(), 0);
	static char value[50000];
	memset(value, 'v', sizeof(value) - 1);
	struct tb_rec rec = {.value = value};
	int ok = 0;
	for (int k = 0; k < 60 && n->failures == 0; k++) {
		struct buf b;
		buf_init(&b);
		tb_batch(&b, 0, &rec, 1);
		int64_t bo, next;
		ck_assert_int_eq(partition_produce(&n->part, b.data, b.len,
						   (int32_t)raft_term(&n->drv.raft), &bo, &next),
				 KERR_NONE);
		uint64_t index;
		ck_assert_int_eq(raft_driver_propose(&n->drv, b.data, b.len, &index), 0);
		buf_free(&b);
		raft_driver_flush(&n->drv);
		if (n->failures == 0) {
			ok++;
			want_hwm = ok;
			ck_assert(run_until(all_at_hwm, 3000));
		}
	}
	ck_assert_int_eq(n->last_failure, ERR_NOSPACE);
	ck_assert(n->drv.stuck);
	return ok;
}

START_TEST(a_leader_stuck_on_a_full_store_resigns_at_once)
{
	fill_the_leaders_store();
	struct node *n = &nodes[0];
	ck_assert_int_eq(raft_role(&n->drv.raft), RAFT_LEADER);
	uint64_t term = raft_term(&n->drv.raft);
	/* what the worker does on ERR_NOSPACE: give up the term it cannot
	 * serve, without writing anything (same term, same vote) */
	ck_assert_uint_eq(raft_driver_resign(&n->drv), term);
	ck_assert_int_eq(raft_role(&n->drv.raft), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_leader(&n->drv.raft), 0);
	ck_assert_uint_eq(raft_term(&n->drv.raft), term);
	ck_assert(n->drv.stuck);
	/* once only, and never for a follower */
	ck_assert_uint_eq(raft_driver_resign(&n->drv), 0);
	ck_assert_uint_eq(raft_driver_resign(&nodes[1].drv), 0);
	/* a stuck follower never campaigns: the others elect a leader */
	ck_assert(run_until(old_leader_stepped_down_and_another_leads, 8000));
	ck_assert_int_eq(raft_role(&n->drv.raft), RAFT_FOLLOWER);
	ck_assert_uint_eq(raft_term(&n->drv.raft), term);
	ck_assert_uint_gt(raft_term(&nodes[leader()].drv.raft), term);
}
END_TEST

START_TEST(a_leader_stuck_on_a_full_store_steps_down_and_rejoins_when_room_returns)
{
	int ok = fill_the_leaders_store();
	struct node *n = &nodes[0];
	uint64_t term = raft_term(&n->drv.raft);
	/* Cut off by its own full disk: the others elect a leader, and the
	 * stuck one, still ticking, steps down by check-quorum. */
	ck_assert_msg(run_until(old_leader_stepped_down_and_another_leads, 5000),
		      "stuck leader's role %d, leader %d", (int)raft_role(&n->drv.raft), leader());
	ck_assert(n->drv.stuck);
	ck_assert_uint_eq(raft_term(&n->drv.raft), term); /* it wrote nothing */
	int l = leader();
	ck_assert_uint_gt(raft_term(&nodes[l].drv.raft), term);
	/* Room returns: the waiting write lands and it follows the new leader.
	 * The entry whose write failed had gone to both followers before the
	 * write (a leader's appends leave first), so it is on a majority and
	 * the new leader keeps it: unacknowledged, as after any leader crash,
	 * but not lost. */
	bool changed = false;
	ck_assert_int_eq(partition_retain(&n->part, INT64_MAX / 2, &changed), 0);
	ck_assert(changed);
	ck_assert_int_eq(produce(l, 1, "after"), ok + 1);
	want_hwm = ok + 2;
	ck_assert(run_until(all_at_hwm, 5000));
	ck_assert(!n->drv.stuck);
	ck_assert_int_eq(raft_role(&n->drv.raft), RAFT_FOLLOWER);
	ck_assert_uint_eq(n->part.log_checksum, nodes[l].part.log_checksum);
}
END_TEST

static Suite *raft_driver_suite(void)
{
	Suite *s = suite_create("raft_driver");
	TCase *tc = tcase_create("driver");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, a_single_voter_elects_itself_and_commits_a_burst_in_one_transaction);
	tcase_add_test(tc, three_replicas_elect_one_leader_and_agree_on_every_batch);
	tcase_add_test(tc, a_new_leader_continues_offsets_after_what_its_log_holds);
	tcase_add_test(tc, a_follower_behind_the_log_start_installs_it);
	tcase_add_test(tc, a_full_store_stalls_the_driver_until_retention_makes_room);
	tcase_add_test(tc, the_driver_snapshots_every_threshold_entries_and_a_restart_loads_it);
	tcase_add_test(tc, a_leader_stuck_on_a_full_store_steps_down_and_rejoins_when_room_returns);
	tcase_add_test(tc, a_leader_stuck_on_a_full_store_resigns_at_once);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(raft_driver_suite)
