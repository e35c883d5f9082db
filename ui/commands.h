/* The `:` commands: one per pane, from the pane registry (panes.h), then
 * the shell's own (theme, keymap, help, quit). The command line runs and
 * completes them, the help overlay lists them; both read this table and
 * nothing else. Data only: running a command is the shell's business. */
#ifndef OPSDECK_UI_COMMANDS_H
#define OPSDECK_UI_COMMANDS_H

#include <stddef.h>

#include "panes.h"

enum command_kind {
	COMMAND_PANE,	    /* shows its pane with the rest of the line */
	COMMAND_THEME,	    /* completes theme names */
	COMMAND_KEYMAP,	    /* completes key map names */
	COMMAND_HELP,
	COMMAND_QUIT,	    /* asks first while work is running */
	COMMAND_QUIT_FORCE,
};

struct command_info {
	const char *name;
	const char *args;
	const char *help;
	enum command_kind kind;
	enum pane_id pane; /* COMMAND_PANE: the pane it shows; else PANE_COUNT */
};

/* Every command, the panes' first in registry order; returns how many. */
size_t commands_list(const struct command_info **out);
/* The command named name, or NULL. */
const struct command_info *commands_find(const char *name);

/* A line of help: a command, or a pane command with one of its verbs
 * (name "catalog pause", args "[OFFERING]"). */
struct command_help {
	const char *name;
	const char *args;
	const char *help;
};

/* Every command, each pane command followed by its verbs; returns how many.
 * The lines stay valid until the next call. */
size_t commands_help(const struct command_help **out);

#endif
