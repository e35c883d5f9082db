/* A pane is one tab of the console: a small vtable in the spirit of tig's
 * view_ops. Handlers return what must happen (flags); they do not refresh the
 * screen themselves: the app draws once per loop turn. Panes read from core
 * caches and submit core operations; they never call libpq, libcurl or
 * libssh2 directly. */
#ifndef OPSDECK_UI_PANE_H
#define OPSDECK_UI_PANE_H

#include <stddef.h>

#include "actions.h"
#include "draw.h"
#include "keymap.h"
#include "pane_list.h"

struct app;
struct table;

enum {
	PANE_IGNORED = 0,
	PANE_HANDLED = 1 << 0, /* the key was used */
	PANE_REDRAW = 1 << 1,  /* the screen must be redrawn */
};

/* Something happened outside the pane: a subsystem changed state or data. */
enum app_event_kind {
	APP_EVENT_DB_STATE,  /* the database connection went up or down */
	APP_EVENT_DB_CHANGE, /* a row changed: table names the table */
	APP_EVENT_CONF,	     /* theme, key map or settings changed */
	APP_EVENT_RECONCILE, /* the console's runner ended a reconcile pass */
};

struct app_event {
	enum app_event_kind kind;
	const char *table;   /* APP_EVENT_DB_CHANGE: "stores", "projects"… */
	const char *payload; /* the notification's JSON, if any */
};

/* A word a pane's `:` command takes first (`:catalog pause medusa`),
 * declared once: the pane dispatches on its id, the command line completes
 * it, and help lists it with its arguments. */
struct pane_verb {
	const char *name; /* "pause" */
	const char *args; /* "[OFFERING]", or "" */
	const char *help;
	int id; /* the pane's own number for it */
};

/* What a shared key does in a pane where it means more than its action's
 * description says (`/` searches the Logs pane): the footer names it by
 * word and help, opened there, shows the description in its row. */
struct pane_key_note {
	enum action action;
	const char *word; /* the footer's word for it ("search"), or NULL */
	const char *description;
};

/* A pane's behaviour. Its name, tab and key scope are in its PANE_LIST
 * line (pane_list.h); the registry (panes.h) joins the two. */
struct pane_ops {
	/* Its `:` command's arguments and help line, for help and the
	 * command line: "[VERB ...]", "Show the Catalog pane; its verbs follow". */
	const char *args;
	const char *help;
	void *(*init)(struct app *app);
	void (*destroy)(void *st);
	void (*draw)(void *st, struct app *app, const struct rect *r);
	/* a is the action k means in the pane's scope (or ACTION_NONE). */
	unsigned (*on_key)(void *st, struct app *app, enum action a, keycode k);
	/* Shown (again); arg is the text after the `:` command, or NULL. */
	void (*on_show)(void *st, struct app *app, const char *arg);
	unsigned (*on_event)(void *st, struct app *app, const struct app_event *ev);
	/* The pane's main table, for `/` filtering; NULL if none. */
	struct table *(*table)(void *st);
	/* What copy (Y) puts on the clipboard, allocated, or NULL for the
	 * first cell of the table's row under the cursor. Optional. */
	char *(*copy_text)(void *st);
	/* The words its `:` command takes, if any (nverbs of them). */
	const struct pane_verb *verbs;
	size_t nverbs;
	/* Candidates for the word after verb (names of offerings, projects…)
	 * starting with prefix, each allocated; returns how many. Optional.
	 * A candidate may carry a note after a tab ("web\t4f1c2a9be310"): the
	 * list shows it beside the word, the line gets the word alone. */
	size_t (*complete)(void *st, const struct pane_verb *verb, const char *prefix,
			   char ***out);
	/* Its own meaning of shared keys (nnotes of them). Optional. */
	const struct pane_key_note *notes;
	size_t nnotes;
};

/* pane_<command>_ops, defined in ui/pane_<command>.c. */
#define PANE_OPS_DECLARE(id, command, label, kind, ctx) \
	extern const struct pane_ops pane_##command##_ops;
PANE_LIST(PANE_OPS_DECLARE, )
#undef PANE_OPS_DECLARE

/* Parses a pane command's argument, "VERB [WORD]", against ops->verbs.
 * Returns the verb with WORD (or "") in word, or NULL after saying on the
 * message line what is wrong: an unknown verb (listing the known ones), a
 * word too many, a word too long. */
const struct pane_verb *cmdline_pane_verb(struct app *app, const struct pane_ops *ops,
					  const char *arg, char *word, size_t wordsz);

#endif
