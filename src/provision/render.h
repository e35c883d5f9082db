/* Catalog templates → the Kubernetes objects of one store, as JSON ready for
 * server-side apply. Pure code: no I/O, no cluster, no database.
 *
 * Rendering contract:
 *  - The template is a whole catalog file (as stored in
 *    opsdeck.offerings.template). It is checked again with
 *    catalog_file_parse() first, so only what `catalog import` accepts
 *    renders; then its `manifests` are turned into a JSON array, in file
 *    order.
 *  - Placeholders are substituted inside scalar values of the parsed YAML
 *    tree only, with catalog_expand(), in one pass: a value that contains
 *    `{{` is copied as it is, never expanded again, and no value can add a
 *    key, an item or a document.
 *  - Plain scalars are typed by the YAML 1.2 core schema from the template's
 *    text (before substitution): null, true/false, integers (also 0o17,
 *    0x1f), floats; quoted and block scalars, and any scalar holding a
 *    placeholder, are strings. A scalar that is exactly one numeric
 *    placeholder (`"{{ plan.replicas }}"`) becomes a JSON integer. Only
 *    placeholders declared numeric do this: a store id or name made only of
 *    digits stays a string (a label must be one).
 *  - Every object gets metadata.namespace = ns (a template naming another
 *    namespace is refused) and the labels app.kubernetes.io/managed-by=opsdeck
 *    and opsdeck.io/store=<store id>; so do the pod templates of Deployments
 *    and StatefulSets, so that every pod of a store carries them. A template
 *    giving either label another value is refused.
 *  - opsdeck's own objects (ResourceQuota opsdeck-quota, NetworkPolicy
 *    opsdeck-isolation) may not come from a template, nor Services of type
 *    NodePort or LoadBalancer: a store is reached through its Ingress.
 *  - Errors are "label:line:column: what is wrong" at the template's node.
 *    They quote template text and placeholder names, never substituted
 *    values, so a secret cannot reach a message.
 *
 * The web: the Deployment labelled `opsdeck.io/role: web` is the one the
 * scale operation scales and whose replicas the plan sets; a store has
 * exactly one (render_workloads() refuses zero or two). */
#ifndef OPSDECK_PROVISION_RENDER_H
#define OPSDECK_PROVISION_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "db/catalog_file.h"
#include "kube/api.h"
#include "util.h"

#define RENDER_MANAGED_BY_LABEL "app.kubernetes.io/managed-by"
#define RENDER_MANAGED_BY "opsdeck"
#define RENDER_STORE_LABEL "opsdeck.io/store"
#define RENDER_PROJECT_LABEL "opsdeck.io/project"
#define RENDER_ROLE_LABEL "opsdeck.io/role"
#define RENDER_ROLE_WEB "web"
#define RENDER_QUOTA_NAME "opsdeck-quota"
#define RENDER_NETPOL_NAME "opsdeck-isolation"
#define RENDER_INGRESS_NAMESPACE "ingress-nginx"
#define RENDER_STORE_ID_LEN 12
#define RENDER_POD_SECURITY_LABEL "pod-security.kubernetes.io/enforce"
#define RENDER_POD_SECURITY "baseline"

/* What a store's namespace may use. The web Deployment and the database
 * (one replica) each run pods of the plan's size; `other_*` are the pods
 * the store runs besides those (Medusa's Redis), summed, 0 if none:
 * render_plan_measure() fills them from the rendered manifests. */
struct render_plan {
	long replicas; /* web replicas: the plan's, or what the store was scaled to */
	long cpu_request_millis, cpu_limit_millis;
	long memory_request_mib, memory_limit_mib;
	long storage_gib;
	long other_pods;
	long other_cpu_request_millis, other_cpu_limit_millis;
	long other_memory_request_mib, other_memory_limit_mib;
	long pvcs; /* PersistentVolumeClaims; 0 counts as 1 */
};

/* The plan part of a catalog plan (others zero). */
void render_plan_from_catalog(const struct catalog_plan *cp, struct render_plan *plan);

/* 12 lowercase hexadecimal digits, as the stores table makes them. */
bool render_valid_store_id(const char *id);

/* Renders the manifests of template_text (len bytes; label names it in
 * messages) into a new JSON array of objects, in file order. ns must be
 * "store-<id>" for the id lookup("store.id") gives, and lookup must give
 * every placeholder the template uses (a known name without a value is
 * reported as missing, an unknown name as unknown). NULL with err set on
 * any problem. The result holds the store's secrets: the caller keeps it
 * out of logs and frees it with json_decref(). */
json_t *render_manifests(const char *label, const char *template_text, size_t len, const char *ns,
			 const char *(*lookup)(void *ud, const char *name), void *ud,
			 struct err *err);

/* The store's namespace: name store-<id>, labels managed-by, store and
 * project, and pod-security.kubernetes.io/enforce=baseline (no host
 * namespaces, host paths or privileged pods where the cluster enforces Pod
 * Security). NULL if store_id is not a store id or project_slug not a
 * DNS-1123 label. */
json_t *render_namespace(const char *store_id, const char *project_slug);

/* ResourceQuota "opsdeck-quota" in ns: requests and limits of CPU and
 * memory for (replicas + 1 database) pods of the plan's size plus the
 * others, with room for a rolling update of the web (its default maxSurge
 * of 25%, rounded up); pods likewise; requests.storage = storage_gib Gi
 * and persistentvolumeclaims. Labelled managed-by, and with the store id
 * when ns is store-<id>. NULL if ns is not a DNS-1123 label or a number is
 * out of range (replicas 0..100, sizes positive). A scale-up must apply the
 * quota for the new replica count first. */
json_t *render_quota(const char *ns, const struct render_plan *plan);

/* NetworkPolicy "opsdeck-isolation" in ns: every pod of the namespace
 * accepts traffic from pods of the same namespace and from the ingress
 * controller's namespace (kubernetes.io/metadata.name=ingress-nginx) only.
 * Egress is left open (DNS, image pulls, payment providers). NULL if ns is
 * not a DNS-1123 label. */
json_t *render_network_policy(const char *ns);

/* What the applier needs for one rendered object: its resource (from
 * apiVersion and kind, with kube_resource_for()) and metadata.name
 * (borrowed from obj). Refuses a kind it does not know, a cluster-scoped
 * kind and a missing or invalid name. */
bool render_manifest_target(const json_t *obj, const struct kube_resource **res, const char **name,
			    struct err *err);

struct render_workload {
	const struct kube_resource *res; /* &kube_res_deployments or &kube_res_statefulsets */
	char name[64];
	long replicas; /* desired, from spec.replicas (1 when absent, as Kubernetes does) */
	bool web;
};

struct render_workloads {
	struct render_workload *items;
	size_t len;
	size_t web; /* index of the web Deployment in items */
};

/* The Deployments and StatefulSets of a rendered array, in order, and the
 * web one: exactly one Deployment must carry opsdeck.io/role=web. */
bool render_workloads(const json_t *manifests, struct render_workloads *out, struct err *err);
void render_workloads_free(struct render_workloads *w);

/* Fills plan's other_* and pvcs from rendered manifests: every workload
 * other than the web Deployment and one database StatefulSet counts with its
 * replicas times its containers' requests and limits; and storage_gib is
 * raised to the sum of the PersistentVolumeClaims' requests if that is
 * more. Refuses a container without CPU and memory requests and limits:
 * a namespace with a quota would refuse its pods. */
bool render_plan_measure(const json_t *manifests, struct render_plan *plan, struct err *err);

/* Where a store's generated secrets are kept. A retried or resumed
 * provision must not generate new ones: MySQL and PostgreSQL keep the
 * password their volume was initialised with. So the runner reads each back
 * from the cluster (Secret `secret`, data[`key`], base64) when that Secret
 * exists, and generates it only when it does not.
 *
 * Lists every secret.* placeholder the template uses, in order of first use;
 * secret and key name the first Secret whose stringData holds that
 * placeholder as its whole value (under a literal name), or are "" when no
 * Secret keeps it whole (it could then not be recovered). */
struct render_secret_ref {
	char placeholder[64]; /* "secret.db_password" */
	char secret[64];      /* "mysql-secret", or "" */
	char key[254];	      /* "password", or "" */
};

struct render_secret_refs {
	struct render_secret_ref *items;
	size_t len;
};

bool render_secret_refs(const char *label, const char *template_text, size_t len,
			struct render_secret_refs *out, struct err *err);
void render_secret_refs_free(struct render_secret_refs *r);

#endif
