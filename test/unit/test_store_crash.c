/* test_store_crash.c - the store survives SIGKILL at random points.
 *
 * A child process appends entries in group commits of random size (sync =
 * always), now and then truncating a suffix under a new term or compacting
 * the front, and writes the hard state in every batch. After each commit
 * returns it reports (last index, term) to the parent through a pipe. The
 * parent kills it with SIGKILL at a random moment, drains the reports that
 * made it into the pipe, reopens the store and checks: the log is gap-free,
 * every payload's checksum and embedded index/term are intact, terms never
 * decrease, the offsets index matches the log exactly, the hard state is
 * intact, and everything the child reported as committed is there. Several
 * rounds continue the same store. The seed is printed on failure and can be
 * replayed with FJORD_CRASH_SEED. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/crc32c.h"
#include "common/err.h"
#include "testdir.h"
#include "worker/store.h"

#define ROUNDS 30
#define PAYLOAD_HEADER 28 /* crc u32, index u64, term u64, base u64 */
#define OFFSET_STRIDE 1000

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static int64_t base_of(uint64_t index) { return (int64_t)(index * OFFSET_STRIDE); }

static uint64_t vote_of(uint64_t term) { return term * 31 + 7; }

static size_t make_payload(uint8_t *p, uint64_t index, uint64_t term, uint64_t *rng)
{
	size_t len = PAYLOAD_HEADER + rng_next(rng) % 3000;
	be64_store(p + 4, index);
	be64_store(p + 12, term);
	be64_store(p + 20, (uint64_t)base_of(index));
	for (size_t i = PAYLOAD_HEADER; i < len; i++)
		p[i] = (uint8_t)rng_next(rng);
	be32_store(p, crc32c(0, p + 4, len - 4));
	return len;
}

/* The child: appends forever, reporting each commit. Never returns. */
static void child_run(const char *dir, uint64_t seed, int report_fd)
{
	struct store *s;
	struct store_options o = {.map_size = 256u << 20, .sync = true};
	if (store_open(dir, &o, &s) != 0)
		_exit(3);
	uint64_t rng = seed | 1;
	static uint8_t payloads[24][PAYLOAD_HEADER + 3000];
	struct store_hard_state hs;
	store_hard_state(s, &hs);
	uint64_t term = hs.term ? hs.term : 1;
	for (;;) {
		uint64_t last = store_last_index(s);
		uint64_t first = store_first_index(s);
		uint64_t start = last + 1;
		size_t n = 1 + rng_next(&rng) % 20;
		if (rng_next(&rng) % 8 == 0 && last >= first + 2) {
			/* New leader: rewrite the last two entries, and always add
			 * enough that the log grows (so "last index" only rises). */
			term++;
			start = last - 1;
			n = 3 + rng_next(&rng) % 18;
		}
		struct store_entry e[24];
		for (size_t i = 0; i < n; i++) {
			uint64_t idx = start + i;
			e[i] = (struct store_entry){
			    .index = idx,
			    .term = term,
			    .kind = STORE_KIND_DATA,
			    .base_offset = base_of(idx),
			    .data = payloads[i],
			    .len = make_payload(payloads[i], idx, term, &rng),
			};
		}
		hs = (struct store_hard_state){
		    .term = term, .vote = vote_of(term), .commit = start + n - 1};
		if (store_txn_begin(s) != 0 || store_append(s, e, n) != 0 ||
		    store_set_hard_state(s, &hs) != 0 || store_txn_commit(s) != 0)
			_exit(4);
		uint8_t rep[16];
		be64_store(rep, start + n - 1);
		be64_store(rep + 8, term);
		if (write(report_fd, rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(5);
		last = store_last_index(s);
		if (rng_next(&rng) % 10 == 0 && last > first + 50) {
			uint64_t upto = first + 10;
			if (store_compact(s, upto, base_of(upto + 1)) != 0)
				_exit(6);
		}
	}
}

struct verify {
	uint64_t expect; /* next index */
	uint64_t prev_term;
	uint64_t max_term;
	int err;
	char what[160];
};

static int verify_cb(void *ctx, const struct store_entry *e)
{
	struct verify *v = ctx;
	const uint8_t *p = e->data;
	if (e->index != v->expect)
		snprintf(v->what, sizeof(v->what), "gap: got %llu want %llu",
			 (unsigned long long)e->index, (unsigned long long)v->expect);
	else if (e->len < PAYLOAD_HEADER || be32_load(p) != crc32c(0, p + 4, e->len - 4))
		snprintf(v->what, sizeof(v->what), "entry %llu: payload checksum",
			 (unsigned long long)e->index);
	else if (be64_load(p + 4) != e->index || be64_load(p + 12) != e->term)
		snprintf(v->what, sizeof(v->what), "entry %llu: holds index %llu term %llu",
			 (unsigned long long)e->index, (unsigned long long)be64_load(p + 4),
			 (unsigned long long)be64_load(p + 12));
	else if (e->term < v->prev_term || e->term > v->max_term)
		snprintf(v->what, sizeof(v->what), "entry %llu: term %llu out of order",
			 (unsigned long long)e->index, (unsigned long long)e->term);
	else {
		v->expect++;
		v->prev_term = e->term;
		return 0;
	}
	v->err = 1;
	return ERR_CORRUPT;
}

static void verify_store(const char *dir, uint64_t rep_idx, uint64_t rep_term, uint64_t seed)
{
	struct store *s;
	struct store_options o = {.map_size = 256u << 20, .sync = true};
	ck_assert_msg(store_open(dir, &o, &s) == 0, "seed %llu: reopen", (unsigned long long)seed);

	struct store_hard_state hs;
	store_hard_state(s, &hs);
	if (hs.term == 0 && hs.vote == 0) {
		/* Killed before its first commit ever: nothing may be missing. */
		ck_assert_msg(rep_idx == 0 && store_last_index(s) == 0,
			      "seed %llu: no hard state, but reported %llu and last %llu",
			      (unsigned long long)seed, (unsigned long long)rep_idx,
			      (unsigned long long)store_last_index(s));
		store_close(s);
		return;
	}
	ck_assert_msg(hs.vote == vote_of(hs.term), "seed %llu: hard state torn (%llu, %llu)",
		      (unsigned long long)seed, (unsigned long long)hs.term,
		      (unsigned long long)hs.vote);
	ck_assert_msg(hs.term >= rep_term, "seed %llu: hard state term went back",
		      (unsigned long long)seed);

	uint64_t first = store_first_index(s), last = store_last_index(s);
	/* Written in the same transaction as the entries: always the last. */
	ck_assert_msg(hs.commit == last, "seed %llu: hard state commit %llu, last index %llu",
		      (unsigned long long)seed, (unsigned long long)hs.commit,
		      (unsigned long long)last);
	ck_assert_msg(last >= rep_idx, "seed %llu: last index %llu < reported %llu",
		      (unsigned long long)seed, (unsigned long long)last,
		      (unsigned long long)rep_idx);
	if (rep_idx >= first) {
		uint64_t t = 0;
		ck_assert_int_eq(store_term(s, rep_idx, &t), 0);
		ck_assert_msg(t >= rep_term, "seed %llu: acknowledged entry %llu lost its term",
			      (unsigned long long)seed, (unsigned long long)rep_idx);
	}

	struct store_log_start ls;
	store_log_start(s, &ls);
	ck_assert_uint_eq(ls.index + 1, first);
	if (ls.index > 0)
		ck_assert_int_eq(ls.kafka_offset, base_of(ls.index + 1));

	struct verify v = {.expect = first, .max_term = hs.term};
	int rc = store_scan(s, first, UINT64_MAX, verify_cb, &v);
	ck_assert_msg(rc == 0 && !v.err, "seed %llu: %s (rc %d)", (unsigned long long)seed,
		      v.err ? v.what : "scan failed", rc);
	ck_assert_uint_eq(v.expect, last + 1);

	/* offsets: one row per entry, nothing before, between or after. */
	int64_t base;
	uint64_t idx;
	if (first <= last) {
		ck_assert_int_eq(store_offset_floor(s, base_of(first) - 1, &base, &idx),
				 ERR_NOTFOUND);
		for (uint64_t i = first; i <= last; i++) {
			ck_assert_int_eq(
			    store_offset_floor(s, base_of(i) + OFFSET_STRIDE - 1, &base, &idx), 0);
			ck_assert_msg(base == base_of(i) && idx == i,
				      "seed %llu: offsets row for entry %llu is (%lld, %llu)",
				      (unsigned long long)seed, (unsigned long long)i,
				      (long long)base, (unsigned long long)idx);
		}
		ck_assert_int_eq(store_offset_last(s, UINT64_MAX, &base, &idx), 0);
		ck_assert_uint_eq(idx, last);
	} else {
		ck_assert_int_eq(store_offset_last(s, UINT64_MAX, &base, &idx), ERR_NOTFOUND);
	}
	store_close(s);
}

/* Reads one 16-byte report, waiting at most timeout_ms. 1 = got one,
 * 0 = EOF, -1 = timeout. */
static int read_report(int fd, uint8_t *rep, int timeout_ms)
{
	size_t got = 0;
	while (got < 16) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int pr = poll(&pfd, 1, timeout_ms);
		if (pr == 0)
			return -1;
		if (pr < 0 && errno == EINTR)
			continue;
		ssize_t r = read(fd, rep + got, 16 - got);
		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		got += (size_t)r;
	}
	return 1;
}

START_TEST(the_store_keeps_every_acknowledged_batch_across_sigkill)
{
	const char *env = getenv("FJORD_CRASH_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) * 2654435761u;
	fprintf(stderr, "store crash test: seed %llu\n", (unsigned long long)seed);
	uint64_t rng = seed | 1;
	char *dir = testdir_new("crash");
	ck_assert_ptr_nonnull(dir);
	uint64_t rep_idx = 0, rep_term = 0;
	int total_reports = 0;

	for (int round = 0; round < ROUNDS; round++) {
		int pfd[2];
		ck_assert_int_eq(pipe(pfd), 0);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(pfd[0]);
			child_run(dir, rng_next(&rng), pfd[1]);
		}
		rng_next(&rng); /* the parent's stream stays in step */
		close(pfd[1]);

		/* Let it commit a random number of batches, then kill it at a
		 * random moment in the middle of whatever it is doing. */
		int target = (int)(rng_next(&rng) % 60);
		uint8_t rep[16];
		for (int i = 0; i < target; i++) {
			/* Generous: fsyncs can crawl on a busy machine. */
			int r = read_report(pfd[0], rep, 30000);
			if (r != 1) {
				int st = 0;
				pid_t done = waitpid(pid, &st, WNOHANG);
				if (done != pid)
					kill(pid, SIGKILL);
				ck_abort_msg("seed %llu: child stopped reporting in round %d "
					     "(%s, exit status %d)",
					     (unsigned long long)seed, round,
					     r == 0 ? "pipe closed" : "timeout",
					     done == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			}
			rep_idx = be64_load(rep);
			rep_term = be64_load(rep + 8);
			total_reports++;
		}
		usleep((useconds_t)(rng_next(&rng) % 4000));
		kill(pid, SIGKILL);
		int st;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
			      "seed %llu: child exited on its own (status %d)",
			      (unsigned long long)seed, st);
		/* Reports that reached the pipe before the kill are commits too. */
		while (read_report(pfd[0], rep, 1000) == 1) {
			rep_idx = be64_load(rep);
			rep_term = be64_load(rep + 8);
			total_reports++;
		}
		close(pfd[0]);
		verify_store(dir, rep_idx, rep_term, seed);
	}
	ck_assert_int_gt(total_reports, 0);
	fprintf(stderr, "store crash test: %d rounds, %d acknowledged batches, last index %llu\n",
		ROUNDS, total_reports, (unsigned long long)rep_idx);
	testdir_free(dir);
}
END_TEST

static Suite *store_crash_suite(void)
{
	Suite *s = suite_create("store_crash");
	TCase *tc = tcase_create("crash");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, the_store_keeps_every_acknowledged_batch_across_sigkill);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(store_crash_suite)
