#include "config.h"

#include "app.h"
#include "pane.h"
#include "pane_notice.h"

/* Until the database is connected this pane has nothing true to show, so it
 * says so and how to configure it. */
static void queues_draw(void *st, struct app *app, const struct rect *r)
{
	(void)st;
	pane_notice_database(app, r, "Queues", "provisioning jobs");
}

const struct pane_ops pane_queues_ops = {
	.name = "Queues",
	.command = "queues",
	.scope = SCOPE_PANE_QUEUES,
	.draw = queues_draw,
};
