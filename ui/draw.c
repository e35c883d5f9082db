#include "config.h"

#include "draw.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "style.h"
#include "util.h"

size_t draw_fit(const char *s, int width, int *used)
{
	mbstate_t st;
	size_t off = 0, len = strlen(s);
	int cells = 0;

	memset(&st, 0, sizeof(st));
	while (off < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + off, len - off, &st);
		int w;

		if (n == (size_t)-1 || n == (size_t)-2) {
			/* An invalid byte is shown as one cell (curses prints it escaped
			 * or as is); resynchronise on the next byte. */
			memset(&st, 0, sizeof(st));
			n = 1;
			w = 1;
		} else {
			if (n == 0)
				break;
			w = wcwidth(wc);
			if (w < 0)
				w = 1;
		}
		if (cells + w > width)
			break;
		cells += w;
		off += n;
	}
	if (used)
		*used = cells;
	return off;
}

int draw_width(const char *s)
{
	int used;

	draw_fit(s, 1 << 30, &used);
	return used;
}

/* Control characters would move the cursor or worse: shown as '?'. */
static void put_clean(int y, int x, const char *s, size_t n)
{
	char tmp[512];

	while (n > 0) {
		size_t k = n < sizeof(tmp) ? n : sizeof(tmp);

		for (size_t i = 0; i < k; i++)
			tmp[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
		mvaddnstr(y, x, tmp, (int)k);
		x = getcurx(stdscr);
		s += k;
		n -= k;
	}
}

int draw_text(int y, int x, int width, const char *s, attr_t attr, int pad)
{
	int used;
	size_t n;

	if (width <= 0)
		return 0;
	if (!s)
		s = "";
	attrset(attr);
	n = draw_fit(s, width, &used);
	if (s[n] != '\0' && width >= 1) {
		/* Too long: leave a cell for the ellipsis. */
		n = draw_fit(s, width - 1, &used);
		put_clean(y, x, s, n);
		mvaddstr(y, x + used, style_glyphs()->ellipsis);
		used++;
	} else {
		put_clean(y, x, s, n);
	}
	if (pad && used < width)
		mvhline(y, x + used, ' ', width - used);
	attrset(A_NORMAL);
	return pad ? width : used;
}

void draw_text_right(int y, int x, int width, const char *s, attr_t attr)
{
	int w = draw_width(s);

	if (w >= width) {
		draw_text(y, x, width, s, attr, 1);
		return;
	}
	draw_fill(y, x, width - w, attr);
	draw_text(y, x + width - w, w, s, attr, 1);
}

void draw_fill(int y, int x, int width, attr_t attr)
{
	if (width <= 0)
		return;
	attrset(attr);
	mvhline(y, x, ' ', width);
	attrset(A_NORMAL);
}

void draw_box(const struct rect *r, const char *title, attr_t border, attr_t fill)
{
	const struct glyphs *g = style_glyphs();

	if (r->h < 2 || r->w < 2)
		return;
	for (int i = 1; i < r->h - 1; i++)
		draw_fill(r->y + i, r->x + 1, r->w - 2, fill);
	attrset(border);
	for (int i = 1; i < r->w - 1; i++) {
		mvaddstr(r->y, r->x + i, g->hbar);
		mvaddstr(r->y + r->h - 1, r->x + i, g->hbar);
	}
	for (int i = 1; i < r->h - 1; i++) {
		mvaddstr(r->y + i, r->x, g->vline);
		mvaddstr(r->y + i, r->x + r->w - 1, g->vline);
	}
	mvaddstr(r->y, r->x, g->corner_tl);
	mvaddstr(r->y, r->x + r->w - 1, g->corner_tr);
	mvaddstr(r->y + r->h - 1, r->x, g->corner_bl);
	mvaddstr(r->y + r->h - 1, r->x + r->w - 1, g->corner_br);
	attrset(A_NORMAL);
	if (title && *title && r->w > 6) {
		mvaddstr(r->y, r->x + 1, " ");
		draw_text(r->y, r->x + 2, r->w - 5, title, border | A_BOLD, 0);
		addstr(" ");
	}
}

void draw_centered(const struct rect *r, const char *const *lines, size_t n, attr_t attr)
{
	int top = r->y + (r->h - (int)n) / 2;

	if (top < r->y)
		top = r->y;
	for (size_t i = 0; i < n && top + (int)i < r->y + r->h; i++) {
		int w = draw_width(lines[i]);
		int x = r->x + (w < r->w ? (r->w - w) / 2 : 0);

		draw_text(top + (int)i, x, r->w - (x - r->x), lines[i], attr, 0);
	}
}

/* One line of wrapped text at s: the bytes to draw, and in *next where the
 * line after starts. A newline ends a line; a line too long for width is
 * broken at its last space that fits (or where it must be, one long word);
 * the last line (last) takes the rest of its paragraph, for draw_text's
 * ellipsis. */
static size_t wrap_line(const char *s, int width, bool last, const char **next)
{
	size_t para = strcspn(s, "\n"), n = draw_fit(s, width, NULL), cut;

	if (n > para)
		n = para;
	cut = n;
	if (n < para && !last) {
		while (cut > 0 && s[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = n;
	} else if (n < para) {
		cut = para;
	}
	if (cut == 0 && para > 0) /* a character wider than the line */
		cut = para;
	*next = s + cut;
	while (**next == ' ')
		(*next)++;
	if (**next == '\n') /* the line ended at its paragraph's end */
		(*next)++;
	return cut;
}

/* Draws s in r's lines, broken at newlines and at spaces where it can be;
 * the last line ends with an ellipsis if its paragraph is longer still. */
int draw_wrapped_height(const char *s, int width)
{
	int lines = 0;

	if (width < 1)
		return 1;
	do {
		wrap_line(s, width, false, &s);
		lines++;
	} while (*s);
	return lines;
}

void draw_wrapped(const struct rect *r, const char *s, attr_t attr)
{
	for (int i = 0; i < r->h; i++) {
		const char *next;
		size_t cut = wrap_line(s, r->w, i + 1 == r->h, &next);
		char *line = xstrndup(s, cut);

		if (i + 1 == r->h && *next && r->w > 1 && draw_width(line) < r->w) {
			/* more paragraphs than lines: the last says so */
			int used = draw_text(r->y + i, r->x, r->w - 1, line, attr, 0);

			attrset(attr);
			mvaddstr(r->y + i, r->x + used, style_glyphs()->ellipsis);
			if (used + 1 < r->w)
				mvhline(r->y + i, r->x + used + 1, ' ', r->w - used - 1);
			attrset(A_NORMAL);
		} else {
			draw_text(r->y + i, r->x, r->w, line, attr, 1);
		}
		free(line);
		s = next;
	}
}
