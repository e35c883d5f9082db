/* Escape sequences from a terminal, read whole.
 *
 * curses knows the sequences its terminfo entry lists; others arrive as
 * plain characters (xterm-256color has no `ESC [ 1 ~`, which PuTTY and
 * tmux send for Home). Read one by one, they would be Esc followed by
 * keys: Home would jump to the Catalog pane and print "~ is not bound".
 * This parser takes the characters after an ESC until a sequence is
 * complete (CSI: `ESC [` parameters, intermediates, one final byte; SS3:
 * `ESC O` and one byte), maps the common ones to keys, and drops the
 * rest whole.
 *
 * Contract:
 *  - keyseq_feed() takes an ESC to start, then the characters that follow
 *    it; it answers MORE (keep feeding), KEY (*key set, the parser idle
 *    again) or DROP (an unknown or malformed sequence, swallowed).
 *  - keyseq_expire() is called when no character followed in time: a
 *    lone ESC is Esc, `ESC x` was already Alt-x, `ESC [` and `ESC O` are
 *    Alt-[ and Alt-O, and a sequence cut short is dropped.
 *  - Pure: no terminal, no allocation, no time; any byte sequence is
 *    accepted (tests/fuzz/fuzz_keyseq.c). */
#ifndef OPSDECK_KEYSEQ_H
#define OPSDECK_KEYSEQ_H

#include <stdbool.h>
#include <stddef.h>

#include "keymap.h"

#define KEYSEQ_MAX 32

struct keyseq {
	unsigned char buf[KEYSEQ_MAX];
	size_t n;
	bool overflow; /* longer than buf: swallowed up to its final byte */
};

enum keyseq_result { KEYSEQ_MORE, KEYSEQ_KEY, KEYSEQ_DROP };

/* A character typed alone as a key: Enter for CR and LF, Backspace for
 * DEL, else the character itself. */
keycode keyseq_char(unsigned ch);
/* Is a sequence under way (an ESC seen, not yet resolved)? */
bool keyseq_active(const struct keyseq *s);
/* Feeds one character (a Unicode code point); see the contract. Fed
 * anything but ESC while idle, it answers KEY with that character. */
enum keyseq_result keyseq_feed(struct keyseq *s, unsigned ch, keycode *key);
/* A named key curses decoded itself, arriving while a sequence is under
 * way: after a lone ESC it is Alt and that key; a partial sequence is
 * dropped and the key is itself. Idle: the key. The parser is idle after. */
keycode keyseq_named(struct keyseq *s, keycode k);
/* The wait for more ran out: KEY (*key set) or DROP; idle afterwards.
 * Idle already: DROP. */
enum keyseq_result keyseq_expire(struct keyseq *s, keycode *key);

#endif
