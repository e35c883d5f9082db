/* What the fuzz targets (tests/fuzz) found, replayed: each case feeds the
 * input that showed a parser wrong, or its essence, and checks the fixed
 * answer. Also the in-memory entry points the targets use. */
#include "config.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "db/conn.h"
#include "kube/api.h"
#include "kube/execcred.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "kube/watch.h"
#include "provision/credentials.h"
#include "provision/render.h"

static void assert_clean(const char *s)
{
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			fail_msg("\"%s\" holds control character 0x%02x", s, (unsigned char)*p);
	}
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* A configuration from one in-memory kubeconfig, or NULL with err. */
static struct kube_config *config_of(const char *text, struct err *err)
{
	const char *label = "test";
	size_t len = strlen(text);

	return kubeconfig_parse_texts(&label, &text, &len, 1, NULL, err);
}

/* A client that never connects: its loop is not run. */
static struct kube_http *idle_client(void)
{
	struct err err = {{0}};
	struct kube_config *cfg =
	    config_of("clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
		      "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
		      &err);
	struct kube_http *h;

	assert_non_null(cfg);
	h = kube_http_new(NULL, cfg, &err);
	assert_non_null(h);
	return h;
}

/* fuzz_status: kube_error_describe read the first line up to a line break
 * or a NUL, past the length it was given. The body here has no NUL. */
static void test_error_describe_length(void **state)
{
	static const char body[] = {'u', 'p', 's', 't', 'r', 'e', 'a', 'm', ' ', 't', 'o', 'o'};
	char *exact = malloc(sizeof(body));
	struct err err = {{0}};

	(void)state;
	memcpy(exact, body, sizeof(body));
	kube_error_describe(504, exact, 8, &err);
	assert_string_equal(err.msg, "HTTP 504 Gateway Timeout: upstream");
	kube_error_describe(502, exact, sizeof(body), &err);
	assert_string_equal(err.msg, "HTTP 502 Bad Gateway: upstream too");
	kube_error_describe(503, exact, 0, &err);
	assert_string_equal(err.msg, "HTTP 503 Service Unavailable");
	free(exact);
}

static void feed(struct kube_watch *w, const char *line)
{
	kube_watch_feed_line(w, line, strlen(line));
}

struct deletions {
	int deleted;
};

static void count_deleted(struct kube_watch *w, enum kube_watch_event ev, const char *key,
			  json_t *obj, void *ud)
{
	struct deletions *d = ud;

	(void)w;
	(void)key;
	(void)obj;
	d->deleted += ev == KUBE_WATCH_DELETED;
}

/* fuzz_watch: a DELETED event for an object the cache never held (here
 * its ADDED and MODIFIED were not JSON) was announced as a deletion. */
static void test_watch_unknown_delete(void **state)
{
	static const char *const lines[] = {
	    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\","
	    "\"namespace\":\"shop\",\"x\":1},\"status\":{\"pha\"su:R\"nening\"}}}",
	    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\"::"
	    "\"a\",\"namespace\":\"shop\",\"resourceVersion\":\"12\"}}}",
	    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"res\"}}}",
	    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":"
	    "\"shop\",\"resourceVersion\":\"16\"}}}",
	};
	struct kube_http *h = idle_client();
	struct deletions d = {0};
	struct err err = {{0}};
	struct kube_watch *w =
	    kube_watch_new(h, &kube_res_pods, "shop", NULL, count_deleted, &d, &err);

	(void)state;
	assert_non_null(w);
	for (size_t i = 0; i < 4; i++)
		feed(w, lines[i]);
	assert_int_equal(d.deleted, 0);
	assert_int_equal(kube_watch_count(w), 0);
	/* one it holds is still announced */
	feed(w, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}");
	feed(w, lines[3]);
	assert_int_equal(d.deleted, 1);
	/* the server's words in an ERROR event reach the screen cleaned */
	feed(w, "{\"type\":\"ERROR\",\"object\":{\"code\":500,"
		"\"message\":\"bad\\u001b[2J\\nthing\"}}");
	assert_contains(kube_watch_error(w), "bad");
	assert_clean(kube_watch_error(w));
	kube_watch_free(w);
	kube_http_free(h);
}

static void on_result(const struct kube_result *res, void *ud)
{
	str_copy(ud, sizeof(((struct err *)0)->msg), res->err.msg);
}

/* A non-JSON answer named its content type, the server's text, uncleaned. */
static void test_content_type_clean(void **state)
{
	struct kube_http *h = idle_client();
	char msg[sizeof(((struct err *)0)->msg)] = "";
	struct err err = {{0}};
	struct kube_op *op = kube_get(h, &kube_res_pods, "shop", "web", on_result, msg, &err);
	struct kube_response resp = {.status = 200,
				     .body = xstrdup("<html>"),
				     .body_len = 6,
				     .content_type = xstrdup("text/html\x1b[2J")};

	(void)state;
	assert_non_null(op);
	kube_op_feed(op, &resp);
	assert_contains(msg, "is not a JSON object (text/html [2J)");
	assert_clean(msg);
	free(resp.body);
	free(resp.content_type);
	kube_http_free(h);
}

/* fuzz_execcred: a token with a control character went into a header line;
 * the apiVersion and expiry were quoted in messages as sent. */
static void test_execcred_control(void **state)
{
	static const char v1[] = "client.authentication.k8s.io/v1";
	struct execcred c;
	struct err err = {{0}};
	const char *tok = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
			  "\"ExecCredential\",\"status\":{\"token\":\"abc\\u0001def\"}}";
	const char *api = "{\"apiVersion\":\"x\\u001b[31m\",\"kind\":\"ExecCredential\"}";
	const char *exp = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
			  "\"ExecCredential\",\"status\":{\"token\":\"t\",\"expirationTimestamp\":"
			  "\"\\u001b[2J\"}}";

	(void)state;
	assert_false(execcred_parse(tok, strlen(tok), v1, &c, &err));
	assert_contains(err.msg, "control character");
	assert_false(execcred_parse(api, strlen(api), v1, &c, &err));
	assert_contains(err.msg, "apiVersion \"x [31m\"");
	assert_clean(err.msg);
	assert_false(execcred_parse(exp, strlen(exp), v1, &c, &err));
	assert_contains(err.msg, "is not an RFC 3339 time");
	assert_clean(err.msg);
}

/* fuzz_secret: a value decoding to bytes with a NUL was FOUND and shown cut
 * at the NUL; the input as the target found it. */
static void test_credential_nul(void **state)
{
	static const char found[] =
	    "{\"apiVersion\":\"v0\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"opsdeck-"
	    "credentials\"},\"data\":{\"db_password\":\"cs\"},\"data\":{\"db_password\":"
	    "\"cGQBFzc3dvcmGQBFzc3dvcmQxMjM\",\"cookie_}ecret\":\"\",\"other\":\"eA==\"}}";
	json_t *secret = json_loads(found, 0, NULL);
	struct credentials *c = malloc(sizeof(*c));

	(void)state;
	assert_non_null(secret);
	credentials_from_secret(c, secret);
	assert_int_equal(c->v[0].state, CREDENTIAL_INVALID);
	assert_int_equal(c->v[0].len, 0);
	assert_int_equal(c->found, 0);
	credentials_free(c);
	json_decref(secret);
}

/* fuzz_quantity: "515.2" cores in a template measured 515201m (binary
 * rounding, rounded up) where the plan reader says 515200m. */
static void test_quantity_decimal(void **state)
{
	struct render_plan plan = {.replicas = 1};
	struct err err = {{0}};
	long millis;
	json_t *m =
	    json_pack("[{s:s,s:s,s:{s:s,s:{s:s}}},{s:s,s:s,s:{s:s}},"
		      "{s:s,s:s,s:{s:s},s:{s:i,s:{s:{s:[{s:s,s:{s:{s:s,s:s},s:{s:s,s:s}}}]}}}}]",
		      "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", "web",
		      "labels", RENDER_ROLE_LABEL, RENDER_ROLE_WEB, "apiVersion", "apps/v1", "kind",
		      "StatefulSet", "metadata", "name", "db", "apiVersion", "apps/v1", "kind",
		      "Deployment", "metadata", "name", "other", "spec", "replicas", 1, "template",
		      "spec", "containers", "name", "c", "resources", "requests", "cpu", "515.2",
		      "memory", "64Mi", "limits", "cpu", "0.007", "memory", "1048577");

	(void)state;
	assert_true(db_parse_cpu("515.2", &millis, &err));
	assert_int_equal(millis, 515200);
	assert_true(render_plan_measure(m, &plan, &err));
	/* one replica, two pods while it rolls out */
	assert_int_equal(plan.other_cpu_request_millis, 2 * 515200);
	assert_int_equal(plan.other_cpu_limit_millis, 2 * 7);
	/* a byte over a MiB is still rounded up */
	assert_int_equal(plan.other_memory_limit_mib, 2 * 2);
	json_decref(m);
}

/* Messages about a file quoted its values with their control characters. */
static void test_file_message_clean(void **state)
{
	struct err err = {{0}};

	(void)state;
	assert_null(config_of("kind: \"Con\\e[31mfig\\nx\"\n", &err));
	assert_contains(err.msg, "test:1:7: kind: expected Config, not \"Con [31mfig x\"");
	assert_clean(err.msg);
	/* fuzz_kubeconfig: a duplicate key was quoted as written */
	assert_null(config_of("a:\n  \"0(c\\tia\": 1\n  \"0(c\\tia\": 2\n", &err));
	assert_string_equal(err.msg, "test:3:3: duplicate key '0(c ia'");
	/* fuzz_kubeconfig: the contexts a missing one was chosen among were
	 * listed as written */
	assert_null(config_of("current-context: \"oth\\e\"\n"
			      "contexts: [{name: \"othev`\\tr\", context: {cluster: c}}]\n",
			      &err));
	assert_string_equal(err.msg,
			    "no context \"oth \" in the kubeconfig test (contexts: othev` r)");
}

/* kubeconfig_parse_texts merges as files merge and reads no file. */
static void test_kubeconfig_texts(void **state)
{
	const char *labels[] = {"one", "two"};
	const char *texts[] = {"current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
			       "clusters: [{name: c, cluster: {server: 'https://first/'}}]\n",
			       "contexts: [{name: b, context: {cluster: c, user: u}}]\n"
			       "clusters: [{name: c, cluster: {server: 'https://second'}}]\n"
			       "users: [{name: u, user: {tokenFile: /etc/passwd}}]\n"};
	size_t lens[] = {strlen(texts[0]), strlen(texts[1])};
	struct err err = {{0}};
	struct kube_config *cfg;

	(void)state;
	cfg = kubeconfig_parse_texts(labels, texts, lens, 1, NULL, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->server, "https://first");
	kubeconfig_free(cfg);
	/* the first file's cluster wins, and its current context */
	cfg = kubeconfig_parse_texts(labels, texts, lens, 2, NULL, &err);
	assert_non_null(cfg);
	assert_string_equal(cfg->context, "a");
	assert_string_equal(cfg->server, "https://first");
	assert_string_equal(cfg->source, "one:two");
	kubeconfig_free(cfg);
	cfg = kubeconfig_parse_texts(labels, texts, lens, 2, "b", &err);
	assert_null(cfg);
	assert_string_equal(err.msg, "two:3:37: tokenFile: names a file, not read here");
}

/* conf_load_string and db_notify_parse, the other entry points. */
static void test_conf_and_notify(void **state)
{
	struct conf c;
	struct err err = {{0}};
	struct db_event ev;
	json_t *hold;

	(void)state;
	conf_init(&c);
	assert_true(conf_load_string(&c, "mem.yaml", "worker: {jobs: 2}\n", 18, &err));
	assert_int_equal(c.worker_jobs, 2);
	assert_string_equal(c.source, "mem.yaml");
	assert_false(conf_load_string(&c, "mem.yaml", "worker: {jobs: 99}\n", 19, &err));
	assert_contains(err.msg, "mem.yaml:1:16: worker.jobs must be a whole number");
	assert_int_equal(c.worker_jobs, 2);
	conf_free(&c);

	assert_true(db_notify_parse(
	    "opsdeck", "{\"table\":\"events\",\"op\":\"insert\",\"key\":\"7\"}", &ev, &hold));
	assert_string_equal(ev.table, "events");
	assert_string_equal(ev.key, "7");
	assert_null(ev.store);
	json_decref(hold);
	assert_false(db_notify_parse(
	    "opsdeck", "{\"table\":\"events\",\"op\":\"drop\",\"key\":\"7\"}", &ev, &hold));
	assert_null(hold);
	assert_false(db_notify_parse(
	    "other", "{\"table\":\"events\",\"op\":\"insert\",\"key\":\"7\"}", &ev, &hold));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_describe_length),
	    cmocka_unit_test(test_watch_unknown_delete),
	    cmocka_unit_test(test_content_type_clean),
	    cmocka_unit_test(test_execcred_control),
	    cmocka_unit_test(test_credential_nul),
	    cmocka_unit_test(test_quantity_decimal),
	    cmocka_unit_test(test_file_message_clean),
	    cmocka_unit_test(test_kubeconfig_texts),
	    cmocka_unit_test(test_conf_and_notify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
