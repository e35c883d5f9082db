/* Slugs made from names (db_slugify): lowercase DNS-1123 labels, Latin
 * letters without their accents, anything else a separator. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "db/db.h"

static const char *slug(const char *name)
{
	static char out[64];

	if (!db_slugify(name, out, sizeof(out)))
		return "(none)";
	return out;
}

static void test_ascii(void **state)
{
	(void)state;
	assert_string_equal(slug("Acme Shop!"), "acme-shop");
	assert_string_equal(slug("  web -- store 2 "), "web-store-2");
	assert_string_equal(slug("!!!"), "(none)");
}

static void test_transliterated(void **state)
{
	(void)state;
	assert_string_equal(slug("Ünïcode"), "unicode");
	assert_string_equal(slug("Café Crème"), "cafe-creme");
	assert_string_equal(slug("Straße Øre Łódź"), "strasse-ore-lodz");
	assert_string_equal(slug("Æsir Œuvre"), "aesir-oeuvre");
	/* what has no Latin letter separates; malformed bytes too */
	assert_string_equal(slug("a×b"), "a-b");
	assert_string_equal(slug("東京 shop"), "shop");
	assert_string_equal(slug("a\xff" "b\xc3"), "a-b");
}

static void test_length(void **state)
{
	char name[200] = "", out[8];

	(void)state;
	/* at most 63 characters, never ending in a dash */
	for (size_t i = 0; i < 80; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2); /* é; name stays terminated */
	assert_int_equal(strlen(slug(name)), 63);
	assert_string_equal(slug("Straße-Ünïcode-Café-Straße-Ünïcode-Café-Straße-Ünïcode-Café-x"),
			    "strasse-unicode-cafe-strasse-unicode-cafe-strasse-unicode-cafe");
	assert_true(db_slugify("Straße", out, sizeof(out)));
	assert_string_equal(out, "strasse");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_transliterated),
		cmocka_unit_test(test_length),
	};

	return cmocka_run_group_tests_name("slug", tests, NULL, NULL);
}
