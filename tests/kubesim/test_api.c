/* Integration tests of kubesim's API over HTTP: selectors, pagination,
 * watch resume and 410 Gone, server-side apply idempotency and conflicts,
 * quota, errors in the real server's shapes, logs, fault injection,
 * access reviews, finalizers (objects and namespaces held by them), and
 * what a drill into a store sends (an object's events, a pod deleted, a
 * rollout restart).
 * Starts $KUBESIM itself (plain HTTP, fast pod phases). */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "util.h"

#define TOKEN "admin-token-123"
#define RO_TOKEN "viewer-token-123"

static pid_t ks_pid;
static unsigned ks_port;
static char ks_dir[] = "/tmp/kubesim-test-XXXXXX";

struct res {
	long code;
	struct buf body;
	CURLcode cc;
	double secs;
	char ctype[128];
};

static size_t on_body(char *p, size_t sz, size_t n, void *cls)
{
	buf_append(cls, p, sz * n);
	return sz * n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* body of len bytes (it may hold NULs: protobuf). */
static struct res call_len(const char *method, const char *path, const char *ctype,
			   const void *body, size_t len, const char *token, long timeout_ms)
{
	struct res r;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[1024], hdr[256];
	double t0 = now_s();
	char *ct = NULL;

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", ks_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	if (token) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, hdr);
	}
	if (ctype) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
	r.cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(r.ctype, sizeof(r.ctype), "%s", ct);
	r.secs = now_s() - t0;
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r;
}

static struct res call(const char *method, const char *path, const char *ctype, const char *body,
		       const char *token, long timeout_ms)
{
	return call_len(method, path, ctype, body, body ? strlen(body) : 0, token, timeout_ms);
}

static json_t *json_of(struct res *r)
{
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);

	if (!j)
		fail_msg("not JSON (HTTP %ld): %.300s", r->code, buf_str(&r->body));
	return j;
}

/* A request whose answer must be JSON with the given status code. */
static json_t *jcall(long want, const char *method, const char *path, const char *ctype,
		     const char *body)
{
	struct res r = call(method, path, ctype, body, TOKEN, 0);
	json_t *j;

	if (r.code != want)
		fail_msg("%s %s: HTTP %ld, wanted %ld: %.500s", method, path, r.code, want,
			 buf_str(&r.body));
	j = json_of(&r);
	buf_free(&r.body);
	return j;
}

static const char *jstr_at(json_t *j, const char *a, const char *b)
{
	json_t *x = json_object_get(j, a);

	return json_string_value(b ? json_object_get(x, b) : x);
}

static void create_ns(const char *name)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}",
		 name);
	json_decref(jcall(201, "POST", "/api/v1/namespaces", "application/json", body));
}

static void create_cm(const char *ns, const char *name, const char *labels)
{
	char body[512], path[256];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
		 "\"labels\":{%s}},\"data\":{\"k\":\"v\"}}",
		 name, labels);
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps", ns);
	json_decref(jcall(201, "POST", path, "application/json", body));
}

static size_t names(json_t *list, char out[][64], size_t max)
{
	json_t *items = json_object_get(list, "items"), *it;
	size_t i, n = 0;

	json_array_foreach(items, i, it)
	{
		if (n < max)
			snprintf(out[n++], 64, "%s",
				 json_string_value(
				     json_object_get(json_object_get(it, "metadata"), "name")));
	}
	return n;
}

/* Polls GET path until it answers `want` (or 10 s pass); the last code. */
static long await_code(const char *path, long want)
{
	double deadline = now_s() + 10;
	long code = 0;

	while (now_s() < deadline && code != want) {
		struct res r = call("GET", path, NULL, NULL, TOKEN, 0);

		code = r.code;
		buf_free(&r.body);
		if (code != want)
			usleep(20000);
	}
	return code;
}

static int start_kubesim(void **state)
{
	const char *bin = getenv("KUBESIM");
	char portfile[128];
	double deadline;

	(void)state;
	if (!bin || !mkdtemp(ks_dir))
		return -1;
	snprintf(portfile, sizeof(portfile), "%s/port", ks_dir);
	ks_pid = fork();
	if (ks_pid == 0) {
		/* Its "listening on" line would mix with this program's TAP output. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(bin, bin, "--http", "--token", TOKEN, "--ro-token", RO_TOKEN, "--port-file",
		      portfile, "--seed", "42", "--schedule-ms", "10", "--create-ms", "10",
		      "--start-ms", "10", "--ready-ms", "20", "--terminate-ms", "100",
		      "--ns-delete-ms", "100", "--watch-history", "200", "--log-rate", "50",
		      "--bookmark-ms", "200", (char *)NULL);
		_exit(127);
	}
	deadline = now_s() + 10;
	while (now_s() < deadline) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			int ok = fscanf(f, "%u", &ks_port) == 1;

			fclose(f);
			if (ok)
				return 0;
		}
		usleep(20000);
	}
	return -1;
}

static int stop_kubesim(void **state)
{
	int status = 0;
	char cmd[256];

	(void)state;
	kill(ks_pid, SIGTERM);
	waitpid(ks_pid, &status, 0);
	snprintf(cmd, sizeof(cmd), "%s/port", ks_dir);
	unlink(cmd);
	rmdir(ks_dir);
	/* A leak or a crash at shutdown fails the group. */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void test_errors_shapes(void **state)
{
	struct res r;
	json_t *j;

	(void)state;
	r = call("GET", "/api/v1/namespaces", NULL, NULL, NULL, 0);
	assert_int_equal(r.code, 401);
	j = json_of(&r);
	assert_string_equal(jstr_at(j, "reason", NULL), "Unauthorized");
	json_decref(j);
	buf_free(&r.body);

	j = jcall(404, "GET", "/api/v1/namespaces/default/pods/nope", NULL, NULL);
	assert_string_equal(jstr_at(j, "message", NULL), "pods \"nope\" not found");
	assert_string_equal(jstr_at(j, "reason", NULL), "NotFound");
	assert_string_equal(jstr_at(j, "details", "kind"), "pods");
	json_decref(j);

	create_ns("errs");
	j = jcall(
	    409, "POST", "/api/v1/namespaces", "application/json",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"errs\"}}");
	assert_string_equal(jstr_at(j, "message", NULL), "namespaces \"errs\" already exists");
	assert_string_equal(jstr_at(j, "reason", NULL), "AlreadyExists");
	json_decref(j);

	j = jcall(
	    422, "POST", "/api/v1/namespaces", "application/json",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"Bad_Name\"}}");
	assert_string_equal(jstr_at(j, "reason", NULL), "Invalid");
	assert_non_null(strstr(jstr_at(j, "message", NULL),
			       "Namespace \"Bad_Name\" is invalid: metadata.name: Invalid value: "
			       "\"Bad_Name\": a lowercase RFC 1123 label"));
	json_decref(j);

	j = jcall(400, "POST", "/api/v1/namespaces", "application/json", "{not json");
	assert_string_equal(jstr_at(j, "reason", NULL), "BadRequest");
	json_decref(j);

	r = call("DELETE", "/api/v1/namespaces/errs", NULL, NULL, RO_TOKEN, 0);
	assert_int_equal(r.code, 403);
	j = json_of(&r);
	assert_string_equal(jstr_at(j, "message", NULL),
			    "namespaces \"errs\" is forbidden: User \"viewer\" cannot delete "
			    "resource \"namespaces\" in API group \"\" at the cluster scope");
	json_decref(j);
	buf_free(&r.body);

	/* A namespace being deleted answers Terminating, then goes. */
	j = jcall(200, "DELETE", "/api/v1/namespaces/errs", NULL, NULL);
	assert_string_equal(jstr_at(j, "status", "phase"), "Terminating");
	assert_non_null(jstr_at(j, "metadata", "deletionTimestamp"));
	json_decref(j);
	j = jcall(403, "POST", "/api/v1/namespaces/errs/configmaps", "application/json",
		  "{\"metadata\":{\"name\":\"late\"}}");
	assert_non_null(strstr(jstr_at(j, "message", NULL), "because it is being terminated"));
	json_decref(j);
	assert_int_equal(await_code("/api/v1/namespaces/errs", 404), 404);
}

static void test_selectors(void **state)
{
	char got[16][64];
	json_t *j;
	size_t n;

	(void)state;
	create_ns("sel");
	create_cm("sel", "a", "\"app\":\"web\",\"tier\":\"front\"");
	create_cm("sel", "b", "\"app\":\"web\",\"tier\":\"back\"");
	create_cm("sel", "c", "\"app\":\"db\"");
	create_cm("sel", "d", "");

#define LIST(q) jcall(200, "GET", "/api/v1/namespaces/sel/configmaps?" q, NULL, NULL)
	j = LIST("labelSelector=app%3Dweb");
	n = names(j, got, 16);
	json_decref(j);
	assert_int_equal(n, 2);
	assert_string_equal(got[0], "a");
	assert_string_equal(got[1], "b");

	j = LIST("labelSelector=app!%3Dweb");
	n = names(j, got, 16);
	json_decref(j);
	assert_int_equal(n, 2); /* c, and d without the label */
	assert_string_equal(got[0], "c");
	assert_string_equal(got[1], "d");

	j = LIST("labelSelector=tier%20in%20(front,side)");
	n = names(j, got, 16);
	json_decref(j);
	assert_int_equal(n, 1);
	assert_string_equal(got[0], "a");

	j = LIST("labelSelector=app%20notin%20(web)");
	assert_int_equal(names(j, got, 16), 2);
	json_decref(j);

	j = LIST("labelSelector=tier");
	assert_int_equal(names(j, got, 16), 2);
	json_decref(j);

	j = LIST("labelSelector=!app");
	n = names(j, got, 16);
	json_decref(j);
	assert_int_equal(n, 1);
	assert_string_equal(got[0], "d");

	j = LIST("labelSelector=app%3Dweb,tier%3Dback");
	n = names(j, got, 16);
	json_decref(j);
	assert_int_equal(n, 1);
	assert_string_equal(got[0], "b");

	j = LIST("fieldSelector=metadata.name%3Dc");
	n = names(j, got, 16);
	json_decref(j);
	assert_int_equal(n, 1);
	assert_string_equal(got[0], "c");

	j = LIST("fieldSelector=metadata.name!%3Dc,metadata.namespace%3Dsel");
	assert_int_equal(names(j, got, 16), 3);
	json_decref(j);

	j = jcall(400, "GET", "/api/v1/namespaces/sel/configmaps?fieldSelector=data.k%3Dv", NULL,
		  NULL);
	assert_string_equal(jstr_at(j, "message", NULL), "field label not supported: data.k");
	json_decref(j);
	j = jcall(400, "GET", "/api/v1/namespaces/sel/configmaps?labelSelector=app%20in%20web",
		  NULL, NULL);
	assert_string_equal(jstr_at(j, "reason", NULL), "BadRequest");
	json_decref(j);
	/* Across namespaces. */
	j = jcall(200, "GET", "/api/v1/configmaps?labelSelector=app%3Ddb", NULL, NULL);
	assert_int_equal(names(j, got, 16), 1);
	json_decref(j);
#undef LIST
}

static void test_pagination(void **state)
{
	char got[64][64], path[1024], seen[64][64];
	size_t total = 0, pages = 0;
	const char *cont = NULL;
	json_t *j = NULL;

	(void)state;
	create_ns("page");
	for (int i = 0; i < 23; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cm-%02d", i);
		create_cm("page", name, "\"set\":\"p\"");
	}
	do {
		size_t n;
		char *tok = cont ? curl_easy_escape(NULL, cont, 0) : NULL;

		snprintf(path, sizeof(path), "/api/v1/namespaces/page/configmaps?limit=10%s%s",
			 tok ? "&continue=" : "", tok ? tok : "");
		curl_free(tok);
		json_decref(j);
		j = jcall(200, "GET", path, NULL, NULL);
		n = names(j, got, 64);
		assert_true(n <= 10);
		for (size_t i = 0; i < n; i++)
			memcpy(seen[total++], got[i], sizeof(got[i]));
		cont = jstr_at(j, "metadata", "continue");
		if (cont && pages == 0)
			assert_int_equal(json_integer_value(json_object_get(
					     json_object_get(j, "metadata"), "remainingItemCount")),
					 13);
		pages++;
	} while (cont && pages < 10);
	json_decref(j);
	assert_int_equal(pages, 3);
	assert_int_equal(total, 23);
	for (size_t i = 1; i < total; i++)
		assert_true(strcmp(seen[i - 1], seen[i]) < 0);

	/* With a selector the pages hold only matches. */
	j = jcall(200, "GET", "/api/v1/namespaces/page/configmaps?limit=5&labelSelector=set%3Dp",
		  NULL, NULL);
	assert_int_equal(names(j, got, 64), 5);
	assert_non_null(jstr_at(j, "metadata", "continue"));
	json_decref(j);

	j = jcall(400, "GET", "/api/v1/namespaces/page/configmaps?limit=5&continue=%21%21", NULL,
		  NULL);
	assert_non_null(strstr(jstr_at(j, "message", NULL), "continue key is not valid"));
	json_decref(j);
	j = jcall(400, "GET", "/api/v1/namespaces/page/configmaps?limit=ten", NULL, NULL);
	json_decref(j);
}

/* Reads a watch until the server ends it; returns the event lines. */
static json_t *watch_events(const char *path, struct res *raw)
{
	json_t *events = json_array();
	const char *p;

	*raw = call("GET", path, NULL, NULL, TOKEN, 8000);
	p = raw->body.data ? raw->body.data : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		json_t *e;

		if (!nl)
			break;
		e = json_loadb(p, (size_t)(nl - p), 0, NULL);
		if (!e)
			fail_msg("watch line is not JSON: %.200s", p);
		json_array_append_new(events, e);
		p = nl + 1;
	}
	return events;
}

static void test_watch(void **state)
{
	json_t *j, *ev, *events;
	struct res raw;
	char path[256], rv[32];
	size_t i;
	bool added = false, modified = false, deleted = false, bookmark = false;

	(void)state;
	create_ns("watch");
	j = jcall(200, "GET", "/api/v1/namespaces/watch/configmaps", NULL, NULL);
	snprintf(rv, sizeof(rv), "%s", jstr_at(j, "metadata", "resourceVersion"));
	json_decref(j);
	create_cm("watch", "w1", "\"x\":\"1\"");
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/watch/configmaps/w1",
			  "application/merge-patch+json", "{\"data\":{\"k\":\"changed\"}}"));
	json_decref(jcall(200, "DELETE", "/api/v1/namespaces/watch/configmaps/w1", NULL, NULL));
	snprintf(path, sizeof(path),
		 "/api/v1/namespaces/watch/configmaps?watch=1&resourceVersion=%s&timeoutSeconds=1"
		 "&allowWatchBookmarks=true",
		 rv);
	events = watch_events(path, &raw);
	assert_int_equal(raw.code, 200);
	assert_int_equal(raw.cc, CURLE_OK);
	json_array_foreach(events, i, ev)
	{
		const char *type = jstr_at(ev, "type", NULL);

		added = added || strcmp(type, "ADDED") == 0;
		modified = modified || strcmp(type, "MODIFIED") == 0;
		deleted = deleted || strcmp(type, "DELETED") == 0;
		bookmark = bookmark || strcmp(type, "BOOKMARK") == 0;
	}
	assert_true(added && modified && deleted);
	assert_true(bookmark);
	json_decref(events);
	buf_free(&raw.body);

	/* Without a resourceVersion the current objects arrive as ADDED first. */
	create_cm("watch", "w2", "\"x\":\"2\"");
	events =
	    watch_events("/api/v1/namespaces/watch/configmaps?watch=true&timeoutSeconds=1", &raw);
	assert_true(json_array_size(events) >= 1);
	assert_string_equal(jstr_at(json_array_get(events, 0), "type", NULL), "ADDED");
	json_decref(events);
	buf_free(&raw.body);

	/* Push the history window (200 events) past the first resourceVersion. */
	for (int k = 0; k < 210; k++)
		json_decref(jcall(200, "PATCH", "/api/v1/namespaces/watch/configmaps/w2",
				  "application/merge-patch+json",
				  k % 2 ? "{\"data\":{\"k\":\"a\"}}" : "{\"data\":{\"k\":\"b\"}}"));
	events = watch_events(path, &raw);
	assert_int_equal(raw.code, 200);
	assert_int_equal(json_array_size(events), 1);
	ev = json_array_get(events, 0);
	assert_string_equal(jstr_at(ev, "type", NULL), "ERROR");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "object"), "code")),
			 410);
	assert_string_equal(jstr_at(json_object_get(ev, "object"), "reason", NULL), "Expired");
	assert_non_null(strstr(jstr_at(json_object_get(ev, "object"), "message", NULL),
			       "too old resource version"));
	json_decref(events);
	buf_free(&raw.body);

	snprintf(
	    path, sizeof(path),
	    "/api/v1/namespaces/watch/configmaps?resourceVersion=%s&resourceVersionMatch=Exact",
	    rv);
	j = jcall(410, "GET", path, NULL, NULL);
	assert_string_equal(jstr_at(j, "reason", NULL), "Expired");
	json_decref(j);
}

/* A watch with a selector hears an object that stops matching as DELETED
 * (its content before the change, at the change's resourceVersion) and one
 * that starts matching as ADDED, as the real watch cache sends them. */
static void test_watch_selector_transitions(void **state)
{
	json_t *j, *events, *ev, *obj;
	struct res raw;
	char path[256], rv[32], rv_off[32], rv_on[32];
	static const char *const want[] = {"MODIFIED", "DELETED", "ADDED", "DELETED"};

	(void)state;
	create_ns("wsel");
	create_cm("wsel", "s1", "\"tier\":\"web\"");
	create_cm("wsel", "s2", "\"tier\":\"db\"");
	j = jcall(200, "GET", "/api/v1/namespaces/wsel/configmaps", NULL, NULL);
	snprintf(rv, sizeof(rv), "%s", jstr_at(j, "metadata", "resourceVersion"));
	json_decref(j);
	/* a change while it matches, then it stops matching */
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/wsel/configmaps/s1",
			  "application/merge-patch+json", "{\"data\":{\"k\":\"changed\"}}"));
	j = jcall(200, "PATCH", "/api/v1/namespaces/wsel/configmaps/s1",
		  "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"tier\":\"db\"}}}");
	snprintf(rv_off, sizeof(rv_off), "%s", jstr_at(j, "metadata", "resourceVersion"));
	json_decref(j);
	/* s2, which never matched, starts to */
	j = jcall(200, "PATCH", "/api/v1/namespaces/wsel/configmaps/s2",
		  "application/merge-patch+json", "{\"metadata\":{\"labels\":{\"tier\":\"web\"}}}");
	snprintf(rv_on, sizeof(rv_on), "%s", jstr_at(j, "metadata", "resourceVersion"));
	json_decref(j);
	/* a change of s1 while it does not match: nothing */
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/wsel/configmaps/s1",
			  "application/merge-patch+json", "{\"data\":{\"k\":\"w\"}}"));
	/* s2 stops matching by losing the label */
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/wsel/configmaps/s2",
			  "application/merge-patch+json", "{\"metadata\":{\"labels\":null}}"));

	snprintf(path, sizeof(path),
		 "/api/v1/namespaces/wsel/configmaps?watch=1&labelSelector=tier%%3Dweb"
		 "&resourceVersion=%s&timeoutSeconds=1",
		 rv);
	events = watch_events(path, &raw);
	assert_int_equal(raw.code, 200);
	assert_int_equal(json_array_size(events), ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		assert_string_equal(jstr_at(json_array_get(events, i), "type", NULL), want[i]);

	/* s1's DELETED: the object as it was (still labelled web), at the
	 * version of the change that made it stop matching */
	ev = json_array_get(events, 1);
	obj = json_object_get(ev, "object");
	assert_string_equal(jstr_at(obj, "metadata", "name"), "s1");
	assert_string_equal(jstr_at(obj, "metadata", "resourceVersion"), rv_off);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "labels"), "tier")),
	    "web");
	/* s2's ADDED: the object as it is now */
	obj = json_object_get(json_array_get(events, 2), "object");
	assert_string_equal(jstr_at(obj, "metadata", "name"), "s2");
	assert_string_equal(jstr_at(obj, "metadata", "resourceVersion"), rv_on);
	obj = json_object_get(json_array_get(events, 3), "object");
	assert_string_equal(jstr_at(obj, "metadata", "name"), "s2");
	json_decref(events);
	buf_free(&raw.body);

	/* without a selector the same changes are all MODIFIED */
	snprintf(path, sizeof(path),
		 "/api/v1/namespaces/wsel/configmaps?watch=1&resourceVersion=%s&timeoutSeconds=1",
		 rv);
	events = watch_events(path, &raw);
	assert_int_equal(json_array_size(events), 5);
	{
		size_t k;

		json_array_foreach(events, k, ev)
			assert_string_equal(jstr_at(ev, "type", NULL), "MODIFIED");
	}
	json_decref(events);
	buf_free(&raw.body);
}

/* Waits until a deployment reports `want` ready replicas for its current generation. */
static void wait_ready(const char *ns, const char *name, long want)
{
	double deadline = now_s() + 15;
	long ready = -1;
	char path[256], last[512] = "";

	snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/deployments/%s", ns, name);
	while (now_s() < deadline) {
		json_t *j = jcall(200, "GET", path, NULL, NULL);
		json_t *st = json_object_get(j, "status");
		bool settled = json_integer_value(json_object_get(st, "observedGeneration")) ==
			       json_integer_value(
				   json_object_get(json_object_get(j, "metadata"), "generation"));

		ready = (long)json_integer_value(json_object_get(st, "readyReplicas"));
		{
			char *txt = json_dumps(st, JSON_COMPACT);

			snprintf(last, sizeof(last), "%.200s gen %lld", txt,
				 (long long)json_integer_value(json_object_get(
				     json_object_get(j, "metadata"), "generation")));
			free(txt);
		}
		settled = settled && ready == want &&
			  json_integer_value(json_object_get(st, "replicas")) == want;
		json_decref(j);
		if (settled)
			return;
		usleep(20000);
	}
	fail_msg("deployment %s/%s: %ld ready, wanted %ld: %s", ns, name, ready, want, last);
}

static const char deploy_yaml[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ssa, labels: "
    "{app: web}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n"
    "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n"
    "        image: nginx:1.25\n        ports: [{containerPort: 80}]\n";

static void test_apply(void **state)
{
	const char *path = "/apis/apps/v1/namespaces/ssa/deployments/web?fieldManager=opsdeck";
	json_t *a, *b, *j;
	char rv[32], bad[sizeof(deploy_yaml) + 64];
	struct res r;

	(void)state;
	create_ns("ssa");
	a = jcall(201, "PATCH", path, "application/apply-patch+yaml", deploy_yaml);
	assert_string_equal(
	    jstr_at(
		json_array_get(json_object_get(json_object_get(a, "metadata"), "managedFields"), 0),
		"manager", NULL),
	    "opsdeck");
	json_decref(a);
	wait_ready("ssa", "web", 2);
	a = jcall(200, "GET", "/apis/apps/v1/namespaces/ssa/deployments/web", NULL, NULL);
	snprintf(rv, sizeof(rv), "%s", jstr_at(a, "metadata", "resourceVersion"));
	b = jcall(200, "PATCH", path, "application/apply-patch+yaml", deploy_yaml);
	assert_string_equal(jstr_at(b, "metadata", "resourceVersion"), rv);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(b, "metadata"), "generation")), 1);
	json_decref(a);
	json_decref(b);

	/* Another manager takes .spec.replicas through the scale subresource. */
	j = jcall(200, "PATCH",
		  "/apis/apps/v1/namespaces/ssa/deployments/web/scale?fieldManager=ops",
		  "application/merge-patch+json", "{\"spec\":{\"replicas\":3}}");
	assert_string_equal(jstr_at(j, "kind", NULL), "Scale");
	json_decref(j);
	j = jcall(409, "PATCH", path, "application/apply-patch+yaml", deploy_yaml);
	assert_string_equal(jstr_at(j, "reason", NULL), "Conflict");
	assert_non_null(strstr(jstr_at(j, "message", NULL), "Apply failed with 1 conflict: "
							    "conflict with \"ops\""));
	assert_non_null(strstr(jstr_at(j, "message", NULL), ".spec.replicas"));
	json_decref(j);
	j = jcall(200, "PATCH",
		  "/apis/apps/v1/namespaces/ssa/deployments/web?fieldManager=opsdeck&force=true",
		  "application/apply-patch+yaml", deploy_yaml);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "spec"), "replicas")), 2);
	json_decref(j);

	/* An unknown field is refused as the real server refuses it. */
	snprintf(bad, sizeof(bad), "%s", deploy_yaml);
	{
		char *p = strstr(bad, "80}]");

		snprintf(p, sizeof(bad) - (size_t)(p - bad), "80, protocl: TCP}]\n");
	}
	r = call("PATCH", path, "application/apply-patch+yaml", bad, TOKEN, 0);
	assert_int_equal(r.code, 500);
	assert_non_null(strstr(buf_str(&r.body),
			       ".spec.template.spec.containers[name=\\\"web\\\"].ports["
			       "containerPort=80,protocol=\\\"TCP\\\"].protocl: field not declared "
			       "in schema"));
	buf_free(&r.body);

	j = jcall(422, "PATCH", "/apis/apps/v1/namespaces/ssa/deployments/web",
		  "application/apply-patch+yaml", deploy_yaml);
	assert_non_null(strstr(jstr_at(j, "message", NULL), "fieldManager: Required value"));
	json_decref(j);

	/* The controllers keep status true after the forced apply too. */
	wait_ready("ssa", "web", 2);
}

static void pod_body(char *out, size_t n, const char *name)
{
	snprintf(out, n,
		 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
		 "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}",
		 name);
}

/* Waits until a pod is marked for deletion or gone. */
static void wait_leaving(const char *ns, const char *name)
{
	char path[256];
	double deadline = now_s() + 15;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, name);
	while (now_s() < deadline) {
		struct res r = call("GET", path, NULL, NULL, TOKEN, 0);
		json_t *j;
		bool leaving;

		if (r.code == 404) {
			buf_free(&r.body);
			return;
		}
		if (r.code != 200)
			fail_msg("GET %s: HTTP %ld: %.300s", path, r.code, buf_str(&r.body));
		j = json_of(&r);
		buf_free(&r.body);
		leaving = jstr_at(j, "metadata", "deletionTimestamp") != NULL;
		json_decref(j);
		if (leaving)
			return;
		usleep(20000);
	}
	fail_msg("pod %s/%s was never deleted", ns, name);
}

static void wait_running(const char *ns, const char *name)
{
	char path[256];
	double deadline = now_s() + 15;
	json_t *j;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, name);
	while (now_s() < deadline) {
		const char *phase;
		struct res r = call("GET", path, NULL, NULL, TOKEN, 0);

		/* The controller may not have created the pod yet: 404 is a wait. */
		if (r.code == 404) {
			buf_free(&r.body);
			usleep(20000);
			continue;
		}
		if (r.code != 200)
			fail_msg("GET %s: HTTP %ld: %.300s", path, r.code, buf_str(&r.body));
		j = json_of(&r);
		buf_free(&r.body);
		phase = jstr_at(j, "status", "phase");
		if (phase && strcmp(phase, "Running") == 0) {
			json_decref(j);
			return;
		}
		json_decref(j);
		usleep(20000);
	}
	fail_msg("pod %s/%s never ran", ns, name);
}

static void test_status_and_scale(void **state)
{
	json_t *j;

	(void)state;
	create_ns("sub");
	json_decref(
	    jcall(201, "POST", "/apis/kafka.strimzi.io/v1beta2/namespaces/sub/kafkatopics",
		  "application/json",
		  "{\"metadata\":{\"name\":\"t\",\"labels\":{\"strimzi.io/cluster\":\"c\"}},"
		  "\"spec\":{\"partitions\":3,\"replicas\":1}}"));
	/* The main resource ignores status; the status subresource only takes status. */
	j = jcall(200, "PATCH", "/apis/kafka.strimzi.io/v1beta2/namespaces/sub/kafkatopics/t",
		  "application/merge-patch+json",
		  "{\"spec\":{\"partitions\":4},\"status\":{\"topicName\":\"main\"}}");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "spec"), "partitions")), 4);
	assert_true(jstr_at(j, "status", "topicName") == NULL ||
		    strcmp(jstr_at(j, "status", "topicName"), "main") != 0);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "metadata"), "generation")), 2);
	json_decref(j);
	j = jcall(200, "PATCH",
		  "/apis/kafka.strimzi.io/v1beta2/namespaces/sub/kafkatopics/t/status",
		  "application/merge-patch+json",
		  "{\"spec\":{\"partitions\":9},\"status\":{\"topicName\":\"from-status\"}}");
	assert_string_equal(jstr_at(j, "status", "topicName"), "from-status");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "spec"), "partitions")), 4);
	json_decref(j);
	j = jcall(200, "GET", "/apis/kafka.strimzi.io/v1beta2/namespaces/sub/kafkatopics/t/status",
		  NULL, NULL);
	assert_string_equal(jstr_at(j, "kind", NULL), "KafkaTopic");
	json_decref(j);

	/* Scale of a statefulset: GET, PUT, and pods follow from the highest ordinal. */
	json_decref(jcall(201, "POST", "/apis/apps/v1/namespaces/sub/statefulsets",
			  "application/json",
			  "{\"metadata\":{\"name\":\"db\"},\"spec\":{\"replicas\":2,"
			  "\"podManagementPolicy\":\"Parallel\",\"selector\":{\"matchLabels\":{"
			  "\"app\":\"db\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":"
			  "\"db\"}},\"spec\":{\"containers\":[{\"name\":\"db\",\"image\":"
			  "\"postgres:16\"}]}}}}"));
	wait_running("sub", "db-1");
	j = jcall(200, "GET", "/apis/apps/v1/namespaces/sub/statefulsets/db/scale", NULL, NULL);
	assert_string_equal(jstr_at(j, "apiVersion", NULL), "autoscaling/v1");
	assert_string_equal(jstr_at(j, "status", "selector"), "app=db");
	json_decref(j);
	json_decref(jcall(200, "PUT", "/apis/apps/v1/namespaces/sub/statefulsets/db/scale",
			  "application/json",
			  "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{"
			  "\"name\":\"db\",\"namespace\":\"sub\"},\"spec\":{\"replicas\":1}}"));
	/* The highest ordinal goes (the controller acts after the answer, as
	 * the real one does). */
	wait_leaving("sub", "db-1");
	j = jcall(422, "PATCH", "/apis/apps/v1/namespaces/sub/statefulsets/db/scale",
		  "application/merge-patch+json", "{\"spec\":{\"replicas\":-1}}");
	assert_string_equal(jstr_at(j, "reason", NULL), "Invalid");
	json_decref(j);
}

/* The name of the one Running, not deleting pod with label app=LABEL, or
 * "" (the test fails) after 15 s; not the pod named but. */
static void running_pod(const char *ns, const char *label, const char *but, char *out,
			size_t outsz)
{
	char path[256];
	double deadline = now_s() + 15;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=app%%3D%s", ns,
		 label);
	while (now_s() < deadline) {
		json_t *j = jcall(200, "GET", path, NULL, NULL), *x;
		size_t i;

		json_array_foreach(json_object_get(j, "items"), i, x)
		{
			const char *name = jstr_at(x, "metadata", "name");

			if (jstr_at(x, "status", "phase") && strcmp(jstr_at(x, "status", "phase"), "Running") == 0 &&
			    !jstr_at(x, "metadata", "deletionTimestamp") && strcmp(name, but) != 0) {
				snprintf(out, outsz, "%s", name);
				json_decref(j);
				return;
			}
		}
		json_decref(j);
		usleep(20000);
	}
	fail_msg("no running pod app=%s in %s", label, ns);
}

/* What a drill into an object sends: an object's events by field selector
 * (the kubelet's, oldest first by resourceVersion), a pod deleted (the
 * answer is the pod, terminating; its ReplicaSet makes another), and a
 * rollout restart as a merge patch of the pod template's annotations (a
 * new ReplicaSet for the new template). */
static void test_drill(void **state)
{
	static const char *const want[] = { "Scheduled", "Pulling", "Pulled", "Created",
					    "Started" };
	char pod[128], pod2[128], path[512];
	const char *reasons[5];
	long rvs[5];
	json_t *j, *x;
	size_t i, n = 0;

	(void)state;
	create_ns("drill");
	json_decref(jcall(201, "POST", "/apis/apps/v1/namespaces/drill/deployments",
			  "application/json",
			  "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":1,"
			  "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{"
			  "\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
			  "[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}"));
	running_pod("drill", "web", "", pod, sizeof(pod));
	snprintf(path, sizeof(path),
		 "/api/v1/namespaces/drill/events?fieldSelector=involvedObject.name%%3D%s%%2C"
		 "involvedObject.kind%%3DPod",
		 pod);
	j = jcall(200, "GET", path, NULL, NULL);
	assert_string_equal(jstr_at(j, "kind", NULL), "EventList");
	/* listed by name, as etcd keeps them: their order is their versions' */
	json_array_foreach(json_object_get(j, "items"), i, x)
	{
		long rv = strtol(jstr_at(x, "metadata", "resourceVersion"), NULL, 10);
		size_t at = n;

		assert_string_equal(jstr_at(x, "involvedObject", "name"), pod);
		assert_string_equal(jstr_at(x, "involvedObject", "kind"), "Pod");
		assert_true(n < 5);
		while (at > 0 && rvs[at - 1] > rv) {
			rvs[at] = rvs[at - 1];
			reasons[at] = reasons[at - 1];
			at--;
		}
		rvs[at] = rv;
		reasons[at] = jstr_at(x, "reason", NULL);
		n++;
	}
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		assert_string_equal(reasons[i], want[i]);
	json_decref(j);
	/* a field the server does not index is refused */
	j = jcall(400, "GET", "/api/v1/namespaces/drill/events?fieldSelector=involvedObject.x%3Dy",
		  NULL, NULL);
	assert_string_equal(jstr_at(j, "reason", NULL), "BadRequest");
	json_decref(j);

	snprintf(path, sizeof(path), "/api/v1/namespaces/drill/pods/%s", pod);
	j = jcall(200, "DELETE", path, NULL, NULL);
	assert_string_equal(jstr_at(j, "kind", NULL), "Pod");
	assert_non_null(jstr_at(j, "metadata", "deletionTimestamp"));
	json_decref(j);
	running_pod("drill", "web", pod, pod2, sizeof(pod2));
	assert_string_not_equal(pod, pod2);

	j = jcall(200, "PATCH", "/apis/apps/v1/namespaces/drill/deployments/web",
		  "application/merge-patch+json",
		  "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
		  "\"kubectl.kubernetes.io/restartedAt\":\"2026-12-03T05:30:00Z\"}}}}}");
	x = json_object_get(json_object_get(json_object_get(j, "spec"), "template"), "metadata");
	assert_string_equal(jstr_at(x, "annotations", "kubectl.kubernetes.io/restartedAt"),
			    "2026-12-03T05:30:00Z");
	assert_string_equal(jstr_at(x, "labels", "app"), "web");
	json_decref(j);
	/* the new template's pod replaces the old one */
	running_pod("drill", "web", pod2, pod, sizeof(pod));
	assert_string_not_equal(pod, pod2);
	j = jcall(200, "GET", "/apis/apps/v1/namespaces/drill/replicasets", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
	json_decref(j);
}

static void test_quota(void **state)
{
	char body[512];
	json_t *j;
	double deadline;
	const char *used = NULL;

	(void)state;
	create_ns("quota");
	json_decref(jcall(201, "POST", "/api/v1/namespaces/quota/resourcequotas",
			  "application/json",
			  "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"hard\":{\"pods\":\"2\"}}}"));
	for (int i = 0; i < 2; i++) {
		char name[8];

		snprintf(name, sizeof(name), "p%d", i);
		pod_body(body, sizeof(body), name);
		json_decref(
		    jcall(201, "POST", "/api/v1/namespaces/quota/pods", "application/json", body));
	}
	pod_body(body, sizeof(body), "p2");
	j = jcall(403, "POST", "/api/v1/namespaces/quota/pods", "application/json", body);
	assert_string_equal(jstr_at(j, "message", NULL),
			    "pods \"p2\" is forbidden: exceeded quota: q, requested: pods=1, used: "
			    "pods=2, limited: pods=2");
	json_decref(j);
	deadline = now_s() + 15;
	j = NULL;
	while (now_s() < deadline) {
		json_decref(j);
		j = jcall(200, "GET", "/api/v1/namespaces/quota/resourcequotas/q", NULL, NULL);
		used = json_string_value(
		    json_object_get(json_object_get(json_object_get(j, "status"), "used"), "pods"));
		if (used && strcmp(used, "2") == 0)
			break;
		usleep(20000);
	}
	assert_non_null(used);
	assert_string_equal(used, "2");
	json_decref(j);

	/* A deployment beyond the quota stops at it and says why in an event. */
	json_decref(jcall(201, "POST", "/apis/apps/v1/namespaces/quota/deployments",
			  "application/json",
			  "{\"metadata\":{\"name\":\"big\"},\"spec\":{\"replicas\":3,\"selector\":{"
			  "\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{"
			  "\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
			  "\"nginx\"}]}}}}"));
	deadline = now_s() + 15;
	j = NULL;
	while (now_s() < deadline) {
		json_decref(j);
		j = jcall(200, "GET",
			  "/api/v1/namespaces/quota/events?fieldSelector=reason%3DFailedCreate",
			  NULL, NULL);
		if (json_array_size(json_object_get(j, "items")))
			break;
		usleep(20000);
	}
	assert_true(json_array_size(json_object_get(j, "items")) > 0);
	assert_non_null(
	    strstr(jstr_at(json_array_get(json_object_get(j, "items"), 0), "message", NULL),
		   "exceeded quota: q"));
	json_decref(j);
}

#define LOG_DB "/api/v1/namespaces/logs/pods/db/log?container=mysql"

/* A line that starts with kubesim's timestamp (nanoseconds: "...:SS.123456789Z "); MySQL's
 * own time has microseconds. */
static bool stamped(const char *line)
{
	return strlen(line) > 31 && line[10] == 'T' && line[29] == 'Z' && line[30] == ' ';
}

static void test_logs(void **state)
{
	struct res r;
	json_t *j;

	(void)state;
	create_ns("logs");
	json_decref(jcall(201, "POST", "/api/v1/namespaces/logs/pods", "application/json",
			  "{\"metadata\":{\"name\":\"db\"},\"spec\":{\"containers\":[{\"name\":"
			  "\"mysql\",\"image\":\"mysql:8.0\"},{\"name\":\"side\",\"image\":"
			  "\"busybox\"}]}}"));
	wait_running("logs", "db");
	usleep(200000);
	r = call("GET",
		 "/api/v1/namespaces/logs/pods/db/log?container=mysql&tailLines=3&timestamps=true",
		 NULL, NULL, TOKEN, 0);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(r.ctype, "text/plain"));
	{
		int lines = 0;

		for (const char *p = buf_str(&r.body); (p = strchr(p, '\n')); p++)
			lines++;
		assert_int_equal(lines, 3);
	}
	assert_non_null(strstr(buf_str(&r.body), "Z "));
	assert_non_null(strstr(buf_str(&r.body), " seq="));
	buf_free(&r.body);

	/* Booleans in every form clients write them (runtime's conversion of
	 * query parameters: only 0 and false, in any case, are false). */
	r = call("GET", LOG_DB "&tailLines=1&timestamps=True", NULL, NULL, TOKEN, 0);
	assert_int_equal(r.code, 200);
	assert_true(stamped(buf_str(&r.body)));
	buf_free(&r.body);
	r = call("GET", LOG_DB "&tailLines=1&timestamps=FALSE", NULL, NULL, TOKEN, 0);
	assert_int_equal(r.code, 200);
	assert_false(stamped(buf_str(&r.body)));
	buf_free(&r.body);
	/* not strconv.ParseBool: "F" is no "false", so the real server reads true */
	r = call("GET", LOG_DB "&tailLines=1&timestamps=F", NULL, NULL, TOKEN, 0);
	assert_int_equal(r.code, 200);
	assert_true(stamped(buf_str(&r.body)));
	buf_free(&r.body);
	r = call("GET", LOG_DB "&tailLines=1&follow=1", NULL, NULL, TOKEN, 1500);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.cc, CURLE_OPERATION_TIMEDOUT); /* followed: still open */
	buf_free(&r.body);
	r = call("GET", LOG_DB "&tailLines=1&follow=FALSE", NULL, NULL, TOKEN, 0);
	assert_int_equal(r.code, 200);
	assert_int_equal(r.cc, CURLE_OK);
	buf_free(&r.body);

	r = call("GET", "/api/v1/namespaces/logs/pods/db/log?container=mysql&limitBytes=10", NULL,
		 NULL, TOKEN, 0);
	assert_int_equal(r.body.len, 10);
	buf_free(&r.body);

	j = jcall(400, "GET", "/api/v1/namespaces/logs/pods/db/log?container=nope", NULL, NULL);
	assert_string_equal(jstr_at(j, "message", NULL), "container nope is not valid for pod db");
	json_decref(j);
	j = jcall(400, "GET", "/api/v1/namespaces/logs/pods/db/log", NULL, NULL);
	assert_non_null(strstr(jstr_at(j, "message", NULL), "choose one of: [mysql side]"));
	json_decref(j);
	j = jcall(400, "GET", "/api/v1/namespaces/logs/pods/db/log?container=mysql&previous=true",
		  NULL, NULL);
	assert_non_null(strstr(jstr_at(j, "message", NULL), "previous terminated container"));
	json_decref(j);

	/* After a restart, previous serves the last run. */
	json_decref(jcall(200, "POST", "/sim/restart", "application/json",
			  "{\"namespace\":\"logs\",\"pod\":\"db\",\"container\":\"mysql\"}"));
	r = call("GET", "/api/v1/namespaces/logs/pods/db/log?container=mysql&previous=true", NULL,
		 NULL, TOKEN, 0);
	assert_int_equal(r.code, 200);
	assert_non_null(strstr(buf_str(&r.body), "seq=1\n"));
	buf_free(&r.body);
	j = jcall(200, "GET", "/api/v1/namespaces/logs/pods/db", NULL, NULL);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(json_object_get(j, "status"), "containerStatuses"),
			       0),
		"restartCount")),
	    1);
	json_decref(j);
}

static long verb_count(json_t *stats, const char *verb)
{
	return (long)json_integer_value(json_object_get(json_object_get(stats, "byVerb"), verb));
}

/* watch in every form clients write it, and /sim/stats telling a list, a
 * watch, a get and a deletecollection apart as the real server's request
 * info does. */
static void test_query_flags_and_stats(void **state)
{
	static const char *const verbs[] = {"get", "list", "watch", "delete", "deletecollection"};
	long before[5], want[5] = {1, 3, 3, 0, 1};
	json_t *j, *events;
	struct res raw;

	(void)state;
	create_ns("flags");
	create_cm("flags", "f1", "\"x\":\"1\"");
	j = jcall(200, "GET", "/sim/stats", NULL, NULL);
	for (size_t i = 0; i < 5; i++)
		before[i] = verb_count(j, verbs[i]);
	json_decref(j);

	/* watch=T and watch=yes are watches (ADDED first), watch=False a list */
	events = watch_events("/api/v1/namespaces/flags/configmaps?watch=T&timeoutSeconds=1", &raw);
	assert_int_equal(raw.code, 200);
	assert_string_equal(jstr_at(json_array_get(events, 0), "type", NULL), "ADDED");
	json_decref(events);
	buf_free(&raw.body);
	events =
	    watch_events("/api/v1/namespaces/flags/configmaps?watch=yes&timeoutSeconds=1", &raw);
	assert_int_equal(raw.code, 200);
	assert_string_equal(jstr_at(json_array_get(events, 0), "type", NULL), "ADDED");
	json_decref(events);
	buf_free(&raw.body);
	events =
	    watch_events("/api/v1/configmaps?watch=1&timeoutSeconds=1&allowWatchBookmarks=t", &raw);
	assert_int_equal(raw.code, 200);
	json_decref(events);
	buf_free(&raw.body);
	j = jcall(200, "GET", "/api/v1/namespaces/flags/configmaps?watch=False", NULL, NULL);
	assert_string_equal(jstr_at(j, "kind", NULL), "ConfigMapList");
	json_decref(j);
	j = jcall(200, "GET", "/api/v1/namespaces/flags/configmaps", NULL, NULL);
	json_decref(j);
	j = jcall(200, "GET", "/api/v1/namespaces", NULL, NULL);
	json_decref(j);
	j = jcall(200, "GET", "/api/v1/namespaces/flags/configmaps/f1", NULL, NULL);
	json_decref(j);
	j = jcall(200, "DELETE", "/api/v1/namespaces/flags/configmaps", NULL, NULL);
	json_decref(j);

	j = jcall(200, "GET", "/sim/stats", NULL, NULL);
	for (size_t i = 0; i < 5; i++) {
		if (verb_count(j, verbs[i]) - before[i] != want[i])
			fail_msg("byVerb.%s grew by %ld, wanted %ld", verbs[i],
				 verb_count(j, verbs[i]) - before[i], want[i]);
	}
	json_decref(j);
}

/* A Foreground deletion (here asked for in the DeleteOptions body) of an
 * object without dependents: answered with the object marked
 * (foregroundDeletion, deletionTimestamp), then the garbage collector's
 * part removes it. */
static void test_foreground_delete(void **state)
{
	json_t *j;

	(void)state;
	create_ns("fgdel");
	create_cm("fgdel", "alone", "\"x\":\"1\"");
	j = jcall(200, "DELETE", "/api/v1/namespaces/fgdel/configmaps/alone", "application/json",
		  "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
		  "\"propagationPolicy\":\"Foreground\"}");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(j, "metadata"), "finalizers"), 0)),
			    "foregroundDeletion");
	assert_non_null(jstr_at(j, "metadata", "deletionTimestamp"));
	json_decref(j);
	assert_int_equal(await_code("/api/v1/namespaces/fgdel/configmaps/alone", 404), 404);
}

static void test_faults(void **state)
{
	struct res r;
	json_t *j;
	int injected = 0;

	(void)state;
	json_decref(jcall(200, "POST", "/sim/faults", "application/json",
			  "{\"errorRate\":1,\"errorCode\":503}"));
	r = call("GET", "/api/v1/namespaces", NULL, NULL, TOKEN, 0);
	assert_int_equal(r.code, 503);
	j = json_of(&r);
	assert_string_equal(jstr_at(j, "reason", NULL), "ServiceUnavailable");
	json_decref(j);
	buf_free(&r.body);
	/* /sim/ itself is never faulted. */
	json_decref(jcall(200, "POST", "/sim/faults", "application/json",
			  "{\"errorRate\":0.5,\"errorCode\":500}"));
	for (int i = 0; i < 40; i++) {
		r = call("GET", "/api/v1/namespaces", NULL, NULL, TOKEN, 0);
		injected += r.code == 500;
		buf_free(&r.body);
	}
	assert_true(injected > 5 && injected < 35);
	json_decref(jcall(200, "DELETE", "/sim/faults", NULL, NULL));

	/* A message of the test's choosing, for the next 2 requests only. */
	json_decref(jcall(200, "POST", "/sim/faults", "application/json",
			  "{\"errorRate\":1,\"errorCode\":500,\"errorCount\":2,"
			  "\"errorMessage\":\"failed to create typed patch object: x\"}"));
	for (int i = 0; i < 3; i++) {
		r = call("GET", "/api/v1/namespaces", NULL, NULL, TOKEN, 0);
		assert_int_equal(r.code, i < 2 ? 500 : 200);
		if (i < 2) {
			j = json_of(&r);
			assert_string_equal(jstr_at(j, "message", NULL),
					    "failed to create typed patch object: x");
			json_decref(j);
		}
		buf_free(&r.body);
	}
	json_decref(jcall(400, "POST", "/sim/faults", "application/json", "{\"errorMessage\":1}"));
	json_decref(jcall(200, "DELETE", "/sim/faults", NULL, NULL));

	json_decref(jcall(200, "POST", "/sim/faults", "application/json", "{\"latencyMs\":300}"));
	r = call("GET", "/api/v1/namespaces", NULL, NULL, TOKEN, 0);
	assert_int_equal(r.code, 200);
	assert_true(r.secs >= 0.29);
	buf_free(&r.body);
	json_decref(jcall(200, "DELETE", "/sim/faults", NULL, NULL));

	/* A watch dropped after 2 lines ends without the closing chunk. */
	create_ns("drop");
	for (int i = 0; i < 5; i++) {
		char name[8];

		snprintf(name, sizeof(name), "d%d", i);
		create_cm("drop", name, "");
	}
	json_decref(
	    jcall(200, "POST", "/sim/faults", "application/json", "{\"dropAfterLines\":2}"));
	r = call("GET", "/api/v1/namespaces/drop/configmaps?watch=1&timeoutSeconds=3", NULL, NULL,
		 TOKEN, 0);
	assert_int_not_equal(r.cc, CURLE_OK);
	buf_free(&r.body);
	json_decref(jcall(200, "DELETE", "/sim/faults", NULL, NULL));

	json_decref(
	    jcall(200, "POST", "/sim/faults", "application/json", "{\"refuseSeconds\":0.5}"));
	r = call("GET", "/api/v1/namespaces", NULL, NULL, TOKEN, 0);
	assert_int_not_equal(r.cc, CURLE_OK);
	buf_free(&r.body);
	usleep(600000);
	r = call("GET", "/api/v1/namespaces", NULL, NULL, TOKEN, 0);
	assert_int_equal(r.code, 200);
	buf_free(&r.body);

	j = jcall(200, "GET", "/sim/stats", NULL, NULL);
	assert_true(json_integer_value(json_object_get(j, "errorsInjected")) >= 6);
	assert_true(json_integer_value(json_object_get(j, "connectionsRefused")) >= 1);
	assert_true(json_integer_value(json_object_get(j, "streamsDropped")) >= 1);
	assert_true(json_integer_value(json_object_get(j, "requests")) > 40);
	json_decref(j);
	j = jcall(400, "POST", "/sim/faults", "application/json", "{\"errorRate\":2}");
	json_decref(j);
	/* Counts and codes are integers: a fraction is refused, not truncated. */
	for (const char *const *bad =
		 (const char *const[]){"{\"logErrorCode\":503.5}", "{\"logRotateLines\":10.5}",
				       "{\"logStallAfterLines\":0.5}", "{\"errorCode\":500.1}",
				       "{\"dropAfterLines\":1.5}", NULL};
	     *bad; bad++) {
		j = jcall(400, "POST", "/sim/faults", "application/json", *bad);
		assert_non_null(strstr(jstr_at(j, "message", NULL), "must be an integer"));
		json_decref(j);
	}
	json_decref(jcall(200, "POST", "/sim/faults", "application/json",
			  "{\"logErrorCode\":503.0,\"logRotateLines\":10}"));
	/* A positive duration under a millisecond is a millisecond, not "never". */
	json_decref(jcall(200, "POST", "/sim/faults", "application/json",
			  "{\"logFollowMaxSeconds\":0.0001}"));
	j = jcall(200, "GET", "/sim/faults", NULL, NULL);
	assert_true(json_number_value(json_object_get(j, "logFollowMaxSeconds")) > 0);
	assert_int_equal(json_integer_value(json_object_get(j, "logRotateLines")), 10);
	json_decref(j);
	json_decref(jcall(200, "DELETE", "/sim/faults", NULL, NULL));
	j = jcall(400, "POST", "/sim/restart", "application/json",
		  "{\"namespace\":\"drop\",\"pod\":\"x\",\"exitCode\":1.5}");
	assert_non_null(strstr(jstr_at(j, "message", NULL), "must be an integer"));
	json_decref(j);
	r = call("POST", "/sim/faults", "application/json", "{\"errorRate\":1}", RO_TOKEN, 0);
	assert_int_equal(r.code, 403);
	buf_free(&r.body);
}

#define JOBS "/apis/batch/v1/namespaces/jobs/jobs"
#define JOB_TMPL                                                                                   \
	"\"template\":{\"metadata\":{\"labels\":{%s}},\"spec\":{\"restartPolicy\":\"Never\","      \
	"\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}"

/* POSTs a Job named name with spec members spec (may be "") and template
 * labels labels; want: the status code. Returns the answer. */
static json_t *post_job(long want, const char *name, const char *spec, const char *labels)
{
	char body[1024], tmpl[512];

	snprintf(tmpl, sizeof(tmpl), JOB_TMPL, labels);
	snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"},\"spec\":{%s%s%s}}", name,
		 spec, spec[0] ? "," : "", tmpl);
	return jcall(want, "POST", JOBS, "application/json", body);
}

static void assert_msg_has(json_t *status, const char *part)
{
	const char *msg = jstr_at(status, "message", NULL);

	if (!msg || !strstr(msg, part))
		fail_msg("message \"%s\" lacks \"%s\"", msg ? msg : "(none)", part);
}

/* Jobs as the real registry takes them: the selector generated on create
 * unless manualSelector is true, the user's labels kept and checked, no
 * negative counts, selector, completion mode and completions fixed. */
static void test_jobs(void **state)
{
	json_t *j, *labels;
	char uid[64], want[256];

	(void)state;
	create_ns("jobs");
	j = post_job(201, "j1", "", "\"app\":\"x\"");
	snprintf(uid, sizeof(uid), "%s", jstr_at(j, "metadata", "uid"));
	snprintf(want, sizeof(want), "{\"batch.kubernetes.io/controller-uid\":\"%s\"}", uid);
	{
		json_t *w = json_loads(want, 0, NULL);

		assert_true(json_equal(
		    json_object_get(json_object_get(json_object_get(j, "spec"), "selector"),
				    "matchLabels"),
		    w));
		json_decref(w);
	}
	labels = json_object_get(
	    json_object_get(json_object_get(json_object_get(j, "spec"), "template"), "metadata"),
	    "labels");
	assert_string_equal(jstr_at(labels, "app", NULL), "x");
	assert_string_equal(jstr_at(labels, "controller-uid", NULL), uid);
	assert_string_equal(jstr_at(labels, "batch.kubernetes.io/controller-uid", NULL), uid);
	assert_string_equal(jstr_at(labels, "job-name", NULL), "j1");
	assert_string_equal(jstr_at(labels, "batch.kubernetes.io/job-name", NULL), "j1");
	json_decref(j);

	/* A selector of the user's own without manualSelector: true */
	j = post_job(422, "j2", "\"selector\":{\"matchLabels\":{\"app\":\"x\"}}", "\"app\":\"x\"");
	assert_msg_has(
	    j, "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:"
	       "map[string]string{\"app\":\"x\", \"batch.kubernetes.io/controller-uid\":\"");
	assert_msg_has(j, "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not "
			  "auto-generated");
	json_decref(j);
	/* The user's job-name label is kept, and refused as it is not the job's */
	j = post_job(422, "j3", "", "\"job-name\":\"other\"");
	assert_msg_has(j, "spec.template.metadata.labels[job-name]: Invalid value: "
			  "map[string]string{\"batch.kubernetes.io/controller-uid\":\"");
	assert_msg_has(j, "\"job-name\":\"other\"}: must be 'j3'");
	json_decref(j);
	j = post_job(422, "j3", "", "\"batch.kubernetes.io/controller-uid\":\"not-mine\"");
	assert_msg_has(j, "spec.template.metadata.labels[batch.kubernetes.io/controller-uid]: "
			  "Invalid value:");
	json_decref(j);
	/* manualSelector: true wants a selector that selects the template */
	j = post_job(422, "j4", "\"manualSelector\":true", "\"app\":\"x\"");
	assert_msg_has(j, "spec.selector: Required value");
	json_decref(j);
	j = post_job(422, "j4",
		     "\"manualSelector\":true,\"selector\":{\"matchLabels\":{\"app\":\"y\"}}",
		     "\"app\":\"x\"");
	assert_msg_has(j, "`selector` does not match template `labels`");
	json_decref(j);
	j = post_job(201, "j4",
		     "\"manualSelector\":true,\"selector\":{\"matchLabels\":{\"app\":\"x\"}}",
		     "\"app\":\"x\"");
	labels = json_object_get(
	    json_object_get(json_object_get(json_object_get(j, "spec"), "template"), "metadata"),
	    "labels");
	assert_int_equal(json_object_size(labels), 1);
	json_decref(j);
	/* No negative counts */
	j = post_job(422, "j5", "\"parallelism\":-1,\"completions\":-2,\"backoffLimit\":-3", "");
	assert_msg_has(j,
		       "spec.parallelism: Invalid value: -1: must be greater than or equal to 0");
	assert_msg_has(j,
		       "spec.completions: Invalid value: -2: must be greater than or equal to 0");
	assert_msg_has(j,
		       "spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0");
	json_decref(j);

	/* Updates: the selector and completions are fixed... */
	j = jcall(422, "PATCH", JOBS "/j1", "application/merge-patch+json",
		  "{\"spec\":{\"completions\":3}}");
	assert_msg_has(j, "spec.completions: Invalid value: 3: field is immutable");
	json_decref(j);
	j = jcall(422, "PATCH", JOBS "/j1", "application/merge-patch+json",
		  "{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"x\"}}}}");
	assert_msg_has(j, "spec.selector: Invalid value: v1.LabelSelector{");
	assert_msg_has(j, "field is immutable");
	json_decref(j);
	j = jcall(422, "PATCH", JOBS "/j1", "application/merge-patch+json",
		  "{\"spec\":{\"completionMode\":\"Indexed\"}}");
	assert_msg_has(j, "spec.completionMode: Invalid value: \"Indexed\": field is immutable");
	json_decref(j);
	/* ... but an Indexed job's completions move with its parallelism */
	json_decref(post_job(
	    201, "j6", "\"completionMode\":\"Indexed\",\"completions\":2,\"parallelism\":2", ""));
	json_decref(jcall(200, "PATCH", JOBS "/j6", "application/merge-patch+json",
			  "{\"spec\":{\"completions\":3,\"parallelism\":3}}"));
	j = jcall(422, "PATCH", JOBS "/j6", "application/merge-patch+json",
		  "{\"spec\":{\"completions\":4}}");
	assert_msg_has(j, "spec.completions: Invalid value: 4: can only be modified in tandem with "
			  "spec.parallelism");
	json_decref(j);
}

#define SVCS "/api/v1/namespaces/svcs/services"

/* POSTs a Service named name with spec members spec; want: the status code. */
static json_t *post_svc(long want, const char *name, const char *spec)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"},\"spec\":{%s}}", name, spec);
	return jcall(want, "POST", SVCS, "application/json", body);
}

static long long node_port_of(json_t *svc, size_t i)
{
	return (long long)json_integer_value(json_object_get(
	    json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), i), "nodePort"));
}

/* Services as the real server takes them: an ExternalName is a name and no
 * address; node ports are for NodePort and LoadBalancer services only, in
 * 30000-32767, each held by one service, allocated among the free ones. */
static void test_services(void **state)
{
	json_t *j, *k;
	long long a, b;

	(void)state;
	create_ns("svcs");
	j = post_svc(422, "e1", "\"type\":\"ExternalName\"");
	assert_msg_has(j, "spec.externalName: Required value");
	json_decref(j);
	j = post_svc(422, "e1",
		     "\"type\":\"ExternalName\",\"externalName\":\"db.example.com\","
		     "\"clusterIP\":\"10.96.9.9\"");
	assert_msg_has(j, "spec.clusterIPs: Forbidden: may not be set for ExternalName services");
	json_decref(j);
	j = post_svc(422, "e1", "\"type\":\"ExternalName\",\"externalName\":\"Not A Name\"");
	assert_msg_has(j, "spec.externalName: Invalid value: \"Not A Name\"");
	json_decref(j);
	json_decref(
	    post_svc(201, "e1", "\"type\":\"ExternalName\",\"externalName\":\"db.example.com.\""));

	j = post_svc(422, "c1", "\"ports\":[{\"port\":80,\"nodePort\":30080}]");
	assert_msg_has(j, "spec.ports[0].nodePort: Forbidden: may not be used when `type` is "
			  "'ClusterIP'");
	json_decref(j);
	j = post_svc(422, "n1", "\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":80}]");
	assert_msg_has(j, "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the "
			  "valid range. The range of valid ports is 30000-32767");
	json_decref(j);
	j = post_svc(
	    422, "n1",
	    "\"type\":\"NodePort\",\"ports\":[{\"name\":\"a\",\"port\":80,\"nodePort\":30080},"
	    "{\"name\":\"b\",\"port\":81,\"nodePort\":30080}]");
	assert_msg_has(j, "spec.ports[1].nodePort: Duplicate value: 30080");
	json_decref(j);
	json_decref(post_svc(201, "n1",
			     "\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]"));
	j = post_svc(422, "n2",
		     "\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]");
	assert_msg_has(j, "spec.ports[0].nodePort: Invalid value: 30080: provided port is already "
			  "allocated");
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 422);
	json_decref(j);
	/* Allocated ones are free ports, never one in use, never twice */
	j = post_svc(
	    201, "n2",
	    "\"type\":\"NodePort\",\"ports\":[{\"name\":\"a\",\"port\":80},{\"name\":\"b\","
	    "\"port\":81}]");
	k = post_svc(201, "n3", "\"type\":\"LoadBalancer\",\"ports\":[{\"port\":80}]");
	a = node_port_of(j, 0);
	b = node_port_of(j, 1);
	assert_true(a >= 30000 && a <= 32767 && b >= 30000 && b <= 32767);
	assert_true(a != b && a != 30080 && b != 30080);
	assert_true(node_port_of(k, 0) != a && node_port_of(k, 0) != b &&
		    node_port_of(k, 0) != 30080 && node_port_of(k, 0) >= 30000);
	json_decref(j);
	json_decref(k);
	/* An update keeps its own port; a port freed by a delete is free again */
	json_decref(jcall(200, "PATCH", SVCS "/n1", "application/merge-patch+json",
			  "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}"));
	json_decref(jcall(200, "DELETE", SVCS "/n1", NULL, NULL));
	json_decref(post_svc(201, "n4",
			     "\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":30080}]"));
	/* A change to ClusterIP drops the node port it carried over */
	j = jcall(200, "PATCH", SVCS "/n4", "application/merge-patch+json",
		  "{\"spec\":{\"type\":\"ClusterIP\"}}");
	assert_int_equal(node_port_of(j, 0), 0);
	json_decref(j);
}

/* /sim/seed: stores made at once, their pods Ready without their
 * start-up steps, every object as the controllers make it. */
static void test_seed(void **state)
{
	json_t *j, *x;
	struct res r;
	size_t i;

	(void)state;
	j = jcall(200, "POST", "/sim/seed", "application/json",
		  "{\"replicas\":2,\"stores\":[{\"id\":\"5eed00000001\",\"project\":\"acme\"},"
		  "{\"id\":\"5eed00000002\"}]}");
	assert_int_equal(json_integer_value(json_object_get(j, "stores")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "podsReady")), 4);
	json_decref(j);

	j = jcall(200, "GET", "/api/v1/namespaces/store-5eed00000001", NULL, NULL);
	x = json_object_get(json_object_get(j, "metadata"), "labels");
	assert_string_equal(jstr_at(x, "opsdeck.io/store", NULL), "5eed00000001");
	assert_string_equal(jstr_at(x, "opsdeck.io/project", NULL), "acme");
	assert_string_equal(jstr_at(x, "app.kubernetes.io/managed-by", NULL), "opsdeck");
	json_decref(j);
	j = jcall(200, "GET", "/api/v1/namespaces/store-5eed00000002", NULL, NULL);
	assert_string_equal(
	    jstr_at(json_object_get(json_object_get(j, "metadata"), "labels"), "opsdeck.io/project",
		    NULL),
	    "seed");
	json_decref(j);

	/* The web Deployment, found as the Stores pane finds it, already Ready. */
	j = jcall(200, "GET",
		  "/apis/apps/v1/deployments?labelSelector=opsdeck.io%2Frole%3Dweb%2C"
		  "opsdeck.io%2Fstore%3D5eed00000001",
		  NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
	x = json_array_get(json_object_get(j, "items"), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "status"),
							     "readyReplicas")),
			 2);
	assert_non_null(json_object_get(json_object_get(x, "metadata"), "uid"));
	json_decref(j);

	/* Its pods: the ReplicaSet's, Running and Ready, with no step Events. */
	j = jcall(200, "GET", "/api/v1/namespaces/store-5eed00000001/pods", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
	json_array_foreach(json_object_get(j, "items"), i, x)
	{
		json_t *owner = json_array_get(
		    json_object_get(json_object_get(x, "metadata"), "ownerReferences"), 0);

		assert_string_equal(jstr_at(owner, "kind", NULL), "ReplicaSet");
		assert_string_equal(jstr_at(x, "status", "phase"), "Running");
		assert_non_null(jstr_at(x, "status", "podIP"));
		assert_true(json_is_true(json_object_get(
		    json_array_get(json_object_get(json_object_get(x, "status"),
						   "containerStatuses"),
				   0),
		    "ready")));
	}
	json_decref(j);
	j = jcall(200, "GET", "/api/v1/namespaces/store-5eed00000001/events", NULL, NULL);
	json_array_foreach(json_object_get(j, "items"), i, x)
	    assert_string_not_equal(jstr_at(x, "reason", NULL), "Scheduled");
	json_decref(j);

	/* A bad entry: nothing is created. */
	j = jcall(400, "POST", "/sim/seed", "application/json",
		  "{\"stores\":[{\"id\":\"5eed00000003\"},{\"id\":\"NOT-HEX\"}]}");
	assert_non_null(strstr(jstr_at(j, "message", NULL), "stores[1]"));
	json_decref(j);
	json_decref(jcall(404, "GET", "/api/v1/namespaces/store-5eed00000003", NULL, NULL));
	json_decref(jcall(400, "POST", "/sim/seed", "application/json",
			  "{\"stores\":[{\"id\":\"5eed00000004\"}],\"replicas\":0}"));
	json_decref(jcall(400, "POST", "/sim/seed", "application/json",
			  "{\"stores\":[{\"id\":\"5eed00000004\",\"project\":\"Not A Label\"}]}"));
	json_decref(jcall(400, "POST", "/sim/seed", "application/json", "{\"stores\":[]}"));
	json_decref(jcall(400, "POST", "/sim/seed", "application/json",
			  "{\"stores\":[{\"id\":\"5eed00000004\"}],\"color\":1}"));
	r = call("POST", "/sim/seed", "application/json", "{\"stores\":[{\"id\":\"5eed00000004\"}]}",
		 RO_TOKEN, 0);
	assert_int_equal(r.code, 403);
	buf_free(&r.body);
}

#define SSAR_PATH "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

/* Posts a SelfSubjectAccessReview of attrs (the JSON members of
 * resourceAttributes) and returns status.allowed; reason gets
 * status.reason. */
static bool may(const char *token, const char *attrs, char *reason, size_t reasonsz)
{
	char body[512];
	struct res r;
	json_t *j;
	const char *why;
	bool allowed;

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
		 "\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{%s}}}",
		 attrs);
	r = call("POST", SSAR_PATH, "application/json", body, token, 0);
	if (r.code != 201)
		fail_msg("access review %s: HTTP %ld: %s", attrs, r.code, buf_str(&r.body));
	j = json_of(&r);
	assert_string_equal(jstr_at(j, "kind", NULL), "SelfSubjectAccessReview");
	assert_non_null(json_object_get(json_object_get(j, "spec"), "resourceAttributes"));
	allowed = json_is_true(json_object_get(json_object_get(j, "status"), "allowed"));
	why = jstr_at(json_object_get(j, "status"), "reason", NULL);
	snprintf(reason, reasonsz, "%s", why ? why : "");
	json_decref(j);
	buf_free(&r.body);
	return allowed;
}

/* kubectl's `auth can-i get pods --subresource=log -n shop`, protobuf. */
static const char can_i_get_log[] = "k8s\0"
				    "\x0a\x32\x0a\x17"
				    "authorization.k8s.io/v1"
				    "\x12\x17"
				    "SelfSubjectAccessReview"
				    "\x12\x1c\x0a\x00\x12\x18\x0a\x16\x0a\x04"
				    "shop"
				    "\x12\x03"
				    "get"
				    "\x2a\x04"
				    "pods"
				    "\x32\x03"
				    "log"
				    "\x1a\x00\x22\x00";

static void test_access_review(void **state)
{
	char reason[256];
	struct res r;
	json_t *j, *e, *j_rules;
	size_t i;
	bool found = false;

	(void)state;
	assert_true(
	    may(TOKEN, "\"verb\":\"create\",\"resource\":\"namespaces\"", reason, sizeof(reason)));
	assert_true(may(TOKEN,
			"\"verb\":\"patch\",\"group\":\"apps\",\"resource\":\"deployments\","
			"\"subresource\":\"scale\",\"namespace\":\"store-1\"",
			reason, sizeof(reason)));
	assert_false(may(RO_TOKEN, "\"verb\":\"delete\",\"resource\":\"namespaces\"", reason,
			 sizeof(reason)));
	assert_string_equal(reason, "kubesim: the read-only token may only get, list and watch");
	assert_false(may(RO_TOKEN,
			 "\"verb\":\"patch\",\"group\":\"apps\",\"resource\":"
			 "\"deployments\"",
			 reason, sizeof(reason)));
	assert_true(may(RO_TOKEN,
			"\"verb\":\"watch\",\"group\":\"apps\",\"resource\":"
			"\"deployments\"",
			reason, sizeof(reason)));

	/* The echo: the question comes back with the answer. */
	j = jcall(
	    201, "POST", SSAR_PATH, "application/json",
	    "{\"spec\":{\"nonResourceAttributes\":{\"path\":\"/healthz\",\"verb\":\"get\"}}}");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(j, "spec"), "nonResourceAttributes"), "path")),
	    "/healthz");
	assert_true(json_is_true(json_object_get(json_object_get(j, "status"), "allowed")));
	json_decref(j);
	r = call("POST", SSAR_PATH, "application/json",
		 "{\"spec\":{\"nonResourceAttributes\":{\"path\":\"/x\",\"verb\":\"post\"}}}",
		 RO_TOKEN, 0);
	assert_int_equal(r.code, 201);
	j = json_of(&r);
	assert_true(json_is_false(json_object_get(json_object_get(j, "status"), "allowed")));
	json_decref(j);
	buf_free(&r.body);

	/* Kubectl's protobuf body, answered in JSON. */
	r = call_len("POST", SSAR_PATH, "application/vnd.kubernetes.protobuf", can_i_get_log,
		     sizeof(can_i_get_log) - 1, RO_TOKEN, 0);
	assert_int_equal(r.code, 201);
	assert_string_equal(r.ctype, "application/json");
	j = json_of(&r);
	e = json_object_get(json_object_get(j, "spec"), "resourceAttributes");
	assert_string_equal(jstr_at(e, "subresource", NULL), "log");
	assert_string_equal(jstr_at(e, "namespace", NULL), "shop");
	assert_true(json_is_true(json_object_get(json_object_get(j, "status"), "allowed")));
	json_decref(j);
	buf_free(&r.body);

	/* Exactly one kind of attributes, in the real server's words. */
	j = jcall(422, "POST", SSAR_PATH, "application/json", "{\"spec\":{}}");
	assert_string_equal(jstr_at(j, "reason", NULL), "Invalid");
	assert_string_equal(jstr_at(j, "message", NULL),
			    "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: "
			    "spec.resourceAttributes: exactly one of nonResourceAttributes or "
			    "resourceAttributes must be specified");
	json_decref(j);
	j = jcall(422, "POST", SSAR_PATH, "application/json",
		  "{\"spec\":{\"resourceAttributes\":{\"verb\":\"get\"},"
		  "\"nonResourceAttributes\":{\"path\":\"/\"}}}");
	assert_non_null(strstr(jstr_at(j, "message", NULL),
			       "spec.nonResourceAttributes: cannot be specified in combination"));
	json_decref(j);
	j = jcall(400, "POST", SSAR_PATH, "application/vnd.kubernetes.protobuf", "k8s");
	assert_string_equal(jstr_at(j, "reason", NULL), "BadRequest");
	json_decref(j);
	j = jcall(405, "GET", SSAR_PATH, NULL, NULL);
	json_decref(j);
	r = call("POST", SSAR_PATH, "application/json", "{\"spec\":{}}", NULL, 0);
	assert_int_equal(r.code, 401);
	buf_free(&r.body);

	/* In discovery, where kubectl and opsdeck look for it. */
	j = jcall(200, "GET", "/apis/authorization.k8s.io/v1", NULL, NULL);
	json_array_foreach(json_object_get(j, "resources"), i, e)
	{
		if (str_eq(jstr_at(e, "name", NULL), "selfsubjectaccessreviews")) {
			found = true;
			assert_string_equal(jstr_at(e, "kind", NULL), "SelfSubjectAccessReview");
			assert_int_equal(json_array_size(json_object_get(e, "verbs")), 1);
		}
	}
	assert_true(found);
	json_decref(j);
	j = jcall(200, "GET", "/apis", NULL, NULL);
	found = false;
	json_array_foreach(json_object_get(j, "groups"), i, e)
	{
		found = found || str_eq(jstr_at(e, "name", NULL), "authorization.k8s.io");
	}
	assert_true(found);
	json_decref(j);

	/* SelfSubjectRulesReview: what the read-only token may do */
	r = call("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
		 "application/json",
		 "{\"kind\":\"SelfSubjectRulesReview\",\"apiVersion\":\"authorization.k8s.io/v1\","
		 "\"spec\":{\"namespace\":\"default\"}}",
		 RO_TOKEN, 0);
	assert_int_equal(r.code, 201);
	j = json_of(&r);
	buf_free(&r.body);
	e = json_loads("[\"get\",\"list\",\"watch\"]", 0, NULL);
	j_rules = json_object_get(json_object_get(j, "status"), "resourceRules");
	assert_true(json_equal(json_object_get(json_array_get(j_rules, 0), "verbs"), e));
	json_decref(e);
	assert_string_equal(jstr_at(j, "spec", "namespace"), "default");
	json_decref(j);
}

static json_t *meta_of(json_t *obj, const char *key)
{
	return json_object_get(json_object_get(obj, "metadata"), key);
}

/* The namespace's condition of this type, or NULL. */
static json_t *ns_condition(json_t *ns, const char *type)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(ns, "status"), "conditions"), i, c)
	{
		if (str_eq(jstr_at(c, "type", NULL), type))
			return c;
	}
	return NULL;
}

/* Polls namespace `name` until its condition `type` has `status`; the
 * namespace then (a failure after 10 s). */
static json_t *await_ns_condition(const char *name, const char *type, const char *status)
{
	double deadline = now_s() + 10;
	char path[128];

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s", name);
	while (now_s() < deadline) {
		json_t *ns = jcall(200, "GET", path, NULL, NULL), *c = ns_condition(ns, type);

		if (c && str_eq(jstr_at(c, "status", NULL), status))
			return ns;
		json_decref(ns);
		usleep(20000);
	}
	fail_msg("namespace %s: condition %s never became %s", name, type, status);
	return NULL;
}

static void create_with_finalizers(const char *ns, const char *plural, const char *kind,
				   const char *name, const char *finalizers)
{
	char body[512], path[256];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"%s\",\"metadata\":{\"name\":\"%s\","
		 "\"finalizers\":[%s]}}",
		 kind, name, finalizers);
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/%s", ns, plural);
	json_decref(jcall(201, "POST", path, "application/json", body));
}

/* An object with finalizers survives its deletion, marked, until a patch
 * (merge, JSON or apply) empties them; a watch sees MODIFIED then DELETED. */
static void test_finalizers(void **state)
{
	static const char cm[] = "/api/v1/namespaces/fin/configmaps/held";
	json_t *j, *events;
	struct res raw;
	char path[256], rv[32], del_rv[32];

	(void)state;
	create_ns("fin");
	j = jcall(200, "GET", "/api/v1/namespaces/fin/configmaps", NULL, NULL);
	snprintf(rv, sizeof(rv), "%s", jstr_at(j, "metadata", "resourceVersion"));
	json_decref(j);
	create_with_finalizers("fin", "configmaps", "ConfigMap", "held", "\"example.com/hold\"");

	j = jcall(200, "DELETE", cm, NULL, NULL);
	assert_string_equal(jstr_at(j, "kind", NULL), "ConfigMap");
	assert_non_null(jstr_at(j, "metadata", "deletionTimestamp"));
	assert_int_equal(json_integer_value(meta_of(j, "deletionGracePeriodSeconds")), 0);
	assert_string_equal(json_string_value(json_array_get(meta_of(j, "finalizers"), 0)),
			    "example.com/hold");
	snprintf(del_rv, sizeof(del_rv), "%s", jstr_at(j, "metadata", "resourceVersion"));
	json_decref(j);
	/* still there for get and list; a second delete changes nothing */
	j = jcall(200, "GET", cm, NULL, NULL);
	assert_non_null(jstr_at(j, "metadata", "deletionTimestamp"));
	json_decref(j);
	j = jcall(200, "GET", "/api/v1/namespaces/fin/configmaps", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	j = jcall(200, "DELETE", cm, NULL, NULL);
	assert_string_equal(jstr_at(j, "metadata", "resourceVersion"), del_rv);
	json_decref(j);

	/* no new finalizer on an object being deleted */
	j = jcall(422, "PATCH", cm, "application/merge-patch+json",
		  "{\"metadata\":{\"finalizers\":[\"example.com/hold\",\"example.com/more\"]}}");
	assert_string_equal(jstr_at(j, "reason", NULL), "Invalid");
	assert_string_equal(jstr_at(j, "message", NULL),
			    "ConfigMap \"held\" is invalid: metadata.finalizers: Forbidden: no new "
			    "finalizers can be added if the object is being deleted, found new "
			    "finalizers []string{\"example.com/more\"}");
	json_decref(j);
	/* other changes are allowed and keep it */
	json_decref(
	    jcall(200, "PATCH", cm, "application/merge-patch+json", "{\"data\":{\"k\":\"v\"}}"));
	/* emptying the finalizers removes it */
	j = jcall(200, "PATCH", cm, "application/merge-patch+json",
		  "{\"metadata\":{\"finalizers\":null}}");
	assert_null(meta_of(j, "finalizers"));
	json_decref(j);
	assert_int_equal(await_code(cm, 404), 404);

	snprintf(path, sizeof(path),
		 "/api/v1/namespaces/fin/configmaps?watch=1&resourceVersion=%s&timeoutSeconds=1"
		 "&fieldSelector=metadata.name%%3Dheld",
		 rv);
	events = watch_events(path, &raw);
	assert_int_equal(json_array_size(events), 4);
	assert_string_equal(jstr_at(json_array_get(events, 0), "type", NULL), "ADDED");
	assert_string_equal(jstr_at(json_array_get(events, 1), "type", NULL), "MODIFIED");
	assert_non_null(jstr_at(json_object_get(json_array_get(events, 1), "object"), "metadata",
				"deletionTimestamp"));
	assert_string_equal(jstr_at(json_array_get(events, 2), "type", NULL), "MODIFIED");
	assert_string_equal(jstr_at(json_array_get(events, 3), "type", NULL), "DELETED");
	json_decref(events);
	buf_free(&raw.body);

	/* a JSON patch removing the list */
	create_with_finalizers("fin", "secrets", "Secret", "s",
			       "\"example.com/a\",\"example.com/b\"");
	json_decref(jcall(200, "DELETE", "/api/v1/namespaces/fin/secrets/s", NULL, NULL));
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/fin/secrets/s",
			  "application/json-patch+json",
			  "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"}]"));
	json_decref(jcall(200, "GET", "/api/v1/namespaces/fin/secrets/s", NULL, NULL));
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/fin/secrets/s",
			  "application/json-patch+json",
			  "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]"));
	assert_int_equal(await_code("/api/v1/namespaces/fin/secrets/s", 404), 404);

	/* server-side apply: the manager that set the finalizer applies
	 * without it */
	json_decref(jcall(201, "PATCH", "/api/v1/namespaces/fin/configmaps/ap?fieldManager=t",
			  "application/apply-patch+yaml",
			  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ap, finalizers: "
			  "[example.com/hold]}\ndata: {k: v}\n"));
	json_decref(jcall(200, "DELETE", "/api/v1/namespaces/fin/configmaps/ap", NULL, NULL));
	json_decref(jcall(200, "GET", "/api/v1/namespaces/fin/configmaps/ap", NULL, NULL));
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/fin/configmaps/ap?fieldManager=t",
			  "application/apply-patch+yaml",
			  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ap}\ndata: {k: v}\n"));
	assert_int_equal(await_code("/api/v1/namespaces/fin/configmaps/ap", 404), 404);

	/* a malformed finalizer name is refused */
	j = jcall(422, "POST", "/api/v1/namespaces/fin/configmaps", "application/json",
		  "{\"metadata\":{\"name\":\"bad\",\"finalizers\":[\"Not Valid\"]}}");
	assert_non_null(strstr(jstr_at(j, "message", NULL),
			       "metadata.finalizers[0]: Invalid value: \"Not Valid\""));
	json_decref(j);
}

/* A namespace whose content has finalizers stays Terminating, saying so in
 * its conditions, until they are removed; its own metadata.finalizers hold
 * it after the controller is done; the finalize subresource. */
static void test_namespace_finalizers(void **state)
{
	json_t *j, *c;
	char rv[32], path[256];
	struct res raw;
	json_t *events;

	(void)state;
	create_ns("stuck");
	create_cm("stuck", "plain", "");
	create_with_finalizers("stuck", "configmaps", "ConfigMap", "keep", "\"example.com/hold\"");
	create_with_finalizers("stuck", "secrets", "Secret", "keep2",
			       "\"example.com/other\",\"example.com/hold\"");
	json_decref(jcall(200, "DELETE", "/api/v1/namespaces/stuck", NULL, NULL));
	j = await_ns_condition("stuck", "NamespaceFinalizersRemaining", "True");
	c = ns_condition(j, "NamespaceFinalizersRemaining");
	assert_string_equal(jstr_at(c, "reason", NULL), "SomeFinalizersRemain");
	assert_string_equal(jstr_at(c, "message", NULL),
			    "Some content in the namespace has finalizers remaining: "
			    "example.com/hold in 2 resource instances, example.com/other in 1 "
			    "resource instances");
	c = ns_condition(j, "NamespaceContentRemaining");
	assert_string_equal(jstr_at(c, "status", NULL), "True");
	assert_string_equal(jstr_at(c, "reason", NULL), "SomeResourcesRemain");
	assert_string_equal(jstr_at(c, "message", NULL),
			    "Some resources are remaining: configmaps. has 1 resource instances, "
			    "secrets. has 1 resource instances");
	c = ns_condition(j, "NamespaceDeletionContentFailure");
	assert_string_equal(jstr_at(c, "status", NULL), "False");
	assert_string_equal(jstr_at(c, "reason", NULL), "ContentDeleted");
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(j, "status"), "conditions")), 5);
	assert_string_equal(jstr_at(j, "status", "phase"), "Terminating");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(j, "spec"), "finalizers"), 0)),
			    "kubernetes");
	json_decref(j);
	/* the content without finalizers went; the rest is marked */
	assert_int_equal(await_code("/api/v1/namespaces/stuck/configmaps/plain", 404), 404);
	j = jcall(200, "GET", "/api/v1/namespaces/stuck/configmaps/keep", NULL, NULL);
	assert_non_null(jstr_at(j, "metadata", "deletionTimestamp"));
	json_decref(j);
	/* well past --ns-delete-ms, it is still there */
	usleep(400000);
	j = jcall(200, "GET", "/api/v1/namespaces/stuck", NULL, NULL);
	assert_string_equal(jstr_at(j, "status", "phase"), "Terminating");
	json_decref(j);
	/* a namespace's spec.finalizers do not change by an update */
	j = jcall(200, "PATCH", "/api/v1/namespaces/stuck", "application/merge-patch+json",
		  "{\"spec\":{\"finalizers\":null}}");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(j, "spec"), "finalizers"), 0)),
			    "kubernetes");
	json_decref(j);

	/* one finalizer gone: the conditions follow */
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/stuck/configmaps/keep",
			  "application/merge-patch+json", "{\"metadata\":{\"finalizers\":null}}"));
	j = await_ns_condition("stuck", "NamespaceContentRemaining", "True");
	json_decref(j);
	{
		double deadline = now_s() + 10;
		const char *want = "Some content in the namespace has finalizers remaining: "
				   "example.com/hold in 1 resource instances, example.com/other in "
				   "1 resource instances";
		bool seen = false;

		while (!seen && now_s() < deadline) {
			j = jcall(200, "GET", "/api/v1/namespaces/stuck", NULL, NULL);
			seen = str_eq(jstr_at(ns_condition(j, "NamespaceFinalizersRemaining"),
					      "message", NULL),
				      want);
			json_decref(j);
			usleep(20000);
		}
		assert_true(seen);
	}
	/* the last one gone: the namespace goes */
	j = jcall(200, "GET", "/api/v1/namespaces?fieldSelector=metadata.name%3Dstuck", NULL, NULL);
	snprintf(rv, sizeof(rv), "%s", jstr_at(j, "metadata", "resourceVersion"));
	json_decref(j);
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/stuck/secrets/keep2",
			  "application/json-patch+json",
			  "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]"));
	assert_int_equal(await_code("/api/v1/namespaces/stuck", 404), 404);
	snprintf(path, sizeof(path),
		 "/api/v1/namespaces?watch=1&resourceVersion=%s&timeoutSeconds=1"
		 "&fieldSelector=metadata.name%%3Dstuck",
		 rv);
	events = watch_events(path, &raw);
	assert_true(json_array_size(events) >= 1);
	assert_string_equal(
	    jstr_at(json_array_get(events, json_array_size(events) - 1), "type", NULL), "DELETED");
	json_decref(events);
	buf_free(&raw.body);

	/* its own metadata.finalizers: the controller finishes (no
	 * "kubernetes" left, every condition False) and it stays */
	j = jcall(201, "POST", "/api/v1/namespaces", "application/json",
		  "{\"metadata\":{\"name\":\"own\",\"finalizers\":[\"example.com/hold\"]}}");
	json_decref(j);
	json_decref(jcall(200, "DELETE", "/api/v1/namespaces/own", NULL, NULL));
	j = await_ns_condition("own", "NamespaceContentRemaining", "False");
	json_decref(j);
	{
		double deadline = now_s() + 10;
		bool finalized = false;

		while (!finalized && now_s() < deadline) {
			j = jcall(200, "GET", "/api/v1/namespaces/own", NULL, NULL);
			finalized = !json_object_get(json_object_get(j, "spec"), "finalizers");
			json_decref(j);
			usleep(20000);
		}
		assert_true(finalized);
	}
	j = jcall(200, "GET", "/api/v1/namespaces/own", NULL, NULL);
	assert_string_equal(jstr_at(j, "status", "phase"), "Terminating");
	assert_string_equal(
	    jstr_at(ns_condition(j, "NamespaceFinalizersRemaining"), "reason", NULL),
	    "ContentHasNoFinalizers");
	json_decref(j);
	json_decref(jcall(200, "PATCH", "/api/v1/namespaces/own", "application/merge-patch+json",
			  "{\"metadata\":{\"finalizers\":null}}"));
	assert_int_equal(await_code("/api/v1/namespaces/own", 404), 404);

	/* the finalize subresource: PUT only, standard or qualified names;
	 * emptying spec.finalizers removes a deleted namespace at once */
	create_ns("forced");
	create_with_finalizers("forced", "configmaps", "ConfigMap", "keep", "\"example.com/hold\"");
	json_decref(jcall(200, "DELETE", "/api/v1/namespaces/forced", NULL, NULL));
	json_decref(await_ns_condition("forced", "NamespaceFinalizersRemaining", "True"));
	j = jcall(405, "GET", "/api/v1/namespaces/forced/finalize", NULL, NULL);
	json_decref(j);
	j = jcall(
	    422, "PUT", "/api/v1/namespaces/forced/finalize", "application/json",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"forced\"},"
	    "\"spec\":{\"finalizers\":[\"custom\"]}}");
	assert_non_null(strstr(jstr_at(j, "message", NULL),
			       "spec.finalizers[0]: Invalid value: \"custom\": name is neither a "
			       "standard finalizer name nor is it fully qualified"));
	json_decref(j);
	j = jcall(
	    200, "PUT", "/api/v1/namespaces/forced/finalize", "application/json",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"forced\"},"
	    "\"spec\":{\"finalizers\":[]}}");
	assert_string_equal(jstr_at(j, "metadata", "name"), "forced");
	json_decref(j);
	assert_int_equal(await_code("/api/v1/namespaces/forced", 404), 404);
	j = jcall(200, "GET", "/api/v1", NULL, NULL);
	{
		size_t i;
		json_t *e;
		bool listed = false;

		json_array_foreach(json_object_get(j, "resources"), i, e)
		{
			listed = listed || str_eq(jstr_at(e, "name", NULL), "namespaces/finalize");
		}
		assert_true(listed);
	}
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errors_shapes),
	    cmocka_unit_test(test_selectors),
	    cmocka_unit_test(test_pagination),
	    cmocka_unit_test(test_watch),
	    cmocka_unit_test(test_watch_selector_transitions),
	    cmocka_unit_test(test_apply),
	    cmocka_unit_test(test_status_and_scale),
	    cmocka_unit_test(test_quota),
	    cmocka_unit_test(test_logs),
	    cmocka_unit_test(test_query_flags_and_stats),
	    cmocka_unit_test(test_foreground_delete),
	    cmocka_unit_test(test_faults),
	    cmocka_unit_test(test_jobs),
	    cmocka_unit_test(test_services),
	    cmocka_unit_test(test_seed),
	    cmocka_unit_test(test_access_review),
	    cmocka_unit_test(test_finalizers),
	    cmocka_unit_test(test_namespace_finalizers),
	    cmocka_unit_test(test_drill),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("kubesim-api", tests, start_kubesim, stop_kubesim);
	curl_global_cleanup();
	return rc;
}
