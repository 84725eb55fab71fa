/* api_table.h - the one table of the Kafka APIs the supervisor serves.
 *
 * Each entry carries everything about an API: its key, the versions served
 * (what ApiVersions advertises; other versions are refused), the handler
 * the front end dispatches to, and where the answer comes from. This is
 * policy, not protocol: the codec can parse every version the schemas define
 * (kafka_api_lookup), fjord answers only these. To serve another API, write
 * its handler and add its line to api_table.c; nothing else registers it. */
#ifndef FJORD_SUP_API_TABLE_H
#define FJORD_SUP_API_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kreq;
struct reader;

/* Handles r, whose body reader is positioned after the request header; must
 * finish r as kafka_conn.h says (kreq_respond, kreq_drop or kreq_fail). */
typedef void (*api_handle_fn)(struct kreq *r, struct reader *body);

/* Answers r, at a version outside the served range, from its header alone. */
typedef void (*api_refuse_fn)(struct kreq *r);

/* Where an API's answer comes from. */
enum api_flags {
	API_LOCAL = 1 << 0,	/* the supervisor answers from its own state */
	API_TO_LEADER = 1 << 1, /* split per partition, forwarded to each leader's worker */
	/* forwarded to the group coordinator's worker (group_forward.h) */
	API_TO_COORDINATOR = 1 << 2,
};

struct api_entry {
	int16_t api_key;
	int16_t min_version, max_version; /* served; within the schemas' range */
	/* Runs for every version the schemas know; kreq.served says whether
	 * the version is in the served range. */
	api_handle_fn handle;
	/* NULL, or answers any version outside the served range before the
	 * schemas are asked (ApiVersions: a client newer than us must still
	 * learn our range). */
	api_refuse_fn refuse;
	unsigned flags; /* enum api_flags */
};

/* The entry for api_key, or NULL when fjord does not serve that API.
 * Static storage. */
const struct api_entry *api_table_find(int16_t api_key);

/* True when e (not NULL) serves version. */
bool api_entry_serves(const struct api_entry *e, int16_t version);

/* The whole table (static, in api key order), its length in *n. */
const struct api_entry *api_table_all(size_t *n);

#endif
