/* The Kubernetes API on top of the HTTP client: resource paths, Status
 * errors in words, and the operations opsdeck uses (list with pagination,
 * get, create, server-side apply, merge patch, delete, the scale subresource
 * and pod logs).
 *
 * Every operation is asynchronous: it returns a handle at once (NULL with err
 * set for a bad argument, such as a name that is not a valid Kubernetes
 * name) and calls its function once from the loop, unless cancelled first.
 * A result is either a JSON object or an error sentence, made from the
 * server's Status where there is one:
 *   namespaces "store-x" not found
 *   Forbidden: User "alice" cannot list resource "pods" in API group "" in
 *   the namespace "ref"
 * Server text is cleaned of control characters before it reaches a message. */
#ifndef OPSDECK_KUBE_API_H
#define OPSDECK_KUBE_API_H

#include <jansson.h>
#include <stdbool.h>

#include "buf.h"
#include "kube/http.h"
#include "util.h"

#define KUBE_FIELD_MANAGER "opsdeck"
#define KUBE_LIST_PAGE 500

struct kube_resource {
	const char *group; /* "" for the core group */
	const char *version;
	const char *plural;
	const char *kind;
	bool namespaced;
};

extern const struct kube_resource kube_res_namespaces;
extern const struct kube_resource kube_res_pods;
extern const struct kube_resource kube_res_services;
extern const struct kube_resource kube_res_secrets;
extern const struct kube_resource kube_res_configmaps;
extern const struct kube_resource kube_res_pvcs;
extern const struct kube_resource kube_res_resourcequotas;
extern const struct kube_resource kube_res_events;
extern const struct kube_resource kube_res_deployments;
extern const struct kube_resource kube_res_statefulsets;
extern const struct kube_resource kube_res_replicasets;
extern const struct kube_resource kube_res_ingresses;
extern const struct kube_resource kube_res_networkpolicies;
extern const struct kube_resource kube_res_kafkatopics;

/* By plural ("deployments"), kind ("Deployment", any case) or short name
 * ("deploy", "sts", "ns", "po", "svc"...); NULL if unknown. */
const struct kube_resource *kube_resource_lookup(const char *name);
/* By apiVersion and kind, as written in a manifest; NULL if unknown. */
const struct kube_resource *kube_resource_for(const char *api_version, const char *kind);

/* A DNS-1123 subdomain (object names) and label (namespaces). */
bool kube_valid_name(const char *name);
bool kube_valid_namespace(const char *ns);

/* Appends the path of a collection (name NULL) or of an object, and of a
 * subresource ("scale", "log", "status"). ns NULL for a namespaced resource
 * means all namespaces (collections only); a cluster-scoped resource takes
 * no namespace. */
bool kube_path(struct buf *out, const struct kube_resource *res, const char *ns, const char *name,
	       const char *sub, struct err *err);
/* Appends "?key=value" or "&key=value", percent-encoding the value. */
void kube_query(struct buf *path, const char *key, const char *value);

/* A Status object from an error answer. */
struct kube_status {
	long code;
	char reason[64];   /* NotFound, AlreadyExists, Forbidden, Expired... */
	char message[400]; /* cleaned of control characters */
};
/* True if body is a Status object; fills st. */
bool kube_status_parse(const char *body, size_t len, struct kube_status *st);
/* The sentence for a non-2xx answer, from its Status or, failing that, from
 * the HTTP status and the first line of a short text body. */
void kube_error_describe(long http_status, const char *body, size_t len, struct err *err);

struct kube_result {
	long status;	    /* HTTP status; 0 without an answer */
	json_t *obj;	    /* the answer on success; borrowed: json_incref() to keep */
	const char *reason; /* the Status reason on failure ("NotFound"), or "" */
	struct err err;	    /* set on failure */
};

static inline bool kube_result_ok(const struct kube_result *r)
{
	return !err_isset(&r->err);
}

typedef void (*kube_result_fn)(const struct kube_result *res, void *ud);

struct kube_op;
/* Stops an operation; its function is not called. */
void kube_op_cancel(struct kube_op *op);

/* Hands op an answer as if its request had ended with it, on a client
 * whose loop is not running: for tests and the fuzz target. */
void kube_op_feed(struct kube_op *op, struct kube_response *resp);

/* Any request whose answer is a JSON object (discovery, /version...). */
struct kube_op *kube_call(struct kube_http *h, const char *method, const char *path,
			  const char *body, size_t body_len, const char *content_type,
			  kube_result_fn fn, void *ud, struct err *err);

/* A list's page, as it arrives: its items (borrowed; take a reference to
 * keep one) and the list's ud. May cancel the list. */
typedef void (*kube_page_fn)(json_t *items, void *ud);

struct kube_list_opts {
	const char *label_selector;
	const char *field_selector;
	long limit;	     /* page size; 0: KUBE_LIST_PAGE */
	kube_page_fn page_fn; /* NULL: the whole list only */
	/* Items as PartialObjectMetadata: their metadata only, never a
	 * Secret's data. */
	bool metadata_only;
};

/* Lists every page (following continue tokens; an expired token restarts
 * the list once) and answers one object: {"kind": "<Kind>List",
 * "metadata": {"resourceVersion": …}, "items": [all items]}. */
struct kube_op *kube_list(struct kube_http *h, const struct kube_resource *res, const char *ns,
			  const struct kube_list_opts *opts, kube_result_fn fn, void *ud,
			  struct err *err);
struct kube_op *kube_get(struct kube_http *h, const struct kube_resource *res, const char *ns,
			 const char *name, kube_result_fn fn, void *ud, struct err *err);
/* POST of obj (its metadata.name is checked); the answer is the created object. */
struct kube_op *kube_create(struct kube_http *h, const struct kube_resource *res, const char *ns,
			    const json_t *obj, kube_result_fn fn, void *ud, struct err *err);
/* Server-side apply of a YAML or JSON manifest: PATCH with
 * application/apply-patch+yaml, fieldManager=opsdeck, force=true. */
struct kube_op *kube_apply(struct kube_http *h, const struct kube_resource *res, const char *ns,
			   const char *name, const char *manifest, size_t len, kube_result_fn fn,
			   void *ud, struct err *err);
/* JSON merge patch (RFC 7386) of an object or of a subresource (sub NULL:
 * the object itself). */
struct kube_op *kube_merge_patch(struct kube_http *h, const struct kube_resource *res,
				 const char *ns, const char *name, const char *sub,
				 const json_t *patch, kube_result_fn fn, void *ud, struct err *err);
/* propagation: "Foreground", "Background", "Orphan" or NULL (the server's
 * default). */
struct kube_op *kube_delete(struct kube_http *h, const struct kube_resource *res, const char *ns,
			    const char *name, const char *propagation, kube_result_fn fn, void *ud,
			    struct err *err);
struct kube_op *kube_scale_get(struct kube_http *h, const struct kube_resource *res, const char *ns,
			       const char *name, kube_result_fn fn, void *ud, struct err *err);
struct kube_op *kube_scale_set(struct kube_http *h, const struct kube_resource *res, const char *ns,
			       const char *name, long replicas, kube_result_fn fn, void *ud,
			       struct err *err);

struct kube_log_opts {
	const char *container; /* NULL: the pod's only container */
	bool follow;
	bool timestamps;
	bool previous;
	long tail_lines;	/* < 0: all */
	const char *since_time; /* RFC 3339, or NULL */
	long since_seconds;	/* 0: none */
	long limit_bytes;	/* 0: none */
	long timeout_ms;	/* for the answer's headers; 0: the client's default */
};

/* Streams a pod's log: each line goes to on_line as it comes; fn is called
 * at the end (obj NULL), with err set if the stream failed or was refused
 * (a bad container: `container nope is not valid for pod web-1`). */
struct kube_op *kube_logs(struct kube_http *h, const char *ns, const char *pod,
			  const struct kube_log_opts *opts, kube_line_fn on_line, kube_result_fn fn,
			  void *ud, struct err *err);

#endif
