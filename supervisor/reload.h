/* reload.h - SIGHUP: re-read the configuration and reconcile.
 *
 * reload_plan() is the pure part: it compares the running config with the
 * newly loaded one, lists what changed, and rewrites the new one so it
 * keeps what a reload may not take away (topics and partitions only grow;
 * keys marked CONFIG_APPLY_NODE_RESTART in common/config_keys.c and the
 * [cluster] node list need a restart). What a changed key takes comes from
 * that table, never from a list here. */
#ifndef FJORD_SUP_RELOAD_H
#define FJORD_SUP_RELOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

struct sup;

enum reload_kind {
	RELOAD_TOPIC_ADDED,	  /* start partitions 0..to-1 */
	RELOAD_PARTITIONS_GROWN,  /* start partitions from..to-1 */
	RELOAD_PARTITIONS_SHRUNK, /* ignored: the old count stays */
	RELOAD_TOPIC_REMOVED,	  /* ignored: the topic stays */
	RELOAD_TOPIC_SETTINGS,	  /* retention or max message size changed: restart its workers */
	RELOAD_REPLICATION_KEPT,  /* replication change ignored: the old value stays */
	RELOAD_NEEDS_RESTART,	  /* a node setting; the old value stays until a restart */
	RELOAD_WORKER_LIVE,	  /* a key workers take live: sent to each as IPC_CONFIG */
};

struct reload_change {
	enum reload_kind kind;
	char name[CONFIG_TOPIC_NAME_MAX + 1]; /* topic, or "section.key" for NEEDS_RESTART
					       * and WORKER_LIVE */
	int32_t from, to;		      /* partition counts where relevant */
};

struct reload_plan {
	struct reload_change *changes; /* owned; in old-topic then new-topic order */
	int n;
	int cap;
	/* A global key marked CONFIG_APPLY_WORKER_RESTART in the table of
	 * keys changed (log_level, sync, map_size_mb, worker_path, most [raft]
	 * keys): restart every worker. */
	bool restart_all_workers;
};

/* Fills plan (caller frees with reload_plan_free) with the differences
 * from old to neu and rewrites neu as described above. Both configs must
 * have node.worker_path resolved the same way. Returns 0 or ERR_NOMEM. */
int reload_plan(const struct config *old, struct config *neu, struct reload_plan *plan);
void reload_plan_free(struct reload_plan *plan);

/* Runs a whole reload on s: load (with the command-line overrides), plan,
 * swap configs, start and restart workers, log every change. A file with
 * errors is logged line by line and the running config is kept. */
void reload_run(struct sup *s);

#endif
