#include "config.h"

#include "provision/render.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db/db.h"
#include "provision/secret.h"
#include "yamldoc.h"

/* Placeholders whose value is a number: a scalar that is exactly one of
 * these renders as a JSON integer. Everything else stays text, whatever it
 * looks like. */
static const char *const numeric_placeholders[] = {"plan.replicas", NULL};

/* Bounds for quota arithmetic: far above any plan the catalog accepts
 * (cpu 64 cores, memory 256Gi, 20 replicas), low enough that sums of them
 * cannot overflow a long. */
#define MAX_REPLICAS 100
#define MAX_MILLIS (1000L * 1000 * 1000)

struct rctx {
	const struct ydoc *doc;
	struct err *err;
	const char *(*lookup)(void *ud, const char *name);
	void *ud;
	const char *ns;
	const char *store_id;
	char missing[64]; /* a known placeholder the caller gave no value for */
	struct buf scratch;
};

/* ---- small helpers ---- */

bool render_valid_store_id(const char *id)
{
	size_t i;

	if (!id)
		return false;
	for (i = 0; id[i]; i++) {
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	}
	return i == RENDER_STORE_ID_LEN;
}

void render_plan_from_catalog(const struct catalog_plan *cp, struct render_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->replicas = cp->replicas;
	plan->cpu_request_millis = cp->cpu_request_millis;
	plan->cpu_limit_millis = cp->cpu_limit_millis;
	plan->memory_request_mib = cp->memory_request_mib;
	plan->memory_limit_mib = cp->memory_limit_mib;
	plan->storage_gib = cp->storage_gib;
}

static bool is_known_placeholder(const char *name)
{
	for (size_t i = 0; catalog_placeholders[i]; i++) {
		if (strcmp(catalog_placeholders[i], name) == 0)
			return true;
	}
	return false;
}

static bool is_numeric_placeholder(const char *name)
{
	for (size_t i = 0; numeric_placeholders[i]; i++) {
		if (strcmp(numeric_placeholders[i], name) == 0)
			return true;
	}
	return false;
}

static bool fail_at(struct rctx *c, const struct ynode *n, const char *fmt, ...) ATTR_FORMAT(3, 4);

static bool fail_at(struct rctx *c, const struct ynode *n, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ydoc_error(c->doc, n, c->err, "%s", msg);
}

/* Lookup through the caller's function, remembering a known name it had no
 * value for, so the message can say "missing" rather than "unknown". */
static const char *ctx_lookup(void *ud, const char *name)
{
	struct rctx *c = ud;
	const char *v = c->lookup(c->ud, name);

	if (!v && is_known_placeholder(name))
		str_copy(c->missing, sizeof(c->missing), name);
	return v;
}

/* Wipes and empties the scratch buffer: it may have held a secret. */
static void scratch_clear(struct rctx *c)
{
	if (c->scratch.data)
		secret_wipe(c->scratch.data, c->scratch.cap);
	buf_reset(&c->scratch);
}

/* Expands n's text into c->scratch. */
static bool expand(struct rctx *c, const struct ynode *n)
{
	struct err why = {""};

	scratch_clear(c);
	c->missing[0] = '\0';
	if (catalog_expand(n->scalar, ctx_lookup, c, &c->scratch, &why))
		return true;
	scratch_clear(c);
	if (c->missing[0])
		return fail_at(c, n, "placeholder '%s' has no value for this store", c->missing);
	return fail_at(c, n, "%s", why.msg);
}

/* The name of s when s is exactly one placeholder "{{ name }}". */
static bool single_placeholder(const char *s, char *name, size_t namesz)
{
	size_t len = strlen(s);
	const char *p, *e;

	if (len < 4 || strncmp(s, "{{", 2) != 0 || strcmp(s + len - 2, "}}") != 0)
		return false;
	p = s + 2;
	e = s + len - 2;
	while (p < e && *p == ' ')
		p++;
	while (e > p && e[-1] == ' ')
		e--;
	if (e == p || (size_t)(e - p) >= namesz)
		return false;
	for (const char *q = p; q < e; q++) {
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_' ||
		      *q == '.'))
			return false;
	}
	memcpy(name, p, (size_t)(e - p));
	name[e - p] = '\0';
	return true;
}

/* ---- YAML core schema typing of plain scalars ---- */

static bool all_digits(const char *s, const char *digits)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!strchr(digits, *s))
			return false;
	}
	return true;
}

static bool core_is_int(const char *s)
{
	if (strncmp(s, "0o", 2) == 0)
		return all_digits(s + 2, "01234567");
	if (strncmp(s, "0x", 2) == 0)
		return all_digits(s + 2, "0123456789abcdefABCDEF");
	if (*s == '-' || *s == '+')
		s++;
	return all_digits(s, "0123456789");
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool core_is_float(const char *s)
{
	size_t whole = 0, frac = 0;

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		whole++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			frac++;
		}
		if (whole == 0 && frac == 0)
			return false;
	} else if (whole == 0) {
		return false;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!all_digits(s, "0123456789"))
			return false;
		return true;
	}
	return *s == '\0';
}

static bool one_of(const char *s, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(s, *list) == 0)
			return true;
	}
	return false;
}

static json_t *text_json(struct rctx *c, const struct ynode *n, const char *s)
{
	json_t *j = json_string(s);

	if (!j)
		fail_at(c, n, "a value is not valid UTF-8 text");
	return j;
}

static json_t *plain_scalar_json(struct rctx *c, const struct ynode *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	static const char *const infnan[] = {".inf",  "+.inf", "-.inf", ".Inf",	 "+.Inf",
					     "-.Inf", ".INF",  "+.INF", "-.INF", ".nan",
					     ".NaN",  ".NAN",  NULL};
	const char *s = n->scalar;

	if (one_of(s, nulls))
		return json_null();
	if (one_of(s, trues))
		return json_true();
	if (one_of(s, falses))
		return json_false();
	if (core_is_int(s)) {
		const char *digits = s;
		int base = 10;
		long long v;
		char *end;

		if (strncmp(s, "0o", 2) == 0) {
			digits = s + 2;
			base = 8;
		} else if (strncmp(s, "0x", 2) == 0) {
			digits = s + 2;
			base = 16;
		}
		errno = 0;
		v = strtoll(digits, &end, base);
		if (errno == ERANGE || *end) {
			fail_at(c, n, "the number %.40s is too large: quote it to keep it as text",
				s);
			return NULL;
		}
		return json_integer((json_int_t)v);
	}
	if (one_of(s, infnan)) {
		fail_at(c, n, "%s has no JSON form: quote it to keep it as text", s);
		return NULL;
	}
	if (core_is_float(s)) {
		double d;
		char *end;

		errno = 0;
		d = strtod(s, &end);
		if (errno == ERANGE || *end || !isfinite(d)) {
			fail_at(c, n,
				"the number %.40s is out of range: quote it to keep it as text", s);
			return NULL;
		}
		return json_real(d);
	}
	return text_json(c, n, s);
}

static json_t *scalar_json(struct rctx *c, const struct ynode *n)
{
	char name[64];
	json_t *j;

	if (!strstr(n->scalar, "{{"))
		return n->quoted ? text_json(c, n, n->scalar) : plain_scalar_json(c, n);
	if (!expand(c, n))
		return NULL;
	if (single_placeholder(n->scalar, name, sizeof(name)) && is_numeric_placeholder(name)) {
		long v;

		if (!str_to_long(buf_str(&c->scratch), 0, INT_MAX, &v)) {
			scratch_clear(c);
			fail_at(c, n, "'%s' must give a whole number", name);
			return NULL;
		}
		scratch_clear(c);
		return json_integer(v);
	}
	j = text_json(c, n, buf_str(&c->scratch));
	scratch_clear(c);
	return j;
}

static json_t *node_json(struct rctx *c, const struct ynode *n)
{
	json_t *j;

	switch (n->type) {
	case YNODE_SCALAR:
		return scalar_json(c, n);
	case YNODE_MAP:
		j = json_object();
		for (size_t i = 0; j && i < n->len; i++) {
			json_t *v = node_json(c, n->items[i]);

			if (!v) {
				json_decref(j);
				return NULL;
			}
			if (json_object_set_new(j, n->keys[i]->scalar, v) != 0) {
				json_decref(j);
				fail_at(c, n->keys[i], "a key is not valid UTF-8 text");
				return NULL;
			}
		}
		return j;
	case YNODE_SEQ:
		j = json_array();
		for (size_t i = 0; j && i < n->len; i++) {
			json_t *v = node_json(c, n->items[i]);

			if (!v) {
				json_decref(j);
				return NULL;
			}
			json_array_append_new(j, v);
		}
		return j;
	}
	return NULL;
}

/* ---- what every object gets ---- */

static const char *shown(const char *s, char *buf, size_t bufsz)
{
	return db_shown(s, buf, bufsz);
}

/* The labels of meta (from the template's metadata ymeta, where they may be
 * absent): every value must be text, and the store's two labels are added,
 * or must be equal where the template gives them. at: where to report when
 * the template has no labels of its own. */
static bool stamp_labels(struct rctx *c, json_t *meta, const struct ynode *ymeta,
			 const struct ynode *at)
{
	const struct ynode *ylabels = ynode_get(ymeta, "labels");
	json_t *labels = json_object_get(meta, "labels");
	const struct {
		const char *key, *value;
	} want[] = {
	    {RENDER_MANAGED_BY_LABEL, RENDER_MANAGED_BY},
	    {RENDER_STORE_LABEL, c->store_id},
	};
	char buf[80];

	if (ylabels && ynode_is_null(ylabels)) {
		ylabels = NULL;
		labels = NULL;
	}
	if (ylabels && !json_is_object(labels))
		return fail_at(c, ylabels, "labels must be a mapping of names to text");
	for (size_t i = 0; ylabels && i < ylabels->len; i++) {
		json_t *v = json_object_get(labels, ylabels->keys[i]->scalar);

		if (!json_is_string(v))
			return fail_at(c, ylabels->items[i],
				       "label '%s' must be text: write it in quotes",
				       shown(ylabels->keys[i]->scalar, buf, sizeof(buf)));
	}
	if (!labels) {
		labels = json_object();
		json_object_set_new(meta, "labels", labels);
	}
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		json_t *v = json_object_get(labels, want[i].key);

		if (v && strcmp(json_string_value(v), want[i].value) != 0)
			return fail_at(
			    c,
			    ynode_get(ylabels, want[i].key) ? ynode_get(ylabels, want[i].key) : at,
			    "label %s is set by opsdeck to %s; the template may not change it",
			    want[i].key, want[i].value);
		json_object_set_new(labels, want[i].key, json_string(want[i].value));
	}
	return true;
}

/* The pod template of a workload gets the store's labels too. */
static bool stamp_pod_template(struct rctx *c, json_t *obj, const struct ynode *m)
{
	const struct ynode *ytmpl = ynode_get(ynode_get(m, "spec"), "template");
	const struct ynode *ymeta = ynode_get(ytmpl, "metadata");
	json_t *tmpl = json_object_get(json_object_get(obj, "spec"), "template");
	json_t *meta;

	if (!json_is_object(tmpl))
		return fail_at(c, m, "spec.template must be a mapping");
	meta = json_object_get(tmpl, "metadata");
	if (ymeta && ynode_is_null(ymeta))
		ymeta = NULL;
	if (ymeta && !json_is_object(meta))
		return fail_at(c, ymeta, "spec.template.metadata must be a mapping");
	if (!ymeta) {
		meta = json_object();
		json_object_set_new(tmpl, "metadata", meta);
	}
	return stamp_labels(c, meta, ymeta, ytmpl);
}

/* A store is reached through its ingress only: a NodePort or LoadBalancer
 * Service would open it on every node or on a public address. */
static bool service_type_ok(struct rctx *c, const json_t *obj, const struct ynode *m)
{
	const json_t *type = json_object_get(json_object_get(obj, "spec"), "type");
	const struct ynode *ytype = ynode_get(ynode_get(m, "spec"), "type");
	char buf[80];

	if (!type || json_is_null(type))
		return true;
	if (json_is_string(type) && (strcmp(json_string_value(type), "ClusterIP") == 0 ||
				     strcmp(json_string_value(type), "ExternalName") == 0))
		return true;
	return fail_at(c, ytype,
		       "Service type '%s' is refused: a store is reached through its "
		       "Ingress (ClusterIP or ExternalName only)",
		       ytype && ytype->type == YNODE_SCALAR ? shown(ytype->scalar, buf, sizeof(buf))
							    : "(not a value)");
}

static bool finish_object(struct rctx *c, json_t *obj, const struct ynode *m, json_t *done)
{
	const struct ynode *ymeta = ynode_get(m, "metadata"), *yname, *yns;
	const struct kube_resource *res;
	const char *name, *kind;
	json_t *meta = json_object_get(obj, "metadata");
	struct err why = {""};
	char buf[80];

	if (!json_is_object(obj) || !json_is_object(meta))
		return fail_at(c, m, "a manifest must be a mapping with metadata");
	yname = ynode_get(ymeta, "name");
	if (!json_is_string(json_object_get(meta, "name")))
		return fail_at(c, yname ? yname : ymeta, "metadata.name must be text");
	name = json_string_value(json_object_get(meta, "name"));
	if (!db_valid_dns_label(name))
		return fail_at(
		    c, yname,
		    "metadata.name '%s' does not render to a DNS-1123 label (a-z, 0-9 and "
		    "'-', at most 63)",
		    shown(yname->scalar, buf, sizeof(buf)));
	if (!render_manifest_target(obj, &res, &name, &why))
		return fail_at(c, ynode_get(m, "kind") ? ynode_get(m, "kind") : m, "%s", why.msg);
	if (!res->namespaced)
		return fail_at(c, ynode_get(m, "kind"),
			       "%s is cluster-wide: a store holds only namespaced objects",
			       res->kind);
	kind = res->kind;
	yns = ynode_get(ymeta, "namespace");
	if (yns) {
		json_t *v = json_object_get(meta, "namespace");

		if (!json_is_string(v) || strcmp(json_string_value(v), c->ns) != 0)
			return fail_at(
			    c, yns, "metadata.namespace '%s' is not this store's namespace %s",
			    yns->type == YNODE_SCALAR ? shown(yns->scalar, buf, sizeof(buf))
						      : "(not a value)",
			    c->ns);
	}
	json_object_set_new(meta, "namespace", json_string(c->ns));
	/* opsdeck applies these itself; a template's copy would overwrite them */
	if ((res == &kube_res_resourcequotas && strcmp(name, RENDER_QUOTA_NAME) == 0) ||
	    (res == &kube_res_networkpolicies && strcmp(name, RENDER_NETPOL_NAME) == 0))
		return fail_at(c, yname, "%s %s is opsdeck's own: give the template's another name",
			       kind, name);
	if (res == &kube_res_services && !service_type_ok(c, obj, m))
		return false;
	if (!stamp_labels(c, meta, ymeta, ymeta))
		return false;
	if (res == &kube_res_deployments || res == &kube_res_statefulsets) {
		if (!stamp_pod_template(c, obj, m))
			return false;
	}
	/* Two objects of one kind and name would be one object applied twice. */
	for (size_t i = 0; i < json_array_size(done); i++) {
		json_t *o = json_array_get(done, i);
		const char *k = json_string_value(json_object_get(o, "kind"));
		const char *nm =
		    json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));

		if (k && nm && strcmp(k, kind) == 0 && strcmp(nm, name) == 0)
			return fail_at(c, yname, "%s '%s' is defined twice", kind, name);
	}
	return true;
}

json_t *render_manifests(const char *label, const char *template_text, size_t len, const char *ns,
			 const char *(*lookup)(void *ud, const char *name), void *ud,
			 struct err *err)
{
	struct catalog_file *cf;
	struct ydoc *doc;
	const struct ynode *ms;
	struct rctx c = {.err = err, .lookup = lookup, .ud = ud, .ns = ns};
	const char *id, *v;
	char want_ns[64], buf[80];
	json_t *out;

	err_clear(err);
	if (!ns || !db_valid_dns_label(ns)) {
		err_set(err, "%s: the namespace '%s' is not a DNS-1123 label", label,
			ns ? shown(ns, buf, sizeof(buf)) : "");
		return NULL;
	}
	id = lookup(ud, "store.id");
	if (!render_valid_store_id(id)) {
		err_set(err, "%s: store.id '%s' is not a store id (12 lowercase hex digits)", label,
			id ? shown(id, buf, sizeof(buf)) : "");
		return NULL;
	}
	snprintf(want_ns, sizeof(want_ns), "store-%s", id);
	if (strcmp(ns, want_ns) != 0) {
		err_set(err, "%s: store %s lives in namespace %s, not %s", label, id, want_ns, ns);
		return NULL;
	}
	v = lookup(ud, "store.namespace");
	if (v && strcmp(v, ns) != 0) {
		err_set(err, "%s: store.namespace '%s' is not the namespace rendered into (%s)",
			label, shown(v, buf, sizeof(buf)), ns);
		return NULL;
	}
	/* Only what `catalog import` accepts renders: kinds, names, placeholders. */
	cf = catalog_file_parse(label, template_text, len, err);
	if (!cf)
		return NULL;
	catalog_file_free(cf);
	doc = ydoc_load_string(label, template_text, len, err);
	if (!doc)
		return NULL;
	c.doc = doc;
	c.store_id = id;
	ms = ynode_get(doc->root, "manifests");
	if (!ms || ms->type != YNODE_SEQ) {
		ydoc_error(doc, doc->root, err, "a catalog file needs a list of manifests");
		ydoc_free(doc);
		return NULL;
	}
	out = json_array();
	for (size_t i = 0; i < ms->len; i++) {
		json_t *obj = node_json(&c, ms->items[i]);

		if (!obj || !finish_object(&c, obj, ms->items[i], out)) {
			json_decref(obj);
			json_decref(out);
			out = NULL;
			break;
		}
		json_array_append_new(out, obj);
	}
	scratch_clear(&c);
	buf_free(&c.scratch);
	ydoc_free(doc);
	return out;
}

/* ---- the namespace, its quota and its network policy ---- */

static json_t *object_head(const char *api_version, const char *kind, const char *name,
			   const char *ns)
{
	json_t *meta = json_pack("{s:s, s:{s:s}}", "name", name, "labels", RENDER_MANAGED_BY_LABEL,
				 RENDER_MANAGED_BY);

	if (ns)
		json_object_set_new(meta, "namespace", json_string(ns));
	return json_pack("{s:s, s:s, s:o}", "apiVersion", api_version, "kind", kind, "metadata",
			 meta);
}

/* Adds the store label when ns is store-<id>. */
static void label_store_of(json_t *obj, const char *ns)
{
	if (str_has_prefix(ns, "store-") && render_valid_store_id(ns + 6))
		json_object_set_new(json_object_get(json_object_get(obj, "metadata"), "labels"),
				    RENDER_STORE_LABEL, json_string(ns + 6));
}

json_t *render_namespace(const char *store_id, const char *project_slug)
{
	char name[64];
	json_t *obj, *labels;

	if (!render_valid_store_id(store_id) || !project_slug || !db_valid_dns_label(project_slug))
		return NULL;
	snprintf(name, sizeof(name), "store-%s", store_id);
	obj = object_head("v1", "Namespace", name, NULL);
	labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	json_object_set_new(labels, RENDER_STORE_LABEL, json_string(store_id));
	json_object_set_new(labels, RENDER_PROJECT_LABEL, json_string(project_slug));
	/* Where the cluster enforces Pod Security, no store pod may use the
	 * host's network, processes or files, or run privileged. */
	json_object_set_new(labels, RENDER_POD_SECURITY_LABEL, json_string(RENDER_POD_SECURITY));
	return obj;
}

/* Extra pods a Deployment may run during a rolling update: maxSurge 25%,
 * rounded up, as Kubernetes defaults it. */
static long surge(long replicas)
{
	return replicas > 0 ? (replicas + 3) / 4 : 0;
}

static bool in_range(long v, long lo, long hi)
{
	return v >= lo && v <= hi;
}

static bool plan_valid(const struct render_plan *p)
{
	return in_range(p->replicas, 0, MAX_REPLICAS) &&
	       in_range(p->cpu_request_millis, 1, MAX_MILLIS) &&
	       in_range(p->cpu_limit_millis, p->cpu_request_millis, MAX_MILLIS) &&
	       in_range(p->memory_request_mib, 1, MAX_MILLIS) &&
	       in_range(p->memory_limit_mib, p->memory_request_mib, MAX_MILLIS) &&
	       in_range(p->storage_gib, 1, MAX_MILLIS) && in_range(p->other_pods, 0, 10000) &&
	       in_range(p->other_cpu_request_millis, 0, MAX_MILLIS) &&
	       in_range(p->other_cpu_limit_millis, 0, MAX_MILLIS) &&
	       in_range(p->other_memory_request_mib, 0, MAX_MILLIS) &&
	       in_range(p->other_memory_limit_mib, 0, MAX_MILLIS) && in_range(p->pvcs, 0, 10000);
}

json_t *render_quota(const char *ns, const struct render_plan *plan)
{
	long pods, cpu_req, cpu_lim, mem_req, mem_lim;
	char a[32], b[32], d[32], e[32], storage[32], npods[32], npvcs[32];
	json_t *obj;

	if (!ns || !db_valid_dns_label(ns) || !plan || !plan_valid(plan))
		return NULL;
	/* web replicas, their rolling-update surge, and the database */
	pods = plan->replicas + surge(plan->replicas) + 1;
	cpu_req = pods * plan->cpu_request_millis + plan->other_cpu_request_millis;
	cpu_lim = pods * plan->cpu_limit_millis + plan->other_cpu_limit_millis;
	mem_req = pods * plan->memory_request_mib + plan->other_memory_request_mib;
	mem_lim = pods * plan->memory_limit_mib + plan->other_memory_limit_mib;
	pods += plan->other_pods;
	db_format_cpu(cpu_req, a, sizeof(a));
	db_format_cpu(cpu_lim, b, sizeof(b));
	db_format_memory(mem_req, d, sizeof(d));
	db_format_memory(mem_lim, e, sizeof(e));
	snprintf(storage, sizeof(storage), "%ldGi", plan->storage_gib);
	snprintf(npods, sizeof(npods), "%ld", pods);
	snprintf(npvcs, sizeof(npvcs), "%ld", plan->pvcs > 0 ? plan->pvcs : 1);
	obj = object_head("v1", "ResourceQuota", RENDER_QUOTA_NAME, ns);
	label_store_of(obj, ns);
	json_object_set_new(obj, "spec",
			    json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}}", "hard",
				      "requests.cpu", a, "limits.cpu", b, "requests.memory", d,
				      "limits.memory", e, "pods", npods, "requests.storage",
				      storage, "persistentvolumeclaims", npvcs));
	return obj;
}

json_t *render_network_policy(const char *ns)
{
	json_t *obj;

	if (!ns || !db_valid_dns_label(ns))
		return NULL;
	obj = object_head("networking.k8s.io/v1", "NetworkPolicy", RENDER_NETPOL_NAME, ns);
	label_store_of(obj, ns);
	/* An empty podSelector selects every pod of the namespace; listing
	 * Ingress in policyTypes makes everything not allowed below denied. */
	json_object_set_new(obj, "spec",
			    json_pack("{s:{}, s:[s], s:[{s:[{s:{}}, {s:{s:{s:s}}}]}]}",
				      "podSelector", "policyTypes", "Ingress", "ingress", "from",
				      "podSelector", "namespaceSelector", "matchLabels",
				      "kubernetes.io/metadata.name", RENDER_INGRESS_NAMESPACE));
	return obj;
}

/* ---- reading rendered objects ---- */

bool render_manifest_target(const json_t *obj, const struct kube_resource **res, const char **name,
			    struct err *err)
{
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *nm =
	    json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	const struct kube_resource *r;
	char a[80], b[80];

	if (!json_is_object(obj) || !api || !kind) {
		err_set(err, "an object needs apiVersion and kind");
		return false;
	}
	r = kube_resource_for(api, kind);
	if (!r) {
		err_set(err, "kind %s (apiVersion %s) is not one opsdeck knows how to apply",
			shown(kind, a, sizeof(a)), shown(api, b, sizeof(b)));
		return false;
	}
	if (!nm || !(r->namespaced ? kube_valid_name(nm) : kube_valid_namespace(nm))) {
		err_set(err, "%s needs metadata.name, a valid Kubernetes name", r->kind);
		return false;
	}
	*res = r;
	*name = nm;
	return true;
}

void render_workloads_free(struct render_workloads *w)
{
	if (!w)
		return;
	free(w->items);
	w->items = NULL;
	w->len = 0;
}

bool render_workloads(const json_t *manifests, struct render_workloads *out, struct err *err)
{
	size_t nweb = 0, cap = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(manifests)) {
		err_set(err, "rendered manifests must be a list");
		return false;
	}
	for (size_t i = 0; i < json_array_size(manifests); i++) {
		const json_t *obj = json_array_get(manifests, i), *reps, *role;
		const struct kube_resource *res;
		struct render_workload *w;
		const char *name;

		if (!render_manifest_target(obj, &res, &name, err))
			goto fail;
		role = json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"),
				       RENDER_ROLE_LABEL);
		if (res != &kube_res_deployments && res != &kube_res_statefulsets)
			continue;
		out->items = xgrow(out->items, &cap, out->len + 1, sizeof(*out->items));
		w = &out->items[out->len];
		memset(w, 0, sizeof(*w));
		w->res = res;
		if (!str_copy(w->name, sizeof(w->name), name)) {
			err_set(err, "%s name %.64s... is longer than 63 characters", res->kind,
				name);
			goto fail;
		}
		reps = json_object_get(json_object_get(obj, "spec"), "replicas");
		if (!reps) {
			w->replicas = 1;
		} else if (json_is_integer(reps) && json_integer_value(reps) >= 0 &&
			   json_integer_value(reps) <= INT_MAX) {
			w->replicas = (long)json_integer_value(reps);
		} else {
			err_set(err, "%s/%s: spec.replicas must be a whole number", res->plural,
				name);
			goto fail;
		}
		if (role && json_is_string(role) &&
		    strcmp(json_string_value(role), RENDER_ROLE_WEB) == 0) {
			if (res != &kube_res_deployments) {
				err_set(err,
					"%s/%s is labelled %s=%s, but the web must be a Deployment",
					res->plural, name, RENDER_ROLE_LABEL, RENDER_ROLE_WEB);
				goto fail;
			}
			w->web = true;
			out->web = out->len;
			nweb++;
		}
		out->len++;
	}
	if (nweb != 1) {
		err_set(
		    err,
		    nweb ? "more than one Deployment is labelled %s: %s; a store has one web"
			 : "no Deployment is labelled %s: %s, so nothing says which one serves the "
			   "store and scales",
		    RENDER_ROLE_LABEL, RENDER_ROLE_WEB);
		goto fail;
	}
	return true;
fail:
	render_workloads_free(out);
	return false;
}

/* ---- measuring what the other pods need ---- */

/* v (finite, 0..MAX_MILLIS) rounded up; without libm, which the core does
 * not link. */
static long round_up(double v)
{
	long r = (long)v;

	/* binary floating point is not decimal: "515.2" cores are
	 * 515200.00000000006 millicores, which are 515200, not 515201 */
	return (double)r + v * 1e-12 < v ? r + 1 : r;
}

/* A Kubernetes CPU quantity ("250m", "1", "1.5", 2) in millicores,
 * rounded up. */
static bool quantity_cpu(const json_t *q, long *millis)
{
	double v;
	char *end;

	if (json_is_integer(q) || json_is_real(q)) {
		v = json_number_value(q) * 1000.0;
	} else if (json_is_string(q)) {
		const char *s = json_string_value(q);

		errno = 0;
		v = strtod(s, &end);
		if (end == s || errno == ERANGE || strchr(s, 'x') || strchr(s, 'X'))
			return false;
		if (strcmp(end, "m") == 0)
			;
		else if (*end == '\0')
			v *= 1000.0;
		else
			return false;
	} else {
		return false;
	}
	if (!isfinite(v) || v < 0 || v > (double)MAX_MILLIS)
		return false;
	*millis = round_up(v);
	return true;
}

/* A Kubernetes memory quantity ("64Mi", "1G", "134217728", 1e9) in MiB,
 * rounded up. */
static bool quantity_mib(const json_t *q, long *mib)
{
	static const struct {
		const char *suffix;
		double scale;
	} units[] = {
	    {"", 1},
	    {"k", 1e3},
	    {"M", 1e6},
	    {"G", 1e9},
	    {"T", 1e12},
	    {"Ki", 1024.0},
	    {"Mi", 1024.0 * 1024},
	    {"Gi", 1024.0 * 1024 * 1024},
	    {"Ti", 1024.0 * 1024 * 1024 * 1024},
	};
	double v;
	char *end;
	size_t i;

	if (json_is_integer(q) || json_is_real(q)) {
		v = json_number_value(q);
	} else if (json_is_string(q)) {
		const char *s = json_string_value(q);

		errno = 0;
		v = strtod(s, &end);
		if (end == s || errno == ERANGE || strchr(s, 'x') || strchr(s, 'X'))
			return false;
		for (i = 0; i < ARRAY_LEN(units); i++) {
			if (strcmp(end, units[i].suffix) == 0)
				break;
		}
		if (i == ARRAY_LEN(units))
			return false;
		v *= units[i].scale;
	} else {
		return false;
	}
	v /= 1024.0 * 1024;
	if (!isfinite(v) || v < 0 || v > (double)MAX_MILLIS)
		return false;
	*mib = round_up(v);
	return true;
}

struct pod_need {
	long cpu_req, cpu_lim, mem_req, mem_lim;
};

static bool container_need(const char *where, const json_t *ct, struct pod_need *n, struct err *err)
{
	const json_t *res = json_object_get(ct, "resources");
	const json_t *req = json_object_get(res, "requests"), *lim = json_object_get(res, "limits");
	const char *cname = json_string_value(json_object_get(ct, "name"));

	if (!quantity_cpu(json_object_get(req, "cpu"), &n->cpu_req) ||
	    !quantity_cpu(json_object_get(lim, "cpu"), &n->cpu_lim) ||
	    !quantity_mib(json_object_get(req, "memory"), &n->mem_req) ||
	    !quantity_mib(json_object_get(lim, "memory"), &n->mem_lim)) {
		err_set(err,
			"%s: container %s needs CPU and memory requests and limits: the store's "
			"quota refuses pods without them",
			where, cname ? cname : "(unnamed)");
		return false;
	}
	return true;
}

/* A pod's effective need: its containers summed, or its largest init
 * container if that is more, as the quota counts it. */
static bool pod_need(const char *where, const json_t *pspec, struct pod_need *p, struct err *err)
{
	const json_t *cs = json_object_get(pspec, "containers");
	const json_t *ics = json_object_get(pspec, "initContainers");
	struct pod_need n;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < json_array_size(cs); i++) {
		if (!container_need(where, json_array_get(cs, i), &n, err))
			return false;
		p->cpu_req += n.cpu_req;
		p->cpu_lim += n.cpu_lim;
		p->mem_req += n.mem_req;
		p->mem_lim += n.mem_lim;
	}
	for (size_t i = 0; i < json_array_size(ics); i++) {
		if (!container_need(where, json_array_get(ics, i), &n, err))
			return false;
		p->cpu_req = n.cpu_req > p->cpu_req ? n.cpu_req : p->cpu_req;
		p->cpu_lim = n.cpu_lim > p->cpu_lim ? n.cpu_lim : p->cpu_lim;
		p->mem_req = n.mem_req > p->mem_req ? n.mem_req : p->mem_req;
		p->mem_lim = n.mem_lim > p->mem_lim ? n.mem_lim : p->mem_lim;
	}
	if (p->cpu_req > MAX_MILLIS || p->cpu_lim > MAX_MILLIS || p->mem_req > MAX_MILLIS ||
	    p->mem_lim > MAX_MILLIS) {
		err_set(err, "%s: a pod asks for more than opsdeck can count", where);
		return false;
	}
	return true;
}

bool render_plan_measure(const json_t *manifests, struct render_plan *plan, struct err *err)
{
	struct render_workloads wl;
	bool database_seen = false;
	long storage_mib = 0;
	size_t wi = 0;
	struct render_plan p = *plan;

	if (!render_workloads(manifests, &wl, err))
		return false;
	p.other_pods = p.other_cpu_request_millis = p.other_cpu_limit_millis = 0;
	p.other_memory_request_mib = p.other_memory_limit_mib = 0;
	p.pvcs = 0;
	for (size_t i = 0; i < json_array_size(manifests); i++) {
		const json_t *obj = json_array_get(manifests, i);
		const struct kube_resource *res;
		const char *name;
		char where[128];
		struct pod_need need;
		long pods;

		if (!render_manifest_target(obj, &res, &name, err))
			goto fail;
		snprintf(where, sizeof(where), "%s/%s", res->plural, name);
		if (res == &kube_res_pvcs) {
			const json_t *spec = json_object_get(obj, "spec");
			long mib;

			if (!quantity_mib(
				json_object_get(
				    json_object_get(json_object_get(spec, "resources"), "requests"),
				    "storage"),
				&mib)) {
				err_set(err, "%s needs spec.resources.requests.storage", where);
				goto fail;
			}
			storage_mib += mib;
			p.pvcs++;
			if (storage_mib > MAX_MILLIS) {
				err_set(
				    err,
				    "%s: the store's volumes ask for more than opsdeck can count",
				    where);
				goto fail;
			}
			continue;
		}
		if (res != &kube_res_deployments && res != &kube_res_statefulsets)
			continue;
		/* wl lists the workloads in the same order as the array */
		if (wi >= wl.len || strcmp(wl.items[wi].name, name) != 0) {
			err_set(err, "%s: the workloads changed while being measured", where);
			goto fail;
		}
		if (wl.items[wi].web || (res == &kube_res_statefulsets && !database_seen)) {
			database_seen = database_seen || res == &kube_res_statefulsets;
			wi++;
			continue;
		}
		pods = wl.items[wi].replicas;
		if (res == &kube_res_deployments)
			pods += surge(pods);
		wi++;
		if (!pod_need(
			where,
			json_object_get(json_object_get(json_object_get(obj, "spec"), "template"),
					"spec"),
			&need, err))
			goto fail;
		p.other_pods += pods;
		p.other_cpu_request_millis += pods * need.cpu_req;
		p.other_cpu_limit_millis += pods * need.cpu_lim;
		p.other_memory_request_mib += pods * need.mem_req;
		p.other_memory_limit_mib += pods * need.mem_lim;
		if (p.other_pods > 10000 || p.other_cpu_limit_millis > MAX_MILLIS ||
		    p.other_memory_limit_mib > MAX_MILLIS) {
			err_set(err,
				"%s: the store's other pods ask for more than opsdeck can count",
				where);
			goto fail;
		}
	}
	if ((storage_mib + 1023) / 1024 > p.storage_gib)
		p.storage_gib = (storage_mib + 1023) / 1024;
	render_workloads_free(&wl);
	*plan = p;
	return true;
fail:
	render_workloads_free(&wl);
	return false;
}

/* ---- where generated secrets are kept ---- */

struct refs_ctx {
	struct render_secret_refs *out;
	size_t cap;
};

static struct render_secret_ref *ref_find(struct render_secret_refs *r, const char *ph)
{
	for (size_t i = 0; i < r->len; i++) {
		if (strcmp(r->items[i].placeholder, ph) == 0)
			return &r->items[i];
	}
	return NULL;
}

/* A lookup that records the secret placeholders asked for. */
static const char *ref_record(void *ud, const char *name)
{
	struct refs_ctx *rc = ud;

	if (!is_known_placeholder(name))
		return NULL;
	if (str_has_prefix(name, "secret.") && !ref_find(rc->out, name)) {
		struct render_secret_ref *r;

		rc->out->items =
		    xgrow(rc->out->items, &rc->cap, rc->out->len + 1, sizeof(*rc->out->items));
		r = &rc->out->items[rc->out->len++];
		memset(r, 0, sizeof(*r));
		str_copy(r->placeholder, sizeof(r->placeholder), name);
	}
	return "";
}

static void refs_walk(struct refs_ctx *rc, const struct ynode *n)
{
	struct buf scratch = BUF_INIT;
	struct err ignore;

	if (n->type == YNODE_SCALAR) {
		if (strstr(n->scalar, "{{"))
			(void)catalog_expand(n->scalar, ref_record, rc, &scratch, &ignore);
		buf_free(&scratch);
		return;
	}
	for (size_t i = 0; i < n->len; i++)
		refs_walk(rc, n->items[i]);
}

/* A Secret data key: letters, digits, '-', '_' and '.'. */
static bool valid_data_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 253)
		return false;
	return strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

bool render_secret_refs(const char *label, const char *template_text, size_t len,
			struct render_secret_refs *out, struct err *err)
{
	struct catalog_file *cf;
	struct ydoc *doc;
	const struct ynode *ms;
	struct refs_ctx rc = {.out = out};

	memset(out, 0, sizeof(*out));
	cf = catalog_file_parse(label, template_text, len, err);
	if (!cf)
		return false;
	catalog_file_free(cf);
	doc = ydoc_load_string(label, template_text, len, err);
	if (!doc)
		return false;
	ms = ynode_get(doc->root, "manifests");
	if (ms)
		refs_walk(&rc, ms);
	for (size_t i = 0; ms && i < ms->len; i++) {
		const struct ynode *m = ms->items[i], *kind = ynode_get(m, "kind");
		const struct ynode *name = ynode_get(ynode_get(m, "metadata"), "name");
		const struct ynode *sd = ynode_get(m, "stringData");

		if (!kind || strcmp(kind->scalar, "Secret") != 0 || !name ||
		    name->type != YNODE_SCALAR || strstr(name->scalar, "{{") || !sd ||
		    sd->type != YNODE_MAP)
			continue;
		for (size_t k = 0; k < sd->len; k++) {
			const struct ynode *v = sd->items[k];
			struct render_secret_ref *r;
			char ph[64];

			if (v->type != YNODE_SCALAR ||
			    !single_placeholder(v->scalar, ph, sizeof(ph)) ||
			    !valid_data_key(sd->keys[k]->scalar))
				continue;
			r = ref_find(out, ph);
			if (!r || r->secret[0])
				continue;
			str_copy(r->secret, sizeof(r->secret), name->scalar);
			str_copy(r->key, sizeof(r->key), sd->keys[k]->scalar);
		}
	}
	ydoc_free(doc);
	return true;
}

void render_secret_refs_free(struct render_secret_refs *r)
{
	if (!r)
		return;
	free(r->items);
	r->items = NULL;
	r->len = 0;
}
