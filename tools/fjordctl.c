/* fjordctl.c - the operator's view of a fjord cluster, read from the nodes'
 * admin HTTP (GET /v1/status; POST /v1/leaders/balance).
 *
 * The top half is pure and has no I/O: one node's /v1/status JSON into
 * replica records (ctl_view_add_status), the replicas of every node merged
 * into one row per partition (ctl_rows_build), the tables printed from the
 * rows, an HTTP response split into status and body, and the address list.
 * test/unit/test_fjordctl.c includes this file with FJORDCTL_NO_MAIN defined
 * to test that half. The bottom half talks to the nodes: a small blocking
 * HTTP/1.0 client with a deadline on connect and on the reply (no libevent
 * loop for one request per node), and main.
 *
 * fjordctl only reads what the nodes report and never changes the cluster,
 * except through `leaders --balance`, which asks each node to do it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "common/config.h"
#include "common/topic_configs.h"

#define CTL_TOPIC_MAX 249
#define CTL_ROLE_MAX 16
#define CTL_REPLICAS_MAX 32 /* replicas shown per partition */
#define CTL_ADDR_MAX (CONFIG_HOST_MAX + 16)
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

/* ---- pure part: JSON to records ---- */

/* One replica as one node reports it in /v1/status. */
struct ctl_replica {
	char topic[CTL_TOPIC_MAX + 1];
	int32_t partition;
	int32_t node_id;
	bool serving;
	char role[CTL_ROLE_MAX]; /* leader, follower, candidate, learner */
	int64_t term;
	int32_t leader;		  /* the node it follows, -1 unknown */
	int32_t preferred_leader; /* -1 unknown */
	int64_t high_watermark;
	int64_t commit_offset;
	uint64_t log_checksum;
	int64_t elections;
	int64_t restarts; /* of this replica's worker, from workers[] */
};

/* What the answering nodes reported, merged. */
struct ctl_view {
	struct ctl_replica *reps; /* owned */
	int n_reps;
	int cap;
	int32_t *nodes; /* owned: node ids added, in order */
	int n_nodes;
	int n_groups; /* entries of "groups" arrays, when a node has one */
	/* Those entries (objects, each with "node" added: who reported it),
	 * in the order nodes were added; NULL until one is. Owned. */
	json_t *groups;
};

void ctl_view_init(struct ctl_view *v) { memset(v, 0, sizeof(*v)); }

void ctl_view_free(struct ctl_view *v)
{
	free(v->reps);
	free(v->nodes);
	if (v->groups)
		json_decref(v->groups);
	memset(v, 0, sizeof(*v));
}

/* Copies `in` (len bytes) into a new NUL-terminated string (caller frees)
 * with every integer that does not fit an int64 put in quotes. Jansson
 * rejects such integers outright, and log_checksum is an unsigned 64-bit
 * hash that exceeds INT64_MAX about half the time. Returns NULL when out of
 * memory. */
char *ctl_json_quote_big_ints(const char *in, size_t len)
{
	char *out = malloc(len * 2 + 1); /* at most two quotes per 19+ digits */
	if (out == NULL)
		return NULL;
	size_t o = 0;
	bool in_str = false;
	for (size_t i = 0; i < len;) {
		char c = in[i];
		if (in_str) {
			out[o++] = c;
			if (c == '\\' && i + 1 < len)
				out[o++] = in[++i];
			else if (c == '"')
				in_str = false;
			i++;
			continue;
		}
		if (c == '"') {
			in_str = true;
			out[o++] = c;
			i++;
			continue;
		}
		bool starts = (c >= '0' && c <= '9') ||
			      (c == '-' && i + 1 < len && in[i + 1] >= '0' && in[i + 1] <= '9');
		if (!starts) {
			out[o++] = c;
			i++;
			continue;
		}
		/* The whole number token, so that the digits of a fraction or an
		 * exponent are never taken for an integer of their own. */
		size_t j = i + 1;
		bool integer = true;
		while (j < len && ((in[j] >= '0' && in[j] <= '9') || in[j] == '.' || in[j] == 'e' ||
				   in[j] == 'E' || in[j] == '+' || in[j] == '-')) {
			if (in[j] == '.' || in[j] == 'e' || in[j] == 'E')
				integer = false;
			j++;
		}
		size_t digits = j - i - (c == '-');
		/* INT64_MAX has 19 digits: anything shorter fits; compare 19-digit
		 * runs as strings. */
		bool big =
		    integer &&
		    (digits > 19 ||
		     (digits == 19 &&
		      strncmp(in + i + (c == '-'),
			      c == '-' ? "9223372036854775808" : "9223372036854775807", 19) > 0));
		if (big)
			out[o++] = '"';
		memcpy(out + o, in + i, j - i);
		o += j - i;
		if (big)
			out[o++] = '"';
		i = j;
	}
	out[o] = '\0';
	return out;
}

static int64_t get_i64(json_t *obj, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	if (json_is_string(v))
		return (int64_t)strtoll(json_string_value(v), NULL, 10);
	return dflt;
}

/* log_checksum: an integer, or a string after ctl_json_quote_big_ints. */
static uint64_t get_u64(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	if (json_is_string(v))
		return (uint64_t)strtoull(json_string_value(v), NULL, 10);
	return 0;
}

static bool get_bool(json_t *obj, const char *key, bool dflt)
{
	json_t *v = json_object_get(obj, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static void copy_str(char *dst, size_t cap, json_t *obj, const char *key, const char *dflt)
{
	json_t *v = json_object_get(obj, key);
	snprintf(dst, cap, "%s", json_is_string(v) ? json_string_value(v) : dflt);
}

static int grow(struct ctl_view *v)
{
	if (v->n_reps < v->cap)
		return 0;
	int cap = v->cap ? v->cap * 2 : 64;
	struct ctl_replica *r = realloc(v->reps, (size_t)cap * sizeof(*r));
	if (r == NULL)
		return -1;
	v->reps = r;
	v->cap = cap;
	return 0;
}

/* Adds one node's /v1/status document (len bytes, borrowed) to v. Sets
 * *node_id to the node's id. Returns 0; 1 when a node with that id was
 * already added (the same node given twice: nothing is added); -1 with a
 * message in err when the document is not a status object or memory ran
 * out. */
int ctl_view_add_status(struct ctl_view *v, const char *json, size_t len, int32_t *node_id,
			char *err, size_t err_len)
{
	char *text = ctl_json_quote_big_ints(json, len);
	if (text == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	free(text);
	if (root == NULL) {
		snprintf(err, err_len, "bad JSON at line %d column %d: %s", je.line, je.column,
			 je.text);
		return -1;
	}
	int rc = -1;
	json_t *reps = json_object_get(root, "replicas");
	json_t *workers = json_object_get(root, "workers");
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "node_id")) ||
	    !json_is_array(reps)) {
		snprintf(err, err_len, "not a /v1/status document (no node_id or replicas)");
		goto out;
	}
	int32_t id = (int32_t)get_i64(root, "node_id", -1);
	*node_id = id;
	for (int i = 0; i < v->n_nodes; i++)
		if (v->nodes[i] == id) {
			rc = 1;
			goto out;
		}
	int32_t *nodes = realloc(v->nodes, (size_t)(v->n_nodes + 1) * sizeof(*nodes));
	if (nodes == NULL) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	v->nodes = nodes;
	v->nodes[v->n_nodes++] = id;
	json_t *groups = json_object_get(root, "groups");
	if (json_is_array(groups)) {
		v->n_groups += (int)json_array_size(groups);
		if (v->groups == NULL && (v->groups = json_array()) == NULL) {
			snprintf(err, err_len, "out of memory");
			goto out;
		}
		size_t gi;
		json_t *g;
		json_array_foreach(groups, gi, g)
		{
			if (!json_is_object(g))
				continue;
			json_object_set_new(g, "node", json_integer(id));
			json_array_append(v->groups, g);
		}
	}

	size_t i;
	json_t *r;
	json_array_foreach(reps, i, r)
	{
		if (!json_is_object(r) || !json_is_string(json_object_get(r, "topic")))
			continue;
		if (grow(v) != 0) {
			snprintf(err, err_len, "out of memory");
			goto out;
		}
		struct ctl_replica *x = &v->reps[v->n_reps];
		memset(x, 0, sizeof(*x));
		copy_str(x->topic, sizeof(x->topic), r, "topic", "?");
		x->partition = (int32_t)get_i64(r, "partition", -1);
		x->node_id = (int32_t)get_i64(r, "node_id", id);
		x->serving = get_bool(r, "serving", true);
		copy_str(x->role, sizeof(x->role), r, "role", "?");
		x->term = get_i64(r, "term", 0);
		x->leader = (int32_t)get_i64(r, "leader", -1);
		x->preferred_leader = (int32_t)get_i64(r, "preferred_leader", -1);
		x->high_watermark = get_i64(r, "high_watermark", 0);
		x->commit_offset = get_i64(r, "commit_offset", 0);
		x->log_checksum = get_u64(r, "log_checksum");
		x->elections = get_i64(r, "elections", 0);
		size_t k;
		json_t *w;
		json_array_foreach(workers, k, w)
		{
			json_t *t = json_object_get(w, "topic");
			if (json_is_string(t) && strcmp(json_string_value(t), x->topic) == 0 &&
			    get_i64(w, "partition", -1) == x->partition)
				x->restarts = get_i64(w, "restarts", 0);
		}
		v->n_reps++;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- pure part: one row per partition ---- */

struct ctl_row_replica {
	int32_t node;
	char role[CTL_ROLE_MAX]; /* "down" when its worker is not serving */
	int64_t lag;		 /* offsets behind the leader's high watermark, -1 unknown */
};

struct ctl_row {
	char topic[CTL_TOPIC_MAX + 1];
	int32_t partition;
	int32_t leader; /* -1: no answering node leads it */
	int64_t term;	/* the leader's, else the highest reported */
	int32_t preferred_leader;
	int64_t high_watermark; /* the leader's, else the highest reported */
	int64_t elections;	/* summed over the replicas */
	int64_t restarts;	/* summed over the replicas */
	bool converged;		/* every replica at one commit offset and checksum */
	int n_replicas;
	struct ctl_row_replica replicas[CTL_REPLICAS_MAX]; /* by node id */
};

static int row_cmp(const void *a, const void *b)
{
	const struct ctl_replica *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	if (c != 0)
		return c;
	if (x->partition != y->partition)
		return x->partition < y->partition ? -1 : 1;
	return x->node_id < y->node_id ? -1 : x->node_id > y->node_id;
}

/* Merges the view's replicas into one row per (topic, partition), sorted by
 * topic then partition, replicas by node id. Sorts v->reps in place. On
 * success *out is a new array (caller frees) of *n_out rows and 0 is
 * returned; -1 when out of memory. */
int ctl_rows_build(struct ctl_view *v, struct ctl_row **out, int *n_out)
{
	*out = NULL;
	*n_out = 0;
	if (v->n_reps == 0)
		return 0;
	qsort(v->reps, (size_t)v->n_reps, sizeof(*v->reps), row_cmp);
	struct ctl_row *rows = calloc((size_t)v->n_reps, sizeof(*rows));
	if (rows == NULL)
		return -1;
	int n = 0;
	for (int i = 0; i < v->n_reps;) {
		int j = i;
		while (j < v->n_reps && strcmp(v->reps[j].topic, v->reps[i].topic) == 0 &&
		       v->reps[j].partition == v->reps[i].partition)
			j++;
		struct ctl_row *row = &rows[n++];
		snprintf(row->topic, sizeof(row->topic), "%s", v->reps[i].topic);
		row->partition = v->reps[i].partition;
		row->leader = -1;
		row->preferred_leader = -1;
		row->converged = true;
		/* Two replicas can both say leader for a moment (an old leader
		 * that has not yet heard of the new term): the higher term wins. */
		const struct ctl_replica *lead = NULL;
		for (int k = i; k < j; k++) {
			const struct ctl_replica *r = &v->reps[k];
			if (r->serving && strcmp(r->role, "leader") == 0 &&
			    (lead == NULL || r->term > lead->term))
				lead = r;
			if (r->term > row->term)
				row->term = r->term;
			if (r->high_watermark > row->high_watermark)
				row->high_watermark = r->high_watermark;
			if (r->preferred_leader >= 0)
				row->preferred_leader = r->preferred_leader;
			row->elections += r->elections;
			row->restarts += r->restarts;
			if (r->commit_offset != v->reps[i].commit_offset ||
			    r->log_checksum != v->reps[i].log_checksum)
				row->converged = false;
		}
		if (lead != NULL) {
			row->leader = lead->node_id;
			row->term = lead->term;
			row->high_watermark = lead->high_watermark;
		}
		for (int k = i; k < j && row->n_replicas < CTL_REPLICAS_MAX; k++) {
			const struct ctl_replica *r = &v->reps[k];
			struct ctl_row_replica *rr = &row->replicas[row->n_replicas++];
			rr->node = r->node_id;
			snprintf(rr->role, sizeof(rr->role), "%s", r->serving ? r->role : "down");
			rr->lag = -1;
			if (lead != NULL)
				rr->lag = r == lead ? 0
						    : (lead->high_watermark > r->commit_offset
							   ? lead->high_watermark - r->commit_offset
							   : 0);
		}
		i = j;
	}
	*out = rows;
	*n_out = n;
	return 0;
}

/* ---- pure part: tables ---- */

/* A text table: cells row-major, each column as wide as its widest cell,
 * two blanks between columns. */
struct ctl_table {
	int n_cols;
	int n_cells;
	int cap;
	char **cells; /* owned */
};

static void table_init(struct ctl_table *t, int n_cols)
{
	memset(t, 0, sizeof(*t));
	t->n_cols = n_cols;
}

static void table_cell(struct ctl_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void table_cell(struct ctl_table *t, const char *fmt, ...)
{
	if (t->n_cells == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		char **c = realloc(t->cells, (size_t)cap * sizeof(*c));
		if (c == NULL)
			return; /* the table prints short rather than crash */
		t->cells = c;
		t->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	t->cells[t->n_cells++] = s;
}

static void table_print(FILE *f, struct ctl_table *t)
{
	int w[16] = {0};
	for (int i = 0; i < t->n_cells; i++) {
		int len = t->cells[i] ? (int)strlen(t->cells[i]) : 0;
		if (len > w[i % t->n_cols])
			w[i % t->n_cols] = len;
	}
	for (int i = 0; i < t->n_cells; i++) {
		int c = i % t->n_cols;
		const char *s = t->cells[i] ? t->cells[i] : "";
		if (c == t->n_cols - 1 || i == t->n_cells - 1)
			fprintf(f, "%s\n", s);
		else
			fprintf(f, "%-*s  ", w[c], s);
	}
	for (int i = 0; i < t->n_cells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static void replicas_str(const struct ctl_row *r, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < r->n_replicas && o < cap; i++) {
		const struct ctl_row_replica *x = &r->replicas[i];
		char lag[24];
		if (x->lag < 0)
			snprintf(lag, sizeof(lag), "?");
		else
			snprintf(lag, sizeof(lag), "%" PRId64, x->lag);
		int k = snprintf(out + o, cap - o, "%s%d:%s:%s", i ? " " : "", (int)x->node,
				 x->role, lag);
		if (k < 0)
			break;
		o += (size_t)k;
	}
}

/* `status`: one line per partition. */
void ctl_print_status(FILE *f, const struct ctl_row *rows, int n)
{
	struct ctl_table t;
	table_init(&t, 8);
	const char *head[] = {"PARTITION", "LEADER",	"TERM",	    "REPLICAS (node:role:lag)",
			      "HW",	   "ELECTIONS", "RESTARTS", "CONVERGED"};
	for (int i = 0; i < 8; i++)
		table_cell(&t, "%s", head[i]);
	for (int i = 0; i < n; i++) {
		const struct ctl_row *r = &rows[i];
		char reps[CTL_REPLICAS_MAX * 32];
		replicas_str(r, reps, sizeof(reps));
		table_cell(&t, "%s/%d", r->topic, (int)r->partition);
		if (r->leader >= 0)
			table_cell(&t, "%d", (int)r->leader);
		else
			table_cell(&t, "none");
		table_cell(&t, "%" PRId64, r->term);
		table_cell(&t, "%s", reps);
		table_cell(&t, "%" PRId64, r->high_watermark);
		table_cell(&t, "%" PRId64, r->elections);
		table_cell(&t, "%" PRId64, r->restarts);
		table_cell(&t, "%s", r->converged ? "yes" : "no");
	}
	table_print(f, &t);
}

/* `topics`: one line per topic. */
void ctl_print_topics(FILE *f, const struct ctl_row *rows, int n)
{
	struct ctl_table t;
	table_init(&t, 5);
	const char *head[] = {"TOPIC", "PARTITIONS", "REPLICAS", "LEADERLESS", "RECORDS"};
	for (int i = 0; i < 5; i++)
		table_cell(&t, "%s", head[i]);
	for (int i = 0; i < n;) {
		int j = i, most = 0, leaderless = 0;
		int64_t records = 0;
		for (; j < n && strcmp(rows[j].topic, rows[i].topic) == 0; j++) {
			if (rows[j].n_replicas > most)
				most = rows[j].n_replicas;
			leaderless += rows[j].leader < 0;
			records += rows[j].high_watermark;
		}
		table_cell(&t, "%s", rows[i].topic);
		table_cell(&t, "%d", j - i);
		table_cell(&t, "%d", most);
		table_cell(&t, "%d", leaderless);
		table_cell(&t, "%" PRId64, records);
		i = j;
	}
	table_print(f, &t);
}

/* The partition's leader's high watermark from the rows (-1 unknown). */
static int64_t row_end(const struct ctl_row *rows, int n, const char *topic, int32_t partition)
{
	for (int i = 0; i < n; i++)
		if (rows[i].partition == partition && strcmp(rows[i].topic, topic) == 0)
			return rows[i].leader >= 0 ? rows[i].high_watermark : -1;
	return -1;
}

static const char *jstr(json_t *o, const char *key, const char *dflt)
{
	json_t *x = json_object_get(o, key);
	return json_is_string(x) ? json_string_value(x) : dflt;
}

/* `groups`: one line per group the answering coordinators report. */
void ctl_print_groups(FILE *f, json_t *groups)
{
	struct ctl_table t;
	table_init(&t, 7);
	const char *head[] = {"GROUP",	    "STATE",	   "PROTOCOL", "MEMBERS",
			      "GENERATION", "COORDINATOR", "OFFSETS"};
	for (int i = 0; i < 7; i++)
		table_cell(&t, "%s", head[i]);
	size_t i;
	json_t *g;
	json_array_foreach(groups, i, g)
	{
		table_cell(&t, "%s", jstr(g, "group", "?"));
		table_cell(&t, "%s", jstr(g, "state", "?"));
		table_cell(&t, "%s/%s", jstr(g, "protocol_type", "-"), jstr(g, "protocol", "-"));
		table_cell(&t, "%zu", json_array_size(json_object_get(g, "members")));
		table_cell(&t, "%" PRId64, get_i64(g, "generation", -1));
		table_cell(&t, "node %" PRId64 " (partition %" PRId64 ")", get_i64(g, "node", -1),
			   get_i64(g, "partition", -1));
		table_cell(&t, "%zu", json_array_size(json_object_get(g, "offsets")));
	}
	table_print(f, &t);
}

/* `group NAME`: its state, members (client id, host, assignment) and
 * committed offsets with the lag behind each partition's high watermark.
 * Returns 0, or 1 when no answering node reports the group. */
int ctl_print_group(FILE *f, json_t *groups, const char *name, const struct ctl_row *rows,
		    int n_rows)
{
	json_t *g = NULL, *x;
	size_t i;
	json_array_foreach(groups, i, x) if (strcmp(jstr(x, "group", ""), name) == 0) g = x;
	if (g == NULL)
		return 1;
	fprintf(f, "group %s: %s, protocol %s/%s, generation %" PRId64 ", leader %s\n", name,
		jstr(g, "state", "?"), jstr(g, "protocol_type", "-"), jstr(g, "protocol", "-"),
		get_i64(g, "generation", -1), jstr(g, "leader", "-"));
	fprintf(f, "coordinator: node %" PRId64 ", __consumer_offsets partition %" PRId64 "\n\n",
		get_i64(g, "node", -1), get_i64(g, "partition", -1));
	struct ctl_table t;
	table_init(&t, 4);
	table_cell(&t, "MEMBER");
	table_cell(&t, "CLIENT-ID");
	table_cell(&t, "HOST");
	table_cell(&t, "ASSIGNMENT");
	json_t *m;
	json_array_foreach(json_object_get(g, "members"), i, m)
	{
		table_cell(&t, "%s", jstr(m, "id", "?"));
		table_cell(&t, "%s", jstr(m, "client_id", ""));
		table_cell(&t, "%s", jstr(m, "host", ""));
		char as[512] = "-";
		size_t o = 0;
		size_t k;
		json_t *tp;
		json_array_foreach(json_object_get(m, "assignment"), k, tp)
		{
			o += (size_t)snprintf(as + o, o < sizeof(as) ? sizeof(as) - o : 0,
					      "%s%s:", k ? " " : "", jstr(tp, "topic", "?"));
			size_t q;
			json_t *p;
			json_array_foreach(json_object_get(tp, "partitions"), q, p) o +=
			    (size_t)snprintf(as + o, o < sizeof(as) ? sizeof(as) - o : 0,
					     "%s%" PRId64, q ? "," : "",
					     (int64_t)json_integer_value(p));
		}
		table_cell(&t, "%s", as);
	}
	table_print(f, &t);
	fprintf(f, "\n");
	struct ctl_table u;
	table_init(&u, 5);
	const char *head[] = {"TOPIC", "PARTITION", "COMMITTED", "END", "LAG"};
	for (int c = 0; c < 5; c++)
		table_cell(&u, "%s", head[c]);
	json_t *off;
	json_array_foreach(json_object_get(g, "offsets"), i, off)
	{
		const char *topic = jstr(off, "topic", "?");
		int32_t part = (int32_t)get_i64(off, "partition", -1);
		int64_t committed = get_i64(off, "offset", -1);
		int64_t end = row_end(rows, n_rows, topic, part);
		table_cell(&u, "%s", topic);
		table_cell(&u, "%d", (int)part);
		table_cell(&u, "%" PRId64, committed);
		if (end < 0) {
			table_cell(&u, "?");
			table_cell(&u, "?");
		} else {
			table_cell(&u, "%" PRId64, end);
			table_cell(&u, "%" PRId64, end > committed ? end - committed : 0);
		}
	}
	table_print(f, &u);
	return 0;
}

/* `leaders`: the leader and preferred leader of each partition, then how
 * many partitions each node leads. Returns how many partitions are led by
 * another node than their preferred leader, or by none. */
int ctl_print_leaders(FILE *f, const struct ctl_row *rows, int n, const int32_t *nodes, int n_nodes)
{
	struct ctl_table t;
	table_init(&t, 4);
	table_cell(&t, "PARTITION");
	table_cell(&t, "LEADER");
	table_cell(&t, "PREFERRED");
	table_cell(&t, "STATE");
	int off = 0;
	for (int i = 0; i < n; i++) {
		const struct ctl_row *r = &rows[i];
		const char *state = r->leader < 0		       ? "no leader"
				    : r->leader == r->preferred_leader ? "preferred"
								       : "not preferred";
		off += r->leader < 0 || r->leader != r->preferred_leader;
		table_cell(&t, "%s/%d", r->topic, (int)r->partition);
		if (r->leader >= 0)
			table_cell(&t, "%d", (int)r->leader);
		else
			table_cell(&t, "none");
		table_cell(&t, "%d", (int)r->preferred_leader);
		table_cell(&t, "%s", state);
	}
	table_print(f, &t);
	fprintf(f, "leaders per node:");
	for (int k = 0; k < n_nodes; k++) {
		int led = 0;
		for (int i = 0; i < n; i++)
			led += rows[i].leader == nodes[k];
		fprintf(f, " %d:%d", (int)nodes[k], led);
	}
	fprintf(f, "\n%d of %d partitions not on their preferred leader\n", off, n);
	return off;
}

/* ---- pure part: HTTP replies and addresses ---- */

/* Splits an HTTP/1.x reply (len bytes, borrowed) into its status code and
 * body (a pointer into resp). Returns 0, or -1 when it is not an HTTP reply
 * or uses chunked encoding (we send HTTP/1.0, so a server must not). */
int ctl_http_parse(const char *resp, size_t len, int *status, const char **body, size_t *body_len)
{
	if (len < 12 || strncmp(resp, "HTTP/1.", 7) != 0 || resp[8] != ' ')
		return -1;
	int code = 0;
	for (int i = 9; i < 12; i++) {
		if (resp[i] < '0' || resp[i] > '9')
			return -1;
		code = code * 10 + (resp[i] - '0');
	}
	const char *end = memmem(resp, len, "\r\n\r\n", 4);
	if (end == NULL)
		return -1;
	for (const char *p = resp; p < end; p++)
		if (strncasecmp(p, "\r\ntransfer-encoding:", 20) == 0) {
			const char *v = p + 20;
			while (v < end && *v == ' ')
				v++;
			if (end - v >= 7 && strncasecmp(v, "chunked", 7) == 0)
				return -1;
		}
	*status = code;
	*body = end + 4;
	*body_len = len - (size_t)(end + 4 - resp);
	return 0;
}

/* The "requested" count of a balance answer ({"requested": N}), or -1 when
 * the body (len bytes, borrowed) is not such an object. */
long long ctl_balance_requested(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *n = json_object_get(root, "requested");
	long long out = json_is_integer(n) ? (long long)json_integer_value(n) : -1;
	json_decref(root);
	return out;
}

/* Adds the admin addresses of nodes 1..n of the tools/cluster layout,
 * 127.0.0.1:base+i, to addrs (room for max). Returns how many are in addrs
 * now, or -1 when a port would pass 65535 or max is reached. */
int ctl_addrs_from_base(struct config_addr *addrs, int have, int max, int n, int base)
{
	for (int i = 1; i <= n; i++) {
		if (have >= max || base + i > 65535 || base + i < 1)
			return -1;
		snprintf(addrs[have].host, sizeof(addrs[have].host), "127.0.0.1");
		addrs[have].port = (uint16_t)(base + i);
		have++;
	}
	return have;
}

/* ---- pure part: the catalog (GET /v1/catalog) ---- */

/* True when the JSON array `name` of root holds id. */
static bool in_ids(json_t *root, const char *name, int64_t id)
{
	size_t i;
	json_t *v;
	json_t *ids = json_object_get(root, name);
	json_array_foreach(ids, i, v)
	{
		if (json_integer_value(v) == id)
			return true;
	}
	return false;
}

/* A node's part in the controller: a voter (and which one leads), a
 * learner, or a node that copies the catalog from a voter's supervisor.
 * Empty when the document does not say (a node before the lists). */
static const char *controller_part(json_t *root, int64_t id, int64_t leader)
{
	if (id == leader)
		return "controller voter, leader";
	if (json_object_get(root, "controller_voters") == NULL)
		return "";
	if (in_ids(root, "controller_voters", id))
		return "controller voter";
	if (in_ids(root, "controller_learners", id))
		return "controller learner";
	return "catalog copy";
}

/* Prints `fjordctl cluster` from a /v1/catalog document (len bytes,
 * borrowed): cluster id, catalog version, controller leader and the nodes
 * with their part in the controller.
 * Returns 0, or -1 with err filled when the document is not one. */
int ctl_print_cluster(FILE *f, const char *json, size_t len, char *err, size_t err_len)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	json_t *nodes = json_object_get(root, "nodes");
	if (!json_is_object(root) || !json_is_array(nodes)) {
		snprintf(err, err_len, "not a catalog document: %s",
			 root ? "fields missing" : je.text);
		json_decref(root);
		return -1;
	}
	json_t *cid = json_object_get(root, "cluster_id");
	int64_t ctl = get_i64(root, "controller", -1);
	fprintf(f, "cluster id        %s\n", json_is_string(cid) ? json_string_value(cid) : "?");
	fprintf(f, "catalog version   %" PRIu64 "\n", get_u64(root, "version"));
	if (ctl >= 0)
		fprintf(f, "controller leader node %" PRId64 "\n", ctl);
	else
		fprintf(f, "controller leader none known\n");
	json_t *topics = json_object_get(root, "topics");
	fprintf(f, "topics            %zu\n\n",
		json_is_array(topics) ? json_array_size(topics) : 0);
	struct ctl_table t;
	table_init(&t, 4);
	table_cell(&t, "NODE");
	table_cell(&t, "KAFKA");
	table_cell(&t, "RAFT");
	table_cell(&t, "ROLE");
	size_t i;
	json_t *n;
	json_array_foreach(nodes, i, n)
	{
		char kafka[CTL_ADDR_MAX], raft[CTL_ADDR_MAX];
		copy_str(kafka, sizeof(kafka), n, "kafka", "?");
		copy_str(raft, sizeof(raft), n, "raft", "?");
		int64_t id = get_i64(n, "id", -1);
		table_cell(&t, "%" PRId64, id);
		table_cell(&t, "%s", kafka);
		table_cell(&t, "%s", raft);
		table_cell(&t, "%s", controller_part(root, id, ctl));
	}
	table_print(f, &t);
	json_decref(root);
	return 0;
}

/* Prints `fjordctl topic describe [name]`: each topic (or the one named)
 * with its id, counts, config overrides and each partition's replicas
 * (preferred leader first). Returns 0, 1 when the named topic is not in
 * the catalog, -1 with err filled for a bad document. */
int ctl_print_topics_catalog(FILE *f, const char *json, size_t len, const char *name, char *err,
			     size_t err_len)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	json_t *topics = json_object_get(root, "topics");
	if (!json_is_object(root) || !json_is_array(topics)) {
		snprintf(err, err_len, "not a catalog document: %s",
			 root ? "fields missing" : je.text);
		json_decref(root);
		return -1;
	}
	int shown = 0;
	size_t i;
	json_t *t;
	json_array_foreach(topics, i, t)
	{
		char tname[CTL_TOPIC_MAX + 1], id[32];
		copy_str(tname, sizeof(tname), t, "name", "?");
		copy_str(id, sizeof(id), t, "id", "?");
		if (name != NULL && strcmp(name, tname) != 0)
			continue;
		fprintf(f, "%s%s  id %s  partitions %" PRId64 "  replication %" PRId64 "\n",
			shown ? "\n" : "", tname, id, get_i64(t, "partitions", 0),
			get_i64(t, "replication", 0));
		json_t *cfg = json_object_get(t, "configs");
		const char *k;
		json_t *v;
		fprintf(f, "  configs:");
		int nc = 0;
		json_object_foreach(cfg, k, v)
		{
			fprintf(f, " %s=%s", k, json_is_string(v) ? json_string_value(v) : "?");
			nc++;
		}
		fprintf(f, "%s\n", nc ? "" : " (node defaults)");
		json_t *reps = json_object_get(t, "replicas");
		size_t p;
		json_t *r;
		json_array_foreach(reps, p, r)
		{
			fprintf(f, "  partition %zu: replicas", p);
			size_t k2;
			json_t *nd;
			json_array_foreach(r, k2, nd) fprintf(f, "%s%" PRId64, k2 ? "," : " ",
							      (int64_t)json_integer_value(nd));
			fprintf(f, "\n");
		}
		shown++;
	}
	if (name == NULL && shown == 0)
		fprintf(f, "no topics\n");
	json_decref(root);
	return name != NULL && shown == 0 ? 1 : 0;
}

/* The Kafka addresses of the catalog's nodes, comma-separated, into out.
 * Returns how many, 0 when the document has none. */
int ctl_catalog_bootstrap(const char *json, size_t len, char *out, size_t out_len)
{
	json_t *root = json_loadb(json, len, 0, NULL);
	json_t *nodes = json_object_get(root, "nodes");
	size_t i, used = 0;
	json_t *n;
	int count = 0;
	out[0] = '\0';
	json_array_foreach(nodes, i, n)
	{
		char kafka[CTL_ADDR_MAX];
		copy_str(kafka, sizeof(kafka), n, "kafka", "");
		int w = snprintf(out + used, out_len - used, "%s%s", count ? "," : "", kafka);
		if (kafka[0] == '\0' || w < 0 || (size_t)w >= out_len - used)
			continue;
		used += (size_t)w;
		count++;
	}
	json_decref(root);
	return count;
}

#ifndef FJORDCTL_NO_MAIN
/* ---- I/O: a blocking HTTP client with deadlines, and main ---- */

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX (16 << 20)
#define NODES_MAX 256

struct node {
	struct config_addr addr;
	char name[CTL_ADDR_MAX]; /* host:port */
	bool answered;
	int32_t id;
	char why[512]; /* when it did not answer */
};

static int timeout_ms = 2000;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline. Returns 0, or -1 with why set. */
static int wait_fd(int fd, short events, int64_t deadline, const char *what, char *why,
		   size_t why_len)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			snprintf(why, why_len, "timed out after %d ms %s", timeout_ms, what);
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = events};
		int rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR) {
			snprintf(why, why_len, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

static int connect_to(const struct config_addr *a, char *why, size_t why_len)
{
	char port[8];
	snprintf(port, sizeof(port), "%u", (unsigned)a->port);
	/* An admin_listen of 0.0.0.0 or :: means "every address": ask loopback. */
	const char *host = a->host;
	if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g != 0) {
		snprintf(why, why_len, "cannot resolve %s: %s", host, gai_strerror(g));
		return -1;
	}
	int fd = -1;
	int64_t deadline = now_ms() + timeout_ms;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, why_len, "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS &&
		    wait_fd(fd, POLLOUT, deadline, "connecting", why, why_len) == 0) {
			int err = 0;
			socklen_t l = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err == 0)
				break;
			snprintf(why, why_len, "connect: %s", strerror(err ? err : errno));
		} else if (errno != EINPROGRESS) {
			snprintf(why, why_len, "connect: %s", strerror(errno));
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Sends one request and reads the whole reply into *reply (caller frees).
 * Returns 0, or -1 with why set. */
static int http_do(const struct config_addr *a, const char *method, const char *path, char **reply,
		   size_t *reply_len, char *why, size_t why_len)
{
	*reply = NULL;
	*reply_len = 0;
	int fd = connect_to(a, why, why_len);
	if (fd < 0)
		return -1;
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.0\r\nHost: %s:%u\r\nUser-Agent: fjordctl\r\n"
			 "Content-Length: 0\r\nConnection: close\r\n\r\n",
			 method, path, a->host, (unsigned)a->port);
	int64_t deadline = now_ms() + timeout_ms;
	size_t sent = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	while (sent < (size_t)n) {
		if (wait_fd(fd, POLLOUT, deadline, "sending", why, why_len) != 0)
			goto fail;
		ssize_t k = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(why, why_len, "send: %s", strerror(errno));
			goto fail;
		}
		if (k > 0)
			sent += (size_t)k;
	}
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline, "waiting for the reply", why, why_len) != 0)
			goto fail;
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if (cap > REPLY_MAX) {
				snprintf(why, why_len, "reply larger than %d bytes", REPLY_MAX);
				goto fail;
			}
			char *b = realloc(buf, cap);
			if (b == NULL) {
				snprintf(why, why_len, "out of memory");
				goto fail;
			}
			buf = b;
		}
		ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
		if (k == 0)
			break;
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(why, why_len, "recv: %s", strerror(errno));
			goto fail;
		}
		len += (size_t)k;
	}
	close(fd);
	if (buf == NULL) {
		snprintf(why, why_len, "connection closed without a reply");
		return -1;
	}
	buf[len] = '\0';
	*reply = buf;
	*reply_len = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/* GETs or POSTs path; on success *status and the body (caller frees *body,
 * NUL-terminated). Returns 0 or -1 with why set. */
static int http_call(const struct config_addr *a, const char *method, const char *path, int *status,
		     char **body, size_t *body_len, char *why, size_t why_len)
{
	char *reply;
	size_t reply_len;
	if (http_do(a, method, path, &reply, &reply_len, why, why_len) != 0)
		return -1;
	const char *b;
	size_t bl;
	if (ctl_http_parse(reply, reply_len, status, &b, &bl) != 0) {
		snprintf(why, why_len, "not an HTTP/1.x reply we understand");
		free(reply);
		return -1;
	}
	memmove(reply, b, bl);
	reply[bl] = '\0';
	*body = reply;
	*body_len = bl;
	return 0;
}

static void usage_short(FILE *f)
{
	fprintf(
	    f,
	    "usage: fjordctl [-c FILE.ini]... [--admin HOST:PORT]... [--nodes N [--admin-base P]]\n"
	    "                [--timeout-ms N] status|topics|groups|group NAME|leaders "
	    "[--balance]|cluster\n"
	    "       fjordctl [NODES] topic describe [NAME] | create NAME [--partitions N]\n"
	    "                [--replication N] [--config-entry K=V]... | delete NAME |\n"
	    "                alter-config NAME K=V... [--bootstrap HOST:PORT]\n"
	    "Try 'fjordctl --help' for more.\n");
}

static void usage_long(void)
{
	printf(
	    "NAME\n"
	    "    fjordctl - show the partitions, topics and leaders of a fjord cluster\n"
	    "\n"
	    "SYNOPSIS\n"
	    "    fjordctl [-c FILE.ini]... [--admin HOST:PORT]... [--nodes N [--admin-base P]]\n"
	    "             [--timeout-ms N] COMMAND\n"
	    "\n"
	    "    COMMAND is one of: status, topics, groups, group NAME, leaders,\n"
	    "    leaders --balance, cluster, topic describe|create|delete|alter-config\n"
	    "\n"
	    "DESCRIPTION\n"
	    "    Reads GET /v1/status from the admin HTTP of every node given and merges\n"
	    "    what they report. Each node describes only its own replicas, so name\n"
	    "    every node of the cluster to see every replica. Every node that does\n"
	    "    not answer is named on stderr and makes the exit status 1; the tables\n"
	    "    still show what the other nodes reported.\n"
	    "\n"
	    "NODES\n"
	    "    -c, --config FILE     a node's INI file: its [node] admin_listen (default\n"
	    "                          127.0.0.1:9644). Repeatable, one node per file.\n"
	    "    --admin HOST:PORT     a node's admin address. Repeatable.\n"
	    "    --nodes N             nodes 1..N of the tools/cluster layout: node i at\n"
	    "                          127.0.0.1:P+i where P is --admin-base\n"
	    "    --admin-base P        (default 9643, as tools/cluster)\n"
	    "\n"
	    "    With none of these, fjordctl asks 127.0.0.1:9644 (the admin_listen\n"
	    "    default, the node `make run` starts).\n"
	    "\n"
	    "OPTIONS\n"
	    "    --timeout-ms N        bound on connecting and on the reply, each, per node\n"
	    "                          (default 2000)\n"
	    "    -h, --help            print this text\n"
	    "\n"
	    "COMMANDS\n"
	    "    status     one line per partition: the leader's node id (none when no\n"
	    "               answering node leads it), its Raft term (the Kafka leader\n"
	    "               epoch), each replica as node:role:lag, the high watermark,\n"
	    "               elections and worker restarts summed over the replicas, and\n"
	    "               whether every reported replica holds the same committed data\n"
	    "               (equal commit offset and log checksum). role is leader,\n"
	    "               follower, candidate, learner (non-voting) or down (its\n"
	    "               worker is not serving); lag\n"
	    "               is how many offsets the replica's commit point is behind the\n"
	    "               leader's high watermark (? without a leader).\n"
	    "    topics     one line per topic: partitions, most replicas seen for one\n"
	    "               partition, partitions without a leader, records (the high\n"
	    "               watermarks summed; retention may have deleted some).\n"
	    "    groups     one line per consumer group the answering nodes coordinate\n"
	    "               (the leader of its __consumer_offsets partition reports\n"
	    "               it): state, protocol, members, generation, coordinator,\n"
	    "               committed offsets. Name every node to see every group.\n"
	    "    group NAME the group's state, its members (id, client id, host,\n"
	    "               assigned partitions) and its committed offsets with each\n"
	    "               partition's end (its leader's high watermark) and lag.\n"
	    "               Exit 1 when no answering node coordinates it.\n"
	    "    leaders    each partition's leader and preferred leader (the first\n"
	    "               replica of its placement), leaders per node, and how many\n"
	    "               partitions are off their preferred leader.\n"
	    "    leaders --balance\n"
	    "               sends POST /v1/leaders/balance to every node, asking it to hand\n"
	    "               the leadership of its partitions back to their preferred\n"
	    "               leaders, and prints each node's answer (how many hand-overs\n"
	    "               it requested, from {\"requested\": N}). A node that does not\n"
	    "               know the request (HTTP 404 or 405) is reported as not\n"
	    "               supporting balance requests.\n"
	    "    cluster    the catalog as the first answering node follows it (GET\n"
	    "               /v1/catalog): cluster id, catalog version, the controller's\n"
	    "               leader and every registered node with its addresses.\n"
	    "    topic describe [NAME]\n"
	    "               each topic of the catalog (or NAME): topic id, partitions,\n"
	    "               replication, config overrides and every partition's stored\n"
	    "               replicas, preferred leader first.\n"
	    "    topic create NAME [--partitions N] [--replication N] [--config-entry K=V]...\n"
	    "               CreateTopics through any node (-1 = the node's defaults when a\n"
	    "               count is left out); K is Kafka's config name (retention.ms).\n"
	    "    topic delete NAME\n"
	    "               DeleteTopics: every node stops its workers and removes its data.\n"
	    "    topic alter-config NAME K=V...\n"
	    "               sets Kafka configs of NAME, keeping its other overrides.\n"
	    "    The topic commands speak Kafka to the nodes the catalog lists, or to\n"
	    "    --bootstrap HOST:PORT[,...].\n"
	    "\n"
	    "EXIT STATUS\n"
	    "    0  every node answered (and, with --balance, accepted the request)\n"
	    "    1  some node did not answer, answered with an error, or refused --balance\n"
	    "    2  usage error\n"
	    "\n"
	    "EXAMPLES\n"
	    "    fjordctl --nodes 3 status                 # a tools/cluster on the default ports\n"
	    "    fjordctl -c data/node1/fjord.ini -c data/node2/fjord.ini topics\n"
	    "    fjordctl --admin 10.0.0.5:9644 --admin 10.0.0.6:9644 leaders --balance\n");
}

static int parse_int(const char *name, const char *s, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		fprintf(stderr, "fjordctl: %s wants an integer in [%ld, %ld], got '%s'\n", name, lo,
			hi, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Fetches /v1/status from every node into v. Returns how many did not
 * answer (each named on stderr). */
static int gather(struct node *nodes, int n_nodes, struct ctl_view *v)
{
	int failed = 0;
	for (int i = 0; i < n_nodes; i++) {
		struct node *nd = &nodes[i];
		int status = 0;
		char *body = NULL;
		size_t body_len = 0;
		if (http_call(&nd->addr, "GET", "/v1/status", &status, &body, &body_len, nd->why,
			      sizeof(nd->why)) != 0) {
			/* why is already set */
		} else if (status != 200) {
			snprintf(nd->why, sizeof(nd->why), "HTTP %d from GET /v1/status", status);
		} else {
			char err[256];
			int rc = ctl_view_add_status(v, body, body_len, &nd->id, err, sizeof(err));
			if (rc == 1) {
				fprintf(stderr, "fjordctl: %s is node %d again; counted once\n",
					nd->name, (int)nd->id);
				nd->answered = true;
			} else if (rc == 0) {
				nd->answered = true;
			} else {
				snprintf(nd->why, sizeof(nd->why), "GET /v1/status: %s", err);
			}
		}
		free(body);
		if (!nd->answered) {
			fprintf(stderr, "fjordctl: node at %s did not answer: %s\n", nd->name,
				nd->why);
			failed++;
		}
	}
	return failed;
}

static void print_answered(const struct node *nodes, int n_nodes)
{
	int ok = 0;
	for (int i = 0; i < n_nodes; i++)
		ok += nodes[i].answered;
	printf("\n%d of %d nodes answered", ok, n_nodes);
	const char *sep = ":";
	for (int i = 0; i < n_nodes; i++)
		if (nodes[i].answered) {
			printf("%s node %d (%s)", sep, (int)nodes[i].id, nodes[i].name);
			sep = ",";
		}
	sep = "; NOT ANSWERING:";
	for (int i = 0; i < n_nodes; i++)
		if (!nodes[i].answered) {
			printf("%s %s", sep, nodes[i].name);
			sep = ",";
		}
	printf("\n");
}

static int balance(struct node *nodes, int n_nodes)
{
	int failed = 0;
	for (int i = 0; i < n_nodes; i++) {
		struct node *nd = &nodes[i];
		int status = 0;
		char *body = NULL;
		size_t body_len = 0;
		if (http_call(&nd->addr, "POST", "/v1/leaders/balance", &status, &body, &body_len,
			      nd->why, sizeof(nd->why)) != 0) {
			fprintf(stderr, "fjordctl: node at %s did not answer: %s\n", nd->name,
				nd->why);
			failed++;
		} else if (status == 404 || status == 405 || status == 501) {
			fprintf(stderr,
				"fjordctl: node at %s: this node does not support balance requests "
				"(HTTP %d to POST /v1/leaders/balance)\n",
				nd->name, status);
			failed++;
		} else if (status < 200 || status > 299) {
			while (body_len > 0 &&
			       (body[body_len - 1] == '\n' || body[body_len - 1] == '\r'))
				body[--body_len] = '\0';
			fprintf(stderr,
				"fjordctl: node at %s refused the balance request: HTTP %d %s\n",
				nd->name, status, body);
			failed++;
		} else {
			while (body_len > 0 &&
			       (body[body_len - 1] == '\n' || body[body_len - 1] == '\r'))
				body[--body_len] = '\0';
			long long n = ctl_balance_requested(body, body_len);
			if (n >= 0)
				printf("node at %s: %lld leadership hand-over(s) requested\n",
				       nd->name, n);
			else
				printf("node at %s: balance requested%s%s\n", nd->name,
				       body_len ? ": " : "", body);
		}
		free(body);
	}
	return failed ? CTL_EXIT_FAIL : 0;
}

/* GET /v1/catalog from the first node that answers it. Returns 0 with
 * *body (caller frees) or CTL_EXIT_FAIL after naming every failure. */
static int fetch_catalog(struct node *nodes, int n_nodes, char **body, size_t *len)
{
	for (int i = 0; i < n_nodes; i++) {
		struct node *nd = &nodes[i];
		int status = 0;
		*body = NULL;
		if (http_call(&nd->addr, "GET", "/v1/catalog", &status, body, len, nd->why,
			      sizeof(nd->why)) == 0 &&
		    status == 200)
			return 0;
		if (*body != NULL && nd->why[0] == '\0')
			snprintf(nd->why, sizeof(nd->why), "HTTP %d from GET /v1/catalog", status);
		free(*body);
		*body = NULL;
		fprintf(stderr, "fjordctl: node at %s: %s\n", nd->name,
			nd->why[0] ? nd->why : "no catalog");
	}
	fprintf(stderr, "fjordctl: no node served its catalog\n");
	return CTL_EXIT_FAIL;
}

static int cmd_catalog(struct node *nodes, int n_nodes, const char *topic, bool describe)
{
	char *body;
	size_t len;
	if (fetch_catalog(nodes, n_nodes, &body, &len) != 0)
		return CTL_EXIT_FAIL;
	char err[256];
	int rc = describe ? ctl_print_topics_catalog(stdout, body, len, topic, err, sizeof(err))
			  : ctl_print_cluster(stdout, body, len, err, sizeof(err));
	free(body);
	if (rc < 0)
		fprintf(stderr, "fjordctl: %s\n", err);
	else if (rc == 1)
		fprintf(stderr, "fjordctl: no topic %s in the catalog\n", topic);
	return rc == 0 ? 0 : CTL_EXIT_FAIL;
}

/* What a topic change needs besides the node list. */
struct topic_args {
	const char *bootstrap; /* NULL: the catalog's nodes */
	int partitions, replication;
	const char *configs[64]; /* "key=value" */
	int n_configs;
};

static rd_kafka_t *admin_client(struct node *nodes, int n_nodes, const struct topic_args *ta)
{
	char bs[4096], err[512];
	if (ta->bootstrap != NULL) {
		snprintf(bs, sizeof(bs), "%s", ta->bootstrap);
	} else {
		char *body;
		size_t len;
		if (fetch_catalog(nodes, n_nodes, &body, &len) != 0)
			return NULL;
		int n = ctl_catalog_bootstrap(body, len, bs, sizeof(bs));
		free(body);
		if (n == 0) {
			fprintf(stderr,
				"fjordctl: the catalog names no node yet; give --bootstrap\n");
			return NULL;
		}
	}
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof(err)) !=
		RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "fjordctl: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk == NULL)
		fprintf(stderr, "fjordctl: %s\n", err);
	return rk;
}

/* Runs one admin operation on q and returns its result event (caller
 * destroys), or NULL after a timeout. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 30000);
	if (ev == NULL)
		fprintf(stderr, "fjordctl: no answer within %d ms\n", timeout_ms + 30000);
	else if (rd_kafka_event_error(ev)) {
		fprintf(stderr, "fjordctl: %s\n", rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		ev = NULL;
	}
	return ev;
}

static int topic_result(const char *what, const rd_kafka_topic_result_t **tr, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
		if (e) {
			const char *msg = rd_kafka_topic_result_error_string(tr[i]);
			fprintf(stderr, "fjordctl: %s %s: %s%s%s\n", what,
				rd_kafka_topic_result_name(tr[i]), rd_kafka_err2name(e),
				msg ? ": " : "", msg ? msg : "");
			rc = CTL_EXIT_FAIL;
		} else {
			printf("%s %s: ok\n", what, rd_kafka_topic_result_name(tr[i]));
		}
	}
	return rc;
}

static int split_kv(const char *kv, char *k, size_t k_len, const char **v)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= k_len) {
		fprintf(stderr, "fjordctl: a config is KEY=VALUE, got '%s'\n", kv);
		return -1;
	}
	memcpy(k, kv, (size_t)(eq - kv));
	k[eq - kv] = '\0';
	*v = eq + 1;
	return 0;
}

static int cmd_topic_create(rd_kafka_t *rk, const char *name, const struct topic_args *ta)
{
	char err[512];
	rd_kafka_NewTopic_t *nt =
	    rd_kafka_NewTopic_new(name, ta->partitions, ta->replication, err, sizeof(err));
	if (nt == NULL) {
		fprintf(stderr, "fjordctl: %s\n", err);
		return CTL_EXIT_USAGE;
	}
	for (int i = 0; i < ta->n_configs; i++) {
		char k[256];
		const char *v;
		if (split_kv(ta->configs[i], k, sizeof(k), &v) != 0) {
			rd_kafka_NewTopic_destroy(nt);
			return CTL_EXIT_USAGE;
		}
		rd_kafka_NewTopic_set_config(nt, k, v);
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms + 10000, err, sizeof(err));
	rd_kafka_CreateTopics(rk, &nt, 1, o, q);
	rd_kafka_event_t *ev = admin_wait(q);
	int rc = CTL_EXIT_FAIL;
	if (ev) {
		size_t n;
		const rd_kafka_topic_result_t **tr =
		    rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
		rc = topic_result("create", tr, n);
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	return rc;
}

static int cmd_topic_delete(rd_kafka_t *rk, const char *name)
{
	char err[512];
	rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(name);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms + 10000, err, sizeof(err));
	rd_kafka_DeleteTopics(rk, &dt, 1, o, q);
	rd_kafka_event_t *ev = admin_wait(q);
	int rc = CTL_EXIT_FAIL;
	if (ev) {
		size_t n;
		const rd_kafka_topic_result_t **tr =
		    rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
		rc = topic_result("delete", tr, n);
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_DeleteTopic_destroy(dt);
	rd_kafka_queue_destroy(q);
	return rc;
}

/* The topic's current overrides from the catalog, under Kafka's names, so
 * AlterConfigs (which replaces the whole set) keeps them. */
static int current_configs(struct node *nodes, int n_nodes, const char *name,
			   rd_kafka_ConfigResource_t *cr, const struct topic_args *ta)
{
	char *body;
	size_t len;
	if (fetch_catalog(nodes, n_nodes, &body, &len) != 0)
		return -1;
	json_t *root = json_loadb(body, len, 0, NULL);
	free(body);
	size_t i;
	json_t *t;
	int found = 0;
	json_array_foreach(json_object_get(root, "topics"), i, t)
	{
		json_t *nm = json_object_get(t, "name");
		if (!json_is_string(nm) || strcmp(json_string_value(nm), name) != 0)
			continue;
		found = 1;
		const char *key;
		json_t *v;
		json_object_foreach(json_object_get(t, "configs"), key, v)
		{
			for (int r = 0; r < topic_configs_n; r++) {
				const struct topic_config *row = &topic_configs[r];
				if (row->ini_key == NULL || strcmp(row->ini_key, key) != 0)
					continue;
				bool overridden = false;
				for (int c = 0; c < ta->n_configs; c++)
					overridden = overridden ||
						     (strncmp(ta->configs[c], row->name,
							      strlen(row->name)) == 0 &&
						      ta->configs[c][strlen(row->name)] == '=');
				if (!overridden)
					rd_kafka_ConfigResource_set_config(cr, row->name,
									   json_string_value(v));
				break;
			}
		}
	}
	json_decref(root);
	if (!found)
		fprintf(stderr, "fjordctl: no topic %s in the catalog\n", name);
	return found ? 0 : -1;
}

static int cmd_topic_alter(rd_kafka_t *rk, struct node *nodes, int n_nodes, const char *name,
			   const struct topic_args *ta)
{
	char err[512];
	rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
	for (int i = 0; i < ta->n_configs; i++) {
		char k[256];
		const char *v;
		if (split_kv(ta->configs[i], k, sizeof(k), &v) != 0) {
			rd_kafka_ConfigResource_destroy(cr);
			return CTL_EXIT_USAGE;
		}
		rd_kafka_ConfigResource_set_config(cr, k, v);
	}
	if (current_configs(nodes, n_nodes, name, cr, ta) != 0) {
		rd_kafka_ConfigResource_destroy(cr);
		return CTL_EXIT_FAIL;
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
	rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms + 10000, err, sizeof(err));
	rd_kafka_AlterConfigs(rk, &cr, 1, o, q);
	rd_kafka_event_t *ev = admin_wait(q);
	int rc = CTL_EXIT_FAIL;
	if (ev) {
		size_t n;
		const rd_kafka_ConfigResource_t **res = rd_kafka_AlterConfigs_result_resources(
		    rd_kafka_event_AlterConfigs_result(ev), &n);
		rc = 0;
		for (size_t i = 0; i < n; i++) {
			rd_kafka_resp_err_t e = rd_kafka_ConfigResource_error(res[i]);
			const char *msg = rd_kafka_ConfigResource_error_string(res[i]);
			if (e) {
				fprintf(stderr, "fjordctl: alter-config %s: %s%s%s\n", name,
					rd_kafka_err2name(e), msg ? ": " : "", msg ? msg : "");
				rc = CTL_EXIT_FAIL;
			} else {
				printf("alter-config %s: ok\n", name);
			}
		}
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_AdminOptions_destroy(o);
	rd_kafka_ConfigResource_destroy(cr);
	rd_kafka_queue_destroy(q);
	return rc;
}

/* fjordctl topic ... and fjordctl cluster. */
static int cmd_topic(struct node *nodes, int n_nodes, char **words, int n_words,
		     struct topic_args *ta)
{
	const char *sub = n_words >= 2 ? words[1] : "";
	if (strcmp(sub, "describe") == 0 && n_words <= 3)
		return cmd_catalog(nodes, n_nodes, n_words == 3 ? words[2] : NULL, true);
	bool create = strcmp(sub, "create") == 0, del = strcmp(sub, "delete") == 0,
	     alter = strcmp(sub, "alter-config") == 0;
	if (!(create || del || alter) || n_words < 3 || (!alter && n_words != 3)) {
		fprintf(stderr,
			"fjordctl: topic describe [NAME] | create NAME [--partitions N] "
			"[--replication N] [--config K=V]... | delete NAME | alter-config NAME "
			"K=V...\n");
		return CTL_EXIT_USAGE;
	}
	for (int i = 3; alter && i < n_words && ta->n_configs < 64; i++)
		ta->configs[ta->n_configs++] = words[i];
	if (alter && ta->n_configs == 0) {
		fprintf(stderr, "fjordctl: alter-config wants at least one KEY=VALUE\n");
		return CTL_EXIT_USAGE;
	}
	rd_kafka_t *rk = admin_client(nodes, n_nodes, ta);
	if (rk == NULL)
		return CTL_EXIT_FAIL;
	int rc = create ? cmd_topic_create(rk, words[2], ta)
		 : del	? cmd_topic_delete(rk, words[2])
			: cmd_topic_alter(rk, nodes, n_nodes, words[2], ta);
	rd_kafka_destroy(rk);
	return rc;
}

int main(int argc, char **argv)
{
	static struct node nodes[NODES_MAX];
	struct config_addr addrs[NODES_MAX];
	int n_addrs = 0, n_base = 0, admin_base = 9643;
	bool want_balance = false;
	struct topic_args ta = {.partitions = -1, .replication = -1};
	enum {
		OPT_ADMIN = 256,
		OPT_NODES,
		OPT_BASE,
		OPT_TIMEOUT,
		OPT_BALANCE,
		OPT_PARTS,
		OPT_REPL,
		OPT_CONFIG_KV,
		OPT_BOOTSTRAP
	};
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"admin", required_argument, NULL, OPT_ADMIN},
	    {"nodes", required_argument, NULL, OPT_NODES},
	    {"admin-base", required_argument, NULL, OPT_BASE},
	    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
	    {"balance", no_argument, NULL, OPT_BALANCE},
	    {"partitions", required_argument, NULL, OPT_PARTS},
	    {"replication", required_argument, NULL, OPT_REPL},
	    {"config-entry", required_argument, NULL, OPT_CONFIG_KV},
	    {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': {
			struct config *cfg = NULL;
			char err[2048];
			if (config_load(optarg, NULL, 0, &cfg, err, sizeof(err)) != 0) {
				fprintf(stderr, "fjordctl: %s\n", err);
				return CTL_EXIT_USAGE;
			}
			if (n_addrs >= NODES_MAX) {
				config_free(cfg);
				fprintf(stderr, "fjordctl: at most %d nodes\n", NODES_MAX);
				return CTL_EXIT_USAGE;
			}
			addrs[n_addrs++] = cfg->node.admin_listen;
			config_free(cfg);
			break;
		}
		case OPT_ADMIN:
			if (n_addrs >= NODES_MAX) {
				fprintf(stderr, "fjordctl: at most %d nodes\n", NODES_MAX);
				return CTL_EXIT_USAGE;
			}
			if (config_addr_parse(optarg, &addrs[n_addrs]) != 0) {
				fprintf(stderr, "fjordctl: --admin wants HOST:PORT, got '%s'\n",
					optarg);
				return CTL_EXIT_USAGE;
			}
			n_addrs++;
			break;
		case OPT_NODES:
			if (parse_int("--nodes", optarg, 1, 99, &n_base) != 0)
				return CTL_EXIT_USAGE;
			break;
		case OPT_BASE:
			if (parse_int("--admin-base", optarg, 0, 65535, &admin_base) != 0)
				return CTL_EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (parse_int("--timeout-ms", optarg, 1, 600000, &timeout_ms) != 0)
				return CTL_EXIT_USAGE;
			break;
		case OPT_BALANCE:
			want_balance = true;
			break;
		case OPT_PARTS:
			if (parse_int("--partitions", optarg, 1, 10000, &ta.partitions) != 0)
				return CTL_EXIT_USAGE;
			break;
		case OPT_REPL:
			if (parse_int("--replication", optarg, 1, 32, &ta.replication) != 0)
				return CTL_EXIT_USAGE;
			break;
		case OPT_CONFIG_KV:
			if (ta.n_configs < 64)
				ta.configs[ta.n_configs++] = optarg;
			break;
		case OPT_BOOTSTRAP:
			ta.bootstrap = optarg;
			break;
		case 'h':
			usage_long();
			return 0;
		default:
			usage_short(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	const char *cmd = optind < argc ? argv[optind] : "";
	bool multi = strcmp(cmd, "topic") == 0;
	const char *group_name = NULL;
	if (optind == argc - 2 && strcmp(cmd, "group") == 0)
		group_name = argv[optind + 1];
	else if (optind >= argc || (!multi && optind != argc - 1)) {
		fprintf(stderr, "fjordctl: %s\n",
			optind >= argc			     ? "no command given"
			: strcmp(argv[optind], "group") == 0 ? "group wants one NAME"
							     : "one command at a time");
		usage_short(stderr);
		return CTL_EXIT_USAGE;
	}
	if (optind == argc - 1 && strcmp(cmd, "group") == 0) {
		fprintf(stderr, "fjordctl: group wants a NAME\n");
		return CTL_EXIT_USAGE;
	}
	if (!multi && strcmp(cmd, "status") != 0 && strcmp(cmd, "topics") != 0 &&
	    strcmp(cmd, "groups") != 0 && strcmp(cmd, "group") != 0 &&
	    strcmp(cmd, "leaders") != 0 && strcmp(cmd, "cluster") != 0) {
		fprintf(stderr, "fjordctl: unknown command '%s'\n", cmd);
		usage_short(stderr);
		return CTL_EXIT_USAGE;
	}
	if (want_balance && strcmp(cmd, "leaders") != 0) {
		fprintf(stderr, "fjordctl: --balance goes with the leaders command\n");
		return CTL_EXIT_USAGE;
	}
	if (n_base > 0) {
		n_addrs = ctl_addrs_from_base(addrs, n_addrs, NODES_MAX, n_base, admin_base);
		if (n_addrs < 0) {
			fprintf(stderr,
				"fjordctl: --nodes %d --admin-base %d: ports out of range\n",
				n_base, admin_base);
			return CTL_EXIT_USAGE;
		}
	}
	if (n_addrs == 0)
		n_addrs = ctl_addrs_from_base(addrs, 0, NODES_MAX, 1, 9643);
	for (int i = 0; i < n_addrs; i++) {
		nodes[i].addr = addrs[i];
		nodes[i].id = -1;
		config_addr_str(&addrs[i], nodes[i].name, sizeof(nodes[i].name));
	}

	if (want_balance)
		return balance(nodes, n_addrs);
	if (multi)
		return cmd_topic(nodes, n_addrs, argv + optind, argc - optind, &ta);
	if (strcmp(cmd, "cluster") == 0)
		return cmd_catalog(nodes, n_addrs, NULL, false);

	struct ctl_view v;
	ctl_view_init(&v);
	int failed = gather(nodes, n_addrs, &v);
	struct ctl_row *rows = NULL;
	int n_rows = 0;
	if (ctl_rows_build(&v, &rows, &n_rows) != 0) {
		fprintf(stderr, "fjordctl: out of memory\n");
		ctl_view_free(&v);
		return CTL_EXIT_FAIL;
	}
	if (strcmp(cmd, "status") == 0) {
		if (n_rows > 0)
			ctl_print_status(stdout, rows, n_rows);
		else
			printf("no partitions reported\n");
		print_answered(nodes, n_addrs);
	} else if (strcmp(cmd, "topics") == 0) {
		if (n_rows > 0)
			ctl_print_topics(stdout, rows, n_rows);
		else
			printf("no topics reported\n");
	} else if (strcmp(cmd, "groups") == 0) {
		if (v.n_groups == 0)
			printf("no consumer groups reported\n");
		else
			ctl_print_groups(stdout, v.groups);
	} else if (group_name != NULL) {
		if (v.groups == NULL ||
		    ctl_print_group(stdout, v.groups, group_name, rows, n_rows)) {
			fprintf(stderr, "fjordctl: no answering node coordinates group %s\n",
				group_name);
			failed = 1;
		}
	} else {
		ctl_print_leaders(stdout, rows, n_rows, v.nodes, v.n_nodes);
	}
	free(rows);
	ctl_view_free(&v);
	return failed ? CTL_EXIT_FAIL : 0;
}
#endif
