/* sup.h - the supervisor's process-wide state, shared by its modules.
 *
 * One struct sup exists per process, created by main.c. Modules get a
 * pointer to it instead of reaching for globals, so tests can build one. */
#ifndef FJORD_SUP_SUP_H
#define FJORD_SUP_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "supervisor/args.h"
#include "supervisor/metrics.h"

struct event_base;
struct workers;
struct leaders;
struct peers;
struct failover;
struct drain;
struct producer_ids;
struct catalog;
struct proposals;
struct desired;
struct pid_blocks;
struct pid_blocks;

/* Events that a lower module announces and a higher one acts on. The
 * module that acts registers here (peers.c, in peers_new); the one that
 * announces calls sup_notify_*() and does not include the other's header.
 * This keeps the supervisor's modules free of call cycles (workers.c
 * does not call peers.c, which calls failover.c, which uses workers.c);
 * see docs/ARCHITECTURE.md and tools/check-sup-graph. Unset hooks (tests
 * that build a struct sup by hand, a node without peers) do nothing. */
struct sup_observer {
	void *arg; /* borrowed; passed back to every hook */
	/* A local worker's role, term, leader or caught-up state changed, or
	 * it stopped serving. */
	void (*local_changed)(void *arg);
	/* The local worker of (topic, partition) died while leading term. */
	void (*leader_died)(void *arg, const char *topic, int32_t partition, uint64_t term);
	/* The local worker of (topic, partition), leading term, has sent
	 * nothing for longer than its quiet keep-alive allows. */
	void (*leader_silent)(void *arg, const char *topic, int32_t partition, uint64_t term);
};

/* The controller's hooks, registered by the modules that act on them
 * (follow.c, proposals.c) and called by the ones that receive the bytes
 * (workers.c for the local controller worker, peers.c for peers), so
 * that neither of those depends on the controller's modules. */
struct sup_ctl_observer {
	void *arg;
	/* A committed catalog (catalog_encode bytes, borrowed) arrived. */
	void (*catalog)(void *arg, const uint8_t *data, size_t len);
	/* A peer sent a controller message (PEER_CTL_*, borrowed payload). */
	void (*peer_msg)(void *arg, int32_t node, int type, const uint8_t *data, size_t len);
};

struct sup {
	struct event_base *base; /* borrowed */
	struct config *cfg;	 /* owned; replaced as a whole on reload */
	struct args args;	 /* the command line, re-applied on reload */
	struct workers *workers; /* owned */
	/* Clustering; all NULL for a node without [cluster] peers (and in
	 * tests that build a struct sup by hand), and every user copes. */
	struct leaders *leaders;	   /* owned: the peers' LEADERS tables */
	struct peers *peers;		   /* owned: the supervisor channels */
	struct failover *failover;	   /* owned: pending fast-failover decisions */
	struct drain *drain;		   /* owned: SIGTERM leadership hand-off, while it runs */
	struct producer_ids *producer_ids; /* owned: made by the first InitProducerId */
	char cluster_id[32];		   /* stable, see main.c */
	int64_t n_connections;		   /* open Kafka connections */
	uint64_t n_connections_total;
	struct metrics_requests requests; /* per-API counts and durations (metrics.h) */
	bool stopping;
	bool draining; /* SIGTERM arrived; leaderships are being handed over */
	struct sup_observer obs;
	/* The controller (topics.h, follow.h, proposals.h, desired.h). */
	struct catalog *catalog;   /* owned: the committed catalog; NULL until the first */
	struct config_topic *view; /* owned: catalog topics with this node's settings */
	int n_view;
	struct config_topic
	    ctl_topic;		     /* __controller's worker settings; name "" = no replica here */
	struct proposals *proposals; /* owned: catalog commands on their way to the leader */
	struct desired *desired;     /* owned: the INI file's topics as desired state */
	struct pid_blocks *pid_blocks; /* owned: producer ids from controller blocks */
	struct sup_ctl_observer ctl_obs;
};

static inline void sup_notify_local_changed(struct sup *s)
{
	if (s->obs.local_changed != NULL)
		s->obs.local_changed(s->obs.arg);
}

static inline void sup_notify_leader_died(struct sup *s, const char *topic, int32_t partition,
					  uint64_t term)
{
	if (s->obs.leader_died != NULL)
		s->obs.leader_died(s->obs.arg, topic, partition, term);
}

static inline void sup_notify_leader_silent(struct sup *s, const char *topic, int32_t partition,
					    uint64_t term)
{
	if (s->obs.leader_silent != NULL)
		s->obs.leader_silent(s->obs.arg, topic, partition, term);
}

static inline void sup_notify_catalog(struct sup *s, const uint8_t *data, size_t len)
{
	if (s->ctl_obs.catalog != NULL)
		s->ctl_obs.catalog(s->ctl_obs.arg, data, len);
}

static inline void sup_notify_ctl_peer(struct sup *s, int32_t node, int type, const uint8_t *data,
				       size_t len)
{
	if (s->ctl_obs.peer_msg != NULL)
		s->ctl_obs.peer_msg(s->ctl_obs.arg, node, type, data, len);
}

#endif
