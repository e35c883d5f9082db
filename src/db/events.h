/* The audit trail: one row per mutation, written by the mutation's own
 * statement (see db.h), append-only in the schema. Actions are dotted names:
 * customer.create, project.create, project.rename, project.set_quota,
 * project.archive, offering.pause, offering.activate, catalog.import,
 * schema.migrate. */
#ifndef OPSDECK_DB_EVENTS_H
#define OPSDECK_DB_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"

#define EVENTS_MAX_LIMIT 10000

struct event {
	long id;
	char at[32]; /* ISO 8601 UTC */
	char *actor;
	char *action;
	char *object;
	char *project; /* project slug or "" */
	char *message;
};

struct event_list {
	struct event *v;
	size_t n;
};

/* The newest events first. project: a project slug or NULL; limit 1.. */
bool event_req_list(struct db_req *r, const char *project, long limit, struct err *err);
bool event_list_parse(const PGresult *res, struct event_list *out, struct err *err);
void event_list_free(struct event_list *l);

#endif
