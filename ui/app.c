#include "config.h"

#include "app.h"

#include <curses.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_header.h"
#include "cmdline.h"
#include "commands.h"
#include "db/db.h"
#include "db/live.h"
#include "db/migrate.h"
#include "foreground.h"
#include "form.h"
#include "help.h"
#include "input.h"
#include "lineedit.h"
#include "message.h"
#include "provision/secret.h"
#include "panes.h"
#include "provision/reconcile.h"
#include "provision/runner.h"
#include "style.h"
#include "table.h"
#include "term.h"
#include "tunnel_header.h"
#include "util.h"

#define MIN_COLS 80
#define MIN_ROWS 24
/* A long message is wrapped on at most this many lines. */
#define MESSAGE_LINES 4
/* Consecutive wake-ups with stdin readable but no input: the tty is gone. */
#define EMPTY_READS_GONE 5

struct app_dialog {
	char *question;
	void (*fn)(struct app *, void *);
	void *ud;
};

struct app_prompt_state {
	char label[256];
	struct lineedit le;
	const struct app_prompt_ops *ops;
	void *ud;
};

struct header_state {
	char *text;
	bool alert;
};

struct app {
	struct loop *loop;
	struct conf *conf;
	struct keymap *keymap;
	struct theme theme;
	bool no_color;
	void *pane_state[PANE_COUNT];
	enum pane_id active;
	struct cmdline *cmdline;
	struct help *help;
	struct app_dialog *dialog;
	struct app_prompt_state *prompt;
	struct app_prompt_state *prompt_waiting; /* for a prompt that keeps its place */
	void (*line_free)(struct app *, void *);
	void *line_free_ud;
	struct form *form;
	struct table *filter_table; /* the table the `/` prompt filters */
	char *filter_before;	    /* its filter when the prompt opened */
	struct message_line *msg;
	struct header_state header[HEADER_FIELD_COUNT];
	/* Held for the header, so the database state shows on every pane and
	 * the connection lives as long as the console. NULL: not configured. */
	struct db_live *live;
	struct cluster_header *clusters;
	/* The tunnel set on this loop and the route backed by it; NULL: no
	 * tunnels in the settings. */
	struct tunnel_header *tunnels;
	struct input input;
	struct loop_timer *esc_timer;
	uint64_t esc_since_ms; /* when the ESC esc_timer waits after was read */
	struct loop_watch *stdin_watch;
	unsigned empty_reads;
	unsigned running_work;
	/* The in-process job runner (conf worker; never in read-only mode). */
	struct runner *runner;
	struct loop_timer *stop_timer; /* gives up on handing jobs back */
	char reconcile_said[400];      /* what the last reconcile pass reported */
	bool dirty;
	bool quitting;
	bool terminal_gone;
	bool suspended; /* a child owns the terminal (app_suspend) */
};

/* ---- small accessors ---- */

struct loop *app_loop(struct app *app) { return app->loop; }
const struct conf *app_conf(const struct app *app) { return app->conf; }
const struct keymap *app_keymap(const struct app *app) { return app->keymap; }
bool app_read_only(const struct app *app) { return app->conf->read_only; }
void app_redraw(struct app *app) { app->dirty = true; }
void app_set_running_work(struct app *app, unsigned n) { app->running_work = n; }
struct runner *app_runner(struct app *app) { return app->runner; }

bool app_db_configured(const struct app *app) { return db_configured(app->conf); }

/* ---- messages and header ---- */

static void message_changed(void *ud)
{
	struct app *app = ud;

	app->dirty = true;
}

static void say(struct app *app, enum message_prio prio, bool error, const void *owner,
		const char *fmt, va_list ap) ATTR_FORMAT(5, 0);
static void say(struct app *app, enum message_prio prio, bool error, const void *owner,
		const char *fmt, va_list ap)
{
	message_post(app->msg, prio, error, owner, fmt, ap);
	app->dirty = true;
}

void app_info(struct app *app, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(app, MESSAGE_INFO, false, NULL, fmt, ap);
	va_end(ap);
}

void app_error(struct app *app, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(app, MESSAGE_ERROR, true, NULL, fmt, ap);
	va_end(ap);
}

void app_note(struct app *app, const void *owner, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(app, MESSAGE_NOTE, error, owner, fmt, ap);
	va_end(ap);
}

void app_note_end(struct app *app, const void *owner)
{
	message_note_end(app->msg, owner);
	app->dirty = true;
}

static void clear_message(struct app *app)
{
	message_clear(app->msg);
}

void app_set_header(struct app *app, enum header_field f, const char *text, bool alert)
{
	x_free(&app->header[f].text);
	if (text)
		app->header[f].text = xstrdup(text);
	app->header[f].alert = alert;
	app->dirty = true;
}

/* ---- panes, overlays ---- */

static const struct pane_ops *pane_ops_of(enum pane_id id)
{
	return pane_info(id)->ops;
}

enum pane_id app_active_pane(const struct app *app)
{
	return app->active;
}

void app_show_pane(struct app *app, enum pane_id id, const char *arg)
{
	const struct pane_ops *ops = pane_ops_of(id);
	void *st = app->pane_state[id];

	app->active = id;
	/* A bare `:pane` shows the pane whole: its kept filter goes. */
	if (arg && !*arg) {
		if (ops->table && ops->table(st))
			table_model_set_filter(table_model(ops->table(st)), "");
		arg = NULL;
	}
	if (ops->on_show)
		ops->on_show(st, app, arg);
	app->dirty = true;
}

void app_post(struct app *app, const struct app_event *ev)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_ops *ops = pane_ops_of((enum pane_id)i);

		if (ops->on_event && (ops->on_event(app->pane_state[i], app, ev) & PANE_REDRAW))
			app->dirty = true;
	}
}

void app_confirm(struct app *app, const char *question, void (*fn)(struct app *, void *),
		 void *ud)
{
	struct app_dialog *d = xcalloc(1, sizeof(*d));

	if (app->dialog) {
		free(app->dialog->question);
		free(app->dialog);
	}
	d->question = xstrdup(question);
	d->fn = fn;
	d->ud = ud;
	app->dialog = d;
	app->dirty = true;
}

static void close_prompt(struct app *app)
{
	if (!app->prompt)
		return;
	lineedit_free(&app->prompt->le);
	free(app->prompt);
	app->prompt = NULL;
	app_note_end(app, app->cmdline);
	app->dirty = true;
}

/* Its owner is told NULL, as on Esc. */
static void prompt_drop(struct app *app, struct app_prompt_state *p)
{
	const struct app_prompt_ops *ops = p->ops;
	void *ud = p->ud;

	lineedit_free(&p->le);
	free(p);
	if (ops->on_done)
		ops->on_done(app, NULL, ud);
}

void app_prompt(struct app *app, const char *label, const char *initial,
		const struct app_prompt_ops *ops, void *ud)
{
	struct app_prompt_state *p = xcalloc(1, sizeof(*p));

	str_copy(p->label, sizeof(p->label), label);
	lineedit_init(&p->le);
	lineedit_set(&p->le, initial ? initial : "");
	p->ops = ops;
	p->ud = ud;
	if (app->prompt && app->prompt->ops->keep) {
		struct app_prompt_state *before = app->prompt_waiting;

		app->prompt_waiting = p;
		if (before)
			prompt_drop(app, before);
		return;
	}
	if (app->prompt) {
		struct app_prompt_state *before = app->prompt;

		/* its note (completions) goes with it */
		app->prompt = NULL;
		app_note_end(app, app->cmdline);
		prompt_drop(app, before);
		/* what its on_done opened is replaced in turn, said to no one */
		close_prompt(app);
	}
	app->prompt = p;
	app->dirty = true;
}

bool app_prompt_relabel(struct app *app, const struct app_prompt_ops *ops, const char *label)
{
	if (!app->prompt || app->prompt->ops != ops)
		return false;
	str_copy(app->prompt->label, sizeof(app->prompt->label), label);
	app->dirty = true;
	return true;
}

bool app_line_busy(const struct app *app)
{
	return app->prompt || app->dialog || app->form;
}

void app_on_line_free(struct app *app, void (*fn)(struct app *app, void *ud), void *ud)
{
	app->line_free = fn;
	app->line_free_ud = ud;
}

/* After a key or a prompt closed: a prompt that waited opens; with none
 * of them open, the line's hook runs. */
static void line_check(struct app *app)
{
	if (!app->prompt && app->prompt_waiting) {
		app->prompt = app->prompt_waiting;
		app->prompt_waiting = NULL;
		app->dirty = true;
	}
	if (!app_line_busy(app) && app->line_free)
		app->line_free(app, app->line_free_ud);
}

bool app_prompt_close(struct app *app, const struct app_prompt_ops *ops)
{
	if (app->prompt_waiting && app->prompt_waiting->ops == ops &&
	    (!app->prompt || app->prompt->ops != ops)) {
		lineedit_free(&app->prompt_waiting->le);
		x_free(&app->prompt_waiting);
		return true;
	}
	if (!app->prompt || app->prompt->ops != ops)
		return false;
	close_prompt(app);
	line_check(app);
	return true;
}

void app_open_form(struct app *app, struct form *f)
{
	form_free(app->form);
	app->form = f;
	app->dirty = true;
}

void app_open_help(struct app *app)
{
	const struct pane_ops *ops = pane_ops_of(app->active);

	help_free(app->help);
	/* opened in a pane: its keys first, and what shared keys do there */
	app->help = help_new_in(app->keymap, pane_info(app->active)->label,
				pane_info(app->active)->scope, ops->notes, ops->nnotes);
	app->dirty = true;
}

static void close_help(struct app *app)
{
	help_free(app->help);
	app->help = NULL;
	app->dirty = true;
}

/* Time to hand running jobs back before leaving anyway (their leases then
 * expire and another runner resumes them). */
#define RUNNER_STOP_MS 5000

static void runner_stopped(void *ud)
{
	struct app *app = ud;

	loop_stop(app->loop);
}

static void runner_stop_timeout(struct loop *loop, void *ud)
{
	struct app *app = ud;

	app->stop_timer = NULL;
	loop_stop(loop);
}

/* Leaves the loop, first handing the runner's jobs back to the database so
 * that another runner takes them at once. */
static void stop_console(struct app *app)
{
	app->quitting = true;
	if (!app->runner || app->terminal_gone) {
		loop_stop(app->loop);
		return;
	}
	if (app->stop_timer)
		return;
	if (runner_running(app->runner) > 0)
		app_info(app, "Handing %zu running job(s) back…", runner_running(app->runner));
	runner_on_stopped(app->runner, runner_stopped, app);
	app->stop_timer = loop_timer_add(app->loop, RUNNER_STOP_MS, 0, runner_stop_timeout, app);
	runner_stop(app->runner);
}

static void quit_confirmed(struct app *app, void *ud)
{
	(void)ud;
	stop_console(app);
}

static unsigned running_work(const struct app *app)
{
	return app->running_work + (app->runner ? (unsigned)runner_running(app->runner) : 0);
}

void app_quit(struct app *app, bool force)
{
	char q[200];
	unsigned n = running_work(app);

	if (force || n == 0) {
		quit_confirmed(app, NULL);
		return;
	}
	snprintf(q, sizeof(q),
		 "%u job%s running in this console. Quit anyway? (%s handed back to the queue)", n,
		 n == 1 ? " is" : "s are", n == 1 ? "it is" : "they are");
	app_confirm(app, q, quit_confirmed, NULL);
}

bool app_set_theme(struct app *app, const char *name)
{
	struct theme t;
	struct err err = { { 0 } };

	if (!theme_load(name, &t, &err)) {
		app_error(app, "%s", err.msg);
		return false;
	}
	app->theme = t;
	style_apply(&app->theme, app->no_color);
	clear();
	app->dirty = true;
	return true;
}

bool app_set_keymap(struct app *app, const char *name)
{
	struct err err = { { 0 } }, warn = { { 0 } };
	struct keymap *km = keymap_load(name, &err, &warn);

	if (!km) {
		app_error(app, "%s", err.msg);
		return false;
	}
	keymap_free(app->keymap);
	app->keymap = km;
	if (err_isset(&warn))
		app_error(app, "%s (using the shipped %s key map)", warn.msg, name);
	if (app->help)
		app_open_help(app);
	app->dirty = true;
	return !err_isset(&warn);
}

/* ---- the `:` command line (cmdline.h runs its editing, this its commands) ---- */

static void command_say(void *ud, bool error, const char *text)
{
	struct app *app = ud;

	/* said while typing (completions): gone with the prompt */
	if (app->prompt)
		app_note(app, app->cmdline, error, "%s", text);
	else if (error)
		app_error(app, "%s", text);
	else
		app_info(app, "%s", text);
}

static size_t command_complete(void *ud, enum pane_id id, const struct pane_verb *verb,
			       const char *prefix, char ***out)
{
	struct app *app = ud;
	const struct pane_ops *ops = pane_ops_of(id);

	*out = NULL;
	if (!ops->complete)
		return 0;
	return ops->complete(app->pane_state[id], verb, prefix, out);
}

static void command_run(void *ud, const struct command_info *c, const char *arg)
{
	struct app *app = ud;

	if (c->kind == COMMAND_PANE) {
		app_show_pane(app, c->pane, arg);
		return;
	}
	if (!*arg)
		arg = NULL;
	switch (c->kind) {
	case COMMAND_PANE: return;
	case COMMAND_THEME:
		if (!arg)
			app_error(app, "usage: :theme NAME (Tab lists the themes)");
		else if (app_set_theme(app, arg))
			app_info(app, "Theme %s", arg);
		return;
	case COMMAND_KEYMAP:
		if (!arg)
			app_error(app, "usage: :keymap NAME (Tab lists the key maps)");
		else if (app_set_keymap(app, arg))
			app_info(app, "Key map %s", arg);
		return;
	case COMMAND_HELP: app_open_help(app); return;
	case COMMAND_QUIT: app_quit(app, false); return;
	case COMMAND_QUIT_FORCE: app_quit(app, true); return;
	}
}

static bool command_prompt_key(struct app *app, struct lineedit *le, keycode k, void *ud)
{
	(void)ud;
	return cmdline_key(app->cmdline, le, k);
}

static void command_prompt_done(struct app *app, const char *text, void *ud)
{
	(void)ud;
	cmdline_done(app->cmdline, text);
}

static const struct app_prompt_ops command_prompt_ops = {
	.on_key = command_prompt_key,
	.on_done = command_prompt_done,
};

static void open_command_line(struct app *app)
{
	cmdline_begin(app->cmdline);
	app_prompt(app, ":", "", &command_prompt_ops, NULL);
}

/* ---- the `/` filter prompt ---- */

static void filter_change(struct app *app, const char *text, void *ud)
{
	(void)ud;
	if (app->filter_table)
		table_model_set_filter(table_model(app->filter_table), text);
}

static void filter_done(struct app *app, const char *text, void *ud)
{
	(void)ud;
	/* Esc clears the filter, as in k9s; Enter keeps it. */
	if (!text && app->filter_table)
		table_model_set_filter(table_model(app->filter_table), "");
	app->filter_table = NULL;
	x_free(&app->filter_before);
}

static const struct app_prompt_ops filter_prompt_ops = {
	.on_change = filter_change,
	.on_done = filter_done,
};

static void open_filter(struct app *app, struct table *t)
{
	const char *cur = table_model_filter(table_model(t));

	app->filter_table = t;
	app->filter_before = xstrdup(cur ? cur : "");
	app_prompt(app, "/", app->filter_before, &filter_prompt_ops, NULL);
}

/* ---- drawing ---- */

/* The cells each header field may take within room (3 of each for the bar
 * and spaces around it): a field that fits keeps its width, the long ones
 * share what is left equally, so that every field shows its beginning (a
 * database down for a long reason does not push the tunnels off). width -1:
 * no field. */
static void header_shares(const int width[HEADER_FIELD_COUNT], int share[HEADER_FIELD_COUNT],
			  int room)
{
	int left = room, nlong = 0;
	bool settled[HEADER_FIELD_COUNT] = { false };

	for (int f = 0; f < HEADER_FIELD_COUNT; f++) {
		share[f] = 0;
		if (width[f] < 0) {
			settled[f] = true;
			continue;
		}
		left -= 3;
		nlong++;
	}
	/* Fields that fit in an equal share of what is left are settled first,
	 * which leaves more for the others; then the rest is shared. */
	for (bool again = true; again && nlong > 0;) {
		again = false;
		for (int f = 0; f < HEADER_FIELD_COUNT; f++) {
			if (settled[f] || width[f] > (left > 0 ? left : 0) / nlong)
				continue;
			share[f] = width[f];
			left -= width[f];
			settled[f] = true;
			nlong--;
			again = true;
		}
	}
	for (int f = 0; f < HEADER_FIELD_COUNT; f++) {
		if (!settled[f])
			share[f] = left > 0 ? left / nlong : 0;
	}
}

static void draw_header(struct app *app, int cols)
{
	const struct glyphs *g = style_glyphs();
	attr_t base = style_attr(ROLE_HEADER);
	int x = 0;

	int width[HEADER_FIELD_COUNT], share[HEADER_FIELD_COUNT];

	draw_fill(0, 0, cols, base);
	x += draw_text(0, x, cols - x, " opsdeck ", base | A_BOLD, 0);
	for (int f = 0; f < HEADER_FIELD_COUNT; f++)
		width[f] = app->header[f].text ? draw_width(app->header[f].text) : -1;
	header_shares(width, share, cols - x);
	for (int f = 0; f < HEADER_FIELD_COUNT; f++) {
		if (!app->header[f].text)
			continue;
		x += draw_text(0, x, cols - x, g->vbar, base, 0);
		x += draw_text(0, x, cols - x, " ", base, 0);
		x += draw_text(0, x, share[f], app->header[f].text,
			       app->header[f].alert ? style_attr(ROLE_HEADER_ALERT) : base, 0);
		x += draw_text(0, x, cols - x, " ", base, 0);
	}
	{
		char right[128];
		int rw;

		snprintf(right, sizeof(right), "%s%s ", app->conf->operator,
			 app->conf->read_only ? "  READ-ONLY" : "");
		rw = draw_width(right);
		if (x + rw < cols) {
			int ux = cols - rw;

			draw_text(0, ux, rw, app->conf->operator, base, 0);
			if (app->conf->read_only)
				draw_text(0, ux + draw_width(app->conf->operator) + 2, 9, "READ-ONLY",
					  style_attr(ROLE_BADGE) | A_BOLD, 0);
		}
	}
}

static void draw_tabs(struct app *app, int cols)
{
	int x = 0;

	draw_fill(1, 0, cols, style_attr(ROLE_TABBAR));
	for (int i = 0; i < pane_tab_count() && x < cols; i++) {
		enum pane_id id = pane_tab(i);
		char tab[48];
		attr_t a = id == app->active ? style_attr(ROLE_TAB_ACTIVE) | A_BOLD
					     : style_attr(ROLE_TABBAR);

		snprintf(tab, sizeof(tab), " %d %s ", i + 1, pane_info(id)->label);
		x += draw_text(1, x, cols - x, tab, a, 0);
		x += draw_text(1, x, cols - x, " ", style_attr(ROLE_TABBAR), 0);
	}
	/* A view without a tab shows as its command while it is open. */
	if (!pane_info(app->active)->tab && x < cols) {
		char tab[48];

		snprintf(tab, sizeof(tab), " :%s ", pane_info(app->active)->command);
		draw_text(1, x, cols - x, tab, style_attr(ROLE_TAB_ACTIVE) | A_BOLD, 0);
	}
}

static void hint_keys(struct app *app, struct buf *b, enum action a, const char *what)
{
	const struct pane_ops *ops = pane_ops_of(app->active);
	char keys[64];

	/* the active pane's word for a shared key (`/` searches the Logs pane) */
	for (size_t i = 0; !app->help && i < ops->nnotes; i++) {
		if (ops->notes[i].action == a && ops->notes[i].word)
			what = ops->notes[i].word;
	}

	keymap_describe(app->keymap, a, keys, sizeof(keys));
	if (!keys[0])
		return;
	/* First key only: the line is a reminder, help has the rest. */
	keys[strcspn(keys, ",")] = '\0';
	buf_printf(b, "%s%s %s", b->len ? "  " : "", keys, what);
}

/* Returns the cursor column if the prompt wants the cursor, else -1. */
static int draw_status(struct app *app, int row, int cols)
{
	if (app->prompt) {
		int lw;

		/* A message while typing (completions, errors) goes just above. */
		if (*message_text(app->msg))
			draw_text(row - 1, 0, cols, message_text(app->msg),
				  style_attr(message_is_error(app->msg) ? ROLE_MSG_ERROR
									: ROLE_MSG_INFO),
				  1);
		lw = draw_text(row, 0, cols, app->prompt->label, style_attr(ROLE_INPUT), 0);

		return lineedit_draw(&app->prompt->le, row, lw, cols - lw, style_attr(ROLE_INPUT));
	}
	if (*message_text(app->msg)) {
		/* a long one (a key map's error with its path) is wrapped
		 * upwards over the pane, whole, up to MESSAGE_LINES */
		const char *text = message_text(app->msg);
		int lines = draw_wrapped_height(text, cols);
		struct rect r;

		if (lines > MESSAGE_LINES)
			lines = MESSAGE_LINES;
		if (lines < 1 || lines > row - 2)
			lines = 1;
		r = (struct rect){ row - lines + 1, 0, lines, cols };
		draw_wrapped(&r, text,
			     style_attr(message_is_error(app->msg) ? ROLE_MSG_ERROR : ROLE_MSG_INFO));
		return -1;
	}
	{
		struct buf b = BUF_INIT;

		hint_keys(app, &b, ACTION_HELP, "help");
		hint_keys(app, &b, ACTION_COMMAND, "command");
		hint_keys(app, &b, ACTION_FILTER, "filter");
		hint_keys(app, &b, ACTION_PANE_NEXT, "next pane");
		hint_keys(app, &b, ACTION_QUIT, "quit");
		draw_text(row, 0, cols, buf_str(&b), style_attr(ROLE_STATUSLINE), 1);
		buf_free(&b);
	}
	return -1;
}

static void draw_dialog(struct app *app, int rows, int cols)
{
	int w = draw_width(app->dialog->question) + 6;
	struct rect r;

	if (w < 40)
		w = 40;
	if (w > cols - 4)
		w = cols - 4;
	r = (struct rect){ rows / 2 - 3, (cols - w) / 2, 6, w };
	draw_box(&r, "Confirm", style_attr(ROLE_BORDER), style_attr(ROLE_DIALOG));
	draw_text(r.y + 2, r.x + 2, r.w - 4, app->dialog->question, style_attr(ROLE_DIALOG), 0);
	draw_text(r.y + 3, r.x + 2, r.w - 4, "y = yes, n / Enter / Esc = no  [y/N]",
		  style_attr(ROLE_DIALOG) | A_BOLD, 0);
}

static void draw_too_small(int rows, int cols)
{
	char l1[80];
	const char *lines[2];
	struct rect r = { 0, 0, rows, cols };

	snprintf(l1, sizeof(l1), "Terminal too small: %dx%d", cols, rows);
	lines[0] = l1;
	lines[1] = "opsdeck needs at least 80x24";
	erase();
	draw_centered(&r, lines, 2, style_attr(ROLE_MSG_ERROR) | A_BOLD);
}

static void draw_all(struct app *app)
{
	int rows = LINES, cols = COLS, cursor = -1, cy = -1, cx = -1;

	if (cols < MIN_COLS || rows < MIN_ROWS) {
		curs_set(0);
		draw_too_small(rows, cols);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	draw_header(app, cols);
	draw_tabs(app, cols);
	{
		struct rect body = { 2, 0, rows - 3, cols };

		for (int y = body.y; y < body.y + body.h; y++)
			draw_fill(y, 0, cols, style_attr(ROLE_NORMAL));
		pane_ops_of(app->active)->draw(app->pane_state[app->active], app, &body);
		if (app->help) {
			struct rect screen = { 2, 0, rows - 3, cols };

			help_draw(app->help, &screen);
		}
	}
	if (app->form) {
		struct rect screen = { 2, 0, rows - 3, cols };

		form_draw(app->form, &screen, &cy, &cx);
	}
	if (app->dialog)
		draw_dialog(app, rows, cols);
	cursor = draw_status(app, rows - 1, cols);
	if (cursor >= 0) {
		cy = rows - 1;
		cx = cursor;
	}
	if (cy >= 0 && !app->dialog) {
		move(cy, cx < cols ? cx : cols - 1);
		curs_set(1);
	} else {
		curs_set(0);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- keys ---- */

static void dialog_key(struct app *app, keycode k)
{
	struct app_dialog *d = app->dialog;

	app->dialog = NULL;
	app->dirty = true;
	if (k == 'y' || k == 'Y')
		d->fn(app, d->ud);
	free(d->question);
	free(d);
}

static void prompt_key(struct app *app, keycode k)
{
	struct app_prompt_state *p = app->prompt;

	if (p->ops->on_key && p->ops->on_key(app, &p->le, k, p->ud)) {
		app->dirty = true;
		return;
	}
	if (k == KC_ENTER || k == KC_ESC || k == KEY_CTRL('g')) {
		char *text = k == KC_ENTER ? xstrdup(lineedit_text(&p->le)) : NULL;
		const struct app_prompt_ops *ops = p->ops;
		void *ud = p->ud;

		/* Closed first: on_done may open another prompt or dialog. */
		close_prompt(app);
		if (ops->on_done)
			ops->on_done(app, text, ud);
		free(text);
		return;
	}
	if (lineedit_key(&p->le, k)) {
		if (p->ops->on_change)
			p->ops->on_change(app, lineedit_text(&p->le), p->ud);
		app->dirty = true;
	}
}

/* Tab cycles through the tabs (step 1 or -1); from a view without one it
 * goes to the first (or, backwards, the last). */
static void cycle_tabs(struct app *app, int step)
{
	int n = pane_tab_count(), at = pane_tab_index(app->active);

	if (at < 0)
		at = step > 0 ? n - 1 : 0;
	app_show_pane(app, pane_tab((at + step + n) % n), NULL);
}

static bool global_action(struct app *app, enum action a)
{
	switch (a) {
	case ACTION_QUIT: app_quit(app, false); return true;
	case ACTION_HELP: app_open_help(app); return true;
	case ACTION_COMMAND: open_command_line(app); return true;
	case ACTION_PANE_NEXT: cycle_tabs(app, 1); return true;
	case ACTION_PANE_PREV: cycle_tabs(app, -1); return true;
	case ACTION_REDRAW: clearok(curscr, TRUE); app->dirty = true; return true;
	case ACTION_CANCEL: clear_message(app); app->dirty = true; return true;
	default: break;
	}
	/* A tab's number key. */
	if (pane_by_action(a) != PANE_COUNT) {
		app_show_pane(app, pane_by_action(a), NULL);
		return true;
	}
	return false;
}

static void help_key(struct app *app, keycode k)
{
	enum action a = keymap_lookup(app->keymap, SCOPE_LIST, k);

	switch (a) {
	case ACTION_FILTER: open_filter(app, help_table(app->help)); return;
	case ACTION_CANCEL:
	case ACTION_HELP:
	case ACTION_QUIT: close_help(app); return;
	case ACTION_COMMAND: close_help(app); open_command_line(app); return;
	default: break;
	}
	if (table_on_action(help_table(app->help), a) & PANE_REDRAW)
		app->dirty = true;
}

/* Y: the pane's value under the cursor, else the first cell of its row,
 * to the terminal's clipboard. The message says how much, never what: it
 * may be a revealed credential. */
static void copy_under_cursor(struct app *app, const struct pane_ops *ops, void *st)
{
	struct table *t = ops->table ? ops->table(st) : NULL;
	char *text = ops->copy_text ? ops->copy_text(st) : NULL;

	if (!text && t && table_model_nvisible(table_model(t)) > 0) {
		struct table_model *tm = table_model(t);

		text = xstrdup(table_model_cell(tm, table_model_cursor(tm), 0));
	}
	size_t chars = 0;

	for (const char *c = text; c && *c; c++) /* code points: no continuation bytes */
		chars += ((unsigned char)*c & 0xc0) != 0x80;
	if (!text || !*text)
		app_error(app, "Nothing here to copy");
	else if (!term_copy(text))
		app_error(app, "Too long to copy (%zu bytes; at most %d)", strlen(text),
			  TERM_COPY_MAX);
	else
		app_info(app, "Copied %zu character%s to the clipboard", chars, chars == 1 ? "" : "s");
	/* it may be a revealed credential */
	if (text)
		secret_wipe(text, strlen(text));
	free(text);
}

static void key_now(struct app *app, keycode k)
{
	const struct pane_ops *ops = pane_ops_of(app->active);
	void *st = app->pane_state[app->active];
	enum action a;
	unsigned flags;

	if (message_is_error(app->msg) && !app->prompt)
		clear_message(app);
	app->dirty = true;
	/* a prompt that keeps its place has the keys before a dialog opened
	 * under it */
	if (app->dialog && !(app->prompt && app->prompt->ops->keep)) {
		dialog_key(app, k);
		return;
	}
	if (app->prompt) {
		prompt_key(app, k);
		return;
	}
	/* Ctrl-c quits at once, as it would in a shell: raw mode delivers it as
	 * a key instead of SIGINT. */
	if (k == KEY_CTRL('c')) {
		app_quit(app, true);
		return;
	}
	if (app->form) {
		if (form_key(app->form, app, k) != FORM_CONTINUE) {
			form_free(app->form);
			app->form = NULL;
		}
		return;
	}
	if (app->help) {
		help_key(app, k);
		return;
	}
	a = keymap_lookup(app->keymap, pane_info(app->active)->scope, k);
	flags = ops->on_key ? ops->on_key(st, app, a, k) : PANE_IGNORED;
	if (flags & PANE_HANDLED)
		return;
	if (a == ACTION_COPY) {
		copy_under_cursor(app, ops, st);
		return;
	}
	if (ops->table && ops->table(st)) {
		struct table *t = ops->table(st);

		if (a == ACTION_FILTER) {
			open_filter(app, t);
			return;
		}
		if (table_on_action(t, a) & PANE_HANDLED)
			return;
	}
	if (!global_action(app, a) && a == ACTION_NONE) {
		char name[32];

		key_format(k, name, sizeof(name));
		app_info(app, "%s is not bound here (? lists the keys)", name);
	}
}

static void handle_key(struct app *app, keycode k)
{
	key_now(app, k);
	if (!app->quitting)
		line_check(app);
}

static void handle_mouse(struct app *app, keycode k)
{
	const struct pane_ops *ops = pane_ops_of(app->active);
	void *st = app->pane_state[app->active];
	enum action a = k == KC_UP ? ACTION_CURSOR_UP
			: k == KC_DOWN ? ACTION_CURSOR_DOWN
			: k == KC_ENTER ? ACTION_SELECT
					: ACTION_NONE;
	struct table *t;

	if (a == ACTION_NONE || app->dialog || app->prompt || app->form)
		return;
	if (app->help) {
		table_on_action(help_table(app->help), a);
	} else if (!(ops->on_key && (ops->on_key(st, app, a, KC_NONE) & PANE_HANDLED)) &&
		   ops->table && (t = ops->table(st)) != NULL) {
		table_on_action(t, a);
	}
	app->dirty = true;
}

static void esc_timeout(struct loop *loop, void *ud)
{
	struct app *app = ud;
	keycode k;

	(void)loop;
	app->esc_timer = NULL;
	if (input_flush_esc(&app->input, &k))
		handle_key(app, k);
}

static void terminal_gone(struct app *app)
{
	app->terminal_gone = true;
	app->quitting = true;
	loop_stop(app->loop);
}

static void stdin_ready(struct loop *loop, int fd, unsigned events, void *ud)
{
	struct app *app = ud;
	bool got = false;

	(void)loop;
	(void)fd;
	/* Input that comes after the ESC wait has passed follows an Esc key
	 * on its own, whichever of the timer and the input is served first. */
	if (app->esc_timer && loop_now_ms() - app->esc_since_ms >= INPUT_ESC_WAIT_MS) {
		loop_timer_cancel(app->esc_timer);
		esc_timeout(loop, app);
		if (app->quitting)
			return;
	}
	for (;;) {
		keycode k = KC_NONE;
		int row = 0;
		enum input_kind kind = input_read(&app->input, &k, &row);

		if (kind == INPUT_NONE)
			break;
		got = true;
		if (kind == INPUT_RESIZE) {
			app->dirty = true;
		} else if (kind == INPUT_MOUSE) {
			handle_mouse(app, k);
		} else {
			handle_key(app, k);
		}
		if (app->quitting)
			return;
	}
	if (input_pending(&app->input)) {
		got = true;
		if (!app->esc_timer) {
			app->esc_timer = loop_timer_add(app->loop, INPUT_ESC_WAIT_MS, 0,
							esc_timeout, app);
			app->esc_since_ms = loop_now_ms();
		}
	}
	/* POLLHUP, or readable with nothing to read again and again: EOF or
	 * EIO, the terminal is gone. Exiting beats spinning in the background. */
	if (events & LOOP_ERROR) {
		terminal_gone(app);
		return;
	}
	app->empty_reads = got ? 0 : app->empty_reads + 1;
	if (app->empty_reads >= EMPTY_READS_GONE)
		terminal_gone(app);
}

void app_suspend(struct app *app)
{
	if (app->suspended)
		return;
	app->suspended = true;
	loop_watch_remove(app->stdin_watch);
	app->stdin_watch = NULL;
	loop_timer_cancel(app->esc_timer);
	app->esc_timer = NULL;
	term_suspend();
}

void app_resume(struct app *app)
{
	if (!app->suspended)
		return;
	app->suspended = false;
	term_resume();
	app->empty_reads = 0;
	app->stdin_watch = loop_watch_fd(app->loop, STDIN_FILENO, LOOP_READ, stdin_ready, app);
	app->dirty = true;
}

bool app_suspended(const struct app *app)
{
	return app->suspended;
}

/* ---- signals ---- */

static void on_signal(struct loop *loop, int signo, void *ud)
{
	struct app *app = ud;

	(void)loop;
	switch (signo) {
	case SIGWINCH:
		if (app->suspended)
			break; /* app_resume reads the size */
		term_resize();
		clear();
		app->dirty = true;
		break;
	case SIGHUP:
		foreground_abandon(signo);
		terminal_gone(app);
		break;
	case SIGINT:
	case SIGTERM:
		foreground_abandon(signo);
		stop_console(app);
		break;
	default:
		break;
	}
}

/* ---- start and stop ---- */

static void load_look(struct app *app, const char *conf_warning)
{
	struct err theme_err = { { 0 } }, km_err = { { 0 } }, km_warn = { { 0 } };
	const char *nc = getenv("NO_COLOR");

	/* NO_COLOR (no-color.org): present and not empty disables colour. */
	app->no_color = nc && *nc;
	if (!theme_load(app->no_color ? "mono" : app->conf->theme, &app->theme, &theme_err))
		theme_builtin(&app->theme);
	style_apply(&app->theme, app->no_color);
	app->keymap = keymap_load(app->conf->keymap, &km_err, &km_warn);
	if (!app->keymap)
		app->keymap = keymap_builtin();
	/* One line to show: the most important problem first. */
	if (conf_warning)
		app_error(app, "%s", conf_warning);
	else if (err_isset(&theme_err))
		app_error(app, "%s (using the default theme)", theme_err.msg);
	else if (err_isset(&km_err))
		app_error(app, "%s (using the default key map)", km_err.msg);
	else if (err_isset(&km_warn))
		app_error(app, "%s (using the shipped key map)", km_warn.msg);
}

/* ---- the database in the header ---- */

static void header_db_changed(void *ud, const struct db_live_change *ch)
{
	struct app *app = ud;
	char text[200];
	bool alert;

	if (ch && !ch->state)
		return;
	db_live_header(app->live, text, sizeof(text), &alert);
	/* Called for every list read too: only a new state is news. */
	if (app->header[HEADER_DB].text && app->header[HEADER_DB].alert == alert &&
	    strcmp(app->header[HEADER_DB].text, text) == 0)
		return;
	app_set_header(app, HEADER_DB, text, alert);
}

static void header_db_start(struct app *app)
{
	if (!app_db_configured(app)) {
		app_set_header(app, HEADER_DB, "db: not configured", true);
		return;
	}
	app->live = db_live_join(app->loop, app->conf, header_db_changed, app);
	header_db_changed(app, NULL);
	app->clusters = cluster_header_new(app);
}

/* Appends ", <text>" (or "<text>" to an empty buffer) when n > 0. */
static void add_count(char *buf, size_t bufsz, size_t n, const char *one, const char *many)
{
	size_t len = strlen(buf);

	if (n == 0 || len >= bufsz)
		return;
	snprintf(buf + len, bufsz - len, "%s%zu %s", len ? ", " : "", n, n == 1 ? one : many);
}

/* What a periodic reconcile pass found, in one line; "" for nothing worth
 * a word (a store that was fine again at the second look is not). */
static void reconcile_summary(const struct reconcile_report *rep, char *out, size_t outsz,
			      bool *alert)
{
	size_t marked = 0, orphans = 0, terminating = 0, stuck = 0, unreachable = 0, unchecked = 0;
	const struct reconcile_finding *one = NULL;
	char what[300] = "";

	*alert = false;
	out[0] = '\0';
	if (rep->error[0]) {
		snprintf(out, outsz, "Reconcile: %.300s", rep->error);
		*alert = true;
		return;
	}
	for (size_t i = 0; i < rep->n; i++) {
		const struct reconcile_finding *f = &rep->v[i];

		if (strcmp(f->kind, "drift") == 0 && f->acted) {
			marked++;
			one = f;
		}
		orphans += strcmp(f->kind, "orphan") == 0;
		terminating += strcmp(f->kind, "terminating") == 0;
		stuck += strcmp(f->kind, "stuck") == 0;
		unreachable += strcmp(f->kind, "unreachable") == 0;
		unchecked += strcmp(f->kind, "unchecked") == 0;
	}
	if (marked == 1)
		snprintf(what, sizeof(what), "store %s marked Failed (drift: %.200s)", one->store,
			 one->reason);
	else
		add_count(what, sizeof(what), marked, "", "stores marked Failed (drift)");
	add_count(what, sizeof(what), orphans, "orphan namespace", "orphan namespaces");
	add_count(what, sizeof(what), terminating, "namespace stuck Terminating",
		  "namespaces stuck Terminating");
	add_count(what, sizeof(what), stuck, "store or job stuck", "stores or jobs stuck");
	add_count(what, sizeof(what), unreachable, "cluster unreachable", "clusters unreachable");
	add_count(what, sizeof(what), unchecked, "store or list not checked",
		  "stores or lists not checked");
	if (rep->problem[0]) {
		/* what went wrong matters more than what was found */
		snprintf(out, outsz, "Reconcile: %.300s%s%s", rep->problem, what[0] ? "; " : "",
			 what);
		*alert = true;
		return;
	}
	if (!what[0])
		return;
	*alert = marked > 0;
	snprintf(out, outsz, "Reconcile: %s (:reconcile lists them)", what);
}

/* The runner's periodic reconcile pass: the :reconcile view takes the
 * report; what it found goes on the message line once, not again while
 * the next passes find the same (drift itself is in the audit trail,
 * through opsdeck.store_drift), unless that view is open. */
static void runner_reconciled(void *ud, const struct reconcile_report *rep)
{
	struct app *app = ud;
	const struct app_event ev = { .kind = APP_EVENT_RECONCILE };
	char text[sizeof(app->reconcile_said)];
	bool alert;

	app_post(app, &ev);
	reconcile_summary(rep, text, sizeof(text), &alert);
	if (strcmp(text, app->reconcile_said) == 0)
		return;
	str_copy(app->reconcile_said, sizeof(app->reconcile_said), text);
	/* The view shows the findings themselves, and the message line keeps
	 * what was just done there (a deletion's outcome). */
	if (!text[0] || app->active == PANE_RECONCILE)
		return;
	if (alert)
		app_error(app, "%s", text);
	else
		app_info(app, "%s", text);
}

/* The console runs provisioning jobs itself unless told not to, on its own
 * loop and with its own database connection (runner.h), and reconciles
 * every worker.reconcile_interval seconds as a worker does. */
static void runner_start(struct app *app)
{
	struct runner_opts ro = { .reconcile_s = app->conf->reconcile_interval_s };
	struct err err = { { 0 } };

	if (!app->conf->worker || app->conf->read_only || !app_db_configured(app))
		return;
	app->runner = runner_new(app->loop, app->conf, &ro, &err);
	if (!app->runner) {
		app_error(app, "cannot run jobs in this console: %s", err.msg);
		return;
	}
	runner_on_reconcile(app->runner, runner_reconciled, app);
}

static void app_free(struct app *app)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_ops *ops = pane_ops_of((enum pane_id)i);

		if (ops->destroy)
			ops->destroy(app->pane_state[i]);
	}
	if (app->dialog) {
		free(app->dialog->question);
		free(app->dialog);
	}
	close_prompt(app);
	if (app->prompt_waiting) {
		lineedit_free(&app->prompt_waiting->le);
		free(app->prompt_waiting);
	}
	form_free(app->form);
	help_free(app->help);
	cmdline_free(app->cmdline);
	keymap_free(app->keymap);
	runner_free(app->runner);
	message_line_free(app->msg);
	loop_timer_cancel(app->stop_timer);
	cluster_header_free(app->clusters);
	db_live_leave(app->live, header_db_changed, app);
	/* After every client: they ride its forwards. */
	tunnel_header_free(app->tunnels);
	for (int f = 0; f < HEADER_FIELD_COUNT; f++)
		free(app->header[f].text);
	free(app->filter_before);
	loop_free(app->loop);
	free(app);
}

/* The console migrates the schema at start, as the worker does, before the
 * terminal is taken and before the loop runs (the only blocking database
 * call it makes). A database that cannot be reached is not fatal: the
 * console starts and shows it as down. */
struct start_migration {
	const struct conf *conf;
	struct err problem; /* connected, but the migration failed */
	atomic_bool done;
};

static void *start_migration_run(void *arg)
{
	struct start_migration *m = arg;
	struct err err = { { 0 } };
	PGconn *pg = db_open(m->conf->database, &err);

	if (pg && !migrate_ensure(pg, m->conf, &err))
		m->problem = err;
	db_close(pg);
	atomic_store(&m->done, true);
	return NULL;
}

static void migrate_at_start(struct app *app, struct err *problem)
{
	struct start_migration m = { .conf = app->conf };
	pthread_t thread;
	char lport[8];
	int rc;

	if (!app_db_configured(app))
		return;
	if (!db_tunnel()) {
		start_migration_run(&m);
		*problem = m.problem;
		return;
	}
	/* Through a tunnel carried by this loop: the route is asked here, on
	 * the loop's thread, and the loop runs while the migration waits on a
	 * thread of its own (a passphrase is asked on the terminal meanwhile). */
	if (!db_conn_route(app->conf->database, lport, sizeof(lport), problem))
		return;
	rc = pthread_create(&thread, NULL, start_migration_run, &m);
	if (rc != 0) {
		err_set(problem, "the database schema was not migrated: cannot start a thread (%s)",
			strerror(rc));
		return;
	}
	while (!atomic_load(&m.done))
		loop_run_once(app->loop, 20);
	pthread_join(thread, NULL);
	*problem = m.problem;
}

int app_run(const struct app_options *opts)
{
	struct app *app = xcalloc(1, sizeof(*app));
	static const int sigs[] = { SIGWINCH, SIGHUP, SIGINT, SIGTERM };
	bool gone;

	struct err migrate_problem = { { 0 } };

	app->conf = opts->conf;
	app->loop = loop_new();
	app->msg = message_line_new(app->loop, message_changed, app);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "opsdeck: the console needs a terminal (use a command such as "
				"`opsdeck store list` in scripts)\n");
		message_line_free(app->msg);
		loop_free(app->loop);
		free(app);
		return 1;
	}
	app->tunnels = tunnel_header_new(app);
	migrate_at_start(app, &migrate_problem);
	if (!term_start(app->conf->mouse)) {
		fprintf(stderr, "opsdeck: cannot start the terminal (is TERM set?)\n");
		tunnel_header_free(app->tunnels);
		loop_free(app->loop);
		free(app);
		return 1;
	}
	tunnel_header_screen(app->tunnels, true);
	fatal_set_hook(term_stop);
	term_install_crash_handler();
	style_set_utf8(term_utf8());
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		loop_signal(app->loop, sigs[i], on_signal, app);
	app->stdin_watch = loop_watch_fd(app->loop, STDIN_FILENO, LOOP_READ, stdin_ready, app);
	app->cmdline = cmdline_new(&(struct cmdline_host){ .ud = app,
							   .say = command_say,
							   .complete = command_complete,
							   .run = command_run });
	load_look(app, opts->conf_warning);
	if (err_isset(&migrate_problem))
		app_error(app, "%s", migrate_problem.msg);
	header_db_start(app);
	runner_start(app);
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_ops *ops = pane_ops_of((enum pane_id)i);

		app->pane_state[i] = ops->init ? ops->init(app) : NULL;
	}
	app_show_pane(app, PANE_STORES, NULL);

	app->dirty = true;
	while (!loop_stopped(app->loop)) {
		if (app->dirty && !app->suspended) {
			app->dirty = false;
			draw_all(app);
		}
		if (loop_run_once(app->loop, -1) < 0 && errno != EINTR)
			break;
	}
	gone = app->terminal_gone;
	tunnel_header_screen(app->tunnels, false);
	term_stop();
	fatal_set_hook(NULL);
	app_free(app);
	return gone ? 1 : 0;
}
