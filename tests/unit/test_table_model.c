#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table_model.h"
#include "util.h"

static const struct table_column cols3[] = {
	{ .title = "NAME", .min_width = 4, .flex = 1 },
	{ .title = "STATUS", .min_width = 6 },
	{ .title = "AGE", .min_width = 3, .align = TABLE_RIGHT, .priority = 1 },
};

static void add3(struct table_model *tm, const char *key, const char *a, const char *b,
		 const char *c)
{
	const char *cells[3] = { a, b, c };

	table_model_add(tm, key, cells, -1, -1);
}

/* The view as "key key key", to compare in one assertion. */
static const char *view_keys(const struct table_model *tm)
{
	static char buf[1024];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < table_model_nvisible(tm); i++) {
		int n = snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "",
				 table_model_key(tm, i));

		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			break;
		off += (size_t)n;
	}
	return buf;
}

static struct table_model *stores(void)
{
	struct table_model *tm = table_model_new(cols3, 3);

	table_model_begin(tm);
	add3(tm, "s1", "alpha-shop", "Ready", "10d");
	add3(tm, "s2", "Beta-Store", "Failed", "9d");
	add3(tm, "s3", "gamma", "Provisioning", "100d");
	add3(tm, "s4", "delta-SHOP", "Ready", "2d");
	add3(tm, "s5", "epsilon", NULL, "9d");
	table_model_end(tm);
	return tm;
}

static void test_rows_and_cells(void **state)
{
	struct table_model *tm = stores();
	int rc;

	(void)state;
	assert_int_equal(table_model_ncols(tm), 3);
	assert_string_equal(table_model_column(tm, 1)->title, "STATUS");
	assert_null(table_model_column(tm, 3));
	assert_int_equal(table_model_nrows(tm), 5);
	assert_int_equal(table_model_nvisible(tm), 5);
	assert_string_equal(view_keys(tm), "s1 s2 s3 s4 s5");
	assert_string_equal(table_model_cell(tm, 1, 0), "Beta-Store");
	assert_string_equal(table_model_cell(tm, 4, 1), ""); /* NULL cell */
	assert_null(table_model_cell(tm, 5, 0));
	assert_null(table_model_cell(tm, 0, 3));
	assert_null(table_model_key(tm, 5));
	assert_int_equal(table_model_role(tm, 0, &rc), -1);
	assert_int_equal(rc, -1);
	assert_int_equal(table_model_role(tm, 99, &rc), -1);
	/* An end without a begin changes nothing. */
	table_model_end(tm);
	assert_string_equal(view_keys(tm), "s1 s2 s3 s4 s5");
	/* A second begin starts the rebuild over. */
	table_model_begin(tm);
	add3(tm, "dropped", "x", "x", "x");
	table_model_begin(tm);
	add3(tm, "kept", "y", "y", "y");
	table_model_end(tm);
	assert_string_equal(view_keys(tm), "kept");
	table_model_free(tm);
}

static void test_roles(void **state)
{
	struct table_model *tm = table_model_new(cols3, 3);
	const char *cells[3] = { "a", "b", "c" };
	int rc = 0;

	(void)state;
	table_model_begin(tm);
	table_model_add(tm, "k1", cells, 7, 1);
	table_model_add(tm, "k2", cells, 3, -1);
	table_model_end(tm);
	assert_int_equal(table_model_role(tm, 0, &rc), 7);
	assert_int_equal(rc, 1);
	assert_int_equal(table_model_role(tm, 1, &rc), 3);
	assert_int_equal(rc, -1);
	table_model_free(tm);
}

static void test_filter(void **state)
{
	struct table_model *tm = stores();

	(void)state;
	table_model_set_filter(tm, "shop");
	assert_string_equal(table_model_filter(tm), "shop");
	assert_string_equal(view_keys(tm), "s1 s4"); /* case-insensitive */
	table_model_set_filter(tm, "READY");
	assert_string_equal(view_keys(tm), "s1 s4");
	table_model_set_filter(tm, "9d");
	assert_string_equal(view_keys(tm), "s2 s5");
	/* A match never spans two cells. */
	table_model_set_filter(tm, "shopready");
	assert_string_equal(view_keys(tm), "");
	table_model_set_filter(tm, "zzz");
	assert_int_equal(table_model_nvisible(tm), 0);
	assert_null(table_model_key(tm, 0));
	table_model_set_filter(tm, "");
	assert_string_equal(view_keys(tm), "s1 s2 s3 s4 s5");
	table_model_set_filter(tm, NULL);
	assert_string_equal(table_model_filter(tm), "");
	assert_int_equal(table_model_nrows(tm), 5);
	table_model_free(tm);
}

static void test_inverted_filter(void **state)
{
	struct table_model *tm = stores();

	(void)state;
	table_model_set_filter(tm, "!ready");
	assert_string_equal(view_keys(tm), "s2 s3 s5");
	table_model_set_filter(tm, "!SHOP");
	assert_string_equal(view_keys(tm), "s2 s3 s5");
	/* "!" alone is a filter still being typed: it hides nothing. */
	table_model_set_filter(tm, "!");
	assert_string_equal(view_keys(tm), "s1 s2 s3 s4 s5");
	assert_string_equal(table_model_filter(tm), "!");
	table_model_free(tm);
}

static void test_natural_sort_stable(void **state)
{
	struct table_model *tm = table_model_new(cols3, 3);
	bool desc = true;

	(void)state;
	table_model_begin(tm);
	add3(tm, "a", "item10", "x", "3");
	add3(tm, "b", "item9", "y", "1");
	add3(tm, "c", "Item2", "x", "2");
	add3(tm, "d", "item10", "y", "10");
	add3(tm, "e", "item02", "x", "1");
	add3(tm, "f", "item100", "y", "01");
	table_model_end(tm);

	assert_int_equal(table_model_sort_col(tm, &desc), -1);
	assert_false(desc);
	table_model_sort(tm, 0, false);
	assert_int_equal(table_model_sort_col(tm, &desc), 0);
	assert_false(desc);
	/* 2 < 9 < 10 < 100; equal cells (a, d) keep their order; "Item2" and
	 * "item02" are equal as numbers and words, so bytes decide. */
	assert_string_equal(view_keys(tm), "c e b a d f");
	table_model_sort(tm, 0, true);
	assert_int_equal(table_model_sort_col(tm, &desc), 0);
	assert_true(desc);
	assert_string_equal(view_keys(tm), "f a d b e c");
	/* Stable on a column full of ties, in both directions. */
	table_model_sort(tm, 1, false);
	assert_string_equal(view_keys(tm), "a c e b d f");
	table_model_sort(tm, 1, true);
	assert_string_equal(view_keys(tm), "b d f a c e");
	table_model_sort(tm, 2, false);
	assert_string_equal(view_keys(tm), "f b e c a d");
	/* -1 restores the order rows came in. */
	table_model_sort(tm, -1, true);
	assert_string_equal(view_keys(tm), "a b c d e f");
	assert_int_equal(table_model_sort_col(tm, &desc), -1);
	assert_false(desc);
	/* A column that does not exist changes nothing. */
	table_model_sort(tm, 3, false);
	table_model_sort(tm, -2, false);
	assert_int_equal(table_model_sort_col(tm, NULL), -1);
	assert_string_equal(view_keys(tm), "a b c d e f");
	table_model_free(tm);
}

/* Natural order written the plain way, to check the fast one against. */
static int ref_cmp(const char *a, const char *b)
{
	size_t i = 0, j = 0;

	while (a[i] && b[j]) {
		if (a[i] >= '0' && a[i] <= '9' && b[j] >= '0' && b[j] <= '9') {
			size_t si = i, sj = j, li, lj;
			int c;

			while (a[si] == '0' && a[si + 1] >= '0' && a[si + 1] <= '9')
				si++;
			while (b[sj] == '0' && b[sj + 1] >= '0' && b[sj + 1] <= '9')
				sj++;
			for (i = si; a[i] >= '0' && a[i] <= '9'; i++)
				;
			for (j = sj; b[j] >= '0' && b[j] <= '9'; j++)
				;
			li = i - si;
			lj = j - sj;
			if (li != lj)
				return li < lj ? -1 : 1;
			c = strncmp(a + si, b + sj, li);
			if (c)
				return c;
			continue;
		}
		{
			int ca = (unsigned char)a[i], cb = (unsigned char)b[j];

			if (ca >= 'A' && ca <= 'Z')
				ca += 32;
			if (cb >= 'A' && cb <= 'Z')
				cb += 32;
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		i++;
		j++;
	}
	if (a[i] || b[j])
		return a[i] ? 1 : -1;
	return strcmp(a, b);
}

/* Short cells of digits, letters in both cases and a two-byte character;
 * now and then a digit run of 200-289 digits, past what the fast path keys. */
static void random_cell(char *buf, size_t bufsz, unsigned *seed)
{
	static const char alphabet[] = "0001239aAbBzZ-_. \xc3\xa9~";
	size_t len = (size_t)(rand_r(seed) % 30), o = 0;

	if (bufsz > 300 && rand_r(seed) % 20 == 0) {
		size_t run = 200 + (size_t)(rand_r(seed) % 90);

		buf[o++] = "ab"[rand_r(seed) % 2];
		for (size_t i = 0; i < run; i++)
			buf[o++] = (char)('0' + rand_r(seed) % (i ? 10 : 9) + (i ? 0 : 1));
	}
	for (size_t i = 0; i < len && o < bufsz - 1; i++)
		buf[o++] = alphabet[(size_t)rand_r(seed) % (sizeof(alphabet) - 1)];
	buf[o] = '\0';
}

static void test_sort_matches_reference(void **state)
{
	enum { N = 3000, W = 330 };
	static char cells[N][W];
	static size_t ref[N];
	struct table_model *tm = table_model_new(cols3, 3);
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 3; round++) {
		table_model_begin(tm);
		for (size_t i = 0; i < N; i++) {
			char key[16];
			const char *c[3];

			random_cell(cells[i], round == 2 ? 40 : W, &seed);
			snprintf(key, sizeof(key), "%zu", i);
			c[0] = cells[i];
			c[1] = cells[i][0] ? "x" : "y";
			c[2] = "";
			table_model_add(tm, key, c, -1, -1);
		}
		table_model_end(tm);
		for (int desc = 0; desc < 2; desc++) {
			/* A stable insertion sort by the reference comparator. */
			for (size_t i = 0; i < N; i++) {
				size_t j = i;

				while (j > 0) {
					int c = ref_cmp(cells[ref[j - 1]], cells[i]);

					if (desc ? c >= 0 : c <= 0)
						break;
					ref[j] = ref[j - 1];
					j--;
				}
				ref[j] = i;
			}
			table_model_sort(tm, 0, desc);
			for (size_t v = 0; v < N; v++) {
				size_t got = (size_t)strtoul(table_model_key(tm, v), NULL, 10);

				if (got != ref[v])
					fail_msg("round %d desc %d: position %zu has row "
						 "%zu ('%s'), want %zu ('%s')",
						 round, desc, v, got, cells[got], ref[v],
						 cells[ref[v]]);
			}
		}
	}
	table_model_free(tm);
}

static void test_sort_survives_refresh_and_filter(void **state)
{
	struct table_model *tm = stores();

	(void)state;
	table_model_sort(tm, 2, false);
	assert_string_equal(view_keys(tm), "s4 s2 s5 s1 s3");
	table_model_set_filter(tm, "!fail");
	assert_string_equal(view_keys(tm), "s4 s5 s1 s3");
	table_model_begin(tm);
	add3(tm, "s6", "zeta", "Ready", "1d");
	add3(tm, "s1", "alpha-shop", "Ready", "10d");
	add3(tm, "s2", "Beta-Store", "Failed", "9d");
	table_model_end(tm);
	assert_string_equal(view_keys(tm), "s6 s1");
	table_model_free(tm);
}

static void test_refresh_keeps_cursor_and_marks(void **state)
{
	struct table_model *tm = stores();
	const char *keys[8];

	(void)state;
	table_model_set_height(tm, 10);
	table_model_move(tm, 2);
	assert_string_equal(table_model_key(tm, table_model_cursor(tm)), "s3");
	table_model_toggle_mark(tm);
	table_model_move(tm, 1);
	table_model_toggle_mark(tm); /* s4 */
	table_model_top(tm);
	table_model_toggle_mark(tm); /* s1 */
	table_model_move(tm, 2);      /* back on s3 */
	assert_int_equal(table_model_nmarked(tm), 3);

	/* New rows in another order, s1 gone, a new one in front. */
	table_model_begin(tm);
	add3(tm, "s0", "new", "Queued", "0d");
	add3(tm, "s5", "epsilon", "Ready", "9d");
	add3(tm, "s4", "delta-SHOP", "Ready", "2d");
	add3(tm, "s3", "gamma", "Ready", "100d");
	add3(tm, "s2", "Beta-Store", "Failed", "9d");
	table_model_end(tm);

	assert_int_equal(table_model_nrows(tm), 5);
	assert_string_equal(table_model_key(tm, table_model_cursor(tm)), "s3");
	assert_int_equal(table_model_cursor(tm), 3);
	assert_string_equal(table_model_cell(tm, 3, 1), "Ready");
	assert_int_equal(table_model_nmarked(tm), 2);
	assert_true(table_model_marked(tm, 2));	 /* s4 */
	assert_true(table_model_marked(tm, 3));	 /* s3 */
	assert_false(table_model_marked(tm, 0)); /* s0 */
	assert_false(table_model_marked(tm, 99));
	assert_int_equal(table_model_marked_keys(tm, keys, 8), 2);
	assert_string_equal(keys[0], "s4");
	assert_string_equal(keys[1], "s3");

	/* The cursor's row gone: the cursor stays where it was, clamped. */
	table_model_bottom(tm);
	table_model_begin(tm);
	add3(tm, "s0", "new", "Queued", "0d");
	add3(tm, "s5", "epsilon", "Ready", "9d");
	table_model_end(tm);
	assert_int_equal(table_model_cursor(tm), 1);
	assert_int_equal(table_model_nmarked(tm), 0);

	/* An empty refresh, then rows again. */
	table_model_begin(tm);
	table_model_end(tm);
	assert_int_equal(table_model_nrows(tm), 0);
	assert_int_equal(table_model_nvisible(tm), 0);
	table_model_toggle_mark(tm);
	assert_int_equal(table_model_nmarked(tm), 0);
	table_model_begin(tm);
	add3(tm, "x", "x", "x", "x");
	table_model_end(tm);
	assert_int_equal(table_model_cursor(tm), 0);
	table_model_free(tm);
}

static void test_marks(void **state)
{
	struct table_model *tm = stores();
	const char *keys[8];

	(void)state;
	table_model_set_height(tm, 10);
	table_model_toggle_mark(tm); /* s1 */
	table_model_move(tm, 1);
	table_model_toggle_mark(tm); /* s2 */
	table_model_move(tm, 2);
	table_model_toggle_mark(tm); /* s4 */
	assert_int_equal(table_model_nmarked(tm), 3);
	/* Hidden marked rows come after the shown ones. */
	table_model_set_filter(tm, "!beta");
	assert_int_equal(table_model_marked_keys(tm, keys, 8), 3);
	assert_string_equal(keys[0], "s1");
	assert_string_equal(keys[1], "s4");
	assert_string_equal(keys[2], "s2");
	assert_int_equal(table_model_marked_keys(tm, keys, 1), 1);
	assert_string_equal(keys[0], "s1");
	/* Unmarking. */
	table_model_top(tm);
	table_model_toggle_mark(tm);
	assert_int_equal(table_model_nmarked(tm), 2);
	assert_false(table_model_marked(tm, 0));
	table_model_clear_marks(tm);
	assert_int_equal(table_model_nmarked(tm), 0);
	assert_int_equal(table_model_marked_keys(tm, keys, 8), 0);
	table_model_free(tm);
}

static struct table_model *numbered(size_t n)
{
	struct table_model *tm = table_model_new(cols3, 3);

	table_model_begin(tm);
	for (size_t i = 0; i < n; i++) {
		char key[16], name[16];

		snprintf(key, sizeof(key), "k%zu", i);
		snprintf(name, sizeof(name), "row %zu", i);
		add3(tm, key, name, i % 2 ? "odd" : "even", "1d");
	}
	table_model_end(tm);
	return tm;
}

static void test_cursor_and_paging_clamp(void **state)
{
	struct table_model *tm = numbered(100);

	(void)state;
	table_model_set_height(tm, 10);
	assert_int_equal(table_model_cursor(tm), 0);
	assert_int_equal(table_model_top_row(tm), 0);
	table_model_move(tm, -5);
	assert_int_equal(table_model_cursor(tm), 0);
	table_model_move(tm, 9);
	assert_int_equal(table_model_cursor(tm), 9);
	assert_int_equal(table_model_top_row(tm), 0);
	table_model_move(tm, 1); /* scrolls by one */
	assert_int_equal(table_model_cursor(tm), 10);
	assert_int_equal(table_model_top_row(tm), 1);
	table_model_page(tm, 1);
	assert_int_equal(table_model_cursor(tm), 20);
	assert_int_equal(table_model_top_row(tm), 11);
	table_model_page(tm, -1);
	assert_int_equal(table_model_cursor(tm), 10);
	assert_int_equal(table_model_top_row(tm), 1);
	table_model_half_page(tm, 1);
	assert_int_equal(table_model_cursor(tm), 15);
	assert_int_equal(table_model_top_row(tm), 6);
	table_model_half_page(tm, -1);
	assert_int_equal(table_model_cursor(tm), 10);
	assert_int_equal(table_model_top_row(tm), 1);
	/* Paging past either end clamps; the last page is full. */
	table_model_page(tm, 50);
	assert_int_equal(table_model_cursor(tm), 99);
	assert_int_equal(table_model_top_row(tm), 90);
	table_model_page(tm, 1);
	assert_int_equal(table_model_cursor(tm), 99);
	assert_int_equal(table_model_top_row(tm), 90);
	table_model_page(tm, -50);
	assert_int_equal(table_model_cursor(tm), 0);
	assert_int_equal(table_model_top_row(tm), 0);
	table_model_move(tm, 1000000);
	assert_int_equal(table_model_cursor(tm), 99);
	table_model_move(tm, -1000000);
	assert_int_equal(table_model_cursor(tm), 0);
	table_model_move(tm, LONG_MAX);
	assert_int_equal(table_model_cursor(tm), 99);
	table_model_move(tm, LONG_MIN);
	assert_int_equal(table_model_cursor(tm), 0);
	table_model_bottom(tm);
	assert_int_equal(table_model_cursor(tm), 99);
	assert_int_equal(table_model_top_row(tm), 90);
	/* A taller screen pulls the viewport back so no row is wasted. */
	table_model_set_height(tm, 30);
	assert_int_equal(table_model_top_row(tm), 70);
	table_model_top(tm);
	assert_int_equal(table_model_top_row(tm), 0);
	/* A short screen keeps the cursor on it. */
	table_model_move(tm, 50);
	table_model_set_height(tm, 3);
	assert_int_equal(table_model_cursor(tm), 50);
	assert_int_equal(table_model_top_row(tm), 48);
	/* Height 0 (not laid out yet) behaves as one row. */
	table_model_set_height(tm, 0);
	table_model_page(tm, 1);
	assert_int_equal(table_model_cursor(tm), 51);
	assert_int_equal(table_model_top_row(tm), 51);
	table_model_free(tm);
}

static void test_viewport_small_view(void **state)
{
	struct table_model *tm = numbered(5);

	(void)state;
	table_model_set_height(tm, 10);
	table_model_page(tm, 1);
	assert_int_equal(table_model_cursor(tm), 4);
	assert_int_equal(table_model_top_row(tm), 0);
	table_model_half_page(tm, -1);
	assert_int_equal(table_model_cursor(tm), 0);
	assert_int_equal(table_model_top_row(tm), 0);
	/* Filtering keeps the cursor on its row, or clamps it. */
	table_model_move(tm, 3); /* k3, odd */
	table_model_set_filter(tm, "odd");
	assert_string_equal(view_keys(tm), "k1 k3");
	assert_int_equal(table_model_cursor(tm), 1);
	assert_string_equal(table_model_key(tm, table_model_cursor(tm)), "k3");
	table_model_set_filter(tm, "row 0");
	assert_int_equal(table_model_cursor(tm), 0);
	table_model_set_filter(tm, "nothing");
	assert_int_equal(table_model_cursor(tm), 0);
	assert_int_equal(table_model_top_row(tm), 0);
	table_model_move(tm, 1);
	table_model_page(tm, 1);
	table_model_bottom(tm);
	assert_int_equal(table_model_cursor(tm), 0);
	table_model_free(tm);
}

static void test_goto_key(void **state)
{
	struct table_model *tm = numbered(50);

	(void)state;
	table_model_set_height(tm, 10);
	assert_true(table_model_goto_key(tm, "k42"));
	assert_int_equal(table_model_cursor(tm), 42);
	assert_int_equal(table_model_top_row(tm), 33);
	assert_false(table_model_goto_key(tm, "nope"));
	assert_false(table_model_goto_key(tm, NULL));
	assert_int_equal(table_model_cursor(tm), 42);
	table_model_set_filter(tm, "even");
	assert_string_equal(table_model_key(tm, table_model_cursor(tm)), "k42");
	assert_int_equal(table_model_cursor(tm), 21);
	assert_false(table_model_goto_key(tm, "k41")); /* filtered out */
	assert_true(table_model_goto_key(tm, "k40"));
	assert_int_equal(table_model_cursor(tm), 20);
	table_model_free(tm);
}

static int sum_shown(const int *w, size_t n, size_t *shown)
{
	int total = 0;

	*shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (w[i] > 0) {
			total += w[i];
			(*shown)++;
		}
	}
	return total + (*shown ? (int)*shown - 1 : 0);
}

static void test_layout_priorities(void **state)
{
	static const struct table_column cols[] = {
		{ .title = "ID", .min_width = 4 },
		{ .title = "NAME", .min_width = 8, .flex = 2 },
		{ .title = "STATUS", .min_width = 6, .priority = 0 },
		{ .title = "PROJECT", .min_width = 7, .priority = 2 },
		{ .title = "AGE", .min_width = 3, .max_width = 5, .priority = 1 },
		{ .title = "DESCRIPTION", .min_width = 10, .flex = 1, .priority = 3 },
	};
	struct table_model *tm = table_model_new(cols, ARRAY_LEN(cols));
	const char *cells[] = { "0a1b2c", "wordpress-shop", "Ready", "acme", "12d",
				"a shop for selling things" };
	int w[ARRAY_LEN(cols)];
	size_t shown;

	(void)state;
	table_model_begin(tm);
	table_model_add(tm, "0a1b2c", cells, -1, -1);
	table_model_end(tm);

	/* Wide: everything at content width, spare width to the flex columns. */
	table_model_layout(tm, 120, w);
	assert_int_equal(w[0], 6);
	assert_int_equal(w[2], 6);
	assert_int_equal(w[3], 7);
	assert_int_equal(w[4], 3);
	assert_true(w[1] > 14);
	assert_true(w[5] > 25);
	assert_int_equal(sum_shown(w, ARRAY_LEN(w), &shown), 120);
	assert_int_equal(shown, 6);
	/* The flex-2 column grows twice as fast as the flex-1 one. */
	assert_true(w[1] - 14 >= 2 * (w[5] - 25) - 2 && w[1] - 14 <= 2 * (w[5] - 25) + 2);

	/* Just enough for the minimums: shrunk, nothing hidden. */
	table_model_layout(tm, 4 + 8 + 6 + 7 + 3 + 10 + 5, w);
	assert_int_equal(sum_shown(w, ARRAY_LEN(w), &shown), 43);
	assert_int_equal(shown, 6);
	for (size_t i = 0; i < ARRAY_LEN(cols); i++)
		assert_true(w[i] >= cols[i].min_width);

	/* One less: DESCRIPTION (priority 3) goes first. */
	table_model_layout(tm, 42, w);
	assert_int_equal(w[5], 0);
	assert_true(w[3] > 0 && w[4] > 0);
	assert_true(sum_shown(w, ARRAY_LEN(w), &shown) <= 42);

	/* Narrower: then PROJECT (2), then AGE (1); priority 0 columns stay. */
	table_model_layout(tm, 4 + 8 + 6 + 3 + 3, w);
	assert_int_equal(w[3], 0);
	assert_true(w[4] > 0);
	table_model_layout(tm, 4 + 8 + 6 + 2, w);
	assert_int_equal(w[4], 0);
	assert_true(w[0] >= 4 && w[1] >= 8 && w[2] >= 6);
	assert_true(sum_shown(w, ARRAY_LEN(w), &shown) <= 20);
	assert_int_equal(shown, 3);

	/* Narrower than the minimums: cut from the right, never wider. */
	table_model_layout(tm, 10, w);
	assert_true(sum_shown(w, ARRAY_LEN(w), &shown) <= 10);
	assert_true(w[0] > 0);
	table_model_layout(tm, 1, w);
	assert_true(sum_shown(w, ARRAY_LEN(w), &shown) <= 1);
	table_model_layout(tm, 0, w);
	assert_int_equal(sum_shown(w, ARRAY_LEN(w), &shown), 0);
	table_model_free(tm);
}

/* A kept column (a store's step) is cut only after the others reached
 * their minimum. */
static void test_layout_keep(void **state)
{
	static const struct table_column cols[] = {
		{ .title = "NAME", .min_width = 4 },
		{ .title = "PROJECT", .min_width = 7, .priority = 2 },
		{ .title = "STEP", .min_width = 4, .max_width = 48, .priority = 1 },
	};
	struct table_model *tm = table_model_new(cols, ARRAY_LEN(cols));
	const char *cells[] = { "a-long-store-name", "a-long-project-name",
				"provision attempt 2/5 waiting 8s" };
	int w[ARRAY_LEN(cols)];
	size_t shown;

	(void)state;
	table_model_begin(tm);
	table_model_add(tm, "k", cells, -1, -1);
	table_model_end(tm);
	table_model_layout(tm, 50, w);
	assert_true(w[2] < 32); /* the widest is cut first */
	table_model_keep_width(tm, 2);
	table_model_layout(tm, 50, w);
	assert_int_equal(w[2], 32);
	assert_true(w[0] >= 4 && w[1] >= 7);
	assert_int_equal(sum_shown(w, ARRAY_LEN(w), &shown), 50);
	/* narrower: the others hide (by priority) before it is cut */
	table_model_layout(tm, 4 + 7 + 20 + 2, w);
	assert_int_equal(w[1], 0);
	assert_int_equal(w[0], 4);
	assert_int_equal(w[2], 28);
	/* narrower still: cut, never hidden while it fits at its minimum */
	table_model_layout(tm, 4 + 10 + 1, w);
	assert_int_equal(w[0], 4);
	assert_int_equal(w[2], 10);
	table_model_free(tm);
}

static void test_layout_max_and_titles(void **state)
{
	static const struct table_column cols[] = {
		{ .title = "A-LONG-TITLE", .min_width = 1 },
		{ .title = "B", .min_width = 2, .max_width = 6, .flex = 1 },
		{ .title = "日本", .min_width = 1 },
	};
	struct table_model *tm = table_model_new(cols, ARRAY_LEN(cols));
	int w[3];

	(void)state;
	/* No rows: titles give the width. */
	table_model_layout(tm, 80, w);
	assert_int_equal(w[0], 12);
	assert_int_equal(w[1], 6); /* flex, but capped by max_width */
	assert_int_equal(w[2], 4); /* two wide characters */
	table_model_begin(tm);
	add3(tm, "k", "x", "a very long value", "ｘ");
	table_model_end(tm);
	table_model_layout(tm, 80, w);
	assert_int_equal(w[1], 6);
	table_model_free(tm);
}

static void test_utf8_width(void **state)
{
	(void)state;
	assert_int_equal(utf8_width(""), 0);
	assert_int_equal(utf8_width(NULL), 0);
	assert_int_equal(utf8_width("abc"), 3);
	assert_int_equal(utf8_width("é"), 1);		/* precomposed */
	assert_int_equal(utf8_width("e\xcc\x81"), 1);	/* e + combining acute */
	assert_int_equal(utf8_width("日本語"), 6);
	assert_int_equal(utf8_width("한국"), 4);
	assert_int_equal(utf8_width("ｘ"), 2);		/* fullwidth */
	assert_int_equal(utf8_width("😀"), 2);
	assert_int_equal(utf8_width("→"), 1);
	assert_int_equal(utf8_width("a\xff" "b"), 3);	/* invalid byte */
	assert_int_equal(utf8_width("\xe6\x97"), 2);	/* truncated sequence */
	assert_int_equal(utf8_width("\xc0\xaf"), 2);	/* overlong */
	assert_int_equal(utf8_width("\xed\xa0\x80"), 3); /* surrogate */
	assert_int_equal(utf8_width("\xf4\x90\x80\x80"), 4); /* beyond U+10FFFF */
	assert_int_equal(utf8_width("\x80x"), 2);
	assert_int_equal(utf8_width("a\tb"), 3);
	assert_int_equal(utf8_width("x\xe2\x80\x8by"), 2); /* zero-width space */
}

static void test_utf8_fit(void **state)
{
	int used = -1;

	(void)state;
	assert_int_equal(utf8_fit("abcdef", 3, &used), 3);
	assert_int_equal(used, 3);
	assert_int_equal(utf8_fit("日本語", 5, &used), 6); /* no half character */
	assert_int_equal(used, 4);
	assert_int_equal(utf8_fit("日本語", 1, &used), 0);
	assert_int_equal(used, 0);
	assert_int_equal(utf8_fit("é!", 1, &used), 2);
	assert_int_equal(used, 1);
	assert_int_equal(utf8_fit("ab", 10, &used), 2);
	assert_int_equal(used, 2);
	assert_int_equal(utf8_fit("ab", 0, &used), 0);
	assert_int_equal(utf8_fit("ab", 1, NULL), 1);
	assert_int_equal(utf8_fit("\xff\xfe", 1, &used), 1);
	assert_int_equal(used, 1);
}

static void test_many_rows(void **state)
{
	struct table_model *tm = numbered(20000);
	const char *k;

	(void)state;
	assert_int_equal(table_model_nvisible(tm), 20000);
	table_model_set_height(tm, 40);
	table_model_sort(tm, 0, true);
	assert_string_equal(table_model_cell(tm, 0, 0), "row 19999");
	assert_string_equal(table_model_cell(tm, 19999, 0), "row 0");
	table_model_set_filter(tm, "row 1999");
	assert_int_equal(table_model_nvisible(tm), 11);
	k = table_model_key(tm, 0);
	assert_string_equal(k, "k19999");
	assert_true(table_model_goto_key(tm, "k1999"));
	assert_int_equal(table_model_cursor(tm), 10);
	table_model_free(tm);
}

/* A sensitive model wipes each row's whole block as it frees it: the rows
 * of every shape (empty key, empty and NULL cells, long cells) go through
 * a rebuild, a filter and the final free, so that a wipe reaching past a
 * block shows under AddressSanitizer; the model keeps working meanwhile. */
static void test_sensitive_rows(void **state)
{
	struct table_model *tm = table_model_new(cols3, 3);
	char long_cell[3000];

	(void)state;
	memset(long_cell, 'x', sizeof(long_cell) - 1);
	long_cell[sizeof(long_cell) - 1] = '\0';
	table_model_set_sensitive(tm, true);
	for (int round = 0; round < 3; round++) {
		table_model_begin(tm);
		add3(tm, "", "", NULL, "");
		add3(tm, "k1", "db_password", "Secret0Value", "1d");
		add3(tm, "k2", long_cell, "\xc3\xa9t\xc3\xa9", NULL);
		table_model_end(tm);
	}
	assert_string_equal(view_keys(tm), " k1 k2");
	assert_string_equal(table_model_cell(tm, 1, 1), "Secret0Value");
	table_model_set_filter(tm, "secret0");
	assert_string_equal(view_keys(tm), "k1");
	/* rebuilt without the secret row: it is gone from the model */
	table_model_begin(tm);
	add3(tm, "k2", "plain", "row", "2d");
	table_model_end(tm);
	table_model_set_filter(tm, "");
	assert_string_equal(view_keys(tm), "k2");
	/* a begin without an end, then the free: pending rows go too */
	table_model_begin(tm);
	add3(tm, "k3", "Secret0Value", "", "");
	table_model_free(tm);
}

/* ---- table_model_update ---- */

static void update3(struct table_model *tm, const char *key, const char *a, const char *b,
		    const char *c)
{
	const char *cells[3] = { a, b, c };

	assert_true(table_model_update(tm, key, cells, -1, -1));
}

/* Widths held while the content that needed them comes and goes. */
static void test_hold_widths(void **state)
{
	struct table_model *tm = stores();
	int w[3];

	(void)state;
	table_model_hold_widths(tm, 1000, 15000);
	table_model_layout(tm, 100, w);
	assert_int_equal(w[1], 12); /* "Provisioning" */
	/* the long status goes: the column keeps its width for a while */
	update3(tm, "s3", "gamma", "Ready", "100d");
	table_model_hold_widths(tm, 2000, 15000);
	table_model_layout(tm, 100, w);
	assert_int_equal(w[1], 12);
	table_model_hold_widths(tm, 15999, 15000);
	table_model_layout(tm, 100, w);
	assert_int_equal(w[1], 12);
	/* needed again before the time is up: held from then on */
	update3(tm, "s3", "gamma", "Provisioning", "100d");
	table_model_hold_widths(tm, 15000, 15000);
	update3(tm, "s3", "gamma", "Ready", "100d");
	table_model_hold_widths(tm, 29999, 15000);
	table_model_layout(tm, 100, w);
	assert_int_equal(w[1], 12);
	/* not needed for the whole hold: the column narrows to its content */
	table_model_hold_widths(tm, 30000, 15000);
	table_model_layout(tm, 100, w);
	assert_int_equal(w[1], 6); /* "Failed", "STATUS" */
	/* wider content widens it at once */
	update3(tm, "s1", "alpha-shop", "Provisioning!", "10d");
	table_model_hold_widths(tm, 30001, 15000);
	table_model_layout(tm, 100, w);
	assert_int_equal(w[1], 13);
	table_model_free(tm);
}

static void test_update_one_row(void **state)
{
	struct table_model *tm = stores();
	const char *cells[3] = { "x", "y", "z" };

	(void)state;
	table_model_sort(tm, 0, false);
	assert_string_equal(view_keys(tm), "s1 s2 s4 s5 s3");
	assert_true(table_model_goto_key(tm, "s4"));
	table_model_move(tm, -1); /* on s2 */
	table_model_toggle_mark(tm);
	assert_true(table_model_goto_key(tm, "s4"));

	/* renamed: moves to its place, keeps its mark; the cursor stays on s4 */
	update3(tm, "s2", "zeta", "Failed", "9d");
	assert_string_equal(view_keys(tm), "s1 s4 s5 s3 s2");
	assert_string_equal(table_model_key(tm, table_model_cursor(tm)), "s4");
	assert_int_equal(table_model_nmarked(tm), 1);
	assert_true(table_model_marked(tm, 4));
	assert_string_equal(table_model_cell(tm, 4, 0), "zeta");

	/* the same cells again change nothing; an unknown key is refused */
	update3(tm, "s2", "zeta", "Failed", "9d");
	assert_string_equal(view_keys(tm), "s1 s4 s5 s3 s2");
	assert_false(table_model_update(tm, "nope", cells, -1, -1));
	assert_int_equal(table_model_nrows(tm), 5);

	/* rows go into and out of a filtered view */
	table_model_set_filter(tm, "shop");
	assert_string_equal(view_keys(tm), "s1 s4");
	update3(tm, "s5", "omega-shop", "", "9d");
	assert_string_equal(view_keys(tm), "s1 s4 s5");
	update3(tm, "s1", "alpha", "Ready", "10d");
	assert_string_equal(view_keys(tm), "s4 s5");
	assert_string_equal(table_model_key(tm, table_model_cursor(tm)), "s4");

	/* roles change too */
	assert_true(table_model_update(tm, "s4", (const char *[]){ "delta-SHOP", "Ready", "2d" },
				       7, 1));
	{
		int rc;

		assert_int_equal(table_model_role(tm, 0, &rc), 7);
		assert_int_equal(rc, 1);
	}
	table_model_free(tm);
}

/* Random updates give the same table as rebuilding it with the same cells:
 * order (ascending, descending, none), view, marks and column widths. */
static void test_update_matches_rebuild(void **state)
{
	enum { N = 400, STEPS = 600 };
	static char cells[N][3][24];
	struct table_model *tm = table_model_new(cols3, 3);
	unsigned seed = 777;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		random_cell(cells[i][0], 12, &seed);
		snprintf(cells[i][1], sizeof(cells[i][1]), "%s", (i % 3) ? "Ready" : "Failed");
		snprintf(cells[i][2], sizeof(cells[i][2]), "%ud", (unsigned)(rand_r(&seed) % 30));
	}
	table_model_begin(tm);
	for (size_t i = 0; i < N; i++) {
		char key[16];
		const char *c[3] = { cells[i][0], cells[i][1], cells[i][2] };

		snprintf(key, sizeof(key), "k%zu", i);
		table_model_add(tm, key, c, -1, -1);
	}
	table_model_end(tm);
	for (int step = 0; step < STEPS; step++) {
		size_t i = (size_t)rand_r(&seed) % N;
		int col = (int)(rand_r(&seed) % 3);
		char key[16];
		const char *c[3];
		struct table_model *ref = table_model_new(cols3, 3);
		int w1[3], w2[3];

		if (step % 100 == 0)
			table_model_sort(tm, (step / 100) % 3 - 1, step % 200 == 0);
		if (step == 300)
			table_model_set_filter(tm, "a");
		if (step == 450)
			table_model_set_filter(tm, "!e");
		if (step % 37 == 0)
			table_model_toggle_mark(tm);
		random_cell(cells[i][col], col == 0 ? 20 : 6, &seed);
		snprintf(key, sizeof(key), "k%zu", i);
		c[0] = cells[i][0];
		c[1] = cells[i][1];
		c[2] = cells[i][2];
		assert_true(table_model_update(tm, key, c, -1, -1));

		table_model_begin(ref);
		for (size_t r = 0; r < N; r++) {
			const char *rc[3] = { cells[r][0], cells[r][1], cells[r][2] };

			snprintf(key, sizeof(key), "k%zu", r);
			table_model_add(ref, key, rc, -1, -1);
		}
		table_model_end(ref);
		{
			bool desc;
			int sc = table_model_sort_col(tm, &desc);

			table_model_sort(ref, sc, desc);
		}
		table_model_set_filter(ref, table_model_filter(tm));
		assert_int_equal(table_model_nvisible(tm), table_model_nvisible(ref));
		for (size_t v = 0; v < table_model_nvisible(tm); v++) {
			if (strcmp(table_model_key(tm, v), table_model_key(ref, v)) != 0)
				fail_msg("step %d: position %zu is %s, a rebuild has %s", step, v,
					 table_model_key(tm, v), table_model_key(ref, v));
		}
		table_model_layout(tm, 200, w1);
		table_model_layout(ref, 200, w2);
		assert_memory_equal(w1, w2, sizeof(w1));
		table_model_free(ref);
	}
	table_model_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_cells),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_inverted_filter),
		cmocka_unit_test(test_natural_sort_stable),
		cmocka_unit_test(test_sort_matches_reference),
		cmocka_unit_test(test_sort_survives_refresh_and_filter),
		cmocka_unit_test(test_refresh_keeps_cursor_and_marks),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_cursor_and_paging_clamp),
		cmocka_unit_test(test_viewport_small_view),
		cmocka_unit_test(test_goto_key),
		cmocka_unit_test(test_layout_priorities),
		cmocka_unit_test(test_layout_keep),
		cmocka_unit_test(test_layout_max_and_titles),
		cmocka_unit_test(test_utf8_width),
		cmocka_unit_test(test_utf8_fit),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_sensitive_rows),
		cmocka_unit_test(test_update_one_row),
		cmocka_unit_test(test_hold_widths),
		cmocka_unit_test(test_update_matches_rebuild),
	};

	return cmocka_run_group_tests_name("table_model", tests, NULL, NULL);
}
