/* err.h - fjord's error codes: negative ints returned by fallible functions.
 *
 * errno and MDB_* codes are translated into these where they are first seen;
 * nothing above that layer sees them. Kafka error codes are response data and
 * live in common/kafka/kerr.h instead. */
#ifndef FJORD_ERR_H
#define FJORD_ERR_H

enum {
	ERR_OK = 0,
	ERR_NOMEM = -1,	       /* allocation failed */
	ERR_IO = -2,	       /* a syscall failed; the caller logs errno context */
	ERR_INVALID = -3,      /* argument or input is malformed */
	ERR_CORRUPT = -4,      /* stored or received data fails a checksum/invariant */
	ERR_NOSPACE = -5,      /* LMDB map or disk full */
	ERR_NOTFOUND = -6,     /* key, offset or entity does not exist */
	ERR_TOOBIG = -7,       /* exceeds a configured maximum */
	ERR_AGAIN = -8,	       /* not enough data yet / retry later */
	ERR_CLOSED = -9,       /* peer closed the connection */
	ERR_TRUNCATED = -10,   /* input ends before the structure does */
	ERR_UNSUPPORTED = -11, /* version or feature we do not serve */
	ERR_CONFIG = -12,      /* configuration is invalid */
	ERR_COMPACTED = -13,   /* requested index is before the log start */
	ERR_UNAVAILABLE = -14, /* requested index is after the log end */
	ERR_NOTLEADER = -15,   /* this replica cannot serve the request */
	ERR_BADRECORD = -16,   /* a well-formed record breaks a rule (Kafka's INVALID_RECORD) */
};

/* Returns a static, human-readable name for an ERR_* code. Never NULL. */
const char *err_str(int err);

#endif
