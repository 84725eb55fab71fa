/* kafka_served.h - which Kafka APIs and versions fjord serves.
 *
 * This is policy, not protocol: the codec can parse every version the schemas
 * define (kafka_api_lookup), fjord answers only these. ApiVersions responses
 * advertise this table and the front end refuses anything outside it. */
#ifndef FJORD_KAFKA_SERVED_H
#define FJORD_KAFKA_SERVED_H

#include <stddef.h>
#include <stdint.h>

struct kafka_served_api {
	int16_t api_key;
	int16_t min_version, max_version;
};

/* Sets *min and *max to the versions served for api_key. Returns 0, or
 * ERR_UNSUPPORTED for an API fjord does not serve (min/max untouched). */
int kafka_served_range(int16_t api_key, int16_t *min, int16_t *max);

/* True when api_key is served at version. */
int kafka_served_has(int16_t api_key, int16_t version);

/* The whole table (static, in api key order), its length in *n. */
const struct kafka_served_api *kafka_served_all(size_t *n);

#endif
