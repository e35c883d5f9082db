#include "config.h"

#include "keyseq.h"

#include <string.h>

#define ESC 27

bool keyseq_active(const struct keyseq *s)
{
	return s->n > 0;
}

keycode keyseq_char(unsigned ch)
{
	if (ch == '\r' || ch == '\n')
		return KC_ENTER;
	if (ch == 127)
		return KC_BACKSPACE;
	return (keycode)ch;
}

static void reset(struct keyseq *s)
{
	s->n = 0;
	s->overflow = false;
}

static enum keyseq_result key(struct keyseq *s, keycode k, keycode *out)
{
	reset(s);
	/* NUL (Ctrl-Space) names no key */
	if ((k & ~(keycode)KEY_MOD_ALT) == KC_NONE)
		return KEYSEQ_DROP;
	*out = k;
	return KEYSEQ_KEY;
}

static enum keyseq_result drop(struct keyseq *s)
{
	reset(s);
	return KEYSEQ_DROP;
}

/* `ESC [ n ~`, as VT220s and their descendants send editing and function
 * keys; 1/7 and 4/8 are Home and End in the rxvt and PuTTY variants. */
static keycode tilde_key(unsigned n)
{
	switch (n) {
	case 1:
	case 7: return KC_HOME;
	case 2: return KC_INSERT;
	case 3: return KC_DELETE;
	case 4:
	case 8: return KC_END;
	case 5: return KC_PGUP;
	case 6: return KC_PGDN;
	case 11:
	case 12:
	case 13:
	case 14:
	case 15: return (keycode)(KC_F1 + (n - 11));
	case 17:
	case 18:
	case 19:
	case 20:
	case 21: return (keycode)(KC_F1 + 5 + (n - 17));
	case 23:
	case 24: return (keycode)(KC_F1 + 10 + (n - 23));
	default: return KC_NONE;
	}
}

/* A final byte that names a key whatever the parameters (`ESC [ A`, or
 * `ESC [ 1 ; 3 A` with a modifier); SS3 shares them. */
static keycode letter_key(unsigned c)
{
	switch (c) {
	case 'A': return KC_UP;
	case 'B': return KC_DOWN;
	case 'C': return KC_RIGHT;
	case 'D': return KC_LEFT;
	case 'H': return KC_HOME;
	case 'F': return KC_END;
	case 'Z': return KC_BACKTAB;
	default: return KC_NONE;
	}
}

/* The parameters of a CSI sequence: up to two numbers separated by ';'
 * (the key, the modifier); false for anything else (private markers,
 * more numbers, numbers too long). */
static bool csi_params(const unsigned char *p, size_t n, unsigned *a, unsigned *mod)
{
	unsigned v[2] = { 0, 0 };
	size_t nv = 0, digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			if (++digits > 4)
				return false;
			v[nv] = v[nv] * 10 + (p[i] - '0');
		} else if (p[i] == ';' && nv == 0) {
			nv = 1;
			digits = 0;
		} else {
			return false;
		}
	}
	*a = v[0];
	*mod = v[1];
	return true;
}

/* xterm's modifier parameter is 1 + a bit set (Shift 1, Alt 2, Ctrl 4);
 * Alt is the one a key map can name. */
static keycode with_mod(keycode k, unsigned mod)
{
	if (mod >= 2 && ((mod - 1) & 2))
		return k | KEY_MOD_ALT;
	return k;
}

static enum keyseq_result csi_done(struct keyseq *s, unsigned final, keycode *out)
{
	unsigned a, mod;
	keycode k;

	if (s->overflow || !csi_params(s->buf + 2, s->n - 2, &a, &mod))
		return drop(s);
	if (final == '~')
		k = tilde_key(a);
	else if (a <= 1)
		k = letter_key(final);
	else
		k = KC_NONE;
	if (k == KC_NONE)
		return drop(s);
	return key(s, with_mod(k, mod), out);
}

static enum keyseq_result ss3_done(struct keyseq *s, unsigned final, keycode *out)
{
	keycode k = letter_key(final);

	if (final >= 'P' && final <= 'S')
		k = (keycode)(KC_F1 + (final - 'P'));
	else if (final == 'M')
		k = KC_ENTER; /* the keypad's Enter in application mode */
	if (k == KC_NONE)
		return drop(s);
	return key(s, k, out);
}

enum keyseq_result keyseq_feed(struct keyseq *s, unsigned ch, keycode *out)
{
	if (s->n == 0) {
		if (ch != ESC)
			return key(s, keyseq_char(ch), out);
		s->buf[s->n++] = ESC;
		return KEYSEQ_MORE;
	}
	if (s->n == 1) {
		if (ch == '[' || ch == 'O') {
			s->buf[s->n++] = (unsigned char)ch;
			return KEYSEQ_MORE;
		}
		/* ESC ESC is one Esc; ESC and a key is Alt and that key */
		if (ch == ESC)
			return key(s, KC_ESC, out);
		return key(s, keyseq_char(ch) | KEY_MOD_ALT, out);
	}
	if (s->buf[1] == 'O')
		return ss3_done(s, ch, out);
	/* CSI: parameter bytes 0x30-0x3f, intermediates 0x20-0x2f, then one
	 * final byte 0x40-0x7e; anything else breaks the sequence */
	if (ch >= 0x20 && ch <= 0x3f) {
		if (s->n < KEYSEQ_MAX)
			s->buf[s->n++] = (unsigned char)ch;
		else
			s->overflow = true;
		return KEYSEQ_MORE;
	}
	if (ch >= 0x40 && ch <= 0x7e)
		return csi_done(s, ch, out);
	return drop(s);
}

keycode keyseq_named(struct keyseq *s, keycode k)
{
	bool alt = s->n == 1;

	reset(s);
	return alt ? k | KEY_MOD_ALT : k;
}

enum keyseq_result keyseq_expire(struct keyseq *s, keycode *out)
{
	switch (s->n) {
	case 0: return KEYSEQ_DROP;
	case 1: return key(s, KC_ESC, out);
	case 2: return key(s, (keycode)s->buf[1] | KEY_MOD_ALT, out);
	default: return drop(s);
	}
}
