/* The catalog in the database: offerings (with their state and how many
 * live stores use them) and their plans. Requests for db_req_exec or
 * db_conn_submit; catalog_import is blocking (the CLI's).
 *
 * Import: the file is the source of truth for an offering's metadata, plans
 * and template. Its `state` applies when the offering is created; later
 * imports keep the state operators set with pause/activate. Plans missing
 * from a newer file are deactivated (stores may still use them), never
 * deleted. */
#ifndef OPSDECK_DB_CATALOG_H
#define OPSDECK_DB_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "db/catalog_file.h"
#include "db/db.h"

struct offering {
	char uuid[40];
	char slug[64];
	char *name;
	char kind[32];
	char *description;
	char state[16]; /* active, paused, archived */
	long plans;	/* active plans */
	long stores;	/* stores that are not Deleted */
};

struct offering_list {
	struct offering *v;
	size_t n;
};

struct plan {
	char uuid[40];
	char name[64];
	long replicas;
	long cpu_request_millis, cpu_limit_millis;
	long memory_request_mib, memory_limit_mib;
	long storage_gib;
	char monthly_price[16];
	bool active;
	long stores; /* live stores on this plan */
};

struct plan_list {
	struct plan *v;
	size_t n;
};

void catalog_req_list(struct db_req *r);
bool offering_list_parse(const PGresult *res, struct offering_list *out, struct err *err);
void offering_list_free(struct offering_list *l);

/* The plans of one offering (by slug); no row: no such offering or no plan
 * (catalog_req_list tells which). */
bool catalog_req_plans(struct db_req *r, const char *offering, struct err *err);
bool plan_list_parse(const PGresult *res, struct plan_list *out, struct err *err);
void plan_list_free(struct plan_list *l);

/* Pauses (no new orders) or activates an offering; reason: optional words
 * for the audit trail. The result row says (previous state, changed): an
 * offering already in that state succeeds with changed = 0 and no event.
 * An archived offering is refused. */
bool catalog_req_set_state(struct db_req *r, const struct conf *conf, const char *slug,
			   bool active, const char *reason, struct err *err);
/* From a set_state result: true if it changed something. */
bool catalog_state_changed(const PGresult *res);

struct catalog_import_report {
	size_t created, updated; /* offerings */
	size_t plans;		 /* plans written */
};

/* Imports every file in one transaction: all or nothing. */
bool catalog_import(PGconn *pg, const struct conf *conf, struct catalog_file *const *files,
		    size_t n, struct catalog_import_report *rep, struct err *err);

#endif
