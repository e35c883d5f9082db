/* The HTTP client against a scripted server: requests and headers,
 * credentials, retries, timeouts, streams, cancellation, a context that
 * rides a tunnel. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "conf.h"
#include "fakeapi.h"
#include "b64.h"
#include "kube/http.h"
#include "kubetest.h"
#include "net/http.h"
#include "route.h"

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ---- a scripted server shared by the tests: the path picks the answer ---- */

struct script {
	int fails_left; /* /flaky: 503 this many times */
	int status_seen;
};

static void handler(const struct fake_req *rq, struct fake_reply *rep, void *ud)
{
	struct script *sc = ud;
	const char *u = rq->uri;

	if (str_has_prefix(u, "/echo")) {
		rep->body = xasprintf("{\"method\":\"%s\",\"len\":%zu}", rq->method, rq->body_len);
	} else if (str_has_prefix(u, "/flaky")) {
		if (sc->fails_left > 0) {
			sc->fails_left--;
			rep->status = 503;
			rep->header = "Retry-After: 0";
			rep->body = xstrdup("{\"kind\":\"Status\",\"code\":503}");
		} else {
			rep->body = xstrdup("{\"ok\":true}");
		}
	} else if (str_has_prefix(u, "/slow")) {
		rep->delay_ms = 2000;
		rep->body = xstrdup("{}");
	} else if (str_has_prefix(u, "/lines-hold")) {
		rep->stream = true;
		rep->content_type = "text/plain";
		rep->body = xstrdup("one\ntwo\r\n");
		rep->then = FAKE_HOLD;
		rep->hold_ms = 800;
	} else if (str_has_prefix(u, "/lines")) {
		rep->stream = true;
		rep->content_type = "text/plain";
		rep->body = xstrdup("one\n\ntwo\nthree-no-newline");
	} else if (str_has_prefix(u, "/drop")) {
		rep->stream = true;
		rep->body = xstrdup("{\"a\":1}\n{\"partial");
		rep->then = FAKE_DROP;
	} else if (str_has_prefix(u, "/bad-stream")) {
		rep->status = 400;
		rep->body = xstrdup("{\"kind\":\"Status\",\"message\":\"container nope is not "
				    "valid\",\"reason\":\"BadRequest\",\"code\":400}");
	} else if (str_has_prefix(u, "/auth")) {
		/* only the second exec token is good */
		if (strcmp(rq->auth, "Bearer token-2") == 0) {
			rep->body = xstrdup("{\"who\":\"ok\"}");
		} else {
			rep->status = 401;
			rep->body = xstrdup("{\"kind\":\"Status\",\"message\":\"Unauthorized\","
					    "\"reason\":\"Unauthorized\",\"code\":401}");
		}
	} else {
		rep->status = 404;
		rep->body = xstrdup("{\"kind\":\"Status\",\"code\":404}");
	}
}

struct env {
	struct script sc;
	struct fake_api *api;
	struct loop *loop;
	struct kube_http *h;
};

static struct env *env_new(const char *user_yaml)
{
	struct env *e = xcalloc(1, sizeof(*e));
	struct err err;

	e->api = fake_api_start(handler, &e->sc);
	e->loop = loop_new();
	e->h = kube_http_new(e->loop, kt_config(fake_api_url(e->api), user_yaml), &err);
	assert_non_null(e->h);
	/* short delays keep the suite fast; the policy is the same */
	kube_http_set_retry(e->h, 40, 200, 3);
	return e;
}

static void env_free(struct env *e)
{
	kube_http_free(e->h);
	loop_free(e->loop);
	fake_api_stop(e->api);
	free(e);
}

/* ---- a recorder for results ---- */

struct rec {
	bool done;
	long status;
	char body[4096];
	char ctype[128];
	struct err err;
	char lines[16][64];
	size_t nlines;
	bool done_before_lines; /* a line came after done: a bug */
	struct kube_req *self;
	size_t cancel_after; /* cancel self after this many lines (0: never) */
};

static void rec_done(struct kube_response *resp, void *ud)
{
	struct rec *r = ud;

	r->done = true;
	r->status = resp->status;
	str_copy(r->body, sizeof(r->body), resp->body);
	str_copy(r->ctype, sizeof(r->ctype), resp->content_type ? resp->content_type : "");
	r->err = resp->err;
}

static void rec_line(const char *line, size_t len, void *ud)
{
	struct rec *r = ud;

	if (r->done)
		r->done_before_lines = true;
	if (r->nlines < 16) {
		snprintf(r->lines[r->nlines], sizeof(r->lines[0]), "%.*s", (int)len, line);
		r->nlines++;
	}
	if (r->cancel_after && r->nlines == r->cancel_after)
		kube_req_cancel(r->self);
}

static struct kube_req *send(struct env *e, const struct kube_request *rq, struct rec *r)
{
	struct err err = {{0}};
	struct kube_req *req;

	memset(r, 0, sizeof(*r));
	req = kube_http_request(e->h, rq, rec_done, r, &err);
	if (!req)
		fail_msg("request refused: %s", err.msg);
	r->self = req;
	/* never a callback from inside kube_http_request */
	assert_false(r->done);
	return req;
}

/* ---- tests ---- */

static void test_get_and_headers(void **state)
{
	struct env *e = env_new("    token: tok-abc\n");
	struct kube_request rq = {.path = "/echo?x=1", .retries = -1};
	struct rec r;
	struct fake_req seen;

	(void)state;
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	assert_false(err_isset(&r.err));
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"method\":\"GET\",\"len\":0}");
	assert_string_equal(r.ctype, "application/json");
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.uri, "/echo?x=1");
	assert_string_equal(seen.auth, "Bearer tok-abc");
	assert_string_equal(seen.accept, "application/json");
	fake_req_free(&seen);
	assert_int_equal(kube_http_pending(e->h), 0);
	env_free(e);
}

static void test_methods_and_bodies(void **state)
{
	struct env *e = env_new(NULL);
	static const char *const methods[] = {"POST", "PUT", "PATCH", "DELETE"};
	struct rec r;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct kube_request rq = {.method = methods[i],
					  .path = "/echo",
					  .body = "{\"spec\":{}}",
					  .body_len = 11,
					  .content_type = "application/merge-patch+json",
					  .retries = -1};
		struct fake_req seen;
		char want[64];

		send(e, &rq, &r);
		assert_true(kt_run_until(e->loop, &r.done, 5000));
		snprintf(want, sizeof(want), "{\"method\":\"%s\",\"len\":11}", methods[i]);
		assert_string_equal(r.body, want);
		fake_api_get(e->api, (unsigned)i, &seen);
		assert_string_equal(seen.ctype, "application/merge-patch+json");
		assert_string_equal(seen.body, "{\"spec\":{}}");
		assert_string_equal(seen.auth, "");
		fake_req_free(&seen);
	}
	/* a DELETE without a body */
	{
		struct kube_request rq = {.method = "DELETE", .path = "/echo", .retries = -1};

		send(e, &rq, &r);
		assert_true(kt_run_until(e->loop, &r.done, 5000));
		assert_string_equal(r.body, "{\"method\":\"DELETE\",\"len\":0}");
	}
	env_free(e);
}

static void test_bad_requests(void **state)
{
	struct env *e = env_new(NULL);
	struct err err = {{0}};
	struct kube_request bad_method = {.method = "TRACE", .path = "/x", .retries = -1};
	struct kube_request bad_path = {.path = "api/v1", .retries = -1};
	struct kube_request space = {.path = "/api/v1 x", .retries = -1};

	(void)state;
	assert_null(kube_http_request(e->h, &bad_method, rec_done, NULL, &err));
	assert_contains(err.msg, "unsupported HTTP method");
	assert_null(kube_http_request(e->h, &bad_path, rec_done, NULL, &err));
	assert_contains(err.msg, "must start with '/'");
	assert_null(kube_http_request(e->h, &space, rec_done, NULL, &err));
	env_free(e);
}

static void test_retry_get_on_5xx(void **state)
{
	struct env *e = env_new(NULL);
	struct kube_request rq = {.path = "/flaky", .retries = -1};
	struct rec r;

	(void)state;
	e->sc.fails_left = 2;
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	assert_int_equal(r.status, 200);
	assert_int_equal(fake_api_count(e->api), 3);

	/* the retries run out: the last answer is given */
	e->sc.fails_left = 10;
	rq.retries = 2;
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	assert_int_equal(r.status, 503);
	assert_false(err_isset(&r.err));
	assert_int_equal(fake_api_count(e->api), 6);

	/* not a GET: never retried */
	e->sc.fails_left = 1;
	{
		struct kube_request post = {.method = "POST", .path = "/flaky", .retries = -1};

		send(e, &post, &r);
		assert_true(kt_run_until(e->loop, &r.done, 5000));
		assert_int_equal(r.status, 503);
		assert_int_equal(fake_api_count(e->api), 7);
	}
	env_free(e);
}

static void test_retry_connection_refused(void **state)
{
	struct loop *loop = loop_new();
	char *url = xasprintf("http://127.0.0.1:%d", fake_closed_port());
	struct err err;
	struct kube_http *h = kube_http_new(loop, kt_config(url, NULL), &err);
	struct kube_request rq = {.path = "/api", .retries = -1};
	struct rec r;
	uint64_t t0;

	(void)state;
	kube_http_set_retry(h, 100, 400, 2);
	memset(&r, 0, sizeof(r));
	t0 = loop_now_ms();
	assert_non_null(kube_http_request(h, &rq, rec_done, &r, &err));
	assert_true(kt_run_until(loop, &r.done, 10000));
	/* two back-offs of at least 75 and 150 ms (the jitter is ±25%) */
	assert_true(loop_now_ms() - t0 >= 225);
	assert_int_equal(r.status, 0);
	assert_contains(r.err.msg, "GET /api: cannot reach http://127.0.0.1:");
	kube_http_free(h);
	loop_free(loop);
	free(url);
}

static void test_timeout(void **state)
{
	struct env *e = env_new(NULL);
	struct kube_request rq = {.path = "/slow", .timeout_ms = 300, .retries = -1};
	struct rec r;

	(void)state;
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 20000));
	assert_int_equal(r.status, 0);
	assert_contains(r.err.msg, "GET /slow: no answer from http://127.0.0.1:");
	/* a timed-out request is not sent again */
	assert_int_equal(fake_api_count(e->api), 1);

	/* a stream gets the same deadline for its headers */
	{
		struct kube_request st = {
		    .path = "/slow", .timeout_ms = 300, .on_line = rec_line, .retries = -1};

		send(e, &st, &r);
		assert_true(kt_run_until(e->loop, &r.done, 20000));
		assert_contains(r.err.msg, "GET /slow: no answer from http://127.0.0.1:");
		assert_contains(r.err.msg, "within 1 s");
	}
	env_free(e);
}

static void test_stream_lines(void **state)
{
	struct env *e = env_new(NULL);
	struct kube_request rq = {.path = "/lines", .on_line = rec_line, .retries = -1};
	struct rec r;

	(void)state;
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	assert_false(err_isset(&r.err));
	assert_int_equal(r.status, 200);
	assert_int_equal(r.nlines, 4);
	assert_string_equal(r.lines[0], "one");
	assert_string_equal(r.lines[1], "");
	assert_string_equal(r.lines[2], "two");
	assert_string_equal(r.lines[3], "three-no-newline");
	assert_string_equal(r.body, "");
	assert_false(r.done_before_lines);
	env_free(e);
}

static void test_stream_incremental(void **state)
{
	struct env *e = env_new(NULL);
	struct kube_request rq = {.path = "/lines-hold", .on_line = rec_line, .retries = -1};
	struct rec r;
	uint64_t t0 = loop_now_ms();

	(void)state;
	send(e, &rq, &r);
	/* both lines arrive while the server still holds the stream open */
	while (r.nlines < 2 && loop_now_ms() - t0 < 5000)
		loop_run_once(e->loop, 50);
	assert_int_equal(r.nlines, 2);
	assert_false(r.done);
	assert_string_equal(r.lines[1], "two");
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	assert_true(loop_now_ms() - t0 >= 750);
	assert_false(err_isset(&r.err));
	env_free(e);
}

static void test_stream_error_answer(void **state)
{
	struct env *e = env_new(NULL);
	struct kube_request rq = {.path = "/bad-stream", .on_line = rec_line, .retries = -1};
	struct rec r;

	(void)state;
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	assert_int_equal(r.status, 400);
	assert_int_equal(r.nlines, 0);
	assert_contains(r.body, "container nope is not valid");
	assert_false(err_isset(&r.err));
	env_free(e);
}

static void test_stream_dropped(void **state)
{
	struct env *e = env_new(NULL);
	struct kube_request rq = {.path = "/drop", .on_line = rec_line, .retries = -1};
	struct rec r;

	(void)state;
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	assert_int_equal(r.status, 200);
	assert_true(err_isset(&r.err));
	/* the complete line came; the cut one did not */
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.lines[0], "{\"a\":1}");
	env_free(e);
}

static void test_cancel(void **state)
{
	struct env *e = env_new(NULL);
	struct kube_request rq = {.path = "/lines-hold", .on_line = rec_line, .retries = -1};
	struct rec r;
	uint64_t t0;

	(void)state;
	/* from inside its own line callback */
	send(e, &rq, &r);
	r.cancel_after = 1;
	t0 = loop_now_ms();
	while (loop_now_ms() - t0 < 1200)
		loop_run_once(e->loop, 50);
	assert_int_equal(r.nlines, 1);
	assert_false(r.done);
	assert_int_equal(kube_http_pending(e->h), 0);

	/* before it started */
	send(e, &rq, &r);
	kube_req_cancel(r.self);
	t0 = loop_now_ms();
	while (loop_now_ms() - t0 < 200)
		loop_run_once(e->loop, 50);
	assert_false(r.done);
	assert_int_equal(r.nlines, 0);

	/* while running, from outside */
	send(e, &rq, &r);
	t0 = loop_now_ms();
	while (r.nlines == 0 && loop_now_ms() - t0 < 5000)
		loop_run_once(e->loop, 20);
	kube_req_cancel(r.self);
	t0 = loop_now_ms();
	while (loop_now_ms() - t0 < 1000)
		loop_run_once(e->loop, 50);
	assert_false(r.done);
	assert_int_equal(kube_http_pending(e->h), 0);

	/* freeing the client with requests in flight */
	send(e, &rq, &r);
	loop_run_once(e->loop, 50);
	env_free(e);
}

static void test_sync(void **state)
{
	struct env *e = env_new(NULL);
	struct kube_request rq = {.path = "/echo", .retries = -1};
	struct kube_response resp;

	(void)state;
	assert_true(kube_http_request_sync(e->h, &rq, &resp));
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "{\"method\":\"GET\",\"len\":0}");
	kube_response_free(&resp);
	rq.path = "bad";
	assert_false(kube_http_request_sync(e->h, &rq, &resp));
	assert_true(err_isset(&resp.err));
	kube_response_free(&resp);

	/* the CLI's way: a client with a private loop */
	{
		struct err err;
		struct kube_http *h =
		    kube_http_new(NULL, kt_config(fake_api_url(e->api), NULL), &err);

		assert_non_null(h);
		rq.path = "/echo";
		assert_true(kube_http_request_sync(h, &rq, &resp));
		assert_int_equal(resp.status, 200);
		kube_response_free(&resp);
		kube_http_free(h);
	}
	env_free(e);
}

static void test_basic_and_token_file(void **state)
{
	struct env *e = env_new("    username: admin\n    password: 'p@ss:word'\n");
	struct kube_request rq = {.path = "/echo", .retries = -1};
	struct rec r;
	struct fake_req seen;
	char *want = b64_encode((const unsigned char *)"admin:p@ss:word", 15);
	char *hdr = xasprintf("Basic %s", want);

	(void)state;
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.auth, hdr);
	fake_req_free(&seen);
	env_free(e);
	free(want);
	free(hdr);

	free(kt_write("http/token", "from-the-file\n"));
	e = env_new("    tokenFile: http/token\n");
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 5000));
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.auth, "Bearer from-the-file");
	fake_req_free(&seen);
	env_free(e);
}

static void test_exec_credentials(void **state)
{
	struct env *e;
	struct kube_request rq = {.path = "/auth", .retries = -1};
	struct rec r, r2;
	struct fake_req seen;
	char *count = xasprintf("%s/http/plugin.count", kt_dir());
	char *count_text;

	(void)state;
	free(kt_write_exec(
	    "http/plugin",
	    "#!/bin/sh\n"
	    "d=$(dirname \"$0\")\n"
	    "n=$(cat \"$d/plugin.count\" 2>/dev/null || echo 0)\n"
	    "n=$((n + 1))\n"
	    "echo $n > \"$d/plugin.count\"\n"
	    "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":"
	    "\"client.authentication.k8s.io/v1beta1\",\"status\":{\"token\":\"token-%s\"}}' $n\n"));
	e = env_new("    exec:\n"
		    "      apiVersion: client.authentication.k8s.io/v1beta1\n"
		    "      command: http/plugin\n");
	/* two requests share one plugin run; the first token is refused,
	 * so the plugin runs once more and both go through */
	send(e, &rq, &r);
	{
		struct err err;

		memset(&r2, 0, sizeof(r2));
		assert_non_null(kube_http_request(e->h, &rq, rec_done, &r2, &err));
	}
	assert_true(kt_run_until(e->loop, &r.done, 10000));
	assert_true(kt_run_until(e->loop, &r2.done, 10000));
	assert_int_equal(r.status, 200);
	assert_int_equal(r2.status, 200);
	count_text = kt_read(count);
	assert_string_equal(count_text, "2\n");
	free(count_text);
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.auth, "Bearer token-1");
	fake_req_free(&seen);
	fake_api_get(e->api, fake_api_count(e->api) - 1, &seen);
	assert_string_equal(seen.auth, "Bearer token-2");
	fake_req_free(&seen);

	/* the cached token serves the next request without a run */
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 10000));
	assert_int_equal(r.status, 200);
	count_text = kt_read(count);
	assert_string_equal(count_text, "2\n");
	free(count_text);
	env_free(e);

	/* a failing plugin fails the request, in words */
	free(kt_write_exec("http/broken", "#!/bin/sh\necho 'not logged in' >&2\nexit 1\n"));
	e = env_new("    exec:\n"
		    "      apiVersion: client.authentication.k8s.io/v1beta1\n"
		    "      command: http/broken\n");
	send(e, &rq, &r);
	assert_true(kt_run_until(e->loop, &r.done, 10000));
	assert_int_equal(r.status, 0);
	assert_contains(r.err.msg, "credentials: exec plugin ");
	assert_contains(r.err.msg, "failed with exit status 1: not logged in");
	assert_int_equal(fake_api_count(e->api), 0);
	env_free(e);
	free(count);
}

/* ---- a context that rides a tunnel (kube.tunnels and the route) ---- */

struct fake_route {
	int port; /* the answer; -1: refuse */
	char asked[300];
};

static int fake_route_fn(void *ud, const char *profile, const char *host, int port,
			 struct err *err)
{
	struct fake_route *fr = ud;

	snprintf(fr->asked, sizeof(fr->asked), "%s %s %d", profile, host, port);
	if (fr->port < 0)
		err_set(err, "tunnel %s: no port to bind", profile);
	return fr->port;
}

static void test_tunnel_route(void **state)
{
	struct fake_api *api = fake_api_start(handler, &(struct script){0});
	struct conf_kube_tunnel map[] = {{"t", "bastion"}};
	struct conf conf = {.kube_tunnels = map, .nkube_tunnels = 1};
	struct fake_route fr = {0};
	struct kube_request rq = {.path = "/echo", .retries = 0, .timeout_ms = 5000};
	struct kube_response resp;
	struct kube_http *h;
	struct err err = {{0}};
	char host[64], *tunnel;
	static const char proxied[] =
	    "current-context: t\n"
	    "clusters: [{name: c, cluster: {server: 'http://api.internal:8080', "
	    "proxy-url: 'http://127.0.0.1:9'}}]\n"
	    "contexts: [{name: t, context: {cluster: c}}]\n";

	(void)state;
	assert_true(net_http_url_endpoint(fake_api_url(api), host, sizeof(host), &fr.port, &err));
	kube_http_set_tunnels(&conf);
	tunnel = kube_http_tunnel_of("t");
	assert_string_equal(tunnel, "bastion");
	free(tunnel);
	assert_null(kube_http_tunnel_of("other"));

	/* no route installed: the tunnel cannot be had */
	assert_null(kube_http_new(NULL, kt_config("http://api.internal:8080", NULL), &err));
	assert_string_equal(err.msg, "context t: tunnel bastion: this program opens no tunnels");

	/* the route's port carries the requests; the server's own name and
	 * port are what it is asked for */
	route_install(fake_route_fn, &fr);
	h = kube_http_new(NULL, kt_config("http://api.internal:8080", NULL), &err);
	assert_non_null(h);
	assert_string_equal(fr.asked, "bastion api.internal 8080");
	assert_true(kube_http_request_sync(h, &rq, &resp));
	assert_int_equal(resp.status, 200);
	kube_response_free(&resp);
	kube_http_free(h);
	/* the scheme's port when the URL names none */
	h = kube_http_new(NULL, kt_config("https://api.internal", NULL), &err);
	assert_non_null(h);
	assert_string_equal(fr.asked, "bastion api.internal 443");
	kube_http_free(h);

	/* a route that refuses, and a proxy-url besides the tunnel */
	fr.port = -1;
	assert_null(kube_http_new(NULL, kt_config("http://api.internal:8080", NULL), &err));
	assert_string_equal(err.msg, "context t: tunnel bastion: no port to bind");
	assert_null(kube_http_new(
	    NULL, kubeconfig_parse("k", proxied, strlen(proxied), NULL, kt_dir(), &err), &err));
	assert_string_equal(err.msg, "context t: the kubeconfig's proxy-url and kube.tunnels "
				     "(tunnel bastion) both lead to http://api.internal:8080; use "
				     "one of them");

	route_install(NULL, NULL);
	kube_http_set_tunnels(NULL);
	assert_null(kube_http_tunnel_of("t"));
	fake_api_stop(api);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_and_headers),
	    cmocka_unit_test(test_methods_and_bodies),
	    cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_retry_get_on_5xx),
	    cmocka_unit_test(test_retry_connection_refused),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_stream_lines),
	    cmocka_unit_test(test_stream_incremental),
	    cmocka_unit_test(test_stream_error_answer),
	    cmocka_unit_test(test_stream_dropped),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_sync),
	    cmocka_unit_test(test_basic_and_token_file),
	    cmocka_unit_test(test_exec_credentials),
	    cmocka_unit_test(test_tunnel_route),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("http", tests, NULL, NULL);
	kt_cleanup();
	return rc;
}
