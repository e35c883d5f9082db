/* The console's panes, one line each. Everything that names a pane is
 * derived from this list: its key scope and, for a pane with a tab, the
 * pane.COMMAND action of its number key (actions.h); the pane registry
 * (ui/panes.h) with the tab bar, the `:` commands, their completion and
 * help. It is core because the key layer is: key maps bind pane.COMMAND and
 * the pane's own actions live in its scope.
 *
 * PANE(ID, command, "Label", TAB|VIEW, ctx)
 *   ID       PANE_ID, SCOPE_PANE_ID, ACTION_PANE_ID
 *   command  its `:` command, its scope's name, pane_<command>_ops in
 *            ui/pane_<command>.c
 *   Label    its tab's title
 *   TAB      a tab, numbered in the order of this list, with a number key
 *            (keymaps/default.yaml binds pane.COMMAND to it)
 *   VIEW     no tab: opened by its command, as k9s opens :events
 *   ctx      whatever the caller passed as PANE_LIST's second argument */
#ifndef OPSDECK_SRC_PANE_LIST_H
#define OPSDECK_SRC_PANE_LIST_H

#define PANE_LIST(PANE, ctx)                                 \
	PANE(CATALOG, catalog, "Catalog", TAB, ctx)          \
	PANE(PROJECTS, projects, "Projects", TAB, ctx)       \
	PANE(STORES, stores, "Stores", TAB, ctx)             \
	PANE(QUEUES, queues, "Queues", TAB, ctx)             \
	PANE(LOGS, logs, "Logs", TAB, ctx)                   \
	PANE(EVENTS, events, "Events", VIEW, ctx)            \
	PANE(RECONCILE, reconcile, "Reconcile", VIEW, ctx) \
	PANE(CLUSTERS, clusters, "Clusters", VIEW, ctx)

#endif
