#include "config.h"

#include "input.h"

#include <curses.h>

static keycode translate_special(int code)
{
	switch (code) {
	case KEY_UP: return KC_UP;
	case KEY_DOWN: return KC_DOWN;
	case KEY_LEFT: return KC_LEFT;
	case KEY_RIGHT: return KC_RIGHT;
	case KEY_PPAGE: return KC_PGUP;
	case KEY_NPAGE: return KC_PGDN;
	case KEY_HOME:
	case KEY_FIND: return KC_HOME;
	case KEY_END:
	case KEY_SELECT: return KC_END;
	case KEY_IC: return KC_INSERT;
	case KEY_DC: return KC_DELETE;
	case KEY_BACKSPACE: return KC_BACKSPACE;
	case KEY_ENTER: return KC_ENTER;
	case KEY_BTAB: return KC_BACKTAB;
	default:
		if (code >= KEY_F(1) && code <= KEY_F(12))
			return (keycode)(KC_F1 + (code - KEY_F(1)));
		return KC_NONE;
	}
}

static enum input_kind read_mouse(keycode *key, int *row)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return INPUT_NONE;
	*row = ev.y;
	if (ev.bstate & BUTTON4_PRESSED)
		*key = KC_UP;
	else if (ev.bstate & BUTTON5_PRESSED)
		*key = KC_DOWN;
	else if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
		*key = KC_ENTER;
	else
		*key = KC_NONE;
	return INPUT_MOUSE;
}

enum input_kind input_read(struct input *in, keycode *key, int *row)
{
	for (;;) {
		wint_t ch;
		int rc = get_wch(&ch);
		keycode k;

		if (rc == ERR)
			return INPUT_NONE;
		if (rc == KEY_CODE_YES) {
			if (ch == KEY_RESIZE)
				return INPUT_RESIZE;
			if (ch == KEY_MOUSE)
				return read_mouse(key, row);
			k = translate_special((int)ch);
			if (k == KC_NONE)
				continue;
			/* after a lone ESC: Alt and the key; a partial sequence
			 * before it is dropped */
			k = keyseq_named(&in->seq, k);
		} else if (keyseq_feed(&in->seq, (unsigned)ch, &k) != KEYSEQ_KEY) {
			continue; /* more to come, or a sequence swallowed */
		}
		*key = k;
		return INPUT_KEY;
	}
}

bool input_pending(const struct input *in)
{
	return keyseq_active(&in->seq);
}

bool input_flush_esc(struct input *in, keycode *key)
{
	return keyseq_expire(&in->seq, key) == KEYSEQ_KEY;
}
