#include "config.h"

#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apply.h"
#include "buf.h"
#include "kafka.h"
#include "ctrl.h"
#include "fault.h"
#include "finalize.h"
#include "jutil.h"
#include "kinds.h"
#include "logs.h"
#include "openapi.h"
#include "patch.h"
#include "quota.h"
#include "restype.h"
#include "pbobj.h"
#include "pbuf.h"
#include "review.h"
#include "selector.h"
#include "status.h"
#include "store.h"
#include "table.h"
#include "watch.h"
#include "yamljson.h"

#define LIST_LIMIT_MAX 100000

const char *query_get(const struct query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++) {
		if (strcmp(q->keys[i], key) == 0)
			return q->vals[i];
	}
	return NULL;
}

static void resp_json(struct resp *out, int code, json_t *doc)
{
	out->code = code;
	out->ctype = "application/json";
	out->body = jdump(doc);
	out->len = strlen(out->body);
	json_decref(doc);
}

static void resp_raw(struct resp *out, int code, char *text)
{
	out->code = code;
	out->ctype = "application/json";
	out->body = text;
	out->len = strlen(text);
}

void api_error(struct resp *out, int code, const char *reason, const char *msg)
{
	struct apierr e = {0};

	apierr_set(&e, code, reason, "%s", msg);
	resp_json(out, code, status_json(&e));
	apierr_clear(&e);
}

static void resp_err(struct resp *out, struct apierr *e)
{
	resp_json(out, e->code, status_json(e));
	apierr_clear(e);
}

/* A request to a resource, parsed from its path. */
struct target {
	const struct restype *rt;
	const char *ns;	  /* NULL: all namespaces (lists) or cluster scope */
	const char *name; /* NULL: the collection */
	const char *sub;  /* "status", "scale", "log", "finalize" or NULL */
	char verb[24];	  /* get list watch create update patch delete deletecollection */
};

bool query_flag(const struct query *q, const char *key)
{
	const char *v = query_get(q, key);

	/* runtime.Convert_Slice_string_To_bool: only "0" and "false" in any case
	 * are false; every other value, the empty one too, is true. */
	return v && !str_eq(v, "0") && strcasecmp(v, "false") != 0;
}

static bool query_long(const struct query *q, const char *key, long min, long max, long dflt,
		       long *out, struct apierr *e)
{
	const char *v = query_get(q, key);

	*out = dflt;
	if (!v || !*v)
		return true;
	if (!str_to_long(v, min, max, out)) {
		apierr_bad_request(e,
				   "invalid value for %s: \"%s\" (must be an integer between "
				   "%ld and %ld)",
				   key, v, min, max);
		return false;
	}
	return true;
}

static bool parse_rv(const char *v, uint64_t *rv, struct apierr *e)
{
	long n;

	if (!str_to_long(v, 0, 0x7fffffffffffffffL, &n)) {
		apierr_bad_request(e, "invalid resource version: \"%s\"", v);
		return false;
	}
	*rv = (uint64_t)n;
	return true;
}

static void now_str(char out[32])
{
	sim_fmt_time(sim_wall_ms(), out);
}

/* --- content negotiation --- */

struct neg {
	enum out_fmt fmt;
	char table_version[16];
};

static bool negotiate(const char *accept, struct neg *n)
{
	const char *p = accept;

	n->fmt = FMT_JSON;
	snprintf(n->table_version, sizeof(n->table_version), "v1");
	if (!p || !*p)
		return true;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char range[256], *as, *g, *v;

		if (len >= sizeof(range))
			len = sizeof(range) - 1;
		memcpy(range, p, len);
		range[len] = '\0';
		as = strstr(range, "as=");
		g = strstr(range, "g=");
		v = strstr(range, "v=");
		if (str_has_prefix(range + strspn(range, " "), "application/json") ||
		    str_has_prefix(range + strspn(range, " "), "*/*") ||
		    str_has_prefix(range + strspn(range, " "), "application/*")) {
			if (!as) {
				n->fmt = FMT_JSON;
				return true;
			}
			if (g && str_has_prefix(g + 2, "meta.k8s.io")) {
				char ver[16] = "v1";

				if (v)
					snprintf(ver, sizeof(ver), "%.*s",
						 (int)strcspn(v + 2, ";, "), v + 2);
				if (!str_eq(ver, "v1") && !str_eq(ver, "v1beta1"))
					goto next;
				snprintf(n->table_version, sizeof(n->table_version), "%s", ver);
				if (str_has_prefix(as + 3, "Table")) {
					n->fmt = FMT_TABLE;
					return true;
				}
				if (str_has_prefix(as + 3, "PartialObjectMetadata")) {
					n->fmt = FMT_META;
					return true;
				}
			}
		}
	next:
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/* --- bodies --- */

static json_t *parse_body(const struct req *r, struct apierr *e)
{
	struct err err = {{0}};
	json_t *doc;

	if (r->content_type && str_has_prefix(r->content_type, PB_MEDIA_TYPE))
		return pbobj_decode(r->body, r->body_len, e);
	if (r->content_type && *r->content_type &&
	    !str_has_prefix(r->content_type, "application/json") &&
	    !str_has_prefix(r->content_type, "application/yaml") &&
	    !str_has_prefix(r->content_type, "*/*")) {
		/* Protobuf is not served: clients fall back to JSON on a 415. */
		apierr_set(
		    e, 415, "UnsupportedMediaType",
		    "the body of the request was in an unknown format - accepted media types "
		    "include: application/json, application/yaml");
		return NULL;
	}
	if (!r->body || r->body_len == 0) {
		apierr_bad_request(e, "the request body is empty");
		return NULL;
	}
	if (r->content_type && (strstr(r->content_type, "yaml"))) {
		doc = yamljson_one(r->body, r->body_len, &err);
		if (!doc) {
			apierr_bad_request(e, "%s", err.msg);
			return NULL;
		}
	} else {
		json_error_t je;

		doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
		if (!doc) {
			apierr_bad_request(e,
					   "the object provided is unrecognized (must be of type "
					   "JSON): %s at line %d column %d",
					   je.text, je.line, je.column);
			return NULL;
		}
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		apierr_bad_request(e,
				   "the object provided is unrecognized (must be a JSON object)");
		return NULL;
	}
	return doc;
}

/* Puts kind, apiVersion, metadata first and status last, as the server prints. */
static json_t *normalize(const json_t *doc)
{
	json_t *out = json_object(), *v;
	const char *k;
	static const char *const first[] = {"kind", "apiVersion", "metadata", NULL};

	for (const char *const *f = first; *f; f++) {
		if ((v = json_object_get(doc, *f)))
			json_object_set(out, *f, v);
	}
	json_object_foreach((json_t *)doc, k, v)
	{
		if (!json_object_get(out, k) && !str_eq(k, "status"))
			json_object_set(out, k, v);
	}
	if ((v = json_object_get(doc, "status")))
		json_object_set(out, "status", v);
	return out;
}

static const char *manager_of(const struct req *r, char *buf, size_t n)
{
	const char *fm = query_get(&r->q, "fieldManager");
	size_t len;

	if (fm && *fm)
		return fm;
	if (!r->user_agent || !*r->user_agent)
		return "unknown";
	len = strcspn(r->user_agent, "/ ");
	snprintf(buf, n, "%.*s", (int)len, r->user_agent);
	return buf;
}

static bool dry_run(const struct req *r, struct apierr *e)
{
	const char *v = query_get(&r->q, "dryRun");

	if (!v || !*v)
		return false;
	if (!str_eq(v, "All")) {
		apierr_bad_request(e, "Invalid value: \"%s\": supported values: \"All\"", v);
		return false;
	}
	return true;
}

/* Checks kind/apiVersion/name/namespace of a body against the URL. */
static bool check_identity(const struct target *t, json_t *doc, bool require_kind, struct apierr *e)
{
	const char *kind = jstr(doc, "kind", NULL), *av = jstr(doc, "apiVersion", NULL);
	const char *name = jstr(doc, "metadata.name", NULL);
	const char *ns = jstr(doc, "metadata.namespace", NULL);

	if (require_kind && (!kind || !av)) {
		apierr_bad_request(e, "%s must be set", !av ? "apiVersion" : "kind");
		return false;
	}
	if (av && !str_eq(av, t->rt->api_version)) {
		apierr_bad_request(e,
				   "the API version in the data (%s) does not match the expected "
				   "API version (%s)",
				   av, t->rt->api_version);
		return false;
	}
	if (kind && !str_eq(kind, t->rt->kind)) {
		apierr_bad_request(e,
				   "the kind in the data (%s) does not match the expected kind "
				   "(%s)",
				   kind, t->rt->kind);
		return false;
	}
	if (t->name && name && !str_eq(name, t->name)) {
		apierr_bad_request(e,
				   "the name of the object (%s) does not match the name on the "
				   "URL (%s)",
				   name, t->name);
		return false;
	}
	if (t->rt->namespaced && ns && t->ns && !str_eq(ns, t->ns)) {
		apierr_bad_request(e, "the namespace of the provided object does not match the "
				      "namespace sent on the request");
		return false;
	}
	json_object_set_new(doc, "kind", json_string(t->rt->kind));
	/* stored at the version kept (v1 when both KafkaTopic versions are served) */
	json_object_set_new(doc, "apiVersion", json_string(restype_get(t->rt->id)->api_version));
	if (t->name)
		jset(doc, "metadata", "name", json_string(t->name));
	if (t->rt->namespaced && t->ns)
		jset(doc, "metadata", "namespace", json_string(t->ns));
	else
		json_object_del(jobj(doc, "metadata"), "namespace");
	return true;
}

/* Whether new content may be created in ns. */
static bool namespace_open(struct sim *s, const char *ns, struct apierr *e)
{
	struct obj *o = store_get(s->store, restype_get(K_NAMESPACE), NULL, ns);

	if (!o) {
		apierr_not_found(e, restype_get(K_NAMESPACE), ns);
		return false;
	}
	if (jpath(o->doc, "metadata.deletionTimestamp")) {
		apierr_set(e, 403, "Forbidden",
			   "unable to create new content in namespace %s because it is being "
			   "terminated",
			   ns);
		e->details = json_pack("{s:s, s:s}", "name", ns, "kind", "namespaces");
		return false;
	}
	return true;
}

/* Common tail of create and apply-create: server metadata, checks, store. */
static struct obj *create_object(struct sim *s, const struct target *t, json_t *doc,
				 const char *manager, bool track, bool dry, struct apierr *e,
				 json_t **dry_out)
{
	json_t *meta = jobj(doc, "metadata"), *norm;
	const char *name;
	char uid[37], now[32];

	if (!jstr(doc, "metadata.name", NULL) && jstr(doc, "metadata.generateName", NULL)) {
		char suffix[8], *n;

		sim_suffix(s, suffix, 5);
		n = xasprintf("%s%s", jstr(doc, "metadata.generateName", ""), suffix);
		json_object_set_new(meta, "name", json_string(n));
		free(n);
	}
	if (jstr(doc, "metadata.resourceVersion", NULL)) {
		apierr_bad_request(e, "resourceVersion should not be set on objects to be created");
		return NULL;
	}
	for (const char *const *k =
		 (const char *const[]){"uid", "creationTimestamp", "deletionTimestamp",
				       "generation", "selfLink", NULL};
	     *k; k++)
		json_object_del(meta, *k);
	/* An apply brings its own managedFields; a plain create gets them below. */
	if (track)
		json_object_del(meta, "managedFields");
	if (t->rt->has_status)
		json_object_del(doc, "status");
	/* The uid first: a Job's defaults name it in its selector. */
	sim_uid(s, uid);
	json_object_set_new(meta, "uid", json_string(uid));
	kinds_default(s, t->rt, doc, NULL);
	if (!kinds_validate(s, t->rt, doc, NULL, e))
		return NULL;
	name = jstr(doc, "metadata.name", "");
	if (t->rt->namespaced && !namespace_open(s, t->ns, e))
		return NULL;
	if (store_get(s->store, t->rt, t->ns, name)) {
		apierr_exists(e, t->rt, name);
		return NULL;
	}
	if (!quota_admit(s->store, t->rt, doc, e))
		return NULL;
	now_str(now);
	json_object_set_new(meta, "creationTimestamp", json_string(now));
	if (t->rt->has_generation)
		json_object_set_new(meta, "generation", json_integer(1));
	if (track)
		apply_track_update(doc, NULL, manager, NULL, t->rt->api_version, now);
	norm = normalize(doc);
	if (dry) {
		json_object_set_new(jobj(norm, "metadata"), "resourceVersion", json_string(""));
		*dry_out = norm;
		return NULL;
	}
	return store_add(s->store, t->rt, norm);
}

static void do_create(struct sim *s, const struct req *r, const struct target *t, struct resp *out)
{
	struct apierr e = {0};
	json_t *doc = parse_body(r, &e), *dry_doc = NULL;
	struct obj *o;
	char mgr[64];
	bool dry = dry_run(r, &e);

	if (!doc || apierr_isset(&e) || !check_identity(t, doc, false, &e)) {
		json_decref(doc);
		resp_err(out, &e);
		return;
	}
	/* The name comes from the body on a create. */
	o = create_object(s, t, doc, manager_of(r, mgr, sizeof(mgr)), true, dry, &e, &dry_doc);
	json_decref(doc);
	if (dry_doc) {
		resp_json(out, 201, dry_doc);
		return;
	}
	if (!o) {
		resp_err(out, &e);
		return;
	}
	resp_raw(out, 201, xstrndup(o->json->data, o->json->len));
}

static bool spec_changed(const struct restype *rt, const json_t *a, const json_t *b)
{
	json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
	bool changed;

	(void)rt;
	json_object_del(x, "metadata");
	json_object_del(y, "metadata");
	json_object_del(x, "status");
	json_object_del(y, "status");
	changed = !json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return changed;
}

/* Stores next as the new state of o after the checks every write shares.
 * status_only: a status subresource write; sub "finalize": a namespace's
 * finalize subresource, the only write that changes its spec.finalizers.
 * A write that empties the finalizers of an object being deleted removes
 * it. Returns the HTTP code, 0 on error. */
static int write_object(struct sim *s, struct obj *o, json_t *next, bool status_only,
			const char *manager, const char *sub, bool track, bool dry,
			struct apierr *e, json_t **result)
{
	const json_t *cur = o->doc;
	json_t *meta = jobj(next, "metadata"), *norm;
	const char *want_rv = jstr(next, "metadata.resourceVersion", NULL);
	bool finalize = sub && str_eq(sub, "finalize");
	char now[32];

	if ((want_rv && want_rv[0] && strtoull(want_rv, NULL, 10) != o->rv) ||
	    !str_eq(jstr(next, "metadata.uid", o->uid), o->uid)) {
		apierr_conflict(e, o->rt, o->name);
		json_decref(next);
		return 0;
	}
	/* What clients may not change. */
	for (const char *const *k =
		 (const char *const[]){"uid", "creationTimestamp", "deletionTimestamp",
				       "deletionGracePeriodSeconds", "generation", NULL};
	     *k; k++) {
		json_t *v =
		    jpath(cur, "metadata") ? json_object_get(jpath(cur, "metadata"), *k) : NULL;

		if (v)
			json_object_set(meta, *k, v);
		else
			json_object_del(meta, *k);
	}
	if (!json_object_get(meta, "managedFields") && jpath(cur, "metadata.managedFields"))
		json_object_set(meta, "managedFields", jpath(cur, "metadata.managedFields"));
	if (status_only) {
		json_t *st = json_object_get(next, "status");
		json_t *keep = json_deep_copy(cur);

		if (st)
			json_object_set(keep, "status", st);
		json_object_set(keep, "metadata", meta);
		json_decref(next);
		next = keep;
		meta = jobj(next, "metadata");
	} else if (o->rt->has_status) {
		if (json_object_get(cur, "status"))
			json_object_set(next, "status", json_object_get(cur, "status"));
		else
			json_object_del(next, "status");
	}
	if (o->rt->id == K_NAMESPACE && !finalize) {
		json_t *fin = jpath(cur, "spec.finalizers");

		if (fin)
			json_object_set(jobj(next, "spec"), "finalizers", fin);
		else
			json_object_del(jobj(next, "spec"), "finalizers");
	}
	kinds_default(s, o->rt, next, cur);
	if (!kinds_validate(s, o->rt, next, cur, e)) {
		json_decref(next);
		return 0;
	}
	if (o->rt->has_generation && spec_changed(o->rt, cur, next))
		json_object_set_new(meta, "generation",
				    json_integer(jint(cur, "metadata.generation", 1) + 1));
	now_str(now);
	if (track)
		apply_track_update(next, cur, manager, sub, o->rt->api_version, now);
	norm = normalize(next);
	json_decref(next);
	/* The registry's rule: deleted, no grace left, nothing holds it. */
	if (!dry && jpath(cur, "metadata.deletionTimestamp") &&
	    jint(cur, "metadata.deletionGracePeriodSeconds", 0) == 0 && !fin_held(o->rt, norm)) {
		/* The answer is the state asked for (the real registry returns
		 * the request's object); the DELETED event carries the last
		 * stored one, as etcd's delete does. */
		json_object_set(jobj(norm, "metadata"), "resourceVersion",
				jpath(cur, "metadata.resourceVersion"));
		*result = norm;
		store_delete(s->store, o);
		return 200;
	}
	if (apply_same(norm, cur) || dry) {
		if (dry && !apply_same(norm, cur)) {
			*result = norm;
			return 200;
		}
		json_decref(norm);
		*result = json_incref(o->doc);
		return 200;
	}
	store_update(s->store, o, norm);
	*result = json_incref(o->doc);
	return 200;
}

static void do_update(struct sim *s, const struct req *r, const struct target *t, struct obj *o,
		      struct resp *out)
{
	struct apierr e = {0};
	json_t *doc = parse_body(r, &e), *result = NULL;
	char mgr[64];
	bool dry = dry_run(r, &e);
	int code;

	if (!doc || apierr_isset(&e) || !check_identity(t, doc, false, &e)) {
		json_decref(doc);
		resp_err(out, &e);
		return;
	}
	code = write_object(s, o, doc, t->sub && str_eq(t->sub, "status"),
			    manager_of(r, mgr, sizeof(mgr)), t->sub, true, dry, &e, &result);
	if (!code) {
		resp_err(out, &e);
		return;
	}
	resp_json(out, code, result);
}

static json_t *patch_by_type(const struct req *r, const struct restype *rt, const json_t *cur,
			     struct apierr *e)
{
	const char *ct = r->content_type ? r->content_type : "";
	json_t *patch, *out = NULL;
	struct err err = {{0}};
	json_error_t je;

	if (!r->body || !r->body_len) {
		apierr_bad_request(e, "the request body is empty");
		return NULL;
	}
	patch = json_loadb(r->body, r->body_len, 0, &je);
	if (!patch) {
		apierr_bad_request(e, "error decoding patch: %s", je.text);
		return NULL;
	}
	if (str_has_prefix(ct, "application/merge-patch+json")) {
		if (!json_is_object(patch))
			err_set(&err, "a merge patch must be a JSON object");
		else
			out = patch_merge(cur, patch);
	} else if (str_has_prefix(ct, "application/strategic-merge-patch+json")) {
		if (rt->id == K_KAFKATOPIC) {
			json_decref(patch);
			apierr_set(e, 415, "UnsupportedMediaType",
				   "the body of the request was in an unknown format - accepted "
				   "media types include: application/json-patch+json, "
				   "application/merge-patch+json, application/apply-patch+yaml");
			return NULL;
		}
		out = patch_strategic(cur, patch, &err);
	} else if (str_has_prefix(ct, "application/json-patch+json")) {
		out = patch_json(cur, patch, &err);
	}
	json_decref(patch);
	if (!out) {
		if (err_isset(&err))
			apierr_set(e, 422, "Invalid", "%s", err.msg);
		return NULL;
	}
	if (!json_is_object(out)) {
		json_decref(out);
		apierr_set(e, 422, "Invalid", "the patch produced something that is not an object");
		return NULL;
	}
	return out;
}

static bool patch_type_known(const char *ct)
{
	return ct && (str_has_prefix(ct, "application/merge-patch+json") ||
		      str_has_prefix(ct, "application/strategic-merge-patch+json") ||
		      str_has_prefix(ct, "application/json-patch+json") ||
		      str_has_prefix(ct, "application/apply-patch+yaml"));
}

static void do_apply(struct sim *s, const struct req *r, const struct target *t, struct obj *o,
		     struct resp *out)
{
	struct apierr e = {0};
	struct err err = {{0}};
	const char *mgr = query_get(&r->q, "fieldManager");
	bool force = query_flag(&r->q, "force"), dry = dry_run(r, &e);
	json_t *config, *merged, *result = NULL, *dry_doc = NULL;
	char now[32], schema_msg[512];
	int code;

	if (apierr_isset(&e)) {
		resp_err(out, &e);
		return;
	}
	if (!mgr || !*mgr) {
		apierr_set(
		    &e, 422, "Invalid",
		    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: "
		    "is required for apply patch");
		resp_err(out, &e);
		return;
	}
	if (strlen(mgr) > 128) {
		apierr_set(&e, 422, "Invalid",
			   "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may "
			   "not be more than 128 bytes");
		resp_err(out, &e);
		return;
	}
	if (!r->body || !r->body_len) {
		apierr_bad_request(&e, "the request body is empty");
		resp_err(out, &e);
		return;
	}
	config = yamljson_one(r->body, r->body_len, &err);
	if (!config || !json_is_object(config)) {
		apierr_bad_request(&e, "%s",
				   config ? "the apply configuration must be an object" : err.msg);
		json_decref(config);
		resp_err(out, &e);
		return;
	}
	if (!check_identity(t, config, true, &e)) {
		json_decref(config);
		resp_err(out, &e);
		return;
	}
	if (!kinds_schema_check(t->rt, config, schema_msg, sizeof(schema_msg))) {
		json_decref(config);
		apierr_set(&e, 500, NULL,
			   "failed to create typed patch object: %s: field not declared in schema",
			   schema_msg);
		resp_err(out, &e);
		return;
	}
	if (s->opt.reject_missing_list_keys && !apply_check_list_keys(config, &e)) {
		json_decref(config);
		resp_err(out, &e);
		return;
	}
	now_str(now);
	merged = apply_merge(t->rt, o ? o->doc : NULL, config, mgr, force, now, &e);
	json_decref(config);
	if (!merged) {
		resp_err(out, &e);
		return;
	}
	if (!o) {
		struct obj *created = create_object(s, t, merged, mgr, false, dry, &e, &dry_doc);

		json_decref(merged);
		if (dry_doc) {
			resp_json(out, 201, dry_doc);
			return;
		}
		if (!created) {
			resp_err(out, &e);
			return;
		}
		resp_raw(out, 201, xstrndup(created->json->data, created->json->len));
		return;
	}
	code = write_object(s, o, merged, false, mgr, NULL, false, dry, &e, &result);
	if (!code) {
		resp_err(out, &e);
		return;
	}
	resp_json(out, code, result);
}

static void do_patch(struct sim *s, const struct req *r, const struct target *t, struct obj *o,
		     struct resp *out)
{
	struct apierr e = {0};
	json_t *next, *result = NULL;
	char mgr[64];
	bool dry = dry_run(r, &e);
	int code;

	if (apierr_isset(&e)) {
		resp_err(out, &e);
		return;
	}
	if (!patch_type_known(r->content_type)) {
		apierr_set(&e, 415, "UnsupportedMediaType",
			   "the body of the request was in an unknown format - accepted media "
			   "types include: application/json-patch+json, "
			   "application/merge-patch+json, application/apply-patch+yaml%s",
			   t->rt->id == K_KAFKATOPIC ? ""
						     : ", application/strategic-merge-patch+json");
		resp_err(out, &e);
		return;
	}
	if (str_has_prefix(r->content_type, "application/apply-patch+yaml")) {
		if (t->sub) {
			apierr_set(&e, 415, "UnsupportedMediaType",
				   "apply patches are served for the main resource only");
			resp_err(out, &e);
			return;
		}
		do_apply(s, r, t, o, out);
		return;
	}
	if (!o) {
		apierr_not_found(&e, t->rt, t->name);
		resp_err(out, &e);
		return;
	}
	next = patch_by_type(r, t->rt, o->doc, &e);
	if (!next) {
		resp_err(out, &e);
		return;
	}
	if (!check_identity(t, next, false, &e)) {
		json_decref(next);
		resp_err(out, &e);
		return;
	}
	code = write_object(s, o, next, t->sub && str_eq(t->sub, "status"),
			    manager_of(r, mgr, sizeof(mgr)), t->sub, true, dry, &e, &result);
	if (!code) {
		resp_err(out, &e);
		return;
	}
	resp_json(out, code, result);
}

/* --- scale subresource --- */

static json_t *scale_of(const struct obj *o)
{
	char *sel = selector_json_string(jpath(o->doc, "spec.selector"));
	json_t *sc = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:I}, s:{s:I, s:s}}",
			       "kind", "Scale", "apiVersion", "autoscaling/v1", "metadata", "name",
			       o->name, "namespace", o->ns, "uid", o->uid, "resourceVersion",
			       jstr(o->doc, "metadata.resourceVersion", ""), "creationTimestamp",
			       jstr(o->doc, "metadata.creationTimestamp", ""), "spec", "replicas",
			       (json_int_t)jint(o->doc, "spec.replicas", 1), "status", "replicas",
			       (json_int_t)jint(o->doc, "status.replicas", 0), "selector", sel);

	free(sel);
	return sc;
}

static void do_scale(struct sim *s, const struct req *r, const struct target *t, struct obj *o,
		     struct resp *out)
{
	struct apierr e = {0};
	json_t *cur = scale_of(o), *next = NULL, *rep, *doc, *result = NULL;
	char mgr[64];
	bool dry = dry_run(r, &e);

	if (apierr_isset(&e))
		goto fail;
	if (str_eq(r->method, "GET")) {
		resp_json(out, 200, cur);
		return;
	}
	if (str_eq(r->method, "PUT")) {
		next = parse_body(r, &e);
	} else {
		if (!patch_type_known(r->content_type) ||
		    str_has_prefix(r->content_type, "application/apply-patch+yaml")) {
			apierr_set(&e, 415, "UnsupportedMediaType",
				   "the body of the request was in an unknown format - accepted "
				   "media types include: application/json-patch+json, "
				   "application/merge-patch+json, "
				   "application/strategic-merge-patch+json");
			goto fail;
		}
		next = patch_by_type(r, t->rt, cur, &e);
	}
	if (!next)
		goto fail;
	rep = jpath(next, "spec.replicas");
	if (!json_is_integer(rep) || json_integer_value(rep) < 0 ||
	    json_integer_value(rep) > 100000) {
		apierr_invalid_add(&e, "FieldValueInvalid", "spec.replicas",
				   "Invalid value: %lld: must be greater than or equal to 0",
				   json_is_integer(rep) ? (long long)json_integer_value(rep)
							: -1LL);
		e.code = 422;
		e.reason = "Invalid";
		snprintf(e.msg, sizeof(e.msg),
			 "Scale.autoscaling \"%s\" is invalid: spec.replicas: Invalid value: %lld: "
			 "must be greater than or equal to 0",
			 o->name, json_is_integer(rep) ? (long long)json_integer_value(rep) : -1LL);
		goto fail;
	}
	doc = json_deep_copy(o->doc);
	json_object_set(jobj(doc, "spec"), "replicas", rep);
	if (jstr(next, "metadata.resourceVersion", NULL))
		json_object_set_new(jobj(doc, "metadata"), "resourceVersion",
				    json_string(jstr(next, "metadata.resourceVersion", "")));
	else
		json_object_del(jobj(doc, "metadata"), "resourceVersion");
	json_decref(next);
	next = NULL;
	if (!write_object(s, o, doc, false, manager_of(r, mgr, sizeof(mgr)), "scale", true, dry, &e,
			  &result))
		goto fail;
	json_decref(result);
	json_decref(cur);
	resp_json(out, 200, scale_of(o));
	return;
fail:
	json_decref(next);
	json_decref(cur);
	resp_err(out, &e);
}

/* --- delete --- */

struct delopts {
	char propagation[16];
	long grace; /* -1: the object's own */
	char pre_uid[40];
	char pre_rv[32];
	bool dry;
};

static bool parse_delopts(const struct req *r, struct delopts *d, struct apierr *e)
{
	const char *pp = query_get(&r->q, "propagationPolicy");
	json_t *body = NULL;

	memset(d, 0, sizeof(*d));
	d->grace = -1;
	d->dry = dry_run(r, e);
	if (apierr_isset(e))
		return false;
	if (!query_long(&r->q, "gracePeriodSeconds", 0, 86400 * 365, -1, &d->grace, e))
		return false;
	if (r->body && r->body_len) {
		json_error_t je;

		body = json_loadb(r->body, r->body_len, 0, &je);
		if (!json_is_object(body)) {
			json_decref(body);
			apierr_bad_request(e, "the DeleteOptions body is not a JSON object");
			return false;
		}
		if (jstr(body, "propagationPolicy", NULL))
			pp = NULL;
		snprintf(d->propagation, sizeof(d->propagation), "%s",
			 jstr(body, "propagationPolicy", ""));
		if (json_is_integer(json_object_get(body, "gracePeriodSeconds")))
			d->grace = (long)jint(body, "gracePeriodSeconds", -1);
		snprintf(d->pre_uid, sizeof(d->pre_uid), "%s", jstr(body, "preconditions.uid", ""));
		snprintf(d->pre_rv, sizeof(d->pre_rv), "%s",
			 jstr(body, "preconditions.resourceVersion", ""));
		if (json_is_array(json_object_get(body, "dryRun")) &&
		    json_array_size(json_object_get(body, "dryRun")))
			d->dry = true;
		json_decref(body);
	}
	if (pp)
		snprintf(d->propagation, sizeof(d->propagation), "%s", pp);
	if (d->propagation[0] && !str_eq(d->propagation, "Orphan") &&
	    !str_eq(d->propagation, "Background") && !str_eq(d->propagation, "Foreground")) {
		apierr_set(
		    e, 422, "Invalid",
		    "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported "
		    "value: \"%s\": supported values: \"Foreground\", \"Background\", "
		    "\"Orphan\", \"nil\"",
		    d->propagation);
		return false;
	}
	if (d->grace < -1) {
		apierr_bad_request(e, "gracePeriodSeconds must be >= 0");
		return false;
	}
	return true;
}

/* Deletes o; returns the answer document (the object while it persists,
 * else a Success Status) or NULL with e set. An object with finalizers is
 * only marked (finalize.h); deleting it again changes nothing. */
static json_t *delete_object(struct sim *s, struct obj *o, const struct delopts *d,
			     struct apierr *e)
{
	char now[32];
	json_t *doc;
	struct obj *const *objs;
	size_t n;

	if (d->pre_uid[0] && !str_eq(d->pre_uid, o->uid)) {
		apierr_set(e, 409, "Conflict",
			   "Precondition failed: UID in precondition: %s, UID in object meta: %s",
			   d->pre_uid, o->uid);
		return NULL;
	}
	if (d->pre_rv[0] && strtoull(d->pre_rv, NULL, 10) != o->rv) {
		apierr_set(e, 409, "Conflict",
			   "Precondition failed: ResourceVersion in precondition: %s, "
			   "ResourceVersion in object meta: %llu",
			   d->pre_rv, (unsigned long long)o->rv);
		return NULL;
	}
	if (d->dry)
		return json_incref(o->doc);
	now_str(now);
	if (o->rt->id == K_NAMESPACE) {
		if (str_eq(o->name, "default") || str_eq(o->name, "kube-system") ||
		    str_eq(o->name, "kube-public")) {
			apierr_set(e, 403, "Forbidden",
				   "namespaces \"%s\" is forbidden: this namespace may not be "
				   "deleted",
				   o->name);
			return NULL;
		}
		if (!jpath(o->doc, "metadata.deletionTimestamp")) {
			doc = json_deep_copy(o->doc);
			json_object_set_new(jobj(doc, "metadata"), "deletionTimestamp",
					    json_string(now));
			json_object_set_new(jobj(doc, "status"), "phase",
					    json_string("Terminating"));
			store_update(s->store, o, doc);
		}
		return json_incref(o->doc);
	}
	if (o->rt->id == K_POD) {
		long grace = d->grace >= 0
				 ? d->grace
				 : (long)jint(o->doc, "spec.terminationGracePeriodSeconds", 30);

		if (grace == 0) {
			doc = json_incref(o->doc);
			if (fin_delete(s->store, o))
				return doc;
			json_decref(doc);
			return json_incref(o->doc);
		}
		if (!jpath(o->doc, "metadata.deletionTimestamp")) {
			char when[32];

			sim_fmt_time(sim_wall_ms() + grace * 1000, when);
			doc = json_deep_copy(o->doc);
			json_object_set_new(jobj(doc, "metadata"), "deletionTimestamp",
					    json_string(when));
			json_object_set_new(jobj(doc, "metadata"), "deletionGracePeriodSeconds",
					    json_integer(grace));
			store_update(s->store, o, doc);
		}
		return json_incref(o->doc);
	}
	if (jpath(o->doc, "metadata.deletionTimestamp") && fin_pending(o->doc))
		return json_incref(o->doc);
	if (str_eq(d->propagation, "Foreground")) {
		doc = json_deep_copy(o->doc);
		json_object_set_new(jobj(doc, "metadata"), "deletionTimestamp", json_string(now));
		json_object_set_new(jobj(doc, "metadata"), "deletionGracePeriodSeconds",
				    json_integer(0));
		fin_add(doc, "foregroundDeletion");
		store_update(s->store, o, doc);
		return json_incref(o->doc);
	}
	if (str_eq(d->propagation, "Orphan")) {
		/* Dependents lose their owner reference and stay. */
		for (int k = 0; k < K_COUNT; k++) {
			const struct restype *rt = restype_get((enum kind_id)k);

			if (!rt->namespaced)
				continue;
			objs = store_list(s->store, rt, o->ns, &n);
			for (size_t i = 0; i < n; i++) {
				json_t *refs = jpath(objs[i]->doc, "metadata.ownerReferences"),
				       *ref;
				size_t j;
				bool mine = false;

				json_array_foreach(refs, j, ref) mine =
				    mine || str_eq(jstr(ref, "uid", ""), o->uid);
				if (!mine)
					continue;
				doc = json_deep_copy(objs[i]->doc);
				refs = jpath(doc, "metadata.ownerReferences");
				for (j = json_array_size(refs); j-- > 0;) {
					if (str_eq(jstr(json_array_get(refs, j), "uid", ""),
						   o->uid))
						json_array_remove(refs, j);
				}
				if (!json_array_size(refs))
					json_object_del(jobj(doc, "metadata"), "ownerReferences");
				store_update(s->store, objs[i], doc);
				objs = store_list(s->store, rt, o->ns, &n);
			}
		}
	}
	if (fin_pending(o->doc)) {
		fin_delete(s->store, o);
		return json_incref(o->doc);
	}
	doc = status_success(o->rt, o->name, o->uid);
	store_delete(s->store, o);
	return doc;
}

/* --- list --- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url_encode(const char *in, size_t n)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (unsigned char)in[i + 1] << 8;
		if (left > 2)
			v |= (unsigned char)in[i + 2];
		buf_putc(&b, b64url[(v >> 18) & 63]);
		buf_putc(&b, b64url[(v >> 12) & 63]);
		if (left > 1)
			buf_putc(&b, b64url[(v >> 6) & 63]);
		if (left > 2)
			buf_putc(&b, b64url[v & 63]);
	}
	return buf_steal(&b);
}

static char *b64url_decode(const char *in, size_t *outlen)
{
	struct buf b = BUF_INIT;
	unsigned v = 0;
	int bits = 0;

	for (const char *p = in; *p; p++) {
		const char *pos = strchr(b64url, *p);

		if (*p == '=')
			break;
		if (!pos) {
			pos = *p == '+'	  ? strchr(b64url, '-')
			      : *p == '/' ? strchr(b64url, '_')
					  : NULL;
			if (!pos) {
				buf_free(&b);
				return NULL;
			}
		}
		v = (v << 6) | (unsigned)(pos - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(&b, (char)((v >> bits) & 0xff));
		}
	}
	*outlen = b.len;
	return buf_steal(&b);
}

static char *continue_token(uint64_t rv, const struct obj *last, bool all_ns)
{
	char *key =
	    all_ns && last->ns[0] ? xasprintf("%s/%s", last->ns, last->name) : xstrdup(last->name);
	json_t *t = json_object();
	char *js, *tok, *withnul;

	json_object_set_new(t, "v", json_string("meta.k8s.io/v1"));
	json_object_set_new(t, "rv", json_integer((json_int_t)rv));
	/* The start key is the last key plus NUL: "the next key after". */
	withnul = xmalloc(strlen(key) + 2);
	memcpy(withnul, key, strlen(key));
	withnul[strlen(key)] = '\0';
	json_object_set_new(t, "start", json_stringn(withnul, strlen(key) + 1));
	js = jdump(t);
	tok = b64url_encode(js, strlen(js));
	free(js);
	free(withnul);
	free(key);
	json_decref(t);
	return tok;
}

/* Decodes a continue token into rv and the start key (ns and name). */
static bool continue_parse(const char *tok, uint64_t *rv, char **ns, char **name, bool all_ns,
			   struct apierr *e)
{
	size_t len;
	char *raw = b64url_decode(tok, &len);
	json_t *t = raw ? json_loadb(raw, len, JSON_ALLOW_NUL, NULL) : NULL, *start;
	const char *key;
	size_t klen;

	free(raw);
	start = json_object_get(t, "start");
	if (!t || !json_is_string(start) || !json_is_integer(json_object_get(t, "rv")) ||
	    !str_eq(jstr(t, "v", ""), "meta.k8s.io/v1") || jint(t, "rv", 0) < 0) {
		json_decref(t);
		apierr_bad_request(e, "continue key is not valid: incorrect encoded start "
				      "resourceVersion (version meta.k8s.io/v1)");
		return false;
	}
	*rv = (uint64_t)jint(t, "rv", 0);
	key = json_string_value(start);
	klen = strnlen(key, json_string_length(start));
	if (all_ns && memchr(key, '/', klen)) {
		const char *slash = memchr(key, '/', klen);

		*ns = xstrndup(key, (size_t)(slash - key));
		*name = xstrndup(slash + 1, klen - (size_t)(slash - key) - 1);
	} else {
		*ns = xstrdup("");
		*name = xstrndup(key, klen);
	}
	json_decref(t);
	return true;
}

static json_t *partial_list(const struct restype *rt, struct obj *const *objs, size_t n,
			    const char *version)
{
	json_t *items = json_array();
	char av[32];

	(void)rt;
	snprintf(av, sizeof(av), "meta.k8s.io/%s", version);
	for (size_t i = 0; i < n; i++) {
		json_t *p = table_partial(objs[i]->doc);

		json_object_set_new(p, "apiVersion", json_string(av));
		json_array_append_new(items, p);
	}
	return json_pack("{s:s, s:s, s:{}, s:o}", "kind", "PartialObjectMetadataList", "apiVersion",
			 av, "metadata", "items", items);
}

static void do_list(struct sim *s, const struct req *r, const struct target *t,
		    const struct neg *neg, struct resp *out)
{
	struct apierr e = {0};
	struct err err = {{0}};
	struct selector sel;
	struct fieldsel fs;
	long limit;
	const char *cont = query_get(&r->q, "continue");
	const char *rvq = query_get(&r->q, "resourceVersion");
	const char *rvm = query_get(&r->q, "resourceVersionMatch");
	struct obj *const *all;
	struct obj **picked = NULL;
	size_t n, npicked = 0, start = 0, remaining = 0;
	uint64_t list_rv = store_rv(s->store);
	char *cns = NULL, *cname = NULL, *next_tok = NULL;
	bool all_ns = !t->ns, has_sel;
	struct buf b = BUF_INIT;

	if (!query_long(&r->q, "limit", 0, 0x7fffffffL, 0, &limit, &e)) {
		resp_err(out, &e);
		return;
	}
	if (!selector_parse(query_get(&r->q, "labelSelector"), &sel, &err)) {
		apierr_bad_request(&e, "%s", err.msg);
		resp_err(out, &e);
		return;
	}
	if (!fieldsel_parse(query_get(&r->q, "fieldSelector"), t->rt, &fs, &err)) {
		selector_free(&sel);
		apierr_bad_request(&e, "%s", err.msg);
		resp_err(out, &e);
		return;
	}
	has_sel = sel.n || fs.n;
	if (rvm && *rvm && !str_eq(rvm, "Exact") && !str_eq(rvm, "NotOlderThan")) {
		apierr_bad_request(&e,
				   "resourceVersionMatch: Unsupported value: \"%s\": supported "
				   "values: \"Exact\", \"NotOlderThan\"",
				   rvm);
		goto fail;
	}
	if (rvm && *rvm && (!rvq || !*rvq)) {
		apierr_bad_request(&e,
				   "resourceVersionMatch is forbidden unless resourceVersion is "
				   "provided");
		goto fail;
	}
	if (rvq && *rvq && !str_eq(rvq, "0")) {
		uint64_t want;

		if (!parse_rv(rvq, &want, &e))
			goto fail;
		if (want > store_rv(s->store)) {
			apierr_set(
			    &e, 504, "Timeout", "Too large resource version: %llu, current: %llu",
			    (unsigned long long)want, (unsigned long long)store_rv(s->store));
			e.details = json_pack("{s:[{s:s, s:s}], s:i}", "causes", "reason",
					      "ResourceVersionTooLarge", "message",
					      "Too large resource version", "retryAfterSeconds", 1);
			goto fail;
		}
		if (rvm && str_eq(rvm, "Exact") && want != store_rv(s->store)) {
			apierr_set(&e, 410, "Expired",
				   "The resourceVersion for the provided list is too old.");
			goto fail;
		}
	}
	if (cont && *cont) {
		uint64_t crv;

		if (rvq && *rvq) {
			apierr_bad_request(&e,
					   "specifying resource version is not allowed when using "
					   "continue");
			goto fail;
		}
		if (!continue_parse(cont, &crv, &cns, &cname, all_ns, &e))
			goto fail;
		if (crv < store_resumable_rv(s->store)) {
			apierr_set(&e, 410, "Expired",
				   "The provided continue parameter is too old to display a "
				   "consistent list result. You can start a new list without the "
				   "continue parameter, or use the continue token in this response "
				   "to retrieve the remainder of the results. Continuing with the "
				   "provided token results in an inconsistent list - objects that "
				   "were created, modified, or deleted between the time the first "
				   "chunk was returned and now may show up in the list.");
			goto fail;
		}
		list_rv = crv;
	}
	all = store_list(s->store, t->rt, t->ns, &n);
	if (cname) {
		/* First key strictly after the token's (its start carries a trailing NUL). */
		size_t lo = 0, hi = n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = all_ns ? strcmp(all[mid]->ns, cns) : 0;

			if (c == 0)
				c = strcmp(all[mid]->name, cname);
			if (c <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		start = lo;
	}
	picked = xcalloc(n - start + 1, sizeof(*picked));
	for (size_t i = start; i < n; i++) {
		if (has_sel && (!selector_match(&sel, jpath(all[i]->doc, "metadata.labels")) ||
				!fieldsel_match(&fs, all[i]->fields)))
			continue;
		if (limit > 0 && npicked == (size_t)limit) {
			/* One more match exists: there is a next page. */
			next_tok = continue_token(list_rv, picked[npicked - 1], all_ns);
			if (!has_sel)
				remaining = n - i;
			break;
		}
		picked[npicked++] = all[i];
	}
	if (neg->fmt == FMT_TABLE) {
		json_t *tab =
		    table_render(t->rt, picked, npicked, query_get(&r->q, "includeObject"),
				 neg->table_version, sim_wall_ms());
		char rv[32];

		snprintf(rv, sizeof(rv), "%llu", (unsigned long long)list_rv);
		jset(tab, "metadata", "resourceVersion", json_string(rv));
		if (next_tok)
			jset(tab, "metadata", "continue", json_string(next_tok));
		if (remaining)
			jset(tab, "metadata", "remainingItemCount",
			     json_integer((json_int_t)remaining));
		resp_json(out, 200, tab);
	} else if (neg->fmt == FMT_META) {
		json_t *pl = partial_list(t->rt, picked, npicked, neg->table_version);
		char rv[32];

		snprintf(rv, sizeof(rv), "%llu", (unsigned long long)list_rv);
		jset(pl, "metadata", "resourceVersion", json_string(rv));
		if (next_tok)
			jset(pl, "metadata", "continue", json_string(next_tok));
		resp_json(out, 200, pl);
	} else {
		/* Lists are assembled from each object's cached serialisation. */
		size_t total = 128 + (next_tok ? strlen(next_tok) : 0);

		for (size_t i = 0; i < npicked; i++)
			total += picked[i]->json->len + 1;
		b.data = xmalloc(total);
		b.cap = total;
		buf_printf(&b,
			   "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
			   "\"resourceVersion\":\"%llu\"",
			   t->rt->list_kind, t->rt->api_version, (unsigned long long)list_rv);
		if (next_tok)
			buf_printf(&b, ",\"continue\":\"%s\"", next_tok);
		if (remaining)
			buf_printf(&b, ",\"remainingItemCount\":%zu", remaining);
		buf_puts(&b, "},\"items\":[");
		for (size_t i = 0; i < npicked; i++) {
			if (i)
				buf_putc(&b, ',');
			buf_append(&b, picked[i]->json->data, picked[i]->json->len);
		}
		buf_puts(&b, "]}");
		out->code = 200;
		out->ctype = "application/json";
		out->len = b.len;
		out->body = buf_steal(&b);
	}
	free(picked);
	free(next_tok);
	free(cns);
	free(cname);
	selector_free(&sel);
	fieldsel_free(&fs);
	return;
fail:
	free(cns);
	free(cname);
	selector_free(&sel);
	fieldsel_free(&fs);
	resp_err(out, &e);
}

static void do_watch(struct sim *s, const struct req *r, const struct target *t,
		     const struct neg *neg, struct resp *out)
{
	struct apierr e = {0};
	struct err err = {{0}};
	struct watch_params p;
	const char *rvq = query_get(&r->q, "resourceVersion");
	struct watch *w;

	memset(&p, 0, sizeof(p));
	p.rt = t->rt;
	p.ns = t->ns;
	p.fmt = neg->fmt;
	p.table_version = neg->table_version;
	p.include = query_get(&r->q, "includeObject");
	p.path = r->path;
	p.bookmarks = query_flag(&r->q, "allowWatchBookmarks");
	p.send_initial = query_flag(&r->q, "sendInitialEvents");
	if (!query_long(&r->q, "timeoutSeconds", 0, 86400, 0, &p.timeout_s, &e)) {
		resp_err(out, &e);
		return;
	}
	if (rvq && *rvq && !str_eq(rvq, "0")) {
		if (!parse_rv(rvq, &p.rv, &e)) {
			resp_err(out, &e);
			return;
		}
		p.rv_set = true;
	}
	if (!selector_parse(query_get(&r->q, "labelSelector"), &p.sel, &err) ||
	    !fieldsel_parse(query_get(&r->q, "fieldSelector"), t->rt, &p.fields, &err)) {
		selector_free(&p.sel);
		apierr_bad_request(&e, "%s", err.msg);
		resp_err(out, &e);
		return;
	}
	w = watch_open(s, &p, &e);
	selector_free(&p.sel);
	fieldsel_free(&p.fields);
	if (!w) {
		resp_err(out, &e);
		return;
	}
	out->code = 200;
	out->ctype = "application/json";
	out->watch = w;
}

static void do_get(struct sim *s, const struct req *r, const struct target *t, struct obj *o,
		   const struct neg *neg, struct resp *out)
{
	(void)s;
	if (neg->fmt == FMT_TABLE) {
		resp_json(out, 200,
			  table_of_doc(t->rt, o->doc, query_get(&r->q, "includeObject"),
				       neg->table_version, sim_wall_ms(), 1));
	} else if (neg->fmt == FMT_META) {
		json_t *p = table_partial(o->doc);
		char av[32];

		snprintf(av, sizeof(av), "meta.k8s.io/%s", neg->table_version);
		json_object_set_new(p, "apiVersion", json_string(av));
		resp_json(out, 200, p);
	} else {
		resp_raw(out, 200, xstrndup(o->json->data, o->json->len));
	}
}

/* --- routing --- */

static size_t split_path(char *path, char **seg, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *tok = strtok_r(path, "/", &save); tok && n < max;
	     tok = strtok_r(NULL, "/", &save))
		seg[n++] = tok;
	return n;
}

static const char *verb_of(const char *method, bool item, bool watch)
{
	if (str_eq(method, "GET"))
		return watch ? "watch" : item ? "get" : "list";
	if (str_eq(method, "POST"))
		return "create";
	if (str_eq(method, "PUT"))
		return "update";
	if (str_eq(method, "PATCH"))
		return "patch";
	if (str_eq(method, "DELETE"))
		return item ? "delete" : "deletecollection";
	return NULL;
}

static bool forbid_readonly(const struct req *r, const struct target *t, struct apierr *e)
{
	char res[96], scope[160];

	if (!r->readonly || review_readonly_may(t->verb))
		return false;
	if (t->sub)
		snprintf(res, sizeof(res), "%s/%s", t->rt->plural, t->sub);
	else
		snprintf(res, sizeof(res), "%s", t->rt->plural);
	if (t->rt->namespaced && t->ns)
		snprintf(scope, sizeof(scope), "in the namespace \"%s\"", t->ns);
	else
		snprintf(scope, sizeof(scope), "at the cluster scope");
	if (t->name)
		apierr_set(e, 403, "Forbidden",
			   "%s \"%s\" is forbidden: User \"%s\" cannot %s resource \"%s\" in API "
			   "group \"%s\" %s",
			   t->rt->plural, t->name, r->user, t->verb, res, t->rt->group, scope);
	else
		apierr_set(e, 403, "Forbidden",
			   "%s is forbidden: User \"%s\" cannot %s resource \"%s\" in API group "
			   "\"%s\" %s",
			   t->rt->plural, r->user, t->verb, res, t->rt->group, scope);
	e->details = json_object();
	if (t->name)
		json_object_set_new(e->details, "name", json_string(t->name));
	if (t->rt->group[0])
		json_object_set_new(e->details, "group", json_string(t->rt->group));
	json_object_set_new(e->details, "kind", json_string(t->rt->plural));
	return true;
}

static void do_resource(struct sim *s, const struct req *r, struct target *t, struct resp *out)
{
	struct apierr e = {0};
	struct neg neg;
	bool watch = query_flag(&r->q, "watch");
	struct obj *o = NULL;
	const char *verb;

	verb = verb_of(r->method, t->name != NULL, watch && !t->name);
	if (!verb) {
		api_error(out, 405, "MethodNotAllowed",
			  "the server does not allow this method on the requested resource");
		return;
	}
	snprintf(t->verb, sizeof(t->verb), "%s", verb);
	if (t->sub && str_eq(t->sub, "log"))
		snprintf(t->verb, sizeof(t->verb), "get");
	if (forbid_readonly(r, t, &e)) {
		pthread_mutex_lock(&s->lock);
		s->stats.forbidden++;
		pthread_mutex_unlock(&s->lock);
		resp_err(out, &e);
		return;
	}
	if (!negotiate(r->accept, &neg)) {
		api_error(out, 406, "NotAcceptable",
			  "only the following media types are accepted: application/json, "
			  "application/json;as=Table;v=v1;g=meta.k8s.io");
		return;
	}
	if (t->sub && !(str_eq(t->sub, "status") && t->rt->has_status) &&
	    !(str_eq(t->sub, "scale") && t->rt->has_scale) &&
	    !(str_eq(t->sub, "log") && t->rt->id == K_POD) &&
	    !(str_eq(t->sub, "finalize") && t->rt->id == K_NAMESPACE)) {
		api_error(out, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if (t->sub && !t->name) {
		api_error(out, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if (t->sub && ((str_eq(t->sub, "log") && !str_eq(r->method, "GET")) ||
		       (str_eq(t->sub, "finalize") && !str_eq(r->method, "PUT")))) {
		api_error(out, 405, "MethodNotAllowed",
			  "the server does not allow this method on the requested resource");
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (t->name)
		o = store_get(s->store, t->rt, t->ns, t->name);
	if (!t->name) {
		if (str_eq(verb, "list"))
			do_list(s, r, t, &neg, out);
		else if (str_eq(verb, "watch"))
			do_watch(s, r, t, &neg, out);
		else if (str_eq(verb, "create"))
			do_create(s, r, t, out);
		else if (str_eq(verb, "deletecollection")) {
			struct delopts d;
			struct selector sel;
			struct fieldsel fs;
			struct err err = {{0}};

			if (!parse_delopts(r, &d, &e)) {
				resp_err(out, &e);
			} else if (!selector_parse(query_get(&r->q, "labelSelector"), &sel, &err)) {
				apierr_bad_request(&e, "%s", err.msg);
				resp_err(out, &e);
			} else if (!fieldsel_parse(query_get(&r->q, "fieldSelector"), t->rt, &fs,
						   &err)) {
				selector_free(&sel);
				apierr_bad_request(&e, "%s", err.msg);
				resp_err(out, &e);
			} else {
				size_t n, i = 0;
				struct obj *const *all = store_list(s->store, t->rt, t->ns, &n);

				while (i < n) {
					json_t *res;

					if (!selector_match(
						&sel, jpath(all[i]->doc, "metadata.labels")) ||
					    !fieldsel_match(&fs, all[i]->fields) ||
					    jpath(all[i]->doc, "metadata.deletionTimestamp")) {
						i++;
						continue;
					}
					res = delete_object(s, all[i], &d, &e);
					json_decref(res);
					apierr_clear(&e);
					all = store_list(s->store, t->rt, t->ns, &n);
				}
				selector_free(&sel);
				fieldsel_free(&fs);
				resp_json(out, 200, status_success(t->rt, NULL, NULL));
			}
		}
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (!o && !(str_eq(verb, "patch") && !t->sub &&
		    str_has_prefix(r->content_type ? r->content_type : "",
				   "application/apply-patch+yaml"))) {
		apierr_not_found(&e, t->rt, t->name);
		pthread_mutex_unlock(&s->lock);
		resp_err(out, &e);
		return;
	}
	if (t->sub && str_eq(t->sub, "log")) {
		if (!logs_open(s, o, r->path, &r->q, &e, out))
			resp_err(out, &e);
	} else if (t->sub && str_eq(t->sub, "scale")) {
		do_scale(s, r, t, o, out);
	} else if (str_eq(verb, "get")) {
		do_get(s, r, t, o, &neg, out);
	} else if (str_eq(verb, "update")) {
		do_update(s, r, t, o, out);
	} else if (str_eq(verb, "patch")) {
		do_patch(s, r, t, o, out);
	} else if (str_eq(verb, "delete")) {
		struct delopts d;
		json_t *res;

		if (t->sub) {
			api_error(
			    out, 405, "MethodNotAllowed",
			    "the server does not allow this method on the requested resource");
		} else if (!parse_delopts(r, &d, &e)) {
			resp_err(out, &e);
		} else if (!(res = delete_object(s, o, &d, &e))) {
			resp_err(out, &e);
		} else {
			resp_json(out, 200, res);
		}
	} else {
		api_error(out, 405, "MethodNotAllowed",
			  "the server does not allow this method on the requested resource");
	}
	pthread_mutex_unlock(&s->lock);
}

static void do_discovery(const struct req *r, char **seg, size_t n, struct resp *out)
{
	json_t *doc = NULL;

	if (!str_eq(r->method, "GET")) {
		api_error(out, 405, "MethodNotAllowed",
			  "the server does not allow this method on the requested resource");
		return;
	}
	if (n == 1 && str_eq(seg[0], "api"))
		doc = restype_api_versions();
	else if (n == 2 && str_eq(seg[0], "api"))
		doc = restype_resource_list("", seg[1]);
	else if (n == 1 && str_eq(seg[0], "apis"))
		doc = restype_group_list();
	else if (n == 3 && str_eq(seg[0], "apis"))
		doc = restype_resource_list(seg[1], seg[2]);
	else if (n == 2 && str_eq(seg[0], "apis")) {
		json_t *groups = restype_group_list(), *g;
		size_t i;

		json_array_foreach(json_object_get(groups, "groups"), i, g)
		{
			if (str_eq(jstr(g, "name", ""), seg[1])) {
				doc = json_deep_copy(g);
				json_object_set_new(doc, "kind", json_string("APIGroup"));
				json_object_set_new(doc, "apiVersion", json_string("v1"));
			}
		}
		json_decref(groups);
	}
	if (!doc) {
		api_error(out, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	resp_json(out, 200, doc);
}

/* POST to a review endpoint (review.h): answered at once, nothing stored. */
static void do_review(const struct req *r, const char *plural, struct resp *out)
{
	struct apierr e = {0};
	json_t *answer;

	if (!str_eq(r->method, "POST")) {
		api_error(out, 405, "MethodNotAllowed",
			  "the server does not allow this method on the requested resource");
		return;
	}
	if (str_eq(plural, "selfsubjectreviews"))
		answer = review_self(r);
	else if (str_eq(plural, "selfsubjectrulesreviews"))
		answer = review_rules(r, &e);
	else
		answer = review_access(r, &e);
	if (!answer)
		resp_err(out, &e);
	else
		resp_json(out, 201, answer);
}

void api_handle(struct sim *s, const struct req *r, struct resp *out)
{
	char *path = xstrdup(r->path);
	char *seg[16];
	size_t n = split_path(path, seg, ARRAY_LEN(seg));
	struct target t;
	size_t base;

	memset(&t, 0, sizeof(t));
	memset(out, 0, sizeof(*out));
	if (n == 1 && str_eq(seg[0], "version")) {
		resp_json(out, 200,
			  json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1",
				    "minor", "32", "gitVersion", "v1.32.0-kubesim", "gitCommit",
				    "0000000000000000000000000000000000000000", "gitTreeState",
				    "clean", "buildDate", "2025-01-01T00:00:00Z", "goVersion",
				    "go1.23.4", "compiler", "gc", "platform", "linux/amd64"));
		goto done;
	}
	if (n == 1 &&
	    (str_eq(seg[0], "healthz") || str_eq(seg[0], "readyz") || str_eq(seg[0], "livez"))) {
		out->code = 200;
		out->ctype = "text/plain";
		out->body = xstrdup("ok");
		out->len = 2;
		goto done;
	}
	if (n >= 1 && str_eq(seg[0], "openapi")) {
		json_t *doc = NULL;

		if (n == 2 && str_eq(seg[1], "v3")) {
			doc = openapi_index();
		} else if (n >= 3 && str_eq(seg[1], "v3")) {
			char gv[160] = "";

			for (size_t i = 2; i < n; i++)
				snprintf(gv + strlen(gv), sizeof(gv) - strlen(gv), "%s%s",
					 i > 2 ? "/" : "", seg[i]);
			doc = openapi_doc(gv);
		}
		if (!doc)
			api_error(out, 404, "NotFound",
				  "the server could not find the requested "
				  "resource");
		else
			resp_json(out, 200, doc);
		goto done;
	}
	if (n >= 1 && str_eq(seg[0], "sim")) {
		fault_handle(s, r, out);
		goto done;
	}
	if (n == 4 && str_eq(seg[0], "apis") && restype_is_review(seg[1], seg[2], seg[3])) {
		do_review(r, seg[3], out);
		goto done;
	}
	/* /api/v1/... or /apis/GROUP/VERSION/... */
	if (n >= 1 && str_eq(seg[0], "api") && n <= 2) {
		do_discovery(r, seg, n, out);
		goto done;
	}
	if (n >= 1 && str_eq(seg[0], "apis") && n <= 3) {
		do_discovery(r, seg, n, out);
		goto done;
	}
	if (n >= 3 && str_eq(seg[0], "api")) {
		base = 2;
		if (!str_eq(seg[1], "v1"))
			goto notfound;
	} else if (n >= 4 && str_eq(seg[0], "apis")) {
		base = 3;
	} else {
		goto notfound;
	}
	{
		const char *group = base == 2 ? "" : seg[1], *version = base == 2 ? seg[1] : seg[2];
		size_t rest = n - base;
		char **p = seg + base;

		if (rest >= 3 && str_eq(p[0], "namespaces") && restype_find(group, version, p[2]) &&
		    restype_find(group, version, p[2])->namespaced) {
			/* namespaces/NS/PLURAL[/NAME[/SUB]] */
			t.ns = p[1];
			t.rt = restype_find(group, version, p[2]);
			t.name = rest >= 4 ? p[3] : NULL;
			t.sub = rest >= 5 ? p[4] : NULL;
			if (rest > 5)
				goto notfound;
		} else {
			t.rt = restype_find(group, version, p[0]);
			if (!t.rt)
				goto notfound;
			t.name = rest >= 2 ? p[1] : NULL;
			t.sub = rest >= 3 ? p[2] : NULL;
			if (rest > 3)
				goto notfound;
			if (t.rt->namespaced && t.name)
				goto notfound; /* a namespaced item needs its namespace */
		}
		if (t.ns && valid_dns_label(t.ns)) {
			struct apierr e = {0};

			apierr_not_found(&e, restype_get(K_NAMESPACE), t.ns);
			resp_err(out, &e);
			goto done;
		}
		if (t.name && (strlen(t.name) > 253 || strchr(t.name, '\n'))) {
			struct apierr e = {0};

			apierr_not_found(&e, t.rt, t.name);
			resp_err(out, &e);
			goto done;
		}
		do_resource(s, r, &t, out);
		if (kafka_topic_aside(t.rt) && out->body && !out->watch) {
			size_t len;
			char *body = kafka_topic_rewrite(out->body, out->len, &len);

			free(out->body);
			out->body = body;
			out->len = len;
		}
		goto done;
	}
notfound:
	api_error(out, 404, "NotFound", "the server could not find the requested resource");
done:
	free(path);
}

bool api_preload_object(struct sim *s, const json_t *doc, struct err *err)
{
	const struct restype *rt =
	    restype_by_kind(jstr(doc, "apiVersion", NULL), jstr(doc, "kind", NULL));
	struct target t;
	struct apierr e = {0};
	struct obj *o;
	json_t *merged, *result = NULL, *dry = NULL;
	char now[32], msg[512];
	const char *ns = jstr(doc, "metadata.namespace", "default");

	memset(&t, 0, sizeof(t));
	if (!rt) {
		err_set(err, "%s %s is not a kind kubesim serves", jstr(doc, "apiVersion", "?"),
			jstr(doc, "kind", "?"));
		return false;
	}
	t.rt = rt;
	t.ns = rt->namespaced ? ns : NULL;
	t.name = jstr(doc, "metadata.name", NULL);
	if (!t.name) {
		err_set(err, "%s without metadata.name", rt->kind);
		return false;
	}
	if (!kinds_schema_check(rt, doc, msg, sizeof(msg))) {
		err_set(err, "%s %s: %s: field not declared in schema", rt->kind, t.name, msg);
		return false;
	}
	if (rt->namespaced && valid_dns_label(ns)) {
		err_set(err, "%s %s: bad namespace \"%s\"", rt->kind, t.name, ns);
		return false;
	}
	if (rt->namespaced && !store_get(s->store, restype_get(K_NAMESPACE), NULL, ns)) {
		json_t *nsdoc = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind",
					  "Namespace", "metadata", "name", ns);

		if (!api_preload_object(s, nsdoc, err)) {
			json_decref(nsdoc);
			return false;
		}
		json_decref(nsdoc);
	}
	now_str(now);
	o = store_get(s->store, rt, t.ns, t.name);
	merged = apply_merge(rt, o ? o->doc : NULL, doc, "kubesim-preload", true, now, &e);
	if (merged) {
		json_t *m = merged;

		if (!check_identity(&t, m, false, &e)) {
			json_decref(m);
		} else if (!o) {
			create_object(s, &t, m, "kubesim-preload", false, false, &e, &dry);
			json_decref(m);
			json_decref(dry);
		} else if (write_object(s, o, m, false, "kubesim-preload", NULL, false, false, &e,
					&result)) {
			json_decref(result);
		}
	}
	if (apierr_isset(&e)) {
		err_set(err, "%s %s: %s", rt->kind, t.name, e.msg);
		apierr_clear(&e);
		return false;
	}
	return true;
}
