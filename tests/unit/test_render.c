/* Rendering of catalog templates into a store's objects, the namespace,
 * quota and network policy, workload discovery, and generated secrets. */
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
#include "provision/render.h"
#include "provision/secret.h"
#include "testutil.h"

#define STORE_ID "a1b2c3d4e5f6"
#define NS "store-" STORE_ID

/* ---- placeholder values ---- */

struct values {
	const char *v[32];
};

static size_t placeholder_index(const char *name)
{
	for (size_t i = 0; catalog_placeholders[i]; i++) {
		if (strcmp(catalog_placeholders[i], name) == 0)
			return i;
	}
	fail_msg("no placeholder %s", name);
	return 0;
}

static void set(struct values *vals, const char *name, const char *value)
{
	vals->v[placeholder_index(name)] = value;
}

static void values_init(struct values *vals)
{
	memset(vals, 0, sizeof(*vals));
	set(vals, "store.id", STORE_ID);
	set(vals, "store.name", "shop");
	set(vals, "store.namespace", NS);
	set(vals, "store.host", STORE_ID ".shops.test");
	set(vals, "store.url", "https://" STORE_ID ".shops.test");
	set(vals, "project.slug", "acme");
	set(vals, "offering.slug", "woocommerce");
	set(vals, "plan.name", "medium");
	set(vals, "plan.replicas", "2");
	set(vals, "plan.cpu_request", "250m");
	set(vals, "plan.cpu_limit", "1");
	set(vals, "plan.memory_request", "512Mi");
	set(vals, "plan.memory_limit", "1Gi");
	set(vals, "plan.storage", "5Gi");
	set(vals, "secret.db_password", "DbPassword0123456789abcd");
	set(vals, "secret.db_root_password", "RootPassword0123456789ab");
	set(vals, "secret.admin_password", "AdminPassword0123456789a");
	set(vals, "secret.jwt_secret", "JwtSecret0123456789abcdef");
	set(vals, "secret.cookie_secret", "CookieSecret0123456789ab");
}

static const char *lookup(void *ud, const char *name)
{
	struct values *vals = ud;

	for (size_t i = 0; catalog_placeholders[i]; i++) {
		if (strcmp(catalog_placeholders[i], name) == 0)
			return vals->v[i];
	}
	return NULL;
}

/* ---- templates ---- */

static char *read_catalog(const char *name, size_t *len)
{
	char path[1024];
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/catalog/%s", OPSDECK_TEST_SRCDIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	return buf_steal(&b);
}

/* 1-based line and column of the first occurrence of needle in text. */
static void position_of(const char *text, const char *needle, unsigned *line, unsigned *col)
{
	const char *at = strstr(text, needle);

	if (!at)
		fail_msg("'%s' is not in the text", needle);
	*line = 1;
	*col = 1;
	for (const char *p = text; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* A small catalog file: four lines of offering and plan, then the manifests
 * given, then a web Deployment (so the file is a valid store). */
#define HEAD                                                                                       \
	"offering: {slug: t, name: T, kind: woocommerce}\n"                                        \
	"plans:\n"                                                                                 \
	"  - {name: small, replicas: 1, cpu_request: 100m, cpu_limit: 500m, memory_request: "      \
	"256Mi, memory_limit: 512Mi, storage: 2Gi, monthly_price: 1}\n"                            \
	"manifests:\n"
#define WEB                                                                                        \
	"  - apiVersion: apps/v1\n"                                                                \
	"    kind: Deployment\n"                                                                   \
	"    metadata: {name: web, labels: {opsdeck.io/role: web}}\n"                              \
	"    spec:\n"                                                                              \
	"      replicas: \"{{ plan.replicas }}\"\n"                                                \
	"      selector: {matchLabels: {app: web}}\n"                                              \
	"      template:\n"                                                                        \
	"        metadata: {labels: {app: web}}\n"                                                 \
	"        spec:\n"                                                                          \
	"          containers:\n"                                                                  \
	"            - name: web\n"                                                                \
	"              image: nginx:1.25\n"                                                        \
	"              resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, "      \
	"memory: 128Mi}}\n"

static json_t *render_text(const char *text, struct values *vals, struct err *err)
{
	return render_manifests("t", text, strlen(text), NS, lookup, vals, err);
}

static json_t *render_ok(const char *text, struct values *vals)
{
	struct err err = {""};
	json_t *out = render_text(text, vals, &err);

	if (!out)
		fail_msg("render failed: %s", err.msg);
	assert_false(err_isset(&err));
	return out;
}

static void expect_refused(const char *text, struct values *vals, const char *prefix,
			   const char *contains)
{
	struct err err = {""};
	json_t *out = render_text(text, vals, &err);

	if (out) {
		json_decref(out);
		fail_msg("accepted a template that should be refused (%s)", contains);
	}
	if (!testutil_prefix(err.msg, prefix))
		fail_msg("error '%s' does not start with '%s'", err.msg, prefix);
	if (!strstr(err.msg, contains))
		fail_msg("error '%s' does not say '%s'", err.msg, contains);
}

/* ---- JSON access ---- */

static json_t *at(json_t *j, const char *path)
{
	char part[128];
	const char *p = path;

	while (*p && j) {
		size_t n = strcspn(p, ".");

		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		if (json_is_array(j))
			j = json_array_get(j, strtoul(part, NULL, 10));
		else
			j = json_object_get(j, part);
		p += n;
		if (*p == '.')
			p++;
	}
	return j;
}

static const char *str_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

static long long int_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

static const char *label(json_t *obj, const char *key)
{
	json_t *v = json_object_get(at(obj, "metadata.labels"), key);

	if (!json_is_string(v))
		fail_msg("label %s is missing or not text", key);
	return json_string_value(v);
}

static void assert_store_object(json_t *obj, const char *kind, const char *name)
{
	assert_string_equal(str_at(obj, "kind"), kind);
	assert_string_equal(str_at(obj, "metadata.name"), name);
	assert_string_equal(str_at(obj, "metadata.namespace"), NS);
	assert_string_equal(label(obj, "app.kubernetes.io/managed-by"), "opsdeck");
	assert_string_equal(label(obj, "opsdeck.io/store"), STORE_ID);
}

static void assert_pod_labels(json_t *obj)
{
	json_t *labels = at(obj, "spec.template.metadata.labels");

	assert_string_equal(json_string_value(json_object_get(labels, "opsdeck.io/store")),
			    STORE_ID);
	assert_string_equal(
	    json_string_value(json_object_get(labels, "app.kubernetes.io/managed-by")), "opsdeck");
}

/* ---- the shipped catalog files ---- */

static void test_woocommerce(void **state)
{
	static const struct {
		const char *kind, *name;
	} want[] = {
	    {"Secret", "mysql-secret"},
	    {"Secret", "wordpress-secret"},
	    {"PersistentVolumeClaim", "mysql-pvc"},
	    {"StatefulSet", "mysql"},
	    {"Service", "mysql"},
	    {"Deployment", "wordpress"},
	    {"Service", "wordpress"},
	    {"Ingress", "wordpress-ingress"},
	};
	struct values vals;
	struct err err = {""};
	size_t len;
	char *text = read_catalog("woocommerce.yaml", &len);
	json_t *out, *wp, *env;
	bool found = false;

	(void)state;
	values_init(&vals);
	out = render_manifests("woocommerce", text, len, NS, lookup, &vals, &err);
	if (!out)
		fail_msg("%s", err.msg);
	assert_true(json_is_array(out));
	assert_int_equal(json_array_size(out), ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		assert_store_object(json_array_get(out, i), want[i].kind, want[i].name);
	/* placeholders in values, typed values kept */
	assert_string_equal(str_at(out, "0.stringData.password"), "DbPassword0123456789abcd");
	assert_string_equal(str_at(out, "0.stringData.root-password"), "RootPassword0123456789ab");
	assert_string_equal(str_at(out, "1.stringData.admin-email"),
			    "admin@" STORE_ID ".shops.test");
	assert_string_equal(str_at(out, "2.spec.resources.requests.storage"), "5Gi");
	assert_string_equal(str_at(out, "2.spec.accessModes.0"), "ReadWriteOnce");
	assert_int_equal(int_at(out, "3.spec.replicas"), 1);
	assert_int_equal(int_at(out, "3.spec.template.spec.containers.0.ports.0.containerPort"),
			 3306);
	assert_int_equal(
	    int_at(out, "3.spec.template.spec.containers.0.livenessProbe.initialDelaySeconds"), 30);
	assert_string_equal(str_at(out, "3.spec.template.spec.containers.0.resources.limits.cpu"),
			    "1");
	assert_string_equal(
	    str_at(out, "3.spec.template.spec.containers.0.livenessProbe.exec.command.3"),
	    "127.0.0.1");
	wp = json_array_get(out, 5);
	assert_int_equal(int_at(wp, "spec.replicas"), 2);
	assert_string_equal(label(wp, "opsdeck.io/role"), "web");
	assert_string_equal(label(wp, "app.kubernetes.io/name"), "wordpress");
	assert_pod_labels(wp);
	assert_pod_labels(json_array_get(out, 3));
	env = at(wp, "spec.template.spec.containers.0.env");
	for (size_t i = 0; i < json_array_size(env); i++) {
		json_t *e = json_array_get(env, i);

		if (strcmp(str_at(e, "name"), "WORDPRESS_CONFIG_EXTRA") == 0) {
			assert_string_equal(str_at(e, "value"),
					    "define('WP_HOME', 'https://" STORE_ID ".shops.test'); "
					    "define('WP_SITEURL', 'https://" STORE_ID
					    ".shops.test');");
			found = true;
		}
	}
	assert_true(found);
	assert_string_equal(str_at(out, "7.spec.rules.0.host"), STORE_ID ".shops.test");
	assert_int_equal(int_at(out, "7.spec.rules.0.http.paths.0.backend.service.port.number"),
			 80);
	json_decref(out);
	free(text);
}

static void test_medusa(void **state)
{
	static const struct {
		const char *kind, *name;
	} want[] = {
	    {"Secret", "postgres-secret"},
	    {"Secret", "medusa-secret"},
	    {"PersistentVolumeClaim", "postgres-pvc"},
	    {"StatefulSet", "postgres"},
	    {"Service", "postgres"},
	    {"Deployment", "redis"},
	    {"Service", "redis"},
	    {"Deployment", "medusa"},
	    {"Service", "medusa"},
	    {"Ingress", "medusa-ingress"},
	};
	struct values vals;
	struct err err = {""};
	size_t len;
	char *text = read_catalog("medusa.yaml", &len);
	json_t *out;

	(void)state;
	values_init(&vals);
	set(&vals, "plan.replicas", "3");
	out = render_manifests("medusa", text, len, NS, lookup, &vals, &err);
	if (!out)
		fail_msg("%s", err.msg);
	assert_int_equal(json_array_size(out), ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		assert_store_object(json_array_get(out, i), want[i].kind, want[i].name);
	assert_string_equal(str_at(out, "1.stringData.database-url"),
			    "postgres://medusa:DbPassword0123456789abcd@postgres:5432/medusa");
	assert_string_equal(str_at(out, "1.stringData.jwt-secret"), "JwtSecret0123456789abcdef");
	assert_int_equal(int_at(out, "5.spec.replicas"), 1);
	assert_int_equal(int_at(out, "7.spec.replicas"), 3);
	assert_string_equal(str_at(out, "7.spec.template.spec.containers.0.image"),
			    "medusa-backend:1.20");
	assert_int_equal(
	    int_at(out, "7.spec.template.spec.containers.0.readinessProbe.httpGet.port"), 9000);
	assert_pod_labels(json_array_get(out, 5));
	json_decref(out);

	/* a known placeholder without a value, reported where the template uses it */
	{
		unsigned line, col;
		char want_prefix[64];

		set(&vals, "secret.jwt_secret", NULL);
		position_of(text, "\"{{ secret.jwt_secret }}\"", &line, &col);
		snprintf(want_prefix, sizeof(want_prefix), "medusa:%u:%u: ", line, col);
		assert_null(render_manifests("medusa", text, len, NS, lookup, &vals, &err));
		if (!testutil_prefix(err.msg, want_prefix) ||
		    !strstr(err.msg, "placeholder 'secret.jwt_secret' has no value"))
			fail_msg("error '%s', want '%s... has no value'", err.msg, want_prefix);
	}
	free(text);
}

/* ---- substitution cannot change structure or type ---- */

static void test_no_reexpansion(void **state)
{
	struct values vals;
	struct err err = {""};
	size_t len;
	char *text = read_catalog("woocommerce.yaml", &len);
	json_t *out;

	(void)state;
	values_init(&vals);
	set(&vals, "secret.admin_password", "{{ secret.db_password }}");
	set(&vals, "store.host", "{{ store.id }}.x");
	out = render_manifests("woocommerce", text, len, NS, lookup, &vals, &err);
	if (!out)
		fail_msg("%s", err.msg);
	assert_string_equal(str_at(out, "1.stringData.admin-password"), "{{ secret.db_password }}");
	assert_string_equal(str_at(out, "1.stringData.admin-email"), "admin@{{ store.id }}.x");
	json_decref(out);
	free(text);
}

static void test_structure_is_fixed(void **state)
{
	static const char *const hostile[] = {
	    "a\nb: c",	      "x: y",
	    "{a: b}",	      "[1, 2]",
	    "- item\n- item", "\"quoted\" 'single'",
	    "# comment",      "---\nkind: ClusterRole",
	    "&anchor *alias", "}} {{",
	    "|\n  block",     "\\u0000\\n",
	    "true",	      "12",
	};
	size_t len;
	char *text = read_catalog("woocommerce.yaml", &len);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(hostile); i++) {
		struct values vals;
		struct err err = {""};
		json_t *out, *sd;
		char email[64];

		values_init(&vals);
		set(&vals, "secret.db_password", hostile[i]);
		set(&vals, "store.host", hostile[i]);
		out = render_manifests("woocommerce", text, len, NS, lookup, &vals, &err);
		if (!out)
			fail_msg("value %zu: %s", i, err.msg);
		assert_int_equal(json_array_size(out), 8);
		sd = at(out, "0.stringData");
		assert_int_equal(json_object_size(sd), 4);
		assert_string_equal(str_at(sd, "password"), hostile[i]);
		assert_string_equal(str_at(sd, "username"), "wordpress");
		assert_string_equal(str_at(out, "7.spec.rules.0.host"), hostile[i]);
		assert_int_equal(json_array_size(at(out, "7.spec.rules")), 1);
		assert_int_equal(json_object_size(at(out, "7.spec.rules.0")), 2);
		snprintf(email, sizeof(email), "admin@%s", hostile[i]);
		assert_string_equal(str_at(out, "1.stringData.admin-email"), email);
		json_decref(out);
	}
	free(text);
}

static void test_typing(void **state)
{
	const char *text = HEAD "  - apiVersion: v1\n"
				"    kind: ConfigMap\n"
				"    metadata: {name: types}\n"
				"    data:\n"
				"      int: 42\n"
				"      neg: -7\n"
				"      quoted: \"42\"\n"
				"      single: '42'\n"
				"      yes_is_text: yes\n"
				"      bool: true\n"
				"      false_: False\n"
				"      nul: null\n"
				"      tilde: ~\n"
				"      empty:\n"
				"      float: 1.5\n"
				"      exp: 1e3\n"
				"      hex: 0x1f\n"
				"      oct: 0o17\n"
				"      time: 08:00\n"
				"      version: 1.2.3\n"
				"      quoted_true: \"true\"\n"
				"      block: |\n"
				"        12\n"
				"      name: \"{{ store.name }}\"\n"
				"      plain: x-{{ store.name }}\n"
				"      id: \"{{ store.id }}\"\n"
				"      replicas: \"{{ plan.replicas }}\"\n"
				"      replicas_text: \"n={{ plan.replicas }}\"\n" WEB;
	struct values vals;
	json_t *out, *d;

	(void)state;
	values_init(&vals);
	set(&vals, "store.name", "123");
	set(&vals, "store.id", "012345678901");
	set(&vals, "store.namespace", "store-012345678901");
	{
		struct err err = {""};

		out = render_manifests("t", text, strlen(text), "store-012345678901", lookup, &vals,
				       &err);
		if (!out)
			fail_msg("%s", err.msg);
	}
	d = at(out, "0.data");
	assert_int_equal(int_at(d, "int"), 42);
	assert_int_equal(int_at(d, "neg"), -7);
	assert_string_equal(str_at(d, "quoted"), "42");
	assert_string_equal(str_at(d, "single"), "42");
	assert_string_equal(str_at(d, "yes_is_text"), "yes");
	assert_true(json_is_true(at(d, "bool")));
	assert_true(json_is_false(at(d, "false_")));
	assert_true(json_is_null(at(d, "nul")));
	assert_true(json_is_null(at(d, "tilde")));
	assert_true(json_is_null(at(d, "empty")));
	assert_true(json_is_real(at(d, "float")));
	assert_true(json_real_value(at(d, "float")) == 1.5);
	assert_true(json_is_real(at(d, "exp")));
	assert_true(json_real_value(at(d, "exp")) == 1000.0);
	assert_int_equal(int_at(d, "hex"), 31);
	assert_int_equal(int_at(d, "oct"), 15);
	assert_string_equal(str_at(d, "time"), "08:00");
	assert_string_equal(str_at(d, "version"), "1.2.3");
	assert_string_equal(str_at(d, "quoted_true"), "true");
	assert_string_equal(str_at(d, "block"), "12\n");
	/* text from placeholders stays text, whatever it looks like */
	assert_string_equal(str_at(d, "name"), "123");
	assert_string_equal(str_at(d, "plain"), "x-123");
	assert_string_equal(str_at(d, "id"), "012345678901");
	assert_string_equal(label(json_array_get(out, 0), "opsdeck.io/store"), "012345678901");
	/* the one numeric placeholder, alone, is a number */
	assert_int_equal(int_at(d, "replicas"), 2);
	assert_string_equal(str_at(d, "replicas_text"), "n=2");
	assert_int_equal(int_at(out, "1.spec.replicas"), 2);
	json_decref(out);

	/* plan.replicas that is not a number */
	values_init(&vals);
	set(&vals, "plan.replicas", "two");
	expect_refused(HEAD WEB, &vals, "t:9:17: ", "'plan.replicas' must give a whole number");
}

static void test_numbers_without_json_form(void **state)
{
	struct values vals;

	(void)state;
	values_init(&vals);
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c}\n"
			    "    data: {a: .inf}\n" WEB,
		       &vals, "t:8:15: ", ".inf has no JSON form");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c}\n"
			    "    data: {a: 123456789012345678901234567890}\n" WEB,
		       &vals, "t:8:15: ", "too large");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c}\n"
			    "    data: {a: 1e999}\n" WEB,
		       &vals, "t:8:15: ", "out of range");
}

/* ---- refusals ---- */

static void test_placeholders_refused(void **state)
{
	struct values vals;

	(void)state;
	values_init(&vals);
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c}\n"
			    "    data: {a: \"{{ store.nope }}\"}\n" WEB,
		       &vals, "t:8:15: ", "unknown placeholder 'store.nope'");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c}\n"
			    "    data: {a: \"{{ store.id \"}\n" WEB,
		       &vals, "t:8:15: ", "unterminated placeholder");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c}\n"
			    "    data: {\"{{ store.id }}\": a}\n" WEB,
		       &vals, "t:8:12: ", "not in keys");
	/* a value that renders a bad name */
	set(&vals, "store.name", "Not A Label");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: \"cm-{{ store.name }}\"}\n" WEB,
		       &vals, "t:7:22: ", "metadata.name 'cm-{{ store.name }}' does not render");
}

static void test_namespace_refused(void **state)
{
	struct values vals;
	struct err err = {""};
	json_t *out;

	(void)state;
	values_init(&vals);
	/* another namespace, written out */
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c, namespace: kube-system}\n" WEB,
		       &vals, "t:7:36: ", "metadata.namespace may only be");
	/* a store namespace, but not this store's */
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c, namespace: store-0123456789ab}\n" WEB,
		       &vals, "t:7:36: ",
		       "metadata.namespace 'store-0123456789ab' is not this store's namespace " NS);
	/* the placeholder is the store's own */
	out = render_ok(HEAD "  - apiVersion: v1\n"
			     "    kind: ConfigMap\n"
			     "    metadata: {name: c, namespace: \"{{ store.namespace }}\"}\n" WEB,
			&vals);
	assert_string_equal(str_at(out, "0.metadata.namespace"), NS);
	json_decref(out);
	/* the namespace argument must be the store's */
	assert_null(render_manifests("t", HEAD WEB, strlen(HEAD WEB), "store-0123456789ab", lookup,
				     &vals, &err));
	assert_string_equal(err.msg, "t: store " STORE_ID " lives in namespace " NS
				     ", not store-0123456789ab");
	assert_null(
	    render_manifests("t", HEAD WEB, strlen(HEAD WEB), "Bad_NS", lookup, &vals, &err));
	assert_true(strstr(err.msg, "is not a DNS-1123 label") != NULL);
	set(&vals, "store.namespace", "store-0123456789ab");
	assert_null(render_manifests("t", HEAD WEB, strlen(HEAD WEB), NS, lookup, &vals, &err));
	assert_true(strstr(err.msg, "store.namespace 'store-0123456789ab' is not the namespace") !=
		    NULL);
	values_init(&vals);
	set(&vals, "store.id", "XYZ");
	assert_null(render_manifests("t", HEAD WEB, strlen(HEAD WEB), NS, lookup, &vals, &err));
	assert_true(strstr(err.msg, "store.id 'XYZ' is not a store id") != NULL);
}

static void test_labels_refused(void **state)
{
	struct values vals;

	(void)state;
	values_init(&vals);
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c, labels: {opsdeck.io/store: other}}\n" WEB,
		       &vals, "t:7:52: ", "label opsdeck.io/store is set by opsdeck");
	expect_refused(
	    HEAD "  - apiVersion: v1\n"
		 "    kind: ConfigMap\n"
		 "    metadata: {name: c, labels: {app.kubernetes.io/managed-by: helm}}\n" WEB,
	    &vals, "t:7:64: ", "label app.kubernetes.io/managed-by is set by opsdeck");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: c, labels: {version: 2}}\n" WEB,
		       &vals, "t:7:43: ", "label 'version' must be text");
}

static void test_own_objects_and_exposure_refused(void **state)
{
	struct values vals;
	json_t *out;

	(void)state;
	values_init(&vals);
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ResourceQuota\n"
			    "    metadata: {name: opsdeck-quota}\n"
			    "    spec: {hard: {pods: \"100\"}}\n" WEB,
		       &vals, "t:7:22: ", "ResourceQuota opsdeck-quota is opsdeck's own");
	expect_refused(HEAD "  - apiVersion: networking.k8s.io/v1\n"
			    "    kind: NetworkPolicy\n"
			    "    metadata: {name: opsdeck-isolation}\n"
			    "    spec: {podSelector: {}}\n" WEB,
		       &vals, "t:7:22: ", "NetworkPolicy opsdeck-isolation is opsdeck's own");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: Service\n"
			    "    metadata: {name: web}\n"
			    "    spec: {type: LoadBalancer, ports: [{port: 80}]}\n" WEB,
		       &vals, "t:8:18: ", "Service type 'LoadBalancer' is refused");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: Service\n"
			    "    metadata: {name: web}\n"
			    "    spec: {type: NodePort, ports: [{port: 80}]}\n" WEB,
		       &vals, "t:8:18: ", "Service type 'NodePort' is refused");
	/* other names and kinds, and ClusterIP, are fine */
	out = render_ok(HEAD "  - apiVersion: v1\n"
			     "    kind: ResourceQuota\n"
			     "    metadata: {name: extra-quota}\n"
			     "    spec: {hard: {pods: \"100\"}}\n"
			     "  - apiVersion: v1\n"
			     "    kind: Service\n"
			     "    metadata: {name: opsdeck-quota}\n"
			     "    spec: {type: ClusterIP, ports: [{port: 80}]}\n" WEB,
			&vals);
	assert_int_equal(json_array_size(out), 3);
	assert_string_equal(str_at(out, "1.spec.type"), "ClusterIP");
	json_decref(out);
}

static void test_bad_templates(void **state)
{
	struct values vals;
	struct err err = {""};

	(void)state;
	values_init(&vals);
	expect_refused(HEAD "  - apiVersion: v1\n    kind: [\n", &vals, "t:", "");
	expect_refused(HEAD "  - apiVersion: rbac.authorization.k8s.io/v1\n"
			    "    kind: ClusterRole\n"
			    "    metadata: {name: r}\n" WEB,
		       &vals, "t:6:11: ", "kind 'ClusterRole' is not allowed");
	expect_refused(HEAD "  - apiVersion: v1\n"
			    "    kind: ConfigMap\n"
			    "    metadata: {name: 12}\n" WEB,
		       &vals, "t:7:22: ", "metadata.name must be text");
	expect_refused("", &vals, "t: ", "empty");
	expect_refused("manifests: 3\n", &vals, "t:1:1: ", "needs 'offering'");
	assert_null(render_manifests("t", "a\0b", 3, NS, lookup, &vals, &err));
	assert_true(strstr(err.msg, "NUL") != NULL);
}

/* ---- namespace, quota, network policy ---- */

static void test_namespace_object(void **state)
{
	json_t *ns = render_namespace(STORE_ID, "acme");

	(void)state;
	assert_non_null(ns);
	assert_string_equal(str_at(ns, "apiVersion"), "v1");
	assert_string_equal(str_at(ns, "kind"), "Namespace");
	assert_string_equal(str_at(ns, "metadata.name"), NS);
	assert_null(at(ns, "metadata.namespace"));
	assert_string_equal(label(ns, "app.kubernetes.io/managed-by"), "opsdeck");
	assert_string_equal(label(ns, "opsdeck.io/store"), STORE_ID);
	assert_string_equal(label(ns, "opsdeck.io/project"), "acme");
	assert_string_equal(label(ns, "pod-security.kubernetes.io/enforce"), "baseline");
	assert_int_equal(json_object_size(at(ns, "metadata.labels")), 4);
	json_decref(ns);
	assert_null(render_namespace("a1b2c3", "acme"));
	assert_null(render_namespace("A1B2C3D4E5F6", "acme"));
	assert_null(render_namespace(STORE_ID, "Acme Shop"));
	assert_null(render_namespace(NULL, "acme"));
	assert_true(render_valid_store_id("0123456789ab"));
	assert_false(render_valid_store_id("0123456789abc"));
	assert_false(render_valid_store_id("0123456789ag"));
}

/* Quota keys hold dots, so they are not paths. */
static const char *hard_value(json_t *hard, const char *key)
{
	json_t *v = json_object_get(hard, key);

	if (!json_is_string(v))
		fail_msg("spec.hard[%s] is missing or not text", key);
	return json_string_value(v);
}

static void test_quota(void **state)
{
	struct catalog_file *cf;
	struct render_plan plan;
	struct err err = {""};
	struct values vals;
	json_t *q, *hard, *out;
	size_t len;
	char *text;

	(void)state;
	text = read_catalog("woocommerce.yaml", &len);
	cf = catalog_file_parse("woocommerce", text, len, &err);
	assert_non_null(cf);
	assert_string_equal(cf->plans[1].name, "medium");
	render_plan_from_catalog(&cf->plans[1], &plan);
	q = render_quota(NS, &plan);
	assert_non_null(q);
	assert_store_object(q, "ResourceQuota", "opsdeck-quota");
	hard = at(q, "spec.hard");
	/* 2 web + 1 surge + 1 database, each 250m/1 CPU and 512Mi/1Gi */
	assert_string_equal(hard_value(hard, "pods"), "4");
	assert_string_equal(hard_value(hard, "requests.cpu"), "1");
	assert_string_equal(hard_value(hard, "limits.cpu"), "4");
	assert_string_equal(hard_value(hard, "requests.memory"), "2Gi");
	assert_string_equal(hard_value(hard, "limits.memory"), "4Gi");
	assert_string_equal(hard_value(hard, "requests.storage"), "5Gi");
	assert_string_equal(hard_value(hard, "persistentvolumeclaims"), "1");
	json_decref(q);

	/* measuring WooCommerce finds nothing besides web and database */
	values_init(&vals);
	out = render_manifests("woocommerce", text, len, NS, lookup, &vals, &err);
	assert_non_null(out);
	assert_true(render_plan_measure(out, &plan, &err));
	assert_int_equal(plan.other_pods, 0);
	assert_int_equal(plan.pvcs, 1);
	assert_int_equal(plan.storage_gib, 5);
	json_decref(out);
	catalog_file_free(cf);
	free(text);

	/* Medusa runs Redis besides: 1 replica + 1 surge of 50m/250m, 64Mi/256Mi */
	text = read_catalog("medusa.yaml", &len);
	cf = catalog_file_parse("medusa", text, len, &err);
	assert_non_null(cf);
	render_plan_from_catalog(&cf->plans[0], &plan);
	set(&vals, "plan.replicas", "1");
	set(&vals, "plan.cpu_request", "200m");
	set(&vals, "plan.cpu_limit", "1");
	set(&vals, "plan.memory_request", "512Mi");
	set(&vals, "plan.memory_limit", "1Gi");
	set(&vals, "plan.storage", "2Gi");
	out = render_manifests("medusa", text, len, NS, lookup, &vals, &err);
	assert_non_null(out);
	assert_true(render_plan_measure(out, &plan, &err));
	assert_int_equal(plan.other_pods, 2);
	assert_int_equal(plan.other_cpu_request_millis, 100);
	assert_int_equal(plan.other_cpu_limit_millis, 500);
	assert_int_equal(plan.other_memory_request_mib, 128);
	assert_int_equal(plan.other_memory_limit_mib, 512);
	q = render_quota(NS, &plan);
	hard = at(q, "spec.hard");
	/* (1 web + 1 surge + 1 database) x 200m/1, 512Mi/1Gi, plus Redis */
	assert_string_equal(hard_value(hard, "pods"), "5");
	assert_string_equal(hard_value(hard, "requests.cpu"), "700m");
	assert_string_equal(hard_value(hard, "limits.cpu"), "3500m");
	assert_string_equal(hard_value(hard, "requests.memory"), "1664Mi");
	assert_string_equal(hard_value(hard, "limits.memory"), "3584Mi");
	assert_string_equal(hard_value(hard, "requests.storage"), "2Gi");
	json_decref(q);
	json_decref(out);
	catalog_file_free(cf);
	free(text);

	/* refusals */
	memset(&plan, 0, sizeof(plan));
	plan.replicas = 1;
	plan.cpu_request_millis = plan.cpu_limit_millis = 100;
	plan.memory_request_mib = plan.memory_limit_mib = 64;
	plan.storage_gib = 1;
	q = render_quota("other", &plan);
	assert_non_null(q);
	assert_null(json_object_get(at(q, "metadata.labels"), "opsdeck.io/store"));
	assert_string_equal(str_at(q, "metadata.namespace"), "other");
	json_decref(q);
	assert_null(render_quota("Not_A_Label", &plan));
	plan.cpu_limit_millis = 50; /* below the request */
	assert_null(render_quota(NS, &plan));
	plan.cpu_limit_millis = 100;
	plan.replicas = -1;
	assert_null(render_quota(NS, &plan));
	plan.replicas = 1;
	plan.storage_gib = 0;
	assert_null(render_quota(NS, &plan));
}

static void test_measure_refuses_unsized_pods(void **state)
{
	struct values vals;
	struct render_plan plan = {0};
	struct err err = {""};
	json_t *out;

	(void)state;
	values_init(&vals);
	out = render_ok(HEAD "  - apiVersion: apps/v1\n"
			     "    kind: Deployment\n"
			     "    metadata: {name: side}\n"
			     "    spec:\n"
			     "      selector: {matchLabels: {app: side}}\n"
			     "      template:\n"
			     "        metadata: {labels: {app: side}}\n"
			     "        spec: {containers: [{name: side, image: busybox}]}\n" WEB,
			&vals);
	assert_false(render_plan_measure(out, &plan, &err));
	assert_string_equal(err.msg,
			    "deployments/side: container side needs CPU and memory requests "
			    "and limits: the store's quota refuses pods without them");
	json_decref(out);
}

static void test_network_policy(void **state)
{
	json_t *np = render_network_policy(NS), *from;

	(void)state;
	assert_non_null(np);
	assert_store_object(np, "NetworkPolicy", "opsdeck-isolation");
	assert_string_equal(str_at(np, "apiVersion"), "networking.k8s.io/v1");
	assert_true(json_is_object(at(np, "spec.podSelector")));
	assert_int_equal(json_object_size(at(np, "spec.podSelector")), 0);
	assert_int_equal(json_array_size(at(np, "spec.policyTypes")), 1);
	assert_string_equal(str_at(np, "spec.policyTypes.0"), "Ingress");
	assert_int_equal(json_array_size(at(np, "spec.ingress")), 1);
	from = at(np, "spec.ingress.0.from");
	assert_int_equal(json_array_size(from), 2);
	/* same namespace: an empty pod selector without a namespace selector */
	assert_int_equal(json_object_size(json_array_get(from, 0)), 1);
	assert_int_equal(json_object_size(at(from, "0.podSelector")), 0);
	assert_int_equal(json_object_size(json_array_get(from, 1)), 1);
	assert_string_equal(
	    json_string_value(json_object_get(at(from, "1.namespaceSelector.matchLabels"),
					      "kubernetes.io/metadata.name")),
	    "ingress-nginx");
	assert_null(at(np, "spec.egress"));
	json_decref(np);
	assert_null(render_network_policy("a/b"));
}

/* ---- targets and workloads ---- */

static void test_targets(void **state)
{
	const struct kube_resource *res;
	const char *name;
	struct err err = {""};
	json_t *obj;
	json_t *ns = render_namespace(STORE_ID, "acme");

	(void)state;
	assert_true(render_manifest_target(ns, &res, &name, &err));
	assert_ptr_equal(res, &kube_res_namespaces);
	assert_false(res->namespaced);
	assert_string_equal(name, NS);
	json_decref(ns);

	obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "apps/v1", "kind", "StatefulSet",
			"metadata", "name", "db");
	assert_true(render_manifest_target(obj, &res, &name, &err));
	assert_ptr_equal(res, &kube_res_statefulsets);
	assert_string_equal(name, "db");
	json_decref(obj);

	obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "example.com/v1", "kind", "Widget",
			"metadata", "name", "w");
	assert_false(render_manifest_target(obj, &res, &name, &err));
	assert_string_equal(err.msg,
			    "kind Widget (apiVersion example.com/v1) is not one opsdeck knows "
			    "how to apply");
	json_decref(obj);
	obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Deployment", "metadata",
			"name", "w");
	assert_false(render_manifest_target(obj, &res, &name, &err));
	json_decref(obj);
	obj = json_pack("{s:s, s:s, s:{}}", "apiVersion", "v1", "kind", "Secret", "metadata");
	assert_false(render_manifest_target(obj, &res, &name, &err));
	assert_string_equal(err.msg, "Secret needs metadata.name, a valid Kubernetes name");
	json_decref(obj);
	obj = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Secret", "metadata",
			"name", "UPPER");
	assert_false(render_manifest_target(obj, &res, &name, &err));
	json_decref(obj);
	obj = json_array();
	assert_false(render_manifest_target(obj, &res, &name, &err));
	json_decref(obj);
}

static void test_workloads(void **state)
{
	struct values vals;
	struct render_workloads wl;
	struct err err = {""};
	size_t len;
	char *text = read_catalog("medusa.yaml", &len);
	json_t *out;

	(void)state;
	values_init(&vals);
	out = render_manifests("medusa", text, len, NS, lookup, &vals, &err);
	assert_non_null(out);
	assert_true(render_workloads(out, &wl, &err));
	assert_int_equal(wl.len, 3);
	assert_ptr_equal(wl.items[0].res, &kube_res_statefulsets);
	assert_string_equal(wl.items[0].name, "postgres");
	assert_int_equal(wl.items[0].replicas, 1);
	assert_false(wl.items[0].web);
	assert_ptr_equal(wl.items[1].res, &kube_res_deployments);
	assert_string_equal(wl.items[1].name, "redis");
	assert_false(wl.items[1].web);
	assert_string_equal(wl.items[2].name, "medusa");
	assert_int_equal(wl.items[2].replicas, 2);
	assert_true(wl.items[2].web);
	assert_int_equal(wl.web, 2);
	render_workloads_free(&wl);
	json_decref(out);
	free(text);

	text = read_catalog("woocommerce.yaml", &len);
	out = render_manifests("woocommerce", text, len, NS, lookup, &vals, &err);
	assert_non_null(out);
	assert_true(render_workloads(out, &wl, &err));
	assert_int_equal(wl.len, 2);
	assert_string_equal(wl.items[wl.web].name, "wordpress");
	assert_int_equal(wl.items[wl.web].replicas, 2);
	render_workloads_free(&wl);
	json_decref(out);
	free(text);

	/* no web, two webs, a web StatefulSet */
	out = render_ok(HEAD "  - apiVersion: apps/v1\n"
			     "    kind: Deployment\n"
			     "    metadata: {name: a}\n"
			     "    spec:\n"
			     "      selector: {matchLabels: {app: a}}\n"
			     "      template:\n"
			     "        metadata: {labels: {app: a}}\n"
			     "        spec: {containers: [{name: a, image: busybox}]}\n",
			&vals);
	assert_false(render_workloads(out, &wl, &err));
	assert_true(strstr(err.msg, "no Deployment is labelled opsdeck.io/role: web") != NULL);
	assert_null(wl.items);
	json_decref(out);
	out = render_ok(HEAD WEB, &vals);
	json_array_append(out, json_array_get(out, 0));
	assert_false(render_workloads(out, &wl, &err));
	assert_true(strstr(err.msg, "more than one Deployment") != NULL);
	json_decref(out);
	out = render_ok(HEAD "  - apiVersion: apps/v1\n"
			     "    kind: StatefulSet\n"
			     "    metadata: {name: a, labels: {opsdeck.io/role: web}}\n"
			     "    spec:\n"
			     "      selector: {matchLabels: {app: a}}\n"
			     "      template:\n"
			     "        metadata: {labels: {app: a}}\n"
			     "        spec: {containers: [{name: a, image: busybox}]}\n" WEB,
			&vals);
	assert_false(render_workloads(out, &wl, &err));
	assert_true(strstr(err.msg, "statefulsets/a is labelled opsdeck.io/role=web") != NULL);
	json_decref(out);
	out = json_pack("[{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s}}]", "apiVersion", "apps/v1", "kind",
			"Deployment", "metadata", "name", "w", "labels", "opsdeck.io/role", "web",
			"spec", "replicas", "3");
	assert_false(render_workloads(out, &wl, &err));
	assert_string_equal(err.msg, "deployments/w: spec.replicas must be a whole number");
	json_decref(out);
}

/* ---- where secrets are kept ---- */

static void assert_ref(const struct render_secret_refs *r, size_t i, const char *ph,
		       const char *secret, const char *key)
{
	assert_true(i < r->len);
	assert_string_equal(r->items[i].placeholder, ph);
	assert_string_equal(r->items[i].secret, secret);
	assert_string_equal(r->items[i].key, key);
}

static void test_secret_refs(void **state)
{
	struct render_secret_refs r;
	struct err err = {""};
	size_t len;
	char *text = read_catalog("woocommerce.yaml", &len);
	const char *t;

	(void)state;
	assert_true(render_secret_refs("woocommerce", text, len, &r, &err));
	assert_int_equal(r.len, 3);
	assert_ref(&r, 0, "secret.db_password", "mysql-secret", "password");
	assert_ref(&r, 1, "secret.db_root_password", "mysql-secret", "root-password");
	assert_ref(&r, 2, "secret.admin_password", "wordpress-secret", "admin-password");
	render_secret_refs_free(&r);
	free(text);

	text = read_catalog("medusa.yaml", &len);
	assert_true(render_secret_refs("medusa", text, len, &r, &err));
	assert_int_equal(r.len, 4);
	/* the database URL embeds the password, but postgres-secret keeps it whole */
	assert_ref(&r, 0, "secret.db_password", "postgres-secret", "password");
	assert_ref(&r, 1, "secret.jwt_secret", "medusa-secret", "jwt-secret");
	assert_ref(&r, 2, "secret.cookie_secret", "medusa-secret", "cookie-secret");
	assert_ref(&r, 3, "secret.admin_password", "medusa-secret", "admin-password");
	render_secret_refs_free(&r);
	free(text);

	/* used only inside a longer value, or under a rendered name: not recoverable */
	t = HEAD "  - apiVersion: v1\n"
		 "    kind: Secret\n"
		 "    metadata: {name: \"s-{{ store.id }}\"}\n"
		 "    stringData: {a: \"{{ secret.jwt_secret }}\"}\n"
		 "  - apiVersion: v1\n"
		 "    kind: ConfigMap\n"
		 "    metadata: {name: c}\n"
		 "    data: {url: \"x:{{ secret.db_password }}\", whole: \"{{ secret.db_password "
		 "}}\"}\n" WEB;
	assert_true(render_secret_refs("t", t, strlen(t), &r, &err));
	assert_int_equal(r.len, 2);
	assert_ref(&r, 0, "secret.jwt_secret", "", "");
	assert_ref(&r, 1, "secret.db_password", "", "");
	render_secret_refs_free(&r);

	/* none at all, and a bad template */
	assert_true(render_secret_refs("t", HEAD WEB, strlen(HEAD WEB), &r, &err));
	assert_int_equal(r.len, 0);
	assert_null(r.items);
	assert_false(render_secret_refs("t", "manifests: [", 12, &r, &err));
	assert_true(testutil_prefix(err.msg, "t:"));
	assert_int_equal(r.len, 0);
}

/* ---- secrets ---- */

static void test_secret_generate(void **state)
{
	char a[25], b[25], big[6201];
	struct err err = {""};
	bool seen[256] = {false};

	(void)state;
	assert_true(secret_generate(a, sizeof(a), 24, &err));
	assert_true(secret_generate(b, sizeof(b), 24, &err));
	assert_int_equal(strlen(a), 24);
	assert_int_equal(strlen(b), 24);
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a, SECRET_ALPHABET), 24);
	assert_int_equal(strspn(b, SECRET_ALPHABET), 24);
	/* every character of the alphabet turns up, nothing else does
	 * (62 x 100 draws: the chance of missing one is about e^-100) */
	assert_true(secret_generate(big, sizeof(big), 6200, &err));
	assert_int_equal(strlen(big), 6200);
	for (size_t i = 0; i < 6200; i++)
		seen[(unsigned char)big[i]] = true;
	for (size_t i = 0; i < 256; i++)
		assert_int_equal(seen[i], i != 0 && strchr(SECRET_ALPHABET, (int)i) != NULL);
	/* sizes */
	assert_false(secret_generate(a, sizeof(a), 15, &err));
	assert_true(strstr(err.msg, "at least 16") != NULL);
	assert_false(secret_generate(a, sizeof(a), 25, &err));
	assert_int_equal(a[0], 0);
	assert_true(secret_generate(a, 17, 16, &err));
	assert_int_equal(strlen(a), 16);
}

static void test_secret_wipe(void **state)
{
	char s[32];

	(void)state;
	memset(s, 'x', sizeof(s));
	secret_wipe(s, 16);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(s[i], 0);
	assert_int_equal(s[16], 'x');
	secret_wipe(NULL, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_woocommerce),
	    cmocka_unit_test(test_medusa),
	    cmocka_unit_test(test_no_reexpansion),
	    cmocka_unit_test(test_structure_is_fixed),
	    cmocka_unit_test(test_typing),
	    cmocka_unit_test(test_numbers_without_json_form),
	    cmocka_unit_test(test_placeholders_refused),
	    cmocka_unit_test(test_namespace_refused),
	    cmocka_unit_test(test_labels_refused),
	    cmocka_unit_test(test_own_objects_and_exposure_refused),
	    cmocka_unit_test(test_bad_templates),
	    cmocka_unit_test(test_namespace_object),
	    cmocka_unit_test(test_quota),
	    cmocka_unit_test(test_measure_refuses_unsized_pods),
	    cmocka_unit_test(test_network_policy),
	    cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_workloads),
	    cmocka_unit_test(test_secret_refs),
	    cmocka_unit_test(test_secret_generate),
	    cmocka_unit_test(test_secret_wipe),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
