/* group_int.h - what the coordinator's files share (group_coord.c,
 * group_offsets.c, group_admin.c); not for use outside them. */
#ifndef FJORD_WORKER_GROUP_INT_H
#define FJORD_WORKER_GROUP_INT_H

#include "common/kafka/kafka_types.h"
#include "worker/group_coord.h"
#include "worker/group_rec.h"

/* Longest group id accepted (Kafka sets none; a topic name's bound is
 * used, so ids fit every record and log line). */
#define GC_GROUP_ID_MAX 255
/* Kafka's offset.metadata.max.bytes. */
#define GC_METADATA_MAX 4096

enum gw_kind {
	GW_BODY, /* answer `ok` once committed, `fail` if not */
	GW_SYNC, /* the leader's assignment committed: the group becomes Stable */
	GW_NONE, /* no answer: a record of the coordinator's own (expiry, empty group) */
};

struct gc_waiter {
	struct gc_waiter *next;
	enum gw_kind kind;
	int stage; /* 0: records collecting, 1: taken, 2: proposed at index */
	uint64_t index;
	struct gc_reply to;
	struct buf ok, fail;
	char *group; /* owned */
	int32_t generation;
	bool commit; /* counted in the group's n_commits_in_flight */
};

/* A malloc'd NUL-terminated copy of s, NULL for a null string (and on
 * allocation failure: callers that need it check). */
char *gc_strdup_k(struct kafka_str s);
char *gc_strdup(const char *s);
bool gc_str_is(const char *a, struct kafka_str b); /* NULL equals null */

/* Finds or creates the group named id; NULL when out of memory. */
struct gc_group *gc_get_or_create(struct gc *g, const char *id, size_t len);
/* Removes and frees groups[i]; the caller is sure nothing live is left. */
void gc_group_remove(struct gc *g, struct gc_group *gr);
/* The group's offset row for (topic, partition), or NULL. */
struct gc_offset *gc_offset_find(struct gc_group *gr, const char *topic, size_t len,
				 int32_t partition);

/* Appends one record to the next proposal (value NULL = tombstone). */
void gc_add_record(struct gc *g, const struct buf *key, const struct buf *val);
/* A new waiter at the end of the list (stage 0); ok and fail are empty
 * bufs for the caller to fill. NULL when out of memory. */
struct gc_waiter *gc_wait(struct gc *g, enum gw_kind kind, const struct gc_reply *to,
			  const char *group);

/* Sends an encoded body. */
void gc_send(struct gc *g, const struct gc_reply *to, struct buf *b);
/* Answers the API's whole-request error response. */
void gc_send_error(struct gc *g, const struct gc_reply *to, int16_t err);

/* The group's record of its live state, appended to the next proposal. */
void gc_persist_group(struct gc *g, struct gc_group *gr, int64_t now);

/* NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or NONE. */
int16_t gc_serving(const struct gc *g);

/* Handlers of group_offsets.c and group_admin.c. */
int gc_offset_commit(struct gc *g, int64_t now, const struct gc_reply *to, struct reader *r);
int gc_offset_fetch(struct gc *g, const struct gc_reply *to, struct reader *r);
int gc_offset_delete(struct gc *g, const struct gc_reply *to, struct reader *r);
void gc_offsets_expire(struct gc *g, int64_t now);
int gc_apply_offset(struct gc *g, const struct grec_key *k, const uint8_t *val, int32_t vlen);
int gc_describe_groups(struct gc *g, const struct gc_reply *to, struct reader *r);
int gc_list_groups(struct gc *g, const struct gc_reply *to, struct reader *r);
int gc_delete_groups(struct gc *g, int64_t now, const struct gc_reply *to, struct reader *r);

#endif
