/* The cluster registry against kubesim (plain HTTP, so a second kubesim can
 * take over the first one's port): one client and one exec-plugin run per
 * context however many users it has, shared watches with reference counts,
 * batched notices (a first list of hundreds of objects is one notice), and
 * an outage -- the server killed and started again empty on the same port
 * -- seen as unreachable, then as answering within the probe's cap, with
 * every watch listed again before its data is called ready. */
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

#include "kube/api.h"
#include "kube/registry.h"
#include "kubetest.h"
#include "simproc.h"

#define TOKEN "registry-test-token"

static struct simproc sim;
static char port[16];
static char start_error[512];

static const char *const sim_common[] = {
    "--http", "--token",     TOKEN, "--bookmark-ms", "300", "--schedule-ms",
    "20",     "--create-ms", "20",  "--start-ms",    "20",  "--ready-ms",
    "20",     NULL};

/* kubesim with the common options, on port p ("0": any). */
static bool sim_up(const char *p, struct err *err)
{
	const char *args[32];
	size_t n = 0;

	for (size_t i = 0; sim_common[i]; i++)
		args[n++] = sim_common[i];
	args[n++] = "--port";
	args[n++] = p;
	args[n] = NULL;
	return simproc_start(&sim, "kubesim", args, err);
}

/* A kubeconfig for the running kubesim with the given user lines. */
static char *kubeconfig(const char *name, const char *user_yaml)
{
	char text[2048], rel[64];

	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Config\n"
		 "clusters:\n- name: sim\n  cluster:\n    server: http://127.0.0.1:%s\n"
		 "contexts:\n- name: %s\n  context:\n    cluster: sim\n    user: u\n"
		 "current-context: %s\n"
		 "users:\n- name: u\n  user:\n%s",
		 port, name, name, user_yaml);
	snprintf(rel, sizeof(rel), "reg/%s.kubeconfig", name);
	return kt_write(rel, text);
}

/* Runs the loop until pred(ud) or ms passed; returns pred(ud). */
static bool run_until(struct loop *loop, bool (*pred)(void *), void *ud, long ms)
{
	uint64_t end = loop_now_ms() + (uint64_t)ms;

	while (!pred(ud) && loop_now_ms() < end)
		loop_run_once(loop, 50);
	return pred(ud);
}

/* One synchronous request on a client of the registry's. */
static long call(struct kube_http *h, const char *method, const char *path, const char *body)
{
	struct kube_request rq = {.method = method,
				  .path = path,
				  .body = body,
				  .body_len = body ? strlen(body) : 0,
				  .content_type = body ? "application/json" : NULL};
	struct kube_response resp;
	long status;

	if (!kube_http_request_sync(h, &rq, &resp))
		fail_msg("%s %s: %s", method, path, resp.err.msg);
	status = resp.status;
	kube_response_free(&resp);
	return status;
}

static void make_namespace(struct kube_http *h, const char *ns)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}",
		 ns);
	assert_int_equal(call(h, "POST", "/api/v1/namespaces", body), 201);
}

static void make_configmap(struct kube_http *h, const char *ns, const char *name)
{
	char body[512], path[256];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
		 "\"labels\":{\"app\":\"x\"}},\"data\":{\"k\":\"v\"}}",
		 name);
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps", ns);
	assert_int_equal(call(h, "POST", path, body), 201);
}

#define NEED_SIM()                                                                                 \
	do {                                                                                       \
		if (sim.pid <= 0)                                                                  \
			fail_msg("kubesim unavailable: %s", start_error);                          \
	} while (0)

/* What a subscriber was told. */
struct seen {
	struct kube_sub *sub;
	unsigned calls, alls, states;
	size_t keys;
	char last_key[128];
};

static void seen_fn(struct kube_sub *s, const struct kube_changes *ch, void *ud)
{
	struct seen *x = ud;

	assert_ptr_equal(s, x->sub);
	x->calls++;
	x->alls += ch->all;
	x->states += ch->state;
	x->keys += ch->nkeys;
	if (ch->nkeys)
		snprintf(x->last_key, sizeof(x->last_key), "%s", ch->keys[ch->nkeys - 1]);
}

static bool sub_ready(void *ud)
{
	struct seen *x = ud;

	return x->alls > 0 && kube_sub_ready(x->sub);
}

static void subscribe(struct kube_registry *r, const char *ctx, const struct kube_resource *res,
		      const char *ns, const char *sel, struct seen *x)
{
	struct err err = {{0}};

	memset(x, 0, sizeof(*x));
	x->sub = kube_registry_subscribe(r, ctx, res, ns, sel, NULL, seen_fn, x, &err);
	if (!x->sub)
		fail_msg("subscribe: %s", err.msg);
}

/* ---- tests ---- */

static void test_shared(void **state)
{
	struct loop *loop = loop_new();
	char *kc = kubeconfig("shared", "    token: " TOKEN "\n");
	struct kube_registry *r = kube_registry_acquire(loop, kc);
	struct kube_http *h = kube_registry_client(r, "shared", NULL);
	struct seen a, b, c;

	(void)state;
	NEED_SIM();
	assert_non_null(h);
	assert_ptr_equal(kube_registry_acquire(loop, NULL), r);
	make_namespace(h, "reg-shared");
	make_configmap(h, "reg-shared", "one");

	subscribe(r, "shared", &kube_res_configmaps, "reg-shared", "app=x", &a);
	subscribe(r, "shared", &kube_res_configmaps, "reg-shared", "app=x", &b);
	subscribe(r, "shared", &kube_res_configmaps, "reg-shared", "app=y", &c);
	assert_int_equal(kube_registry_nwatches(r), 2);
	assert_int_equal(kube_registry_nclients(r), 1);
	assert_true(run_until(loop, sub_ready, &a, 10000));
	assert_true(run_until(loop, sub_ready, &b, 10000));
	assert_true(run_until(loop, sub_ready, &c, 10000));
	assert_int_equal(kube_sub_count(a.sub), 1);
	assert_int_equal(kube_sub_count(c.sub), 0);
	assert_non_null(kube_sub_get(b.sub, "one"));

	/* a late subscriber to a watch that has listed hears "all" at once,
	 * from the loop, not from inside the call */
	{
		struct seen d;

		subscribe(r, "shared", &kube_res_configmaps, "reg-shared", "app=x", &d);
		assert_int_equal(d.calls, 0);
		assert_int_equal(kube_registry_nwatches(r), 2);
		assert_true(run_until(loop, sub_ready, &d, 5000));
		kube_sub_free(d.sub);
	}
	kube_sub_free(a.sub);
	assert_int_equal(kube_registry_nwatches(r), 2);
	kube_sub_free(b.sub);
	assert_int_equal(kube_registry_nwatches(r), 1);
	kube_sub_free(c.sub);
	assert_int_equal(kube_registry_nwatches(r), 0);
	kube_registry_release(r);
	kube_registry_release(r);
	loop_free(loop);
	free(kc);
}

static bool has_key(void *ud)
{
	struct seen *x = ud;

	return x->keys > 0;
}

static void test_batched(void **state)
{
	struct loop *loop = loop_new();
	char *kc = kubeconfig("batched", "    token: " TOKEN "\n");
	struct kube_registry *r = kube_registry_acquire(loop, kc);
	struct kube_http *h = kube_registry_client(r, NULL, NULL);
	struct seen x;
	char name[32];

	(void)state;
	NEED_SIM();
	make_namespace(h, "reg-batched");
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "cm-%03d", i);
		make_configmap(h, "reg-batched", name);
	}
	subscribe(r, NULL, &kube_res_configmaps, "reg-batched", NULL, &x);
	assert_true(run_until(loop, sub_ready, &x, 15000));
	/* 300 objects listed: one notice saying "all", no key by key */
	assert_int_equal(x.calls, 1);
	assert_int_equal(x.keys, 0);
	assert_int_equal(kube_sub_count(x.sub), 300);

	/* then a change is named by its key */
	make_configmap(h, "reg-batched", "late");
	assert_true(run_until(loop, has_key, &x, 10000));
	assert_string_equal(x.last_key, "late");
	assert_int_equal(x.alls, 1);
	kube_sub_free(x.sub);
	kube_registry_release(r);
	loop_free(loop);
	free(kc);
}

/* Waiting for a context's state (and, for an outage, a subscription). */
struct outage {
	struct kube_registry *r;
	const char *context;
	struct seen *x;
	enum kube_cluster_state want;
	uint64_t max_delay_ms; /* the longest probe wait seen */
};

static bool state_is(void *ud)
{
	struct outage *o = ud;
	struct kube_cluster_status st;

	kube_registry_status(o->r, o->context, &st);
	return st.state == o->want;
}

/* The probe's wait has reached its cap (and never passed it). */
static bool probe_capped(void *ud)
{
	struct outage *o = ud;
	struct kube_cluster_status st;

	kube_registry_status(o->r, o->context, &st);
	if (st.probe_delay_ms > o->max_delay_ms)
		o->max_delay_ms = st.probe_delay_ms;
	return o->max_delay_ms >= KUBE_REG_PROBE_CAP_MS;
}

static bool down_and_unready(void *ud)
{
	struct outage *o = ud;

	return state_is(o) && !kube_sub_ready(o->x->sub);
}

static bool plugin_ready(void *ud)
{
	struct seen *x = ud;

	return sub_ready(&x[0]) && sub_ready(&x[1]) && sub_ready(&x[2]);
}

static void test_one_plugin_run(void **state)
{
	struct loop *loop = loop_new();
	char *count = xasprintf("%s/reg/plugin-runs", kt_dir());
	char *script =
	    xasprintf("#!/bin/sh\n"
		      "echo run >> '%s'\n"
		      "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":"
		      "\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"" TOKEN
		      "\",\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}'\n",
		      count);
	char *plugin = kt_write_exec("reg/plugin", script);
	char user[512];
	char *kc, *runs;
	struct kube_registry *r;
	struct seen x[3];
	struct kube_cluster_status st;

	(void)state;
	NEED_SIM();
	snprintf(user, sizeof(user),
		 "    exec:\n"
		 "      apiVersion: client.authentication.k8s.io/v1\n"
		 "      command: %s\n"
		 "      interactiveMode: Never\n",
		 plugin);
	kc = kubeconfig("plugged", user);
	r = kube_registry_acquire(loop, kc);
	/* what the runner, the Stores pane, a store's details and the
	 * reconcile view each ask for */
	assert_non_null(kube_registry_client(r, "plugged", NULL));
	subscribe(r, "plugged", &kube_res_deployments, NULL, "opsdeck.io/store", &x[0]);
	subscribe(r, "plugged", &kube_res_pods, "default", NULL, &x[1]);
	subscribe(r, "plugged", &kube_res_events, "default", NULL, &x[2]);
	assert_non_null(kube_registry_http_for(r, "plugged", NULL));
	kube_registry_status(r, "plugged", &st);
	assert_true(run_until(loop, plugin_ready, x, 15000));
	{
		struct outage o = {.r = r, .context = "plugged", .want = KUBE_CLUSTER_OK};

		assert_true(run_until(loop, state_is, &o, 10000));
	}
	kube_registry_status(r, "plugged", &st);
	assert_int_equal(st.state, KUBE_CLUSTER_OK);
	assert_int_equal(kube_registry_nclients(r), 1);
	runs = kt_read(count);
	assert_non_null(runs);
	assert_string_equal(runs, "run\n");
	free(runs);
	for (int i = 0; i < 3; i++)
		kube_sub_free(x[i].sub);
	kube_registry_release(r);
	loop_free(loop);
	free(kc);
	free(plugin);
	free(script);
	free(count);
}

static void test_outage(void **state)
{
	struct loop *loop = loop_new();
	char *kc = kubeconfig("outage", "    token: " TOKEN "\n");
	struct kube_registry *r = kube_registry_acquire(loop, kc);
	struct kube_http *h = kube_registry_client(r, "outage", NULL);
	struct kube_cluster_status st;
	struct seen x;
	struct outage o = {.r = r, .x = &x, .want = KUBE_CLUSTER_OK};
	struct err err = {{0}};
	unsigned alls;

	(void)state;
	NEED_SIM();
	make_namespace(h, "reg-outage");
	make_configmap(h, "reg-outage", "before");
	subscribe(r, "outage", &kube_res_configmaps, "reg-outage", NULL, &x);
	assert_true(run_until(loop, sub_ready, &x, 10000));
	assert_true(run_until(loop, state_is, &o, 10000));
	assert_int_equal(kube_sub_count(x.sub), 1);

	/* the server goes away: unreachable, and the data is not current */
	simproc_stop(&sim);
	o.want = KUBE_CLUSTER_UNREACHABLE;
	assert_true(run_until(loop, down_and_unready, &o, 15000));
	kube_registry_status(r, "outage", &st);
	assert_true(st.reason[0] != '\0');
	assert_true(kube_sub_problem(x.sub)[0] != '\0');

	/* the probe's backoff grows to its cap and no further, so a server
	 * back is seen within the cap, not after the watch's own backoff */
	assert_true(run_until(loop, probe_capped, &o, 60000));
	assert_true(o.max_delay_ms == KUBE_REG_PROBE_CAP_MS);

	/* a new, empty server on the same port */
	if (!sim_up(port, &err))
		fail_msg("kubesim again on port %s: %s", port, err.msg);
	alls = x.alls;
	o.want = KUBE_CLUSTER_OK;
	assert_true(run_until(loop, state_is, &o, 15000));
	assert_true(run_until(loop, sub_ready, &x, 10000));
	/* listed again: the old server's object is gone */
	assert_true(x.alls > alls);
	assert_int_equal(kube_sub_count(x.sub), 0);
	kube_registry_status(r, "outage", &st);
	assert_int_equal(st.recoveries, 1);
	kube_sub_free(x.sub);
	kube_registry_release(r);
	loop_free(loop);
	free(kc);
}

static int setup(void **state)
{
	struct err err = {{0}};
	char *text;
	const char *p;

	(void)state;
	if (!sim_up("0", &err)) {
		snprintf(start_error, sizeof(start_error), "%s", err.msg);
		return 0;
	}
	text = kt_read(sim.kubeconfig);
	p = text ? strstr(text, "http://127.0.0.1:") : NULL;
	if (!p) {
		snprintf(start_error, sizeof(start_error), "no server in kubesim's kubeconfig");
		simproc_stop(&sim);
	} else {
		p += strlen("http://127.0.0.1:");
		snprintf(port, sizeof(port), "%.*s", (int)strspn(p, "0123456789"), p);
	}
	free(text);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	simproc_stop(&sim);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared), cmocka_unit_test(test_batched),
	    cmocka_unit_test(test_one_plugin_run),
	    cmocka_unit_test(test_outage), /* last: it replaces the server */
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("registry", tests, setup, teardown);
	kt_cleanup();
	return rc;
}
