#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db/catalog.h"
#include "db/live.h"
#include "pane.h"
#include "pane_notice.h"
#include "style.h"
#include "table.h"

/* The Catalog pane: the offerings with their state, active plans and live
 * stores, live from the database's notifications. Enter shows the plans of
 * the offering under the cursor (Esc closes them). `:catalog pause
 * [OFFERING]`, `:catalog activate [OFFERING]` and `:catalog plans
 * [OFFERING]` act on the named offering, else the marked ones, else the
 * one under the cursor;
 * pausing and activating ask first and are audited by the database. */

#define CATALOG_BULK_MAX 64

struct catalog_pane {
	struct app *app;
	struct db_live *live; /* NULL: no database configured */
	struct table *offerings;
	struct table *plans;
	bool plans_open;
	/* The offerings a confirmation is about: the one named, the marked
	 * ones, or the one under the cursor; and the answers still to come. */
	char subjects[CATALOG_BULK_MAX][64];
	size_t nsubjects, waiting, failed;
	bool from_marks, pending_active;
	char first_error[300];
};

static const struct table_column offering_cols[] = {
	{ "OFFERING", 8, 24, 0, TABLE_LEFT, 0 },  { "NAME", 8, 40, 1, TABLE_LEFT, 2 },
	{ "KIND", 6, 16, 0, TABLE_LEFT, 3 },	  { "STATE", 6, 10, 0, TABLE_LEFT, 0 },
	{ "PLANS", 5, 6, 0, TABLE_RIGHT, 4 },	  { "STORES", 6, 8, 0, TABLE_RIGHT, 1 },
	{ "DESCRIPTION", 10, 0, 2, TABLE_LEFT, 5 },
};

static const struct table_column plan_cols[] = {
	{ "PLAN", 6, 24, 0, TABLE_LEFT, 0 },	  { "REPLICAS", 8, 8, 0, TABLE_RIGHT, 2 },
	{ "CPU", 8, 16, 0, TABLE_RIGHT, 1 },	  { "MEMORY", 10, 20, 0, TABLE_RIGHT, 1 },
	{ "STORAGE", 7, 10, 0, TABLE_RIGHT, 3 },  { "PRICE/MONTH", 11, 12, 0, TABLE_RIGHT, 2 },
	{ "ACTIVE", 6, 6, 0, TABLE_LEFT, 4 },	  { "STORES", 6, 8, 0, TABLE_RIGHT, 1 },
};

static int state_role(const char *state)
{
	if (strcmp(state, "active") == 0)
		return ROLE_STATE_OK;
	if (strcmp(state, "paused") == 0)
		return ROLE_STATE_BUSY;
	return ROLE_STATE_OFF;
}

static void rebuild_offerings(struct catalog_pane *p)
{
	const struct offering_list *ol = db_live_offerings(p->live);
	struct table_model *tm = table_model(p->offerings);
	char title[64];

	table_model_begin(tm);
	for (size_t i = 0; ol && i < ol->n; i++) {
		const struct offering *o = &ol->v[i];
		char np[24], ns[24];
		const char *cells[7] = { o->slug, o->name, o->kind, o->state, np, ns, o->description };

		snprintf(np, sizeof(np), "%ld", o->plans);
		snprintf(ns, sizeof(ns), "%ld", o->stores);
		table_model_add(tm, o->slug, cells, state_role(o->state), 3);
	}
	table_model_end(tm);
	snprintf(title, sizeof(title), "Catalog (%zu)", ol ? ol->n : 0);
	table_set_title(p->offerings, title);
}

static void rebuild_plans(struct catalog_pane *p)
{
	const char *slug = NULL;
	const struct plan_list *pl = db_live_plans(p->live, &slug);
	struct table_model *tm = table_model(p->plans);
	char title[128];

	table_model_begin(tm);
	for (size_t i = 0; pl && i < pl->n; i++) {
		const struct plan *pn = &pl->v[i];
		char rep[24], c1[32], c2[32], cpu[72], m1[32], m2[32], mem[72], sto[32], ns[24];
		const char *cells[8] = { pn->name, rep, cpu, mem, sto, pn->monthly_price,
					 pn->active ? "yes" : "no", ns };

		snprintf(rep, sizeof(rep), "%ld", pn->replicas);
		db_format_cpu(pn->cpu_request_millis, c1, sizeof(c1));
		db_format_cpu(pn->cpu_limit_millis, c2, sizeof(c2));
		snprintf(cpu, sizeof(cpu), "%s-%s", c1, c2);
		db_format_memory(pn->memory_request_mib, m1, sizeof(m1));
		db_format_memory(pn->memory_limit_mib, m2, sizeof(m2));
		snprintf(mem, sizeof(mem), "%s-%s", m1, m2);
		snprintf(sto, sizeof(sto), "%ldGi", pn->storage_gib);
		snprintf(ns, sizeof(ns), "%ld", pn->stores);
		table_model_add(tm, pn->name, cells, pn->active ? -1 : ROLE_DIM, -1);
	}
	table_model_end(tm);
	snprintf(title, sizeof(title), "Plans of %s (%zu)", slug ? slug : "…", pl ? pl->n : 0);
	table_set_title(p->plans, title);
}

static void live_changed(void *ud, const struct db_live_change *ch)
{
	struct catalog_pane *p = ud;

	if (!ch->state && !(ch->lists & (DB_LIVE_BIT(DB_LIVE_OFFERINGS) | DB_LIVE_BIT(DB_LIVE_PLANS))))
		return;
	rebuild_offerings(p);
	if (p->plans_open)
		rebuild_plans(p);
	app_redraw(p->app);
}

static void *catalog_init(struct app *app)
{
	struct catalog_pane *p = xcalloc(1, sizeof(*p));

	p->app = app;
	p->offerings = table_new("Catalog", offering_cols, ARRAY_LEN(offering_cols));
	p->plans = table_new("Plans", plan_cols, ARRAY_LEN(plan_cols));
	table_set_empty_text(p->offerings,
			     "No offerings yet: import catalog files with `opsdeck catalog import FILE...`.");
	table_set_empty_text(p->plans, "Loading the plans…");
	if (app_db_configured(app))
		p->live = db_live_join(app_loop(app), app_conf(app), live_changed, p);
	return p;
}

static void catalog_destroy(void *st)
{
	struct catalog_pane *p = st;

	db_live_leave(p->live, live_changed, p);
	table_free(p->offerings);
	table_free(p->plans);
	free(p);
}

/* The notice while there is nothing true to show yet. */
static bool draw_waiting(struct catalog_pane *p, const struct rect *r)
{
	if (!p->live) {
		pane_notice_database(p->app, r, "Catalog", "offerings and plans");
		return true;
	}
	if (db_live_offerings(p->live))
		return false;
	pane_notice_db_waiting(r, "Catalog", p->live, "the catalog", "The offerings");
	return true;
}

static void catalog_draw(void *st, struct app *app, const struct rect *r)
{
	struct catalog_pane *p = st;

	(void)app;
	if (draw_waiting(p, r))
		return;
	if (p->plans_open && r->h >= 8) {
		struct rect top = *r, bottom = *r;

		top.h = r->h / 2;
		bottom.y = r->y + top.h;
		bottom.h = r->h - top.h;
		table_draw(p->offerings, &top, false);
		table_draw(p->plans, &bottom, true);
	} else if (p->plans_open) {
		table_draw(p->plans, r, true);
	} else {
		table_draw(p->offerings, r, true);
	}
}

/* The offering named, or the one under the cursor; NULL with a message. */
static const char *target(struct catalog_pane *p, const char *named)
{
	struct table_model *tm = table_model(p->offerings);

	if (named && *named)
		return named;
	if (table_model_nvisible(tm) == 0) {
		app_error(p->app, "No offering here to act on");
		return NULL;
	}
	return table_model_key(tm, table_model_cursor(tm));
}

/* The offering named, else the marked ones, else the one under the
 * cursor, into p->subjects. False with a message when there is none. */
static bool pick_subjects(struct catalog_pane *p, const char *named)
{
	struct table_model *tm = table_model(p->offerings);
	const char *keys[CATALOG_BULK_MAX], *one;
	size_t n;

	p->nsubjects = 0;
	p->from_marks = !(named && *named) && table_model_nmarked(tm) > 0;
	if (p->from_marks) {
		n = table_model_marked_keys(tm, keys, CATALOG_BULK_MAX);
		for (size_t i = 0; i < n; i++)
			str_copy(p->subjects[i], sizeof(p->subjects[i]), keys[i]);
		p->nsubjects = n;
		return n > 0;
	}
	if ((one = target(p, named)) == NULL)
		return false;
	if (!db_valid_dns_label(one)) {
		char shown[64];

		str_copy_clean(shown, sizeof(shown), one);
		app_error(p->app, "\"%s\" is not an offering slug", shown);
		return false;
	}
	str_copy(p->subjects[0], sizeof(p->subjects[0]), one);
	p->nsubjects = 1;
	return true;
}

static void open_plans(struct catalog_pane *p, const char *slug)
{
	if (!db_valid_dns_label(slug)) {
		app_error(p->app, "'%s' is not an offering slug", slug);
		return;
	}
	db_live_want_plans(p->live, slug);
	p->plans_open = true;
	rebuild_plans(p);
	app_redraw(p->app);
}

static void state_done(void *ud, bool ok, const char *msg)
{
	struct catalog_pane *p = ud;
	const char *did = p->pending_active ? "Activated" : "Paused";

	if (!ok && !p->failed++)
		str_copy(p->first_error, sizeof(p->first_error), msg);
	if (p->waiting > 0 && --p->waiting > 0)
		return;
	if (p->failed == 0 && p->nsubjects == 1)
		app_info(p->app, "%s offering %s", did, p->subjects[0]);
	else if (p->failed == 0)
		app_info(p->app, "%s %zu offerings", did, p->nsubjects);
	else if (p->failed == 1)
		app_error(p->app, "%s", p->first_error);
	else
		app_error(p->app, "%zu of %zu refused; the first: %s", p->failed, p->nsubjects,
			  p->first_error);
}

static void confirmed(struct app *app, void *ud)
{
	struct catalog_pane *p = ud;
	struct db_req *reqs = xcalloc(p->nsubjects, sizeof(*reqs));
	struct err err = { { 0 } };
	size_t built = 0;

	/* every request built before any is sent: all or nothing */
	while (built < p->nsubjects && catalog_req_set_state(&reqs[built], app_conf(app),
							     p->subjects[built],
							     p->pending_active, NULL, &err))
		built++;
	if (built < p->nsubjects) {
		for (size_t i = 0; i < built; i++)
			db_req_free(&reqs[i]);
		free(reqs);
		app_error(app, "%s", err.msg);
		return;
	}
	p->waiting = p->nsubjects;
	p->failed = 0;
	if (p->from_marks)
		table_model_clear_marks(table_model(p->offerings));
	for (size_t i = 0; i < built; i++)
		db_live_submit(p->live, &reqs[i], state_done, p);
	free(reqs);
}

static void ask_state(struct catalog_pane *p, const char *named, bool active)
{
	char q[300];

	if (app_read_only(p->app)) {
		app_error(p->app, "read-only mode: refusing to %s an offering", active ? "activate" : "pause");
		return;
	}
	if (p->waiting > 0) {
		app_error(p->app, "The last change of the catalog is still waiting for the database");
		return;
	}
	if (!pick_subjects(p, named))
		return;
	p->pending_active = active;
	if (p->nsubjects > 1)
		snprintf(q, sizeof(q), "%s %zu marked offerings? %s", active ? "Activate" : "Pause",
			 p->nsubjects,
			 active ? "They take orders again."
				: "They stop taking orders; their stores keep running.");
	else if (active)
		snprintf(q, sizeof(q), "Activate offering %s? It takes orders again.",
			 p->subjects[0]);
	else
		snprintf(q, sizeof(q), "Pause offering %s? It stops taking orders; its stores keep running.",
			 p->subjects[0]);
	app_confirm(p->app, q, confirmed, p);
}

enum { VERB_PAUSE, VERB_ACTIVATE, VERB_PLANS };

static const struct pane_verb catalog_verbs[] = {
	{ "pause", "[OFFERING]", "Pause an offering: it takes no orders (asks first)", VERB_PAUSE },
	{ "activate", "[OFFERING]", "Activate an offering again (asks first)", VERB_ACTIVATE },
	{ "plans", "[OFFERING]", "Show the plans of an offering", VERB_PLANS },
};

static void catalog_show(void *st, struct app *app, const char *arg)
{
	struct catalog_pane *p = st;
	const struct pane_verb *v;
	char name[80];
	const char *slug;

	if (!arg || !*arg)
		return;
	if (!p->live) {
		app_error(app, "No database configured");
		return;
	}
	v = cmdline_pane_verb(app, &pane_catalog_ops, arg, name, sizeof(name));
	if (!v)
		return;
	if (v->id != VERB_PLANS)
		ask_state(p, name, v->id == VERB_ACTIVATE);
	else if ((slug = target(p, name)) != NULL)
		open_plans(p, slug);
}

static size_t catalog_complete(void *st, const struct pane_verb *verb, const char *prefix,
			       char ***out)
{
	struct catalog_pane *p = st;
	const struct offering_list *ol = p->live ? db_live_offerings(p->live) : NULL;
	size_t n = 0, cap = 0;

	(void)verb;
	*out = NULL;
	for (size_t i = 0; ol && i < ol->n; i++) {
		if (!str_has_prefix(ol->v[i].slug, prefix))
			continue;
		*out = xgrow(*out, &cap, n + 1, sizeof(**out));
		(*out)[n++] = xstrdup(ol->v[i].slug);
	}
	return n;
}

static unsigned catalog_key(void *st, struct app *app, enum action a, keycode k)
{
	struct catalog_pane *p = st;
	const char *slug;

	(void)k;
	if (!p->live)
		return PANE_IGNORED;
	if (p->plans_open && a == ACTION_CANCEL) {
		p->plans_open = false;
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (!p->plans_open && (a == ACTION_CATALOG_PAUSE || a == ACTION_CATALOG_ACTIVATE)) {
		catalog_show(p, app, catalog_verbs[a == ACTION_CATALOG_PAUSE ? VERB_PAUSE : VERB_ACTIVATE].name);
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (!p->plans_open && a == ACTION_SELECT) {
		if ((slug = target(p, NULL)) != NULL)
			open_plans(p, slug);
		return PANE_HANDLED | PANE_REDRAW;
	}
	return PANE_IGNORED;
}

static struct table *catalog_table(void *st)
{
	struct catalog_pane *p = st;

	if (!p->live)
		return NULL;
	return p->plans_open ? p->plans : p->offerings;
}

const struct pane_ops pane_catalog_ops = {
	.args = "[VERB ...]",
	.help = "Show the Catalog pane; its verbs follow",
	.init = catalog_init,
	.destroy = catalog_destroy,
	.draw = catalog_draw,
	.on_key = catalog_key,
	.on_show = catalog_show,
	.table = catalog_table,
	.verbs = catalog_verbs,
	.nverbs = ARRAY_LEN(catalog_verbs),
	.complete = catalog_complete,
};
