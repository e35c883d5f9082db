/* Is a store's namespace healthy? A pure reading of what the cluster
 * answered (lists of Deployments, StatefulSets and Pods), shared by the
 * readiness step of a job and the reconcile pass.
 *
 *  - READY: there is at least one workload and every one has as many ready
 *    replicas as it wants, at its latest generation.
 *  - PROGRESSING: not yet; reason says what is missing, naming the object:
 *    "deployment/wordpress: 1/2 ready (pod wordpress-7d9-x: ContainerCreating)".
 *  - BROKEN: a container is waiting for a reason that does not cure itself
 *    (ImagePullBackOff, ErrImagePull, CrashLoopBackOff, InvalidImageName,
 *    CreateContainerConfigError...): "deployment/wordpress: ImagePullBackOff:
 *    Back-off pulling image \"x\"". A runner still gives it a grace period,
 *    as a registry hiccup can clear.
 *  - STOPPED: every workload is at zero replicas with no pod left (paused).
 *
 * Text from the cluster is cleaned of control characters. */
#ifndef OPSDECK_PROVISION_HEALTH_H
#define OPSDECK_PROVISION_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum health {
	HEALTH_READY,
	HEALTH_PROGRESSING,
	HEALTH_BROKEN,
	HEALTH_STOPPED,
};

const char *health_name(enum health h);

/* Each argument is a list answer ({"items": [...]}) or NULL for none. */
enum health health_check(const json_t *deployments, const json_t *statefulsets, const json_t *pods,
			 char *reason, size_t reasonsz);

/* One Deployment or StatefulSet: READY when it has as many ready replicas
 * as it wants at its latest generation, STOPPED when it wants none and has
 * none, else PROGRESSING. stale: its controller has not yet observed its
 * latest spec, so the counts are not to be trusted. */
struct health_workload {
	long want, ready, have;
	bool stale;
};
#define HEALTH_STALE_TEXT " (update not yet observed)"
enum health health_workload(const json_t *w, struct health_workload *out);

/* The first container of a pod waiting for any reason: false if none
 * waits; else its reason and message ("" if none), borrowed from pod and
 * not cleaned. */
bool health_pod_waiting(const json_t *pod, const char **reason, const char **message);
/* True for a waiting reason that does not cure itself (ImagePullBackOff,
 * CrashLoopBackOff...). */
bool health_reason_broken(const char *reason);

/* The workload a pod belongs to, as "deployment/NAME" or "statefulset/NAME"
 * (a ReplicaSet owner "web-7d9f8" stands for Deployment "web"), else
 * "pod/NAME". */
void health_pod_owner(const json_t *pod, char *out, size_t outsz);

#endif
