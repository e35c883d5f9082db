/* The pane registry drives the console: every pane in it has its key scope,
 * its `:` command, help lines and completion; every pane with a tab has its
 * number key in each shipped key map; and nothing shows a pane that is not
 * in it. Linked against the console library, run without a terminal. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmdline.h"
#include "commands.h"
#include "help.h"
#include "keymap.h"
#include "lineedit.h"
#include "panes.h"
#include "table.h"
#include "table_model.h"
#include "testutil.h"
#include "util.h"

static int setup(void **state)
{
	(void)state;
	/* The command line keeps its history there. */
	setenv("XDG_STATE_HOME", testutil_setup_home(), 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testutil_teardown_home();
	return 0;
}

static void test_every_pane_is_whole(void **state)
{
	(void)state;
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_info *p = pane_info((enum pane_id)i);

		assert_non_null(p);
		assert_non_null(p->ops);
		assert_non_null(p->ops->draw);
		assert_true(p->label[0] && p->command[0]);
		assert_non_null(p->ops->help);
		assert_true(p->ops->help[0]);
		assert_int_equal(pane_by_command(p->command), i);
		assert_int_equal(pane_by_ops(p->ops), i);
		/* Its own scope, named by its command. */
		assert_string_equal(action_scope_name(p->scope), p->command);
		for (int j = 0; j < i; j++) {
			assert_int_not_equal(pane_info((enum pane_id)j)->scope, p->scope);
			assert_string_not_equal(pane_info((enum pane_id)j)->command, p->command);
		}
	}
	assert_null(pane_info(PANE_COUNT));
	assert_int_equal(pane_by_command("nosuchpane"), PANE_COUNT);
	/* The scopes are the global ones, one per pane and a store's details. */
	assert_int_equal(SCOPE_COUNT, 3 + PANE_COUNT);
}

/* Tab n shows digit n + 1 and that digit shows it, in every shipped map
 * and from every pane's scope. */
static void check_number_keys(const struct keymap *km)
{
	int ntabs = pane_tab_count();

	assert_true(ntabs > 0 && ntabs <= 9);
	for (int n = 0; n < ntabs; n++) {
		enum pane_id id = pane_tab(n);
		const struct pane_info *p = pane_info(id);
		char name[64];

		assert_non_null(p);
		assert_true(p->tab);
		assert_int_equal(pane_tab_index(id), n);
		assert_int_not_equal(p->show, ACTION_NONE);
		snprintf(name, sizeof(name), "pane.%s", p->command);
		assert_string_equal(action_info(p->show)->name, name);
		assert_int_equal(action_info(p->show)->scope, SCOPE_GLOBAL);
		assert_int_equal(pane_by_action(p->show), id);
		for (int s = 0; s < SCOPE_COUNT; s++)
			assert_int_equal(keymap_lookup(km, (enum action_scope)s, '1' + (keycode)n),
					 p->show);
	}
	assert_int_equal(pane_tab(ntabs), PANE_COUNT);
}

static void test_tabs_have_number_keys(void **state)
{
	static const char *const maps[] = { "default", "vim", "emacs" };
	struct keymap *km = keymap_builtin();

	(void)state;
	check_number_keys(km);
	keymap_free(km);
	for (size_t i = 0; i < ARRAY_LEN(maps); i++) {
		struct err err = { { 0 } }, warn = { { 0 } };

		km = keymap_load(maps[i], &err, &warn);
		assert_non_null(km);
		assert_false(err_isset(&warn));
		check_number_keys(km);
		keymap_free(km);
	}
}

/* A view has no tab and no number key; and no action shows a pane the
 * registry does not know. */
static void test_views_and_pane_actions(void **state)
{
	int nviews = 0;

	(void)state;
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_info *p = pane_info((enum pane_id)i);

		if (p->tab)
			continue;
		nviews++;
		assert_int_equal(p->show, ACTION_NONE);
		assert_int_equal(pane_tab_index((enum pane_id)i), -1);
	}
	assert_int_equal(nviews + pane_tab_count(), PANE_COUNT);
	for (int a = 0; a < ACTION_COUNT; a++) {
		const char *name = action_info((enum action)a)->name;

		if (!testutil_prefix(name, "pane.") || a == ACTION_PANE_NEXT ||
		    a == ACTION_PANE_PREV)
			continue;
		assert_int_not_equal(pane_by_action((enum action)a), PANE_COUNT);
	}
	assert_int_equal(pane_by_action(ACTION_NONE), PANE_COUNT);
	assert_int_equal(pane_by_action(ACTION_QUIT), PANE_COUNT);
}

static void test_commands_come_from_registry(void **state)
{
	const struct command_info *cmds;
	size_t n = commands_list(&cmds);

	(void)state;
	assert_true(n > PANE_COUNT);
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_info *p = pane_info((enum pane_id)i);
		const struct command_info *c = commands_find(p->command);

		/* The panes' commands first, in registry order. */
		assert_ptr_equal(c, &cmds[i]);
		assert_int_equal(c->kind, COMMAND_PANE);
		assert_int_equal(c->pane, i);
		assert_string_equal(c->help, p->ops->help);
		assert_string_equal(c->args, p->ops->args ? p->ops->args : "");
	}
	for (size_t i = PANE_COUNT; i < n; i++) {
		assert_int_not_equal(cmds[i].kind, COMMAND_PANE);
		assert_int_equal(pane_by_command(cmds[i].name), PANE_COUNT);
	}
	assert_null(commands_find("nosuchcommand"));
}

/* Whether the help table has a row keyed key. */
static bool help_has(struct table_model *m, const char *key)
{
	for (size_t r = 0; r < table_model_nvisible(m); r++) {
		if (strcmp(table_model_key(m, r), key) == 0)
			return true;
	}
	return false;
}

static void test_help_lists_every_pane(void **state)
{
	struct keymap *km = keymap_builtin();
	struct help *h = help_new(km);
	struct table_model *m = table_model(help_table(h));

	(void)state;
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_info *p = pane_info((enum pane_id)i);
		char key[96];

		snprintf(key, sizeof(key), "cmd:%s", p->command);
		assert_true(help_has(m, key));
		for (size_t v = 0; v < p->ops->nverbs; v++) {
			snprintf(key, sizeof(key), "cmd:%s %s", p->command, p->ops->verbs[v].name);
			assert_true(help_has(m, key));
		}
		if (p->tab)
			assert_true(help_has(m, action_info(p->show)->name));
	}
	help_free(h);
	keymap_free(km);
}

/* ---- the command line, with a host that records what it is asked ---- */

struct host_log {
	char said[512];
	bool said_error;
	const struct command_info *ran;
	char arg[64];
	int completed;
};

static void log_say(void *ud, bool error, const char *text)
{
	struct host_log *log = ud;

	str_copy(log->said, sizeof(log->said), text);
	log->said_error = error;
}

static size_t log_complete(void *ud, enum pane_id id, const struct pane_verb *verb,
			   const char *prefix, char ***out)
{
	struct host_log *log = ud;

	(void)id;
	(void)verb;
	(void)prefix;
	log->completed++;
	*out = NULL;
	return 0;
}

static void log_run(void *ud, const struct command_info *c, const char *arg)
{
	struct host_log *log = ud;

	log->ran = c;
	str_copy(log->arg, sizeof(log->arg), arg ? arg : "");
}

/* Whether word is one of the words of the candidate list text. */
static bool listed(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = text; (s = strstr(s, word)) != NULL; s += n) {
		if ((s == text || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
			return true;
	}
	return false;
}

static void test_completion_and_run_come_from_registry(void **state)
{
	struct host_log log = { 0 };
	const struct cmdline_host host = { &log, log_say, log_complete, log_run };
	struct cmdline *cl = cmdline_new(&host);
	struct lineedit le;

	(void)state;
	lineedit_init(&le);
	/* Tab on an empty line lists every command, every pane's among them. */
	cmdline_begin(cl);
	assert_true(cmdline_key(cl, &le, KC_TAB));
	assert_false(log.said_error);
	for (int i = 0; i < PANE_COUNT; i++)
		assert_true(listed(log.said, pane_info((enum pane_id)i)->command));
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_info *p = pane_info((enum pane_id)i);
		char line[96];

		/* A pane's verbs complete after its command. */
		snprintf(line, sizeof(line), "%s ", p->command);
		cmdline_begin(cl);
		lineedit_set(&le, line);
		log.said[0] = '\0';
		assert_true(cmdline_key(cl, &le, KC_TAB));
		if (p->ops->nverbs == 0) {
			assert_true(log.said_error);
		} else if (p->ops->nverbs == 1) {
			snprintf(line, sizeof(line), "%s %s ", p->command, p->ops->verbs[0].name);
			assert_string_equal(lineedit_text(&le), line);
		} else {
			for (size_t v = 0; v < p->ops->nverbs; v++)
				assert_true(listed(log.said, p->ops->verbs[v].name));
		}
		/* Entered, it shows its pane with the rest of the line. */
		snprintf(line, sizeof(line), " %s  some words ", p->command);
		log.ran = NULL;
		cmdline_done(cl, line);
		assert_non_null(log.ran);
		assert_int_equal(log.ran->kind, COMMAND_PANE);
		assert_int_equal(log.ran->pane, i);
		assert_string_equal(log.arg, "some words");
	}
	/* The word after a verb is the pane's to complete. */
	for (int i = 0; i < PANE_COUNT; i++) {
		const struct pane_info *p = pane_info((enum pane_id)i);

		for (size_t v = 0; v < p->ops->nverbs; v++) {
			char line[96];
			int before = log.completed;

			if (!p->ops->verbs[v].args[0])
				continue;
			snprintf(line, sizeof(line), "%s %s ", p->command, p->ops->verbs[v].name);
			cmdline_begin(cl);
			lineedit_set(&le, line);
			cmdline_key(cl, &le, KC_TAB);
			assert_int_equal(log.completed, before + 1);
		}
	}
	log.ran = NULL;
	cmdline_done(cl, "nosuchpane");
	assert_null(log.ran);
	assert_true(log.said_error);
	assert_true(testutil_prefix(log.said, "Unknown command :nosuchpane"));
	lineedit_free(&le);
	cmdline_free(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pane_is_whole),
		cmocka_unit_test_setup_teardown(test_tabs_have_number_keys, setup, teardown),
		cmocka_unit_test(test_views_and_pane_actions),
		cmocka_unit_test(test_commands_come_from_registry),
		cmocka_unit_test(test_help_lists_every_pane),
		cmocka_unit_test_setup_teardown(test_completion_and_run_come_from_registry, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
