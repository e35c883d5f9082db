/* The password file as libpq reads it (db/pgpass): fields, wildcards,
 * escapes, comments, the first match, and files libpq ignores. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/pgpass.h"

/* The password text gives db.internal:5432, database shop, user app; or
 * "(none)". */
static const char *pw_of(const char *text)
{
	static char pw[64];

	if (!pgpass_match(text, strlen(text), "db.internal", "5432", "shop", "app", pw, sizeof(pw)))
		return "(none)";
	return pw;
}

static void test_fields(void **state)
{
	(void)state;
	assert_string_equal(pw_of("db.internal:5432:shop:app:secret\n"), "secret");
	assert_string_equal(pw_of("db.internal:5432:shop:app:secret"), "secret");
	assert_string_equal(pw_of("db.internal:5433:shop:app:secret\n"), "(none)");
	assert_string_equal(pw_of("127.0.0.1:5432:shop:app:secret\n"), "(none)");
	assert_string_equal(pw_of("db.internal:5432:other:app:secret\n"), "(none)");
	assert_string_equal(pw_of("db.internal:5432:shop:root:secret\n"), "(none)");
	/* a field is the whole token, not a prefix */
	assert_string_equal(pw_of("db.int:5432:shop:app:secret\n"), "(none)");
	assert_string_equal(pw_of("db.internal.x:5432:shop:app:secret\n"), "(none)");
	/* too few fields */
	assert_string_equal(pw_of("db.internal:5432:shop:app\n"), "(none)");
	/* the password ends at the next unescaped colon */
	assert_string_equal(pw_of("db.internal:5432:shop:app:se:cret\n"), "se");
	assert_string_equal(pw_of("db.internal:5432:shop:app:\n"), "");
}

static void test_wildcards(void **state)
{
	(void)state;
	assert_string_equal(pw_of("*:*:*:*:any\n"), "any");
	assert_string_equal(pw_of("db.internal:*:shop:*:p\n"), "p");
	/* `*` only alone in a field */
	assert_string_equal(pw_of("db.*:5432:shop:app:p\n"), "(none)");
}

static void test_first_match_and_comments(void **state)
{
	(void)state;
	assert_string_equal(pw_of("# db.internal:5432:shop:app:commented\n"
				  "\n"
				  "other:5432:shop:app:no\n"
				  "db.internal:5432:shop:app:first\r\n"
				  "*:*:*:*:second\n"),
			    "first");
	/* a '#' that does not start the line is text */
	assert_string_equal(pw_of(" #db.internal:5432:shop:app:x\n*:*:*:*:y\n"), "y");
	assert_string_equal(pw_of("\r\n\n*:*:*:*:crlf\r\n"), "crlf");
}

static void test_escapes(void **state)
{
	static const char esc[] = "a\\:b:1:d\\\\b:u:p\\:w\\\\x\\y\n";
	static char pw[64];

	(void)state;
	assert_true(pgpass_match(esc, strlen(esc), "a:b", "1", "d\\b", "u", pw, sizeof(pw)));
	assert_string_equal(pw, "p:w\\xy");
	/* as in libpq, an unescaped colon also matches one in the name */
	assert_true(pgpass_match("a:b:1:d:u:p\n", 12, "a:b", "1", "d", "u", pw, sizeof(pw)));
	assert_string_equal(pw, "p");
	/* a backslash at the end of the line escapes nothing */
	assert_false(pgpass_match("a\\", 2, "a", "1", "d", "u", pw, sizeof(pw)));
}

static void test_cut_and_nul(void **state)
{
	static const char text[] = "db.internal:5432:shop:app:abcdefgh\n";
	static const char nul[] = "db.internal:5432:shop\0:app:x\n*:*:*:*:after\n";
	char small[4];
	char pw[16];

	(void)state;
	assert_true(pgpass_match(text, strlen(text), "db.internal", "5432", "shop", "app", small,
				 sizeof(small)));
	assert_string_equal(small, "abc");
	/* a line ends at a NUL byte for matching */
	assert_true(pgpass_match(nul, sizeof(nul) - 1, "db.internal", "5432", "shop", "app", pw,
				 sizeof(pw)));
	assert_string_equal(pw, "after");
	/* only len bytes are read */
	assert_false(pgpass_match(text, 10, "db.internal", "5432", "shop", "app", pw, sizeof(pw)));
}

static char dir[64];

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_files(void **state)
{
	char path[128], pw[32];
	struct err warn = {{0}};

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pgpass.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pgpass", dir);
	assert_int_equal(pgpass_lookup(path, "h", "1", "d", "u", pw, sizeof(pw), &warn),
			 PGPASS_NONE);
	write_file(path, "h:1:d:u:pw\n", 0600);
	assert_int_equal(pgpass_lookup(path, "h", "1", "d", "u", pw, sizeof(pw), &warn),
			 PGPASS_FOUND);
	assert_string_equal(pw, "pw");
	assert_int_equal(pgpass_lookup(path, "h", "2", "d", "u", pw, sizeof(pw), &warn),
			 PGPASS_NONE);
	assert_false(err_isset(&warn));
	/* group or world access: ignored, as libpq does, with a warning */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(pgpass_lookup(path, "h", "1", "d", "u", pw, sizeof(pw), &warn),
			 PGPASS_IGNORED);
	assert_non_null(strstr(warn.msg, "has group or world access"));
	assert_null(strstr(warn.msg, "pw\n"));
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(pgpass_lookup(path, "h", "1", "d", "u", pw, sizeof(pw), &warn),
			 PGPASS_IGNORED);
	/* a directory is not a password file */
	memset(&warn, 0, sizeof(warn));
	assert_int_equal(pgpass_lookup(dir, "h", "1", "d", "u", pw, sizeof(pw), &warn),
			 PGPASS_IGNORED);
	assert_non_null(strstr(warn.msg, "is not a plain file"));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_wildcards),
	    cmocka_unit_test(test_first_match_and_comments),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_cut_and_nul),
	    cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
