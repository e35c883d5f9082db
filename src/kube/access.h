/* What the API server says about the caller: who it is (SelfSubjectReview,
 * authentication.k8s.io/v1, what `kubectl auth whoami` asks) and whether it
 * may do something (SelfSubjectAccessReview, authorization.k8s.io/v1, what
 * `kubectl auth can-i` asks). Asking needs no permission of its own: every
 * authenticated user may ask about themself.
 *
 * Contract:
 *  - Both are asynchronous on the client's loop: the start function returns
 *    a handle at once (NULL with err set only for a bad argument) and the
 *    function is called once from the loop, never from inside the start
 *    function, unless kube_access_cancel() comes first.
 *  - Each has a deadline of its own (timeout_ms; 0: KUBE_ACCESS_TIMEOUT_MS)
 *    covering the whole exchange, whatever the client's retry policy:
 *    when it passes the request is cancelled and the answer is an error
 *    saying so.
 *  - Text from the server is cleaned of control characters. */
#ifndef OPSDECK_KUBE_ACCESS_H
#define OPSDECK_KUBE_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/http.h"
#include "util.h"

#define KUBE_ACCESS_TIMEOUT_MS 10000
#define KUBE_IDENTITY_MAX_GROUPS 16

/* The question: may I VERB the RESOURCE (of GROUP), or its SUBRESOURCE, in
 * NAMESPACE, named NAME? */
struct kube_access_attrs {
	const char *verb;	 /* get, list, watch, create, patch, update, delete... */
	const char *group;	 /* "" or NULL: the core group */
	const char *resource;	 /* plural: "deployments" */
	const char *subresource; /* NULL: the object itself */
	const char *namespace;	 /* NULL: in every namespace */
	const char *name;	 /* NULL: any object */
};

struct kube_access_answer {
	long status;	  /* HTTP status; 0 without an answer */
	bool allowed;	  /* status.allowed */
	bool denied;	  /* status.denied: refused outright, not just not allowed */
	char reason[256]; /* the authoriser's words, or "" */
	struct err err;	  /* set when the question got no answer */
};
typedef void (*kube_access_fn)(const struct kube_access_answer *a, void *ud);

struct kube_identity {
	long status; /* HTTP status; 0 without an answer */
	bool served; /* false: the server has no SelfSubjectReview (before 1.28) */
	char username[256];
	char groups[KUBE_IDENTITY_MAX_GROUPS][128]; /* the first ones, if there are more */
	size_t ngroups;
	struct err err; /* set when there is no identity (401: not authenticated) */
};
typedef void (*kube_identity_fn)(const struct kube_identity *id, void *ud);

struct kube_access_op;

/* Asks whether the caller may do what attrs says. NULL with err set if
 * attrs has no verb or no resource. */
struct kube_access_op *kube_access_review(struct kube_http *h,
					  const struct kube_access_attrs *attrs, long timeout_ms,
					  kube_access_fn fn, void *ud, struct err *err);

/* Asks who the caller is. A server without SelfSubjectReview answers with
 * served false and no error. */
struct kube_access_op *kube_access_whoami(struct kube_http *h, long timeout_ms, kube_identity_fn fn,
					  void *ud, struct err *err);

/* Stops a question; its function is not called. NULL is ignored. */
void kube_access_cancel(struct kube_access_op *op);

/* "create namespaces", "patch deployments/scale": the question in
 * words, as the answers of doctor list them. */
void kube_access_describe(const struct kube_access_attrs *attrs, char *buf, size_t bufsz);

#endif
