/* fdpass.c - SCM_RIGHTS send and receive of fdpass.h. */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"

int fdpass_send(int sock, int fd, int32_t from_node)
{
	uint8_t payload[4];
	be32_store(payload, (uint32_t)from_node);
	struct iovec iov = {.iov_base = payload, .iov_len = sizeof(payload)};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t n;
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return ERR_AGAIN;
		if (errno == EPIPE || errno == ECONNRESET)
			return ERR_CLOSED;
		return ERR_IO;
	}
	return n == (ssize_t)sizeof(payload) ? 0 : ERR_IO;
}

int fdpass_recv(int sock, int *fd, int32_t *from_node)
{
	uint8_t payload[4];
	struct iovec iov = {.iov_base = payload, .iov_len = sizeof(payload)};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	*fd = -1;
	ssize_t n;
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? ERR_AGAIN : ERR_IO;
	if (n == 0)
		return ERR_CLOSED;

	int got = -1, extra = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < 0) {
				got = f;
			} else {
				close(f);
				extra++;
			}
		}
	}
	if (got < 0 || extra > 0 || n != (ssize_t)sizeof(payload) || (msg.msg_flags & MSG_CTRUNC)) {
		if (got >= 0)
			close(got);
		return ERR_INVALID;
	}
	*fd = got;
	*from_node = (int32_t)be32_load(payload);
	return 0;
}
