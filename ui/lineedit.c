#include "config.h"

#include "lineedit.h"

#include <stdlib.h>
#include <string.h>

#include "draw.h"

#define LINEEDIT_DEFAULT_MAX 4096

void lineedit_init(struct lineedit *le)
{
	memset(le, 0, sizeof(*le));
	buf_puts(&le->text, "");
}

void lineedit_free(struct lineedit *le)
{
	buf_free(&le->text);
}

void lineedit_set(struct lineedit *le, const char *text)
{
	buf_reset(&le->text);
	buf_puts(&le->text, text);
	le->cursor = le->text.len;
}

const char *lineedit_text(const struct lineedit *le)
{
	return buf_str(&le->text);
}

static bool is_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

static size_t prev_char(const struct lineedit *le, size_t pos)
{
	if (pos == 0)
		return 0;
	pos--;
	while (pos > 0 && is_cont(le->text.data[pos]))
		pos--;
	return pos;
}

static size_t next_char(const struct lineedit *le, size_t pos)
{
	if (pos >= le->text.len)
		return le->text.len;
	pos++;
	while (pos < le->text.len && is_cont(le->text.data[pos]))
		pos++;
	return pos;
}

static void delete_range(struct lineedit *le, size_t from, size_t to)
{
	memmove(le->text.data + from, le->text.data + to, le->text.len - to + 1);
	le->text.len -= to - from;
	le->cursor = from;
}

static size_t encode_utf8(keycode cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static void insert(struct lineedit *le, keycode cp)
{
	char enc[4];
	size_t n = encode_utf8(cp, enc);
	size_t max = le->max_len ? le->max_len : LINEEDIT_DEFAULT_MAX;

	if (le->text.len + n > max)
		return;
	buf_append(&le->text, enc, n); /* grow, then shift into place */
	memmove(le->text.data + le->cursor + n, le->text.data + le->cursor,
		le->text.len - n - le->cursor);
	memcpy(le->text.data + le->cursor, enc, n);
	le->cursor += n;
}

static size_t word_start(const struct lineedit *le, size_t pos)
{
	while (pos > 0 && le->text.data[pos - 1] == ' ')
		pos--;
	while (pos > 0 && le->text.data[pos - 1] != ' ')
		pos--;
	return pos;
}

bool lineedit_key(struct lineedit *le, keycode k)
{
	switch (k) {
	case KC_BACKSPACE:
	case KEY_CTRL('h'):
		if (le->cursor > 0)
			delete_range(le, prev_char(le, le->cursor), le->cursor);
		return true;
	case KC_DELETE:
	case KEY_CTRL('d'):
		if (le->cursor < le->text.len)
			delete_range(le, le->cursor, next_char(le, le->cursor));
		return true;
	case KC_LEFT:
	case KEY_CTRL('b'):
		le->cursor = prev_char(le, le->cursor);
		return true;
	case KC_RIGHT:
	case KEY_CTRL('f'):
		le->cursor = next_char(le, le->cursor);
		return true;
	case KC_HOME:
	case KEY_CTRL('a'):
		le->cursor = 0;
		return true;
	case KC_END:
	case KEY_CTRL('e'):
		le->cursor = le->text.len;
		return true;
	case KEY_CTRL('u'):
		delete_range(le, 0, le->cursor);
		return true;
	case KEY_CTRL('k'):
		le->text.len = le->cursor;
		le->text.data[le->cursor] = '\0';
		return true;
	case KEY_CTRL('w'):
		delete_range(le, word_start(le, le->cursor), le->cursor);
		return true;
	default:
		break;
	}
	if (k >= 0x20 && k < KC_NAMED && k != 0x7f && !(k >= 0x80 && k < 0xa0)) {
		insert(le, k);
		return true;
	}
	return false;
}

int lineedit_draw(const struct lineedit *le, int y, int x, int width, attr_t attr)
{
	const char *s = buf_str(&le->text);
	size_t start = 0;
	char *before;
	int cw;

	if (width <= 1)
		return x;
	/* Scroll so that the text before the cursor fits with one cell spare. */
	before = xstrndup(s, le->cursor);
	cw = draw_width(before);
	while (cw > width - 1 && start < le->cursor) {
		start = next_char(le, start);
		cw = draw_width(before + start);
	}
	free(before);
	draw_text(y, x, width, s + start, attr, 1);
	return x + cw;
}
