/* args.c - parses the fjord-supervisor command line and prints its help.
 *
 * Hand-rolled rather than getopt_long: getopt keeps global state and prints
 * its own messages, which makes it awkward to test and to word errors. */
#include "args.h"

#include <string.h>

#include "common/config_keys.h"
#include "common/err.h"

/* Matches "--flag" or "--flag=value" against name. Returns 1 and sets
 * *inline_value (NULL for the first form) on a match. */
static int match(const char *arg, const char *name, const char **inline_value)
{
	size_t n = strlen(name);
	if (strncmp(arg, name, n) != 0)
		return 0;
	if (arg[n] == '\0') {
		*inline_value = NULL;
		return 1;
	}
	if (arg[n] == '=') {
		*inline_value = arg + n + 1;
		return 1;
	}
	return 0;
}

int args_parse(int argc, char **argv, struct args *a, char *err, size_t err_len)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *val = NULL;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			a->help = true;
			return 0;
		}
		if (strcmp(arg, "--check") == 0) {
			a->check = true;
			continue;
		}
		const char *name = NULL;
		if (match(arg, "--config", &val) || match(arg, "-c", &val)) {
			name = "-c";
		} else if (strncmp(arg, "-c", 2) == 0 && arg[2] != '\0' && arg[2] != '-') {
			name = "-c"; /* "-cFILE" */
			val = arg + 2;
		} else {
			/* The flags that override a key are a column of the
			 * table of keys. */
			for (int k = 0; k < config_n_keys && name == NULL; k++) {
				const char *flag = config_keys[k].override;
				if (flag != NULL && match(arg, flag, &val))
					name = flag;
			}
		}
		if (name == NULL) {
			snprintf(err, err_len, "unknown option '%s'", arg);
			return ERR_INVALID;
		}
		if (val == NULL) {
			if (i + 1 >= argc) {
				snprintf(err, err_len, "option '%s' needs a value", arg);
				return ERR_INVALID;
			}
			val = argv[++i];
		}
		if (strcmp(name, "-c") == 0) {
			a->config_path = val;
			continue;
		}
		if (a->n_ov == ARGS_MAX_OVERRIDES) {
			snprintf(err, err_len, "too many overriding options (max %d)",
				 ARGS_MAX_OVERRIDES);
			return ERR_INVALID;
		}
		const struct config_key *k = config_key_find_override(name);
		a->ov[a->n_ov++] = (struct config_override){k->section, k->key, val, k->override};
	}
	if (a->config_path == NULL) {
		snprintf(err, err_len, "missing -c FILE (the configuration file)");
		return ERR_INVALID;
	}
	return 0;
}

void args_print_help(FILE *f)
{
	fputs("NAME\n"
	      "    fjord-supervisor - run one fjord node: Kafka front end and partition workers\n"
	      "\n"
	      "SYNOPSIS\n"
	      "    fjord-supervisor -c FILE [--node-id N] [--data-dir DIR]\n"
	      "                     [--kafka-listen HOST:PORT] [--advertised-host HOST]\n"
	      "                     [--log-level LEVEL] [--admin-listen HOST:PORT] [--check]\n"
	      "    fjord-supervisor --help\n"
	      "\n"
	      "DESCRIPTION\n"
	      "    fjord-supervisor reads the INI configuration FILE, binds the Kafka, admin\n"
	      "    HTTP and Raft listeners, and starts one fjord-worker process per partition\n"
	      "    replica of every [topic.NAME] section placed on this node (all of them\n"
	      "    without [cluster]), under <data_dir>/<topic>-<partition>. It\n"
	      "    restarts a worker that dies (backoff 100 ms doubling to 30 s, reset after\n"
	      "    60 s of health), answers ApiVersions and Metadata itself, and forwards\n"
	      "    Produce, Fetch and ListOffsets to the workers of the partitions involved,\n"
	      "    replying on each connection in request order. With [cluster] it keeps a\n"
	      "    channel to every other node's supervisor to learn who leads what, hands\n"
	      "    connections from other nodes' workers to its own workers, and tells the\n"
	      "    other nodes at once when a leading worker dies.\n"
	      "\n"
	      "    The admin HTTP listener serves GET /metrics (Prometheus text: Raft state,\n"
	      "    produce and fetch traffic per partition, request latency per API,\n"
	      "    storage use), GET /v1/status (JSON) and POST /v1/leaders/balance (hand\n"
	      "    each local leadership to its partition's preferred replica now, when that\n"
	      "    replica is caught up). See docs/ADMIN.md.\n"
	      "\n"
	      "OPTIONS\n"
	      "    -c FILE, --config FILE\n"
	      "        The configuration file (required). See docs/CONFIG.md for every key.\n"
	      "    --node-id N\n"
	      "        Overrides [node] id (1..1000000).\n"
	      "    --data-dir DIR\n"
	      "        Overrides [node] data_dir.\n"
	      "    --kafka-listen HOST:PORT\n"
	      "        Overrides [node] kafka_listen.\n"
	      "    --advertised-host HOST\n"
	      "        Overrides [node] advertised_host, the host clients are told to use.\n"
	      "    --log-level LEVEL\n"
	      "        Overrides [node] log_level: error, warn, info or debug.\n"
	      "    --admin-listen HOST:PORT\n"
	      "        Overrides [node] admin_listen.\n"
	      "    --check\n"
	      "        Validate the configuration (with the overrides) and exit.\n"
	      "    --help\n"
	      "        Print this help and exit.\n"
	      "\n"
	      "    Options also take the form --option=VALUE. They win over the file, and\n"
	      "    also over the file's new contents on SIGHUP.\n"
	      "\n"
	      "SIGNALS\n"
	      "    SIGHUP   Re-read FILE. New topics and partitions get workers; a changed\n"
	      "             topic setting restarts that topic's workers; partition counts\n"
	      "             only grow. A file with errors is logged and ignored: the node\n"
	      "             keeps its current configuration.\n"
	      "    SIGTERM, SIGINT\n"
	      "             Stop: first hand the leadership of local replicas to other\n"
	      "             nodes (up to 5 s; a second signal skips the wait), then close the\n"
	      "             listeners, send SIGTERM to every worker, wait up to 5 s, SIGKILL\n"
	      "             the rest, exit 0.\n"
	      "\n"
	      "FILES\n"
	      "    /usr/local/etc/fjord/fjord.ini\n"
	      "        The configuration installed by `make install` (conf/fjord.ini).\n"
	      "    <data_dir>/<topic>-<partition>/\n"
	      "        One LMDB environment per partition replica.\n"
	      "\n"
	      "ENVIRONMENT\n"
	      "    NOTIFY_SOCKET\n"
	      "        Set by systemd for Type=notify services (conf/fjord.service): the\n"
	      "        node reports READY=1 once it serves, RELOADING=1 on SIGHUP and\n"
	      "        STOPPING=1 when it stops. Without it nothing is sent.\n"
	      "\n"
	      "EXIT STATUS\n"
	      "    0   Stopped by SIGTERM or SIGINT, or --check found the file valid, or --help.\n"
	      "    1   A runtime failure, such as a listener that cannot be bound.\n"
	      "    2   A usage error or an invalid configuration (each problem is printed\n"
	      "        as FILE:LINE: SECTION.KEY: WHAT IS WRONG).\n"
	      "\n"
	      "SEE ALSO\n"
	      "    fjord-worker(1), fjordctl(1), docs/CONFIG.md, docs/ADMIN.md\n",
	      f);
}
