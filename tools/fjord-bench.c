/*
 * fjord-bench: load generator and latency meter for a Kafka-compatible broker,
 * built on librdkafka.
 *
 * It owns measuring only. It produces N records of a fixed size, timing each
 * one from produce() to its delivery report. It can also read the records back
 * (in `both` mode from a second thread that starts before the first record is
 * sent) and time each one from the send timestamp in its value to its arrival.
 * It creates no topics and knows nothing of the broker's internals, so it runs
 * just as well against any Kafka broker.
 *
 * Every record value starts with a 16-byte header: the send time (CLOCK_MONOTONIC
 * in ns, big-endian) and the sequence number (big-endian); the rest is padding.
 * End-to-end latency therefore needs producer and consumer on one host, which
 * is the case inside one process.
 *
 * With --rate the producer is paced: record i is due at start + i / rate, and
 * its "send time" is that due time, not the moment produce() ran. A producer
 * that falls behind (client queue full, broker slow) therefore shows the delay
 * as latency instead of quietly sending less (no coordinated omission).
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define HEADER_LEN 16
#define MAX_X 64
/* Extra seconds past --timeout-s before the watchdog ends the process: time
 * for an orderly stop (purge, report) that librdkafka might not grant us. */
#define WATCHDOG_GRACE_S 15

enum phase { PHASE_PRODUCE = 1, PHASE_CONSUME = 2, PHASE_BOTH = 3 };

struct opts {
	const char *bootstrap;
	const char *topic;
	long long records;
	long long size;
	long long partitions;
	const char *acks;
	long long linger_ms;
	long long batch_size;
	long long rate; /* records per second; 0 = as fast as possible */
	enum phase phase;
	long long timeout_s;
	bool json;
	int n_x;
	char *x_key[MAX_X];
	char *x_val[MAX_X];
};

/* Latencies in microseconds: 4 bytes a record keeps a few million records in
 * tens of MB, and no bounded run lasts long enough to overflow a uint32. */
struct lat {
	uint32_t *us;
	size_t n;
	size_t cap;
};

struct bench {
	struct opts o;
	uint64_t t_start;
	uint64_t deadline;

	/* Producer: touched only by the main thread (delivery reports are served
	 * from rd_kafka_poll/flush), except the counters the consumer reads. */
	rd_kafka_t *prod;
	struct lat prod_lat;
	atomic_llong delivered;
	atomic_llong dr_failed;
	long long produce_refused;
	uint64_t t_prod_first;
	uint64_t t_prod_last;
	char prod_err[256];

	/* Consumer: the consumer thread writes, main reads after join (or the
	 * atomics at any time). */
	rd_kafka_t *cons;
	rd_kafka_topic_t *cons_topic;
	rd_kafka_queue_t *cons_queue;
	int32_t *parts;
	int n_parts;
	int n_started; /* partitions consume_start()ed, to stop them */
	pthread_t cons_thread;
	bool cons_started;
	struct lat e2e;
	uint8_t *seen; /* both mode: one bit per sequence number, for dedup */
	atomic_llong consumed;
	atomic_llong cons_errors;
	atomic_llong duplicates;
	atomic_llong foreign;
	atomic_bool cons_stop;
	atomic_bool cons_done;
	long long cons_bytes; /* value bytes of the records counted */
	uint64_t t_cons_start;
	uint64_t t_cons_first;
	uint64_t t_cons_last;
	char cons_err[256];

	/* Progress line. */
	uint64_t t_next_progress;
	long long last_p;
	long long last_c;
};

static volatile sig_atomic_t interrupted;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t load64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void on_signal(int sig) { interrupted = 1; }

/* Last resort if librdkafka blocks past the bound: the run must end. */
static void on_alarm(int sig)
{
	static const char msg[] = "fjord-bench: hard timeout, exiting\n";
	ssize_t r = write(2, msg, sizeof msg - 1);
	(void)r;
	_exit(EXIT_FAIL);
}

/* ---- latency arrays ---- */

static int lat_init(struct lat *l, size_t cap)
{
	l->n = 0;
	l->cap = cap;
	l->us = malloc(cap * sizeof *l->us);
	return l->us ? 0 : -1;
}

static void lat_add(struct lat *l, uint64_t from, uint64_t to)
{
	uint64_t us = to > from ? (to - from) / 1000 : 0;
	if (l->n < l->cap)
		l->us[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile num/den of a sorted array, in ms; negative if empty.
 * The rank is ceil(n * num / den), computed in integers so that p99.9 of 1000
 * samples is exactly the 999th. */
static double lat_pct_ms(const struct lat *l, uint64_t num, uint64_t den)
{
	if (l->n == 0)
		return -1;
	uint64_t rank = ((uint64_t)l->n * num + den - 1) / den;
	if (rank < 1)
		rank = 1;
	return l->us[rank - 1] / 1000.0;
}

/* ---- option parsing ---- */

static void usage_short(FILE *f)
{
	fprintf(
	    f,
	    "usage: fjord-bench --topic NAME [--bootstrap HOST:PORT] [--records N] [--size BYTES]\n"
	    "                   [--partitions N] [--acks 0|1|-1] [--linger-ms N] [--batch-size "
	    "BYTES]\n"
	    "                   [--rate N] [--phase produce|consume|both] [--timeout-s N] [--json] "
	    "[-X "
	    "key=value]...\n"
	    "Try 'fjord-bench --help' for more.\n");
}

static void usage_long(void)
{
	printf(
	    "NAME\n"
	    "    fjord-bench - measure produce and end-to-end throughput and latency of a Kafka "
	    "broker\n"
	    "\n"
	    "SYNOPSIS\n"
	    "    fjord-bench --topic NAME [--bootstrap HOST:PORT] [--records N] [--size BYTES]\n"
	    "                [--partitions N] [--acks 0|1|-1] [--linger-ms N] [--batch-size "
	    "BYTES]\n"
	    "                [--rate N] [--phase produce|consume|both] [--timeout-s N] [--json] "
	    "[-X "
	    "key=value]...\n"
	    "\n"
	    "DESCRIPTION\n"
	    "    Produces N records of a fixed size to an existing topic with librdkafka and\n"
	    "    times each from produce() to its delivery report. Each value starts with the\n"
	    "    send time (CLOCK_MONOTONIC, ns) and a sequence number; the rest is padding.\n"
	    "\n"
	    "    In the consume phase it reads every partition of the topic (librdkafka's\n"
	    "    simple consumer: no consumer group, no commits) until it has seen N records.\n"
	    "    With --phase consume it starts at the beginning of each partition. With\n"
	    "    --phase both the consumer runs in a second thread that starts before the\n"
	    "    first record is sent, at each partition's high watermark read beforehand,\n"
	    "    and times each record from its embedded send time to its arrival (end-to-end\n"
	    "    latency); duplicates are counted once.\n"
	    "\n"
	    "    Without --rate the producer sends as fast as the client accepts records, so\n"
	    "    latency at saturation is mostly queueing in the client. With --rate N it is\n"
	    "    paced: record i is due N-th of a second after record i-1 (from the first\n"
	    "    send), and its send time is when it was due, not when produce() ran, so a\n"
	    "    producer or broker that falls behind shows as latency rather than as a\n"
	    "    lower rate. Use --rate to measure latency at a fixed load.\n"
	    "\n"
	    "    A progress line goes to stderr every second. The whole run is bounded by\n"
	    "    --timeout-s; what is not delivered or consumed by then counts as missing.\n"
	    "\n"
	    "OPTIONS\n"
	    "    --bootstrap HOST:PORT  broker to bootstrap from (default 127.0.0.1:9092)\n"
	    "    --topic NAME           topic to use; it must exist (required)\n"
	    "    --records N            records to produce or consume (default 100000)\n"
	    "    --size BYTES           value size, at least %d (default 100)\n"
	    "    --partitions N         send record i to partition i mod N; 0 lets the client's\n"
	    "                           partitioner decide (default 0)\n"
	    "    --acks 0|1|-1|all      producer acks (default -1)\n"
	    "    --linger-ms N          librdkafka linger.ms (default 5)\n"
	    "    --batch-size BYTES     librdkafka batch.size (default 1000000)\n"
	    "    --rate N               produce N records per second, paced (default 0: as\n"
	    "                           fast as possible)\n"
	    "    --phase P              produce, consume or both (default both)\n"
	    "    --timeout-s N          hard bound on the whole run in seconds (default 120)\n"
	    "    --json                 print only the JSON line: no table, no progress\n"
	    "    -X key=value           set a librdkafka property on producer and consumer;\n"
	    "                           repeatable, applied after the options above\n"
	    "    -h, --help             print this text\n"
	    "\n"
	    "OUTPUT\n"
	    "    A table on stdout, one row per phase run: records, records/s, MB/s (10^6\n"
	    "    bytes of values per second), p50, p99, p99.9 and max latency in ms, errors. The\n"
	    "    produce row's latency is produce() to delivery report; the consume row's is\n"
	    "    end to end (only in `both`). Rates run from the first send (produce, both)\n"
	    "    or from the consumer's start (consume) to the last delivery or arrival.\n"
	    "\n"
	    "    Then one JSON line with the keys phase, topic, records, size, acks, rate,\n"
	    "    produced, records_per_s, mb_per_s, p50_ms, p99_ms, p999_ms, max_ms,\n"
	    "    consumed, consume_records_per_s, consume_mb_per_s, e2e_p50_ms, e2e_p99_ms,\n"
	    "    e2e_p999_ms, e2e_max_ms, duplicates, errors, elapsed_s, ok (rate is null\n"
	    "    when unpaced). A value that does not apply\n"
	    "    to the phase run is null. errors counts failed deliveries, records the\n"
	    "    client refused, and consumer errors.\n"
	    "\n"
	    "EXIT STATUS\n"
	    "    0  every record delivered and (when consuming) every record consumed\n"
	    "    1  some record was not delivered or not consumed, or the run failed\n"
	    "    2  usage error\n"
	    "\n"
	    "EXAMPLES\n"
	    "    fjord-bench --topic bench --records 200000 --size 100 --acks -1\n"
	    "    fjord-bench --bootstrap 127.0.0.1:39092 --topic bench --partitions 4 --json\n"
	    "    fjord-bench --topic bench --phase produce -X compression.type=lz4\n"
	    "    fjord-bench --topic bench --size 1024 --rate 10000 --linger-ms 1 --records "
	    "100000\n",
	    HEADER_LEN);
}

static int parse_ll(const char *name, const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "fjord-bench: --%s wants an integer in [%lld, %lld], got '%s'\n",
			name, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Kafka topic names are [a-zA-Z0-9._-]{1,249}; checking that here also means
 * the name needs no escaping in the JSON line. */
static bool topic_valid(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 249)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum {
		O_BOOT = 256,
		O_RECORDS,
		O_SIZE,
		O_PARTS,
		O_ACKS,
		O_LINGER,
		O_BATCH,
		O_RATE,
		O_PHASE,
		O_TIMEOUT,
		O_JSON
	};
	static const struct option longs[] = {
	    {"bootstrap", required_argument, NULL, O_BOOT},
	    {"topic", required_argument, NULL, 't'},
	    {"records", required_argument, NULL, O_RECORDS},
	    {"size", required_argument, NULL, O_SIZE},
	    {"partitions", required_argument, NULL, O_PARTS},
	    {"acks", required_argument, NULL, O_ACKS},
	    {"linger-ms", required_argument, NULL, O_LINGER},
	    {"batch-size", required_argument, NULL, O_BATCH},
	    {"rate", required_argument, NULL, O_RATE},
	    {"phase", required_argument, NULL, O_PHASE},
	    {"timeout-s", required_argument, NULL, O_TIMEOUT},
	    {"json", no_argument, NULL, O_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	*o = (struct opts){
	    .bootstrap = "127.0.0.1:9092",
	    .records = 100000,
	    .size = 100,
	    .acks = "-1",
	    .linger_ms = 5,
	    .batch_size = 1000000,
	    .phase = PHASE_BOTH,
	    .timeout_s = 120,
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hX:", longs, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case 'h':
			usage_long();
			return 1;
		case O_BOOT:
			o->bootstrap = optarg;
			break;
		case 't':
			o->topic = optarg;
			break;
		case O_RECORDS:
			rc = parse_ll("records", optarg, 1, 100000000, &o->records);
			break;
		case O_SIZE:
			rc = parse_ll("size", optarg, HEADER_LEN, 100000000, &o->size);
			break;
		case O_PARTS:
			rc = parse_ll("partitions", optarg, 0, INT32_MAX, &o->partitions);
			break;
		case O_ACKS:
			if (!strcmp(optarg, "all"))
				o->acks = "-1";
			else if (!strcmp(optarg, "0") || !strcmp(optarg, "1") ||
				 !strcmp(optarg, "-1"))
				o->acks = optarg;
			else {
				fprintf(stderr,
					"fjord-bench: --acks wants 0, 1, -1 or all, got '%s'\n",
					optarg);
				rc = -1;
			}
			break;
		case O_LINGER:
			rc = parse_ll("linger-ms", optarg, 0, 900000, &o->linger_ms);
			break;
		case O_BATCH:
			rc = parse_ll("batch-size", optarg, 1, INT32_MAX, &o->batch_size);
			break;
		case O_RATE:
			rc = parse_ll("rate", optarg, 0, 100000000, &o->rate);
			break;
		case O_PHASE:
			if (!strcmp(optarg, "produce"))
				o->phase = PHASE_PRODUCE;
			else if (!strcmp(optarg, "consume"))
				o->phase = PHASE_CONSUME;
			else if (!strcmp(optarg, "both"))
				o->phase = PHASE_BOTH;
			else {
				fprintf(stderr,
					"fjord-bench: --phase wants produce, consume or both, got "
					"'%s'\n",
					optarg);
				rc = -1;
			}
			break;
		case O_TIMEOUT:
			rc = parse_ll("timeout-s", optarg, 1, 86400, &o->timeout_s);
			break;
		case O_JSON:
			o->json = true;
			break;
		case 'X': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg) {
				fprintf(stderr, "fjord-bench: -X wants key=value, got '%s'\n",
					optarg);
				rc = -1;
			} else if (o->n_x == MAX_X) {
				fprintf(stderr, "fjord-bench: at most %d -X options\n", MAX_X);
				rc = -1;
			} else {
				*eq = '\0';
				o->x_key[o->n_x] = optarg;
				o->x_val[o->n_x++] = eq + 1;
			}
			break;
		}
		case ':':
			fprintf(stderr, "fjord-bench: %s needs a value\n", argv[optind - 1]);
			rc = -1;
			break;
		default:
			fprintf(stderr, "fjord-bench: unknown option '%s'\n", argv[optind - 1]);
			rc = -1;
			break;
		}
		if (rc) {
			usage_short(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fjord-bench: unexpected argument '%s'\n", argv[optind]);
		usage_short(stderr);
		return -1;
	}
	if (!o->topic) {
		fprintf(stderr, "fjord-bench: --topic is required\n");
		usage_short(stderr);
		return -1;
	}
	if (!topic_valid(o->topic)) {
		fprintf(stderr, "fjord-bench: '%s' is not a valid topic name\n", o->topic);
		return -1;
	}
	return 0;
}

/* ---- librdkafka setup ---- */

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[256];
	if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "fjord-bench: %s=%s: %s\n", k, v, err);
		return -1;
	}
	return 0;
}

/* Applies the -X properties last so they override our defaults. */
static int conf_set_x(rd_kafka_conf_t *conf, const struct opts *o)
{
	for (int i = 0; i < o->n_x; i++)
		if (conf_set(conf, o->x_key[i], o->x_val[i]))
			return -1;
	return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct bench *b = opaque;
	uint64_t now = now_ns();
	if (m->err) {
		if (!b->prod_err[0])
			snprintf(b->prod_err, sizeof b->prod_err, "%s", rd_kafka_err2str(m->err));
		atomic_fetch_add(&b->dr_failed, 1);
		return;
	}
	/* Only successes end the rate's window: a purge at the deadline
	 * would otherwise stretch it. */
	b->t_prod_last = now;
	if (m->len >= HEADER_LEN)
		lat_add(&b->prod_lat, load64(m->payload), now);
	atomic_fetch_add(&b->delivered, 1);
}

/* Returns a producer or a consumer handle; NULL after reporting why. A usage
 * error in a -X property sets *usage. */
static rd_kafka_t *client_new(struct bench *b, rd_kafka_type_t type, bool *usage)
{
	const struct opts *o = &b->o;
	char num[32], err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	bool ok = !conf_set(conf, "bootstrap.servers", o->bootstrap) &&
		  !conf_set(conf, "client.id", "fjord-bench");
	if (ok && type == RD_KAFKA_PRODUCER) {
		ok = !conf_set(conf, "acks", o->acks);
		snprintf(num, sizeof num, "%lld", o->linger_ms);
		ok = ok && !conf_set(conf, "linger.ms", num);
		snprintf(num, sizeof num, "%lld", o->batch_size);
		ok = ok && !conf_set(conf, "batch.size", num);
		/* A record still undelivered when the run must end is a failure;
		 * librdkafka's own default (5 min) would outlast the bound. */
		snprintf(num, sizeof num, "%lld", o->timeout_s * 1000);
		ok = ok && !conf_set(conf, "message.timeout.ms", num);
		rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
		rd_kafka_conf_set_opaque(conf, b);
	} else if (ok) {
		/* No group and no commits (see consumer_start). librdkafka
		 * stops fetching once queued.min.messages (100,000) wait in
		 * its queue, and its broker thread looks again only about
		 * once a second: at 100 B that is 10 MB, drained in a few ms,
		 * so the consumer measured its own ~1 s pauses (199K rec/s
		 * from the beginning; 818K with a million). */
		ok = !conf_set(conf, "enable.auto.commit", "false") &&
		     !conf_set(conf, "auto.offset.reset", "earliest") &&
		     !conf_set(conf, "queued.min.messages", "1000000");
	}
	if (!ok || conf_set_x(conf, o)) {
		*usage = true;
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "fjord-bench: cannot create the %s: %s\n",
			type == RD_KAFKA_PRODUCER ? "producer" : "consumer", err);
		rd_kafka_conf_destroy(conf);
		*usage = true; /* only configuration makes rd_kafka_new fail */
	}
	return rk;
}

static int remaining_ms(const struct bench *b)
{
	uint64_t now = now_ns();
	if (now >= b->deadline)
		return 0;
	uint64_t ms = (b->deadline - now) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int min_int(int a, int b) { return a < b ? a : b; }

/* Fills *parts with the topic's partition ids (caller frees), asking through
 * rk (borrowed), which also leaves the topic's leaders in rk's cache. Retries
 * until the metadata names the topic with partitions, or the deadline. */
static int topic_partitions(struct bench *b, rd_kafka_t *rk, int32_t **parts, int *n_parts)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, b->o.topic, NULL);
	const char *why = "no answer";
	while (!interrupted && remaining_ms(b) > 0) {
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t err =
		    rd_kafka_metadata(rk, 0, rkt, &md, min_int(remaining_ms(b), 2000));
		if (err) {
			why = rd_kafka_err2str(err);
		} else if (md->topic_cnt != 1 || md->topics[0].err ||
			   md->topics[0].partition_cnt == 0) {
			why = md->topic_cnt == 1 && md->topics[0].err
				  ? rd_kafka_err2str(md->topics[0].err)
				  : "topic has no partitions";
		} else {
			*n_parts = md->topics[0].partition_cnt;
			*parts = malloc(sizeof **parts * (size_t)*n_parts);
			for (int i = 0; *parts && i < *n_parts; i++)
				(*parts)[i] = md->topics[0].partitions[i].id;
			rd_kafka_metadata_destroy(md);
			rd_kafka_topic_destroy(rkt);
			return *parts ? 0 : -1;
		}
		if (md)
			rd_kafka_metadata_destroy(md);
		usleep(200000);
	}
	rd_kafka_topic_destroy(rkt);
	fprintf(stderr, "fjord-bench: no metadata for topic '%s': %s\n", b->o.topic, why);
	return -1;
}

/* Starts consuming every partition onto one queue: at its high watermark read
 * now (both), so the consumer sees exactly what is produced after this, or at
 * the beginning. This is librdkafka's simple consumer on purpose: assign()
 * wants a group.id, and a group would make the benchmark depend on the
 * broker's group coordinator. */
static int consumer_start(struct bench *b)
{
	if (topic_partitions(b, b->cons, &b->parts, &b->n_parts))
		return -1;
	if (b->o.partitions > b->n_parts)
		fprintf(stderr, "fjord-bench: warning: --partitions %lld but '%s' has only %d\n",
			b->o.partitions, b->o.topic, b->n_parts);
	b->cons_topic = rd_kafka_topic_new(b->cons, b->o.topic, NULL);
	b->cons_queue = rd_kafka_queue_new(b->cons);
	if (!b->cons_topic || !b->cons_queue) {
		fprintf(stderr, "fjord-bench: cannot create the consumer's topic or queue\n");
		return -1;
	}
	/* Every watermark before the first fetch: a broker answers a connection's
	 * requests in order, so a ListOffsets sent behind a parked Fetch would
	 * wait out the fetch's max wait. */
	int64_t *offs = calloc((size_t)b->n_parts, sizeof *offs);
	if (!offs)
		return -1;
	for (int i = 0; i < b->n_parts; i++) {
		offs[i] = RD_KAFKA_OFFSET_BEGINNING;
		if (b->o.phase != PHASE_BOTH)
			continue;
		int64_t lo;
		rd_kafka_resp_err_t err;
		do {
			err = rd_kafka_query_watermark_offsets(b->cons, b->o.topic, b->parts[i],
							       &lo, &offs[i],
							       min_int(remaining_ms(b), 2000));
			if (err)
				usleep(200000);
		} while (err && !interrupted && remaining_ms(b) > 0);
		if (err) {
			fprintf(stderr, "fjord-bench: high watermark of %s/%d: %s\n", b->o.topic,
				(int)b->parts[i], rd_kafka_err2str(err));
			free(offs);
			return -1;
		}
	}
	for (int i = 0; i < b->n_parts; i++) {
		if (rd_kafka_consume_start_queue(b->cons_topic, b->parts[i], offs[i],
						 b->cons_queue) == -1) {
			fprintf(stderr, "fjord-bench: consume %s/%d: %s\n", b->o.topic,
				(int)b->parts[i], rd_kafka_err2str(rd_kafka_last_error()));
			free(offs);
			return -1;
		}
		b->n_started = i + 1;
	}
	free(offs);
	return 0;
}

static void consumer_stop(struct bench *b)
{
	for (int i = 0; i < b->n_started; i++)
		rd_kafka_consume_stop(b->cons_topic, b->parts[i]);
	if (b->cons_queue)
		rd_kafka_queue_destroy(b->cons_queue);
	if (b->cons_topic)
		rd_kafka_topic_destroy(b->cons_topic);
	free(b->parts);
}

/* ---- consumer thread ---- */

static void consume_one(struct bench *b, const rd_kafka_message_t *m, uint64_t now)
{
	if (m->len < HEADER_LEN) {
		atomic_fetch_add(&b->foreign, 1);
		return;
	}
	const unsigned char *p = m->payload;
	if (b->seen) {
		uint64_t seq = load64(p + 8);
		if (seq >= (uint64_t)b->o.records || m->len != (size_t)b->o.size) {
			atomic_fetch_add(&b->foreign, 1);
			return;
		}
		if (b->seen[seq / 8] & (1u << (seq % 8))) {
			atomic_fetch_add(&b->duplicates, 1);
			return;
		}
		b->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
		lat_add(&b->e2e, load64(p), now);
	}
	if (!b->t_cons_first)
		b->t_cons_first = now;
	b->t_cons_last = now;
	b->cons_bytes += (long long)m->len;
	atomic_fetch_add(&b->consumed, 1);
}

static void *consumer_main(void *arg)
{
	struct bench *b = arg;
	while (!atomic_load(&b->cons_stop) && atomic_load(&b->consumed) < b->o.records) {
		rd_kafka_message_t *m = rd_kafka_consume_queue(b->cons_queue, 100);
		if (!m)
			continue;
		uint64_t now = now_ns();
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* not an error: only reported when enabled by -X */
		} else if (m->err) {
			if (!b->cons_err[0])
				snprintf(b->cons_err, sizeof b->cons_err, "%s",
					 rd_kafka_message_errstr(m));
			atomic_fetch_add(&b->cons_errors, 1);
		} else {
			consume_one(b, m, now);
		}
		rd_kafka_message_destroy(m);
	}
	atomic_store(&b->cons_done, true);
	return NULL;
}

/* ---- progress ---- */

static void progress(struct bench *b, bool force)
{
	uint64_t now = now_ns();
	if (b->o.json || (!force && now < b->t_next_progress))
		return;
	double secs = (now - b->t_start) / 1e9;
	double dt = 1.0 + (now - b->t_next_progress) / 1e9; /* since the previous line */
	b->t_next_progress = now + 1000000000u;
	char line[256];
	int len = snprintf(line, sizeof line, "[%5.1fs]", secs);
	if (b->o.phase & PHASE_PRODUCE) {
		long long d = atomic_load(&b->delivered);
		len += snprintf(line + len, sizeof line - (size_t)len,
				" produce: %lld/%lld delivered (%.0f rec/s)", d, b->o.records,
				(d - b->last_p) / dt);
		b->last_p = d;
	}
	if (b->o.phase & PHASE_CONSUME) {
		long long c = atomic_load(&b->consumed);
		snprintf(line + len, sizeof line - (size_t)len,
			 "%s consume: %lld/%lld (%.0f rec/s)", b->o.phase == PHASE_BOTH ? " |" : "",
			 c, b->o.records, (c - b->last_c) / dt);
		b->last_c = c;
	}
	fprintf(stderr, "%s\n", line);
}

/* ---- produce phase ---- */

/* Due time of record seq under --rate, from the first send. */
static uint64_t due_ns(const struct bench *b, long long seq)
{
	return b->t_prod_first +
	       (uint64_t)((double)seq * 1e9 / (double)b->o.rate); /* double: no overflow */
}

/* Paced mode: returns record seq's due time once it has come, or 0 after
 * waiting up to a millisecond for it (serving delivery reports meanwhile) so
 * the caller checks the deadline and interruption again. */
static uint64_t pace_until(struct bench *b, long long seq)
{
	uint64_t due = due_ns(b, seq), now = now_ns();
	if (now >= due)
		return due;
	uint64_t wait = due - now;
	if (wait >= 2000000) {
		/* Far ahead: let librdkafka's callbacks run while we wait. */
		rd_kafka_poll(b->prod, 1);
		progress(b, false);
		return 0;
	}
	rd_kafka_poll(b->prod, 0);
	struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u),
			      .tv_nsec = (long)(due % 1000000000u)};
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	return now_ns() >= due ? due : 0;
}

static void produce_run(struct bench *b)
{
	const struct opts *o = &b->o;
	unsigned char *val = malloc((size_t)o->size);
	if (!val) {
		snprintf(b->prod_err, sizeof b->prod_err, "out of memory");
		return;
	}
	/* Padding that does not compress to nothing, should -X turn compression on. */
	uint32_t x = 2463534242u;
	for (long long i = HEADER_LEN; i < o->size; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		val[i] = (unsigned char)('a' + x % 26);
	}
	b->t_prod_first = now_ns();
	long long seq = 0;
	while (seq < o->records && !interrupted && now_ns() < b->deadline) {
		uint64_t t = now_ns();
		if (o->rate > 0) {
			t = pace_until(b, seq);
			if (!t)
				continue; /* served reports while waiting; look again */
		}
		put64(val, t);
		put64(val + 8, (uint64_t)seq);
		int32_t part =
		    o->partitions > 0 ? (int32_t)(seq % o->partitions) : RD_KAFKA_PARTITION_UA;
		rd_kafka_resp_err_t err = rd_kafka_producev(
		    b->prod, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_PARTITION(part),
		    RD_KAFKA_V_VALUE(val, (size_t)o->size),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			rd_kafka_poll(b->prod, 10); /* serve delivery reports to make room */
			progress(b, false);
			continue;
		}
		if (err) {
			if (!b->prod_err[0])
				snprintf(b->prod_err, sizeof b->prod_err, "produce: %s",
					 rd_kafka_err2str(err));
			b->produce_refused++;
		}
		seq++;
		if ((seq & 1023) == 0) {
			rd_kafka_poll(b->prod, 0);
			progress(b, false);
		}
	}
	while (rd_kafka_outq_len(b->prod) > 0 && !interrupted && remaining_ms(b) > 0) {
		rd_kafka_flush(b->prod, min_int(remaining_ms(b), 100));
		progress(b, false);
	}
	if (rd_kafka_outq_len(b->prod) > 0) {
		/* Out of time: fail what is left so its reports come back now. */
		rd_kafka_purge(b->prod, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(b->prod, 1000);
	}
	free(val);
}

/* ---- report ---- */

struct row {
	bool ran;
	long long records;
	double rps;
	double mbps;
	double p50, p99, p999, max; /* ms; negative when there is no latency */
	long long errors;
};

static void fmt_num(char *out, size_t len, double v, const char *fmt)
{
	if (v < 0)
		snprintf(out, len, "-");
	else
		snprintf(out, len, fmt, v);
}

static void print_row(const char *name, const struct row *r)
{
	char p50[32], p99[32], p999[32], max[32];
	fmt_num(p50, sizeof p50, r->p50, "%.3f");
	fmt_num(p99, sizeof p99, r->p99, "%.3f");
	fmt_num(p999, sizeof p999, r->p999, "%.3f");
	fmt_num(max, sizeof max, r->max, "%.3f");
	printf("%-8s %10lld %12.1f %9.2f %10s %10s %10s %10s %8lld\n", name, r->records, r->rps,
	       r->mbps, p50, p99, p999, max, r->errors);
}

static void json_num(const char *key, double v, bool valid, const char *fmt)
{
	printf(",\"%s\":", key);
	if (valid && v >= 0)
		printf(fmt, v);
	else
		printf("null");
}

static void rate(struct row *r, long long n, long long bytes, uint64_t from, uint64_t to)
{
	double secs = to > from ? (to - from) / 1e9 : 0;
	r->records = n;
	r->rps = secs > 0 ? n / secs : 0;
	r->mbps = secs > 0 ? (double)bytes / secs / 1e6 : 0;
}

static void lat_fill(struct row *r, struct lat *l)
{
	if (l->n > 0)
		qsort(l->us, l->n, sizeof *l->us, cmp_u32);
	r->p50 = lat_pct_ms(l, 50, 100);
	r->p99 = lat_pct_ms(l, 99, 100);
	r->p999 = lat_pct_ms(l, 999, 1000);
	r->max = lat_pct_ms(l, 1, 1);
}

static bool report(struct bench *b)
{
	const struct opts *o = &b->o;
	struct row prod = {.p50 = -1, .p99 = -1, .p999 = -1, .max = -1};
	struct row cons = {.p50 = -1, .p99 = -1, .p999 = -1, .max = -1};
	long long delivered = atomic_load(&b->delivered);
	long long consumed = atomic_load(&b->consumed);
	bool ok = true;

	if (o->phase & PHASE_PRODUCE) {
		prod.ran = true;
		rate(&prod, delivered, delivered * o->size, b->t_prod_first, b->t_prod_last);
		lat_fill(&prod, &b->prod_lat);
		prod.errors = atomic_load(&b->dr_failed) + b->produce_refused;
		ok = ok && delivered == o->records;
	}
	if (o->phase & PHASE_CONSUME) {
		cons.ran = true;
		/* In both, the consumer could not have anything before the first send. */
		uint64_t from = o->phase == PHASE_BOTH ? b->t_prod_first : b->t_cons_start;
		rate(&cons, consumed, b->cons_bytes, from, b->t_cons_last);
		if (o->phase == PHASE_BOTH)
			lat_fill(&cons, &b->e2e);
		cons.errors = atomic_load(&b->cons_errors);
		ok = ok && consumed == o->records;
	}
	double elapsed = (now_ns() - b->t_start) / 1e9;

	if (!o->json) {
		char pace[48] = "unpaced";
		if (o->rate > 0)
			snprintf(pace, sizeof pace, "rate %lld rec/s", o->rate);
		printf("fjord-bench: topic %s, %lld records of %lld B, acks %s, linger %lld ms, "
		       "batch.size %lld, %s, "
		       "phase %s\n",
		       o->topic, o->records, o->size, o->acks, o->linger_ms, o->batch_size, pace,
		       o->phase == PHASE_BOTH	   ? "both"
		       : o->phase == PHASE_PRODUCE ? "produce"
						   : "consume");
		printf("%-8s %10s %12s %9s %10s %10s %10s %10s %8s\n", "phase", "records",
		       "records/s", "MB/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors");
		if (prod.ran)
			print_row("produce", &prod);
		if (cons.ran)
			print_row("consume", &cons);
		if (o->phase == PHASE_BOTH)
			printf("latency: produce = produce() to delivery report; consume = end to "
			       "end (send to arrival)\n");
		else if (o->phase == PHASE_PRODUCE)
			printf("latency: produce() to delivery report\n");
		if (b->prod_err[0])
			printf("first produce error: %s\n", b->prod_err);
		if (b->cons_err[0])
			printf("first consume error: %s\n", b->cons_err);
		if (atomic_load(&b->duplicates) || atomic_load(&b->foreign))
			printf("duplicates: %lld, records not from this run: %lld\n",
			       atomic_load(&b->duplicates), atomic_load(&b->foreign));
		printf("elapsed %.2f s: %s\n", elapsed,
		       ok			 ? "ok"
		       : interrupted		 ? "INCOMPLETE (interrupted)"
		       : now_ns() >= b->deadline ? "INCOMPLETE (timed out)"
						 : "INCOMPLETE");
	}

	printf("{\"phase\":\"%s\",\"topic\":\"%s\",\"records\":%lld,\"size\":%lld,\"acks\":\"%s\"",
	       o->phase == PHASE_BOTH	   ? "both"
	       : o->phase == PHASE_PRODUCE ? "produce"
					   : "consume",
	       o->topic, o->records, o->size, o->acks);
	json_num("rate", (double)o->rate, o->rate > 0, "%.0f");
	json_num("produced", (double)delivered, prod.ran, "%.0f");
	json_num("records_per_s", prod.rps, prod.ran, "%.1f");
	json_num("mb_per_s", prod.mbps, prod.ran, "%.3f");
	json_num("p50_ms", prod.p50, prod.ran, "%.3f");
	json_num("p99_ms", prod.p99, prod.ran, "%.3f");
	json_num("p999_ms", prod.p999, prod.ran, "%.3f");
	json_num("max_ms", prod.max, prod.ran, "%.3f");
	json_num("consumed", (double)consumed, cons.ran, "%.0f");
	json_num("consume_records_per_s", cons.rps, cons.ran, "%.1f");
	json_num("consume_mb_per_s", cons.mbps, cons.ran, "%.3f");
	json_num("e2e_p50_ms", cons.p50, cons.ran, "%.3f");
	json_num("e2e_p99_ms", cons.p99, cons.ran, "%.3f");
	json_num("e2e_p999_ms", cons.p999, cons.ran, "%.3f");
	json_num("e2e_max_ms", cons.max, cons.ran, "%.3f");
	json_num("duplicates", (double)atomic_load(&b->duplicates), cons.ran, "%.0f");
	printf(",\"errors\":%lld,\"elapsed_s\":%.3f,\"ok\":%s}\n", prod.errors + cons.errors,
	       elapsed, ok ? "true" : "false");
	fflush(stdout);
	return ok;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	struct bench *b = calloc(1, sizeof *b);
	if (!b) {
		fprintf(stderr, "fjord-bench: out of memory\n");
		return EXIT_FAIL;
	}
	int rc = parse_opts(argc, argv, &b->o);
	if (rc) {
		free(b);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	const struct opts *o = &b->o;
	bool usage = false;
	int status = EXIT_FAIL;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)(o->timeout_s + WATCHDOG_GRACE_S));

	b->t_start = now_ns();
	b->deadline = b->t_start + (uint64_t)o->timeout_s * 1000000000u;
	b->t_next_progress = b->t_start + 1000000000u;

	if (((o->phase & PHASE_PRODUCE) && lat_init(&b->prod_lat, (size_t)o->records)) ||
	    (o->phase == PHASE_BOTH && lat_init(&b->e2e, (size_t)o->records)) ||
	    (o->phase == PHASE_BOTH && !(b->seen = calloc((size_t)o->records / 8 + 1, 1)))) {
		fprintf(stderr, "fjord-bench: out of memory for %lld records\n", o->records);
		goto out;
	}

	/* Create both clients first so a bad -X fails before any traffic. */
	if ((o->phase & PHASE_PRODUCE) && !(b->prod = client_new(b, RD_KAFKA_PRODUCER, &usage)))
		goto out;
	if ((o->phase & PHASE_CONSUME) && !(b->cons = client_new(b, RD_KAFKA_CONSUMER, &usage)))
		goto out;

	if (b->cons) {
		if (consumer_start(b))
			goto report;
		b->t_cons_start = now_ns();
		if (pthread_create(&b->cons_thread, NULL, consumer_main, b)) {
			fprintf(stderr, "fjord-bench: cannot start the consumer thread\n");
			goto report;
		}
		b->cons_started = true;
	}
	if (b->prod) {
		/* Learn the leaders first: records sent to an explicit partition of
		 * a topic the client has no metadata for yet wait in librdkafka for
		 * up to a second, which would be measured as broker latency. */
		int32_t *parts = NULL;
		int n = 0;
		if (topic_partitions(b, b->prod, &parts, &n)) {
			atomic_store(&b->cons_stop, true);
			goto join;
		}
		free(parts);
		produce_run(b);
	}
join:
	if (b->cons_started) {
		/* Wait for the consumer, but stop early when the producer is done and
		 * the consumer already has every record that was delivered: the rest
		 * were never written and will not come. */
		while (!atomic_load(&b->cons_done) && !interrupted && now_ns() < b->deadline) {
			long long d = atomic_load(&b->delivered);
			if (b->prod && d < o->records && atomic_load(&b->consumed) >= d)
				break;
			usleep(50000);
			progress(b, false);
		}
		atomic_store(&b->cons_stop, true);
		pthread_join(b->cons_thread, NULL);
	}
	progress(b, true);
report:
	/* Also after a failed setup: a reader of --json always gets its line. */
	status = report(b) ? 0 : EXIT_FAIL;

out:
	if (b->cons) {
		consumer_stop(b);
		rd_kafka_destroy(b->cons);
	}
	if (b->prod)
		rd_kafka_destroy(b->prod);
	free(b->prod_lat.us);
	free(b->e2e.us);
	free(b->seen);
	free(b);
	return usage ? EXIT_USAGE : status;
}
