/* The objects a store's offering's template says the store's namespace
 * holds, and which of them a cluster lacks: the reconcile pass's check
 * against the template (provision/reconcile.h). Pure code.
 *
 *  - The template is rendered as the provisioning job renders it, with the
 *    store's own values (provision/storevars.h); the generated secrets
 *    take a stand-in value, as none may name an object.
 *  - Only kinds that stay until deleted are expected (Deployment,
 *    Service, Secret...): the cluster itself removes Pods, Events,
 *    ReplicaSets and finished Jobs, so their absence says nothing.
 *  - An object is missing when the namespace's objects of its resource, as
 *    listed, have none of its name. Objects of a resource whose list
 *    failed (a kind the cluster does not serve, a refused or lost request)
 *    are not judged: an error is not an absence. */
#ifndef OPSDECK_PROVISION_EXPECTED_H
#define OPSDECK_PROVISION_EXPECTED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "db/jobs.h"
#include "kube/api.h"
#include "util.h"

struct expected_object {
	const struct kube_resource *res;
	char name[254];
	bool missing; /* at the last expected_missing */
};

struct expected_objects {
	struct expected_object *v;
	size_t n;
};

/* The annotation on a store's namespace that the provision job sets to
 * the digest of the objects it expects the namespace to hold (as
 * expected_digest gives it): a pass judges the namespace by the template
 * it was given, not by one imported since. */
#define EXPECTED_ANNOTATION "opsdeck.io/template"
#define EXPECTED_DIGEST_LEN 16

/* Is kind (as a template writes it) one whose objects stay until deleted? */
bool expected_kind_lasts(const char *kind);

/* Every object of a rendered array that the job applies (one that
 * render_manifest_target accepts; the job fails on any other) and whose
 * kind lasts. out is emptied first. */
void expected_from_manifests(const json_t *manifests, struct expected_objects *out);

/* Renders st's template for a store served at https://<id>.<domain> and
 * keeps what it names. False with err set (never a secret) when it does
 * not render. */
bool expected_for_store(const struct job_store *st, const char *domain,
			struct expected_objects *out, struct err *err);

void expected_free(struct expected_objects *e);

/* EXPECTED_DIGEST_LEN hex digits that change when the objects of e (their
 * resources and names, in order) do; not a secret's hash: no value of
 * the template is in it. */
void expected_digest(const struct expected_objects *e, char *out, size_t outsz);

/* Each offering's template from an answer of job_req_stores, which gives
 * it on the first row of that offering only (rows in id order). */
struct expected_templates {
	struct {
		char *offering, *text;
	} *v;
	size_t n, cap;
};

/* The template of a row of offering `offering` whose template column is
 * row_text (NULL after the offering's first row): row_text, kept for the
 * rows after it, or the one kept from an earlier row; NULL when no row
 * before gave it. Call it for every row, in order, before skipping any. */
const char *expected_template_of(struct expected_templates *t, const char *offering,
				 const char *row_text);
void expected_templates_free(struct expected_templates *t);

/* Is res among the resources of e? */
bool expected_uses(const struct expected_objects *e, const struct kube_resource *res);
bool expected_same_resource(const struct kube_resource *a, const struct kube_resource *b);

/* "deployment/wordpress", "persistentvolumeclaim/mysql-pvc" */
void expected_object_name(const struct expected_object *o, char *out, size_t outsz);

/* What the namespace holds of resource res: its objects as a JSON array
 * (NULL: none), with *listed = true; or *listed = false when they could
 * not be listed. */
typedef const json_t *(*expected_items_fn)(void *ud, const struct kube_resource *res, bool *listed);

/* Appends the name of every object of e that items does not hold, in
 * template order, separated by ", ", to missing, and returns how many;
 * *unjudged gets how many objects could not be judged (their resource
 * not listed). Each object's missing flag says whether it was missing.
 * again: only the objects missing at the call before are looked for (a
 * second look confirms what the first saw, nothing new). */
size_t expected_missing(struct expected_objects *e, expected_items_fn items, void *ud, bool again,
			struct buf *missing, size_t *unjudged);

#endif
