/* fdpass.h - handing an accepted peer connection from the supervisor to the
 * worker that owns its Raft group (SCM_RIGHTS).
 *
 * Each worker has, besides its framed ipc stream, a SOCK_SEQPACKET
 * socketpair used only for this (worker flag --conn-fd). Keeping descriptors
 * off the ipc stream means the stream can be read with plain buffered reads,
 * which would silently drop ancillary data. Each packet carries the peer's
 * node id (4 bytes, big-endian) and exactly one descriptor. */
#ifndef FJORD_FDPASS_H
#define FJORD_FDPASS_H

#include <stdint.h>

/* Sends fd (which stays open in the caller; close it after) and from_node.
 * Returns 0, ERR_AGAIN (socket buffer full: retry later or drop the
 * connection), ERR_CLOSED (worker gone) or ERR_IO. */
int fdpass_send(int sock, int fd, int32_t from_node);

/* Receives one descriptor (caller owns it, CLOEXEC set) and its node id.
 * Returns 0, ERR_AGAIN (nothing pending on a non-blocking socket),
 * ERR_CLOSED (supervisor gone), ERR_INVALID (a packet without exactly one
 * descriptor; any descriptor that came with it is closed) or ERR_IO. */
int fdpass_recv(int sock, int *fd, int32_t *from_node);

#endif
