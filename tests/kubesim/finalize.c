#include "config.h"

#include "finalize.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jutil.h"
#include "sim.h"
#include "util.h"

bool fin_listed(const json_t *list, const char *name)
{
	size_t i;
	json_t *x;

	json_array_foreach((json_t *)list, i, x)
	{
		if (json_is_string(x) && str_eq(json_string_value(x), name))
			return true;
	}
	return false;
}

void fin_add(json_t *doc, const char *name)
{
	json_t *meta = jobj(doc, "metadata"), *list = json_object_get(meta, "finalizers");

	if (fin_listed(list, name))
		return;
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(meta, "finalizers", list);
	}
	json_array_append_new(list, json_string(name));
}

bool fin_pending(const json_t *doc)
{
	return json_array_size(jpath(doc, "metadata.finalizers")) > 0;
}

bool fin_held(const struct restype *rt, const json_t *doc)
{
	return fin_pending(doc) ||
	       (rt->id == K_NAMESPACE && json_array_size(jpath(doc, "spec.finalizers")) > 0);
}

/* Removes every `name` from the finalizers array of doc's `parent`, and the
 * member itself once empty (the API omits an empty list). */
static void list_remove(json_t *doc, const char *parent, const char *name)
{
	json_t *p = jobj(doc, parent), *list = json_object_get(p, "finalizers");

	for (size_t i = json_array_size(list); i-- > 0;) {
		const char *f = json_string_value(json_array_get(list, i));

		if (f && str_eq(f, name))
			json_array_remove(list, i);
	}
	if (list && !json_array_size(list))
		json_object_del(p, "finalizers");
}

bool fin_delete(struct store *st, struct obj *o)
{
	json_t *doc, *meta;
	char now[32];

	if (!fin_pending(o->doc)) {
		store_delete(st, o);
		return true;
	}
	/* Marked already, and with no grace left to shorten. */
	if (jpath(o->doc, "metadata.deletionTimestamp") &&
	    jint(o->doc, "metadata.deletionGracePeriodSeconds", 0) == 0)
		return false;
	doc = json_deep_copy(o->doc);
	meta = jobj(doc, "metadata");
	sim_fmt_time(sim_wall_ms(), now);
	json_object_set_new(meta, "deletionTimestamp", json_string(now));
	json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(0));
	store_update(st, o, doc);
	return false;
}

void fin_drop(struct store *st, struct obj *o, const char *name)
{
	json_t *doc;

	if (!fin_listed(jpath(o->doc, "metadata.finalizers"), name))
		return;
	doc = json_deep_copy(o->doc);
	list_remove(doc, "metadata", name);
	if (jpath(doc, "metadata.deletionTimestamp") && !fin_held(o->rt, doc)) {
		json_decref(doc);
		store_delete(st, o);
		return;
	}
	store_update(st, o, doc);
}

/* ---- the namespace controller's conditions ---- */

/* The condition types the real namespace deleter maintains, in its order,
 * with the reason and message each has while nothing is wrong. */
static const struct {
	const char *type, *ok_reason, *ok_message;
} ns_conds[] = {
    {"NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered",
     "All resources successfully discovered"},
    {"NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
     "All legacy kube types successfully parsed"},
    {"NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"},
    {"NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"},
    {"NamespaceFinalizersRemaining", "ContentHasNoFinalizers",
     "All content-preserving finalizers finished"},
};
enum { COND_CONTENT = 3, COND_FINALIZERS = 4 };

/* "configmaps. has 1 resource instances, secrets. has 2 resource
 * instances": a count map worded and sorted as the controller does. */
static char *counts_text(json_t *counts, const char *verb)
{
	size_t n = json_object_size(counts), i = 0;
	char **items = xcalloc(n ? n : 1, sizeof(*items));
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;

	json_object_foreach(counts, k, v)
	{
		items[i++] = xasprintf("%s %s %lld resource instances", k, verb,
				       (long long)json_integer_value(v));
	}
	qsort(items, n, sizeof(*items), cmp_strptr);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i ? ", " : "", items[i]);
		free(items[i]);
	}
	free(items);
	return buf_steal(&b);
}

static void count(json_t *counts, const char *key)
{
	json_object_set_new(counts, key,
			    json_integer(json_integer_value(json_object_get(counts, key)) + 1));
}

static const json_t *cond_of(const json_t *conds, const char *type)
{
	size_t i;
	json_t *c;

	json_array_foreach((json_t *)conds, i, c)
	{
		if (str_eq(jstr(c, "type", ""), type))
			return c;
	}
	return NULL;
}

/* The five conditions after a pass; a condition keeps its
 * lastTransitionTime while its status stays the same, as the real
 * updater's do. content/finalizers: the messages of what remains, or NULL. */
static json_t *ns_conditions(const json_t *old, const char *content, const char *finalizers)
{
	json_t *out = json_array();
	char now[32];

	sim_fmt_time(sim_wall_ms(), now);
	for (size_t i = 0; i < ARRAY_LEN(ns_conds); i++) {
		const char *status = "False", *reason = ns_conds[i].ok_reason,
			   *msg = ns_conds[i].ok_message, *since = now;
		const json_t *prev = cond_of(old, ns_conds[i].type);

		if (i == COND_CONTENT && content) {
			status = "True";
			reason = "SomeResourcesRemain";
			msg = content;
		} else if (i == COND_FINALIZERS && finalizers) {
			status = "True";
			reason = "SomeFinalizersRemain";
			msg = finalizers;
		}
		if (prev && str_eq(jstr(prev, "status", ""), status))
			since = jstr(prev, "lastTransitionTime", now);
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type",
						     ns_conds[i].type, "status", status,
						     "lastTransitionTime", since, "reason", reason,
						     "message", msg));
	}
	return out;
}

/* Deletes what is in ns; counts what stays (objects with finalizers) by
 * resource ("configmaps.", "deployments.apps") and by finalizer. */
static size_t delete_content(struct store *st, const struct obj *ns, json_t *by_res, json_t *by_fin)
{
	size_t left = 0;

	for (int k = 0; k < K_COUNT; k++) {
		const struct restype *rt = restype_get((enum kind_id)k);
		struct obj *const *objs;
		size_t n, i = 0, j;
		char key[96];
		json_t *f;

		if (!rt->namespaced)
			continue;
		objs = store_list(st, rt, ns->name, &n);
		while (i < n) {
			bool gone = fin_delete(st, objs[i]);

			objs = store_list(st, rt, ns->name, &n);
			if (gone)
				continue;
			snprintf(key, sizeof(key), "%s.%s", rt->plural, rt->group);
			count(by_res, key);
			json_array_foreach(jpath(objs[i]->doc, "metadata.finalizers"), j, f)
			{
				if (json_is_string(f))
					count(by_fin, json_string_value(f));
			}
			left++;
			i++;
		}
	}
	return left;
}

bool fin_namespace_pass(struct store *st, struct obj *ns)
{
	json_t *by_res = json_object(), *by_fin = json_object(), *conds, *doc;
	char *content = NULL, *fins = NULL, *list;
	size_t left = delete_content(st, ns, by_res, by_fin);

	if (left) {
		list = counts_text(by_res, "has");
		content = xasprintf("Some resources are remaining: %s", list);
		free(list);
	}
	if (json_object_size(by_fin)) {
		list = counts_text(by_fin, "in");
		fins =
		    xasprintf("Some content in the namespace has finalizers remaining: %s", list);
		free(list);
	}
	json_decref(by_res);
	json_decref(by_fin);
	conds = ns_conditions(jpath(ns->doc, "status.conditions"), content, fins);
	free(content);
	free(fins);
	if (!json_equal(conds, jpath(ns->doc, "status.conditions"))) {
		doc = json_deep_copy(ns->doc);
		json_object_set(jobj(doc, "status"), "conditions", conds);
		store_update(st, ns, doc);
	}
	json_decref(conds);
	if (left)
		return false;
	/* The content is gone: the controller's own finalizer goes (through
	 * the finalize subresource on a real cluster). */
	if (fin_listed(jpath(ns->doc, "spec.finalizers"), "kubernetes")) {
		doc = json_deep_copy(ns->doc);
		list_remove(doc, "spec", "kubernetes");
		if (!fin_held(ns->rt, doc)) {
			json_decref(doc);
			store_delete(st, ns);
			return true;
		}
		store_update(st, ns, doc);
	}
	return true;
}
