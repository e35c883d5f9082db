/* The message line (ui/message.h): importance, holding back a less
 * important message for MESSAGE_HOLD_MS, notes that end with their owner. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loop.h"
#include "message.h"

static int changes;

static void changed(void *ud)
{
	(void)ud;
	changes++;
}

static void post(struct message_line *m, enum message_prio prio, const void *owner,
		 const char *text, ...)
{
	va_list ap;

	va_start(ap, text);
	message_post(m, prio, prio == MESSAGE_ERROR, owner, text, ap);
	va_end(ap);
}

/* Runs the loop until the line changed (a fade or a message that waited),
 * at most 10 s. */
static bool wait_change(struct loop *loop)
{
	int before = changes;
	uint64_t until = loop_now_ms() + 10000;

	while (changes == before && loop_now_ms() < until)
		loop_run_once(loop, 100);
	return changes != before;
}

static void test_less_important_waits(void **state)
{
	struct loop *loop = loop_new();
	struct message_line *m = message_line_new(loop, changed, NULL);
	uint64_t t0 = loop_now_ms();

	(void)state;
	post(m, MESSAGE_ERROR, NULL, "cannot pause: read-only");
	post(m, MESSAGE_INFO, NULL, "Ordered store web");
	assert_string_equal(message_text(m), "cannot pause: read-only");
	assert_true(message_is_error(m));
	assert_true(wait_change(loop));
	assert_string_equal(message_text(m), "Ordered store web");
	assert_false(message_is_error(m));
	assert_true(loop_now_ms() - t0 >= MESSAGE_HOLD_MS - 50);
	/* a more important one never waits */
	post(m, MESSAGE_ERROR, NULL, "refused");
	assert_string_equal(message_text(m), "refused");
	message_line_free(m);
	loop_free(loop);
}

static void test_newest_waiting_wins(void **state)
{
	struct loop *loop = loop_new();
	struct message_line *m = message_line_new(loop, changed, NULL);

	(void)state;
	post(m, MESSAGE_ERROR, NULL, "e");
	post(m, MESSAGE_INFO, NULL, "first");
	post(m, MESSAGE_INFO, NULL, "second");
	post(m, MESSAGE_NOTE, &m, "a note never takes the place of a waiting info");
	assert_true(wait_change(loop));
	assert_string_equal(message_text(m), "second");
	/* an error that comes meanwhile takes the place of what waits */
	post(m, MESSAGE_ERROR, NULL, "e2");
	post(m, MESSAGE_INFO, NULL, "third");
	post(m, MESSAGE_ERROR, NULL, "e3");
	assert_string_equal(message_text(m), "e3");
	message_clear(m);
	assert_string_equal(message_text(m), "");
	post(m, MESSAGE_INFO, NULL, "after a key");
	assert_string_equal(message_text(m), "after a key");
	message_line_free(m);
	loop_free(loop);
}

static void test_notes_end_with_their_owner(void **state)
{
	struct loop *loop = loop_new();
	struct message_line *m = message_line_new(loop, changed, NULL);
	int a, b;

	(void)state;
	post(m, MESSAGE_NOTE, &a, "Reconcile pass running…");
	message_note_end(m, &b);
	assert_string_equal(message_text(m), "Reconcile pass running…");
	message_note_end(m, &a);
	assert_string_equal(message_text(m), "");
	/* an info that replaced the note is not the note's to end */
	post(m, MESSAGE_NOTE, &a, "web (4f1c2a9be310)  shop (9a0b7c3d2e11)");
	post(m, MESSAGE_INFO, NULL, "Paused store web");
	message_note_end(m, &a);
	assert_string_equal(message_text(m), "Paused store web");
	/* a note waiting behind an info goes with its owner too */
	post(m, MESSAGE_NOTE, &a, "pass running");
	message_note_end(m, &a);
	assert_true(wait_change(loop)); /* the info fades */
	assert_string_equal(message_text(m), "");
	message_line_free(m);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_less_important_waits),
	    cmocka_unit_test(test_newest_waiting_wins),
	    cmocka_unit_test(test_notes_end_with_their_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
