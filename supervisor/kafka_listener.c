/* kafka_listener.c - the Kafka port: accept, enforce max_connections, hand
 * each socket to kafka_conn.c. */
#include "kafka_listener.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "supervisor/kafka_conn.h"
#include "supervisor/listen.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	struct sup *s = arg;
	static int64_t last_warn_ms;
	if (s->stopping) {
		close(fd);
		return;
	}
	if (s->n_connections >= s->cfg->kafka.max_connections) {
		int64_t now = spawn_now_ms();
		if (now - last_warn_ms > 1000) { /* at most one line a second */
			log_warn("kafka: refusing a connection: %lld open, max_connections is %d",
				 (long long)s->n_connections, (int)s->cfg->kafka.max_connections);
			last_warn_ms = now;
		}
		close(fd);
		return;
	}
	if (kconn_open(s, fd) != 0)
		log_error("kafka: out of memory accepting a connection");
}

static void on_error(struct evconnlistener *l, void *arg)
{
	/* EMFILE and friends: libevent keeps listening; say why accepts fail. */
	log_warn("kafka: accept failed: %s", strerror(errno));
}

struct evconnlistener *kafka_listener_start(struct sup *s)
{
	char why[512];
	int fd = listen_bind(&s->cfg->node.kafka_listen, why, sizeof(why));
	if (fd < 0) {
		log_error("kafka: %s", why);
		return NULL;
	}
	struct evconnlistener *l = evconnlistener_new(
	    s->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l == NULL) {
		log_error("kafka: cannot start the listener");
		close(fd);
		return NULL;
	}
	evconnlistener_set_error_cb(l, on_error);
	return l;
}
