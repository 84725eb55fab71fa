/* metrics.c - request counters, the duration histogram and the Prometheus
 * text they render to (see metrics.h). */
#include "metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "common/clock.h"
#include "common/kafka/gen/kafka_gen.h"
#include "supervisor/api_table.h"

const int64_t metrics_bucket_ns[METRICS_N_BUCKETS] = {
    500000,    1000000,	  2500000,   5000000,	 10000000,   25000000,	 50000000,
    100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};

const char *const metrics_bucket_le[METRICS_N_BUCKETS] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1",    "0.25",  "0.5",	 "1",	  "2.5",  "5",	   "10",
};

void metrics_printf(struct buf *out, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_put(out, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void metrics_family(struct buf *out, const char *name, const char *type, const char *help)
{
	metrics_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int64_t metrics_now_ns(void) { return clock_mono_ns(); }

void metrics_histogram_observe(struct metrics_histogram *h, int64_t ns)
{
	if (ns < 0)
		ns = 0; /* the monotonic clock does not go back; be safe anyway */
	int i = 0;
	while (i < METRICS_N_BUCKETS && ns > metrics_bucket_ns[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum_ns += (uint64_t)ns;
}

void metrics_histogram_write(const struct metrics_histogram *h, const char *name,
			     const char *labels, struct buf *out)
{
	const char *sep = labels[0] ? "," : "";
	uint64_t cum = 0;
	for (int i = 0; i < METRICS_N_BUCKETS; i++) {
		cum += h->counts[i];
		metrics_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep,
			       metrics_bucket_le[i], (unsigned long long)cum);
	}
	cum += h->counts[METRICS_N_BUCKETS];
	metrics_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		       (unsigned long long)cum);
	/* Seconds with nanosecond digits, exact: no float rounding. */
	const char *lo = labels[0] ? "{" : "", *lc = labels[0] ? "}" : "";
	metrics_printf(out, "%s_sum%s%s%s %llu.%09llu\n", name, lo, labels, lc,
		       (unsigned long long)(h->sum_ns / 1000000000u),
		       (unsigned long long)(h->sum_ns % 1000000000u));
	metrics_printf(out, "%s_count%s%s%s %llu\n", name, lo, labels, lc,
		       (unsigned long long)h->count);
}

static int slot(int16_t api_key)
{
	return api_key >= 0 && api_key < METRICS_API_KEYS ? api_key : METRICS_API_KEYS;
}

void metrics_request_received(struct metrics_requests *m, int16_t api_key)
{
	m->received[slot(api_key)]++;
}

void metrics_request_answered(struct metrics_requests *m, int16_t api_key, int64_t ns)
{
	metrics_histogram_observe(&m->duration[slot(api_key)], ns);
}

/* True when slot i (< METRICS_API_KEYS) is an API the schemas name that
 * fjord serves or that saw a request; its label (api="Produce") goes to
 * out. Served APIs are always written so their series exist from the
 * start. */
static bool named_and_shown(const struct metrics_requests *m, int i, char *out, size_t len)
{
	const struct kafka_api_info *info = kafka_api_lookup((int16_t)i);
	if (info == NULL || (m->received[i] == 0 && m->duration[i].count == 0 &&
			     api_table_find((int16_t)i) == NULL))
		return false;
	snprintf(out, len, "api=\"%s\"", info->name);
	return true;
}

void metrics_requests_write(const struct metrics_requests *m, struct buf *out)
{
	/* Keys the schemas do not name (in range or not) are reported
	 * together as api="other", so no label appears twice. */
	uint64_t other_received = 0;
	struct metrics_histogram other = {0};
	bool any_other = false;
	for (int i = 0; i <= METRICS_API_KEYS; i++) {
		if (i < METRICS_API_KEYS && kafka_api_lookup((int16_t)i) != NULL)
			continue;
		if (m->received[i] == 0 && m->duration[i].count == 0)
			continue;
		any_other = true;
		other_received += m->received[i];
		for (int b = 0; b <= METRICS_N_BUCKETS; b++)
			other.counts[b] += m->duration[i].counts[b];
		other.count += m->duration[i].count;
		other.sum_ns += m->duration[i].sum_ns;
	}
	char label[96];
	metrics_family(out, "fjord_requests_total", "counter",
		       "Kafka requests read, per API (including ones that closed the connection).");
	for (int i = 0; i < METRICS_API_KEYS; i++) {
		if (!named_and_shown(m, i, label, sizeof(label)))
			continue;
		metrics_printf(out, "fjord_requests_total{%s} %llu\n", label,
			       (unsigned long long)m->received[i]);
	}
	if (any_other)
		metrics_printf(out, "fjord_requests_total{api=\"other\"} %llu\n",
			       (unsigned long long)other_received);
	metrics_family(out, "fjord_request_duration_seconds", "histogram",
		       "Time from reading a Kafka request to queueing its response, per API.");
	for (int i = 0; i < METRICS_API_KEYS; i++) {
		if (!named_and_shown(m, i, label, sizeof(label)))
			continue;
		metrics_histogram_write(&m->duration[i], "fjord_request_duration_seconds", label,
					out);
	}
	if (any_other)
		metrics_histogram_write(&other, "fjord_request_duration_seconds", "api=\"other\"",
					out);
}
