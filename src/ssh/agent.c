#include "config.h"

#include "ssh/agent.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"

#define AGENTC_REQUEST_IDENTITIES 11
#define AGENT_IDENTITIES_ANSWER 12

/* Waits for fd to be ready for events until the deadline. */
static bool agent_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int r;

	for (;;) {
		int64_t left = deadline - (int64_t)loop_now_ms();

		if (left <= 0)
			return false;
		r = poll(&pfd, 1, (int)left);
		if (r > 0)
			return (pfd.revents & events) != 0;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

bool ssh_agent_has_keys(const char *path, long timeout_ms)
{
	const unsigned char req[5] = {0, 0, 0, 1, AGENTC_REQUEST_IDENTITIES};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	unsigned char ans[9];
	int64_t deadline = (int64_t)loop_now_ms() + timeout_ms;
	size_t got = 0, sent = 0;
	bool ok = false;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if ((e != EINPROGRESS && e != EAGAIN) || !agent_wait(fd, POLLOUT, deadline) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0)
			goto out;
	}
	while (sent < sizeof(req)) {
		ssize_t n = send(fd, req + sent, sizeof(req) - sent, MSG_NOSIGNAL);

		if (n > 0)
			sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto out;
		else if (!agent_wait(fd, POLLOUT, deadline))
			goto out;
	}
	while (got < sizeof(ans)) {
		ssize_t n = recv(fd, ans + got, sizeof(ans) - got, 0);

		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			goto out;
		else if (!agent_wait(fd, POLLIN, deadline))
			goto out;
	}
	/* uint32 length, the answer's type, uint32 number of keys */
	ok = ans[4] == AGENT_IDENTITIES_ANSWER && (ans[5] | ans[6] | ans[7] | ans[8]) != 0;
out:
	close(fd);
	return ok;
}
