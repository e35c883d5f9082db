#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db/customers.h"
#include "db/live.h"
#include "db/projects.h"
#include "form.h"
#include "pane.h"
#include "pane_notice.h"
#include "style.h"
#include "table.h"

/* The Projects pane: customers, each followed by its projects with their
 * quota usage (stores, CPU and memory used/quota), live from the
 * database's notifications. Enter on a project shows the Stores pane
 * filtered to it. Changes go through forms that check every field before
 * anything is sent:
 *   :projects new-customer
 *   :projects new-project [CUSTOMER]
 *   :projects rename [PROJECT]
 *   :projects quota [PROJECT]
 *   :projects set [PROJECT]          (end date and description)
 *   :projects archive [PROJECT]      (asks first)
 * A missing PROJECT or CUSTOMER is the one under the cursor; one given is
 * a slug or a name (db/projects.h's rule). A form stays open until the
 * database answers: a refusal shows in it, with the values as typed. */

#define MAX_FIELDS 8
#define MAX_CHOICES 256
#define MAX_WAITING 16

/* Row keys: customers and projects share the table. */
#define KEY_CUSTOMER "c:"
#define KEY_PROJECT "p:"

enum form_kind { FORM_NONE, FORM_CUSTOMER, FORM_PROJECT, FORM_RENAME, FORM_QUOTA, FORM_SET };

struct projects_pane {
	struct app *app;
	struct db_live *live;
	struct table *table;

	/* The open form's fields and the strings they point to: they must
	 * live as long as the form. */
	enum form_kind form;
	struct form_field fields[MAX_FIELDS];
	char initial[MAX_FIELDS][128];
	char *choice_text[MAX_CHOICES];
	const char *choices[MAX_CHOICES + 1];
	char subject[64]; /* the project a form or confirmation is about */
	char done_msg[160];
	/* The forms waiting for the requests sent, in the order sent (the
	 * answers come in that order); 0 for a request without a form. */
	form_ticket waiting[MAX_WAITING];
	size_t nwaiting;
	/* The set form's values when it opened: only what changed is sent. */
	char was_end_date[16];
	char *was_description;
};

static const struct table_column cols[] = {
	{ "PROJECT", 10, 40, 0, TABLE_LEFT, 0 }, { "NAME", 8, 40, 1, TABLE_LEFT, 3 },
	{ "STORES", 7, 12, 0, TABLE_RIGHT, 0 },	 { "CPU", 9, 16, 0, TABLE_RIGHT, 1 },
	{ "MEMORY", 11, 20, 0, TABLE_RIGHT, 1 }, { "END", 10, 10, 0, TABLE_LEFT, 4 },
	{ "DESCRIPTION", 10, 0, 2, TABLE_LEFT, 5 },
};

/* Full (or over) is bad, 80% is a warning. */
static int usage_role(long used, long quota)
{
	if (quota <= 0 ? used > 0 : used >= quota)
		return ROLE_STATE_BAD;
	if (used * 5 >= quota * 4)
		return ROLE_STATE_BUSY;
	return -1;
}

static void rebuild(struct projects_pane *p)
{
	const struct customer_list *cl = db_live_customers(p->live);
	const struct project_list *pl = db_live_projects(p->live);
	struct table_model *tm = table_model(p->table);
	char title[96];
	size_t nprojects = 0;

	table_model_begin(tm);
	for (size_t c = 0; cl && pl && c < cl->n; c++) {
		const struct customer *cu = &cl->v[c];
		char key[80], count[40];
		const char *cells[7] = { cu->slug, cu->name, "", "", "", "", count };

		snprintf(key, sizeof(key), KEY_CUSTOMER "%s", cu->slug);
		snprintf(count, sizeof(count), "customer, %ld project%s", cu->projects,
			 cu->projects == 1 ? "" : "s");
		table_model_add(tm, key, cells, ROLE_TITLE, -1);
		for (size_t i = 0; i < pl->n; i++) {
			const struct project *pr = &pl->v[i];
			char slug[80], st[48], cu1[32], cq[32], cpu[72], mu[32], mq[32], mem[72];
			const char *pc[7] = { slug, pr->name, st, cpu, mem,
					      pr->end_date[0] ? pr->end_date : "-", pr->description };
			int role = -1, role_col = -1, r;

			if (strcmp(pr->customer_slug, cu->slug) != 0)
				continue;
			snprintf(key, sizeof(key), KEY_PROJECT "%s", pr->slug);
			snprintf(slug, sizeof(slug), "  %s", pr->slug);
			snprintf(st, sizeof(st), "%ld/%ld", pr->stores_used, pr->quota_stores);
			db_format_cpu(pr->cpu_used_millis, cu1, sizeof(cu1));
			db_format_cpu(pr->quota_cpu_millis, cq, sizeof(cq));
			snprintf(cpu, sizeof(cpu), "%s/%s", cu1, cq);
			db_format_memory(pr->memory_used_mib, mu, sizeof(mu));
			db_format_memory(pr->quota_memory_mib, mq, sizeof(mq));
			snprintf(mem, sizeof(mem), "%s/%s", mu, mq);
			/* The table colours one column: the tightest quota. */
			if ((r = usage_role(pr->stores_used, pr->quota_stores)) != -1) {
				role = r;
				role_col = 2;
			}
			if ((r = usage_role(pr->cpu_used_millis, pr->quota_cpu_millis)) != -1 &&
			    (role == -1 || r == ROLE_STATE_BAD)) {
				role = r;
				role_col = 3;
			}
			if ((r = usage_role(pr->memory_used_mib, pr->quota_memory_mib)) != -1 &&
			    (role == -1 || r == ROLE_STATE_BAD)) {
				role = r;
				role_col = 4;
			}
			table_model_add(tm, key, pc, role, role_col);
			nprojects++;
		}
	}
	table_model_end(tm);
	snprintf(title, sizeof(title), "Projects (%zu customers, %zu projects)", cl ? cl->n : 0,
		 nprojects);
	table_set_title(p->table, title);
}

static void live_changed(void *ud, const struct db_live_change *ch)
{
	struct projects_pane *p = ud;

	if (!ch->state &&
	    !(ch->lists & (DB_LIVE_BIT(DB_LIVE_CUSTOMERS) | DB_LIVE_BIT(DB_LIVE_PROJECTS))))
		return;
	rebuild(p);
	app_redraw(p->app);
}

static void *projects_init(struct app *app)
{
	struct projects_pane *p = xcalloc(1, sizeof(*p));

	p->app = app;
	p->table = table_new("Projects", cols, ARRAY_LEN(cols));
	table_set_empty_text(p->table, "No customers yet: `:projects new-customer` creates one.");
	if (app_db_configured(app))
		p->live = db_live_join(app_loop(app), app_conf(app), live_changed, p);
	return p;
}

static void free_choices(struct projects_pane *p)
{
	for (size_t i = 0; i < MAX_CHOICES; i++)
		x_free(&p->choice_text[i]);
	p->choices[0] = NULL;
}

static void projects_destroy(void *st)
{
	struct projects_pane *p = st;

	db_live_leave(p->live, live_changed, p);
	free_choices(p);
	free(p->was_description);
	table_free(p->table);
	free(p);
}

static bool draw_waiting(struct projects_pane *p, const struct rect *r)
{
	if (!p->live) {
		pane_notice_database(p->app, r, "Projects", "customers and projects");
		return true;
	}
	if (db_live_customers(p->live) && db_live_projects(p->live))
		return false;
	pane_notice_db_waiting(r, "Projects", p->live, "the projects", "Customers and projects");
	return true;
}

static void projects_draw(void *st, struct app *app, const struct rect *r)
{
	struct projects_pane *p = st;

	(void)app;
	if (!draw_waiting(p, r))
		table_draw(p->table, r, true);
}

/* ---- what a command acts on ---- */

/* The key under the cursor, or NULL. */
static const char *cursor_key(struct projects_pane *p)
{
	struct table_model *tm = table_model(p->table);

	if (table_model_nvisible(tm) == 0)
		return NULL;
	return table_model_key(tm, table_model_cursor(tm));
}

/* The project a slug or a name names; NULL with err set. */
static const struct project *find_project(struct projects_pane *p, const char *ref,
					  struct err *err)
{
	return project_list_find(db_live_projects(p->live), ref, err);
}

/* The project named (slug or name), or the one under the cursor; NULL with
 * a message. */
static const struct project *target_project(struct projects_pane *p, const char *named)
{
	const char *key = cursor_key(p);
	const struct project *pr;
	struct err err = { { 0 } };

	if (!named || !*named) {
		if (!key || strncmp(key, KEY_PROJECT, 2) != 0) {
			app_error(p->app, "Put the cursor on a project, or name one");
			return NULL;
		}
		named = key + 2;
	}
	pr = find_project(p, named, &err);
	if (!pr)
		app_error(p->app, "%s", err.msg);
	return pr;
}

/* The customer named (slug or name), under the cursor, or owning the
 * project there; NULL if none (a named one that is unknown says so). */
static const char *target_customer(struct projects_pane *p, const char *named)
{
	const char *key = cursor_key(p);
	const struct project *pr;
	const struct customer *cu;
	struct err err = { { 0 } };

	if (named && *named) {
		cu = customer_list_find(db_live_customers(p->live), named, &err);
		if (!cu)
			app_error(p->app, "%s", err.msg);
		return cu ? cu->slug : NULL;
	}
	if (key && strncmp(key, KEY_CUSTOMER, 2) == 0)
		return key + 2;
	if (key && strncmp(key, KEY_PROJECT, 2) == 0 &&
	    (pr = find_project(p, key + 2, &err)) != NULL)
		return pr->customer_slug;
	return NULL;
}

/* ---- outcomes ---- */

static void mutation_done(void *ud, bool ok, const char *msg)
{
	struct projects_pane *p = ud;
	form_ticket t = 0;

	if (p->nwaiting > 0) {
		t = p->waiting[0];
		memmove(p->waiting, p->waiting + 1, --p->nwaiting * sizeof(p->waiting[0]));
	}
	/* A refusal shows in the form that is still open for it. */
	if (form_answer(p->app, t, ok, msg) && !ok)
		return;
	if (ok)
		app_info(p->app, "%s", p->done_msg);
	else
		app_error(p->app, "%s", msg);
}

/* p->done_msg holds what to say once it is done. From a form's submit
 * function, the form waits for the answer. */
static void submit(struct projects_pane *p, struct db_req *r)
{
	form_ticket t = form_wait();

	if (p->nwaiting < MAX_WAITING)
		p->waiting[p->nwaiting++] = t;
	db_live_submit(p->live, r, mutation_done, p);
}

/* ---- field validators (the form shows their words) ---- */

static bool valid_name(const char *v, struct err *err)
{
	if (db_valid_name(v, 200))
		return true;
	err_set(err, "1 to 200 characters on one line");
	return false;
}

static bool valid_slug(const char *v, struct err *err)
{
	return form_valid_dns_label(v, err);
}

static bool valid_description(const char *v, struct err *err)
{
	if (db_valid_text(v, 2000))
		return true;
	err_set(err, "at most 2000 characters of text");
	return false;
}

static bool valid_date(const char *v, struct err *err)
{
	return project_check_date(v, "end date", err);
}

static bool valid_stores(const char *v, struct err *err)
{
	long n;

	if (str_to_long(v, 0, PROJECT_MAX_QUOTA_STORES, &n))
		return true;
	err_set(err, "a whole number from 0 to %d", PROJECT_MAX_QUOTA_STORES);
	return false;
}

static bool valid_cpu(const char *v, struct err *err)
{
	long m;

	return db_parse_cpu(v, &m, err);
}

static bool valid_memory(const char *v, struct err *err)
{
	long m;

	return db_parse_memory(v, &m, err);
}

/* ---- forms ---- */

static void field(struct projects_pane *p, size_t i, const char *label, const char *initial,
		  const char *hint, bool required, bool (*validate)(const char *, struct err *))
{
	struct form_field *f = &p->fields[i];

	memset(f, 0, sizeof(*f));
	f->label = label;
	f->hint = hint;
	f->required = required;
	f->validate = validate;
	if (initial) {
		str_copy(p->initial[i], sizeof(p->initial[i]), initial);
		f->initial = p->initial[i];
	}
}

/* Parses quota fields already validated by the form; empty keeps -1. */
static void quota_values(const char *stores, const char *cpu, const char *mem, long *qs, long *qc,
			 long *qm)
{
	struct err ignore;

	*qs = *qc = *qm = -1;
	if (*stores)
		(void)str_to_long(stores, 0, PROJECT_MAX_QUOTA_STORES, qs);
	if (*cpu)
		(void)db_parse_cpu(cpu, qc, &ignore);
	if (*mem)
		(void)db_parse_memory(mem, qm, &ignore);
}

static bool submit_customer(struct app *app, const char *const *v, void *ud, struct err *err)
{
	struct projects_pane *p = ud;
	struct db_req r;

	if (!customer_req_create(&r, app_conf(app), v[0], v[1], err))
		return false;
	snprintf(p->done_msg, sizeof(p->done_msg), "Created customer %s", v[1][0] ? v[1] : v[0]);
	submit(p, &r);
	return true;
}

static void open_customer_form(struct projects_pane *p)
{
	field(p, 0, "Name", NULL, "e.g. Acme Shops", true, valid_name);
	field(p, 1, "Slug", NULL, "empty: made from the name", false, valid_slug);
	p->form = FORM_CUSTOMER;
	app_open_form(p->app, form_new("New customer", p->fields, 2, submit_customer, p));
}

static bool submit_project(struct app *app, const char *const *v, void *ud, struct err *err)
{
	struct projects_pane *p = ud;
	struct project_spec spec;
	struct db_req r;

	memset(&spec, 0, sizeof(spec));
	spec.customer = v[0];
	spec.name = v[1];
	spec.slug = v[2];
	spec.description = v[3];
	spec.end_date = v[4];
	quota_values(v[5], v[6], v[7], &spec.quota_stores, &spec.quota_cpu_millis,
		     &spec.quota_memory_mib);
	if (!project_req_create(&r, app_conf(app), &spec, err))
		return false;
	snprintf(p->done_msg, sizeof(p->done_msg), "Created project %s", v[2][0] ? v[2] : v[1]);
	submit(p, &r);
	return true;
}

static void open_project_form(struct projects_pane *p, const char *customer)
{
	const struct customer_list *cl = db_live_customers(p->live);
	char cpu[32], mem[32], stores[16];
	size_t n = 0;

	if (!cl || cl->n == 0) {
		app_error(p->app, "No customer yet: `:projects new-customer` first");
		return;
	}
	free_choices(p);
	for (size_t i = 0; i < cl->n && n < MAX_CHOICES; i++) {
		p->choice_text[n] = xstrdup(cl->v[i].slug);
		p->choices[n] = p->choice_text[n];
		n++;
	}
	p->choices[n] = NULL;
	snprintf(stores, sizeof(stores), "%d", PROJECT_DEFAULT_QUOTA_STORES);
	db_format_cpu(PROJECT_DEFAULT_QUOTA_CPU_MILLIS, cpu, sizeof(cpu));
	db_format_memory(PROJECT_DEFAULT_QUOTA_MEMORY_MIB, mem, sizeof(mem));
	field(p, 0, "Customer", customer, "Left/Right to choose", true, NULL);
	p->fields[0].choices = p->choices;
	field(p, 1, "Name", NULL, "e.g. Web Shop", true, valid_name);
	field(p, 2, "Slug", NULL, "empty: made from the name", false, valid_slug);
	field(p, 3, "Description", NULL, NULL, false, valid_description);
	field(p, 4, "End date", NULL, "YYYY-MM-DD, optional", false, valid_date);
	field(p, 5, "Stores", stores, "quota: 0-10000", true, valid_stores);
	field(p, 6, "CPU", cpu, "quota: cores (2, 1.5) or 500m", true, valid_cpu);
	field(p, 7, "Memory", mem, "quota: 512Mi, 8Gi", true, valid_memory);
	p->form = FORM_PROJECT;
	app_open_form(p->app, form_new("New project", p->fields, 8, submit_project, p));
}

static bool submit_rename(struct app *app, const char *const *v, void *ud, struct err *err)
{
	struct projects_pane *p = ud;
	struct db_req r;

	if (!project_req_rename(&r, app_conf(app), p->subject, v[0], err))
		return false;
	snprintf(p->done_msg, sizeof(p->done_msg), "Renamed project %s", p->subject);
	submit(p, &r);
	return true;
}

static void open_rename_form(struct projects_pane *p, const struct project *pr)
{
	char title[96];

	str_copy(p->subject, sizeof(p->subject), pr->slug);
	field(p, 0, "Name", pr->name, "the slug stays", true, valid_name);
	snprintf(title, sizeof(title), "Rename project %s", pr->slug);
	p->form = FORM_RENAME;
	app_open_form(p->app, form_new(title, p->fields, 1, submit_rename, p));
}

static bool submit_quota(struct app *app, const char *const *v, void *ud, struct err *err)
{
	struct projects_pane *p = ud;
	struct db_req r;
	long qs, qc, qm;

	quota_values(v[0], v[1], v[2], &qs, &qc, &qm);
	if (!project_req_set_quota(&r, app_conf(app), p->subject, qs, qc, qm, err))
		return false;
	snprintf(p->done_msg, sizeof(p->done_msg), "Set the quota of project %s", p->subject);
	submit(p, &r);
	return true;
}

static void open_quota_form(struct projects_pane *p, const struct project *pr)
{
	char title[96], stores[24], cpu[32], mem[32], hs[64], hc[64], hm[64], u1[32], u2[32];

	str_copy(p->subject, sizeof(p->subject), pr->slug);
	snprintf(stores, sizeof(stores), "%ld", pr->quota_stores);
	db_format_cpu(pr->quota_cpu_millis, cpu, sizeof(cpu));
	db_format_memory(pr->quota_memory_mib, mem, sizeof(mem));
	snprintf(hs, sizeof(hs), "in use: %ld", pr->stores_used);
	db_format_cpu(pr->cpu_used_millis, u1, sizeof(u1));
	snprintf(hc, sizeof(hc), "in use: %s", u1);
	db_format_memory(pr->memory_used_mib, u2, sizeof(u2));
	snprintf(hm, sizeof(hm), "in use: %s", u2);
	/* Hints are not copied by the form: keep them with the fields. */
	str_copy(p->initial[3], sizeof(p->initial[3]), hs);
	str_copy(p->initial[4], sizeof(p->initial[4]), hc);
	str_copy(p->initial[5], sizeof(p->initial[5]), hm);
	field(p, 0, "Stores", stores, p->initial[3], true, valid_stores);
	field(p, 1, "CPU", cpu, p->initial[4], true, valid_cpu);
	field(p, 2, "Memory", mem, p->initial[5], true, valid_memory);
	snprintf(title, sizeof(title), "Quota of project %s", pr->slug);
	p->form = FORM_QUOTA;
	app_open_form(p->app, form_new(title, p->fields, 3, submit_quota, p));
}

static bool submit_set(struct app *app, const char *const *v, void *ud, struct err *err)
{
	struct projects_pane *p = ud;
	struct project_changes c = { 0 };
	struct db_req r;

	/* Only what the operator changed: an empty end date removes it. */
	if (strcmp(v[0], p->was_end_date) != 0) {
		c.end_date = *v[0] ? v[0] : NULL;
		c.clear_end_date = !*v[0];
	}
	if (strcmp(v[1], p->was_description ? p->was_description : "") != 0)
		c.description = v[1];
	if (!c.end_date && !c.clear_end_date && !c.description) {
		err_set(err, "Nothing changed: edit the end date or the description, or Esc");
		return false;
	}
	if (!project_req_set(&r, app_conf(app), p->subject, &c, err))
		return false;
	snprintf(p->done_msg, sizeof(p->done_msg), "Changed project %s", p->subject);
	submit(p, &r);
	return true;
}

static void open_set_form(struct projects_pane *p, const struct project *pr)
{
	char title[96];

	str_copy(p->subject, sizeof(p->subject), pr->slug);
	str_copy(p->was_end_date, sizeof(p->was_end_date), pr->end_date);
	free(p->was_description);
	p->was_description = xstrdup(pr->description);
	field(p, 0, "End date", pr->end_date, "YYYY-MM-DD; empty: none", false, valid_date);
	field(p, 1, "Description", NULL, "at most 2000 characters", false, valid_description);
	/* A description may be longer than the fields' copies: the form copies it. */
	p->fields[1].initial = p->was_description;
	snprintf(title, sizeof(title), "Project %s: end date and description", pr->slug);
	p->form = FORM_SET;
	app_open_form(p->app, form_new(title, p->fields, 2, submit_set, p));
}

static void archive_confirmed(struct app *app, void *ud)
{
	struct projects_pane *p = ud;
	struct db_req r;
	struct err err = { { 0 } };

	if (!project_req_archive(&r, app_conf(app), p->subject, &err)) {
		app_error(app, "%s", err.msg);
		return;
	}
	snprintf(p->done_msg, sizeof(p->done_msg), "Archived project %s", p->subject);
	submit(p, &r);
}

static void ask_archive(struct projects_pane *p, const struct project *pr)
{
	char q[200];

	if (app_read_only(p->app)) {
		app_error(p->app, "read-only mode: refusing to archive a project");
		return;
	}
	if (pr->stores_used > 0) {
		app_error(p->app, "Project %s has %ld live store(s); delete them before archiving it",
			  pr->slug, pr->stores_used);
		return;
	}
	str_copy(p->subject, sizeof(p->subject), pr->slug);
	snprintf(q, sizeof(q), "Archive project %s? It can get no stores afterwards.", pr->slug);
	app_confirm(p->app, q, archive_confirmed, p);
}

/* ---- commands and keys ---- */

enum { VERB_NEW_CUSTOMER, VERB_NEW_PROJECT, VERB_RENAME, VERB_QUOTA, VERB_SET, VERB_ARCHIVE };

static const struct pane_verb projects_verbs[] = {
	{ "new-customer", "", "Create a customer (a form)", VERB_NEW_CUSTOMER },
	{ "new-project", "[CUSTOMER]", "Create a project (a form)", VERB_NEW_PROJECT },
	{ "rename", "[PROJECT]", "Rename a project (a form)", VERB_RENAME },
	{ "quota", "[PROJECT]", "Set a project's quotas (a form)", VERB_QUOTA },
	{ "set", "[PROJECT]", "Change a project's end date and description (a form)", VERB_SET },
	{ "archive", "[PROJECT]", "Archive a project (asks first)", VERB_ARCHIVE },
};

static void projects_show(void *st, struct app *app, const char *arg)
{
	struct projects_pane *p = st;
	const struct pane_verb *v;
	char name[80];
	const struct project *pr = NULL;

	if (!arg || !*arg)
		return;
	if (!p->live) {
		app_error(app, "No database configured");
		return;
	}
	if ((v = cmdline_pane_verb(app, &pane_projects_ops, arg, name, sizeof(name))) == NULL)
		return;
	/* Forms that change something are refused up front in read-only mode. */
	if (app_read_only(app) && v->id != VERB_ARCHIVE) {
		app_error(app, "read-only mode: refusing to change customers or projects");
		return;
	}
	if (v->id == VERB_NEW_CUSTOMER) {
		open_customer_form(p);
		return;
	}
	if (v->id == VERB_NEW_PROJECT) {
		const char *customer = target_customer(p, name);

		if (customer || !*name)
			open_project_form(p, customer);
		return;
	}
	if ((pr = target_project(p, name)) == NULL)
		return;
	if (v->id == VERB_RENAME)
		open_rename_form(p, pr);
	else if (v->id == VERB_QUOTA)
		open_quota_form(p, pr);
	else if (v->id == VERB_SET)
		open_set_form(p, pr);
	else
		ask_archive(p, pr);
}

/* Customers after new-project, projects after the others. */
static size_t projects_complete(void *st, const struct pane_verb *verb, const char *prefix,
				char ***out)
{
	struct projects_pane *p = st;
	const struct customer_list *cl = p->live ? db_live_customers(p->live) : NULL;
	const struct project_list *pl = p->live ? db_live_projects(p->live) : NULL;
	size_t n = 0, cap = 0, count;

	*out = NULL;
	if (verb->id == VERB_NEW_CUSTOMER)
		return 0;
	count = verb->id == VERB_NEW_PROJECT ? (cl ? cl->n : 0) : (pl ? pl->n : 0);
	for (size_t i = 0; i < count; i++) {
		const char *slug = verb->id == VERB_NEW_PROJECT ? cl->v[i].slug : pl->v[i].slug;

		if (!str_has_prefix(slug, prefix))
			continue;
		*out = xgrow(*out, &cap, n + 1, sizeof(**out));
		(*out)[n++] = xstrdup(slug);
	}
	return n;
}

static unsigned projects_key(void *st, struct app *app, enum action a, keycode k)
{
	/* Each key action is the `:projects VERB` command on the cursor row. */
	static const struct {
		enum action a;
		int verb; /* index in projects_verbs */
	} verbs[] = {
		{ ACTION_PROJECTS_NEW_CUSTOMER, VERB_NEW_CUSTOMER },
		{ ACTION_PROJECTS_NEW_PROJECT, VERB_NEW_PROJECT },
		{ ACTION_PROJECTS_RENAME, VERB_RENAME },
		{ ACTION_PROJECTS_QUOTA, VERB_QUOTA },
		{ ACTION_PROJECTS_SET, VERB_SET },
		{ ACTION_PROJECTS_ARCHIVE, VERB_ARCHIVE },
	};
	struct projects_pane *p = st;
	const char *key;

	(void)k;
	if (!p->live)
		return PANE_IGNORED;
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++) {
		if (verbs[i].a == a) {
			projects_show(p, app, projects_verbs[verbs[i].verb].name);
			return PANE_HANDLED | PANE_REDRAW;
		}
	}
	if (a != ACTION_SELECT)
		return PANE_IGNORED;
	key = cursor_key(p);
	if (!key)
		return PANE_IGNORED;
	if (strncmp(key, KEY_PROJECT, 2) == 0) {
		/* The Stores pane's argument is its filter. */
		app_show_pane(app, PANE_STORES, key + 2);
	} else {
		app_info(app, "Customer %s: `:projects new-project` adds a project", key + 2);
	}
	return PANE_HANDLED | PANE_REDRAW;
}

static struct table *projects_table(void *st)
{
	struct projects_pane *p = st;

	return p->live ? p->table : NULL;
}

const struct pane_ops pane_projects_ops = {
	.args = "[VERB ...]",
	.help = "Show the Projects pane; its verbs follow",
	.init = projects_init,
	.destroy = projects_destroy,
	.draw = projects_draw,
	.on_key = projects_key,
	.on_show = projects_show,
	.table = projects_table,
	.verbs = projects_verbs,
	.nverbs = ARRAY_LEN(projects_verbs),
	.complete = projects_complete,
};
