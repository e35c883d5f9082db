/* The `:` command line: a registry of commands (each with its arguments'
 * completion), history kept across sessions in $XDG_STATE_HOME/opsdeck/history,
 * and Tab completion that cycles through the candidates. */
#ifndef OPSDECK_UI_CMDLINE_H
#define OPSDECK_UI_CMDLINE_H

#include <stddef.h>

struct app;
struct cmdline;

struct cmdline_info {
	const char *name;
	const char *args;
	const char *help;
};

struct cmdline *cmdline_new(void);
/* Saves the history. */
void cmdline_free(struct cmdline *cl);
/* Opens the prompt on the message line. */
void cmdline_open(struct cmdline *cl, struct app *app);
/* Runs a command line as typed after ':' (also used by tests and startup). */
void cmdline_run(struct cmdline *cl, struct app *app, const char *line);
/* The commands, for the help overlay: each pane command is followed by
 * its verbs (name "catalog pause"). */
size_t cmdline_list(const struct cmdline_info **out);

/* Parses a pane command's argument, "VERB [WORD]", against ops->verbs.
 * Returns the verb with WORD (or "") in word, or NULL after saying on the
 * message line what is wrong: an unknown verb (listing the known ones), a
 * word too many, a word too long. */
struct pane_ops;
struct pane_verb;
const struct pane_verb *cmdline_pane_verb(struct app *app, const struct pane_ops *ops,
					  const char *arg, char *word, size_t wordsz);

#endif
