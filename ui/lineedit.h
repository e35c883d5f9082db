/* A single-line text editor (UTF-8) shared by the command line, filters and
 * forms: insert, delete, move by character and word, kill to start or end. */
#ifndef OPSDECK_UI_LINEEDIT_H
#define OPSDECK_UI_LINEEDIT_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "keymap.h"

struct lineedit {
	struct buf text;
	size_t cursor; /* byte offset, always on a character boundary */
	size_t max_len; /* bytes; 0 = 4096 */
};

void lineedit_init(struct lineedit *le);
void lineedit_free(struct lineedit *le);
void lineedit_set(struct lineedit *le, const char *text);
const char *lineedit_text(const struct lineedit *le);
/* Applies an editing key. Returns true if the key was an editing key (the
 * text or the cursor may have changed); false leaves it to the caller. */
bool lineedit_key(struct lineedit *le, keycode k);
/* Draws the text in width cells, scrolled so the cursor shows; returns the
 * screen column of the cursor. */
int lineedit_draw(const struct lineedit *le, int y, int x, int width, attr_t attr);

#endif
