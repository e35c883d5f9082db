#include "config.h"

#include "help.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmdline.h"
#include "style.h"
#include "table.h"
#include "util.h"

struct help {
	struct table *table;
	char *title;
};

static const struct table_column help_columns[] = {
	{ .title = "ACTION", .min_width = 14, .max_width = 20, .priority = 0 },
	{ .title = "KEYS", .min_width = 10, .max_width = 24, .priority = 0 },
	{ .title = "SCOPE", .min_width = 6, .max_width = 9, .priority = 2 },
	{ .title = "DESCRIPTION", .min_width = 20, .flex = 1, .priority = 1 },
};

struct help *help_new(const struct keymap *km)
{
	struct help *h = xcalloc(1, sizeof(*h));
	struct table_model *m;
	const struct cmdline_info *cmds;
	size_t ncmds = cmdline_list(&cmds);

	h->title = xasprintf("Help: key map %s  (/ filter, Esc close)", keymap_name(km));
	h->table = table_new(h->title, help_columns, ARRAY_LEN(help_columns));
	m = table_model(h->table);
	table_model_begin(m);
	for (int a = 0; a < ACTION_COUNT; a++) {
		const struct action_info *ai = action_info((enum action)a);
		char keys[128];
		const char *cells[4];

		keymap_describe(km, (enum action)a, keys, sizeof(keys));
		cells[0] = ai->name;
		cells[1] = keys[0] ? keys : "(unbound)";
		cells[2] = action_scope_name(ai->scope);
		cells[3] = ai->description;
		table_model_add(m, ai->name, cells, keys[0] ? -1 : ROLE_DIM, -1);
	}
	for (size_t i = 0; i < ncmds; i++) {
		char name[64], key[80];
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

void help_draw(struct help *h, const struct rect *screen)
{
	struct rect box = { screen->y + 1, screen->x + 2, screen->h - 2, screen->w - 4 };
	struct rect inner = { box.y + 1, box.x + 1, box.h - 2, box.w - 2 };

	draw_box(&box, "Help", style_attr(ROLE_BORDER), style_attr(ROLE_DIALOG));
	table_draw(h->table, &inner, true);
}
