#include "config.h"

#include "actions.h"

#include <string.h>

#include "util.h"

static const struct action_info actions[] = {
#define ACTION_INFO(id, name, scope, desc) { name, scope, desc },
	ACTION_LIST(ACTION_INFO)
#undef ACTION_INFO
};

static const char *const scope_names[SCOPE_COUNT] = {
	[SCOPE_GLOBAL] = "global",
	[SCOPE_LIST] = "lists",
#define SCOPE_NAME(id, command, label, kind, ctx) [SCOPE_PANE_##id] = #command,
	PANE_LIST(SCOPE_NAME, )
#undef SCOPE_NAME
	[SCOPE_STORE_DETAILS] = "details",
};

const struct action_info *action_info(enum action a)
{
	if (a < 0 || a >= ACTION_COUNT)
		return NULL;
	return &actions[a];
}

enum action action_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(actions); i++) {
		if (strcmp(actions[i].name, name) == 0)
			return (enum action)i;
	}
	return ACTION_NONE;
}

const char *action_scope_name(enum action_scope s)
{
	if (s < 0 || s >= SCOPE_COUNT)
		return "?";
	return scope_names[s];
}
