/* worker_proc.c - real fjord-worker processes for unit suites
 * (worker_proc.h). Nothing here knows a suite's topics or flags beyond
 * the fds it hands over. */
#include "worker_proc.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/ipc.h"

#define MAX_ARGS 60

const char *wproc_bin(void)
{
	const char *b = getenv("FJORD_WORKER_BIN");
	return b && *b ? b : "bin/fjord-worker";
}

int64_t wproc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pid_t wproc_spawn(const char *const *args, int *ipc, int *conn)
{
	int sv[2], cv[2] = {-1, -1};
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (conn != NULL)
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cv), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* dup: the copies the worker keeps lose CLOEXEC */
		char a_ipc[16], a_conn[16];
		snprintf(a_ipc, sizeof(a_ipc), "%d", dup(sv[1]));
		const char *argv[MAX_ARGS + 6] = {wproc_bin(), "--ipc-fd", a_ipc};
		int n = 3;
		if (conn != NULL) {
			snprintf(a_conn, sizeof(a_conn), "%d", dup(cv[1]));
			argv[n++] = "--conn-fd";
			argv[n++] = a_conn;
		}
		for (int i = 0; args && args[i] && i < MAX_ARGS; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		execv(argv[0], (char **)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	*ipc = sv[0];
	if (conn != NULL) {
		close(cv[1]);
		*conn = cv[0];
	}
	return pid;
}

void wproc_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *s = p;
	while (n > 0) {
		ssize_t r = write(fd, s, n);
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(r, 0);
		s += r;
		n -= (size_t)r;
	}
}

void wproc_frame(struct buf *out, const struct ipc_msg *m)
{
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(ipc_encode(m, &b), 0);
	buf_put_u32(out, (uint32_t)b.len);
	buf_put(out, b.data, b.len);
	buf_free(&b);
}

void wproc_send(int fd, const struct ipc_msg *m)
{
	struct buf b;
	buf_init(&b);
	wproc_frame(&b, m);
	wproc_write_all(fd, b.data, b.len);
	buf_free(&b);
}

int wproc_read_full(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		int left = (int)(deadline - wproc_now_ms());
		if (left <= 0)
			return -1;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int pr = poll(&pfd, 1, left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		p += r;
		n -= (size_t)r;
	}
	return 1;
}

int wproc_recv(int fd, struct buf *in, struct ipc_msg *m, int64_t deadline)
{
	uint8_t hdr[4];
	int r = wproc_read_full(fd, hdr, 4, deadline);
	if (r != 1)
		return r;
	uint32_t len = be32_load(hdr);
	buf_reset(in);
	uint8_t *p = buf_extend(in, len);
	ck_assert(p != NULL || len == 0);
	r = wproc_read_full(fd, p, len, deadline);
	if (r != 1)
		return r;
	ck_assert_int_eq(ipc_decode(in->data, in->len, m), 0);
	return 1;
}

int wproc_wait(pid_t pid, int timeout_ms)
{
	int64_t deadline = wproc_now_ms() + timeout_ms;
	int st = 0;
	while (wproc_now_ms() < deadline) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	wproc_kill(pid);
	ck_abort_msg("worker %d did not exit in time", (int)pid);
	return st;
}

void wproc_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
