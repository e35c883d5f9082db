#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "buf.h"
#include "db/clusters.h"
#include "db/live.h"
#include "kube/registry.h"
#include "pane.h"
#include "pane_notice.h"
#include "style.h"
#include "table.h"

/* The clusters (`:clusters`): each row of opsdeck.clusters with its state
 * (active, cordoned, disabled), whether it answers (the cluster registry's
 * state, the one the header reads), its stores that are not Deleted and
 * its capacity, live from the database's notifications and the registry's
 * probes. The row under the cursor is shown whole below the table, with
 * the problem in words. clusters.cordon (c, asks first) and
 * clusters.activate (a) change the state through cluster_req_set_state,
 * the audited statement `opsdeck cluster set-state` runs; `:clusters
 * cordon [CLUSTER]` and `:clusters activate [CLUSTER]` do the same by
 * name. A disabled cluster is not probed (as the header skips it). */

/* Lines under the table: the row under the cursor, whole. */
#define FOOTER_LINES 3

struct clusters_pane {
	struct app *app;
	struct db_live *live; /* NULL: no database configured */
	struct kube_registry *kube;
	struct table *table;
	char pending[64]; /* the cluster a confirmation or a change is about */
	const char *pending_state;
	bool busy; /* a change was sent and has not answered */
};

enum { COL_NAME, COL_STATE, COL_REACH, COL_STORES, COL_CAPACITY, COL_CONTEXT, COL_PROBLEM };

static const struct table_column cluster_cols[] = {
    [COL_NAME] = {"NAME", 4, 24, 0, TABLE_LEFT, 0},
    [COL_STATE] = {"STATE", 8, 8, 0, TABLE_LEFT, 0},
    [COL_REACH] = {"REACHABILITY", 12, 12, 0, TABLE_LEFT, 0},
    [COL_STORES] = {"STORES", 6, 8, 0, TABLE_RIGHT, 0},
    [COL_CAPACITY] = {"CAPACITY", 8, 16, 0, TABLE_RIGHT, 1},
    [COL_CONTEXT] = {"CONTEXT", 7, 32, 0, TABLE_LEFT, 3},
    [COL_PROBLEM] = {"PROBLEM", 7, 0, 1, TABLE_LEFT, 2},
};

/* A cluster's reachability; a disabled one is not asked. */
static void reach_of(struct clusters_pane *p, const struct cluster *c,
		     struct kube_cluster_status *st)
{
	*st = (struct kube_cluster_status){.state = KUBE_CLUSTER_CONNECTING, .reason = ""};
	if (strcmp(c->state, "disabled") != 0)
		kube_registry_status(p->kube, c->context, st);
}

static bool reach_bad(enum kube_cluster_state s)
{
	return s == KUBE_CLUSTER_UNREACHABLE || s == KUBE_CLUSTER_FORBIDDEN ||
	       s == KUBE_CLUSTER_BROKEN;
}

static void rebuild(struct clusters_pane *p)
{
	const struct cluster_list *cl = db_live_clusters(p->live);
	struct table_model *tm = table_model(p->table);
	size_t cordoned = 0, bad = 0;
	char title[128];

	table_model_begin(tm);
	for (size_t i = 0; cl && i < cl->n; i++) {
		const struct cluster *c = &cl->v[i];
		bool disabled = strcmp(c->state, "disabled") == 0;
		struct kube_cluster_status st;
		char stores[24], cap[48];
		const char *cells[] = {
		    [COL_NAME] = c->name,  [COL_STATE] = c->state, [COL_REACH] = "-",
		    [COL_STORES] = stores, [COL_CAPACITY] = cap,   [COL_CONTEXT] = c->context,
		    [COL_PROBLEM] = ""};
		int role = ROLE_STATE_OK, role_col = COL_REACH;

		reach_of(p, c, &st);
		snprintf(stores, sizeof(stores), "%ld", c->stores);
		snprintf(cap, sizeof(cap), "%ld/%ld", c->stores, c->max_stores);
		if (!disabled) {
			cells[COL_REACH] = kube_cluster_state_name(st.state);
			cells[COL_PROBLEM] = st.reason;
		}
		cordoned += strcmp(c->state, "cordoned") == 0;
		if (disabled) {
			role = ROLE_STATE_OFF;
			role_col = -1;
		} else if (reach_bad(st.state)) {
			role = ROLE_STATE_BAD;
			bad++;
		} else if (strcmp(c->state, "cordoned") == 0) {
			role = ROLE_STATE_BUSY;
			role_col = COL_STATE;
		} else if (st.state == KUBE_CLUSTER_CONNECTING) {
			role = ROLE_STATE_BUSY;
		}
		table_model_add(tm, c->name, cells, role, role_col);
	}
	table_model_end(tm);
	snprintf(title, sizeof(title), "Clusters (%zu, %zu cordoned, %zu not answering; live)",
		 cl ? cl->n : 0, cordoned, bad);
	table_set_title(p->table, title);
}

static void live_changed(void *ud, const struct db_live_change *ch)
{
	struct clusters_pane *p = ud;

	if (!ch->state && !(ch->lists & DB_LIVE_BIT(DB_LIVE_CLUSTERS)))
		return;
	rebuild(p);
	app_redraw(p->app);
}

static void reach_changed(void *ud, const char *context)
{
	struct clusters_pane *p = ud;

	(void)context;
	if (!db_live_clusters(p->live))
		return;
	rebuild(p);
	app_redraw(p->app);
}

static void *clusters_init(struct app *app)
{
	struct clusters_pane *p = xcalloc(1, sizeof(*p));

	p->app = app;
	p->table = table_new("Clusters", cluster_cols, ARRAY_LEN(cluster_cols));
	table_set_empty_text(p->table, "No clusters yet: add one with `opsdeck cluster add NAME "
				       "--context CONTEXT`.");
	if (app_db_configured(app)) {
		p->kube = kube_registry_acquire(app_loop(app), app_conf(app)->kubeconfig);
		kube_registry_observe(p->kube, reach_changed, p);
		p->live = db_live_join(app_loop(app), app_conf(app), live_changed, p);
	}
	return p;
}

static void clusters_destroy(void *st)
{
	struct clusters_pane *p = st;

	db_live_leave(p->live, live_changed, p);
	if (p->kube) {
		kube_registry_unobserve(p->kube, reach_changed, p);
		kube_registry_release(p->kube);
	}
	table_free(p->table);
	free(p);
}

static const struct cluster *find_cluster(struct clusters_pane *p, const char *name)
{
	const struct cluster_list *cl = db_live_clusters(p->live);

	for (size_t i = 0; cl && i < cl->n; i++) {
		if (strcmp(cl->v[i].name, name) == 0)
			return &cl->v[i];
	}
	return NULL;
}

static const struct cluster *cursor_cluster(struct clusters_pane *p)
{
	struct table_model *tm = table_model(p->table);
	const char *key;

	if (table_model_nvisible(tm) == 0)
		return NULL;
	key = table_model_key(tm, table_model_cursor(tm));
	return key ? find_cluster(p, key) : NULL;
}

/* The first key bound to a, or "" (a map may unbind it). */
static void first_key(const struct clusters_pane *p, enum action a, char *buf, size_t bufsz)
{
	keymap_describe(app_keymap(p->app), a, buf, bufsz);
	buf[strcspn(buf, ",")] = '\0';
}

/* "far (context gone): 0 of 50 stores; active: new stores may be placed on
 * it. Unreachable since 05:31:02: Connection refused. c cordons it." */
static char *describe(struct clusters_pane *p, const struct cluster *c)
{
	struct kube_cluster_status st;
	struct buf b = BUF_INIT;
	char key[32];
	enum action a = ACTION_CLUSTERS_CORDON;
	const char *verb = "cordons it";

	reach_of(p, c, &st);
	buf_printf(&b, "%s (context %s): %ld of %ld stores%s; ", c->name, c->context, c->stores,
		   c->max_stores, c->stores >= c->max_stores ? ", full" : "");
	if (strcmp(c->state, "active") == 0) {
		buf_printf(&b, "active: new stores may be placed on it.");
	} else if (strcmp(c->state, "cordoned") == 0) {
		buf_printf(&b,
			   "cordoned: no new stores are placed on it; its stores keep running.");
		a = ACTION_CLUSTERS_ACTIVATE;
		verb = "activates it";
	} else {
		buf_printf(&b, "disabled: no new stores, and it is not probed.");
		a = ACTION_CLUSTERS_ACTIVATE;
		verb = "activates it";
	}
	if (strcmp(c->state, "disabled") == 0) {
		/* nothing is known of its reachability */
	} else if (st.state == KUBE_CLUSTER_OK) {
		buf_printf(&b, " It answers.");
	} else if (st.state == KUBE_CLUSTER_CONNECTING) {
		buf_printf(&b, " No answer yet (connecting).");
	} else {
		uint64_t now = loop_now_ms();
		time_t since =
		    time(NULL) - (time_t)((now > st.since_ms ? now - st.since_ms : 0) / 1000);
		char at[16] = "?";
		const char *name;
		struct tm tm;

		if (localtime_r(&since, &tm))
			strftime(at, sizeof(at), "%H:%M:%S", &tm);
		/* a sentence of its own: "Unreachable since 05:31:02: ..." */
		name = kube_cluster_state_name(st.state);
		buf_printf(&b, " %c%s since %s: %s.", toupper((unsigned char)name[0]), name + 1, at,
			   st.reason[0] ? st.reason : "no reason given");
	}
	first_key(p, a, key, sizeof(key));
	if (key[0] && !app_read_only(p->app))
		buf_printf(&b, " %s %s.", key, verb);
	return buf_steal(&b);
}

static void draw_footer(struct clusters_pane *p, const struct rect *r)
{
	const struct cluster *c = cursor_cluster(p);
	char *text;

	if (!c) {
		draw_wrapped(r, "", style_attr(ROLE_NORMAL));
		return;
	}
	text = describe(p, c);
	draw_wrapped(r, text, style_attr(ROLE_NORMAL));
	free(text);
}

static void clusters_draw(void *st, struct app *app, const struct rect *r)
{
	struct clusters_pane *p = st;
	struct rect t = *r;

	if (!p->live) {
		pane_notice_database(app, r, "Clusters", "the clusters stores are placed on");
		return;
	}
	if (!db_live_clusters(p->live)) {
		pane_notice_db_waiting(r, "Clusters", p->live, "the clusters", "The clusters");
		return;
	}
	if (t.h >= FOOTER_LINES + 6) {
		struct rect foot = {t.y + t.h - FOOTER_LINES, t.x + 1, FOOTER_LINES, t.w - 2};

		t.h -= FOOTER_LINES + 1;
		draw_fill(t.y + t.h, t.x, t.w, style_attr(ROLE_NORMAL));
		draw_footer(p, &foot);
	}
	table_draw(p->table, &t, true);
}

/* ---- changing a cluster's state ---- */

static void state_done(void *ud, bool ok, const char *msg)
{
	struct clusters_pane *p = ud;

	p->busy = false;
	if (!ok)
		app_error(p->app, "%s", msg);
	else if (strcmp(p->pending_state, "cordoned") == 0)
		app_info(p->app, "Cordoned cluster %s: no new stores are placed on it", p->pending);
	else
		app_info(p->app, "Activated cluster %s: it takes new stores", p->pending);
}

static void submit_state(struct clusters_pane *p)
{
	struct db_req r;
	struct err err = {{0}};

	if (!cluster_req_set_state(&r, app_conf(p->app), p->pending, p->pending_state, &err)) {
		app_error(p->app, "%s", err.msg);
		return;
	}
	p->busy = true;
	db_live_submit(p->live, &r, state_done, p);
}

static void cordon_confirmed(struct app *app, void *ud)
{
	(void)app;
	submit_state(ud);
}

/* Cordons (state "cordoned", asks first) or activates ("active") the
 * cluster named. */
static void change_state(struct clusters_pane *p, const char *name, const char *state)
{
	bool cordon = strcmp(state, "cordoned") == 0;
	const struct cluster *c;
	char shown[72], q[240];

	if (app_read_only(p->app)) {
		app_error(p->app, "read-only mode: refusing to %s a cluster",
			  cordon ? "cordon" : "activate");
		return;
	}
	if (!db_valid_dns_label(name)) {
		app_error(p->app, "\"%s\" is not a cluster name",
			  db_shown(name, shown, sizeof(shown)));
		return;
	}
	if ((c = find_cluster(p, name)) == NULL) {
		app_error(p->app, "no cluster \"%s\" (Tab completes the names)", name);
		return;
	}
	if (strcmp(c->state, state) == 0) {
		app_info(p->app, "Cluster %s is already %s", c->name, c->state);
		return;
	}
	if (p->busy) {
		app_error(p->app, "Still changing cluster %s; try again when it is done",
			  p->pending);
		return;
	}
	str_copy(p->pending, sizeof(p->pending), c->name);
	p->pending_state = cordon ? "cordoned" : "active";
	if (!cordon) {
		submit_state(p);
		return;
	}
	snprintf(q, sizeof(q),
		 "Cordon cluster %s? No new stores are placed on it; its %ld store%s keep%s "
		 "running.",
		 c->name, c->stores, c->stores == 1 ? "" : "s", c->stores == 1 ? "s" : "");
	app_confirm(p->app, q, cordon_confirmed, p);
}

enum { VERB_CORDON, VERB_ACTIVATE };

static const struct pane_verb clusters_verbs[] = {
    {"cordon", "[CLUSTER]", "Cordon a cluster: no new stores are placed on it (asks first)",
     VERB_CORDON},
    {"activate", "[CLUSTER]", "Activate a cluster: it takes new stores again", VERB_ACTIVATE},
};

/* The cluster named, or the one under the cursor; NULL with a message. */
static const char *target(struct clusters_pane *p, const char *named)
{
	const struct cluster *c;

	if (named && *named)
		return named;
	if ((c = cursor_cluster(p)) == NULL) {
		app_error(p->app, "No cluster here to act on");
		return NULL;
	}
	return c->name;
}

static void run_verb(struct clusters_pane *p, int verb, const char *named)
{
	const char *name = target(p, named);

	if (name)
		change_state(p, name, verb == VERB_CORDON ? "cordoned" : "active");
}

static void clusters_show(void *st, struct app *app, const char *arg)
{
	struct clusters_pane *p = st;
	const struct pane_verb *v;
	char name[72];

	if (!arg)
		return;
	if (!*arg) {
		/* a bare :clusters shows every cluster */
		table_model_set_filter(table_model(p->table), "");
		return;
	}
	if (!p->live) {
		app_error(app, "No database configured");
		return;
	}
	if ((v = cmdline_pane_verb(app, &pane_clusters_ops, arg, name, sizeof(name))) == NULL)
		return;
	if (!db_live_clusters(p->live)) {
		app_error(app, "The clusters are not read yet; try again in a moment");
		return;
	}
	run_verb(p, v->id, name);
}

static size_t clusters_complete(void *st, const struct pane_verb *verb, const char *prefix,
				char ***out)
{
	struct clusters_pane *p = st;
	const struct cluster_list *cl = p->live ? db_live_clusters(p->live) : NULL;
	size_t n = 0, cap = 0;

	(void)verb;
	*out = NULL;
	for (size_t i = 0; cl && i < cl->n; i++) {
		if (!str_has_prefix(cl->v[i].name, prefix))
			continue;
		*out = xgrow(*out, &cap, n + 1, sizeof(**out));
		(*out)[n++] = xstrdup(cl->v[i].name);
	}
	return n;
}

static unsigned clusters_key(void *st, struct app *app, enum action a, keycode k)
{
	struct clusters_pane *p = st;

	(void)app;
	(void)k;
	if (!p->live || !db_live_clusters(p->live))
		return PANE_IGNORED;
	switch (a) {
	case ACTION_CLUSTERS_CORDON:
		run_verb(p, VERB_CORDON, NULL);
		break;
	case ACTION_CLUSTERS_ACTIVATE:
		run_verb(p, VERB_ACTIVATE, NULL);
		break;
	default:
		return PANE_IGNORED;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

static struct table *clusters_table(void *st)
{
	struct clusters_pane *p = st;

	return p->live && db_live_clusters(p->live) ? p->table : NULL;
}

const struct pane_ops pane_clusters_ops = {
    .args = "[VERB ...]",
    .help = "Show the clusters: state, reachability, stores and capacity; its verbs follow",
    .init = clusters_init,
    .destroy = clusters_destroy,
    .draw = clusters_draw,
    .on_key = clusters_key,
    .on_show = clusters_show,
    .table = clusters_table,
    .verbs = clusters_verbs,
    .nverbs = ARRAY_LEN(clusters_verbs),
    .complete = clusters_complete,
};
