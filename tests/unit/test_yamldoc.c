#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "testutil.h"
#include "yamldoc.h"

static struct ydoc *load(const char *text, struct err *err)
{
	return ydoc_load_string("doc.yaml", text, strlen(text), err);
}

static struct ydoc *load_ok(const char *text)
{
	struct err err = { "" };
	struct ydoc *doc = load(text, &err);

	if (!doc)
		fail_msg("'%s' failed: %s", text, err.msg);
	return doc;
}

static void expect_error(const char *text, const char *want)
{
	struct err err = { "" };
	struct ydoc *doc = load(text, &err);

	if (doc)
		fail_msg("'%s' was accepted", text);
	if (!testutil_prefix(err.msg, want))
		fail_msg("error was '%s', want it to start with '%s'", err.msg, want);
}

static void assert_pos(const struct ynode *n, unsigned line, unsigned col)
{
	assert_non_null(n);
	if (n->line != line || n->column != col)
		fail_msg("node at %u:%u, want %u:%u", n->line, n->column, line, col);
}

static void test_positions(void **state)
{
	struct ydoc *doc = load_ok("# comment\n"
				   "name: shop\n"
				   "plans:\n"
				   "  - size: small\n"
				   "    replicas: [1, 2]\n"
				   "  - size: \"large\"\n");
	const struct ynode *root = doc->root, *plans, *p0, *reps;

	(void)state;
	assert_string_equal(doc->path, "doc.yaml");
	assert_int_equal(root->type, YNODE_MAP);
	assert_int_equal(root->len, 2);
	assert_pos(root->keys[0], 2, 1);
	assert_pos(root->items[0], 2, 7);
	assert_string_equal(ynode_get(root, "name")->scalar, "shop");
	plans = ynode_get(root, "plans");
	assert_int_equal(plans->type, YNODE_SEQ);
	assert_int_equal(plans->len, 2);
	assert_pos(plans, 4, 3);
	p0 = plans->items[0];
	assert_pos(p0, 4, 5);
	assert_pos(ynode_get(p0, "size"), 4, 11);
	reps = ynode_get(p0, "replicas");
	assert_pos(reps, 5, 15);
	assert_pos(reps->items[1], 5, 19);
	assert_string_equal(reps->items[1]->scalar, "2");
	assert_false(reps->items[1]->quoted);
	assert_true(ynode_get(plans->items[1], "size")->quoted);
	assert_pos(ynode_get(plans->items[1], "size"), 6, 11);
	assert_null(ynode_get(root, "absent"));
	assert_null(ynode_get(plans, "size")); /* not a mapping */
	assert_null(ynode_get(NULL, "size"));
	ydoc_free(doc);
}

static void test_error_messages(void **state)
{
	struct ydoc *doc = load_ok("a: 1\nb: [x]\n");
	struct err err = { "" };

	(void)state;
	assert_false(ydoc_error(doc, doc->root->items[1]->items[0], &err, "bad %s", "x"));
	assert_string_equal(err.msg, "doc.yaml:2:5: bad x");
	assert_false(ydoc_error(doc, NULL, &err, "whole file"));
	assert_string_equal(err.msg, "doc.yaml: whole file");
	ydoc_free(doc);
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	expect_error("a: 1\nb: 2\na: 3\n", "doc.yaml:3:1: duplicate key 'a'");
	expect_error("m:\n  x: 1\n  y: 2\n  x: 3\n", "doc.yaml:4:3: duplicate key 'x'");
	expect_error("{a: 1, a: 2}\n", "doc.yaml:1:8: duplicate key 'a'");
}

static void test_aliases_refused(void **state)
{
	(void)state;
	expect_error("a: &x 1\nb: *x\n", "doc.yaml:1:4: anchors are not supported");
	expect_error("a: &x [1]\nb: *x\n", "doc.yaml:2:4: aliases are not supported");
	expect_error("a: [*x]\n", "doc.yaml:1:5: aliases are not supported");
	/* The billion-laughs shape never gets to expand. */
	expect_error("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "doc.yaml:2:");
}

static void test_depth_limit(void **state)
{
	struct buf deep = BUF_INIT, ok = BUF_INIT;
	struct ydoc *doc;

	(void)state;
	for (int i = 0; i < 80; i++)
		buf_putc(&deep, '[');
	for (int i = 0; i < 80; i++)
		buf_putc(&deep, ']');
	expect_error(buf_str(&deep), "doc.yaml:1:");
	{
		struct err err = { "" };

		assert_null(load(buf_str(&deep), &err));
		assert_non_null(strstr(err.msg, "nested too deeply"));
	}
	for (int i = 0; i < 60; i++)
		buf_putc(&ok, '[');
	for (int i = 0; i < 60; i++)
		buf_putc(&ok, ']');
	doc = load_ok(buf_str(&ok));
	assert_int_equal(doc->root->type, YNODE_SEQ);
	ydoc_free(doc);
	buf_free(&deep);
	buf_free(&ok);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error("a: b: c\n", "doc.yaml:1:5: mapping values are not allowed");
	expect_error("a: [1, 2\nb: 3\n", "doc.yaml:2:2: did not find expected ',' or ']'");
	expect_error("a:\n  - x\n - y\n", "doc.yaml:3:2: ");
	expect_error("a: \"unterminated\n", "doc.yaml:2:1: found unexpected end of stream");
	expect_error("? [a]\n: b\n", "doc.yaml:1:3: mapping keys must be plain scalars");
	expect_error("a: \"x\\0y\"\n", "doc.yaml:1:4: NUL byte in a value");
}

static void test_documents_and_nulls(void **state)
{
	struct ydoc *doc;

	(void)state;
	doc = load_ok("");
	assert_null(doc->root);
	ydoc_free(doc);
	doc = load_ok("# only a comment\n");
	assert_null(doc->root);
	ydoc_free(doc);
	/* Only the first document counts. */
	doc = load_ok("a: 1\n---\nb: 2\n");
	assert_non_null(ynode_get(doc->root, "a"));
	assert_null(ynode_get(doc->root, "b"));
	ydoc_free(doc);

	doc = load_ok("a: ~\nb:\nc: null\nd: \"null\"\ne: NULL\nf: nil\n");
	assert_true(ynode_is_null(ynode_get(doc->root, "a")));
	assert_true(ynode_is_null(ynode_get(doc->root, "b")));
	assert_true(ynode_is_null(ynode_get(doc->root, "c")));
	assert_false(ynode_is_null(ynode_get(doc->root, "d")));
	assert_true(ynode_is_null(ynode_get(doc->root, "e")));
	assert_false(ynode_is_null(ynode_get(doc->root, "f")));
	assert_false(ynode_is_null(NULL));
	assert_false(ynode_is_null(doc->root));
	ydoc_free(doc);
}

static void test_typed_readers(void **state)
{
	struct ydoc *doc = load_ok("t: true\nf: off\nq: \"true\"\nn: 42\nbig: 99999\n"
				   "word: hello\nm: {a: 1}\nl: [1]\n");
	const struct ynode *r = doc->root;
	struct err err = { "" };
	bool b = false;
	long v = 0;
	const char *s = NULL;

	(void)state;
	assert_true(ynode_bool(doc, ynode_get(r, "t"), &b, &err));
	assert_true(b);
	assert_true(ynode_bool(doc, ynode_get(r, "f"), &b, &err));
	assert_false(b);
	assert_false(ynode_bool(doc, ynode_get(r, "q"), &b, &err));
	assert_string_equal(err.msg, "doc.yaml:3:4: expected true or false");
	assert_true(ynode_long(doc, ynode_get(r, "n"), 0, 100, &v, &err));
	assert_int_equal(v, 42);
	assert_false(ynode_long(doc, ynode_get(r, "big"), 0, 100, &v, &err));
	assert_string_equal(err.msg, "doc.yaml:5:6: expected a whole number from 0 to 100");
	assert_false(ynode_long(doc, ynode_get(r, "word"), 0, 100, &v, &err));
	assert_int_equal(v, 42);
	assert_true(ynode_string(doc, ynode_get(r, "word"), &s, &err));
	assert_string_equal(s, "hello");
	assert_false(ynode_string(doc, ynode_get(r, "m"), &s, &err));
	assert_string_equal(err.msg, "doc.yaml:7:4: expected a text value, not a mapping");
	assert_false(ynode_string(doc, ynode_get(r, "l"), &s, &err));
	assert_string_equal(err.msg, "doc.yaml:8:4: expected a text value, not a list");
	ydoc_free(doc);
}

static void test_files(void **state)
{
	struct err err = { "" };
	struct ydoc *doc;
	char *p;

	(void)state;
	testutil_setup_home();
	p = testutil_write("f.yaml", "k: v\nbad: [\n");
	assert_null(ydoc_load_file(p, &err));
	assert_true(testutil_prefix(err.msg, p));
	assert_non_null(strstr(err.msg, ":3:1: "));
	free(p);
	p = testutil_write("g.yaml", "k: v\n");
	doc = ydoc_load_file(p, &err);
	assert_non_null(doc);
	assert_string_equal(doc->path, p);
	assert_string_equal(ynode_get(doc->root, "k")->scalar, "v");
	ydoc_free(doc);
	free(p);
	assert_null(ydoc_load_file("/nonexistent/x.yaml", &err));
	assert_string_equal(err.msg, "/nonexistent/x.yaml: No such file or directory");
	ydoc_free(NULL);
	testutil_teardown_home();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_aliases_refused),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_documents_and_nulls),
		cmocka_unit_test(test_typed_readers),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests_name("yamldoc", tests, NULL, NULL);
}
