#include "config.h"

#include "db/storeobj.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "db/stores.h"
#include "kube/api.h"

static const char sql_object_op[] =
    "WITH s AS (SELECT s.id, s.status, s.namespace, s.cluster, c.kube_context, s.project"
    " FROM opsdeck.stores s JOIN opsdeck.clusters c ON c.name = s.cluster WHERE s.id = $1),"
    " e AS ("
    " INSERT INTO opsdeck.events (actor, action, object, project, message, detail)"
    " SELECT $2, $3, 'store/' || s.id, s.project,"
    " format('%s %s %s of store %s', $4::text, lower($5::text), $6::text, s.id),"
    " jsonb_build_object('kind', $5::text, 'name', $6::text, 'namespace', s.namespace,"
    " 'cluster', s.cluster)"
    " FROM s WHERE s.status NOT IN ('Deleted', 'Queued') RETURNING id)"
    " SELECT s.namespace, s.cluster, s.kube_context, (SELECT id FROM e), s.status FROM s";

static bool check_object_op(const PGresult *res, const struct db_req *r, struct err *err)
{
	const char *status;

	if (PQntuples(res) != 1) {
		err_set(err, "no %s", r->subject);
		return false;
	}
	if (PQnfields(res) != STORE_OBJ_NCOLS) {
		err_set(err, "unexpected answer about %s", r->subject);
		return false;
	}
	status = db_val(res, 0, STORE_OBJ_STATUS);
	if (strcmp(status, "Deleted") == 0 || strcmp(status, "Queued") == 0) {
		err_set(err, "%s is %s: it has no objects to change", r->subject, status);
		return false;
	}
	if (PQgetisnull(res, 0, STORE_OBJ_EVENT)) {
		err_set(err, "the audit event for %s was not written: nothing was changed",
			r->subject);
		return false;
	}
	return true;
}

bool store_req_object_op(struct db_req *r, const struct conf *conf, const char *store,
			 enum store_obj_op op, const char *kind, const char *name, struct err *err)
{
	bool pod = op == STORE_OBJ_DELETE_POD;

	if (!db_mutation_allowed(conf, pod ? "delete a pod" : "restart a workload", err))
		return false;
	if (!store_valid_id(store)) {
		err_set(err, "'%.40s' is not a store id (12 hex digits)", store);
		return false;
	}
	if (pod ? strcmp(kind, "Pod") != 0
		: strcmp(kind, "Deployment") != 0 && strcmp(kind, "StatefulSet") != 0) {
		err_set(err, "%s cannot be %s", kind, pod ? "deleted here" : "restarted");
		return false;
	}
	if (!kube_valid_name(name)) {
		err_set(err, "'%.60s' is not a Kubernetes object name", name);
		return false;
	}
	db_req_init(r, sql_object_op);
	db_req_add(r, store);
	db_req_add(r, conf->operator);
	db_req_add(r, pod ? "store.pod_delete" : "store.rollout_restart");
	db_req_add(r, pod ? "deleted" : "restarted");
	db_req_add(r, kind);
	db_req_add(r, name);
	r->check = check_object_op;
	snprintf(r->subject, sizeof(r->subject), "store %s", store);
	return true;
}
