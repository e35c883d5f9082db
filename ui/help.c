#include "config.h"

#include "help.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pane.h"
#include "style.h"
#include "table.h"
#include "util.h"

struct help {
	struct table *table;
	char *title;
};

enum { COL_ACTION, COL_KEYS, COL_SCOPE, COL_DESCRIPTION };

/* ACTION is as wide as its longest entry when there is room; on a narrow
 * screen it yields to DESCRIPTION down to the longest action name (a name
 * cut short cannot be typed into a key map): a `:` command with its
 * arguments may be cut, as the row under the cursor is also shown whole,
 * wrapped, below the table. */
static const struct table_column help_columns[] = {
	{ .title = "ACTION", .min_width = 14, .max_width = 20, .priority = 0 },
	{ .title = "KEYS", .min_width = 10, .max_width = 24, .priority = 0 },
	{ .title = "SCOPE", .min_width = 6, .max_width = 9, .priority = 2 },
	{ .title = "DESCRIPTION", .min_width = 16, .max_width = 60, .flex = 1, .priority = 1 },
};


/* Lines under the table for the row under the cursor. */
#define FOOTER_LINES 2

/* The widest action name. */
static int action_name_width(void)
{
	int w = 0;

	for (int a = 0; a < ACTION_COUNT; a++) {
		int n = utf8_width(action_info((enum action)a)->name);

		w = n > w ? n : w;
	}
	return w;
}

/* The widest ACTION cell: action names and `:` commands with their
 * arguments. */
static int action_width(const struct command_help *cmds, size_t ncmds)
{
	int w = action_name_width();

	for (size_t i = 0; i < ncmds; i++) {
		/* ":" NAME [" " ARGS] */
		int n = 1 + utf8_width(cmds[i].name) + (*cmds[i].args ? 1 + utf8_width(cmds[i].args) : 0);

		w = n > w ? n : w;
	}
	return w;
}

struct help *help_new(const struct keymap *km)
{
	return help_new_in(km, NULL, SCOPE_COUNT, NULL, 0);
}

/* A row's place in a pane's help: its own keys, the shared ones it gives
 * a meaning of its own, what works everywhere, the lists', and last the
 * other panes'. */
static int scope_rank(enum action_scope s, enum action_scope pane, bool noted)
{
	if (s == pane)
		return 0;
	if (noted)
		return 1;
	if (s == SCOPE_GLOBAL)
		return 2;
	if (s == SCOPE_LIST)
		return 3;
	return 4;
}

static const struct pane_key_note *note_of(enum action a, const struct pane_key_note *notes,
					   size_t nnotes)
{
	for (size_t i = 0; i < nnotes; i++) {
		if (notes[i].action == a)
			return &notes[i];
	}
	return NULL;
}

struct help *help_new_in(const struct keymap *km, const char *pane, enum action_scope scope,
			 const struct pane_key_note *notes, size_t nnotes)
{
	struct help *h = xcalloc(1, sizeof(*h));
	struct table_model *m;
	const struct command_help *cmds;
	size_t ncmds = commands_help(&cmds);
	struct table_column cols[ARRAY_LEN(help_columns)];

	memcpy(cols, help_columns, sizeof(cols));
	cols[COL_ACTION].max_width = action_width(cmds, ncmds);
	cols[COL_ACTION].min_width = action_name_width();
	h->title = xasprintf("Help: key map %s%s%s%s  (/ filter, Esc close)", keymap_name(km),
			     pane ? ", in the " : "", pane ? pane : "", pane ? " pane" : "");
	h->table = table_new(h->title, cols, ARRAY_LEN(cols));
	m = table_model(h->table);
	table_model_begin(m);
	for (int rank = 0; rank <= 4; rank++) {
		for (int a = 0; a < ACTION_COUNT; a++) {
			const struct action_info *ai = action_info((enum action)a);
			const struct pane_key_note *note = note_of((enum action)a, notes, nnotes);
			char keys[128];
			const char *cells[4];

			/* without a pane, every row in the key map's order */
			if ((pane ? scope_rank(ai->scope, scope, note != NULL) : 0) != rank ||
			    (note && !note->description))
				continue;
			keymap_describe(km, (enum action)a, keys, sizeof(keys));
			cells[0] = ai->name;
			cells[1] = keys[0] ? keys : "(unbound)";
			cells[2] = action_scope_name(ai->scope);
			cells[3] = note ? note->description : ai->description;
			table_model_add(m, ai->name, cells, keys[0] ? -1 : ROLE_DIM, -1);
		}
		if (!pane)
			break;
	}
	for (size_t i = 0; i < ncmds; i++) {
		char name[128], key[96];
		const char *cells[4];

		snprintf(name, sizeof(name), ":%s%s%s", cmds[i].name, *cmds[i].args ? " " : "",
			 cmds[i].args);
		snprintf(key, sizeof(key), "cmd:%s", cmds[i].name);
		cells[0] = name;
		cells[1] = ":";
		cells[2] = "command";
		cells[3] = cmds[i].help;
		table_model_add(m, key, cells, -1, -1);
	}
	table_model_end(m);
	return h;
}

void help_free(struct help *h)
{
	if (!h)
		return;
	table_free(h->table);
	free(h->title);
	free(h);
}

struct table *help_table(struct help *h)
{
	return h->table;
}

/* The row under the cursor, whole: "ACTION (KEYS): DESCRIPTION". */
static char *footer_text(struct help *h)
{
	struct table_model *m = table_model(h->table);
	size_t c = table_model_cursor(m);
	const char *keys;

	if (table_model_nvisible(m) == 0)
		return NULL;
	keys = table_model_cell(m, c, COL_KEYS);
	if (strcmp(keys, ":") == 0)
		return xasprintf("%s: %s", table_model_cell(m, c, COL_ACTION),
				 table_model_cell(m, c, COL_DESCRIPTION));
	return xasprintf("%s (%s): %s", table_model_cell(m, c, COL_ACTION), keys,
			 table_model_cell(m, c, COL_DESCRIPTION));
}

void help_draw(struct help *h, const struct rect *screen)
{
	struct rect box = { screen->y + 1, screen->x + 2, screen->h - 2, screen->w - 4 };
	struct rect inner = { box.y + 1, box.x + 1, box.h - 2, box.w - 2 };
	char *text = footer_text(h);

	/* nothing of the pane below shows around the box */
	for (int y = screen->y; y < screen->y + screen->h; y++)
		draw_fill(y, screen->x, screen->w, style_attr(ROLE_NORMAL));
	draw_box(&box, "Help", style_attr(ROLE_BORDER), style_attr(ROLE_DIALOG));
	table_draw_footed(h->table, &inner, true, text, FOOTER_LINES, style_attr(ROLE_DIALOG));
	free(text);
}
