/* Projects: a customer's unit of quota. Requests for db_req_exec or
 * db_conn_submit; mutations are refused in read-only mode before any
 * database access and write their audit event in the same statement.
 *
 * Quota usage counts every store that is not Deleted: one store each, and
 * its plan's CPU and memory *requests* times the store's replicas (a paused
 * store keeps its share, so that resuming it never breaks the quota). The
 * schema enforces it on every store insert or growth, under a lock on the
 * project row, and refuses a quota below what is in use. */
#ifndef OPSDECK_DB_PROJECTS_H
#define OPSDECK_DB_PROJECTS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "db/db.h"

/* The same defaults as the schema's. */
#define PROJECT_DEFAULT_QUOTA_STORES 5
#define PROJECT_DEFAULT_QUOTA_CPU_MILLIS 8000
#define PROJECT_DEFAULT_QUOTA_MEMORY_MIB 16384
#define PROJECT_MAX_QUOTA_STORES 10000
#define PROJECT_MAX_QUOTA_CPU_MILLIS DB_MAX_CPU_MILLIS
#define PROJECT_MAX_QUOTA_MEMORY_MIB DB_MAX_MEMORY_MIB

struct project {
	char uuid[40];
	char *customer_slug;
	char *customer_name;
	char *slug;
	char *name;
	char *description;
	char end_date[16]; /* YYYY-MM-DD or "" */
	long quota_stores, quota_cpu_millis, quota_memory_mib;
	long stores_used, cpu_used_millis, memory_used_mib;
	char created_at[32];
	bool archived;
};

struct project_list {
	struct project *v;
	size_t n;
};

/* Projects with their usage, ordered by customer then slug. customer: a
 * customer slug to keep only its projects, or NULL. */
void project_req_list(struct db_req *r, const char *customer, bool include_archived);
bool project_list_parse(const PGresult *res, struct project_list *out, struct err *err);
void project_list_free(struct project_list *l);

struct project_spec {
	const char *customer; /* customer slug */
	const char *name;
	const char *slug;	 /* NULL or "": made from the name */
	const char *description; /* NULL: "" */
	const char *end_date;	 /* NULL: none; else YYYY-MM-DD */
	long quota_stores;	 /* -1: default */
	long quota_cpu_millis;	 /* -1: default */
	long quota_memory_mib;	 /* -1: default */
};

/* Result: one row (uuid, slug). */
bool project_req_create(struct db_req *r, const struct conf *conf, const struct project_spec *spec,
			struct err *err);
bool project_req_rename(struct db_req *r, const struct conf *conf, const char *slug,
			const char *name, struct err *err);
/* -1 keeps a quota as it is; at least one must be given. */
bool project_req_set_quota(struct db_req *r, const struct conf *conf, const char *slug,
			   long stores, long cpu_millis, long memory_mib, struct err *err);
/* Refused (by the schema) while the project has live stores. */
bool project_req_archive(struct db_req *r, const struct conf *conf, const char *slug,
			 struct err *err);

/* A real calendar date written YYYY-MM-DD. */
bool project_valid_date(const char *s);

#endif
