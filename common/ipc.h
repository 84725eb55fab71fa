/* ipc.h - the messages between a supervisor and its workers.
 *
 * Each message travels in one frame (frame.h) as a msgpack array whose first
 * element is the ipc_type. Requests carry a req_id chosen by the supervisor;
 * the worker echoes it in the matching result. Results may arrive in any
 * order (a parked Fetch answers late); the supervisor restores request order.
 *
 * Kafka error codes inside results are Kafka wire codes (common/kafka/kerr.h). */
#ifndef FJORD_IPC_H
#define FJORD_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

enum ipc_type {
	IPC_PRODUCE = 1,	     /* supervisor -> worker */
	IPC_PRODUCE_RESULT = 2,	     /* worker -> supervisor */
	IPC_FETCH = 3,		     /* supervisor -> worker; may be parked */
	IPC_FETCH_RESULT = 4,	     /* worker -> supervisor */
	IPC_FETCH_CANCEL = 5,	     /* supervisor -> worker: answer a parked fetch now */
	IPC_LIST_OFFSETS = 6,	     /* supervisor -> worker */
	IPC_LIST_OFFSETS_RESULT = 7, /* worker -> supervisor */
	IPC_STATUS = 8,		     /* worker -> supervisor, on change, every second while
				      * awake, every IPC_STATUS_QUIET_MS while quiet */
	IPC_CAMPAIGN = 9,	     /* supervisor -> worker: start an election now */
	IPC_TRANSFER = 10,	     /* supervisor -> worker: hand leadership to target */
	IPC_CONFIG = 11,	     /* supervisor -> worker: a live configuration key changed */
	IPC_EPOCH_END = 12,	     /* supervisor -> worker: OffsetForLeaderEpoch */
	IPC_EPOCH_END_RESULT = 13,   /* worker -> supervisor */
	IPC_PRODUCERS = 14,	     /* supervisor -> worker: DescribeProducers */
	IPC_PRODUCERS_RESULT = 15,   /* worker -> supervisor */
	/* 16-29: the controller (__controller's worker, supervisor/controller.c) */
	IPC_CATALOG = 16,	 /* controller worker -> supervisor: the committed catalog */
	IPC_CTL_PROPOSE = 17,	 /* supervisor -> controller worker: a catalog command */
	IPC_CTL_RESULT = 18,	 /* controller worker -> supervisor: its applied result */
	IPC_TOPIC_SETTINGS = 19, /* supervisor -> worker: the topic's settings changed */
	/* 30-39: the admin APIs. */
	IPC_DELETE_RECORDS = 30,	/* supervisor -> worker: move the log start (leader) */
	IPC_DELETE_RECORDS_RESULT = 31, /* worker -> supervisor */
	/* 40-59: consumer groups. */
	IPC_GROUP = 40,	       /* supervisor -> coordinator worker: a group request */
	IPC_GROUP_RESULT = 41, /* worker -> supervisor: its response body */
	IPC_GROUP_STATUS = 42, /* coordinator worker -> supervisor, every second */
	/* quiesce range 60-69 */
	IPC_PEER_NODE = 60, /* supervisor -> worker: a peer node is considered dead or alive */
	IPC_PROBE_LEADER =
	    61,		   /* supervisor -> worker: our leader's supervisor says it went silent */
	IPC_RESIGNED = 62, /* worker -> supervisor: stepped down as leader, its store full */
};
#define IPC_TYPE_MAX IPC_RESIGNED

/* ListOffsets special timestamps, as on the Kafka wire. */
#define IPC_TS_LATEST (-1)
#define IPC_TS_EARLIEST (-2)
#define IPC_TS_MAX_TIMESTAMP (-3)  /* v7+: the record with the largest timestamp */
#define IPC_TS_EARLIEST_LOCAL (-4) /* v8+: no tiered storage, so the log start */
#define IPC_TS_PENDING_UPLOAD (-5) /* v9+: no tiered storage, so none (-1) */

/* A learner is a non-voting member of its group (worker --learners): it
 * follows the leader's log but never campaigns, so failover and balancing
 * never pick it. */
enum ipc_role {
	IPC_ROLE_FOLLOWER = 0,
	IPC_ROLE_CANDIDATE = 1,
	IPC_ROLE_LEADER = 2,
	IPC_ROLE_LEARNER = 3,
};

struct ipc_produce {
	uint64_t req_id;
	int16_t acks; /* 0, 1 or -1 */
	int32_t timeout_ms;
	const uint8_t *records; /* borrowed: one or more v2 record batches */
	uint32_t records_len;
};

struct ipc_produce_result {
	uint64_t req_id;
	int16_t error; /* Kafka error code */
	int64_t base_offset;
	int64_t log_append_time; /* -1 for CreateTime topics */
	int64_t log_start_offset;
};

struct ipc_fetch {
	uint64_t req_id;
	int64_t offset;
	int32_t max_bytes; /* partition max bytes; at least one batch is returned */
	int32_t max_wait_ms;
	int32_t min_bytes;
	int8_t isolation;     /* 0 read_uncommitted, 1 read_committed */
	int32_t leader_epoch; /* current_leader_epoch from the client, -1 = none */
};

struct ipc_fetch_result {
	uint64_t req_id;
	int16_t error;
	int64_t high_watermark;
	int64_t last_stable_offset;
	int64_t log_start_offset;
	const uint8_t *records; /* borrowed from the frame / sender's buffer */
	uint32_t records_len;
};

struct ipc_fetch_cancel {
	uint64_t req_id;
};

struct ipc_list_offsets {
	uint64_t req_id;
	int64_t timestamp; /* IPC_TS_LATEST, IPC_TS_EARLIEST or ms */
	int8_t isolation;
	int32_t leader_epoch;
};

struct ipc_list_offsets_result {
	uint64_t req_id;
	int16_t error;
	int64_t timestamp;
	int64_t offset;
	int32_t leader_epoch;
};

/* OffsetForLeaderEpoch for one partition (KIP-320): the end offset of
 * leader_epoch (a Raft term) in this leader's log. */
struct ipc_epoch_end {
	uint64_t req_id;
	int32_t leader_epoch;	      /* the epoch asked about */
	int32_t current_leader_epoch; /* the client's view of the leader's epoch, -1 = none */
};

struct ipc_epoch_end_result {
	uint64_t req_id;
	int16_t error;
	int32_t leader_epoch; /* largest epoch <= the one asked about, or -1 */
	int64_t end_offset;   /* -1 when unknown */
};

/* DeleteRecords for one partition: move the log start to `offset` (-1: the
 * high watermark) through the partition's Raft group. */
struct ipc_delete_records {
	uint64_t req_id;
	int64_t offset;
	int32_t timeout_ms; /* REQUEST_TIMED_OUT when not committed by then */
};

struct ipc_delete_records_result {
	uint64_t req_id;
	int16_t error;
	int64_t low_watermark; /* the log start after the move, -1 on error */
};

struct ipc_producers {
	uint64_t req_id;
};

/* One active producer as IPC_PRODUCERS_RESULT carries it: IPC_PRODUCER_LEN
 * bytes, big-endian: id (8), epoch (2), last sequence (4), last timestamp
 * (8). */
#define IPC_PRODUCER_LEN 22

struct ipc_producers_result {
	uint64_t req_id;
	int16_t error;
	const uint8_t *producers; /* borrowed: n * IPC_PRODUCER_LEN bytes */
	uint32_t producers_len;
};

/* The group as this replica sees it. commit_offset and log_checksum let
 * replicas be compared at the same point: log_checksum covers every
 * committed data batch below commit_offset (see worker/partition.h). */
struct ipc_status {
	int8_t role; /* enum ipc_role */
	uint64_t term;
	int32_t leader_node;   /* -1 = unknown */
	uint64_t commit_index; /* Raft index of the last applied entry */
	int64_t high_watermark;
	int64_t log_start_offset;
	uint64_t elections; /* times this replica became a candidate */
	uint64_t leader_changes;
	uint64_t lower_term_messages;
	int64_t commit_offset; /* Kafka offset after the last applied batch (= high watermark) */
	uint64_t log_checksum; /* hash of the committed batches below commit_offset */
	uint64_t last_index;   /* Raft index of the last entry in this replica's log */
	uint64_t match_lag;    /* leader: max over followers of last_index - match; else 0 */
	bool caught_up;	       /* follower whose log reaches the leader's commit as last heard */
	uint64_t storage_used_bytes; /* LMDB data file in use: pages up to the last used one */
	uint64_t storage_map_bytes;  /* the configured LMDB map size (the store's limit) */
	bool quiesced;		     /* the group is quiet here: no heartbeats, no timers */
};

/* The keep-alive period of IPC_STATUS from a quiet replica. */
#define IPC_STATUS_QUIET_MS 3000

/* Node liveness (worker/quiet.h): the supervisor's view of a peer node,
 * sent to every worker when it changes. */
struct ipc_peer_node {
	int32_t node;
	bool alive;
	bool crashed; /* not alive: its channel ended as a crash's does (else: silent) */
};

/* The term a leader gave up because it could not persist (a full store):
 * its peers treat it as a leader that died in that term. */
struct ipc_resigned {
	uint64_t term;
};

struct ipc_transfer {
	int32_t target_node; /* -1 = pick the most caught-up follower */
};

/* One key of common/config_keys.c marked CONFIG_APPLY_WORKER_LIVE, named
 * "section.key", with its new value spelled as in the INI file; the worker
 * parses it with the same table. Both borrow from the frame when decoded
 * (not NUL-terminated). */
struct ipc_config {
	const char *name;
	uint32_t name_len;
	const char *value;
	uint32_t value_len;
};

/* A group API request for the coordinator worker of a __consumer_offsets
 * partition: the Kafka request body (after the header) as the client sent
 * it, with its API key and version, and the client's id and address
 * (JoinGroup records them per member). The worker decodes it with the
 * generated codec and answers IPC_GROUP_RESULT with the encoded response
 * body, which the supervisor sends (or, for requests split between
 * coordinators, decodes and merges). All byte fields borrow. */
struct ipc_group {
	uint64_t req_id;
	int16_t api_key;
	int16_t api_version;
	const uint8_t *client_id;
	uint32_t client_id_len;
	const uint8_t *client_host;
	uint32_t client_host_len;
	const uint8_t *body;
	uint32_t body_len;
};

struct ipc_group_result {
	uint64_t req_id;
	const uint8_t *body; /* borrowed: the response body at the request's version */
	uint32_t body_len;
};

/* A coordinator's groups, for /metrics: groups by state (the leader's live
 * state; all 0 elsewhere) and counters of this process's life. */
#define IPC_GROUP_STATES 5 /* Empty, PreparingRebalance, CompletingRebalance, Stable, Dead */
struct ipc_group_status {
	uint64_t groups[IPC_GROUP_STATES];
	uint64_t members;    /* members of every group (leader) */
	uint64_t rebalances; /* join phases completed (leader) */
	uint64_t commits;    /* offsets committed (applied, every replica) */
	uint64_t expired;    /* offsets removed by retention (leader) */
	/* The groups as JSON objects, comma-separated (worker/group_report.h);
	 * empty unless leading. Borrowed. */
	const uint8_t *report;
	uint32_t report_len;
};

/* The committed catalog as common/catalog.h encodes it (its version is
 * inside): sent by a controller worker at start and after every applied
 * command. Borrows from the frame. */
struct ipc_catalog {
	const uint8_t *data;
	uint32_t len;
};

/* A catalog command (catalog_cmd_*) to propose; the worker answers with
 * IPC_CTL_RESULT once it is applied, or at once with NOT_CONTROLLER when
 * its replica does not lead (value = the leader's node id, -1 unknown). */
struct ipc_ctl_propose {
	uint64_t req_id;
	const uint8_t *cmd; /* borrowed */
	uint32_t cmd_len;
};

struct ipc_ctl_result {
	uint64_t req_id;
	int16_t error; /* Kafka error code (catalog_result.error) */
	int64_t value;
	uint64_t index;	 /* Raft index the command was applied at, 0 = not applied */
	const char *msg; /* borrowed, not NUL-terminated */
	uint32_t msg_len;
};

/* A topic's settings as the catalog now says (AlterConfigs, the INI
 * file): a running worker takes them without a restart. Every field is
 * the effective value (config_topic's). */
struct ipc_topic_settings {
	int64_t retention_ms;
	int64_t retention_bytes;
	int32_t max_message_bytes;
	int32_t message_timestamp_type; /* enum config_ts_type */
};

struct ipc_msg {
	enum ipc_type type;
	union {
		struct ipc_produce produce;
		struct ipc_produce_result produce_result;
		struct ipc_fetch fetch;
		struct ipc_fetch_result fetch_result;
		struct ipc_fetch_cancel fetch_cancel;
		struct ipc_list_offsets list_offsets;
		struct ipc_list_offsets_result list_offsets_result;
		struct ipc_status status;
		struct ipc_transfer transfer;
		struct ipc_config config;
		struct ipc_epoch_end epoch_end;
		struct ipc_epoch_end_result epoch_end_result;
		struct ipc_delete_records delete_records;
		struct ipc_delete_records_result delete_records_result;
		struct ipc_producers producers;
		struct ipc_producers_result producers_result;
		struct ipc_group group;
		struct ipc_group_result group_result;
		struct ipc_group_status group_status;
		struct ipc_catalog catalog;
		struct ipc_ctl_propose ctl_propose;
		struct ipc_ctl_result ctl_result;
		struct ipc_topic_settings topic_settings;
		struct ipc_peer_node peer_node;
		struct ipc_resigned resigned;
	} u;
};

/* Appends the msgpack encoding of m (no frame header) to out.
 * Returns 0, ERR_INVALID for an unknown type, or ERR_NOMEM. */
int ipc_encode(const struct ipc_msg *m, struct buf *out);

/* The bytes of a message's trailing byte string, borrowed from the message. */
struct ipc_tail {
	const uint8_t *data;
	size_t len;
};

/* Like ipc_encode, but a message that ends in a byte string (Produce and
 * Fetch records, producer lists) gets only the string's msgpack header in
 * out; *tail names the string's bytes (borrowed from m), which follow out
 * on the wire unchanged. So the encoding is out then tail, byte for byte
 * what ipc_encode gives, and a record batch is copied once, into the socket
 * buffer, not twice. tail->len is 0 for other messages. Same errors. */
int ipc_encode_head(const struct ipc_msg *m, struct buf *out, struct ipc_tail *tail);

/* Decodes one message from a frame payload. Byte fields (records) borrow
 * from `data`, which must outlive `m`. Returns 0 or ERR_INVALID for anything
 * malformed (wrong type, wrong arity, wrong field kinds); never crashes. */
int ipc_decode(const uint8_t *data, size_t len, struct ipc_msg *m);

#endif
