#include "config.h"

#include "db/events.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define EVENT_SELECT                                                                          \
	"SELECT e.id, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"    \
	" e.actor, e.action, e.object, coalesce(p.slug, ''), e.message, jsonb_pretty(e.detail)" \
	" FROM opsdeck.events e LEFT JOIN opsdeck.projects p ON p.uuid = e.project"
#define EVENT_COLUMNS 8

static const char sql_list[] = EVENT_SELECT
	" WHERE $1::text IS NULL OR p.slug = $1"
	" ORDER BY e.id DESC LIMIT $2::integer";

static const char sql_by_ids[] = EVENT_SELECT
	" WHERE e.id = ANY ($1::bigint[])"
	" ORDER BY e.id DESC";

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

bool event_req_by_ids(struct db_req *r, const long *ids, size_t n, struct err *err)
{
	struct buf b = BUF_INIT;

	if (n < 1 || n > EVENTS_MAX_LIMIT) {
		err_set(err, "between 1 and %d events can be read by id", EVENTS_MAX_LIMIT);
		return false;
	}
	/* One array parameter: '{1,2,3}'. */
	buf_printf(&b, "{");
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < 1) {
			buf_free(&b);
			err_set(err, "%ld is not an event id", ids[i]);
			return false;
		}
		buf_printf(&b, "%s%ld", i ? "," : "", ids[i]);
	}
	buf_printf(&b, "}");
	db_req_init(r, sql_by_ids);
	db_req_add(r, buf_str(&b));
	str_copy(r->subject, sizeof(r->subject), "events");
	buf_free(&b);
	return true;
}

bool event_list_parse(const PGresult *res, struct event_list *out, struct err *err)
{
	int n = PQntuples(res);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != EVENT_COLUMNS) {
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
		e->detail = xstrdup(db_val(res, i, 7));
	}
	out->n = (size_t)n;
	return true;
}

void event_clear(struct event *e)
{
	free(e->actor);
	free(e->action);
	free(e->object);
	free(e->project);
	free(e->message);
	free(e->detail);
	memset(e, 0, sizeof(*e));
}

void event_copy(struct event *out, const struct event *e)
{
	out->id = e->id;
	str_copy(out->at, sizeof(out->at), e->at);
	out->actor = xstrdup(e->actor ? e->actor : "");
	out->action = xstrdup(e->action ? e->action : "");
	out->object = xstrdup(e->object ? e->object : "");
	out->project = xstrdup(e->project ? e->project : "");
	out->message = xstrdup(e->message ? e->message : "");
	out->detail = xstrdup(e->detail ? e->detail : "{}");
}

void event_list_free(struct event_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		event_clear(&l->v[i]);
	x_free(&l->v);
	l->n = 0;
}

void event_list_merge(struct event_list *dst, struct event_list *src, size_t cap)
{
	size_t total = dst->n + src->n, i = 0, j = 0, n = 0;
	struct event *v;

	if (cap == 0 || cap > total)
		cap = total;
	v = xcalloc(total ? total : 1, sizeof(*v));
	/* Both are sorted by id, highest first: one pass, moving the structs. */
	while (i < dst->n || j < src->n) {
		struct event *take;

		if (j == src->n || (i < dst->n && dst->v[i].id > src->v[j].id)) {
			take = &dst->v[i++];
		} else if (i == dst->n || src->v[j].id > dst->v[i].id) {
			take = &src->v[j++];
		} else {
			/* The same event twice: keep the one already shown. */
			event_clear(&src->v[j++]);
			take = &dst->v[i++];
		}
		if (n < cap)
			v[n++] = *take;
		else
			event_clear(take);
	}
	free(dst->v);
	free(src->v);
	dst->v = v;
	dst->n = n;
	src->v = NULL;
	src->n = 0;
}
