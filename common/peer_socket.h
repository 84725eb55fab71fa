/* peer_socket.h - the TCP options of every connection between nodes
 * (supervisor channels and Raft connections, dialled or accepted).
 *
 * The application notices silence on its own (transport.h, peers.h); these
 * options are the kernel's backstop for what it cannot see: a socket we
 * only read from while the peer's host vanished (keepalive), and data we
 * sent that is never acknowledged (TCP_USER_TIMEOUT, which also caps the
 * keepalive probes and SYN retries). Without them a connection cut by the
 * network lives until TCP's backed-off retransmissions give up, minutes
 * later, and traffic resumes only on the next retransmission after a heal. */
#ifndef FJORD_PEER_SOCKET_H
#define FJORD_PEER_SOCKET_H

/* Keepalive: first probe after this much idle time, then one every
 * interval; PEER_KEEPCNT unanswered probes (or the user timeout, whichever
 * comes first) end the connection. */
#define PEER_KEEPIDLE_S 2
#define PEER_KEEPINTVL_S 1
#define PEER_KEEPCNT 3

/* Sets TCP_NODELAY, SO_KEEPALIVE with the values above and
 * TCP_USER_TIMEOUT = user_timeout_ms (> 0) on fd, a TCP socket (before or
 * after connect). Returns 0, or ERR_INVALID when the kernel refused one of
 * them (the socket still works, with the kernel's defaults for the rest). */
int peer_socket_tune(int fd, int user_timeout_ms);

#endif
