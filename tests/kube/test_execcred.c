/* Exec credential plugins: parsing their answers, and running real scripts
 * from a temporary directory on the event loop (caching until expiry,
 * failures, timeouts, the environment they get). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kube/execcred.h"
#include "kube/kubeconfig.h"
#include "kubetest.h"

#define V1 "client.authentication.k8s.io/v1"
#define V1BETA1 "client.authentication.k8s.io/v1beta1"

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static void test_parse_time(void **state)
{
	time_t t;

	(void)state;
	assert_true(execcred_parse_time("1970-01-01T00:00:00Z", &t));
	assert_int_equal(t, 0);
	assert_true(execcred_parse_time("2026-11-23T05:26:00Z", &t));
	assert_int_equal(t, 1795411560);
	assert_true(execcred_parse_time("2026-11-23T05:26:10.610202000Z", &t));
	assert_int_equal(t, 1795411570);
	assert_true(execcred_parse_time("2026-11-23T07:26:00+02:00", &t));
	assert_int_equal(t, 1795411560);
	assert_true(execcred_parse_time("2024-02-29T00:00:00-01:30", &t));
	assert_int_equal(t, 1709170200);
	assert_false(execcred_parse_time("2023-02-29T00:00:00Z", &t));
	assert_false(execcred_parse_time("2026-11-23 05:26:00Z", &t));
	assert_false(execcred_parse_time("2026-11-23T05:26:00", &t));
	assert_false(execcred_parse_time("2026-11-23T05:26:00Zjunk", &t));
	assert_false(execcred_parse_time("2026-13-01T00:00:00Z", &t));
	assert_false(execcred_parse_time("", &t));
}

static void test_parse_output(void **state)
{
	struct execcred c;
	struct err err;
	const char *tok = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
			  "\"status\":{\"token\":\"tok-123\",\"expirationTimestamp\":"
			  "\"2030-01-01T00:00:00Z\"}}";

	(void)state;
	assert_true(execcred_parse(tok, strlen(tok), V1, &c, &err));
	assert_string_equal(c.token, "tok-123");
	assert_int_equal(c.expiry, 1893456000);
	assert_null(c.client_cert.data);
	execcred_clear(&c);

	/* a client certificate instead of a token, no expiry */
	{
		const char *cert =
		    "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1BETA1 "\",\"status\":{"
		    "\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\nAA\\n-----END "
		    "CERTIFICATE-----\\n\",\"clientKeyData\":\"-----BEGIN EC PRIVATE "
		    "KEY-----\\nBB\\n-----END EC PRIVATE KEY-----\\n\"}}";

		assert_true(execcred_parse(cert, strlen(cert), V1BETA1, &c, &err));
		assert_null(c.token);
		assert_non_null(strstr((char *)c.client_cert.data, "AA"));
		assert_non_null(strstr((char *)c.client_key.data, "BB"));
		assert_int_equal(c.expiry, 0);
		execcred_clear(&c);
	}

	/* the version must be the one asked for */
	err_clear(&err);
	assert_false(execcred_parse(tok, strlen(tok), V1BETA1, &c, &err));
	assert_contains(err.msg, "answered with apiVersion \"" V1 "\"");

	{
		static const struct {
			const char *json;
			const char *msg;
		} bad[] = {
		    {"not json tok-123", "not a JSON object"},
		    {"[1]", "not a JSON object"},
		    {"{\"kind\":\"Pod\",\"apiVersion\":\"" V1 "\"}", "not an ExecCredential"},
		    {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\"}", "has no status"},
		    {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\",\"status\":{}}",
		     "neither a token nor a client certificate"},
		    {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1
		     "\",\"status\":{\"clientKeyData\":\"k\"}}",
		     "without"},
		    {"{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1
		     "\",\"status\":{\"token\":\"secret-tok\",\"expirationTimestamp\":\"soon\"}}",
		     "expirationTimestamp \"soon\" is not an RFC 3339 time"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			err_clear(&err);
			if (execcred_parse(bad[i].json, strlen(bad[i].json), V1, &c, &err))
				fail_msg("case %zu parsed", i);
			assert_contains(err.msg, bad[i].msg);
			/* the credential never shows in a message */
			assert_null(strstr(err.msg, "tok-123"));
			assert_null(strstr(err.msg, "secret-tok"));
		}
	}
}

/* ---- running plugins ---- */

struct run {
	struct loop *loop;
	struct kube_config *cfg;
	struct execcred_source *src;
	bool done, ok;
	struct err err;
};

static void on_done(struct execcred_source *src, bool ok, const struct err *err, void *ud)
{
	struct run *r = ud;

	(void)src;
	r->done = true;
	r->ok = ok;
	r->err = *err;
}

static struct kube_config *exec_cfg(const char *exec_yaml)
{
	struct err err;
	char *text = xasprintf("current-context: x\n"
			       "clusters:\n"
			       "- name: c\n"
			       "  cluster: {server: 'https://kube.example:6443', tls-server-name: "
			       "api.example}\n"
			       "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
			       "users:\n"
			       "- name: u\n"
			       "  user:\n"
			       "    exec:\n%s",
			       exec_yaml);
	struct kube_config *cfg =
	    kubeconfig_parse("plugin.yaml", text, strlen(text), NULL, kt_dir(), &err);

	if (!cfg)
		fail_msg("%s", err.msg);
	free(text);
	return cfg;
}

static void run_setup(struct run *r, const char *exec_yaml, long timeout_ms)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop_new();
	r->cfg = exec_cfg(exec_yaml);
	r->src = execcred_source_new(r->loop, r->cfg, timeout_ms, on_done, r);
}

static void run_once(struct run *r)
{
	r->done = false;
	execcred_source_refresh(r->src);
	/* never a callback from inside refresh */
	assert_false(r->done);
	assert_true(kt_run_until(r->loop, &r->done, 10000));
}

static void run_teardown(struct run *r)
{
	execcred_source_free(r->src);
	kubeconfig_free(r->cfg);
	loop_free(r->loop);
}

static char *plugin_script(const char *name, const char *expiry)
{
	char *body = xasprintf("#!/bin/sh\n"
			       "d=$(dirname \"$0\")\n"
			       "n=$(cat \"$d/%s.count\" 2>/dev/null || echo 0)\n"
			       "n=$((n + 1))\n"
			       "echo $n > \"$d/%s.count\"\n"
			       "printf '%%s' \"$KUBERNETES_EXEC_INFO\" > \"$d/%s.info\"\n"
			       "printf '%%s %%s' \"$1\" \"$PLUGIN_ENV\" > \"$d/%s.args\"\n"
			       "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":"
			       "\"client.authentication.k8s.io/v1\",'\n"
			       "echo \"\\\"status\\\":{\\\"token\\\":\\\"token-$n\\\",\"\n"
			       "echo '\"expirationTimestamp\":\"%s\"}}'\n",
			       name, name, name, name, expiry);
	char *rel = xasprintf("plugins/%s", name);
	char *path = kt_write_exec(rel, body);

	free(rel);
	free(body);
	return path;
}

static void test_run_and_cache(void **state)
{
	struct run r;
	char *path = plugin_script("cached", "2999-01-01T00:00:00Z");
	char *info_path = xasprintf("%s/plugins/cached.info", kt_dir());
	char *args_path = xasprintf("%s/plugins/cached.args", kt_dir());
	char *info, *args;
	const struct execcred *c;

	(void)state;
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugins/cached\n"
		  "      args: [first-arg]\n"
		  "      env: [{name: PLUGIN_ENV, value: from-kubeconfig}]\n"
		  "      interactiveMode: Never\n"
		  "      provideClusterInfo: true\n",
		  5000);
	assert_null(execcred_source_cached(r.src, time(NULL)));
	run_once(&r);
	assert_true(r.ok);
	c = execcred_source_cached(r.src, time(NULL));
	assert_non_null(c);
	assert_string_equal(c->token, "token-1");
	assert_int_equal(execcred_source_runs(r.src), 1);

	/* still valid: the cache answers, the plugin is not run again */
	assert_non_null(execcred_source_cached(r.src, time(NULL) + 3600));
	assert_int_equal(execcred_source_runs(r.src), 1);

	/* the request description and the kubeconfig's arguments and env */
	info = kt_read(info_path);
	assert_non_null(info);
	assert_contains(info, "\"kind\":\"ExecCredential\"");
	assert_contains(info, "\"apiVersion\":\"client.authentication.k8s.io/v1\"");
	assert_contains(info, "\"interactive\":false");
	assert_contains(info, "\"server\":\"https://kube.example:6443\"");
	assert_contains(info, "\"tls-server-name\":\"api.example\"");
	free(info);
	args = kt_read(args_path);
	assert_string_equal(args, "first-arg from-kubeconfig");
	free(args);

	/* invalidated (as after a 401): the next refresh runs it again */
	execcred_source_invalidate(r.src);
	assert_null(execcred_source_cached(r.src, time(NULL)));
	run_once(&r);
	assert_true(r.ok);
	assert_string_equal(execcred_source_cached(r.src, time(NULL))->token, "token-2");
	assert_int_equal(execcred_source_runs(r.src), 2);
	run_teardown(&r);
	free(info_path);
	free(args_path);
	free(path);
}

static void test_expiry(void **state)
{
	struct run r;
	char *path;
	char exp[32];
	time_t soon = time(NULL) + 3600;
	struct tm tm;

	(void)state;
	gmtime_r(&soon, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	path = plugin_script("expiring", exp);
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugins/expiring\n"
		  "      interactiveMode: IfAvailable\n",
		  5000);
	run_once(&r);
	assert_true(r.ok);
	assert_non_null(execcred_source_cached(r.src, time(NULL)));
	/* near the expiry (inside the skew) and after it, the cache is empty */
	assert_null(execcred_source_cached(r.src, soon - EXECCRED_EXPIRY_SKEW_S));
	assert_null(execcred_source_cached(r.src, soon + 1));
	assert_non_null(execcred_source_cached(r.src, soon - EXECCRED_EXPIRY_SKEW_S - 1));
	run_teardown(&r);
	free(path);

	/* an already expired credential is never served */
	path = plugin_script("expired", "2001-01-01T00:00:00Z");
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugins/expired\n"
		  "      interactiveMode: Never\n",
		  5000);
	run_once(&r);
	assert_true(r.ok);
	assert_null(execcred_source_cached(r.src, time(NULL)));
	run_once(&r);
	assert_int_equal(execcred_source_runs(r.src), 2);
	run_teardown(&r);
	free(path);
}

static void test_failures(void **state)
{
	struct run r;
	char *p;

	(void)state;
	p = kt_write_exec("plugins/failing", "#!/bin/sh\n"
					     "echo 'token-leak-not-shown'\n"
					     "echo 'error: you must log in first' >&2\n"
					     "exit 3\n");
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugins/failing\n"
		  "      interactiveMode: Never\n",
		  5000);
	run_once(&r);
	assert_false(r.ok);
	assert_contains(r.err.msg, "failed with exit status 3: error: you must log in first");
	assert_contains(r.err.msg, "plugins/failing");
	assert_null(strstr(r.err.msg, "token-leak"));
	assert_null(execcred_source_cached(r.src, time(NULL)));
	run_teardown(&r);
	free(p);

	/* not found, with the install hint */
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: opsdeck-no-such-plugin\n"
		  "      interactiveMode: Never\n"
		  "      installHint: 'apt-get install opsdeck-no-such-plugin'\n",
		  5000);
	run_once(&r);
	assert_false(r.ok);
	assert_string_equal(r.err.msg,
			    "exec plugin \"opsdeck-no-such-plugin\" could not be run: No such file "
			    "or directory. apt-get install opsdeck-no-such-plugin");
	run_teardown(&r);

	/* a plugin that hangs is stopped at the deadline */
	p = kt_write_exec("plugins/hang", "#!/bin/sh\nexec sleep 30\n");
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugins/hang\n"
		  "      interactiveMode: Never\n",
		  300);
	run_once(&r); /* its message below says the deadline stopped it */
	assert_false(r.ok);
	assert_contains(r.err.msg, "did not answer within 1 s and was stopped");
	run_teardown(&r);
	free(p);

	/* garbage on stdout */
	p = kt_write_exec("plugins/garbage", "#!/bin/sh\necho 'hello secret-token'\n");
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugins/garbage\n"
		  "      interactiveMode: Never\n",
		  5000);
	run_once(&r);
	assert_false(r.ok);
	assert_contains(r.err.msg, "its output is not a JSON object");
	assert_null(strstr(r.err.msg, "secret-token"));
	run_teardown(&r);
	free(p);

	/* a plugin that insists on a terminal is refused without running */
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugins/cached\n"
		  "      interactiveMode: Always\n",
		  5000);
	run_once(&r);
	assert_false(r.ok);
	assert_contains(r.err.msg, "needs a terminal (interactiveMode: Always)");
	run_teardown(&r);
}

static void test_free_while_running(void **state)
{
	struct run r;
	char *p = kt_write_exec("plugins/slow", "#!/bin/sh\nexec sleep 30\n");
	uint64_t t0 = loop_now_ms();

	(void)state;
	run_setup(&r,
		  "      apiVersion: client.authentication.k8s.io/v1\n"
		  "      command: plugins/slow\n"
		  "      interactiveMode: Never\n",
		  20000);
	execcred_source_refresh(r.src);
	assert_true(execcred_source_running(r.src));
	loop_run_once(r.loop, 50);
	/* freeing kills and reaps the plugin at once, without a callback */
	run_teardown(&r);
	assert_false(r.done);
	assert_true(loop_now_ms() - t0 < 5000);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_time),	  cmocka_unit_test(test_parse_output),
	    cmocka_unit_test(test_run_and_cache), cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_failures),	  cmocka_unit_test(test_free_while_running),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("execcred", tests, NULL, NULL);
	kt_cleanup();
	return rc;
}
