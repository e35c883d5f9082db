/* Drilling into one Kubernetes object of a store from its details, as k9s
 * does for any resource. With the cursor on an object's line:
 *   y  its YAML, read live (kube/objyaml.h: a Secret's values hidden)
 *   e  its events, newest last (r reads them again)
 *   D  a pod deleted (asks; audited: db/storeobj.h)
 *   R  a Deployment or StatefulSet restarted as `kubectl rollout restart`
 *      does (asks; audited)
 *   s  a shell in the pod, or in the first pod of the workload (asks which
 *      container when it has several), by the operator's own kubectl
 *   F  a port-forward to the service or pod, by kubectl, in the foreground
 *      until Ctrl-C
 * Every cluster call goes through the store's cluster client from the
 * registry; kubectl runs with the console suspended (ui/foreground.h).
 * y and e show a text view over the details; Esc goes back to them. */
#ifndef OPSDECK_UI_STORE_DRILL_H
#define OPSDECK_UI_STORE_DRILL_H

#include <stdbool.h>

#include "app.h"
#include "db/live.h"
#include "kube/registry.h"
#include "provision/inventory.h"
#include "table.h"

/* The object under the details' cursor. */
struct drill_target {
	const char *store;   /* its id */
	const char *cluster; /* its cluster's name */
	const char *context; /* that cluster's kube context ("" for the current one) */
	const char *ns;
	enum inventory_kind kind;
	const char *name; /* the object's name, without its kind */
};

struct store_drill;

struct store_drill *store_drill_new(struct app *app, struct db_live *live);
void store_drill_free(struct store_drill *d);
/* True while a text view (YAML or events) is shown. */
bool store_drill_viewing(const struct store_drill *d);
/* Closes the view and forgets what is under way for it. */
void store_drill_close(struct store_drill *d);
void store_drill_draw(struct store_drill *d, const struct rect *r);
/* The view's table (for `/` and the list keys), or NULL. */
struct table *store_drill_table(struct store_drill *d);
/* A key in the details. t: the object under the cursor, or NULL when it
 * is on no object. reg: the pane's cluster registry. Returns PANE_* flags;
 * PANE_IGNORED when the key is not the drill's (the pane goes on with it),
 * except while a view is shown, where only the list keys go on. */
unsigned store_drill_key(struct store_drill *d, struct kube_registry *reg, keycode k,
			 const struct drill_target *t);

#endif
