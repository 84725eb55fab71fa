/* alter_configs.h - AlterConfigs (v0-2) and IncrementalAlterConfigs
 * (v0-1) for topics, through the controller.
 *
 * AlterConfigs replaces a topic's overrides with the configs given (a
 * config left out returns to the broker default); IncrementalAlterConfigs
 * SETs or DELETEs single configs (APPEND and SUBTRACT apply to list
 * configs, none of which fjord implements: INVALID_REQUEST). Values are
 * checked by common/topic_configs.c (INVALID_CONFIG, POLICY_VIOLATION
 * naming the config) and stored in the catalog under fjord's [topic.NAME]
 * keys (kafka_configs.h). Running workers whose settings changed restart
 * with the new ones (follow.c); no topic key applies live today. Broker
 * resources are set in the INI file: POLICY_VIOLATION. */
#ifndef FJORD_SUP_ALTER_CONFIGS_H
#define FJORD_SUP_ALTER_CONFIGS_H

struct kreq;
struct reader;

void alter_configs_handle(struct kreq *r, struct reader *body);
void incremental_alter_configs_handle(struct kreq *r, struct reader *body);

#endif
