/* The console shell: header, tab bar, the active pane, the message line,
 * overlays (help, dialogs, the `:` and `/` prompts) and the loop that drives
 * them. One app per process; it owns the terminal. */
#ifndef OPSDECK_UI_APP_H
#define OPSDECK_UI_APP_H

#include <stdbool.h>

#include "conf.h"
#include "keymap.h"
#include "loop.h"
#include "pane.h"
#include "panes.h"
#include "theme.h"

enum header_field { HEADER_CLUSTER, HEADER_DB, HEADER_TUNNEL, HEADER_FIELD_COUNT };

struct app;

struct app_options {
	struct conf *conf;	 /* settings after the file and flags */
	const char *conf_warning; /* a problem to show at start, or NULL */
};

/* Runs the console until the operator quits or the terminal goes away.
 * Returns the process exit code. */
int app_run(const struct app_options *opts);

struct loop *app_loop(struct app *app);
const struct conf *app_conf(const struct app *app);
const struct keymap *app_keymap(const struct app *app);
bool app_read_only(const struct app *app);
/* True if a database is configured (setting, PG environment or service). */
bool app_db_configured(const struct app *app);
/* The in-process job runner, or NULL (--no-worker, read-only, no database). */
struct runner;
struct runner *app_runner(struct app *app);

/* The message line. Errors stay until the next key; info fades after 5 s.
 * A message does not replace a more important one (error > info > note)
 * younger than 2 s: it is shown when those 2 s are over. */
void app_info(struct app *app, const char *fmt, ...) ATTR_FORMAT(2, 3);
void app_error(struct app *app, const char *fmt, ...) ATTR_FORMAT(2, 3);
/* A note that lasts as long as what it describes ("pass running", the
 * completions of the prompt): app_note_end(owner) takes it away. */
void app_note(struct app *app, const void *owner, bool error, const char *fmt, ...)
	ATTR_FORMAT(4, 5);
void app_note_end(struct app *app, const void *owner);
/* Header fields: cluster, database, tunnel state; alert shows them in the
 * alert colour. text NULL hides the field. The shell itself keeps HEADER_DB
 * up to date from the shared database connection, whatever pane shows. */
void app_set_header(struct app *app, enum header_field f, const char *text, bool alert);
/* Gives the terminal to a child process (ui/term.h): no key is read and
 * nothing is drawn until app_resume, which takes it back and redraws; the
 * loop, its watches and the job runner go on meanwhile. */
void app_suspend(struct app *app);
void app_resume(struct app *app);
bool app_suspended(const struct app *app);
/* Asks for a redraw at the end of this loop turn. */
void app_redraw(struct app *app);
/* The pane on screen. */
enum pane_id app_active_pane(const struct app *app);
/* Shows pane id (panes.h); arg as for pane_ops.on_show. */
void app_show_pane(struct app *app, enum pane_id id, const char *arg);
/* Switches theme or key map by name; on failure the current one stays and
 * the message line says why. */
bool app_set_theme(struct app *app, const char *name);
bool app_set_keymap(struct app *app, const char *name);
void app_open_help(struct app *app);
/* Quits; unless force, asks first while work is running. */
void app_quit(struct app *app, bool force);
/* Delivers an event to every pane. */
void app_post(struct app *app, const struct app_event *ev);
/* Work that would be lost or interrupted by quitting (jobs this console runs);
 * q asks first while it is non-zero. */
void app_set_running_work(struct app *app, unsigned n);

/* A yes/no question whose default answer is No; fn runs only on yes. */
void app_confirm(struct app *app, const char *question, void (*fn)(struct app *, void *),
		 void *ud);

/* Shows a form (form.h) over the pane; the app owns and frees it. */
struct form;
void app_open_form(struct app *app, struct form *f);

/* A one-line prompt on the message line. on_change runs on every edit (for
 * incremental filters); on_done runs with the text on Enter, or with NULL on
 * Esc. */
struct lineedit;
struct app_prompt_ops {
	/* Optional: sees each key first (history, completion); true = used. */
	bool (*on_key)(struct app *app, struct lineedit *le, keycode k, void *ud);
	void (*on_change)(struct app *app, const char *text, void *ud);
	void (*on_done)(struct app *app, const char *text, void *ud);
	/* Not replaced: a prompt opened while this one is open waits for it
	 * to close, and its keys come before a dialog's. */
	bool keep;
};
/* Opens the prompt. One already open is closed and its on_done told NULL,
 * as on Esc; unless it keeps its place (ops->keep): then this one opens
 * when it closes (a second one waiting is told NULL in its place). */
void app_prompt(struct app *app, const char *label, const char *initial,
		const struct app_prompt_ops *ops, void *ud);
/* Changes the label of the prompt opened with ops; false if not open. */
bool app_prompt_relabel(struct app *app, const struct app_prompt_ops *ops, const char *label);
/* Whether a prompt, dialog or form holds the keys. */
bool app_line_busy(const struct app *app);
/* fn runs after each key and each prompt closed while none of them is
 * open (for questions that wait for the line); NULL removes it. One. */
void app_on_line_free(struct app *app, void (*fn)(struct app *app, void *ud), void *ud);
/* Closes the prompt (or the one waiting) if it is the one opened with ops,
 * without on_done;
 * false when another (or none) is open. */
bool app_prompt_close(struct app *app, const struct app_prompt_ops *ops);

#endif
