/* Kubernetes protobuf request bodies (the "k8s\0" envelope around a
 * runtime.Unknown) for the kinds `kubectl create` sends that way --
 * Namespace, ConfigMap and Secret -- read into the JSON object the same
 * request would have carried, so that the rest of kubesim sees no
 * difference. Fields kubesim does not keep (managedFields, timestamps) are
 * skipped; empty strings are left out, as JSON's omitempty does. */
#ifndef OPSDECK_KUBESIM_PBOBJ_H
#define OPSDECK_KUBESIM_PBOBJ_H

#include <jansson.h>
#include <stddef.h>

#include "status.h"

/* The object in body, or NULL with e set: 415 UnsupportedMediaType for a
 * kind it does not read, 400 for bytes that are not a well-formed one. */
json_t *pbobj_decode(const void *body, size_t len, struct apierr *e);

#endif
