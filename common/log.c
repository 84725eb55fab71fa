/* log.c - the stderr logger of log.h: timestamp, level, prefix, pid, message. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"

static char log_prefix[128] = "fjord";
static enum log_level log_min = LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_init(const char *prefix, enum log_level level)
{
	snprintf(log_prefix, sizeof(log_prefix), "%s", prefix ? prefix : "fjord");
	log_min = level;
}

void log_set_level(enum log_level level) { log_min = level; }
enum log_level log_get_level(void) { return log_min; }

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i <= LOG_DEBUG; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

const char *log_level_name(enum log_level level)
{
	return (level >= LOG_ERROR && level <= LOG_DEBUG) ? level_names[level] : "?";
}

void log_write(enum log_level level, const char *fmt, ...)
{
	if (level > log_min)
		return;
	struct tm tm;
	char ts[32];
	int64_t now_ns = clock_wall_ns();
	struct timeval tv = {.tv_sec = (time_t)(now_ns / 1000000000),
			     .tv_usec = (suseconds_t)(now_ns % 1000000000 / 1000)};
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	/* One fprintf per line so concurrent processes sharing stderr do not
	 * interleave within a line. */
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03dZ %-5s %s[%d]: %s\n", ts, (int)(tv.tv_usec / 1000),
		level_names[level], log_prefix, (int)getpid(), msg);
}
