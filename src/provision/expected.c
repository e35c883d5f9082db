#include "config.h"

#include "provision/expected.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provision/render.h"
#include "provision/storevars.h"

/* Stands in for the generated secrets, which only the job holds. */
#define SECRET_STAND_IN "unused"

bool expected_kind_lasts(const char *kind)
{
	/* An allow-list: a kind added to what opsdeck applies is not judged
	 * until it is known not to come and go by itself. */
	static const char *const lasting[] = {
		"Deployment", "StatefulSet", "DaemonSet", "Service", "Secret", "ConfigMap",
		"PersistentVolumeClaim", "Ingress", "ServiceAccount", "Role", "RoleBinding",
		"NetworkPolicy", "ResourceQuota", "LimitRange", "CronJob",
	};

	for (size_t i = 0; i < sizeof(lasting) / sizeof(lasting[0]); i++) {
		if (strcmp(kind, lasting[i]) == 0)
			return true;
	}
	return false;
}

void expected_from_manifests(const json_t *manifests, struct expected_objects *out)
{
	size_t i, cap = 0;
	const json_t *obj;

	expected_free(out);
	json_array_foreach(manifests, i, obj)
	{
		const struct kube_resource *res;
		const char *name;
		struct err err = {{0}};

		if (!render_manifest_target(obj, &res, &name, &err) || !res->namespaced ||
		    !expected_kind_lasts(res->kind))
			continue;
		out->v = xgrow(out->v, &cap, out->n + 1, sizeof(*out->v));
		out->v[out->n].res = res;
		str_copy(out->v[out->n].name, sizeof(out->v[0].name), name);
		out->n++;
	}
}

struct store_values {
	const struct job_store *st;
	const char *domain;
	char url[300];
	char buf[300];
};

static const char *lookup(void *ud, const char *name)
{
	struct store_values *sv = ud;

	if (str_has_prefix(name, "secret."))
		return SECRET_STAND_IN;
	return storevars_value(sv->st, sv->domain, sv->url, name, sv->buf, sizeof(sv->buf));
}

bool expected_for_store(const struct job_store *st, const char *domain,
			struct expected_objects *out, struct err *err)
{
	struct store_values sv = {.st = st, .domain = domain};
	json_t *objs;

	storevars_url(st, domain, false, sv.url, sizeof(sv.url));
	objs = render_manifests(st->offering, st->template_text, strlen(st->template_text),
				st->namespace, lookup, &sv, err);
	if (!objs)
		return false;
	expected_from_manifests(objs, out);
	json_decref(objs);
	return true;
}

void expected_free(struct expected_objects *e)
{
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

void expected_digest(const struct expected_objects *e, char *out, size_t outsz)
{
	/* FNV-1a, 64 bits: a change detector, not a secret's hash. */
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < e->n; i++) {
		const char *parts[] = { e->v[i].res->group, "/", e->v[i].res->plural, "/",
					e->v[i].name, "\n" };

		for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
			for (const char *c = parts[p]; *c; c++) {
				h ^= (unsigned char)*c;
				h *= 1099511628211u;
			}
		}
	}
	snprintf(out, outsz, "%016llx", (unsigned long long)h);
}

const char *expected_template_of(struct expected_templates *t, const char *offering,
				 const char *row_text)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].offering, offering) == 0)
			return t->v[i].text;
	}
	if (!row_text)
		return NULL;
	t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
	t->v[t->n].offering = xstrdup(offering);
	t->v[t->n].text = xstrdup(row_text);
	return t->v[t->n++].text;
}

void expected_templates_free(struct expected_templates *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].offering);
		free(t->v[i].text);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

bool expected_same_resource(const struct kube_resource *a, const struct kube_resource *b)
{
	return a == b || (strcmp(a->group, b->group) == 0 && strcmp(a->plural, b->plural) == 0);
}

bool expected_uses(const struct expected_objects *e, const struct kube_resource *res)
{
	for (size_t i = 0; i < e->n; i++) {
		if (expected_same_resource(e->v[i].res, res))
			return true;
	}
	return false;
}

void expected_object_name(const struct expected_object *o, char *out, size_t outsz)
{
	char kind[64];
	size_t i;

	for (i = 0; o->res->kind[i] && i + 1 < sizeof(kind); i++)
		kind[i] = (char)tolower((unsigned char)o->res->kind[i]);
	kind[i] = '\0';
	snprintf(out, outsz, "%s/%s", kind, o->name);
}

static bool holds(const json_t *items, const char *name)
{
	size_t i;
	const json_t *obj;

	json_array_foreach(items, i, obj)
	{
		const char *n =
		    json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));

		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

size_t expected_missing(struct expected_objects *e, expected_items_fn items, void *ud, bool again,
			struct buf *missing, size_t *unjudged)
{
	size_t n = 0;
	char name[320];

	*unjudged = 0;
	for (size_t i = 0; i < e->n; i++) {
		bool listed = false;
		const json_t *have;

		if (again && !e->v[i].missing)
			continue;
		e->v[i].missing = false;
		have = items(ud, e->v[i].res, &listed);
		if (!listed) {
			(*unjudged)++;
			continue;
		}
		if (holds(have, e->v[i].name))
			continue;
		e->v[i].missing = true;
		expected_object_name(&e->v[i], name, sizeof(name));
		buf_printf(missing, "%s%s", n++ ? ", " : "", name);
	}
	return n;
}
