/* kafka_configs.h - Kafka topic configs (retention.ms=...) as catalog
 * overrides (fjord's [topic.NAME] keys, common/catalog.h).
 *
 * Each (name, value) is checked by common/topic_configs.c, which knows
 * Kafka's names, types and ranges and what fjord implements: an unknown
 * name or a value Kafka refuses is INVALID_CONFIG, a valid Kafka value fjord
 * cannot honour is POLICY_VIOLATION naming the config. A value that fjord
 * implements becomes the override of its [topic.NAME] key, spelled as the
 * INI file would; a config fjord fixes accepts its one value and stores
 * nothing. */
#ifndef FJORD_SUP_KAFKA_CONFIGS_H
#define FJORD_SUP_KAFKA_CONFIGS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/config.h"

struct kafka_config_in {
	const char *name;
	const char *value; /* NULL: Kafka's null */
};

/* Checks and translates n configs for topic t (its current settings: the
 * values are applied to it as they are checked, so t ends with the new
 * settings). Writes the overrides into out (CATALOG_MAX_CONFIGS) and their
 * count to *n_out. Returns KERR_NONE or the first error with why filled. */
int16_t kafka_configs_translate(const struct config *c, struct config_topic *t,
				const struct kafka_config_in *in, int n, struct catalog_config *out,
				int *n_out, char *why, size_t why_len);

/* The [topic.NAME] key behind Kafka config `name`: its key name in *key
 * (NULL for a config fjord fixes). Returns KERR_NONE or INVALID_CONFIG. */
int16_t kafka_configs_key(const char *name, const char **key, char *why, size_t why_len);

#endif
