/* group_rec.h - the byte format of the coordinator's replicated records.
 *
 * Builds and parses the keys and values described in group_coord.h (offset
 * commits and group metadata, big-endian, length-prefixed strings). Pure
 * byte work: no state, no allocation beyond the caller's buf. Parsed
 * strings and bytes borrow the record they came from. */
#ifndef FJORD_WORKER_GROUP_REC_H
#define FJORD_WORKER_GROUP_REC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/kafka/kafka_types.h"

enum grec_type { GREC_OFFSET = 0, GREC_GROUP = 1 };

struct grec_key {
	uint8_t type; /* enum grec_type */
	struct kafka_str group;
	struct kafka_str topic; /* GREC_OFFSET */
	int32_t partition;	/* GREC_OFFSET */
};

struct grec_offset {
	int64_t offset;
	int32_t leader_epoch;
	struct kafka_str metadata;
	int64_t commit_ms;
};

struct grec_group {
	struct kafka_str protocol_type;
	int32_t generation;
	struct kafka_str protocol, leader;
	int64_t ms;
	int32_t n_members;
};

struct grec_member {
	struct kafka_str id, instance_id, client_id, host;
	int32_t session_ms, rebalance_ms;
	struct kafka_bytes subscription, assignment;
};

void grec_put_str(struct buf *b, const char *s, size_t len); /* s NULL = null */
void grec_put_bytes(struct buf *b, const uint8_t *p, int32_t len);

void grec_key_offset(struct buf *b, const char *group, const char *topic, size_t topic_len,
		     int32_t partition);
void grec_key_group(struct buf *b, const char *group);
void grec_value_offset(struct buf *b, const struct grec_offset *o);
/* The group value: its header, then exactly h->n_members members. */
void grec_value_group(struct buf *b, const struct grec_group *h);
void grec_value_member(struct buf *b, const struct grec_member *m);

/* Parsers: 0, or ERR_INVALID for malformed bytes. */
int grec_parse_key(const uint8_t *p, size_t len, struct grec_key *out);
int grec_parse_offset(const uint8_t *p, size_t len, struct grec_offset *out);
/* Parses the header and leaves r at the first member. */
int grec_parse_group(struct reader *r, const uint8_t *p, size_t len, struct grec_group *out);
int grec_parse_member(struct reader *r, struct grec_member *out);

#endif
