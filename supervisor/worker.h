/* worker.h - one hosted replica's entry: the data of struct worker only.
 *
 * It is a header of its own, with no .c, so that worker_link.c can use the
 * entry without depending on workers.c (which owns the table and the
 * process life cycle and calls worker_link.c): the supervisor's module
 * graph stays acyclic (tools/check-sup-graph, docs/ARCHITECTURE.md). */
#ifndef FJORD_SUP_WORKER_H
#define FJORD_SUP_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/ipc.h"
#include "common/settle.h"
#include "supervisor/spawn.h"

struct event;
struct bufferevent;
struct link_pending;
struct link_observer;
struct workers;

enum worker_state { WORKER_STARTING, WORKER_SERVING, WORKER_WAITING, WORKER_STOPPING };

struct worker {
	char topic[CONFIG_TOPIC_NAME_MAX + 1];
	int32_t partition;
	enum worker_state state;
	pid_t pid;		   /* 0 when no process */
	int64_t started_ms;	   /* spawn_now_ms() of the current run */
	struct worker *start_next; /* the start queue (workers_start_queued) */
	bool start_queued;
	bool has_status;
	struct ipc_status status; /* the last one received (kept after an exit) */
	bool status_this_run;	  /* the current process has sent a status */
	int conn_fd;		  /* supervisor's end of the peer hand-off pair, -1 none */
	uint64_t restarts;	  /* unexpected exits (fjord_worker_restarts_total) */
	/* Traffic forwarded to this replica (fjord_produce_*_total,
	 * fjord_fetch_*_total): partition requests sent to it, record bytes
	 * it accepted (produce) or that went back to the client (fetch). */
	uint64_t produce_requests, produce_bytes;
	uint64_t fetch_requests, fetch_bytes;
	/* A __consumer_offsets worker's last IPC_GROUP_STATUS (fjord_group*). */
	bool has_group_status;
	struct ipc_group_status group_status; /* report: NULL, see below */
	char *group_report; /* owned: its JSON report (NUL-terminated), NULL = none */
	struct backoff backoff;
	bool respawn_now; /* stopped on purpose to apply new settings */
	/* Following the catalog (follow.c): the topic id the replica belongs
	 * to; retired = its topic was deleted (or re-created) or the replica
	 * moved: it is stopped for good and its data directory removed once it
	 * exited, then started afresh when revive is set. */
	uint8_t topic_id[16];
	bool has_id;
	bool retired;
	bool revive;
	struct config_topic run_cfg; /* the settings its process was started with */
	struct settle balance;	     /* hand-backs asked for here, and their back-off (balance.c) */
	struct event *restart_ev;
	struct workers *table;

	/* The ipc channel, managed by worker_link.c. */
	const struct link_observer *link_obs; /* borrowed: who hears its events */
	int64_t last_rx_ms;		      /* spawn_now_ms() of its last frame */
	bool known_silent;	 /* link_sweep found it silent; its next frame clears it */
	bool silent_leader_told; /* peers were told it leads and went silent (workers.c) */
	struct bufferevent *bev;
	struct buf rx;
	struct link_pending *pending_head, *pending_tail;
	int n_pending;
};

#endif
