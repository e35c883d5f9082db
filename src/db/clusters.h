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

#endif
