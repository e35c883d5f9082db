/* The theme as curses attributes, and the glyphs for the terminal's charset.
 * Drawing code asks for a role (style_attr(ROLE_SELECTION)), never a colour. */
#ifndef OPSDECK_UI_STYLE_H
#define OPSDECK_UI_STYLE_H

#include <curses.h>
#include <stdbool.h>

#include "theme.h"

enum style_depth { STYLE_MONO, STYLE_8, STYLE_256 };

/* Applies a theme for the terminal's colour depth. no_color: attributes only. */
void style_apply(const struct theme *t, bool no_color);
attr_t style_attr(enum theme_role role);
enum style_depth style_depth(void);

struct glyphs {
	const char *vbar;     /* between header fields */
	const char *hbar;     /* borders */
	const char *ellipsis; /* truncated text */
	const char *mark;     /* marked row */
	const char *up, *down; /* sort direction */
	const char *corner_tl, *corner_tr, *corner_bl, *corner_br, *vline;
};

void style_set_utf8(bool utf8);
const struct glyphs *style_glyphs(void);

#endif
