#include "config.h"

#include "provision/reconcile.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db/jobs.h"
#include "kube/api.h"
#include "kube/execcred.h"
#include "provision/expected.h"
#include "provision/health.h"
#include "provision/render.h"

#define DB_TIMEOUT_MS 15000
/* Resources listed besides the fixed lists: those of the templates. */
#define MAX_EXTRA 16
/* Templates rendered in one go: a console answers keys between slices. */
#define RENDER_SLICE 50

struct rc_store {
	char id[16], namespace[64], status[16];
	size_t cluster;	 /* index into clusters */
	bool suspect;	 /* looked drifted at the first look */
	char first[500]; /* why, then */
	/* What its template says its namespace holds; when the template
	 * could not be read or rendered, why (its objects are then not
	 * checked against it). */
	struct expected_objects exp;
	char exp_error[400];
	bool exp_read; /* its row was in the templates' answer */
	/* expected_digest of exp; the namespace's EXPECTED_ANNOTATION, when
	 * there and different, says it was given another template */
	char digest[EXPECTED_DIGEST_LEN + 1];
	bool other_template; /* so its objects are not judged against exp */
};

/* A row of the templates' answer, rendered in a later slice. */
struct rc_pending {
	struct rc_store *s;
	struct job_store st; /* its template_text NULL: tmpl is */
	const char *tmpl;    /* owned by reconcile.tmpls; NULL: none given */
};

struct rc_cluster {
	char name[64], context[256];
	size_t suspects;
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

/* A resource that the templates of a cluster's stores use, listed like
 * the fixed lists (every namespace, by label). A list that fails is not
 * the cluster being unreachable: the objects of that resource are not
 * judged, and a finding says why. */
struct rc_extra {
	const struct kube_resource *res;
	json_t *index; /* its items by namespace; NULL when the list failed */
	char error[300];
};

/* Templates are read first; the first look goes over every cluster; the
 * second, after the confirmation delay, only over those with suspects. */
enum phase { PH_LOOK, PH_CONFIRM };

struct reconcile {
	struct reconcile_opts opts;
	reconcile_done_fn done;
	void *ud;
	struct rc_store *stores;
	size_t nstores;
	struct rc_cluster *clusters;
	size_t nclusters;
	char seen_at[64]; /* when the database was read, in its own words */
	enum phase phase;
	size_t ci, li, fi; /* cluster, list and finding being worked on */
	struct kube_http *http;
	json_t *got[L_COUNT];
	/* got[l]'s items by namespace (arrays), or for the namespaces by name,
	 * so matching stores to objects is linear, not stores × objects */
	json_t *index[L_COUNT];
	struct rc_extra extra[MAX_EXTRA];
	size_t nextra;
	/* The stores judged, by id (pointers into stores). */
	struct rc_store **byid;
	size_t nbyid;
	struct kube_op *op;
	struct loop_timer *finish, *confirm, *slice;
	/* the judged stores' templates, rendered RENDER_SLICE at a time */
	struct expected_templates tmpls;
	struct rc_pending *pending;
	size_t npending, pi;
	char templates_error[300]; /* the templates could not be read: why */
	struct reconcile_report rep;
	size_t cap;
};

static void next_cluster(struct reconcile *rc);
static void write_drifts(struct reconcile *rc);

static struct reconcile_finding *add_finding(struct reconcile *rc, const char *kind,
					     const char *cluster, const char *ns, const char *store)
{
	struct reconcile_finding *f;

	rc->rep.v = xgrow(rc->rep.v, &rc->cap, rc->rep.n + 1, sizeof(*rc->rep.v));
	f = &rc->rep.v[rc->rep.n++];
	memset(f, 0, sizeof(*f));
	str_copy(f->kind, sizeof(f->kind), kind);
	str_copy(f->cluster, sizeof(f->cluster), cluster);
	str_copy(f->namespace, sizeof(f->namespace), ns);
	str_copy(f->store, sizeof(f->store), store ? store : "");
	return f;
}

/* A finding about the cluster being worked on. */
static struct reconcile_finding *cluster_finding(struct reconcile *rc, const char *kind,
						 const char *ns, const char *store)
{
	return add_finding(rc, kind, rc->clusters[rc->ci].name, ns, store);
}

static void finish_now(struct loop *loop, void *ud)
{
	struct reconcile *rc = ud;

	(void)loop;
	rc->finish = NULL;
	rc->rep.finished = time(NULL);
	rc->done(&rc->rep, rc->ud);
}

static void finish(struct reconcile *rc)
{
	rc->finish = loop_timer_add(rc->opts.loop, 0, 0, finish_now, rc);
}

/* ---- evaluating one cluster ---- */

/* The index of a list: namespace → [its objects], or for the namespaces
 * themselves name → object. */
static json_t *index_list(const json_t *list, bool by_name)
{
	json_t *idx = json_object();
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(list, "items"), i, o)
	{
		const json_t *meta = json_object_get(o, "metadata");
		const char *key =
		    json_string_value(json_object_get(meta, by_name ? "name" : "namespace"));
		json_t *arr;

		if (!key)
			continue;
		if (by_name) {
			json_object_set(idx, key, o);
			continue;
		}
		arr = json_object_get(idx, key);
		if (!arr) {
			arr = json_array();
			json_object_set_new(idx, key, arr);
		}
		json_array_append(arr, o);
	}
	return idx;
}

/* {"items": [the objects of list l in namespace ns]} */
static json_t *items_in(struct reconcile *rc, int l, const char *ns)
{
	json_t *arr = json_object_get(rc->index[l], ns);

	return arr ? json_pack("{s:O}", "items", arr) : json_pack("{s:[]}", "items");
}

static const json_t *find_namespace(struct reconcile *rc, const char *name)
{
	return json_object_get(rc->index[L_NAMESPACES], name);
}

/* Appends the names in a finalizers array, each with where it is set:
 * metadata.finalizers are other controllers' (removed by them, or by hand
 * with a patch), spec.finalizers the namespace controller's own (removed
 * through the finalize subresource once the content is gone). */
static void add_finalizers(struct buf *b, const json_t *fin, const char *where, size_t *n)
{
	size_t i;
	const json_t *f;

	json_array_foreach(fin, i, f)
	{
		if (json_string_value(f))
			buf_printf(b, "%s%.100s (%s)", (*n)++ ? ", " : "", json_string_value(f),
				   where);
	}
}

/* "Terminating for 5m; finalizers: example.com/hold (metadata), kubernetes
 * (spec); NamespaceContentRemaining: Some resources are remaining: ..." --
 * how long, what holds it, and what the namespace controller says about
 * it (its conditions that are True). */
static void terminating_reason(const json_t *ns, char *out, size_t outsz)
{
	const json_t *meta = json_object_get(ns, "metadata"), *c;
	const char *since = json_string_value(json_object_get(meta, "deletionTimestamp"));
	struct buf b = BUF_INIT;
	size_t n = 0, i;
	time_t t;
	char age[24];

	buf_puts(&b, "Terminating");
	if (since && execcred_parse_time(since, &t)) {
		str_age(time(NULL) > t ? (long)(time(NULL) - t) : 0, age, sizeof(age));
		buf_printf(&b, " for %s", age);
	}
	buf_puts(&b, "; finalizers: ");
	add_finalizers(&b, json_object_get(meta, "finalizers"), "metadata", &n);
	add_finalizers(&b, json_object_get(json_object_get(ns, "spec"), "finalizers"), "spec", &n);
	if (n == 0)
		buf_puts(&b, "none left");
	json_array_foreach(json_object_get(json_object_get(ns, "status"), "conditions"), i, c)
	{
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *msg = json_string_value(json_object_get(c, "message"));
		const char *status = json_string_value(json_object_get(c, "status"));

		if (type && msg && status && strcmp(status, "True") == 0)
			buf_printf(&b, "; %.60s: %.200s", type, msg);
	}
	snprintf(out, outsz, "%s", buf_str(&b));
	buf_free(&b);
}

/* An opsdeck namespace is not an orphan while a live store -- on any
 * cluster -- has its name or the id its opsdeck.io/store label names: two
 * cluster rows may name one kube context, and a namespace that might be a
 * live store's is never offered for deletion on a guess. */
static bool store_live(const struct reconcile *rc, const char *ns, const char *label)
{
	for (size_t i = 0; i < rc->nstores; i++) {
		if (strcmp(rc->stores[i].namespace, ns) == 0 ||
		    (label && strcmp(rc->stores[i].id, label) == 0))
			return true;
	}
	return false;
}

static bool store_checked(const struct rc_store *s)
{
	/* Others: a job is working on it, or it failed already. */
	return strcmp(s->status, "Ready") == 0 || strcmp(s->status, "Paused") == 0;
}

/* The namespace's objects of one resource, for expected_missing: from
 * the fixed lists or the template's. */
struct rc_look {
	struct reconcile *rc;
	const char *ns;
};

static const json_t *items_of(void *ud, const struct kube_resource *res, bool *listed)
{
	const struct rc_look *lk = ud;
	const struct reconcile *rc = lk->rc;

	for (int l = L_DEPLOYMENTS; l < L_COUNT; l++) {
		if (expected_same_resource(lists[l].res, res)) {
			*listed = true;
			return json_object_get(rc->index[l], lk->ns);
		}
	}
	for (size_t i = 0; i < rc->nextra; i++) {
		if (expected_same_resource(rc->extra[i].res, res)) {
			*listed = rc->extra[i].index != NULL;
			return json_object_get(rc->extra[i].index, lk->ns);
		}
	}
	*listed = false;
	return NULL;
}

/* Does what the cluster runs (the lists in rc->got and rc->extra) match
 * the store and its template? If not, reason says how: the objects its
 * template renders that the namespace lacks first, then how its
 * workloads are. *unjudged: how many of its template's objects could not
 * be looked for (their list failed). */
static bool store_drifted(struct reconcile *rc, struct rc_store *s, char *reason, size_t reasonsz,
			  size_t *unjudged)
{
	const json_t *ns = find_namespace(rc, s->namespace);
	char term[400], health[500];
	json_t *d, *st, *p;
	enum health h;
	bool paused = strcmp(s->status, "Paused") == 0;
	struct rc_look lk = { rc, s->namespace };
	struct buf missing = BUF_INIT;
	size_t nmissing;
	bool healthy;

	*unjudged = 0;
	if (!ns) {
		snprintf(reason, reasonsz, "namespace %s is gone", s->namespace);
		return true;
	}
	if (json_object_get(json_object_get(ns, "metadata"), "deletionTimestamp")) {
		terminating_reason(ns, term, sizeof(term));
		snprintf(reason, reasonsz, "namespace %s is %s", s->namespace, term);
		return true;
	}
	if (rc->phase == PH_LOOK) {
		const char *given = json_string_value(json_object_get(
		    json_object_get(json_object_get(ns, "metadata"), "annotations"),
		    EXPECTED_ANNOTATION));

		/* No annotation: provisioned before the job recorded it. */
		s->other_template = given && s->digest[0] && strcmp(given, s->digest) != 0;
	}
	nmissing = 0;
	if (!s->other_template)
		nmissing = expected_missing(&s->exp, items_of, &lk, rc->phase == PH_CONFIRM,
					    &missing, unjudged);
	d = items_in(rc, L_DEPLOYMENTS, s->namespace);
	st = items_in(rc, L_STATEFULSETS, s->namespace);
	p = items_in(rc, L_PODS, s->namespace);
	h = health_check(d, st, p, health, sizeof(health));
	json_decref(d);
	json_decref(st);
	json_decref(p);
	healthy = h == (paused ? HEALTH_STOPPED : HEALTH_READY);
	if (paused && h == HEALTH_READY)
		snprintf(health, sizeof(health), "it is paused but its workloads run");
	if (nmissing > 0)
		snprintf(reason, reasonsz, "missing %.300s%s%.180s", buf_str(&missing),
			 healthy ? "" : "; ", healthy ? "" : health);
	else if (!healthy)
		snprintf(reason, reasonsz, "%s", health);
	buf_free(&missing);
	return nmissing > 0 || !healthy;
}

/* Is the store looked at in this phase, on the cluster being worked on? */
static bool store_judged(const struct reconcile *rc, const struct rc_store *s)
{
	return s->cluster == rc->ci && store_checked(s) && (rc->phase == PH_LOOK || s->suspect);
}

/* Was resource plural already said to be unlisted on the cluster being
 * worked on (at the first look, when the second fails too)? */
static bool unlisted_said(const struct reconcile *rc, const char *plural)
{
	char head[80];

	snprintf(head, sizeof(head), "listing %s:", plural);
	for (size_t i = 0; i < rc->rep.n; i++) {
		const struct reconcile_finding *f = &rc->rep.v[i];

		if (strcmp(f->kind, "unchecked") == 0 && !f->namespace[0] &&
		    strcmp(f->cluster, rc->clusters[rc->ci].name) == 0 &&
		    str_has_prefix(f->reason, head))
			return true;
	}
	return false;
}

/* The template's resources that could not be listed on the cluster being
 * worked on, each with the number of stores it leaves unjudged; once per
 * resource and cluster in a pass. */
static void unlisted_findings(struct reconcile *rc)
{
	for (size_t i = 0; i < rc->nextra; i++) {
		const struct rc_extra *x = &rc->extra[i];
		size_t n = 0;

		if (x->index || unlisted_said(rc, x->res->plural))
			continue;
		for (size_t k = 0; k < rc->nstores; k++)
			n += store_judged(rc, &rc->stores[k]) &&
			     expected_uses(&rc->stores[k].exp, x->res);
		snprintf(cluster_finding(rc, "unchecked", "", NULL)->reason,
			 sizeof(rc->rep.v[0].reason),
			 "listing %s: %.300s; the %s of %zu store(s) not looked for",
			 x->res->plural, x->error, x->res->plural, n);
	}
}

/* The first look at a cluster: suspects, orphans, stuck namespaces. */
static void evaluate(struct reconcile *rc)
{
	size_t i, unjudged;
	const json_t *o;

	unlisted_findings(rc);
	for (size_t k = 0; k < rc->nstores; k++) {
		struct rc_store *s = &rc->stores[k];

		if (!store_judged(rc, s))
			continue;
		rc->rep.stores_checked++;
		if (s->exp_error[0])
			snprintf(cluster_finding(rc, "unchecked", s->namespace, s->id)->reason,
				 sizeof(rc->rep.v[0].reason),
				 "%s; its objects are not checked against its template",
				 s->exp_error);
		s->suspect = store_drifted(rc, s, s->first, sizeof(s->first), &unjudged);
		rc->clusters[rc->ci].suspects += s->suspect;
		if (s->other_template)
			snprintf(cluster_finding(rc, "unchecked", s->namespace, s->id)->reason,
				 sizeof(rc->rep.v[0].reason),
				 "its offering's template changed since it was provisioned, so its "
				 "objects are not checked against it; provisioning it again (store "
				 "retry, once Failed) applies the new one");
	}
	json_array_foreach(json_object_get(rc->got[L_NAMESPACES], "items"), i, o)
	{
		const json_t *meta = json_object_get(o, "metadata");
		const char *name = json_string_value(json_object_get(meta, "name"));
		const char *store = json_string_value(
		    json_object_get(json_object_get(meta, "labels"), "opsdeck.io/store"));

		if (!name || store_live(rc, name, store))
			continue;
		if (json_object_get(meta, "deletionTimestamp")) {
			struct reconcile_finding *f =
			    cluster_finding(rc, "terminating", name, store);

			terminating_reason(o, f->reason, sizeof(f->reason));
			continue;
		}
		snprintf(cluster_finding(rc, "orphan", name, store)->reason,
			 sizeof(rc->rep.v[0].reason),
			 "labelled as opsdeck's but no live store uses it");
	}
	rc->ci++;
	next_cluster(rc);
}

/* The second look: a suspect that still does not match has drifted; one
 * that does was passing through (a pod replaced, an API hiccup). */
static void confirm_cluster(struct reconcile *rc)
{
	char reason[500];
	size_t unjudged;

	unlisted_findings(rc);
	for (size_t k = 0; k < rc->nstores; k++) {
		struct rc_store *s = &rc->stores[k];

		if (!store_judged(rc, s))
			continue;
		if (store_drifted(rc, s, reason, sizeof(reason), &unjudged)) {
			struct reconcile_finding *f =
			    cluster_finding(rc, "drift", s->namespace, s->id);

			snprintf(f->reason, sizeof(f->reason), "%s", reason);
			f->report_only = rc->opts.report_only;
		} else if (unjudged > 0) {
			/* Not seen whole: neither drift nor fine. */
			snprintf(cluster_finding(rc, "unchecked", s->namespace, s->id)->reason,
				 sizeof(rc->rep.v[0].reason),
				 "%.400s at the first look; not judged again, as not all of its "
				 "objects could be listed",
				 s->first);
		} else {
			snprintf(cluster_finding(rc, "recovered", s->namespace, s->id)->reason,
				 sizeof(rc->rep.v[0].reason),
				 "%.450s; fine again %lds later, so not marked", s->first,
				 rc->opts.conf->reconcile_confirm_s);
		}
	}
	rc->ci++;
	next_cluster(rc);
}

/* ---- listing ---- */

/* The cluster being worked on cannot be looked at: a finding (the caller
 * moves on to the next cluster). */
static void unreachable(struct reconcile *rc, const char *what, const char *why)
{
	const struct rc_cluster *c = &rc->clusters[rc->ci];

	if (rc->phase == PH_CONFIRM)
		snprintf(cluster_finding(rc, "unreachable", "", NULL)->reason,
			 sizeof(rc->rep.v[0].reason),
			 "%.100s: %.300s (looking again at %zu suspected store(s): none marked)",
			 what, why, c->suspects);
	else
		snprintf(cluster_finding(rc, "unreachable", "", NULL)->reason,
			 sizeof(rc->rep.v[0].reason), "%.200s: %.300s", what, why);
}

static void list_next(struct reconcile *rc);

/* The list of an extra resource ended: its index, or why not. */
static void extra_listed(struct reconcile *rc, const struct kube_result *res, const char *why)
{
	struct rc_extra *x = &rc->extra[rc->li - L_COUNT];

	if (res && kube_result_ok(res))
		x->index = index_list(res->obj, false);
	else
		str_copy(x->error, sizeof(x->error), res ? res->err.msg : why);
	rc->li++;
	list_next(rc);
}

static void listed(const struct kube_result *res, void *ud)
{
	struct reconcile *rc = ud;
	char what[80];

	rc->op = NULL;
	if (rc->li >= L_COUNT) {
		extra_listed(rc, res, NULL);
		return;
	}
	if (!kube_result_ok(res)) {
		snprintf(what, sizeof(what), "listing %s", lists[rc->li].res->plural);
		unreachable(rc, what, res->err.msg);
		rc->ci++;
		next_cluster(rc);
		return;
	}
	json_decref(rc->got[rc->li]);
	rc->got[rc->li] = json_incref(res->obj);
	json_decref(rc->index[rc->li]);
	rc->index[rc->li] = index_list(res->obj, rc->li == L_NAMESPACES);
	rc->li++;
	list_next(rc);
}

/* Lists rc->li and the following ones (the fixed lists, then the
 * extras), then evaluates. */
static void list_next(struct reconcile *rc)
{
	struct err err = { { 0 } };
	struct kube_list_opts lo = { 0 };
	char what[80];

	if (rc->li == L_COUNT + rc->nextra) {
		if (rc->phase == PH_LOOK)
			evaluate(rc);
		else
			confirm_cluster(rc);
		return;
	}
	if (rc->li >= L_COUNT) {
		/* Every object a template renders carries the store label; only
		 * names are compared, so no Secret's data is asked for. */
		lo.label_selector = RENDER_STORE_LABEL;
		lo.metadata_only = true;
		rc->op = kube_list(rc->http, rc->extra[rc->li - L_COUNT].res, NULL, &lo, listed,
				   rc, &err);
		if (!rc->op)
			extra_listed(rc, NULL, err.msg);
		return;
	}
	lo.label_selector = lists[rc->li].selector;
	rc->op = kube_list(rc->http, lists[rc->li].res, NULL, &lo, listed, rc, &err);
	if (!rc->op) {
		snprintf(what, sizeof(what), "listing %s", lists[rc->li].res->plural);
		unreachable(rc, what, err.msg);
		rc->ci++;
		next_cluster(rc);
	}
}

static void confirm_now(struct loop *loop, void *ud)
{
	struct reconcile *rc = ud;

	(void)loop;
	rc->confirm = NULL;
	next_cluster(rc);
}

static void clear_extras(struct reconcile *rc)
{
	for (size_t i = 0; i < rc->nextra; i++)
		json_decref(rc->extra[i].index);
	memset(rc->extra, 0, sizeof(rc->extra));
	rc->nextra = 0;
}

/* The resources the templates of the stores judged on the cluster being
 * worked on use, besides the fixed lists. */
static void plan_extras(struct reconcile *rc)
{
	clear_extras(rc);
	for (size_t k = 0; k < rc->nstores; k++) {
		const struct rc_store *s = &rc->stores[k];

		if (!store_judged(rc, s))
			continue;
		for (size_t i = 0; i < s->exp.n; i++) {
			const struct kube_resource *res = s->exp.v[i].res;
			bool known = false;

			for (int l = 0; l < L_COUNT; l++)
				known = known || expected_same_resource(lists[l].res, res);
			for (size_t x = 0; x < rc->nextra; x++)
				known = known || expected_same_resource(rc->extra[x].res, res);
			if (!known && rc->nextra < MAX_EXTRA)
				rc->extra[rc->nextra++].res = res;
			else if (!known && rc->phase == PH_LOOK && !unlisted_said(rc, res->plural))
				snprintf(cluster_finding(rc, "unchecked", "", NULL)->reason,
					 sizeof(rc->rep.v[0].reason),
					 "listing %s: the templates use more than %d kinds besides "
					 "those always listed; objects of this one not looked for",
					 res->plural, MAX_EXTRA);
		}
	}
}

static void next_cluster(struct reconcile *rc)
{
	struct err err = { { 0 } };
	char what[300];
	size_t suspects = 0;

	for (; rc->ci < rc->nclusters; rc->ci++) {
		if (rc->phase == PH_CONFIRM && rc->clusters[rc->ci].suspects == 0)
			continue;
		rc->http = rc->opts.http_for(rc->opts.http_ud, rc->clusters[rc->ci].context, &err);
		if (!rc->http) {
			snprintf(what, sizeof(what), "context %.200s",
				 rc->clusters[rc->ci].context);
			unreachable(rc, what, err.msg);
			continue;
		}
		rc->li = 0;
		plan_extras(rc);
		list_next(rc);
		return;
	}
	for (size_t i = 0; i < rc->nclusters; i++)
		suspects += rc->clusters[i].suspects;
	if (rc->phase == PH_LOOK && suspects > 0) {
		rc->phase = PH_CONFIRM;
		rc->ci = 0;
		rc->confirm = loop_timer_add(rc->opts.loop,
					     (uint64_t)rc->opts.conf->reconcile_confirm_s * 1000u,
					     0, confirm_now, rc);
		return;
	}
	rc->fi = 0;
	write_drifts(rc);
}

/* ---- what waits too long ---- */

/* The sentence for one row of job_req_stuck. */
static void stuck_reason(const struct reconcile *rc, const PGresult *res, int i, char *out,
			 size_t outsz)
{
	char age[24], t[24], err[240];
	const char *what = db_val(res, i, 0), *status = db_val(res, i, 4),
		   *kind = db_val(res, i, 7);
	const char *step = db_val(res, i, 9), *owner = db_val(res, i, 12);
	long job = db_long(res, i, 6), attempts = db_long(res, i, 10), max = db_long(res, i, 11);
	long expired = db_long(res, i, 13), due_in = db_long(res, i, 14);
	long busy = db_long(res, i, 16), lim = db_long(res, i, 17);
	size_t n;

	str_age(db_long(res, i, 5), age, sizeof(age));
	err[0] = '\0';
	if (*db_val(res, i, 15))
		snprintf(err, sizeof(err), "; last error: %.200s", db_val(res, i, 15));
	if (strcmp(what, "job") == 0) {
		str_age(rc->opts.conf->provision_timeout_s * 2, t, sizeof(t));
		n = (size_t)snprintf(out, outsz,
				     "job %ld (%s) has been on attempt %ld of %ld for %s (expected "
				     "under %s), %s%s, runner %s",
				     job, kind, attempts, max, age, t,
				     *step ? "at step " : "before its first step", step, owner);
		if (expired > 0 && n < outsz) {
			str_age(expired, t, sizeof(t));
			snprintf(out + n, outsz - n,
				 "; the runner stopped renewing its lease %s ago and none took the "
				 "job over",
				 t);
		}
		return;
	}
	n = (size_t)snprintf(out, outsz, "%s for %s", status, age);
	if (n >= outsz)
		return;
	if (job == 0) {
		snprintf(out + n, outsz - n, " and no job is queued or running for it");
	} else if (due_in > 0) {
		str_age(due_in, t, sizeof(t));
		snprintf(out + n, outsz - n,
			 "; its %s job (job %ld) tries again in %s, after %ld of %ld attempts%s",
			 kind, job, t, attempts, max, err);
	} else if (strcmp(kind, "provision") == 0 && busy >= lim) {
		snprintf(out + n, outsz - n,
			 "; its provision job (job %ld) waits for a provisioning slot (%ld of %ld "
			 "in use)%s",
			 job, busy, lim, err);
	} else {
		snprintf(out + n, outsz - n,
			 "; its %s job (job %ld) is due but no runner has taken it (is a worker or "
			 "a console running?)%s",
			 kind, job, err);
	}
}

static void stuck_loaded(void *ud, const PGresult *res, const struct err *err)
{
	struct reconcile *rc = ud;

	if (!res) {
		snprintf(rc->rep.problem, sizeof(rc->rep.problem),
			 "looking for stuck stores: %.500s", err->msg);
		finish(rc);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		struct reconcile_finding *f = add_finding(rc, "stuck", db_val(res, i, 3),
							  db_val(res, i, 2), db_val(res, i, 1));

		stuck_reason(rc, res, i, f->reason, sizeof(f->reason));
	}
	finish(rc);
}

static void find_stuck(struct reconcile *rc)
{
	struct db_req r;

	job_req_stuck(&r, rc->opts.conf->provision_timeout_s,
		      rc->opts.conf->provision_timeout_s * 2);
	db_conn_submit(rc->opts.db, &r, DB_TIMEOUT_MS, stuck_loaded, rc);
}

/* ---- recording drift ---- */

static const struct rc_store *store_by_id(const struct reconcile *rc, const char *id)
{
	for (size_t i = 0; i < rc->nstores; i++) {
		if (strcmp(rc->stores[i].id, id) == 0)
			return &rc->stores[i];
	}
	return NULL;
}

static void drift_written(void *ud, const PGresult *res, const struct err *err)
{
	struct reconcile *rc = ud;
	struct reconcile_finding *f = &rc->rep.v[rc->fi];

	if (res)
		f->acted = db_bool(res, 0, 0);
	else
		snprintf(rc->rep.problem, sizeof(rc->rep.problem),
			 "recording the drift of store %s: %.500s", f->store, err->msg);
	rc->fi++;
	write_drifts(rc);
}

static void write_drifts(struct reconcile *rc)
{
	struct db_req r;

	for (; rc->fi < rc->rep.n; rc->fi++) {
		struct reconcile_finding *f = &rc->rep.v[rc->fi];
		const struct rc_store *s = store_by_id(rc, f->store);

		if (strcmp(f->kind, "drift") != 0 || !s || f->report_only)
			continue;
		job_req_drift(&r, f->store, f->reason, rc->opts.actor, s->status, rc->seen_at);
		db_conn_submit(rc->opts.db, &r, DB_TIMEOUT_MS, drift_written, rc);
		return;
	}
	find_stuck(rc);
}

const char *reconcile_outcome(const struct reconcile_finding *f)
{
	if (strcmp(f->kind, "drift") == 0 && f->report_only)
		return " (not marked: read-only mode)";
	if (strcmp(f->kind, "drift") == 0)
		return f->acted ? " (marked Failed)"
				: " (not marked: a job is on it or has just ended;"
				  " the next pass looks again)";
	if (strcmp(f->kind, "orphan") == 0 && f->acted)
		return " (deleting it)";
	return "";
}

/* ---- start ---- */

static size_t cluster_index(struct reconcile *rc, const char *name, const char *context)
{
	for (size_t i = 0; i < rc->nclusters; i++) {
		if (strcmp(rc->clusters[i].name, name) == 0)
			return i;
	}
	rc->clusters = xrealloc(rc->clusters, (rc->nclusters + 1) * sizeof(*rc->clusters));
	memset(&rc->clusters[rc->nclusters], 0, sizeof(*rc->clusters));
	str_copy(rc->clusters[rc->nclusters].name, sizeof(rc->clusters[0].name), name);
	str_copy(rc->clusters[rc->nclusters].context, sizeof(rc->clusters[0].context), context);
	return rc->nclusters++;
}

/* ---- what the templates say ---- */

static int store_ptr_cmp(const void *a, const void *b)
{
	return strcmp((*(struct rc_store *const *)a)->id, (*(struct rc_store *const *)b)->id);
}

/* The store of id `id` among those judged (rc->byid, sorted by id). */
static struct rc_store *judged_store(struct reconcile *rc, const char *id)
{
	struct rc_store key;
	struct rc_store **hit;

	str_copy(key.id, sizeof(key.id), id);
	hit = bsearch(&(struct rc_store *){ &key }, rc->byid, rc->nbyid, sizeof(*rc->byid),
		      store_ptr_cmp);
	return hit ? *hit : NULL;
}

/* Every judged store's template rendered: those the answer lacked are
 * said, then the clusters are looked at. */
static void templates_done(struct reconcile *rc)
{
	for (size_t i = 0; i < rc->nbyid; i++) {
		struct rc_store *s = rc->byid[i];

		if (s->exp_read)
			continue;
		snprintf(s->exp_error, sizeof(s->exp_error), "reading its template: %.300s",
			 rc->templates_error[0] ? rc->templates_error
						: "the store is gone from the database");
	}
	expected_templates_free(&rc->tmpls);
	next_cluster(rc);
}

static void render_one(struct reconcile *rc, struct rc_pending *p)
{
	struct rc_store *s = p->s;
	struct err e = { { 0 } };

	p->st.template_text = (char *)p->tmpl;
	if (!p->tmpl)
		snprintf(s->exp_error, sizeof(s->exp_error), "reading its template: %s",
			 "no template in the answer");
	else if (!expected_for_store(&p->st, rc->opts.conf->store_domain, &s->exp, &e))
		snprintf(s->exp_error, sizeof(s->exp_error),
			 "its template does not render: %.300s", e.msg);
	else
		expected_digest(&s->exp, s->digest, sizeof(s->digest));
	p->st.template_text = NULL; /* rc->tmpls owns it */
	s->exp_read = true;
	job_store_free(&p->st);
}

/* Renders the next RENDER_SLICE templates, and the slice after from a
 * timer of its own, so a console reads keys in between. */
static void render_slice(struct loop *loop, void *ud)
{
	struct reconcile *rc = ud;
	size_t end = rc->pi + RENDER_SLICE < rc->npending ? rc->pi + RENDER_SLICE : rc->npending;

	(void)loop;
	rc->slice = NULL;
	for (; rc->pi < end; rc->pi++)
		render_one(rc, &rc->pending[rc->pi]);
	if (rc->pi < rc->npending) {
		rc->slice = loop_timer_add(rc->opts.loop, 0, 0, render_slice, rc);
		return;
	}
	free(rc->pending);
	rc->pending = NULL;
	rc->npending = rc->pi = 0;
	templates_done(rc);
}

/* Keeps each judged store's row of one answer (each offering's template
 * on its first row only) for render_slice. */
static void templates_read(void *ud, const PGresult *res, const struct err *err)
{
	struct reconcile *rc = ud;
	int n = res ? PQntuples(res) : 0;

	if (!res)
		snprintf(rc->templates_error, sizeof(rc->templates_error), "%.290s", err->msg);
	rc->pending = xcalloc((size_t)n + 1, sizeof(*rc->pending));
	for (int i = 0; i < n; i++) {
		struct rc_pending *p = &rc->pending[rc->npending];
		struct err e = { { 0 } };
		/* Before any row is skipped: a row skipped may be the only one
		 * that carries its offering's template. */
		const char *given = PQgetisnull(res, i, 9) ? NULL : db_val(res, i, 9);
		const char *tmpl = expected_template_of(&rc->tmpls, db_val(res, i, 7), given);

		if (!job_stores_row(res, i, &p->st, &e) || !(p->s = judged_store(rc, p->st.id))) {
			job_store_free(&p->st);
			continue;
		}
		free(p->st.template_text);
		p->st.template_text = NULL;
		p->tmpl = tmpl;
		rc->npending++;
	}
	rc->slice = loop_timer_add(rc->opts.loop, 0, 0, render_slice, rc);
}

/* Reads the templates of every store to be judged in one request. */
static void read_templates(struct reconcile *rc)
{
	struct db_req r;
	const char **ids;

	rc->byid = xcalloc(rc->nstores + 1, sizeof(*rc->byid));
	for (size_t i = 0; i < rc->nstores; i++) {
		if (store_checked(&rc->stores[i]))
			rc->byid[rc->nbyid++] = &rc->stores[i];
	}
	if (rc->nbyid == 0) {
		next_cluster(rc);
		return;
	}
	qsort(rc->byid, rc->nbyid, sizeof(*rc->byid), store_ptr_cmp);
	ids = xcalloc(rc->nbyid, sizeof(*ids));
	for (size_t i = 0; i < rc->nbyid; i++)
		ids[i] = rc->byid[i]->id;
	if (!job_req_stores(&r, ids, rc->nbyid)) {
		/* Ids come from the database's own rows: never, but said. */
		free(ids);
		snprintf(rc->templates_error, sizeof(rc->templates_error),
			 "a store id in the database is not one");
		templates_done(rc);
		return;
	}
	free(ids);
	db_conn_submit(rc->opts.db, &r, DB_TIMEOUT_MS, templates_read, rc);
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
		size_t c = cluster_index(rc, db_val(res, i, 3), db_val(res, i, 4));
		struct rc_store *s;

		str_copy(rc->seen_at, sizeof(rc->seen_at), db_val(res, i, 5));
		if (!*db_val(res, i, 0))
			continue; /* a cluster without stores */
		s = &rc->stores[rc->nstores++];
		str_copy(s->id, sizeof(s->id), db_val(res, i, 0));
		str_copy(s->namespace, sizeof(s->namespace), db_val(res, i, 1));
		str_copy(s->status, sizeof(s->status), db_val(res, i, 2));
		s->cluster = c;
	}
	read_templates(rc);
}

struct reconcile *reconcile_start(const struct reconcile_opts *opts, reconcile_done_fn done,
				  void *ud)
{
	struct reconcile *rc = xcalloc(1, sizeof(*rc));
	struct db_req r;

	rc->opts = *opts;
	rc->done = done;
	rc->ud = ud;
	rc->rep.started = time(NULL);
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
	if (rc->confirm)
		loop_timer_cancel(rc->confirm);
	if (rc->slice)
		loop_timer_cancel(rc->slice);
	for (size_t i = rc->pi; i < rc->npending; i++)
		job_store_free(&rc->pending[i].st);
	free(rc->pending);
	expected_templates_free(&rc->tmpls);
	db_conn_forget(rc->opts.db, rc);
	for (size_t i = 0; i < L_COUNT; i++) {
		json_decref(rc->got[i]);
		json_decref(rc->index[i]);
	}
	clear_extras(rc);
	for (size_t i = 0; i < rc->nstores; i++)
		expected_free(&rc->stores[i].exp);
	free(rc->stores);
	free(rc->byid);
	free(rc->clusters);
	free(rc->rep.v);
	free(rc);
}

void reconcile_report_copy(struct reconcile_report *dst, const struct reconcile_report *src)
{
	*dst = *src;
	dst->v = NULL;
	if (src->n > 0) {
		dst->v = xcalloc(src->n, sizeof(*dst->v));
		memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	}
}

void reconcile_report_clear(struct reconcile_report *rep)
{
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}
