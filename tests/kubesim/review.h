/* The review APIs, which store nothing: a POST is answered at once about
 * the caller. SelfSubjectReview (authentication.k8s.io/v1) says who the
 * caller is, as `kubectl auth whoami` asks; SelfSubjectAccessReview
 * (authorization.k8s.io/v1) says whether the caller may do something, as
 * `kubectl auth can-i` asks; SelfSubjectRulesReview lists what the caller
 * may do, as `kubectl auth can-i --list` asks.
 *
 * kubesim's authorisation is one rule, the same here as on every request
 * (api.c): the read-only token may get, list and watch; every other
 * credential may do anything. Bodies come as JSON or, from kubectl's typed
 * clients, as Kubernetes protobuf; answers are JSON (201 Created, the
 * request echoed with a status), which both accept. */
#ifndef OPSDECK_KUBESIM_REVIEW_H
#define OPSDECK_KUBESIM_REVIEW_H

#include <jansson.h>
#include <stdbool.h>

#include "api.h"
#include "status.h"

/* True if the read-only token may use verb (of a resource or a
 * non-resource path). */
bool review_readonly_may(const char *verb);

/* Who the caller is. */
json_t *review_self(const struct req *r);

/* The SelfSubjectAccessReview in the request's body (JSON or protobuf),
 * answered; NULL with e set for a body that is not one (400, 415, 422). */
json_t *review_access(const struct req *r, struct apierr *e);

/* A protobuf SelfSubjectAccessReview as the JSON object it stands for;
 * NULL with e set (400) if it cannot be read. */
json_t *review_access_from_protobuf(const void *body, size_t len, struct apierr *e);

/* The SelfSubjectRulesReview in the request's body (JSON or protobuf),
 * answered with the caller's rules (as `kubectl auth can-i --list` asks);
 * NULL with e set for a body that is not one. */
json_t *review_rules(const struct req *r, struct apierr *e);

/* A protobuf SelfSubjectRulesReview as the JSON object it stands for;
 * NULL with e set (400) if it cannot be read. */
json_t *review_rules_from_protobuf(const void *body, size_t len, struct apierr *e);

#endif
