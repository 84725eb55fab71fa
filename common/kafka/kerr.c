/* kerr.c - the ERR_* -> Kafka error table (kerr_from_err) and Kafka error
 * names. The table keeps today's wire behaviour of every caller; see
 * kerr.h for what each context is. */
#include "kerr.h"

#include <stddef.h>

#include "common/err.h"

/* One row per context: the errors that map to something of their own,
 * then what every other ERR_* becomes there. */
struct kerr_row {
	struct {
		int err;
		int16_t kerr;
	} own[3];
	int16_t otherwise;
};

static const struct kerr_row rows[KERR_CTX_COUNT] = {
    [KERR_CTX_FORWARD] = {{{ERR_NOTLEADER, KERR_NOT_LEADER_OR_FOLLOWER}},
			  KERR_UNKNOWN_SERVER_ERROR},
    /* Kafka's CorruptRecordException covers a bad CRC, a truncated batch
     * and records that do not fill it alike. */
    [KERR_CTX_BATCH] = {{{ERR_UNSUPPORTED, KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT},
			 {ERR_TOOBIG, KERR_MESSAGE_TOO_LARGE},
			 {ERR_BADRECORD, KERR_INVALID_RECORD}},
			KERR_CORRUPT_MESSAGE},
    /* Out of memory is storage too: the producer retries, as after a full
     * disk, instead of failing for good on UNKNOWN_SERVER_ERROR. */
    [KERR_CTX_APPEND] = {{{ERR_NOTLEADER, KERR_NOT_LEADER_OR_FOLLOWER}}, KERR_KAFKA_STORAGE_ERROR},
    [KERR_CTX_READ] = {{{ERR_NOTFOUND, KERR_OFFSET_OUT_OF_RANGE}}, KERR_KAFKA_STORAGE_ERROR},
};

int16_t kerr_from_err(int err, enum kerr_ctx ctx)
{
	if (err == ERR_OK)
		return KERR_NONE;
	if ((unsigned)ctx >= KERR_CTX_COUNT)
		return KERR_UNKNOWN_SERVER_ERROR;
	const struct kerr_row *row = &rows[ctx];
	for (size_t i = 0; i < sizeof(row->own) / sizeof(row->own[0]); i++)
		if (row->own[i].err == err)
			return row->own[i].kerr;
	return row->otherwise;
}

const char *kerr_name(int16_t code)
{
	switch (code) {
	case KERR_UNKNOWN_SERVER_ERROR:
		return "UNKNOWN_SERVER_ERROR";
	case KERR_NONE:
		return "NONE";
	case KERR_OFFSET_OUT_OF_RANGE:
		return "OFFSET_OUT_OF_RANGE";
	case KERR_CORRUPT_MESSAGE:
		return "CORRUPT_MESSAGE";
	case KERR_UNKNOWN_TOPIC_OR_PARTITION:
		return "UNKNOWN_TOPIC_OR_PARTITION";
	case KERR_INVALID_FETCH_SIZE:
		return "INVALID_FETCH_SIZE";
	case KERR_LEADER_NOT_AVAILABLE:
		return "LEADER_NOT_AVAILABLE";
	case KERR_NOT_LEADER_OR_FOLLOWER:
		return "NOT_LEADER_OR_FOLLOWER";
	case KERR_REQUEST_TIMED_OUT:
		return "REQUEST_TIMED_OUT";
	case KERR_BROKER_NOT_AVAILABLE:
		return "BROKER_NOT_AVAILABLE";
	case KERR_REPLICA_NOT_AVAILABLE:
		return "REPLICA_NOT_AVAILABLE";
	case KERR_MESSAGE_TOO_LARGE:
		return "MESSAGE_TOO_LARGE";
	case KERR_NETWORK_EXCEPTION:
		return "NETWORK_EXCEPTION";
	case KERR_COORDINATOR_LOAD_IN_PROGRESS:
		return "COORDINATOR_LOAD_IN_PROGRESS";
	case KERR_COORDINATOR_NOT_AVAILABLE:
		return "COORDINATOR_NOT_AVAILABLE";
	case KERR_NOT_COORDINATOR:
		return "NOT_COORDINATOR";
	case KERR_INVALID_TOPIC_EXCEPTION:
		return "INVALID_TOPIC_EXCEPTION";
	case KERR_RECORD_LIST_TOO_LARGE:
		return "RECORD_LIST_TOO_LARGE";
	case KERR_NOT_ENOUGH_REPLICAS:
		return "NOT_ENOUGH_REPLICAS";
	case KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
		return "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
	case KERR_INVALID_REQUIRED_ACKS:
		return "INVALID_REQUIRED_ACKS";
	case KERR_INVALID_TIMESTAMP:
		return "INVALID_TIMESTAMP";
	case KERR_UNSUPPORTED_VERSION:
		return "UNSUPPORTED_VERSION";
	case KERR_TOPIC_ALREADY_EXISTS:
		return "TOPIC_ALREADY_EXISTS";
	case KERR_INVALID_PARTITIONS:
		return "INVALID_PARTITIONS";
	case KERR_INVALID_REPLICATION_FACTOR:
		return "INVALID_REPLICATION_FACTOR";
	case KERR_INVALID_REPLICA_ASSIGNMENT:
		return "INVALID_REPLICA_ASSIGNMENT";
	case KERR_INVALID_CONFIG:
		return "INVALID_CONFIG";
	case KERR_NOT_CONTROLLER:
		return "NOT_CONTROLLER";
	case KERR_INVALID_REQUEST:
		return "INVALID_REQUEST";
	case KERR_POLICY_VIOLATION:
		return "POLICY_VIOLATION";
	case KERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
		return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
	case KERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
		return "OUT_OF_ORDER_SEQUENCE_NUMBER";
	case KERR_DUPLICATE_SEQUENCE_NUMBER:
		return "DUPLICATE_SEQUENCE_NUMBER";
	case KERR_INVALID_PRODUCER_EPOCH:
		return "INVALID_PRODUCER_EPOCH";
	case KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
		return "TRANSACTIONAL_ID_AUTHORIZATION_FAILED";
	case KERR_KAFKA_STORAGE_ERROR:
		return "KAFKA_STORAGE_ERROR";
	case KERR_FETCH_SESSION_ID_NOT_FOUND:
		return "FETCH_SESSION_ID_NOT_FOUND";
	case KERR_INVALID_FETCH_SESSION_EPOCH:
		return "INVALID_FETCH_SESSION_EPOCH";
	case KERR_FENCED_LEADER_EPOCH:
		return "FENCED_LEADER_EPOCH";
	case KERR_UNKNOWN_LEADER_EPOCH:
		return "UNKNOWN_LEADER_EPOCH";
	case KERR_OFFSET_NOT_AVAILABLE:
		return "OFFSET_NOT_AVAILABLE";
	case KERR_PREFERRED_LEADER_NOT_AVAILABLE:
		return "PREFERRED_LEADER_NOT_AVAILABLE";
	case KERR_ELIGIBLE_LEADERS_NOT_AVAILABLE:
		return "ELIGIBLE_LEADERS_NOT_AVAILABLE";
	case KERR_ELECTION_NOT_NEEDED:
		return "ELECTION_NOT_NEEDED";
	case KERR_INVALID_RECORD:
		return "INVALID_RECORD";
	case KERR_UNKNOWN_TOPIC_ID:
		return "UNKNOWN_TOPIC_ID";
	case KERR_MISMATCHED_ENDPOINT_TYPE:
		return "MISMATCHED_ENDPOINT_TYPE";
	}
	return "UNKNOWN";
}
