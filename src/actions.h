/* Every action a key can trigger, declared once. The key-map parser, the help
 * overlay and the `:` command line all read this list (see keymap.h).
 *
 * ACTION(id, "name", scope, "description")
 *
 * Scopes say when an action's keys are looked at: GLOBAL always, LIST in any
 * table, PANE_* only in that pane. A key may be bound once across GLOBAL and
 * LIST and the active pane's scope; different panes may reuse a key. Each
 * pane of pane_list.h has its scope (SCOPE_PANE_ID, named by its command),
 * and each pane with a tab its pane.COMMAND action (ACTION_PANE_ID). */
#ifndef OPSDECK_SRC_ACTIONS_H
#define OPSDECK_SRC_ACTIONS_H

#include "pane_list.h"

enum action_scope {
	SCOPE_GLOBAL,
	SCOPE_LIST,
#define SCOPE_PANE_ENUM(id, command, label, kind, ctx) SCOPE_PANE_##id,
	PANE_LIST(SCOPE_PANE_ENUM, )
#undef SCOPE_PANE_ENUM
	/* A store's details in the Stores pane: looked at before the pane's
	 * own keys there (s opens a shell in a pod, not the store's scale). */
	SCOPE_STORE_DETAILS,
	SCOPE_COUNT
};

/* The action that shows a pane with a tab; a view has none. */
#define PANE_SHOW_ACTION(id, command, label, kind, ACTION) \
	PANE_SHOW_ACTION_##kind(ACTION, id, command, label)
#define PANE_SHOW_ACTION_TAB(ACTION, id, command, label) \
	ACTION(PANE_##id, "pane." #command, SCOPE_GLOBAL, "Show the " label " pane")
#define PANE_SHOW_ACTION_VIEW(ACTION, id, command, label)

#define ACTION_LIST(ACTION)                                                                  \
	ACTION(QUIT, "quit", SCOPE_GLOBAL, "Quit opsdeck (asks first if work is running)")   \
	ACTION(HELP, "help", SCOPE_GLOBAL, "Show the keys of the active key map")            \
	ACTION(COMMAND, "command", SCOPE_GLOBAL, "Open the : command line")                  \
	ACTION(PANE_NEXT, "pane.next", SCOPE_GLOBAL, "Switch to the next pane")              \
	ACTION(PANE_PREV, "pane.prev", SCOPE_GLOBAL, "Switch to the previous pane")          \
	PANE_LIST(PANE_SHOW_ACTION, ACTION)                                                  \
	ACTION(REDRAW, "redraw", SCOPE_GLOBAL, "Redraw the screen")                          \
	ACTION(CANCEL, "cancel", SCOPE_GLOBAL, "Close the overlay, clear the filter or message") \
	ACTION(CURSOR_UP, "cursor.up", SCOPE_LIST, "Move the cursor up")                     \
	ACTION(CURSOR_DOWN, "cursor.down", SCOPE_LIST, "Move the cursor down")               \
	ACTION(PAGE_UP, "page.up", SCOPE_LIST, "Move one page up")                           \
	ACTION(PAGE_DOWN, "page.down", SCOPE_LIST, "Move one page down")                     \
	ACTION(HALF_PAGE_UP, "halfpage.up", SCOPE_LIST, "Move half a page up")               \
	ACTION(HALF_PAGE_DOWN, "halfpage.down", SCOPE_LIST, "Move half a page down")         \
	ACTION(CURSOR_TOP, "cursor.top", SCOPE_LIST, "Jump to the first row")                \
	ACTION(CURSOR_BOTTOM, "cursor.bottom", SCOPE_LIST, "Jump to the last row")           \
	ACTION(SCROLL_LEFT, "scroll.left", SCOPE_LIST, "Scroll columns left")                \
	ACTION(SCROLL_RIGHT, "scroll.right", SCOPE_LIST, "Scroll columns right")             \
	ACTION(FILTER, "filter", SCOPE_LIST, "Filter rows (case-insensitive; ! inverts)")    \
	ACTION(SELECT, "select", SCOPE_LIST, "Open the details of the row")                  \
	ACTION(MARK, "mark", SCOPE_LIST, "Mark or unmark the row for a bulk action")         \
	ACTION(MARK_CLEAR, "mark.clear", SCOPE_LIST, "Clear every mark")                     \
	ACTION(COPY, "copy", SCOPE_LIST,                                                     \
	       "Copy the value under the cursor to the terminal's clipboard (OSC 52)")       \
	ACTION(SORT_NEXT, "sort.next", SCOPE_LIST, "Sort by the next column")                \
	ACTION(SORT_PREV, "sort.prev", SCOPE_LIST, "Sort by the previous column")            \
	ACTION(SORT_REVERSE, "sort.reverse", SCOPE_LIST, "Reverse the sort order")           \
	ACTION(CATALOG_PAUSE, "catalog.pause", SCOPE_PANE_CATALOG,                           \
	       "Pause the offering (asks first)")                                            \
	ACTION(CATALOG_ACTIVATE, "catalog.activate", SCOPE_PANE_CATALOG,                     \
	       "Activate the offering (asks first)")                                         \
	ACTION(PROJECTS_NEW_CUSTOMER, "projects.new_customer", SCOPE_PANE_PROJECTS,          \
	       "Create a customer")                                                          \
	ACTION(PROJECTS_NEW_PROJECT, "projects.new_project", SCOPE_PANE_PROJECTS,            \
	       "Create a project for the customer under the cursor")                         \
	ACTION(PROJECTS_RENAME, "projects.rename", SCOPE_PANE_PROJECTS, "Rename the project") \
	ACTION(PROJECTS_QUOTA, "projects.quota", SCOPE_PANE_PROJECTS, "Set the project's quotas") \
	ACTION(PROJECTS_SET, "projects.set", SCOPE_PANE_PROJECTS,                            \
	       "Change the project's end date and description (a form)")                    \
	ACTION(PROJECTS_ARCHIVE, "projects.archive", SCOPE_PANE_PROJECTS,                    \
	       "Archive the project (asks first; refused while it has live stores)")          \
	ACTION(STORES_NEW, "stores.new", SCOPE_PANE_STORES, "Order a store (a form)")        \
	ACTION(STORES_SCALE, "stores.scale", SCOPE_PANE_STORES, "Scale the store's web replicas") \
	ACTION(STORES_PAUSE, "stores.pause", SCOPE_PANE_STORES,                              \
	       "Pause the store, or the marked ones (asks first)")                           \
	ACTION(STORES_RESUME, "stores.resume", SCOPE_PANE_STORES,                            \
	       "Resume the store, or the marked ones")                                       \
	ACTION(STORES_RETRY, "stores.retry", SCOPE_PANE_STORES, "Retry a Failed store")      \
	ACTION(STORES_DELETE, "stores.delete", SCOPE_PANE_STORES,                            \
	       "Delete the store, or the marked ones (type the id to confirm)")              \
	ACTION(STORES_LOGS, "stores.logs", SCOPE_PANE_STORES,                                \
	       "Follow the logs of the store's containers in the Logs pane")                 \
	ACTION(STORES_CREDENTIALS, "stores.credentials", SCOPE_PANE_STORES,                  \
	       "Reveal the store's credentials in its details (asks first; audited), "       \
	       "or hide them")                                                               \
	ACTION(DETAILS_YAML, "details.yaml", SCOPE_STORE_DETAILS,                            \
	       "Show the object under the cursor as YAML, live (a Secret's values hidden)")    \
	ACTION(DETAILS_EVENTS, "details.events", SCOPE_STORE_DETAILS,                        \
	       "Show the events of the object under the cursor, newest last")               \
	ACTION(DETAILS_REFRESH, "details.refresh", SCOPE_STORE_DETAILS,                      \
	       "Read the YAML or the events shown again")                                    \
	ACTION(DETAILS_DELETE_POD, "details.delete_pod", SCOPE_STORE_DETAILS,                \
	       "Delete the pod under the cursor; its controller makes a new one (asks; audited)") \
	ACTION(DETAILS_RESTART, "details.restart", SCOPE_STORE_DETAILS,                      \
	       "Restart the Deployment or StatefulSet under the cursor (asks; audited)")      \
	ACTION(DETAILS_SHELL, "details.shell", SCOPE_STORE_DETAILS,                          \
	       "Open a shell in the pod under the cursor, or a pod of the workload (kubectl)") \
	ACTION(DETAILS_PORT_FORWARD, "details.port_forward", SCOPE_STORE_DETAILS,            \
	       "Forward a local port to the service or pod under the cursor (kubectl)")      \
	ACTION(QUEUES_RETRY, "queues.retry", SCOPE_PANE_QUEUES,                              \
	       "Run the failed or cancelled job again (audited)")                            \
	ACTION(QUEUES_CANCEL, "queues.cancel", SCOPE_PANE_QUEUES,                            \
	       "Cancel the queued job, or stop the running one at its next step (asks; audited)") \
	ACTION(QUEUES_SECTION, "queues.section", SCOPE_PANE_QUEUES,                          \
	       "Move the cursor to the next section (jobs, RabbitMQ queues, Kafka topics)")  \
	ACTION(QUEUES_PEEK, "queues.peek", SCOPE_PANE_QUEUES,                                \
	       "Show the first messages of the queue; they stay in it")                      \
	ACTION(QUEUES_PURGE, "queues.purge", SCOPE_PANE_QUEUES,                              \
	       "Purge the queue, or every marked queue (name or count typed back; audited)")  \
	ACTION(QUEUES_MOVE, "queues.move", SCOPE_PANE_QUEUES,                                \
	       "Move the queue's messages to another queue (a dead-letter queue's back)")    \
	ACTION(LOGS_FOLLOW, "logs.follow", SCOPE_PANE_LOGS,                                  \
	       "Follow the newest lines, or stop following (End follows too)")               \
	ACTION(LOGS_NEXT, "logs.next", SCOPE_PANE_LOGS,                                      \
	       "Go to the next newer line the search matches (/ searches in the Logs pane)")  \
	ACTION(LOGS_PREV, "logs.prev", SCOPE_PANE_LOGS,                                      \
	       "Go to the next older line the search matches")                               \
	ACTION(LOGS_INCLUDE, "logs.include", SCOPE_PANE_LOGS,                                \
	       "Show only the lines a regex matches (several: any of them; empty clears)")    \
	ACTION(LOGS_EXCLUDE, "logs.exclude", SCOPE_PANE_LOGS,                                \
	       "Hide the lines a regex matches (several; empty clears)")                     \
	ACTION(LOGS_CONTEXT, "logs.context", SCOPE_PANE_LOGS,                                \
	       "Show N lines before and after each line the filters let through")            \
	ACTION(LOGS_WRAP, "logs.wrap", SCOPE_PANE_LOGS, "Wrap long lines, or cut them")      \
	ACTION(LOGS_TIMESTAMPS, "logs.timestamps", SCOPE_PANE_LOGS,                          \
	       "Show or hide each line's timestamp")                                         \
	ACTION(LOGS_CLEAR, "logs.clear", SCOPE_PANE_LOGS, "Clear the lines shown")           \
	ACTION(LOGS_SAVE, "logs.save", SCOPE_PANE_LOGS,                                      \
	       "Save the lines shown (the filtered view, or every line held) to a file")     \
	ACTION(LOGS_SOURCES, "logs.sources", SCOPE_PANE_LOGS,                                \
	       "Show each source (pod/container) with its stream's state, or hide them")     \
	ACTION(LOGS_HISTORY, "logs.history", SCOPE_PANE_LOGS,                                \
	       "Show the store's history (audit events, job steps) among its lines, or hide it") \
	ACTION(RECONCILE_RUN, "reconcile.run", SCOPE_PANE_RECONCILE,                         \
	       "Run a reconcile pass now")                                                   \
	ACTION(RECONCILE_DELETE, "reconcile.delete", SCOPE_PANE_RECONCILE,                   \
	       "Delete the orphan namespace (type its name to confirm)")                     \
	ACTION(CLUSTERS_CORDON, "clusters.cordon", SCOPE_PANE_CLUSTERS,                      \
	       "Cordon the cluster: no new stores are placed on it (asks first; audited)")   \
	ACTION(CLUSTERS_ACTIVATE, "clusters.activate", SCOPE_PANE_CLUSTERS,                  \
	       "Activate the cluster: it takes new stores again (audited)")

enum action {
	ACTION_NONE = -1,
#define ACTION_ENUM(id, name, scope, desc) ACTION_##id,
	ACTION_LIST(ACTION_ENUM)
#undef ACTION_ENUM
	ACTION_COUNT
};

struct action_info {
	const char *name;
	enum action_scope scope;
	const char *description;
};

const struct action_info *action_info(enum action a);
/* ACTION_NONE if there is no action of that name. */
enum action action_by_name(const char *name);
const char *action_scope_name(enum action_scope s);

#endif
