#include "config.h"

#include "app.h"
#include "pane.h"
#include "pane_notice.h"

/* Until the database is connected this pane has nothing true to show, so it
 * says so and how to configure it. */
static void stores_draw(void *st, struct app *app, const struct rect *r)
{
	(void)st;
	pane_notice_database(app, r, "Stores", "stores and their state");
}

const struct pane_ops pane_stores_ops = {
	.name = "Stores",
	.command = "stores",
	.scope = SCOPE_PANE_STORES,
	.draw = stores_draw,
};
