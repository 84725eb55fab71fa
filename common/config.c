/* config.c - loads the INI file of config.h into a typed struct and validates it.
 *
 * inih does the key = value splitting. It does not report line numbers to the
 * handler, truncates section names at 50 characters and calls nothing for a
 * section without keys, so the line reader we hand it counts lines and records
 * every section header itself; the handler then uses our record of the current
 * section. Everything is checked against one table of keys (type, range,
 * default), so the parser, the validation and the error messages cannot drift
 * apart. The function touches nothing but the file it reads. */
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

#include "common/err.h"

/* inih's compiled-in line buffer is 200 bytes including "\r\n\0". Longer
 * lines would be split silently, so we refuse them with a clear message. */
#define LINE_MAX_CHARS 197
#define MAX_ERRORS 20

enum kind {
	K_I32,	    /* int32_t in [min, max] */
	K_I64,	    /* int64_t in [min, max] */
	K_UNLIM,    /* int64_t: -1 (unlimited) or [min, max] */
	K_PATH,	    /* char[CONFIG_PATH_MAX], non-empty */
	K_HOST,	    /* char[CONFIG_HOST_MAX], non-empty */
	K_ADDR,	    /* struct config_addr */
	K_LOGLEVEL, /* enum log_level */
	K_SYNC,	    /* enum config_sync */
};

struct key_def {
	const char *section;
	const char *key;
	enum kind kind;
	size_t off;
	int64_t min, max;
};

#define CFG(field) offsetof(struct config, field)

/* Every global key. Defaults are set in set_defaults(); docs/CONFIG.md and
 * conf/fjord.ini list the same keys. */
static const struct key_def global_keys[] = {
    {"node", "id", K_I32, CFG(node.id), 1, CONFIG_NODE_ID_MAX},
    {"node", "data_dir", K_PATH, CFG(node.data_dir), 0, 0},
    {"node", "kafka_listen", K_ADDR, CFG(node.kafka_listen), 0, 0},
    {"node", "advertised_host", K_HOST, CFG(node.advertised_host), 0, 0},
    {"node", "admin_listen", K_ADDR, CFG(node.admin_listen), 0, 0},
    {"node", "raft_listen", K_ADDR, CFG(node.raft_listen), 0, 0},
    {"node", "log_level", K_LOGLEVEL, CFG(node.log_level), 0, 0},
    {"node", "worker_path", K_PATH, CFG(node.worker_path), 0, 0},
    {"kafka", "socket_request_max_bytes", K_I64, CFG(kafka.socket_request_max_bytes), 1024,
     INT32_MAX},
    {"kafka", "max_connections", K_I32, CFG(kafka.max_connections), 1, 1000000},
    {"kafka", "partition_timeout_ms", K_I32, CFG(kafka.partition_timeout_ms), 1000, 600000},
    {"storage", "sync", K_SYNC, CFG(storage.sync), 0, 0},
    {"storage", "map_size_mb", K_I32, CFG(storage.map_size_mb), 1, 16 * 1024 * 1024},
    {"storage", "max_message_bytes", K_I32, CFG(storage.max_message_bytes), 1, 1024 * 1024 * 1024},
    {"retention", "ms", K_UNLIM, CFG(retention.ms), 1, INT64_MAX},
    {"retention", "bytes", K_UNLIM, CFG(retention.bytes), 1, INT64_MAX},
    {"raft", "election_timeout_ms", K_I32, CFG(raft.election_timeout_ms), 10, 600000},
    {"raft", "heartbeat_interval_ms", K_I32, CFG(raft.heartbeat_interval_ms), 1, 600000},
    {"raft", "max_entries_per_batch", K_I32, CFG(raft.max_entries_per_batch), 1, 1000000},
    {"raft", "snapshot_threshold", K_I64, CFG(raft.snapshot_threshold), 1, INT64_MAX},
};
#define N_GLOBAL ((int)(sizeof(global_keys) / sizeof(global_keys[0])))

#define TOP(field) offsetof(struct config_topic, field)

static const struct key_def topic_keys[] = {
    {"topic", "partitions", K_I32, TOP(partitions), 1, CONFIG_PARTITIONS_MAX},
    {"topic", "replication", K_I32, TOP(replication), 1, 1000},
    {"topic", "retention_ms", K_UNLIM, TOP(retention_ms), 1, INT64_MAX},
    {"topic", "retention_bytes", K_UNLIM, TOP(retention_bytes), 1, INT64_MAX},
    {"topic", "max_message_bytes", K_I32, TOP(max_message_bytes), 1, 1024 * 1024 * 1024},
};
#define N_TOPIC ((int)(sizeof(topic_keys) / sizeof(topic_keys[0])))
enum { TK_PARTITIONS, TK_REPLICATION, TK_RETENTION_MS, TK_RETENTION_BYTES, TK_MAX_MESSAGE };

static const char *const fixed_sections[] = {"node",	  "kafka", "storage",
					     "retention", "raft",  "cluster"};
#define N_FIXED ((int)(sizeof(fixed_sections) / sizeof(fixed_sections[0])))
enum { SEC_NONE = -1, SEC_CLUSTER = 5, SEC_TOPIC = 100, SEC_UNKNOWN = 101 };
enum { NO_TOPIC = -1, SCRATCH_TOPIC = -2 };

/* Where each key was set (0 = not set), to detect duplicates, to name the
 * line of cross-key errors and to know which topic keys override globals. */
struct topic_lines {
	int key_line[N_TOPIC];
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

	int fixed_line[N_FIXED];    /* header line of each fixed section, 0 = absent */
	int cluster_name_line;	    /* where [cluster] name was set, 0 = not set */
	int global_line[N_GLOBAL];  /* line where each global key was set */
	struct topic_lines *tlines; /* parallel to c->topics */
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

static bool parse_i64(const char *s, int64_t *out)
{
	if (*s == '\0')
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return false;
	/* strtoll accepts leading blanks and '+'; a config value should not. */
	if (!(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return false;
	*out = v;
	return true;
}

static bool is_wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || strcmp(host, "*") == 0;
}

/* Parses `value` as def->kind into base + def->off. */
static void set_value(struct parse *p, const struct key_def *def, void *base, const char *section,
		      const char *value)
{
	char *field = (char *)base + def->off;
	int64_t v;
	int line = p->lineno;
	switch (def->kind) {
	case K_I32:
	case K_I64:
		if (!parse_i64(value, &v) || v < def->min || v > def->max) {
			fail(p, line, section, def->key,
			     "must be an integer in %lld..%lld, got '%s'", (long long)def->min,
			     (long long)def->max, value);
			return;
		}
		if (def->kind == K_I32)
			*(int32_t *)field = (int32_t)v;
		else
			*(int64_t *)field = v;
		return;
	case K_UNLIM:
		if (!parse_i64(value, &v) || (v != -1 && (v < def->min || v > def->max))) {
			fail(p, line, section, def->key,
			     "must be -1 (unlimited) or an integer in %lld..%lld, got '%s'",
			     (long long)def->min, (long long)def->max, value);
			return;
		}
		*(int64_t *)field = v;
		return;
	case K_PATH:
	case K_HOST: {
		size_t cap = def->kind == K_PATH ? CONFIG_PATH_MAX - 300 : CONFIG_HOST_MAX;
		size_t len = strlen(value);
		if (len == 0) {
			fail(p, line, section, def->key, "must not be empty");
			return;
		}
		if (len >= cap) {
			fail(p, line, section, def->key, "is too long (max %zu characters)",
			     cap - 1);
			return;
		}
		if (def->kind == K_HOST && strpbrk(value, " \t,/[]") != NULL) {
			fail(p, line, section, def->key, "must be a host name or address, got '%s'",
			     value);
			return;
		}
		memcpy(field, value, len + 1);
		return;
	}
	case K_ADDR:
		if (config_addr_parse(value, (struct config_addr *)field) != 0)
			fail(p, line, section, def->key,
			     "must be host:port (or [ipv6]:port) with port 1..65535, got '%s'",
			     value);
		return;
	case K_LOGLEVEL:
		if (log_level_parse(value, (enum log_level *)field) != 0)
			fail(p, line, section, def->key,
			     "must be one of error, warn, info, debug, got '%s'", value);
		return;
	case K_SYNC:
		if (strcmp(value, "always") == 0)
			*(enum config_sync *)field = CONFIG_SYNC_ALWAYS;
		else if (strcmp(value, "never") == 0)
			*(enum config_sync *)field = CONFIG_SYNC_NEVER;
		else
			fail(p, line, section, def->key, "must be always or never, got '%s'",
			     value);
		return;
	}
}

static void set_defaults(struct config *c)
{
	snprintf(c->node.data_dir, sizeof(c->node.data_dir), "./data");
	snprintf(c->cluster_name, sizeof(c->cluster_name), "fjord");
	config_addr_parse("127.0.0.1:9092", &c->node.kafka_listen);
	config_addr_parse("127.0.0.1:9644", &c->node.admin_listen);
	config_addr_parse("127.0.0.1:9192", &c->node.raft_listen);
	c->node.log_level = LOG_INFO;
	c->kafka.socket_request_max_bytes = 104857600;
	c->kafka.max_connections = 10000;
	c->kafka.partition_timeout_ms = 2000;
	c->storage.sync = CONFIG_SYNC_ALWAYS;
	c->storage.map_size_mb = 1024;
	c->storage.max_message_bytes = 1048576;
	c->retention.ms = 604800000;
	c->retention.bytes = -1;
	c->raft.election_timeout_ms = 3000;
	c->raft.heartbeat_interval_ms = 150;
	c->raft.max_entries_per_batch = 100;
	c->raft.snapshot_threshold = 10000;
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

/* [cluster] name: the characters of a topic name, so it reads the same in
 * logs, hellos and JSON on every node. */
static void set_cluster_name(struct parse *p, const char *value)
{
	size_t len = strlen(value);
	bool ok = len >= 1 && len <= CONFIG_CLUSTER_NAME_MAX;
	for (size_t i = 0; ok && i < len; i++)
		ok = (value[i] >= 'a' && value[i] <= 'z') || (value[i] >= 'A' && value[i] <= 'Z') ||
		     (value[i] >= '0' && value[i] <= '9') || strchr("._-", value[i]) != NULL;
	if (!ok) {
		fail(p, p->lineno, "cluster", "name",
		     "must be 1..%d characters of [a-zA-Z0-9._-], got '%s'",
		     CONFIG_CLUSTER_NAME_MAX, value);
		return;
	}
	snprintf(p->c->cluster_name, sizeof(p->c->cluster_name), "%s", value);
}

static void handle_cluster(struct parse *p, const char *name, const char *value)
{
	struct config *c = p->c;
	char *end;
	long id = 0;
	if (strcmp(name, "name") == 0) {
		if (p->cluster_name_line != 0) {
			fail(p, p->lineno, "cluster", name, "duplicate key (first at line %d)",
			     p->cluster_name_line);
			return;
		}
		p->cluster_name_line = p->lineno;
		set_cluster_name(p, value);
		return;
	}
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

static const struct key_def *find_key(const struct key_def *tab, int n, const char *section,
				      const char *key, int *idx)
{
	for (int i = 0; i < n; i++) {
		if ((section == NULL || strcmp(tab[i].section, section) == 0) &&
		    strcmp(tab[i].key, key) == 0) {
			*idx = i;
			return &tab[i];
		}
	}
	return NULL;
}

static void list_keys(const char *section, char *out, size_t out_len)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < N_GLOBAL; i++) {
		if (strcmp(global_keys[i].section, section) != 0)
			continue;
		int w = snprintf(out + used, out_len - used, "%s%s", used ? ", " : "",
				 global_keys[i].key);
		if (w < 0 || (size_t)w >= out_len - used)
			return;
		used += (size_t)w;
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
	if (p->sec == SEC_CLUSTER) {
		handle_cluster(p, name, value);
		return 1;
	}
	int idx;
	if (p->sec == SEC_TOPIC) {
		if (p->topic_idx == NO_TOPIC)
			return 1; /* bad name, already reported */
		const struct key_def *def = find_key(topic_keys, N_TOPIC, NULL, name, &idx);
		if (def == NULL) {
			fail(p, p->lineno, p->sec_name, name,
			     "unknown key (expected partitions, replication, retention_ms, "
			     "retention_bytes or max_message_bytes)");
			return 1;
		}
		bool scratch = p->topic_idx == SCRATCH_TOPIC;
		struct topic_lines *tl = scratch ? &p->scratch_lines : &p->tlines[p->topic_idx];
		struct config_topic *t = scratch ? &p->scratch : &p->c->topics[p->topic_idx];
		if (tl->key_line[idx] != 0) {
			fail(p, p->lineno, p->sec_name, name, "duplicate key (first at line %d)",
			     tl->key_line[idx]);
			return 1;
		}
		tl->key_line[idx] = p->lineno;
		set_value(p, def, t, p->sec_name, value);
		return 1;
	}
	const char *section = fixed_sections[p->sec];
	const struct key_def *def = find_key(global_keys, N_GLOBAL, section, name, &idx);
	if (def == NULL) {
		char keys[512];
		list_keys(section, keys, sizeof(keys));
		fail(p, p->lineno, section, name, "unknown key (expected one of: %s)", keys);
		return 1;
	}
	if (p->global_line[idx] != 0) {
		fail(p, p->lineno, section, name, "duplicate key (first at line %d)",
		     p->global_line[idx]);
		return 1;
	}
	p->global_line[idx] = p->lineno;
	set_value(p, def, p->c, section, value);
	return 1;
}

static void apply_override(struct parse *p, const struct config_override *ov)
{
	int idx;
	const struct key_def *def = find_key(global_keys, N_GLOBAL, ov->section, ov->key, &idx);
	p->source = ov->source ? ov->source : "command line";
	if (def == NULL) {
		fail(p, 0, ov->section, ov->key, "cannot be overridden");
	} else {
		set_value(p, def, p->c, ov->section, ov->value);
		/* Mark it set (line -1: not from the file) so required checks pass. */
		if (p->global_line[idx] == 0)
			p->global_line[idx] = -1;
	}
	p->source = NULL;
}

static int key_index(const char *section, const char *key)
{
	int idx = -1;
	find_key(global_keys, N_GLOBAL, section, key, &idx);
	return idx;
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

	if (c->raft.heartbeat_interval_ms >= c->raft.election_timeout_ms)
		fail(p, blame_line(p, "raft", "heartbeat_interval_ms"), "raft",
		     "heartbeat_interval_ms", "must be less than raft.election_timeout_ms (%d)",
		     (int)c->raft.election_timeout_ms);

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

	for (int i = 0; i < c->n_topics; i++) {
		struct config_topic *t = &c->topics[i];
		const int *kl = p->tlines[i].key_line;
		char sec[CONFIG_TOPIC_NAME_MAX + 16];
		snprintf(sec, sizeof(sec), "topic.%s", t->name);
		if (kl[TK_PARTITIONS] == 0)
			fail(p, t->line, sec, "partitions", "required key is missing");
		if (kl[TK_REPLICATION] == 0)
			t->replication = 1;
		else if (t->replication > n_nodes)
			fail(p, kl[TK_REPLICATION], sec, "replication",
			     "%d exceeds the %d node(s) in the cluster", (int)t->replication,
			     n_nodes);
		if (kl[TK_RETENTION_MS] == 0)
			t->retention_ms = c->retention.ms;
		if (kl[TK_RETENTION_BYTES] == 0)
			t->retention_bytes = c->retention.bytes;
		if (kl[TK_MAX_MESSAGE] == 0)
			t->max_message_bytes = c->storage.max_message_bytes;
	}
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
	set_defaults(c);

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
