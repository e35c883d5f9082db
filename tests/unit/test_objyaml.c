/* An object as `kubectl get -o yaml` shows it: keys sorted, sequences under
 * a key not indented, managedFields left out, strings quoted when YAML
 * would read them as something else, control characters escaped; a
 * Secret's values never shown. An object's events oldest first. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kube/objyaml.h"
#include "yamldoc.h"

static char *render(const char *json)
{
	struct buf b = BUF_INIT;
	struct err err = {""};

	if (!objyaml_render_text(json, strlen(json), &b, &err))
		fail_msg("render: %s", err.msg);
	return buf_steal(&b);
}

static void expect(const char *json, const char *yaml)
{
	char *got = render(json);

	assert_string_equal(got, yaml);
	free(got);
}

static void test_shape(void **state)
{
	(void)state;
	expect("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-1\","
	       "\"labels\":{\"app\":\"web\"},\"managedFields\":[{\"manager\":\"kubectl\"}]},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1\","
	       "\"ports\":[{\"containerPort\":80}],\"args\":[\"-c\",\"a\"]}],"
	       "\"volumes\":[],\"nodeSelector\":{}},\"status\":{\"ready\":true,\"x\":null,"
	       "\"f\":0.5}}",
	       "apiVersion: v1\n"
	       "kind: Pod\n"
	       "metadata:\n"
	       "  labels:\n"
	       "    app: web\n"
	       "  name: web-1\n"
	       "spec:\n"
	       "  containers:\n"
	       "  - args:\n"
	       "    - -c\n"
	       "    - a\n"
	       "    image: nginx:1\n"
	       "    name: c\n"
	       "    ports:\n"
	       "    - containerPort: 80\n"
	       "  nodeSelector: {}\n"
	       "  volumes: []\n"
	       "status:\n"
	       "  f: 0.5\n"
	       "  ready: true\n"
	       "  x: null\n");
	expect("[[1,2],{}]", "- - 1\n  - 2\n- {}\n");
}

static void test_quoting(void **state)
{
	(void)state;
	expect("{\"a\":\"1\",\"b\":\"true\",\"c\":\"\",\"d\":\"x: y\",\"e\":\"- x\","
	       "\"f\":\"a #b\",\"g\":\"null\",\"h\":\"0x1f\",\"i\":\"*ref\",\"j\":\" x\","
	       "\"k\":\"tab\\there\",\"l\":\"bell\\u0007\",\"m\":\"ok-value\",\"n\":\"1:20\","
	       "\"o\":\"No\",\"p\":\"c1\\u0085\",\"q\":\"say \\\"hi\\\"\",\"a "
	       "b\":\"x\",\"r\":\"inf\",\"s\":\"\\uffff\","
	       "\"x:\":\"y\"}",
	       "a: \"1\"\n"
	       "a b: x\n"
	       "b: \"true\"\n"
	       "c: \"\"\n"
	       "d: \"x: y\"\n"
	       "e: \"- x\"\n"
	       "f: \"a #b\"\n"
	       "g: \"null\"\n"
	       "h: \"0x1f\"\n"
	       "i: \"*ref\"\n"
	       "j: \" x\"\n"
	       "k: \"tab\\there\"\n"
	       "l: \"bell\\x07\"\n"
	       "m: ok-value\n"
	       "\"n\": \"1:20\"\n"
	       "o: \"No\"\n"
	       "p: \"c1\\u0085\"\n"
	       "q: say \"hi\"\n"
	       "r: \"inf\"\n"
	       "s: \"\\uffff\"\n"
	       "\"x:\": \"y\"\n");
}

static void test_blocks(void **state)
{
	(void)state;
	expect("{\"data\":{\"a.conf\":\"line 1\\nline 2\\n\",\"b\":\"x\\ny\",\"c\":\"x\\n\\n\","
	       "\"d\":\" lead\\nx\",\"e\":\"x\\r\\ny\"}}",
	       "data:\n"
	       "  a.conf: |\n"
	       "    line 1\n"
	       "    line 2\n"
	       "  b: |-\n"
	       "    x\n"
	       "    y\n"
	       "  c: |+\n"
	       "    x\n"
	       "\n"
	       "  d: \" lead\\nx\"\n"
	       "  e: \"x\\r\\ny\"\n");
	/* at the top there is no column for a block */
	expect("\"a\\nb\"", "\"a\\nb\"\n");
}

/* What is written reads back as the same strings. */
static void test_reads_back(void **state)
{
	char *y = render("{\"a\":\"x\\n\\ny\\n\",\"b\":[\"1\",\"yes\",\"a: b\",\"\\u2028\"],"
			 "\"c\":{\"d\":\"|\"}}");
	struct err err = {""};
	struct ydoc *doc = ydoc_load_string("t", y, strlen(y), &err);
	struct ynode *b;

	(void)state;
	assert_non_null(doc);
	assert_string_equal(ynode_get(doc->root, "a")->scalar, "x\n\ny\n");
	b = ynode_get(doc->root, "b");
	assert_int_equal(b->len, 4);
	assert_true(b->items[0]->quoted && b->items[1]->quoted);
	assert_string_equal(b->items[2]->scalar, "a: b");
	assert_string_equal(b->items[3]->scalar, "\xe2\x80\xa8");
	assert_string_equal(ynode_get(ynode_get(doc->root, "c"), "d")->scalar, "|");
	ydoc_free(doc);
	free(y);
}

/* YAML takes an implicit key of 1024 characters at most: a longer one is
 * written as an explicit key, and reads back. */
static void test_long_key(void **state)
{
	char key[1101], json[2300];
	struct err err = {""};
	struct ydoc *doc;
	char *y;

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"%s\":[1],\"b\":{\"%s\":\"v\"}}", key, key);
	y = render(json);
	assert_non_null(strstr(y, "? kkk"));
	doc = ydoc_load_string("t", y, strlen(y), &err);
	assert_non_null(doc);
	assert_int_equal(ynode_get(doc->root, key)->len, 1);
	assert_string_equal(ynode_get(ynode_get(doc->root, "b"), key)->scalar, "v");
	ydoc_free(doc);
	free(y);
}

static void test_secret_hidden(void **state)
{
	/* "c2VjcmV0LXZhbHVlLTEy" is "secret-value-12", 15 bytes */
	char *y = render(
	    "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"mysql-secret\","
	    "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
	    "\"{\\\"data\\\":{\\\"password\\\":\\\"c2VjcmV0LXZhbHVlLTEy\\\"}}\",\"keep\":\"me\"}},"
	    "\"data\":{\"password\":\"c2VjcmV0LXZhbHVlLTEy\",\"empty\":\"\",\"odd\":7},"
	    "\"stringData\":{\"token\":\"plain-secret-text\"},\"type\":\"Opaque\"}");

	(void)state;
	assert_null(strstr(y, "c2VjcmV0"));
	assert_null(strstr(y, "plain-secret-text"));
	assert_non_null(strstr(y, "  password: \"<hidden: 15 bytes>\"\n"));
	assert_non_null(strstr(y, "  empty: \"<hidden: 0 bytes>\"\n"));
	assert_non_null(strstr(y, "  odd: <hidden>\n"));
	assert_non_null(strstr(y, "  token: \"<hidden: 17 bytes>\"\n"));
	assert_non_null(strstr(y, "last-applied-configuration: \"<hidden: "));
	assert_non_null(strstr(y, "keep: me\n"));
	assert_non_null(strstr(y, "type: Opaque\n"));
	free(y);
	/* Another kind's data is shown */
	y = render("{\"kind\":\"ConfigMap\",\"data\":{\"k\":\"v\"}}");
	assert_non_null(strstr(y, "  k: v\n"));
	free(y);
}

static void test_not_json(void **state)
{
	struct buf b = BUF_INIT;
	struct err err = {""};

	(void)state;
	assert_false(objyaml_render_text("{\"a\":", 5, &b, &err));
	assert_true(err_isset(&err));
	assert_false(objyaml_render_text("{\"a\":1,\"a\":2}", 13, &b, &err));
	buf_free(&b);
}

static void test_events(void **state)
{
	json_error_t je;
	json_t *list = json_loads(
	    "{\"kind\":\"EventList\",\"items\":["
	    "{\"type\":\"Normal\",\"reason\":\"Started\",\"message\":\"Started container c\","
	    "\"lastTimestamp\":\"2026-01-01T10:00:05Z\",\"count\":1},"
	    "{\"type\":\"Warning\",\"reason\":\"BackOff\",\"message\":\"Back-off\","
	    "\"metadata\":{\"resourceVersion\":\"9\"},"
	    "\"lastTimestamp\":\"2026-01-01T10:00:09Z\",\"count\":4},"
	    "{\"type\":\"Normal\",\"reason\":\"Scheduled\",\"message\":\"Assigned\","
	    "\"eventTime\":\"2026-01-01T10:00:01.000000Z\",\"series\":{\"count\":2}},"
	    "{\"reason\":\"Later\",\"metadata\":{\"resourceVersion\":\"12\"},"
	    "\"lastTimestamp\":\"2026-01-01T10:00:09Z\"},"
	    "7, {\"reason\":\"NoTime\"}]}",
	    0, &je);
	struct objevent_list l;

	(void)state;
	assert_non_null(list);
	objevents_read(list, &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].reason, "NoTime"); /* no time: oldest */
	assert_int_equal(l.v[0].at, 0);
	assert_string_equal(l.v[0].type, "Normal");
	assert_string_equal(l.v[1].reason, "Scheduled");
	assert_int_equal(l.v[1].count, 2);
	assert_string_equal(l.v[2].reason, "Started");
	assert_string_equal(l.v[3].reason, "BackOff");
	assert_true(l.v[3].warning);
	assert_int_equal(l.v[3].count, 4);
	assert_int_equal(l.v[3].at - l.v[2].at, 4);
	/* the same second: by resourceVersion */
	assert_string_equal(l.v[4].reason, "Later");
	objevents_free(&l);
	assert_int_equal(l.n, 0);
	json_decref(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shape),    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_blocks),   cmocka_unit_test(test_reads_back),
	    cmocka_unit_test(test_long_key), cmocka_unit_test(test_secret_hidden),
	    cmocka_unit_test(test_not_json), cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
