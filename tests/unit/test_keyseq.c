/* Terminal escape sequences read whole (src/keyseq.h). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "keyseq.h"

/* Feeds bytes; returns the keys it produced, as key names separated by
 * spaces, "drop" for a swallowed sequence, and "..." if one is under way
 * at the end. */
static const char *feed(const char *bytes)
{
	static char out[256];
	struct keyseq s = { .n = 0 };
	size_t len = 0;

	out[0] = '\0';
	for (const unsigned char *p = (const unsigned char *)bytes; *p; p++) {
		keycode k = KC_NONE;
		enum keyseq_result r = keyseq_feed(&s, *p, &k);
		char name[32];

		if (r == KEYSEQ_MORE)
			continue;
		if (r == KEYSEQ_KEY)
			key_format(k, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "drop");
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", len ? " " : "", name);
	}
	if (keyseq_active(&s))
		snprintf(out + len, sizeof(out) - len, "%s...", len ? " " : "");
	return out;
}

/* Feeds bytes, then lets the wait run out. */
static const char *expire(const char *bytes)
{
	static char out[64];
	struct keyseq s = { .n = 0 };
	keycode k = KC_NONE;

	for (const unsigned char *p = (const unsigned char *)bytes; *p; p++)
		assert_int_equal(keyseq_feed(&s, *p, &k), KEYSEQ_MORE);
	if (keyseq_expire(&s, &k) == KEYSEQ_KEY)
		key_format(k, out, sizeof(out));
	else
		snprintf(out, sizeof(out), "drop");
	assert_false(keyseq_active(&s));
	return out;
}

static void test_home_and_end_variants(void **state)
{
	(void)state;
	/* what PuTTY, tmux and rxvt send, unknown to xterm's terminfo */
	assert_string_equal(feed("\033[1~"), "Home");
	assert_string_equal(feed("\033[4~"), "End");
	assert_string_equal(feed("\033[7~"), "Home");
	assert_string_equal(feed("\033[8~"), "End");
	assert_string_equal(feed("\033[H"), "Home");
	assert_string_equal(feed("\033[F"), "End");
	assert_string_equal(feed("\033OH"), "Home");
	assert_string_equal(feed("\033OF"), "End");
}

static void test_other_keys(void **state)
{
	(void)state;
	assert_string_equal(feed("\033[A\033[B\033[C\033[D"), "Up Down Right Left");
	assert_string_equal(feed("\033OA\033OD"), "Up Left");
	assert_string_equal(feed("\033[2~\033[3~\033[5~\033[6~"), "Insert Delete PgUp PgDn");
	assert_string_equal(feed("\033[11~\033[15~\033[17~\033[21~\033[24~"), "F1 F5 F6 F10 F12");
	assert_string_equal(feed("\033OP\033OS"), "F1 F4");
	assert_string_equal(feed("\033[Z"), "S-Tab");
	assert_string_equal(feed("\033OM"), "Enter");
	/* xterm's modifiers: Alt is kept, Shift and Ctrl are not names */
	assert_string_equal(feed("\033[1;3A"), "M-Up");
	assert_string_equal(feed("\033[1;5A"), "Up");
	assert_string_equal(feed("\033[3;3~"), "M-Delete");
}

static void test_unknown_sequences_are_dropped_whole(void **state)
{
	(void)state;
	/* nothing of them reaches the key map as Esc and keys */
	assert_string_equal(feed("\033[99~x"), "drop x");
	assert_string_equal(feed("\033[1;2;3Ax"), "drop x");
	assert_string_equal(feed("\033[?1049hx"), "drop x");
	assert_string_equal(feed("\033[<0;10;5Mx"), "drop x");
	assert_string_equal(feed("\033[2 qx"), "drop x");
	assert_string_equal(feed("\033Ozx"), "drop x");
	assert_string_equal(feed("\033[12345~x"), "drop x");
	/* longer than the buffer: swallowed to its final byte */
	assert_string_equal(feed("\033[11111111111111111111111111111111111111111111~x"),
			    "drop x");
	/* a control character breaks a sequence: both go */
	assert_string_equal(feed("\033[1\rx"), "drop x");
}

static void test_alt_and_esc(void **state)
{
	(void)state;
	assert_string_equal(feed("\033x"), "M-x");
	assert_string_equal(feed("\033\r"), "M-Enter");
	assert_string_equal(feed("\033\033"), "Esc");
	assert_string_equal(feed("a\r\177"), "a Enter Backspace");
	assert_string_equal(feed("\033[1"), "...");
	/* the wait ran out */
	assert_string_equal(expire("\033"), "Esc");
	assert_string_equal(expire("\033["), "M-[");
	assert_string_equal(expire("\033O"), "M-O");
	assert_string_equal(expire("\033[1"), "drop");
	assert_string_equal(expire("\033[1;"), "drop");
}

static void test_named_keys_between(void **state)
{
	struct keyseq s = { .n = 0 };
	keycode k = KC_NONE;

	(void)state;
	/* a key curses decoded after a lone ESC is Alt and that key */
	assert_int_equal(keyseq_feed(&s, 27, &k), KEYSEQ_MORE);
	assert_int_equal(keyseq_named(&s, KC_UP), KC_UP | KEY_MOD_ALT);
	assert_false(keyseq_active(&s));
	/* after a partial sequence, the sequence is dropped, the key kept */
	assert_int_equal(keyseq_feed(&s, 27, &k), KEYSEQ_MORE);
	assert_int_equal(keyseq_feed(&s, '[', &k), KEYSEQ_MORE);
	assert_int_equal(keyseq_feed(&s, '1', &k), KEYSEQ_MORE);
	assert_int_equal(keyseq_named(&s, KC_DOWN), KC_DOWN);
	assert_false(keyseq_active(&s));
	assert_int_equal(keyseq_named(&s, KC_LEFT), KC_LEFT);
	/* NUL names no key, alone or with Alt */
	assert_int_equal(keyseq_feed(&s, 0, &k), KEYSEQ_DROP);
	assert_int_equal(keyseq_feed(&s, 27, &k), KEYSEQ_MORE);
	assert_int_equal(keyseq_feed(&s, 0, &k), KEYSEQ_DROP);
	assert_false(keyseq_active(&s));
}

static void test_idle_expire(void **state)
{
	struct keyseq s = { .n = 0 };
	keycode k = KC_NONE;

	(void)state;
	assert_false(keyseq_active(&s));
	assert_int_equal(keyseq_expire(&s, &k), KEYSEQ_DROP);
	assert_int_equal(k, KC_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_home_and_end_variants),
		cmocka_unit_test(test_other_keys),
		cmocka_unit_test(test_unknown_sequences_are_dropped_whole),
		cmocka_unit_test(test_alt_and_esc),
		cmocka_unit_test(test_named_keys_between),
		cmocka_unit_test(test_idle_expire),
	};

	return cmocka_run_group_tests_name("keyseq", tests, NULL, NULL);
}
