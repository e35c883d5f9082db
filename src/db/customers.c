#include "config.h"

#include "db/customers.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "db/ref.h"

static const char sql_list[] =
	"SELECT c.uuid, c.name, c.slug,"
	" to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	" c.archived_at IS NOT NULL,"
	" (SELECT count(*) FROM opsdeck.projects p"
	" WHERE p.customer = c.uuid AND p.archived_at IS NULL)"
	" FROM opsdeck.customers c"
	" WHERE $1::boolean OR c.archived_at IS NULL"
	" ORDER BY c.slug";

/* (slug, name) rows, for db_ref_find_slug. */
static const char sql_find[] =
	"SELECT slug, name FROM opsdeck.customers"
	" WHERE slug = $1 OR lower(name) = lower($1)"
	" ORDER BY slug";

void customer_req_list(struct db_req *r, bool include_archived)
{
	db_req_init(r, sql_list);
	db_req_add_bool(r, include_archived);
	str_copy(r->subject, sizeof(r->subject), "customers");
}

bool customer_list_parse(const PGresult *res, struct customer_list *out, struct err *err)
{
	int n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 6) {
		err_set(err, "unexpected answer to the customer list (%d columns)", PQnfields(res));
		return false;
	}
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (int i = 0; i < n; i++) {
		struct customer *c = &out->v[i];

		str_copy(c->uuid, sizeof(c->uuid), db_val(res, i, 0));
		c->name = xstrdup(db_val(res, i, 1));
		c->slug = xstrdup(db_val(res, i, 2));
		str_copy(c->created_at, sizeof(c->created_at), db_val(res, i, 3));
		c->archived = db_bool(res, i, 4);
		c->projects = db_long(res, i, 5);
	}
	out->n = (size_t)n;
	return true;
}

void customer_list_free(struct customer_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].slug);
	}
	x_free(&l->v);
	l->n = 0;
}

static const char sql_create[] =
	"WITH c AS ("
	" INSERT INTO opsdeck.customers (name, slug) VALUES ($1, $2) RETURNING uuid, slug, name),"
	" e AS ("
	" INSERT INTO opsdeck.events (actor, action, object, message, detail)"
	" SELECT $3, 'customer.create', 'customer/' || c.slug,"
	" format('created customer %s (%s)', c.slug, c.name), jsonb_build_object('name', c.name)"
	" FROM c)"
	" SELECT uuid, slug FROM c";

bool customer_req_create(struct db_req *r, const struct conf *conf, const char *name,
			 const char *slug, struct err *err)
{
	char made[64], shown[80];

	if (!db_mutation_allowed(conf, "create a customer", err))
		return false;
	if (!name || !db_valid_name(name, 200)) {
		err_set(err, "a customer name must be 1 to 200 characters on one line");
		return false;
	}
	if (!slug || !*slug) {
		if (!db_slugify(name, made, sizeof(made))) {
			err_set(err, "cannot make a slug from '%s': give one with --slug",
				db_shown(name, shown, sizeof(shown)));
			return false;
		}
		slug = made;
	}
	if (!db_valid_dns_label(slug)) {
		err_set(err,
			"invalid slug '%s': use a DNS-1123 label (a-z, 0-9 and '-', at most 63, "
			"starting and ending with a letter or digit)",
			db_shown(slug, shown, sizeof(shown)));
		return false;
	}
	db_req_init(r, sql_create);
	db_req_add(r, name);
	db_req_add(r, slug);
	db_req_add(r, conf->operator);
	snprintf(r->subject, sizeof(r->subject), "customer '%s'", slug);
	return true;
}

/* ---- naming a customer ---- */

const struct customer *customer_list_find(const struct customer_list *l, const char *ref,
					  struct err *err)
{
	long i = db_ref_pick("customer", ref, l ? l->v : NULL, l ? l->n : 0,
			     sizeof(struct customer), offsetof(struct customer, slug),
			     offsetof(struct customer, name), err);

	return i < 0 ? NULL : &l->v[i];
}

void customer_req_find(struct db_req *r, const char *ref)
{
	db_req_init(r, sql_find);
	db_req_add(r, ref ? ref : "");
	str_copy(r->subject, sizeof(r->subject), "customer");
}

bool customer_find_slug(const PGresult *res, const char *ref, char *slug, size_t slugsz,
			struct err *err)
{
	return db_ref_find_slug("customer", res, ref, slug, slugsz, err);
}
