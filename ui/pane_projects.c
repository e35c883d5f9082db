#include "config.h"

#include "app.h"
#include "pane.h"
#include "pane_notice.h"

/* Until the database is connected this pane has nothing true to show, so it
 * says so and how to configure it. */
static void projects_draw(void *st, struct app *app, const struct rect *r)
{
	(void)st;
	pane_notice_database(app, r, "Projects", "customers and projects");
}

const struct pane_ops pane_projects_ops = {
	.name = "Projects",
	.command = "projects",
	.scope = SCOPE_PANE_PROJECTS,
	.draw = projects_draw,
};
