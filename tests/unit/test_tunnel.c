/* A tunnel whose bastion name takes long to look up: the attempt's timeout
 * and tunnel_free() let the lookup go instead of waiting for it on the
 * loop. getaddrinfo() is replaced here: a lookup of slow.test blocks until
 * the test releases it. A chain whose outer bastion refuses: the inner
 * tunnel goes down with it, saying so. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "ssh/profile.h"
#include "ssh/tunnel.h"

/* Generous: a loaded machine may be slow, and every wait ends as soon as
 * its condition holds. */
#define DEADLINE_MS 20000
/* How long a slow lookup blocks unless released: far beyond any bound the
 * tunnel has, so that waiting for it shows. */
#define SLOW_LOOKUP_MS 30000

static pthread_mutex_t slow_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cv = PTHREAD_COND_INITIALIZER;
static bool slow_released;
static atomic_int slow_started, slow_returned;

typedef int getaddrinfo_fn(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static getaddrinfo_fn *real;

	if (node && strcmp(node, "slow.test") == 0) {
		struct timespec until;

		atomic_fetch_add(&slow_started, 1);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SLOW_LOOKUP_MS / 1000;
		pthread_mutex_lock(&slow_mu);
		while (!slow_released)
			if (pthread_cond_timedwait(&slow_cv, &slow_mu, &until) != 0)
				break;
		pthread_mutex_unlock(&slow_mu);
		atomic_fetch_add(&slow_returned, 1);
		return EAI_NONAME;
	}
	if (!real)
		real = (getaddrinfo_fn *)dlsym(RTLD_NEXT, "getaddrinfo");
	return real(node, service, hints, res);
}

static void slow_release(void)
{
	pthread_mutex_lock(&slow_mu);
	slow_released = true;
	pthread_cond_broadcast(&slow_cv);
	pthread_mutex_unlock(&slow_mu);
}

static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The released lookup's thread ends (and frees what it holds). */
static void wait_lookups_done(void)
{
	uint64_t end = loop_now_ms() + DEADLINE_MS;

	while ((atomic_load(&slow_returned) < atomic_load(&slow_started) || thread_count() > 1) &&
	       loop_now_ms() < end) {
		struct timespec ms = {0, 1000000};

		nanosleep(&ms, NULL);
	}
	assert_int_equal(atomic_load(&slow_returned), atomic_load(&slow_started));
	assert_int_equal(thread_count(), 1);
}

struct watch {
	int downs;
	char reason[512];
};

static void on_state(struct tunnel *t, void *ud)
{
	struct watch *w = ud;
	const struct tunnel_status *st = tunnel_status(t);

	if (st->state == TUNNEL_DOWN) {
		w->downs++;
		snprintf(w->reason, sizeof(w->reason), "%s", st->reason);
	}
}

static struct tunnel *slow_tunnel(struct loop *l, struct watch *w, long timeout_ms)
{
	char *files[] = {(char *)"/nonexistent/id_ed25519"};
	char *known[] = {(char *)"/nonexistent/known_hosts"};
	struct tunnel_profile p = {
	    .name = (char *)"slow",
	    .host = (char *)"slow.test",
	    .port = 22,
	    .user = (char *)"op",
	    .identity_files = files,
	    .n_identity_files = 1,
	    .known_hosts = known,
	    .n_known_hosts = 1,
	    .keepalive_s = 5,
	};
	struct tunnel_opts o = {
	    .once = true, .connect_timeout_ms = timeout_ms, .on_state = on_state, .ud = w};

	slow_released = false;
	atomic_store(&slow_started, 0);
	atomic_store(&slow_returned, 0);
	return tunnel_new(l, &p, &o);
}

static void test_timeout_lets_the_lookup_go(void **state)
{
	struct loop *l = loop_new();
	struct watch w = {0};
	struct tunnel *t;
	uint64_t end = loop_now_ms() + DEADLINE_MS;

	(void)state;
	/* long enough for the lookup's thread to start on a busy machine */
	t = slow_tunnel(l, &w, 3000);
	while (w.downs == 0 && loop_now_ms() < end)
		assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(w.downs, 1);
	assert_non_null(strstr(w.reason, "timeout"));
	assert_int_equal(tunnel_status(t)->state, TUNNEL_DOWN);
	/* The attempt ended while the lookup still ran: nothing waited for it. */
	assert_int_equal(atomic_load(&slow_started), 1);
	assert_int_equal(atomic_load(&slow_returned), 0);
	tunnel_free(t);
	assert_int_equal(atomic_load(&slow_returned), 0);
	slow_release();
	wait_lookups_done();
	/* The lookup's end reaches no one: the loop runs on quietly. */
	assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(w.downs, 1);
	loop_free(l);
}

static void test_free_lets_the_lookup_go(void **state)
{
	struct loop *l = loop_new();
	struct watch w = {0};
	struct tunnel *t;
	uint64_t end = loop_now_ms() + DEADLINE_MS;

	(void)state;
	t = slow_tunnel(l, &w, 0);
	while (atomic_load(&slow_started) == 0 && loop_now_ms() < end)
		assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(atomic_load(&slow_started), 1);
	assert_int_equal(tunnel_status(t)->state, TUNNEL_CONNECTING);
	tunnel_free(t);
	assert_int_equal(atomic_load(&slow_returned), 0);
	slow_release();
	wait_lookups_done();
	assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(w.downs, 0);
	loop_free(l);
}

/* A 127.0.0.1 port where nothing listens (bound, then let go). */
static int closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void on_inner_state(struct tunnel *t, void *ud)
{
	if (strcmp(tunnel_name(t), "inner") == 0)
		on_state(t, ud);
}

/* A tunnel riding another goes down with it, saying so, and never tries
 * its own bastion while the outer one is down. */
static void test_chain_follows_the_outer_down(void **state)
{
	struct loop *l = loop_new();
	struct watch w = {0};
	struct tunnel_profiles ps = {0};
	struct tunnel_chain *c;
	struct err err = {{0}};
	struct tunnel_opts o = {.once = true, .on_state = on_inner_state, .ud = &w};
	uint64_t end = loop_now_ms() + DEADLINE_MS;
	char expect[128];
	int port = closed_port();

	(void)state;
	ps.n = 2;
	ps.v = calloc(2, sizeof(*ps.v));
	ps.v[0].name = strdup("outer");
	ps.v[0].host = strdup("127.0.0.1");
	ps.v[0].port = port;
	ps.v[1].name = strdup("inner");
	ps.v[1].host = strdup("inner.test");
	ps.v[1].via = strdup("outer");
	assert_null(tunnel_chain_new(l, &ps, "nope", &o, &err));
	assert_non_null(strstr(err.msg, "no tunnel profile named nope"));
	c = tunnel_chain_new(l, &ps, "inner", &o, &err);
	assert_non_null(c);
	assert_int_equal(tunnel_chain_len(c), 2);
	assert_string_equal(tunnel_name(tunnel_chain_hop(c, 0)), "outer");
	assert_ptr_equal(tunnel_chain_hop(c, 1), tunnel_chain_last(c));
	assert_null(tunnel_chain_hop(c, 2));
	assert_string_equal(tunnel_profile_of(tunnel_chain_last(c))->host, "inner.test");
	while (w.downs == 0 && loop_now_ms() < end)
		assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(w.downs, 1);
	snprintf(expect, sizeof(expect), "via outer outer: connection refused by 127.0.0.1:%d",
		 port);
	assert_string_equal(w.reason, expect);
	assert_int_equal(tunnel_status(tunnel_chain_last(c))->connect_ms, -1);
	assert_int_equal(tunnel_status(tunnel_chain_last(c))->retry_in_ms, -1);
	tunnel_chain_free(c);
	/* made alone, a tunnel meant to ride another never goes straight */
	{
		struct tunnel_profile r;
		struct tunnel *t;

		assert_true(tunnel_profile_resolve(&ps.v[1], &r, &err));
		memset(&w, 0, sizeof(w));
		o.once = false;
		t = tunnel_new(l, &r, &o);
		assert_int_equal(w.downs, 1);
		assert_string_equal(
		    w.reason, "inner is reached through outer, and this tunnel was not given it");
		assert_int_equal(tunnel_status(t)->retry_in_ms, -1);
		tunnel_free(t);
		tunnel_profile_free(&r);
	}
	tunnel_profiles_free(&ps);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timeout_lets_the_lookup_go),
	    cmocka_unit_test(test_free_lets_the_lookup_go),
	    cmocka_unit_test(test_chain_follows_the_outer_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
