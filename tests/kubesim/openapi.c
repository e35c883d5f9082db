#include "config.h"

#include "openapi.h"

#include <stdio.h>
#include <string.h>

#include "restype.h"
#include "sim.h"
#include "util.h"

/* "api/v1" or "apis/GROUP/VERSION" of a resource type. */
static void gv_path(const struct restype *rt, char *out, size_t n)
{
	if (rt->group[0])
		snprintf(out, n, "apis/%s/%s", rt->group, rt->version);
	else
		snprintf(out, n, "api/%s", rt->version);
}

static json_t *param(const char *name, const char *in, bool required)
{
	json_t *p =
	    json_pack("{s:s, s:s, s:{s:s}}", "name", name, "in", in, "schema", "type", "string");

	if (required)
		json_object_set_new(p, "required", json_true());
	return p;
}

static json_t *gvk(const struct restype *rt)
{
	return json_pack("{s:s, s:s, s:s}", "group", rt->group, "version", rt->version, "kind",
			 rt->kind);
}

static void schema_name(const struct restype *rt, char *out, size_t n)
{
	const char *pkg = rt->id == K_KAFKATOPIC ? "io.strimzi.kafka" : "io.k8s.api";

	if (rt->group[0])
		snprintf(out, n, "%s.%s.%s.%s", pkg, rt->group, rt->version, rt->kind);
	else
		snprintf(out, n, "%s.core.%s.%s", pkg, rt->version, rt->kind);
}

json_t *openapi_index(void)
{
	json_t *paths = json_object();

	for (int k = 0; k <= K_COUNT; k++) {
		const struct restype *rt =
		    k < K_COUNT ? restype_get((enum kind_id)k) : restype_other();
		char gv[96], url[160];

		if (!rt)
			continue;

		gv_path(rt, gv, sizeof(gv));
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%08X", gv,
			 sim_fnv32(gv, strlen(gv)));
		json_object_set_new(paths, gv, json_pack("{s:s}", "serverRelativeURL", url));
	}
	return json_pack("{s:o}", "paths", paths);
}

json_t *openapi_doc(const char *path)
{
	json_t *paths = json_object(), *schemas = json_object();
	bool any = false;

	for (int k = 0; k <= K_COUNT; k++) {
		const struct restype *rt =
		    k < K_COUNT ? restype_get((enum kind_id)k) : restype_other();
		char gv[96], item[256], coll[256], sname[160], ref[200];
		json_t *params, *patch, *ok;

		if (!rt)
			continue;
		gv_path(rt, gv, sizeof(gv));
		if (!str_eq(gv, path))
			continue;
		any = true;
		schema_name(rt, sname, sizeof(sname));
		snprintf(ref, sizeof(ref), "#/components/schemas/%s", sname);
		if (rt->namespaced) {
			snprintf(item, sizeof(item), "/%s/namespaces/{namespace}/%s/{name}", gv,
				 rt->plural);
			snprintf(coll, sizeof(coll), "/%s/namespaces/{namespace}/%s", gv,
				 rt->plural);
		} else {
			snprintf(item, sizeof(item), "/%s/%s/{name}", gv, rt->plural);
			snprintf(coll, sizeof(coll), "/%s/%s", gv, rt->plural);
		}
		params = json_array();
		json_array_append_new(params, param("name", "path", true));
		if (rt->namespaced)
			json_array_append_new(params, param("namespace", "path", true));
		ok = json_pack("{s:{s:s, s:{s:{s:{s:s}}}}}", "200", "description", "OK", "content",
			       "application/json", "schema", "$ref", ref);
		patch = json_pack(
		    "{s:s, s:o, s:s, s:o, s:[o,o,o,o], s:O}", "operationId", "patch",
		    "x-kubernetes-group-version-kind", gvk(rt), "x-kubernetes-action", "patch",
		    "requestBody",
		    json_pack("{s:{s:{s:{s:s}}, s:{s:{s:s}}, s:{s:{s:s}}, "
			      "s:{s:{s:s}}}, s:b}",
			      "content", "application/apply-patch+yaml", "schema", "type", "object",
			      "application/json-patch+json", "schema", "type", "object",
			      "application/merge-patch+json", "schema", "type", "object",
			      "application/strategic-merge-patch+json", "schema", "type", "object",
			      "required", 1),
		    "parameters", param("dryRun", "query", false),
		    param("fieldManager", "query", false), param("fieldValidation", "query", false),
		    param("force", "query", false), "responses", ok);
		json_object_set_new(
		    paths, item,
		    json_pack("{s:{s:s, s:O, s:s, s:O}, s:o, s:o}", "get", "operationId", "read",
			      "x-kubernetes-group-version-kind",
			      json_object_get(patch, "x-kubernetes-group-version-kind"),
			      "x-kubernetes-action", "get", "responses", ok, "patch", patch,
			      "parameters", params));
		json_object_set_new(
		    paths, coll,
		    json_pack("{s:{s:s, s:o, s:s, s:[o], s:o}}", "post", "operationId", "create",
			      "x-kubernetes-group-version-kind", gvk(rt), "x-kubernetes-action",
			      "post", "parameters", param("fieldValidation", "query", false),
			      "responses", json_deep_copy(ok)));
		json_decref(ok);
		json_object_set_new(
		    schemas, sname,
		    json_pack("{s:s, s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}, s:[o]}",
			      "description", rt->kind, "type", "object", "properties", "apiVersion",
			      "type", "string", "kind", "type", "string", "metadata", "type",
			      "object", "spec", "type", "object", "status", "type", "object",
			      "x-kubernetes-group-version-kind", gvk(rt)));
	}
	if (!any) {
		json_decref(paths);
		json_decref(schemas);
		return NULL;
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:o}}", "openapi", "3.0.0", "info", "title",
			 "Kubernetes", "version", "v1.32.0", "paths", paths, "components",
			 "schemas", schemas);
}
