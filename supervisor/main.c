/* main.c - fjord-supervisor: parse the command line, load the config, bind
 * the listeners, start the workers, run the event loop, stop cleanly.
 *
 * Signals are libevent signal events (handled in the loop, not in a signal
 * handler): SIGHUP reloads, SIGTERM/SIGINT stop, SIGCHLD is workers.c's.
 * Exit status: 0 after a stop, 1 on a runtime failure such as a port that
 * cannot be bound, 2 for a usage or configuration error. */
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "supervisor/admin_http.h"
#include "supervisor/args.h"
#include "supervisor/cluster.h"
#include "supervisor/drain.h"
#include "supervisor/failover.h"
#include "supervisor/ids.h"
#include "supervisor/init_producer_id.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/kafka_listener.h"
#include "supervisor/leaders.h"
#include "supervisor/notify.h"
#include "supervisor/peers.h"
#include "supervisor/raft_accept.h"
#include "supervisor/reload.h"
#include "supervisor/sup.h"
#include "supervisor/workers.h"

#define STOP_TIMEOUT_MS 5000

static void on_hup(evutil_socket_t sig, short what, void *arg) { reload_run(arg); }

/* SIGTERM/SIGINT: hand leaderships away first (drain.c stops the loop
 * when done); a second signal stops at once. */
static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct sup *s = arg;
	log_info("received %s; stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	drain_start(s);
}

/* Prints every line of a config error to stderr. */
static void print_config_error(const char *err) { fprintf(stderr, "%s\n", err); }

static int check_worker_path(const struct config *c)
{
	if (access(c->node.worker_path, X_OK) != 0) {
		fprintf(stderr, "%s: node.worker_path: %s is not an executable file (%s)\n",
			c->path, c->node.worker_path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sup s;
	memset(&s, 0, sizeof(s));
	char err[8192];

	if (args_parse(argc, argv, &s.args, err, sizeof(err)) != 0) {
		fprintf(stderr, "fjord-supervisor: %s\nTry 'fjord-supervisor --help'.\n", err);
		return 2;
	}
	if (s.args.help) {
		args_print_help(stdout);
		return 0;
	}
	int rc = config_load(s.args.config_path, s.args.ov, s.args.n_ov, &s.cfg, err, sizeof(err));
	if (rc != 0) {
		print_config_error(err);
		return 2;
	}
	if (s.cfg->node.worker_path[0] == '\0' &&
	    config_default_worker_path(s.cfg->node.worker_path, sizeof(s.cfg->node.worker_path)) !=
		0) {
		fprintf(stderr,
			"%s: node.worker_path: cannot locate fjord-worker next to this "
			"executable; set worker_path\n",
			s.cfg->path);
		config_free(s.cfg);
		return 2;
	}
	if (check_worker_path(s.cfg) != 0) {
		config_free(s.cfg);
		return 2;
	}
	if (s.args.check) {
		int parts = 0;
		for (int i = 0; i < s.cfg->n_topics; i++)
			parts += s.cfg->topics[i].partitions;
		printf("%s: OK (node %d, %d topics, %d partitions)\n", s.cfg->path,
		       (int)s.cfg->node.id, s.cfg->n_topics, parts);
		config_free(s.cfg);
		return 0;
	}

	log_init("supervisor", s.cfg->node.log_level);
	/* A client that vanishes mid-write must not kill the node. */
	signal(SIGPIPE, SIG_IGN);
	ids_cluster_id(s.cfg, s.cluster_id, sizeof(s.cluster_id));

	int status = 1;
	struct evconnlistener *kafka = NULL;
	struct raft_accept *raft = NULL;
	struct evhttp *admin = NULL;
	struct event *ev_hup = NULL, *ev_term = NULL, *ev_int = NULL;
	s.base = event_base_new();
	if (s.base == NULL) {
		log_error("cannot create the event loop");
		goto out;
	}
	s.workers = workers_new(&s);
	if (s.workers == NULL) {
		log_error("out of memory");
		goto out;
	}
	if (s.cfg->n_peers > 0) {
		s.leaders = leaders_new();
		s.failover = failover_new(&s);
		if (s.leaders == NULL || s.failover == NULL) {
			log_error("out of memory");
			goto out;
		}
	}
	kafka = kafka_listener_start(&s);
	if (kafka == NULL)
		goto out;
	admin = admin_http_start(&s);
	if (admin == NULL)
		goto out;
	raft = raft_accept_start(&s);
	if (raft == NULL)
		goto out;
	ev_hup = evsignal_new(s.base, SIGHUP, on_hup, &s);
	ev_term = evsignal_new(s.base, SIGTERM, on_stop, &s);
	ev_int = evsignal_new(s.base, SIGINT, on_stop, &s);
	if (!ev_hup || !ev_term || !ev_int || evsignal_add(ev_hup, NULL) ||
	    evsignal_add(ev_term, NULL) || evsignal_add(ev_int, NULL)) {
		log_error("cannot install signal events");
		goto out;
	}

	int n_workers = 0;
	for (int i = 0; i < s.cfg->n_topics; i++) {
		const struct config_topic *t = &s.cfg->topics[i];
		for (int32_t p = 0; p < t->partitions; p++) {
			if (!cluster_hosts(s.cfg, t, p))
				continue; /* placed on other nodes */
			bool created;
			struct worker *w = workers_ensure(s.workers, t->name, p, &created);
			if (w == NULL) {
				log_error("out of memory adding worker %s/%d", t->name, (int)p);
				goto out;
			}
			workers_start_queued(s.workers, w);
			n_workers++;
		}
	}
	/* After the workers exist, so the first LEADERS table lists them. */
	if (s.cfg->n_peers > 0) {
		s.peers = peers_new(&s);
		if (s.peers == NULL) {
			log_error("out of memory");
			goto out;
		}
	}
	char k[300], a[300], r[300], ready[1024];
	config_addr_str(&s.cfg->node.kafka_listen, k, sizeof(k));
	config_addr_str(&s.cfg->node.admin_listen, a, sizeof(a));
	config_addr_str(&s.cfg->node.raft_listen, r, sizeof(r));
	snprintf(ready, sizeof(ready), "node %d of %d: kafka %s, admin %s, raft %s, %d workers",
		 (int)s.cfg->node.id, cluster_n_nodes(s.cfg), k, a, r, n_workers);
	log_info("%s (cluster id %s, config %s)", ready, s.cluster_id, s.cfg->path);
	notify_ready(ready);

	event_base_dispatch(s.base);

	notify_stopping();
	log_info("stopping: closing listeners and connections, stopping %d workers",
		 workers_count(s.workers));
	status = 0;
out:
	s.stopping = true;
	if (kafka)
		evconnlistener_free(kafka);
	raft_accept_free(raft);
	if (admin)
		evhttp_free(admin);
	kconn_close_all(&s);
	drain_free(&s);
	init_producer_id_free(&s);
	failover_free(s.failover);
	s.failover = NULL;
	if (s.workers) {
		workers_stop_all(s.workers, STOP_TIMEOUT_MS);
		workers_free(s.workers);
	}
	peers_free(s.peers);
	s.peers = NULL;
	leaders_free(s.leaders);
	s.leaders = NULL;
	if (ev_hup)
		event_free(ev_hup);
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	if (s.base)
		event_base_free(s.base);
	if (status == 0)
		log_info("stopped");
	config_free(s.cfg);
	return status;
}
