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
/* The commands, for the help overlay. */
size_t cmdline_list(const struct cmdline_info **out);

#endif
