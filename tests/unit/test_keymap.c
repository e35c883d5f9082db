#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keymap.h"
#include "testutil.h"

static int setup(void **state)
{
	(void)state;
	testutil_setup_home();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testutil_teardown_home();
	return 0;
}

static keycode parse_ok(const char *name)
{
	keycode k = KC_NONE;

	if (!key_parse(name, &k))
		fail_msg("'%s' did not parse", name);
	return k;
}

/* ---- key names ---- */

static void test_key_parse_codes(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("a"), 'a');
	assert_int_equal(parse_ok("A"), 'A');
	assert_int_equal(parse_ok("?"), '?');
	assert_int_equal(parse_ok(":"), ':');
	assert_int_equal(parse_ok("é"), 0xe9);
	assert_int_equal(parse_ok("日"), 0x65e5);
	assert_int_equal(parse_ok("😀"), 0x1f600);
	assert_int_equal(parse_ok("C-a"), 1);
	assert_int_equal(parse_ok("Ctrl-a"), 1);
	assert_int_equal(parse_ok("C-A"), 1);
	assert_int_equal(parse_ok("C-z"), 26);
	assert_int_equal(parse_ok("C-["), KC_ESC);
	assert_int_equal(parse_ok("C-\\"), 28);
	assert_int_equal(parse_ok("C-]"), 29);
	assert_int_equal(parse_ok("C-_"), 31);
	assert_int_equal(parse_ok("M-x"), KEY_MOD_ALT | 'x');
	assert_int_equal(parse_ok("Alt-x"), KEY_MOD_ALT | 'x');
	assert_int_equal(parse_ok("M-X"), KEY_MOD_ALT | 'X');
	assert_int_equal(parse_ok("M-C-a"), KEY_MOD_ALT | 1);
	assert_int_equal(parse_ok("M-Up"), KEY_MOD_ALT | KC_UP);
	assert_int_equal(parse_ok("M-é"), KEY_MOD_ALT | 0xe9);
	assert_int_equal(parse_ok("M--"), KEY_MOD_ALT | '-');
	assert_int_equal(parse_ok("-"), '-');
	assert_int_equal(parse_ok("Space"), KC_SPACE);
	assert_int_equal(parse_ok("Tab"), KC_TAB);
	assert_int_equal(parse_ok("S-Tab"), KC_BACKTAB);
	assert_int_equal(parse_ok("BackTab"), KC_BACKTAB);
	assert_int_equal(parse_ok("Enter"), KC_ENTER);
	assert_int_equal(parse_ok("Esc"), KC_ESC);
	assert_int_equal(parse_ok("F1"), KC_F1);
	assert_int_equal(parse_ok("F12"), KC_F12);
	assert_int_equal(parse_ok("f5"), KC_F1 + 4);
	/* Named keys ignore case, characters do not. */
	assert_int_equal(parse_ok("pgup"), KC_PGUP);
	assert_int_equal(parse_ok("PGDN"), KC_PGDN);
	assert_int_equal(parse_ok("PageUp"), KC_PGUP);
	assert_int_equal(parse_ok("PageDown"), KC_PGDN);
	assert_int_equal(parse_ok("space"), KC_SPACE);
	assert_int_equal(parse_ok("HOME"), KC_HOME);
}

static void test_key_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",	  "C-",	 "M-",	   "F0",      "F13",	 "F01",	     "F1x",	"C-1",
		"C-@",	  "C-?", "ab",	   "M-M-x",   "\t",	 "\x7f",     "\xff",	"\xc0\xaf",
		"\xed\xa0\x80", "Ctrl+x", "S-a", "Shift-Tab", "C-Up", "Up ", " a", "C-ab",
		"\xc2\x85",
	};
	keycode k = 12345;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (key_parse(bad[i], &k))
			fail_msg("'%s' (#%zu) should not parse", bad[i], i);
	}
	assert_int_equal(k, 12345);
	assert_false(key_parse(NULL, &k));
}

static void test_key_round_trip(void **state)
{
	static const struct {
		const char *in, *canonical;
	} names[] = {
		{ "a", "a" },		  { "A", "A" },		  { "?", "?" },
		{ ":", ":" },		  { "#", "#" },		  { "é", "é" },
		{ "日", "日" },		  { "C-a", "C-a" },	  { "Ctrl-b", "C-b" },
		{ "C-Z", "C-z" },	  { "C-[", "Esc" },	  { "C-]", "C-]" },
		{ "C-\\", "C-\\" },	  { "C-^", "C-^" },	  { "C-_", "C-_" },
		{ "C-i", "Tab" },	  { "M-x", "M-x" },	  { "Alt-x", "M-x" },
		{ "M-<", "M-<" },	  { "M->", "M->" },	  { "M-Up", "M-Up" },
		{ "M-C-a", "M-C-a" },	  { "M-Space", "M-Space" }, { "M-é", "M-é" },
		{ "Space", "Space" },	  { "Tab", "Tab" },	  { "S-Tab", "S-Tab" },
		{ "BackTab", "S-Tab" },	  { "Enter", "Enter" },	  { "Return", "Enter" },
		{ "Esc", "Esc" },	  { "Escape", "Esc" },	  { "Backspace", "Backspace" },
		{ "Delete", "Delete" },	  { "Del", "Delete" },	  { "Insert", "Insert" },
		{ "Up", "Up" },		  { "Down", "Down" },	  { "Left", "Left" },
		{ "Right", "Right" },	  { "PgUp", "PgUp" },	  { "PageUp", "PgUp" },
		{ "PgDn", "PgDn" },	  { "PageDown", "PgDn" }, { "Home", "Home" },
		{ "End", "End" },	  { "F1", "F1" },	  { "F10", "F10" },
		{ "F12", "F12" },	  { "end", "End" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		keycode k = parse_ok(names[i].in);
		char buf[64];

		key_format(k, buf, sizeof(buf));
		if (strcmp(buf, names[i].canonical) != 0)
			fail_msg("'%s' formats as '%s', want '%s'", names[i].in, buf,
				 names[i].canonical);
		assert_int_equal(parse_ok(buf), k);
	}
}

static void test_key_every_named_key(void **state)
{
	(void)state;
	/* Every named key, control key and Alt variant survives format+parse. */
	for (keycode k = KC_NAMED; k < KC_NAMED_END; k++) {
		char buf[64];

		key_format(k, buf, sizeof(buf));
		assert_int_equal(parse_ok(buf), k);
		key_format(k | KEY_MOD_ALT, buf, sizeof(buf));
		assert_true(testutil_prefix(buf, "M-"));
		assert_int_equal(parse_ok(buf), k | KEY_MOD_ALT);
	}
	for (keycode k = 1; k < 32; k++) {
		char buf[64];

		key_format(k, buf, sizeof(buf));
		assert_int_equal(parse_ok(buf), k);
	}
	for (keycode k = 33; k < 127; k++) {
		char buf[64];

		key_format(k, buf, sizeof(buf));
		assert_int_equal(strlen(buf), 1);
		assert_int_equal(parse_ok(buf), k);
	}
}

static void test_key_format_small_buffer(void **state)
{
	char buf[4];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	key_format(KC_BACKSPACE, buf, sizeof(buf));
	assert_string_equal(buf, "Bac");
	key_format(KC_NONE, buf, sizeof(buf));
	assert_int_equal(strlen(buf) < sizeof(buf), 1);
}

/* ---- the built-in and shipped maps ---- */

static void assert_same_map(const struct keymap *a, const struct keymap *b)
{
	for (int act = 0; act < ACTION_COUNT; act++) {
		keycode ka[KEYMAP_MAX_KEYS], kb[KEYMAP_MAX_KEYS];
		size_t na = keymap_keys(a, (enum action)act, ka, KEYMAP_MAX_KEYS);
		size_t nb = keymap_keys(b, (enum action)act, kb, KEYMAP_MAX_KEYS);

		assert_int_equal(na, nb);
		assert_memory_equal(ka, kb, na * sizeof(keycode));
	}
}

static void test_default_binds_every_action(void **state)
{
	struct err err = { "" }, warn = { "" };
	struct keymap *builtin = keymap_builtin();
	struct keymap *shipped = keymap_load("default", &err, &warn);

	(void)state;
	assert_non_null(shipped);
	assert_false(err_isset(&err));
	assert_false(err_isset(&warn));
	assert_string_equal(keymap_name(builtin), "default");
	for (int a = 0; a < ACTION_COUNT; a++) {
		keycode k[KEYMAP_MAX_KEYS];

		if (keymap_keys(builtin, (enum action)a, k, KEYMAP_MAX_KEYS) == 0)
			fail_msg("action %s has no key in the default map",
				 action_info((enum action)a)->name);
	}
	assert_same_map(builtin, shipped);
	keymap_free(builtin);
	keymap_free(shipped);
}

static void test_shipped_maps_load(void **state)
{
	static const char *const names[] = { "default", "vim", "emacs" };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		struct err err = { "" }, warn = { "" };
		struct keymap *km = keymap_load(names[i], &err, &warn);

		if (!km)
			fail_msg("%s: %s", names[i], err.msg);
		assert_false(err_isset(&warn));
		assert_string_equal(keymap_name(km), names[i]);
		/* Every shipped map can at least quit and get help. */
		assert_int_not_equal(keymap_keys(km, ACTION_QUIT, (keycode[8]){ 0 }, 8), 0);
		assert_int_not_equal(keymap_keys(km, ACTION_HELP, (keycode[8]){ 0 }, 8), 0);
		keymap_free(km);
	}
}

static void test_lookup_by_scope(void **state)
{
	struct keymap *km = keymap_builtin();

	(void)state;
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, 'q'), ACTION_QUIT);
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, KC_F1), ACTION_HELP);
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, '?'), ACTION_HELP);
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, '3'), ACTION_PANE_STORES);
	/* List keys are not looked at outside lists... */
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, 'j'), ACTION_NONE);
	/* ...but in a list and in every pane, with the global keys too. */
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'j'), ACTION_CURSOR_DOWN);
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'q'), ACTION_QUIT);
	for (int s = SCOPE_PANE_CATALOG; s < SCOPE_COUNT; s++) {
		assert_int_equal(keymap_lookup(km, (enum action_scope)s, KC_DOWN),
				 ACTION_CURSOR_DOWN);
		assert_int_equal(keymap_lookup(km, (enum action_scope)s, KC_ESC), ACTION_CANCEL);
		assert_int_equal(keymap_lookup(km, (enum action_scope)s, KC_ENTER), ACTION_SELECT);
	}
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'Z'), ACTION_NONE);
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, KC_NONE), ACTION_NONE);
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, KEY_MOD_ALT | 'q'), ACTION_NONE);
	assert_int_equal(keymap_lookup(km, SCOPE_COUNT, 'q'), ACTION_NONE);
	keymap_free(km);
}

static void test_describe(void **state)
{
	struct keymap *km = keymap_builtin();
	char buf[64], tiny[6];

	(void)state;
	keymap_describe(km, ACTION_HELP, buf, sizeof(buf));
	assert_string_equal(buf, "?, F1");
	keymap_describe(km, ACTION_CURSOR_UP, buf, sizeof(buf));
	assert_string_equal(buf, "Up, k");
	keymap_describe(km, ACTION_CURSOR_UP, tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
	keymap_describe(km, ACTION_NONE, buf, sizeof(buf));
	assert_string_equal(buf, "");
	keymap_free(km);
}

static void test_extends_vim_emacs(void **state)
{
	struct err err = { "" }, warn = { "" };
	struct keymap *vim = keymap_load("vim", &err, &warn);
	struct keymap *emacs = keymap_load("emacs", &err, &warn);

	(void)state;
	assert_non_null(vim);
	assert_non_null(emacs);
	assert_int_equal(keymap_lookup(vim, SCOPE_LIST, 'g'), ACTION_CURSOR_TOP);
	assert_int_equal(keymap_lookup(vim, SCOPE_LIST, 'G'), ACTION_CURSOR_BOTTOM);
	assert_int_equal(keymap_lookup(vim, SCOPE_LIST, KEY_CTRL('f')), ACTION_PAGE_DOWN);
	assert_int_equal(keymap_lookup(vim, SCOPE_LIST, KEY_CTRL('b')), ACTION_PAGE_UP);
	assert_int_equal(keymap_lookup(vim, SCOPE_LIST, KEY_CTRL('d')), ACTION_HALF_PAGE_DOWN);
	/* Inherited from default. */
	assert_int_equal(keymap_lookup(vim, SCOPE_LIST, 'q'), ACTION_QUIT);
	assert_int_equal(keymap_lookup(vim, SCOPE_LIST, '/'), ACTION_FILTER);

	assert_int_equal(keymap_lookup(emacs, SCOPE_LIST, KEY_CTRL('n')), ACTION_CURSOR_DOWN);
	assert_int_equal(keymap_lookup(emacs, SCOPE_LIST, KEY_CTRL('p')), ACTION_CURSOR_UP);
	assert_int_equal(keymap_lookup(emacs, SCOPE_LIST, KEY_CTRL('v')), ACTION_PAGE_DOWN);
	assert_int_equal(keymap_lookup(emacs, SCOPE_LIST, KEY_MOD_ALT | 'v'), ACTION_PAGE_UP);
	assert_int_equal(keymap_lookup(emacs, SCOPE_LIST, KEY_MOD_ALT | '<'), ACTION_CURSOR_TOP);
	assert_int_equal(keymap_lookup(emacs, SCOPE_LIST, KEY_MOD_ALT | '>'),
			 ACTION_CURSOR_BOTTOM);
	assert_int_equal(keymap_lookup(emacs, SCOPE_GLOBAL, KEY_CTRL('g')), ACTION_CANCEL);
	assert_int_equal(keymap_lookup(emacs, SCOPE_GLOBAL, KC_ESC), ACTION_CANCEL);
	assert_int_equal(keymap_lookup(emacs, SCOPE_LIST, KEY_CTRL('s')), ACTION_FILTER);
	/* emacs rebinds cursor.up to Up and C-p: k is free again. */
	assert_int_equal(keymap_lookup(emacs, SCOPE_LIST, 'k'), ACTION_NONE);
	assert_int_equal(keymap_lookup(emacs, SCOPE_GLOBAL, 'q'), ACTION_QUIT);
	keymap_free(vim);
	keymap_free(emacs);
}

static void test_user_map_extends(void **state)
{
	struct err err = { "" }, warn = { "" };
	struct keymap *km;
	char *p = testutil_write("opsdeck/keymaps/mine.yaml", "extends: vim\nquit: [Q]\n");

	(void)state;
	km = keymap_load("mine", &err, &warn);
	if (!km)
		fail_msg("%s", err.msg);
	assert_string_equal(keymap_name(km), "mine");
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'g'), ACTION_CURSOR_TOP);
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, 'Q'), ACTION_QUIT);
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, 'q'), ACTION_NONE);
	keymap_free(km);
	free(p);
}

static void test_user_override_layers(void **state)
{
	struct err err = { "" }, warn = { "" };
	struct keymap *km;
	keycode keys[KEYMAP_MAX_KEYS];
	char *p = testutil_write("opsdeck/keymaps/vim.yaml",
				 "# my vim\n"
				 "scroll.left: disabled\n"
				 "scroll.right: []\n"
				 "mark.clear: [j]\n"
				 "quit: [k, C-c]\n");

	(void)state;
	km = keymap_load("vim", &err, &warn);
	if (!km)
		fail_msg("%s", err.msg);
	assert_false(err_isset(&warn));
	/* disabled and [] unbind. */
	assert_int_equal(keymap_keys(km, ACTION_SCROLL_LEFT, keys, KEYMAP_MAX_KEYS), 0);
	assert_int_equal(keymap_keys(km, ACTION_SCROLL_RIGHT, keys, KEYMAP_MAX_KEYS), 0);
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'h'), ACTION_NONE);
	/* j moves to mark.clear, cursor.down keeps its other keys. */
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'j'), ACTION_MARK_CLEAR);
	assert_int_equal(keymap_keys(km, ACTION_CURSOR_DOWN, keys, KEYMAP_MAX_KEYS), 3);
	assert_int_equal(keys[0], KC_DOWN);
	assert_int_equal(keys[1], KEY_CTRL('e'));
	assert_int_equal(keys[2], KEY_CTRL('n'));
	/* A global binding takes the key from a list action too (they clash). */
	assert_int_equal(keymap_lookup(km, SCOPE_PANE_STORES, 'k'), ACTION_QUIT);
	assert_int_equal(keymap_keys(km, ACTION_CURSOR_UP, keys, KEYMAP_MAX_KEYS), 3);
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, 'q'), ACTION_NONE);
	/* What the user did not mention stays as shipped. */
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'g'), ACTION_CURSOR_TOP);
	keymap_free(km);
	free(p);
}

static void test_user_file_extending_itself(void **state)
{
	struct err err = { "" }, warn = { "" };
	struct keymap *km;
	char *p = testutil_write("opsdeck/keymaps/vim.yaml", "extends: vim\nquit: Q\n");

	(void)state;
	/* "extends: vim" from the user's vim.yaml means the shipped vim. */
	km = keymap_load("vim", &err, &warn);
	if (!km)
		fail_msg("%s", err.msg);
	assert_false(err_isset(&warn));
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'g'), ACTION_CURSOR_TOP);
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'Q'), ACTION_QUIT);
	keymap_free(km);
	free(p);
}

static void test_bad_user_file_keeps_shipped(void **state)
{
	struct err err = { "" }, warn = { "" };
	struct keymap *km, *shipped;
	char *p = testutil_write("opsdeck/keymaps/emacs.yaml", "quit: [Q]\ncursor.up: [Ctrl+p]\n");
	char *want;

	(void)state;
	km = keymap_load("emacs", &err, &warn);
	assert_non_null(km);
	assert_false(err_isset(&err));
	want = xasprintf("%s:2:13: cursor.up: unknown key 'Ctrl+p'", p);
	if (!testutil_prefix(warn.msg, want))
		fail_msg("warning was '%s', want it to start with '%s'", warn.msg, want);
	/* Nothing from the bad file: not even its good first line. */
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, 'Q'), ACTION_NONE);
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, 'q'), ACTION_QUIT);
	testutil_remove("opsdeck/keymaps/emacs.yaml");
	shipped = keymap_load("emacs", &err, &warn);
	assert_non_null(shipped);
	assert_same_map(km, shipped);
	keymap_free(km);
	keymap_free(shipped);
	free(want);
	free(p);
}

static void expect_file_error(const char *text, const char *where, const char *what)
{
	struct keymap *km = keymap_builtin(), *before = keymap_builtin();
	struct err err = { "" };
	char *p = testutil_write("opsdeck/bad.yaml", text);
	char *want = xasprintf("%s:%s: %s", p, where, what);

	if (keymap_apply_file(km, p, &err))
		fail_msg("'%s' was accepted", text);
	if (!testutil_prefix(err.msg, want))
		fail_msg("error was '%s', want it to start with '%s'", err.msg, want);
	/* A file that fails changes nothing. */
	assert_same_map(km, before);
	keymap_free(km);
	keymap_free(before);
	free(want);
	free(p);
}

static void test_file_errors(void **state)
{
	(void)state;
	expect_file_error("quit: [x]\nhelp: [y]\nnope: [z]\n", "3:1", "unknown action 'nope'");
	expect_file_error("quit: [x, Hyper-x]\n", "1:11", "quit: unknown key 'Hyper-x'");
	expect_file_error("quit: C-\n", "1:7", "quit: unknown key 'C-'");
	expect_file_error("quit: [x]\nfilter:\n  - y\n  - x\n", "4:5",
			  "filter: key 'x' is already bound to quit at line 1");
	expect_file_error("cursor.up: [x]\nsort.next: [x]\n", "2:13",
			  "sort.next: key 'x' is already bound to cursor.up at line 1");
	expect_file_error("quit: [x, x]\n", "1:11", "quit: key 'x' is listed twice");
	expect_file_error("quit: [a, b, c, d, e, f, g, h, i]\n", "1:32", "quit: at most 8 keys");
	expect_file_error("quit: { a: b }\n", "1:7", "quit: expected a key");
	expect_file_error("quit: [[a]]\n", "1:8", "quit: expected a key name, not a list");
	expect_file_error("quit:\n", "1:6", "quit: expected a key");
	expect_file_error("quit: \"disabled\"\n", "1:7", "quit: unknown key 'disabled'");
	expect_file_error("- quit\n", "1:1", "expected a mapping of action: keys");
	expect_file_error("extends: ../x\n", "1:10", "extends: expected a key map name");
	expect_file_error("extends: nosuchmap\n", "1:10", "no key map named 'nosuchmap'");
	expect_file_error("quit: [x\n", "2:1", "did not find expected");
	expect_file_error("quit: [x]\nquit: [y]\n", "2:1", "duplicate key 'quit'");
	expect_file_error("quit: [x]\n---\nhelp: [y]\n", "2:1", "more than one YAML document");
	expect_file_error("quit: [x]\n...\n: [\n", "3:1",
			  "did not find expected <document start>");
	expect_file_error("quit: [x]\nhelp: [\"\x01\"]\n", "2:9",
			  "control characters are not allowed (U+0001)");
}

static void test_clash_across_files_is_not_an_error(void **state)
{
	struct keymap *km = keymap_builtin();
	struct err err = { "" };
	char *p = testutil_write("opsdeck/ok.yaml", "sort.next: [j, Tab]\n");

	(void)state;
	/* Within one file a clash is an error; over a base map the file wins. */
	if (!keymap_apply_file(km, p, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, 'j'), ACTION_SORT_NEXT);
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, KC_TAB), ACTION_SORT_NEXT);
	assert_int_equal(keymap_keys(km, ACTION_PANE_NEXT, (keycode[8]){ 0 }, 8), 0);
	assert_int_equal(keymap_lookup(km, SCOPE_LIST, '>'), ACTION_NONE);
	keymap_free(km);
	free(p);
}

static void test_extends_cycle(void **state)
{
	struct err err = { "" }, warn = { "" };
	char *a = testutil_write("opsdeck/keymaps/cyc-a.yaml", "extends: cyc-b\n");
	char *b = testutil_write("opsdeck/keymaps/cyc-b.yaml", "extends: cyc-a\n");

	(void)state;
	assert_null(keymap_load("cyc-a", &err, &warn));
	if (!strstr(err.msg, "cycle"))
		fail_msg("error was '%s'", err.msg);
	assert_true(strstr(err.msg, "cyc-") != NULL);
	free(a);
	free(b);
}

static void test_load_errors(void **state)
{
	struct err err = { "" }, warn = { "" };

	(void)state;
	assert_null(keymap_load("nosuchmap", &err, &warn));
	assert_string_equal(err.msg, "no key map named 'nosuchmap'");
	err_clear(&err);
	assert_null(keymap_load("../etc/passwd", &err, &warn));
	assert_true(strstr(err.msg, "not a key map name") != NULL);
	err_clear(&err);
	assert_null(keymap_load("", &err, &warn));
	assert_true(err_isset(&err));
}

static void test_apply_string(void **state)
{
	struct keymap *km = keymap_builtin();
	struct err err = { "" };
	static const char good[] = "help: [H]\n";
	static const char ext[] = "extends: vim\n";

	(void)state;
	assert_true(keymap_apply_string(km, "mem", good, strlen(good), &err));
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, 'H'), ACTION_HELP);
	assert_int_equal(keymap_lookup(km, SCOPE_GLOBAL, KC_F1), ACTION_NONE);
	assert_false(keymap_apply_string(km, "mem", ext, strlen(ext), &err));
	assert_string_equal(err.msg, "mem:1:10: extends is not allowed here");
	keymap_free(km);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_parse_codes),
		cmocka_unit_test(test_key_parse_rejects),
		cmocka_unit_test(test_key_round_trip),
		cmocka_unit_test(test_key_every_named_key),
		cmocka_unit_test(test_key_format_small_buffer),
		cmocka_unit_test_setup_teardown(test_default_binds_every_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_maps_load, setup, teardown),
		cmocka_unit_test(test_lookup_by_scope),
		cmocka_unit_test(test_describe),
		cmocka_unit_test_setup_teardown(test_extends_vim_emacs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_map_extends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_override_layers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_file_extending_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_user_file_keeps_shipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clash_across_files_is_not_an_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_extends_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
		cmocka_unit_test(test_apply_string),
	};

	return cmocka_run_group_tests_name("keymap", tests, NULL, NULL);
}
