/* args.c - parsing and validation of the fjord-worker command line.
 *
 * The per-replica flags (--ipc-fd, --topic, --replicas, ...) are parsed
 * here; every configuration flag is a row of common/config_keys.c and is
 * parsed, ranged and defaulted by that table, the same one the INI loader
 * uses, so the worker cannot disagree with the file about a key. */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/config_keys.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"

/* The placeholder of a flag's value in the usage text. */
static const char *metavar(const struct config_key *k)
{
	switch (k->kind) {
	case CONFIG_LOGLEVEL:
		return "LEVEL";
	case CONFIG_SYNC:
		return "always|never";
	case CONFIG_NAME:
		return "NAME";
	case CONFIG_TSTYPE:
		return "CreateTime|LogAppendTime";
	case CONFIG_PATH:
		return "PATH";
	case CONFIG_HOST:
	case CONFIG_ADDR:
		return "HOST";
	default:
		return "N";
	}
}

void worker_args_usage(FILE *out)
{
	fputs("NAME\n"
	      "    fjord-worker - serve one replica of one fjord partition\n"
	      "\n"
	      "SYNOPSIS\n"
	      "    fjord-worker --ipc-fd N --topic NAME --partition P --dir DIR --node-id ID\n"
	      "                 [--conn-fd N] [--replicas ID,ID,...] [--learners ID,ID,...]\n"
	      "                 [--peer ID=HOST:PORT]...\n"
	      "                 [CONFIGURATION FLAGS]\n"
	      "\n"
	      "DESCRIPTION\n"
	      "    fjord-supervisor starts one fjord-worker per partition replica it hosts\n"
	      "    and talks to it over a socketpair (framed msgpack). The worker keeps the\n"
	      "    replica's log in an LMDB environment in DIR and serves Produce, Fetch\n"
	      "    (with long polling) and ListOffsets for it. It is not meant to be run by\n"
	      "    hand. It exits when the supervisor's end of the socketpair closes or the\n"
	      "    supervisor dies (it asks the kernel for SIGKILL on its parent's death).\n"
	      "\n"
	      "    With --replicas it runs the partition's Raft group with the replicas on\n"
	      "    the other nodes: the preferred replica (first of the list) starts the\n"
	      "    first election, and a leader that is not the preferred replica hands\n"
	      "    leadership back to it once it is caught up. With --learners, the nodes\n"
	      "    listed there hold non-voting replicas: the leader sends them the log,\n"
	      "    but they never vote, campaign or lead and do not count for commit; a\n"
	      "    worker whose --node-id is among them runs as such a learner (its\n"
	      "    status says role learner). Every second, and whenever its role, term\n"
	      "    or leader changes, it reports its state to the supervisor (role, term,\n"
	      "    commit and log positions, checksum, LMDB use).\n"
	      "\n"
	      "OPTIONS\n"
	      "    --ipc-fd N             inherited socket to the supervisor (required)\n"
	      "    --topic NAME           topic of the partition (required)\n"
	      "    --partition P          partition number, >= 0 (required)\n"
	      "    --dir DIR              replica directory, created if missing (required)\n"
	      "\n"
	      "  Replication (without --replicas the partition has this one replica):\n"
	      "    --conn-fd N            inherited SOCK_SEQPACKET socket on which the\n"
	      "                           supervisor hands over accepted peer connections\n"
	      "    --replicas LIST        node ids of the group's voting replicas,\n"
	      "                           comma-separated, preferred leader first; must\n"
	      "                           include --node-id unless --learners does\n"
	      "    --learners LIST        node ids of the group's non-voting learners,\n"
	      "                           comma-separated, none of them in --replicas\n"
	      "                           (needs --replicas)\n"
	      "    --peer ID=HOST:PORT    raft address of member node ID (one per other\n"
	      "                           voter or learner; IPv6 hosts in brackets)\n"
	      "\n"
	      "  Configuration flags: one per key of the supervisor's INI file that the\n"
	      "  worker uses, with the file's ranges and defaults (docs/CONFIG.md):\n",
	      out);
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->flag == NULL)
			continue;
		char flag[64], dflt[96];
		snprintf(flag, sizeof(flag), "%s %s", k->flag, metavar(k));
		if (k->def != NULL)
			snprintf(dflt, sizeof(dflt), "default %s", k->def);
		else if (k->inherits != NULL)
			snprintf(dflt, sizeof(dflt), "default: %s", k->inherits);
		else
			snprintf(dflt, sizeof(dflt), "required");
		fprintf(out, "    %-26s %s.%s (%s)\n%31s%s\n", flag, k->section, k->key, dflt, "",
			k->doc);
	}
	fputs("    --help                 print this text and exit\n"
	      "\n"
	      "SIGNALS\n"
	      "    SIGTERM, SIGINT        finish the current group commit and exit 0\n"
	      "    SIGPIPE                ignored: a closed peer or supervisor socket is\n"
	      "                           noticed as an error or end of file instead\n"
	      "\n"
	      "FILES\n"
	      "    DIR/data.mdb, DIR/lock.mdb   the replica's LMDB environment; the lock is\n"
	      "                                 exclusive, so two workers never share DIR\n"
	      "\n"
	      "ENVIRONMENT\n"
	      "    None is read: everything comes from the command line (and, for keys\n"
	      "    that apply live, from the supervisor's IPC_CONFIG messages).\n"
	      "\n"
	      "EXIT STATUS\n"
	      "    0   a clean stop (signal, or the supervisor went away), or --help\n"
	      "    1   a runtime failure: the store cannot be opened or failed, the\n"
	      "        supervisor was already gone at start, out of memory\n"
	      "    2   a usage error (printed to stderr)\n"
	      "\n"
	      "SEE ALSO\n"
	      "    fjord-supervisor(1), docs/ARCHITECTURE.md, docs/CONFIG.md, docs/STORAGE.md\n",
	      out);
}

/* Parses a whole decimal integer within [lo, hi]. */
static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return ERR_INVALID;
	*out = v;
	return 0;
}

/* getopt values: the per-replica flags, then O_KEY + row of config_keys. */
enum {
	O_IPC_FD = 1,
	O_TOPIC,
	O_PARTITION,
	O_DIR,
	O_CONN_FD,
	O_REPLICAS,
	O_LEARNERS,
	O_PEER,
	O_HELP,
	O_KEY
};

/* "2,3,1": distinct ids >= 1, at most max of them, into ids[]. */
static int parse_ids(const char *s, int32_t *ids, int *n, int max)
{
	*n = 0;
	const char *p = s;
	for (;;) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (errno != 0 || end == p || v < 1 || v > INT32_MAX || *n == max)
			return ERR_INVALID;
		for (int i = 0; i < *n; i++)
			if (ids[i] == (int32_t)v)
				return ERR_INVALID;
		ids[(*n)++] = (int32_t)v;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return ERR_INVALID;
		p = end + 1;
	}
}

/* "ID=HOST:PORT" or "ID=[V6]:PORT". */
static int parse_peer(const char *s, struct worker_args *a)
{
	if (a->n_peers == WORKER_MAX_MEMBERS)
		return ERR_INVALID;
	struct worker_peer *pe = &a->peers[a->n_peers];
	char *end;
	errno = 0;
	long id = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '=' || id < 1 || id > INT32_MAX)
		return ERR_INVALID;
	const char *host = end + 1, *colon = strrchr(host, ':');
	if (colon == NULL || colon == host)
		return ERR_INVALID;
	size_t hl = (size_t)(colon - host);
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return ERR_INVALID;
		host++;
		hl -= 2;
	}
	if (hl >= sizeof(pe->host))
		return ERR_INVALID;
	int64_t port;
	if (parse_int(colon + 1, 1, 65535, &port) != 0)
		return ERR_INVALID;
	for (int i = 0; i < a->n_peers; i++)
		if (a->peers[i].node == (int32_t)id)
			return ERR_INVALID;
	pe->node = (int32_t)id;
	memcpy(pe->host, host, hl);
	pe->host[hl] = '\0';
	pe->port = (uint16_t)port;
	a->n_peers++;
	return 0;
}

int worker_args_voters(const struct worker_args *a, int32_t *out)
{
	if (a->n_replicas == 0) {
		out[0] = a->cfg.node.id;
		return 1;
	}
	memcpy(out, a->replicas, (size_t)a->n_replicas * sizeof(*out));
	return a->n_replicas;
}

bool worker_args_is_learner(const struct worker_args *a)
{
	for (int i = 0; i < a->n_learners; i++)
		if (a->learners[i] == a->cfg.node.id)
			return true;
	return false;
}

const struct worker_peer *worker_args_peer(const struct worker_args *a, int32_t node)
{
	for (int i = 0; i < a->n_peers; i++)
		if (a->peers[i].node == node)
			return &a->peers[i];
	return NULL;
}

/* The rules between flags, checked once all are read. Returns a message or
 * NULL. */
static const char *check_cluster(const struct worker_args *a)
{
	if (a->n_replicas == 0) {
		if (a->n_learners > 0)
			return "--learners needs --replicas";
		return a->n_peers > 0 ? "--peer needs --replicas" : NULL;
	}
	if (a->n_replicas + a->n_learners > WORKER_MAX_MEMBERS)
		return "--replicas and --learners name too many nodes";
	bool self = worker_args_is_learner(a);
	for (int i = 0; i < a->n_replicas; i++) {
		self |= a->replicas[i] == a->cfg.node.id;
		for (int j = 0; j < a->n_learners; j++)
			if (a->learners[j] == a->replicas[i])
				return "--learners names a node of --replicas: a member either "
				       "votes or learns";
	}
	if (!self)
		return "--replicas (or --learners) must include --node-id";
	for (int i = 0; i < a->n_replicas; i++)
		if (a->replicas[i] != a->cfg.node.id && worker_args_peer(a, a->replicas[i]) == NULL)
			return "--replicas names a node without a --peer address";
	for (int i = 0; i < a->n_learners; i++)
		if (a->learners[i] != a->cfg.node.id && worker_args_peer(a, a->learners[i]) == NULL)
			return "--learners names a node without a --peer address";
	if (a->n_replicas + a->n_learners > 1 && a->conn_fd < 0)
		return "--replicas with other nodes needs --conn-fd";
	return NULL;
}

/* Sets every configuration key to the value it takes when its flag is not
 * given: the table's default, or the global key a topic key inherits. */
static void set_defaults(struct worker_args *a)
{
	config_keys_defaults(&a->cfg);
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		char v[64];
		if (config_key_is_topic(k) && config_key_default(k, &a->cfg, v, sizeof(v)) == 0)
			(void)config_key_parse(k, &a->topic_cfg, v, NULL, 0);
	}
}

int worker_args_parse(int argc, char **argv, struct worker_args *a, FILE *out, FILE *err)
{
	static const struct option fixed[] = {
	    {"ipc-fd", required_argument, NULL, O_IPC_FD},
	    {"topic", required_argument, NULL, O_TOPIC},
	    {"partition", required_argument, NULL, O_PARTITION},
	    {"dir", required_argument, NULL, O_DIR},
	    {"conn-fd", required_argument, NULL, O_CONN_FD},
	    {"replicas", required_argument, NULL, O_REPLICAS},
	    {"learners", required_argument, NULL, O_LEARNERS},
	    {"peer", required_argument, NULL, O_PEER},
	    {"help", no_argument, NULL, O_HELP},
	};
	enum { N_FIXED = sizeof(fixed) / sizeof(fixed[0]) };
	struct option opts[N_FIXED + CONFIG_KEYS_MAX + 1];
	int n = 0;
	for (; n < N_FIXED; n++)
		opts[n] = fixed[n];
	for (int i = 0; i < config_n_keys; i++)
		if (config_keys[i].flag != NULL)
			opts[n++] = (struct option){config_keys[i].flag + 2, required_argument,
						    NULL, O_KEY + i};
	opts[n] = (struct option){NULL, 0, NULL, 0};
	bool given[CONFIG_KEYS_MAX] = {false};

	memset(a, 0, sizeof(*a));
	a->ipc_fd = -1;
	a->partition = -1;
	a->conn_fd = -1;
	set_defaults(a);
	optind = 1;
	opterr = 0;
	int c;
	int64_t v;
	char why[512];
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *name = NULL;
		int bad = 0;
		why[0] = '\0';
		switch (c) {
		case O_IPC_FD:
			bad = parse_int(optarg, 0, INT32_MAX, &v);
			a->ipc_fd = (int)v;
			name = "--ipc-fd";
			break;
		case O_TOPIC:
			a->topic = optarg;
			bad = optarg[0] == '\0' || strlen(optarg) > 249 || strchr(optarg, '/');
			name = "--topic";
			break;
		case O_PARTITION:
			bad = parse_int(optarg, 0, INT32_MAX, &v);
			a->partition = (int32_t)v;
			name = "--partition";
			break;
		case O_DIR:
			a->dir = optarg;
			bad = optarg[0] == '\0';
			name = "--dir";
			break;
		case O_CONN_FD:
			bad = parse_int(optarg, 0, INT32_MAX, &v);
			a->conn_fd = (int)v;
			name = "--conn-fd";
			break;
		case O_REPLICAS:
			bad = parse_ids(optarg, a->replicas, &a->n_replicas, WORKER_MAX_REPLICAS);
			name = "--replicas";
			break;
		case O_LEARNERS:
			bad = parse_ids(optarg, a->learners, &a->n_learners, WORKER_MAX_MEMBERS);
			name = "--learners";
			break;
		case O_PEER:
			bad = parse_peer(optarg, a);
			name = "--peer";
			break;
		case O_HELP:
			worker_args_usage(out);
			return 1;
		default:
			if (c >= O_KEY && c < O_KEY + config_n_keys) {
				const struct config_key *k = &config_keys[c - O_KEY];
				void *base = config_key_is_topic(k) ? (void *)&a->topic_cfg
								    : (void *)&a->cfg;
				bad = config_key_parse(k, base, optarg, why, sizeof(why));
				given[c - O_KEY] = true;
				name = k->flag;
				break;
			}
			fprintf(err,
				"fjord-worker: unknown option or missing value: %s (see --help)\n",
				argv[optind - 1]);
			return ERR_INVALID;
		}
		if (bad && why[0] != '\0') {
			fprintf(err, "fjord-worker: %s: %s (see --help)\n", name, why);
			return ERR_INVALID;
		}
		if (bad) {
			fprintf(err, "fjord-worker: bad value for %s: '%s' (see --help)\n", name,
				optarg);
			return ERR_INVALID;
		}
	}
	if (optind < argc) {
		fprintf(err, "fjord-worker: unexpected argument: %s (see --help)\n", argv[optind]);
		return ERR_INVALID;
	}
	const char *missing = a->ipc_fd < 0	 ? "--ipc-fd"
			      : a->topic == NULL ? "--topic"
			      : a->partition < 0 ? "--partition"
			      : a->dir == NULL	 ? "--dir"
						 : NULL;
	/* A key without a default (node.id) has no value unless given. */
	for (int i = 0; i < config_n_keys && missing == NULL; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->flag != NULL && k->def == NULL && k->inherits == NULL && !given[i])
			missing = k->flag;
	}
	if (missing) {
		fprintf(err, "fjord-worker: %s is required (see --help)\n", missing);
		return ERR_INVALID;
	}
	if (config_check_raft(&a->cfg, why, sizeof(why)) != NULL) {
		fprintf(err, "fjord-worker: --heartbeat-interval-ms: %s (see --help)\n", why);
		return ERR_INVALID;
	}
	const char *bad_group = check_cluster(a);
	if (bad_group) {
		fprintf(err, "fjord-worker: %s (see --help)\n", bad_group);
		return ERR_INVALID;
	}
	return 0;
}

int worker_args_apply_live(struct worker_args *a, const struct ipc_config *m)
{
	char name[128], value[CONFIG_PATH_MAX], why[512];
	if (m->name_len >= sizeof(name) || m->value_len >= sizeof(value)) {
		log_warn("config: ignoring an over-long key or value");
		return ERR_INVALID;
	}
	memcpy(name, m->name, m->name_len);
	name[m->name_len] = '\0';
	memcpy(value, m->value, m->value_len);
	value[m->value_len] = '\0';
	const struct config_key *k = config_key_find_name(name);
	if (k == NULL || k->apply != CONFIG_APPLY_WORKER_LIVE) {
		log_warn("config: ignoring %s: not a key that applies live", name);
		return ERR_INVALID;
	}
	void *base = config_key_is_topic(k) ? (void *)&a->topic_cfg : (void *)&a->cfg;
	if (config_key_parse(k, base, value, why, sizeof(why)) != 0) {
		log_warn("config: ignoring %s: %s", name, why);
		return ERR_INVALID;
	}
	log_info("config: %s is now %s", name, value);
	return 0;
}
