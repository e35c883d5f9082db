/* The table widget: draws a table_model (title with counts, column headers
 * with the sort arrow, rows with the cursor, marks and state colours) and
 * handles the list actions (cursor, paging, sorting, marks, scrolling).
 * Only the rows on screen are drawn. */
#ifndef OPSDECK_UI_TABLE_H
#define OPSDECK_UI_TABLE_H

#include <stdbool.h>

#include "actions.h"
#include "draw.h"
#include "table_model.h"

struct table;

struct table *table_new(const char *title, const struct table_column *cols, size_t ncols);
void table_free(struct table *t);
struct table_model *table_model(struct table *t);
void table_set_title(struct table *t, const char *title);
/* Text shown in place of rows when there are none (an honest empty state). */
void table_set_empty_text(struct table *t, const char *text);
void table_draw(struct table *t, const struct rect *r, bool focused);
/* Draws the table with text below it, wrapped on lines lines (the row
 * under the cursor whole, say), when r is tall enough; else the table. */
void table_draw_footed(struct table *t, const struct rect *r, bool focused, const char *text,
		       int lines, attr_t attr);
/* Back to the first row and the first column (other content opened). */
void table_scroll_home(struct table *t);
/* Handles a list action; returns PANE_* flags (0 if not a list action). */
unsigned table_on_action(struct table *t, enum action a);

#endif
