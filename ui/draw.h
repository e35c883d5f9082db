/* Drawing primitives on stdscr: text clipped to a width in display cells
 * (never splitting a character), padded fills, and screen rectangles. */
#ifndef OPSDECK_UI_DRAW_H
#define OPSDECK_UI_DRAW_H

#include <curses.h>
#include <stddef.h>


struct rect {
	int y, x, h, w;
};

/* Bytes of s that fit in width cells; *used gets the cells they take. */
size_t draw_fit(const char *s, int width, int *used);
/* Display width of s in the current locale. */
int draw_width(const char *s);
/* Draws s at (y, x) in at most width cells with attr; if it does not fit the
 * last cell shows an ellipsis. Pads with spaces to width when pad is set.
 * Returns the cells drawn. */
int draw_text(int y, int x, int width, const char *s, attr_t attr, int pad);
/* Same, aligned right within width (always padded). */
void draw_text_right(int y, int x, int width, const char *s, attr_t attr);
/* Fills width cells with spaces. */
void draw_fill(int y, int x, int width, attr_t attr);
/* A box with a title in the top border; the inside is cleared. */
void draw_box(const struct rect *r, const char *title, attr_t border, attr_t fill);
/* Draws s in r's lines, broken at spaces where it can be; the last line
 * ends with an ellipsis if s is longer still. */
void draw_wrapped(const struct rect *r, const char *s, attr_t attr);
/* The lines draw_wrapped needs for all of s at width. */
int draw_wrapped_height(const char *s, int width);
/* Centres lines of text in r (each line clipped). */
void draw_centered(const struct rect *r, const char *const *lines, size_t n, attr_t attr);

#endif
