/* libFuzzer target: catalog templates rendered into a store's objects.
 *
 * The first byte chooses what the rest is:
 *  - even: a whole catalog file, rendered with fixed values. It either fails
 *    with a message that starts with "fuzz:", or gives objects that are all
 *    in the store's namespace, carry the store's labels, name a kind the
 *    applier knows, and hold no "{{" (nothing left unexpanded);
 *  - odd: a placeholder value, given to every text placeholder of a fixed
 *    template. Whatever it holds, the rendering has exactly the shape of
 *    the rendering with a plain value: same objects, same keys, same types,
 *    and the value appears verbatim.
 * Templates also go through render_secret_refs(), which either fails with
 * a "fuzz:" message or names each secret placeholder once.
 * See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provision/render.h"

#define STORE_ID "0123456789ab"
#define NS "store-" STORE_ID

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_template[] =
    "offering: {slug: f, name: F, kind: medusa}\n"
    "plans:\n"
    "  - {name: small, replicas: 1, cpu_request: 100m, cpu_limit: 500m, memory_request: 256Mi,\n"
    "     memory_limit: 512Mi, storage: 2Gi, monthly_price: 1}\n"
    "manifests:\n"
    "  - apiVersion: v1\n"
    "    kind: Secret\n"
    "    metadata: {name: s, labels: {shop: \"{{ store.name }}\"}}\n"
    "    stringData:\n"
    "      password: \"{{ secret.db_password }}\"\n"
    "      url: \"postgres://u:{{ secret.db_password }}@db/{{ store.name }}\"\n"
    "      plain: x {{ store.name }} y\n"
    "      block: |\n"
    "        {{ store.name }}\n"
    "  - apiVersion: apps/v1\n"
    "    kind: Deployment\n"
    "    metadata: {name: web, labels: {opsdeck.io/role: web}}\n"
    "    spec:\n"
    "      replicas: \"{{ plan.replicas }}\"\n"
    "      selector: {matchLabels: {app: web}}\n"
    "      template:\n"
    "        metadata: {labels: {app: web}}\n"
    "        spec:\n"
    "          containers:\n"
    "            - name: web\n"
    "              image: nginx:1.25\n"
    "              env: [{name: NAME, value: \"{{ store.name }}\"}]\n";

struct values {
	const char *text; /* for store.name and the secrets */
};

static const char *lookup(void *ud, const char *name)
{
	const struct values *v = ud;

	if (strcmp(name, "store.id") == 0)
		return STORE_ID;
	if (strcmp(name, "store.namespace") == 0)
		return NS;
	if (strcmp(name, "plan.replicas") == 0)
		return "2";
	if (strcmp(name, "plan.cpu_request") == 0 || strcmp(name, "plan.cpu_limit") == 0)
		return "100m";
	if (strcmp(name, "plan.memory_request") == 0 || strcmp(name, "plan.memory_limit") == 0)
		return "128Mi";
	if (strcmp(name, "plan.storage") == 0)
		return "1Gi";
	if (strcmp(name, "store.host") == 0)
		return STORE_ID ".example.test";
	if (strcmp(name, "store.url") == 0)
		return "https://" STORE_ID ".example.test";
	for (size_t i = 0; catalog_placeholders[i]; i++) {
		if (strcmp(catalog_placeholders[i], name) == 0)
			return v->text;
	}
	return NULL;
}

static void no_braces(const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_string(j) && strstr(json_string_value(j), "{{"))
		abort();
	json_object_foreach((json_t *)j, key, v) no_braces(v);
	json_array_foreach(j, i, v) no_braces(v);
}

static void check_labels(const json_t *meta)
{
	const json_t *labels = json_object_get(meta, "labels");
	const char *store = json_string_value(json_object_get(labels, RENDER_STORE_LABEL));
	const char *by = json_string_value(json_object_get(labels, RENDER_MANAGED_BY_LABEL));

	if (!store || strcmp(store, STORE_ID) != 0 || !by || strcmp(by, RENDER_MANAGED_BY) != 0)
		abort();
}

static void check_rendered(json_t *out)
{
	struct render_workloads wl;
	struct render_plan plan = {0};
	struct err err = {""};
	size_t i;
	json_t *obj;

	if (!json_is_array(out) || json_array_size(out) == 0)
		abort();
	json_array_foreach(out, i, obj)
	{
		const struct kube_resource *res;
		const char *name, *ns;

		if (!render_manifest_target(obj, &res, &name, &err) || !res->namespaced)
			abort();
		ns = json_string_value(
		    json_object_get(json_object_get(obj, "metadata"), "namespace"));
		if (!ns || strcmp(ns, NS) != 0)
			abort();
		check_labels(json_object_get(obj, "metadata"));
		if (res == &kube_res_deployments || res == &kube_res_statefulsets)
			check_labels(json_object_get(
			    json_object_get(json_object_get(obj, "spec"), "template"), "metadata"));
	}
	no_braces(out);
	/* must not crash, whatever they conclude */
	if (render_workloads(out, &wl, &err))
		render_workloads_free(&wl);
	plan.replicas = 1;
	(void)render_plan_measure(out, &plan, &err);
}

/* Same objects, keys and types; strings may differ. */
static bool same_shape(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, key, v)
		{
			const json_t *w = json_object_get(b, key);

			if (!w || !same_shape(v, w))
				return false;
		}
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, v)
		{
			if (!same_shape(v, json_array_get(b, i)))
				return false;
		}
	}
	return true;
}

static void fuzz_value(const uint8_t *data, size_t size)
{
	static json_t *reference;
	struct values plain = {"plain"}, vals;
	struct err err = {""};
	char value[256];
	json_t *out;

	if (!reference) {
		reference = render_manifests("fuzz", fixed_template, sizeof(fixed_template) - 1, NS,
					     lookup, &plain, &err);
		if (!reference)
			abort();
	}
	if (size >= sizeof(value) || memchr(data, 0, size))
		return;
	memcpy(value, data, size);
	value[size] = '\0';
	vals.text = value;
	out = render_manifests("fuzz", fixed_template, sizeof(fixed_template) - 1, NS, lookup,
			       &vals, &err);
	if (!out) {
		/* only text that is not UTF-8 may be refused */
		if (strncmp(err.msg, "fuzz:", 5) != 0 || !strstr(err.msg, "UTF-8"))
			abort();
		return;
	}
	if (!same_shape(reference, out))
		abort();
	if (strcmp(json_string_value(json_object_get(
		       json_object_get(json_array_get(out, 0), "stringData"), "password")),
		   value) != 0)
		abort();
	json_decref(out);
}

/* Every ref names a secret placeholder once; a kept one names its key. */
static void check_secret_refs(const char *text, size_t len)
{
	struct render_secret_refs r;
	struct err err = {""};

	if (!render_secret_refs("fuzz", text, len, &r, &err)) {
		if (strncmp(err.msg, "fuzz:", 5) != 0 || r.len != 0)
			abort();
		return;
	}
	for (size_t i = 0; i < r.len; i++) {
		if (strncmp(r.items[i].placeholder, "secret.", 7) != 0 ||
		    (r.items[i].secret[0] != '\0') != (r.items[i].key[0] != '\0'))
			abort();
		for (size_t k = 0; k < i; k++) {
			if (strcmp(r.items[i].placeholder, r.items[k].placeholder) == 0)
				abort();
		}
	}
	render_secret_refs_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct values vals = {"Secret0123456789abcdefgh"};
	struct err err = {""};
	json_t *out;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		fuzz_value(data + 1, size - 1);
		return 0;
	}
	check_secret_refs((const char *)data + 1, size - 1);
	out = render_manifests("fuzz", (const char *)data + 1, size - 1, NS, lookup, &vals, &err);
	if (!out) {
		if (strncmp(err.msg, "fuzz:", 5) != 0)
			abort();
		return 0;
	}
	check_rendered(out);
	json_decref(out);
	return 0;
}
