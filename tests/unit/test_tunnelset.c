/* The tunnel set: one tunnel per profile and one forward per endpoint,
 * asked for from another thread while the set runs on its own; the route
 * the front end installs; the settings that name tunnel profiles. The
 * bastion here is a closed port, so tunnels go down with the reason in
 * words; the forwards are bound at once all the same. */
#include "config.h"

#include <arpa/inet.h>
#include <dlfcn.h>
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

#include "conf.h"
#include "loop.h"
#include "route.h"
#include "ssh/tunnelset.h"

/* Generous: every wait ends as soon as its condition holds. */
#define DEADLINE_MS 30000

/* A port nothing listens on: bound, then closed. */
static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void load(struct conf *c, const char *text)
{
	struct err err = {0};

	conf_init(c);
	if (!conf_load_string(c, "cfg", text, strlen(text), &err))
		fail_msg("%s", err.msg);
}

static void settings_with_bastion(struct conf *c)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "tunnels:\n"
		 "  - name: edge\n"
		 "    host: 127.0.0.1\n"
		 "    port: %d\n"
		 "    user: op\n"
		 "    agent: false\n"
		 "    identity_file: /nonexistent/id_ed25519\n"
		 "    known_hosts: /nonexistent/known_hosts\n",
		 closed_port());
	load(c, text);
}

static atomic_int downs;
static atomic_bool observer_on_set_thread = true;
static pthread_t main_thread;

static void on_state(struct tunnel *t, void *ud)
{
	(void)ud;
	if (pthread_equal(pthread_self(), main_thread))
		observer_on_set_thread = false;
	if (tunnel_status(t)->state == TUNNEL_DOWN)
		atomic_fetch_add(&downs, 1);
}

static uint64_t now_ms(void)
{
	return loop_now_ms();
}

static bool connects(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_threaded_set(void **state)
{
	struct conf c;
	struct tunnel_set *s;
	struct err err = {0};
	int p1, p2, p3;
	uint64_t until;

	(void)state;
	main_thread = pthread_self();
	settings_with_bastion(&c);
	s = tunnel_set_new(NULL, &c.tunnels, &(struct tunnel_opts){.backoff_min_ms = 100});
	tunnel_set_observe(s, on_state, NULL);
	assert_true(tunnel_set_start_thread(s, &err));

	p1 = tunnel_set_endpoint(s, "edge", "db.internal", 5432, &err);
	assert_true(p1 > 0);
	/* the same endpoint is shared; another gets its own listener */
	assert_int_equal(tunnel_set_endpoint(s, "edge", "db.internal", 5432, &err), p1);
	p2 = tunnel_set_endpoint(s, "edge", "db.internal", 5433, &err);
	p3 = tunnel_set_endpoint(s, "edge", "api.internal", 5432, &err);
	assert_true(p2 > 0 && p3 > 0 && p2 != p1 && p3 != p1 && p3 != p2);
	/* bound before the answer: a client may connect at once */
	assert_true(connects(p1));

	assert_int_equal(tunnel_set_endpoint(s, "nowhere", "db.internal", 5432, &err), -1);
	assert_string_equal(err.msg, "no tunnel profile \"nowhere\" in the settings");
	assert_int_equal(tunnel_set_endpoint(s, "edge", "", 5432, &err), -1);
	assert_int_equal(tunnel_set_endpoint(s, "edge", "db.internal", 70000, &err), -1);

	/* the bastion refuses: the tunnel goes down and says so, on the set's
	 * thread */
	until = now_ms() + DEADLINE_MS;
	while (atomic_load(&downs) == 0 && now_ms() < until)
		usleep(10000);
	assert_true(atomic_load(&downs) > 0);
	assert_true(atomic_load(&observer_on_set_thread));
	tunnel_set_free(s);
	conf_free(&c);
}

static void test_set_on_a_loop(void **state)
{
	struct conf c;
	struct loop *loop = loop_new();
	struct tunnel_set *s;
	struct err err = {0};
	int p;

	(void)state;
	settings_with_bastion(&c);
	s = tunnel_set_new(loop, &c.tunnels, NULL);
	assert_int_equal(tunnel_set_count(s), 0);
	assert_null(tunnel_set_find(s, "edge"));
	p = tunnel_set_endpoint(s, "edge", "db.internal", 5432, &err);
	assert_true(p > 0);
	assert_int_equal(tunnel_set_count(s), 1);
	assert_non_null(tunnel_set_find(s, "edge"));
	assert_ptr_equal(tunnel_set_at(s, 0), tunnel_set_find(s, "edge"));
	assert_null(tunnel_set_at(s, 1));
	/* a set on the caller's loop has no thread of its own */
	assert_false(tunnel_set_start_thread(s, &err));
	tunnel_set_free(s);
	loop_free(loop);
	conf_free(&c);
}

static int fake_route(void *ud, const char *profile, const char *host, int port,
		      struct err *err)
{
	(void)ud;
	if (strcmp(profile, "edge") != 0) {
		err_set(err, "no tunnel profile \"%s\"", profile);
		return -1;
	}
	return strcmp(host, "db.internal") == 0 && port == 5432 ? 40001 : 40002;
}

static void test_route(void **state)
{
	struct err err = {0};

	(void)state;
	route_install(NULL, NULL);
	assert_int_equal(route_endpoint(NULL, "db.internal", 5432, &err), 0);
	assert_int_equal(route_endpoint("", "db.internal", 5432, &err), 0);
	assert_int_equal(route_endpoint("edge", "db.internal", 5432, &err), -1);
	assert_string_equal(err.msg, "tunnel edge: this program opens no tunnels");
	route_install(fake_route, NULL);
	assert_int_equal(route_endpoint("edge", "db.internal", 5432, &err), 40001);
	assert_int_equal(route_endpoint("edge", "api.internal", 443, &err), 40002);
	assert_int_equal(route_endpoint("other", "db.internal", 5432, &err), -1);
	route_install(NULL, NULL);
}

/* ---- freeing the set while another thread asks ---- */

/* The set's thread is held in the observer (a new tunnel tells it of its
 * state at once) until the main thread lets it go: the asker is then
 * surely waiting for its answer when the set is freed. */
struct asking {
	struct tunnel_set *s;
	atomic_bool in_observer, release;
	int result;
	struct err err;
};

static void holding_observer(struct tunnel *t, void *ud)
{
	struct asking *a = ud;

	(void)t;
	if (atomic_exchange(&a->in_observer, true))
		return;
	while (!atomic_load(&a->release))
		usleep(100);
}

static void *asker(void *arg)
{
	struct asking *a = arg;

	a->result = tunnel_set_endpoint(a->s, "edge", "db.internal", 5432, &a->err);
	return NULL;
}

static void test_free_while_asking(void **state)
{
	const struct tunnel_opts opts = {.backoff_min_ms = 100};
	struct conf c;
	struct err err = {0};

	(void)state;
	settings_with_bastion(&c);
	for (int i = 0; i < 200; i++) {
		struct asking a = {.result = 0};
		pthread_t th;
		uint64_t until = now_ms() + DEADLINE_MS;

		a.s = tunnel_set_new(NULL, &c.tunnels, &opts);
		tunnel_set_observe(a.s, holding_observer, &a);
		assert_true(tunnel_set_start_thread(a.s, &err));
		assert_int_equal(pthread_create(&th, NULL, asker, &a), 0);
		while (!atomic_load(&a.in_observer) && now_ms() < until)
			usleep(100);
		assert_true(atomic_load(&a.in_observer));
		atomic_store(&a.release, true);
		/* the asker is woken with its answer while the set goes */
		tunnel_set_free(a.s);
		assert_int_equal(pthread_join(th, NULL), 0);
		if (a.result < 0)
			assert_string_equal(a.err.msg, "tunnels: closing");
	}
	conf_free(&c);
}

/* ---- asked once the set is stopping ---- */

/* tunnel_set_free marks the set as stopping before it joins the set's
 * thread: a pthread_join from the freeing thread says the mark is made
 * (a seam: this definition is found before the C library's). */
static atomic_bool freer_known, freer_joining;
static pthread_t freer;

int pthread_join(pthread_t th, void **ret)
{
	int (*real)(pthread_t, void **);

	*(void **)&real = dlsym(RTLD_NEXT, "pthread_join");
	if (atomic_load(&freer_known) && pthread_equal(pthread_self(), freer))
		atomic_store(&freer_joining, true);
	return real(th, ret);
}

static void *set_freer(void *arg)
{
	freer = pthread_self();
	atomic_store(&freer_known, true);
	tunnel_set_free(arg);
	return NULL;
}

/* An asker that comes once the set is stopping, while its thread is busy,
 * is told at once that the tunnels are closing, and is not left waiting. */
static void test_asked_while_closing(void **state)
{
	const struct tunnel_opts opts = {.backoff_min_ms = 100};
	struct asking a = {.result = 0};
	struct conf c;
	struct err err = {0};
	char described[64] = "x";
	pthread_t asking, freeing;
	uint64_t until = now_ms() + DEADLINE_MS;

	(void)state;
	settings_with_bastion(&c);
	a.s = tunnel_set_new(NULL, &c.tunnels, &opts);
	tunnel_set_observe(a.s, holding_observer, &a);
	assert_true(tunnel_set_start_thread(a.s, &err));
	assert_int_equal(pthread_create(&asking, NULL, asker, &a), 0);
	while (!atomic_load(&a.in_observer) && now_ms() < until)
		usleep(100);
	assert_true(atomic_load(&a.in_observer));
	/* the set's thread is held: the freer waits for it, the set stopping */
	assert_int_equal(pthread_create(&freeing, NULL, set_freer, a.s), 0);
	while (!atomic_load(&freer_joining) && now_ms() < until)
		usleep(100);
	assert_true(atomic_load(&freer_joining));
	err = (struct err){0};
	assert_int_equal(tunnel_set_endpoint(a.s, "edge", "db.internal", 5433, &err), -1);
	assert_string_equal(err.msg, "tunnels: closing");
	tunnel_set_describe(a.s, "edge", "db.internal", 5433, described, sizeof(described));
	assert_string_equal(described, "");
	atomic_store(&a.release, true);
	assert_int_equal(pthread_join(freeing, NULL), 0);
	atomic_store(&freer_known, false);
	assert_int_equal(pthread_join(asking, NULL), 0);
	/* the asker being answered when the stop came has its answer */
	assert_true(a.result > 0);
	conf_free(&c);
}

/* ---- a route taken away while it is asked ---- */

static atomic_bool route_entered, route_release, route_returned, route_install_early;

static int slow_route(void *ud, const char *profile, const char *host, int port,
		      struct err *err)
{
	(void)ud, (void)profile, (void)host, (void)port, (void)err;
	atomic_store(&route_entered, true);
	while (!atomic_load(&route_release))
		usleep(100);
	atomic_store(&route_returned, true);
	return 40001;
}

static void *route_asker(void *arg)
{
	struct err err = {0};

	*(int *)arg = route_endpoint("edge", "db.internal", 5432, &err);
	return NULL;
}

static void *route_remover(void *arg)
{
	(void)arg;
	route_install(NULL, NULL);
	/* what the old route used may be freed from here on */
	if (!atomic_load(&route_returned))
		atomic_store(&route_install_early, true);
	return NULL;
}

static void test_route_install_waits(void **state)
{
	pthread_t asking, removing;
	int local = 0;
	uint64_t until = now_ms() + DEADLINE_MS;

	(void)state;
	atomic_store(&route_entered, false);
	atomic_store(&route_release, false);
	atomic_store(&route_returned, false);
	atomic_store(&route_install_early, false);
	route_install(slow_route, NULL);
	assert_int_equal(pthread_create(&asking, NULL, route_asker, &local), 0);
	while (!atomic_load(&route_entered) && now_ms() < until)
		usleep(100);
	assert_true(atomic_load(&route_entered));
	assert_int_equal(pthread_create(&removing, NULL, route_remover, NULL), 0);
	/* time for a route_install that does not wait to return (it cannot
	 * make the test fail when it waits: the check is in route_remover) */
	until = now_ms() + 300;
	while (!atomic_load(&route_install_early) && now_ms() < until)
		usleep(1000);
	atomic_store(&route_release, true);
	assert_int_equal(pthread_join(removing, NULL), 0);
	assert_int_equal(pthread_join(asking, NULL), 0);
	assert_int_equal(local, 40001);
	assert_false(atomic_load(&route_install_early));
}

static const char profiles[] = "tunnels:\n"
			       "  - name: edge\n"
			       "    host: bastion.example.net\n";

static void load_fails(const char *text, const char *want)
{
	struct conf c;
	struct err err = {0};

	conf_init(&c);
	assert_false(conf_load_string(&c, "cfg", text, strlen(text), &err));
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" does not say \"%s\"", err.msg, want);
	/* nothing from the file is kept */
	assert_null(c.database_tunnel);
	assert_int_equal(c.nkube_tunnels, 0);
	conf_free(&c);
}

static void test_settings(void **state)
{
	struct conf c;
	char text[1024];

	(void)state;
	/* the list may come after the entries that name it */
	snprintf(text, sizeof(text),
		 "database_tunnel: edge\n"
		 "kube:\n"
		 "  tunnels:\n"
		 "    prod: edge\n"
		 "    stage: edge\n"
		 "rabbitmq:\n"
		 "  - name: main\n"
		 "    url: https://rabbit.internal:15672\n"
		 "    user: monitor\n"
		 "    password: x\n"
		 "    tunnel: edge\n"
		 "%s",
		 profiles);
	load(&c, text);
	assert_string_equal(c.database_tunnel, "edge");
	assert_string_equal(conf_kube_tunnel(&c, "prod"), "edge");
	assert_string_equal(conf_kube_tunnel(&c, "stage"), "edge");
	assert_null(conf_kube_tunnel(&c, "dev"));
	assert_null(conf_kube_tunnel(&c, NULL));
	assert_string_equal(c.brokers[0].tunnel, "edge");
	/* a later file replaces the mapping */
	snprintf(text, sizeof(text), "kube:\n  tunnels:\n    dev: edge\n%s", profiles);
	assert_true(conf_load_string(&c, "cfg2", text, strlen(text), &(struct err){0}));
	assert_null(conf_kube_tunnel(&c, "prod"));
	assert_string_equal(conf_kube_tunnel(&c, "dev"), "edge");
	conf_free(&c);

	load_fails("database_tunnel: nowhere\n", "cfg:1:18: database_tunnel: no tunnel profile "
						  "\"nowhere\" in tunnels");
	load_fails("database_tunnel: 'a b'\n", "database_tunnel must name a tunnel profile");
	snprintf(text, sizeof(text), "kube:\n  tunnels:\n    prod: other\n%s", profiles);
	load_fails(text, "cfg:3:11: kube.tunnels: no tunnel profile \"other\" in tunnels");
	load_fails("kube:\n  tunnels: [a]\n", "kube.tunnels must be a mapping");
	load_fails("kube:\n  tunnels:\n    prod: [a]\n", "kube.tunnels value must name a tunnel "
						  "profile");
	load_fails("kube:\n  tunnels:\n    prod: edge\n    prod: edge\n", "prod");
	snprintf(text, sizeof(text),
		 "rabbitmq:\n"
		 "  - name: main\n"
		 "    url: https://rabbit.internal:15672\n"
		 "    user: monitor\n"
		 "    password: x\n"
		 "    tunnel: other\n"
		 "%s",
		 profiles);
	load_fails(text, "cfg:6:13: rabbitmq main: no tunnel profile \"other\" in tunnels");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threaded_set),
	    cmocka_unit_test(test_set_on_a_loop),
	    cmocka_unit_test(test_route),
	    cmocka_unit_test(test_free_while_asking),
	    cmocka_unit_test(test_asked_while_closing),
	    cmocka_unit_test(test_route_install_waits),
	    cmocka_unit_test(test_settings),
	};

	setenv("HOME", "/nonexistent", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
