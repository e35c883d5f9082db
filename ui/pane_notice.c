#include "config.h"

#include "pane_notice.h"

#include <stdio.h>

#include "app.h"
#include "db/live.h"
#include "style.h"

void pane_notice_draw(const struct rect *r, const char *title, const char *const *lines, size_t n)
{
	struct rect body = { r->y + 1, r->x, r->h - 1, r->w };

	draw_fill(r->y, r->x, r->w, style_attr(ROLE_TITLE));
	draw_text(r->y, r->x + 1, r->w - 2, title, style_attr(ROLE_TITLE) | A_BOLD, 0);
	draw_centered(&body, lines, n, style_attr(ROLE_DIM));
}

void pane_notice_database(struct app *app, const struct rect *r, const char *title,
			  const char *what)
{
	char first[160];
	const char *lines[3];

	if (!app_db_configured(app)) {
		snprintf(first, sizeof(first), "No database configured: %s live in PostgreSQL.",
			 what);
		lines[0] = first;
		lines[1] = "Set `database:` in config.yaml, pass --db, or set PGHOST/PGDATABASE;";
		lines[2] = "see doc/configuration.md.";
	} else {
		snprintf(first, sizeof(first), "Not connected to the database: %s live there.",
			 what);
		lines[0] = first;
		lines[1] = "The header shows the connection's state;";
		lines[2] = "see doc/configuration.md.";
	}
	pane_notice_draw(r, title, lines, 3);
}

void pane_notice_db_waiting(const struct rect *r, const char *title, struct db_live *live,
			    const char *what, const char *arrive)
{
	const char *reason = NULL, *lines[2];
	char first[400], second[200];

	switch (db_live_state(live, &reason)) {
	case DB_STATE_DOWN:
		snprintf(first, sizeof(first), "The database is down: %s", reason ? reason : "");
		lines[0] = first;
		lines[1] = "opsdeck keeps trying to reconnect; the header shows the state.";
		break;
	case DB_STATE_CONNECTING:
		snprintf(second, sizeof(second), "%s appear as soon as it answers.", arrive);
		lines[0] = "Connecting to the database…";
		lines[1] = second;
		break;
	case DB_STATE_READY:
	default:
		if (db_live_error(live))
			snprintf(first, sizeof(first), "Cannot read %s: %s", what, db_live_error(live));
		else
			snprintf(first, sizeof(first), "Reading %s…", what);
		lines[0] = first;
		lines[1] = "";
		break;
	}
	pane_notice_draw(r, title, lines, 2);
}
