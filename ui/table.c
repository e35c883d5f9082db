#include "config.h"

#include "table.h"

#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "loop.h"
#include "pane.h"
#include "style.h"
#include "util.h"

struct table {
	struct table_model *model;
	char *title;
	char *empty_text;
	size_t hscroll; /* leading shown columns scrolled off to the left */
	int *widths;
};

#define MARK_GUTTER 2

struct table *table_new(const char *title, const struct table_column *cols, size_t ncols)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->model = table_model_new(cols, ncols);
	t->title = xstrdup(title);
	t->empty_text = xstrdup("Nothing to show.");
	t->widths = xcalloc(ncols, sizeof(int));
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	table_model_free(t->model);
	free(t->title);
	free(t->empty_text);
	free(t->widths);
	free(t);
}

struct table_model *table_model(struct table *t)
{
	return t->model;
}

void table_set_title(struct table *t, const char *title)
{
	free(t->title);
	t->title = xstrdup(title);
}

void table_set_empty_text(struct table *t, const char *text)
{
	free(t->empty_text);
	t->empty_text = xstrdup(text);
}

static void draw_title(struct table *t, const struct rect *r)
{
	struct table_model *m = t->model;
	struct buf right = BUF_INIT;
	const char *filter = table_model_filter(m);
	bool desc;
	int sort = table_model_sort_col(m, &desc);
	int tw;

	if (table_model_nvisible(m) > 0)
		buf_printf(&right, "%zu/%zu", table_model_cursor(m) + 1, table_model_nvisible(m));
	else
		buf_printf(&right, "0/%zu", table_model_nvisible(m));
	if (table_model_nvisible(m) != table_model_nrows(m))
		buf_printf(&right, " of %zu", table_model_nrows(m));
	if (filter && *filter)
		buf_printf(&right, "  /%s", filter);
	if (sort >= 0)
		buf_printf(&right, "  sort: %s%s", table_model_column(m, (size_t)sort)->title,
			   desc ? style_glyphs()->down : style_glyphs()->up);
	if (table_model_nmarked(m) > 0)
		buf_printf(&right, "  marked: %zu", table_model_nmarked(m));
	buf_putc(&right, ' ');

	/* The title takes what the counts, filter and sort leave (they keep
	 * at most half): its start says what the pane is, its end may be cut. */
	draw_fill(r->y, r->x, r->w, style_attr(ROLE_TITLE));
	{
		int rw = draw_width(buf_str(&right)), keep = rw < r->w / 2 ? rw : r->w / 2;

		tw = draw_text(r->y, r->x + 1, r->w - 1 - keep - 2, t->title,
			       style_attr(ROLE_TITLE) | A_BOLD, 0);
	}
	{
		int rw = draw_width(buf_str(&right));
		int avail = r->w - 1 - tw - 2;

		if (rw > avail)
			rw = avail;
		if (rw > 1)
			draw_text(r->y, r->x + r->w - rw, rw, buf_str(&right), style_attr(ROLE_TITLE),
				  1);
	}
	buf_free(&right);
}

/* A column narrows only once its content has been narrower this long. */
#define TABLE_WIDTH_HOLD_MS 15000

/* Lays out columns for width. Scrolled right by hscroll columns, the table
 * is laid out as if it were wider by what the skipped columns took, so that
 * columns hidden for lack of room come into view, then the skipped ones go. */
static void layout(struct table *t, int width)
{
	size_t n = table_model_ncols(t->model), shown = 0;
	int skipped = 0;

	table_model_hold_widths(t->model, loop_now_ms(), TABLE_WIDTH_HOLD_MS);
	table_model_layout(t->model, width, t->widths);
	if (t->hscroll == 0)
		return;
	for (size_t c = 0; c < n && shown < t->hscroll; c++) {
		if (t->widths[c] > 0) {
			skipped += t->widths[c] + 1;
			shown++;
		}
	}
	table_model_layout(t->model, width + skipped, t->widths);
	shown = 0;
	for (size_t c = 0; c < n && shown < t->hscroll; c++) {
		if (t->widths[c] > 0) {
			t->widths[c] = 0;
			shown++;
		}
	}
}

static void draw_row_cells(struct table *t, int y, int x, int w, size_t vpos, attr_t base,
			   bool use_roles)
{
	struct table_model *m = t->model;
	size_t n = table_model_ncols(m);
	int role_col, role = table_model_role(m, vpos, &role_col);
	int cx = x;

	for (size_t c = 0; c < n && cx < x + w; c++) {
		const struct table_column *col = table_model_column(m, c);
		int cw = t->widths[c];
		attr_t a = base;

		if (cw <= 0)
			continue;
		if (cw > x + w - cx)
			cw = x + w - cx;
		if (use_roles && role >= 0 && (role_col < 0 || (size_t)role_col == c))
			a = style_attr((enum theme_role)role);
		if (col->align == TABLE_RIGHT)
			draw_text_right(y, cx, cw, table_model_cell(m, vpos, c), a);
		else
			draw_text(y, cx, cw, table_model_cell(m, vpos, c), a, 1);
		cx += cw;
		if (cx < x + w) {
			draw_fill(y, cx, 1, base);
			cx++;
		}
	}
	if (cx < x + w)
		draw_fill(y, cx, x + w - cx, base);
}

static void draw_header(struct table *t, int y, int x, int w)
{
	struct table_model *m = t->model;
	size_t n = table_model_ncols(m);
	bool desc;
	int sort = table_model_sort_col(m, &desc);
	attr_t a = style_attr(ROLE_COLUMN_HEADER);
	int cx = x;

	draw_fill(y, x, w, a);
	for (size_t c = 0; c < n && cx < x + w; c++) {
		const struct table_column *col = table_model_column(m, c);
		char title[128];
		int cw = t->widths[c];

		if (cw <= 0)
			continue;
		if (cw > x + w - cx)
			cw = x + w - cx;
		snprintf(title, sizeof(title), "%s%s", col->title,
			 (int)c == sort ? (desc ? style_glyphs()->down : style_glyphs()->up) : "");
		if (col->align == TABLE_RIGHT)
			draw_text_right(y, cx, cw, title, a);
		else
			draw_text(y, cx, cw, title, a, 1);
		cx += cw + 1;
	}
}

void table_draw(struct table *t, const struct rect *r, bool focused)
{
	struct table_model *m = t->model;
	int body_y = r->y + 2, body_h = r->h - 2, x = r->x + MARK_GUTTER, w = r->w - MARK_GUTTER;
	size_t top, nvis;

	if (r->h < 3 || r->w < 10)
		return;
	draw_title(t, r);
	layout(t, w);
	draw_fill(r->y + 1, r->x, MARK_GUTTER, style_attr(ROLE_COLUMN_HEADER));
	draw_header(t, r->y + 1, x, w);

	table_model_set_height(m, (size_t)body_h);
	nvis = table_model_nvisible(m);
	top = table_model_top_row(m);
	for (int i = 0; i < body_h; i++) {
		size_t vpos = top + (size_t)i;
		int y = body_y + i;

		if (vpos >= nvis) {
			draw_fill(y, r->x, r->w, style_attr(ROLE_NORMAL));
			continue;
		}
		bool cur = vpos == table_model_cursor(m);
		attr_t base = cur ? (focused ? style_attr(ROLE_SELECTION) : style_attr(ROLE_DIM) | A_REVERSE)
				  : style_attr(ROLE_NORMAL);

		if (table_model_marked(m, vpos))
			draw_text(y, r->x, MARK_GUTTER, style_glyphs()->mark,
				  cur ? base : style_attr(ROLE_MARK), 1);
		else
			draw_fill(y, r->x, MARK_GUTTER, base);
		draw_row_cells(t, y, x, w, vpos, base, !cur);
	}
	if (nvis == 0) {
		const char *line = table_model_nrows(m) ? "No rows match the filter." : t->empty_text;
		struct rect body = { body_y, r->x, body_h, r->w };

		draw_centered(&body, &line, 1, style_attr(ROLE_DIM));
	}
}

void table_draw_footed(struct table *t, const struct rect *r, bool focused, const char *text,
		       int lines, attr_t attr)
{
	struct rect top = *r;

	if (lines > 0 && r->h >= lines + 7) {
		struct rect foot = { r->y + r->h - lines, r->x + 1, lines, r->w - 2 };

		top.h -= lines + 1;
		draw_fill(top.y + top.h, r->x, r->w, attr);
		draw_fill(foot.y, r->x, 1, attr);
		draw_wrapped(&foot, text ? text : "", attr);
	}
	table_draw(t, &top, focused);
}

void table_scroll_home(struct table *t)
{
	t->hscroll = 0;
	table_model_top(t->model);
}

unsigned table_on_action(struct table *t, enum action a)
{
	struct table_model *m = t->model;
	bool desc;
	int sort = table_model_sort_col(m, &desc);
	int ncols = (int)table_model_ncols(m);

	switch (a) {
	case ACTION_CURSOR_UP: table_model_move(m, -1); break;
	case ACTION_CURSOR_DOWN: table_model_move(m, 1); break;
	case ACTION_PAGE_UP: table_model_page(m, -1); break;
	case ACTION_PAGE_DOWN: table_model_page(m, 1); break;
	case ACTION_HALF_PAGE_UP: table_model_half_page(m, -1); break;
	case ACTION_HALF_PAGE_DOWN: table_model_half_page(m, 1); break;
	case ACTION_CURSOR_TOP: table_model_top(m); break;
	case ACTION_CURSOR_BOTTOM: table_model_bottom(m); break;
	case ACTION_MARK:
		table_model_toggle_mark(m);
		table_model_move(m, 1);
		break;
	case ACTION_MARK_CLEAR: table_model_clear_marks(m); break;
	case ACTION_SORT_NEXT:
		table_model_sort(m, sort + 1 >= ncols ? -1 : sort + 1, false);
		break;
	case ACTION_SORT_PREV:
		table_model_sort(m, sort < 0 ? ncols - 1 : sort - 1, false);
		break;
	case ACTION_SORT_REVERSE:
		table_model_sort(m, sort < 0 ? 0 : sort, sort < 0 ? false : !desc);
		break;
	case ACTION_SCROLL_LEFT:
		if (t->hscroll > 0)
			t->hscroll--;
		break;
	case ACTION_SCROLL_RIGHT:
		if (t->hscroll + 1 < (size_t)ncols)
			t->hscroll++;
		break;
	case ACTION_CANCEL:
		/* Esc clears a kept filter, as help says; without one it goes
		 * on to clear the message */
		if (!table_model_filter(m)[0])
			return PANE_IGNORED;
		table_model_set_filter(m, "");
		break;
	default:
		return PANE_IGNORED;
	}
	return PANE_HANDLED | PANE_REDRAW;
}
