/* sup.h - the supervisor's process-wide state, shared by its modules.
 *
 * One struct sup exists per process, created by main.c. Modules get a
 * pointer to it instead of reaching for globals, so tests can build one. */
#ifndef FJORD_SUP_SUP_H
#define FJORD_SUP_SUP_H

#include <stdbool.h>
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

struct sup {
	struct event_base *base; /* borrowed */
	struct config *cfg;	 /* owned; replaced as a whole on reload */
	struct args args;	 /* the command line, re-applied on reload */
	struct workers *workers; /* owned */
	/* Clustering; all NULL for a node without [cluster] peers (and in
	 * tests that build a struct sup by hand), and every user copes. */
	struct leaders *leaders;   /* owned: the peers' LEADERS tables */
	struct peers *peers;	   /* owned: the supervisor channels */
	struct failover *failover; /* owned: pending fast-failover decisions */
	struct drain *drain;	   /* owned: SIGTERM leadership hand-off, while it runs */
	struct producer_ids *producer_ids; /* owned: made by the first InitProducerId */
	char cluster_id[32];	   /* stable, see main.c */
	int64_t n_connections;	   /* open Kafka connections */
	uint64_t n_connections_total;
	struct metrics_requests requests; /* per-API counts and durations (metrics.h) */
	bool stopping;
	bool draining; /* SIGTERM arrived; leaderships are being handed over */
};

#endif
