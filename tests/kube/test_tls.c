/* TLS as the kubeconfig asks for it, against a real TLS server: the
 * cluster's CA, verification on by default, insecure-skip-tls-verify,
 * tls-server-name, and client certificates from the kubeconfig and from an
 * exec plugin. */
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
#include "b64.h"
#include "kube/http.h"
#include "kubetest.h"
#include "tlsserver.h"

static struct tls_server *srv;

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static char *b64s(const char *s)
{
	return b64_encode((const unsigned char *)s, strlen(s));
}

/* Runs one GET with a kubeconfig made of cluster and user lines. */
static void get(const char *cluster_yaml, const char *user_yaml, struct kube_response *out)
{
	struct err err;
	char *text =
	    xasprintf("current-context: t\n"
		      "clusters:\n"
		      "- name: c\n"
		      "  cluster:\n"
		      "    server: %s\n%s"
		      "contexts: [{name: t, context: {cluster: c, user: u}}]\n"
		      "users:\n"
		      "- name: u\n"
		      "  user:\n%s",
		      tls_server_url(srv), cluster_yaml, user_yaml ? user_yaml : "    {}\n");
	struct kube_config *cfg =
	    kubeconfig_parse("tls.yaml", text, strlen(text), NULL, kt_dir(), &err);
	struct loop *loop = loop_new();
	struct kube_http *h;
	struct kube_request rq = {.path = "/api?x=1", .timeout_ms = 5000, .retries = 0};

	if (!cfg)
		fail_msg("%s", err.msg);
	h = kube_http_new(loop, cfg, &err);
	assert_non_null(h);
	kube_http_request_sync(h, &rq, out);
	kube_http_free(h);
	loop_free(loop);
	free(text);
}

static char *ca_line(void)
{
	char *ca = b64s(tls_server_ca(srv));
	char *line = xasprintf("    certificate-authority-data: %s\n", ca);

	free(ca);
	return line;
}

static const char *field(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	assert_non_null(v);
	return v;
}

static json_t *answer(const struct kube_response *r)
{
	json_t *o;

	if (err_isset(&r->err))
		fail_msg("request failed: %s", r->err.msg);
	assert_int_equal(r->status, 200);
	o = json_loads(r->body, 0, NULL);
	assert_non_null(o);
	return o;
}

static void test_ca_verification(void **state)
{
	struct kube_response r;
	char *ca = ca_line();
	json_t *o;

	(void)state;
	get(ca, NULL, &r);
	o = answer(&r);
	assert_string_equal(field(o, "client"), "");
	assert_string_equal(field(o, "path"), "/api?x=1");
	json_decref(o);
	kube_response_free(&r);

	/* without the cluster's CA the server is not trusted */
	get("", NULL, &r);
	assert_int_equal(r.status, 0);
	assert_contains(r.err.msg, "GET /api: the certificate of https://127.0.0.1:");
	assert_contains(r.err.msg, "cannot be trusted");
	kube_response_free(&r);

	/* unless told not to check */
	get("    insecure-skip-tls-verify: true\n", NULL, &r);
	o = answer(&r);
	json_decref(o);
	kube_response_free(&r);

	/* a CA from a file, relative to the kubeconfig */
	free(kt_write("tls/ca.pem", tls_server_ca(srv)));
	get("    certificate-authority: tls/ca.pem\n", NULL, &r);
	o = answer(&r);
	json_decref(o);
	kube_response_free(&r);
	free(ca);
}

static void test_tls_server_name(void **state)
{
	struct kube_response r;
	char *ca = ca_line();
	char *cluster = xasprintf("%s    tls-server-name: kube.test\n", ca);
	json_t *o;
	char want_host[64];

	(void)state;
	get(cluster, NULL, &r);
	o = answer(&r);
	/* TLS speaks to kube.test; HTTP still names the server it connects to */
	assert_string_equal(field(o, "sni"), "kube.test");
	snprintf(want_host, sizeof(want_host), "%s", tls_server_url(srv) + strlen("https://"));
	assert_string_equal(field(o, "host"), want_host);
	json_decref(o);
	kube_response_free(&r);
	free(cluster);

	/* a name the certificate does not carry fails verification */
	cluster = xasprintf("%s    tls-server-name: other.test\n", ca);
	get(cluster, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_contains(r.err.msg, "cannot be trusted");
	kube_response_free(&r);
	free(cluster);
	free(ca);
}

static void test_client_certificates(void **state)
{
	struct kube_response r;
	char *ca = ca_line();
	char *cert, *key, *c64, *k64, *user;
	json_t *o;

	(void)state;
	tls_server_client_cert(srv, "opsdeck-client", 0, &cert, &key);
	c64 = b64s(cert);
	k64 = b64s(key);
	user = xasprintf("    client-certificate-data: %s\n    client-key-data: %s\n", c64, k64);
	get(ca, user, &r);
	o = answer(&r);
	assert_string_equal(field(o, "client"), "opsdeck-client");
	json_decref(o);
	kube_response_free(&r);
	free(user);

	/* from files */
	free(kt_write("tls/client.crt", cert));
	free(kt_write("tls/client.key", key));
	get(ca, "    client-certificate: tls/client.crt\n    client-key: tls/client.key\n", &r);
	o = answer(&r);
	assert_string_equal(field(o, "client"), "opsdeck-client");
	json_decref(o);
	kube_response_free(&r);
	free(cert);
	free(key);
	free(c64);
	free(k64);

	/* a certificate from another authority is refused by the server */
	tls_server_client_cert(srv, "intruder", 1, &cert, &key);
	c64 = b64s(cert);
	k64 = b64s(key);
	user = xasprintf("    client-certificate-data: %s\n    client-key-data: %s\n", c64, k64);
	get(ca, user, &r);
	assert_int_equal(r.status, 0);
	assert_true(err_isset(&r.err));
	kube_response_free(&r);
	free(user);
	free(cert);
	free(key);
	free(c64);
	free(k64);
	free(ca);
}

static void test_exec_client_certificate(void **state)
{
	struct kube_response r;
	char *ca = ca_line();
	char *cert, *key, *cred, *script;
	json_t *o, *doc;

	(void)state;
	tls_server_client_cert(srv, "from-exec-plugin", 0, &cert, &key);
	doc = json_pack("{s:s, s:s, s:{s:s, s:s}}", "kind", "ExecCredential", "apiVersion",
			"client.authentication.k8s.io/v1", "status", "clientCertificateData", cert,
			"clientKeyData", key);
	cred = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	free(kt_write("tls/cred.json", cred));
	script = kt_write_exec("tls/plugin", "#!/bin/sh\ncat \"$(dirname \"$0\")/cred.json\"\n");
	get(ca,
	    "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: tls/plugin\n"
	    "      interactiveMode: Never\n",
	    &r);
	o = answer(&r);
	assert_string_equal(field(o, "client"), "from-exec-plugin");
	json_decref(o);
	kube_response_free(&r);
	free(script);
	free(cred);
	free(cert);
	free(key);
	free(ca);
}

static int setup(void **state)
{
	(void)state;
	srv = tls_server_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tls_server_stop(srv);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ca_verification),
	    cmocka_unit_test(test_tls_server_name),
	    cmocka_unit_test(test_client_certificates),
	    cmocka_unit_test(test_exec_client_certificate),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("tls", tests, setup, teardown);
	kt_cleanup();
	return rc;
}
