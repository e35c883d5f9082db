#include "config.h"

#include "review.h"

#include <string.h>

#include "jutil.h"
#include "pbuf.h"

#define SSAR_API_VERSION "authorization.k8s.io/v1"
#define SSAR_KIND "SelfSubjectAccessReview"
#define SSRR_KIND "SelfSubjectRulesReview"

bool review_readonly_may(const char *verb)
{
	return str_eq(verb, "get") || str_eq(verb, "list") || str_eq(verb, "watch");
}

json_t *review_self(const struct req *r)
{
	json_t *groups = json_array();

	for (size_t i = 0; i < r->ngroups; i++)
		json_array_append_new(groups, json_string(r->groups[i]));
	return json_pack("{s:s, s:s, s:{s:n}, s:{s:{s:s, s:o}}}", "kind", "SelfSubjectReview",
			 "apiVersion", "authentication.k8s.io/v1", "metadata", "creationTimestamp",
			 "status", "userInfo", "username", r->user ? r->user : "system:anonymous",
			 "groups", groups);
}

/* ---- protobuf ---- */

/* The string fields of ResourceAttributes and NonResourceAttributes, by
 * field number (generated.proto of k8s.io/api/authorization/v1). */
static const char *const resource_fields[] = {NULL,	 "namespace", "verb",	     "group",
					      "version", "resource",  "subresource", "name"};
static const char *const nonresource_fields[] = {NULL, "path", "verb"};

/* Reads a message of string fields into a JSON object (empty strings are
 * left out, as JSON's omitempty does); other fields are skipped. */
static json_t *pb_strings(const unsigned char *data, size_t len, const char *const *names,
			  size_t nnames, struct err *err)
{
	struct pb_reader rd;
	struct pb_field f;
	json_t *o = json_object();
	int rc;

	pb_reader_init(&rd, data, len);
	while ((rc = pb_next(&rd, &f, err)) > 0) {
		char *s;

		if (f.num >= nnames || !names[f.num] || f.wire != PB_BYTES || f.len == 0)
			continue;
		if (memchr(f.data, 0, f.len)) {
			err_set(err, "protobuf: field %s holds a NUL byte", names[f.num]);
			rc = -1;
			break;
		}
		s = xstrndup((const char *)f.data, f.len);
		json_object_set_new(o, names[f.num], json_string(s));
		free(s);
		if (!json_object_get(o, names[f.num])) {
			err_set(err, "protobuf: field %s is not UTF-8", names[f.num]);
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* SelfSubjectAccessReview: 1 metadata, 2 spec {1 resourceAttributes,
 * 2 nonResourceAttributes}, 3 status (ignored: the server sets it). */
json_t *review_access_from_protobuf(const void *body, size_t len, struct apierr *e)
{
	struct err err = {{0}};
	struct pb_object obj;
	struct pb_reader rd, sp;
	struct pb_field f, g;
	json_t *spec = json_object(), *attrs;
	int rc;

	if (!pb_unwrap(body, len, &obj, &err))
		goto bad;
	if (!str_eq(obj.api_version, SSAR_API_VERSION) || !str_eq(obj.kind, SSAR_KIND)) {
		err_set(&err, "protobuf: expected %s %s, got %s %s", SSAR_API_VERSION, SSAR_KIND,
			obj.api_version, obj.kind);
		goto bad;
	}
	pb_reader_init(&rd, obj.raw, obj.raw_len);
	while ((rc = pb_next(&rd, &f, &err)) > 0) {
		if (f.num != 2 || f.wire != PB_BYTES)
			continue;
		pb_reader_init(&sp, f.data, f.len);
		while ((rc = pb_next(&sp, &g, &err)) > 0) {
			if (g.wire != PB_BYTES || (g.num != 1 && g.num != 2))
				continue;
			attrs = g.num == 1 ? pb_strings(g.data, g.len, resource_fields,
							ARRAY_LEN(resource_fields), &err)
					   : pb_strings(g.data, g.len, nonresource_fields,
							ARRAY_LEN(nonresource_fields), &err);
			if (!attrs)
				goto bad;
			json_object_set_new(
			    spec, g.num == 1 ? "resourceAttributes" : "nonResourceAttributes",
			    attrs);
		}
		if (rc < 0)
			goto bad;
	}
	if (rc < 0)
		goto bad;
	return json_pack("{s:s, s:s, s:{s:n}, s:o}", "kind", SSAR_KIND, "apiVersion",
			 SSAR_API_VERSION, "metadata", "creationTimestamp", "spec", spec);
bad:
	json_decref(spec);
	apierr_bad_request(e, "%s", err.msg);
	return NULL;
}

/* SelfSubjectRulesReview: 1 metadata, 2 spec {1 namespace}, 3 status
 * (ignored). */
json_t *review_rules_from_protobuf(const void *body, size_t len, struct apierr *e)
{
	static const char *const spec_fields[] = {NULL, "namespace"};
	struct err err = {{0}};
	struct pb_object obj;
	struct pb_reader rd;
	struct pb_field f;
	json_t *spec = json_object();
	int rc;

	if (!pb_unwrap(body, len, &obj, &err))
		goto bad;
	if (!str_eq(obj.api_version, SSAR_API_VERSION) || !str_eq(obj.kind, SSRR_KIND)) {
		err_set(&err, "protobuf: expected %s %s, got %s %s", SSAR_API_VERSION, SSRR_KIND,
			obj.api_version, obj.kind);
		goto bad;
	}
	pb_reader_init(&rd, obj.raw, obj.raw_len);
	while ((rc = pb_next(&rd, &f, &err)) > 0) {
		if (f.num != 2 || f.wire != PB_BYTES)
			continue;
		json_decref(spec);
		spec = pb_strings(f.data, f.len, spec_fields, ARRAY_LEN(spec_fields), &err);
		if (!spec)
			goto bad;
	}
	if (rc < 0)
		goto bad;
	return json_pack("{s:s, s:s, s:{s:n}, s:o}", "kind", SSRR_KIND, "apiVersion",
			 SSAR_API_VERSION, "metadata", "creationTimestamp", "spec", spec);
bad:
	json_decref(spec);
	apierr_bad_request(e, "%s", err.msg);
	return NULL;
}

/* ---- the answer ---- */

static json_t *body_of(const struct req *r, const char *kind, struct apierr *e)
{
	json_error_t je;
	json_t *doc;

	if (r->content_type && str_has_prefix(r->content_type, PB_MEDIA_TYPE))
		return str_eq(kind, SSRR_KIND)
			   ? review_rules_from_protobuf(r->body, r->body_len, e)
			   : review_access_from_protobuf(r->body, r->body_len, e);
	if (r->content_type && *r->content_type &&
	    !str_has_prefix(r->content_type, "application/json")) {
		apierr_set(e, 415, "UnsupportedMediaType",
			   "the body of the request was in an unknown format - accepted media "
			   "types include: application/json, " PB_MEDIA_TYPE);
		return NULL;
	}
	if (!r->body || r->body_len == 0) {
		apierr_bad_request(e, "the request body is empty");
		return NULL;
	}
	doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(doc)) {
		json_decref(doc);
		apierr_bad_request(e,
				   "the object provided is unrecognized (must be a JSON object of "
				   "kind %s)",
				   kind);
		return NULL;
	}
	return doc;
}

/* Exactly one kind of attributes, each an object of strings; the words
 * are the real server's (pkg/apis/authorization/validation). */
static bool valid_spec(const json_t *spec, struct apierr *e)
{
	const json_t *ra = json_object_get(spec, "resourceAttributes");
	const json_t *na = json_object_get(spec, "nonResourceAttributes");
	const char *field = NULL, *why = NULL;
	const char *key;
	json_t *v;

	if (ra && na) {
		field = "spec.nonResourceAttributes";
		why = "cannot be specified in combination with resourceAttributes";
	} else if (!ra && !na) {
		field = "spec.resourceAttributes";
		why =
		    "exactly one of nonResourceAttributes or resourceAttributes must be specified";
	} else if (!json_is_object(ra ? ra : na)) {
		field = ra ? "spec.resourceAttributes" : "spec.nonResourceAttributes";
		why = "must be an object";
	} else {
		json_object_foreach((json_t *)(ra ? ra : na), key, v)
		{
			if (!json_is_string(v) && !json_is_object(v)) {
				field =
				    ra ? "spec.resourceAttributes" : "spec.nonResourceAttributes";
				why = "holds a value that is neither text nor an object";
			}
		}
	}
	if (!field)
		return true;
	apierr_set(e, 422, "Invalid", SSAR_KIND ".authorization.k8s.io \"\" is invalid: %s: %s",
		   field, why);
	e->details = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "name", "", "group",
			       "authorization.k8s.io", "kind", SSAR_KIND, "causes", "reason",
			       "FieldValueInvalid", "message", why, "field", field);
	return false;
}

json_t *review_access(const struct req *r, struct apierr *e)
{
	json_t *doc = body_of(r, SSAR_KIND, e), *spec, *attrs, *answer;
	const char *verb;
	bool allowed;

	if (!doc)
		return NULL;
	spec = json_object_get(doc, "spec");
	if (!json_is_object(spec)) {
		json_decref(doc);
		apierr_set(e, 422, "Invalid",
			   SSAR_KIND ".authorization.k8s.io \"\" is invalid: spec: Required value");
		return NULL;
	}
	if (!valid_spec(spec, e)) {
		json_decref(doc);
		return NULL;
	}
	attrs = json_object_get(spec, "resourceAttributes");
	if (!attrs)
		attrs = json_object_get(spec, "nonResourceAttributes");
	verb = jstr(attrs, "verb", "");
	allowed = !r->readonly || review_readonly_may(verb);
	answer = json_pack("{s:s, s:s, s:{s:n}, s:O, s:{s:b}}", "kind", SSAR_KIND, "apiVersion",
			   SSAR_API_VERSION, "metadata", "creationTimestamp", "spec", spec,
			   "status", "allowed", allowed);
	jset(answer, "status", "reason",
	     json_string(allowed ? (r->readonly ? "kubesim: the read-only token may read"
						: "kubesim: this credential may do anything")
				 : "kubesim: the read-only token may only get, list and watch"));
	json_decref(doc);
	return answer;
}

/* The rules kubesim's one authorisation rule amounts to, in the shape the
 * real RBAC rule resolver answers: everything for full access, get, list
 * and watch for the read-only token; every authenticated user may also
 * create the self reviews and get the discovery paths, as the default
 * roles (system:basic-user, system:discovery) allow. */
json_t *review_rules(const struct req *r, struct apierr *e)
{
	json_t *doc = body_of(r, SSRR_KIND, e), *spec, *res, *nonres, *answer;

	if (!doc)
		return NULL;
	spec = json_object_get(doc, "spec");
	if (spec && !json_is_object(spec)) {
		json_decref(doc);
		apierr_bad_request(e, "spec must be an object");
		return NULL;
	}
	res = json_array();
	nonres = json_array();
	if (r->readonly) {
		json_array_append_new(res,
				      json_pack("{s:[s,s,s], s:[s], s:[s]}", "verbs", "get", "list",
						"watch", "apiGroups", "*", "resources", "*"));
	} else {
		json_array_append_new(res, json_pack("{s:[s], s:[s], s:[s]}", "verbs", "*",
						     "apiGroups", "*", "resources", "*"));
		json_array_append_new(
		    nonres, json_pack("{s:[s], s:[s]}", "verbs", "*", "nonResourceURLs", "*"));
	}
	json_array_append_new(res,
			      json_pack("{s:[s], s:[s], s:[s,s]}", "verbs", "create", "apiGroups",
					"authorization.k8s.io", "resources",
					"selfsubjectaccessreviews", "selfsubjectrulesreviews"));
	json_array_append_new(res, json_pack("{s:[s], s:[s], s:[s]}", "verbs", "create",
					     "apiGroups", "authentication.k8s.io", "resources",
					     "selfsubjectreviews"));
	json_array_append_new(nonres, json_pack("{s:[s], s:[s,s,s,s,s,s,s,s,s,s,s]}", "verbs",
						"get", "nonResourceURLs", "/api", "/api/*", "/apis",
						"/apis/*", "/healthz", "/livez", "/openapi",
						"/openapi/*", "/readyz", "/version", "/version/"));
	answer = json_pack("{s:s, s:s, s:{s:n}, s:O, s:{s:o, s:o, s:b}}", "kind", SSRR_KIND,
			   "apiVersion", SSAR_API_VERSION, "metadata", "creationTimestamp", "spec",
			   spec ? spec : json_object(), "status", "resourceRules", res,
			   "nonResourceRules", nonres, "incomplete", false);
	json_decref(doc);
	return answer;
}
