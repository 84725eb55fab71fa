/* listen.c - resolve, bind and listen on one configured address. */
#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"

int listen_bind(const struct config_addr *a, char *why, size_t why_len)
{
	char name[CONFIG_HOST_MAX + 16];
	char port[8];
	config_addr_str(a, name, sizeof(name));
	snprintf(port, sizeof(port), "%u", (unsigned)a->port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(a->host, port, &hints, &res);
	if (gai != 0) {
		snprintf(why, why_len, "cannot resolve %s: %s", name, gai_strerror(gai));
		return ERR_NOTFOUND;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, why_len, "cannot listen on %s: %s", name, strerror(err));
		errno = err;
		return ERR_IO;
	}
	return fd;
}
