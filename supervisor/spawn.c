/* spawn.c - socketpair, fork and exec of one fjord-worker; restart backoff.
 *
 * The worker's configuration travels on its command line, one flag per key
 * of the table in common/config_keys.c, which the worker parses with the
 * same table. Why argv and not a config message over the socketpair: the
 * worker needs sync and map_size_mb before its event loop (and its end of
 * the socketpair) is running, ps shows what a worker runs with, and tests
 * start a worker without a supervisor. Keys that apply live follow later
 * as IPC_CONFIG messages (supervisor/reload.c).
 *
 * Only async-signal-safe calls happen between fork and exec: the argv is
 * built before forking. The child keeps stdin/stdout/stderr (so worker logs
 * go where the supervisor's go) and its end of the socketpair; everything
 * else the supervisor opens is close-on-exec.
 *
 * Workers run SPAWN_WORKER_NICE steps nicer than their supervisor: among
 * themselves nothing changes, but when a thousand of them are runnable at
 * once (a node start, a failover storm) the supervisor, which answers
 * every Kafka request, still gets the CPU within milliseconds. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/config_keys.h"
#include "common/err.h"
#include "supervisor/cluster.h"

int spawn_worker_dir(const struct config *c, const char *topic, int32_t partition, char *out,
		     size_t out_len)
{
	int n = snprintf(out, out_len, "%s/%s-%d", c->node.data_dir, topic, (int)partition);
	return (n < 0 || (size_t)n >= out_len) ? ERR_TOOBIG : 0;
}

/* Appends one argument to a (copied into its storage). */
static int add(struct spawn_argv *a, size_t *used, const char *s)
{
	size_t len = strlen(s) + 1;
	if (a->n + 1 >= SPAWN_MAX_ARGS || *used + len > sizeof(a->storage))
		return ERR_TOOBIG;
	char *dst = a->storage + *used;
	memcpy(dst, s, len);
	*used += len;
	a->argv[a->n++] = dst;
	a->argv[a->n] = NULL;
	return 0;
}

static int add_int(struct spawn_argv *a, size_t *used, const char *flag, long long v)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", v);
	int rc = add(a, used, flag);
	return rc ? rc : add(a, used, num);
}

/* "ID,ID,..." of ids[0..n) as one argument after flag. */
static int add_id_list(struct spawn_argv *out, size_t *used, const char *flag, const int32_t *ids,
		       int n)
{
	char list[16 * 1024];
	size_t len = 0;
	list[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(list + len, sizeof(list) - len, "%s%d", i ? "," : "", (int)ids[i]);
		if (w < 0 || (size_t)w >= sizeof(list) - len)
			return ERR_TOOBIG;
		len += (size_t)w;
	}
	int rc = add(out, used, flag);
	return rc ? rc : add(out, used, list);
}

/* One --peer per member of ids[0..n) on another node. */
static int add_peers(const struct config *c, const int32_t *ids, int n, struct spawn_argv *out,
		     size_t *used)
{
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		const struct config_peer *p = config_peer_find(c, ids[i]);
		if (p == NULL || p->id == c->node.id)
			continue;
		char addr[CONFIG_HOST_MAX + 16], arg[CONFIG_HOST_MAX + 32];
		snprintf(arg, sizeof(arg), "%d=%s", (int)p->id,
			 config_addr_str(&p->raft, addr, sizeof(addr)));
		rc = add(out, used, "--peer");
		rc = rc ? rc : add(out, used, arg);
	}
	return rc;
}

/* --conn-fd, --replicas, --learners (when any) and one --peer per other
 * member. */
static int add_cluster_lists(const struct config *c, const struct spawn_members *m, int conn_fd,
			     struct spawn_argv *out, size_t *used)
{
	int rc = add_int(out, used, "--conn-fd", conn_fd);
	rc = rc ? rc : add_id_list(out, used, "--replicas", m->voters, m->n_voters);
	if (m->n_learners > 0)
		rc = rc ? rc : add_id_list(out, used, "--learners", m->learners, m->n_learners);
	rc = rc ? rc : add_peers(c, m->voters, m->n_voters, out, used);
	rc = rc ? rc : add_peers(c, m->learners, m->n_learners, out, used);
	return rc;
}

/* One flag per key of the table that the worker needs, in table order,
 * with the value from c (global keys) or t (the topic's effective
 * settings). Formatted by the table, parsed back by the worker with it. */
static int add_config_flags(const struct config *c, const struct config_topic *t,
			    struct spawn_argv *out, size_t *used)
{
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->flag == NULL)
			continue;
		char v[CONFIG_PATH_MAX];
		const void *base = config_key_is_topic(k) ? (const void *)t : (const void *)c;
		int rc = config_key_format(k, base, v, sizeof(v));
		rc = rc ? rc : add(out, used, k->flag);
		rc = rc ? rc : add(out, used, v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The cluster flags of spawn_build_argv: the given members, or the
 * placement's replicas as voters. */
static int add_cluster(const struct config *c, const struct config_topic *t, int32_t partition,
		       const struct spawn_members *m, int conn_fd, struct spawn_argv *out,
		       size_t *used)
{
	if (m != NULL)
		return add_cluster_lists(c, m, conn_fd, out, used);
	int32_t small[16];
	int32_t *reps = c->n_peers <= 16 ? small : malloc((size_t)c->n_peers * sizeof(*reps));
	if (reps == NULL)
		return ERR_NOMEM;
	struct spawn_members placed = {.voters = reps,
				       .n_voters = cluster_replicas(c, t, partition, reps)};
	int rc = add_cluster_lists(c, &placed, conn_fd, out, used);
	if (reps != small)
		free(reps);
	return rc;
}

int spawn_build_argv(const struct config *c, const struct config_topic *t, int32_t partition,
		     int ipc_fd, int conn_fd, struct spawn_argv *out)
{
	return spawn_build_argv_members(c, t, partition, NULL, ipc_fd, conn_fd, out);
}

int spawn_build_argv_members(const struct config *c, const struct config_topic *t,
			     int32_t partition, const struct spawn_members *m, int ipc_fd,
			     int conn_fd, struct spawn_argv *out)
{
	if (m != NULL &&
	    (m->n_voters < 1 || m->n_learners < 0 || (m->n_learners > 0 && m->learners == NULL)))
		return ERR_INVALID;
	size_t used = 0;
	char dir[CONFIG_PATH_MAX];
	int rc = spawn_worker_dir(c, t->name, partition, dir, sizeof(dir));
	out->n = 0;
	out->argv[0] = NULL;
	rc = rc ? rc : add(out, &used, c->node.worker_path);
	rc = rc ? rc : add_int(out, &used, "--ipc-fd", ipc_fd);
	rc = rc ? rc : add(out, &used, "--topic");
	rc = rc ? rc : add(out, &used, t->name);
	rc = rc ? rc : add_int(out, &used, "--partition", partition);
	rc = rc ? rc : add(out, &used, "--dir");
	rc = rc ? rc : add(out, &used, dir);
	rc = rc ? rc : add_config_flags(c, t, out, &used);
	if (rc == 0 && c->n_peers > 0 && conn_fd >= 0)
		rc = add_cluster(c, t, partition, m, conn_fd, out, &used);
	return rc;
}

/* mkdir -p: creates path and its missing parents. Returns 0 or ERR_IO. */
static int mkdir_p(const char *path)
{
	char tmp[CONFIG_PATH_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s", path);
	if (n <= 0 || (size_t)n >= sizeof(tmp))
		return ERR_IO;
	for (char *q = tmp + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return ERR_IO;
		*q = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return ERR_IO;
	return 0;
}

/* A socketpair whose first end (the supervisor's) is close-on-exec and
 * non-blocking. The second end must survive exec; it is closed in the
 * parent right after fork so no later child inherits it. */
static int pair(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type, 0, sv) != 0)
		return ERR_IO;
	if (fcntl(sv[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) != 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return ERR_IO;
	}
	return 0;
}

static void close_pair(int sv[2])
{
	int e = errno;
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	errno = e;
}

int spawn_start(const struct config *c, const struct config_topic *t, int32_t partition, pid_t *pid,
		int *fd, int *conn_fd)
{
	return spawn_start_members(c, t, partition, NULL, pid, fd, conn_fd);
}

int spawn_start_members(const struct config *c, const struct config_topic *t, int32_t partition,
			const struct spawn_members *m, pid_t *pid, int *fd, int *conn_fd)
{
	int sv[2] = {-1, -1}, cv[2] = {-1, -1};
	struct spawn_argv a;

	/* The worker creates its own directory; its parent must exist. */
	if (mkdir_p(c->node.data_dir) != 0)
		return ERR_IO;
	if (pair(SOCK_STREAM, sv) != 0)
		return ERR_IO;
	if (c->n_peers > 0 && pair(SOCK_SEQPACKET, cv) != 0) {
		close_pair(sv);
		return ERR_IO;
	}
	int rc = spawn_build_argv_members(c, t, partition, m, sv[1], cv[1], &a);
	if (rc != 0) {
		close_pair(sv);
		close_pair(cv);
		return rc;
	}
	/* Every signal stays blocked across the fork until the child has put
	 * the default handlers back. Until then the child runs libevent's
	 * handler, which writes the signal into the socketpair it shares with
	 * the parent: a SIGTERM meant for a worker stopped right after its
	 * start would stop the whole supervisor. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t p = fork();
	if (p < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL); /* keeps errno */
		close_pair(sv);
		close_pair(cv);
		return ERR_IO;
	}
	if (p == 0) {
		/* Child: undo what the supervisor's event loop set up, then
		 * take the signals that waited (a SIGTERM now ends it). */
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE)
				signal(sig, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(sv[0]);
		if (cv[0] >= 0)
			close(cv[0]);
		/* A failure (already at the limit) leaves the priority as is. */
		int ignored = nice(SPAWN_WORKER_NICE);
		(void)ignored;
		execv(a.argv[0], a.argv);
		/* Only async-signal-safe calls here. */
		static const char msg[] = "fjord-supervisor: exec of fjord-worker failed\n";
		ssize_t w = write(2, msg, sizeof(msg) - 1);
		(void)w;
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (cv[1] >= 0)
		close(cv[1]);
	*pid = p;
	*fd = sv[0];
	*conn_fd = cv[0];
	return 0;
}

void backoff_init(struct backoff *b)
{
	b->next_ms = BACKOFF_MIN_MS;
	b->started_ms = 0;
}

void backoff_started(struct backoff *b, int64_t now_ms) { b->started_ms = now_ms; }

int64_t backoff_exited(struct backoff *b, int64_t now_ms)
{
	if (now_ms - b->started_ms >= BACKOFF_HEALTHY_MS)
		b->next_ms = BACKOFF_MIN_MS;
	int64_t delay = b->next_ms;
	b->next_ms = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	return delay;
}

const char *spawn_exit_str(int status, char *out, size_t out_len)
{
	if (WIFEXITED(status))
		snprintf(out, out_len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, out_len, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(out, out_len, "stopped with wait status 0x%x", (unsigned)status);
	return out;
}

int64_t spawn_now_ms(void) { return clock_mono_ms(); }
