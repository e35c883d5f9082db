/* Customers: the top of the marketplace tree (customer -> projects ->
 * stores). Requests for db_req_exec (blocking) or db_conn_submit (loop);
 * parsers turn their results into plain structs. */
#ifndef OPSDECK_DB_CUSTOMERS_H
#define OPSDECK_DB_CUSTOMERS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "db/db.h"

struct customer {
	char uuid[40];
	char *name;
	char *slug;
	char created_at[32]; /* ISO 8601 UTC */
	bool archived;
	long projects; /* projects not archived */
};

struct customer_list {
	struct customer *v;
	size_t n;
};

/* Lists customers by slug; archived ones only if asked. */
void customer_req_list(struct db_req *r, bool include_archived);
bool customer_list_parse(const PGresult *res, struct customer_list *out, struct err *err);
void customer_list_free(struct customer_list *l);

/* Creates a customer and its audit event. slug NULL or "": made from the
 * name. The result has one row: uuid, slug. */
bool customer_req_create(struct db_req *r, const struct conf *conf, const char *name,
			 const char *slug, struct err *err);

/* Naming a customer: its slug, or its name (exact, ignoring ASCII case);
 * the rule of projects.h's project_list_find. */
const struct customer *customer_list_find(const struct customer_list *l, const char *ref,
					  struct err *err);
/* The candidates (archived ones too); customer_find_slug applies the rule
 * to them. */
void customer_req_find(struct db_req *r, const char *ref);
bool customer_find_slug(const PGresult *res, const char *ref, char *slug, size_t slugsz,
			struct err *err);

#endif
