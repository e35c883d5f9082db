#include "config.h"

#include "commands.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* Help lists each pane verb on its own line; this bounds them all. */
#define HELP_VERBS_MAX 32

static const struct command_info shell_commands[] = {
	{ "theme", "NAME", "Switch the colour theme", COMMAND_THEME, PANE_COUNT },
	{ "keymap", "NAME", "Switch the key map", COMMAND_KEYMAP, PANE_COUNT },
	{ "help", "", "Show the keys and commands", COMMAND_HELP, PANE_COUNT },
	{ "quit", "", "Quit (asks first if work is running)", COMMAND_QUIT, PANE_COUNT },
	{ "q", "", "Quit (asks first if work is running)", COMMAND_QUIT, PANE_COUNT },
	{ "q!", "", "Quit without asking", COMMAND_QUIT_FORCE, PANE_COUNT },
};

#define NCOMMANDS (PANE_COUNT + ARRAY_LEN(shell_commands))

/* Built once: a pane's args and help are in its ops, which a static
 * initialiser cannot read. */
static const struct command_info *all_commands(void)
{
	static struct command_info all[NCOMMANDS];
	static bool built;

	if (built)
		return all;
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_info *p = pane_info((enum pane_id)i);

		all[i] = (struct command_info){ p->command, p->ops->args ? p->ops->args : "",
						p->ops->help ? p->ops->help : "", COMMAND_PANE,
						(enum pane_id)i };
	}
	memcpy(all + PANE_COUNT, shell_commands, sizeof(shell_commands));
	built = true;
	return all;
}

size_t commands_list(const struct command_info **out)
{
	*out = all_commands();
	return NCOMMANDS;
}

const struct command_info *commands_find(const char *name)
{
	const struct command_info *all = all_commands();

	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(all[i].name, name) == 0)
			return &all[i];
	}
	return NULL;
}

size_t commands_help(const struct command_help **out)
{
	static struct command_help lines[NCOMMANDS + HELP_VERBS_MAX];
	static char names[HELP_VERBS_MAX][48];
	const struct command_info *all = all_commands();
	size_t n = 0, nv = 0;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct pane_ops *ops;

		lines[n++] = (struct command_help){ all[i].name, all[i].args, all[i].help };
		if (all[i].kind != COMMAND_PANE)
			continue;
		/* Then `:catalog pause [OFFERING]` and its siblings, one each. */
		ops = pane_info(all[i].pane)->ops;
		for (size_t j = 0; j < ops->nverbs && nv < HELP_VERBS_MAX; j++, nv++) {
			snprintf(names[nv], sizeof(names[nv]), "%s %s", all[i].name,
				 ops->verbs[j].name);
			lines[n++] = (struct command_help){ names[nv], ops->verbs[j].args,
							    ops->verbs[j].help };
		}
	}
	*out = lines;
	return n;
}
