#include "config.h"

#include "app.h"
#include "pane.h"
#include "pane_notice.h"

/* This pane has nothing true to show in this build: it says so, and where
 * to look instead, rather than drawing fake rows. */
static void queues_draw(void *st, struct app *app, const struct rect *r)
{
	static const char *const lines[] = {
		"This build of opsdeck does not run or list provisioning jobs.",
		"Customers, projects and quotas are in pane 2, the catalog in pane 1.",
	};

	(void)st;
	if (!app_db_configured(app))
		pane_notice_database(app, r, "Queues", "provisioning jobs");
	else
		pane_notice_draw(r, "Queues", lines, 2);
}

const struct pane_ops pane_queues_ops = {
	.args = "",
	.help = "Show the Queues pane",
	.draw = queues_draw,
};
