#include "config.h"

#include "seed.h"

#include <stdio.h>
#include <string.h>

#include "api.h"
#include "ctrl.h"
#include "jutil.h"
#include "restype.h"
#include "selector.h"
#include "store.h"

static bool store_id_valid(const char *id)
{
	return id && strlen(id) == 12 && strspn(id, "0123456789abcdef") == 12;
}

/* Checks the whole request before anything is created. */
static bool seed_check(const json_t *body, long *replicas, struct apierr *e)
{
	const json_t *stores = json_object_get(body, "stores"), *v, *x;
	const char *k;
	size_t i;

	json_object_foreach((json_t *)body, k, v)
	{
		if (!str_eq(k, "stores") && !str_eq(k, "replicas")) {
			apierr_bad_request(e, "unknown seed setting \"%s\"", k);
			return false;
		}
	}
	v = json_object_get(body, "replicas");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 50)) {
		apierr_bad_request(e, "replicas must be an integer between 1 and 50");
		return false;
	}
	*replicas = v ? (long)json_integer_value(v) : 1;
	if (!json_is_array(stores) || json_array_size(stores) == 0 ||
	    json_array_size(stores) > SEED_MAX) {
		apierr_bad_request(e, "stores must be an array of 1 to %d stores", SEED_MAX);
		return false;
	}
	json_array_foreach(stores, i, x)
	{
		const char *id = jstr(x, "id", NULL);
		const json_t *project = json_object_get(x, "project");

		if (!json_is_object(x) || !store_id_valid(id)) {
			apierr_bad_request(e, "stores[%zu]: id must be 12 lowercase hex digits", i);
			return false;
		}
		if (project &&
		    (!json_is_string(project) || valid_dns_label(json_string_value(project)))) {
			apierr_bad_request(e, "stores[%zu]: project must be a DNS label", i);
			return false;
		}
	}
	return true;
}

/* A store's namespace and web Deployment, as the provisioner labels them. */
static bool seed_one(struct sim *s, const char *id, const char *project, long replicas,
		     struct apierr *e)
{
	char ns[32];
	json_t *nsdoc, *dep;
	struct err err = {{0}};
	bool ok;

	snprintf(ns, sizeof(ns), "store-%s", id);
	nsdoc =
	    json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}}}", "apiVersion", "v1", "kind",
		      "Namespace", "metadata", "name", ns, "labels", "app.kubernetes.io/managed-by",
		      "opsdeck", "opsdeck.io/store", id, "opsdeck.io/project", project);
	dep = json_pack(
	    "{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s, s:s, s:s}},"
	    " s:{s:I, s:{s:{s:s}}, s:{s:{s:{s:s, s:s}}, s:{s:[{s:s, s:s, s:[{s:s, s:i}]}]}}}}",
	    "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", "wordpress",
	    "namespace", ns, "labels", "app.kubernetes.io/name", "wordpress",
	    "app.kubernetes.io/managed-by", "opsdeck", "opsdeck.io/store", id, "opsdeck.io/role",
	    "web", "spec", "replicas", (json_int_t)replicas, "selector", "matchLabels",
	    "app.kubernetes.io/name", "wordpress", "template", "metadata", "labels",
	    "app.kubernetes.io/name", "wordpress", "opsdeck.io/store", id, "spec", "containers",
	    "name", "wordpress", "image", "wordpress:6.4-php8.2-apache", "ports", "name", "http",
	    "containerPort", 80);
	ok = api_preload_object(s, nsdoc, &err) && api_preload_object(s, dep, &err);
	json_decref(nsdoc);
	json_decref(dep);
	if (!ok)
		apierr_set(e, 500, "InternalError", "seeding store %s: %s", id, err.msg);
	return ok;
}

bool seed_stores(struct sim *s, const json_t *body, json_t **result, struct apierr *e)
{
	const json_t *stores = json_object_get(body, "stores"), *x;
	long replicas = 1;
	size_t i, ready = 0;

	*result = NULL;
	if (!json_is_object(body)) {
		apierr_bad_request(e, "the body must be a JSON object");
		return false;
	}
	if (!seed_check(body, &replicas, e))
		return false;
	json_array_foreach(stores, i, x)
	{
		if (!seed_one(s, jstr(x, "id", ""), jstr(x, "project", "seed"), replicas, e))
			return false;
	}
	/* Deployments make their ReplicaSets, which make their pods. */
	ctrl_settle(s->ctrl);
	json_array_foreach(stores, i, x)
	{
		char ns[32];
		size_t n;
		struct obj *const *pods;

		snprintf(ns, sizeof(ns), "store-%s", jstr(x, "id", ""));
		/* The list is a view of the store: read again after a change. */
		for (size_t k = 0;; k++) {
			pods = store_list(s->store, restype_get(K_POD), ns, &n);
			if (k >= n)
				break;
			ready += ctrl_pod_ready_now(s->ctrl, pods[k]);
		}
	}
	/* The ReplicaSets' and Deployments' statuses follow. */
	ctrl_settle(s->ctrl);
	*result = json_pack("{s:I, s:I}", "stores", (json_int_t)json_array_size(stores),
			    "podsReady", (json_int_t)ready);
	return true;
}
