/* kafka_configs.c - Kafka topic configs as catalog overrides
 * (kafka_configs.h). */
#include "kafka_configs.h"

#include <stdio.h>
#include <string.h>

#include "common/config_keys.h"
#include "common/kafka/kerr.h"
#include "common/topic_configs.h"

int16_t kafka_configs_key(const char *name, const char **key, char *why, size_t why_len)
{
	const struct topic_config *row = topic_config_find(name);
	*key = NULL;
	if (row == NULL) {
		snprintf(why, why_len, "unknown topic config '%.100s'", name);
		return KERR_INVALID_CONFIG;
	}
	const struct config_key *k = topic_config_key(row);
	*key = k ? k->key : NULL;
	return KERR_NONE;
}

int16_t kafka_configs_translate(const struct config *c, struct config_topic *t,
				const struct kafka_config_in *in, int n, struct catalog_config *out,
				int *n_out, char *why, size_t why_len)
{
	*n_out = 0;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			if (strcmp(in[i].name, in[j].name) == 0) {
				snprintf(why, why_len, "config '%.100s' given twice", in[i].name);
				return KERR_INVALID_REQUEST;
			}
		int16_t k = topic_config_set(c, t, in[i].name, in[i].value, why, why_len);
		if (k != KERR_NONE)
			return k;
		const struct config_key *key = topic_config_key(topic_config_find(in[i].name));
		if (key == NULL)
			continue;
		if (*n_out == CATALOG_MAX_CONFIGS) {
			snprintf(why, why_len, "too many configs");
			return KERR_INVALID_CONFIG;
		}
		struct catalog_config *o = &out[(*n_out)];
		snprintf(o->key, sizeof(o->key), "%s", key->key);
		if (config_key_format(key, t, o->value, sizeof(o->value)) != 0) {
			snprintf(why, why_len, "%s: value too long", in[i].name);
			return KERR_INVALID_CONFIG;
		}
		/* Two Kafka names may share a key: the last one wins. */
		for (int j = 0; j < *n_out; j++)
			if (strcmp(out[j].key, o->key) == 0) {
				out[j] = *o;
				(*n_out)--;
				break;
			}
		(*n_out)++;
	}
	return KERR_NONE;
}
