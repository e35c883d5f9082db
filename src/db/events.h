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
	char *detail; /* the detail object as indented JSON, "{}" when empty */
};

/* Newest (highest id) first. */
struct event_list {
	struct event *v;
	size_t n;
};

/* The newest events first. project: a project slug or NULL; limit 1.. */
bool event_req_list(struct db_req *r, const char *project, long limit, struct err *err);
/* The events with these ids (1..EVENTS_MAX_LIMIT of them), newest first:
 * how a console reads the events it was notified of. Ids are handed out
 * before commit, so "newer than the last one seen" could miss an event
 * whose transaction committed late; asking by id cannot. */
bool event_req_by_ids(struct db_req *r, const long *ids, size_t n, struct err *err);
bool event_list_parse(const PGresult *res, struct event_list *out, struct err *err);
void event_list_free(struct event_list *l);

/* Merges src into dst (both newest first): an id already in dst is not
 * added twice, and only the cap newest are kept (cap 0: no limit). src is
 * consumed and left empty. */
void event_list_merge(struct event_list *dst, struct event_list *src, size_t cap);
/* A deep copy of e into out; event_clear frees what it holds. */
void event_copy(struct event *out, const struct event *e);
void event_clear(struct event *e);

#endif
