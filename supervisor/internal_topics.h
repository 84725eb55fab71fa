/* internal_topics.h - the topics fjord itself needs, added to the
 * configuration's topic list as if the INI file had them.
 *
 * Today that is __consumer_offsets (the group coordinators' partitions).
 * Until the controller (DESIGN.md §5) creates internal topics, every
 * supervisor adds it at config load, start and SIGHUP alike, so every
 * node computes the same placement for it; this is the one place that
 * does so, and the one the controller will replace. */
#ifndef FJORD_SUP_INTERNAL_TOPICS_H
#define FJORD_SUP_INTERNAL_TOPICS_H

#include "common/config.h"

#define INTERNAL_OFFSETS_TOPIC "__consumer_offsets"

/* Appends __consumer_offsets to c->topics: [groups] offsets_partitions
 * partitions, replication min(3, nodes), no retention (the log is the
 * groups' state), the global max_message_bytes. A no-op when c already
 * has it. Returns 0 or ERR_NOMEM (c unchanged). */
int internal_topics_add(struct config *c);

#endif
