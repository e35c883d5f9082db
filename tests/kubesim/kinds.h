/* Per-kind knowledge: the defaults the real API server fills in, the
 * validation it applies (422 Invalid with field causes), and the schema
 * check server-side apply performs ("field not declared in schema"). */
#ifndef OPSDECK_KUBESIM_KINDS_H
#define OPSDECK_KUBESIM_KINDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "restype.h"
#include "sim.h"
#include "status.h"

/* Fills defaults into doc in place. old is the stored object on an update
 * (NULL on create): allocated values such as a Service's clusterIP carry
 * over. Idempotent: defaulting a defaulted object changes nothing. */
void kinds_default(struct sim *s, const struct restype *rt, json_t *doc, const json_t *old);
/* False with a 422 in e if doc is invalid (s: what is allocated already,
 * such as node ports). */
bool kinds_validate(struct sim *s, const struct restype *rt, const json_t *doc, const json_t *old,
		    struct apierr *e);
/* False with the path of the first unknown field in msg, e.g.
 * ".spec.template.spec.containers[name=\"web\"].ports[containerPort=80,protocol=\"TCP\"].protocl".
 */
bool kinds_schema_check(const struct restype *rt, const json_t *doc, char *msg, size_t n);
/* in[0..n) in standard base64 (allocated), as Secret data is written. */
char *kinds_base64(const char *in, size_t n);
/* The pod template hash of a workload's template (the pod-template-hash label). */
void kinds_template_hash(const json_t *tmpl, char out[16]);

#endif
