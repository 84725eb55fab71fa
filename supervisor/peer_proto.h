/* peer_proto.h - the messages of the supervisor-to-supervisor channel.
 *
 * Every supervisor dials each peer's raft_listen with a hello for group ""
 * (hello.h) and keeps that connection to send these; the accepting side
 * only receives on it. Each message is one frame (frame.h) holding a
 * msgpack array whose first element is the type:
 *
 *   LEADERS      [1, node, [[topic, partition, role, term, leader,
 *                 commit_offset, caught_up], ...], draining]
 *                the sender's local replicas as their workers last reported
 *                them, and whether it is handing its leaderships away to
 *                stop (SIGTERM); sent on change and every second, always
 *                whole.
 *   WORKER_DIED  [2, node, topic, partition, term]
 *                the sender's worker for that group died while it led term;
 *                sent at once so a caught-up follower can campaign without
 *                waiting for the election timeout.
 *   GOODBYE      [3, node, reason]
 *                the sender is closing this one channel on purpose (it
 *                went silent, stalled or misbehaved) and its process lives
 *                on: the EOF that follows is not a crash. Either side may
 *                send it, as the last frame before closing.
 *   ELECT        [20, node, topic, partition, target]
 *                ElectLeaders (preferred) reached the sender: if the
 *                receiver's worker leads that partition, it hands its
 *                leadership to node `target` (IPC_TRANSFER). */
#ifndef FJORD_SUP_PEER_PROTO_H
#define FJORD_SUP_PEER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

struct buf;

#define PEER_FRAME_MAX (64u * 1024 * 1024)

enum peer_msg {
	PEER_LEADERS = 1,
	PEER_WORKER_DIED = 2,
	PEER_GOODBYE = 3,
	/* 4-9: the controller (supervisor/proposals.c, supervisor/follow.c) */
	PEER_CTL_PROPOSE = 4, /* [4, node, req_id, command]: propose it for me */
	PEER_CTL_RESULT = 5,  /* [5, node, req_id, error, value, message]: its result */
	PEER_CATALOG = 6,     /* [6, node, catalog]: the committed catalog, for a
			       * node without a controller replica */
	/* 20-24: the admin APIs. */
	/* [15, node, topic, partition, term]: our worker leading (topic,
	 * partition) in term has sent us nothing for a while (stalled, or its
	 * loop stuck); its followers may probe it and campaign. */
	PEER_LEADER_SILENT = 15,
	PEER_ELECT = 20,
};

#define PEER_REASON_MAX 127

/* One local replica as its node reports it. */
struct peer_claim {
	char topic[CONFIG_TOPIC_NAME_MAX + 1];
	int32_t partition;
	int8_t role; /* enum ipc_role */
	uint64_t term;
	int32_t leader; /* node id the replica follows (itself when leading), -1 unknown */
	int64_t commit_offset;
	bool caught_up;
};

struct peer_worker_died {
	int32_t node;
	char topic[CONFIG_TOPIC_NAME_MAX + 1];
	int32_t partition;
	uint64_t term;
};

struct peer_elect {
	int32_t node; /* the sender */
	char topic[CONFIG_TOPIC_NAME_MAX + 1];
	int32_t partition;
	int32_t target; /* the node that should lead */
};

/* Append the msgpack payload (no frame header) to out. Returns 0,
 * ERR_INVALID (a topic name too long) or ERR_NOMEM. claims is borrowed. */
int peer_leaders_encode(int32_t node, bool draining, const struct peer_claim *claims, int n,
			struct buf *out);
int peer_worker_died_encode(const struct peer_worker_died *d, struct buf *out);

/* The type of a payload, or ERR_INVALID when it is not one of ours. */
int peer_msg_type(const uint8_t *p, size_t len);

/* Decodes a LEADERS payload. On success *claims is a new array of *n
 * entries (caller frees; NULL when n is 0). ERR_INVALID for anything
 * malformed, ERR_NOMEM. */
int peer_leaders_decode(const uint8_t *p, size_t len, int32_t *node, bool *draining,
			struct peer_claim **claims, int *n);

/* Decodes a WORKER_DIED payload. ERR_INVALID or ERR_NOMEM. */
int peer_worker_died_decode(const uint8_t *p, size_t len, struct peer_worker_died *d);

/* LEADER_SILENT: the same fields as WORKER_DIED, another message. */
int peer_leader_silent_encode(const struct peer_worker_died *d, struct buf *out);
int peer_leader_silent_decode(const uint8_t *p, size_t len, struct peer_worker_died *d);

/* ELECT: encode (ERR_INVALID for a topic name too long, ERR_NOMEM) and
 * decode (ERR_INVALID, ERR_NOMEM). */
int peer_elect_encode(const struct peer_elect *e, struct buf *out);
int peer_elect_decode(const uint8_t *p, size_t len, struct peer_elect *e);

/* GOODBYE: reason (borrowed) is cut to PEER_REASON_MAX bytes. Returns 0 or
 * ERR_NOMEM. */
int peer_goodbye_encode(int32_t node, const char *reason, struct buf *out);
/* Decodes a GOODBYE payload; reason gets at most reason_len - 1 bytes and a
 * NUL (reason_len >= 1). ERR_INVALID or ERR_NOMEM. */
int peer_goodbye_decode(const uint8_t *p, size_t len, int32_t *node, char *reason,
			size_t reason_len);

/* A controller message (PEER_CTL_PROPOSE, PEER_CTL_RESULT, PEER_CATALOG):
 * the fields a type does not use are 0. data borrows from the payload
 * when decoded (the command, the result's message or the catalog). */
struct peer_ctl {
	int type;
	int32_t node;
	uint64_t req_id;
	int16_t error;
	int64_t value;
	uint64_t index; /* CTL_RESULT: where the command was applied */
	const uint8_t *data;
	uint32_t len;
};

/* Encodes m (its type decides the fields). 0, ERR_INVALID or ERR_NOMEM. */
int peer_ctl_encode(const struct peer_ctl *m, struct buf *out);
/* Decodes one of those payloads. 0 or ERR_INVALID. */
int peer_ctl_decode(const uint8_t *p, size_t len, struct peer_ctl *m);

#endif
