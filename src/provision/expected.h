/* The objects a store's offering's template says the store's namespace
 * holds, and which of them a cluster lacks: the reconcile pass's check
 * against the template (provision/reconcile.h). Pure code.
 *
 *  - The template is rendered as the provisioning job renders it, with the
 *    store's own values (provision/storevars.h); the generated secrets
 *    take a stand-in value, as none may name an object.
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
};

struct expected_objects {
	struct expected_object *v;
	size_t n;
};

/* Every object of a rendered array that the job applies (one that
 * render_manifest_target accepts; the job fails on any other). out is
 * emptied first. */
void expected_from_manifests(const json_t *manifests, struct expected_objects *out);

/* Renders st's template for a store served at https://<id>.<domain> and
 * keeps what it names. False with err set (never a secret) when it does
 * not render. */
bool expected_for_store(const struct job_store *st, const char *domain,
			struct expected_objects *out, struct err *err);

void expected_free(struct expected_objects *e);

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
 * not listed). */
size_t expected_missing(const struct expected_objects *e, expected_items_fn items, void *ud,
			struct buf *missing, size_t *unjudged);

#endif
