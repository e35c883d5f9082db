#include "config.h"

#include "db/events.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

static const char sql_list[] =
	"SELECT e.id, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	" e.actor, e.action, e.object, coalesce(p.slug, ''), e.message"
	" FROM opsdeck.events e LEFT JOIN opsdeck.projects p ON p.uuid = e.project"
	" WHERE $1::text IS NULL OR p.slug = $1"
	" ORDER BY e.id DESC LIMIT $2::integer";

bool event_req_list(struct db_req *r, const char *project, long limit, struct err *err)
{
	char shown[80];

	if (project && !db_valid_dns_label(project)) {
		err_set(err, "invalid project slug '%s'", db_shown(project, shown, sizeof(shown)));
		return false;
	}
	if (limit < 1 || limit > EVENTS_MAX_LIMIT) {
		err_set(err, "the event limit must be from 1 to %d", EVENTS_MAX_LIMIT);
		return false;
	}
	db_req_init(r, sql_list);
	db_req_add(r, project);
	db_req_add_long(r, limit);
	str_copy(r->subject, sizeof(r->subject), "events");
	return true;
}

bool event_list_parse(const PGresult *res, struct event_list *out, struct err *err)
{
	int n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 7) {
		err_set(err, "unexpected answer to the event list (%d columns)", PQnfields(res));
		return false;
	}
	out->v = xcalloc((size_t)n, sizeof(*out->v));
	for (int i = 0; i < n; i++) {
		struct event *e = &out->v[i];

		e->id = db_long(res, i, 0);
		str_copy(e->at, sizeof(e->at), db_val(res, i, 1));
		e->actor = xstrdup(db_val(res, i, 2));
		e->action = xstrdup(db_val(res, i, 3));
		e->object = xstrdup(db_val(res, i, 4));
		e->project = xstrdup(db_val(res, i, 5));
		e->message = xstrdup(db_val(res, i, 6));
	}
	out->n = (size_t)n;
	return true;
}

void event_list_free(struct event_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].actor);
		free(l->v[i].action);
		free(l->v[i].object);
		free(l->v[i].project);
		free(l->v[i].message);
	}
	x_free(&l->v);
	l->n = 0;
}
