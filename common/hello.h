/* hello.h - the handshake on a node's raft_listen port (DESIGN §2).
 *
 * A worker that wants to talk to its group's replica on another node dials
 * that node's raft_listen and sends one frame (frame.h) holding a hello
 * {cluster, from_node, group}, then waits. The peer supervisor reads exactly
 * that frame, checks it (same cluster name, from_node listed in [cluster],
 * group hosted here) and either hands the socket to the owning worker, which
 * answers with a hello-ack and from then on speaks Raft on it, or answers
 * with a hello-reject naming the reason and closes. A hello whose group is
 * empty (HELLO_GROUP_SUPERVISOR) opens the supervisor-to-supervisor channel.
 *
 * Wire form: msgpack arrays [HELLO_MSG_HELLO, cluster, from_node, group],
 * [HELLO_MSG_ACK, node], [HELLO_MSG_REJECT, reason]. */
#ifndef FJORD_HELLO_H
#define FJORD_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define HELLO_GROUP_SUPERVISOR ""
#define HELLO_CLUSTER_MAX 128
#define HELLO_GROUP_MAX 300  /* "<topic up to 249>/<partition>" */
#define HELLO_FRAME_MAX 1024 /* a hello frame is never larger */

enum hello_msg { HELLO_MSG_HELLO = 1, HELLO_MSG_ACK = 2, HELLO_MSG_REJECT = 3 };

struct hello {
	char cluster[HELLO_CLUSTER_MAX];
	int32_t from_node;
	char group[HELLO_GROUP_MAX]; /* "topic/partition", or "" for supervisors */
};

/* Formats "topic/partition" into out (out_len >= HELLO_GROUP_MAX). */
void hello_group_name(char *out, size_t out_len, const char *topic, int32_t partition);

/* Parses "topic/partition" (the partition is after the last '/').
 * Returns 0 or ERR_INVALID. topic_out gets at most topic_len - 1 chars. */
int hello_group_parse(const char *group, char *topic_out, size_t topic_len, int32_t *partition);

/* Append the msgpack payload (no frame header) to out. 0 or ERR_NOMEM/ERR_INVALID. */
int hello_encode(const struct hello *h, struct buf *out);
int hello_ack_encode(int32_t node, struct buf *out);
int hello_reject_encode(const char *reason, struct buf *out);

/* Decodes a hello payload. ERR_INVALID for anything malformed or too long. */
int hello_decode(const uint8_t *p, size_t len, struct hello *h);

/* Decodes the answer to a hello: *accepted and *node for an ack, or the
 * reason (NUL-terminated, truncated to reason_len) for a reject. */
int hello_reply_decode(const uint8_t *p, size_t len, bool *accepted, int32_t *node, char *reason,
		       size_t reason_len);

#endif
