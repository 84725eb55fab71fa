/* group_forward.h - group APIs handed to the coordinator's worker.
 *
 * A group's requests go to the worker leading its __consumer_offsets
 * partition (coordinator_key.h) on this node, as the Kafka request body
 * (IPC_GROUP); the worker answers with the response body, which is sent as
 * it is (one-group APIs: group_forward.c) or decoded and merged (requests
 * naming several groups, and ListGroups, which asks every local
 * coordinator: group_split.c). A group whose coordinator is not a local
 * leader gets NOT_COORDINATOR, and clients ask FindCoordinator again. */
#ifndef FJORD_SUP_GROUP_FORWARD_H
#define FJORD_SUP_GROUP_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "supervisor/worker_link.h"

struct kreq;
struct reader;
struct worker;

/* The api_table handler of the one-group APIs (OffsetFetch: see
 * group_split.h). */
void group_forward_handle(struct kreq *r, struct reader *body);

/* Sends body (borrowed; r's API and version) to w as IPC_GROUP with r's
 * client id and address. Returns link_send's result. */
int group_forward(struct kreq *r, struct worker *w, const uint8_t *body, size_t len,
		  link_result_cb cb, void *ctx, int idx);

#endif
