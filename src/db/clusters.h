/* Clusters: a name for a kube context (and later a tunnel profile) that
 * stores are placed on, with a cap on how many it holds. */
#ifndef OPSDECK_DB_CLUSTERS_H
#define OPSDECK_DB_CLUSTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "db/db.h"

#define CLUSTER_DEFAULT_MAX_STORES 50

struct cluster {
	char *name;
	char *context;
	char *state; /* active, cordoned, disabled */
	long max_stores;
	long stores; /* stores not Deleted */
	char created_at[32];
};

struct cluster_list {
	struct cluster *v;
	size_t n;
};

void cluster_req_list(struct db_req *r);
bool cluster_list_parse(const PGresult *res, struct cluster_list *out, struct err *err);
void cluster_list_free(struct cluster_list *l);

/* max_stores < 0: the default. Result: one row (name). */
bool cluster_req_add(struct db_req *r, const struct conf *conf, const char *name,
		     const char *context, long max_stores, struct err *err);
/* state: active, cordoned (no new stores) or disabled. */
bool cluster_req_set_state(struct db_req *r, const struct conf *conf, const char *name,
			   const char *state, struct err *err);

/* Result: one row (kube_context, state) of cluster name; `no cluster "x"`
 * otherwise. */
bool cluster_req_context(struct db_req *r, const char *name, struct err *err);

/* The audit event of deleting an orphan namespace (object
 * "namespace/CLUSTER/NS", action orphan.delete, detail {cluster,
 * namespace, store, uid}), written only while the namespace is still an
 * orphan: no store that is not Deleted has that namespace, or the id its
 * opsdeck.io/store label names (store: "" when it has none). Written
 * before the cluster is asked to delete, so that no deletion goes
 * unaudited. Result: one row (event id or NULL, the live store that uses
 * it or NULL, that store's status). */
bool cluster_req_orphan_delete(struct db_req *r, const struct conf *conf, const char *cluster,
			       const char *ns, const char *store, const char *uid,
			       struct err *err);

#endif
