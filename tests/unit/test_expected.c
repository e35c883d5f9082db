/* The reconcile pass's check against the template: which objects a store's
 * template renders (with the store's own values, secrets standing in), and
 * which of them a namespace lacks -- an object of a resource whose list
 * failed is not judged, never missing. */
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
#include "provision/expected.h"
#include "provision/storevars.h"

#define STORE_ID "a1b2c3d4e5f6"
#define NS "store-" STORE_ID

static char *read_catalog(const char *name)
{
	char path[1024], chunk[4096];
	struct buf b = BUF_INIT;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/catalog/%s", OPSDECK_TEST_SRCDIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_steal(&b);
}

/* A Ready store of the small plan, scaled to 2, with template text. */
static void store_init(struct job_store *st, char *text)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", STORE_ID);
	st->name = xstrdup("shop");
	st->namespace = xstrdup(NS);
	st->status = xstrdup("Ready");
	st->url = xstrdup("");
	st->replicas = 2;
	st->project = xstrdup("acme");
	st->offering = xstrdup("woocommerce");
	st->kind = xstrdup("woocommerce");
	st->template_text = text;
	snprintf(st->plan.name, sizeof(st->plan.name), "small");
	st->plan.replicas = 1;
	st->plan.cpu_request_millis = 100;
	st->plan.cpu_limit_millis = 500;
	st->plan.memory_request_mib = 256;
	st->plan.memory_limit_mib = 512;
	st->plan.storage_gib = 2;
	st->cluster = xstrdup("local");
	st->context = xstrdup("kubesim");
}

static char *names_of(const struct expected_objects *e)
{
	struct buf b = BUF_INIT;
	char name[320];

	for (size_t i = 0; i < e->n; i++) {
		expected_object_name(&e->v[i], name, sizeof(name));
		buf_printf(&b, "%s%s", i ? " " : "", name);
	}
	return buf_steal(&b);
}

static void test_storevars(void **state)
{
	struct job_store st;
	char buf[300];

	(void)state;
	store_init(&st, xstrdup(""));
	assert_string_equal(
	    storevars_value(&st, "shops.test", "https://x", "store.host", buf, sizeof(buf)),
	    STORE_ID ".shops.test");
	assert_string_equal(
	    storevars_value(&st, "shops.test", "https://x", "plan.replicas", buf, sizeof(buf)),
	    "2");
	assert_string_equal(
	    storevars_value(&st, "shops.test", "https://x", "plan.cpu_request", buf, sizeof(buf)),
	    "100m");
	assert_string_equal(
	    storevars_value(&st, "shops.test", "https://x", "plan.storage", buf, sizeof(buf)),
	    "2Gi");
	assert_string_equal(
	    storevars_value(&st, "shops.test", "https://x", "store.url", buf, sizeof(buf)),
	    "https://x");
	assert_null(storevars_value(&st, "shops.test", "https://x", "secret.db_password", buf,
				    sizeof(buf)));
	assert_null(
	    storevars_value(&st, "shops.test", "https://x", "store.nope", buf, sizeof(buf)));
	job_store_free(&st);
}

static void check_catalog(const char *file, const char *want)
{
	struct job_store st;
	struct expected_objects e = {0};
	struct err err = {{0}};
	char *names;

	store_init(&st, read_catalog(file));
	if (!expected_for_store(&st, "shops.test", &e, &err))
		fail_msg("%s does not render: %s", file, err.msg);
	names = names_of(&e);
	assert_string_equal(names, want);
	free(names);
	expected_free(&e);
	job_store_free(&st);
}

static void test_catalogs(void **state)
{
	(void)state;
	check_catalog("woocommerce.yaml",
		      "secret/mysql-secret secret/wordpress-secret persistentvolumeclaim/mysql-pvc "
		      "statefulset/mysql service/mysql deployment/wordpress service/wordpress "
		      "ingress/wordpress-ingress");
	check_catalog("medusa.yaml", "secret/postgres-secret secret/medusa-secret "
				     "persistentvolumeclaim/postgres-pvc statefulset/postgres "
				     "service/postgres deployment/redis service/redis "
				     "deployment/medusa service/medusa ingress/medusa-ingress");
}

#define TEMPLATE_HEAD                                                                              \
	"offering: {slug: woocommerce, name: T, kind: woocommerce}\n"                              \
	"plans:\n"                                                                                 \
	"  - {name: small, replicas: 1, cpu_request: 100m, cpu_limit: 500m, memory_request: "      \
	"256Mi, memory_limit: 512Mi, storage: 2Gi, monthly_price: 1}\n"                            \
	"manifests:\n"
#define TEMPLATE_WEB                                                                               \
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

/* Names made of placeholders come out as the store's; a secret value is
 * never needed to name an object. */
static void test_placeholder_names(void **state)
{
	struct job_store st;
	struct expected_objects e = {0};
	struct err err = {{0}};
	char *names;

	(void)state;
	store_init(&st,
		   xstrdup(TEMPLATE_HEAD
			   "  - apiVersion: v1\n"
			   "    kind: ConfigMap\n"
			   "    metadata: {name: \"{{ store.name }}-{{ plan.name }}\"}\n"
			   "    data: {host: \"{{ store.host }}\"}\n"
			   "  - apiVersion: v1\n"
			   "    kind: Secret\n"
			   "    metadata: {name: keys}\n"
			   "    stringData: {jwt: \"{{ secret.jwt_secret }}\"}\n" TEMPLATE_WEB));
	assert_true(expected_for_store(&st, "shops.test", &e, &err));
	names = names_of(&e);
	assert_string_equal(names, "configmap/shop-small secret/keys deployment/web");
	free(names);
	expected_free(&e);
	job_store_free(&st);
}

static void test_not_rendered(void **state)
{
	struct job_store st;
	struct expected_objects e = {0};
	struct err err = {{0}};

	(void)state;
	store_init(&st, xstrdup(TEMPLATE_HEAD
				"  - apiVersion: v1\n"
				"    kind: ConfigMap\n"
				"    metadata: {name: \"{{ store.nope }}\"}\n" TEMPLATE_WEB));
	assert_false(expected_for_store(&st, "shops.test", &e, &err));
	assert_non_null(strstr(err.msg, "store.nope"));
	assert_int_equal(e.n, 0);
	job_store_free(&st);
}

/* ---- the comparison ---- */

struct listing {
	json_t *by_res; /* plural -> [objects], or -> null when the list failed */
};

static const json_t *items(void *ud, const struct kube_resource *res, bool *listed)
{
	const struct listing *l = ud;
	const json_t *v = json_object_get(l->by_res, res->plural);

	*listed = v && !json_is_null(v);
	return *listed ? v : NULL;
}

static json_t *obj(const char *name)
{
	return json_pack("{s:{s:s, s:s}}", "metadata", "name", name, "namespace", NS);
}

/* The woocommerce store's objects, with what listing says. */
static size_t compare(struct listing *l, char **missing, size_t *unjudged)
{
	struct job_store st;
	struct expected_objects e = {0};
	struct err err = {{0}};
	struct buf b = BUF_INIT;
	size_t n;

	store_init(&st, read_catalog("woocommerce.yaml"));
	assert_true(expected_for_store(&st, "shops.test", &e, &err));
	n = expected_missing(&e, items, l, false, &b, unjudged);
	*missing = buf_steal(&b);
	expected_free(&e);
	job_store_free(&st);
	return n;
}

static struct listing all_there(void)
{
	struct listing l = {json_object()};

	json_object_set_new(l.by_res, "secrets",
			    json_pack("[ooo]", obj("mysql-secret"), obj("wordpress-secret"),
				      obj("opsdeck-credentials")));
	json_object_set_new(l.by_res, "persistentvolumeclaims", json_pack("[o]", obj("mysql-pvc")));
	json_object_set_new(l.by_res, "statefulsets", json_pack("[o]", obj("mysql")));
	json_object_set_new(l.by_res, "services",
			    json_pack("[oo]", obj("mysql"), obj("wordpress")));
	json_object_set_new(l.by_res, "deployments", json_pack("[o]", obj("wordpress")));
	json_object_set_new(l.by_res, "ingresses", json_pack("[o]", obj("wordpress-ingress")));
	return l;
}

static void test_nothing_missing(void **state)
{
	struct listing l = all_there();
	size_t unjudged = 9;
	char *missing;

	(void)state;
	assert_int_equal(compare(&l, &missing, &unjudged), 0);
	assert_string_equal(missing, "");
	assert_int_equal(unjudged, 0);
	free(missing);
	json_decref(l.by_res);
}

static void test_missing_named(void **state)
{
	struct listing l = all_there();
	size_t unjudged;
	char *missing;

	(void)state;
	/* The Deployment deleted, the StatefulSet left; a Service of the
	 * same name does not stand in for it. */
	json_object_set_new(l.by_res, "deployments", json_array());
	assert_int_equal(compare(&l, &missing, &unjudged), 1);
	assert_string_equal(missing, "deployment/wordpress");
	free(missing);
	/* and a Service and a Secret as well, named in template order */
	json_object_set_new(l.by_res, "services", json_pack("[o]", obj("mysql")));
	json_object_set_new(l.by_res, "secrets", json_pack("[o]", obj("wordpress-secret")));
	assert_int_equal(compare(&l, &missing, &unjudged), 3);
	assert_string_equal(missing,
			    "secret/mysql-secret, deployment/wordpress, service/wordpress");
	assert_int_equal(unjudged, 0);
	free(missing);
	/* nothing listed of a resource (no key): the list is empty */
	json_object_del(l.by_res, "ingresses");
	json_object_set_new(l.by_res, "ingresses", json_array());
	assert_int_equal(compare(&l, &missing, &unjudged), 4);
	assert_string_equal(missing, "secret/mysql-secret, deployment/wordpress, "
				     "service/wordpress, ingress/wordpress-ingress");
	free(missing);
	json_decref(l.by_res);
}

static void test_list_failed(void **state)
{
	struct listing l = all_there();
	size_t unjudged;
	char *missing;

	(void)state;
	/* Ingresses not served, secrets refused: not missing, unjudged. */
	json_object_set_new(l.by_res, "ingresses", json_null());
	json_object_set_new(l.by_res, "secrets", json_null());
	assert_int_equal(compare(&l, &missing, &unjudged), 0);
	assert_string_equal(missing, "");
	assert_int_equal(unjudged, 3);
	free(missing);
	/* what was listed is still judged */
	json_object_set_new(l.by_res, "deployments", json_array());
	assert_int_equal(compare(&l, &missing, &unjudged), 1);
	assert_string_equal(missing, "deployment/wordpress");
	assert_int_equal(unjudged, 3);
	free(missing);
	json_decref(l.by_res);
}

static void test_manifests(void **state)
{
	struct expected_objects e = {0};
	json_t *m = json_loads(
	    "[{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}},"
	    " {\"apiVersion\": \"v1\", \"kind\": \"Unknown\", \"metadata\": {\"name\": \"b\"}},"
	    " {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {}},"
	    " {\"apiVersion\": \"apps/v1\", \"kind\": \"StatefulSet\", \"metadata\": {\"name\": "
	    "\"c\"}}]",
	    0, NULL);
	char *names;

	(void)state;
	expected_from_manifests(m, &e);
	names = names_of(&e);
	assert_string_equal(names, "service/a statefulset/c");
	assert_true(expected_uses(&e, &kube_res_statefulsets));
	assert_false(expected_uses(&e, &kube_res_ingresses));
	free(names);
	json_decref(m);
	m = json_array();
	expected_from_manifests(m, &e);
	assert_int_equal(e.n, 0);
	expected_free(&e);
	json_decref(m);
}

/* The cluster removes Pods, Events, ReplicaSets and Jobs by design: a
 * template's are never missing. What stays until deleted is expected. */
static void test_lasting_kinds(void **state)
{
	struct expected_objects e = {0};
	json_t *m = json_loads(
	    "[{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}},"
	    " {\"apiVersion\": \"v1\", \"kind\": \"Event\", \"metadata\": {\"name\": \"e\"}},"
	    " {\"apiVersion\": \"apps/v1\", \"kind\": \"ReplicaSet\", \"metadata\": "
	    "{\"name\": \"rs\"}},"
	    " {\"apiVersion\": \"batch/v1\", \"kind\": \"Job\", \"metadata\": {\"name\": "
	    "\"migrate\"}, \"spec\": {\"ttlSecondsAfterFinished\": 60}},"
	    " {\"apiVersion\": \"batch/v1\", \"kind\": \"CronJob\", \"metadata\": {\"name\": "
	    "\"backup\"}},"
	    " {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": "
	    "\"cfg\"}},"
	    " {\"apiVersion\": \"v1\", \"kind\": \"ServiceAccount\", \"metadata\": {\"name\": "
	    "\"sa\"}},"
	    " {\"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"RoleBinding\", "
	    "\"metadata\": {\"name\": \"rb\"}}]",
	    0, NULL);
	char *names;

	(void)state;
	assert_non_null(m);
	expected_from_manifests(m, &e);
	names = names_of(&e);
	assert_string_equal(names, "cronjob/backup configmap/cfg serviceaccount/sa rolebinding/rb");
	free(names);
	expected_free(&e);
	json_decref(m);
	assert_true(expected_kind_lasts("Deployment"));
	assert_true(expected_kind_lasts("PersistentVolumeClaim"));
	assert_true(expected_kind_lasts("LimitRange"));
	assert_false(expected_kind_lasts("Pod"));
	assert_false(expected_kind_lasts("Job"));
	assert_false(expected_kind_lasts("ReplicaSet"));
	assert_false(expected_kind_lasts("Event"));
	assert_false(expected_kind_lasts("KafkaTopic"));
}

static void digest_of(const char *tmpl, char *out, size_t outsz)
{
	struct job_store st;
	struct expected_objects e = {0};
	struct err err = {{0}};

	store_init(&st, xstrdup(tmpl));
	if (!expected_for_store(&st, "shops.test", &e, &err))
		fail_msg("does not render: %s", err.msg);
	expected_digest(&e, out, outsz);
	expected_free(&e);
	job_store_free(&st);
}

/* The digest the job records changes with the objects a template makes,
 * not with their values nor with a kind that is not judged. */
static void test_digest(void **state)
{
	char a[EXPECTED_DIGEST_LEN + 1], b[EXPECTED_DIGEST_LEN + 1];
	char *text = read_catalog("woocommerce.yaml");

	(void)state;
	digest_of(TEMPLATE_HEAD TEMPLATE_WEB, a, sizeof(a));
	assert_int_equal(strlen(a), EXPECTED_DIGEST_LEN);
	digest_of(TEMPLATE_HEAD TEMPLATE_WEB, b, sizeof(b));
	assert_string_equal(a, b);
	/* another image: the same objects */
	{
		char *t = xstrdup(TEMPLATE_HEAD TEMPLATE_WEB);

		memcpy(strstr(t, "nginx:1.25"), "nginx:1.27", 10);
		digest_of(t, b, sizeof(b));
		free(t);
	}
	assert_string_equal(a, b);
	/* a ConfigMap added */
	digest_of(TEMPLATE_HEAD "  - apiVersion: v1\n"
				"    kind: ConfigMap\n"
				"    metadata: {name: settings}\n" TEMPLATE_WEB,
		  b, sizeof(b));
	assert_string_not_equal(a, b);
	/* a Deployment renamed */
	{
		char *t = xstrdup(TEMPLATE_HEAD TEMPLATE_WEB);

		memcpy(strstr(t, "name: web,"), "name: www,", 10);
		digest_of(t, b, sizeof(b));
		free(t);
	}
	assert_string_not_equal(a, b);
	digest_of(text, b, sizeof(b));
	assert_string_not_equal(a, b);
	free(text);
}

/* job_req_stores gives each offering's template on the first row of that
 * offering only; stores of two offerings interleave in id order. */
static void test_template_by_offering(void **state)
{
	struct expected_templates t = {0};

	(void)state;
	assert_string_equal(expected_template_of(&t, "woocommerce", "W"), "W");
	assert_string_equal(expected_template_of(&t, "medusa", "M"), "M");
	assert_string_equal(expected_template_of(&t, "woocommerce", NULL), "W");
	assert_string_equal(expected_template_of(&t, "medusa", NULL), "M");
	assert_string_equal(expected_template_of(&t, "woocommerce", NULL), "W");
	/* an offering whose first row never came */
	assert_null(expected_template_of(&t, "magento", NULL));
	assert_int_equal(t.n, 2);
	expected_templates_free(&t);
	assert_int_equal(t.n, 0);
	assert_null(expected_template_of(&t, "woocommerce", NULL));
	expected_templates_free(&t);
}

static void test_store_url(void **state)
{
	struct job_store st;
	char url[300];

	(void)state;
	store_init(&st, xstrdup(""));
	storevars_url(&st, "shops.test", false, url, sizeof(url));
	assert_string_equal(url, "https://" STORE_ID ".shops.test");
	x_free(&st.url);
	st.url = xstrdup("https://shop.example");
	storevars_url(&st, "shops.test", false, url, sizeof(url));
	assert_string_equal(url, "https://shop.example");
	/* a provision job serves it where opsdeck does */
	storevars_url(&st, "shops.test", true, url, sizeof(url));
	assert_string_equal(url, "https://" STORE_ID ".shops.test");
	job_store_free(&st);
}

/* The second look only confirms what the first saw missing: an object
 * missing only at the second look is not drift of this pass. */
static void test_second_look(void **state)
{
	struct listing l = all_there();
	struct job_store st;
	struct expected_objects e = {0};
	struct err err = {{0}};
	struct buf b = BUF_INIT;
	size_t unjudged;

	(void)state;
	store_init(&st, read_catalog("woocommerce.yaml"));
	assert_true(expected_for_store(&st, "shops.test", &e, &err));
	json_object_set_new(l.by_res, "deployments", json_array());
	assert_int_equal(expected_missing(&e, items, &l, false, &b, &unjudged), 1);
	assert_string_equal(buf_str(&b), "deployment/wordpress");
	buf_free(&b);
	/* second look: the Deployment back, the Service gone */
	json_object_set_new(l.by_res, "deployments", json_pack("[o]", obj("wordpress")));
	json_object_set_new(l.by_res, "services", json_pack("[o]", obj("mysql")));
	assert_int_equal(expected_missing(&e, items, &l, true, &b, &unjudged), 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
	/* a first look again sees the Service; the second confirms it */
	assert_int_equal(expected_missing(&e, items, &l, false, &b, &unjudged), 1);
	buf_free(&b);
	assert_int_equal(expected_missing(&e, items, &l, true, &b, &unjudged), 1);
	assert_string_equal(buf_str(&b), "service/wordpress");
	buf_free(&b);
	expected_free(&e);
	job_store_free(&st);
	json_decref(l.by_res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_storevars),	      cmocka_unit_test(test_catalogs),
	    cmocka_unit_test(test_placeholder_names), cmocka_unit_test(test_not_rendered),
	    cmocka_unit_test(test_nothing_missing),   cmocka_unit_test(test_missing_named),
	    cmocka_unit_test(test_list_failed),	      cmocka_unit_test(test_manifests),
	    cmocka_unit_test(test_lasting_kinds),     cmocka_unit_test(test_digest),
	    cmocka_unit_test(test_template_by_offering), cmocka_unit_test(test_store_url),
	    cmocka_unit_test(test_second_look),
	};

	return cmocka_run_group_tests_name("expected", tests, NULL, NULL);
}
