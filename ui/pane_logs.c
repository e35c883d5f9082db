#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "pane.h"
#include "pane_notice.h"
#include "util.h"

struct logs_pane {
	char *store; /* the store asked for with :logs STORE */
};

static void *logs_init(struct app *app)
{
	(void)app;
	return xcalloc(1, sizeof(struct logs_pane));
}

static void logs_destroy(void *st)
{
	struct logs_pane *lp = st;

	if (!lp)
		return;
	free(lp->store);
	free(lp);
}

static void logs_show(void *st, struct app *app, const char *arg)
{
	struct logs_pane *lp = st;

	(void)app;
	if (arg) {
		free(lp->store);
		lp->store = xstrdup(arg);
	}
}

static void logs_draw(void *st, struct app *app, const struct rect *r)
{
	struct logs_pane *lp = st;
	char first[160];
	const char *lines[2];

	(void)app;
	if (lp->store) {
		snprintf(first, sizeof(first), "No log stream is open here for store %s.",
			 lp->store);
		lines[0] = first;
		lines[1] = "l on the store in the Stores pane gives the kubectl command that "
			   "follows its logs.";
	} else {
		lines[0] = "No store selected.";
		lines[1] = "l on a store in the Stores pane gives the kubectl command that "
			   "follows its logs.";
	}
	pane_notice_draw(r, "Logs", lines, 2);
}

const struct pane_ops pane_logs_ops = {
	.args = "[STORE]",
	.help = "Show the Logs pane, optionally for a store",
	.init = logs_init,
	.destroy = logs_destroy,
	.draw = logs_draw,
	.on_show = logs_show,
};
