/* api_table.c - the Kafka APIs fjord serves: versions, handler, flags
 * (api_table.h). ApiVersions advertises exactly these lines, in this order;
 * the front end dispatches through them. Keep api key order. */
#include "api_table.h"

#include "common/kafka/gen/kafka_gen.h"
#include "supervisor/alter_configs.h"
#include "supervisor/api_versions.h"
#include "supervisor/create_partitions.h"
#include "supervisor/create_topics.h"
#include "supervisor/delete_records.h"
#include "supervisor/delete_topics.h"
#include "supervisor/describe_cluster.h"
#include "supervisor/describe_configs.h"
#include "supervisor/describe_log_dirs.h"
#include "supervisor/describe_producers.h"
#include "supervisor/describe_topic_partitions.h"
#include "supervisor/elect_leaders.h"
#include "supervisor/fetch.h"
#include "supervisor/find_coordinator.h"
#include "supervisor/group_forward.h"
#include "supervisor/group_split.h"
#include "supervisor/init_producer_id.h"
#include "supervisor/list_offsets.h"
#include "supervisor/metadata.h"
#include "supervisor/offset_for_leader_epoch.h"
#include "supervisor/produce.h"

static const struct api_entry table[] = {
    /* v0-2 are advertised because old librdkafka wants to see them (as
     * Kafka 4 does); produce_handle answers them with an error. */
    {KAFKA_API_PRODUCE, 0, 11, produce_handle, NULL, API_TO_LEADER},
    {KAFKA_API_FETCH, 4, 17, fetch_handle, NULL, API_TO_LEADER},
    {KAFKA_API_LIST_OFFSETS, 1, 10, list_offsets_handle, NULL, API_TO_LEADER},
    {KAFKA_API_METADATA, 0, 12, metadata_handle, NULL, API_LOCAL},
    {KAFKA_API_OFFSET_COMMIT, 0, 9, group_forward_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_OFFSET_FETCH, 0, 9, group_offset_fetch_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_FIND_COORDINATOR, 0, 6, find_coordinator_handle, NULL, API_LOCAL},
    {KAFKA_API_JOIN_GROUP, 0, 9, group_forward_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_HEARTBEAT, 0, 4, group_forward_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_LEAVE_GROUP, 0, 5, group_forward_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_SYNC_GROUP, 0, 5, group_forward_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_DESCRIBE_GROUPS, 0, 5, group_describe_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_LIST_GROUPS, 0, 5, group_list_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_API_VERSIONS, 0, 4, api_versions_handle, api_versions_unsupported, API_LOCAL},
    {KAFKA_API_CREATE_TOPICS, 0, 7, create_topics_handle, NULL, API_LOCAL},
    {KAFKA_API_DELETE_TOPICS, 0, 6, delete_topics_handle, NULL, API_LOCAL},
    {KAFKA_API_DELETE_RECORDS, 0, 2, delete_records_handle, NULL, API_TO_LEADER},
    {KAFKA_API_INIT_PRODUCER_ID, 0, 4, init_producer_id_handle, NULL, API_LOCAL},
    {KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 0, 4, offset_for_leader_epoch_handle, NULL, API_TO_LEADER},
    {KAFKA_API_DESCRIBE_CONFIGS, 0, 4, describe_configs_handle, NULL, API_LOCAL},
    {KAFKA_API_ALTER_CONFIGS, 0, 2, alter_configs_handle, NULL, API_LOCAL},
    {KAFKA_API_DESCRIBE_LOG_DIRS, 0, 4, describe_log_dirs_handle, NULL, API_LOCAL},
    {KAFKA_API_CREATE_PARTITIONS, 0, 3, create_partitions_handle, NULL, API_LOCAL},
    {KAFKA_API_DELETE_GROUPS, 0, 2, group_delete_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_ELECT_LEADERS, 0, 2, elect_leaders_handle, NULL, API_LOCAL},
    {KAFKA_API_INCREMENTAL_ALTER_CONFIGS, 0, 1, incremental_alter_configs_handle, NULL, API_LOCAL},
    {KAFKA_API_OFFSET_DELETE, 0, 0, group_forward_handle, NULL, API_TO_COORDINATOR},
    {KAFKA_API_DESCRIBE_CLUSTER, 0, 1, describe_cluster_handle, NULL, API_LOCAL},
    {KAFKA_API_DESCRIBE_PRODUCERS, 0, 0, describe_producers_handle, NULL, API_TO_LEADER},
    {KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, 0, 0, describe_topic_partitions_handle, NULL, API_LOCAL},
};

#define N_ENTRIES (sizeof(table) / sizeof(table[0]))

const struct api_entry *api_table_find(int16_t api_key)
{
	for (size_t i = 0; i < N_ENTRIES; i++)
		if (table[i].api_key == api_key)
			return &table[i];
	return NULL;
}

bool api_entry_serves(const struct api_entry *e, int16_t version)
{
	return version >= e->min_version && version <= e->max_version;
}

const struct api_entry *api_table_all(size_t *n)
{
	*n = N_ENTRIES;
	return table;
}
