/* The one UTF-8 reader: what a sequence is, what is refused, and where a
 * valid start is only cut short. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static size_t decode(const char *s, size_t n, uint32_t *cp, bool *incomplete)
{
	return utf8_decode((const unsigned char *)s, n, cp, incomplete);
}

static void test_sequences(void **state)
{
	uint32_t cp = 0;
	bool inc = true;

	(void)state;
	assert_int_equal(decode("A", 1, &cp, &inc), 1);
	assert_int_equal(cp, 'A');
	assert_false(inc);
	assert_int_equal(decode("\xc3\xa9", 2, &cp, NULL), 2); /* é */
	assert_int_equal(cp, 0xe9);
	assert_int_equal(decode("\xe2\x82\xac", 3, &cp, NULL), 3); /* € */
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(decode("\xf0\x9f\x98\x80", 4, &cp, NULL), 4); /* 😀 */
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(decode("\xf4\x8f\xbf\xbf", 4, &cp, NULL), 4);
	assert_int_equal(cp, 0x10ffff);
	assert_int_equal(decode("\xed\x9f\xbf", 3, &cp, NULL), 3); /* U+D7FF */
	assert_int_equal(decode("\xee\x80\x80", 3, &cp, NULL), 3); /* U+E000 */
	assert_int_equal(decode("\xc2\x80", 2, NULL, NULL), 2);	   /* NULL cp */
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
	    "\x80",		/* a continuation byte alone */
	    "\xbf",		"\xc0\x80",	    /* overlong NUL */
	    "\xc1\xbf",		"\xe0\x9f\xbf",	    /* overlong in three */
	    "\xf0\x8f\xbf\xbf", /* overlong in four */
	    "\xed\xa0\x80",	/* a surrogate */
	    "\xed\xbf\xbf",	"\xf4\x90\x80\x80", /* past U+10FFFF */
	    "\xf5\x80\x80\x80", "\xff",		    "\xc3\x28", /* not a continuation */
	    "\xe2\x28\xa1",	"\xf0\x9f\x28\x80",
	};
	bool inc = true;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decode(bad[i], strlen(bad[i]), NULL, &inc) != 0 || inc)
			fail_msg("case %zu taken or called incomplete", i);
	}
}

static void test_cut_short(void **state)
{
	bool inc = false;

	(void)state;
	assert_int_equal(decode("\xe2\x82", 2, NULL, &inc), 0);
	assert_true(inc);
	assert_int_equal(decode("\xf0\x9f\x98", 3, NULL, &inc), 0);
	assert_true(inc);
	assert_int_equal(decode("\xc3", 1, NULL, &inc), 0);
	assert_true(inc);
	/* a bad byte before the end is not a cut */
	assert_int_equal(decode("\xe0\x80", 2, NULL, &inc), 0);
	assert_false(inc);
	/* a NUL-terminated string read with n = 4 stops at the NUL */
	assert_int_equal(decode("\xe2\x82", 4, NULL, &inc), 0);
	assert_false(inc);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid((const unsigned char *)"", 0));
	assert_true(utf8_valid((const unsigned char *)"caf\xc3\xa9 \xe2\x82\xac", 9));
	assert_false(utf8_valid((const unsigned char *)"caf\xc3", 4));
	assert_false(utf8_valid((const unsigned char *)"a\xed\xa0\x80z", 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sequences),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_cut_short),
	    cmocka_unit_test(test_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
