/* auto_create.h - creating a topic a client asks Metadata about, as
 * Kafka's auto.create.topics.enable does.
 *
 * With [kafka] auto_create_topics = 1, a Metadata request (v0-3, or v4+
 * with allow_auto_topic_creation) naming a valid topic that does not
 * exist proposes its creation (default_partitions, default_replication
 * capped by the registered nodes) and answers LEADER_NOT_AVAILABLE for it,
 * as Kafka does: the client asks again and finds it. One proposal per name
 * at a time. */
#ifndef FJORD_SUP_AUTO_CREATE_H
#define FJORD_SUP_AUTO_CREATE_H

#include <stdbool.h>
#include <stddef.h>

struct sup;

/* Proposes topic name (len bytes) unless one is under way. Returns true
 * when the topic is being created (the caller answers
 * LEADER_NOT_AVAILABLE), false when auto-creation is off or impossible
 * here (no catalog yet, a reserved or invalid name). */
bool auto_create(struct sup *s, const char *name, size_t len);

#endif
