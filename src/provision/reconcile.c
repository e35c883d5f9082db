#include "config.h"

#include "provision/reconcile.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/jobs.h"
#include "kube/api.h"
#include "provision/health.h"

#define DB_TIMEOUT_MS 15000

struct rc_store {
	char id[16], namespace[64], status[16];
	size_t cluster; /* index into clusters */
};

struct rc_cluster {
	char name[64], context[256];
};

/* What is listed on each cluster. */
enum { L_NAMESPACES, L_DEPLOYMENTS, L_STATEFULSETS, L_PODS, L_COUNT };
static const struct {
	const struct kube_resource *res;
	const char *selector;
} lists[L_COUNT] = {
	{ &kube_res_namespaces, "app.kubernetes.io/managed-by=opsdeck" },
	{ &kube_res_deployments, "opsdeck.io/store" },
	{ &kube_res_statefulsets, "opsdeck.io/store" },
	{ &kube_res_pods, "opsdeck.io/store" },
};

struct reconcile {
	struct reconcile_opts opts;
	reconcile_done_fn done;
	void *ud;
	struct rc_store *stores;
	size_t nstores;
	struct rc_cluster *clusters;
	size_t nclusters;
	size_t ci, li, fi; /* cluster, list and finding being worked on */
	struct kube_http *http;
	json_t *got[L_COUNT];
	struct kube_op *op;
	struct loop_timer *finish;
	struct reconcile_report rep;
	size_t cap;
};

static void next_cluster(struct reconcile *rc);
static void write_drifts(struct reconcile *rc);

static struct reconcile_finding *add_finding(struct reconcile *rc, const char *kind, const char *ns,
					     const char *store)
{
	struct reconcile_finding *f;

	rc->rep.v = xgrow(rc->rep.v, &rc->cap, rc->rep.n + 1, sizeof(*rc->rep.v));
	f = &rc->rep.v[rc->rep.n++];
	memset(f, 0, sizeof(*f));
	str_copy(f->kind, sizeof(f->kind), kind);
	str_copy(f->cluster, sizeof(f->cluster), rc->clusters[rc->ci].name);
	str_copy(f->namespace, sizeof(f->namespace), ns);
	str_copy(f->store, sizeof(f->store), store ? store : "");
	return f;
}

static void finish_now(struct loop *loop, void *ud)
{
	struct reconcile *rc = ud;

	(void)loop;
	rc->finish = NULL;
	rc->done(&rc->rep, rc->ud);
}

static void finish(struct reconcile *rc)
{
	rc->finish = loop_timer_add(rc->opts.loop, 0, 0, finish_now, rc);
}

/* ---- evaluating one cluster ---- */

static const char *ns_of(const json_t *obj)
{
	const char *s = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));

	return s ? s : "";
}

/* {"items": [the objects of list l in namespace ns]} */
static json_t *items_in(struct reconcile *rc, int l, const char *ns)
{
	json_t *out = json_array();
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(rc->got[l], "items"), i, o) {
		if (strcmp(ns_of(o), ns) == 0)
			json_array_append(out, o);
	}
	return json_pack("{s:o}", "items", out);
}

static const json_t *find_namespace(struct reconcile *rc, const char *name)
{
	size_t i;
	const json_t *o;

	json_array_foreach(json_object_get(rc->got[L_NAMESPACES], "items"), i, o) {
		const char *n = json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));

		if (n && strcmp(n, name) == 0)
			return o;
	}
	return NULL;
}

static void finalizers_of(const json_t *ns, char *buf, size_t bufsz)
{
	const json_t *fin = json_object_get(json_object_get(ns, "spec"), "finalizers");
	char *s = json_dumps(fin ? fin : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);

	snprintf(buf, bufsz, "%s", s ? s : "?");
	free(s);
}

static bool store_live(struct reconcile *rc, const char *ns)
{
	for (size_t i = 0; i < rc->nstores; i++) {
		if (rc->stores[i].cluster == rc->ci && strcmp(rc->stores[i].namespace, ns) == 0)
			return true;
	}
	return false;
}

static void check_store(struct reconcile *rc, const struct rc_store *s)
{
	const json_t *ns = find_namespace(rc, s->namespace);
	char reason[500], fin[200];
	json_t *d, *st, *p;
	enum health h;
	bool paused = strcmp(s->status, "Paused") == 0;

	if (strcmp(s->status, "Ready") != 0 && !paused)
		return; /* a job is working on it, or it failed already */
	rc->rep.stores_checked++;
	if (!ns) {
		snprintf(reason, sizeof(reason), "namespace %s is gone", s->namespace);
	} else if (json_object_get(json_object_get(ns, "metadata"), "deletionTimestamp")) {
		finalizers_of(ns, fin, sizeof(fin));
		snprintf(reason, sizeof(reason), "namespace %s is Terminating (finalizers: %s)",
			 s->namespace, fin);
	} else {
		d = items_in(rc, L_DEPLOYMENTS, s->namespace);
		st = items_in(rc, L_STATEFULSETS, s->namespace);
		p = items_in(rc, L_PODS, s->namespace);
		h = health_check(d, st, p, reason, sizeof(reason));
		json_decref(d);
		json_decref(st);
		json_decref(p);
		if (h == (paused ? HEALTH_STOPPED : HEALTH_READY))
			return;
		if (paused && h == HEALTH_READY)
			snprintf(reason, sizeof(reason), "it is paused but its workloads run");
	}
	snprintf(add_finding(rc, "drift", s->namespace, s->id)->reason,
		 sizeof(rc->rep.v[0].reason), "%s", reason);
}

static void delete_done(const struct kube_result *res, void *ud);

/* Orphans: deleted one at a time when asked (from fi on). */
static void next_orphan(struct reconcile *rc)
{
	struct err err = { { 0 } };

	for (; rc->fi < rc->rep.n; rc->fi++) {
		struct reconcile_finding *f = &rc->rep.v[rc->fi];

		if (strcmp(f->kind, "orphan") != 0 || !rc->opts.delete_orphans ||
		    strcmp(f->cluster, rc->clusters[rc->ci].name) != 0)
			continue;
		rc->op = kube_delete(rc->http, &kube_res_namespaces, NULL, f->namespace, "Background",
				     delete_done, rc, &err);
		if (rc->op)
			return;
		snprintf(f->reason, sizeof(f->reason), "cannot delete it: %s", err.msg);
	}
	rc->ci++;
	next_cluster(rc);
}

static void delete_done(const struct kube_result *res, void *ud)
{
	struct reconcile *rc = ud;
	struct reconcile_finding *f = &rc->rep.v[rc->fi];

	rc->op = NULL;
	if (kube_result_ok(res) || res->status == 404) {
		f->acted = true;
	} else {
		char was[sizeof(f->reason)];

		str_copy(was, sizeof(was), f->reason);
		snprintf(f->reason, sizeof(f->reason), "%.200s; deleting it failed: %.300s", was, res->err.msg);
	}
	rc->fi++;
	next_orphan(rc);
}

static void evaluate(struct reconcile *rc)
{
	size_t i;
	const json_t *o;

	for (size_t k = 0; k < rc->nstores; k++) {
		if (rc->stores[k].cluster == rc->ci)
			check_store(rc, &rc->stores[k]);
	}
	json_array_foreach(json_object_get(rc->got[L_NAMESPACES], "items"), i, o) {
		const json_t *meta = json_object_get(o, "metadata");
		const char *name = json_string_value(json_object_get(meta, "name"));
		const char *store = json_string_value(
			json_object_get(json_object_get(meta, "labels"), "opsdeck.io/store"));
		char fin[200];

		if (!name || store_live(rc, name))
			continue;
		if (json_object_get(meta, "deletionTimestamp")) {
			finalizers_of(o, fin, sizeof(fin));
			snprintf(add_finding(rc, "terminating", name, store)->reason,
				 sizeof(rc->rep.v[0].reason), "stuck Terminating? finalizers: %s", fin);
			continue;
		}
		snprintf(add_finding(rc, "orphan", name, store)->reason, sizeof(rc->rep.v[0].reason),
			 "labelled as opsdeck's but no live store uses it");
	}
	rc->fi = 0;
	next_orphan(rc);
}

/* ---- listing ---- */

static void listed(const struct kube_result *res, void *ud)
{
	struct reconcile *rc = ud;
	struct err err = { { 0 } };
	struct kube_list_opts lo = { 0 };

	rc->op = NULL;
	if (!kube_result_ok(res)) {
		snprintf(add_finding(rc, "unreachable", "", NULL)->reason, sizeof(rc->rep.v[0].reason),
			 "listing %s: %s", lists[rc->li].res->plural, res->err.msg);
		rc->ci++;
		next_cluster(rc);
		return;
	}
	json_decref(rc->got[rc->li]);
	rc->got[rc->li] = json_incref(res->obj);
	if (++rc->li == L_COUNT) {
		evaluate(rc);
		return;
	}
	lo.label_selector = lists[rc->li].selector;
	rc->op = kube_list(rc->http, lists[rc->li].res, NULL, &lo, listed, rc, &err);
	if (!rc->op) {
		snprintf(add_finding(rc, "unreachable", "", NULL)->reason, sizeof(rc->rep.v[0].reason),
			 "%s", err.msg);
		rc->ci++;
		next_cluster(rc);
	}
}

static void next_cluster(struct reconcile *rc)
{
	struct err err = { { 0 } };
	struct kube_list_opts lo = { 0 };

	for (; rc->ci < rc->nclusters; rc->ci++) {
		rc->http = rc->opts.http_for(rc->opts.http_ud, rc->clusters[rc->ci].context, &err);
		if (!rc->http) {
			snprintf(add_finding(rc, "unreachable", "", NULL)->reason,
				 sizeof(rc->rep.v[0].reason), "context %.200s: %.300s", rc->clusters[rc->ci].context,
				 err.msg);
			continue;
		}
		rc->li = 0;
		lo.label_selector = lists[0].selector;
		rc->op = kube_list(rc->http, lists[0].res, NULL, &lo, listed, rc, &err);
		if (rc->op)
			return;
		snprintf(add_finding(rc, "unreachable", "", NULL)->reason, sizeof(rc->rep.v[0].reason),
			 "%s", err.msg);
	}
	rc->fi = 0;
	write_drifts(rc);
}

/* ---- recording drift ---- */

static void drift_written(void *ud, const PGresult *res, const struct err *err)
{
	struct reconcile *rc = ud;
	struct reconcile_finding *f = &rc->rep.v[rc->fi];

	if (res)
		f->acted = db_bool(res, 0, 0);
	else
		snprintf(rc->rep.error, sizeof(rc->rep.error), "recording drift: %.500s", err->msg);
	rc->fi++;
	write_drifts(rc);
}

static void write_drifts(struct reconcile *rc)
{
	struct db_req r;

	for (; rc->fi < rc->rep.n; rc->fi++) {
		struct reconcile_finding *f = &rc->rep.v[rc->fi];

		if (strcmp(f->kind, "drift") != 0)
			continue;
		job_req_drift(&r, f->store, f->reason, rc->opts.actor);
		db_conn_submit(rc->opts.db, &r, DB_TIMEOUT_MS, drift_written, rc);
		return;
	}
	finish(rc);
}

/* ---- start ---- */

static size_t cluster_index(struct reconcile *rc, const char *name, const char *context)
{
	for (size_t i = 0; i < rc->nclusters; i++) {
		if (strcmp(rc->clusters[i].name, name) == 0)
			return i;
	}
	rc->clusters = xrealloc(rc->clusters, (rc->nclusters + 1) * sizeof(*rc->clusters));
	str_copy(rc->clusters[rc->nclusters].name, sizeof(rc->clusters[0].name), name);
	str_copy(rc->clusters[rc->nclusters].context, sizeof(rc->clusters[0].context), context);
	return rc->nclusters++;
}

static void loaded(void *ud, const PGresult *res, const struct err *err)
{
	struct reconcile *rc = ud;
	int n;

	if (!res) {
		snprintf(rc->rep.error, sizeof(rc->rep.error), "%s", err->msg);
		finish(rc);
		return;
	}
	n = PQntuples(res);
	rc->stores = xcalloc((size_t)n + 1, sizeof(*rc->stores));
	for (int i = 0; i < n; i++) {
		struct rc_store *s = &rc->stores[rc->nstores++];

		str_copy(s->id, sizeof(s->id), db_val(res, i, 0));
		str_copy(s->namespace, sizeof(s->namespace), db_val(res, i, 1));
		str_copy(s->status, sizeof(s->status), db_val(res, i, 2));
		s->cluster = cluster_index(rc, db_val(res, i, 3), db_val(res, i, 4));
	}
	next_cluster(rc);
}

struct reconcile *reconcile_start(const struct reconcile_opts *opts, reconcile_done_fn done, void *ud)
{
	struct reconcile *rc = xcalloc(1, sizeof(*rc));
	struct db_req r;

	rc->opts = *opts;
	rc->done = done;
	rc->ud = ud;
	job_req_reconcile_list(&r);
	db_conn_submit(opts->db, &r, DB_TIMEOUT_MS, loaded, rc);
	return rc;
}

void reconcile_free(struct reconcile *rc)
{
	if (!rc)
		return;
	if (rc->op)
		kube_op_cancel(rc->op);
	if (rc->finish)
		loop_timer_cancel(rc->finish);
	db_conn_forget(rc->opts.db, rc);
	for (size_t i = 0; i < L_COUNT; i++)
		json_decref(rc->got[i]);
	free(rc->stores);
	free(rc->clusters);
	free(rc->rep.v);
	free(rc);
}
