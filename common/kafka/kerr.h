/* kerr.h - Kafka wire error codes fjord produces or relays.
 *
 * These are response data, not C errors: they travel inside Kafka responses
 * and ipc results. kerr_from_err() is the one mapping from fjord's ERR_*:
 * every place that turns an ERR_* it was given into a Kafka error calls it.
 * A fixed condition with a fixed answer (a deadline passed, leadership
 * lost) names its KERR_* directly. */
#ifndef FJORD_KAFKA_KERR_H
#define FJORD_KAFKA_KERR_H

#include <stdint.h>

enum kerr {
	KERR_UNKNOWN_SERVER_ERROR = -1,
	KERR_NONE = 0,
	KERR_OFFSET_OUT_OF_RANGE = 1,
	KERR_CORRUPT_MESSAGE = 2,
	KERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
	KERR_INVALID_FETCH_SIZE = 4,
	KERR_LEADER_NOT_AVAILABLE = 5,
	KERR_NOT_LEADER_OR_FOLLOWER = 6,
	KERR_REQUEST_TIMED_OUT = 7,
	KERR_BROKER_NOT_AVAILABLE = 8,
	KERR_REPLICA_NOT_AVAILABLE = 9,
	KERR_MESSAGE_TOO_LARGE = 10,
	KERR_OFFSET_METADATA_TOO_LARGE = 12,
	KERR_NETWORK_EXCEPTION = 13,
	KERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
	KERR_COORDINATOR_NOT_AVAILABLE = 15,
	KERR_NOT_COORDINATOR = 16,
	KERR_INVALID_TOPIC_EXCEPTION = 17,
	KERR_RECORD_LIST_TOO_LARGE = 18,
	KERR_NOT_ENOUGH_REPLICAS = 19,
	KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20,
	KERR_INVALID_REQUIRED_ACKS = 21,
	KERR_ILLEGAL_GENERATION = 22,
	KERR_INCONSISTENT_GROUP_PROTOCOL = 23,
	KERR_INVALID_GROUP_ID = 24,
	KERR_UNKNOWN_MEMBER_ID = 25,
	KERR_INVALID_SESSION_TIMEOUT = 26,
	KERR_REBALANCE_IN_PROGRESS = 27,
	KERR_INVALID_TIMESTAMP = 32,
	KERR_UNSUPPORTED_VERSION = 35,
	KERR_TOPIC_ALREADY_EXISTS = 36,
	KERR_INVALID_PARTITIONS = 37,
	KERR_INVALID_REPLICATION_FACTOR = 38,
	KERR_INVALID_REPLICA_ASSIGNMENT = 39,
	KERR_INVALID_CONFIG = 40,
	KERR_NOT_CONTROLLER = 41,
	KERR_INVALID_REQUEST = 42,
	KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
	KERR_POLICY_VIOLATION = 44,
	KERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
	KERR_DUPLICATE_SEQUENCE_NUMBER = 46,
	KERR_INVALID_PRODUCER_EPOCH = 47,
	KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,
	KERR_KAFKA_STORAGE_ERROR = 56,
	KERR_NON_EMPTY_GROUP = 68,
	KERR_GROUP_ID_NOT_FOUND = 69,
	KERR_FETCH_SESSION_ID_NOT_FOUND = 70,
	KERR_INVALID_FETCH_SESSION_EPOCH = 71,
	KERR_FENCED_LEADER_EPOCH = 74,
	KERR_UNKNOWN_LEADER_EPOCH = 75,
	KERR_OFFSET_NOT_AVAILABLE = 78,
	KERR_PREFERRED_LEADER_NOT_AVAILABLE = 80,
	KERR_ELIGIBLE_LEADERS_NOT_AVAILABLE = 83,
	KERR_ELECTION_NOT_NEEDED = 84,
	KERR_MEMBER_ID_REQUIRED = 79,
	KERR_GROUP_MAX_SIZE_REACHED = 81,
	KERR_FENCED_INSTANCE_ID = 82,
	KERR_GROUP_SUBSCRIBED_TO_TOPIC = 86,
	KERR_INVALID_RECORD = 87,
	KERR_UNSTABLE_OFFSET_COMMIT = 88,
	KERR_UNKNOWN_TOPIC_ID = 100,
	KERR_MISMATCHED_ENDPOINT_TYPE = 114,
};

/* Where an ERR_* arose. The same code means different things to a client
 * depending on what failed, so the mapping depends on it (kerr.c has the
 * table, one row per context). */
enum kerr_ctx {
	/* The supervisor could not hand a partition's request to its worker
	 * (link_send): the worker is gone or not serving -> retry elsewhere;
	 * anything else is our own failure. */
	KERR_CTX_FORWARD,
	/* A produced record batch failed validation (record_batch.h): the
	 * client sent something we cannot store. */
	KERR_CTX_BATCH,
	/* A validated produce could not be appended to the Raft log: leadership
	 * moved, or the store failed (retriable for the producer). */
	KERR_CTX_APPEND,
	/* Reading the log for Fetch: an offset the log does not hold is the
	 * client's to reset; any other failure is the store's. */
	KERR_CTX_READ,
	KERR_CTX_COUNT
};

/* Maps a fjord ERR_* code, returned by something in context ctx, to the
 * Kafka error a client should see. ERR_OK is KERR_NONE everywhere. */
int16_t kerr_from_err(int err, enum kerr_ctx ctx);

/* Returns the Kafka name of a code ("NOT_LEADER_OR_FOLLOWER"), for logs. */
const char *kerr_name(int16_t code);

#endif
