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

/* Result: one row (uuid, slug). The schema refuses an end date in the
 * past. */
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

/* What `project set` changes; NULL (and clear_end_date false) keeps a
 * value. The description may be set to "" (none); the end date may not:
 * clear_end_date removes it. The schema refuses an end date in the past. */
struct project_changes {
	const char *end_date; /* YYYY-MM-DD */
	bool clear_end_date;
	const char *description;
};

/* What project_req_set checks before anything is sent (read-only mode, the
 * values; at least one change must be given), for a caller that has yet to
 * find the project. */
bool project_check_changes(const struct conf *conf, const struct project_changes *c,
			   struct err *err);
bool project_req_set(struct db_req *r, const struct conf *conf, const char *slug,
		     const struct project_changes *c, struct err *err);

/* A real calendar date written YYYY-MM-DD (years 1970 to 9999). */
bool project_valid_date(const char *s);
/* The same, saying what is wrong: "2026-02-30 is not a date: February 2026
 * has 28 days", or how to write one. what: "end date". */
bool project_check_date(const char *s, const char *what, struct err *err);

/* ---- naming a project: its slug or its name ----
 *
 * Operators name a project by its slug or by its name (exact, ignoring
 * ASCII case). A slug wins over a name; a name that several projects have
 * is refused with their slugs. Every command that takes a project applies
 * this rule, through one of the functions below. */

/* Finds ref in a list (e.g. the live one); NULL with err set: `no project
 * "x"`, or `several projects are named "X": a, b; name one by its slug`. */
const struct project *project_list_find(const struct project_list *l, const char *ref,
					struct err *err);

/* The projects (archived ones too) whose slug is ref or whose name is ref
 * in any case: the candidates, for project_find_slug. */
void project_req_find(struct db_req *r, const char *ref);
/* Applies the rule to project_req_find's result: the project's slug, or
 * false with err set as project_list_find does. */
bool project_find_slug(const PGresult *res, const char *ref, char *slug, size_t slugsz,
		       struct err *err);

#endif
