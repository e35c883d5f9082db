#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "theme.h"

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

static int color(const char *s)
{
	int16_t c = 999;

	if (!theme_parse_color(s, &c))
		fail_msg("'%s' did not parse", s);
	return c;
}

static void test_parse_color(void **state)
{
	static const char *const bad[] = {
		"",	"blue2", "12x",	    "256",     "-1",	   "1.5",      "#12345",
		"#1234567", "#gggggg", "bright", "bright-", "0x10", " 1", "#",
	};
	int16_t c = 77;

	(void)state;
	assert_int_equal(color("default"), THEME_COLOR_DEFAULT);
	assert_int_equal(color("black"), 0);
	assert_int_equal(color("red"), 1);
	assert_int_equal(color("green"), 2);
	assert_int_equal(color("yellow"), 3);
	assert_int_equal(color("blue"), 4);
	assert_int_equal(color("magenta"), 5);
	assert_int_equal(color("cyan"), 6);
	assert_int_equal(color("white"), 7);
	assert_int_equal(color("bright-black"), 8);
	assert_int_equal(color("bright-red"), 9);
	assert_int_equal(color("bright-white"), 15);
	assert_int_equal(color("RED"), 1);
	assert_int_equal(color("0"), 0);
	assert_int_equal(color("7"), 7);
	assert_int_equal(color("255"), 255);
	/* #rrggbb: the nearest of the fixed 256-colour entries (16..255). */
	assert_int_equal(color("#000000"), 16);
	assert_int_equal(color("#ffffff"), 231);
	assert_int_equal(color("#FF0000"), 196);
	assert_int_equal(color("#5fafd7"), 74);
	assert_int_equal(color("#808080"), 244);
	assert_int_equal(color("#eeeeee"), 255);
	assert_int_equal(color("#5f0001"), 52);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (theme_parse_color(bad[i], &c))
			fail_msg("'%s' should not parse", bad[i]);
	}
	assert_int_equal(c, 77);
	assert_false(theme_parse_color(NULL, &c));
}

static void test_color_to8(void **state)
{
	(void)state;
	for (int c = 0; c < 8; c++)
		assert_int_equal(theme_color_to8(c), c);
	for (int c = 8; c < 16; c++)
		assert_int_equal(theme_color_to8(c), c - 8);
	assert_int_equal(theme_color_to8(THEME_COLOR_DEFAULT), THEME_COLOR_DEFAULT);
	assert_int_equal(theme_color_to8(16), 0);  /* black */
	assert_int_equal(theme_color_to8(196), 1); /* red */
	assert_int_equal(theme_color_to8(46), 2);  /* green */
	assert_int_equal(theme_color_to8(226), 3); /* yellow */
	assert_int_equal(theme_color_to8(21), 4);  /* blue */
	assert_int_equal(theme_color_to8(201), 5); /* magenta */
	assert_int_equal(theme_color_to8(51), 6);  /* cyan */
	assert_int_equal(theme_color_to8(231), 7); /* white */
	assert_int_equal(theme_color_to8(232), 0); /* darkest grey */
	assert_int_equal(theme_color_to8(255), 7); /* lightest grey */
	assert_int_equal(theme_color_to8(124), 1); /* dark red */
	assert_int_equal(theme_color_to8(28), 2);  /* dark green */
	assert_int_equal(theme_color_to8(256), THEME_COLOR_DEFAULT);
	for (int c = 0; c < 256; c++) {
		int b = theme_color_to8(c);

		assert_true(b >= 0 && b <= 7);
	}
}

static void test_style_to8_keeps_text_readable(void **state)
{
	struct theme_style in = { .fg = 252, .bg = 255, .attrs = THEME_BOLD }, out;

	(void)state;
	theme_style_to8(&in, &out);
	assert_int_equal(out.bg, 7);
	assert_int_equal(out.fg, 0);
	assert_int_equal(out.attrs, THEME_BOLD);
	in.fg = 18;
	in.bg = 19; /* two dark blues */
	theme_style_to8(&in, &out);
	assert_int_equal(out.bg, 4);
	assert_int_equal(out.fg, 7);
	in.fg = 196;
	in.bg = THEME_COLOR_DEFAULT;
	theme_style_to8(&in, &out);
	assert_int_equal(out.fg, 1);
	assert_int_equal(out.bg, THEME_COLOR_DEFAULT);
}

static void test_role_names(void **state)
{
	enum theme_role r;

	(void)state;
	assert_string_equal(theme_role_name(ROLE_NORMAL), "normal");
	assert_string_equal(theme_role_name(ROLE_MSG_ERROR), "message_error");
	assert_string_equal(theme_role_name(ROLE_COUNT), "?");
	for (int i = 0; i < ROLE_COUNT; i++) {
		assert_true(theme_role_by_name(theme_role_name((enum theme_role)i), &r));
		assert_int_equal(r, i);
	}
	assert_false(theme_role_by_name("nope", &r));
}

static void test_every_shipped_theme_loads(void **state)
{
	static const char *const names[] = { "default", "light", "mono" };
	struct theme t, builtin;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		struct err err = { "" };

		memset(&t, 0, sizeof(t));
		if (!theme_load(names[i], &t, &err))
			fail_msg("%s: %s", names[i], err.msg);
		assert_string_equal(t.name, names[i]);
		/* The shipped themes spell out every role. */
		for (int r = 0; r < ROLE_COUNT; r++) {
			if (!t.set[r])
				fail_msg("%s does not set %s", names[i],
					 theme_role_name((enum theme_role)r));
		}
		if (strcmp(names[i], "mono") == 0) {
			for (int r = 0; r < ROLE_COUNT; r++) {
				assert_int_equal(t.styles[r].fg, THEME_COLOR_DEFAULT);
				assert_int_equal(t.styles[r].bg, THEME_COLOR_DEFAULT);
			}
			assert_true(t.styles[ROLE_SELECTION].attrs & THEME_REVERSE);
		} else {
			/* A colour theme must tell the selection apart by colour. */
			assert_int_not_equal(t.styles[ROLE_SELECTION].bg,
					     t.styles[ROLE_NORMAL].bg);
		}
	}
	theme_builtin(&builtin);
	theme_load("default", &t, &(struct err){ "" });
	assert_string_equal(builtin.name, "default");
	assert_memory_equal(builtin.styles, t.styles, sizeof(t.styles));
	assert_memory_equal(builtin.set, t.set, sizeof(t.set));
	assert_int_equal(builtin.styles[ROLE_HEADER].bg, 24);
	assert_int_equal(builtin.styles[ROLE_HEADER].attrs, THEME_BOLD);
	assert_int_equal(builtin.styles[ROLE_SELECTION].bg, 74);
}

static void test_inheritance_from_normal(void **state)
{
	struct theme t;
	struct err err = { "" };
	char *p = testutil_write("opsdeck/themes/inh.yaml",
				 "styles:\n"
				 "  normal: { fg: 250, bg: 234, attrs: [dim] }\n"
				 "  header: { attrs: [bold, underline] }\n"
				 "  selection: { bg: blue }\n"
				 "  mark:\n");

	(void)state;
	if (!theme_load("inh", &t, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(t.name, "inh");
	assert_int_equal(t.styles[ROLE_NORMAL].fg, 250);
	assert_int_equal(t.styles[ROLE_NORMAL].bg, 234);
	assert_int_equal(t.styles[ROLE_NORMAL].attrs, THEME_DIM);
	/* Missing colours come from normal; attributes are the role's own. */
	assert_int_equal(t.styles[ROLE_HEADER].fg, 250);
	assert_int_equal(t.styles[ROLE_HEADER].bg, 234);
	assert_int_equal(t.styles[ROLE_HEADER].attrs, THEME_BOLD | THEME_UNDERLINE);
	assert_int_equal(t.styles[ROLE_SELECTION].fg, 250);
	assert_int_equal(t.styles[ROLE_SELECTION].bg, 4);
	assert_int_equal(t.styles[ROLE_SELECTION].attrs, 0);
	assert_int_equal(t.styles[ROLE_MARK].fg, 250);
	assert_true(t.set[ROLE_MARK]);
	/* A role left out looks exactly like normal. */
	assert_false(t.set[ROLE_TITLE]);
	assert_memory_equal(&t.styles[ROLE_TITLE], &t.styles[ROLE_NORMAL],
			    sizeof(struct theme_style));
	assert_memory_equal(&t.styles[ROLE_SOURCE6], &t.styles[ROLE_NORMAL],
			    sizeof(struct theme_style));
	free(p);
}

static void test_extends(void **state)
{
	struct theme t;
	struct err err = { "" };
	char *base = testutil_write("opsdeck/themes/base.yaml",
				    "styles:\n"
				    "  normal: { fg: 250 }\n"
				    "  header: { fg: white, bg: 24, attrs: bold }\n");
	char *child = testutil_write("opsdeck/themes/child.yaml",
				     "extends: base\n"
				     "styles:\n"
				     "  normal: { fg: red, bg: 17 }\n"
				     "  title: { attrs: [italic] }\n");
	char *dflt = testutil_write("opsdeck/themes/warm.yaml",
				    "extends: default\nstyles:\n  selection: { bg: 166 }\n");

	(void)state;
	if (!theme_load("child", &t, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(t.name, "child");
	assert_int_equal(t.styles[ROLE_NORMAL].fg, 1);
	assert_int_equal(t.styles[ROLE_NORMAL].bg, 17);
	/* The base's header stays whole... */
	assert_int_equal(t.styles[ROLE_HEADER].fg, 7);
	assert_int_equal(t.styles[ROLE_HEADER].bg, 24);
	assert_int_equal(t.styles[ROLE_HEADER].attrs, THEME_BOLD);
	/* ...the child's own roles and the unset ones follow the new normal. */
	assert_int_equal(t.styles[ROLE_TITLE].fg, 1);
	assert_int_equal(t.styles[ROLE_TITLE].bg, 17);
	assert_int_equal(t.styles[ROLE_TITLE].attrs, THEME_ITALIC);
	assert_int_equal(t.styles[ROLE_BORDER].fg, 1);
	assert_int_equal(t.styles[ROLE_BORDER].bg, 17);

	if (!theme_load("warm", &t, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(t.styles[ROLE_SELECTION].bg, 166);
	assert_int_equal(t.styles[ROLE_SELECTION].fg, 252); /* default's normal */
	assert_int_equal(t.styles[ROLE_HEADER].bg, 24);
	free(base);
	free(child);
	free(dflt);
}

static void test_user_theme_first(void **state)
{
	struct theme t;
	struct err err = { "" };
	char *p = testutil_write("opsdeck/themes/light.yaml",
				 "styles:\n  normal: { fg: 16, bg: 231 }\n");

	(void)state;
	if (!theme_load("light", &t, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(t.styles[ROLE_NORMAL].fg, 16);
	assert_false(t.set[ROLE_HEADER]);
	/* A user file that extends its own name gets the shipped one. */
	free(p);
	p = testutil_write("opsdeck/themes/light.yaml",
			   "extends: light\nstyles:\n  normal: { fg: 16, bg: 231 }\n");
	if (!theme_load("light", &t, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(t.styles[ROLE_NORMAL].fg, 16);
	assert_true(t.set[ROLE_HEADER]);
	assert_int_equal(t.styles[ROLE_HEADER].bg, 25);
	free(p);
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct theme t, before;
	struct err err = { "" };
	char *p = testutil_write("opsdeck/bad.yaml", text);
	char *want = xasprintf("%s:%s: %s", p, where, what);

	theme_builtin(&t);
	before = t;
	if (theme_load_file(p, &t, &err))
		fail_msg("'%s' was accepted", text);
	if (!testutil_prefix(err.msg, want))
		fail_msg("error was '%s', want it to start with '%s'", err.msg, want);
	assert_memory_equal(&t, &before, sizeof(t));
	free(want);
	free(p);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("styles:\n  normal: {}\n  nope: { fg: red }\n", "3:3", "unknown role 'nope'");
	expect_error("styles:\n  header: { fg: purple }\n", "2:17",
		     "header.fg: unknown colour 'purple'");
	expect_error("styles:\n  header: { bg: 300 }\n", "2:17", "header.bg: unknown colour '300'");
	expect_error("styles:\n  header: { bg: [1] }\n", "2:17", "header.bg: unknown colour");
	expect_error("styles:\n  header: { attrs: [bold, blink] }\n", "2:27",
		     "header.attrs: unknown attribute 'blink'");
	expect_error("styles:\n  header: { attrs: { a: b } }\n", "2:20",
		     "header.attrs: expected a list");
	expect_error("styles:\n  header: { colour: red }\n", "2:13",
		     "header: unknown field 'colour'");
	expect_error("styles:\n  header: red\n", "2:11", "header: expected a mapping");
	expect_error("styles: [a]\n", "1:9", "styles: expected a mapping");
	expect_error("colours: {}\n", "1:1", "unknown field 'colours'");
	expect_error("- a\n", "1:1", "expected a mapping");
	expect_error("extends: nosuch\n", "1:10", "no theme named 'nosuch'");
	expect_error("extends: [a]\n", "1:10", "extends: expected a theme name");
	expect_error("styles:\n  normal: { fg: red\n", "3:1", "did not find expected");
	/* one document, read to its end; bad bytes where they are */
	expect_error("styles: {}\n---\nstyles: {}\n", "2:1", "more than one YAML document");
	expect_error("styles: {}\n...\n: [\n", "3:1", "did not find expected <document start>");
	expect_error("styles:\n  normal: { fg: \"r\xff" "d\" }\n", "2:19",
		     "invalid leading UTF-8 octet (byte 0xff)");
}

static void test_extends_cycle(void **state)
{
	struct theme t;
	struct err err = { "" };
	char *a = testutil_write("opsdeck/themes/cyc-a.yaml", "extends: cyc-b\n");
	char *b = testutil_write("opsdeck/themes/cyc-b.yaml", "extends: cyc-a\n");

	(void)state;
	assert_false(theme_load("cyc-a", &t, &err));
	if (!strstr(err.msg, "cycle"))
		fail_msg("error was '%s'", err.msg);
	free(a);
	free(b);
}

static void test_load_failures_leave_theme(void **state)
{
	struct theme t, before;
	struct err err = { "" };

	(void)state;
	theme_builtin(&t);
	before = t;
	assert_false(theme_load("nosuch", &t, &err));
	assert_string_equal(err.msg, "no theme named 'nosuch'");
	err_clear(&err);
	assert_false(theme_load("../x", &t, &err));
	assert_true(strstr(err.msg, "not a theme name") != NULL);
	err_clear(&err);
	assert_false(theme_load_file("/nonexistent/x.yaml", &t, &err));
	assert_true(testutil_prefix(err.msg, "/nonexistent/x.yaml: "));
	assert_memory_equal(&t, &before, sizeof(t));
}

static void test_load_string(void **state)
{
	static const char good[] = "styles:\n  normal: { fg: 9 }\n";
	static const char ext[] = "extends: default\n";
	struct theme t;
	struct err err = { "" };

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_true(theme_load_string("mem", good, strlen(good), &t, &err));
	assert_int_equal(t.styles[ROLE_HEADER].fg, 9);
	assert_false(theme_load_string("mem", ext, strlen(ext), &t, &err));
	assert_string_equal(err.msg, "mem:1:10: extends is not allowed here");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_color),
		cmocka_unit_test(test_color_to8),
		cmocka_unit_test(test_style_to8_keeps_text_readable),
		cmocka_unit_test(test_role_names),
		cmocka_unit_test_setup_teardown(test_every_shipped_theme_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inheritance_from_normal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_theme_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extends_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_failures_leave_theme, setup, teardown),
		cmocka_unit_test(test_load_string),
	};

	return cmocka_run_group_tests_name("theme", tests, NULL, NULL);
}
