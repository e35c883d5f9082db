#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "db/conn.h"
#include "pane.h"
#include "pane_notice.h"
#include "kube/registry.h"
#include "provision/orphan.h"
#include "provision/reconcile.h"
#include "provision/runner.h"
#include "style.h"
#include "table.h"

/* The reconcile findings (`:reconcile`): the latest pass's findings as a
 * table -- KIND, CLUSTER, NAMESPACE, STORE, REASON -- coloured by kind,
 * with when the pass ran in the title and the row under the cursor shown
 * whole below the table (a Terminating namespace's finalizers, a stuck
 * job's story). `/` filters; reconcile.run (R) runs a pass now;
 * reconcile.delete (d) on an orphan asks for the namespace's name typed
 * back, then deletes it through provision/orphan.h, the audited path
 * `store reconcile --delete-orphan` takes too.
 *
 * Where the report comes from: the console's runner when it has one
 * (its periodic passes, APP_EVENT_RECONCILE after each); else (--no-worker,
 * read-only) this view runs a pass itself each time it is opened, marking
 * nothing in read-only mode. Its own database connection and its
 * reference to the cluster registry (whose clients everything shares) are
 * taken on first need (a pass, a deletion), so the view costs nothing
 * until used. Everything is asynchronous on the loop. */

/* Lines under the table: the pass, then the row under the cursor. */
#define FOOTER_LINES 4

struct reconcile_pane {
	struct app *app;
	struct table *table;
	struct reconcile_report rep; /* the report shown (a copy) */
	char (*keys)[200];	     /* each finding's row key, made once per report */
	bool have;		     /* rep holds a report */
	struct db_conn *db;
	struct kube_registry *kube;
	struct reconcile *pass; /* this view's own pass, while it runs */
	struct orphan_delete *del;
	char del_cluster[64], del_ns[64]; /* what d asked about */
};

enum { COL_KIND, COL_CLUSTER, COL_NAMESPACE, COL_STORE, COL_REASON };

static const struct table_column finding_cols[] = {
	[COL_KIND] = { "KIND", 11, 11, 0, TABLE_LEFT, 0 },
	[COL_CLUSTER] = { "CLUSTER", 7, 20, 0, TABLE_LEFT, 2 },
	[COL_NAMESPACE] = { "NAMESPACE", 9, 24, 0, TABLE_LEFT, 0 },
	[COL_STORE] = { "STORE", 5, 12, 0, TABLE_LEFT, 1 },
	[COL_REASON] = { "REASON", 10, 0, 1, TABLE_LEFT, 0 },
};

/* What needs a hand in red, what waits in yellow, what cured itself in
 * green. */
static int kind_role(const char *kind)
{
	if (strcmp(kind, "drift") == 0 || strcmp(kind, "unreachable") == 0)
		return ROLE_STATE_BAD;
	if (strcmp(kind, "recovered") == 0)
		return ROLE_STATE_OK;
	return ROLE_STATE_BUSY; /* orphan, terminating, stuck, unchecked */
}

static const char *source(const struct reconcile_pane *p)
{
	return app_runner(p->app) ? "the console's runner" : "this view";
}

static bool running(const struct reconcile_pane *p)
{
	struct runner *r = app_runner(p->app);

	return r ? runner_reconciling(r) : p->pass != NULL;
}

/* The title is short (the table gives it half the width); when and by
 * whom the pass ran goes on the first footer line. */
static void set_title(struct reconcile_pane *p)
{
	char title[80];

	snprintf(title, sizeof(title), "Reconcile: %zu finding%s", p->rep.n,
		 p->rep.n == 1 ? "" : "s");
	table_set_title(p->table, title);
}

/* "Pass of 08:19:54 (took 4s, 3 stores checked) by the console's runner,
 * every 60s; a pass is running…" */
static void describe_pass(const struct reconcile_pane *p, char *out, size_t outsz)
{
	const struct reconcile_report *rep = &p->rep;
	long every = app_conf(p->app)->reconcile_interval_s;
	char at[16] = "?";
	struct tm tm;
	int n;

	if (rep->finished && localtime_r(&rep->finished, &tm))
		strftime(at, sizeof(at), "%H:%M:%S", &tm);
	n = snprintf(out, outsz, "Pass of %s (took %lds, %zu store%s checked) by %s", at,
		     (long)(rep->finished > rep->started ? rep->finished - rep->started : 0),
		     rep->stores_checked, rep->stores_checked == 1 ? "" : "s", source(p));
	if (n > 0 && (size_t)n < outsz && app_runner(p->app) && every > 0)
		n += snprintf(out + n, outsz - (size_t)n, ", every %lds", every);
	if (n > 0 && (size_t)n < outsz && running(p))
		n += snprintf(out + n, outsz - (size_t)n, "; a pass is running…");
	if (n > 0 && (size_t)n < outsz && rep->problem[0])
		snprintf(out + n, outsz - (size_t)n, "; but %.200s", rep->problem);
}

/* A row's key: what the finding is about, so the cursor stays on it from
 * one pass to the next; the index only when an earlier finding has the
 * same (two stuck findings about one store). */
static void finding_key(const struct reconcile_pane *p, size_t i, char *key, size_t keysz)
{
	const struct reconcile_finding *f = &p->rep.v[i];

	snprintf(key, keysz, "%s/%s/%s/%s", f->kind, f->cluster, f->namespace, f->store);
	for (size_t j = 0; j < i; j++) {
		const struct reconcile_finding *g = &p->rep.v[j];

		if (strcmp(f->kind, g->kind) == 0 && strcmp(f->cluster, g->cluster) == 0 &&
		    strcmp(f->namespace, g->namespace) == 0 && strcmp(f->store, g->store) == 0) {
			snprintf(key, keysz, "%s/%s/%s/%s#%zu", f->kind, f->cluster, f->namespace,
				 f->store, i);
			return;
		}
	}
}

static void rebuild(struct reconcile_pane *p)
{
	struct table_model *tm = table_model(p->table);

	free(p->keys);
	p->keys = xcalloc(p->rep.n + 1, sizeof(*p->keys));
	table_model_begin(tm);
	for (size_t i = 0; i < p->rep.n; i++) {
		const struct reconcile_finding *f = &p->rep.v[i];
		const char *cells[] = { [COL_KIND] = f->kind,
					[COL_CLUSTER] = f->cluster,
					[COL_NAMESPACE] = f->namespace[0] ? f->namespace : "-",
					[COL_STORE] = f->store[0] ? f->store : "-",
					[COL_REASON] = f->reason };

		finding_key(p, i, p->keys[i], sizeof(p->keys[i]));
		table_model_add(tm, p->keys[i], cells, kind_role(f->kind), -1);
	}
	table_model_end(tm);
	if (p->rep.error[0]) {
		char *text = xasprintf("The pass could not run: %s", p->rep.error);

		table_set_empty_text(p->table, text);
		free(text);
	} else {
		table_set_empty_text(p->table,
				     "No findings: every store matches its cluster and its "
				     "template, and no namespace is an orphan.");
	}
	set_title(p);
}

static void take_report(struct reconcile_pane *p, const struct reconcile_report *rep)
{
	reconcile_report_clear(&p->rep);
	reconcile_report_copy(&p->rep, rep);
	p->have = true;
	rebuild(p);
	app_note_end(p->app, p); /* "pass running" */
}

/* ---- this view's own connection, passes and deletions ---- */

static void need_connections(struct reconcile_pane *p)
{
	if (!p->db)
		p->db = db_conn_new(app_loop(p->app), app_conf(p->app)->database, NULL);
	if (!p->kube)
		p->kube = kube_registry_acquire(app_loop(p->app), app_conf(p->app)->kubeconfig);
}

static void own_pass_done(const struct reconcile_report *rep, void *ud)
{
	struct reconcile_pane *p = ud;

	take_report(p, rep);
	/* Called from the pass's own timer, after which it touches nothing. */
	reconcile_free(p->pass);
	p->pass = NULL;
	app_redraw(p->app);
}

/* Starts a pass: the runner's, or this view's. quiet: no word on the
 * message line unless it cannot start. */
static void run_now(struct reconcile_pane *p, bool quiet)
{
	struct runner *r = app_runner(p->app);
	struct err err = { { 0 } };
	const struct conf *conf = app_conf(p->app);

	if (r) {
		if (!runner_reconcile_now(r, &err))
			app_error(p->app, "Cannot reconcile now: %s", err.msg);
		else if (!quiet)
			app_note(p->app, p, false, "Reconcile pass running (the console's runner)…");
	} else if (!p->pass) {
		struct reconcile_opts ro = {
			.loop = app_loop(p->app),
			.conf = conf,
			.actor = conf->operator,
			.report_only = conf->read_only,
			.http_for = kube_registry_http_for,
		};

		need_connections(p);
		ro.db = p->db;
		ro.http_ud = p->kube;
		p->pass = reconcile_start(&ro, own_pass_done, p);
		if (!quiet)
			app_note(p->app, p, false, "Reconcile pass running%s…",
				 conf->read_only ? " (read-only: drift is reported, not marked)" : "");
	}
}

static void orphan_deleted(const struct orphan_result *res, void *ud)
{
	struct reconcile_pane *p = ud;

	if (res->ok) {
		/* Until the next pass says otherwise. */
		for (size_t i = 0; i < p->rep.n; i++) {
			struct reconcile_finding *f = &p->rep.v[i];

			if (strcmp(f->kind, "orphan") == 0 && strcmp(f->cluster, p->del_cluster) == 0 &&
			    strcmp(f->namespace, p->del_ns) == 0)
				f->acted = true;
		}
		app_info(p->app, "%s", res->message);
	} else {
		app_error(p->app, "%s", res->message);
	}
	orphan_delete_free(p->del);
	p->del = NULL;
	run_now(p, true); /* the namespace shows Terminating, or gone */
	app_redraw(p->app);
}

static void delete_typed(struct app *app, const char *text, void *ud)
{
	struct reconcile_pane *p = ud;
	struct err err = { { 0 } };
	struct orphan_env env;

	if (!text) {
		app_info(app, "Nothing deleted");
		return;
	}
	if (strcmp(text, p->del_ns) != 0) {
		app_error(app, "'%.64s' is not '%s': nothing deleted", text, p->del_ns);
		return;
	}
	need_connections(p);
	env = (struct orphan_env){ .loop = app_loop(app),
				   .db = p->db,
				   .conf = app_conf(app),
				   .http_for = kube_registry_http_for,
				   .http_ud = p->kube };
	p->del = orphan_delete_start(&env, p->del_cluster, p->del_ns, orphan_deleted, p, &err);
	if (!p->del) {
		app_error(app, "%s", err.msg);
		return;
	}
	app_info(app, "Deleting orphan namespace %s on cluster %s: writing the audit event…",
		 p->del_ns, p->del_cluster);
}

static const struct app_prompt_ops delete_prompt = { .on_done = delete_typed };

/* The finding under the cursor, or NULL. */
static const struct reconcile_finding *cursor_finding(struct reconcile_pane *p)
{
	struct table_model *tm = table_model(p->table);
	const char *key;

	if (table_model_nvisible(tm) == 0)
		return NULL;
	key = table_model_key(tm, table_model_cursor(tm));
	for (size_t i = 0; key && i < p->rep.n; i++) {
		if (strcmp(p->keys[i], key) == 0)
			return &p->rep.v[i];
	}
	return NULL;
}

static void ask_delete(struct reconcile_pane *p)
{
	const struct reconcile_finding *f = cursor_finding(p);

	if (app_read_only(p->app)) {
		app_error(p->app, "read-only mode: refusing to delete an orphan namespace");
		return;
	}
	if (!f)
		return;
	if (strcmp(f->kind, "orphan") != 0) {
		app_error(p->app, "Only an orphan namespace can be deleted here; this row is a %s "
				  "finding",
			  f->kind);
		return;
	}
	if (p->del) {
		app_error(p->app, "Still deleting namespace %s; try again when it is done",
			  p->del_ns);
		return;
	}
	str_copy(p->del_cluster, sizeof(p->del_cluster), f->cluster);
	str_copy(p->del_ns, sizeof(p->del_ns), f->namespace);
	app_info(p->app, "Delete orphan namespace %s on cluster %s? Type its name to confirm (Esc "
			 "cancels)",
		 p->del_ns, p->del_cluster);
	app_prompt(p->app, "Namespace: ", "", &delete_prompt, p);
}

/* ---- the pane ---- */

static void *reconcile_init(struct app *app)
{
	struct reconcile_pane *p = xcalloc(1, sizeof(*p));

	p->app = app;
	p->table = table_new("Reconcile", finding_cols, ARRAY_LEN(finding_cols));
	return p;
}

static void reconcile_destroy(void *st)
{
	struct reconcile_pane *p = st;

	orphan_delete_free(p->del);
	reconcile_free(p->pass);
	db_conn_free(p->db);
	kube_registry_release(p->kube);
	reconcile_report_clear(&p->rep);
	free(p->keys);
	table_free(p->table);
	free(p);
}

/* When and by whom the pass ran; the row under the cursor, whole, with
 * what can be done about it. */
static void draw_footer(struct reconcile_pane *p, const struct rect *r)
{
	const struct reconcile_finding *f = cursor_finding(p);
	struct rect row = { r->y + 1, r->x, r->h - 1, r->w };
	char keys[64] = "", pass[600], *text;

	describe_pass(p, pass, sizeof(pass));
	draw_text(r->y, r->x, r->w, pass, style_attr(ROLE_DIM), 1);
	if (!f) {
		draw_wrapped(&row, "", style_attr(ROLE_NORMAL));
		return;
	}
	if (strcmp(f->kind, "orphan") == 0 && !f->acted)
		keymap_describe(app_keymap(p->app), ACTION_RECONCILE_DELETE, keys, sizeof(keys));
	keys[strcspn(keys, ",")] = '\0';
	text = xasprintf("%s %s%s%s: %s%s%s%s%s", f->kind, f->cluster, f->namespace[0] ? "/" : "",
			 f->namespace, f->reason, reconcile_outcome(f), keys[0] ? " (" : "", keys,
			 keys[0] ? " deletes it)" : "");
	draw_wrapped(&row, text, style_attr(ROLE_NORMAL));
	free(text);
}

static void reconcile_draw(void *st, struct app *app, const struct rect *r)
{
	struct reconcile_pane *p = st;
	struct rect t = *r;

	if (!app_db_configured(app)) {
		pane_notice_database(app, r, "Reconcile",
				     "the stores a reconcile pass compares with the clusters");
		return;
	}
	if (!p->have) {
		char first[160];
		const char *lines[2] = { first, "" };

		if (app_runner(app))
			snprintf(first, sizeof(first), "Waiting for the first reconcile pass of %s…",
				 source(p));
		else
			snprintf(first, sizeof(first), "Running a reconcile pass…");
		lines[1] = "It lists drift (objects missing or unhealthy), orphan and Terminating "
			   "namespaces, unreachable clusters and stuck stores.";
		pane_notice_draw(r, "Reconcile", lines, 2);
		return;
	}
	if (t.h >= FOOTER_LINES + 6) {
		struct rect foot = { t.y + t.h - FOOTER_LINES, t.x + 1, FOOTER_LINES, t.w - 2 };

		t.h -= FOOTER_LINES + 1;
		draw_fill(t.y + t.h, t.x, t.w, style_attr(ROLE_NORMAL));
		draw_footer(p, &foot);
	}
	table_draw(p->table, &t, true);
}

static void reconcile_show(void *st, struct app *app, const char *arg)
{
	struct reconcile_pane *p = st;
	struct runner *r = app_runner(app);

	if (arg)
		table_model_set_filter(table_model(p->table), arg);
	if (!app_db_configured(app))
		return;
	if (r && runner_last_reconcile(r))
		take_report(p, runner_last_reconcile(r));
	/* The runner's report is fresh enough (it comes every interval);
	 * without one, a pass now rather than a blank view. */
	if (!r || !runner_last_reconcile(r))
		run_now(p, true);
}

static unsigned reconcile_event(void *st, struct app *app, const struct app_event *ev)
{
	struct reconcile_pane *p = st;
	struct runner *r = app_runner(app);

	if (ev->kind != APP_EVENT_RECONCILE || !r || !runner_last_reconcile(r))
		return PANE_IGNORED;
	take_report(p, runner_last_reconcile(r));
	return PANE_REDRAW;
}

static unsigned reconcile_key(void *st, struct app *app, enum action a, keycode k)
{
	struct reconcile_pane *p = st;

	(void)k;
	if (!app_db_configured(app))
		return PANE_IGNORED;
	switch (a) {
	case ACTION_RECONCILE_RUN: run_now(p, false); return PANE_HANDLED | PANE_REDRAW;
	case ACTION_RECONCILE_DELETE: ask_delete(p); return PANE_HANDLED | PANE_REDRAW;
	default: return PANE_IGNORED;
	}
}

static struct table *reconcile_table(void *st)
{
	struct reconcile_pane *p = st;

	return p->have ? p->table : NULL;
}

const struct pane_ops pane_reconcile_ops = {
	.args = "[FILTER]",
	.help = "Show the latest reconcile pass's findings (orphans, drift, stuck); R runs one",
	.init = reconcile_init,
	.destroy = reconcile_destroy,
	.draw = reconcile_draw,
	.on_key = reconcile_key,
	.on_show = reconcile_show,
	.on_event = reconcile_event,
	.table = reconcile_table,
};
