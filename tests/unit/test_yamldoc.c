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
	/* A marker before the one document, or its end marker, is fine. */
	doc = load_ok("---\na: 1\n...\n");
	assert_non_null(ynode_get(doc->root, "a"));
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

static void test_more_than_one_document(void **state)
{
	(void)state;
	expect_error("a: 1\n---\nb: 2\n", "doc.yaml:2:1: more than one YAML document");
	expect_error("---\na: 1\n---\nb: 2\n", "doc.yaml:3:1: more than one YAML document");
	/* an empty second document is a second document all the same */
	expect_error("a: 1\n---\n", "doc.yaml:2:1: more than one YAML document");
	/* after an end marker, only `---` starts another document */
	expect_error("a: 1\n...\n\n--- b\n", "doc.yaml:4:1: more than one YAML document");
	/* what follows the first document is parsed, not skipped */
	expect_error("a: 1\n...\n]\n", "doc.yaml:3:1: did not find expected <document start>");
	expect_error("a: 1\n...\nb: 1\n", "doc.yaml:3:1: did not find expected <document start>");
	expect_error("a: 1\n---\nb: \"\xff\"\n", "doc.yaml:3:5: invalid leading UTF-8 octet");
}

static void expect_error_n(const char *text, size_t len, const char *want)
{
	struct err err = { "" };
	struct ydoc *doc = ydoc_load_string("doc.yaml", text, len, &err);

	if (doc)
		fail_msg("input of %zu bytes was accepted", len);
	if (strcmp(err.msg, want) != 0)
		fail_msg("error was '%s', want '%s'", err.msg, want);
}

/* libyaml's reader errors carry a byte offset, not a mark: the line and
 * column are counted from it, in characters as marks count them. */
static void test_reader_error_positions(void **state)
{
	static const char nul[] = "a: 1\nbb: x\0y\n";
	static const char utf16[] = "\xff\xfe" "a\0:\0 \0\x01\0";
	struct buf big = BUF_INIT;

	(void)state;
	expect_error_n(nul, sizeof(nul) - 1,
		       "doc.yaml:2:6: control characters are not allowed (U+0000)");
	expect_error_n("a: \xff\n", 5, "doc.yaml:1:4: invalid leading UTF-8 octet (byte 0xff)");
	expect_error_n("\xc3\xa9: 1\nb: \"\xe6\x97\xa5\xe6\x9c\xac\x01\"\n", 20,
		       "doc.yaml:2:7: control characters are not allowed (U+0001)");
	/* \r\n is one line break, \r alone another, U+0085 another */
	expect_error_n("a: 1\r\nb: 2\rc: 3\xc2\x85\x7f", 18,
		       "doc.yaml:4:1: control characters are not allowed (U+007F)");
	/* a bad trailing byte: the position of the character it was to end */
	expect_error_n("a: 1\nb: x\xe6\x97(\n", 13,
		       "doc.yaml:2:5: invalid trailing UTF-8 octet (byte 0x28)");
	expect_error_n("a: \xe6\x97", 5, "doc.yaml:1:4: incomplete UTF-8 octet sequence");
	expect_error_n("\xef\xbb\xbf" "a: \x02", 7,
		       "doc.yaml:1:4: control characters are not allowed (U+0002)");
	expect_error_n(utf16, sizeof(utf16) - 1,
		       "doc.yaml:1:4: control characters are not allowed (U+0001)");
	/* far past libyaml's first 16 KiB of input */
	for (int i = 0; i < 3000; i++)
		buf_puts(&big, "# comment\n");
	buf_puts(&big, "key: \"v\x1b\"\n");
	expect_error_n(buf_str(&big), big.len,
		       "doc.yaml:3001:8: control characters are not allowed (U+001B)");
	buf_free(&big);
}

static struct ydoc *load_first(const char *text, size_t len, struct err *err)
{
	return ydoc_load_first_string("kc.yaml", text, len, err);
}

static struct ydoc *load_first_text(const char *text, struct err *err)
{
	return load_first(text, strlen(text), err);
}

/* kubectl's reading, as observed with kubectl 1.32 (doc/kube-client.md). */
static void test_first_document_only(void **state)
{
	static const char tail_nul[] = "a: 1\n---\nb: x\0\n";
	struct err err = { "" };
	struct buf b = BUF_INIT;
	struct ydoc *doc;

	(void)state;
	doc = load_first_text("a: 1\n---\nb: 2\n", &err);
	assert_non_null(doc);
	assert_non_null(ynode_get(doc->root, "a"));
	assert_null(ynode_get(doc->root, "b"));
	ydoc_free(doc);
	/* what follows is never parsed */
	doc = load_first_text("a: 1\n--- [unclosed\n\tb: ]\n", &err);
	assert_non_null(doc);
	ydoc_free(doc);
	doc = load_first_text("a: 1\n...\n: : [\n", &err);
	assert_non_null(doc);
	ydoc_free(doc);
	/* an empty first document is a null */
	doc = load_first_text("---\n---\na: 1\n", &err);
	assert_non_null(doc);
	assert_true(ynode_is_null(doc->root));
	ydoc_free(doc);
	/* the first document itself is checked whole */
	assert_null(load_first_text("a: [1\n---\n", &err));
	assert_string_equal(err.msg, "kc.yaml:2:1: did not find expected ',' or ']' while "
				     "parsing a flow sequence");
	/* a bad byte within the 512 the reader had decoded is an error */
	assert_null(load_first(tail_nul, sizeof(tail_nul) - 1, &err));
	assert_string_equal(err.msg, "kc.yaml:3:5: control characters are not allowed (U+0000)");
	/* the first 400 bytes, then the second document: a bad byte at 511 is
	 * in the block being read when the first document ends, one at 512 is
	 * past it (kubectl: an error, then none) */
	buf_puts(&b, "a: 1\n#");
	while (b.len < 399)
		buf_putc(&b, 'x');
	buf_puts(&b, "\n---\n#");
	while (b.len < 511)
		buf_putc(&b, 'y');
	buf_putc(&b, '\xff');
	assert_null(load_first(buf_str(&b), b.len, &err));
	assert_string_equal(err.msg, "kc.yaml:4:108: invalid leading UTF-8 octet (byte 0xff)");
	b.len--;
	buf_puts(&b, "y\xff\n");
	doc = load_first(buf_str(&b), b.len, &err);
	assert_non_null(doc);
	assert_non_null(ynode_get(doc->root, "a"));
	ydoc_free(doc);
	/* the strict reader refuses the same input */
	assert_null(ydoc_load_string("kc.yaml", buf_str(&b), b.len, &err));
	assert_string_equal(err.msg, "kc.yaml:4:109: invalid leading UTF-8 octet (byte 0xff)");
	buf_free(&b);
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
		cmocka_unit_test(test_more_than_one_document),
		cmocka_unit_test(test_reader_error_positions),
		cmocka_unit_test(test_first_document_only),
		cmocka_unit_test(test_typed_readers),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests_name("yamldoc", tests, NULL, NULL);
}
