/* The password file as libpq reads it (db/pgpass): fields, wildcards,
 * escapes, comments, the first match, NUL bytes, long passwords, files
 * libpq ignores; compared with libpq itself, and the fuzz corpus replayed. */
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
#include <dirent.h>
#include <libpq-fe.h>

#include "db/pgpass.h"

#define LLVMFuzzerTestOneInput fuzz_pgpass_one
#include "../fuzz/fuzz_pgpass.c"

/* The password text gives db.internal:5432, database shop, user app; or
 * "(none)". */
static const char *pw_of_len(const char *text, size_t len)
{
	static char shown[64];
	char *pw = pgpass_match(text, len, "db.internal", "5432", "shop", "app");

	snprintf(shown, sizeof(shown), "%s", pw ? pw : "(none)");
	pgpass_free(pw);
	return shown;
}

static const char *pw_of(const char *text)
{
	return pw_of_len(text, strlen(text));
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

/* pgpass_match's password as a string, "(none)" for none */
static const char *match_of(const char *text, size_t len, const char *host, const char *port,
			    const char *db, const char *user)
{
	static char shown[64];
	char *pw = pgpass_match(text, len, host, port, db, user);

	snprintf(shown, sizeof(shown), "%s", pw ? pw : "(none)");
	pgpass_free(pw);
	return shown;
}

static void test_escapes(void **state)
{
	static const char esc[] = "a\\:b:1:d\\\\b:u:p\\:w\\\\x\\y\n";

	(void)state;
	assert_string_equal(match_of(esc, strlen(esc), "a:b", "1", "d\\b", "u"), "p:w\\xy");
	/* as in libpq, an unescaped colon also matches one in the name */
	assert_string_equal(match_of("a:b:1:d:u:p\n", 12, "a:b", "1", "d", "u"), "p");
	/* a backslash at the end of the line escapes nothing */
	assert_string_equal(match_of("a\\", 2, "a", "1", "d", "u"), "(none)");
	/* the port as written: libpq compares strings, not numbers */
	assert_string_equal(match_of("h:05432:d:u:p\n*:*:*:*:q\n", 24, "h", "5432", "d", "u"),
			    "q");
	assert_string_equal(match_of("h:05432:d:u:p\n", 14, "h", "05432", "d", "u"), "p");
}

static void test_long_password(void **state)
{
	size_t n = 5000;
	char *text = malloc(n + 20), *pw;

	(void)state;
	assert_non_null(text);
	memcpy(text, "h:1:d:u:", 8);
	for (size_t i = 0; i < n; i++)
		text[8 + i] = (char)('a' + i % 26);
	memcpy(text + 8 + n, "\n", 2);
	pw = pgpass_match(text, n + 10, "h", "1", "d", "u");
	assert_non_null(pw);
	assert_int_equal(strlen(pw), n);
	assert_memory_equal(pw, text + 8, n);
	pgpass_free(pw);
	free(text);
}

static void test_nul(void **state)
{
	static const char text[] = "db.internal:5432:shop:app:abcdefgh\n";
	/* libpq's fgets loop: the text read ends at the NUL, the rest of that
	 * read is lost, and the next line is joined on */
	static const char nul[] = "db.internal:5432:shop\0:app:x\n:app:joined\n*:*:*:*:after\n";
	static const char nul2[] = "*:*:*:*:pp\0q\nxh#uhd\n";
	static const char nul_last[] = "*:*:*:*:a\0b\n";
	static const char nul_eof[] = "*:*:*:*:a\0b";

	(void)state;
	assert_string_equal(pw_of_len(nul, sizeof(nul) - 1), "joined");
	assert_string_equal(pw_of_len(nul2, sizeof(nul2) - 1), "ppxh#uhd");
	/* a NUL in the last line, which ends in a newline: libpq reads on,
	 * finds the end, and never matches that line */
	assert_string_equal(pw_of_len(nul_last, sizeof(nul_last) - 1), "(none)");
	/* without the newline the end of the file ends the line */
	assert_string_equal(pw_of_len(nul_eof, sizeof(nul_eof) - 1), "a");
	/* only len bytes are read */
	assert_string_equal(pw_of_len(text, 10), "(none)");
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
	char path[128], *pw = NULL;
	struct err warn = {{0}};

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pgpass.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pgpass", dir);
	assert_int_equal(pgpass_lookup(path, "h", "1", "d", "u", &pw, &warn), PGPASS_NONE);
	write_file(path, "h:1:d:u:pw\n", 0600);
	assert_int_equal(pgpass_lookup(path, "h", "1", "d", "u", &pw, &warn), PGPASS_FOUND);
	assert_string_equal(pw, "pw");
	pgpass_free(pw);
	assert_int_equal(pgpass_lookup(path, "h", "2", "d", "u", &pw, &warn), PGPASS_NONE);
	assert_null(pw);
	assert_false(err_isset(&warn));
	/* group or world access: ignored, as libpq does, with a warning that
	 * names the file; no password comes out of it */
	assert_int_equal(chmod(path, 0640), 0);
	pw = (char *)"unset";
	assert_int_equal(pgpass_lookup(path, "h", "1", "d", "u", &pw, &warn), PGPASS_IGNORED);
	assert_null(pw);
	assert_non_null(strstr(warn.msg, "has group or world access"));
	assert_non_null(strstr(warn.msg, path));
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(pgpass_lookup(path, "h", "1", "d", "u", &pw, &warn), PGPASS_IGNORED);
	assert_null(pw);
	/* a directory is not a password file */
	memset(&warn, 0, sizeof(warn));
	assert_int_equal(pgpass_lookup(dir, "h", "1", "d", "u", &pw, &warn), PGPASS_IGNORED);
	assert_non_null(strstr(warn.msg, "is not a plain file"));
	unlink(path);
	rmdir(dir);
}

/* What libpq 15 itself finds in the file at path for host:port, db, user:
 * a connection started to 127.0.0.1 (hostaddr: no name lookup) reads the
 * password file before it connects; PQpass gives "" for none. */
static char *libpq_pass(const char *path, const char *host, const char *port, const char *db,
			const char *user)
{
	const char *keys[] = { "host", "hostaddr", "port", "dbname", "user", "passfile", NULL };
	const char *vals[] = { host, "127.0.0.1", port, db, user, path, NULL };
	PGconn *pg = PQconnectStartParams(keys, vals, 0);
	char *pw;

	assert_non_null(pg);
	pw = strdup(PQpass(pg) ? PQpass(pg) : "");
	PQfinish(pg);
	return pw;
}

static void check_same_as_libpq(const char *path, const char *text, size_t len, const char *port)
{
	char *ours, *theirs;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	ours = pgpass_match(text, len, "h", port, "d", "u");
	theirs = libpq_pass(path, "h", port, "d", "u");
	if (strcmp(ours ? ours : "", theirs) != 0)
		fail_msg("file of %zu bytes, port %s: libpq \"%s\", pgpass_match \"%s\"", len, port,
			 theirs, ours ? ours : "(none)");
	pgpass_free(ours);
	free(theirs);
}

/* Tricky files, then deterministic random ones (NULs, long lines across
 * libpq's 256-byte reads, CR, escapes, comments), each read by both. */
static void test_same_as_libpq(void **state)
{
	static const struct {
		const char *text;
		size_t len;
	} cases[] = {
#define C(s) { s, sizeof(s) - 1 }
	    C("h:1:d:u:p\n"), C("h:01:d:u:p\n*:*:*:*:q\n"), C("*:*:*:*:pp\0q\nxh#uhd\n"),
	    C("h:1:d\0x\n:u:glued\n"), C("*:*:*:*:a\0b\n"), C("*:*:*:*:a\0b"),
	    C("\0#\n*:*:*:*:c\n"), C("#\0\n*:*:*:*:c\n"), C("h\\:1:d:u:e\n*:*:*:*:f"),
	    C("h:1:d:u:a\\:b\\\\c:d\r\r\n"), C("h:1:d:u:trail\\"), C("\r\n*:*:*:*:x\r"),
#undef C
	};
	static const char alphabet[] = "h1du*:\\\n\0#\rx";
	char path[128], text[1200];
	uint32_t seed = 12345;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pgpass.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pgpass", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_same_as_libpq(path, cases[i].text, cases[i].len, "1");
		check_same_as_libpq(path, cases[i].text, cases[i].len, "01");
	}
	/* a line of exactly 255 bytes at the end, no newline: libpq's read
	 * fills its buffer, does not see the end, and drops the line */
	memset(text, 'x', sizeof(text));
	memcpy(text, "*:*:*:*:", 8);
	check_same_as_libpq(path, text, 255, "1");
	check_same_as_libpq(path, text, 254, "1");
	for (int n = 0; n < 1500; n++) {
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % (n % 10 == 0 ? sizeof(text) : 60);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* runs of one byte make long lines and real fields */
			if ((seed >> 16) % 4 == 0)
				text[i] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
			else
				text[i] = "h:1:d:u:"[(seed >> 20) % 8];
		}
		check_same_as_libpq(path, text, len, n % 2 ? "1" : "01");
	}
	unlink(path);
	rmdir(dir);
}

/* tests/fuzz/corpus/pgpass through the fuzz target. */
static void test_fuzz_corpus(void **state)
{
	char dpath[1024], fpath[1400];
	struct dirent *de;
	int files = 0;
	DIR *d;

	(void)state;
	snprintf(dpath, sizeof(dpath), "%s/tests/fuzz/corpus/pgpass", OPSDECK_TEST_SRCDIR);
	d = opendir(dpath);
	assert_non_null(d);
	while ((de = readdir(d))) {
		char buf[65536];
		size_t n;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s", dpath, de->d_name);
		f = fopen(fpath, "rb");
		assert_non_null(f);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		assert_int_equal(fuzz_pgpass_one((const uint8_t *)buf, n), 0);
		files++;
	}
	closedir(d);
	assert_true(files > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_wildcards),
	    cmocka_unit_test(test_first_match_and_comments),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_long_password),
	    cmocka_unit_test(test_nul),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_same_as_libpq),
	    cmocka_unit_test(test_fuzz_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
