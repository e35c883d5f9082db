/* Deleting an orphan namespace: the one path `opsdeck store reconcile
 * --delete-orphan(s)` and the console's :reconcile view share, on the loop.
 *
 *  1. Refused at once (NULL and err) in read-only mode, without an
 *     operator name, or for a name that is not a cluster or a namespace.
 *  2. The cluster's kube context is read from the database.
 *  3. The namespace is read from the cluster, not taken from what the
 *     caller saw: it must exist, carry app.kubernetes.io/managed-by=opsdeck
 *     (opsdeck deletes only its own) and not be Terminating already; its
 *     opsdeck.io/store label, uid and resourceVersion are kept.
 *  4. The audit event is written with the operator's name, in the same
 *     statement that checks again that no live store uses the namespace or
 *     its label (db/clusters.h cluster_req_orphan_delete): a store ordered
 *     since the reconcile pass is never destroyed, and if the event cannot
 *     be written nothing is deleted.
 *  5. The namespace is deleted (Background) with preconditions on its uid
 *     and resourceVersion, so only the object that was read and checked
 *     goes; if it changed in between, nothing is deleted.
 * done is called once, from the loop (never from inside the start call),
 * unless the operation is freed first; done may free it. */
#ifndef OPSDECK_PROVISION_ORPHAN_H
#define OPSDECK_PROVISION_ORPHAN_H

#include <stdbool.h>

#include "conf.h"
#include "db/conn.h"
#include "kube/http.h"
#include "loop.h"
#include "util.h"

struct orphan_env {
	struct loop *loop;
	struct db_conn *db;
	const struct conf *conf; /* read_only and the operator recorded */
	struct kube_http *(*http_for)(void *ud, const char *context, struct err *err);
	void *http_ud;
};

struct orphan_result {
	bool ok;	   /* the cluster was asked to delete it (or it was gone) */
	long event;	   /* the audit event's id; 0 if none was written */
	char message[700]; /* what happened, in words, either way */
};

struct orphan_delete;
typedef void (*orphan_done_fn)(const struct orphan_result *res, void *ud);

struct orphan_delete *orphan_delete_start(const struct orphan_env *env, const char *cluster,
					  const char *ns, orphan_done_fn done, void *ud,
					  struct err *err);
void orphan_delete_free(struct orphan_delete *od);

#endif
