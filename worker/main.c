/* main.c - fjord-worker: one partition replica, one event loop.
 *
 * Parses the command line, ties its life to the supervisor's, and runs the
 * replica (replica.c) until the supervisor goes away or a signal asks it to
 * stop. */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/err.h"
#include "common/heap.h"
#include "common/log.h"
#include "worker/args.h"
#include "worker/replica.h"

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("signal %d: stopping", (int)sig);
	replica_stop(arg, 0);
}

int main(int argc, char **argv)
{
	struct worker_args a;
	int rc = worker_args_parse(argc, argv, &a, stdout, stderr);
	if (rc == 1)
		return 0;
	if (rc != 0)
		return 2;

	char prefix[300];
	snprintf(prefix, sizeof(prefix), "worker %s/%d", a.topic, (int)a.partition);
	log_init(prefix, a.cfg.node.log_level);
	if (heap_tune() != 0)
		log_warn("mallopt refused the batch-friendly thresholds; batches will be slower");

	/* Die with the supervisor; if it is already gone (we were reparented
	 * before prctl ran), leave now. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		log_warn("prctl(PR_SET_PDEATHSIG) failed");
	if (getppid() == 1) {
		log_error("supervisor already gone");
		return 1;
	}
	/* A write to a closed socketpair reports EPIPE; EOF then ends us. */
	signal(SIGPIPE, SIG_IGN);

	struct event_base *base = event_base_new();
	if (base == NULL) {
		log_error("cannot create the event loop");
		return 1;
	}
	struct replica r;
	struct event *sigterm = NULL, *sigint = NULL;
	rc = replica_init(&r, base, &a);
	if (rc == 0) {
		sigterm = evsignal_new(base, SIGTERM, on_signal, &r);
		sigint = evsignal_new(base, SIGINT, on_signal, &r);
		if (sigterm == NULL || sigint == NULL) {
			rc = ERR_NOMEM;
		} else {
			event_add(sigterm, NULL);
			event_add(sigint, NULL);
			event_base_dispatch(base);
			rc = r.exit_code ? ERR_IO : 0;
		}
	}
	replica_close(&r);
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	event_base_free(base);
	if (rc != 0)
		log_error("exiting: %s", err_str(rc));
	return rc == 0 ? 0 : 1;
}
