/* The keys of associative lists that server-side apply needs: entries that
 * omit one are listed at their file position, and the shipped catalog has
 * none. */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/catalog_file.h"
#include "kube/listkeys.h"
#include "yamldoc.h"

/* The findings of the one manifest in text. */
static void check(const char *text, struct listkey_findings *out)
{
	struct err err = {""};
	struct ydoc *doc = ydoc_load_string("m.yaml", text, strlen(text), &err);

	if (!doc)
		fail_msg("'%s' failed: %s", text, err.msg);
	out->v = NULL;
	out->n = 0;
	listkeys_check(doc->root, out);
	ydoc_free(doc);
}

static void assert_finding(const struct listkey_findings *l, size_t i, unsigned line,
			   unsigned column, const char *message)
{
	assert_true(i < l->n);
	if (l->v[i].line != line || l->v[i].column != column)
		fail_msg("finding %zu at %u:%u, want %u:%u", i, l->v[i].line, l->v[i].column, line,
			 column);
	assert_string_equal(l->v[i].message, message);
}

static void test_service_port_without_protocol(void **state)
{
	struct listkey_findings l;

	(void)state;
	check("apiVersion: v1\n"
	      "kind: Service\n"
	      "metadata: {name: mysql}\n"
	      "spec:\n"
	      "  ports:\n"
	      "    - name: mysql\n"
	      "      port: 3306\n"
	      "      protocol: TCP\n"
	      "    - name: x\n"
	      "      port: 33060\n",
	      &l);
	assert_int_equal(l.n, 1);
	assert_finding(&l, 0, 9, 7,
		       "Service mysql: spec.ports[1] omits protocol, which server-side apply on "
		       "Kubernetes 1.20 needs (write protocol: TCP)");
	listkey_findings_free(&l);
}

static void test_workload_lists(void **state)
{
	struct listkey_findings l;

	(void)state;
	check("apiVersion: apps/v1\n"
	      "kind: StatefulSet\n"
	      "metadata: {name: db}\n"
	      "spec:\n"
	      "  template:\n"
	      "    spec:\n"
	      "      initContainers:\n"
	      "        - name: init\n"
	      "          ports: [{containerPort: 1, protocol: UDP}, {containerPort: 2}]\n"
	      "      containers:\n"
	      "        - name: db\n"
	      "          ports:\n"
	      "            - {containerPort: 5432, hostPort: 5432, protocol: ~}\n"
	      "          env:\n"
	      "            - {value: x}\n"
	      "            - name: A\n"
	      "          volumeMounts: [{name: data}]\n"
	      "        - image: x\n"
	      "          ports: not a list\n"
	      "        - just text\n"
	      "      volumes: [{emptyDir: {}}]\n",
	      &l);
	assert_int_equal(l.n, 6);
	assert_finding(&l, 0, 9, 54,
		       "StatefulSet db: spec.template.spec.initContainers[0].ports[1] omits "
		       "protocol, which server-side apply on Kubernetes 1.20 needs (write "
		       "protocol: TCP)");
	/* A key written as null is omitted as well. */
	assert_finding(&l, 1, 13, 15,
		       "StatefulSet db: spec.template.spec.containers[0].ports[0] omits protocol, "
		       "which server-side apply on Kubernetes 1.20 needs (write protocol: TCP)");
	assert_finding(&l, 2, 15, 15,
		       "StatefulSet db: spec.template.spec.containers[0].env[0] omits name, a key "
		       "of its list that server-side apply needs");
	assert_finding(&l, 3, 17, 26,
		       "StatefulSet db: spec.template.spec.containers[0].volumeMounts[0] omits "
		       "mountPath, a key of its list that server-side apply needs");
	assert_finding(&l, 4, 18, 11,
		       "StatefulSet db: spec.template.spec.containers[1] omits name, a key of "
		       "its list that server-side apply needs");
	assert_finding(&l, 5, 21, 17,
		       "StatefulSet db: spec.template.spec.volumes[0] omits name, a key of its "
		       "list that server-side apply needs");
	listkey_findings_free(&l);
}

static void test_complete_and_other_kinds(void **state)
{
	struct listkey_findings l;

	(void)state;
	check("kind: Deployment\n"
	      "metadata: {name: web}\n"
	      "spec:\n"
	      "  template:\n"
	      "    spec:\n"
	      "      containers:\n"
	      "        - name: web\n"
	      "          ports: [{containerPort: 80, protocol: TCP}]\n"
	      "          env: [{name: A, value: b}]\n",
	      &l);
	assert_int_equal(l.n, 0);
	/* Lists of other kinds are atomic: a NetworkPolicy port may omit it. */
	check("kind: NetworkPolicy\n"
	      "metadata: {name: n}\n"
	      "spec: {ingress: [{ports: [{port: 80}]}]}\n",
	      &l);
	assert_int_equal(l.n, 0);
	check("kind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n", &l);
	assert_int_equal(l.n, 0);
	check("- not a manifest\n", &l);
	assert_int_equal(l.n, 0);
}

/* catalog_file_parse() keeps the findings of every manifest as warnings at
 * the file's positions, and the file still loads. */
static void test_catalog_file_warnings(void **state)
{
	static const char text[] =
	    "offering: {slug: t, name: T, kind: medusa}\n"
	    "plans:\n"
	    "  - {name: small, replicas: 1, cpu_request: 100m, cpu_limit: 500m,\n"
	    "     memory_request: 256Mi, memory_limit: 512Mi, storage: 2Gi, monthly_price: 1}\n"
	    "manifests:\n"
	    "  - apiVersion: v1\n"
	    "    kind: Service\n"
	    "    metadata: {name: web}\n"
	    "    spec:\n"
	    "      ports:\n"
	    "        - port: 80\n"
	    "  - apiVersion: apps/v1\n"
	    "    kind: Deployment\n"
	    "    metadata: {name: web}\n"
	    "    spec:\n"
	    "      template:\n"
	    "        spec:\n"
	    "          containers:\n"
	    "            - name: web\n"
	    "              image: nginx\n"
	    "              ports: [{containerPort: 80}]\n";
	struct err err = {""};
	struct catalog_file *f = catalog_file_parse("t.yaml", text, strlen(text), &err);

	(void)state;
	if (!f)
		fail_msg("the file failed: %s", err.msg);
	assert_int_equal(f->warnings.n, 2);
	assert_finding(&f->warnings, 0, 11, 11,
		       "Service web: spec.ports[0] omits protocol, which server-side apply on "
		       "Kubernetes 1.20 needs (write protocol: TCP)");
	assert_finding(&f->warnings, 1, 21, 23,
		       "Deployment web: spec.template.spec.containers[0].ports[0] omits protocol, "
		       "which server-side apply on Kubernetes 1.20 needs (write protocol: TCP)");
	catalog_file_free(f);
}

/* Every shipped catalog file loads without a warning. */
static void test_shipped_catalog(void **state)
{
	char dir[4096];
	DIR *d;
	struct dirent *e;
	size_t files = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/catalog", OPSDECK_TEST_SRCDIR);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[8192];
		struct err err = {""};
		struct catalog_file *f;

		if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = catalog_file_load(path, &err);
		if (!f)
			fail_msg("%s failed: %s", path, err.msg);
		if (f->warnings.n)
			fail_msg("%s:%u:%u: %s", path, f->warnings.v[0].line,
				 f->warnings.v[0].column, f->warnings.v[0].message);
		catalog_file_free(f);
		files++;
	}
	closedir(d);
	assert_true(files >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_service_port_without_protocol),
	    cmocka_unit_test(test_workload_lists),
	    cmocka_unit_test(test_complete_and_other_kinds),
	    cmocka_unit_test(test_catalog_file_warnings),
	    cmocka_unit_test(test_shipped_catalog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
