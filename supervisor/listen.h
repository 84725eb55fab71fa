/* listen.h - binding a listening TCP socket to a configured host:port.
 *
 * Used for the Kafka, admin and Raft ports. The socket is close-on-exec
 * (workers must not inherit it) and non-blocking, with SO_REUSEADDR so a
 * restarted node can bind at once. */
#ifndef FJORD_SUP_LISTEN_H
#define FJORD_SUP_LISTEN_H

#include "common/config.h"

/* Resolves a->host (a name or an address), binds the first address that
 * works and listens. Returns the socket, or a negative ERR_* (ERR_IO with
 * errno kept, ERR_NOTFOUND when the host does not resolve); `why` (why_len
 * bytes) then says what failed, naming the address. */
int listen_bind(const struct config_addr *a, char *why, size_t why_len);

#endif
