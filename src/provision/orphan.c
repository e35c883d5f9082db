#include "config.h"

#include "provision/orphan.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonget.h"
#include "db/clusters.h"
#include "kube/api.h"

#define DB_TIMEOUT_MS 15000

struct orphan_delete {
	struct orphan_env env;
	char cluster[64], ns[64];
	char store[64], uid[130], rv[32]; /* read from the namespace */
	orphan_done_fn done;
	void *ud;
	struct kube_http *http;
	struct kube_op *op;
	struct orphan_result res;
};

static void finish(struct orphan_delete *od, bool ok, const char *fmt, ...) ATTR_FORMAT(3, 4);

static void finish(struct orphan_delete *od, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(od->res.message, sizeof(od->res.message), fmt, ap);
	va_end(ap);
	od->res.ok = ok;
	od->done(&od->res, od->ud);
}

/* The event was written, the deletion did not happen: the event stays as
 * the record of the attempt. */
static void delete_failed(struct orphan_delete *od, const char *why)
{
	finish(od, false,
	       "deleting namespace %s on cluster %s failed (audit event %ld records the attempt): "
	       "%.300s",
	       od->ns, od->cluster, od->res.event, why);
}

static void deleted(const struct kube_result *res, void *ud)
{
	struct orphan_delete *od = ud;

	od->op = NULL;
	if (kube_result_ok(res))
		finish(od, true, "deleting orphan namespace %s on cluster %s (audit event %ld)",
		       od->ns, od->cluster, od->res.event);
	else if (res->status == 404)
		finish(od, true,
		       "orphan namespace %s on cluster %s was already gone (audit event %ld)",
		       od->ns, od->cluster, od->res.event);
	else if (res->status == 409)
		finish(od, false,
		       "namespace %s on cluster %s changed since it was read, so it was not deleted"
		       " (audit event %ld records the attempt): %.300s",
		       od->ns, od->cluster, od->res.event, res->err.msg);
	else
		delete_failed(od, res->err.msg);
}

/* DELETE with DeleteOptions as kubectl sends them, plus preconditions. */
static void delete_namespace(struct orphan_delete *od)
{
	struct err err = { { 0 } };
	struct buf path = BUF_INIT;
	json_t *opts = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "kind", "DeleteOptions",
				 "apiVersion", "v1", "propagationPolicy", "Background",
				 "preconditions", "uid", od->uid, "resourceVersion", od->rv);
	char *body = json_dumps(opts, JSON_COMPACT);

	json_decref(opts);
	if (body && kube_path(&path, &kube_res_namespaces, NULL, od->ns, NULL, &err)) {
		kube_query(&path, "propagationPolicy", "Background");
		od->op = kube_call(od->http, "DELETE", buf_str(&path), body, strlen(body),
				   "application/json", deleted, od, &err);
	} else if (!body) {
		err_set(&err, "out of memory");
	}
	free(body);
	buf_free(&path);
	if (!od->op)
		delete_failed(od, err.msg);
}

static void audited(void *ud, const PGresult *res, const struct err *err)
{
	struct orphan_delete *od = ud;

	if (!res) {
		finish(od, false, "the audit event could not be written, so namespace %s was not"
				  " deleted: %.400s",
		       od->ns, err->msg);
		return;
	}
	if (PQntuples(res) != 1 || !*db_val(res, 0, 0)) {
		finish(od, false, "namespace %s on cluster %s is no longer an orphan: store %s (%s)"
				  " uses it; nothing deleted",
		       od->ns, od->cluster, db_val(res, 0, 1), db_val(res, 0, 2));
		return;
	}
	od->res.event = db_long(res, 0, 0);
	delete_namespace(od);
}

static const char *label_of(const json_t *meta, const char *key)
{
	return json_get_str(json_object_get(meta, "labels"), key);
}

static void got_namespace(const struct kube_result *res, void *ud)
{
	struct orphan_delete *od = ud;
	const json_t *meta;
	struct err err = { { 0 } };
	struct db_req r;

	od->op = NULL;
	if (res->status == 404) {
		finish(od, false, "there is no namespace %s on cluster %s: nothing to delete",
		       od->ns, od->cluster);
		return;
	}
	if (!kube_result_ok(res)) {
		finish(od, false, "reading namespace %s on cluster %s: %.400s", od->ns, od->cluster,
		       res->err.msg);
		return;
	}
	meta = json_object_get(res->obj, "metadata");
	if (strcmp(label_of(meta, "app.kubernetes.io/managed-by"), "opsdeck") != 0) {
		finish(od, false,
		       "namespace %s on cluster %s is not labelled "
		       "app.kubernetes.io/managed-by=opsdeck:"
		       " opsdeck deletes only its own namespaces",
		       od->ns, od->cluster);
		return;
	}
	if (json_object_get(meta, "deletionTimestamp")) {
		finish(od, false,
		       "namespace %s on cluster %s is already Terminating: nothing to delete",
		       od->ns, od->cluster);
		return;
	}
	str_copy(od->store, sizeof(od->store), label_of(meta, "opsdeck.io/store"));
	str_copy(od->uid, sizeof(od->uid), json_get_str(meta, "uid"));
	str_copy(od->rv, sizeof(od->rv), json_get_str(meta, "resourceVersion"));
	if (!od->uid[0] || !od->rv[0]) {
		finish(od, false, "namespace %s on cluster %s has no uid or resourceVersion: not"
				  " deleting what cannot be pinned down",
		       od->ns, od->cluster);
		return;
	}
	if (!cluster_req_orphan_delete(&r, od->env.conf, od->cluster, od->ns, od->store, od->uid,
				       &err)) {
		finish(od, false, "%s", err.msg);
		return;
	}
	db_conn_submit(od->env.db, &r, DB_TIMEOUT_MS, audited, od);
}

static void context_read(void *ud, const PGresult *res, const struct err *err)
{
	struct orphan_delete *od = ud;
	struct err e = { { 0 } };

	if (!res) {
		finish(od, false, "%.600s", err->msg);
		return;
	}
	od->http = od->env.http_for(od->env.http_ud, db_val(res, 0, 0), &e);
	if (od->http)
		od->op = kube_get(od->http, &kube_res_namespaces, NULL, od->ns, got_namespace, od,
				  &e);
	if (!od->op)
		finish(od, false, "cluster %s (context %.200s): %.400s", od->cluster,
		       db_val(res, 0, 0), e.msg);
}

struct orphan_delete *orphan_delete_start(const struct orphan_env *env, const char *cluster,
					  const char *ns, orphan_done_fn done, void *ud,
					  struct err *err)
{
	struct orphan_delete *od;
	struct db_req r;

	if (!db_mutation_allowed(env->conf, "delete an orphan namespace", err))
		return NULL;
	if (!ns || !kube_valid_namespace(ns)) {
		err_set(err, "'%.64s' is not a namespace name", ns ? ns : "");
		return NULL;
	}
	if (!cluster_req_context(&r, cluster, err))
		return NULL;
	od = xcalloc(1, sizeof(*od));
	od->env = *env;
	od->done = done;
	od->ud = ud;
	str_copy(od->cluster, sizeof(od->cluster), cluster);
	str_copy(od->ns, sizeof(od->ns), ns);
	db_conn_submit(env->db, &r, DB_TIMEOUT_MS, context_read, od);
	return od;
}

void orphan_delete_free(struct orphan_delete *od)
{
	if (!od)
		return;
	if (od->op)
		kube_op_cancel(od->op);
	db_conn_forget(od->env.db, od);
	free(od);
}
