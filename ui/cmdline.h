/* The `:` command line's editing: history kept across sessions in
 * $XDG_STATE_HOME/opsdeck/history, and Tab completion that cycles through
 * the candidates (command names, then what the command takes: theme and key
 * map names, a pane's verbs and the words they name). The commands are
 * commands.h's; running one, showing a message and a pane's own candidates
 * are the host's (the shell), so this module knows neither the shell nor
 * help. */
#ifndef OPSDECK_UI_CMDLINE_H
#define OPSDECK_UI_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "commands.h"
#include "keymap.h"

struct cmdline;
struct lineedit;

struct cmdline_host {
	void *ud;
	/* Puts text on the message line (an error stays until the next key). */
	void (*say)(void *ud, bool error, const char *text);
	/* Candidates for the word after a pane's verb (pane_ops.complete),
	 * each allocated; returns how many. */
	size_t (*complete)(void *ud, enum pane_id id, const struct pane_verb *verb,
			   const char *prefix, char ***out);
	/* Runs c; arg is the rest of the line ("" when there is none: a bare
	 * `:stores` is not the same as pressing 3). */
	void (*run)(void *ud, const struct command_info *c, const char *arg);
};

/* Loads the history; host is copied. */
struct cmdline *cmdline_new(const struct cmdline_host *host);
/* Saves the history. */
void cmdline_free(struct cmdline *cl);
/* A new line is about to be typed: history browsing starts at its end. */
void cmdline_begin(struct cmdline *cl);
/* History (Up/Down, C-p/C-n) and completion (Tab) on the line being typed;
 * true if k was used. */
bool cmdline_key(struct cmdline *cl, struct lineedit *le, keycode k);
/* The line was entered (NULL: abandoned): records it in the history and
 * runs it. */
void cmdline_done(struct cmdline *cl, const char *line);

#endif
