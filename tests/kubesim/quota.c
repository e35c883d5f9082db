#include "config.h"

#include "quota.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jutil.h"
#include "store.h"

bool quantity_parse(const char *s, int64_t *milli)
{
	static const struct {
		const char *suffix;
		long double mult;
	} units[] = {
	    {"Ki", 1024.0L},
	    {"Mi", 1048576.0L},
	    {"Gi", 1073741824.0L},
	    {"Ti", 1099511627776.0L},
	    {"Pi", 1125899906842624.0L},
	    {"Ei", 1152921504606846976.0L},
	    {"n", 1e-9L},
	    {"u", 1e-6L},
	    {"m", 1e-3L},
	    {"k", 1e3L},
	    {"M", 1e6L},
	    {"G", 1e9L},
	    {"T", 1e12L},
	    {"P", 1e15L},
	    {"E", 1e18L},
	    {"", 1.0L},
	};
	const char *p = s;
	char *end;
	long double v, total;
	size_t digits = 0;

	if (!s || !*s || strlen(s) > 64)
		return false;
	if (*p == '+' || *p == '-')
		p++;
	while ((p[digits] >= '0' && p[digits] <= '9') || p[digits] == '.')
		digits++;
	if (digits == 0)
		return false;
	v = strtold(s, &end);
	if (end == s)
		return false;
	/* strtold would read "1e3" and "0x10"; only decimal exponents are Kubernetes'. */
	if (strchr(s, 'x') || strchr(s, 'X'))
		return false;
	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			total = v * units[i].mult * 1000.0L;
			if (!isfinite((double)total) || fabsl(total) > 9.0e18L)
				return false;
			*milli = (int64_t)llroundl(total);
			return true;
		}
	}
	return false;
}

void quantity_format(int64_t milli, char *out, size_t n)
{
	static const struct {
		const char *suffix;
		int64_t mult;
	} bin[] = {
	    {"Ei", 1152921504606846976LL}, {"Pi", 1125899906842624LL}, {"Ti", 1099511627776LL},
	    {"Gi", 1073741824LL},	   {"Mi", 1048576LL},	       {"Ki", 1024LL},
	};
	int64_t whole;

	if (milli % 1000 != 0) {
		snprintf(out, n, "%lldm", (long long)milli);
		return;
	}
	whole = milli / 1000;
	if (whole != 0) {
		for (size_t i = 0; i < ARRAY_LEN(bin); i++) {
			if (whole % bin[i].mult == 0) {
				snprintf(out, n, "%lld%s", (long long)(whole / bin[i].mult),
					 bin[i].suffix);
				return;
			}
		}
	}
	snprintf(out, n, "%lld", (long long)whole);
}

static const char *const counted[] = {
    "pods", "services", "secrets", "configmaps", "persistentvolumeclaims", "resourcequotas", NULL};

bool quota_known_resource(const char *name)
{
	static const char *const others[] = {
	    "requests.cpu", "requests.memory", "limits.cpu",	   "limits.memory",
	    "cpu",	    "memory",	       "requests.storage", NULL};

	for (const char *const *p = counted; *p; p++) {
		if (strcmp(*p, name) == 0)
			return true;
	}
	for (const char *const *p = others; *p; p++) {
		if (strcmp(*p, name) == 0)
			return true;
	}
	return strncmp(name, "count/", 6) == 0;
}

static bool pod_terminal(const json_t *pod)
{
	const char *phase = jstr(pod, "status.phase", "");

	return strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0;
}

/* Sum of one resource ("requests"/"limits", "cpu"/"memory") over a pod's
 * containers; *missing names a container without it. */
static int64_t pod_sum(const json_t *pod, const char *kind, const char *res, const char **missing)
{
	json_t *cs = jpath(pod, "spec.containers"), *c;
	int64_t total = 0, v;
	size_t i;
	char path[64];

	snprintf(path, sizeof(path), "resources.%s.%s", kind, res);
	json_array_foreach(cs, i, c)
	{
		const char *q = jstr(c, path, NULL);

		if (q && quantity_parse(q, &v))
			total += v;
		else if (missing && !*missing)
			*missing = jstr(c, "name", "");
	}
	return total;
}

static const struct restype *counted_type(const char *name)
{
	if (strncmp(name, "count/", 6) == 0) {
		const char *res = name + 6, *dot = strchr(res, '.');
		char plural[64];

		if (dot) {
			snprintf(plural, sizeof(plural), "%.*s", (int)(dot - res), res);
			for (int k = 0; k < K_COUNT; k++) {
				const struct restype *rt = restype_get((enum kind_id)k);

				if (strcmp(rt->plural, plural) == 0 &&
				    strcmp(rt->group, dot + 1) == 0)
					return rt;
			}
			return NULL;
		}
		name = res;
	}
	for (int k = 0; k < K_COUNT; k++) {
		const struct restype *rt = restype_get((enum kind_id)k);

		if (!rt->group[0] && strcmp(rt->plural, name) == 0)
			return rt;
	}
	return NULL;
}

/* Usage of one resource name in ns, plus what `extra` (a new object of
 * type extra_rt, or NULL) would add. */
static int64_t usage_of(struct store *st, const char *ns, const char *name)
{
	const struct restype *rt = counted_type(name);
	struct obj *const *objs;
	size_t n;
	int64_t total = 0;

	if (rt) {
		objs = store_list(st, rt, ns, &n);
		for (size_t i = 0; i < n; i++) {
			if (rt->id == K_POD && pod_terminal(objs[i]->doc))
				continue;
			total += 1000;
		}
		return total;
	}
	if (strcmp(name, "requests.storage") == 0) {
		objs = store_list(st, restype_get(K_PVC), ns, &n);
		for (size_t i = 0; i < n; i++) {
			int64_t v;
			const char *q = jstr(objs[i]->doc, "spec.resources.requests.storage", NULL);

			if (q && quantity_parse(q, &v))
				total += v;
		}
		return total;
	}
	objs = store_list(st, restype_get(K_POD), ns, &n);
	for (size_t i = 0; i < n; i++) {
		const char *kind = strncmp(name, "limits.", 7) == 0 ? "limits" : "requests";
		const char *res = strchr(name, '.') ? strchr(name, '.') + 1 : name;

		if (!pod_terminal(objs[i]->doc))
			total += pod_sum(objs[i]->doc, kind, res, NULL);
	}
	return total;
}

json_t *quota_usage(struct store *st, const char *ns, const json_t *hard)
{
	json_t *used = json_object(), *v;
	const char *k;
	char q[48];

	json_object_foreach((json_t *)hard, k, v)
	{
		if (!quota_known_resource(k))
			continue;
		quantity_format(usage_of(st, ns, k), q, sizeof(q));
		json_object_set_new(used, k, json_string(q));
	}
	return used;
}

/* What creating doc adds to resource `name`; 0 if nothing. */
static int64_t delta_of(const struct restype *rt, const json_t *doc, const char *name,
			const char **missing)
{
	const struct restype *ct = counted_type(name);

	if (ct)
		return ct == rt ? 1000 : 0;
	if (rt->id == K_PVC && strcmp(name, "requests.storage") == 0) {
		int64_t v;
		const char *q = jstr(doc, "spec.resources.requests.storage", NULL);

		return q && quantity_parse(q, &v) ? v : 0;
	}
	if (rt->id == K_POD) {
		const char *kind, *res;

		if (strcmp(name, "cpu") == 0 || strcmp(name, "memory") == 0) {
			kind = "requests";
			res = name;
		} else if (strncmp(name, "requests.", 9) == 0) {
			kind = "requests";
			res = name + 9;
		} else if (strncmp(name, "limits.", 7) == 0) {
			kind = "limits";
			res = name + 7;
		} else {
			return 0;
		}
		if (strcmp(res, "storage") == 0)
			return 0;
		return pod_sum(doc, kind, res, missing);
	}
	return 0;
}

bool quota_admit(struct store *st, const struct restype *rt, const json_t *doc, struct apierr *e)
{
	const char *ns = jstr(doc, "metadata.namespace", "");
	const char *name = jstr(doc, "metadata.name", "");
	struct obj *const *quotas;
	size_t nq;
	char qual[96];

	quotas = store_list(st, restype_get(K_QUOTA), ns, &nq);
	for (size_t i = 0; i < nq; i++) {
		json_t *hard = jpath(quotas[i]->doc, "spec.hard"), *v;
		const char *k;
		struct buf req = BUF_INIT, used = BUF_INIT, lim = BUF_INIT, must = BUF_INIT;
		bool over = false;

		json_object_foreach(hard, k, v)
		{
			int64_t limit, use, delta;
			const char *missing = NULL;
			char a[48], b[48], c[48];

			if (!quota_known_resource(k) || !json_is_string(v) ||
			    !quantity_parse(json_string_value(v), &limit))
				continue;
			delta = delta_of(rt, doc, k, &missing);
			if (missing) {
				buf_printf(&must, "%s%s for: %s", must.len ? "; " : "", k, missing);
				continue;
			}
			if (delta == 0)
				continue;
			use = usage_of(st, ns, k);
			if (use + delta <= limit)
				continue;
			over = true;
			quantity_format(delta, a, sizeof(a));
			quantity_format(use, b, sizeof(b));
			quantity_format(limit, c, sizeof(c));
			buf_printf(&req, "%s%s=%s", req.len ? "," : "", k, a);
			buf_printf(&used, "%s%s=%s", used.len ? "," : "", k, b);
			buf_printf(&lim, "%s%s=%s", lim.len ? "," : "", k, c);
		}
		if (must.len) {
			apierr_set(e, 403, "Forbidden",
				   "%s \"%s\" is forbidden: failed quota: %s: must specify %s",
				   restype_qualified(rt, qual, sizeof(qual)), name, quotas[i]->name,
				   buf_str(&must));
		} else if (over) {
			apierr_set(
			    e, 403, "Forbidden",
			    "%s \"%s\" is forbidden: exceeded quota: %s, requested: %s, used: "
			    "%s, limited: %s",
			    restype_qualified(rt, qual, sizeof(qual)), name, quotas[i]->name,
			    buf_str(&req), buf_str(&used), buf_str(&lim));
		}
		buf_free(&req);
		buf_free(&used);
		buf_free(&lim);
		buf_free(&must);
		if (apierr_isset(e)) {
			json_decref(e->details);
			e->details = json_pack("{s:s, s:s}", "name", name, "kind", rt->plural);
			return false;
		}
	}
	return true;
}
