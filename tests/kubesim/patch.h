/* The three PATCH flavours of the API: JSON merge patch (RFC 7386),
 * strategic merge patch for the built-in kinds (lists such as containers,
 * ports, env and volumes merge by key; $patch and
 * $deleteFromPrimitiveList directives; $setElementOrder and $retainKeys are
 * accepted and ignored), and JSON patch (RFC 6902). Every function returns a
 * new document and leaves its inputs untouched. */
#ifndef OPSDECK_KUBESIM_PATCH_H
#define OPSDECK_KUBESIM_PATCH_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

json_t *patch_merge(const json_t *target, const json_t *patch);
json_t *patch_strategic(const json_t *target, const json_t *patch, struct err *err);
json_t *patch_json(const json_t *target, const json_t *ops, struct err *err);

/* The keys that identify an item of the list field `field` (NULL-terminated),
 * or NULL when that list is atomic (replaced as a whole). */
const char *const *patch_list_keys(const char *field);
/* The same for the list value(s) a and b (either may be NULL) of `field`: a
 * "ports" list of a Service (items with port, none with containerPort) is
 * keyed by port and protocol, a container's by containerPort and protocol,
 * as the API's list-map keys say. */
const char *const *patch_list_keys_for(const char *field, const json_t *a, const json_t *b);

#endif
