/* kubeconfig parsing, merging, in-cluster configuration and base64. */
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
#include "b64.h"
#include "kube/kubeconfig.h"
#include "kubetest.h"

#define PEM_CERT "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
#define PEM_KEY "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n"

static char *b64(const char *s)
{
	return b64_encode((const unsigned char *)s, strlen(s));
}

static struct kube_config *parse(const char *text, const char *context, struct err *err)
{
	err_clear(err);
	return kubeconfig_parse("test.yaml", text, strlen(text), context, kt_dir(), err);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static const char *token_cfg = "apiVersion: v1\n"
			       "kind: Config\n"
			       "current-context: dev\n"
			       "clusters:\n"
			       "- name: c1\n"
			       "  cluster:\n"
			       "    server: https://127.0.0.1:6443/\n"
			       "    tls-server-name: kube.example\n"
			       "    proxy-url: http://joe:hunter2@proxy.example:3128\n"
			       "contexts:\n"
			       "- name: dev\n"
			       "  context: {cluster: c1, user: u1, namespace: shop}\n"
			       "- name: other\n"
			       "  context: {cluster: c1}\n"
			       "users:\n"
			       "- name: u1\n"
			       "  user:\n"
			       "    token: s3cr3t-token-value\n";

static void test_token_user(void **state)
{
	struct err err;
	struct kube_config *cfg = parse(token_cfg, NULL, &err);
	struct buf dump = BUF_INIT;

	(void)state;
	assert_non_null(cfg);
	assert_string_equal(cfg->context, "dev");
	assert_string_equal(cfg->namespace, "shop");
	assert_string_equal(cfg->server, "https://127.0.0.1:6443");
	assert_string_equal(cfg->tls_server_name, "kube.example");
	assert_string_equal(cfg->proxy_url, "http://joe:hunter2@proxy.example:3128");
	assert_string_equal(cfg->token, "s3cr3t-token-value");
	assert_null(cfg->ca.data);
	assert_false(cfg->insecure);
	kubeconfig_dump(cfg, &dump);
	assert_null(strstr(buf_str(&dump), "s3cr3t"));
	assert_null(strstr(buf_str(&dump), "hunter2"));
	assert_contains(buf_str(&dump), "token: <redacted>");
	assert_contains(buf_str(&dump), "proxy-url: http://<redacted>@proxy.example:3128");
	assert_contains(buf_str(&dump), "the system's trust store");
	buf_free(&dump);
	kubeconfig_free(cfg);

	/* a password with an '@': the userinfo ends at the last one, as in Go */
	cfg = parse("current-context: x\nclusters: [{name: c, cluster: {server: 'https://k', "
		    "proxy-url: 'http://joe:hun@ter2@proxy.example:3128/p'}}]\n"
		    "contexts: [{name: x, context: {cluster: c}}]\n",
		    NULL, &err);
	assert_non_null(cfg);
	buf_reset(&dump);
	kubeconfig_dump(cfg, &dump);
	assert_null(strstr(buf_str(&dump), "ter2"));
	assert_contains(buf_str(&dump), "proxy-url: http://<redacted>@proxy.example:3128/p");
	buf_free(&dump);
	kubeconfig_free(cfg);

	/* an explicit context, anonymous, default namespace */
	cfg = parse(token_cfg, "other", &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->namespace, "default");
	assert_string_equal(cfg->user_name, "");
	assert_null(cfg->token);
	kubeconfig_free(cfg);

	cfg = parse(token_cfg, "nope", &err);
	assert_null(cfg);
	assert_string_equal(err.msg, "no context \"nope\" in the kubeconfig test.yaml "
				     "(contexts: dev, other)");
}

static void test_token_file(void **state)
{
	struct err err;
	struct kube_config *cfg;
	char *tok = kt_write("tokens/t1", "  file-token-1\n");
	const char *text = "current-context: x\n"
			   "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n"
			   "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
			   "users:\n"
			   "- name: u\n"
			   "  user:\n"
			   "    tokenFile: tokens/t1\n";
	char *s;

	(void)state;
	cfg = parse(text, NULL, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->token_file, tok);
	s = kubeconfig_read_token_file(cfg->token_file, &err);
	assert_string_equal(s, "file-token-1");
	kubeconfig_free_secret(s);
	kubeconfig_free(cfg);
	free(tok);

	free(kt_write("tokens/empty", "\n\n"));
	{
		char *p = xasprintf("%s/tokens/empty", kt_dir());

		err_clear(&err);
		assert_null(kubeconfig_read_token_file(p, &err));
		assert_contains(err.msg, "does not hold one token");
		free(p);
	}

	/* a missing token file is reported where it is named */
	cfg = parse("current-context: x\n"
		    "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n"
		    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		    "users:\n"
		    "- name: u\n"
		    "  user:\n"
		    "    tokenFile: tokens/missing\n",
		    NULL, &err);
	assert_null(cfg);
	assert_contains(err.msg, "test.yaml:7:16: tokenFile: cannot read ");
	assert_contains(err.msg, "tokens/missing: No such file or directory");
}

static void test_client_cert_data_and_files(void **state)
{
	struct err err;
	struct kube_config *cfg;
	char *cert = b64(PEM_CERT), *key = b64(PEM_KEY), *ca = b64(PEM_CERT);
	char *text = xasprintf("current-context: x\n"
			       "clusters:\n"
			       "- name: c\n"
			       "  cluster:\n"
			       "    server: https://k.example\n"
			       "    certificate-authority-data: %s\n"
			       "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
			       "users:\n"
			       "- name: u\n"
			       "  user:\n"
			       "    client-certificate-data: %s\n"
			       "    client-key-data: %s\n",
			       ca, cert, key);
	struct buf dump = BUF_INIT;

	(void)state;
	cfg = parse(text, NULL, &err);
	assert_non_null(cfg);
	assert_int_equal(cfg->ca.len, strlen(PEM_CERT));
	assert_memory_equal(cfg->ca.data, PEM_CERT, strlen(PEM_CERT));
	assert_memory_equal(cfg->client_cert.data, PEM_CERT, strlen(PEM_CERT));
	assert_memory_equal(cfg->client_key.data, PEM_KEY, strlen(PEM_KEY));
	kubeconfig_dump(cfg, &dump);
	assert_null(strstr(buf_str(&dump), "MIIEfake"));
	assert_contains(buf_str(&dump), "client-key: <redacted>");
	buf_free(&dump);
	kubeconfig_free(cfg);
	free(text);

	/* files, relative to the kubeconfig's directory */
	free(kt_write("pki/ca.crt", PEM_CERT));
	free(kt_write("pki/client.crt", PEM_CERT));
	free(kt_write("pki/client.key", PEM_KEY));
	cfg = parse("current-context: x\n"
		    "clusters: [{name: c, cluster: {server: 'https://k', certificate-authority: "
		    "pki/ca.crt}}]\n"
		    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		    "users: [{name: u, user: {client-certificate: pki/client.crt, client-key: "
		    "pki/client.key}}]\n",
		    NULL, &err);
	assert_non_null(cfg);
	assert_non_null(cfg->ca_path);
	assert_non_null(strstr(cfg->ca_path, "/pki/ca.crt"));
	assert_int_equal(cfg->client_key.len, strlen(PEM_KEY));
	kubeconfig_free(cfg);

	/* a certificate without its key */
	text = xasprintf("current-context: x\n"
			 "clusters: [{name: c, cluster: {server: 'https://k'}}]\n"
			 "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
			 "users:\n"
			 "- name: u\n"
			 "  user:\n"
			 "    client-certificate-data: %s\n",
			 cert);
	cfg = parse(text, NULL, &err);
	assert_null(cfg);
	assert_string_equal(err.msg, "test.yaml:7:5: a client certificate needs its key and a key "
				     "its certificate");
	free(text);

	/* data that is not PEM */
	text = xasprintf("current-context: x\n"
			 "clusters: [{name: c, cluster: {server: 'https://k', "
			 "certificate-authority-data: %s}}]\n"
			 "contexts: [{name: x, context: {cluster: c}}]\n",
			 key);
	cfg = parse(text, NULL, &err);
	assert_null(cfg);
	assert_contains(err.msg, "certificate-authority-data: does not hold a PEM certificate");
	free(text);
	free(cert);
	free(key);
	free(ca);
}

static void test_basic_auth(void **state)
{
	struct err err;
	struct buf dump = BUF_INIT;
	struct kube_config *cfg =
	    parse("current-context: x\n"
		  "clusters: [{name: c, cluster: {server: 'https://k', insecure-skip-tls-verify: "
		  "true}}]\n"
		  "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		  "users: [{name: u, user: {username: admin, password: pa55word}}]\n",
		  NULL, &err);

	(void)state;
	assert_non_null(cfg);
	assert_true(cfg->insecure);
	assert_string_equal(cfg->username, "admin");
	assert_string_equal(cfg->password, "pa55word");
	kubeconfig_dump(cfg, &dump);
	assert_null(strstr(buf_str(&dump), "pa55word"));
	assert_contains(buf_str(&dump), "password: <redacted>");
	assert_contains(buf_str(&dump), "insecure-skip-tls-verify: true");
	buf_free(&dump);
	kubeconfig_free(cfg);

	cfg = parse("current-context: x\n"
		    "clusters: [{name: c, cluster: {server: 'https://k'}}]\n"
		    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		    "users: [{name: u, user: {username: admin, password: p, token: t}}]\n",
		    NULL, &err);
	assert_null(cfg);
	assert_string_equal(err.msg, "test.yaml:4:25: more than one authentication method: a "
				     "token and a username/password");
}

static void test_exec_config(void **state)
{
	struct err err;
	struct buf dump = BUF_INIT;
	const char *text = "current-context: x\n"
			   "clusters: [{name: c, cluster: {server: 'https://k'}}]\n"
			   "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
			   "users:\n"
			   "- name: u\n"
			   "  user:\n"
			   "    exec:\n"
			   "      apiVersion: client.authentication.k8s.io/v1\n"
			   "      command: bin/get-token\n"
			   "      args: [--cluster, prod]\n"
			   "      env:\n"
			   "      - {name: SECRET_ENV, value: topsecret}\n"
			   "      interactiveMode: Never\n"
			   "      provideClusterInfo: true\n"
			   "      installHint: install get-token\n";
	struct kube_config *cfg = parse(text, NULL, &err);
	const struct kube_exec_config *x;
	char *want;

	(void)state;
	assert_non_null(cfg);
	x = cfg->exec;
	assert_non_null(x);
	assert_string_equal(x->api_version, "client.authentication.k8s.io/v1");
	want = xasprintf("%s/bin/get-token", kt_dir());
	assert_string_equal(x->command, want);
	free(want);
	assert_int_equal(x->nargs, 2);
	assert_string_equal(x->args[1], "prod");
	assert_int_equal(x->nenv, 1);
	assert_string_equal(x->env[0].name, "SECRET_ENV");
	assert_string_equal(x->env[0].value, "topsecret");
	assert_int_equal(x->interactive, KUBE_EXEC_NEVER);
	assert_true(x->provide_cluster_info);
	assert_string_equal(x->install_hint, "install get-token");
	kubeconfig_dump(cfg, &dump);
	assert_null(strstr(buf_str(&dump), "topsecret"));
	assert_contains(buf_str(&dump), "env SECRET_ENV=<redacted>");
	buf_free(&dump);
	kubeconfig_free(cfg);

	/* a bare command name stays for PATH lookup */
	cfg = parse("current-context: x\n"
		    "clusters: [{name: c, cluster: {server: 'https://k'}}]\n"
		    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		    "users: [{name: u, user: {exec: {apiVersion: "
		    "client.authentication.k8s.io/v1beta1, command: aws}}}]\n",
		    NULL, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->exec->command, "aws");
	assert_int_equal(cfg->exec->interactive, KUBE_EXEC_IF_AVAILABLE);
	kubeconfig_free(cfg);

	/* v1 needs interactiveMode */
	cfg = parse("users:\n"
		    "- name: u\n"
		    "  user:\n"
		    "    exec:\n"
		    "      apiVersion: client.authentication.k8s.io/v1\n"
		    "      command: x\n",
		    "any", &err);
	assert_null(cfg);
	assert_string_equal(err.msg, "test.yaml:5:7: exec: interactiveMode is required with "
				     "client.authentication.k8s.io/v1");

	cfg = parse("users:\n"
		    "- name: u\n"
		    "  user:\n"
		    "    exec:\n"
		    "      apiVersion: client.authentication.k8s.io/v1alpha1\n"
		    "      command: x\n",
		    "any", &err);
	assert_null(cfg);
	assert_contains(err.msg, "test.yaml:5:19: exec: apiVersion "
				 "\"client.authentication.k8s.io/v1alpha1\" is not supported");

	cfg = parse("users:\n"
		    "- name: u\n"
		    "  user:\n"
		    "    exec:\n"
		    "      apiVersion: client.authentication.k8s.io/v1beta1\n"
		    "      command: x\n"
		    "      env: [{value: y}]\n",
		    "any", &err);
	assert_null(cfg);
	assert_string_equal(err.msg, "test.yaml:7:13: exec: env: entry needs a name without '='");
}

static void test_bad_files(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"clusters: [\n", "test.yaml:2:1: "},
	    {"- a\n- b\n", "test.yaml:1:1: a kubeconfig is a mapping"},
	    {"clusters: {a: 1}\n", "test.yaml:1:11: clusters: expected a list, not a mapping"},
	    {"clusters:\n- name: c\n  cluster:\n    server: [x]\n",
	     "test.yaml:4:13: server: expected a text value, not a list"},
	    {"clusters:\n- name: c\n  cluster:\n    certificate-authority-data: '%%%'\n",
	     "test.yaml:4:33: certificate-authority-data: not valid base64"},
	    {"clusters:\n- cluster: {server: 'https://k'}\n",
	     "test.yaml:2:3: cluster entry has no name"},
	    {"clusters:\n- name: a\n", "test.yaml:2:3: cluster \"a\" has no cluster: section"},
	    {"clusters:\n- name: a\n  cluster: {server: 'https://a'}\n- name: a\n  cluster: "
	     "{server: "
	     "'https://b'}\n",
	     "test.yaml:4:3: cluster \"a\" is defined twice (also at line 2)"},
	    {"clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: maybe\n",
	     "test.yaml:4:31: insecure-skip-tls-verify: expected true or false"},
	    {"kind: Pod\n", "test.yaml:1:7: kind: expected Config, not \"Pod\""},
	    {"contexts: [{name: x, context: {cluster: c, namespace: Bad_NS}}]\n",
	     "test.yaml:1:55: namespace: \"Bad_NS\" is not a valid namespace name"},
	    {"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n",
	     "test.yaml:2:41: cluster \"c\" is not defined in test.yaml"},
	    {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://k'}}]\n"
	     "contexts: [{name: x, context: {cluster: c, user: nobody}}]\n",
	     "test.yaml:3:50: user \"nobody\" is not defined in test.yaml"},
	    {"current-context: x\nclusters: [{name: c, cluster: {insecure-skip-tls-verify: "
	     "true}}]\n"
	     "contexts: [{name: x, context: {cluster: c}}]\n",
	     "test.yaml:2:31: cluster has no server"},
	    {"current-context: x\nclusters: [{name: c, cluster: {server: 'ftp://k'}}]\n"
	     "contexts: [{name: x, context: {cluster: c}}]\n",
	     "test.yaml:2:40: server: expected an http:// or https:// URL"},
	    {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://u:p@k'}}]\n"
	     "contexts: [{name: x, context: {cluster: c}}]\n",
	     "test.yaml:2:40: server: expected an http:// or https:// URL without credentials"},
	    {"current-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://k\n"
	     "    insecure-skip-tls-verify: true\n    certificate-authority: ca.pem\n"
	     "contexts: [{name: x, context: {cluster: c}}]\n",
	     "test.yaml:6:31: insecure-skip-tls-verify cannot be used together with a certificate "
	     "authority"},
	    {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://k', "
	     "certificate-authority: missing.pem}}]\n"
	     "contexts: [{name: x, context: {cluster: c}}]\n",
	     "test.yaml:2:76: certificate-authority: cannot read "},
	    {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://k', proxy-url: "
	     "'ftp://p'}}]\n"
	     "contexts: [{name: x, context: {cluster: c}}]\n",
	     "test.yaml:2:64: proxy-url: expected an http, https or socks5 URL"},
	    {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://k'}}]\n"
	     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {auth-provider: {name: oidc}}}]\n",
	     "test.yaml:4:41: auth-provider \"oidc\" is not supported"},
	    {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://k'}}]\n"
	     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {token: t, as: admin}}]\n",
	     "test.yaml:4:40: impersonation (as, as-groups) is not supported"},
	    {"clusters: []\n", "test.yaml sets no current-context"},
	    {"current-context: x\nclusters: [{name: c, cluster: {server: 'https://k'}}]\n"
	     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	     "users: [{name: u, user: {token: \"a\\r\\nX-Evil: 1\"}}]\n",
	     "test.yaml:4:33: token: holds a control character or line break"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct err err;
		struct kube_config *cfg = parse(cases[i].text, NULL, &err);

		if (cfg)
			fail_msg("case %zu parsed", i);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: got \"%s\", want a message starting \"%s\"", i, err.msg,
				 cases[i].msg);
	}
}

static void test_unused_entries_are_checked(void **state)
{
	struct err err;
	struct kube_config *cfg =
	    parse("current-context: x\n"
		  "clusters:\n"
		  "- {name: c, cluster: {server: 'https://k'}}\n"
		  "- {name: d, cluster: {certificate-authority-data: 'no!'}}\n"
		  "contexts: [{name: x, context: {cluster: c}}]\n",
		  NULL, &err);

	(void)state;
	assert_null(cfg);
	assert_string_equal(err.msg,
			    "test.yaml:4:51: certificate-authority-data: not valid base64");
}

static const char *file_a = "current-context: from-a\n"
			    "clusters:\n"
			    "- {name: shared, cluster: {server: 'https://a.example'}}\n"
			    "contexts:\n"
			    "- {name: from-a, context: {cluster: shared, user: ua}}\n"
			    "users:\n"
			    "- {name: ua, user: {token: token-a}}\n";
static const char *file_b = "current-context: from-b\n"
			    "clusters:\n"
			    "- {name: shared, cluster: {server: 'https://b.example'}}\n"
			    "- {name: only-b, cluster: {server: 'https://only-b.example'}}\n"
			    "contexts:\n"
			    "- {name: from-b, context: {cluster: only-b, user: ua}}\n"
			    "- {name: from-a, context: {cluster: only-b}}\n"
			    "users:\n"
			    "- {name: ua, user: {token: token-b}}\n";

static void test_merge(void **state)
{
	char *a = kt_write("merge/a.yaml", file_a), *b = kt_write("merge/b.yaml", file_b);
	char *missing = xasprintf("%s/merge/none.yaml", kt_dir());
	const char *ab[] = {a, missing, b};
	const char *ba[] = {b, a};
	struct err err = {{0}};
	struct kube_config *cfg;
	char *env;

	(void)state;
	/* the first file wins each name and the current-context */
	cfg = kubeconfig_load_files(ab, 3, NULL, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->context, "from-a");
	assert_string_equal(cfg->server, "https://a.example");
	assert_string_equal(cfg->token, "token-a");
	kubeconfig_free(cfg);

	/* a context from the second file resolves against the merged names */
	cfg = kubeconfig_load_files(ab, 3, "from-b", &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->server, "https://only-b.example");
	assert_string_equal(cfg->token, "token-a");
	kubeconfig_free(cfg);

	cfg = kubeconfig_load_files(ba, 2, NULL, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->context, "from-b");
	assert_string_equal(cfg->token, "token-b");
	kubeconfig_free(cfg);

	/* through $KUBECONFIG, with an empty entry and a missing file */
	env = xasprintf("%s::%s:%s", missing, b, a);
	setenv("KUBECONFIG", env, 1);
	cfg = kubeconfig_load(NULL, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->context, "from-b");
	assert_string_equal(cfg->source, env + strlen(missing) + 2);
	kubeconfig_free(cfg);
	free(env);

	/* only missing files */
	setenv("KUBECONFIG", missing, 1);
	err_clear(&err);
	assert_null(kubeconfig_load(NULL, &err));
	assert_contains(err.msg, "no kubeconfig file exists");
	unsetenv("KUBECONFIG");

	/* an explicit file must exist */
	{
		struct kubeconfig_opts o = {.path = missing};

		assert_null(kubeconfig_load(&o, &err));
		assert_contains(err.msg, "none.yaml: No such file or directory");
		o.path = b;
		o.context = "from-a";
		cfg = kubeconfig_load(&o, &err);
		assert_non_null(cfg);
		assert_string_equal(cfg->server, "https://only-b.example");
		kubeconfig_free(cfg);
	}

	/* a bad second file is reported with its own name */
	{
		char *bad = kt_write("merge/bad.yaml", "users:\n- name: x\n  user: [1]\n");
		const char *list[] = {a, bad};

		assert_null(kubeconfig_load_files(list, 2, NULL, &err));
		env = xasprintf("%s:3:9: user: expected a mapping, not a list", bad);
		assert_string_equal(err.msg, env);
		free(env);
		free(bad);
	}
	free(missing);
	free(a);
	free(b);
}

/* Files of more than one document, read as kubectl 1.32 reads them: each
 * case was run through `kubectl --kubeconfig F config get-contexts` and
 * `config view` (doc/kube-client.md, "Files of more than one document"). */
#define DOC_ONE                                                                          \
	"apiVersion: v1\nkind: Config\ncurrent-context: ctx1\n"                         \
	"clusters: [{name: c1, cluster: {server: 'https://one.example:6443'}}]\n"         \
	"contexts: [{name: ctx1, context: {cluster: c1, user: u1}}]\n"                   \
	"users: [{name: u1, user: {token: abc}}]\n"
#define DOC_TWO                                                                          \
	"apiVersion: v1\nkind: Config\ncurrent-context: ctx2\n"                         \
	"clusters: [{name: c2, cluster: {server: 'https://two.example:6443'}}]\n"         \
	"contexts: [{name: ctx2, context: {cluster: c2, user: u2}}]\n"                   \
	"users: [{name: u2, user: {token: def}}]\n"

static void test_more_than_one_document(void **state)
{
	/* what follows the first document does not count, a syntax error and
	 * a tab included (kubectl: contexts ctx1 only, no error) */
	static const char *const ignored[] = {
	    DOC_ONE "---\n" DOC_TWO,
	    DOC_ONE "---\n" DOC_TWO "  bad: [unclosed\n",
	    DOC_ONE "---\n: : :\n  - [\n",
	    DOC_ONE "--- [unclosed\n",
	    DOC_ONE "---\n\tfoo: 1\n",
	    DOC_ONE "---\n\"unterminated\n",
	    DOC_ONE "...\ngarbage: [\n",
	    DOC_ONE "---\n",
	    "---\n" DOC_ONE "---\n%YAML 1.1\n---\na: 1\n",
	};
	static const char bad_utf8[] = DOC_ONE "---\nfoo: \"\xff\"\n";
	static const char nul[] = DOC_ONE "---\nfoo: a\0b\n";
	struct err err = {{0}};
	struct kube_config *cfg;
	struct buf b = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ignored); i++) {
		cfg = parse(ignored[i], NULL, &err);
		if (!cfg)
			fail_msg("case %zu: %s", i, err.msg);
		assert_string_equal(cfg->context, "ctx1");
		assert_string_equal(cfg->server, "https://one.example:6443");
		kubeconfig_free(cfg);
		assert_null(parse(ignored[i], "ctx2", &err));
		assert_string_equal(err.msg, "no context \"ctx2\" in the kubeconfig test.yaml "
					     "(contexts: ctx1)");
	}
	/* an empty first document is an empty config: the second's
	 * current-context is not seen (kubectl: current-context "") */
	assert_null(parse("---\n---\n" DOC_TWO, NULL, &err));
	assert_contains(err.msg, "sets no current-context");
	/* an error in the first document is one (kubectl: "yaml: line 4: did
	 * not find expected node content") */
	assert_null(parse("apiVersion: v1\nkind: Config\ncurrent-context: x\nfoo: [\n---\n", NULL,
			  &err));
	assert_string_equal(err.msg, "test.yaml:5:1: did not find expected node content while "
				     "parsing a flow node");
	/* kubectl's reader checks the encoding 512 bytes at a time: a bad byte
	 * in the block where the first document ends is an error ("yaml:
	 * invalid leading UTF-8 octet", "control characters are not allowed"),
	 * the same byte 400 lines further is not */
	err_clear(&err);
	assert_null(kubeconfig_parse("test.yaml", bad_utf8, sizeof(bad_utf8) - 1, NULL, kt_dir(),
				     &err));
	assert_string_equal(err.msg, "test.yaml:8:7: invalid leading UTF-8 octet (byte 0xff)");
	err_clear(&err);
	assert_null(kubeconfig_parse("test.yaml", nul, sizeof(nul) - 1, NULL, kt_dir(), &err));
	assert_string_equal(err.msg,
			    "test.yaml:8:7: control characters are not allowed (U+0000)");
	buf_puts(&b, DOC_ONE "---\n");
	for (int i = 0; i < 400; i++)
		buf_puts(&b, "#\n");
	buf_puts(&b, "foo: \"\xff\"\n");
	cfg = kubeconfig_parse("test.yaml", buf_str(&b), b.len, NULL, kt_dir(), &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->context, "ctx1");
	kubeconfig_free(cfg);
	buf_free(&b);

	/* files merged from KUBECONFIG are each read the same way */
	{
		char *one = kt_write("multi/one.yaml", DOC_ONE "---\n" DOC_TWO);
		char *two = kt_write("multi/two.yaml", "---\n---\n" DOC_TWO);
		const char *list[] = {two, one};

		cfg = kubeconfig_load_files(list, 2, NULL, &err);
		assert_non_null(cfg);
		assert_string_equal(cfg->context, "ctx1");
		kubeconfig_free(cfg);
		assert_null(kubeconfig_load_files(list, 2, "ctx2", &err));
		assert_contains(err.msg, "(contexts: ctx1)");
		free(one);
		free(two);
	}
}

static void test_home_and_in_cluster(void **state)
{
	struct err err = {{0}};
	struct kube_config *cfg;
	char *home = xasprintf("%s/home", kt_dir());
	char *sa = xasprintf("%s/sa", kt_dir());
	char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	struct kubeconfig_opts o = {.sa_root = sa};

	(void)state;
	unsetenv("KUBECONFIG");
	setenv("HOME", home, 1);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_null(kubeconfig_load(&o, &err));
	assert_contains(err.msg, "no kubeconfig");

	/* in-cluster when there is no kubeconfig */
	free(kt_write("sa/token", "sa-token\n"));
	free(kt_write("sa/ca.crt", PEM_CERT));
	free(kt_write("sa/namespace", "store-abc\n"));
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	cfg = kubeconfig_load(&o, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->server, "https://10.96.0.1:443");
	assert_string_equal(cfg->namespace, "store-abc");
	assert_int_equal(cfg->ca.len, strlen(PEM_CERT));
	assert_non_null(strstr(cfg->token_file, "/sa/token"));
	assert_string_equal(cfg->context, "in-cluster");
	kubeconfig_free(cfg);

	o.no_in_cluster = true;
	assert_null(kubeconfig_load(&o, &err));
	o.no_in_cluster = false;

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	cfg = kubeconfig_in_cluster(sa, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->server, "https://[fd00::1]:443");
	kubeconfig_free(cfg);

	setenv("KUBERNETES_SERVICE_PORT", "https", 1);
	assert_null(kubeconfig_in_cluster(sa, &err));
	assert_contains(err.msg, "not a valid host and port");
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);

	/* no token: a clear error */
	{
		char *p = xasprintf("%s/sa/token", kt_dir());

		remove(p);
		free(p);
	}
	assert_null(kubeconfig_in_cluster(sa, &err));
	assert_contains(err.msg, "in-cluster service account: cannot read ");

	/* ~/.kube/config wins over in-cluster */
	free(kt_write("home/.kube/config", token_cfg));
	cfg = kubeconfig_load(&o, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->context, "dev");
	kubeconfig_free(cfg);

	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
	free(home);
	free(sa);
}

static void test_b64(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"",		"Zg==",	    "Zm8=",    "Zm9v",
					    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	unsigned char *out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(plain); i++) {
		char *e = b64_encode((const unsigned char *)plain[i], strlen(plain[i]));

		assert_string_equal(e, coded[i]);
		free(e);
		assert_true(b64_decode(coded[i], strlen(coded[i]), &out, &len));
		assert_int_equal(len, strlen(plain[i]));
		assert_memory_equal(out, plain[i], len);
		free(out);
	}
	assert_true(b64_decode("Zm9v\nYmFy", 9, &out, &len));
	assert_string_equal((char *)out, "foobar");
	free(out);
	assert_true(b64_decode("Zg", 2, &out, &len));
	assert_string_equal((char *)out, "f");
	free(out);
	assert_false(b64_decode("Z", 1, &out, &len));
	assert_false(b64_decode("Zg=x", 4, &out, &len));
	assert_false(b64_decode("Zm9v!", 5, &out, &len));
	assert_false(b64_decode("Zg===", 5, &out, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_user),
	    cmocka_unit_test(test_token_file),
	    cmocka_unit_test(test_client_cert_data_and_files),
	    cmocka_unit_test(test_basic_auth),
	    cmocka_unit_test(test_exec_config),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_unused_entries_are_checked),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_more_than_one_document),
	    cmocka_unit_test(test_home_and_in_cluster),
	    cmocka_unit_test(test_b64),
	};
	int rc;

	kt_dir();
	rc = cmocka_run_group_tests_name("kubeconfig", tests, NULL, NULL);
	kt_cleanup();
	return rc;
}
