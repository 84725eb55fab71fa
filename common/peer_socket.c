/* peer_socket.c - TCP options of the connections between nodes (peer_socket.h). */
#include "peer_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "err.h"

static int set(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) == 0 ? 0 : ERR_INVALID;
}

int peer_socket_tune(int fd, int user_timeout_ms)
{
	int rc = 0;
	/* Raft messages are small and latency-bound: no Nagle delay. */
	rc |= set(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	rc |= set(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	rc |= set(fd, IPPROTO_TCP, TCP_KEEPIDLE, PEER_KEEPIDLE_S);
	rc |= set(fd, IPPROTO_TCP, TCP_KEEPINTVL, PEER_KEEPINTVL_S);
	rc |= set(fd, IPPROTO_TCP, TCP_KEEPCNT, PEER_KEEPCNT);
	if (user_timeout_ms > 0)
		rc |= set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout_ms);
	return rc != 0 ? ERR_INVALID : 0;
}
