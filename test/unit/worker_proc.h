/* worker_proc.h - real fjord-worker processes for unit suites: spawn one
 * on a socketpair, speak framed ipc to it, wait for it, stop it.
 *
 * Test-only helper, linked into every unit-test binary. The suites play the
 * supervisor; what they keep per worker (statuses, results) stays theirs.
 * Every wait is bounded; every failure fails the calling test. */
#ifndef FJORD_TEST_WORKER_PROC_H
#define FJORD_TEST_WORKER_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;
struct ipc_msg;

/* The worker binary: $FJORD_WORKER_BIN, else bin/fjord-worker. */
const char *wproc_bin(void);

/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
int64_t wproc_now_ms(void);

/* Fork+execs the worker with `--ipc-fd N` (its end of a fresh stream
 * socketpair), then `--conn-fd M` (its end of a fresh seqpacket pair) when
 * conn is not NULL, then args (NULL-terminated, at most 60, borrowed). Sets
 * *ipc and *conn to our ends (blocking, close-on-exec). Returns the pid. */
pid_t wproc_spawn(const char *const *args, int *ipc, int *conn);

/* Writes all n bytes of p to fd (blocking). */
void wproc_write_all(int fd, const void *p, size_t n);

/* Appends m to out as one frame (4-byte length, msgpack). */
void wproc_frame(struct buf *out, const struct ipc_msg *m);

/* Sends m to fd as one frame. */
void wproc_send(int fd, const struct ipc_msg *m);

/* Reads exactly n bytes from fd before deadline (wproc_now_ms time).
 * Returns 1, 0 on EOF, -1 on timeout. */
int wproc_read_full(int fd, uint8_t *p, size_t n, int64_t deadline);

/* Reads one frame from fd into in (reset first) and decodes it into m,
 * which borrows from in. Returns 1, 0 on EOF, -1 on timeout. */
int wproc_recv(int fd, struct buf *in, struct ipc_msg *m, int64_t deadline);

/* Waits up to timeout_ms for pid to exit and returns its wait status; past
 * that, kills and reaps it and fails the test. */
int wproc_wait(pid_t pid, int timeout_ms);

/* SIGKILLs pid and reaps it. */
void wproc_kill(pid_t pid);

#endif
