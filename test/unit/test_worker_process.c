/* test_worker_process.c - the real fjord-worker binary over a socketpair.
 *
 * Each test fork+execs the worker (FJORD_WORKER_BIN, default
 * bin/fjord-worker) on a fresh directory and speaks the ipc protocol to it
 * the way the supervisor does: produce, fetch (with long polling and
 * cancel), list offsets, status, garbage frames, a full store, retention,
 * SIGKILL and restart, and EOF. Every wait is bounded. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "check_main.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/kafka/kerr.h"
#include "common/record_batch.h"
#include "testdir.h"
#include "worker_proc.h"

#define WAIT_MS 5000

struct wp {
	pid_t pid;
	int fd;
	struct buf in;		  /* holds the payload of the last message read */
	struct ipc_status status; /* last status seen */
	int n_status;
};

static char *dir;

/* Starts the worker on dir with extra flags (NULL-terminated). */
static void wp_start(struct wp *w, const char *const *extra)
{
	/* Test batches carry timestamps from 1970: keep them forever (the
	 * file's default, 7 days, would delete them within a second) unless a
	 * test asks for retention itself. */
	const char *args[40] = {"--topic",   "t", "--partition", "0",	 "--dir",	   dir,
				"--node-id", "3", "--log-level", "warn", "--retention-ms", "-1"};
	int n = 12;
	for (int i = 0; extra && extra[i] && n < 39; i++)
		args[n++] = extra[i];
	memset(w, 0, sizeof(*w));
	buf_init(&w->in);
	w->pid = wproc_spawn(args, &w->fd, NULL);
}

static void wp_send(struct wp *w, const struct ipc_msg *m) { wproc_send(w->fd, m); }

/* Reads the next message that is not a status (statuses are remembered),
 * or the next status when want_status. Returns 1, 0 on EOF, -1 on timeout. */
static int wp_recv_ex(struct wp *w, struct ipc_msg *m, int timeout_ms, int want_status)
{
	int64_t deadline = wproc_now_ms() + timeout_ms;
	for (;;) {
		int r = wproc_recv(w->fd, &w->in, m, deadline);
		if (r != 1)
			return r;
		if (m->type == IPC_STATUS) {
			w->status = m->u.status;
			w->n_status++;
			if (want_status)
				return 1;
			continue;
		}
		return 1;
	}
}

static void wp_recv(struct wp *w, struct ipc_msg *m, enum ipc_type type)
{
	int r = wp_recv_ex(w, m, WAIT_MS, type == IPC_STATUS);
	ck_assert_msg(r == 1, "no message of type %d from the worker (%d)", type, r);
	ck_assert_int_eq(m->type, type);
}

/* Closes the socket (the worker exits on EOF) and reaps it. */
static void wp_stop(struct wp *w)
{
	close(w->fd);
	int st = wproc_wait(w->pid, WAIT_MS);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker exit status %d", st);
	buf_free(&w->in);
}

static void wp_kill(struct wp *w)
{
	wproc_kill(w->pid);
	close(w->fd);
	buf_free(&w->in);
}

static struct ipc_msg produce_msg(uint64_t req_id, const struct buf *records)
{
	struct ipc_msg m = {.type = IPC_PRODUCE};
	m.u.produce = (struct ipc_produce){.req_id = req_id,
					   .acks = -1,
					   .timeout_ms = 5000,
					   .records = records->data,
					   .records_len = (uint32_t)records->len};
	return m;
}

static struct ipc_msg fetch_msg(uint64_t req_id, int64_t offset, int32_t max_wait,
				int32_t min_bytes)
{
	struct ipc_msg m = {.type = IPC_FETCH};
	m.u.fetch = (struct ipc_fetch){.req_id = req_id,
				       .offset = offset,
				       .max_bytes = 1 << 20,
				       .max_wait_ms = max_wait,
				       .min_bytes = min_bytes,
				       .leader_epoch = -1};
	return m;
}

/* Produces one batch of n records and returns its base offset. */
static int64_t produce_one(struct wp *w, uint64_t req_id, int n, int64_t ts, const char *tag)
{
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, n, ts, tag);
	struct ipc_msg m = produce_msg(req_id, &b);
	wp_send(w, &m);
	buf_free(&b);
	wp_recv(w, &m, IPC_PRODUCE_RESULT);
	ck_assert_uint_eq(m.u.produce_result.req_id, req_id);
	ck_assert_int_eq(m.u.produce_result.error, KERR_NONE);
	return m.u.produce_result.base_offset;
}

static void list_offsets(struct wp *w, int64_t ts, int64_t *off, int64_t *ts_out)
{
	struct ipc_msg m = {.type = IPC_LIST_OFFSETS};
	m.u.list_offsets =
	    (struct ipc_list_offsets){.req_id = 77, .timestamp = ts, .leader_epoch = -1};
	wp_send(w, &m);
	wp_recv(w, &m, IPC_LIST_OFFSETS_RESULT);
	ck_assert_uint_eq(m.u.list_offsets_result.req_id, 77);
	ck_assert_int_eq(m.u.list_offsets_result.error, KERR_NONE);
	*off = m.u.list_offsets_result.offset;
	if (ts_out)
		*ts_out = m.u.list_offsets_result.timestamp;
}

/* Counts the records in a fetch result and checks the batches' offsets are
 * contiguous from the first one; returns the count, *first = first base. */
static int count_records(const struct ipc_fetch_result *f, int64_t *first)
{
	struct record_batch_iter it;
	const uint8_t *b;
	size_t bl;
	struct record_batch_header h;
	int n = 0, rc;
	int64_t expect = -1;
	record_batch_iter_init(&it, f->records, f->records_len);
	while ((rc = record_batch_iter_next(&it, &b, &bl, &h)) == 1) {
		if (expect < 0 && first)
			*first = h.base_offset;
		ck_assert(expect < 0 || h.base_offset == expect);
		expect = h.base_offset + h.last_offset_delta + 1;
		n += h.records_count;
	}
	ck_assert_int_eq(rc, 0);
	return n;
}

static void setup(void)
{
	dir = testdir_new("worker");
	ck_assert_ptr_nonnull(dir);
	ck_assert_msg(access(wproc_bin(), X_OK) == 0,
		      "%s is not built (set FJORD_WORKER_BIN or run make all)", wproc_bin());
}

static void teardown(void) { testdir_free(dir); }

START_TEST(help_exits_zero_and_bad_flags_exit_two)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s --help | grep -q SYNOPSIS", wproc_bin());
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s --no-such-flag 2>/dev/null", wproc_bin());
	int st = system(cmd);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 2);
	snprintf(cmd, sizeof(cmd),
		 "%s --ipc-fd 5 --topic t --partition 0 --dir /tmp --node-id 0 2>/dev/null",
		 wproc_bin());
	st = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(st), 2);
}
END_TEST

START_TEST(the_worker_reports_itself_leader_at_start_and_exits_on_eof)
{
	struct wp w;
	wp_start(&w, NULL);
	struct ipc_msg m;
	wp_recv(&w, &m, IPC_STATUS);
	ck_assert_int_eq(m.u.status.role, IPC_ROLE_LEADER);
	ck_assert_uint_ge(m.u.status.term, 1);
	ck_assert_int_eq(m.u.status.leader_node, 3);
	ck_assert_int_eq(m.u.status.high_watermark, 0);
	ck_assert_int_eq(m.u.status.log_start_offset, 0);
	/* And again within about a second. */
	wp_recv(&w, &m, IPC_STATUS);
	ck_assert_int_eq(m.u.status.role, IPC_ROLE_LEADER);
	wp_stop(&w);
}
END_TEST

START_TEST(produce_fetch_and_list_offsets_round_trip)
{
	struct wp w;
	wp_start(&w, NULL);
	/* Three produces in one write: one group commit, answered in order. */
	struct buf recs[3], all;
	buf_init(&all);
	for (int i = 0; i < 3; i++) {
		buf_init(&recs[i]);
		tb_simple_batch(&recs[i], 3 - i, 1000 * (i + 1), "rt");
		struct ipc_msg m = produce_msg(10 + (uint64_t)i, &recs[i]);
		wproc_frame(&all, &m);
	}
	wproc_write_all(w.fd, all.data, all.len);
	const int64_t want_base[3] = {0, 3, 5};
	for (int i = 0; i < 3; i++) {
		struct ipc_msg m;
		wp_recv(&w, &m, IPC_PRODUCE_RESULT);
		ck_assert_uint_eq(m.u.produce_result.req_id, 10 + (uint64_t)i);
		ck_assert_int_eq(m.u.produce_result.error, KERR_NONE);
		ck_assert_int_eq(m.u.produce_result.base_offset, want_base[i]);
		ck_assert_int_eq(m.u.produce_result.log_append_time, -1);
		ck_assert_int_eq(m.u.produce_result.log_start_offset, 0);
		buf_free(&recs[i]);
	}
	buf_free(&all);

	struct ipc_msg m = fetch_msg(20, 0, 0, 1);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_uint_eq(m.u.fetch_result.req_id, 20);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_NONE);
	ck_assert_int_eq(m.u.fetch_result.high_watermark, 6);
	ck_assert_int_eq(m.u.fetch_result.last_stable_offset, 6);
	int64_t first = -1;
	ck_assert_int_eq(count_records(&m.u.fetch_result, &first), 6);
	ck_assert_int_eq(first, 0);

	m = fetch_msg(21, 4, 0, 1); /* inside the second batch */
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(count_records(&m.u.fetch_result, &first), 3);
	ck_assert_int_eq(first, 3);

	m = fetch_msg(22, 6, 0, 1); /* at the high watermark: empty */
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_NONE);
	ck_assert_uint_eq(m.u.fetch_result.records_len, 0);

	m = fetch_msg(23, 7, 0, 1);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_OFFSET_OUT_OF_RANGE);

	int64_t off, ts;
	list_offsets(&w, IPC_TS_EARLIEST, &off, NULL);
	ck_assert_int_eq(off, 0);
	list_offsets(&w, IPC_TS_LATEST, &off, NULL);
	ck_assert_int_eq(off, 6);
	list_offsets(&w, 2000, &off, &ts);
	ck_assert_int_eq(off, 3);
	ck_assert_int_eq(ts, 2000);
	list_offsets(&w, 99999, &off, &ts);
	ck_assert_int_eq(off, -1);
	ck_assert_int_eq(ts, -1);
	wp_stop(&w);
}
END_TEST

START_TEST(a_bad_batch_is_refused_and_nothing_is_stored)
{
	struct wp w;
	wp_start(&w, NULL);
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 2, 0, "bad");
	b.data[b.len - 1] ^= 0x55;
	struct ipc_msg m = produce_msg(1, &b);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_PRODUCE_RESULT);
	ck_assert_int_eq(m.u.produce_result.error, KERR_CORRUPT_MESSAGE);
	ck_assert_int_eq(m.u.produce_result.base_offset, -1);
	buf_reset(&b);
	tb_simple_batch(&b, 2, 0, "magic");
	b.data[RB_OFF_MAGIC] = 1;
	m = produce_msg(2, &b);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_PRODUCE_RESULT);
	ck_assert_int_eq(m.u.produce_result.error, KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);
	buf_free(&b);
	int64_t off;
	list_offsets(&w, IPC_TS_LATEST, &off, NULL);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(produce_one(&w, 3, 2, 0, "good"), 0);
	wp_stop(&w);
}
END_TEST

/* Appends an idempotent batch of 2 records: producer 42, epoch 0, sequence 0. */
static void idem_batch(struct buf *b, const char *tag)
{
	size_t at = tb_simple_batch(b, 2, 0, tag);
	uint8_t *p = b->data + at;
	be64_store(p + RB_OFF_PRODUCER_ID, 42);
	be16_store(p + RB_OFF_PRODUCER_EPOCH, 0);
	be32_store(p + RB_OFF_BASE_SEQUENCE, 0);
	tb_fix_crc(p);
}

START_TEST(a_corrupt_retry_of_an_idempotent_batch_is_corrupt_not_a_duplicate)
{
	struct wp w;
	wp_start(&w, NULL);
	produce_one(&w, 1, 1, 0, "first"); /* offset 0: the batch goes to 1 */
	struct buf b;
	buf_init(&b);
	idem_batch(&b, "idem");
	struct ipc_msg m = produce_msg(2, &b);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_PRODUCE_RESULT);
	ck_assert_int_eq(m.u.produce_result.error, KERR_NONE);
	ck_assert_int_eq(m.u.produce_result.base_offset, 1);
	/* The same header with a damaged record: the CRC no longer matches,
	 * so it is corrupt whatever its sequence says. */
	b.data[b.len - 1] ^= 0x55;
	m = produce_msg(3, &b);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_PRODUCE_RESULT);
	ck_assert_uint_eq(m.u.produce_result.req_id, 3);
	ck_assert_int_eq(m.u.produce_result.error, KERR_CORRUPT_MESSAGE);
	ck_assert_int_eq(m.u.produce_result.base_offset, -1);
	/* The intact retry is still the duplicate it always was. */
	b.data[b.len - 1] ^= 0x55;
	m = produce_msg(4, &b);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_PRODUCE_RESULT);
	ck_assert_int_eq(m.u.produce_result.error, KERR_NONE);
	ck_assert_int_eq(m.u.produce_result.base_offset, 1);
	buf_free(&b);
	int64_t off;
	list_offsets(&w, IPC_TS_LATEST, &off, NULL);
	ck_assert_int_eq(off, 3);
	wp_stop(&w);
}
END_TEST

START_TEST(a_malformed_frame_is_ignored_and_the_worker_keeps_serving)
{
	struct wp w;
	wp_start(&w, NULL);
	const uint8_t junk[] = {0, 0, 0, 5, 0xc1, 0xff, 0x00, 0x93, 0x01};
	wproc_write_all(w.fd, junk, sizeof(junk));
	/* A well-formed message of a type workers do not take. */
	struct ipc_msg m = {.type = IPC_STATUS};
	wp_send(&w, &m);
	m = (struct ipc_msg){.type = IPC_CAMPAIGN};
	wp_send(&w, &m);
	int64_t off;
	list_offsets(&w, IPC_TS_LATEST, &off, NULL);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(produce_one(&w, 1, 1, 0, "after-junk"), 0);
	wp_stop(&w);
}
END_TEST

START_TEST(a_parked_fetch_is_answered_when_data_commits)
{
	struct wp w;
	wp_start(&w, NULL);
	struct ipc_msg m = fetch_msg(5, 0, 10000, 1);
	wp_send(&w, &m);
	/* Nothing yet: the fetch waits. */
	ck_assert_int_eq(wp_recv_ex(&w, &m, 300, 0), -1);
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 4, 0, "wake");
	m = produce_msg(6, &b);
	int64_t t0 = wproc_now_ms();
	wp_send(&w, &m);
	int got_produce = 0, got_fetch = 0;
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(wp_recv_ex(&w, &m, WAIT_MS, 0), 1);
		if (m.type == IPC_PRODUCE_RESULT) {
			ck_assert_uint_eq(m.u.produce_result.req_id, 6);
			got_produce++;
		} else {
			ck_assert_int_eq(m.type, IPC_FETCH_RESULT);
			ck_assert_uint_eq(m.u.fetch_result.req_id, 5);
			ck_assert_int_eq(m.u.fetch_result.high_watermark, 4);
			ck_assert_int_eq(count_records(&m.u.fetch_result, NULL), 4);
			got_fetch++;
		}
	}
	ck_assert_int_eq(got_produce, 1);
	ck_assert_int_eq(got_fetch, 1);
	ck_assert_int_lt(wproc_now_ms() - t0, 2000);
	buf_free(&b);
	wp_stop(&w);
}
END_TEST

START_TEST(a_parked_fetch_answers_empty_when_its_wait_ends_or_it_is_cancelled)
{
	struct wp w;
	wp_start(&w, NULL);
	struct ipc_msg m = fetch_msg(7, 0, 400, 1);
	int64_t t0 = wproc_now_ms();
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	int64_t waited = wproc_now_ms() - t0;
	ck_assert_uint_eq(m.u.fetch_result.req_id, 7);
	ck_assert_uint_eq(m.u.fetch_result.records_len, 0);
	ck_assert_int_ge(waited, 350);
	ck_assert_int_lt(waited, 3000);

	m = fetch_msg(8, 0, 30000, 1);
	wp_send(&w, &m);
	ck_assert_int_eq(wp_recv_ex(&w, &m, 200, 0), -1);
	m = (struct ipc_msg){.type = IPC_FETCH_CANCEL, .u.fetch_cancel.req_id = 8};
	t0 = wproc_now_ms();
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_uint_eq(m.u.fetch_result.req_id, 8);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_NONE);
	ck_assert_uint_eq(m.u.fetch_result.records_len, 0);
	ck_assert_int_lt(wproc_now_ms() - t0, 1000);
	/* Cancelling an answered or unknown fetch does nothing. */
	m = (struct ipc_msg){.type = IPC_FETCH_CANCEL, .u.fetch_cancel.req_id = 8};
	wp_send(&w, &m);
	m.u.fetch_cancel.req_id = 12345;
	wp_send(&w, &m);
	int64_t off;
	list_offsets(&w, IPC_TS_LATEST, &off, NULL);
	ck_assert_int_eq(off, 0);
	wp_stop(&w);
}
END_TEST

START_TEST(stale_or_future_leader_epochs_are_fenced)
{
	struct wp w;
	wp_start(&w, NULL);
	struct ipc_msg m;
	wp_recv(&w, &m, IPC_STATUS);
	int32_t term = (int32_t)m.u.status.term;
	m = fetch_msg(1, 0, 0, 1);
	m.u.fetch.leader_epoch = term;
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_NONE);
	m = fetch_msg(2, 0, 0, 1);
	m.u.fetch.leader_epoch = term - 1;
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_FENCED_LEADER_EPOCH);
	m = fetch_msg(3, 0, 0, 1);
	m.u.fetch.leader_epoch = term + 1;
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_UNKNOWN_LEADER_EPOCH);
	wp_stop(&w);
}
END_TEST

START_TEST(every_acknowledged_record_survives_sigkill_and_restart)
{
	struct wp w;
	wp_start(&w, NULL);
	struct ipc_msg m;
	wp_recv(&w, &m, IPC_STATUS);
	uint64_t term1 = m.u.status.term;
	/* Bursts of produces, each burst one write, all acknowledged. */
	int total = 0;
	uint64_t req = 100;
	for (int burst = 0; burst < 10; burst++) {
		struct buf all;
		buf_init(&all);
		int n_req = 1 + burst % 4;
		for (int i = 0; i < n_req; i++) {
			struct buf b;
			buf_init(&b);
			tb_simple_batch(&b, 5, 0, "acked");
			m = produce_msg(req + (uint64_t)i, &b);
			wproc_frame(&all, &m);
			buf_free(&b);
		}
		wproc_write_all(w.fd, all.data, all.len);
		buf_free(&all);
		for (int i = 0; i < n_req; i++) {
			wp_recv(&w, &m, IPC_PRODUCE_RESULT);
			ck_assert_int_eq(m.u.produce_result.error, KERR_NONE);
			ck_assert_int_eq(m.u.produce_result.base_offset, total);
			total += 5;
		}
		req += (uint64_t)n_req;
	}
	/* Unacknowledged writes in flight at the kill may or may not land. */
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 5, 0, "in-flight");
	m = produce_msg(999, &b);
	wp_send(&w, &m);
	buf_free(&b);
	wp_kill(&w);

	wp_start(&w, NULL);
	wp_recv(&w, &m, IPC_STATUS);
	ck_assert_uint_gt(m.u.status.term, term1);
	ck_assert_int_ge(m.u.status.high_watermark, total);
	int64_t hwm = m.u.status.high_watermark;
	ck_assert(hwm == total || hwm == total + 5);
	m = fetch_msg(1, 0, 0, 1);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	int64_t first = -1;
	ck_assert_int_eq(count_records(&m.u.fetch_result, &first), hwm);
	ck_assert_int_eq(first, 0);
	/* Offsets continue, and new batches carry the new leader epoch. */
	ck_assert_int_eq(produce_one(&w, 2, 1, 0, "next"), hwm);
	m = fetch_msg(3, hwm, 0, 1);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	struct record_batch_header h;
	size_t bl;
	ck_assert_int_eq(
	    record_batch_validate(m.u.fetch_result.records, m.u.fetch_result.records_len, &h, &bl),
	    0);
	ck_assert_int_eq(h.base_offset, hwm);
	ck_assert_int_eq(h.leader_epoch, (int32_t)w.status.term);
	wp_stop(&w);
}
END_TEST

START_TEST(a_full_store_answers_storage_error_and_keeps_serving)
{
	const char *flags[] = {"--map-size-mb", "1", "--sync", "never", NULL};
	struct wp w;
	wp_start(&w, flags);
	static char value[60000];
	memset(value, 'v', sizeof(value) - 1);
	struct tb_rec rec = {.value = value};
	int ok = 0, full = 0;
	for (uint64_t i = 0; i < 60 && !full; i++) {
		struct buf b;
		buf_init(&b);
		tb_batch(&b, 0, &rec, 1);
		struct ipc_msg m = produce_msg(i, &b);
		wp_send(&w, &m);
		buf_free(&b);
		wp_recv(&w, &m, IPC_PRODUCE_RESULT);
		if (m.u.produce_result.error == KERR_NONE)
			ok++;
		else if (m.u.produce_result.error == KERR_KAFKA_STORAGE_ERROR)
			full = 1;
		else
			ck_abort_msg("unexpected error %d", m.u.produce_result.error);
	}
	ck_assert_int_eq(full, 1);
	ck_assert_int_gt(ok, 3);
	int64_t off;
	list_offsets(&w, IPC_TS_LATEST, &off, NULL);
	ck_assert_int_eq(off, ok);
	/* Reads still work, and a result over 64 KiB frames correctly. */
	struct ipc_msg m = fetch_msg(1, 0, 0, 1);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_NONE);
	ck_assert_uint_gt(m.u.fetch_result.records_len, 65536);
	ck_assert_int_eq(count_records(&m.u.fetch_result, NULL), ok);
	/* Small writes may still find room; either way the answer comes. */
	struct buf b;
	buf_init(&b);
	tb_simple_batch(&b, 1, 0, "tiny");
	m = produce_msg(500, &b);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_PRODUCE_RESULT);
	ck_assert(m.u.produce_result.error == KERR_NONE ||
		  m.u.produce_result.error == KERR_KAFKA_STORAGE_ERROR);
	buf_free(&b);
	/* A restart on the full store still starts a new term and serves. */
	uint64_t term = w.status.term;
	wp_kill(&w);
	wp_start(&w, flags);
	wp_recv(&w, &m, IPC_STATUS);
	ck_assert_uint_eq(m.u.status.term, term + 1);
	ck_assert_int_ge(m.u.status.high_watermark, ok);
	list_offsets(&w, IPC_TS_EARLIEST, &off, NULL);
	ck_assert_int_eq(off, 0);
	wp_stop(&w);
}
END_TEST

/* True while the worker runs (it has not exited). */
static bool wp_alive(struct wp *w)
{
	int st;
	return waitpid(w->pid, &st, WNOHANG) == 0;
}

/* Mounts a tmpfs of size_mb at path in a mount namespace of this test
 * process alone (the worker it starts inherits it; it vanishes with them,
 * whatever the test's outcome). Returns false when that is not allowed. */
static bool private_tmpfs(const char *path, int size_mb)
{
	char opts[32];
	snprintf(opts, sizeof(opts), "size=%dm", size_mb);
	if (mkdir(path, 0755) != 0 || unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", path, "tmpfs", 0, opts) != 0) {
		printf("SKIP: a_full_filesystem_...: cannot mount a tmpfs (%s); needs root\n",
		       strerror(errno));
		return false;
	}
	return true;
}

/* A small filesystem fills before the store's map: LMDB's short writes
 * come back as EIO. The worker must wait for room (retriable errors), not
 * exit, also when it restarts on the full filesystem. */
START_TEST(a_full_filesystem_is_waited_out_and_never_crashes_the_worker)
{
	char mnt[512], data[600], filler[600];
	snprintf(mnt, sizeof(mnt), "%s/fs", dir);
	if (!private_tmpfs(mnt, 8))
		return;
	snprintf(data, sizeof(data), "%s/data", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	ck_assert_int_eq(mkdir(data, 0755), 0);
	/* Room to give back later. */
	FILE *f = fopen(filler, "w");
	ck_assert_ptr_nonnull(f);
	static char block[1 << 20];
	memset(block, 'f', sizeof(block));
	ck_assert_uint_eq(fwrite(block, 1, sizeof(block), f), sizeof(block));
	ck_assert_int_eq(fclose(f), 0);

	char *saved = dir;
	dir = data;
	struct wp w;
	wp_start(&w, NULL);
	static char value[100000];
	memset(value, 'v', sizeof(value) - 1);
	struct tb_rec rec = {.value = value};
	int ok = 0, full = 0;
	for (uint64_t i = 0; i < 200 && !full; i++) {
		struct buf b;
		buf_init(&b);
		tb_batch(&b, 0, &rec, 1);
		struct ipc_msg m = produce_msg(i, &b);
		wp_send(&w, &m);
		buf_free(&b);
		wp_recv(&w, &m, IPC_PRODUCE_RESULT);
		if (m.u.produce_result.error == KERR_NONE)
			ok++;
		else if (m.u.produce_result.error == KERR_KAFKA_STORAGE_ERROR)
			full = 1;
		else
			ck_abort_msg("unexpected error %d", m.u.produce_result.error);
	}
	ck_assert_int_eq(full, 1);
	ck_assert_int_gt(ok, 10);
	usleep(300 * 1000);
	ck_assert_msg(wp_alive(&w), "the worker exited on a full filesystem");

	/* Restarted on the full filesystem, it comes up and stays up. */
	wp_kill(&w);
	wp_start(&w, NULL);
	struct ipc_msg m;
	wp_recv(&w, &m, IPC_STATUS);
	/* Four times what just failed to fit (what little the partial write
	 * took may be reused, not more). */
	static char big[400000];
	memset(big, 'w', sizeof(big) - 1);
	struct tb_rec big_rec = {.value = big};
	struct buf b;
	buf_init(&b);
	tb_batch(&b, 0, &big_rec, 1);
	for (int k = 0; k < 3; k++) {
		usleep(400 * 1000);
		m = produce_msg(900 + (uint64_t)k, &b);
		wp_send(&w, &m);
		wp_recv(&w, &m, IPC_PRODUCE_RESULT);
		ck_assert_msg(m.u.produce_result.error == KERR_KAFKA_STORAGE_ERROR ||
				  m.u.produce_result.error == KERR_NOT_LEADER_OR_FOLLOWER,
			      "produce on a full filesystem: error %d", m.u.produce_result.error);
		ck_assert_msg(wp_alive(&w),
			      "the worker exited after a restart on a full filesystem");
	}
	/* Room returns: the waiting write lands, and produce works again. */
	ck_assert_int_eq(unlink(filler), 0);
	int64_t off = -1;
	for (int k = 0; k < 50 && off < 0; k++) {
		usleep(100 * 1000);
		m = produce_msg(1000 + (uint64_t)k, &b);
		wp_send(&w, &m);
		wp_recv(&w, &m, IPC_PRODUCE_RESULT);
		if (m.u.produce_result.error == KERR_NONE)
			off = m.u.produce_result.base_offset;
	}
	/* After the acknowledged ones; the batch that got the storage error
	 * may have landed meanwhile (a retriable error promises no more). */
	ck_assert_msg(off == ok || off == ok + 1, "offset %lld after %d acknowledged",
		      (long long)off, ok);
	int64_t end;
	list_offsets(&w, IPC_TS_LATEST, &end, NULL);
	ck_assert_int_eq(end, off + 1);
	buf_free(&b);
	wp_stop(&w);
	dir = saved;
	umount2(mnt, MNT_DETACH);
}
END_TEST

START_TEST(retention_moves_the_log_start_past_old_batches)
{
	const char *flags[] = {"--retention-ms", "60000", NULL};
	struct wp w;
	wp_start(&w, flags);
	produce_one(&w, 1, 3, 1000, "ancient"); /* timestamps from 1970 */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ms = (int64_t)now.tv_sec * 1000;
	produce_one(&w, 2, 2, now_ms, "fresh");
	/* The status tick applies retention and reports the new start: every
	 * second while the group is awake, every IPC_STATUS_QUIET_MS once it is
	 * quiet (a group of one is quiet as soon as its writes commit). */
	struct ipc_msg m;
	int64_t deadline = wproc_now_ms() + 2 * IPC_STATUS_QUIET_MS + 5000;
	while (w.status.log_start_offset != 3 && wproc_now_ms() < deadline)
		wp_recv_ex(&w, &m, 500, 1);
	ck_assert_int_eq(w.status.log_start_offset, 3);
	int64_t off;
	list_offsets(&w, IPC_TS_EARLIEST, &off, NULL);
	ck_assert_int_eq(off, 3);
	m = fetch_msg(9, 0, 0, 1);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_OFFSET_OUT_OF_RANGE);
	ck_assert_int_eq(m.u.fetch_result.log_start_offset, 3);
	wp_stop(&w);
}
END_TEST

static struct ipc_delete_records_result delete_records(struct wp *w, uint64_t req_id,
						       int64_t offset)
{
	struct ipc_msg m = {.type = IPC_DELETE_RECORDS};
	m.u.delete_records =
	    (struct ipc_delete_records){.req_id = req_id, .offset = offset, .timeout_ms = 5000};
	wp_send(w, &m);
	wp_recv(w, &m, IPC_DELETE_RECORDS_RESULT);
	ck_assert_uint_eq(m.u.delete_records_result.req_id, req_id);
	return m.u.delete_records_result;
}

START_TEST(delete_records_moves_the_log_start_through_raft_and_survives_a_restart)
{
	struct wp w;
	wp_start(&w, NULL);
	produce_one(&w, 1, 3, 1000, "a"); /* 0..2 */
	produce_one(&w, 2, 3, 1000, "b"); /* 3..5 */
	struct ipc_delete_records_result r = delete_records(&w, 3, 7);
	ck_assert_int_eq(r.error, KERR_OFFSET_OUT_OF_RANGE);
	ck_assert_int_eq(r.low_watermark, -1);
	r = delete_records(&w, 4, 4);
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.low_watermark, 4);
	r = delete_records(&w, 5, 2); /* below the start: nothing to do */
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.low_watermark, 4);
	int64_t off;
	list_offsets(&w, IPC_TS_EARLIEST, &off, NULL);
	ck_assert_int_eq(off, 4);
	struct ipc_msg m = fetch_msg(9, 3, 0, 1);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_OFFSET_OUT_OF_RANGE);
	ck_assert_int_eq(m.u.fetch_result.log_start_offset, 4);
	m = fetch_msg(10, 4, 0, 1);
	wp_send(&w, &m);
	wp_recv(&w, &m, IPC_FETCH_RESULT);
	ck_assert_int_eq(m.u.fetch_result.error, KERR_NONE);
	int64_t first = -1;
	ck_assert_int_eq(count_records(&m.u.fetch_result, &first), 3);
	ck_assert_int_eq(first, 3); /* the batch holding 4 */
	wp_stop(&w);
	/* Restarted, it keeps the start. */
	wp_start(&w, NULL);
	list_offsets(&w, IPC_TS_EARLIEST, &off, NULL);
	ck_assert_int_eq(off, 4);
	r = delete_records(&w, 6, -1); /* the high watermark */
	ck_assert_int_eq(r.error, KERR_NONE);
	ck_assert_int_eq(r.low_watermark, 6);
	wp_stop(&w);
}
END_TEST

START_TEST(a_supervisor_that_stops_reading_pauses_requests_without_losing_any)
{
	struct wp w;
	wp_start(&w, NULL);
	static char value[50000];
	memset(value, 'p', sizeof(value) - 1);
	struct tb_rec rec = {.value = value};
	for (uint64_t i = 0; i < 20; i++) {
		struct buf b;
		buf_init(&b);
		tb_batch(&b, 0, &rec, 1);
		struct ipc_msg m = produce_msg(i, &b);
		wp_send(&w, &m);
		buf_free(&b);
		wp_recv(&w, &m, IPC_PRODUCE_RESULT);
		ck_assert_int_eq(m.u.produce_result.error, KERR_NONE);
	}
	/* 100 fetches of ~1 MB each, written at once and not read: the
	 * answers pile up past the worker's high watermark. */
	struct buf all;
	buf_init(&all);
	for (uint64_t i = 0; i < 100; i++) {
		struct ipc_msg m = fetch_msg(1000 + i, 0, 0, 1);
		wproc_frame(&all, &m);
	}
	wproc_write_all(w.fd, all.data, all.len);
	buf_free(&all);
	usleep(300000);
	for (uint64_t i = 0; i < 100; i++) {
		struct ipc_msg m;
		wp_recv(&w, &m, IPC_FETCH_RESULT);
		ck_assert_uint_eq(m.u.fetch_result.req_id, 1000 + i);
		ck_assert_int_eq(count_records(&m.u.fetch_result, NULL), 20);
	}
	int64_t off;
	list_offsets(&w, IPC_TS_LATEST, &off, NULL);
	ck_assert_int_eq(off, 20);
	wp_stop(&w);
}
END_TEST

static Suite *worker_process_suite(void)
{
	Suite *s = suite_create("worker_process");
	TCase *tc = tcase_create("process");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, help_exits_zero_and_bad_flags_exit_two);
	tcase_add_test(tc, the_worker_reports_itself_leader_at_start_and_exits_on_eof);
	tcase_add_test(tc, produce_fetch_and_list_offsets_round_trip);
	tcase_add_test(tc, a_bad_batch_is_refused_and_nothing_is_stored);
	tcase_add_test(tc, a_corrupt_retry_of_an_idempotent_batch_is_corrupt_not_a_duplicate);
	tcase_add_test(tc, a_malformed_frame_is_ignored_and_the_worker_keeps_serving);
	tcase_add_test(tc, a_parked_fetch_is_answered_when_data_commits);
	tcase_add_test(tc, a_parked_fetch_answers_empty_when_its_wait_ends_or_it_is_cancelled);
	tcase_add_test(tc, stale_or_future_leader_epochs_are_fenced);
	tcase_add_test(tc, every_acknowledged_record_survives_sigkill_and_restart);
	tcase_add_test(tc, a_full_store_answers_storage_error_and_keeps_serving);
	tcase_add_test(tc, a_full_filesystem_is_waited_out_and_never_crashes_the_worker);
	tcase_add_test(tc, retention_moves_the_log_start_past_old_batches);
	tcase_add_test(tc, a_supervisor_that_stops_reading_pauses_requests_without_losing_any);
	tcase_add_test(tc, delete_records_moves_the_log_start_through_raft_and_survives_a_restart);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(worker_process_suite)
