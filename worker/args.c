/* args.c - parsing and validation of the fjord-worker command line. */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

void worker_args_usage(FILE *out)
{
	fputs("NAME\n"
	      "    fjord-worker - serve one replica of one fjord partition\n"
	      "\n"
	      "SYNOPSIS\n"
	      "    fjord-worker --ipc-fd N --topic NAME --partition P --dir DIR --node-id ID\n"
	      "                 [--log-level error|warn|info|debug] [--sync always|never]\n"
	      "                 [--map-size-mb N] [--max-message-bytes N]\n"
	      "                 [--retention-ms N] [--retention-bytes N]\n"
	      "                 [--conn-fd N] [--cluster NAME] [--replicas ID,ID,...]\n"
	      "                 [--peer ID=HOST:PORT]... [--election-timeout-ms N]\n"
	      "                 [--heartbeat-interval-ms N] [--max-entries-per-batch N]\n"
	      "                 [--snapshot-threshold N]\n"
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
	      "    leadership back to it once it is caught up. Every second, and whenever\n"
	      "    its role, term or leader changes, it reports its state to the\n"
	      "    supervisor (role, term, commit and log positions, checksum, LMDB use).\n"
	      "\n"
	      "OPTIONS\n"
	      "    --ipc-fd N             inherited socket to the supervisor (required)\n"
	      "    --topic NAME           topic of the partition (required)\n"
	      "    --partition P          partition number, >= 0 (required)\n"
	      "    --dir DIR              replica directory, created if missing (required)\n"
	      "    --node-id ID           this node's id, >= 1 (required)\n"
	      "    --log-level L          error, warn, info (default) or debug\n"
	      "    --sync always|never    fsync each group commit before acknowledging it\n"
	      "                           (always, the default) or leave it to the OS\n"
	      "    --map-size-mb N        largest size the store may grow to (default 1024)\n"
	      "    --max-message-bytes N  largest record batch accepted (default 1048588)\n"
	      "    --retention-ms N       delete batches older than N ms; -1 = never (default)\n"
	      "    --retention-bytes N    keep the log under N bytes; -1 = no limit (default)\n"
	      "\n"
	      "  Replication (without --replicas the partition has this one replica):\n"
	      "    --conn-fd N            inherited SOCK_SEQPACKET socket on which the\n"
	      "                           supervisor hands over accepted peer connections\n"
	      "    --cluster NAME         cluster name sent in hellos (default fjord)\n"
	      "    --replicas LIST        node ids of the group's replicas, comma-separated,\n"
	      "                           preferred leader first; must include --node-id\n"
	      "    --peer ID=HOST:PORT    raft address of replica node ID (one per other\n"
	      "                           replica; IPv6 hosts in brackets)\n"
	      "    --election-timeout-ms N     follower timeout T, drawn in [T, 2T) (3000)\n"
	      "    --heartbeat-interval-ms N   leader heartbeat period, one Raft tick (150)\n"
	      "    --max-entries-per-batch N   most entries in one append message (100)\n"
	      "    --snapshot-threshold N      accepted for the [raft] contract; partition\n"
	      "                                logs are compacted by retention only (10000)\n"
	      "    --help                 print this text and exit\n"
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
	      "    None is read: everything comes from the command line.\n"
	      "\n"
	      "EXIT STATUS\n"
	      "    0   a clean stop (signal, or the supervisor went away), or --help\n"
	      "    1   a runtime failure: the store cannot be opened or failed, the\n"
	      "        supervisor was already gone at start, out of memory\n"
	      "    2   a usage error (printed to stderr)\n"
	      "\n"
	      "SEE ALSO\n"
	      "    fjord-supervisor(1), docs/ARCHITECTURE.md, docs/STORAGE.md\n",
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

enum {
	O_IPC_FD = 1,
	O_TOPIC,
	O_PARTITION,
	O_DIR,
	O_NODE_ID,
	O_LOG_LEVEL,
	O_SYNC,
	O_MAP_SIZE,
	O_MAX_MSG,
	O_RET_MS,
	O_RET_BYTES,
	O_CONN_FD,
	O_CLUSTER,
	O_REPLICAS,
	O_PEER,
	O_ELECTION,
	O_HEARTBEAT,
	O_MAX_ENTRIES,
	O_SNAP_THRESHOLD,
	O_HELP
};

/* "2,3,1": distinct ids >= 1, at most WORKER_MAX_REPLICAS. */
static int parse_replicas(const char *s, struct worker_args *a)
{
	a->n_replicas = 0;
	const char *p = s;
	for (;;) {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (errno != 0 || end == p || v < 1 || v > INT32_MAX ||
		    a->n_replicas == WORKER_MAX_REPLICAS)
			return ERR_INVALID;
		for (int i = 0; i < a->n_replicas; i++)
			if (a->replicas[i] == (int32_t)v)
				return ERR_INVALID;
		a->replicas[a->n_replicas++] = (int32_t)v;
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
	if (a->n_peers == WORKER_MAX_REPLICAS)
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
		out[0] = a->node_id;
		return 1;
	}
	memcpy(out, a->replicas, (size_t)a->n_replicas * sizeof(*out));
	return a->n_replicas;
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
	if (a->heartbeat_interval_ms >= a->election_timeout_ms)
		return "--heartbeat-interval-ms must be below --election-timeout-ms";
	if (a->election_timeout_ms / a->heartbeat_interval_ms < 2)
		return "--election-timeout-ms must be at least twice --heartbeat-interval-ms";
	if (a->n_replicas == 0)
		return a->n_peers > 0 ? "--peer needs --replicas" : NULL;
	bool self = false;
	for (int i = 0; i < a->n_replicas; i++)
		self |= a->replicas[i] == a->node_id;
	if (!self)
		return "--replicas must include --node-id";
	for (int i = 0; i < a->n_replicas; i++)
		if (a->replicas[i] != a->node_id && worker_args_peer(a, a->replicas[i]) == NULL)
			return "--replicas names a node without a --peer address";
	if (a->n_replicas > 1 && a->conn_fd < 0)
		return "--replicas with other nodes needs --conn-fd";
	return NULL;
}

int worker_args_parse(int argc, char **argv, struct worker_args *a, FILE *out, FILE *err)
{
	static const struct option opts[] = {
	    {"ipc-fd", required_argument, NULL, O_IPC_FD},
	    {"topic", required_argument, NULL, O_TOPIC},
	    {"partition", required_argument, NULL, O_PARTITION},
	    {"dir", required_argument, NULL, O_DIR},
	    {"node-id", required_argument, NULL, O_NODE_ID},
	    {"log-level", required_argument, NULL, O_LOG_LEVEL},
	    {"sync", required_argument, NULL, O_SYNC},
	    {"map-size-mb", required_argument, NULL, O_MAP_SIZE},
	    {"max-message-bytes", required_argument, NULL, O_MAX_MSG},
	    {"retention-ms", required_argument, NULL, O_RET_MS},
	    {"retention-bytes", required_argument, NULL, O_RET_BYTES},
	    {"conn-fd", required_argument, NULL, O_CONN_FD},
	    {"cluster", required_argument, NULL, O_CLUSTER},
	    {"replicas", required_argument, NULL, O_REPLICAS},
	    {"peer", required_argument, NULL, O_PEER},
	    {"election-timeout-ms", required_argument, NULL, O_ELECTION},
	    {"heartbeat-interval-ms", required_argument, NULL, O_HEARTBEAT},
	    {"max-entries-per-batch", required_argument, NULL, O_MAX_ENTRIES},
	    {"snapshot-threshold", required_argument, NULL, O_SNAP_THRESHOLD},
	    {"help", no_argument, NULL, O_HELP},
	    {NULL, 0, NULL, 0},
	};
	*a = (struct worker_args){
	    .ipc_fd = -1,
	    .partition = -1,
	    .node_id = -1,
	    .log_level = LOG_INFO,
	    .sync = true,
	    .map_size_mb = 1024,
	    .max_message_bytes = 1048588,
	    .retention_ms = -1,
	    .retention_bytes = -1,
	    .conn_fd = -1,
	    .cluster = "fjord",
	    .election_timeout_ms = 3000,
	    .heartbeat_interval_ms = 150,
	    .max_entries_per_batch = 100,
	    .snapshot_threshold = 10000,
	};
	optind = 1;
	opterr = 0;
	int c;
	int64_t v;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *name = NULL;
		int bad = 0;
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
		case O_NODE_ID:
			bad = parse_int(optarg, 1, INT32_MAX, &v);
			a->node_id = (int32_t)v;
			name = "--node-id";
			break;
		case O_LOG_LEVEL:
			bad = log_level_parse(optarg, &a->log_level);
			name = "--log-level";
			break;
		case O_SYNC:
			bad = strcmp(optarg, "always") != 0 && strcmp(optarg, "never") != 0;
			a->sync = strcmp(optarg, "always") == 0;
			name = "--sync";
			break;
		case O_MAP_SIZE:
			bad = parse_int(optarg, 1, (int64_t)1 << 30, &v);
			a->map_size_mb = (uint64_t)v;
			name = "--map-size-mb";
			break;
		case O_MAX_MSG:
			bad = parse_int(optarg, 1, INT32_MAX, &v);
			a->max_message_bytes = (int32_t)v;
			name = "--max-message-bytes";
			break;
		case O_RET_MS:
			bad = parse_int(optarg, -1, INT64_MAX, &v);
			a->retention_ms = v;
			name = "--retention-ms";
			break;
		case O_RET_BYTES:
			bad = parse_int(optarg, -1, INT64_MAX, &v);
			a->retention_bytes = v;
			name = "--retention-bytes";
			break;
		case O_CONN_FD:
			bad = parse_int(optarg, 0, INT32_MAX, &v);
			a->conn_fd = (int)v;
			name = "--conn-fd";
			break;
		case O_CLUSTER:
			a->cluster = optarg;
			bad = optarg[0] == '\0' || strlen(optarg) >= 128;
			name = "--cluster";
			break;
		case O_REPLICAS:
			bad = parse_replicas(optarg, a);
			name = "--replicas";
			break;
		case O_PEER:
			bad = parse_peer(optarg, a);
			name = "--peer";
			break;
		case O_ELECTION:
			bad = parse_int(optarg, 2, 600000, &v);
			a->election_timeout_ms = (int32_t)v;
			name = "--election-timeout-ms";
			break;
		case O_HEARTBEAT:
			bad = parse_int(optarg, 1, 600000, &v);
			a->heartbeat_interval_ms = (int32_t)v;
			name = "--heartbeat-interval-ms";
			break;
		case O_MAX_ENTRIES:
			bad = parse_int(optarg, 1, 1000000, &v);
			a->max_entries_per_batch = (int32_t)v;
			name = "--max-entries-per-batch";
			break;
		case O_SNAP_THRESHOLD:
			bad = parse_int(optarg, 1, INT64_MAX, &v);
			a->snapshot_threshold = v;
			name = "--snapshot-threshold";
			break;
		case O_HELP:
			worker_args_usage(out);
			return 1;
		default:
			fprintf(err,
				"fjord-worker: unknown option or missing value: %s (see --help)\n",
				argv[optind - 1]);
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
			      : a->node_id < 0	 ? "--node-id"
						 : NULL;
	if (missing) {
		fprintf(err, "fjord-worker: %s is required (see --help)\n", missing);
		return ERR_INVALID;
	}
	const char *why = check_cluster(a);
	if (why) {
		fprintf(err, "fjord-worker: %s (see --help)\n", why);
		return ERR_INVALID;
	}
	return 0;
}
