#include "config.h"

#include "app.h"
#include "pane.h"
#include "pane_notice.h"

/* Until the database is connected this pane has nothing true to show, so it
 * says so and how to configure it. */
static void catalog_draw(void *st, struct app *app, const struct rect *r)
{
	(void)st;
	pane_notice_database(app, r, "Catalog", "offerings and plans");
}

const struct pane_ops pane_catalog_ops = {
	.name = "Catalog",
	.command = "catalog",
	.scope = SCOPE_PANE_CATALOG,
	.draw = catalog_draw,
};
