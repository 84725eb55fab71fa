/* metrics.h - the supervisor's own request metrics and the Prometheus text
 * they are written in: a fixed-bucket latency histogram, per-API request
 * counts and durations, and helpers to write metric families.
 *
 * Everything here is plain counters updated on the event loop (no threads,
 * no locks) and rendered on demand by admin_http.c. Durations are kept in
 * integer nanoseconds so bucket boundaries are exact. The per-partition
 * traffic counters live in struct worker (workers.h), whose entries last as
 * long as the process. */
#ifndef FJORD_SUP_METRICS_H
#define FJORD_SUP_METRICS_H

#include <stdint.h>

#include "common/buf.h"

/* Upper bounds of the duration buckets, 0.5 ms to 10 s; a "+Inf" bucket
 * follows them. */
#define METRICS_N_BUCKETS 14
extern const int64_t metrics_bucket_ns[METRICS_N_BUCKETS];
extern const char *const metrics_bucket_le[METRICS_N_BUCKETS]; /* "0.0005", ... "10" */

struct metrics_histogram {
	uint64_t counts[METRICS_N_BUCKETS + 1]; /* per bucket, not cumulative; last: above 10 s */
	uint64_t count;
	uint64_t sum_ns;
};

/* Adds one observation of ns nanoseconds (negative counts as 0). A value
 * equal to a bound falls in that bound's bucket (Prometheus' le). */
void metrics_histogram_observe(struct metrics_histogram *h, int64_t ns);

/* Writes the _bucket (cumulative, le="+Inf" last), _sum (seconds) and
 * _count lines of h as family `name`. labels (borrowed) is either "" or
 * label pairs without braces, e.g. `api="Produce"`; le follows them. */
void metrics_histogram_write(const struct metrics_histogram *h, const char *name,
			     const char *labels, struct buf *out);

/* API keys 0..METRICS_API_KEYS-1 get their own slot; anything else (an
 * unknown or future key) shares the last one, labelled api="other". */
#define METRICS_API_KEYS 128

/* Kafka requests per API, as the front end saw them. */
struct metrics_requests {
	uint64_t received[METRICS_API_KEYS + 1];		 /* fjord_requests_total */
	struct metrics_histogram duration[METRICS_API_KEYS + 1]; /* read to response queued */
};

/* A whole request frame was read; api_key is from its header. */
void metrics_request_received(struct metrics_requests *m, int16_t api_key);

/* Its response was queued ns nanoseconds after the frame was read. */
void metrics_request_answered(struct metrics_requests *m, int16_t api_key, int64_t ns);

/* Writes the families fjord_requests_total{api} and
 * fjord_request_duration_seconds{api} (a histogram): one series per API
 * fjord serves (so they exist from the start) and per other API seen. */
void metrics_requests_write(const struct metrics_requests *m, struct buf *out);

/* Writes the "# HELP name help" and "# TYPE name type" lines. */
void metrics_family(struct buf *out, const char *name, const char *type, const char *help);

/* printf into out (lines longer than 1023 bytes are cut). */
void metrics_printf(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t metrics_now_ns(void);

#endif
