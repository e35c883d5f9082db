#include "config.h"

#include "app.h"
#include "pane.h"
#include "pane_notice.h"

/* No broker is watched: the pane says so, and where provisioning work
 * shows, rather than drawing fake rows. */
static void queues_draw(void *st, struct app *app, const struct rect *r)
{
	static const char *const lines[] = {
		"No message queue or topic is watched.",
		"Provisioning jobs show in the Stores pane (3): each store's job and step, "
		"its history in its details (Enter).",
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
