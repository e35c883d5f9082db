/* The table widget's core: rows, filter, sort, cursor, viewport, marks and
 * column layout, with no curses, so it is unit-tested and fast at 100,000
 * rows. ui/table.c draws it.
 *
 * Rows are identified by a key (a store id, a project uuid…). A pane refreshes
 * by rebuilding all rows between table_model_begin() and table_model_end();
 * the cursor stays on the same key and marks survive for keys still present.
 *
 * The view is the filtered, sorted list of rows; cursor and viewport are
 * positions in the view. Only the rows in the viewport need drawing. */
#ifndef OPSDECK_UI_TABLE_MODEL_H
#define OPSDECK_UI_TABLE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum table_align { TABLE_LEFT, TABLE_RIGHT };

struct table_column {
	const char *title;
	int min_width;	    /* never narrower (unless the screen is) */
	int max_width;	    /* 0: no limit */
	int flex;	    /* share of spare width; 0: stays at content width */
	enum table_align align;
	int priority;	    /* when too narrow, the highest number is hidden first; 0 never */
};

struct table_model;

struct table_model *table_model_new(const struct table_column *cols, size_t ncols);
void table_model_free(struct table_model *tm);
size_t table_model_ncols(const struct table_model *tm);
const struct table_column *table_model_column(const struct table_model *tm, size_t col);

/* For a table whose rows may hold secrets (revealed credentials): every
 * copy the model makes of a row is wiped when it is freed -- at the next
 * rebuild or in table_model_free -- not merely freed. Off by default, as
 * it costs a pass over each row. */
void table_model_set_sensitive(struct table_model *tm, bool on);

/* Rebuilding rows. cells has ncols strings (NULL = ""), copied. role is a
 * theme role for the row's state colour (or -1), role_col the column it
 * applies to (or -1 for the whole row). */
void table_model_begin(struct table_model *tm);
void table_model_add(struct table_model *tm, const char *key, const char *const *cells, int role,
		     int role_col);
void table_model_end(struct table_model *tm);
/* Replaces the cells of the row with key, outside a rebuild: the row keeps
 * its mark, moves to its place in the sort order and into or out of the
 * view as the filter says, and the cursor stays on the row it was on.
 * Costs a comparison when nothing changed, else O(rows) of plain work --
 * no sort, no allocation but the row's. False if no row has that key. */
bool table_model_update(struct table_model *tm, const char *key, const char *const *cells,
			int role, int role_col);

/* Every row, unfiltered. */
size_t table_model_nrows(const struct table_model *tm);
/* Rows in the view (after the filter). */
size_t table_model_nvisible(const struct table_model *tm);
/* Row data by view position (0 .. nvisible-1); NULL (role -1) outside it. */
const char *table_model_cell(const struct table_model *tm, size_t vpos, size_t col);
const char *table_model_key(const struct table_model *tm, size_t vpos);
int table_model_role(const struct table_model *tm, size_t vpos, int *role_col);
bool table_model_marked(const struct table_model *tm, size_t vpos);

/* Filter: case-insensitive substring over every cell; a leading '!' keeps the
 * rows that do not match. "" clears it, and so does "!" alone (it is what the
 * operator has typed so far). The cursor stays on its row if still shown. */
void table_model_set_filter(struct table_model *tm, const char *filter);
const char *table_model_filter(const struct table_model *tm);

/* Sort by col (natural order: "9" before "10"); -1 restores insertion order.
 * Stable, so equal cells keep the order they came in. */
void table_model_sort(struct table_model *tm, int col, bool descending);
int table_model_sort_col(const struct table_model *tm, bool *descending);

/* Cursor and viewport. height is the number of rows the screen shows. */
void table_model_set_height(struct table_model *tm, size_t height);
void table_model_move(struct table_model *tm, long delta); /* clamped */
void table_model_page(struct table_model *tm, int pages);  /* +1 down, -1 up */
void table_model_half_page(struct table_model *tm, int dir);
void table_model_top(struct table_model *tm);
void table_model_bottom(struct table_model *tm);
/* Puts the cursor on the row with key; false if not in the view. */
bool table_model_goto_key(struct table_model *tm, const char *key);
/* View position of the cursor; meaningless when nvisible is 0. */
size_t table_model_cursor(const struct table_model *tm);
/* View position of the first row on screen. */
size_t table_model_top_row(const struct table_model *tm);

/* Marks, by key. */
void table_model_toggle_mark(struct table_model *tm); /* on the cursor row */
void table_model_clear_marks(struct table_model *tm);
size_t table_model_nmarked(const struct table_model *tm);
/* The marked keys, in view order then hidden ones; returns how many were
 * stored (at most max; table_model_nmarked() gives the total). The
 * pointers stay valid until the next change to the model. */
size_t table_model_marked_keys(const struct table_model *tm, const char **out, size_t max);

/* Column widths for a screen width: fills widths[ncols] (0 = hidden column),
 * with one space between shown columns. Content width is measured in
 * display cells of the rows (all of them, cached per rebuild). */
void table_model_layout(const struct table_model *tm, int width, int *widths);
/* Makes a column's content the last to be cut when the width is short:
 * the other columns shrink to their minimum first (what it says matters
 * most whole, as a store's step with its attempt count). */
void table_model_keep_width(struct table_model *tm, size_t col);
/* Steadies the layout: a column keeps the widest content it had until that
 * width has not been needed for hold_ms, so rows do not move sideways each
 * time a cell that comes and goes (a step and its age) is updated. Called
 * before each layout with the time (any monotonic milliseconds). */
void table_model_hold_widths(struct table_model *tm, uint64_t now_ms, uint64_t hold_ms);

/* Display width of a UTF-8 string (wide characters count 2, combining marks
 * 0, invalid bytes and control characters 1). It decodes by itself, so the
 * answer does not depend on the locale. */
int utf8_width(const char *s);
/* Bytes of the longest prefix of s that fits in max_width cells without
 * splitting a character; *used (if not NULL) gets its width. */
size_t utf8_fit(const char *s, int max_width, int *used);

#endif
