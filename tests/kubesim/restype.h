/* The resource types kubesim serves and the discovery documents that
 * describe them (/api, /api/v1, /apis, /apis/GROUP/VERSION), in the shapes a
 * real API server returns (see shared/k8s-reference/02..06). */
#ifndef OPSDECK_KUBESIM_RESTYPE_H
#define OPSDECK_KUBESIM_RESTYPE_H

#include <jansson.h>
#include <stdbool.h>

enum kind_id {
	K_NAMESPACE,
	K_POD,
	K_SERVICE,
	K_SECRET,
	K_CONFIGMAP,
	K_PVC,
	K_QUOTA,
	K_EVENT,
	K_DEPLOYMENT,
	K_STATEFULSET,
	K_REPLICASET,
	K_INGRESS,
	K_NETPOL,
	K_KAFKATOPIC,
	K_JOB,
	K_COUNT
};

struct restype {
	enum kind_id id;
	const char *group; /* "" for the core group */
	const char *version;
	const char *api_version; /* "v1", "apps/v1" ... */
	const char *plural, *singular, *kind, *list_kind;
	const char *short_names[3];
	bool in_all; /* category "all" */
	bool namespaced;
	bool has_status; /* status is a subresource: main updates keep it */
	bool has_scale;
	bool has_generation; /* metadata.generation counts spec changes */
	/* Field selector labels accepted besides metadata.name/namespace. */
	const char *fields[12];
	const char *storage_hash;
};

const struct restype *restype_get(enum kind_id id);
/* A type served besides restype_get's (the KafkaTopic version served aside
 * when both are, kafka.h), or NULL. */
const struct restype *restype_other(void);
/* By group (""=core), version and plural; NULL if not served. */
const struct restype *restype_find(const char *group, const char *version, const char *plural);
/* By apiVersion ("apps/v1") and kind ("Deployment"). */
const struct restype *restype_by_kind(const char *api_version, const char *kind);
/* Whether GROUP/VERSION/PLURAL is a review endpoint (review.h), which is
 * in discovery but stores nothing. */
bool restype_is_review(const char *group, const char *version, const char *plural);
/* Whether a field selector label is supported for rt. */
bool restype_field_ok(const struct restype *rt, const char *field);
/* "deployments.apps", "pods": how the real server names a resource in messages. */
const char *restype_qualified(const struct restype *rt, char *buf, size_t n);

json_t *restype_api_versions(void);
json_t *restype_group_list(void);
/* NULL if the group version is not served. */
json_t *restype_resource_list(const char *group, const char *version);

#endif
