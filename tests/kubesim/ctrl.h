/* The controllers: Deployment -> ReplicaSet -> Pods, StatefulSet ->
 * name-0..n-1, the pod lifecycle (Pending, ContainerCreating, Running,
 * Ready; ImagePullBackOff for an image whose name contains "invalid"),
 * graceful pod termination, namespace termination (finalize.h: content
 * with finalizers keeps it waiting), garbage collection of dependents
 * (Background and Foreground propagation), ResourceQuota
 * status, PVC binding, KafkaTopic readiness and Events. One thread wakes on
 * store changes or on the next due step, with the simulator lock held while
 * it works. */
#ifndef OPSDECK_KUBESIM_CTRL_H
#define OPSDECK_KUBESIM_CTRL_H

#include <jansson.h>
#include <stdbool.h>

#include "sim.h"
#include "status.h"
#include "store.h"

struct ctrl *ctrl_new(struct sim *s);
/* Starts the thread. */
void ctrl_start(struct ctrl *c);
/* Stops and joins the thread (lock not held), then frees. */
void ctrl_free(struct ctrl *c);
/* The store's change hook. */
void ctrl_store_hook(void *cls, struct obj *o, enum wev_type type);
/* Runs every pending reconciliation now (lock held); used at start-up and
 * by tests that want a settled state. */
void ctrl_run_once(struct ctrl *c);
/* ctrl_run_once until nothing is left to reconcile (a bounded number of
 * passes). Lock held. */
void ctrl_settle(struct ctrl *c);
/* A pod that has not begun its lifecycle (just created, no step taken,
 * not being deleted, an image that can be pulled) is made Running and
 * Ready at once, as if its start-up delays had passed, without the
 * per-step Events; false for any other pod. Its owner is reconciled on
 * the next pass. Used to seed many ready workloads fast. Lock held. */
bool ctrl_pod_ready_now(struct ctrl *c, struct obj *pod);

/* Kills and restarts one container (/sim/restart): it exits with
 * exit_code, its next run has a new container id. Lock held. */
bool ctrl_restart_container(struct sim *s, struct obj *pod, const char *container, int exit_code,
			    struct apierr *e);
/* Records a core/v1 Event about obj. Lock held. */
void ctrl_event(struct sim *s, const struct obj *about, const char *type, const char *reason,
		const char *message, const char *component);

#endif
