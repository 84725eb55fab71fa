/* controller.h - what a `__controller` worker serves: catalog proposals
 * from its supervisor, and the committed catalog pushed back to it.
 *
 *   IPC_CTL_PROPOSE  a catalog command. A replica that cannot propose
 *                    (not the leader, or a new leader not ready) answers
 *                    NOT_CONTROLLER at once with the leader it knows as
 *                    value (-1 none); the supervisor forwards to that
 *                    node. Otherwise the command is proposed and answered
 *                    with its applied result (IPC_CTL_RESULT) once
 *                    committed, or NOT_CONTROLLER when leadership is lost
 *                    first (it may still commit: commands are written so
 *                    that applying one twice is harmless or refused).
 *   IPC_CATALOG      sent at start and after every Ready that applied
 *                    commands: the whole catalog (catalog_encode).
 *
 * The Raft group, transport and leadership policy are the replica's
 * (replica.c); this file only swaps the data partition for the catalog. */
#ifndef FJORD_WORKER_CONTROLLER_H
#define FJORD_WORKER_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ipc.h"
#include "worker/controller_sm.h"

struct raft_driver;
struct uplink;
struct store;

struct ctl_pending {
	uint64_t req_id;
	uint64_t index;
};

struct controller {
	struct controller_sm csm;
	struct raft_driver *drv; /* borrowed; NULL until the driver runs */
	struct uplink *up;	 /* borrowed */
	struct ctl_pending *v;
	size_t n, cap;
	bool dirty; /* the catalog changed since the last push */
};

/* Loads the catalog from s (borrowed). Same errors as controller_sm_open. */
int controller_open(struct controller *c, struct store *s, struct uplink *up);
void controller_close(struct controller *c);

/* The state machine for the driver. */
struct sm controller_sm_of(struct controller *c);

void controller_propose(struct controller *c, const struct ipc_ctl_propose *p);

/* Sends IPC_CATALOG when it changed since the last push, or always. */
void controller_push(struct controller *c, bool always);

/* Leadership changed: a replica that no longer leads fails what it was
 * waiting for with NOT_CONTROLLER. */
void controller_on_changed(struct controller *c, bool leader);

#endif
