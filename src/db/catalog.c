#include "config.h"

#include "db/catalog.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ---- listing ---- */

static const char sql_list[] =
	"SELECT o.uuid, o.slug, o.name, o.kind, o.description, o.state,"
	" (SELECT count(*) FROM opsdeck.plans pl WHERE pl.offering = o.uuid AND pl.active),"
	" (SELECT count(*) FROM opsdeck.stores s"
	" WHERE s.offering = o.uuid AND s.status <> 'Deleted')"
	" FROM opsdeck.offerings o ORDER BY o.slug";

void catalog_req_list(struct db_req *r)
{
	db_req_init(r, sql_list);
	str_copy(r->subject, sizeof(r->subject), "offerings");
}

bool offering_list_parse(const PGresult *res, struct offering_list *out, struct err *err)
{
	int n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 8) {
		err_set(err, "unexpected answer to the catalog list (%d columns)", PQnfields(res));
		return false;
	}
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (int i = 0; i < n; i++) {
		struct offering *o = &out->v[i];

		str_copy(o->uuid, sizeof(o->uuid), db_val(res, i, 0));
		str_copy(o->slug, sizeof(o->slug), db_val(res, i, 1));
		o->name = xstrdup(db_val(res, i, 2));
		str_copy(o->kind, sizeof(o->kind), db_val(res, i, 3));
		o->description = xstrdup(db_val(res, i, 4));
		str_copy(o->state, sizeof(o->state), db_val(res, i, 5));
		o->plans = db_long(res, i, 6);
		o->stores = db_long(res, i, 7);
	}
	out->n = (size_t)n;
	return true;
}

void offering_list_free(struct offering_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].description);
	}
	x_free(&l->v);
	l->n = 0;
}

static const char sql_plans[] =
	"SELECT pl.uuid, pl.name, pl.replicas, pl.cpu_request_millis, pl.cpu_limit_millis,"
	" pl.memory_request_mib, pl.memory_limit_mib, pl.storage_gib, pl.monthly_price::text,"
	" pl.active,"
	" (SELECT count(*) FROM opsdeck.stores s WHERE s.plan = pl.uuid AND s.status <> 'Deleted')"
	" FROM opsdeck.plans pl JOIN opsdeck.offerings o ON o.uuid = pl.offering"
	" WHERE o.slug = $1"
	" ORDER BY pl.active DESC, pl.cpu_request_millis * pl.replicas, pl.name";

bool catalog_req_plans(struct db_req *r, const char *offering, struct err *err)
{
	char shown[80];

	if (!offering || !db_valid_dns_label(offering)) {
		err_set(err, "invalid offering slug '%s'",
			db_shown(offering ? offering : "", shown, sizeof(shown)));
		return false;
	}
	db_req_init(r, sql_plans);
	db_req_add(r, offering);
	snprintf(r->subject, sizeof(r->subject), "offering \"%s\"", offering);
	return true;
}

bool plan_list_parse(const PGresult *res, struct plan_list *out, struct err *err)
{
	int n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 11) {
		err_set(err, "unexpected answer to the plan list (%d columns)", PQnfields(res));
		return false;
	}
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (int i = 0; i < n; i++) {
		struct plan *p = &out->v[i];

		str_copy(p->uuid, sizeof(p->uuid), db_val(res, i, 0));
		str_copy(p->name, sizeof(p->name), db_val(res, i, 1));
		p->replicas = db_long(res, i, 2);
		p->cpu_request_millis = db_long(res, i, 3);
		p->cpu_limit_millis = db_long(res, i, 4);
		p->memory_request_mib = db_long(res, i, 5);
		p->memory_limit_mib = db_long(res, i, 6);
		p->storage_gib = db_long(res, i, 7);
		str_copy(p->monthly_price, sizeof(p->monthly_price), db_val(res, i, 8));
		p->active = db_bool(res, i, 9);
		p->stores = db_long(res, i, 10);
	}
	out->n = (size_t)n;
	return true;
}

void plan_list_free(struct plan_list *l)
{
	x_free(&l->v);
	l->n = 0;
}

/* ---- pause / activate ---- */

static const char sql_set_state[] =
	"WITH o AS (SELECT uuid, slug, state FROM opsdeck.offerings WHERE slug = $1),"
	" u AS ("
	" UPDATE opsdeck.offerings SET state = $2 FROM o"
	" WHERE offerings.uuid = o.uuid AND o.state <> $2 AND o.state <> 'archived'"
	" RETURNING offerings.uuid),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, message, detail)"
	" SELECT $3, $4, 'offering/' || o.slug,"
	" format('%s offering %s%s', $5::text, o.slug, coalesce(': ' || $6::text, '')),"
	" jsonb_build_object('from', o.state, 'to', $2::text, 'reason', $6::text)"
	" FROM o JOIN u ON u.uuid = o.uuid)"
	" SELECT o.state, (SELECT count(*) FROM u) FROM o";

static bool check_set_state(const PGresult *res, const struct db_req *r, struct err *err)
{
	if (PQntuples(res) != 1) {
		err_set(err, "no %s", r->subject);
		return false;
	}
	if (strcmp(db_val(res, 0, 0), "archived") == 0) {
		err_set(err, "%s is archived", r->subject);
		return false;
	}
	return true;
}

bool catalog_req_set_state(struct db_req *r, const struct conf *conf, const char *slug,
			   bool active, const char *reason, struct err *err)
{
	char shown[80];

	if (!db_mutation_allowed(conf, active ? "activate an offering" : "pause an offering", err))
		return false;
	if (!slug || !db_valid_dns_label(slug)) {
		err_set(err, "invalid offering slug '%s'",
			db_shown(slug ? slug : "", shown, sizeof(shown)));
		return false;
	}
	if (reason && *reason && !db_valid_name(reason, 500)) {
		err_set(err, "a reason must be 1 to 500 characters on one line");
		return false;
	}
	db_req_init(r, sql_set_state);
	db_req_add(r, slug);
	db_req_add(r, active ? "active" : "paused");
	db_req_add(r, conf->operator);
	db_req_add(r, active ? "offering.activate" : "offering.pause");
	db_req_add(r, active ? "activated" : "paused");
	db_req_add(r, reason && *reason ? reason : NULL);
	r->check = check_set_state;
	snprintf(r->subject, sizeof(r->subject), "offering \"%s\"", slug);
	return true;
}

bool catalog_state_changed(const PGresult *res)
{
	return PQntuples(res) == 1 && db_long(res, 0, 1) == 1;
}

/* ---- import ---- */

static const char sql_upsert_offering[] =
	"INSERT INTO opsdeck.offerings (slug, name, kind, description, state, template)"
	" VALUES ($1, $2, $3, $4, $5, $6)"
	" ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
	" description = EXCLUDED.description, template = EXCLUDED.template"
	" RETURNING uuid, xmax = 0";

static const char sql_upsert_plan[] =
	"INSERT INTO opsdeck.plans (offering, name, replicas, cpu_request_millis, cpu_limit_millis,"
	" memory_request_mib, memory_limit_mib, storage_gib, monthly_price, active)"
	" VALUES ($1, $2, $3::integer, $4::integer, $5::integer, $6::integer, $7::integer,"
	" $8::integer, $9::numeric, true)"
	" ON CONFLICT (offering, name) DO UPDATE SET replicas = EXCLUDED.replicas,"
	" cpu_request_millis = EXCLUDED.cpu_request_millis,"
	" cpu_limit_millis = EXCLUDED.cpu_limit_millis,"
	" memory_request_mib = EXCLUDED.memory_request_mib,"
	" memory_limit_mib = EXCLUDED.memory_limit_mib,"
	" storage_gib = EXCLUDED.storage_gib, monthly_price = EXCLUDED.monthly_price,"
	" active = true";

static const char sql_retire_plans[] =
	"UPDATE opsdeck.plans SET active = false"
	" WHERE offering = $1 AND active AND NOT (name = ANY ($2::text[]))";

static const char sql_import_event[] =
	"INSERT INTO opsdeck.events (actor, action, object, message, detail)"
	" VALUES ($1, 'catalog.import', 'offering/' || $2,"
	" format('%s offering %s from %s with %s plan(s)',"
	" $3::text, $2::text, $4::text, $5::integer),"
	" jsonb_build_object('file', $4::text, 'plans', $5::integer, 'manifests', $6::integer))";

static bool run(PGconn *pg, struct db_req *r, PGresult **keep, struct err *err)
{
	PGresult *res = db_req_exec(pg, r, err);

	db_req_free(r);
	if (!res)
		return false;
	if (keep)
		*keep = res;
	else
		PQclear(res);
	return true;
}

static bool import_one(PGconn *pg, const struct conf *conf, const struct catalog_file *f,
		       struct catalog_import_report *rep, struct err *err)
{
	struct db_req r;
	PGresult *res = NULL;
	char uuid[40], shown[200];
	bool created;
	struct buf names = BUF_INIT;
	struct err why;

	db_req_init(&r, sql_upsert_offering);
	db_req_add(&r, f->slug);
	db_req_add(&r, f->name);
	db_req_add(&r, f->kind);
	db_req_add(&r, f->description);
	db_req_add(&r, f->state);
	db_req_add(&r, f->text);
	if (!run(pg, &r, &res, &why)) {
		err_set(err, "%s: offering %s: %s", f->path, f->slug, why.msg);
		return false;
	}
	str_copy(uuid, sizeof(uuid), db_val(res, 0, 0));
	created = db_bool(res, 0, 1);
	PQclear(res);

	buf_putc(&names, '{');
	for (size_t i = 0; i < f->nplans; i++) {
		const struct catalog_plan *p = &f->plans[i];

		db_req_init(&r, sql_upsert_plan);
		db_req_add(&r, uuid);
		db_req_add(&r, p->name);
		db_req_add_long(&r, p->replicas);
		db_req_add_long(&r, p->cpu_request_millis);
		db_req_add_long(&r, p->cpu_limit_millis);
		db_req_add_long(&r, p->memory_request_mib);
		db_req_add_long(&r, p->memory_limit_mib);
		db_req_add_long(&r, p->storage_gib);
		db_req_add(&r, p->monthly_price);
		if (!run(pg, &r, NULL, &why)) {
			err_set(err, "%s: plan %s: %s", f->path, p->name, why.msg);
			buf_free(&names);
			return false;
		}
		/* Plan names are DNS labels: safe as array elements. */
		buf_printf(&names, "%s%s", i ? "," : "", p->name);
	}
	buf_putc(&names, '}');

	db_req_init(&r, sql_retire_plans);
	db_req_add(&r, uuid);
	db_req_add(&r, buf_str(&names));
	buf_free(&names);
	if (!run(pg, &r, NULL, err))
		return false;

	db_req_init(&r, sql_import_event);
	db_req_add(&r, conf->operator);
	db_req_add(&r, f->slug);
	db_req_add(&r, created ? "created" : "updated");
	db_req_add(&r, db_shown(f->path, shown, sizeof(shown)));
	db_req_add_long(&r, (long)f->nplans);
	db_req_add_long(&r, (long)f->nmanifests);
	if (!run(pg, &r, NULL, err))
		return false;

	if (created)
		rep->created++;
	else
		rep->updated++;
	rep->plans += f->nplans;
	return true;
}

bool catalog_import(PGconn *pg, const struct conf *conf, struct catalog_file *const *files,
		    size_t n, struct catalog_import_report *rep, struct err *err)
{
	struct err ignore;

	memset(rep, 0, sizeof(*rep));
	if (!db_mutation_allowed(conf, "import catalog files", err))
		return false;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++) {
			if (strcmp(files[i]->slug, files[k]->slug) == 0) {
				err_set(err, "%s and %s both define offering %s", files[k]->path,
					files[i]->path, files[i]->slug);
				return false;
			}
		}
	}
	if (!db_exec_fixed(pg, "BEGIN", err))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!import_one(pg, conf, files[i], rep, err)) {
			db_exec_fixed(pg, "ROLLBACK", &ignore);
			memset(rep, 0, sizeof(*rep));
			return false;
		}
	}
	if (!db_exec_fixed(pg, "COMMIT", err)) {
		memset(rep, 0, sizeof(*rep));
		return false;
	}
	return true;
}
