/* workers.h - the table of partition replicas hosted on this node and the
 * life cycle of their fjord-worker processes.
 *
 * A worker entry is created once per (topic, partition) and never removed;
 * its process may come and go. States: STARTING (process running, no status
 * yet), SERVING (first IPC_STATUS arrived), WAITING (exited, restart timer
 * armed), STOPPING (SIGTERM sent on purpose). Only SERVING workers get
 * requests. Exits are noticed through SIGCHLD (a libevent signal event) and
 * waitpid(WNOHANG) in a loop. With [cluster], entries exist only for the
 * replicas placed on this node, and a leader's unexpected exit is told to
 * the peers at once (sup_notify_leader_died, which peers.c observes) for
 * fast failover. */
#ifndef FJORD_SUP_WORKERS_H
#define FJORD_SUP_WORKERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/ipc.h"
#include "supervisor/spawn.h"
#include "supervisor/worker.h"

struct sup;
struct event;
struct workers;

/* Creates an empty table for s (borrowed; must outlive the table) and
 * installs the SIGCHLD event. Returns NULL on allocation failure. */
struct workers *workers_new(struct sup *s);
/* Frees the table and entries (processes must have been stopped). */
void workers_free(struct workers *ws);

/* Returns the entry for (topic, partition), creating it (not started) when
 * missing; *created tells which. NULL on allocation failure. */
struct worker *workers_ensure(struct workers *ws, const char *topic, int32_t partition,
			      bool *created);

/* Finds an entry; name is len bytes, not NUL-terminated. NULL if absent. */
struct worker *workers_find(struct workers *ws, const char *name, size_t len, int32_t partition);

int workers_count(const struct workers *ws);
struct worker *workers_at(struct workers *ws, int i);

/* Starts w's process now with the current config. On failure the error is
 * logged and a restart is scheduled with backoff. */
void workers_start(struct workers *ws, struct worker *w);

/* Starting many workers at once (a node start, a reload that adds
 * topics): w joins a queue, and at most WORKERS_MAX_STARTING workers are
 * starting at any time (spawned, no status yet; one starting for longer
 * than WORKERS_START_SLOW_MS stops counting), so that a thousand workers do
 * not all open their stores, dial their peers and run their first election
 * in the same instant while the front end and the workers already serving
 * wait for the CPU. The pace is the machine's: the next one starts when one
 * reports its first status. */
#define WORKERS_MAX_STARTING 16
#define WORKERS_START_SLOW_MS 2000
void workers_start_queued(struct workers *ws, struct worker *w);

/* Stops w with SIGTERM and starts it again as soon as it exited, without
 * backoff and without counting a restart (used when its settings change). */
void workers_restart(struct workers *ws, struct worker *w);

/* Stops w for good (its topic is gone here) and removes its data
 * directory once it exited; w->revive set meanwhile starts it afresh
 * after that (a re-created topic, a new topic id). */
void workers_retire(struct workers *ws, struct worker *w);

/* Stops every process: SIGTERM, waits up to timeout_ms, then SIGKILL and
 * reaps. Pending requests fail with NOT_LEADER_OR_FOLLOWER. Blocking; call
 * once the event loop has stopped. */
void workers_stop_all(struct workers *ws, int timeout_ms);

const char *worker_state_name(enum worker_state st);

#endif
