/* spawn.h - starting one fjord-worker process, and the restart backoff.
 *
 * spawn_start() does socketpair + fork + exec with the worker CLI of the
 * design contract; the backoff and exit-status helpers are pure so the
 * restart schedule can be unit-tested without processes. */
#ifndef FJORD_SUP_SPAWN_H
#define FJORD_SUP_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"

/* How much nicer than the supervisor workers run (spawn.c). */
#define SPAWN_WORKER_NICE 5

/* Room for a group of 64 members (one --peer ID=HOST:PORT per other one). */
#define SPAWN_MAX_ARGS 256

/* argv for one worker. argv[] points into storage; argv[n] is NULL. */
struct spawn_argv {
	char *argv[SPAWN_MAX_ARGS];
	int n;
	char storage[2 * CONFIG_PATH_MAX + 65536];
};

/* A group's members, given by the caller instead of the placement (the
 * controller's group: its voters and, on the other nodes, learners).
 * Arrays are borrowed for the call. */
struct spawn_members {
	const int32_t *voters; /* preferred leader first; at least one */
	int n_voters;
	const int32_t *learners; /* non-voting members; NULL when n_learners is 0 */
	int n_learners;
};

/* Builds the worker command line:
 *   <worker_path> --ipc-fd FD --topic NAME --partition P
 *       --dir <data_dir>/<topic>-<partition>
 *       then, for every key of common/config_keys.c with a worker flag, in
 *       table order, "--flag VALUE" (--node-id, --log-level, --sync,
 *       --map-size-mb, the [raft] keys, --cluster, and the topic's
 *       --retention-ms, --retention-bytes, --max-message-bytes)
 * and, when the config has a [cluster] section (conn_fd >= 0):
 *       --conn-fd FD --replicas ID,ID,... [--peer ID=HOST:PORT]...
 * --replicas is the placement of (topic, partition), preferred leader
 * first; there is one --peer (its raft address) per replica on another
 * node. Without [cluster] the node is a one-node cluster and the worker
 * gets none of these (single-replica mode, as before clustering).
 * worker_path is c->node.worker_path, which the caller must have resolved
 * (non-empty). Topic settings come from t (already merged with globals).
 * Returns 0 or ERR_TOOBIG if a path or the peer list does not fit. */
int spawn_build_argv(const struct config *c, const struct config_topic *t, int32_t partition,
		     int ipc_fd, int conn_fd, struct spawn_argv *out);

/* The same with the group's members given by m (NULL: the placement, as
 * spawn_build_argv): --replicas m->voters, then --learners m->learners
 * when there are any, and one --peer per member on another node (voters
 * first). This node must be one of them (the worker refuses otherwise).
 * Returns 0, ERR_TOOBIG, or ERR_INVALID (no voter, learners NULL). */
int spawn_build_argv_members(const struct config *c, const struct config_topic *t,
			     int32_t partition, const struct spawn_members *m, int ipc_fd,
			     int conn_fd, struct spawn_argv *out);

/* Writes "<data_dir>/<topic>-<partition>" into out. Returns 0 or ERR_TOOBIG. */
int spawn_worker_dir(const struct config *c, const char *topic, int32_t partition, char *out,
		     size_t out_len);

/* Starts a worker: creates the data directory's parent (data_dir) if
 * missing, a SOCK_STREAM socketpair for ipc and, with [cluster], a
 * SOCK_SEQPACKET socketpair for handing over peer connections (fdpass.h),
 * both with their supervisor end close-on-exec and non-blocking, forks, and
 * execs the argv above in the child (with default signal dispositions and
 * an empty signal mask, except SIGPIPE which stays ignored). On success
 * returns 0 with *pid, *fd (the supervisor's ipc end) and *conn_fd (the
 * supervisor's hand-off end, or -1 without [cluster]); the caller closes
 * both. Returns ERR_IO (errno kept) if socketpair or fork fails.
 * An exec failure shows up later as the child exiting with status 127. */
int spawn_start(const struct config *c, const struct config_topic *t, int32_t partition, pid_t *pid,
		int *fd, int *conn_fd);

/* spawn_start with the members given by m (spawn_build_argv_members);
 * NULL = the placement. Same results, and ERR_INVALID for a bad m. */
int spawn_start_members(const struct config *c, const struct config_topic *t, int32_t partition,
			const struct spawn_members *m, pid_t *pid, int *fd, int *conn_fd);

/* Restart backoff: 100 ms doubling to 30 s, back to 100 ms once a worker
 * has run for 60 s. Times are milliseconds on a monotonic clock. */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000
#define BACKOFF_HEALTHY_MS 60000

struct backoff {
	int64_t next_ms;    /* delay to use at the next exit */
	int64_t started_ms; /* when the current run began */
};

void backoff_init(struct backoff *b);
/* The worker (re)started at now_ms. */
void backoff_started(struct backoff *b, int64_t now_ms);
/* The worker exited at now_ms: returns how long to wait before restarting
 * it and advances the schedule. */
int64_t backoff_exited(struct backoff *b, int64_t now_ms);

/* Describes a waitpid status: "exited with status 3", "killed by signal 9
 * (Killed)", "... (core dumped)". Returns out. */
const char *spawn_exit_str(int status, char *out, size_t out_len);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t spawn_now_ms(void);

#endif
