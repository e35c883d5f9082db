/* API helpers: resource paths and queries, Status errors in words (from real
 * API server answers), and the operations against a scripted server. */
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
#include "fakeapi.h"
#include "kube/api.h"
#include "kubetest.h"

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ---- paths ---- */

static void check_path(const struct kube_resource *res, const char *ns, const char *name,
		       const char *sub, const char *want)
{
	struct buf b = BUF_INIT;
	struct err err = {{0}};

	if (!kube_path(&b, res, ns, name, sub, &err))
		fail_msg("path refused: %s", err.msg);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void check_path_refused(const struct kube_resource *res, const char *ns, const char *name,
			       const char *sub, const char *msg)
{
	struct buf b = BUF_INIT;
	struct err err = {{0}};

	assert_false(kube_path(&b, res, ns, name, sub, &err));
	assert_string_equal(err.msg, msg);
	buf_free(&b);
}

static void test_paths(void **state)
{
	(void)state;
	check_path(&kube_res_namespaces, NULL, NULL, NULL, "/api/v1/namespaces");
	check_path(&kube_res_namespaces, NULL, "store-x", NULL, "/api/v1/namespaces/store-x");
	check_path(&kube_res_pods, NULL, NULL, NULL, "/api/v1/pods");
	check_path(&kube_res_pods, "ref", NULL, NULL, "/api/v1/namespaces/ref/pods");
	check_path(&kube_res_pods, "ref", "web-78fdb5bfc-5wzmz", "log",
		   "/api/v1/namespaces/ref/pods/web-78fdb5bfc-5wzmz/log");
	check_path(&kube_res_deployments, "ref", "web", "scale",
		   "/apis/apps/v1/namespaces/ref/deployments/web/scale");
	check_path(&kube_res_ingresses, "s", "wordpress-ingress", NULL,
		   "/apis/networking.k8s.io/v1/namespaces/s/ingresses/wordpress-ingress");
	check_path(&kube_res_kafkatopics, "k", NULL, NULL,
		   "/apis/kafka.strimzi.io/v1beta2/namespaces/k/kafkatopics");

	check_path_refused(&kube_res_namespaces, "ref", "x", NULL, "namespaces are not namespaced");
	check_path_refused(&kube_res_pods, NULL, "p", NULL,
			   "pods live in a namespace: none was given");
	check_path_refused(&kube_res_pods, "Bad_NS", NULL, NULL,
			   "\"Bad_NS\" is not a valid namespace name");
	check_path_refused(&kube_res_pods, "ns", "../../secrets", NULL,
			   "\"../../secrets\" is not a valid name for pods");
	check_path_refused(&kube_res_pods, "ns", "a\nb", NULL,
			   "\"a b\" is not a valid name for pods");
	check_path_refused(&kube_res_pods, "ns", "p", "Log",
			   "a subresource needs an object and a lowercase name");
	check_path_refused(&kube_res_pods, "ns", NULL, "log",
			   "a subresource needs an object and a lowercase name");
}

static void test_names(void **state)
{
	(void)state;
	assert_true(kube_valid_name("web-78fdb5bfc-5wzmz"));
	assert_true(kube_valid_name("a.b-c.d"));
	assert_true(kube_valid_name("0"));
	assert_false(kube_valid_name(""));
	assert_false(kube_valid_name("-a"));
	assert_false(kube_valid_name("a-"));
	assert_false(kube_valid_name("a..b"));
	assert_false(kube_valid_name("A"));
	assert_false(kube_valid_name("a/b"));
	assert_true(kube_valid_namespace("store-0123456789ab"));
	assert_false(kube_valid_namespace("a.b"));
	{
		char long_ns[70];

		memset(long_ns, 'a', 64);
		long_ns[64] = '\0';
		assert_false(kube_valid_namespace(long_ns));
		long_ns[63] = '\0';
		assert_true(kube_valid_namespace(long_ns));
	}
}

static void test_query(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_puts(&b, "/api/v1/namespaces/ref/pods");
	kube_query(&b, "labelSelector", "app=web");
	kube_query(&b, "limit", "1");
	kube_query(&b, "continue", "eyJ2Ijoi+/=");
	kube_query(&b, "sel", "a in (x, y),!b");
	assert_string_equal(buf_str(&b),
			    "/api/v1/namespaces/ref/pods?labelSelector=app%3Dweb&limit=1"
			    "&continue=eyJ2Ijoi%2B%2F%3D"
			    "&sel=a%20in%20%28x%2C%20y%29%2C%21b");
	buf_free(&b);
}

static void test_lookup(void **state)
{
	(void)state;
	assert_ptr_equal(kube_resource_lookup("deployments"), &kube_res_deployments);
	assert_ptr_equal(kube_resource_lookup("deployment"), &kube_res_deployments);
	assert_ptr_equal(kube_resource_lookup("Deployment"), &kube_res_deployments);
	assert_ptr_equal(kube_resource_lookup("deploy"), &kube_res_deployments);
	assert_ptr_equal(kube_resource_lookup("sts"), &kube_res_statefulsets);
	assert_ptr_equal(kube_resource_lookup("ns"), &kube_res_namespaces);
	assert_ptr_equal(kube_resource_lookup("pvc"), &kube_res_pvcs);
	assert_ptr_equal(kube_resource_lookup("networkpolicy"), &kube_res_networkpolicies);
	assert_null(kube_resource_lookup("widgets"));
	assert_ptr_equal(kube_resource_for("apps/v1", "StatefulSet"), &kube_res_statefulsets);
	assert_ptr_equal(kube_resource_for("v1", "Secret"), &kube_res_secrets);
	assert_ptr_equal(kube_resource_for("networking.k8s.io/v1", "NetworkPolicy"),
			 &kube_res_networkpolicies);
	assert_null(kube_resource_for("extensions/v1beta1", "Ingress"));
	assert_non_null(kube_resource_for("rbac.authorization.k8s.io/v1", "RoleBinding"));
}

/* ---- Status errors: bodies as a real API server sends them ---- */

static void check_error(long code, const char *body, const char *want)
{
	struct err err = {{0}};

	kube_error_describe(code, body, strlen(body), &err);
	assert_string_equal(err.msg, want);
}

static void test_status_errors(void **state)
{
	struct kube_status st;
	const char *notfound =
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
	    "\"status\":\"Failure\",\"message\":\"namespaces \\\"store-x\\\" not "
	    "found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"store-x\","
	    "\"kind\":\"namespaces\"},\"code\":404}";

	(void)state;
	assert_true(kube_status_parse(notfound, strlen(notfound), &st));
	assert_int_equal(st.code, 404);
	assert_string_equal(st.reason, "NotFound");
	check_error(404, notfound, "namespaces \"store-x\" not found");

	check_error(403,
		    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
		    "\"Failure\",\"message\":\"pods is forbidden: User \\\"alice\\\" cannot list "
		    "resource \\\"pods\\\" in API group \\\"\\\" in the namespace \\\"ref\\\"\","
		    "\"reason\":\"Forbidden\",\"details\":{\"kind\":\"pods\"},\"code\":403}",
		    "Forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in "
		    "the namespace \"ref\"");
	check_error(401,
		    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
		    "\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\","
		    "\"code\":401}",
		    "Unauthorized: the cluster did not accept the credentials");
	check_error(409,
		    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
		    "\"Failure\",\"message\":\"namespaces \\\"ref\\\" already exists\",\"reason\":"
		    "\"AlreadyExists\",\"details\":{\"name\":\"ref\",\"kind\":\"namespaces\"},"
		    "\"code\":409}",
		    "namespaces \"ref\" already exists");
	check_error(400,
		    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
		    "\"Failure\",\"message\":\"container nope is not valid for pod "
		    "web-78fdb5bfc-5wzmz\",\"reason\":\"BadRequest\",\"code\":400}",
		    "container nope is not valid for pod web-78fdb5bfc-5wzmz");
	check_error(410,
		    "{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {\n    "
		    "\n  },\n  \"status\": \"Failure\",\n  \"message\": \"The resourceVersion for "
		    "the provided list is too old.\",\n  \"reason\": \"Expired\",\n  \"code\": "
		    "410\n}",
		    "The resourceVersion for the provided list is too old.");
	check_error(500,
		    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
		    "\"Failure\",\"message\":\"failed to create typed patch object: "
		    ".spec.template.spec.containers[name=\\\"web\\\"].ports[containerPort=80,"
		    "protocol=\\\"TCP\\\"].protocl: field not declared in schema\",\"code\":500}",
		    "failed to create typed patch object: "
		    ".spec.template.spec.containers[name=\"web\"].ports[containerPort=80,"
		    "protocol=\"TCP\"].protocl: field not declared in schema");
	/* a Status with only a reason */
	check_error(503, "{\"kind\":\"Status\",\"reason\":\"ServiceUnavailable\",\"code\":503}",
		    "ServiceUnavailable (HTTP 503)");
	/* not a Status: a proxy in the way */
	check_error(502, "upstream connect error\r\nmore",
		    "HTTP 502 Bad Gateway: upstream connect error");
	check_error(504, "<html><body>Gateway Timeout</body></html>", "HTTP 504 Gateway Timeout");
	check_error(418, "", "HTTP 418");
	check_error(401, "", "Unauthorized: the cluster did not accept the credentials");
	/* control characters from the server never reach a message */
	check_error(404, "{\"kind\":\"Status\",\"message\":\"bad\\u001b[2Jthing\\nhere\"}",
		    "bad [2Jthing here");
	assert_false(kube_status_parse("{\"kind\":\"Pod\"}", 14, &st));
	assert_false(kube_status_parse("", 0, &st));
}

/* ---- operations against a scripted server ---- */

static void handler(const struct fake_req *rq, struct fake_reply *rep, void *ud)
{
	int *expire_once = ud;
	const char *u = rq->uri;

	if (str_has_prefix(u, "/api/v1/namespaces/ref/pods?")) {
		/* three pages of two pods, as a real server pages */
		if (!strstr(u, "continue=")) {
			rep->body = xstrdup(
			    "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{"
			    "\"resourceVersion\":\"594\",\"continue\":\"tok+1\","
			    "\"remainingItemCount\":4},\"items\":[{\"metadata\":{\"name\":\"p1\"}},"
			    "{\"metadata\":{\"name\":\"p2\"}}]}");
		} else if (strstr(u, "continue=tok%2B1")) {
			if (*expire_once) {
				*expire_once = 0;
				rep->status = 410;
				rep->body =
				    xstrdup("{\"kind\":\"Status\",\"message\":\"The provided "
					    "continue parameter is too old\",\"reason\":"
					    "\"Expired\",\"code\":410}");
				return;
			}
			rep->body =
			    xstrdup("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":"
				    "{\"resourceVersion\":\"594\",\"continue\":\"tok2\"},"
				    "\"items\":[{\"metadata\":{\"name\":\"p3\"}},{\"metadata\":"
				    "{\"name\":\"p4\"}}]}");
		} else {
			rep->body =
			    xstrdup("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":"
				    "{\"resourceVersion\":\"594\"},\"items\":[{\"metadata\":{"
				    "\"name\":\"p5\"}}]}");
		}
	} else if (str_has_prefix(u, "/api/v1/namespaces/ref/pods/web-1/log")) {
		if (strstr(u, "container=nope")) {
			rep->status = 400;
			rep->body = xstrdup("{\"kind\":\"Status\",\"message\":\"container nope is "
					    "not valid for pod web-1\",\"reason\":\"BadRequest\","
					    "\"code\":400}");
			return;
		}
		rep->stream = true;
		rep->content_type = "text/plain";
		rep->body = xstrdup("2026-11-23T05:26:10.610202000Z seq=45 line\n"
				    "2026-11-23T05:26:10.810202000Z seq=46 line\n");
		rep->then = FAKE_HOLD;
		rep->hold_ms = 200;
	} else if (strcmp(u, "/api/v1/namespaces/missing") == 0) {
		rep->status = 404;
		rep->body =
		    xstrdup("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
			    "\"status\":\"Failure\",\"message\":\"namespaces \\\"missing\\\" "
			    "not found\",\"reason\":\"NotFound\",\"code\":404}");
	} else if (str_has_prefix(u, "/text")) {
		rep->content_type = "text/plain";
		rep->body = xstrdup("hello");
	} else {
		/* echo what came, so the test can check method, path and body */
		json_t *o = json_object();
		char *s;

		json_object_set_new(o, "method", json_string(rq->method));
		json_object_set_new(o, "uri", json_string(rq->uri));
		json_object_set_new(o, "ctype", json_string(rq->ctype));
		json_object_set_new(o, "body", json_string(rq->body));
		s = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		rep->status = strcmp(rq->method, "POST") == 0 ? 201 : 200;
		rep->body = s;
	}
}

struct env {
	int expire_once;
	struct fake_api *api;
	struct loop *loop;
	struct kube_http *h;
};

static struct env *env_new(void)
{
	struct env *e = xcalloc(1, sizeof(*e));
	struct err err;

	e->api = fake_api_start(handler, &e->expire_once);
	e->loop = loop_new();
	e->h = kube_http_new(e->loop, kt_config(fake_api_url(e->api), "    token: t\n"), &err);
	assert_non_null(e->h);
	return e;
}

static void env_free(struct env *e)
{
	kube_http_free(e->h);
	loop_free(e->loop);
	fake_api_stop(e->api);
	free(e);
}

struct rec {
	bool done;
	long status;
	json_t *obj;
	char reason[64];
	struct err err;
	char lines[8][128];
	size_t nlines;
};

static void rec_done(const struct kube_result *res, void *ud)
{
	struct rec *r = ud;

	r->done = true;
	r->status = res->status;
	r->obj = res->obj ? json_incref(res->obj) : NULL;
	str_copy(r->reason, sizeof(r->reason), res->reason);
	r->err = res->err;
}

static void rec_line(const char *line, size_t len, void *ud)
{
	struct rec *r = ud;

	if (r->nlines < 8)
		snprintf(r->lines[r->nlines++], sizeof(r->lines[0]), "%.*s", (int)len, line);
}

static void wait_done(struct env *e, struct rec *r)
{
	assert_true(kt_run_until(e->loop, &r->done, 5000));
}

static const char *field(struct rec *r, const char *key)
{
	const char *v = json_string_value(json_object_get(r->obj, key));

	assert_non_null(v);
	return v;
}

static void test_list_pages(void **state)
{
	struct env *e = env_new();
	struct kube_list_opts o = {.label_selector = "app=web", .limit = 2};
	struct rec r = {0};
	struct err err;
	json_t *items;
	struct fake_req seen;

	(void)state;
	assert_non_null(kube_list(e->h, &kube_res_pods, "ref", &o, rec_done, &r, &err));
	wait_done(e, &r);
	assert_true(!err_isset(&r.err));
	items = json_object_get(r.obj, "items");
	assert_int_equal(json_array_size(items), 5);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_array_get(items, 4), "metadata"), "name")),
			    "p5");
	assert_string_equal(field(&r, "kind"), "PodList");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.obj, "metadata"),
							      "resourceVersion")),
			    "594");
	assert_null(json_object_get(json_object_get(r.obj, "metadata"), "continue"));
	json_decref(r.obj);
	assert_int_equal(fake_api_count(e->api), 3);
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.uri,
			    "/api/v1/namespaces/ref/pods?labelSelector=app%3Dweb&limit=2");
	fake_req_free(&seen);
	fake_api_get(e->api, 1, &seen);
	assert_string_equal(seen.uri, "/api/v1/namespaces/ref/pods?labelSelector=app%3Dweb&limit=2"
				      "&continue=tok%2B1");
	fake_req_free(&seen);

	/* an expired continue token: the list starts over, and no item is
	 * counted twice */
	e->expire_once = 1;
	memset(&r, 0, sizeof(r));
	assert_non_null(kube_list(e->h, &kube_res_pods, "ref", &o, rec_done, &r, &err));
	wait_done(e, &r);
	assert_true(!err_isset(&r.err));
	assert_int_equal(json_array_size(json_object_get(r.obj, "items")), 5);
	assert_int_equal(fake_api_count(e->api), 3 + 5);
	json_decref(r.obj);

	/* bad arguments are refused at once */
	assert_null(kube_list(e->h, &kube_res_pods, "Bad", &o, rec_done, &r, &err));
	assert_contains(err.msg, "not a valid namespace name");
	env_free(e);
}

/* A list whose pages are handed over as they come. */
struct paged {
	struct rec r; /* first: rec_done gets the list's ud */
	struct env *e;
	struct buf log;
	struct kube_op *op;
	bool cancel, paged;
};

static void paged_page(json_t *items, void *ud)
{
	struct paged *pg = ud;
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it)
	{
		buf_printf(&pg->log, "%s,",
			   json_string_value(json_object_get(json_object_get(it, "metadata"),
							     "name")));
	}
	/* how many requests the server had seen: the next page is asked for
	 * only after this one was handed over */
	buf_printf(&pg->log, "@%u|", fake_api_count(pg->e->api));
	pg->paged = true;
	if (pg->cancel)
		kube_op_cancel(pg->op);
}

static void test_list_page_by_page(void **state)
{
	struct paged pg = {.e = env_new(), .log = BUF_INIT};
	struct kube_list_opts o = {.label_selector = "app=web", .limit = 2, .page_fn = paged_page};
	struct err err;

	(void)state;
	pg.op = kube_list(pg.e->h, &kube_res_pods, "ref", &o, rec_done, &pg, &err);
	assert_non_null(pg.op);
	wait_done(pg.e, &pg.r);
	assert_string_equal(buf_str(&pg.log), "p1,p2,@1|p3,p4,@2|p5,@3|");
	/* and the whole list still comes at the end */
	assert_int_equal(json_array_size(json_object_get(pg.r.obj, "items")), 5);
	json_decref(pg.r.obj);

	/* cancelled from its first page: no more requests, no answer */
	buf_free(&pg.log);
	memset(&pg.r, 0, sizeof(pg.r));
	pg.cancel = true;
	pg.paged = false;
	pg.op = kube_list(pg.e->h, &kube_res_pods, "ref", &o, rec_done, &pg, &err);
	assert_non_null(pg.op);
	assert_true(kt_run_until(pg.e->loop, &pg.paged, 5000));
	/* a list after it runs whole: the cancelled one asked for nothing more */
	{
		struct kube_list_opts whole = {.label_selector = "app=web", .limit = 2};
		struct rec after = {0};

		assert_non_null(
		    kube_list(pg.e->h, &kube_res_pods, "ref", &whole, rec_done, &after, &err));
		wait_done(pg.e, &after);
		json_decref(after.obj);
	}
	assert_false(pg.r.done);
	assert_string_equal(buf_str(&pg.log), "p1,p2,@4|");
	assert_int_equal(fake_api_count(pg.e->api), 4 + 3);
	buf_free(&pg.log);
	env_free(pg.e);
}

static void test_object_operations(void **state)
{
	struct env *e = env_new();
	struct rec r = {0};
	struct err err;
	json_t *obj, *patch;

	(void)state;
	assert_non_null(kube_get(e->h, &kube_res_deployments, "ref", "web", rec_done, &r, &err));
	wait_done(e, &r);
	assert_string_equal(field(&r, "method"), "GET");
	assert_string_equal(field(&r, "uri"), "/apis/apps/v1/namespaces/ref/deployments/web");
	json_decref(r.obj);

	memset(&r, 0, sizeof(r));
	obj = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "apiVersion", "v1", "kind", "Namespace",
			"metadata", "name", "store-1", "labels", "app.kubernetes.io/managed-by",
			"opsdeck");
	assert_non_null(kube_create(e->h, &kube_res_namespaces, NULL, obj, rec_done, &r, &err));
	wait_done(e, &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(field(&r, "method"), "POST");
	assert_string_equal(field(&r, "uri"), "/api/v1/namespaces");
	assert_string_equal(field(&r, "ctype"), "application/json");
	assert_contains(field(&r, "body"), "\"name\":\"store-1\"");
	json_decref(r.obj);
	json_object_set_new(json_object_get(obj, "metadata"), "name", json_string("Bad Name"));
	assert_null(kube_create(e->h, &kube_res_namespaces, NULL, obj, rec_done, &r, &err));
	assert_string_equal(err.msg, "\"Bad Name\" is not a valid name for namespaces");
	json_decref(obj);

	memset(&r, 0, sizeof(r));
	{
		const char *manifest =
		    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";

		assert_non_null(kube_apply(e->h, &kube_res_deployments, "ref", "web", manifest,
					   strlen(manifest), rec_done, &r, &err));
		wait_done(e, &r);
		assert_string_equal(field(&r, "method"), "PATCH");
		assert_string_equal(field(&r, "uri"), "/apis/apps/v1/namespaces/ref/deployments/web"
						      "?fieldManager=opsdeck&force=true");
		assert_string_equal(field(&r, "ctype"), "application/apply-patch+yaml");
		assert_string_equal(field(&r, "body"), manifest);
		json_decref(r.obj);
	}

	memset(&r, 0, sizeof(r));
	patch = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "paused", "true");
	assert_non_null(kube_merge_patch(e->h, &kube_res_namespaces, NULL, "store-1", NULL, patch,
					 rec_done, &r, &err));
	wait_done(e, &r);
	assert_string_equal(field(&r, "method"), "PATCH");
	assert_string_equal(field(&r, "uri"), "/api/v1/namespaces/store-1");
	assert_string_equal(field(&r, "ctype"), "application/merge-patch+json");
	assert_string_equal(field(&r, "body"), "{\"metadata\":{\"labels\":{\"paused\":\"true\"}}}");
	json_decref(r.obj);
	json_decref(patch);

	memset(&r, 0, sizeof(r));
	assert_non_null(
	    kube_scale_get(e->h, &kube_res_statefulsets, "ref", "mysql", rec_done, &r, &err));
	wait_done(e, &r);
	assert_string_equal(field(&r, "uri"),
			    "/apis/apps/v1/namespaces/ref/statefulsets/mysql/scale");
	json_decref(r.obj);

	memset(&r, 0, sizeof(r));
	assert_non_null(
	    kube_scale_set(e->h, &kube_res_deployments, "ref", "web", 3, rec_done, &r, &err));
	wait_done(e, &r);
	assert_string_equal(field(&r, "method"), "PATCH");
	assert_string_equal(field(&r, "uri"), "/apis/apps/v1/namespaces/ref/deployments/web/scale");
	assert_string_equal(field(&r, "ctype"), "application/merge-patch+json");
	assert_string_equal(field(&r, "body"), "{\"spec\":{\"replicas\":3}}");
	json_decref(r.obj);
	assert_null(
	    kube_scale_set(e->h, &kube_res_deployments, "ref", "web", -1, rec_done, &r, &err));

	memset(&r, 0, sizeof(r));
	assert_non_null(kube_delete(e->h, &kube_res_namespaces, NULL, "store-1", "Foreground",
				    rec_done, &r, &err));
	wait_done(e, &r);
	assert_string_equal(field(&r, "method"), "DELETE");
	assert_string_equal(field(&r, "uri"),
			    "/api/v1/namespaces/store-1?propagationPolicy=Foreground");
	assert_contains(field(&r, "body"), "\"propagationPolicy\":\"Foreground\"");
	json_decref(r.obj);
	assert_null(
	    kube_delete(e->h, &kube_res_namespaces, NULL, "store-1", "Now", rec_done, &r, &err));
	assert_contains(err.msg, "Foreground, Background or Orphan");

	/* errors come as sentences, with the reason for callers to branch on */
	memset(&r, 0, sizeof(r));
	assert_non_null(kube_get(e->h, &kube_res_namespaces, NULL, "missing", rec_done, &r, &err));
	wait_done(e, &r);
	assert_false(!err_isset(&r.err));
	assert_int_equal(r.status, 404);
	assert_string_equal(r.reason, "NotFound");
	assert_string_equal(r.err.msg, "namespaces \"missing\" not found");
	assert_null(r.obj);

	/* an answer that is not JSON */
	memset(&r, 0, sizeof(r));
	assert_non_null(kube_call(e->h, "GET", "/text", NULL, 0, NULL, rec_done, &r, &err));
	wait_done(e, &r);
	assert_string_equal(r.err.msg,
			    "the answer of the cluster is not a JSON object (text/plain)");
	env_free(e);
}

static void test_logs(void **state)
{
	struct env *e = env_new();
	struct rec r = {0};
	struct err err;
	struct kube_log_opts o = {.container = "web",
				  .follow = true,
				  .timestamps = true,
				  .previous = true,
				  .tail_lines = 2,
				  .since_time = "2026-11-23T05:26:00Z",
				  .limit_bytes = 4096};
	struct fake_req seen;

	(void)state;
	assert_non_null(kube_logs(e->h, "ref", "web-1", &o, rec_line, rec_done, &r, &err));
	wait_done(e, &r);
	assert_true(!err_isset(&r.err));
	assert_null(r.obj);
	assert_int_equal(r.nlines, 2);
	assert_string_equal(r.lines[1], "2026-11-23T05:26:10.810202000Z seq=46 line");
	fake_api_get(e->api, 0, &seen);
	assert_string_equal(seen.uri,
			    "/api/v1/namespaces/ref/pods/web-1/log?container=web&follow=true"
			    "&tailLines=2&sinceTime=2026-11-23T05%3A26%3A00Z"
			    "&limitBytes=4096&timestamps=true&previous=true");
	fake_req_free(&seen);

	memset(&r, 0, sizeof(r));
	o.container = "nope";
	assert_non_null(kube_logs(e->h, "ref", "web-1", &o, rec_line, rec_done, &r, &err));
	wait_done(e, &r);
	assert_string_equal(r.err.msg, "container nope is not valid for pod web-1");
	assert_int_equal(r.nlines, 0);

	o.container = "web";
	o.since_time = "yesterday";
	assert_null(kube_logs(e->h, "ref", "web-1", &o, rec_line, rec_done, &r, &err));
	assert_string_equal(err.msg, "sinceTime must be an RFC 3339 time");
	env_free(e);
}

static void test_cancel_op(void **state)
{
	struct env *e = env_new();
	struct rec r = {0};
	struct err err;
	struct kube_op *op;
	uint64_t t0 = loop_now_ms();

	(void)state;
	op = kube_list(e->h, &kube_res_pods, "ref", NULL, rec_done, &r, &err);
	assert_non_null(op);
	loop_run_once(e->loop, 0);
	kube_op_cancel(op);
	while (loop_now_ms() - t0 < 300)
		loop_run_once(e->loop, 50);
	assert_false(r.done);
	assert_int_equal(kube_http_pending(e->h), 0);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_status_errors),
	    cmocka_unit_test(test_list_pages),
	    cmocka_unit_test(test_list_page_by_page),
	    cmocka_unit_test(test_object_operations),
	    cmocka_unit_test(test_logs),
	    cmocka_unit_test(test_cancel_op),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("api", tests, NULL, NULL);
	kt_cleanup();
	return rc;
}
