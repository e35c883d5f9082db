/* Colour themes, as semantic roles: drawing code asks for a role ("the
 * selected row", "a failed store"), a theme maps roles to colours. This module
 * parses themes; the console turns them into curses attributes.
 *
 * A theme file (YAML):
 *   extends: default                   # optional
 *   styles:
 *     normal:    { fg: 252, bg: default }
 *     header:    { fg: white, bg: 24, attrs: [bold] }
 *     selection: { fg: black, bg: "#5fafd7" }
 * Colours: default, black red green yellow blue magenta cyan white,
 * bright-black .. bright-white, 0..255, or "#rrggbb" (nearest of 256).
 * Attributes: bold, dim, underline, reverse, italic, standout.
 * A role left out inherits from `normal`, and so do the colours a role
 * leaves out; `name:` and `description:` may hold text for people. With
 * `extends`, the base's roles stay unless the file sets them. A user theme
 * that extends its own name gets the shipped one. Errors:
 * `file:line:column: what`.
 *
 * On an 8-colour terminal each colour maps to its nearest basic colour
 * (theme_color_to8). The mono theme and NO_COLOR use attributes only. */
#ifndef OPSDECK_SRC_THEME_H
#define OPSDECK_SRC_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define THEME_ROLE_LIST(ROLE)                                                                \
	ROLE(NORMAL, "normal")                                                               \
	ROLE(HEADER, "header")                                                               \
	ROLE(HEADER_ALERT, "header_alert")                                                   \
	ROLE(BADGE, "badge")                                                                 \
	ROLE(TABBAR, "tabbar")                                                               \
	ROLE(TAB_ACTIVE, "tab_active")                                                       \
	ROLE(STATUSLINE, "statusline")                                                       \
	ROLE(MSG_ERROR, "message_error")                                                     \
	ROLE(MSG_INFO, "message_info")                                                       \
	ROLE(TITLE, "title")                                                                 \
	ROLE(BORDER, "border")                                                               \
	ROLE(COLUMN_HEADER, "column_header")                                                 \
	ROLE(SELECTION, "selection")                                                         \
	ROLE(MARK, "mark")                                                                   \
	ROLE(DIM, "dim")                                                                     \
	ROLE(HIGHLIGHT, "highlight")                                                         \
	ROLE(INPUT, "input")                                                                 \
	ROLE(DIALOG, "dialog")                                                               \
	ROLE(STATE_OK, "state_ok")                                                           \
	ROLE(STATE_BUSY, "state_busy")                                                       \
	ROLE(STATE_BAD, "state_bad")                                                         \
	ROLE(STATE_OFF, "state_off")                                                         \
	ROLE(SOURCE1, "source1")                                                             \
	ROLE(SOURCE2, "source2")                                                             \
	ROLE(SOURCE3, "source3")                                                             \
	ROLE(SOURCE4, "source4")                                                             \
	ROLE(SOURCE5, "source5")                                                             \
	ROLE(SOURCE6, "source6")

enum theme_role {
#define ROLE_ENUM(id, name) ROLE_##id,
	THEME_ROLE_LIST(ROLE_ENUM)
#undef ROLE_ENUM
	ROLE_COUNT
};

enum {
	THEME_BOLD = 1 << 0,
	THEME_DIM = 1 << 1,
	THEME_UNDERLINE = 1 << 2,
	THEME_REVERSE = 1 << 3,
	THEME_ITALIC = 1 << 4,
	THEME_STANDOUT = 1 << 5,
};

#define THEME_COLOR_DEFAULT (-1)

struct theme_style {
	int16_t fg, bg; /* THEME_COLOR_DEFAULT or 0..255 */
	unsigned attrs;
};

struct theme {
	char name[65];
	struct theme_style styles[ROLE_COUNT];
	bool set[ROLE_COUNT]; /* written by a file, not inherited */
};

const char *theme_role_name(enum theme_role r);
/* The role written as name in a theme file; false if there is none. */
bool theme_role_by_name(const char *name, enum theme_role *out);
/* The compiled-in default (dark) theme. */
void theme_builtin(struct theme *t);
/* Loads theme NAME: user's themes/NAME.yaml first, then the shipped one. On
 * failure t is unchanged and err says why. */
bool theme_load(const char *name, struct theme *t, struct err *err);
bool theme_load_file(const char *path, struct theme *t, struct err *err);
/* Parses a theme held in memory (label names it in messages); `extends` is
 * refused here, since it would read files. On failure t is unchanged. */
bool theme_load_string(const char *label, const char *text, size_t len, struct theme *t,
		       struct err *err);
/* Parses a colour as written in a theme file. */
bool theme_parse_color(const char *s, int16_t *out);
/* Nearest of the 8 basic colours (0..7) for a 256-colour index. */
int theme_color_to8(int c);
/* A style for an 8-colour terminal: both colours mapped, and if they fall on
 * the same basic colour, the text turns black or white to stay readable. */
void theme_style_to8(const struct theme_style *in, struct theme_style *out);

#endif
