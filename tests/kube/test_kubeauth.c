/* kubeconfig files against kubesim, one test per way to authenticate:
 * token, tokenFile, client certificate (data and files; one from another
 * CA is refused), basic auth, an exec plugin whose credential expires, the
 * merge of KUBECONFIG=a:b, insecure-skip-tls-verify against a CA, and bad
 * files. Every test that can reach the server asks it who it thinks the
 * caller is (a SelfSubjectReview, as `kubectl auth whoami` does). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "kubetest.h"
#include "simproc.h"

#define TOKEN "kubeauth-admin-token"
#define BASIC_USER "alice"
#define BASIC_PASSWORD "s3cret: pass'word"
#define REVIEW_PATH "/apis/authentication.k8s.io/v1/selfsubjectreviews"

/* main: HTTPS, a token, basic auth, and a client CA of its own whose
 * certificate (CN kubesim-admin, O system:masters) is in its kubeconfig;
 * other: the same, with another client CA and another server certificate */
static struct simproc main_sim, other_sim;
static bool have_sims;
static char start_error[1024];

/* What kubesim's kubeconfig holds, as PEM files and strings. */
static char *server;
static char *ca_file, *cert_file, *key_file;
static char *other_ca_file, *other_cert_file, *other_key_file;

#define NEED_SIMS()                                                                                \
	do {                                                                                       \
		if (!have_sims)                                                                    \
			fail_msg("kubesim unavailable: %s", start_error);                          \
	} while (0)

/* ---- the identity the server sees ---- */

struct whoami {
	long status;
	char user[128];
	char groups[256]; /* "a,b," */
	char error[512];
};

static void review(struct kube_config *cfg, struct whoami *out)
{
	static const char body[] =
	    "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}";
	struct kube_request rq = {.method = "POST",
				  .path = REVIEW_PATH,
				  .body = body,
				  .body_len = sizeof(body) - 1,
				  .content_type = "application/json",
				  .timeout_ms = 15000};
	struct kube_response resp = {0};
	struct err err = {{0}};
	struct kube_http *h = kube_http_new(NULL, cfg, &err);

	memset(out, 0, sizeof(*out));
	if (!h)
		fail_msg("client: %s", err.msg);
	if (!kube_http_request_sync(h, &rq, &resp)) {
		str_copy(out->error, sizeof(out->error), resp.err.msg);
	} else if (resp.status != 201) {
		kube_error_describe(resp.status, resp.body, resp.body_len, &err);
		str_copy(out->error, sizeof(out->error), err.msg);
	} else {
		json_t *doc = json_loads(resp.body, 0, NULL);
		json_t *info = json_object_get(json_object_get(doc, "status"), "userInfo");
		json_t *g;
		size_t i;

		assert_non_null(info);
		str_copy(out->user, sizeof(out->user),
			 json_string_value(json_object_get(info, "username")));
		json_array_foreach(json_object_get(info, "groups"), i, g)
		{
			size_t len = strlen(out->groups);

			snprintf(out->groups + len, sizeof(out->groups) - len, "%s,",
				 json_string_value(g));
		}
		json_decref(doc);
	}
	out->status = resp.status;
	kube_response_free(&resp);
	kube_http_free(h);
}

/* Parses text as the kubeconfig file <dir>/<name> and asks who we are. */
static void review_text(const char *name, const char *text, struct whoami *out)
{
	char *path = kt_write(name, text);
	const char *files[] = {path};
	struct err err = {{0}};
	struct kube_config *cfg = kubeconfig_load_files(files, 1, NULL, &err);

	if (!cfg)
		fail_msg("%s: %s", name, err.msg);
	review(cfg, out);
	free(path);
}

static void expect_user(const struct whoami *w, const char *user, const char *groups)
{
	if (w->status != 201)
		fail_msg("expected %s, got HTTP %ld: %s", user, w->status, w->error);
	assert_string_equal(w->user, user);
	assert_string_equal(w->groups, groups);
}

static void expect_unauthorized(const struct whoami *w)
{
	assert_int_equal(w->status, 401);
	assert_string_equal(w->error, "Unauthorized: the cluster did not accept the credentials");
}

/* A kubeconfig for main's server with these cluster and user lines
 * (indented for cluster: and user:). */
static char *config_text(const char *cluster_yaml, const char *user_yaml)
{
	return xasprintf("apiVersion: v1\n"
			 "kind: Config\n"
			 "current-context: t\n"
			 "clusters:\n- name: c\n  cluster:\n    server: %s\n%s"
			 "contexts:\n- name: t\n  context: {cluster: c, user: u}\n"
			 "users:\n- name: u\n  user:\n%s",
			 server, cluster_yaml, user_yaml);
}

static char *with_ca(const char *user_yaml)
{
	char *ca = xasprintf("    certificate-authority: %s\n", ca_file);
	char *text = config_text(ca, user_yaml);

	free(ca);
	return text;
}

/* ---- tests ---- */

static void test_token(void **state)
{
	struct whoami w;
	char *text;

	(void)state;
	NEED_SIMS();
	text = with_ca("    token: " TOKEN "\n");
	review_text("token.yaml", text, &w);
	expect_user(&w, "admin", "system:masters,system:authenticated,");
	free(text);

	text = with_ca("    token: not-the-token-at-all\n");
	review_text("token-bad.yaml", text, &w);
	expect_unauthorized(&w);
	free(text);
}

static void test_token_file(void **state)
{
	struct whoami w;
	char *text;

	(void)state;
	NEED_SIMS();
	/* relative to the kubeconfig, surrounding whitespace dropped */
	free(kt_write("tf/secret/token", "\n  " TOKEN "\n"));
	text = with_ca("    tokenFile: secret/token\n");
	review_text("tf/config", text, &w);
	expect_user(&w, "admin", "system:masters,system:authenticated,");
	free(text);

	free(kt_write("tf/secret/token", "wrong-token-in-file\n"));
	text = with_ca("    tokenFile: secret/token\n");
	review_text("tf/config", text, &w);
	expect_unauthorized(&w);
	free(text);
}

static void test_client_cert_data(void **state)
{
	const char *files[] = {main_sim.kubeconfig};
	struct err err = {{0}};
	struct kube_config *cfg;
	struct whoami w;

	(void)state;
	NEED_SIMS();
	/* the kubeconfig exactly as kubesim wrote it: -data fields, no token */
	cfg = kubeconfig_load_files(files, 1, NULL, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_null(cfg->token);
	assert_null(cfg->client_cert_path);
	assert_true(cfg->client_cert.len > 0 && cfg->client_key.len > 0);
	review(cfg, &w);
	expect_user(&w, "kubesim-admin", "system:masters,system:authenticated,");
}

static void test_client_cert_files(void **state)
{
	struct whoami w;
	char *text, *user;

	(void)state;
	NEED_SIMS();
	user = xasprintf("    client-certificate: %s\n    client-key: %s\n", cert_file, key_file);
	text = with_ca(user);
	review_text("cert-files.yaml", text, &w);
	expect_user(&w, "kubesim-admin", "system:masters,system:authenticated,");
	free(text);
	free(user);

	/* a certificate from another CA is no credential: 401 */
	user = xasprintf("    client-certificate: %s\n    client-key: %s\n", other_cert_file,
			 other_key_file);
	text = with_ca(user);
	review_text("cert-other-ca.yaml", text, &w);
	expect_unauthorized(&w);
	free(text);
	free(user);

	/* ... but a token still is, with or without such a certificate */
	user = xasprintf("    client-certificate: %s\n    client-key: %s\n    token: " TOKEN "\n",
			 other_cert_file, other_key_file);
	text = with_ca(user);
	review_text("cert-other-ca-token.yaml", text, &w);
	expect_user(&w, "admin", "system:masters,system:authenticated,");
	free(text);
	free(user);

	/* a key that is not the certificate's is refused before any request */
	user = xasprintf("    client-certificate: %s\n    client-key: %s\n", cert_file,
			 other_key_file);
	text = with_ca(user);
	review_text("cert-wrong-key.yaml", text, &w);
	assert_int_equal(w.status, 0);
	assert_non_null(strstr(w.error, "private key"));
	free(text);
	free(user);
}

static void test_basic_auth(void **state)
{
	struct whoami w;
	char *text;

	(void)state;
	NEED_SIMS();
	/* a password with a colon, a space and a quote */
	text = with_ca("    username: " BASIC_USER "\n    password: 's3cret: pass''word'\n");
	review_text("basic.yaml", text, &w);
	expect_user(&w, BASIC_USER, "system:authenticated,");
	free(text);

	text = with_ca("    username: " BASIC_USER "\n    password: s3cret\n");
	review_text("basic-bad.yaml", text, &w);
	expect_unauthorized(&w);
	free(text);
}

/* The plugin counts its runs in a file and hands out the token with an
 * expiry 12 s ahead: the client refreshes 10 s before an expiry, so the
 * credential is good for about 2 s. */
static void test_exec_expiry(void **state)
{
	struct kube_config *cfg;
	struct kube_http *h;
	struct err err = {{0}};
	char *script, *text, *runs;
	const char *files[1];
	struct kube_request rq = {.method = "GET", .path = "/api/v1/namespaces/default"};
	struct kube_response resp = {0};
	time_t t0;

	(void)state;
	NEED_SIMS();
	script = kt_write_exec(
	    "exec/plugin.sh",
	    "#!/bin/sh\n"
	    "dir=$(dirname \"$0\")\n"
	    "echo run >> \"$dir/runs\"\n"
	    "exp=$(date -u -d \"@$(( $(date +%s) + 12 ))\" +%Y-%m-%dT%H:%M:%SZ)\n"
	    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
	    "\"ExecCredential\",\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}\\n' "
	    "\"$KUBEAUTH_TOKEN\" \"$exp\"\n");
	free(script);
	text = with_ca("    exec:\n"
		       "      apiVersion: client.authentication.k8s.io/v1\n"
		       "      command: ./plugin.sh\n"
		       "      interactiveMode: Never\n"
		       "      env:\n"
		       "      - {name: KUBEAUTH_TOKEN, value: " TOKEN "}\n");
	files[0] = kt_write("exec/config", text);
	free(text);
	cfg = kubeconfig_load_files(files, 1, NULL, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	h = kube_http_new(NULL, cfg, &err);
	assert_non_null(h);

	/* the first request runs the plugin, the next one uses its token */
	t0 = time(NULL);
	for (int i = 0; i < 2; i++) {
		assert_true(kube_http_request_sync(h, &rq, &resp));
		assert_int_equal(resp.status, 200);
		kube_response_free(&resp);
	}
	runs = xasprintf("%s/exec/runs", kt_dir());
	{
		char *text_runs = kt_read(runs);

		assert_non_null(text_runs);
		if (time(NULL) - t0 < 2)
			assert_string_equal(text_runs, "run\n");
		free(text_runs);
	}
	/* once it has expired (with the client's margin), the plugin runs again */
	while (time(NULL) - t0 < 4)
		usleep(100000);
	assert_true(kube_http_request_sync(h, &rq, &resp));
	assert_int_equal(resp.status, 200);
	kube_response_free(&resp);
	{
		char *text_runs = kt_read(runs);

		assert_string_equal(text_runs, "run\nrun\n");
		free(text_runs);
	}
	kube_http_free(h);
	free(runs);
	free((char *)files[0]);
}

/* KUBECONFIG=a:b: the first file to name a cluster, user or context wins
 * it, and current-context comes from the first file that sets one. */
static void test_merge(void **state)
{
	struct kubeconfig_opts o = {.no_in_cluster = true};
	struct err err = {{0}};
	struct kube_config *cfg;
	struct whoami w;
	char *a, *b, *a_path, *b_path, *env;

	(void)state;
	NEED_SIMS();
	/* a: context sim with user u (the good token); no cluster c */
	a = xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: sim\n"
		      "contexts:\n- name: sim\n  context: {cluster: c, user: u}\n"
		      "users:\n- name: u\n  user: {token: " TOKEN "}\n");
	/* b: cluster c, user u again (a wrong token), another current context */
	b = xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: elsewhere\n"
		      "clusters:\n- name: c\n  cluster:\n    server: %s\n"
		      "    certificate-authority: %s\n"
		      "contexts:\n- name: elsewhere\n  context: {cluster: c, user: u}\n"
		      "users:\n- name: u\n  user: {token: wrong-token-from-b}\n",
		      server, ca_file);
	a_path = kt_write("merge/a", a);
	b_path = kt_write("merge/b", b);

	env = xasprintf("%s:%s", a_path, b_path);
	setenv("KUBECONFIG", env, 1);
	cfg = kubeconfig_load(&o, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->context, "sim");
	assert_string_equal(cfg->server, server);
	review(cfg, &w);
	expect_user(&w, "admin", "system:masters,system:authenticated,");
	free(env);

	/* b:a: b's current context and b's user u */
	env = xasprintf("%s:%s", b_path, a_path);
	setenv("KUBECONFIG", env, 1);
	cfg = kubeconfig_load(&o, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->context, "elsewhere");
	review(cfg, &w);
	expect_unauthorized(&w);
	free(env);

	/* a missing file in the list is skipped; a's context is chosen by name */
	env = xasprintf("%s/merge/none:%s:%s", kt_dir(), b_path, a_path);
	setenv("KUBECONFIG", env, 1);
	o.context = "sim";
	cfg = kubeconfig_load(&o, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	review(cfg, &w);
	/* the context is a's, but user u is b's: b comes first */
	expect_unauthorized(&w);
	unsetenv("KUBECONFIG");
	free(env);
	free(a);
	free(b);
	free(a_path);
	free(b_path);
}

static void test_tls_verify(void **state)
{
	struct whoami w;
	char *text, *cluster;

	(void)state;
	NEED_SIMS();
	/* no CA, no skip: the system's trust store does not know kubesim */
	text = config_text("", "    token: " TOKEN "\n");
	review_text("tls-none.yaml", text, &w);
	assert_int_equal(w.status, 0);
	assert_non_null(strstr(w.error, "cannot be trusted"));
	free(text);

	/* insecure-skip-tls-verify: no check at all */
	text = config_text("    insecure-skip-tls-verify: true\n", "    token: " TOKEN "\n");
	review_text("tls-skip.yaml", text, &w);
	expect_user(&w, "admin", "system:masters,system:authenticated,");
	free(text);

	/* the right CA as a file (a relative path) */
	{
		char *pem = kt_read(ca_file);

		free(kt_write("tls/ca.pem", pem));
		free(pem);
	}
	text = config_text("    certificate-authority: ca.pem\n", "    token: " TOKEN "\n");
	review_text("tls/config", text, &w);
	expect_user(&w, "admin", "system:masters,system:authenticated,");
	free(text);

	/* another server's CA */
	cluster = xasprintf("    certificate-authority: %s\n", other_ca_file);
	text = config_text(cluster, "    token: " TOKEN "\n");
	review_text("tls-other.yaml", text, &w);
	assert_int_equal(w.status, 0);
	assert_non_null(strstr(w.error, "cannot be trusted"));
	free(text);
	free(cluster);
}

/* API requests kubesim has answered so far (its /sim/ requests are not
 * counted). */
static long sim_requests(void)
{
	char *text = with_ca("    token: " TOKEN "\n");
	char *path = kt_write("stats.yaml", text);
	const char *files[] = {path};
	struct err err = {{0}};
	struct kube_config *cfg = kubeconfig_load_files(files, 1, NULL, &err);
	struct kube_request rq = {.method = "GET", .path = "/sim/stats", .timeout_ms = 15000};
	struct kube_response resp = {0};
	struct kube_http *h;
	json_t *doc;
	long n;

	assert_non_null(cfg);
	h = kube_http_new(NULL, cfg, &err);
	assert_non_null(h);
	assert_true(kube_http_request_sync(h, &rq, &resp));
	assert_int_equal(resp.status, 200);
	doc = json_loads(resp.body, 0, NULL);
	assert_true(json_is_integer(json_object_get(doc, "requests")));
	n = (long)json_integer_value(json_object_get(doc, "requests"));
	json_decref(doc);
	kube_response_free(&resp);
	kube_http_free(h);
	free(text);
	free(path);
	return n;
}

/* Bad files are reported as path:line:column, and nothing is sent. */
static void test_bad_files(void **state)
{
	static const struct {
		const char *name, *user, *cluster, *want;
	} cases[] = {
	    {"bad-b64.yaml", "    token: " TOKEN "\n", "    certificate-authority-data: '%%%'\n",
	     ":8:33: certificate-authority-data: not valid base64"},
	    {"bad-tokenfile.yaml", "    tokenFile: missing/token\n", "",
	     ":14:16: tokenFile: cannot read "},
	    {"bad-skip.yaml", "    token: " TOKEN "\n", "    insecure-skip-tls-verify: maybe\n",
	     ":8:31: insecure-skip-tls-verify: expected true or false"},
	    {"bad-exec.yaml",
	     "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	     "      command: plugin\n",
	     "", ":15:7: exec: interactiveMode is required"},
	};
	struct err err = {{0}};
	long before;

	(void)state;
	NEED_SIMS();
	before = sim_requests();
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *text = config_text(cases[i].cluster, cases[i].user);
		char *path = kt_write(cases[i].name, text);
		const char *files[] = {path};
		struct kube_config *cfg = kubeconfig_load_files(files, 1, NULL, &err);

		if (cfg)
			fail_msg("%s was accepted", cases[i].name);
		if (!str_has_prefix(err.msg, path) || !strstr(err.msg, cases[i].want))
			fail_msg("%s: \"%s\" is not \"%s%s...\"", cases[i].name, err.msg, path,
				 cases[i].want);
		/* the token is a secret: never in a message */
		assert_null(strstr(err.msg, TOKEN));
		free(text);
		free(path);
	}
	{
		/* YAML that does not parse, found through KUBECONFIG after a good file */
		struct kubeconfig_opts o = {.no_in_cluster = true};
		char *good = with_ca("    token: " TOKEN "\n");
		char *gpath = kt_write("bad/good.yaml", good);
		char *bpath = kt_write("bad/broken.yaml", "users:\n- name: u\n  user: {token: [}\n");
		char *env = xasprintf("%s:%s", gpath, bpath);
		char *want = xasprintf("%s:3:", bpath);

		setenv("KUBECONFIG", env, 1);
		assert_null(kubeconfig_load(&o, &err));
		unsetenv("KUBECONFIG");
		if (!str_has_prefix(err.msg, want))
			fail_msg("\"%s\" does not start with \"%s\"", err.msg, want);
		free(good);
		free(gpath);
		free(bpath);
		free(env);
		free(want);
	}
	assert_int_equal(sim_requests(), before);
}

/* ---- setup ---- */

/* Writes the PEM of blob to <dir>/<name>; returns the path. */
static char *pem_file(const char *name, const struct kube_blob *blob)
{
	char *text = xstrndup((const char *)blob->data, blob->len);
	char *path = kt_write(name, text);

	free(text);
	return path;
}

static bool start(struct simproc *sp, const char *name, const char *const *args,
		  struct kube_config **cfg)
{
	const char *files[1];
	struct err err = {{0}};

	if (!simproc_start(sp, name, args, &err)) {
		str_copy(start_error, sizeof(start_error), err.msg);
		return false;
	}
	files[0] = sp->kubeconfig;
	*cfg = kubeconfig_load_files(files, 1, NULL, &err);
	if (!*cfg) {
		snprintf(start_error, sizeof(start_error), "%s's kubeconfig: %s", name, err.msg);
		return false;
	}
	return true;
}

static int setup(void **state)
{
	static const char *const main_args[] = {"--token",
						"" TOKEN "",
						"--basic-auth",
						BASIC_USER ":" BASIC_PASSWORD,
						"--kubeconfig-auth",
						"cert",
						NULL};
	static const char *const other_args[] = {"--kubeconfig-auth", "cert", NULL};
	struct kube_config *m = NULL, *o = NULL;

	(void)state;
	have_sims = start(&main_sim, "main", main_args, &m) &&
		    start(&other_sim, "other", other_args, &o);
	if (have_sims) {
		server = xstrdup(m->server);
		ca_file = pem_file("pem/ca.pem", &m->ca);
		cert_file = pem_file("pem/client.pem", &m->client_cert);
		key_file = pem_file("pem/client-key.pem", &m->client_key);
		other_ca_file = pem_file("pem/other-ca.pem", &o->ca);
		other_cert_file = pem_file("pem/other-client.pem", &o->client_cert);
		other_key_file = pem_file("pem/other-client-key.pem", &o->client_key);
	}
	kubeconfig_free(m);
	kubeconfig_free(o);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	simproc_stop(&main_sim);
	simproc_stop(&other_sim);
	free(server);
	free(ca_file);
	free(cert_file);
	free(key_file);
	free(other_ca_file);
	free(other_cert_file);
	free(other_key_file);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token),	 cmocka_unit_test(test_token_file),
	    cmocka_unit_test(test_client_cert_data), cmocka_unit_test(test_client_cert_files),
	    cmocka_unit_test(test_basic_auth),	 cmocka_unit_test(test_exec_expiry),
	    cmocka_unit_test(test_merge),	 cmocka_unit_test(test_tls_verify),
	    cmocka_unit_test(test_bad_files),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("kubeauth", tests, setup, teardown);
	kt_cleanup();
	return rc;
}
