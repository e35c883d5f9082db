/* The cluster client against kubesim over HTTPS: the kubeconfig it writes,
 * token and read-only token, wrong credentials, an exec plugin,
 * tls-server-name, writes (create, server-side apply, merge patch, scale,
 * delete), list pagination, retries on injected 5xx, the watch cache
 * through dropped streams and a 410 relist, log streams, the stall bound
 * against bookmarks, and one connection pool and one plugin run per
 * client. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "buf.h"
#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "kube/watch.h"
#include "kubetest.h"
#include "net/http.h"
#include "simproc.h"

#define TOKEN "integration-admin-token"
#define RO_TOKEN "integration-viewer-token"

static struct simproc sim;
static bool have_sim;
static char start_error[512];

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ---- a client per test, from kubesim's kubeconfig ---- */

struct cli {
	struct loop *loop;
	struct kube_http *h;
};

static void cli_open_cfg(struct cli *c, struct kube_config *cfg)
{
	struct err err;

	c->loop = loop_new();
	c->h = kube_http_new(c->loop, cfg, &err);
	if (!c->h)
		fail_msg("%s", err.msg);
	kube_http_set_retry(c->h, 50, 200, 3);
}

static void cli_open(struct cli *c, const char *context)
{
	const char *files[] = {sim.kubeconfig};
	struct err err;
	struct kube_config *cfg = kubeconfig_load_files(files, 1, context, &err);

	if (!cfg)
		fail_msg("kubesim's kubeconfig: %s", err.msg);
	cli_open_cfg(c, cfg);
}

static void cli_close(struct cli *c)
{
	kube_http_free(c->h);
	loop_free(c->loop);
}

/* The server, CA line and token of kubesim's kubeconfig, for variants. */
static char *variant_config(const char *cluster_extra, const char *user_yaml)
{
	const char *files[] = {sim.kubeconfig};
	struct err err;
	struct kube_config *cfg = kubeconfig_load_files(files, 1, NULL, &err);
	char *text, *raw = kt_read(sim.kubeconfig);
	const char *ca = strstr(raw, "certificate-authority-data: ");
	size_t calen = strcspn(ca, "\n");

	assert_non_null(cfg);
	text = xasprintf("current-context: v\n"
			 "clusters:\n- name: c\n  cluster:\n    server: %s\n    %.*s\n%s"
			 "contexts: [{name: v, context: {cluster: c, user: u}}]\n"
			 "users:\n- name: u\n  user:\n%s",
			 cfg->server, (int)calen, ca, cluster_extra, user_yaml);
	kubeconfig_free(cfg);
	free(raw);
	return text;
}

static void cli_open_variant(struct cli *c, const char *cluster_extra, const char *user_yaml)
{
	char *text = variant_config(cluster_extra, user_yaml);
	struct err err;
	struct kube_config *cfg =
	    kubeconfig_parse("variant.yaml", text, strlen(text), NULL, kt_dir(), &err);

	if (!cfg)
		fail_msg("%s", err.msg);
	free(text);
	cli_open_cfg(c, cfg);
}

/* ---- waiting for results ---- */

struct res {
	bool done;
	long status;
	json_t *obj;
	char reason[64];
	struct err err;
};

static void res_fn(const struct kube_result *r, void *ud)
{
	struct res *x = ud;

	x->done = true;
	x->status = r->status;
	x->obj = r->obj ? json_incref(r->obj) : NULL;
	str_copy(x->reason, sizeof(x->reason), r->reason);
	x->err = r->err;
}

static void res_wait(struct cli *c, struct res *x, struct kube_op *op, struct err *err)
{
	if (!op)
		fail_msg("refused: %s", err->msg);
	assert_true(kube_http_wait(c->h, &x->done, 20000));
}

static void res_clear(struct res *x)
{
	json_decref(x->obj);
	memset(x, 0, sizeof(*x));
}

static void must_ok(const struct res *x)
{
	if (err_isset(&x->err))
		fail_msg("failed: %s", x->err.msg);
}

static const char *jpath(json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(o, a), b));
}

static void create_ns(struct cli *c, const char *name)
{
	struct res x = {0};
	struct err err;
	json_t *ns = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
			       "metadata", "name", name);

	res_wait(c, &x, kube_create(c->h, &kube_res_namespaces, NULL, ns, res_fn, &x, &err), &err);
	must_ok(&x);
	res_clear(&x);
	json_decref(ns);
}

static void create_cm(struct cli *c, const char *ns, const char *name, const char *label)
{
	struct res x = {0};
	struct err err;
	json_t *cm = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s}}", "apiVersion", "v1", "kind",
			       "ConfigMap", "metadata", "name", name, "labels", "app", label,
			       "data", "k", "v");

	res_wait(c, &x, kube_create(c->h, &kube_res_configmaps, ns, cm, res_fn, &x, &err), &err);
	must_ok(&x);
	res_clear(&x);
	json_decref(cm);
}

static void sim_faults(struct cli *c, const char *method, const char *body)
{
	struct res x = {0};
	struct err err;

	res_wait(c, &x,
		 kube_call(c->h, method, "/sim/faults", body, body ? strlen(body) : 0,
			   body ? "application/json" : NULL, res_fn, &x, &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
}

static long sim_stat(struct cli *c, const char *key)
{
	struct res x = {0};
	struct err err;
	long v;

	res_wait(c, &x, kube_call(c->h, "GET", "/sim/stats", NULL, 0, NULL, res_fn, &x, &err),
		 &err);
	must_ok(&x);
	v = (long)json_integer_value(json_object_get(x.obj, key));
	res_clear(&x);
	return v;
}

/* kubesim is built with the tests: not finding it is a failure, never a
 * reason to skip */
#define NEED_SIM()                                                                                 \
	do {                                                                                       \
		if (!have_sim)                                                                     \
			fail_msg("kubesim unavailable: %s", start_error);                          \
	} while (0)

/* Faults left by a failed test would fail the next ones too. */
static int clear_faults(void **state)
{
	struct cli c;

	(void)state;
	if (!have_sim)
		return 0;
	cli_open(&c, NULL);
	sim_faults(&c, "DELETE", NULL);
	cli_close(&c);
	return 0;
}

/* ---- tests ---- */

static void test_token_auth(void **state)
{
	struct cli c;
	struct res x = {0};
	struct err err;
	json_t *ns;

	(void)state;
	NEED_SIM();
	/* the admin context of the kubeconfig kubesim wrote: HTTPS, its CA,
	 * a bearer token; found through $KUBECONFIG like kubectl would */
	setenv("KUBECONFIG", sim.kubeconfig, 1);
	{
		struct kube_config *cfg = kubeconfig_load(NULL, &err);

		assert_non_null(cfg);
		assert_string_equal(cfg->context, "kubesim");
		assert_true(str_has_prefix(cfg->server, "https://127.0.0.1:"));
		assert_non_null(cfg->ca.data);
		cli_open_cfg(&c, cfg);
	}
	unsetenv("KUBECONFIG");
	res_wait(&c, &x, kube_call(c.h, "GET", "/version", NULL, 0, NULL, res_fn, &x, &err), &err);
	must_ok(&x);
	assert_non_null(json_object_get(x.obj, "gitVersion"));
	res_clear(&x);

	create_ns(&c, "auth-test");
	/* a second create is a conflict, in words, with its reason */
	ns = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
		       "name", "auth-test");
	res_wait(&c, &x, kube_create(c.h, &kube_res_namespaces, NULL, ns, res_fn, &x, &err), &err);
	assert_int_equal(x.status, 409);
	assert_string_equal(x.reason, "AlreadyExists");
	assert_string_equal(x.err.msg, "namespaces \"auth-test\" already exists");
	res_clear(&x);
	cli_close(&c);

	/* the read-only token reads but may not write */
	cli_open(&c, "kubesim-readonly");
	res_wait(&c, &x, kube_get(c.h, &kube_res_namespaces, NULL, "auth-test", res_fn, &x, &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	json_object_set_new(json_object_get(ns, "metadata"), "name", json_string("auth-test-2"));
	res_wait(&c, &x, kube_create(c.h, &kube_res_namespaces, NULL, ns, res_fn, &x, &err), &err);
	assert_int_equal(x.status, 403);
	assert_true(str_has_prefix(x.err.msg, "Forbidden: "));
	res_clear(&x);
	cli_close(&c);
	json_decref(ns);

	/* a wrong token */
	cli_open_variant(&c, "", "    token: not-the-token\n");
	res_wait(&c, &x, kube_list(c.h, &kube_res_namespaces, NULL, NULL, res_fn, &x, &err), &err);
	assert_int_equal(x.status, 401);
	assert_string_equal(x.err.msg, "Unauthorized: the cluster did not accept the credentials");
	res_clear(&x);
	cli_close(&c);
}

static void test_exec_plugin_and_tls_name(void **state)
{
	struct cli c;
	struct res x = {0};
	struct err err;

	(void)state;
	NEED_SIM();
	free(kt_write_exec("sim/plugin",
			   "#!/bin/sh\n"
			   "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":"
			   "\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"" TOKEN
			   "\",\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}'\n"));
	cli_open_variant(&c, "",
			 "    exec:\n"
			 "      apiVersion: client.authentication.k8s.io/v1\n"
			 "      command: sim/plugin\n"
			 "      interactiveMode: Never\n");
	res_wait(&c, &x, kube_list(c.h, &kube_res_namespaces, NULL, NULL, res_fn, &x, &err), &err);
	must_ok(&x);
	assert_true(json_array_size(json_object_get(x.obj, "items")) >= 1);
	res_clear(&x);
	cli_close(&c);

	/* kubesim's certificate names localhost too */
	cli_open_variant(&c, "    tls-server-name: localhost\n", "    token: " TOKEN "\n");
	res_wait(&c, &x, kube_list(c.h, &kube_res_namespaces, NULL, NULL, res_fn, &x, &err), &err);
	must_ok(&x);
	res_clear(&x);
	cli_close(&c);
	cli_open_variant(&c, "    tls-server-name: kube.example\n", "    token: " TOKEN "\n");
	res_wait(&c, &x, kube_list(c.h, &kube_res_namespaces, NULL, NULL, res_fn, &x, &err), &err);
	assert_int_equal(x.status, 0);
	assert_contains(x.err.msg, "cannot be trusted");
	res_clear(&x);
	cli_close(&c);
}

/* One client: one exec plugin run and one connection however many
 * requests it sends in turn. */
static void test_one_pool_one_run(void **state)
{
	struct kube_http_stats s0 = kube_http_stats();
	struct cli c;
	struct res x = {0};
	struct err err;

	(void)state;
	NEED_SIM();
	free(kt_write_exec("sim/plugin-once",
			   "#!/bin/sh\n"
			   "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":"
			   "\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"" TOKEN
			   "\"}}'\n"));
	cli_open_variant(&c, "",
			 "    exec:\n"
			 "      apiVersion: client.authentication.k8s.io/v1\n"
			 "      command: sim/plugin-once\n"
			 "      interactiveMode: Never\n");
	assert_int_equal(kube_http_stats().clients, s0.clients + 1);
	for (int i = 0; i < 4; i++) {
		res_wait(&c, &x, kube_list(c.h, &kube_res_namespaces, NULL, NULL, res_fn, &x, &err),
			 &err);
		must_ok(&x);
		res_clear(&x);
	}
	assert_int_equal(kube_http_exec_runs(c.h), 1);
	assert_int_equal(kube_http_stats().exec_runs, s0.exec_runs + 1);
	assert_int_equal(net_http_connects(kube_http_net(c.h)), 1);
	cli_close(&c);
	assert_int_equal(kube_http_stats().clients, s0.clients);
}

/* A watch stream, raw, for the stall bound. */
struct stream_rec {
	bool done;
	long status;
	struct err err;
	size_t lines, bookmarks;
};

static void stream_line(const char *line, size_t len, void *ud)
{
	struct stream_rec *r = ud;

	r->lines++;
	if (len > 0 && memmem(line, len, "\"BOOKMARK\"", 10))
		r->bookmarks++;
}

static void stream_done(struct kube_response *resp, void *ud)
{
	struct stream_rec *r = ud;

	r->done = true;
	r->status = resp->status;
	r->err = resp->err;
}

static void test_stall_and_bookmarks(void **state)
{
	struct cli c;
	struct stream_rec r = {0};
	struct kube_request rq = {.on_line = stream_line, .stall_ms = 1000, .retries = 0};
	struct kube_req *req;
	struct err err;
	uint64_t t0;

	(void)state;
	NEED_SIM();
	cli_open(&c, NULL);
	create_ns(&c, "quiet");
	/* kubesim sends a bookmark every 300 ms to a watch that asks for
	 * them: a watch where nothing happens outlives the bound */
	rq.path = "/api/v1/namespaces/quiet/configmaps?labelSelector=app%3Dnone&watch=1"
		  "&allowWatchBookmarks=true&timeoutSeconds=60";
	req = kube_http_request(c.h, &rq, stream_done, &r, &err);
	assert_non_null(req);
	t0 = loop_now_ms();
	while (r.bookmarks < 6 && !r.done && loop_now_ms() - t0 < 15000)
		loop_run_once(c.loop, 100);
	assert_false(r.done);
	assert_int_equal(r.bookmarks, 6);
	assert_int_equal(r.lines, 6);
	assert_true(loop_now_ms() - t0 > 1000);
	kube_req_cancel(req);

	/* without bookmarks the same quiet watch says nothing: stalled */
	memset(&r, 0, sizeof(r));
	rq.path = "/api/v1/namespaces/quiet/configmaps?labelSelector=app%3Dnone&watch=1"
		  "&timeoutSeconds=60";
	t0 = loop_now_ms();
	assert_non_null(kube_http_request(c.h, &rq, stream_done, &r, &err));
	assert_true(kube_http_wait(c.h, &r.done, 15000));
	assert_int_equal(r.status, 0);
	assert_int_equal(r.lines, 0);
	assert_contains(r.err.msg, ": stalled: no data from the server for 1 s");
	assert_true(loop_now_ms() - t0 >= 1000);
	cli_close(&c);
}

static const char *deployment = "apiVersion: apps/v1\n"
				"kind: Deployment\n"
				"metadata:\n"
				"  name: web\n"
				"  namespace: writes\n"
				"  labels: {app: web}\n"
				"spec:\n"
				"  replicas: 1\n"
				"  selector: {matchLabels: {app: web}}\n"
				"  template:\n"
				"    metadata: {labels: {app: web}}\n"
				"    spec:\n"
				"      containers:\n"
				"      - name: web\n"
				"        image: nginx:1.25\n";

static void test_writes(void **state)
{
	struct cli c;
	struct res x = {0};
	struct err err;
	json_t *patch;
	uint64_t t0;

	(void)state;
	NEED_SIM();
	cli_open(&c, NULL);
	create_ns(&c, "writes");

	/* server-side apply creates, and applying again changes nothing */
	res_wait(&c, &x,
		 kube_apply(c.h, &kube_res_deployments, "writes", "web", deployment,
			    strlen(deployment), res_fn, &x, &err),
		 &err);
	must_ok(&x);
	assert_int_equal(x.status, 201);
	assert_string_equal(jpath(x.obj, "metadata", "name"), "web");
	res_clear(&x);
	res_wait(&c, &x,
		 kube_apply(c.h, &kube_res_deployments, "writes", "web", deployment,
			    strlen(deployment), res_fn, &x, &err),
		 &err);
	must_ok(&x);
	assert_int_equal(x.status, 200);
	res_clear(&x);

	/* scale through the subresource */
	res_wait(&c, &x,
		 kube_scale_set(c.h, &kube_res_deployments, "writes", "web", 3, res_fn, &x, &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	res_wait(&c, &x,
		 kube_scale_get(c.h, &kube_res_deployments, "writes", "web", res_fn, &x, &err),
		 &err);
	must_ok(&x);
	assert_string_equal(json_string_value(json_object_get(x.obj, "kind")), "Scale");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(x.obj, "spec"), "replicas")), 3);
	res_clear(&x);

	/* a merge patch of a label */
	patch = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "tier", "front");
	res_wait(&c, &x,
		 kube_merge_patch(c.h, &kube_res_deployments, "writes", "web", NULL, patch, res_fn,
				  &x, &err),
		 &err);
	must_ok(&x);
	assert_string_equal(jpath(json_object_get(x.obj, "metadata"), "labels", "tier"), "front");
	res_clear(&x);
	json_decref(patch);

	/* an invalid name, refused by the server with the reason in words */
	{
		const char *bad = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, "
				  "namespace: writes}\nspec: {replicas: many}\n";

		res_wait(&c, &x,
			 kube_apply(c.h, &kube_res_deployments, "writes", "web", bad, strlen(bad),
				    res_fn, &x, &err),
			 &err);
		assert_true(x.status >= 400);
		assert_true(err_isset(&x.err));
		res_clear(&x);
	}

	/* delete: the namespace goes Terminating, then it is gone */
	res_wait(&c, &x,
		 kube_delete(c.h, &kube_res_deployments, "writes", "web", "Foreground", res_fn, &x,
			     &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	res_wait(
	    &c, &x,
	    kube_delete(c.h, &kube_res_namespaces, NULL, "writes", "Background", res_fn, &x, &err),
	    &err);
	must_ok(&x);
	res_clear(&x);
	t0 = loop_now_ms();
	for (;;) {
		res_wait(&c, &x,
			 kube_get(c.h, &kube_res_namespaces, NULL, "writes", res_fn, &x, &err),
			 &err);
		if (x.status == 404) {
			assert_string_equal(x.reason, "NotFound");
			assert_string_equal(x.err.msg, "namespaces \"writes\" not found");
			res_clear(&x);
			break;
		}
		must_ok(&x);
		assert_string_equal(jpath(x.obj, "status", "phase"), "Terminating");
		res_clear(&x);
		assert_true(loop_now_ms() - t0 < 30000);
		kube_http_wait(c.h, &x.done, 100);
	}
	cli_close(&c);
}

static void test_pagination(void **state)
{
	struct cli c;
	struct res x = {0};
	struct err err;
	struct kube_list_opts o = {.label_selector = "app=page", .limit = 2};
	char name[32];
	long before;

	(void)state;
	NEED_SIM();
	cli_open(&c, NULL);
	create_ns(&c, "pages");
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		create_cm(&c, "pages", name, "page");
	}
	create_cm(&c, "pages", "other", "not-page");

	/* one page by hand: kubesim pages like a real server */
	res_wait(&c, &x,
		 kube_call(c.h, "GET",
			   "/api/v1/namespaces/pages/configmaps?labelSelector=app%3Dpage&limit=2",
			   NULL, 0, NULL, res_fn, &x, &err),
		 &err);
	must_ok(&x);
	assert_int_equal(json_array_size(json_object_get(x.obj, "items")), 2);
	assert_non_null(jpath(x.obj, "metadata", "continue"));
	res_clear(&x);

	/* kube_list follows every continue token */
	before = sim_stat(&c, "requests");
	res_wait(&c, &x, kube_list(c.h, &kube_res_configmaps, "pages", &o, res_fn, &x, &err), &err);
	must_ok(&x);
	assert_int_equal(json_array_size(json_object_get(x.obj, "items")), 7);
	assert_null(jpath(x.obj, "metadata", "continue"));
	res_clear(&x);
	/* four pages of at most two (kubesim does not count /sim/ requests) */
	assert_int_equal(sim_stat(&c, "requests") - before, 4);
	cli_close(&c);
}

static void test_retries(void **state)
{
	struct cli c;
	struct res x = {0};
	struct err err;
	long before;

	(void)state;
	NEED_SIM();
	cli_open(&c, NULL);
	create_ns(&c, "retries");
	create_cm(&c, "retries", "cm-1", "r");
	/* a GET is retried through injected 503s, and gives up in words */
	sim_faults(
	    &c, "POST",
	    "{\"errorRate\":1,\"errorCode\":503,\"pathPrefix\":\"/api/v1/namespaces/retries\"}");
	before = sim_stat(&c, "errorsInjected");
	res_wait(&c, &x, kube_get(c.h, &kube_res_configmaps, "retries", "cm-1", res_fn, &x, &err),
		 &err);
	assert_int_equal(x.status, 503);
	assert_string_equal(x.err.msg, "the server is currently unable to handle the request "
				       "(injected fault)");
	res_clear(&x);
	assert_int_equal(sim_stat(&c, "errorsInjected") - before, 4);
	/* a write is not */
	{
		json_t *patch = json_pack("{s:{s:s}}", "data", "k", "w");

		before = sim_stat(&c, "errorsInjected");
		res_wait(&c, &x,
			 kube_merge_patch(c.h, &kube_res_configmaps, "retries", "cm-1", NULL, patch,
					  res_fn, &x, &err),
			 &err);
		assert_int_equal(x.status, 503);
		res_clear(&x);
		assert_int_equal(sim_stat(&c, "errorsInjected") - before, 1);
		json_decref(patch);
	}
	sim_faults(&c, "DELETE", NULL);
	res_wait(&c, &x, kube_get(c.h, &kube_res_configmaps, "retries", "cm-1", res_fn, &x, &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	cli_close(&c);
}

/* ---- the watch cache ---- */

struct wrec {
	struct buf log;
	unsigned added, modified, deleted, synced;
};

static void on_change(struct kube_watch *w, enum kube_watch_event ev, const char *key, json_t *obj,
		      void *ud)
{
	struct wrec *r = ud;

	(void)w;
	(void)obj;
	switch (ev) {
	case KUBE_WATCH_ADDED:
		r->added++;
		buf_printf(&r->log, "+%s ", key);
		break;
	case KUBE_WATCH_MODIFIED:
		r->modified++;
		buf_printf(&r->log, "~%s ", key);
		break;
	case KUBE_WATCH_DELETED:
		r->deleted++;
		buf_printf(&r->log, "-%s ", key);
		break;
	case KUBE_WATCH_SYNCED:
		r->synced++;
		break;
	case KUBE_WATCH_ERROR:
		break;
	}
}

/* True when the cache holds exactly what the server lists, version for
 * version. */
static bool cache_matches(struct cli *c, struct kube_watch *w)
{
	struct res x = {0};
	struct err err;
	struct kube_list_opts o = {.label_selector = "app=w"};
	json_t *items, *it;
	size_t i;
	bool same;

	res_wait(c, &x, kube_list(c->h, &kube_res_configmaps, NULL, &o, res_fn, &x, &err), &err);
	must_ok(&x);
	items = json_object_get(x.obj, "items");
	same = json_array_size(items) == kube_watch_count(w);
	json_array_foreach(items, i, it)
	{
		char key[256];
		json_t *mine;

		snprintf(key, sizeof(key), "%s/%s", jpath(it, "metadata", "namespace"),
			 jpath(it, "metadata", "name"));
		mine = kube_watch_get(w, key);
		same = same && mine &&
		       strcmp(jpath(mine, "metadata", "resourceVersion"),
			      jpath(it, "metadata", "resourceVersion")) == 0;
	}
	res_clear(&x);
	return same;
}

static void wait_matches(struct cli *c, struct kube_watch *w)
{
	uint64_t t0 = loop_now_ms();

	while (!cache_matches(c, w)) {
		bool never = false;

		if (loop_now_ms() - t0 > 15000)
			fail_msg("the watch cache did not catch up: %s", kube_watch_error(w));
		kube_http_wait(c->h, &never, 100);
	}
}

static void settle(struct cli *c, long ms)
{
	bool never = false;

	kube_http_wait(c->h, &never, ms);
}

static void relabel(struct cli *c, const char *name, const char *app)
{
	struct res x = {0};
	struct err err;
	json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "app", app);

	res_wait(c, &x,
		 kube_merge_patch(c->h, &kube_res_configmaps, "w1", name, NULL, patch, res_fn, &x,
				  &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	json_decref(patch);
}

static void test_watch(void **state)
{
	struct cli c;
	struct err err;
	struct res x = {0};
	struct kube_watch_opts o = {
	    .label_selector = "app=w", .backoff_base_ms = 100, .backoff_cap_ms = 400};
	struct wrec r = {.log = BUF_INIT};
	struct kube_watch *w;
	json_t *patch = json_pack("{s:{s:s}}", "data", "k", "changed");
	char name[32];
	unsigned rewatches;

	(void)state;
	NEED_SIM();
	cli_open(&c, NULL);
	create_ns(&c, "w1");
	create_ns(&c, "w2");
	create_cm(&c, "w1", "cm-1", "w");
	create_cm(&c, "w1", "cm-2", "w");
	/* every namespace, so faults on the watch's path leave writes alone */
	w = kube_watch_new(c.h, &kube_res_configmaps, NULL, &o, on_change, &r, &err);
	assert_non_null(w);
	create_cm(&c, "w1", "cm-3", "w");
	wait_matches(&c, w);
	assert_true(kube_watch_synced(w));
	assert_int_equal(r.added, 3);

	/* streams dropped after every line: each reconnect resumes from the
	 * last version, so nothing is lost and nothing comes twice */
	sim_faults(&c, "POST", "{\"dropAfterLines\":1,\"pathPrefix\":\"/api/v1/configmaps\"}");
	for (int i = 4; i <= 7; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		create_cm(&c, "w1", name, "w");
		settle(&c, 60);
	}
	res_wait(&c, &x,
		 kube_merge_patch(c.h, &kube_res_configmaps, "w1", "cm-1", NULL, patch, res_fn, &x,
				  &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	res_wait(&c, &x,
		 kube_delete(c.h, &kube_res_configmaps, "w1", "cm-2", NULL, res_fn, &x, &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	wait_matches(&c, w);
	assert_string_equal(buf_str(&r.log), "+w1/cm-1 +w1/cm-2 +w1/cm-3 +w1/cm-4 +w1/cm-5 "
					     "+w1/cm-6 +w1/cm-7 ~w1/cm-1 -w1/cm-2 ");
	assert_int_equal(kube_watch_relists(w), 0);
	assert_true(kube_watch_rewatches(w) >= 2);
	sim_faults(&c, "DELETE", NULL);

	/* the watch cannot get back in while more changes happen than the
	 * server keeps: when it can, it hears 410 and lists again */
	sim_faults(&c, "POST",
		   "{\"dropAfterLines\":1,\"errorRate\":1,\"errorCode\":503,"
		   "\"pathPrefix\":\"/api/v1/configmaps\"}");
	{
		/* the open stream drops at its next line (a bookmark at the
		 * latest), and every reconnect is refused from then on: wait
		 * for a refusal, so the watch is surely out */
		uint64_t t0 = loop_now_ms();

		while (!strstr(kube_watch_error(w), "(injected fault)")) {
			if (loop_now_ms() - t0 >= 30000)
				print_error("watch error after 30 s: '%s'\n", kube_watch_error(w));
			assert_true(loop_now_ms() - t0 < 30000);
			settle(&c, 50);
		}
	}
	rewatches = kube_watch_rewatches(w);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "noise-%d", i);
		create_cm(&c, "w2", name, "noise");
	}
	res_wait(&c, &x,
		 kube_delete(c.h, &kube_res_configmaps, "w1", "cm-3", NULL, res_fn, &x, &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	create_cm(&c, "w1", "cm-9", "w");
	settle(&c, 200);
	assert_int_equal(kube_watch_relists(w), 0);
	assert_true(kube_watch_error(w)[0] != '\0');
	sim_faults(&c, "DELETE", NULL);
	wait_matches(&c, w);
	assert_true(kube_watch_relists(w) >= 1);
	assert_true(kube_watch_rewatches(w) > rewatches);
	/* a relist reports what is new or changed, then what is gone */
	assert_contains(buf_str(&r.log), "-w1/cm-2 +w1/cm-9 -w1/cm-3 ");
	assert_int_equal(r.deleted, 2);
	assert_int_equal(r.added, 8);
	assert_null(kube_watch_get(w, "w1/cm-3"));
	assert_non_null(kube_watch_get(w, "w1/cm-9"));
	/* new events flow again after the relist */
	create_cm(&c, "w1", "cm-10", "w");
	wait_matches(&c, w);
	assert_contains(buf_str(&r.log), "+w1/cm-10 ");
	assert_string_equal(kube_watch_error(w), "");

	/* an object that stops matching the selector leaves the cache, one
	 * that starts matching enters it, without a relist */
	rewatches = kube_watch_relists(w);
	relabel(&c, "cm-10", "other");
	wait_matches(&c, w);
	assert_null(kube_watch_get(w, "w1/cm-10"));
	relabel(&c, "cm-10", "w");
	wait_matches(&c, w);
	assert_non_null(kube_watch_get(w, "w1/cm-10"));
	assert_contains(buf_str(&r.log), "+w1/cm-10 -w1/cm-10 +w1/cm-10 ");
	assert_int_equal(kube_watch_relists(w), rewatches);

	kube_watch_free(w);
	json_decref(patch);
	buf_free(&r.log);
	cli_close(&c);
}

/* ---- logs ---- */

struct lrec {
	struct res x;
	char lines[16][512];
	size_t n;
	size_t cancel_at;
	struct kube_op *op;
	bool cancelled;
};

static void on_log_line(const char *line, size_t len, void *ud)
{
	struct lrec *l = ud;

	if (l->n < 16)
		snprintf(l->lines[l->n], sizeof(l->lines[0]), "%.*s", (int)len, line);
	l->n++;
	if (l->cancel_at && l->n == l->cancel_at && !l->cancelled) {
		l->cancelled = true;
		kube_op_cancel(l->op);
	}
}

static void on_log_done(const struct kube_result *r, void *ud)
{
	struct lrec *l = ud;

	res_fn(r, &l->x);
}

static long seq_of(const char *line)
{
	const char *p = strstr(line, "seq=");

	return p ? strtol(p + 4, NULL, 10) : -1;
}

static void test_logs(void **state)
{
	struct cli c;
	struct res x = {0};
	struct err err;
	struct kube_list_opts o = {.label_selector = "app=web"};
	char pod[128] = "";
	const char *dep;
	uint64_t t0;
	struct lrec *l = xcalloc(1, sizeof(*l));
	struct kube_log_opts lo = {
	    .container = "web", .follow = true, .timestamps = true, .tail_lines = 2};

	(void)state;
	NEED_SIM();
	cli_open(&c, NULL);
	create_ns(&c, "logs");
	dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: logs}\n"
	      "spec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n"
	      "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
	      "      - {name: web, image: 'nginx:1.25'}\n";
	res_wait(&c, &x,
		 kube_apply(c.h, &kube_res_deployments, "logs", "web", dep, strlen(dep), res_fn, &x,
			    &err),
		 &err);
	must_ok(&x);
	res_clear(&x);
	/* wait for the controllers to run the pod */
	t0 = loop_now_ms();
	while (!pod[0]) {
		json_t *it;
		size_t i;

		assert_true(loop_now_ms() - t0 < 30000);
		res_wait(&c, &x, kube_list(c.h, &kube_res_pods, "logs", &o, res_fn, &x, &err),
			 &err);
		must_ok(&x);
		json_array_foreach(json_object_get(x.obj, "items"), i, it)
		{
			const char *phase = jpath(it, "status", "phase");

			if (phase && strcmp(phase, "Running") == 0)
				str_copy(pod, sizeof(pod), jpath(it, "metadata", "name"));
		}
		res_clear(&x);
		if (!pod[0])
			settle(&c, 100);
	}
	settle(&c, 300);

	/* follow: lines keep coming while the stream is open, in order */
	l->cancel_at = 6;
	l->op = kube_logs(c.h, "logs", pod, &lo, on_log_line, on_log_done, l, &err);
	assert_non_null(l->op);
	t0 = loop_now_ms();
	while (!l->cancelled && loop_now_ms() - t0 < 15000)
		settle(&c, 50);
	assert_true(l->cancelled);
	assert_false(l->x.done);
	for (size_t i = 0; i < 6; i++) {
		/* RFC 3339 timestamps with nanoseconds, then the text */
		assert_int_equal(l->lines[i][4], '-');
		assert_non_null(strstr(l->lines[i], "Z "));
		if (i > 0)
			assert_int_equal(seq_of(l->lines[i]), seq_of(l->lines[i - 1]) + 1);
	}

	/* a stream cut by the server ends with an error the caller can act on */
	sim_faults(&c, "POST",
		   "{\"dropAfterLines\":3,\"pathPrefix\":\"/api/v1/namespaces/logs/pods\"}");
	memset(l, 0, sizeof(*l));
	l->op = kube_logs(c.h, "logs", pod, &lo, on_log_line, on_log_done, l, &err);
	assert_true(kube_http_wait(c.h, &l->x.done, 15000));
	assert_true(err_isset(&l->x.err));
	assert_true(l->n >= 3);
	res_clear(&l->x);
	sim_faults(&c, "DELETE", NULL);

	/* a container the pod does not have */
	memset(l, 0, sizeof(*l));
	lo.container = "nope";
	lo.follow = false;
	l->op = kube_logs(c.h, "logs", pod, &lo, on_log_line, on_log_done, l, &err);
	assert_true(kube_http_wait(c.h, &l->x.done, 15000));
	assert_int_equal(l->x.status, 400);
	{
		char want[256];

		snprintf(want, sizeof(want), "container nope is not valid for pod %s", pod);
		assert_string_equal(l->x.err.msg, want);
	}
	res_clear(&l->x);
	free(l);
	cli_close(&c);
}

static int setup(void **state)
{
	static const char *const args[] = {"--token",
					   TOKEN,
					   "--ro-token",
					   RO_TOKEN,
					   "--seed",
					   "7",
					   "--watch-history",
					   "30",
					   "--bookmark-ms",
					   "300",
					   "--log-rate",
					   "40",
					   "--schedule-ms",
					   "20",
					   "--create-ms",
					   "20",
					   "--start-ms",
					   "20",
					   "--ready-ms",
					   "20",
					   "--ns-delete-ms",
					   "300",
					   "--terminate-ms",
					   "100",
					   NULL};
	struct err err = {{0}};

	(void)state;
	have_sim = simproc_start(&sim, "kubesim", args, &err);
	if (!have_sim)
		str_copy(start_error, sizeof(start_error), err.msg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (have_sim)
		simproc_stop(&sim);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_auth), cmocka_unit_test(test_exec_plugin_and_tls_name),
	    cmocka_unit_test(test_writes),     cmocka_unit_test(test_pagination),
	    cmocka_unit_test_teardown(test_retries, clear_faults),
	    cmocka_unit_test_teardown(test_watch, clear_faults),
	    cmocka_unit_test_teardown(test_logs, clear_faults),
	    cmocka_unit_test(test_one_pool_one_run),
	    cmocka_unit_test(test_stall_and_bookmarks),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("kubesim", tests, setup, teardown);
	kt_cleanup();
	return rc;
}
