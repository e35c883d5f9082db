#include "config.h"

#include "style.h"

#include "util.h"

static attr_t role_attrs[ROLE_COUNT];
static enum style_depth depth = STYLE_MONO;

static const struct glyphs glyphs_utf8 = {
	"\xe2\x94\x82", "\xe2\x94\x80", "\xe2\x80\xa6", "\xe2\x97\x8f", "\xe2\x96\xb2",
	"\xe2\x96\xbc", "\xe2\x94\x8c", "\xe2\x94\x90", "\xe2\x94\x94", "\xe2\x94\x98",
	"\xe2\x94\x82",
};
static const struct glyphs glyphs_ascii = {
	"|", "-", "~", "*", "^", "v", "+", "+", "+", "+", "|",
};
static const struct glyphs *glyphs = &glyphs_ascii;

void style_set_utf8(bool utf8)
{
	glyphs = utf8 ? &glyphs_utf8 : &glyphs_ascii;
}

const struct glyphs *style_glyphs(void)
{
	return glyphs;
}

static attr_t attrs_of(unsigned a)
{
	attr_t r = A_NORMAL;

	if (a & THEME_BOLD)
		r |= A_BOLD;
	if (a & THEME_DIM)
		r |= A_DIM;
	if (a & THEME_UNDERLINE)
		r |= A_UNDERLINE;
	if (a & THEME_REVERSE)
		r |= A_REVERSE;
	if (a & THEME_STANDOUT)
		r |= A_STANDOUT;
#ifdef A_ITALIC
	if (a & THEME_ITALIC)
		r |= A_ITALIC;
#endif
	return r;
}

/* Without colour, roles that only differ by colour would look the same; these
 * keep the essential ones distinguishable. */
static attr_t mono_fallback(enum theme_role r, attr_t a)
{
	switch (r) {
	case ROLE_SELECTION:
	case ROLE_TAB_ACTIVE:
	case ROLE_HEADER:
	case ROLE_BADGE:
	case ROLE_HIGHLIGHT:
		return a & A_REVERSE ? a : a | A_REVERSE;
	case ROLE_MSG_ERROR:
	case ROLE_STATE_BAD:
	case ROLE_HEADER_ALERT:
	case ROLE_COLUMN_HEADER:
	case ROLE_TITLE:
		return a | A_BOLD;
	case ROLE_DIM:
	case ROLE_STATE_OFF:
		return a | A_DIM;
	default:
		return a;
	}
}

void style_apply(const struct theme *t, bool no_color)
{
	if (no_color || !has_colors() || COLORS < 8)
		depth = STYLE_MONO;
	else if (COLORS >= 256 && COLOR_PAIRS > ROLE_COUNT)
		depth = STYLE_256;
	else
		depth = STYLE_8;

	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_style *s = &t->styles[r];
		attr_t a = attrs_of(s->attrs);

		if (depth == STYLE_MONO) {
			role_attrs[r] = mono_fallback((enum theme_role)r, a);
			continue;
		}
		if (depth == STYLE_8) {
			/* Mapped as a pair, so text never lands on its own colour. */
			struct theme_style s8;

			theme_style_to8(s, &s8);
			init_pair((short)(r + 1), s8.fg, s8.bg);
		} else {
			init_pair((short)(r + 1), s->fg, s->bg);
		}
		role_attrs[r] = a | COLOR_PAIR(r + 1);
	}
}

attr_t style_attr(enum theme_role role)
{
	if (role < 0 || role >= ROLE_COUNT)
		return A_NORMAL;
	return role_attrs[role];
}

enum style_depth style_depth(void)
{
	return depth;
}
