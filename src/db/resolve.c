#include "config.h"

#include "db/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

struct db_resolve {
	/* Shared with the thread: whoever lets go last frees it. */
	atomic_int refs;
	int pipe[2]; /* the thread writes one byte to [1] when done */
	char host[256];
	/* Written by the thread before its byte, read by the loop after it. */
	char addrs[DB_RESOLVE_MAX * (INET6_ADDRSTRLEN + 1)];
	size_t n;
	char error[200];

	/* The loop's side only. */
	struct loop_watch *watch;
	db_resolve_fn fn;
	void *ud;
};

bool db_resolve_needed(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (!host || !*host || host[0] == '/' || host[0] == '@' || strchr(host, ','))
		return false;
	return inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1;
}

static void unref(struct db_resolve *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	close(r->pipe[0]);
	close(r->pipe[1]);
	free(r);
}

static void *lookup(void *arg)
{
	struct db_resolve *r = arg;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(r->host, NULL, &hints, &res);
	size_t len = 0;

	if (rc != 0) {
		snprintf(r->error, sizeof(r->error), "could not resolve host name \"%.100s\": %s",
			 r->host, gai_strerror(rc));
	}
	for (struct addrinfo *ai = res; ai && r->n < DB_RESOLVE_MAX; ai = ai->ai_next) {
		char text[INET6_ADDRSTRLEN];
		const void *a =
		    ai->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    !inet_ntop(ai->ai_family, a, text, sizeof(text)) || strstr(r->addrs, text))
			continue;
		len += (size_t)snprintf(r->addrs + len, sizeof(r->addrs) - len, "%s%s",
					r->n ? "," : "", text);
		r->n++;
	}
	if (res)
		freeaddrinfo(res);
	if (rc == 0 && r->n == 0)
		snprintf(r->error, sizeof(r->error), "host name \"%.100s\" has no address",
			 r->host);
	while (write(r->pipe[1], "x", 1) < 0 && errno == EINTR)
		;
	unref(r);
	return NULL;
}

static void finished(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct db_resolve *r = ud;
	db_resolve_fn fn = r->fn;
	char byte;

	(void)loop;
	(void)events;
	if (read(fd, &byte, 1) != 1 && errno == EAGAIN)
		return;
	loop_watch_remove(r->watch);
	r->watch = NULL;
	r->fn = NULL;
	if (r->n > 0)
		fn(r->ud, r->addrs, r->n, NULL);
	else
		fn(r->ud, NULL, 0, r->error[0] ? r->error : "the lookup failed");
	unref(r);
}

struct db_resolve *db_resolve_start(struct loop *loop, const char *host, db_resolve_fn fn,
				    void *ud)
{
	struct db_resolve *r = xcalloc(1, sizeof(*r));
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	str_copy(r->host, sizeof(r->host), host);
	r->fn = fn;
	r->ud = ud;
	atomic_init(&r->refs, 2);
	if (pipe(r->pipe) != 0) {
		free(r);
		return NULL;
	}
	r->watch = loop_watch_fd(loop, r->pipe[0], LOOP_READ, finished, r);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, lookup, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		loop_watch_remove(r->watch);
		close(r->pipe[0]);
		close(r->pipe[1]);
		free(r);
		return NULL;
	}
	return r;
}

void db_resolve_cancel(struct db_resolve *r)
{
	if (!r)
		return;
	loop_watch_remove(r->watch);
	r->watch = NULL;
	r->fn = NULL;
	unref(r);
}
