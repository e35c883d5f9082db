#include "config.h"

#include "panes.h"

#include <string.h>


#define PANE_IS_TAB_TAB true
#define PANE_IS_TAB_VIEW false
#define PANE_SHOW_TAB(id) ACTION_PANE_##id
#define PANE_SHOW_VIEW(id) ACTION_NONE

static const struct pane_info panes[PANE_COUNT] = {
#define PANE_INFO(ID, COMMAND, LABEL, KIND, ctx)                                 \
	[PANE_##ID] = { .command = #COMMAND,                                      \
			.label = LABEL,                                           \
			.tab = PANE_IS_TAB_##KIND,                                \
			.scope = SCOPE_PANE_##ID,                                 \
			.show = PANE_SHOW_##KIND(ID),                             \
			.ops = &pane_##COMMAND##_ops },
	PANE_LIST(PANE_INFO, )
#undef PANE_INFO
};

const struct pane_info *pane_info(enum pane_id id)
{
	if (id < 0 || id >= PANE_COUNT)
		return NULL;
	return &panes[id];
}

enum pane_id pane_by_command(const char *command)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		if (strcmp(panes[i].command, command) == 0)
			return (enum pane_id)i;
	}
	return PANE_COUNT;
}

enum pane_id pane_by_action(enum action a)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		if (a != ACTION_NONE && panes[i].show == a)
			return (enum pane_id)i;
	}
	return PANE_COUNT;
}

enum pane_id pane_by_ops(const struct pane_ops *ops)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		if (panes[i].ops == ops)
			return (enum pane_id)i;
	}
	return PANE_COUNT;
}

int pane_tab_count(void)
{
	int n = 0;

	for (int i = 0; i < PANE_COUNT; i++)
		n += panes[i].tab;
	return n;
}

enum pane_id pane_tab(int n)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		if (panes[i].tab && n-- == 0)
			return (enum pane_id)i;
	}
	return PANE_COUNT;
}

int pane_tab_index(enum pane_id id)
{
	int n = 0;

	if (id < 0 || id >= PANE_COUNT || !panes[id].tab)
		return -1;
	for (int i = 0; i < (int)id; i++)
		n += panes[i].tab;
	return n;
}
