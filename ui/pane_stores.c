#include "config.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db/live.h"
#include "db/projects.h"
#include "db/stores.h"
#include "db/storeref.h"
#include "form.h"
#include "kube/api.h"
#include "kube/registry.h"
#include "lineedit.h"
#include "pane.h"
#include "pane_notice.h"
#include "provision/credentials.h"
#include "provision/inventory.h"
#include "provision/secret.h"
#include "store_drill.h"
#include "style.h"
#include "table.h"

/* The Stores pane: every store that is not Deleted, newest first, live from
 * the database's notifications (a store's row, its job and the job's
 * step), with READY read from a watch of the stores' Deployments on each
 * cluster, so nothing here waits for a cluster. Operations are requests to
 * the database (the runner does the work), each refused in read-only mode:
 *   n order (a form), s scale, p pause, r resume, R retry, d delete (the
 *   id typed to confirm), Enter details, l logs, x credentials.
 * The details show the store's row, its Kubernetes objects with their
 * status and its namespace's newest events -- from watches of the store's
 * namespace (provision/inventory.h) that run only while the details are
 * open -- and its job history with a timeline of each job's steps.
 * x reveals the store's credentials in its details, as k9s shows a decoded
 * secret: after a confirmation, an audit event is written (store.reveal),
 * and only then is the Secret read from the cluster; x again, or closing
 * the details, hides them and wipes every copy this pane and the details
 * table made. Values never go to the message line.
 * p, r and d act on the marked stores when there are any.
 * `:stores WORD` filters the table (the Projects pane opens it so, with a
 * project's slug); `:stores VERB [STORE]` runs an operation. */

#define MAX_CHOICES 256
#define HISTORY_JOBS 20
#define DETAIL_EVENTS 20
#define BULK_MAX 512
#define TICK_MS 1000
#define SLOW_TICKS 30

enum { F_PROJECT, F_OFFERING, F_PLAN, F_NAME, F_CLUSTER, F_COUNT };

/* Per cluster: the registry's shared watch of the stores' web Deployments
 * (all namespaces), and READY's index of them by namespace. */
struct kcluster {
	char *name;
	char *context;
	struct kube_sub *sub; /* NULL: could not subscribe (error says why) */
	char error[256];
	json_t *web; /* namespace -> its web Deployment, while sub is ready */
	bool seen;   /* still in the clusters list */
};

enum choice_set { CH_PROJECT, CH_OFFERING, CH_PLAN, CH_CLUSTER, CH_COUNT };

/* Stores followed to tell how their operation ended; one not seen at work
 * within FOLLOW_UNSEEN_MS is no longer followed (its job came and went
 * unseen, or it was refused). */
#define FOLLOW_MAX 32
#define FOLLOW_UNSEEN_MS 60000

struct stores_pane {
	struct app *app;
	struct db_live *live;
	struct table *table;
	struct table *detail;
	bool detail_open;
	char detail_id[STORE_ID_LEN + 1];
	int detail_width;
	/* The job history of the store in detail: rows of text, owned. */
	char **hist;
	size_t hist_rows, hist_cols;
	bool hist_inflight, hist_again;
	char hist_error[256];
	/* The objects of the store in detail, watched while it is open. */
	struct inventory *inv;
	char inv_error[sizeof(struct err) + 128]; /* why there is no inventory */
	/* The objects' lines in the details as last built (row keys from
	 * inv_row0), for the drill into the one under the cursor. */
	struct drill_line { enum inventory_kind kind; char *name; } *inv_lines;
	size_t cred_row0, cred_rows; /* the revealed credentials' lines */
	size_t inv_row0, inv_nlines;
	struct store_drill *drill;
	/* The credentials of the store in detail, once revealed. */
	enum { REVEAL_NONE, REVEAL_AUDITING, REVEAL_READING, REVEAL_SHOWN } reveal;
	char reveal_cluster[64];
	struct credentials_read *creds_read;
	struct credentials *creds;

	struct kube_registry *kube;
	struct kcluster *kc;
	size_t nkc;
	json_t *by_ns; /* namespace -> id of the store it holds */
	struct loop_timer *tick; /* ages move on */
	bool slow;
	unsigned ticks;

	struct form_field fields[F_COUNT];
	char *choice_text[CH_COUNT][MAX_CHOICES];
	const char *choices[CH_COUNT][MAX_CHOICES + 1];
	char plan_hint[160];

	/* The operation waiting for a confirmation or a prompt. */
	enum store_op op;
	char subjects[BULK_MAX][STORE_ID_LEN + 1];
	size_t nsubjects;
	bool from_marks; /* the subjects are the marked rows: unmarked when done */
	char done_msg[200];
	/* Requests of the last operation: sent, in flight, refused. */
	size_t submitted, pending, failed;
	char first_error[300];
	form_ticket order_ticket; /* the order form waiting for its answer */
	/* Stores this console ordered or changed, until they settle: the
	 * message line says how they ended when another pane is open. */
	struct followed {
		char id[STORE_ID_LEN + 1]; /* "" for an order not listed yet */
		char project[64], name[64];
		bool seen_busy;
		uint64_t since_ms;
	} followed[FOLLOW_MAX];
	size_t nfollowed, follow_batch0; /* follow_batch0: the last operation's first */
};

static const struct table_column cols[] = {
	{ "ID", 12, 12, 0, TABLE_LEFT, 0 },	   { "NAME", 6, 30, 1, TABLE_LEFT, 0 },
	{ "PROJECT", 7, 24, 0, TABLE_LEFT, 3 },	   { "OFFERING/PLAN", 13, 30, 0, TABLE_LEFT, 4 },
	{ "CLUSTER", 7, 16, 0, TABLE_LEFT, 5 },	   { "STATUS", 6, 14, 0, TABLE_LEFT, 0 },
	{ "READY", 5, 9, 0, TABLE_RIGHT, 0 },	   { "AGE", 4, 6, 0, TABLE_RIGHT, 0 },
	{ "STEP", 4, 48, 0, TABLE_LEFT, 1 },	   { "URL", 12, 0, 2, TABLE_LEFT, 2 },
};
/* NAME, STATUS and STEP say most when whole: other columns go first (a URL
 * shorter than 12 is no use: it goes). */
enum { COL_NAME = 1, COL_STATUS = 5, COL_STEP = 8 };

/* Lines under a store's details for the line under the cursor, whole. */
#define DETAIL_FOOTER_LINES 3

static const struct table_column detail_cols[] = {
	{ "FIELD", 9, 12, 0, TABLE_LEFT, 0 },
	{ "VALUE", 10, 0, 1, TABLE_LEFT, 0 },
};

static int status_role(const char *status)
{
	if (strcmp(status, "Ready") == 0)
		return ROLE_STATE_OK;
	if (strcmp(status, "Failed") == 0)
		return ROLE_STATE_BAD;
	if (strcmp(status, "Paused") == 0 || strcmp(status, "Deleted") == 0)
		return ROLE_STATE_OFF;
	return ROLE_STATE_BUSY;
}

/* ---- the clusters' watches ---- */

static struct kcluster *find_kc(struct stores_pane *p, const char *name)
{
	for (size_t i = 0; i < p->nkc; i++) {
		if (strcmp(p->kc[i].name, name) == 0)
			return &p->kc[i];
	}
	return NULL;
}

static void rebuild(struct stores_pane *p);
static void update_title(struct stores_pane *p, const struct store_list *sl);
static void update_rows_of(struct stores_pane *p, const struct kcluster *k,
			   const struct kube_changes *ch);

/* The web Deployment of each namespace, from the watch as a whole. */
static void web_reindex(struct kcluster *k)
{
	const char *key;
	json_t *obj;

	json_object_clear(k->web);
	if (!k->sub || !(kube_sub_ready(k->sub) || kube_sub_partial(k->sub)))
		return;
	json_object_foreach((json_t *)kube_sub_objects(k->sub), key, obj)
	{
		const char *ns = json_string_value(
			json_object_get(json_object_get(obj, "metadata"), "namespace"));

		if (ns)
			json_object_set(k->web, ns, obj);
	}
}

/* The same for the objects named by keys ("namespace/name") only. */
static void web_update(struct kcluster *k, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *slash = strchr(keys[i], '/');
		json_t *obj = kube_sub_get(k->sub, keys[i]);
		char ns[256];

		if (!slash || (size_t)(slash - keys[i]) >= sizeof(ns))
			continue;
		memcpy(ns, keys[i], (size_t)(slash - keys[i]));
		ns[slash - keys[i]] = '\0';
		if (obj) {
			json_object_set(k->web, ns, obj);
		} else {
			json_t *had = json_object_get(k->web, ns);
			const char *name = json_string_value(
				json_object_get(json_object_get(had, "metadata"), "name"));

			/* gone, unless another web Deployment took its place */
			if (had && name && strcmp(name, slash + 1) == 0)
				json_object_del(k->web, ns);
		}
	}
}

static void sub_changed(struct kube_sub *s, const struct kube_changes *ch, void *ud)
{
	struct stores_pane *p = ud;
	struct kcluster *k = NULL;

	for (size_t i = 0; i < p->nkc && !k; i++) {
		if (p->kc[i].sub == s)
			k = &p->kc[i];
	}
	if (!k)
		return;
	if (ch->all || ch->state || !(kube_sub_ready(s) || kube_sub_partial(s))) {
		web_reindex(k);
		rebuild(p);
	} else {
		web_update(k, ch->keys, ch->nkeys);
		update_rows_of(p, k, ch);
		if (!kube_sub_ready(s))
			update_title(p, db_live_stores(p->live, NULL)); /* the count so far */
	}
	app_redraw(p->app);
}

static void kc_free(struct kcluster *k)
{
	kube_sub_free(k->sub);
	json_decref(k->web);
	free(k->name);
	free(k->context);
}

/* All READY needs of a web Deployment: at 10,000 stores the cache is a
 * tenth of what whole Deployments take. */
static const char *const web_fields[] = {"spec.replicas", "status.readyReplicas", NULL};

static void kc_subscribe(struct stores_pane *p, struct kcluster *k)
{
	struct err err = { { 0 } };

	if (!p->kube)
		p->kube = kube_registry_acquire(app_loop(p->app), app_conf(p->app)->kubeconfig);
	/* only the web tier: READY is its ready/desired replicas */
	k->sub = kube_registry_subscribe(p->kube, k->context, &kube_res_deployments, NULL,
					 "opsdeck.io/store,opsdeck.io/role=web", web_fields,
					 sub_changed, p, &err);
	if (!k->sub)
		str_copy(k->error, sizeof(k->error), err_isset(&err) ? err.msg : "cannot watch it");
}

/* Subscribes for every cluster not disabled and drops those gone; true if
 * one came, went or changed its context (the rows' READY may change). */
static bool sync_clusters(struct stores_pane *p)
{
	const struct cluster_list *cl = db_live_clusters(p->live);
	size_t j = 0;
	bool changed = false;

	if (!cl)
		return false;
	for (size_t i = 0; i < p->nkc; i++)
		p->kc[i].seen = false;
	for (size_t i = 0; i < cl->n; i++) {
		const struct cluster *c = &cl->v[i];
		struct kcluster *k = find_kc(p, c->name);

		if (strcmp(c->state, "disabled") == 0)
			continue;
		if (k && strcmp(k->context, c->context) != 0) {
			/* The context changed: watch the new one. */
			kube_sub_free(k->sub);
			k->sub = NULL;
			json_object_clear(k->web);
			free(k->context);
			k->context = xstrdup(c->context);
			k->error[0] = '\0';
			changed = true;
		} else if (!k) {
			p->kc = xrealloc(p->kc, (p->nkc + 1) * sizeof(*p->kc));
			k = &p->kc[p->nkc++];
			memset(k, 0, sizeof(*k));
			k->name = xstrdup(c->name);
			k->context = xstrdup(c->context);
			k->web = json_object();
			changed = true;
		}
		k->seen = true;
		if (!k->sub && !k->error[0])
			kc_subscribe(p, k);
	}
	for (size_t i = 0; i < p->nkc; i++) {
		if (p->kc[i].seen) {
			p->kc[j++] = p->kc[i];
		} else {
			kc_free(&p->kc[i]);
			changed = true;
		}
	}
	p->nkc = j;
	return changed;
}

/* "" while the cluster's Deployments are known; else why not ("" too
 * while the first list is under way: not a problem yet). */
static const char *kc_problem(const struct kcluster *k)
{
	if (!k->sub)
		return k->error;
	return kube_sub_problem(k->sub);
}

/* READY of a store: ready/desired replicas of its web Deployment; "?" when
 * the cluster's Deployments are not known now (unreachable, listing again
 * after an outage, or not in the pages of a first list so far), never the
 * counts from before. */
static void ready_text(const struct kcluster *k, const struct store *s, char *buf, size_t bufsz)
{
	json_t *obj;
	bool ready = k && k->sub && kube_sub_ready(k->sub);

	/* going away: what still runs is not a healthy store */
	if (strcmp(s->status, "Deleting") == 0) {
		snprintf(buf, bufsz, "-");
		return;
	}
	if (!ready && !(k && k->sub && kube_sub_partial(k->sub))) {
		snprintf(buf, bufsz, "?");
		return;
	}
	obj = json_object_get(k->web, s->namespace);
	if (!obj) {
		if (ready)
			snprintf(buf, bufsz, "-/%ld", s->replicas);
		else
			snprintf(buf, bufsz, "?");
		return;
	}
	snprintf(buf, bufsz, "%lld/%lld",
		 (long long)json_integer_value(
			 json_object_get(json_object_get(obj, "status"), "readyReplicas")),
		 (long long)json_integer_value(
			 json_object_get(json_object_get(obj, "spec"), "replicas")));
}

/* ---- the table ---- */

static bool any_busy(const struct store_list *sl)
{
	for (size_t i = 0; sl && i < sl->n; i++) {
		if (store_status_busy(sl->v[i].status) || sl->v[i].job_id)
			return true;
	}
	return false;
}

static bool any_young(const struct store_list *sl, long since)
{
	for (size_t i = 0; sl && i < sl->n; i++) {
		if (sl->v[i].age_s + since < 180)
			return true;
	}
	return false;
}

static void tick(struct loop *loop, void *ud);
static void tell_settled(struct stores_pane *p);
static void rebuild_detail(struct stores_pane *p);

/* A row's cells, in storage of its own. */
struct store_cells {
	char op[160], ready[48], age[24], step[160], status[32];
	const char *v[10];
};

static void store_cells(struct stores_pane *p, const struct store *s, long since,
			struct store_cells *c)
{
	snprintf(c->op, sizeof(c->op), "%s/%s", s->offering, s->plan);
	ready_text(find_kc(p, s->cluster), s, c->ready, sizeof(c->ready));
	str_age(s->age_s + since, c->age, sizeof(c->age));
	store_progress(s, since, c->step, sizeof(c->step));
	if (!c->step[0] && strcmp(s->status, "Failed") == 0 && s->error && *s->error)
		snprintf(c->step, sizeof(c->step), "%s", s->error);
	c->v[0] = s->id;
	c->v[1] = s->name;
	c->v[2] = s->project;
	c->v[3] = c->op;
	c->v[4] = s->cluster;
	store_status_text(s, c->status, sizeof(c->status));
	c->v[5] = c->status;
	c->v[6] = c->ready;
	c->v[7] = c->age;
	c->v[8] = c->step;
	c->v[9] = s->url[0] ? s->url : "-";
}

/* Seconds since the stores were read: their ages were computed then. */
static long stores_since(struct stores_pane *p, const struct store_list **sl)
{
	uint64_t read_ms = 0;

	*sl = db_live_stores(p->live, &read_ms);
	return *sl ? (long)((loop_now_ms() - read_ms) / 1000) : 0;
}

static void update_title(struct stores_pane *p, const struct store_list *sl)
{
	const struct kcluster *bad = NULL, *reading = NULL;
	size_t busy = 0;
	char title[512];
	int n;

	for (size_t i = 0; sl && i < sl->n; i++)
		busy += store_status_busy(sl->v[i].status);
	for (size_t i = 0; i < p->nkc && !bad; i++) {
		if (kc_problem(&p->kc[i])[0])
			bad = &p->kc[i];
		else if (!reading && p->kc[i].sub && !kube_sub_ready(p->kc[i].sub))
			reading = &p->kc[i];
	}
	n = snprintf(title, sizeof(title), "Stores (%zu, %zu busy; live)", sl ? sl->n : 0, busy);
	if (n < 0 || (size_t)n >= sizeof(title))
		n = 0;
	if (bad) {
		struct kube_cluster_status st = { .state = KUBE_CLUSTER_BROKEN };

		if (p->kube)
			kube_registry_status(p->kube, bad->context, &st);
		/* "unreachable" only when it is: a refused watch is another story */
		snprintf(title + n, sizeof(title) - (size_t)n, " - READY unknown: cluster %s%s: %s",
			 bad->name, st.state == KUBE_CLUSTER_UNREACHABLE ? " unreachable" : "",
			 kc_problem(bad));
	} else if (reading) {
		/* a relist's cache is the old one: no count of it */
		if (kube_sub_partial(reading->sub))
			snprintf(title + n, sizeof(title) - (size_t)n,
				 " - reading cluster %s (%zu so far)", reading->name,
				 kube_sub_count(reading->sub));
		else
			snprintf(title + n, sizeof(title) - (size_t)n, " - reading cluster %s",
				 reading->name);
	}
	table_set_title(p->table, title);
}

/* Every row again: after the stores were read, or a cluster listed. */
static void rebuild(struct stores_pane *p)
{
	const struct store_list *sl;
	long since = stores_since(p, &sl);
	struct table_model *tm = table_model(p->table);

	json_object_clear(p->by_ns);
	table_model_begin(tm);
	for (size_t i = 0; sl && i < sl->n; i++) {
		const struct store *s = &sl->v[i];
		struct store_cells c;

		store_cells(p, s, since, &c);
		table_model_add(tm, s->id, c.v, status_role(c.v[5]), COL_STATUS);
		json_object_set_new(p->by_ns, s->namespace, json_string(s->id));
	}
	table_model_end(tm);
	update_title(p, sl);
	/* Ages move on: every second while one counts in seconds or a job
	 * runs, else every half minute. */
	if (sl && sl->n > 0 && !p->tick)
		p->tick = loop_timer_add(app_loop(p->app), TICK_MS, TICK_MS, tick, p);
	p->slow = !any_busy(sl) && !any_young(sl, since);
}

/* The rows of the stores whose web Deployments changed on cluster k: one
 * lookup and one row each, however many stores there are. */
static void update_rows_of(struct stores_pane *p, const struct kcluster *k,
			   const struct kube_changes *ch)
{
	const struct store_list *sl;
	long since = stores_since(p, &sl);
	struct table_model *tm = table_model(p->table);

	for (size_t i = 0; sl && i < ch->nkeys; i++) {
		const char *slash = strchr(ch->keys[i], '/');
		char ns[256];
		json_t *at;
		const struct store *s;
		struct store_cells c;

		if (!slash || (size_t)(slash - ch->keys[i]) >= sizeof(ns))
			continue;
		memcpy(ns, ch->keys[i], (size_t)(slash - ch->keys[i]));
		ns[slash - ch->keys[i]] = '\0';
		at = json_object_get(p->by_ns, ns);
		s = at ? db_live_store(p->live, json_string_value(at)) : NULL;
		if (!s || strcmp(s->cluster, k->name) != 0 || strcmp(s->namespace, ns) != 0)
			continue;
		store_cells(p, s, since, &c);
		table_model_update(tm, s->id, c.v, status_role(c.v[5]), COL_STATUS);
	}
}

/* The rows of the stores the database says changed, one each; false if
 * one was added or removed (the caller rebuilds: rare, and it moves every
 * other row). */
static bool update_stores(struct stores_pane *p, const struct db_live_change *ch)
{
	const struct store_list *sl;
	long since = stores_since(p, &sl);
	struct table_model *tm = table_model(p->table);

	for (size_t i = 0; i < ch->nstore_ids; i++) {
		const struct store *s = db_live_store(p->live, ch->store_ids[i]);
		struct store_cells c;

		if (!s)
			return false;
		store_cells(p, s, since, &c);
		if (!table_model_update(tm, s->id, c.v, status_role(c.v[5]), COL_STATUS))
			return false;
		json_object_set_new(p->by_ns, s->namespace, json_string(s->id));
	}
	update_title(p, sl);
	p->slow = !any_busy(sl) && !any_young(sl, since);
	return true;
}

/* Ages and steps move on: rows whose text changed are updated, the others
 * cost a comparison. */
static void refresh_rows(struct stores_pane *p)
{
	const struct store_list *sl;
	long since = stores_since(p, &sl);
	struct table_model *tm = table_model(p->table);

	for (size_t i = 0; sl && i < sl->n; i++) {
		struct store_cells c;

		store_cells(p, &sl->v[i], since, &c);
		table_model_update(tm, sl->v[i].id, c.v, status_role(c.v[5]), COL_STATUS);
	}
	p->slow = !any_busy(sl) && !any_young(sl, since);
}

static void tick(struct loop *loop, void *ud)
{
	struct stores_pane *p = ud;

	(void)loop;
	if (p->slow && ++p->ticks % SLOW_TICKS != 0)
		return;
	refresh_rows(p);
	if (p->detail_open)
		rebuild_detail(p); /* the events' ages */
	app_redraw(p->app);
}

/* ---- details ---- */

static void add_line(struct table_model *tm, size_t *nrow, const char *field, const char *value)
{
	char key[24];
	const char *cells[2] = { field, value };

	snprintf(key, sizeof(key), "%zu", (*nrow)++);
	table_model_add(tm, key, cells, -1, -1);
}

static int state_role(enum inventory_state st)
{
	switch (st) {
	case INV_STATE_OK: return ROLE_STATE_OK;
	case INV_STATE_BUSY: return ROLE_STATE_BUSY;
	case INV_STATE_BAD: return ROLE_STATE_BAD;
	case INV_STATE_OFF: return ROLE_STATE_OFF;
	default: return -1;
	}
}

/* A detail line whose value is coloured by role (-1: not). */
static void add_line_role(struct table_model *tm, size_t *nrow, const char *field,
			  const char *value, int role)
{
	char key[24];
	const char *cells[2] = { field, value };

	snprintf(key, sizeof(key), "%zu", (*nrow)++);
	table_model_add(tm, key, cells, role, 1);
}

/* The section a kind of object is listed under. */
static const char *section_of(enum inventory_kind k)
{
	switch (k) {
	case INV_DEPLOYMENTS:
	case INV_STATEFULSETS: return "workloads";
	case INV_PODS: return "pods";
	case INV_PVCS: return "volumes";
	case INV_SERVICES: return "services";
	default: return "ingresses";
	}
}

static int name_width(const struct inventory_view *v)
{
	int w = 0;

	for (size_t i = 0; i < v->nobjects; i++) {
		int n = utf8_width(v->objects[i].name);

		if (n > w)
			w = n;
	}
	return w;
}

static void forget_lines(struct stores_pane *p)
{
	for (size_t i = 0; i < p->inv_nlines; i++)
		free(p->inv_lines[i].name);
	x_free(&p->inv_lines);
	p->inv_nlines = 0;
}

/* The objects as their lines are about to be added from row0 on. */
static void keep_lines(struct stores_pane *p, const struct inventory_view *v, size_t row0)
{
	forget_lines(p);
	p->inv_row0 = row0;
	p->inv_lines = xcalloc(v->nobjects + 1, sizeof(*p->inv_lines));
	for (size_t i = 0; i < v->nobjects; i++) {
		const char *slash = strchr(v->objects[i].name, '/');

		p->inv_lines[i].kind = v->objects[i].kind;
		p->inv_lines[i].name = xstrdup(slash ? slash + 1 : v->objects[i].name);
	}
	p->inv_nlines = v->nobjects;
}

/* A key in the details goes to the drill first, with the object under the
 * cursor (if the cursor is on an object's line). */
static unsigned drill_key(struct stores_pane *p, keycode k)
{
	struct table_model *tm = table_model(p->detail);
	const struct store *s = db_live_store(p->live, p->detail_id);
	const struct cluster_list *cl = db_live_clusters(p->live);
	const char *key = table_model_nvisible(tm) ? table_model_key(tm, table_model_cursor(tm))
						   : NULL;
	struct drill_target t = { 0 };
	long row;

	if (s && key && str_to_long(key, 0, LONG_MAX, &row) && (size_t)row >= p->inv_row0 &&
	    (size_t)row - p->inv_row0 < p->inv_nlines) {
		const struct drill_line *l = &p->inv_lines[(size_t)row - p->inv_row0];

		t = (struct drill_target){ .store = s->id, .cluster = s->cluster, .context = "",
					   .ns = s->namespace, .kind = l->kind, .name = l->name };
		for (size_t i = 0; cl && i < cl->n; i++) {
			if (strcmp(cl->v[i].name, s->cluster) == 0)
				t.context = cl->v[i].context;
		}
	}
	if (!p->kube)
		p->kube = kube_registry_acquire(app_loop(p->app), app_conf(p->app)->kubeconfig);
	return store_drill_key(p->drill, p->kube, k, t.name ? &t : NULL);
}

/* The store's objects, a line each with its status coloured by its state,
 * and the namespace's newest events; or why they cannot be shown. */
static void add_inventory(struct stores_pane *p, struct table_model *tm, size_t *nrow,
			  const struct store *s)
{
	struct inventory_view v;
	const char *last = "";
	char line[1024], age[24];
	int nw, rw = 0, ow = 0;
	time_t now = time(NULL);

	if (!p->inv) {
		add_line_role(tm, nrow, "objects", p->inv_error[0] ? p->inv_error : "reading…",
			      p->inv_error[0] ? ROLE_STATE_BAD : -1);
		return;
	}
	if (inventory_error(p->inv)[0]) {
		/* the error says what failed: unreachable, forbidden, ... */
		snprintf(line, sizeof(line), "cluster %s: %s", s->cluster, inventory_error(p->inv));
		add_line_role(tm, nrow, "objects", line, ROLE_STATE_BAD);
		return;
	}
	if (!inventory_synced(p->inv)) {
		snprintf(line, sizeof(line), "reading from cluster %s…", s->cluster);
		add_line(tm, nrow, "objects", line);
		return;
	}
	inventory_snapshot(p->inv, DETAIL_EVENTS, &v);
	nw = name_width(&v);
	keep_lines(p, &v, *nrow);
	for (size_t i = 0; i < v.nobjects; i++) {
		const struct inventory_object *o = &v.objects[i];
		const char *sec = section_of(o->kind);

		snprintf(line, sizeof(line), "%-*s  %s", nw, o->name, o->status);
		add_line_role(tm, nrow, strcmp(sec, last) != 0 ? sec : "", line, state_role(o->state));
		last = sec;
	}
	if (v.nobjects == 0)
		add_line(tm, nrow, "objects", "none in the namespace (yet)");
	for (size_t i = 0; i < v.nevents; i++) {
		int r = utf8_width(v.events[i].reason), o = utf8_width(v.events[i].object);

		rw = r > rw ? r : rw;
		ow = o > ow ? o : ow;
	}
	for (size_t i = 0; i < v.nevents; i++) {
		const struct inventory_event *e = &v.events[i];

		if (e->at)
			str_age((long)(now - e->at), age, sizeof(age));
		else
			str_copy(age, sizeof(age), "-");
		snprintf(line, sizeof(line), "%4s  %-7s  %-*s  %-*s  %s", age, e->type, rw, e->reason,
			 ow, e->object, e->message);
		add_line_role(tm, nrow, i == 0 ? "events" : "", line,
			      e->warning ? ROLE_STATE_BAD : -1);
	}
	if (v.nevents == 0)
		add_line(tm, nrow, "events", "none");
	inventory_view_free(&v);
}

/* The revealed credentials, a line each; or how far the reveal is. The
 * line buffer is wiped after each copy into the table (whose rows are
 * wiped when freed: table_model_set_sensitive). */
static void add_credentials(struct stores_pane *p, struct table_model *tm, size_t *nrow)
{
	char line[CREDENTIALS_MAX_VALUE + 64];
	int kw = credentials_key_width();

	p->cred_rows = 0;
	switch (p->reveal) {
	case REVEAL_NONE: return;
	case REVEAL_AUDITING:
		add_line(tm, nrow, "credentials", "writing the audit event…");
		return;
	case REVEAL_READING:
		snprintf(line, sizeof(line), "reading secret %s from cluster %s…",
			 CREDENTIALS_SECRET, p->reveal_cluster);
		add_line(tm, nrow, "credentials", line);
		return;
	case REVEAL_SHOWN: break;
	}
	p->cred_row0 = *nrow;
	p->cred_rows = CREDENTIALS_NKEYS;
	for (size_t i = 0; i < CREDENTIALS_NKEYS; i++) {
		const struct credential *c = &p->creds->v[i];

		snprintf(line, sizeof(line), "%-*s  %s", kw, c->key,
			 c->state == CREDENTIAL_FOUND ? c->value
						      : credentials_state_words(c->state));
		add_line_role(tm, nrow, i == 0 ? "credentials" : "", line,
			      c->state == CREDENTIAL_FOUND ? -1 : ROLE_STATE_BAD);
		secret_wipe(line, sizeof(line));
	}
}

static const char *hist_cell(const struct stores_pane *p, size_t row, size_t col)
{
	const char *v = col < p->hist_cols ? p->hist[row * p->hist_cols + col] : NULL;

	return v ? v : "";
}

static void rebuild_detail(struct stores_pane *p)
{
	const struct store_list *sl = db_live_stores(p->live, NULL);
	const struct store *s = sl ? store_list_find(sl, p->detail_id) : NULL;
	struct table_model *tm = table_model(p->detail);
	char v[512], title[96];
	size_t nrow = 0;
	const char *last_job = "";

	forget_lines(p);
	table_model_begin(tm);
	if (!s) {
		add_line(tm, &nrow, "store", "gone: it is Deleted or no longer listed");
	} else {
		add_line(tm, &nrow, "id", s->id);
		add_line(tm, &nrow, "name", s->name);
		snprintf(v, sizeof(v), "%s (customer %s)", s->project, s->customer);
		add_line(tm, &nrow, "project", v);
		snprintf(v, sizeof(v), "%s (%s), plan %s", s->offering, s->kind, s->plan);
		add_line(tm, &nrow, "offering", v);
		snprintf(v, sizeof(v), "%s, namespace %s", s->cluster, s->namespace);
		add_line(tm, &nrow, "cluster", v);
		add_line(tm, &nrow, "status", s->status);
		if (s->error && *s->error)
			add_line(tm, &nrow, "error", s->error);
		snprintf(v, sizeof(v), "%ld", s->replicas);
		add_line(tm, &nrow, "replicas", v);
		add_line(tm, &nrow, "url", s->url[0] ? s->url : "-");
		add_line(tm, &nrow, "ordered", s->created_at);
		add_line(tm, &nrow, "by", s->created_by ? s->created_by : "");
		add_line(tm, &nrow, "ready at", s->ready_at[0] ? s->ready_at : "-");
		add_credentials(p, tm, &nrow);
		add_inventory(p, tm, &nrow, s);
	}
	/* The job history, newest first, a line per step. */
	if (p->hist_error[0]) {
		add_line(tm, &nrow, "jobs", p->hist_error);
	} else if (!p->hist) {
		add_line(tm, &nrow, "jobs", "reading…");
	} else if (p->hist_rows == 0) {
		add_line(tm, &nrow, "jobs", "none");
	}
	for (size_t r = 0; p->hist && r < p->hist_rows; r++) {
		const char *job = hist_cell(p, r, 0);

		if (strcmp(job, last_job) != 0) {
			const char *lerr = hist_cell(p, r, 7);

			snprintf(v, sizeof(v), "job %s %s: %s (attempt %s of %s) %s%s%s%s", job,
				 hist_cell(p, r, 1), hist_cell(p, r, 2), hist_cell(p, r, 3),
				 hist_cell(p, r, 4), hist_cell(p, r, 5),
				 *hist_cell(p, r, 6) ? " → " : "", hist_cell(p, r, 6),
				 *lerr ? "" : "");
			add_line(tm, &nrow, last_job[0] ? "" : "jobs", v);
			if (*lerr) {
				snprintf(v, sizeof(v), "  last error: %s", lerr);
				add_line(tm, &nrow, "", v);
			}
			last_job = job;
		}
		if (*hist_cell(p, r, 8)) {
			snprintf(v, sizeof(v), "  %-10s %s %s → %s %s%s%s", hist_cell(p, r, 8),
				 *hist_cell(p, r, 11) ? hist_cell(p, r, 11) : "running",
				 hist_cell(p, r, 9), *hist_cell(p, r, 10) ? hist_cell(p, r, 10) : "…",
				 *hist_cell(p, r, 12) ? "(" : "", hist_cell(p, r, 12),
				 *hist_cell(p, r, 12) ? ")" : "");
			add_line(tm, &nrow, "", v);
		}
	}
	table_model_end(tm);
	snprintf(title, sizeof(title), "Store %s (Esc closes)", p->detail_id);
	table_set_title(p->detail, title);
}

static void hist_free(struct stores_pane *p)
{
	for (size_t i = 0; p->hist && i < p->hist_rows * p->hist_cols; i++)
		free(p->hist[i]);
	x_free(&p->hist);
	p->hist_rows = p->hist_cols = 0;
}

static void load_history(struct stores_pane *p);

static void history_read(void *ud, const struct db_rows *rows, const char *error)
{
	struct stores_pane *p = ud;

	p->hist_inflight = false;
	if (!rows) {
		str_copy(p->hist_error, sizeof(p->hist_error), error);
	} else {
		hist_free(p);
		p->hist_error[0] = '\0';
		p->hist_rows = rows->nrows;
		p->hist_cols = rows->ncols;
		p->hist = xcalloc(rows->nrows * rows->ncols + 1, sizeof(*p->hist));
		for (size_t i = 0; i < rows->nrows * rows->ncols; i++)
			p->hist[i] = rows->cells[i] ? xstrdup(rows->cells[i]) : NULL;
	}
	if (p->hist_again) {
		p->hist_again = false;
		load_history(p);
	}
	if (p->detail_open) {
		rebuild_detail(p);
		app_redraw(p->app);
	}
}

static void load_history(struct stores_pane *p)
{
	struct db_req r;

	if (p->hist_inflight) {
		p->hist_again = true;
		return;
	}
	store_req_history(&r, p->detail_id, HISTORY_JOBS);
	p->hist_inflight = true;
	db_live_query(p->live, &r, history_read, p);
}

static void inventory_changed(void *ud)
{
	struct stores_pane *p = ud;

	rebuild_detail(p);
	app_redraw(p->app);
}

/* Starts watching the objects of the store in detail, once its row and its
 * cluster are known (the row may come after the details open). */
static void start_inventory(struct stores_pane *p)
{
	const struct store_list *sl = db_live_stores(p->live, NULL);
	const struct store *s = sl ? store_list_find(sl, p->detail_id) : NULL;
	const struct cluster_list *cl = db_live_clusters(p->live);
	const struct cluster *c = NULL;
	struct err err = { { 0 } };

	if (p->inv || p->inv_error[0] || !s || !cl)
		return;
	for (size_t i = 0; i < cl->n && !c; i++) {
		if (strcmp(cl->v[i].name, s->cluster) == 0)
			c = &cl->v[i];
	}
	if (!c) {
		snprintf(p->inv_error, sizeof(p->inv_error), "cluster %s is not in the clusters list",
			 s->cluster);
		return;
	}
	if (!p->kube)
		p->kube = kube_registry_acquire(app_loop(p->app), app_conf(p->app)->kubeconfig);
	p->inv = inventory_new(p->kube, c->context, s->namespace, inventory_changed, p, &err);
	if (!p->inv)
		snprintf(p->inv_error, sizeof(p->inv_error), "cannot watch cluster %s: %s", s->cluster,
			 err_isset(&err) ? err.msg : "unknown error");
}

/* Forgets the credentials (wiped) and any reveal under way, and rebuilds
 * the details without them, so that the table's copies are wiped now (a
 * rebuild frees the old rows), not at the next draw. */
static void hide_credentials(struct stores_pane *p)
{
	bool shown = p->reveal == REVEAL_SHOWN;

	credentials_read_cancel(p->creds_read);
	p->creds_read = NULL;
	credentials_free(p->creds);
	p->creds = NULL;
	p->reveal = REVEAL_NONE;
	if (shown)
		rebuild_detail(p);
}

static void close_detail(struct stores_pane *p)
{
	hide_credentials(p);
	store_drill_close(p->drill);
	p->detail_open = false;
	inventory_free(p->inv);
	p->inv = NULL;
	p->inv_error[0] = '\0';
}

static void open_detail(struct stores_pane *p, const char *id)
{
	close_detail(p);
	str_copy(p->detail_id, sizeof(p->detail_id), id);
	hist_free(p);
	p->hist_error[0] = '\0';
	p->detail_open = true;
	table_model_set_filter(table_model(p->detail), "");
	table_scroll_home(p->detail);
	start_inventory(p);
	rebuild_detail(p);
	load_history(p);
}

/* ---- live data ---- */

static void live_changed(void *ud, const struct db_live_change *ch)
{
	struct stores_pane *p = ud;

	/* Rows come from the stores and clusters only: the audit trail, the
	 * catalog and the projects are read when a form opens. */
	if (!ch->state &&
	    !(ch->lists & (DB_LIVE_BIT(DB_LIVE_STORES) | DB_LIVE_BIT(DB_LIVE_CLUSTERS))))
		return;
	/* The clusters list is read again on every store change too (it
	 * counts their stores): only a cluster that came, went or moved to
	 * another context changes the rows. */
	if (sync_clusters(p) || ch->state || ch->stores_all) {
		rebuild(p);
	} else if ((ch->lists & DB_LIVE_BIT(DB_LIVE_STORES)) && !update_stores(p, ch)) {
		rebuild(p);
	}
	if (p->detail_open) {
		start_inventory(p);
		rebuild_detail(p);
		if (db_live_state(p->live, NULL) == DB_STATE_READY &&
		    db_live_change_jobs(ch, p->detail_id))
			load_history(p);
	}
	if (p->nfollowed)
		tell_settled(p);
	app_redraw(p->app);
}

static void *stores_init(struct app *app)
{
	struct stores_pane *p = xcalloc(1, sizeof(*p));

	p->app = app;
	p->by_ns = json_object();
	p->table = table_new("Stores", cols, ARRAY_LEN(cols));
	table_model_keep_width(table_model(p->table), COL_NAME);
	table_model_keep_width(table_model(p->table), COL_STATUS);
	table_model_keep_width(table_model(p->table), COL_STEP);
	p->detail = table_new("Store", detail_cols, ARRAY_LEN(detail_cols));
	table_model_set_sensitive(table_model(p->detail), true);
	table_set_empty_text(p->table, "No stores yet: n orders one.");
	if (app_db_configured(app))
		p->live = db_live_join(app_loop(app), app_conf(app), live_changed, p);
	p->drill = store_drill_new(app, p->live);
	return p;
}

static void free_choices(struct stores_pane *p, enum choice_set c)
{
	for (size_t i = 0; i < MAX_CHOICES; i++)
		x_free(&p->choice_text[c][i]);
	p->choices[c][0] = NULL;
}

static void stores_destroy(void *st)
{
	struct stores_pane *p = st;

	close_detail(p); /* first: hiding credentials rebuilds from the live lists */
	store_drill_free(p->drill);
	forget_lines(p);
	db_live_leave(p->live, live_changed, p);
	loop_timer_cancel(p->tick);
	for (size_t i = 0; i < p->nkc; i++)
		kc_free(&p->kc[i]);
	free(p->kc);
	json_decref(p->by_ns);
	kube_registry_release(p->kube);
	for (int c = 0; c < CH_COUNT; c++)
		free_choices(p, (enum choice_set)c);
	hist_free(p);
	table_free(p->table);
	table_free(p->detail);
	free(p);
}

static void stores_draw(void *st, struct app *app, const struct rect *r)
{
	struct stores_pane *p = st;

	if (!p->live) {
		pane_notice_database(app, r, "Stores", "stores and their state");
		return;
	}
	if (!db_live_stores(p->live, NULL)) {
		pane_notice_db_waiting(r, "Stores", p->live, "the stores", "The stores");
		return;
	}
	if (p->detail_open && store_drill_viewing(p->drill)) {
		store_drill_draw(p->drill, r);
		return;
	}
	if (p->detail_open) {
		struct table_model *tm = table_model(p->detail);
		char *text = NULL;

		/* the line under the cursor whole, wrapped: a long error or
		 * event message is read here, not cut */
		if (table_model_nvisible(tm) > 0) {
			size_t c = table_model_cursor(tm);
			const char *field = table_model_cell(tm, c, 0);
			const char *value = table_model_cell(tm, c, 1);

			text = xasprintf("%s%s%s", field, *field ? ": " : "", value + strspn(value, " "));
		}
		table_draw_footed(p->detail, r, true, text, DETAIL_FOOTER_LINES,
				  style_attr(ROLE_NORMAL));
		free(text);
		return;
	}
	table_draw(p->table, r, true);
}

/* ---- how operations end ---- */

static void follow(struct stores_pane *p, const char *id, const char *project, const char *name)
{
	struct followed *f;

	if (p->nfollowed == FOLLOW_MAX) /* the oldest goes */
		memmove(&p->followed[0], &p->followed[1], --p->nfollowed * sizeof(p->followed[0]));
	f = &p->followed[p->nfollowed++];
	memset(f, 0, sizeof(*f));
	str_copy(f->id, sizeof(f->id), id ? id : "");
	str_copy(f->project, sizeof(f->project), project ? project : "");
	str_copy(f->name, sizeof(f->name), name ? name : "");
	f->since_ms = loop_now_ms();
}

static const struct store *followed_store(struct stores_pane *p, struct followed *f)
{
	const struct store_list *sl = db_live_stores(p->live, NULL);

	if (f->id[0])
		return db_live_store(p->live, f->id);
	for (size_t i = 0; sl && i < sl->n; i++) {
		if (str_eq(sl->v[i].project, f->project) && str_eq(sl->v[i].name, f->name)) {
			str_copy(f->id, sizeof(f->id), sl->v[i].id);
			return &sl->v[i];
		}
	}
	return NULL;
}

/* A followed store that was seen at work and now rests is said on the
 * message line when the Stores pane is not on screen (there, its row says
 * it), and is no longer followed. */
static void tell_settled(struct stores_pane *p)
{
	size_t kept = 0;

	for (size_t i = 0; i < p->nfollowed; i++) {
		struct followed *f = &p->followed[i];
		const struct store *s = followed_store(p, f);
		bool busy = s && (store_status_busy(s->status) || s->job_id != 0);

		if (s) { /* its names, for when it is gone */
			str_copy(f->project, sizeof(f->project), s->project);
			str_copy(f->name, sizeof(f->name), s->name);
		}
		if (busy)
			f->seen_busy = true;
		if (!f->seen_busy && loop_now_ms() - f->since_ms > FOLLOW_UNSEEN_MS)
			continue;
		if (busy || !f->seen_busy || (!s && !f->id[0]) ||
		    !db_live_stores(p->live, NULL)) {
			p->followed[kept++] = *f;
			continue;
		}
		if (app_active_pane(p->app) == PANE_STORES)
			continue;
		if (!s) /* Deleted stores leave the list */
			app_info(p->app, "Store %s/%s (%s) is deleted", f->project, f->name, f->id);
		else if (str_eq(s->status, "Failed"))
			app_error(p->app, "Store %s/%s (%s) Failed: %s", s->project, s->name, s->id,
				  s->error && *s->error ? s->error : "no reason recorded");
		else
			app_info(p->app, "Store %s/%s (%s) is %s", s->project, s->name, s->id,
				 s->status);
	}
	p->nfollowed = kept;
}

/* ---- outcomes ---- */

static void op_done(void *ud, bool ok, const char *msg)
{
	struct stores_pane *p = ud;

	if (p->pending > 0)
		p->pending--;
	if (!ok) {
		if (!p->failed++)
			str_copy(p->first_error, sizeof(p->first_error), msg);
	}
	if (p->pending > 0)
		return;
	/* A refused order shows in its form, with the operator's input. */
	if (form_answer(p->app, p->order_ticket, p->failed == 0, p->first_error) && p->failed) {
		p->order_ticket = 0;
		p->nfollowed = p->follow_batch0 < p->nfollowed ? p->follow_batch0 : p->nfollowed;
		return;
	}
	p->order_ticket = 0;
	if (p->failed && p->failed == p->submitted) /* nothing was done to follow */
		p->nfollowed = p->follow_batch0 < p->nfollowed ? p->follow_batch0 : p->nfollowed;
	if (p->failed == 0)
		app_info(p->app, "%s", p->done_msg);
	else if (p->failed == 1)
		app_error(p->app, "%s", p->first_error);
	else
		app_error(p->app, "%zu request(s) refused; the first: %s", p->failed, p->first_error);
	/* A refusal changes no row: read them anyway so the screen is true. */
	db_live_refresh_stores(p->live);
}

static void begin_ops(struct stores_pane *p)
{
	p->follow_batch0 = p->nfollowed;
	p->submitted = 0;
	p->pending = 0;
	p->failed = 0;
	p->first_error[0] = '\0';
	p->order_ticket = 0;
}

static void submit(struct stores_pane *p, struct db_req *r)
{
	p->submitted++;
	p->pending++;
	db_live_submit(p->live, r, op_done, p);
}

/* Runs p->op on every subject; marks that chose them are done with. */
static void run_op(struct stores_pane *p, long replicas)
{
	begin_ops(p);
	if (p->from_marks)
		table_model_clear_marks(table_model(p->table));
	for (size_t i = 0; i < p->nsubjects; i++) {
		struct db_req r;
		struct err err = { { 0 } };

		if (!store_req_operate(&r, app_conf(p->app), p->subjects[i], p->op, replicas, &err)) {
			if (!p->failed++)
				str_copy(p->first_error, sizeof(p->first_error), err.msg);
			continue;
		}
		follow(p, p->subjects[i], NULL, NULL);
		submit(p, &r);
	}
	if (p->pending == 0 && p->failed)
		app_error(p->app, "%s", p->first_error);
}

/* ---- what an operation acts on ---- */

static const char *cursor_id(struct stores_pane *p)
{
	struct table_model *tm = table_model(p->table);

	if (p->detail_open)
		return p->detail_id;
	if (table_model_nvisible(tm) == 0)
		return NULL;
	return table_model_key(tm, table_model_cursor(tm));
}

/* The store named, or the marked ones (bulk), or the one under the
 * cursor. False with a message when there is none. */
static bool pick_subjects(struct stores_pane *p, const char *named, bool bulk)
{
	struct table_model *tm = table_model(p->table);
	const char *id;

	p->nsubjects = 0;
	p->from_marks = false;
	if (named && *named) {
		struct err err = { { 0 } };
		const struct store *s = store_ref_pick(db_live_stores(p->live, NULL), named, &err);

		if (!s) {
			app_error(p->app, "%s", err.msg);
			return false;
		}
		str_copy(p->subjects[0], sizeof(p->subjects[0]), s->id);
		p->nsubjects = 1;
		return true;
	}
	if (bulk && !p->detail_open && table_model_nmarked(tm) > 0) {
		const char *keys[BULK_MAX];
		size_t n = table_model_marked_keys(tm, keys, BULK_MAX);

		for (size_t i = 0; i < n; i++)
			str_copy(p->subjects[i], sizeof(p->subjects[i]), keys[i]);
		p->nsubjects = n;
		p->from_marks = true;
		return n > 0;
	}
	id = cursor_id(p);
	if (!id) {
		app_error(p->app, "No store here: n orders one");
		return false;
	}
	str_copy(p->subjects[0], sizeof(p->subjects[0]), id);
	p->nsubjects = 1;
	return true;
}

static void describe_subjects(struct stores_pane *p, const char *verb)
{
	if (p->nsubjects == 1)
		snprintf(p->done_msg, sizeof(p->done_msg), "%s store %s", verb, p->subjects[0]);
	else
		snprintf(p->done_msg, sizeof(p->done_msg), "%s %zu stores", verb, p->nsubjects);
}

static bool refuse_read_only(struct stores_pane *p, const char *what)
{
	if (!app_read_only(p->app))
		return false;
	app_error(p->app, "read-only mode: refusing to %s", what);
	return true;
}

/* ---- order ---- */

static bool valid_name(const char *v, struct err *err)
{
	return form_valid_dns_label(v, err);
}

static void add_choice(struct stores_pane *p, enum choice_set c, size_t *n, const char *text)
{
	if (*n >= MAX_CHOICES)
		return;
	p->choice_text[c][*n] = xstrdup(text);
	p->choices[c][*n] = p->choice_text[c][*n];
	(*n)++;
	p->choices[c][*n] = NULL;
}

/* The plan field's choices: the active plans of the offering chosen, read
 * through the live view (asked for here, so a change of offering starts
 * the read; the form is drawn again when they arrive). */
static const char *const *plan_choices(const char *const *values, size_t field, void *ud)
{
	struct stores_pane *p = ud;
	const char *offering = values[F_OFFERING], *slug = NULL;
	const struct plan_list *plans;
	size_t n = 0;

	(void)field;
	free_choices(p, CH_PLAN);
	if (!*offering) {
		snprintf(p->plan_hint, sizeof(p->plan_hint), "choose an offering first");
		return p->choices[CH_PLAN];
	}
	db_live_want_plans(p->live, offering);
	plans = db_live_plans(p->live, &slug);
	if (!plans) {
		snprintf(p->plan_hint, sizeof(p->plan_hint), "reading the plans of %s…", offering);
		return p->choices[CH_PLAN];
	}
	for (size_t i = 0; i < plans->n; i++) {
		if (plans->v[i].active)
			add_choice(p, CH_PLAN, &n, plans->v[i].name);
	}
	if (n == 0)
		snprintf(p->plan_hint, sizeof(p->plan_hint), "%s has no active plan: choose another offering",
			 slug);
	else
		snprintf(p->plan_hint, sizeof(p->plan_hint), "Left/Right: the %zu active plan(s) of %s", n,
			 slug);
	return p->choices[CH_PLAN];
}

static bool submit_order(struct app *app, const char *const *v, void *ud, struct err *err)
{
	struct stores_pane *p = ud;
	struct store_order o = { .project = v[F_PROJECT],
				 .offering = v[F_OFFERING],
				 .plan = v[F_PLAN],
				 .name = v[F_NAME],
				 .cluster = v[F_CLUSTER] };
	struct db_req r;

	if (!store_req_order(&r, app_conf(app), &o, err))
		return false;
	begin_ops(p);
	snprintf(p->done_msg, sizeof(p->done_msg), "Ordered store %s (%s/%s) for project %s",
		 v[F_NAME], v[F_OFFERING], v[F_PLAN], v[F_PROJECT]);
	follow(p, NULL, v[F_PROJECT], v[F_NAME]);
	p->order_ticket = form_wait();
	submit(p, &r);
	return true;
}

static void open_order_form(struct stores_pane *p, const char *project)
{
	const struct project_list *pl = db_live_projects(p->live);
	const struct offering_list *ol = db_live_offerings(p->live);
	const struct cluster_list *cl = db_live_clusters(p->live);
	const struct project *named = NULL;
	struct err err = { { 0 } };
	size_t n;

	if (refuse_read_only(p, "order a store"))
		return;
	if (!pl || !ol || !cl) {
		app_error(p->app, "Still reading projects, offerings and clusters; try again");
		return;
	}
	/* A project given by its slug or its name (db/projects.h). */
	if (project && (named = project_list_find(pl, project, &err)) == NULL) {
		app_error(p->app, "%s", err.msg);
		return;
	}
	for (int c = 0; c < CH_COUNT; c++)
		free_choices(p, (enum choice_set)c);
	n = 0;
	for (size_t i = 0; i < pl->n; i++)
		add_choice(p, CH_PROJECT, &n, pl->v[i].slug);
	if (n == 0) {
		app_error(p->app, "No project yet: create one in the Projects pane (2)");
		return;
	}
	n = 0;
	for (size_t i = 0; i < ol->n; i++) {
		if (strcmp(ol->v[i].state, "active") != 0)
			continue;
		add_choice(p, CH_OFFERING, &n, ol->v[i].slug);
	}
	if (n == 0) {
		app_error(p->app, "No active offering: import or activate one in the Catalog (1)");
		return;
	}
	n = 0;
	for (size_t i = 0; i < cl->n; i++) {
		if (strcmp(cl->v[i].state, "active") == 0)
			add_choice(p, CH_CLUSTER, &n, cl->v[i].name);
	}
	if (n == 0) {
		app_error(p->app, "No active cluster: add one with `opsdeck cluster add`");
		return;
	}
	memset(p->fields, 0, sizeof(p->fields));
	p->fields[F_PROJECT] = (struct form_field){ .label = "Project",
						    .initial = named ? named->slug : NULL,
						    .hint = "Left/Right to choose",
						    .required = true,
						    .choices = p->choices[CH_PROJECT] };
	p->fields[F_OFFERING] = (struct form_field){ .label = "Offering",
						     .hint = "Left/Right to choose",
						     .required = true,
						     .choices = p->choices[CH_OFFERING] };
	p->fields[F_PLAN] = (struct form_field){ .label = "Plan",
						 .hint = p->plan_hint,
						 .required = true,
						 .choices_for = plan_choices,
						 .follows = 1u << F_OFFERING };
	p->fields[F_NAME] = (struct form_field){ .label = "Name",
						 .hint = "lowercase letters, digits, -",
						 .required = true,
						 .validate = valid_name };
	p->fields[F_CLUSTER] = (struct form_field){ .label = "Cluster",
						    .hint = "Left/Right to choose",
						    .required = true,
						    .choices = p->choices[CH_CLUSTER] };
	app_open_form(p->app, form_new("Order a store", p->fields, F_COUNT, submit_order, p));
}

/* ---- scale ---- */

static void scale_done(struct app *app, const char *text, void *ud)
{
	struct stores_pane *p = ud;
	long n;

	if (!text)
		return;
	if (!str_to_long(text, 1, STORE_MAX_REPLICAS, &n)) {
		app_error(app, "Replicas: a whole number from 1 to %d, not '%.20s'", STORE_MAX_REPLICAS,
			  text);
		return;
	}
	snprintf(p->done_msg, sizeof(p->done_msg), "Scaling store %s to %ld", p->subjects[0], n);
	run_op(p, n);
}

static const struct app_prompt_ops scale_prompt = { .on_done = scale_done };

static void ask_scale(struct stores_pane *p, const char *named)
{
	const struct store_list *sl = db_live_stores(p->live, NULL);
	const struct store *s;
	char label[32], initial[16];

	if (refuse_read_only(p, "scale a store") || !pick_subjects(p, named, false))
		return;
	s = sl ? store_list_find(sl, p->subjects[0]) : NULL;
	snprintf(initial, sizeof(initial), "%ld", s ? s->replicas : 1L);
	snprintf(label, sizeof(label), "Replicas (1-%d): ", STORE_MAX_REPLICAS);
	p->op = STORE_OP_SCALE;
	app_prompt(p->app, label, initial, &scale_prompt, p);
}

/* ---- pause, resume, retry ---- */

static void pause_confirmed(struct app *app, void *ud)
{
	struct stores_pane *p = ud;

	(void)app;
	run_op(p, 0);
}

static void ask_simple(struct stores_pane *p, enum store_op op, const char *named)
{
	static const char *const refuse[] = { [STORE_OP_PAUSE] = "pause a store",
					      [STORE_OP_RESUME] = "resume a store",
					      [STORE_OP_RETRY] = "retry a store" };
	static const char *const verb[] = { [STORE_OP_PAUSE] = "Pausing",
					    [STORE_OP_RESUME] = "Resuming",
					    [STORE_OP_RETRY] = "Retrying" };
	char q[200];

	if (refuse_read_only(p, refuse[op]) || !pick_subjects(p, named, op != STORE_OP_RETRY))
		return;
	p->op = op;
	describe_subjects(p, verb[op]);
	if (op != STORE_OP_PAUSE) {
		run_op(p, 0);
		return;
	}
	if (p->nsubjects == 1)
		snprintf(q, sizeof(q), "Pause store %s? Its workloads scale to 0.", p->subjects[0]);
	else
		snprintf(q, sizeof(q), "Pause %zu marked stores? Their workloads scale to 0.",
			 p->nsubjects);
	app_confirm(p->app, q, pause_confirmed, p);
}

/* ---- delete: the id typed back ---- */

static void delete_done(struct app *app, const char *text, void *ud)
{
	struct stores_pane *p = ud;
	char want[32];

	if (!text) {
		app_info(app, "Nothing deleted");
		return;
	}
	if (p->nsubjects == 1)
		str_copy(want, sizeof(want), p->subjects[0]);
	else
		snprintf(want, sizeof(want), "%zu delete", p->nsubjects);
	if (strcmp(text, want) != 0) {
		char shown[48];

		str_copy_clean(shown, sizeof(shown), text);
		app_error(app, "\"%s\" is not \"%s\": nothing deleted", shown, want);
		return;
	}
	p->op = STORE_OP_DELETE;
	describe_subjects(p, "Deleting");
	run_op(p, 0);
	close_detail(p);
}

static const struct app_prompt_ops delete_prompt = { .on_done = delete_done };

static void ask_delete(struct stores_pane *p, const char *named)
{
	char label[96];

	if (refuse_read_only(p, "delete a store") || !pick_subjects(p, named, true))
		return;
	if (p->nsubjects == 1) {
		app_info(p->app, "Delete store %s? Type its id to confirm (Esc cancels)",
			 p->subjects[0]);
		snprintf(label, sizeof(label), "Store id: ");
	} else {
		app_info(p->app,
			 "Delete %zu marked stores? Type \"%zu delete\" to confirm (Esc cancels)",
			 p->nsubjects, p->nsubjects);
		snprintf(label, sizeof(label), "Stores: ");
	}
	app_prompt(p->app, label, "", &delete_prompt, p);
}

/* ---- credentials: audited first, then read from the cluster ---- */

static void reveal_read(struct credentials *c, const struct err *err, void *ud)
{
	struct stores_pane *p = ud;

	p->creds_read = NULL;
	if (!c) {
		p->reveal = REVEAL_NONE;
		app_error(p->app, "%s", err->msg);
	} else {
		p->creds = c;
		p->reveal = REVEAL_SHOWN;
		app_info(p->app, "Credentials of store %s shown (audited); x hides them",
			 p->detail_id);
	}
	rebuild_detail(p);
	app_redraw(p->app);
}

/* The audit event is written: now, and only now, the Secret is read. */
static void reveal_audited(void *ud, const struct db_rows *rows, const char *error)
{
	struct stores_pane *p = ud;
	struct credentials_target t;
	struct kube_http *h;
	struct err err = { { 0 } };
	const char *const *cell;
	const struct store *s;

	/* Hidden or closed meanwhile: the event stands, nothing is read. */
	if (p->reveal != REVEAL_AUDITING || !p->detail_open)
		return;
	if (!rows || rows->nrows != 1 || rows->ncols != STORE_REVEAL_NCOLS) {
		p->reveal = REVEAL_NONE;
		app_error(p->app, "%s",
			  rows ? "unexpected answer to the reveal's audit event" : error);
		rebuild_detail(p);
		app_redraw(p->app);
		return;
	}
	cell = rows->cells;
	/* Answers come in order: this may be the event of a store whose
	 * details were closed, while another store's reveal waits for its own.
	 * Only the answer about the store shown goes on. */
	s = store_list_find(db_live_stores(p->live, NULL), p->detail_id);
	if (!s || !cell[STORE_REVEAL_NAMESPACE] ||
	    strcmp(cell[STORE_REVEAL_NAMESPACE], s->namespace) != 0)
		return;
	str_copy(p->reveal_cluster, sizeof(p->reveal_cluster),
		 cell[STORE_REVEAL_CLUSTER] ? cell[STORE_REVEAL_CLUSTER] : "?");
	t = (struct credentials_target){ .store = p->detail_id,
					 .namespace = cell[STORE_REVEAL_NAMESPACE],
					 .cluster = p->reveal_cluster };
	if (!p->kube)
		p->kube = kube_registry_acquire(app_loop(p->app), app_conf(p->app)->kubeconfig);
	h = cell[STORE_REVEAL_CONTEXT]
		    ? kube_registry_client(p->kube, cell[STORE_REVEAL_CONTEXT], &err)
		    : NULL;
	if (h)
		p->creds_read = credentials_read(h, &t, 0, reveal_read, p, &err);
	if (!p->creds_read) {
		p->reveal = REVEAL_NONE;
		app_error(p->app, "store %s: cluster %s: %s", p->detail_id, p->reveal_cluster,
			  err_isset(&err) ? err.msg : "no kube context");
	} else {
		p->reveal = REVEAL_READING;
	}
	rebuild_detail(p);
	app_redraw(p->app);
}

static void reveal_confirmed(struct app *app, void *ud)
{
	struct stores_pane *p = ud;
	struct db_req r;
	struct err err = { { 0 } };

	if (!p->detail_open || p->reveal != REVEAL_NONE)
		return;
	if (!store_req_reveal(&r, app_conf(app), p->detail_id, credentials_keys, CREDENTIALS_NKEYS,
			      &err)) {
		app_error(app, "%s", err.msg);
		return;
	}
	p->reveal = REVEAL_AUDITING;
	db_live_query(p->live, &r, reveal_audited, p);
	rebuild_detail(p);
}

/* x: reveal (from the details, or from a row, which opens them), or hide
 * what is shown or under way. */
static void toggle_credentials(struct stores_pane *p, const char *named)
{
	char q[160];

	if (p->detail_open && p->reveal != REVEAL_NONE && (!named || !*named ||
							   strcmp(named, p->detail_id) == 0)) {
		hide_credentials(p);
		app_info(p->app, "Credentials of store %s hidden", p->detail_id);
		return;
	}
	if (refuse_read_only(p, "reveal credentials (a reveal writes an audit event)") ||
	    !pick_subjects(p, named, false))
		return;
	if (!p->detail_open || strcmp(p->detail_id, p->subjects[0]) != 0)
		open_detail(p, p->subjects[0]);
	snprintf(q, sizeof(q), "Reveal the credentials of store %s? This is audited.",
		 p->detail_id);
	app_confirm(p->app, q, reveal_confirmed, p);
}

/* ---- commands and keys ---- */

enum {
	VERB_NEW,
	VERB_SCALE,
	VERB_PAUSE,
	VERB_RESUME,
	VERB_RETRY,
	VERB_DELETE,
	VERB_SHOW,
	VERB_CREDENTIALS
};

static const struct pane_verb stores_verbs[] = {
	{ "new", "[PROJECT]", "Order a store (a form)", VERB_NEW },
	{ "scale", "[STORE]", "Scale a store's web replicas (asks how many)", VERB_SCALE },
	{ "pause", "[STORE]", "Pause a store (asks first)", VERB_PAUSE },
	{ "resume", "[STORE]", "Resume a paused store", VERB_RESUME },
	{ "retry", "[STORE]", "Retry a Failed store", VERB_RETRY },
	{ "delete", "[STORE]", "Delete a store (type its id to confirm)", VERB_DELETE },
	{ "show", "[STORE]", "Show a store's details and job history", VERB_SHOW },
	{ "credentials", "[STORE]", "Reveal a store's credentials in its details (asks; audited)",
	  VERB_CREDENTIALS },
};

static void run_verb(struct stores_pane *p, int id, const char *word)
{
	switch (id) {
	case VERB_NEW: open_order_form(p, word && *word ? word : NULL); break;
	case VERB_SCALE: ask_scale(p, word); break;
	case VERB_PAUSE: ask_simple(p, STORE_OP_PAUSE, word); break;
	case VERB_RESUME: ask_simple(p, STORE_OP_RESUME, word); break;
	case VERB_RETRY: ask_simple(p, STORE_OP_RETRY, word); break;
	case VERB_DELETE: ask_delete(p, word); break;
	case VERB_SHOW:
		if (pick_subjects(p, word, false))
			open_detail(p, p->subjects[0]);
		break;
	case VERB_CREDENTIALS: toggle_credentials(p, word); break;
	default: break;
	}
}

static bool is_verb(const char *arg)
{
	size_t len;

	while (*arg == ' ')
		arg++;
	len = strcspn(arg, " ");
	for (size_t i = 0; i < ARRAY_LEN(stores_verbs); i++) {
		if (strlen(stores_verbs[i].name) == len && strncmp(stores_verbs[i].name, arg, len) == 0)
			return true;
	}
	return false;
}

static void stores_show(void *st, struct app *app, const char *arg)
{
	struct stores_pane *p = st;
	const struct pane_verb *v;
	char word[64];

	if (!arg)
		return;
	if (!p->live) {
		app_error(app, "No database configured");
		return;
	}
	if (!is_verb(arg)) {
		/* Anything else is a filter: a project's slug, a status, an id. */
		struct table_model *tm = table_model(p->table);
		char *was = xstrdup(table_model_filter(tm));

		table_model_set_filter(tm, arg);
		if (table_model_nvisible(tm) == 0 && !strchr(arg, ' ')) {
			/* one word that matches nothing: more likely a verb
			 * mistyped than a filter meant to show no store */
			struct buf verbs = BUF_INIT;

			table_model_set_filter(tm, was);
			for (size_t i = 0; i < ARRAY_LEN(stores_verbs); i++)
				buf_printf(&verbs, "%s%s", i ? ", " : "", stores_verbs[i].name);
			app_error(app, ":stores %s: not a verb (%s), and no store matches it", arg,
				  buf_str(&verbs));
			buf_free(&verbs);
		} else {
			close_detail(p);
		}
		free(was);
		return;
	}
	if ((v = cmdline_pane_verb(app, &pane_stores_ops, arg, word, sizeof(word))) == NULL)
		return;
	run_verb(p, v->id, word);
}

static size_t stores_complete(void *st, const struct pane_verb *verb, const char *prefix,
			      char ***out)
{
	struct stores_pane *p = st;
	const struct store_list *sl = p->live ? db_live_stores(p->live, NULL) : NULL;
	const struct project_list *pl = p->live ? db_live_projects(p->live) : NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (verb->id == VERB_NEW) {
		for (size_t i = 0; pl && i < pl->n; i++) {
			if (!str_has_prefix(pl->v[i].slug, prefix))
				continue;
			*out = xgrow(*out, &cap, n + 1, sizeof(**out));
			(*out)[n++] = xstrdup(pl->v[i].slug);
		}
		return n;
	}
	return store_ref_complete(sl, prefix, out);
}

static unsigned stores_key(void *st, struct app *app, enum action a, keycode k)
{
	struct stores_pane *p = st;
	const char *id;

	(void)k;
	if (!p->live || !db_live_stores(p->live, NULL))
		return PANE_IGNORED;
	if (p->detail_open && k != KC_NONE) {
		unsigned f = drill_key(p, k);

		/* a view shown takes every key but the list keys */
		if (f || store_drill_viewing(p->drill))
			return f;
	}
	switch (a) {
	case ACTION_STORES_NEW: run_verb(p, VERB_NEW, NULL); break;
	case ACTION_STORES_SCALE: run_verb(p, VERB_SCALE, NULL); break;
	case ACTION_STORES_PAUSE: run_verb(p, VERB_PAUSE, NULL); break;
	case ACTION_STORES_RESUME: run_verb(p, VERB_RESUME, NULL); break;
	case ACTION_STORES_RETRY: run_verb(p, VERB_RETRY, NULL); break;
	case ACTION_STORES_DELETE: run_verb(p, VERB_DELETE, NULL); break;
	case ACTION_STORES_CREDENTIALS: run_verb(p, VERB_CREDENTIALS, NULL); break;
	case ACTION_STORES_LOGS:
		/* its containers' logs, followed in the Logs pane */
		if (!(id = cursor_id(p)))
			return PANE_IGNORED;
		app_show_pane(app, PANE_LOGS, id);
		break;
	case ACTION_CANCEL:
		if (!p->detail_open)
			return PANE_IGNORED;
		close_detail(p);
		break;
	case ACTION_SELECT:
		if (p->detail_open || !(id = cursor_id(p)))
			return PANE_IGNORED;
		open_detail(p, id);
		break;
	default: return PANE_IGNORED;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

/* Y in a store's details: a revealed credential's value, an object's
 * name, else the value of the line under the cursor; in a YAML or events
 * view, that view's line (the default); in the list, the store's id. */
static char *stores_copy_text(void *st)
{
	struct stores_pane *p = st;
	struct table_model *tm;
	const char *value, *key;
	long row;

	if (!p->detail_open || store_drill_viewing(p->drill))
		return NULL;
	tm = table_model(p->detail);
	if (table_model_nvisible(tm) == 0)
		return NULL;
	key = table_model_key(tm, table_model_cursor(tm));
	if (str_to_long(key, 0, LONG_MAX, &row)) {
		size_t r = (size_t)row;

		if (r >= p->cred_row0 && r - p->cred_row0 < p->cred_rows && p->creds) {
			const struct credential *c = &p->creds->v[r - p->cred_row0];

			return c->state == CREDENTIAL_FOUND ? xstrdup(c->value) : NULL;
		}
		if (r >= p->inv_row0 && r - p->inv_row0 < p->inv_nlines)
			return xstrdup(p->inv_lines[r - p->inv_row0].name);
	}
	value = table_model_cell(tm, table_model_cursor(tm), 1);
	return xstrdup(value + strspn(value, " "));
}

static struct table *stores_table(void *st)
{
	struct stores_pane *p = st;

	if (!p->live || !db_live_stores(p->live, NULL))
		return NULL;
	if (p->detail_open && store_drill_viewing(p->drill))
		return store_drill_table(p->drill);
	return p->detail_open ? p->detail : p->table;
}

const struct pane_ops pane_stores_ops = {
	.args = "[VERB ...|FILTER]",
	.help = "Show the Stores pane, filtered by a word; its verbs follow",
	.init = stores_init,
	.destroy = stores_destroy,
	.draw = stores_draw,
	.on_key = stores_key,
	.on_show = stores_show,
	.table = stores_table,
	.copy_text = stores_copy_text,
	.verbs = stores_verbs,
	.nverbs = ARRAY_LEN(stores_verbs),
	.complete = stores_complete,
};
