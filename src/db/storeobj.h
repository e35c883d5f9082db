/* The audit events of changes made to one Kubernetes object of a store from
 * its details: a pod deleted (action store.pod_delete), a workload
 * restarted (store.rollout_restart). As for a reveal of credentials
 * (stores.h), the event is written first, by the statement that also
 * answers where the store lives; the change is made only once it is in
 * the trail, so a change never happens without it (and one that then
 * fails is still there: the event records what was asked). Refused in
 * read-only mode, for an unknown store and for a Queued or Deleted one
 * (no objects to change). */
#ifndef OPSDECK_DB_STOREOBJ_H
#define OPSDECK_DB_STOREOBJ_H

#include <stdbool.h>

#include "conf.h"
#include "db/db.h"

enum store_obj_op {
	STORE_OBJ_DELETE_POD,	   /* kind "Pod" */
	STORE_OBJ_ROLLOUT_RESTART, /* kind "Deployment" or "StatefulSet" */
};

/* One row of these columns. */
enum store_obj_col {
	STORE_OBJ_NAMESPACE,
	STORE_OBJ_CLUSTER,
	STORE_OBJ_CONTEXT, /* the cluster's kube context */
	STORE_OBJ_EVENT,   /* the audit event's id */
	STORE_OBJ_STATUS,
	STORE_OBJ_NCOLS
};

/* kind: the object's kind as the API names it; name: a Kubernetes name. */
bool store_req_object_op(struct db_req *r, const struct conf *conf, const char *store,
			 enum store_obj_op op, const char *kind, const char *name, struct err *err);

#endif
