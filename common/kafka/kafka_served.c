/* kafka_served.c - the table of APIs and versions fjord serves (kafka_served.h).
 *
 * To serve a new API, add a line here (keep api key order) and handle it in
 * the supervisor's request router. */
#include "common/kafka/kafka_served.h"

#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"

static const struct kafka_served_api served[] = {
	/* v0-2 are advertised because old librdkafka wants to see them (as
	 * Kafka 4 does); the supervisor answers them with an error. */
	{KAFKA_API_PRODUCE, 0, 11},
	{KAFKA_API_FETCH, 4, 17},
	{KAFKA_API_LIST_OFFSETS, 1, 10},
	{KAFKA_API_METADATA, 0, 12},
	{KAFKA_API_API_VERSIONS, 0, 4},
	{KAFKA_API_INIT_PRODUCER_ID, 0, 4},
};

int kafka_served_range(int16_t api_key, int16_t *min, int16_t *max)
{
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
		if (served[i].api_key == api_key) {
			*min = served[i].min_version;
			*max = served[i].max_version;
			return 0;
		}
	}
	return ERR_UNSUPPORTED;
}

int kafka_served_has(int16_t api_key, int16_t version)
{
	int16_t min, max;
	return kafka_served_range(api_key, &min, &max) == 0 && version >= min && version <= max;
}

const struct kafka_served_api *kafka_served_all(size_t *n)
{
	*n = sizeof(served) / sizeof(served[0]);
	return served;
}
