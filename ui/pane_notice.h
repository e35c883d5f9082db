/* What a pane shows when it has nothing to show yet: a title and a few lines
 * that say why and what to do, never fake rows. */
#ifndef OPSDECK_UI_PANE_NOTICE_H
#define OPSDECK_UI_PANE_NOTICE_H

#include <stddef.h>

#include "draw.h"

struct app;

void pane_notice_draw(const struct rect *r, const char *title, const char *const *lines,
		      size_t n);
/* The notice for a pane whose data lives in the database, worded for the
 * database's state (not configured, not connected). */
void pane_notice_database(struct app *app, const struct rect *r, const char *title,
			  const char *what);

/* While a database-backed pane has no data yet: the connection's state, or
 * the error that stopped the read, in words. what: "the catalog"; arrive:
 * "The offerings" (they appear as soon as the database answers). */
struct db_live;
void pane_notice_db_waiting(const struct rect *r, const char *title, struct db_live *live,
			    const char *what, const char *arrive);

#endif
