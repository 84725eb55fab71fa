/* fake_sup.c - a supervisor built by hand for unit suites (fake_sup.h).
 * It may use anything of the supervisor but must stay free of any one
 * suite's assumptions: suites add their own extras on top. */
#include "fake_sup.h"

#include <arpa/inet.h>
#include <check.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config.h"
#include "common/ipc.h"
#include "supervisor/cluster.h"
#include "supervisor/leaders.h"
#include "supervisor/sup.h"
#include "supervisor/worker_link.h"
#include "supervisor/workers.h"

/* Loops fake_sup_init made, so fake_sup_free frees those and no other. */
#define MAX_OWNED 16
static struct event_base *owned[MAX_OWNED];

int fake_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

struct config *fake_config(const char *text)
{
	char path[] = "/tmp/fjord-test-config-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct config *c = NULL;
	char err[512];
	int rc = config_load(path, NULL, 0, &c, err, sizeof(err));
	unlink(path);
	ck_assert_msg(rc == 0, "%s", err);
	return c;
}

void fake_sup_init_on(struct sup *s, struct event_base *base, const char *text)
{
	memset(s, 0, sizeof(*s));
	s->cfg = fake_config(text);
	snprintf(s->cluster_id, sizeof(s->cluster_id), "test-cluster");
	s->base = base;
	s->workers = workers_new(s);
	ck_assert_ptr_nonnull(s->workers);
	if (s->cfg->n_peers > 0) {
		s->leaders = leaders_new();
		ck_assert_ptr_nonnull(s->leaders);
	}
}

void fake_sup_init(struct sup *s, const char *text)
{
	struct event_base *base = event_base_new();
	ck_assert_ptr_nonnull(base);
	int i = 0;
	while (i < MAX_OWNED && owned[i] != NULL)
		i++;
	ck_assert_int_lt(i, MAX_OWNED);
	owned[i] = base;
	fake_sup_init_on(s, base, text);
}

void fake_sup_free(struct sup *s)
{
	leaders_free(s->leaders);
	workers_free(s->workers);
	config_free(s->cfg);
	for (int i = 0; i < MAX_OWNED; i++) {
		if (s->base != NULL && owned[i] == s->base) {
			event_base_free(s->base);
			owned[i] = NULL;
		}
	}
	memset(s, 0, sizeof(*s));
}

struct worker *fake_sup_worker(struct sup *s, const char *topic, int32_t partition, int8_t role,
			       uint64_t term)
{
	bool created;
	struct worker *w = workers_ensure(s->workers, topic, partition, &created);
	ck_assert_ptr_nonnull(w);
	ck_assert(created);
	w->state = WORKER_SERVING;
	w->has_status = true;
	w->status_this_run = true;
	w->status.role = role;
	w->status.term = term;
	w->status.leader_node = -1;
	return w;
}

void fake_sup_place_workers(struct sup *s)
{
	for (int i = 0; i < s->cfg->n_topics; i++) {
		const struct config_topic *t = &s->cfg->topics[i];
		for (int32_t p = 0; p < t->partitions; p++)
			if (cluster_hosts(s->cfg, t, p))
				fake_sup_worker(s, t->name, p, IPC_ROLE_FOLLOWER, 0);
	}
}

int fake_sup_link(struct sup *s, struct worker *w)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(sv[1]);
	ck_assert_int_eq(link_open(w, s->base, sv[0], NULL), 0);
	return sv[1];
}
