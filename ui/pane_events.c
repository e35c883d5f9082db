#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db/events.h"
#include "db/live.h"
#include "pane.h"
#include "pane_notice.h"
#include "style.h"
#include "table.h"

/* The audit trail, as k9s shows events: the newest DB_LIVE_EVENTS_MAX rows of
 * opsdeck.events, newest first, new ones arriving from the database's
 * notifications without a key press (the cursor follows them while it is
 * on the newest row). `/` filters; Enter shows one event
 * whole, its detail JSON included, one line per row so the table scrolls
 * and filters it too; Esc closes it. `:events FILTER` opens it filtered.
 * It reads nothing until first shown. */

struct events_pane {
	struct app *app;
	struct db_live *live; /* NULL: no database configured */
	struct table *table;
	struct table *detail;
	bool wanted;	   /* the events were asked for */
	bool detail_open;
	struct event shown; /* the event in detail (a copy: it may scroll out) */
	int detail_width;   /* the width its rows were wrapped for */
};

static const struct table_column event_cols[] = {
	{ "TIME", 20, 20, 0, TABLE_LEFT, 0 },	{ "ACTOR", 5, 20, 0, TABLE_LEFT, 3 },
	{ "ACTION", 6, 22, 0, TABLE_LEFT, 0 },	{ "OBJECT", 6, 40, 1, TABLE_LEFT, 1 },
	{ "PROJECT", 7, 24, 0, TABLE_LEFT, 2 }, { "MESSAGE", 10, 0, 3, TABLE_LEFT, 0 },
};

static const struct table_column detail_cols[] = {
	{ "FIELD", 7, 8, 0, TABLE_LEFT, 0 },
	{ "VALUE", 10, 0, 1, TABLE_LEFT, 0 },
};

/* Audited changes that take something away stand out. */
static int action_role(const char *action)
{
	const char *verb = strrchr(action, '.');

	verb = verb ? verb + 1 : action;
	if (strcmp(verb, "archive") == 0 || strcmp(verb, "delete") == 0)
		return ROLE_STATE_BAD;
	if (strcmp(verb, "pause") == 0)
		return ROLE_STATE_BUSY;
	return -1;
}

static void rebuild(struct events_pane *p)
{
	const struct event_list *el = db_live_events(p->live);
	struct table_model *tm = table_model(p->table);
	/* On the newest row, the cursor follows new events (as tail -f
	 * does); anywhere else it stays on its event. */
	bool follow = table_model_nvisible(tm) == 0 || table_model_cursor(tm) == 0;
	char title[160];

	table_model_begin(tm);
	for (size_t i = 0; el && i < el->n; i++) {
		const struct event *e = &el->v[i];
		char key[24], at[32];
		const char *cells[6] = { at, e->actor, e->action, e->object,
					 e->project[0] ? e->project : "-", e->message };

		snprintf(key, sizeof(key), "%ld", e->id);
		/* "2024-05-01T12:00:00Z" reads better as "2024-05-01 12:00:00Z". */
		str_copy(at, sizeof(at), e->at);
		if (at[10] == 'T')
			at[10] = ' ';
		table_model_add(tm, key, cells, action_role(e->action), 2);
	}
	table_model_end(tm);
	if (follow)
		table_model_top(tm);
	snprintf(title, sizeof(title), "Events (%zu, newest first; the latest %d are kept, live)",
		 el ? el->n : 0, DB_LIVE_EVENTS_MAX);
	table_set_title(p->table, title);
}

/* One row per line of value, wrapped to width cells; the field's name on
 * the first. */
static void add_wrapped(struct table_model *tm, size_t *nrow, const char *field, const char *value,
			int width)
{
	const char *line = value;
	bool first = true;

	if (width < 10)
		width = 10;
	do {
		size_t len = strcspn(line, "\n");
		char *copy = xstrndup(line, len);
		const char *rest = copy;

		do {
			size_t fit = utf8_fit(rest, width, NULL);
			char key[24], *piece;
			const char *cells[2];

			/* A character wider than the column still moves on. */
			if (fit == 0 && *rest)
				fit = 1;
			piece = xstrndup(rest, fit);
			cells[0] = first ? field : "";
			cells[1] = piece;
			snprintf(key, sizeof(key), "%zu", (*nrow)++);
			table_model_add(tm, key, cells, -1, -1);
			free(piece);
			rest += fit;
			first = false;
		} while (*rest);
		free(copy);
		line += len;
	} while (*line++ == '\n');
}

static void rebuild_detail(struct events_pane *p, int width)
{
	const struct event *e = &p->shown;
	struct table_model *tm = table_model(p->detail);
	char id[24], title[96];
	size_t nrow = 0;
	int vw = width - 10; /* FIELD, the space after it, the margin */

	p->detail_width = width;
	snprintf(id, sizeof(id), "%ld", e->id);
	table_model_begin(tm);
	add_wrapped(tm, &nrow, "id", id, vw);
	add_wrapped(tm, &nrow, "time", e->at, vw);
	add_wrapped(tm, &nrow, "actor", e->actor, vw);
	add_wrapped(tm, &nrow, "action", e->action, vw);
	add_wrapped(tm, &nrow, "object", e->object, vw);
	add_wrapped(tm, &nrow, "project", e->project[0] ? e->project : "-", vw);
	add_wrapped(tm, &nrow, "message", e->message, vw);
	add_wrapped(tm, &nrow, "detail", e->detail, vw);
	table_model_end(tm);
	snprintf(title, sizeof(title), "Event %ld: %s (Esc closes)", e->id, e->action);
	table_set_title(p->detail, title);
}

static void live_changed(void *ud, const struct db_live_change *ch)
{
	struct events_pane *p = ud;

	if (!p->wanted || (!ch->state && !(ch->lists & DB_LIVE_BIT(DB_LIVE_EVENTS))))
		return;
	rebuild(p);
	app_redraw(p->app);
}

static void *events_init(struct app *app)
{
	struct events_pane *p = xcalloc(1, sizeof(*p));

	p->app = app;
	p->table = table_new("Events", event_cols, ARRAY_LEN(event_cols));
	p->detail = table_new("Event", detail_cols, ARRAY_LEN(detail_cols));
	table_set_empty_text(p->table, "No events yet: every change made with opsdeck writes one.");
	if (app_db_configured(app))
		p->live = db_live_join(app_loop(app), app_conf(app), live_changed, p);
	return p;
}

static void events_destroy(void *st)
{
	struct events_pane *p = st;

	db_live_leave(p->live, live_changed, p);
	event_clear(&p->shown);
	table_free(p->table);
	table_free(p->detail);
	free(p);
}

static void events_draw(void *st, struct app *app, const struct rect *r)
{
	struct events_pane *p = st;

	if (!p->live) {
		pane_notice_database(app, r, "Events", "the events of the audit trail");
		return;
	}
	if (!db_live_events(p->live)) {
		pane_notice_db_waiting(r, "Events", p->live, "the audit trail", "The events");
		return;
	}
	if (p->detail_open) {
		if (p->detail_width != r->w)
			rebuild_detail(p, r->w);
		table_draw(p->detail, r, true);
		return;
	}
	table_draw(p->table, r, true);
}

static void events_show(void *st, struct app *app, const char *arg)
{
	struct events_pane *p = st;

	(void)app;
	if (p->live && !p->wanted) {
		p->wanted = true;
		db_live_want_events(p->live);
		rebuild(p);
	}
	if (arg) {
		p->detail_open = false;
		table_model_set_filter(table_model(p->table), arg);
	}
}

static void open_detail(struct events_pane *p)
{
	const struct event_list *el = db_live_events(p->live);
	struct table_model *tm = table_model(p->table);
	const char *key;
	long id;

	if (!el || table_model_nvisible(tm) == 0)
		return;
	key = table_model_key(tm, table_model_cursor(tm));
	if (!key || !str_to_long(key, 1, LONG_MAX, &id))
		return;
	for (size_t i = 0; i < el->n; i++) {
		if (el->v[i].id == id) {
			event_clear(&p->shown);
			event_copy(&p->shown, &el->v[i]);
			p->detail_open = true;
			p->detail_width = 0; /* wrapped when drawn, for the width there is */
			table_model_set_filter(table_model(p->detail), "");
			table_model_top(table_model(p->detail));
			return;
		}
	}
}

static unsigned events_key(void *st, struct app *app, enum action a, keycode k)
{
	struct events_pane *p = st;

	(void)app;
	(void)k;
	if (!p->live)
		return PANE_IGNORED;
	if (p->detail_open && a == ACTION_CANCEL) {
		p->detail_open = false;
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (!p->detail_open && a == ACTION_SELECT) {
		open_detail(p);
		return PANE_HANDLED | PANE_REDRAW;
	}
	return PANE_IGNORED;
}

static struct table *events_table(void *st)
{
	struct events_pane *p = st;

	if (!p->live || !db_live_events(p->live))
		return NULL;
	return p->detail_open ? p->detail : p->table;
}

const struct pane_ops pane_events_ops = {
	.args = "[FILTER]",
	.help = "Show the audit trail, newest first, live",
	.init = events_init,
	.destroy = events_destroy,
	.draw = events_draw,
	.on_key = events_key,
	.on_show = events_show,
	.table = events_table,
};
