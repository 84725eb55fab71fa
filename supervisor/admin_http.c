/* admin_http.c - /metrics, /v1/status and POST /v1/leaders/balance over
 * libevent's evhttp.
 *
 * Both are rendered from the worker table on each request: the Raft figures
 * are those of each worker's last IPC_STATUS (sent every second), kept after
 * a worker dies so counters do not jump back to zero while it restarts. The
 * role of a replica whose worker is not serving is reported as follower: a
 * process that is not running leads nothing, whatever it last said. */
#include "admin_http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "supervisor/balance.h"
#include "supervisor/catalog_json.h"
#include "supervisor/cluster.h"
#include "supervisor/fs_usage.h"
#include "supervisor/leaders.h"
#include "supervisor/listen.h"
#include "supervisor/metrics.h"
#include "supervisor/peers.h"
#include "supervisor/router.h"
#include "supervisor/spawn.h"
#include "supervisor/sup.h"
#include "supervisor/topics.h"
#include "supervisor/workers.h"

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const char *role_name(int8_t role)
{
	switch (role) {
	case IPC_ROLE_FOLLOWER:
		return "follower";
	case IPC_ROLE_CANDIDATE:
		return "candidate";
	case IPC_ROLE_LEADER:
		return "leader";
	case IPC_ROLE_LEARNER:
		return "learner";
	}
	return "unknown";
}

enum metric_kind {
	M_RESTARTS,
	M_UP,
	M_TERM,
	M_ROLE,
	M_ELECTIONS,
	M_LEADER_CHANGES,
	M_LOWER_TERM,
	M_HWM,
	M_COMMIT,
	M_COMMIT_OFFSET,
	M_LAST_INDEX,
	M_MATCH_LAG,
	M_CAUGHT_UP,
	M_PRODUCE_REQUESTS,
	M_PRODUCE_BYTES,
	M_FETCH_REQUESTS,
	M_FETCH_BYTES,
	M_STORAGE_USED,
	M_STORAGE_MAP
};

static const struct {
	const char *name, *type, *help;
	bool needs_status;
} metrics[] = {
    [M_RESTARTS] = {"fjord_worker_restarts_total", "counter",
		    "Times the partition's worker exited unexpectedly and was restarted.", false},
    [M_UP] = {"fjord_worker_up", "gauge",
	      "1 while the partition's worker is serving requests, else 0.", false},
    [M_TERM] = {"fjord_raft_term", "gauge", "Current Raft term of the local replica.", true},
    [M_ROLE] = {"fjord_raft_role", "gauge",
		"Raft role of the local replica: 0 follower, 1 candidate, 2 leader, 3 learner.",
		true},
    [M_ELECTIONS] = {"fjord_raft_elections_total", "counter",
		     "Times the local replica became a candidate.", true},
    [M_LEADER_CHANGES] = {"fjord_raft_leader_changes_total", "counter",
			  "Times the local replica saw the leader change.", true},
    [M_LOWER_TERM] = {"fjord_raft_lower_term_messages_total", "counter",
		      "Raft messages received with a term lower than the replica's.", true},
    [M_HWM] = {"fjord_partition_high_watermark", "gauge",
	       "Offset after the last committed record of the partition.", true},
    [M_COMMIT] = {"fjord_raft_commit_index", "gauge", "Raft commit index of the local replica.",
		  true},
    [M_COMMIT_OFFSET] = {"fjord_partition_commit_offset", "gauge",
			 "Kafka offset after the last entry this replica knows committed.", true},
    [M_LAST_INDEX] = {"fjord_raft_last_index", "gauge", "Last Raft log index of the local replica.",
		      true},
    [M_MATCH_LAG] = {"fjord_raft_match_lag", "gauge",
		     "Leader only: most entries any follower is behind, else 0.", true},
    [M_CAUGHT_UP] = {"fjord_raft_caught_up", "gauge",
		     "1 when the local follower holds everything the leader committed.", true},
    [M_PRODUCE_REQUESTS] = {"fjord_produce_requests_total", "counter",
			    "Produce requests for the partition forwarded to the local replica.",
			    false},
    [M_PRODUCE_BYTES] = {"fjord_produce_bytes_total", "counter",
			 "Record batch bytes the local replica accepted from producers.", false},
    [M_FETCH_REQUESTS] = {"fjord_fetch_requests_total", "counter",
			  "Fetch requests for the partition forwarded to the local replica.",
			  false},
    [M_FETCH_BYTES] = {"fjord_fetch_bytes_total", "counter",
		       "Record batch bytes of the partition returned to fetching clients.", false},
    [M_STORAGE_USED] = {"fjord_storage_used_bytes", "gauge",
			"Bytes of the replica's LMDB data file in use (up to its last used page).",
			true},
    [M_STORAGE_MAP] = {"fjord_storage_map_bytes", "gauge",
		       "Configured LMDB map size of the replica: the most it can use.", true},
};

static long long metric_value(const struct worker *w, enum metric_kind k)
{
	const struct ipc_status *st = &w->status;
	switch (k) {
	case M_RESTARTS:
		return (long long)w->restarts;
	case M_UP:
		return w->state == WORKER_SERVING;
	case M_TERM:
		return (long long)st->term;
	case M_ROLE:
		return w->state == WORKER_SERVING ? st->role : IPC_ROLE_FOLLOWER;
	case M_ELECTIONS:
		return (long long)st->elections;
	case M_LEADER_CHANGES:
		return (long long)st->leader_changes;
	case M_LOWER_TERM:
		return (long long)st->lower_term_messages;
	case M_HWM:
		return (long long)st->high_watermark;
	case M_COMMIT:
		return (long long)st->commit_index;
	case M_COMMIT_OFFSET:
		return (long long)st->commit_offset;
	case M_LAST_INDEX:
		return (long long)st->last_index;
	case M_MATCH_LAG:
		return (long long)st->match_lag;
	case M_CAUGHT_UP:
		return st->caught_up ? 1 : 0;
	case M_PRODUCE_REQUESTS:
		return (long long)w->produce_requests;
	case M_PRODUCE_BYTES:
		return (long long)w->produce_bytes;
	case M_FETCH_REQUESTS:
		return (long long)w->fetch_requests;
	case M_FETCH_BYTES:
		return (long long)w->fetch_bytes;
	case M_STORAGE_USED:
		return (long long)st->storage_used_bytes;
	case M_STORAGE_MAP:
		return (long long)st->storage_map_bytes;
	}
	return 0;
}

/* Writes v as a Prometheus label value (backslash, quote and newline
 * escaped). */
static void put_label(struct buf *out, const char *v)
{
	for (const char *c = v; *c; c++) {
		if (*c == '\\' || *c == '"')
			buf_put_u8(out, '\\');
		if (*c == '\n')
			buf_put(out, "\\n", 2);
		else
			buf_put_u8(out, (uint8_t)*c);
	}
}

/* The filesystem under the data directory, read now: LMDB's own figures
 * (fjord_storage_used_bytes) say nothing of a disk that other files, or
 * other replicas, filled. A directory statvfs cannot read has no sample. */
static void storage_fs_metrics(struct sup *s, struct buf *out)
{
	const char *dir = s->cfg->node.data_dir;
	uint64_t fs_free, fs_size;
	bool ok = fs_usage(dir, &fs_free, &fs_size) == 0;
	const struct {
		const char *name, *help;
		unsigned long long value;
	} fams[] = {
	    {"fjord_storage_fs_free_bytes",
	     "Bytes free for fjord on the filesystem holding the data directory (statvfs "
	     "f_bavail).",
	     (unsigned long long)fs_free},
	    {"fjord_storage_fs_size_bytes",
	     "Size of the filesystem holding the data directory (statvfs f_blocks).",
	     (unsigned long long)fs_size},
	};
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		putf(out, "# HELP %s %s\n# TYPE %s gauge\n", fams[i].name, fams[i].help,
		     fams[i].name);
		if (!ok)
			continue;
		putf(out, "%s{dir=\"", fams[i].name);
		put_label(out, dir);
		putf(out, "\"} %llu\n", fams[i].value);
	}
}

/* The coordinators' groups (IPC_GROUP_STATUS of __consumer_offsets
 * workers). Families appear once a coordinator reported. */
static void group_metrics(struct sup *s, struct buf *out)
{
	static const char *const states[IPC_GROUP_STATES] = {
	    "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"};
	static const struct {
		const char *name, *type, *help;
	} fams[] = {
	    {"fjord_groups", "gauge",
	     "Consumer groups this replica coordinates, by state (0 unless it leads)."},
	    {"fjord_group_members", "gauge",
	     "Members of the groups this replica coordinates (0 unless it leads)."},
	    {"fjord_group_rebalances_total", "counter",
	     "Join phases the coordinator completed (new generations), this process's life."},
	    {"fjord_group_offset_commits_total", "counter",
	     "Committed offsets applied by this replica, this process's life."},
	    {"fjord_group_offsets_expired_total", "counter",
	     "Offsets the coordinator removed by retention, this process's life."},
	};
	int n = workers_count(s->workers);
	bool any = false;
	for (int i = 0; i < n && !any; i++)
		any = workers_at(s->workers, i)->has_group_status;
	if (!any)
		return;
	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
		putf(out, "# HELP %s %s\n# TYPE %s %s\n", fams[k].name, fams[k].help, fams[k].name,
		     fams[k].type);
		for (int i = 0; i < n; i++) {
			struct worker *w = workers_at(s->workers, i);
			if (!w->has_group_status)
				continue;
			const struct ipc_group_status *g = &w->group_status;
			if (k == 0) {
				for (int st = 0; st < IPC_GROUP_STATES; st++)
					putf(
					    out,
					    "%s{topic=\"%s\",partition=\"%d\",state=\"%s\"} %llu\n",
					    fams[k].name, w->topic, (int)w->partition, states[st],
					    (unsigned long long)g->groups[st]);
				continue;
			}
			uint64_t v = k == 1   ? g->members
				     : k == 2 ? g->rebalances
				     : k == 3 ? g->commits
					      : g->expired;
			putf(out, "%s{topic=\"%s\",partition=\"%d\"} %llu\n", fams[k].name,
			     w->topic, (int)w->partition, (unsigned long long)v);
		}
	}
}

void admin_http_metrics(struct sup *s, struct buf *out)
{
	int n = workers_count(s->workers);
	for (size_t k = 0; k < sizeof(metrics) / sizeof(metrics[0]); k++) {
		putf(out, "# HELP %s %s\n# TYPE %s %s\n", metrics[k].name, metrics[k].help,
		     metrics[k].name, metrics[k].type);
		for (int i = 0; i < n; i++) {
			struct worker *w = workers_at(s->workers, i);
			if (metrics[k].needs_status && !w->has_status)
				continue;
			putf(out, "%s{topic=\"%s\",partition=\"%d\"} %lld\n", metrics[k].name,
			     w->topic, (int)w->partition, metric_value(w, (enum metric_kind)k));
		}
	}
	storage_fs_metrics(s, out);
	group_metrics(s, out);
	if (s->cfg->n_peers > 0) {
		int64_t now = spawn_now_ms();
		putf(out, "# HELP fjord_peer_up 1 while the peer node's supervisor is heard from.\n"
			  "# TYPE fjord_peer_up gauge\n");
		for (int i = 0; i < s->cfg->n_peers; i++) {
			int32_t id = s->cfg->peers[i].id;
			if (id != s->cfg->node.id)
				putf(out, "fjord_peer_up{node=\"%d\"} %d\n", (int)id,
				     s->leaders != NULL && leaders_fresh(s->leaders, id, now));
		}
	}
	putf(out,
	     "# HELP fjord_connections Open Kafka client connections.\n"
	     "# TYPE fjord_connections gauge\nfjord_connections %lld\n",
	     (long long)s->n_connections);
	putf(out,
	     "# HELP fjord_connections_total Kafka client connections accepted.\n"
	     "# TYPE fjord_connections_total counter\nfjord_connections_total %llu\n",
	     (unsigned long long)s->n_connections_total);
	/* The first name of fjord_connections_total, kept for old dashboards. */
	putf(out,
	     "# HELP fjord_connections_accepted_total Kafka client connections accepted "
	     "(same as fjord_connections_total).\n"
	     "# TYPE fjord_connections_accepted_total counter\n"
	     "fjord_connections_accepted_total %llu\n",
	     (unsigned long long)s->n_connections_total);
	metrics_requests_write(&s->requests, out);
}

/* Replaces what JSON would need escaped (a host name could hold anything
 * but blanks and commas) with '?'. Returns s. */
static char *json_safe(char *s)
{
	for (char *c = s; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
			*c = '?';
	return s;
}

/* The "nodes" array of /v1/status: every node of the cluster and how this
 * one is connected to it. */
static void status_nodes(struct sup *s, struct buf *out)
{
	const struct config *c = s->cfg;
	int64_t now = spawn_now_ms();
	putf(out, ",\"cluster\":\"%s\",\"nodes\":[", c->cluster_name);
	int n = cluster_n_nodes(c);
	for (int i = 0; i < n; i++) {
		char k[CONFIG_HOST_MAX + 16], r[CONFIG_HOST_MAX + 16];
		int32_t id = c->n_peers > 0 ? c->peers[i].id : c->node.id;
		bool self = id == c->node.id;
		if (c->n_peers > 0) {
			config_addr_str(&c->peers[i].kafka, k, sizeof(k));
			config_addr_str(&c->peers[i].raft, r, sizeof(r));
		} else {
			config_addr_str(&c->node.kafka_listen, k, sizeof(k));
			config_addr_str(&c->node.raft_listen, r, sizeof(r));
		}
		putf(out,
		     "%s{\"id\":%d,\"kafka\":\"%s\",\"raft\":\"%s\",\"self\":%s,\"up\":%s,"
		     "\"out_connected\":%s,\"in_connected\":%s}",
		     i ? "," : "", (int)id, json_safe(k), json_safe(r), self ? "true" : "false",
		     self || (s->leaders != NULL && leaders_fresh(s->leaders, id, now)) ? "true"
											: "false",
		     peers_out_ready(s->peers, id) ? "true" : "false",
		     peers_in_open(s->peers, id) ? "true" : "false");
	}
	putf(out, "]");
}

void admin_http_status(struct sup *s, struct buf *out)
{
	/* Topic and cluster names are [a-zA-Z0-9._-] and the cluster id is
	 * base64url; only host names go through json_safe. */
	int n = workers_count(s->workers);
	putf(out, "{\"node_id\":%d,\"cluster_id\":\"%s\",\"connections\":%lld",
	     (int)s->cfg->node.id, s->cluster_id, (long long)s->n_connections);
	status_nodes(s, out);
	putf(out, ",\"draining\":%s,\"workers\":[", s->draining ? "true" : "false");
	for (int i = 0; i < n; i++) {
		struct worker *w = workers_at(s->workers, i);
		putf(out,
		     "%s{\"topic\":\"%s\",\"partition\":%d,\"pid\":%d,\"state\":\"%s\","
		     "\"restarts\":%llu}",
		     i ? "," : "", w->topic, (int)w->partition, (int)w->pid,
		     worker_state_name(w->state), (unsigned long long)w->restarts);
	}
	putf(out, "],\"replicas\":[");
	bool first = true;
	for (int i = 0; i < n; i++) {
		struct worker *w = workers_at(s->workers, i);
		if (!w->has_status)
			continue;
		const struct ipc_status *st = &w->status;
		bool serving = w->state == WORKER_SERVING;
		const struct config_topic *t = topics_find(s, w->topic, strlen(w->topic));
		int32_t preferred = -1;
		if (t != NULL) {
			int32_t reps[TOPICS_REPS_MAX];
			if (topics_replicas(s, t, w->partition, reps) > 0)
				preferred = reps[0];
		}
		putf(out,
		     "%s{\"topic\":\"%s\",\"partition\":%d,\"node_id\":%d,\"serving\":%s,"
		     "\"role\":\"%s\",\"term\":%llu,\"leader\":%d,\"preferred_leader\":%d,",
		     first ? "" : ",", w->topic, (int)w->partition, (int)s->cfg->node.id,
		     serving ? "true" : "false", role_name(serving ? st->role : IPC_ROLE_FOLLOWER),
		     (unsigned long long)st->term, (int)st->leader_node, (int)preferred);
		putf(out,
		     "\"commit_index\":%llu,\"high_watermark\":%lld,\"log_start_offset\":%lld,"
		     "\"commit_offset\":%lld,\"log_checksum\":%llu,\"last_index\":%llu,"
		     "\"match_lag\":%llu,\"caught_up\":%s,",
		     (unsigned long long)st->commit_index, (long long)st->high_watermark,
		     (long long)st->log_start_offset, (long long)st->commit_offset,
		     (unsigned long long)st->log_checksum, (unsigned long long)st->last_index,
		     (unsigned long long)st->match_lag, st->caught_up ? "true" : "false");
		putf(out,
		     "\"elections\":%llu,\"leader_changes\":%llu,\"lower_term_messages\":%llu,"
		     "\"quiesced\":%s}",
		     (unsigned long long)st->elections, (unsigned long long)st->leader_changes,
		     (unsigned long long)st->lower_term_messages,
		     serving && st->quiesced ? "true" : "false");
		first = false;
	}
	/* The groups this node coordinates: each leading __consumer_offsets
	 * worker's report (JSON objects, worker/group_report.h). */
	putf(out, "],\"groups\":[");
	first = true;
	for (int i = 0; i < n; i++) {
		struct worker *w = workers_at(s->workers, i);
		if (w->group_report == NULL || w->group_report[0] == '\0' ||
		    !router_worker_leads(w))
			continue;
		/* Not through putf: a report is longer than its buffer. */
		if (!first)
			buf_put_u8(out, ',');
		buf_put(out, w->group_report, strlen(w->group_report));
		first = false;
	}
	putf(out, "]}\n");
}

static void send_buf(struct evhttp_request *req, int code, const char *reason, const char *ctype,
		     struct buf *b)
{
	struct evbuffer *eb = evbuffer_new();
	if (eb == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	if (b->len > 0)
		evbuffer_add(eb, b->data, b->len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	evhttp_send_reply(req, code, reason, eb);
	evbuffer_free(eb);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct sup *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct buf b;
	buf_init(&b);
	if (path == NULL)
		path = "";
	if (strcmp(path, "/v1/leaders/balance") == 0) {
		if (cmd == EVHTTP_REQ_POST) {
			putf(&b, "{\"requested\":%d}\n", balance_request(s));
			send_buf(req, 200, "OK", "application/json", &b);
		} else {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
			putf(&b, "only POST\n");
			send_buf(req, 405, "Method Not Allowed", "text/plain", &b);
		}
	} else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		putf(&b, "only GET\n");
		send_buf(req, 405, "Method Not Allowed", "text/plain", &b);
	} else if (strcmp(path, "/metrics") == 0) {
		admin_http_metrics(s, &b);
		send_buf(req, 200, "OK", "text/plain; version=0.0.4", &b);
	} else if (strcmp(path, "/v1/status") == 0) {
		admin_http_status(s, &b);
		send_buf(req, 200, "OK", "application/json", &b);
	} else if (strcmp(path, "/v1/catalog") == 0) {
		catalog_json(s, &b);
		send_buf(req, 200, "OK", "application/json", &b);
	} else {
		putf(&b, "not found; try /metrics, /v1/status, /v1/catalog or POST "
			 "/v1/leaders/balance\n");
		send_buf(req, 404, "Not Found", "text/plain", &b);
	}
	buf_free(&b);
}

struct evhttp *admin_http_start(struct sup *s)
{
	char why[512];
	int fd = listen_bind(&s->cfg->node.admin_listen, why, sizeof(why));
	if (fd < 0) {
		log_error("admin: %s", why);
		return NULL;
	}
	struct evhttp *http = evhttp_new(s->base);
	if (http == NULL || evhttp_accept_socket(http, fd) != 0) {
		log_error("admin: cannot start the HTTP server");
		if (http)
			evhttp_free(http);
		close(fd);
		return NULL;
	}
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
					     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_timeout(http, 10);
	evhttp_set_gencb(http, on_request, s);
	return http;
}
