/* Server-side apply and field ownership (metadata.managedFields).
 *
 * A manager's fields are a set of paths in the fieldsV1 notation
 * ("f:spec", "k:{\"name\":\"web\"}"). Apply merges the configuration into
 * the live object (lists with merge keys by key, others replaced), removes
 * the fields the same manager applied before but no longer does (unless
 * another manager owns them), and refuses to change a field another manager
 * owns unless force is set (409 Conflict naming the manager and the paths).
 * Updates and patches move ownership of every field they change to their
 * manager. */
#ifndef OPSDECK_KUBESIM_APPLY_H
#define OPSDECK_KUBESIM_APPLY_H

#include <jansson.h>
#include <stdbool.h>

#include "restype.h"
#include "status.h"

/* The object after `manager` applies `config` onto `cur` (NULL: the object
 * does not exist yet), managedFields updated, before defaulting and
 * validation. NULL with e set on a conflict or a bad configuration. */
json_t *apply_merge(const struct restype *rt, const json_t *cur, const json_t *config,
		    const char *manager, bool force, const char *now, struct apierr *e);
/* Records an Update (create, update, patch; subresource may be NULL) by
 * manager on newdoc: the fields that differ from olddoc (NULL: all fields)
 * become manager's. */
void apply_track_update(json_t *newdoc, const json_t *olddoc, const char *manager,
			const char *subresource, const char *api_version, const char *now);
/* Whether a and b are the same object apart from managedFields times and
 * the resourceVersion: an apply that produced this changed nothing. */
bool apply_same(const json_t *a, const json_t *b);

/* As API servers before 1.21 (structured-merge-diff before its fix for
 * defaulted keys) refuse it: false, with e set to their HTTP 500, when a
 * Service or container port in config omits one of its list-map keys
 * (protocol, most often). */
bool apply_check_list_keys(const json_t *config, struct apierr *e);

/* The fieldsV1 path set of a value (exposed for the unit tests). */
json_t *apply_fieldset(const json_t *v);
/* The fieldsV1 tree of a path set. */
json_t *apply_fields_tree(const json_t *set, bool dots);

#endif
