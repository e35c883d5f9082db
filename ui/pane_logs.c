#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "db/live.h"
#include "db/storeref.h"
#include "pane.h"
#include "pane_notice.h"
#include "util.h"

struct logs_pane {
	struct db_live *live; /* the stores, to know the one asked for */
	char store[160];      /* "acme/web (4f1c2a9be310)", or "" */
};

static void *logs_init(struct app *app)
{
	struct logs_pane *lp = xcalloc(1, sizeof(*lp));

	if (app_db_configured(app))
		lp->live = db_live_acquire(app_loop(app), app_conf(app));
	return lp;
}

static void logs_destroy(void *st)
{
	struct logs_pane *lp = st;

	if (!lp)
		return;
	if (lp->live)
		db_live_release(lp->live);
	free(lp);
}

static void logs_show(void *st, struct app *app, const char *arg)
{
	struct logs_pane *lp = st;
	const struct store_list *sl = lp->live ? db_live_stores(lp->live, NULL) : NULL;
	struct err err = { { 0 } };
	const struct store *s;

	if (!arg || !*arg)
		return;
	if (!sl) {
		app_error(app, "The stores are not read yet: try again in a moment");
		return;
	}
	if (!(s = store_ref_pick(sl, arg, &err))) {
		app_error(app, "%s", err.msg);
		return;
	}
	snprintf(lp->store, sizeof(lp->store), "%s/%s (%s)", s->project, s->name, s->id);
}

static void logs_draw(void *st, struct app *app, const struct rect *r)
{
	struct logs_pane *lp = st;
	char first[200];
	const char *lines[2];

	(void)app;
	if (lp->store[0]) {
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

static size_t logs_complete(void *st, const struct pane_verb *verb, const char *prefix,
			    char ***out)
{
	struct logs_pane *lp = st;

	(void)verb;
	return store_ref_complete(lp->live ? db_live_stores(lp->live, NULL) : NULL, prefix, out);
}

const struct pane_ops pane_logs_ops = {
	.args = "[STORE]",
	.help = "Show the Logs pane, optionally for a store (its name, id or PROJECT/NAME)",
	.init = logs_init,
	.destroy = logs_destroy,
	.draw = logs_draw,
	.on_show = logs_show,
	.complete = logs_complete,
};
