#include "config.h"

#include "db/projects.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/ref.h"

#define SQL_LIST_COLUMNS \
	"SELECT p.uuid, c.slug, c.name, p.slug, p.name, p.description," \
	" coalesce(to_char(p.end_date, 'YYYY-MM-DD'), '')," \
	" p.quota_stores, p.quota_cpu_millis, p.quota_memory_mib," \
	" u.stores_used, u.cpu_used_millis, u.memory_used_mib," \
	" to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')," \
	" p.archived_at IS NOT NULL" \
	" FROM opsdeck.projects p" \
	" JOIN opsdeck.customers c ON c.uuid = p.customer" \
	" JOIN opsdeck.project_usage u ON u.project = p.uuid"

static const char sql_list[] =
	SQL_LIST_COLUMNS
	" WHERE ($1::text IS NULL OR c.slug = $1) AND ($2::boolean OR p.archived_at IS NULL)"
	" ORDER BY c.slug, p.slug";

/* (slug, name) rows, for db_ref_find_slug. */
static const char sql_find[] =
	"SELECT slug, name FROM opsdeck.projects"
	" WHERE slug = $1 OR lower(name) = lower($1)"
	" ORDER BY slug";

void project_req_list(struct db_req *r, const char *customer, bool include_archived)
{
	db_req_init(r, sql_list);
	db_req_add(r, customer);
	db_req_add_bool(r, include_archived);
	str_copy(r->subject, sizeof(r->subject), "projects");
}

bool project_list_parse(const PGresult *res, struct project_list *out, struct err *err)
{
	int n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 15) {
		err_set(err, "unexpected answer to the project list (%d columns)", PQnfields(res));
		return false;
	}
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (int i = 0; i < n; i++) {
		struct project *p = &out->v[i];

		str_copy(p->uuid, sizeof(p->uuid), db_val(res, i, 0));
		p->customer_slug = xstrdup(db_val(res, i, 1));
		p->customer_name = xstrdup(db_val(res, i, 2));
		p->slug = xstrdup(db_val(res, i, 3));
		p->name = xstrdup(db_val(res, i, 4));
		p->description = xstrdup(db_val(res, i, 5));
		str_copy(p->end_date, sizeof(p->end_date), db_val(res, i, 6));
		p->quota_stores = db_long(res, i, 7);
		p->quota_cpu_millis = db_long(res, i, 8);
		p->quota_memory_mib = db_long(res, i, 9);
		p->stores_used = db_long(res, i, 10);
		p->cpu_used_millis = db_long(res, i, 11);
		p->memory_used_mib = db_long(res, i, 12);
		str_copy(p->created_at, sizeof(p->created_at), db_val(res, i, 13));
		p->archived = db_bool(res, i, 14);
	}
	out->n = (size_t)n;
	return true;
}

void project_list_free(struct project_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct project *p = &l->v[i];

		free(p->customer_slug);
		free(p->customer_name);
		free(p->slug);
		free(p->name);
		free(p->description);
	}
	x_free(&l->v);
	l->n = 0;
}

/* ---- checks on mutation results ---- */

/* Create: no row means the customer was not found. */
static bool check_created(const PGresult *res, const struct db_req *r, struct err *err)
{
	if (PQntuples(res) == 1)
		return true;
	err_set(err, "no %s", r->subject);
	return false;
}

/* Rename, set-quota, archive answer (uuid, archived, changed) for the
 * project as it was before the statement. */
static bool check_changed(const PGresult *res, const struct db_req *r, struct err *err)
{
	if (PQntuples(res) != 1) {
		err_set(err, "no %s", r->subject);
		return false;
	}
	if (db_bool(res, 0, 1)) {
		err_set(err, "%s is archived", r->subject);
		return false;
	}
	if (db_long(res, 0, 2) != 1) {
		err_set(err, "%s was not changed", r->subject);
		return false;
	}
	return true;
}

static bool check_slug(const char *slug, const char *what, struct err *err)
{
	char shown[80];

	if (slug && db_valid_dns_label(slug))
		return true;
	err_set(err, "invalid %s slug '%s': use a DNS-1123 label (a-z, 0-9 and '-', at most 63)",
		what, db_shown(slug ? slug : "", shown, sizeof(shown)));
	return false;
}

static bool check_quotas(long stores, long cpu, long mem, struct err *err)
{
	if (stores < -1 || stores > PROJECT_MAX_QUOTA_STORES) {
		err_set(err, "the store quota must be from 0 to %d", PROJECT_MAX_QUOTA_STORES);
		return false;
	}
	if (cpu < -1 || cpu > PROJECT_MAX_QUOTA_CPU_MILLIS) {
		err_set(err, "the CPU quota must be from 0 to %ld cores",
			PROJECT_MAX_QUOTA_CPU_MILLIS / 1000);
		return false;
	}
	if (mem < -1 || mem > PROJECT_MAX_QUOTA_MEMORY_MIB) {
		err_set(err, "the memory quota must be from 0 to %ldGi",
			PROJECT_MAX_QUOTA_MEMORY_MIB / 1024);
		return false;
	}
	return true;
}

/* ---- create ---- */

static const char sql_create[] =
	"WITH cu AS (SELECT uuid FROM opsdeck.customers WHERE slug = $1),"
	" p AS ("
	" INSERT INTO opsdeck.projects (customer, name, slug, description, end_date,"
	" quota_stores, quota_cpu_millis, quota_memory_mib)"
	" SELECT cu.uuid, $2, $3, $4, $5::date, $6::integer, $7::integer, $8::integer FROM cu"
	" RETURNING uuid, slug, name, quota_stores, quota_cpu_millis, quota_memory_mib),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, project, message, detail)"
	" SELECT $9, 'project.create', 'project/' || p.slug, p.uuid,"
	" format('created project %s (%s) for customer %s', p.slug, p.name, $1::text),"
	" jsonb_build_object('customer', $1::text, 'name', p.name, 'quota_stores', p.quota_stores,"
	" 'quota_cpu_millis', p.quota_cpu_millis, 'quota_memory_mib', p.quota_memory_mib)"
	" FROM p)"
	" SELECT uuid, slug FROM p";

bool project_req_create(struct db_req *r, const struct conf *conf, const struct project_spec *spec,
			struct err *err)
{
	char made[64], shown[80];
	const char *slug = spec->slug;

	if (!db_mutation_allowed(conf, "create a project", err))
		return false;
	if (!check_slug(spec->customer, "customer", err))
		return false;
	if (!spec->name || !db_valid_name(spec->name, 200)) {
		err_set(err, "a project name must be 1 to 200 characters on one line");
		return false;
	}
	if (!slug || !*slug) {
		if (!db_slugify(spec->name, made, sizeof(made))) {
			err_set(err, "cannot make a slug from '%s': give one with --slug",
				db_shown(spec->name, shown, sizeof(shown)));
			return false;
		}
		slug = made;
	}
	if (!check_slug(slug, "project", err))
		return false;
	if (spec->description && !db_valid_text(spec->description, 2000)) {
		err_set(err, "a project description must be at most 2000 characters of text");
		return false;
	}
	if (spec->end_date && *spec->end_date &&
	    !project_check_date(spec->end_date, "end date", err))
		return false;
	if (!check_quotas(spec->quota_stores, spec->quota_cpu_millis, spec->quota_memory_mib, err))
		return false;

	db_req_init(r, sql_create);
	db_req_add(r, spec->customer);
	db_req_add(r, spec->name);
	db_req_add(r, slug);
	db_req_add(r, spec->description ? spec->description : "");
	db_req_add(r, spec->end_date && *spec->end_date ? spec->end_date : NULL);
	db_req_add_long(r, spec->quota_stores >= 0 ? spec->quota_stores
						   : PROJECT_DEFAULT_QUOTA_STORES);
	db_req_add_long(r, spec->quota_cpu_millis >= 0 ? spec->quota_cpu_millis
						       : PROJECT_DEFAULT_QUOTA_CPU_MILLIS);
	db_req_add_long(r, spec->quota_memory_mib >= 0 ? spec->quota_memory_mib
						       : PROJECT_DEFAULT_QUOTA_MEMORY_MIB);
	db_req_add(r, conf->operator);
	r->check = check_created;
	snprintf(r->subject, sizeof(r->subject), "customer '%s'", spec->customer);
	return true;
}

/* ---- rename ---- */

static const char sql_rename[] =
	"WITH old AS (SELECT uuid, slug, name, archived_at FROM opsdeck.projects WHERE slug = $1),"
	" p AS ("
	" UPDATE opsdeck.projects SET name = $2 FROM old"
	" WHERE projects.uuid = old.uuid AND old.archived_at IS NULL RETURNING projects.uuid),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, project, message, detail)"
	" SELECT $3, 'project.rename', 'project/' || old.slug, old.uuid,"
	" format('renamed project %s from %s to %s', old.slug, old.name, $2::text),"
	" jsonb_build_object('from', old.name, 'to', $2::text)"
	" FROM old JOIN p ON p.uuid = old.uuid)"
	" SELECT old.uuid, old.archived_at IS NOT NULL, (SELECT count(*) FROM p) FROM old";

bool project_req_rename(struct db_req *r, const struct conf *conf, const char *slug,
			const char *name, struct err *err)
{
	if (!db_mutation_allowed(conf, "rename a project", err))
		return false;
	if (!check_slug(slug, "project", err))
		return false;
	if (!name || !db_valid_name(name, 200)) {
		err_set(err, "a project name must be 1 to 200 characters on one line");
		return false;
	}
	db_req_init(r, sql_rename);
	db_req_add(r, slug);
	db_req_add(r, name);
	db_req_add(r, conf->operator);
	r->check = check_changed;
	snprintf(r->subject, sizeof(r->subject), "project '%s'", slug);
	return true;
}

/* ---- quotas ---- */

static const char sql_set_quota[] =
	"WITH old AS (SELECT uuid, slug, archived_at,"
	" quota_stores, quota_cpu_millis, quota_memory_mib"
	" FROM opsdeck.projects WHERE slug = $1),"
	" p AS ("
	" UPDATE opsdeck.projects SET"
	" quota_stores = coalesce($2::integer, old.quota_stores),"
	" quota_cpu_millis = coalesce($3::integer, old.quota_cpu_millis),"
	" quota_memory_mib = coalesce($4::integer, old.quota_memory_mib)"
	" FROM old WHERE projects.uuid = old.uuid AND old.archived_at IS NULL"
	" RETURNING projects.uuid, projects.quota_stores, projects.quota_cpu_millis,"
	" projects.quota_memory_mib),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, project, message, detail)"
	" SELECT $5, 'project.set_quota', 'project/' || old.slug, old.uuid,"
	" format('set the quota of project %s:"
	" stores %s -> %s, CPU %sm -> %sm, memory %sMi -> %sMi',"
	" old.slug, old.quota_stores, p.quota_stores, old.quota_cpu_millis, p.quota_cpu_millis,"
	" old.quota_memory_mib, p.quota_memory_mib),"
	" jsonb_build_object('stores', p.quota_stores, 'cpu_millis', p.quota_cpu_millis,"
	" 'memory_mib', p.quota_memory_mib)"
	" FROM old JOIN p ON p.uuid = old.uuid)"
	" SELECT old.uuid, old.archived_at IS NOT NULL, (SELECT count(*) FROM p) FROM old";

bool project_req_set_quota(struct db_req *r, const struct conf *conf, const char *slug,
			   long stores, long cpu_millis, long memory_mib, struct err *err)
{
	if (!db_mutation_allowed(conf, "change a project's quota", err))
		return false;
	if (!check_slug(slug, "project", err))
		return false;
	if (stores < 0 && cpu_millis < 0 && memory_mib < 0) {
		err_set(err, "give at least one quota to set (stores, CPU or memory)");
		return false;
	}
	if (!check_quotas(stores, cpu_millis, memory_mib, err))
		return false;
	db_req_init(r, sql_set_quota);
	db_req_add(r, slug);
	if (stores >= 0)
		db_req_add_long(r, stores);
	else
		db_req_add(r, NULL);
	if (cpu_millis >= 0)
		db_req_add_long(r, cpu_millis);
	else
		db_req_add(r, NULL);
	if (memory_mib >= 0)
		db_req_add_long(r, memory_mib);
	else
		db_req_add(r, NULL);
	db_req_add(r, conf->operator);
	r->check = check_changed;
	snprintf(r->subject, sizeof(r->subject), "project '%s'", slug);
	return true;
}

/* ---- archive ---- */

static const char sql_archive[] =
	"WITH old AS (SELECT uuid, slug, archived_at FROM opsdeck.projects WHERE slug = $1),"
	" p AS ("
	" UPDATE opsdeck.projects SET archived_at = now() FROM old"
	" WHERE projects.uuid = old.uuid AND old.archived_at IS NULL RETURNING projects.uuid),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, project, message)"
	" SELECT $2, 'project.archive', 'project/' || old.slug, old.uuid,"
	" format('archived project %s', old.slug)"
	" FROM old JOIN p ON p.uuid = old.uuid)"
	" SELECT old.uuid, old.archived_at IS NOT NULL, (SELECT count(*) FROM p) FROM old";

bool project_req_archive(struct db_req *r, const struct conf *conf, const char *slug,
			 struct err *err)
{
	if (!db_mutation_allowed(conf, "archive a project", err))
		return false;
	if (!check_slug(slug, "project", err))
		return false;
	db_req_init(r, sql_archive);
	db_req_add(r, slug);
	db_req_add(r, conf->operator);
	r->check = check_changed;
	snprintf(r->subject, sizeof(r->subject), "project '%s'", slug);
	return true;
}

/* ---- end date and description ---- */

static const char sql_set[] =
	"WITH old AS (SELECT uuid, slug, archived_at, end_date, description"
	" FROM opsdeck.projects WHERE slug = $1),"
	" p AS ("
	" UPDATE opsdeck.projects SET"
	" end_date = CASE WHEN $3::boolean THEN NULL ELSE coalesce($2::date, old.end_date) END,"
	" description = coalesce($4::text, old.description)"
	" FROM old WHERE projects.uuid = old.uuid AND old.archived_at IS NULL"
	" RETURNING projects.uuid, projects.end_date, projects.description),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, project, message, detail)"
	" SELECT $5, 'project.set', 'project/' || old.slug, old.uuid,"
	" format('changed project %s: %s', old.slug, coalesce(nullif(concat_ws('; ',"
	" CASE WHEN p.end_date IS DISTINCT FROM old.end_date THEN format('end date %s -> %s',"
	" coalesce(to_char(old.end_date, 'YYYY-MM-DD'), 'none'),"
	" coalesce(to_char(p.end_date, 'YYYY-MM-DD'), 'none')) END,"
	" CASE WHEN p.description <> old.description THEN 'new description' END), ''),"
	" 'nothing new')),"
	" jsonb_build_object('end_date', to_char(p.end_date, 'YYYY-MM-DD'),"
	" 'description', p.description)"
	" FROM old JOIN p ON p.uuid = old.uuid)"
	" SELECT old.uuid, old.archived_at IS NOT NULL, (SELECT count(*) FROM p) FROM old";

bool project_check_changes(const struct conf *conf, const struct project_changes *c,
			   struct err *err)
{
	if (!db_mutation_allowed(conf, "change a project", err))
		return false;
	if (!c->end_date && !c->clear_end_date && !c->description) {
		err_set(err, "give an end date (or none) or a description to set");
		return false;
	}
	if (c->end_date && c->clear_end_date) {
		err_set(err, "give an end date or remove it, not both");
		return false;
	}
	if (c->end_date && !*c->end_date) {
		err_set(err, "the end date is empty: write it YYYY-MM-DD, or remove it");
		return false;
	}
	if (c->end_date && !project_check_date(c->end_date, "end date", err))
		return false;
	if (c->description && !db_valid_text(c->description, 2000)) {
		err_set(err, "a project description must be at most 2000 characters of text");
		return false;
	}
	return true;
}

bool project_req_set(struct db_req *r, const struct conf *conf, const char *slug,
		     const struct project_changes *c, struct err *err)
{
	if (!project_check_changes(conf, c, err))
		return false;
	if (!check_slug(slug, "project", err))
		return false;
	db_req_init(r, sql_set);
	db_req_add(r, slug);
	db_req_add(r, c->end_date);
	db_req_add_bool(r, c->clear_end_date);
	db_req_add(r, c->description);
	db_req_add(r, conf->operator);
	r->check = check_changed;
	snprintf(r->subject, sizeof(r->subject), "project '%s'", slug);
	return true;
}

/* ---- naming a project ---- */

const struct project *project_list_find(const struct project_list *l, const char *ref,
					struct err *err)
{
	long i = db_ref_pick("project", ref, l ? l->v : NULL, l ? l->n : 0, sizeof(struct project),
			     offsetof(struct project, slug), offsetof(struct project, name), err);

	return i < 0 ? NULL : &l->v[i];
}

void project_req_find(struct db_req *r, const char *ref)
{
	db_req_init(r, sql_find);
	db_req_add(r, ref ? ref : "");
	str_copy(r->subject, sizeof(r->subject), "project");
}

bool project_find_slug(const PGresult *res, const char *ref, char *slug, size_t slugsz,
		       struct err *err)
{
	return db_ref_find_slug("project", res, ref, slug, slugsz, err);
}

/* ---- dates ---- */

static const char *const month_names[] = { "January", "February", "March",     "April",
					   "May",     "June",     "July",      "August",
					   "September", "October", "November", "December" };

static int days_in_month(long y, long m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

bool project_check_date(const char *s, const char *what, struct err *err)
{
	char shown[40], part[5];
	long y, m, d;

	db_shown(s ? s : "", shown, sizeof(shown));
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		goto format;
	for (int i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			goto format;
	}
	memcpy(part, s, 4);
	part[4] = '\0';
	(void)str_to_long(part, 0, 9999, &y);
	memcpy(part, s + 5, 2);
	part[2] = '\0';
	(void)str_to_long(part, 0, 99, &m);
	memcpy(part, s + 8, 2);
	part[2] = '\0';
	(void)str_to_long(part, 0, 99, &d);
	if (y < 1970) {
		err_set(err, "%s is not a date opsdeck takes: the year must be from 1970 to 9999",
			shown);
		return false;
	}
	if (m < 1 || m > 12) {
		err_set(err, "%s is not a date: there is no month %02ld (months are 01 to 12)",
			shown, m);
		return false;
	}
	if (d < 1 || d > days_in_month(y, m)) {
		err_set(err, "%s is not a date: %s %ld has %d days", shown, month_names[m - 1], y,
			days_in_month(y, m));
		return false;
	}
	return true;
format:
	err_set(err, "invalid %s '%s': write it YYYY-MM-DD", what, shown);
	return false;
}

bool project_valid_date(const char *s)
{
	struct err ignore;

	return project_check_date(s, "date", &ignore);
}
