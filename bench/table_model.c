/* Measures the table model at 100,000 rows: a full refresh (begin/add/end),
 * filtering, inverted filtering, sorting and one row's update. Prints one
 * line per operation with the best and the median of several runs; the
 * figures belong in bench/README.md, never in a test.
 * Usage: bench/table_model [ROWS] */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "table_model.h"
#include "util.h"

#define RUNS 7
#define NCOLS 6

static const struct table_column cols[NCOLS] = {
	{ .title = "ID", .min_width = 12 },
	{ .title = "NAME", .min_width = 8, .flex = 2 },
	{ .title = "STATUS", .min_width = 6 },
	{ .title = "PROJECT", .min_width = 7, .priority = 2 },
	{ .title = "REPLICAS", .min_width = 3, .align = TABLE_RIGHT, .priority = 1 },
	{ .title = "AGE", .min_width = 3, .align = TABLE_RIGHT, .priority = 3 },
};

struct rows {
	size_t n;
	char (*cells)[NCOLS][40];
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Deterministic input, so runs compare. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static void make_rows(struct rows *r, size_t n)
{
	static const char *const status[] = { "Ready", "Provisioning", "Failed", "Paused",
					      "Queued", "Deleting" };
	static const char *const kind[] = { "woo", "medusa", "shop", "market", "outlet" };

	r->n = n;
	r->cells = xcalloc(n, sizeof(*r->cells));
	for (size_t i = 0; i < n; i++) {
		uint32_t a = rng(), b = rng();

		snprintf(r->cells[i][0], 40, "%06x%06x", a & 0xffffff, b & 0xffffff);
		snprintf(r->cells[i][1], 40, "%s-%s-%u", kind[a % 5], a % 3 ? "store" : "Store",
			 (unsigned)(b % 100000));
		snprintf(r->cells[i][2], 40, "%s", status[b % 6]);
		snprintf(r->cells[i][3], 40, "project-%u", (unsigned)(a % 977));
		snprintf(r->cells[i][4], 40, "%u", (unsigned)(b % 12));
		snprintf(r->cells[i][5], 40, "%ud", (unsigned)(a % 400));
	}
}

static void refresh(struct table_model *tm, const struct rows *r)
{
	table_model_begin(tm);
	for (size_t i = 0; i < r->n; i++) {
		const char *cells[NCOLS];

		for (int c = 0; c < NCOLS; c++)
			cells[c] = r->cells[i][c];
		table_model_add(tm, r->cells[i][0], cells, -1, -1);
	}
	table_model_end(tm);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, size_t extra)
{
	qsort(t, RUNS, sizeof(*t), cmp_double);
	printf("%-34s best %9.3f ms   median %9.3f ms   (%zu rows shown)\n", what, t[0],
	       t[RUNS / 2], extra);
}

int main(int argc, char **argv)
{
	long nrows = 100000;
	struct rows r;
	struct table_model *tm;
	double t[RUNS];
	int widths[NCOLS];

	if (argc > 1 && !str_to_long(argv[1], 1, 10000000, &nrows)) {
		fprintf(stderr, "usage: %s [ROWS]\n", argv[0]);
		return 2;
	}
	make_rows(&r, (size_t)nrows);
	tm = table_model_new(cols, NCOLS);
	table_model_set_height(tm, 50);
	printf("table model, %ld rows, %d columns, %d runs each\n", nrows, NCOLS, RUNS);

	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ms();

		refresh(tm, &r);
		t[i] = now_ms() - t0;
	}
	report("refresh (begin/add/end)", t, table_model_nvisible(tm));

	{
		static const char *const filters[] = { "ready", "store-4", "zzz", "!ready" };

		for (size_t f = 0; f < ARRAY_LEN(filters); f++) {
			char label[64];

			for (int i = 0; i < RUNS; i++) {
				double t0;

				table_model_set_filter(tm, "");
				t0 = now_ms();
				table_model_set_filter(tm, filters[f]);
				t[i] = now_ms() - t0;
			}
			snprintf(label, sizeof(label), "filter \"%s\"", filters[f]);
			report(label, t, table_model_nvisible(tm));
		}
		table_model_set_filter(tm, "");
	}

	{
		static const struct {
			int col;
			bool desc;
			const char *label;
		} sorts[] = {
			{ 1, false, "sort NAME (text+number)" },
			{ 1, true, "sort NAME descending" },
			{ 2, false, "sort STATUS (many ties)" },
			{ 4, false, "sort REPLICAS (numbers)" },
			{ 0, false, "sort ID (hex)" },
			{ -1, false, "sort off (insertion order)" },
		};

		for (size_t s = 0; s < ARRAY_LEN(sorts); s++) {
			for (int i = 0; i < RUNS; i++) {
				double t0 = now_ms();

				table_model_sort(tm, sorts[s].col, sorts[s].desc);
				t[i] = now_ms() - t0;
			}
			report(sorts[s].label, t, table_model_nvisible(tm));
		}
	}

	table_model_sort(tm, 1, false);
	table_model_set_filter(tm, "ready");
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ms();

		refresh(tm, &r);
		t[i] = now_ms() - t0;
	}
	report("refresh, sorted and filtered", t, table_model_nvisible(tm));

	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ms();

		table_model_layout(tm, 160, widths);
		table_model_page(tm, 1);
		t[i] = now_ms() - t0;
	}
	report("layout + page down", t, table_model_nvisible(tm));

	/* One row's change, as a watch or database notice brings it: the cells
	 * replaced in place, or moved in the sort order, or across the filter. */
	{
		static const struct {
			int sort_col;
			const char *filter;
			int col;
			const char *label;
		} updates[] = {
			{ -1, "", 4, "update one row (in place)" },
			{ 1, "", 4, "update one row, sorted (in place)" },
			{ 1, "", 1, "update one row, moves in the sort" },
			{ -1, "ready", 2, "update one row, crosses the filter" },
		};

		for (size_t u = 0; u < ARRAY_LEN(updates); u++) {
			table_model_sort(tm, updates[u].sort_col, false);
			table_model_set_filter(tm, updates[u].filter);
			refresh(tm, &r);
			for (int i = 0; i < RUNS; i++) {
				enum { N = 200 };
				double t0 = now_ms();

				for (size_t k = 0; k < N; k++) {
					size_t row = (size_t)rng() % r.n;
					const char *cells[NCOLS];
					char changed[40];

					for (int c = 0; c < NCOLS; c++)
						cells[c] = r.cells[row][c];
					snprintf(changed, sizeof(changed), "%s", cells[updates[u].col]);
					if (updates[u].col == 2)
						snprintf(changed, sizeof(changed), "%s",
							 strcmp(cells[2], "Ready") ? "Ready" : "Failed");
					else
						changed[0] = changed[0] == 'z' ? 'a' : 'z';
					cells[updates[u].col] = changed;
					table_model_update(tm, r.cells[row][0], cells, -1, -1);
				}
				t[i] = (now_ms() - t0) / N;
			}
			report(updates[u].label, t, table_model_nvisible(tm));
		}
	}

	table_model_free(tm);
	free(r.cells);
	return 0;
}
