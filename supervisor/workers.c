/* workers.c - the table of hosted partition replicas and their processes:
 * start, notice exits (SIGCHLD), restart with backoff, stop.
 *
 * Entries live for the life of the process (partitions only grow), so
 * other modules may keep `struct worker *` pointers. Lookups by
 * (topic, partition) go through an open-addressing hash index because every
 * forwarded request does one per partition. */
#include "workers.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/catalog.h"
#include "common/err.h"
#include "common/fnv.h"
#include "common/kafka/kerr.h"
#include "common/log.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/worker_link.h"

#define SWEEP_INTERVAL_MS 250
#define STOP_ESCALATE_MS 10000 /* SIGKILL a worker that ignores SIGTERM this long */

struct workers {
	struct sup *sup;
	struct worker **v;
	int n, cap;
	int *index;	  /* slots: -1 empty, else position in v */
	size_t index_cap; /* power of two, > 2 * n */
	struct event *sigchld_ev;
	struct event *sweep_ev;
	struct worker *startq_head, *startq_tail; /* workers_start_queued */
};

const char *worker_state_name(enum worker_state st)
{
	switch (st) {
	case WORKER_STARTING:
		return "starting";
	case WORKER_SERVING:
		return "serving";
	case WORKER_WAITING:
		return "waiting";
	case WORKER_STOPPING:
		return "stopping";
	}
	return "?";
}

static int index_insert(int *index, size_t cap, struct worker *w, int pos)
{
	size_t mask = cap - 1;
	size_t i = fnv_partition_key(w->topic, strlen(w->topic), w->partition) & mask;
	while (index[i] >= 0)
		i = (i + 1) & mask;
	index[i] = pos;
	return 0;
}

static int index_grow(struct workers *ws)
{
	size_t cap = ws->index_cap ? ws->index_cap * 2 : 64;
	int *index = malloc(cap * sizeof(*index));
	if (index == NULL)
		return ERR_NOMEM;
	memset(index, 0xff, cap * sizeof(*index)); /* all -1 */
	for (int i = 0; i < ws->n; i++)
		index_insert(index, cap, ws->v[i], i);
	free(ws->index);
	ws->index = index;
	ws->index_cap = cap;
	return 0;
}

struct worker *workers_find(struct workers *ws, const char *name, size_t len, int32_t partition)
{
	if (ws->index_cap == 0)
		return NULL;
	size_t mask = ws->index_cap - 1;
	size_t i = fnv_partition_key(name, len, partition) & mask;
	while (ws->index[i] >= 0) {
		struct worker *w = ws->v[ws->index[i]];
		if (w->partition == partition && strlen(w->topic) == len &&
		    memcmp(w->topic, name, len) == 0)
			return w;
		i = (i + 1) & mask;
	}
	return NULL;
}

int workers_count(const struct workers *ws) { return ws->n; }
struct worker *workers_at(struct workers *ws, int i) { return ws->v[i]; }

static void on_restart_timer(evutil_socket_t fd, short what, void *arg);
static void on_link_status(struct worker *w, const struct ipc_status *st);
static void on_link_closed(struct worker *w);

static void on_link_catalog(struct worker *w, const struct ipc_catalog *c)
{
	if (strcmp(w->topic, CATALOG_TOPIC) == 0)
		sup_notify_catalog(w->table->sup, c->data, c->len);
}

/* w led term and leads no more (it died, or resigned): the peers' followers
 * take over at once (fast failover). Not while this node stops or w's topic
 * goes away: nobody should campaign for those. */
static void leader_gone(struct worker *w, uint64_t term)
{
	if (!w->table->sup->stopping && !w->retired)
		sup_notify_leader_died(w->table->sup, w->topic, w->partition, term);
}

/* A leader that cannot write is as good as dead to its group, though w
 * stays up and waits for space. */
static void on_link_resigned(struct worker *w, uint64_t term)
{
	log_warn("worker %s/%d: stepped down as leader of term %llu, its store is full; telling "
		 "the peers, whose followers take over",
		 w->topic, (int)w->partition, (unsigned long long)term);
	leader_gone(w, term);
}

static const struct link_observer link_obs = {on_link_status, on_link_closed, on_link_catalog,
					      on_link_resigned};

struct worker *workers_ensure(struct workers *ws, const char *topic, int32_t partition,
			      bool *created)
{
	*created = false;
	struct worker *w = workers_find(ws, topic, strlen(topic), partition);
	if (w != NULL)
		return w;
	if ((size_t)(ws->n + 1) * 2 > ws->index_cap && index_grow(ws) != 0)
		return NULL;
	if (ws->n == ws->cap) {
		int cap = ws->cap ? ws->cap * 2 : 16;
		struct worker **v = realloc(ws->v, (size_t)cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		ws->v = v;
		ws->cap = cap;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	snprintf(w->topic, sizeof(w->topic), "%s", topic);
	w->partition = partition;
	w->state = WORKER_WAITING;
	w->conn_fd = -1;
	w->table = ws;
	backoff_init(&w->backoff);
	settle_init(&w->balance);
	buf_init(&w->rx);
	w->restart_ev = evtimer_new(ws->sup->base, on_restart_timer, w);
	if (w->restart_ev == NULL) {
		free(w);
		return NULL;
	}
	ws->v[ws->n] = w;
	index_insert(ws->index, ws->index_cap, w, ws->n);
	ws->n++;
	*created = true;
	return w;
}

static void close_conn(struct worker *w)
{
	if (w->conn_fd >= 0) {
		close(w->conn_fd);
		w->conn_fd = -1;
	}
}

static void arm_timer(struct worker *w, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
	evtimer_add(w->restart_ev, &tv);
}

/* Removes a replica's data directory (LMDB's two files and the id
 * marker; nothing below it). */
static void wipe_dir(struct sup *s, struct worker *w)
{
	char dir[CONFIG_PATH_MAX];
	if (spawn_worker_dir(s->cfg, w->topic, w->partition, dir, sizeof(dir)) != 0)
		return;
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	if (rmdir(dir) != 0)
		log_warn("worker %s/%d: cannot remove %s: %s", w->topic, (int)w->partition, dir,
			 strerror(errno));
	else
		log_info("worker %s/%d: removed %s (%d files)", w->topic, (int)w->partition, dir,
			 n);
}

#define ID_MARKER "topic_id"

/* With the catalog, a replica's directory carries the topic id it belongs
 * to: a directory of another id (a topic deleted and re-created while this
 * node was away) is removed before the worker starts, so the new topic
 * starts empty; one without a marker (written before the catalog) is
 * adopted as it is. Returns 0 or ERR_IO. */
static int prepare_dir(struct sup *s, struct worker *w)
{
	if (!w->has_id)
		return 0;
	char dir[CONFIG_PATH_MAX], path[CONFIG_PATH_MAX + 16], want[32], have[32] = "";
	if (spawn_worker_dir(s->cfg, w->topic, w->partition, dir, sizeof(dir)) != 0)
		return ERR_IO;
	catalog_id_str(w->topic_id, want, sizeof(want));
	snprintf(path, sizeof(path), "%s/%s", dir, ID_MARKER);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, have, sizeof(have) - 1);
		close(fd);
		have[n > 0 ? n : 0] = '\0';
		if (strcmp(have, want) == 0)
			return 0;
		log_warn("worker %s/%d: %s holds topic id %s, the topic is now %s: starting empty",
			 w->topic, (int)w->partition, dir, have, want);
		wipe_dir(s, w);
	}
	if (mkdir(s->cfg->node.data_dir, 0755) != 0 && errno != EEXIST)
		return ERR_IO;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return ERR_IO;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return ERR_IO;
	ssize_t n = write(fd, want, strlen(want));
	int rc = (n == (ssize_t)strlen(want) && fsync(fd) == 0) ? 0 : ERR_IO;
	close(fd);
	return rc;
}

void workers_start(struct workers *ws, struct worker *w)
{
	struct sup *s = ws->sup;
	const struct config_topic *t = topics_find(s, w->topic, strlen(w->topic));
	evtimer_del(w->restart_ev);
	if (w->retired)
		return;
	if (t == NULL || w->partition >= t->partitions) {
		/* Reload and the catalog keep every partition a topic has, so
		 * this would be a bug; do not spin on it. */
		log_error("worker %s/%d: not in the configuration, not starting", w->topic,
			  (int)w->partition);
		return;
	}
	pid_t pid;
	int fd, conn_fd;
	int32_t reps[TOPICS_REPS_MAX], learners[TOPICS_CTL_MEMBERS_MAX];
	struct spawn_members m = {.voters = reps, .learners = learners};
	m.n_voters = topics_replicas(s, t, w->partition, reps);
	/* The controller's group also has a learner on every other node:
	 * voters and learners alike start with both lists. */
	if (t == &s->ctl_topic)
		m.n_learners = topics_controller_learners(s->cfg, learners);
	int rc = prepare_dir(s, w);
	if (rc == 0)
		rc = spawn_start_members(s->cfg, t, w->partition, &m, &pid, &fd, &conn_fd);
	if (rc != 0) {
		int64_t delay = backoff_exited(&w->backoff, spawn_now_ms());
		log_error("worker %s/%d: cannot start %s: %s; retrying in %lld ms", w->topic,
			  (int)w->partition, s->cfg->node.worker_path,
			  rc == ERR_IO ? strerror(errno) : err_str(rc), (long long)delay);
		w->state = WORKER_WAITING;
		arm_timer(w, delay);
		return;
	}
	w->pid = pid;
	w->run_cfg = *t;
	w->started_ms = spawn_now_ms();
	backoff_started(&w->backoff, w->started_ms);
	w->state = WORKER_STARTING;
	w->status_this_run = false;
	close_conn(w);
	w->conn_fd = conn_fd;
	if (link_open(w, s->base, fd, &link_obs) != 0) {
		log_error("worker %s/%d: out of memory opening its channel; killing pid %d",
			  w->topic, (int)w->partition, (int)pid);
		close(fd);
		close_conn(w);
		kill(pid, SIGKILL);
		return;
	}
	log_info("worker %s/%d: started pid %d", w->topic, (int)w->partition, (int)pid);
}

/* Starts queued workers while fewer than WORKERS_MAX_STARTING are starting.
 * Counts by a scan of the table, only when the queue is not empty. */
static void pump_starts(struct workers *ws)
{
	if (ws->startq_head == NULL || ws->sup->stopping)
		return;
	int64_t now = spawn_now_ms();
	int starting = 0;
	for (int i = 0; i < ws->n; i++) {
		const struct worker *w = ws->v[i];
		starting += w->state == WORKER_STARTING && w->pid != 0 &&
			    now - w->started_ms < WORKERS_START_SLOW_MS;
	}
	while (ws->startq_head != NULL && starting < WORKERS_MAX_STARTING) {
		struct worker *w = ws->startq_head;
		ws->startq_head = w->start_next;
		if (ws->startq_head == NULL)
			ws->startq_tail = NULL;
		w->start_next = NULL;
		w->start_queued = false;
		/* Started meanwhile by a restart or a reload: nothing to do. */
		if (w->state != WORKER_WAITING || w->pid != 0)
			continue;
		workers_start(ws, w);
		starting++;
	}
}

void workers_start_queued(struct workers *ws, struct worker *w)
{
	if (w->start_queued || w->pid != 0)
		return;
	w->state = WORKER_WAITING;
	w->start_queued = true;
	w->start_next = NULL;
	if (ws->startq_tail)
		ws->startq_tail->start_next = w;
	else
		ws->startq_head = w;
	ws->startq_tail = w;
	pump_starts(ws);
}

void workers_restart(struct workers *ws, struct worker *w)
{
	if (w->pid == 0) {
		workers_start(ws, w);
		return;
	}
	log_info("worker %s/%d: restarting pid %d to apply new settings", w->topic,
		 (int)w->partition, (int)w->pid);
	w->respawn_now = true;
	w->state = WORKER_STOPPING;
	link_close(w, KERR_NOT_LEADER_OR_FOLLOWER);
	kill(w->pid, SIGTERM);
	arm_timer(w, STOP_ESCALATE_MS);
}

void workers_retire(struct workers *ws, struct worker *w)
{
	if (w->retired && w->pid != 0)
		return;
	w->retired = true;
	w->revive = false;
	evtimer_del(w->restart_ev);
	if (w->pid == 0) {
		w->state = WORKER_WAITING;
		wipe_dir(ws->sup, w);
		return;
	}
	log_info("worker %s/%d: stopping pid %d: the replica is no longer here", w->topic,
		 (int)w->partition, (int)w->pid);
	if (w->state == WORKER_SERVING)
		sup_notify_local_changed(ws->sup);
	w->state = WORKER_STOPPING;
	w->respawn_now = false;
	link_close(w, KERR_NOT_LEADER_OR_FOLLOWER);
	kill(w->pid, SIGTERM);
	arm_timer(w, STOP_ESCALATE_MS);
}

static void on_restart_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	if (w->table->sup->stopping)
		return;
	if (w->state == WORKER_STOPPING && w->pid != 0) {
		log_warn("worker %s/%d: pid %d ignored SIGTERM for %d ms; sending SIGKILL",
			 w->topic, (int)w->partition, (int)w->pid, STOP_ESCALATE_MS);
		kill(w->pid, SIGKILL);
		return;
	}
	if (w->pid == 0 && !w->retired)
		workers_start(w->table, w);
}

static void on_link_status(struct worker *w, const struct ipc_status *st)
{
	const struct ipc_status *old = &w->status;
	/* What the peers' LEADERS tables carry; anything else waits for the
	 * once-a-second table. */
	bool changed = !w->status_this_run || w->state != WORKER_SERVING || old->role != st->role ||
		       old->term != st->term || old->leader_node != st->leader_node ||
		       old->caught_up != st->caught_up;
	w->status = *st;
	w->has_status = true;
	w->status_this_run = true;
	if (changed)
		sup_notify_local_changed(w->table->sup);
	if (w->state == WORKER_STARTING) {
		w->state = WORKER_SERVING;
		log_info("worker %s/%d: pid %d is serving (term %llu, role %d)", w->topic,
			 (int)w->partition, (int)w->pid, (unsigned long long)st->term, st->role);
		pump_starts(w->table);
	}
}

static void on_link_closed(struct worker *w)
{
	if (w->state == WORKER_STOPPING || w->pid == 0)
		return;
	/* The worker closed its end: it is exiting or broken. Either way it
	 * cannot serve; make sure it goes away so SIGCHLD restarts it. Signals
	 * to a process that already exited (a zombie) are harmless and do not
	 * change its exit status. */
	log_debug("worker %s/%d: pid %d closed its channel", w->topic, (int)w->partition,
		  (int)w->pid);
	if (w->state == WORKER_SERVING)
		sup_notify_local_changed(w->table->sup);
	w->state = WORKER_STARTING;
	kill(w->pid, SIGTERM);
}

static struct worker *find_pid(struct workers *ws, pid_t pid)
{
	for (int i = 0; i < ws->n; i++)
		if (ws->v[i]->pid == pid)
			return ws->v[i];
	return NULL;
}

static void handle_exit(struct workers *ws, struct worker *w, int status)
{
	char why[128];
	spawn_exit_str(status, why, sizeof(why));
	pid_t pid = w->pid;
	/* Judged on this run's last status: the link may already have closed
	 * (EOF often arrives before SIGCHLD), but the role it reported stands. */
	bool led = w->status_this_run && w->status.role == IPC_ROLE_LEADER;
	w->pid = 0;
	w->status_this_run = false;
	close_conn(w);
	link_close(w, KERR_NOT_LEADER_OR_FOLLOWER);
	evtimer_del(w->restart_ev);
	if (w->state != WORKER_WAITING)
		sup_notify_local_changed(ws->sup);
	if (led)
		leader_gone(w, w->status.term);
	if (ws->sup->stopping) {
		log_info("worker %s/%d: pid %d %s", w->topic, (int)w->partition, (int)pid, why);
		return;
	}
	if (w->retired) {
		log_info("worker %s/%d: pid %d %s", w->topic, (int)w->partition, (int)pid, why);
		w->state = WORKER_WAITING;
		wipe_dir(ws->sup, w);
		if (w->revive) {
			w->revive = false;
			w->retired = false;
			workers_start(ws, w);
		}
		return;
	}
	if (w->respawn_now) {
		w->respawn_now = false;
		log_info("worker %s/%d: pid %d %s; starting it with the new settings", w->topic,
			 (int)w->partition, (int)pid, why);
		workers_start(ws, w);
		return;
	}
	w->restarts++;
	int64_t delay = backoff_exited(&w->backoff, spawn_now_ms());
	log_warn("worker %s/%d: pid %d %s; restart %llu in %lld ms", w->topic, (int)w->partition,
		 (int)pid, why, (unsigned long long)w->restarts, (long long)delay);
	w->state = WORKER_WAITING;
	arm_timer(w, delay);
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct workers *ws = arg;
	int status;
	pid_t pid;
	/* One SIGCHLD may stand for several exits: reap until none is left. */
	for (int guard = 0; guard < 100000; guard++) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		struct worker *w = find_pid(ws, pid);
		if (w != NULL)
			handle_exit(ws, w, status);
	}
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct workers *ws = arg;
	int64_t now = spawn_now_ms();
	int64_t silent = ws->sup->cfg->kafka.partition_timeout_ms;
	for (int i = 0; i < ws->n; i++) {
		struct worker *w = ws->v[i];
		if (w->n_pending > 0)
			link_sweep(w, now, silent);
		/* A leader sends a status at least every IPC_STATUS_QUIET_MS, even
		 * quiet. Past that and the silence bound it is stalled; a quiet
		 * group's followers run no election timer, so tell them (once
		 * per silence; its next frame clears it, worker_link.c). */
		if (w->bev != NULL && w->status.role == IPC_ROLE_LEADER && !w->silent_leader_told &&
		    now - w->last_rx_ms > IPC_STATUS_QUIET_MS + silent) {
			w->silent_leader_told = true;
			sup_notify_leader_silent(ws->sup, w->topic, w->partition, w->status.term);
		}
	}
	pump_starts(ws); /* a slow starter stops counting after a while */
}

struct workers *workers_new(struct sup *s)
{
	struct workers *ws = calloc(1, sizeof(*ws));
	if (ws == NULL)
		return NULL;
	ws->sup = s;
	ws->sigchld_ev = evsignal_new(s->base, SIGCHLD, on_sigchld, ws);
	ws->sweep_ev = event_new(s->base, -1, EV_PERSIST, on_sweep, ws);
	struct timeval tv = {0, SWEEP_INTERVAL_MS * 1000};
	if (ws->sigchld_ev == NULL || ws->sweep_ev == NULL ||
	    evsignal_add(ws->sigchld_ev, NULL) != 0 || event_add(ws->sweep_ev, &tv) != 0) {
		workers_free(ws);
		return NULL;
	}
	return ws;
}

void workers_free(struct workers *ws)
{
	if (ws == NULL)
		return;
	for (int i = 0; i < ws->n; i++) {
		struct worker *w = ws->v[i];
		link_discard(w);
		close_conn(w);
		event_free(w->restart_ev);
		buf_free(&w->rx);
		free(w->group_report);
		free(w);
	}
	if (ws->sigchld_ev)
		event_free(ws->sigchld_ev);
	if (ws->sweep_ev)
		event_free(ws->sweep_ev);
	free(ws->v);
	free(ws->index);
	free(ws);
}

static int count_running(struct workers *ws)
{
	int n = 0;
	for (int i = 0; i < ws->n; i++)
		n += ws->v[i]->pid != 0;
	return n;
}

static void reap_nohang(struct workers *ws)
{
	int status;
	pid_t pid;
	for (int guard = 0; guard < 100000; guard++) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		struct worker *w = find_pid(ws, pid);
		if (w != NULL)
			handle_exit(ws, w, status);
	}
}

void workers_stop_all(struct workers *ws, int timeout_ms)
{
	ws->sup->stopping = true;
	for (int i = 0; i < ws->n; i++) {
		struct worker *w = ws->v[i];
		evtimer_del(w->restart_ev);
		link_close(w, KERR_NOT_LEADER_OR_FOLLOWER);
		if (w->pid != 0) {
			w->state = WORKER_STOPPING;
			kill(w->pid, SIGTERM);
		}
	}
	int64_t deadline = spawn_now_ms() + timeout_ms;
	struct timespec nap = {0, 10 * 1000 * 1000};
	while (count_running(ws) > 0 && spawn_now_ms() < deadline) {
		reap_nohang(ws);
		if (count_running(ws) > 0)
			nanosleep(&nap, NULL);
	}
	if (count_running(ws) == 0)
		return;
	for (int i = 0; i < ws->n; i++) {
		struct worker *w = ws->v[i];
		if (w->pid != 0) {
			log_warn("worker %s/%d: pid %d still running after %d ms; sending SIGKILL",
				 w->topic, (int)w->partition, (int)w->pid, timeout_ms);
			kill(w->pid, SIGKILL);
		}
	}
	/* SIGKILL cannot be ignored, but a process stuck in the kernel can
	 * take a moment to go; still bound the wait. */
	deadline = spawn_now_ms() + 5000;
	while (count_running(ws) > 0 && spawn_now_ms() < deadline) {
		reap_nohang(ws);
		if (count_running(ws) > 0)
			nanosleep(&nap, NULL);
	}
}
