/* The pane registry: every pane of the console, one entry per PANE_LIST
 * line (pane_list.h) joined with the pane's pane_ops. The tab bar, the
 * number keys, each pane's key scope, the `:` commands (commands.h), their
 * completion and the help overlay all read it; nothing else lists panes.
 * Data only: it knows nothing of the shell, the command line or help. */
#ifndef OPSDECK_UI_PANES_H
#define OPSDECK_UI_PANES_H

#include <stdbool.h>

#include "actions.h"
#include "pane.h"
#include "pane_list.h"

enum pane_id {
#define PANE_ID_ENUM(id, command, label, kind, ctx) PANE_##id,
	PANE_LIST(PANE_ID_ENUM, )
#undef PANE_ID_ENUM
	PANE_COUNT
};

struct pane_info {
	const char *command;	 /* "stores": its `:` command and its scope's name */
	const char *label;	 /* "Stores": its tab's title */
	bool tab;		 /* it has a tab and a number key; else it is a view */
	enum action_scope scope; /* its own key scope */
	enum action show;	 /* its number key's action (pane.stores), or ACTION_NONE */
	const struct pane_ops *ops;
};

/* NULL for an id out of range. */
const struct pane_info *pane_info(enum pane_id id);
/* The pane with that `:` command, that show action, those ops; PANE_COUNT
 * if none. */
enum pane_id pane_by_command(const char *command);
enum pane_id pane_by_action(enum action a);
enum pane_id pane_by_ops(const struct pane_ops *ops);

/* Tabs, in PANE_LIST's order: how many, the pane of tab n (0-based;
 * PANE_COUNT out of range), and a pane's tab (-1 for a view). Tab n shows
 * n + 1 and is bound to that digit in the default key map. */
int pane_tab_count(void);
enum pane_id pane_tab(int n);
int pane_tab_index(enum pane_id id);

#endif
