/* log.h - leveled logging to stderr with a prefix naming the process.
 *
 * The prefix is set once per process (e.g. "supervisor" or "worker orders/3")
 * so every line says who wrote it. Not thread-safe; fjord has no threads. */
#ifndef FJORD_LOG_H
#define FJORD_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Sets the prefix (copied) and the minimum level written. */
void log_init(const char *prefix, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "error", "warn", "info" or "debug". Returns 0 or ERR_INVALID. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)

#endif
