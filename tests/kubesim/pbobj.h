/* Kubernetes protobuf request bodies (the "k8s\0" envelope around a
 * runtime.Unknown) for the kinds `kubectl create` and typed clients send
 * that way -- Namespace, ConfigMap, Secret, Service, Pod, Deployment and
 * Job -- read into the JSON object the same request would have carried, so
 * that the rest of kubesim sees no difference. Fields the server sets
 * (status, managedFields, timestamps) and the parts of a pod spec kubectl's
 * generators never fill (volumes, probes, affinity) are skipped; empty
 * strings, zero plain numbers and false are left out, as JSON's omitempty
 * does. */
#ifndef OPSDECK_KUBESIM_PBOBJ_H
#define OPSDECK_KUBESIM_PBOBJ_H

#include <jansson.h>
#include <stddef.h>

#include "status.h"

/* The object in body, or NULL with e set: 415 UnsupportedMediaType for a
 * kind it does not read, 400 for bytes that are not a well-formed one. */
json_t *pbobj_decode(const void *body, size_t len, struct apierr *e);

#endif
