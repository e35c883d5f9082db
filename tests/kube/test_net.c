/* The generic HTTP engine (net/http.h) on its own, with no Kubernetes
 * layer: basic auth, extra headers, the auth hook (waiting for
 * credentials, failing, one re-send after a 401), the stall bound on
 * streams, Retry-After in seconds and as a date, connection and client
 * counts, TLS options, connecting through a local port (a tunnel's), and
 * the name-resolution judgement doctor shows. */
#include "config.h"

#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <jansson.h>

#include "fakeapi.h"
#include "b64.h"
#include "kubetest.h"
#include "net/http.h"
#include "tlsserver.h"

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ---- a scripted server: the path picks the answer ---- */

struct script {
	int busy_left;	    /* /busy, /busy-date: 503 this many times */
	char date_hdr[128]; /* Retry-After as an HTTP date */
};

static void handler(const struct fake_req *rq, struct fake_reply *rep, void *ud)
{
	struct script *sc = ud;
	const char *u = rq->uri;

	if (str_has_prefix(u, "/echo")) {
		rep->body = xstrdup("{\"ok\":true}");
	} else if (str_has_prefix(u, "/auth")) {
		if (strcmp(rq->auth, "Bearer t-2") == 0) {
			rep->body = xstrdup("{\"who\":\"ok\"}");
		} else {
			rep->status = 401;
			rep->body = xstrdup("{\"error\":\"unauthorized\"}");
		}
	} else if (str_has_prefix(u, "/stall")) {
		rep->stream = true;
		rep->content_type = "text/plain";
		rep->body = xstrdup("first\n");
		rep->then = FAKE_HOLD;
		rep->hold_ms = 8000;
	} else if (str_has_prefix(u, "/trickle")) {
		rep->stream = true;
		rep->content_type = "text/plain";
		rep->body = xstrdup("l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n");
		rep->trickle_ms = 150;
	} else if (str_has_prefix(u, "/busy")) {
		if (sc->busy_left > 0) {
			sc->busy_left--;
			rep->status = 503;
			rep->header =
			    str_has_prefix(u, "/busy-date") ? sc->date_hdr : "Retry-After: 1";
			rep->body = xstrdup("{}");
		} else {
			rep->body = xstrdup("{\"ok\":true}");
		}
	} else {
		rep->status = 404;
		rep->body = xstrdup("{}");
	}
}

struct env {
	struct script sc;
	struct fake_api *api;
	struct loop *loop;
	struct net_http *c;
};

static struct env *env_new(const struct net_http_opts *extra)
{
	struct env *e = xcalloc(1, sizeof(*e));
	struct net_http_opts o = {0};
	struct err err;

	e->api = fake_api_start(handler, &e->sc);
	e->loop = loop_new();
	if (extra)
		o = *extra;
	o.base_url = fake_api_url(e->api);
	e->c = net_http_new(e->loop, &o, &err);
	if (!e->c)
		fail_msg("%s", err.msg);
	net_http_set_retry(e->c, 10, 50, 3);
	return e;
}

static void env_free(struct env *e)
{
	net_http_free(e->c);
	loop_free(e->loop);
	fake_api_stop(e->api);
	free(e);
}

/* ---- a recorder ---- */

struct rec {
	bool done;
	long status;
	struct err err;
	size_t nlines;
	char last_line[64];
	uint64_t started, ended;
};

static void rec_done(struct net_response *resp, void *ud)
{
	struct rec *r = ud;

	r->done = true;
	r->status = resp->status;
	r->err = resp->err;
	r->ended = loop_now_ms();
}

static void rec_line(const char *line, size_t len, void *ud)
{
	struct rec *r = ud;

	r->nlines++;
	snprintf(r->last_line, sizeof(r->last_line), "%.*s", (int)len, line);
}

static void run(struct env *e, const struct net_request *rq, struct rec *r, long max_ms)
{
	struct err err = {{0}};

	memset(r, 0, sizeof(*r));
	r->started = loop_now_ms();
	if (!net_http_request(e->c, rq, rec_done, r, &err))
		fail_msg("request refused: %s", err.msg);
	assert_false(r->done);
	assert_true(kt_run_until(e->loop, &r->done, max_ms));
}

/* ---- tests ---- */

static void test_basic_auth(void **state)
{
	struct net_http_opts o = {.username = "rabbit", .password = "s3cr:et"};
	struct env *e = env_new(&o);
	struct net_request rq = {.path = "/echo", .retries = -1};
	struct rec r;
	struct fake_req seen;
	char *want = b64_encode((const unsigned char *)"rabbit:s3cr:et", 14);
	char *hdr = xasprintf("Basic %s", want);

	(void)state;
	run(e, &rq, &r, 5000);
	assert_int_equal(r.status, 200);
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.auth, hdr);
	fake_req_free(&seen);
	env_free(e);
	free(want);
	free(hdr);
}

static void test_extra_headers(void **state)
{
	struct env *e = env_new(NULL);
	const char *const headers[] = {"X-Request-Id: 42", "X-Vhost: /shop", NULL};
	struct net_request rq = {.method = "PUT",
				 .path = "/echo",
				 .body = "{}",
				 .body_len = 2,
				 .content_type = "application/json",
				 .accept = "text/plain",
				 .headers = headers};
	const char *const injected[] = {"X-A: b\r\nX-Injected: c", NULL};
	const char *const noname[] = {": value", NULL};
	const char *const spaced[] = {"Bad Name: x", NULL};
	const char *const *bad[] = {injected, noname, spaced};
	struct rec r;
	struct fake_req seen;

	(void)state;
	run(e, &rq, &r, 5000);
	assert_int_equal(r.status, 200);
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.method, "PUT");
	assert_string_equal(seen.accept, "text/plain");
	assert_string_equal(seen.ctype, "application/json");
	assert_contains(seen.headers, "X-Request-Id: 42\n");
	assert_contains(seen.headers, "X-Vhost: /shop\n");
	assert_null(strstr(seen.headers, "Authorization"));
	fake_req_free(&seen);

	/* a header that would smuggle another, or has no proper name, is
	 * refused before anything is sent */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = {{0}};

		rq.headers = bad[i];
		assert_null(net_http_request(e->c, &rq, rec_done, &r, &err));
		assert_contains(err.msg, "a request header must be");
	}
	assert_int_equal(fake_api_count(e->api), 1);
	assert_int_equal(net_http_pending(e->c), 0);
	env_free(e);
}

/* An auth layer like an exec plugin's: the token comes later, from the
 * loop; a 401 makes it fetch the next one. */
struct hook {
	struct net_http *c;
	int issued; /* the number of the newest token */
	bool have;  /* a token is at hand: t-<issued> */
	bool fetching;
	int prepares, rejections;
	const char *fail_prepare; /* set: prepare fails with this */
	const char *fail_fetch;	  /* set: fetching fails with this */
};

static void fetched(struct loop *loop, void *ud)
{
	struct hook *k = ud;
	struct err e;

	(void)loop;
	k->fetching = false;
	if (k->fail_fetch) {
		err_set(&e, "%s", k->fail_fetch);
		net_http_auth_resume(k->c, &e);
		return;
	}
	k->issued++;
	k->have = true;
	net_http_auth_resume(k->c, NULL);
}

static enum net_auth_step hook_prepare(struct net_req *r, void *ud, struct err *err)
{
	struct hook *k = ud;
	char hdr[64];

	k->prepares++;
	if (k->fail_prepare) {
		err_set(err, "%s", k->fail_prepare);
		return NET_AUTH_FAILED;
	}
	if (!k->have) {
		if (!k->fetching) {
			k->fetching = true;
			loop_timer_add(net_http_loop(k->c), 20, 0, fetched, k);
		}
		return NET_AUTH_WAIT;
	}
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer t-%d", k->issued);
	net_req_add_header(r, hdr);
	net_req_set_auth_tag(r, (unsigned)k->issued);
	return NET_AUTH_READY;
}

static bool hook_rejected(struct net_req *r, void *ud)
{
	struct hook *k = ud;

	k->rejections++;
	/* forget it, unless a newer one came meanwhile; the next prepare
	 * fetches the next token */
	if (net_req_auth_tag(r) == (unsigned)k->issued)
		k->have = false;
	return true;
}

static void test_auth_hook(void **state)
{
	struct hook k = {0};
	struct net_auth auth = {hook_prepare, hook_rejected, &k};
	struct net_http_opts o = {.auth = &auth};
	struct env *e = env_new(&o);
	struct net_request rq = {.path = "/auth", .retries = -1};
	struct rec r, r2;
	struct fake_req seen;
	struct err err;
	int before;

	(void)state;
	k.c = e->c;
	/* two requests wait for one fetch; t-1 is refused, so each is sent
	 * once more, with t-2 */
	memset(&r2, 0, sizeof(r2));
	assert_non_null(net_http_request(e->c, &rq, rec_done, &r2, &err));
	run(e, &rq, &r, 10000);
	assert_true(kt_run_until(e->loop, &r2.done, 10000));
	assert_int_equal(r.status, 200);
	assert_int_equal(r2.status, 200);
	assert_int_equal(k.rejections, 2);
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.auth, "Bearer t-1");
	fake_req_free(&seen);
	fake_api_get(e->api, fake_api_count(e->api) - 1, &seen);
	assert_string_equal(seen.auth, "Bearer t-2");
	fake_req_free(&seen);
	assert_int_equal(fake_api_count(e->api), 4);

	/* a 401 to a request that already had its second chance comes back */
	k.issued = 5;
	before = (int)fake_api_count(e->api);
	run(e, &rq, &r, 10000);
	assert_int_equal(r.status, 401);
	assert_false(err_isset(&r.err));
	assert_int_equal((int)fake_api_count(e->api) - before, 2);

	/* the auth layer says no: nothing is sent */
	before = (int)fake_api_count(e->api);
	k.fail_prepare = "credentials: no key for this server";
	run(e, &rq, &r, 5000);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err.msg, "credentials: no key for this server");
	k.fail_prepare = NULL;

	/* fetching fails: every waiting request fails with its message */
	k.have = false;
	k.fail_fetch = "credentials: the plugin said no";
	run(e, &rq, &r, 5000);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err.msg, "credentials: the plugin said no");
	assert_int_equal((int)fake_api_count(e->api), before);
	env_free(e);
}

static void test_stall(void **state)
{
	struct env *e = env_new(NULL);
	struct net_request rq = {
	    .path = "/stall", .on_line = rec_line, .timeout_ms = 5000, .stall_ms = 300};
	struct rec r;

	(void)state;
	/* one line, then silence: failed after the bound, long before the
	 * server would end it */
	run(e, &rq, &r, 6000);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err.msg, "GET /stall: stalled: no data from the server for 1 s");
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.last_line, "first");
	assert_true(r.ended - r.started >= 300);
	assert_true(r.ended - r.started < 6000);
	assert_int_equal(net_http_pending(e->c), 0);
	env_free(e);
}

static void test_trickle_is_not_a_stall(void **state)
{
	struct env *e = env_new(NULL);
	/* eight lines 150 ms apart: the stream lasts over 1 s, longer than
	 * the bound, but is never silent that long */
	struct net_request rq = {
	    .path = "/trickle", .on_line = rec_line, .timeout_ms = 5000, .stall_ms = 700};
	struct rec r;

	(void)state;
	run(e, &rq, &r, 10000);
	if (err_isset(&r.err))
		fail_msg("%s", r.err.msg);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.nlines, 8);
	assert_string_equal(r.last_line, "l8");
	assert_true(r.ended - r.started >= 700);
	env_free(e);
}

static void test_retry_after(void **state)
{
	struct env *e = env_new(NULL);
	struct net_request rq = {.path = "/busy", .retries = -1};
	struct rec r;
	time_t at;
	struct tm tm;

	(void)state;
	/* the backoff alone would be 10-50 ms; Retry-After: 1 asks for 1 s */
	e->sc.busy_left = 1;
	run(e, &rq, &r, 10000);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake_api_count(e->api), 2);
	assert_true(r.ended - r.started >= 900);

	/* the same as an HTTP date two seconds ahead (whole seconds: at least
	 * one of them is still to come when it arrives) */
	at = time(NULL) + 2;
	gmtime_r(&at, &tm);
	strftime(e->sc.date_hdr, sizeof(e->sc.date_hdr), "Retry-After: %a, %d %b %Y %H:%M:%S GMT",
		 &tm);
	e->sc.busy_left = 1;
	rq.path = "/busy-date";
	run(e, &rq, &r, 10000);
	assert_int_equal(r.status, 200);
	assert_int_equal(fake_api_count(e->api), 4);
	assert_true(r.ended - r.started >= 900);

	/* writes are never retried */
	e->sc.busy_left = 1;
	rq.method = "POST";
	rq.path = "/busy";
	run(e, &rq, &r, 10000);
	assert_int_equal(r.status, 503);
	assert_int_equal(fake_api_count(e->api), 5);
	env_free(e);
}

static void test_counts(void **state)
{
	struct net_http_stats s0 = net_http_stats(), s1;
	struct env *e = env_new(NULL);
	struct net_request rq = {.path = "/echo", .retries = -1};
	struct rec r;

	(void)state;
	s1 = net_http_stats();
	assert_int_equal(s1.clients, s0.clients + 1);
	/* one client, one pool: requests in turn share one connection */
	for (int i = 0; i < 3; i++) {
		run(e, &rq, &r, 5000);
		assert_int_equal(r.status, 200);
	}
	assert_int_equal(net_http_connects(e->c), 1);
	s1 = net_http_stats();
	assert_int_equal(s1.connects, s0.connects + 1);
	env_free(e);
	assert_int_equal(net_http_stats().clients, s0.clients);
}

static void test_bad_options(void **state)
{
	struct net_http_opts o = {.base_url = "ftp://example.test"};
	struct err err = {{0}};
	unsigned long clients = net_http_stats().clients;

	(void)state;
	assert_null(net_http_new(NULL, &o, &err));
	assert_string_equal(err.msg, "server ftp://example.test is not an http or https URL");
	o.base_url = "http://exa mple";
	assert_null(net_http_new(NULL, &o, &err));
	assert_string_equal(err.msg, "server http://exa mple is not a usable URL");
	assert_int_equal(net_http_stats().clients, clients);
}

static const char *field(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "(none)";
}

static void test_tls_options(void **state)
{
	struct tls_server *srv = tls_server_start();
	char *ca_path = kt_write("net/ca.pem", tls_server_ca(srv));
	char *cert, *key;
	struct net_http_opts o = {
	    .base_url = tls_server_url(srv), .ca_file = ca_path, .tls_server_name = "kube.test"};
	struct net_request rq = {.path = "/x", .timeout_ms = 5000, .retries = 0};
	struct net_response resp;
	struct net_http *c;
	struct err err;
	json_t *j;

	(void)state;
	tls_server_client_cert(srv, "queue-reader", 0, &cert, &key);
	o.client_cert = (struct net_blob){cert, strlen(cert)};
	o.client_key = (struct net_blob){key, strlen(key)};
	/* a CA file, a client certificate and a TLS name, on a private loop */
	c = net_http_new(NULL, &o, &err);
	assert_non_null(c);
	assert_true(net_http_request_sync(c, &rq, &resp));
	assert_int_equal(resp.status, 200);
	j = json_loads(resp.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(field(j, "client"), "queue-reader");
	assert_string_equal(field(j, "sni"), "kube.test");
	json_decref(j);
	net_response_free(&resp);
	net_http_free(c);

	/* without the CA the server is not trusted; insecure skips the check */
	o.ca_file = NULL;
	o.tls_server_name = NULL;
	c = net_http_new(NULL, &o, &err);
	assert_false(net_http_request_sync(c, &rq, &resp));
	assert_contains(resp.err.msg, "cannot be trusted");
	net_response_free(&resp);
	net_http_free(c);
	o.insecure = true;
	c = net_http_new(NULL, &o, &err);
	assert_true(net_http_request_sync(c, &rq, &resp));
	assert_int_equal(resp.status, 200);
	net_response_free(&resp);
	net_http_free(c);

	free(cert);
	free(key);
	free(ca_path);
	tls_server_stop(srv);
}

/* connect_to: connections go to the local port, the URL's name stays
 * the one TLS sends and checks and Host carries. */
static void test_connect_to(void **state)
{
	struct tls_server *srv = tls_server_start();
	char *ca_path = kt_write("net/ca-ct.pem", tls_server_ca(srv));
	char host[64];
	int port = 0;
	struct err err = {{0}};
	struct net_http_opts o = {.ca_file = ca_path, .connect_via = "tunnel t1"};
	struct net_request rq = {.path = "/x", .timeout_ms = 5000, .retries = 0};
	struct net_response resp;
	struct net_http *c;
	json_t *j;

	(void)state;
	assert_true(net_http_url_endpoint(tls_server_url(srv), host, sizeof(host), &port, &err));
	assert_string_equal(host, "127.0.0.1");
	o.connect_to = port;
	/* nothing answers for kube.test:1; the local port does */
	o.base_url = "https://kube.test:1";
	c = net_http_new(NULL, &o, &err);
	assert_non_null(c);
	assert_string_equal(net_http_server(c), "https://kube.test:1 through tunnel t1");
	assert_true(net_http_request_sync(c, &rq, &resp));
	assert_int_equal(resp.status, 200);
	j = json_loads(resp.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(field(j, "sni"), "kube.test");
	assert_string_equal(field(j, "host"), "kube.test:1");
	json_decref(j);
	net_response_free(&resp);
	net_http_free(c);

	/* with a tls-server-name, that is the name checked; Host the server's */
	o.base_url = "https://elsewhere.test:2";
	o.tls_server_name = "kube.test";
	c = net_http_new(NULL, &o, &err);
	assert_non_null(c);
	assert_true(net_http_request_sync(c, &rq, &resp));
	assert_int_equal(resp.status, 200);
	j = json_loads(resp.body, 0, NULL);
	assert_string_equal(field(j, "sni"), "kube.test");
	assert_string_equal(field(j, "host"), "elsewhere.test:2");
	json_decref(j);
	net_response_free(&resp);
	net_http_free(c);

	/* a name the certificate does not hold fails, through the port too */
	o.base_url = "https://other.test:3";
	o.tls_server_name = NULL;
	c = net_http_new(NULL, &o, &err);
	assert_false(net_http_request_sync(c, &rq, &resp));
	assert_contains(resp.err.msg, "the certificate of https://other.test:3 through tunnel t1 "
				      "cannot be trusted");
	net_response_free(&resp);
	net_http_free(c);

	/* never through a proxy as well */
	o.proxy_url = "http://127.0.0.1:9";
	assert_null(net_http_new(NULL, &o, &err));
	assert_string_equal(err.msg, "server https://other.test:3: a proxy and tunnel t1 both "
				     "lead to it; use one of them");

	free(ca_path);
	tls_server_stop(srv);
}

static void test_url_endpoint(void **state)
{
	char host[64];
	int port = 0;
	struct err err = {{0}};

	(void)state;
	assert_true(net_http_url_endpoint("https://[::1]/api", host, sizeof(host), &port, &err));
	assert_string_equal(host, "::1");
	assert_int_equal(port, 443);
	assert_true(net_http_url_endpoint("http://broker.test", host, sizeof(host), &port, &err));
	assert_string_equal(host, "broker.test");
	assert_int_equal(port, 80);
	assert_true(net_http_url_endpoint("https://k.test:6443", host, sizeof(host), &port, &err));
	assert_int_equal(port, 6443);
	assert_false(net_http_url_endpoint("ftp://k.test", host, sizeof(host), &port, &err));
	assert_string_equal(err.msg, "server ftp://k.test is not an http or https URL");
	assert_false(net_http_url_endpoint("http://a b", host, sizeof(host), &port, &err));
	assert_string_equal(err.msg, "server http://a b is not a usable URL");
}

static void test_dns_judgement(void **state)
{
	char why[256];

	(void)state;
	assert_false(net_http_describe_dns(0, "7.50.0", NULL, why, sizeof(why)));
	assert_string_equal(why, "libcurl 7.50.0 resolves host names synchronously: a slow name "
				 "lookup may block the console");
	assert_true(net_http_describe_dns(CURL_VERSION_ASYNCHDNS, "8.5.0", NULL, why, sizeof(why)));
	assert_string_equal(why,
			    "libcurl 8.5.0 resolves host names asynchronously (threaded resolver)");
	assert_true(
	    net_http_describe_dns(CURL_VERSION_ASYNCHDNS, "8.5.0", "1.27.0", why, sizeof(why)));
	assert_string_equal(why,
			    "libcurl 8.5.0 resolves host names asynchronously (c-ares 1.27.0)");
	/* and the libcurl this runs with says something either way */
	why[0] = '\0';
	(void)net_http_async_dns(why, sizeof(why));
	assert_contains(why, "resolves host names");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_auth),
	    cmocka_unit_test(test_extra_headers),
	    cmocka_unit_test(test_auth_hook),
	    cmocka_unit_test(test_stall),
	    cmocka_unit_test(test_trickle_is_not_a_stall),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_bad_options),
	    cmocka_unit_test(test_tls_options),
	    cmocka_unit_test(test_connect_to),
	    cmocka_unit_test(test_url_endpoint),
	    cmocka_unit_test(test_dns_judgement),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("net", tests, NULL, NULL);
	kt_cleanup();
	return rc;
}
