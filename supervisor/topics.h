/* topics.h - the topics this node serves, and where their replicas live.
 *
 * With the controller (every real node), that is the committed catalog
 * (common/catalog.h) last pushed by the local `__controller` worker or a
 * peer: each catalog topic seen through this node's configuration (a
 * setting the topic does not override takes the node's global default),
 * with its STORED replica assignment. Without a catalog (s->catalog NULL:
 * at start until the first one arrives, when no worker runs yet, and unit
 * tests that build a struct sup by hand) it is the INI file's
 * [topic.NAME] sections placed by the [cluster] rule (cluster.h), as
 * before the controller.
 *
 * `__controller` itself is found by topics_find (so its worker starts and
 * peers' hellos for it are accepted) but is never listed by topics_at and
 * never routed to. Pointers returned stay valid until the next
 * topics_rebuild (a new catalog or a reload). */
#ifndef FJORD_SUP_TOPICS_H
#define FJORD_SUP_TOPICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/config.h"
#include "common/kafka/kafka_types.h"

struct sup;

/* Room callers give topics_replicas. */
#define TOPICS_REPS_MAX CATALOG_MAX_RF

/* The topic named name (len bytes), or NULL. */
const struct config_topic *topics_find(struct sup *s, const char *name, size_t len);
/* The served topics, in catalog (or file) order, `__controller` not among them. */
int topics_count(struct sup *s);
const struct config_topic *topics_at(struct sup *s, int i);
/* The catalog's entry of t (NULL without a catalog or for __controller). */
const struct catalog_topic *topics_catalog_entry(struct sup *s, const struct config_topic *t);

/* The replicas of partition p of t, preferred leader first, into out
 * (TOPICS_REPS_MAX entries); returns how many (0 for a bad partition). */
int topics_replicas(struct sup *s, const struct config_topic *t, int32_t p, int32_t *out);
/* True when one of them is this node (for __controller: a voter or a
 * learner). */
bool topics_hosts(struct sup *s, const struct config_topic *t, int32_t p);

/* Topic ids: the catalog's, or (without a catalog) the hash of the name. */
void topics_id(struct sup *s, const struct config_topic *t, struct kafka_uuid *out);
const struct config_topic *topics_by_id(struct sup *s, const struct kafka_uuid *id);

/* Members a __controller worker takes (voters and learners together; the
 * worker's WORKER_MAX_MEMBERS, which the supervisor cannot include). */
#define TOPICS_CTL_MEMBERS_MAX 64

/* The controller's voters: the first 3 node ids of [cluster] (all of them
 * when fewer, 5 with controller_voters = 5), or this node alone. Writes
 * them into out (TOPICS_REPS_MAX entries) and returns how many. */
int topics_controller_voters(const struct config *c, int32_t *out);

/* The controller's learners: every other node of [cluster], in its order,
 * up to TOPICS_CTL_MEMBERS_MAX members in all (a node beyond that holds no
 * replica and takes the catalog from a voter's supervisor, PEER_CATALOG).
 * Writes them into out (TOPICS_CTL_MEMBERS_MAX entries) and returns how
 * many (0 when every node votes). The same lists on every node, so every
 * member's worker has the same membership. */
int topics_controller_learners(const struct config *c, int32_t *out);

/* True when node holds a __controller replica, voter or learner. */
bool topics_controller_member(const struct config *c, int32_t node);

/* The effective settings of catalog topic ct on a node configured as c:
 * c's global defaults, then ct's overrides. Returns 0 or ERR_INVALID (an
 * override this node cannot parse: logged, the default kept). */
int topics_settings(const struct config *c, const struct catalog_topic *ct,
		    struct config_topic *out);

/* Rebuilds the view from s->catalog and s->cfg (after either changed).
 * Returns 0 or ERR_NOMEM (the old view is kept). */
int topics_rebuild(struct sup *s);

/* Frees the view and the catalog. */
void topics_free(struct sup *s);

#endif
