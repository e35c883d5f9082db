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
#include <sys/wait.h>
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
	snprintf(expect, sizeof(expect), "via outer: connection refused by 127.0.0.1:%d",
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

/* ---- a passphrase answered later ---- */

struct sshd {
	pid_t pid;
	int in; /* closed: the helper shell ends, and sshd with it */
	long port;
	char known[512], key[512], user[128];
};

/* opts: sshd -o options (sshd_start's), "" for none */
static void sshd_up_with(struct sshd *d, const char *opts)
{
	char script[1024];
	int in[2], out[2];
	char line[2048];
	FILE *f;

	snprintf(script, sizeof(script),
		 ". \"$top_srcdir/tests/lib/tap.sh\" && . \"$top_srcdir/tests/lib/sshd.sh\" &&"
		 " sshd_start \"$TAP_TMP/sshd\" %s >&2 &&"
		 " sshd_encrypted_key \"$TAP_TMP/locked\" 'correct horse' >&2 &&"
		 " echo \"$SSHD_PORT $SSHD_KNOWN_HOSTS $TAP_TMP/locked $SSHD_USER\" && exec >&2;"
		 " read x",
		 opts);

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		setenv("top_srcdir", OPSDECK_TEST_SRCDIR, 1);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	d->in = in[1];
	f = fdopen(out[0], "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(sscanf(line, "%ld %511s %511s %127s", &d->port, d->known, d->key, d->user),
			 4);
}

static void sshd_up(struct sshd *d) { sshd_up_with(d, ""); }

static void sshd_down(struct sshd *d)
{
	int status;

	close(d->in);
	assert_int_equal(waitpid(d->pid, &status, 0), d->pid);
}

struct asked {
	int asks, withdrawn;
	struct tunnel *t;
	char path[512];
	struct watch w;
};

static void on_ask(struct tunnel *t, const char *path, void *ud)
{
	struct asked *a = ud;

	a->asks++;
	a->t = t;
	snprintf(a->path, sizeof(a->path), "%s", path);
}

static void on_withdrawn(struct tunnel *t, const char *path, void *ud)
{
	struct asked *a = ud;

	assert_ptr_equal(t, a->t);
	assert_string_equal(path, a->path);
	a->withdrawn++;
}

static void on_asked_state(struct tunnel *t, void *ud)
{
	on_state(t, &((struct asked *)ud)->w);
}

static void run_until(struct loop *l, const int *what, int n)
{
	uint64_t end = loop_now_ms() + DEADLINE_MS;

	while (*what < n && loop_now_ms() < end)
		assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(*what, n);
}

static struct tunnel *asking_tunnel(struct loop *l, struct sshd *d, struct asked *a)
{
	char *files[] = {d->key};
	char *known[] = {d->known};
	struct tunnel_profile p = {
	    .name = (char *)"locked",
	    .host = (char *)"127.0.0.1",
	    .port = d->port,
	    .user = d->user,
	    .identity_files = files,
	    .n_identity_files = 1,
	    .known_hosts = known,
	    .n_known_hosts = 1,
	    .keepalive_s = 5,
	};
	/* a connect timeout far shorter than the waits below */
	struct tunnel_opts o = {.connect_timeout_ms = 1000,
				.backoff_min_ms = 50,
				.backoff_max_ms = 100,
				.on_state = on_asked_state,
				.passphrase_ask = on_ask,
				.passphrase_withdrawn = on_withdrawn,
				.ud = a};

	return tunnel_new(l, &p, &o);
}

static void test_passphrase_answered_later(void **state)
{
	struct loop *l = loop_new();
	struct sshd d;
	struct asked a = {0};
	struct tunnel *t;
	uint64_t until;

	(void)state;
	sshd_up(&d);
	t = asking_tunnel(l, &d, &a);
	run_until(l, &a.asks, 1);
	assert_ptr_equal(a.t, t);
	assert_string_equal(a.path, d.key);
	/* Parked: three times the connect timeout, and still connecting. */
	until = loop_now_ms() + 3000;
	while (loop_now_ms() < until)
		assert_true(loop_run_once(l, 50) >= 0);
	assert_int_equal(a.w.downs, 0);
	assert_int_equal(tunnel_status(t)->state, TUNNEL_CONNECTING);
	assert_false(tunnel_passphrase_answer(t, "/not/the/key", "correct horse"));

	/* Wrong: refused in words, asked again on the next attempt. */
	assert_true(tunnel_passphrase_answer(t, a.path, "wrong horse"));
	assert_false(tunnel_passphrase_answer(t, a.path, "correct horse"));
	run_until(l, &a.asks, 2);
	assert_int_equal(a.w.downs, 1);
	assert_non_null(strstr(a.w.reason, "(wrong passphrase)"));

	/* Cancelled: the key skipped, said so. */
	assert_true(tunnel_passphrase_answer(t, a.path, NULL));
	run_until(l, &a.asks, 3);
	assert_int_equal(a.w.downs, 2);
	assert_non_null(strstr(a.w.reason, "(encrypted, passphrase cancelled)"));

	/* Right: up; the attempt's timeout ran only after the answer. */
	{
		char pass[] = "correct horse";
		uint64_t end = loop_now_ms() + DEADLINE_MS;

		assert_true(tunnel_passphrase_answer(t, a.path, pass));
		/* the caller's copy is its own to wipe */
		assert_string_equal(pass, "correct horse");
		while (tunnel_status(t)->state != TUNNEL_UP && loop_now_ms() < end)
			assert_true(loop_run_once(l, 10) >= 0);
	}
	assert_int_equal(tunnel_status(t)->state, TUNNEL_UP);
	assert_int_equal(a.w.downs, 2);
	assert_int_equal(a.withdrawn, 0);
	tunnel_free(t);

	/* Freed while asking: the question is withdrawn, once. */
	memset(&a, 0, sizeof(a));
	t = asking_tunnel(l, &d, &a);
	run_until(l, &a.asks, 1);
	tunnel_free(t);
	assert_int_equal(a.withdrawn, 1);
	assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(a.asks, 1);
	sshd_down(&d);
	loop_free(l);
}

/* The server drops a session parked past its login grace time: the right
 * passphrase, given after that, brings the tunnel up on a fresh session,
 * with no refusal and no failure counted. */
static void test_passphrase_answered_after_the_grace_time(void **state)
{
	struct loop *l = loop_new();
	struct sshd d;
	struct asked a = {0};
	struct tunnel *t;
	uint64_t end;

	(void)state;
	/* 3 s: short enough to end the parked session, and the time the fresh
	 * session has for its whole login (a key's decryption included) on a
	 * busy machine; 1 s was once too short under the sanitizers */
	sshd_up_with(&d, "LoginGraceTime=3");
	t = asking_tunnel(l, &d, &a);
	run_until(l, &a.asks, 1);
	/* past the grace time (its end is not logged): the parked session is gone */
	end = loop_now_ms() + 4000;
	while (loop_now_ms() < end)
		assert_true(loop_run_once(l, 50) >= 0);
	assert_int_equal(tunnel_status(t)->state, TUNNEL_CONNECTING);
	assert_true(tunnel_passphrase_answer(t, a.path, "correct horse"));
	end = loop_now_ms() + DEADLINE_MS;
	while (tunnel_status(t)->state != TUNNEL_UP && loop_now_ms() < end)
		assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(tunnel_status(t)->state, TUNNEL_UP);
	if (a.w.downs)
		print_message("down: %s\n", a.w.reason);
	assert_int_equal(a.w.downs, 0);
	assert_int_equal(a.asks, 1);
	assert_int_equal(a.withdrawn, 0);
	tunnel_free(t);
	sshd_down(&d);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timeout_lets_the_lookup_go),
	    cmocka_unit_test(test_free_lets_the_lookup_go),
	    cmocka_unit_test(test_chain_follows_the_outer_down),
	    cmocka_unit_test(test_passphrase_answered_later),
	    cmocka_unit_test(test_passphrase_answered_after_the_grace_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
