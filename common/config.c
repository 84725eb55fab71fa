/* config.c - loads the INI file of config.h into a typed struct and validates it.
 *
 * inih does the key = value splitting. It does not report line numbers to the
 * handler, truncates section names at 50 characters and calls nothing for a
 * section without keys, so the line reader we hand it counts lines and records
 * every section header itself; the handler then uses our record of the current
 * section. Every key is checked against the one table of keys
 * (config_keys.h: type, range, default), which the worker's command line and
 * the reload plan use too, so none of them can drift apart. The function
 * touches nothing but the file it reads. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config_keys.h"
#include "common/err.h"

/* inih's compiled-in line buffer is 200 bytes including "\r\n\0". Longer
 * lines would be split silently, so we refuse them with a clear message. */
#define LINE_MAX_CHARS 197
#define MAX_ERRORS 20

/* The row index of k in config_keys, for the per-key line arrays. */
static int key_idx(const struct config_key *k) { return (int)(k - config_keys); }

static const char *const fixed_sections[] = {"node",	  "kafka", "storage",
					     "retention", "raft",  "cluster"};
#define N_FIXED ((int)(sizeof(fixed_sections) / sizeof(fixed_sections[0])))
enum { SEC_NONE = -1, SEC_CLUSTER = 5, SEC_TOPIC = 100, SEC_UNKNOWN = 101 };
enum { NO_TOPIC = -1, SCRATCH_TOPIC = -2 };

/* Where each key was set (0 = not set), to detect duplicates, to name the
 * line of cross-key errors and to know which topic keys override globals. */
struct topic_lines {
	int key_line[CONFIG_KEYS_MAX]; /* indexed like config_keys */
};

struct parse {
	struct config *c;
	const char *path;
	FILE *f;
	char *line; /* getline buffer */
	size_t line_cap;
	int lineno;

	int sec; /* SEC_* or index into fixed_sections */
	int sec_line;
	int topic_idx; /* when sec == SEC_TOPIC */
	char sec_name[CONFIG_TOPIC_NAME_MAX + 16];

	int fixed_line[N_FIXED];	  /* header line of each fixed section, 0 = absent */
	int global_line[CONFIG_KEYS_MAX]; /* line where each global key was set */
	struct topic_lines *tlines;	  /* parallel to c->topics */
	int topics_cap;

	const char *source; /* non-NULL while applying an override */
	char *err;
	size_t err_len;
	int rc; /* first error, 0 while fine */
	int n_errors;
	int last_error_line;
	/* Keys of a duplicate [topic.X] section are still checked, into here. */
	struct config_topic scratch;
	struct topic_lines scratch_lines;
};

static void fail(struct parse *p, int line, const char *section, const char *key, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));

/* Appends one error line. Up to MAX_ERRORS are kept so a user fixing a file
 * sees every independent mistake at once; the return value is set by the
 * first. Errors are separated by '\n' in the caller's buffer. */
static void fail(struct parse *p, int line, const char *section, const char *key, const char *fmt,
		 ...)
{
	if (p->rc == 0)
		p->rc = ERR_CONFIG;
	if (p->source == NULL)
		p->last_error_line = line;
	if (++p->n_errors > MAX_ERRORS || p->err == NULL || p->err_len == 0)
		return;
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char where[CONFIG_PATH_MAX + 32];
	if (p->source != NULL)
		snprintf(where, sizeof(where), "%s", p->source);
	else
		snprintf(where, sizeof(where), "%s:%d", p->path, line);
	size_t used = strlen(p->err);
	if (used + 2 >= p->err_len)
		return;
	char *dst = p->err + used;
	size_t room = p->err_len - used;
	if (used > 0) {
		*dst++ = '\n';
		*dst = '\0';
		room--;
	}
	if (section != NULL && key != NULL)
		snprintf(dst, room, "%s: %s.%s: %s", where, section, key, what);
	else if (section != NULL)
		snprintf(dst, room, "%s: [%s]: %s", where, section, what);
	else
		snprintf(dst, room, "%s: %s", where, what);
}

int config_topic_name_check(const char *name, size_t len)
{
	if (len == 0 || len > CONFIG_TOPIC_NAME_MAX)
		return ERR_INVALID;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return ERR_INVALID;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		if (!ok)
			return ERR_INVALID;
	}
	return 0;
}

int config_addr_parse(const char *s, struct config_addr *out)
{
	const char *host = s, *host_end, *colon;
	if (s[0] == '[') {
		host = s + 1;
		host_end = strchr(host, ']');
		if (host_end == NULL || host_end[1] != ':')
			return ERR_INVALID;
		colon = host_end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return ERR_INVALID; /* a bare IPv6 address needs brackets */
		host_end = colon;
	}
	size_t hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen >= sizeof(out->host))
		return ERR_INVALID;
	for (size_t i = 0; i < hlen; i++)
		if (host[i] == ' ' || host[i] == '\t' || host[i] == ',' || host[i] == '/')
			return ERR_INVALID;
	const char *port = colon + 1;
	if (*port == '\0' || strlen(port) > 5)
		return ERR_INVALID;
	long v = 0;
	for (const char *q = port; *q; q++) {
		if (*q < '0' || *q > '9')
			return ERR_INVALID;
		v = v * 10 + (*q - '0');
	}
	if (v < 1 || v > 65535)
		return ERR_INVALID;
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = (uint16_t)v;
	return 0;
}

const char *config_addr_str(const struct config_addr *a, char *out, size_t out_len)
{
	if (strchr(a->host, ':') != NULL)
		snprintf(out, out_len, "[%s]:%u", a->host, (unsigned)a->port);
	else
		snprintf(out, out_len, "%s:%u", a->host, (unsigned)a->port);
	return out;
}

int config_default_worker_path(char *out, size_t out_len)
{
	char exe[CONFIG_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return ERR_IO;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return ERR_IO;
	*slash = '\0';
	int w = snprintf(out, out_len, "%s/fjord-worker", exe);
	return (w < 0 || (size_t)w >= out_len) ? ERR_IO : 0;
}

static bool is_wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || strcmp(host, "*") == 0;
}

/* Parses `value` into k's field of base, or reports it at the current line
 * (or override). */
static void set_value(struct parse *p, const struct config_key *k, void *base, const char *section,
		      const char *value)
{
	char why[512];
	if (config_key_parse(k, base, value, why, sizeof(why)) != 0)
		fail(p, p->lineno, section, k->key, "%s", why);
}

static int add_topic(struct parse *p, const char *name)
{
	struct config *c = p->c;
	if (c->n_topics == p->topics_cap) {
		int cap = p->topics_cap ? p->topics_cap * 2 : 8;
		struct config_topic *t = realloc(c->topics, (size_t)cap * sizeof(*t));
		if (t == NULL)
			return ERR_NOMEM;
		c->topics = t;
		struct topic_lines *tl = realloc(p->tlines, (size_t)cap * sizeof(*tl));
		if (tl == NULL)
			return ERR_NOMEM;
		p->tlines = tl;
		p->topics_cap = cap;
	}
	struct config_topic *t = &c->topics[c->n_topics];
	memset(t, 0, sizeof(*t));
	memset(&p->tlines[c->n_topics], 0, sizeof(p->tlines[0]));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->line = p->lineno;
	p->topic_idx = c->n_topics++;
	return 0;
}

/* Called by our line reader for every "[...]" line. */
static void begin_section(struct parse *p, const char *name)
{
	p->sec_line = p->lineno;
	snprintf(p->sec_name, sizeof(p->sec_name), "%s", name);
	for (int i = 0; i < N_FIXED; i++) {
		if (strcmp(name, fixed_sections[i]) == 0) {
			if (p->fixed_line[i] != 0)
				fail(p, p->lineno, name, NULL,
				     "duplicate section (first at line %d)", p->fixed_line[i]);
			p->fixed_line[i] = p->lineno;
			p->sec = i;
			return;
		}
	}
	if (strncmp(name, "topic.", 6) == 0) {
		const char *tname = name + 6;
		size_t len = strlen(tname);
		p->sec = SEC_TOPIC;
		p->topic_idx = NO_TOPIC;
		if (config_topic_name_check(tname, len) != 0) {
			fail(p, p->lineno, name, NULL,
			     "invalid topic name: use 1..249 characters of [a-zA-Z0-9._-], not . "
			     "or ..");
			return;
		}
		if (strncmp(tname, "__", 2) == 0) {
			fail(p, p->lineno, name, NULL,
			     "topic names starting with __ are reserved for internal topics");
			return;
		}
		const struct config_topic *dup = config_topic_find(p->c, tname, len);
		if (dup != NULL) {
			fail(p, p->lineno, name, NULL, "duplicate section (first at line %d)",
			     dup->line);
			memset(&p->scratch_lines, 0, sizeof(p->scratch_lines));
			p->topic_idx = SCRATCH_TOPIC;
			return;
		}
		if (add_topic(p, tname) != 0 && p->rc == 0)
			p->rc = ERR_NOMEM;
		return;
	}
	p->sec = SEC_UNKNOWN;
	fail(p, p->lineno, name, NULL,
	     "unknown section (expected node, kafka, storage, retention, raft, cluster or "
	     "topic.NAME)");
}

/* fgets-style reader for inih: counts lines and records section headers. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t n = getline(&p->line, &p->line_cap, p->f);
	if (n < 0)
		return NULL;
	p->lineno++;
	while (n > 0 && (p->line[n - 1] == '\n' || p->line[n - 1] == '\r'))
		p->line[--n] = '\0';
	if (n > LINE_MAX_CHARS || n >= num - 2) {
		fail(p, p->lineno, NULL, NULL, "line is longer than %d characters", LINE_MAX_CHARS);
		return NULL;
	}
	/* Recognise "[name]" the way inih does (leading blanks, up to the
	 * first ']') so both agree on where sections start. */
	const char *s = p->line;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL) {
			fail(p, p->lineno, NULL, NULL, "section header is missing ']'");
			p->sec = SEC_UNKNOWN; /* its keys would only add noise */
		} else {
			char name[LINE_MAX_CHARS + 1];
			size_t len = (size_t)(close - s - 1);
			memcpy(name, s + 1, len);
			name[len] = '\0';
			begin_section(p, name);
		}
	}
	memcpy(str, p->line, (size_t)n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static void handle_cluster(struct parse *p, const char *name, const char *value)
{
	struct config *c = p->c;
	char *end;
	long id = 0;
	if (strncmp(name, "node.", 5) == 0) {
		errno = 0;
		id = strtol(name + 5, &end, 10);
		if (errno != 0 || *end != '\0' || name[5] < '0' || name[5] > '9')
			id = 0;
	}
	if (id < 1 || id > CONFIG_NODE_ID_MAX) {
		fail(p, p->lineno, "cluster", name,
		     "unknown key (expected name or node.<id> with id 1..%d)", CONFIG_NODE_ID_MAX);
		return;
	}
	for (int i = 0; i < c->n_peers; i++) {
		if (c->peers[i].id == id) {
			fail(p, p->lineno, "cluster", name, "duplicate node");
			return;
		}
	}
	struct config_peer peer = {.id = (int32_t)id, .line = p->lineno};
	const char *comma = strchr(value, ',');
	char kafka[CONFIG_HOST_MAX + 16];
	size_t klen = comma ? (size_t)(comma - value) : 0;
	if (comma == NULL || klen >= sizeof(kafka)) {
		fail(p, p->lineno, "cluster", name,
		     "must be <kafka host:port>,<raft host:port>, got '%s'", value);
		return;
	}
	memcpy(kafka, value, klen);
	kafka[klen] = '\0';
	const char *raft = comma + 1;
	while (*raft == ' ')
		raft++;
	while (klen > 0 && kafka[klen - 1] == ' ')
		kafka[--klen] = '\0';
	if (config_addr_parse(kafka, &peer.kafka) != 0 ||
	    config_addr_parse(raft, &peer.raft) != 0) {
		fail(p, p->lineno, "cluster", name,
		     "must be <kafka host:port>,<raft host:port>, got '%s'", value);
		return;
	}
	struct config_peer *np = realloc(c->peers, (size_t)(c->n_peers + 1) * sizeof(*np));
	if (np == NULL) {
		if (p->rc == 0)
			p->rc = ERR_NOMEM;
		return;
	}
	c->peers = np;
	c->peers[c->n_peers++] = peer;
}

/* The keys of section from the table, "a, b, c" or, with or_last, "a, b or c". */
static void list_keys(const char *section, bool or_last, char *out, size_t out_len)
{
	int n = 0, total = 0;
	for (int i = 0; i < config_n_keys; i++)
		total += strcmp(config_keys[i].section, section) == 0;
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < config_n_keys; i++) {
		if (strcmp(config_keys[i].section, section) != 0)
			continue;
		const char *sep = n == 0 ? "" : (or_last && n == total - 1) ? " or " : ", ";
		int w = snprintf(out + used, out_len - used, "%s%s", sep, config_keys[i].key);
		if (w < 0 || (size_t)w >= out_len - used)
			return;
		used += (size_t)w;
		n++;
	}
}

static int on_key(void *user, const char *inih_section, const char *name, const char *value)
{
	struct parse *p = user;
	(void)inih_section; /* truncated by inih; our reader kept the full name */
	if (p->sec == SEC_NONE) {
		fail(p, p->lineno, NULL, NULL, "key '%s' outside of any section", name);
		return 1;
	}
	if (p->sec == SEC_UNKNOWN)
		return 1; /* already reported at the header */
	char keys[512];
	if (p->sec == SEC_TOPIC) {
		if (p->topic_idx == NO_TOPIC)
			return 1; /* bad name, already reported */
		const struct config_key *k = config_key_find(CONFIG_TOPIC_SECTION, name);
		if (k == NULL) {
			list_keys(CONFIG_TOPIC_SECTION, true, keys, sizeof(keys));
			fail(p, p->lineno, p->sec_name, name, "unknown key (expected %s)", keys);
			return 1;
		}
		bool scratch = p->topic_idx == SCRATCH_TOPIC;
		struct topic_lines *tl = scratch ? &p->scratch_lines : &p->tlines[p->topic_idx];
		struct config_topic *t = scratch ? &p->scratch : &p->c->topics[p->topic_idx];
		int idx = key_idx(k);
		if (tl->key_line[idx] != 0) {
			fail(p, p->lineno, p->sec_name, name, "duplicate key (first at line %d)",
			     tl->key_line[idx]);
			return 1;
		}
		tl->key_line[idx] = p->lineno;
		t->set_keys |= UINT64_C(1) << idx;
		set_value(p, k, t, p->sec_name, value);
		return 1;
	}
	const char *section = fixed_sections[p->sec];
	const struct config_key *k = config_key_find(section, name);
	if (k == NULL && p->sec == SEC_CLUSTER) {
		handle_cluster(p, name, value); /* node.<id> lines */
		return 1;
	}
	if (k == NULL) {
		list_keys(section, false, keys, sizeof(keys));
		fail(p, p->lineno, section, name, "unknown key (expected one of: %s)", keys);
		return 1;
	}
	int idx = key_idx(k);
	if (p->global_line[idx] != 0) {
		fail(p, p->lineno, section, name, "duplicate key (first at line %d)",
		     p->global_line[idx]);
		return 1;
	}
	p->global_line[idx] = p->lineno;
	p->c->set_keys |= UINT64_C(1) << idx;
	set_value(p, k, p->c, section, value);
	return 1;
}

static void apply_override(struct parse *p, const struct config_override *ov)
{
	const struct config_key *k = config_key_find(ov->section, ov->key);
	p->source = ov->source ? ov->source : "command line";
	if (k == NULL || config_key_is_topic(k)) {
		fail(p, 0, ov->section, ov->key, "cannot be overridden");
	} else {
		set_value(p, k, p->c, ov->section, ov->value);
		/* Mark it set (line -1: not from the file) so required checks pass. */
		if (p->global_line[key_idx(k)] == 0)
			p->global_line[key_idx(k)] = -1;
		p->c->set_keys |= UINT64_C(1) << key_idx(k);
	}
	p->source = NULL;
}

static int key_index(const char *section, const char *key)
{
	const struct config_key *k = config_key_find(section, key);
	return k ? key_idx(k) : -1;
}

/* The line to blame for a key: where it was set, else its section header,
 * else line 1. */
static int blame_line(const struct parse *p, const char *section, const char *key)
{
	int idx = key_index(section, key);
	if (idx >= 0 && p->global_line[idx] > 0)
		return p->global_line[idx];
	for (int i = 0; i < N_FIXED; i++)
		if (strcmp(fixed_sections[i], section) == 0 && p->fixed_line[i] > 0)
			return p->fixed_line[i];
	return 1;
}

static int cmp_peer(const void *a, const void *b)
{
	const struct config_peer *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static bool same_addr(const struct config_addr *a, const struct config_addr *b)
{
	if (a->port != b->port)
		return false;
	return strcmp(a->host, b->host) == 0 || is_wildcard(a->host) || is_wildcard(b->host);
}

/* Two [cluster] addresses are the same when host and port are: they are
 * where peers connect, so a wildcard host has no special meaning there. */
static bool same_peer_addr(const struct config_addr *a, const struct config_addr *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* Every address of [cluster] (Kafka and Raft, of every node) must be
 * distinct: two nodes on one address would each believe they own it, and a
 * node's Kafka and Raft ports on one address cannot both listen. The later
 * line of a clash is the one blamed. */
static void check_peer_addresses(struct parse *p)
{
	const struct config *c = p->c;
	for (int i = 0; i < c->n_peers; i++) {
		const struct config_peer *a = &c->peers[i];
		char key[32];
		snprintf(key, sizeof(key), "node.%d", (int)a->id);
		if (same_peer_addr(&a->kafka, &a->raft))
			fail(p, a->line, "cluster", key, "kafka and raft addresses are the same");
		for (int j = 0; j < c->n_peers; j++) {
			const struct config_peer *b = &c->peers[j];
			if (b->line >= a->line)
				continue;
			if (same_peer_addr(&a->kafka, &b->kafka) ||
			    same_peer_addr(&a->kafka, &b->raft) ||
			    same_peer_addr(&a->raft, &b->kafka) ||
			    same_peer_addr(&a->raft, &b->raft))
				fail(p, a->line, "cluster", key,
				     "uses an address of node.%d (line %d); every node needs its "
				     "own addresses",
				     (int)b->id, b->line);
		}
	}
}

/* A topic's keys the section left out: required ones are reported, the
 * others take their default or the global value they inherit (so each
 * topic holds its effective settings). */
static void finish_topic(struct parse *p, struct config_topic *t, const int *key_line, int n_nodes)
{
	char sec[CONFIG_TOPIC_NAME_MAX + 16];
	snprintf(sec, sizeof(sec), "topic.%s", t->name);
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (!config_key_is_topic(k) || key_line[i] != 0)
			continue;
		char value[64];
		if (config_key_default(k, p->c, value, sizeof(value)) != 0 ||
		    config_key_parse(k, t, value, NULL, 0) != 0)
			fail(p, t->line, sec, k->key, "required key is missing");
	}
	int rl = key_line[key_idx(config_key_find(CONFIG_TOPIC_SECTION, "replication"))];
	if (rl != 0 && t->replication > n_nodes)
		fail(p, rl, sec, "replication", "%d exceeds the %d node(s) in the cluster",
		     (int)t->replication, n_nodes);
}

/* Required keys, derived defaults and rules that span several keys. */
static void finish(struct parse *p)
{
	struct config *c = p->c;
	if (p->global_line[key_index("node", "id")] == 0)
		fail(p, blame_line(p, "node", "id"), "node", "id",
		     "required key is missing (set it in [node] or pass --node-id)");

	if (p->global_line[key_index("node", "advertised_host")] == 0) {
		if (is_wildcard(c->node.kafka_listen.host))
			fail(p, blame_line(p, "node", "kafka_listen"), "node", "advertised_host",
			     "required when node.kafka_listen binds a wildcard address (%s)",
			     c->node.kafka_listen.host);
		else
			snprintf(c->node.advertised_host, sizeof(c->node.advertised_host), "%s",
				 c->node.kafka_listen.host);
	}

	if (same_addr(&c->node.admin_listen, &c->node.kafka_listen))
		fail(p, blame_line(p, "node", "admin_listen"), "node", "admin_listen",
		     "uses the same port as node.kafka_listen");
	if (same_addr(&c->node.raft_listen, &c->node.kafka_listen))
		fail(p, blame_line(p, "node", "raft_listen"), "node", "raft_listen",
		     "uses the same port as node.kafka_listen");
	if (same_addr(&c->node.raft_listen, &c->node.admin_listen))
		fail(p, blame_line(p, "node", "raft_listen"), "node", "raft_listen",
		     "uses the same port as node.admin_listen");

	char why[256];
	if (config_check_raft(c, why, sizeof(why)) != NULL)
		fail(p, blame_line(p, "raft", "heartbeat_interval_ms"), "raft",
		     "heartbeat_interval_ms", "%s", why);

	if (c->n_peers > 0) {
		qsort(c->peers, (size_t)c->n_peers, sizeof(c->peers[0]), cmp_peer);
		bool self = false;
		for (int i = 0; i < c->n_peers; i++)
			self = self || c->peers[i].id == c->node.id;
		if (!self && c->node.id != 0) {
			char key[32];
			snprintf(key, sizeof(key), "node.%d", (int)c->node.id);
			fail(p, p->fixed_line[SEC_CLUSTER], "cluster", key,
			     "missing: [cluster] lists nodes but not this one (node.id = %d)",
			     (int)c->node.id);
		}
	}
	check_peer_addresses(p);
	int n_nodes = c->n_peers > 0 ? c->n_peers : 1;

	for (int i = 0; i < c->n_topics; i++)
		finish_topic(p, &c->topics[i], p->tlines[i].key_line, n_nodes);
}

int config_load(const char *path, const struct config_override *ov, int n_ov, struct config **out,
		char *err, size_t err_len)
{
	*out = NULL;
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	struct config *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ERR_NOMEM;
	struct parse p = {.c = c, .path = path, .sec = SEC_NONE, .err = err, .err_len = err_len};
	snprintf(c->path, sizeof(c->path), "%s", path);
	config_keys_defaults(c);

	p.f = fopen(path, "r");
	if (p.f == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
		config_free(c);
		return ERR_IO;
	}
	/* Indented lines are ordinary keys, not continuations of the previous
	 * value: a continuation would look like a duplicate key. */
	ini_allow_multiline = false;
	int rc = ini_parse_stream(read_line, &p, on_key, &p);
	bool read_error = ferror(p.f) != 0;
	fclose(p.f);
	free(p.line);
	if (read_error && p.rc == 0) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "%s: read error", path);
		p.rc = ERR_IO;
	}
	/* inih reports lines it cannot split into key = value; our handler
	 * never returns 0, so any positive rc is a syntax error. */
	if (rc > 0 && rc != p.last_error_line) /* e.g. a header missing ']' */
		fail(&p, rc, NULL, NULL, "expected 'key = value', a [section] or a comment");
	if (rc < 0 && p.rc == 0)
		p.rc = ERR_NOMEM;
	for (int i = 0; i < n_ov; i++)
		apply_override(&p, &ov[i]);
	if (p.rc == 0) /* required keys and cross-key rules, once the keys are sane */
		finish(&p);
	free(p.tlines);
	if (p.rc != 0) {
		config_free(c);
		return p.rc;
	}
	*out = c;
	return 0;
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->peers);
	free(c->topics);
	free(c);
}

const struct config_topic *config_topic_find(const struct config *c, const char *name, size_t len)
{
	for (int i = 0; i < c->n_topics; i++) {
		if (strlen(c->topics[i].name) == len && memcmp(c->topics[i].name, name, len) == 0)
			return &c->topics[i];
	}
	return NULL;
}

int config_node_ids(const struct config *c, int32_t *out)
{
	if (c->n_peers == 0) {
		out[0] = c->node.id;
		return 1;
	}
	for (int i = 0; i < c->n_peers; i++)
		out[i] = c->peers[i].id;
	return c->n_peers;
}

const struct config_peer *config_peer_find(const struct config *c, int32_t id)
{
	for (int i = 0; i < c->n_peers; i++)
		if (c->peers[i].id == id)
			return &c->peers[i];
	return NULL;
}
