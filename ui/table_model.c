#include "config.h"

#include "table_model.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provision/secret.h"
#include "utf8.h"
#include "util.h"

#define NOPOS SIZE_MAX
/* Joins cells in a row's search text so a match cannot span two cells. */
#define CELL_SEP '\x1f'

/* One allocation per row: the cell pointers, then the key, the cells and the
 * lower-cased search text. */
struct tm_row {
	const char **cells;
	const char *key;
	const char *hay;
	int role, role_col;
	bool marked;
};

struct tm_rows {
	struct tm_row *v;
	size_t n, cap;
	int *width; /* widest cell per column, in display cells */
};

struct table_model {
	struct table_column *cols;
	size_t ncols;

	struct tm_rows rows;
	struct tm_rows pending;
	bool building;

	/* Key -> row index + 1 (0: empty slot), open addressing. */
	size_t *hash;
	size_t hashcap;

	size_t *order; /* every row, in sort order */
	size_t *view;  /* the rows of order that pass the filter */
	size_t nview;
	size_t *vpos; /* row -> position in view, or NOPOS */

	char *filter;
	char *needle; /* filter without '!', lower-cased */
	bool invert;

	int sort_col;
	bool descending;
	bool sensitive; /* wipe rows as they are freed */

	size_t cursor, top, height;
	size_t nmarked;

	/* Per column: the width the layout keeps (see table_model_hold_widths)
	 * and when the content last needed it. */
	int *held;
	uint64_t *held_ms;
	bool *keep; /* columns cut last (table_model_keep_width) */
};

/* ---- UTF-8 ---- */

struct urange {
	uint32_t lo, hi;
};

/* Combining marks and format characters: no cell of their own. */
static const struct urange zero_width[] = {
	{ 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD }, { 0x05BF, 0x05BF },
	{ 0x05C1, 0x05C2 }, { 0x05C4, 0x05C5 }, { 0x05C7, 0x05C7 }, { 0x0610, 0x061A },
	{ 0x064B, 0x065F }, { 0x0670, 0x0670 }, { 0x06D6, 0x06DC }, { 0x06DF, 0x06E4 },
	{ 0x06E7, 0x06E8 }, { 0x06EA, 0x06ED }, { 0x0900, 0x0902 }, { 0x093A, 0x093A },
	{ 0x093C, 0x093C }, { 0x0941, 0x0948 }, { 0x094D, 0x094D }, { 0x0951, 0x0957 },
	{ 0x0E31, 0x0E31 }, { 0x0E34, 0x0E3A }, { 0x0E47, 0x0E4E }, { 0x1160, 0x11FF },
	{ 0x1AB0, 0x1AFF }, { 0x1DC0, 0x1DFF }, { 0x200B, 0x200F }, { 0x202A, 0x202E },
	{ 0x2060, 0x2064 }, { 0x20D0, 0x20FF }, { 0xFE00, 0xFE0F }, { 0xFE20, 0xFE2F },
	{ 0xFEFF, 0xFEFF }, { 0xE0001, 0xE007F }, { 0xE0100, 0xE01EF },
};

/* East Asian Wide and Fullwidth characters and wide emoji. */
static const struct urange wide[] = {
	{ 0x1100, 0x115F },   { 0x231A, 0x231B },   { 0x2329, 0x232A },	  { 0x23E9, 0x23EC },
	{ 0x23F0, 0x23F0 },   { 0x23F3, 0x23F3 },   { 0x25FD, 0x25FE },	  { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 },   { 0x267F, 0x267F },   { 0x2693, 0x2693 },	  { 0x26A1, 0x26A1 },
	{ 0x26AA, 0x26AB },   { 0x26BD, 0x26BE },   { 0x26C4, 0x26C5 },	  { 0x26CE, 0x26CE },
	{ 0x26D4, 0x26D4 },   { 0x26EA, 0x26EA },   { 0x26F2, 0x26F3 },	  { 0x26F5, 0x26F5 },
	{ 0x26FA, 0x26FA },   { 0x26FD, 0x26FD },   { 0x2705, 0x2705 },	  { 0x270A, 0x270B },
	{ 0x2728, 0x2728 },   { 0x274C, 0x274C },   { 0x274E, 0x274E },	  { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 },   { 0x2795, 0x2797 },   { 0x27B0, 0x27B0 },	  { 0x27BF, 0x27BF },
	{ 0x2B1B, 0x2B1C },   { 0x2B50, 0x2B50 },   { 0x2B55, 0x2B55 },	  { 0x2E80, 0x303E },
	{ 0x3041, 0x33FF },   { 0x3400, 0x4DBF },   { 0x4E00, 0x9FFF },	  { 0xA000, 0xA4CF },
	{ 0xA960, 0xA97F },   { 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF },	  { 0xFE10, 0xFE19 },
	{ 0xFE30, 0xFE6F },   { 0xFF00, 0xFF60 },   { 0xFFE0, 0xFFE6 },	  { 0x16FE0, 0x16FE4 },
	{ 0x17000, 0x18CFF }, { 0x1B000, 0x1B2FF }, { 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF },
	{ 0x1F18E, 0x1F18E }, { 0x1F191, 0x1F19A }, { 0x1F200, 0x1F202 }, { 0x1F210, 0x1F23B },
	{ 0x1F240, 0x1F248 }, { 0x1F250, 0x1F251 }, { 0x1F260, 0x1F265 }, { 0x1F300, 0x1F64F },
	{ 0x1F680, 0x1F6FF }, { 0x1F7E0, 0x1F7EB }, { 0x1F900, 0x1F9FF }, { 0x1FA70, 0x1FAFF },
	{ 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
};

static bool in_ranges(uint32_t cp, const struct urange *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Decodes one character at s (NUL-terminated); returns its byte length (1
 * for an invalid byte, with *cp set to UINT32_MAX). The locale plays no
 * part. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n = utf8_decode(s, 4, cp, NULL);

	if (n)
		return n;
	*cp = UINT32_MAX;
	return 1;
}

static int cp_width(uint32_t cp)
{
	if (cp < 0x300 || cp == UINT32_MAX)
		return 1; /* ASCII, Latin, controls and invalid bytes alike */
	if (in_ranges(cp, zero_width, ARRAY_LEN(zero_width)))
		return 0;
	if (in_ranges(cp, wide, ARRAY_LEN(wide)))
		return 2;
	return 1;
}

int utf8_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long w = 0;

	if (!s)
		return 0;
	while (*p) {
		uint32_t cp;

		if (*p < 0x80) {
			w++;
			p++;
			continue;
		}
		p += utf8_next(p, &cp);
		w += cp_width(cp);
	}
	return w > INT_MAX ? INT_MAX : (int)w;
}

size_t utf8_fit(const char *s, int max_width, int *used)
{
	const unsigned char *p = (const unsigned char *)s;
	int w = 0;

	if (!s || max_width <= 0) {
		if (used)
			*used = 0;
		return 0;
	}
	while (*p) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);
		int cw = cp_width(cp);

		if (w + cw > max_width)
			break;
		w += cw;
		p += n;
	}
	if (used)
		*used = w;
	return (size_t)(p - (const unsigned char *)s);
}

/* ---- rows ---- */

/* The row's block runs from its cell pointers to the end of its search
 * text (see table_model_add). */
static void row_wipe(const struct tm_row *row)
{
	const char *end = row->hay + strlen(row->hay) + 1;

	secret_wipe((void *)row->cells, (size_t)(end - (const char *)row->cells));
}

static void rows_clear(struct tm_rows *r, size_t ncols, bool wipe)
{
	for (size_t i = 0; i < r->n; i++) {
		if (wipe)
			row_wipe(&r->v[i]);
		free((void *)r->v[i].cells);
	}
	r->n = 0;
	if (r->width) {
		for (size_t c = 0; c < ncols; c++)
			r->width[c] = 0;
	}
}

static void rows_free(struct tm_rows *r, size_t ncols, bool wipe)
{
	rows_clear(r, ncols, wipe);
	free(r->v);
	free(r->width);
	memset(r, 0, sizeof(*r));
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* Row index of key in the current rows, or NOPOS. */
static size_t hash_find(const struct table_model *tm, const char *key)
{
	size_t mask = tm->hashcap - 1;

	if (!tm->hashcap)
		return NOPOS;
	for (size_t i = (size_t)hash_str(key) & mask;; i = (i + 1) & mask) {
		size_t e = tm->hash[i];

		if (e == 0)
			return NOPOS;
		if (strcmp(tm->rows.v[e - 1].key, key) == 0)
			return e - 1;
	}
}

static void hash_build(struct table_model *tm)
{
	size_t cap = 16, mask;

	while (cap < tm->rows.n * 2)
		cap *= 2;
	if (cap != tm->hashcap) {
		free(tm->hash);
		tm->hash = xcalloc(cap, sizeof(*tm->hash));
		tm->hashcap = cap;
	} else {
		memset(tm->hash, 0, cap * sizeof(*tm->hash));
	}
	mask = cap - 1;
	for (size_t r = 0; r < tm->rows.n; r++) {
		const char *key = tm->rows.v[r].key;

		for (size_t i = (size_t)hash_str(key) & mask;; i = (i + 1) & mask) {
			size_t e = tm->hash[i];

			if (e == 0) {
				tm->hash[i] = r + 1;
				break;
			}
			/* A repeated key: lookups find the first row. */
			if (strcmp(tm->rows.v[e - 1].key, key) == 0)
				break;
		}
	}
}

/* ---- natural order ---- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Digit runs compare as numbers, the rest case-insensitively; texts equal
 * that way fall back to plain byte order so the result is total. */
static int natural_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

	while (*p && *q) {
		if (is_digit(*p) && is_digit(*q)) {
			const unsigned char *ps, *qs;
			size_t pl, ql;

			while (*p == '0' && is_digit(p[1]))
				p++;
			while (*q == '0' && is_digit(q[1]))
				q++;
			ps = p;
			qs = q;
			while (is_digit(*p))
				p++;
			while (is_digit(*q))
				q++;
			pl = (size_t)(p - ps);
			ql = (size_t)(q - qs);
			if (pl != ql)
				return pl < ql ? -1 : 1;
			for (size_t i = 0; i < pl; i++) {
				if (ps[i] != qs[i])
					return ps[i] < qs[i] ? -1 : 1;
			}
			continue;
		}
		if (lower(*p) != lower(*q))
			return lower(*p) < lower(*q) ? -1 : 1;
		p++;
		q++;
	}
	if (*p || *q)
		return *p ? 1 : -1;
	return strcmp(a, b);
}

/* A sort entry: the first bytes of the cell in an encoding whose byte order
 * is natural order (digit runs become '0', their length, their digits; other
 * bytes are lower-cased), so most comparisons are integer compares and never
 * touch the row. */
#define SORT_KEY_WORDS 3

struct sort_ent {
	uint64_t k[SORT_KEY_WORDS];
	uint32_t row;
	bool slow; /* a digit run too long to encode: k is not reliable */
};

static void sort_key(const char *s, struct sort_ent *e)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char out[8 * SORT_KEY_WORDS] = { 0 };
	size_t o = 0;

	e->slow = false;
	while (*p && o < sizeof(out)) {
		if (is_digit(*p)) {
			const unsigned char *start;
			size_t len;

			while (*p == '0' && is_digit(p[1]))
				p++;
			start = p;
			while (is_digit(*p))
				p++;
			len = (size_t)(p - start);
			if (len > 255) {
				e->slow = true;
				len = 255;
			}
			out[o++] = '0';
			if (o < sizeof(out))
				out[o++] = (unsigned char)len;
			for (size_t i = 0; i < len && o < sizeof(out); i++)
				out[o++] = start[i];
		} else {
			out[o++] = (unsigned char)lower(*p++);
		}
	}
	for (size_t w = 0; w < SORT_KEY_WORDS; w++) {
		e->k[w] = 0;
		for (size_t i = 0; i < 8; i++)
			e->k[w] = (e->k[w] << 8) | out[8 * w + i];
	}
}

static int key_cmp(const struct sort_ent *a, const struct sort_ent *b)
{
	for (size_t w = 0; w < SORT_KEY_WORDS; w++) {
		if (a->k[w] != b->k[w])
			return a->k[w] < b->k[w] ? -1 : 1;
	}
	return 0;
}

static int full_cmp(const struct table_model *tm, const struct sort_ent *a,
		    const struct sort_ent *b)
{
	return natural_cmp(tm->rows.v[a->row].cells[tm->sort_col],
			   tm->rows.v[b->row].cells[tm->sort_col]);
}

static int ent_cmp(const struct table_model *tm, const struct sort_ent *a,
		   const struct sort_ent *b, bool full)
{
	int c = full ? full_cmp(tm, a, b) : key_cmp(a, b);

	return tm->descending ? -c : c;
}

/* Stable bottom-up merge sort of e[0..n) (insertion sort on short runs
 * first), by key only or in full. tmp has room for n entries. */
static void merge_sort(const struct table_model *tm, struct sort_ent *e, struct sort_ent *tmp,
		       size_t n, bool full)
{
	struct sort_ent *src = e, *dst = tmp;

	for (size_t lo = 0; lo < n; lo += 16) {
		size_t hi = lo + 16 < n ? lo + 16 : n;

		for (size_t i = lo + 1; i < hi; i++) {
			struct sort_ent v = src[i];
			size_t j = i;

			while (j > lo && ent_cmp(tm, &src[j - 1], &v, full) > 0) {
				src[j] = src[j - 1];
				j--;
			}
			src[j] = v;
		}
	}
	for (size_t width = 16; width < n; width *= 2) {
		struct sort_ent *t;

		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = ent_cmp(tm, &src[j], &src[i], full) < 0 ? src[j++]
										: src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != e)
		memcpy(e, src, n * sizeof(*e));
}

/* Sorts rows into order: by key first, then each run of equal keys in full,
 * unless its cells are all the same text (a status column: nothing to do). */
static void sort_order(struct table_model *tm)
{
	size_t n = tm->rows.n;
	struct sort_ent *ent, *tmp;
	bool any_slow = false;

	for (size_t i = 0; i < n; i++)
		tm->order[i] = i;
	if (tm->sort_col < 0 || n < 2)
		return;
	ent = xmalloc(n * sizeof(*ent));
	tmp = xmalloc(n * sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		sort_key(tm->rows.v[i].cells[tm->sort_col], &ent[i]);
		ent[i].row = (uint32_t)i;
		any_slow = any_slow || ent[i].slow;
	}
	if (any_slow) {
		merge_sort(tm, ent, tmp, n, true);
	} else {
		merge_sort(tm, ent, tmp, n, false);
		for (size_t lo = 0, hi; lo < n; lo = hi) {
			bool same = true;

			for (hi = lo + 1; hi < n && key_cmp(&ent[lo], &ent[hi]) == 0; hi++)
				same = same &&
				       strcmp(tm->rows.v[ent[lo].row].cells[tm->sort_col],
					      tm->rows.v[ent[hi].row].cells[tm->sort_col]) == 0;
			if (hi - lo > 1 && !same)
				merge_sort(tm, ent + lo, tmp, hi - lo, true);
		}
	}
	for (size_t i = 0; i < n; i++)
		tm->order[i] = ent[i].row;
	free(ent);
	free(tmp);
}

/* ---- view ---- */

static bool row_matches(const struct table_model *tm, const struct tm_row *r)
{
	bool hit;

	if (!tm->needle || !tm->needle[0])
		return true;
	hit = strstr(r->hay, tm->needle) != NULL;
	return tm->invert ? !hit : hit;
}

static size_t view_height(const struct table_model *tm)
{
	return tm->height ? tm->height : 1;
}

/* Keeps cursor and viewport inside the view, the cursor on screen. */
static void clamp_view(struct table_model *tm)
{
	size_t h = view_height(tm), maxtop;

	if (tm->nview == 0) {
		tm->cursor = tm->top = 0;
		return;
	}
	if (tm->cursor >= tm->nview)
		tm->cursor = tm->nview - 1;
	maxtop = tm->nview > h ? tm->nview - h : 0;
	if (tm->top > maxtop)
		tm->top = maxtop;
	if (tm->cursor < tm->top)
		tm->top = tm->cursor;
	if (tm->cursor >= tm->top + h)
		tm->top = tm->cursor - h + 1;
}

static void build_view(struct table_model *tm)
{
	for (size_t r = 0; r < tm->rows.n; r++)
		tm->vpos[r] = NOPOS;
	tm->nview = 0;
	for (size_t i = 0; i < tm->rows.n; i++) {
		size_t r = tm->order[i];

		if (row_matches(tm, &tm->rows.v[r])) {
			tm->vpos[r] = tm->nview;
			tm->view[tm->nview++] = r;
		}
	}
}

/* Rebuilds the view and puts the cursor back on the row it was on, or at
 * the same position if that row is gone. */
static void rebuild_view_keep(struct table_model *tm, size_t cursor_row)
{
	build_view(tm);
	if (cursor_row != NOPOS && tm->vpos[cursor_row] != NOPOS)
		tm->cursor = tm->vpos[cursor_row];
	clamp_view(tm);
}

static size_t cursor_row(const struct table_model *tm)
{
	return tm->nview ? tm->view[tm->cursor] : NOPOS;
}

/* ---- public ---- */

struct table_model *table_model_new(const struct table_column *cols, size_t ncols)
{
	struct table_model *tm = xcalloc(1, sizeof(*tm));

	tm->ncols = ncols;
	tm->cols = xcalloc(ncols ? ncols : 1, sizeof(*tm->cols));
	for (size_t c = 0; c < ncols; c++) {
		tm->cols[c] = cols[c];
		tm->cols[c].title = xstrdup(cols[c].title ? cols[c].title : "");
	}
	tm->rows.width = xcalloc(ncols ? ncols : 1, sizeof(int));
	tm->pending.width = xcalloc(ncols ? ncols : 1, sizeof(int));
	tm->held = xcalloc(ncols ? ncols : 1, sizeof(*tm->held));
	tm->held_ms = xcalloc(ncols ? ncols : 1, sizeof(*tm->held_ms));
	tm->keep = xcalloc(ncols ? ncols : 1, sizeof(*tm->keep));
	tm->sort_col = -1;
	tm->filter = xstrdup("");
	return tm;
}

void table_model_free(struct table_model *tm)
{
	if (!tm)
		return;
	rows_free(&tm->rows, tm->ncols, tm->sensitive);
	rows_free(&tm->pending, tm->ncols, tm->sensitive);
	for (size_t c = 0; c < tm->ncols; c++)
		free((char *)tm->cols[c].title);
	free(tm->cols);
	free(tm->held);
	free(tm->held_ms);
	free(tm->keep);
	free(tm->hash);
	free(tm->order);
	free(tm->view);
	free(tm->vpos);
	free(tm->filter);
	free(tm->needle);
	free(tm);
}

size_t table_model_ncols(const struct table_model *tm)
{
	return tm->ncols;
}

const struct table_column *table_model_column(const struct table_model *tm, size_t col)
{
	return col < tm->ncols ? &tm->cols[col] : NULL;
}

void table_model_set_sensitive(struct table_model *tm, bool on)
{
	tm->sensitive = on;
}

void table_model_begin(struct table_model *tm)
{
	rows_clear(&tm->pending, tm->ncols, tm->sensitive);
	tm->building = true;
}

/* Makes row from key and cells in one allocation (see struct tm_row) and
 * widens width[] to its cells. */
static void row_make(const struct table_model *tm, struct tm_row *row, const char *key,
		     const char *const *cells, int role, int role_col, int *width)
{
	size_t len[64], *lens = len, total, ptrs;
	char *block, *w;

	if (!key)
		key = "";
	if (tm->ncols > ARRAY_LEN(len))
		lens = xmalloc(tm->ncols * sizeof(*lens));
	ptrs = (tm->ncols ? tm->ncols : 1) * sizeof(const char *);
	total = ptrs + strlen(key) + 1;
	for (size_t c = 0; c < tm->ncols; c++) {
		const char *s = cells && cells[c] ? cells[c] : "";

		lens[c] = strlen(s);
		/* The cell itself and its lower-cased copy in the search text. */
		total += 2 * (lens[c] + 1);
	}
	total += 1;

	block = xmalloc(total);
	row->cells = (const char **)(void *)block;
	w = block + ptrs;
	row->key = w;
	memcpy(w, key, strlen(key) + 1);
	w += strlen(key) + 1;
	for (size_t c = 0; c < tm->ncols; c++) {
		const char *s = cells && cells[c] ? cells[c] : "";
		int cw;

		row->cells[c] = w;
		memcpy(w, s, lens[c] + 1);
		w += lens[c] + 1;
		cw = utf8_width(s);
		if (cw > width[c])
			width[c] = cw;
	}
	row->hay = w;
	for (size_t c = 0; c < tm->ncols; c++) {
		const char *s = row->cells[c];

		for (size_t i = 0; i < lens[c]; i++)
			*w++ = (char)lower((unsigned char)s[i]);
		*w++ = CELL_SEP;
	}
	*w = '\0';
	row->role = role;
	row->role_col = role_col;
	row->marked = false;
	if (lens != len)
		free(lens);
}

void table_model_add(struct table_model *tm, const char *key, const char *const *cells, int role,
		     int role_col)
{
	struct tm_rows *p = &tm->pending;

	if (!tm->building)
		table_model_begin(tm);
	p->v = xgrow(p->v, &p->cap, p->n + 1, sizeof(*p->v));
	row_make(tm, &p->v[p->n++], key, cells, role, role_col, p->width);
}

static bool row_same(const struct table_model *tm, const struct tm_row *row,
		     const char *const *cells, int role, int role_col)
{
	if (row->role != role || row->role_col != role_col)
		return false;
	for (size_t c = 0; c < tm->ncols; c++) {
		if (strcmp(row->cells[c], cells && cells[c] ? cells[c] : "") != 0)
			return false;
	}
	return true;
}

/* The widest cell of column c, measured again (after the widest shrank). */
static void width_remeasure(struct table_model *tm, size_t c)
{
	int w = 0;

	for (size_t r = 0; r < tm->rows.n; r++) {
		int cw = utf8_width(tm->rows.v[r].cells[c]);

		if (cw > w)
			w = cw;
	}
	tm->rows.width[c] = w;
}

/* Order of rows a and b in the sort: the sort column's cells, then the
 * order they were added in, as the stable sort leaves them. */
static int row_order_cmp(const struct table_model *tm, size_t a, size_t b)
{
	int c = natural_cmp(tm->rows.v[a].cells[tm->sort_col], tm->rows.v[b].cells[tm->sort_col]);

	if (tm->descending)
		c = -c;
	if (c)
		return c;
	return a < b ? -1 : a > b;
}

/* Moves row r to its place in the sort order after its cell changed. */
static void order_move(struct table_model *tm, size_t r)
{
	size_t n = tm->rows.n, at = 0, lo = 0, hi;

	while (at < n && tm->order[at] != r)
		at++;
	if (at == n)
		return;
	memmove(&tm->order[at], &tm->order[at + 1], (n - at - 1) * sizeof(*tm->order));
	hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (row_order_cmp(tm, tm->order[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&tm->order[lo + 1], &tm->order[lo], (n - 1 - lo) * sizeof(*tm->order));
	tm->order[lo] = r;
}

bool table_model_update(struct table_model *tm, const char *key, const char *const *cells,
			int role, int role_col)
{
	size_t r = hash_find(tm, key ? key : ""), keep = cursor_row(tm);
	struct tm_row fresh, *row;
	bool sort_changed, was_in;
	int *was;

	if (r == NOPOS || tm->building)
		return false;
	was_in = tm->vpos[r] != NOPOS;
	row = &tm->rows.v[r];
	if (row_same(tm, row, cells, role, role_col))
		return true;
	row_make(tm, &fresh, row->key, cells, role, role_col, tm->rows.width);
	fresh.marked = row->marked;
	sort_changed = tm->sort_col >= 0 &&
		       strcmp(row->cells[tm->sort_col], fresh.cells[tm->sort_col]) != 0;
	was = xmalloc((tm->ncols ? tm->ncols : 1) * sizeof(*was));
	for (size_t c = 0; c < tm->ncols; c++)
		was[c] = utf8_width(row->cells[c]);
	if (tm->sensitive)
		row_wipe(row);
	free((void *)row->cells);
	*row = fresh;
	for (size_t c = 0; c < tm->ncols; c++) {
		/* the widest cell shrank: the column may be narrower now */
		if (was[c] == tm->rows.width[c] && utf8_width(row->cells[c]) < was[c])
			width_remeasure(tm, c);
	}
	free(was);
	/* In the same place and the same side of the filter: the view, the
	 * cursor and the top stay, so the update costs O(1), not a pass. */
	if (!sort_changed && row_matches(tm, row) == was_in)
		return true;
	if (sort_changed)
		order_move(tm, r);
	rebuild_view_keep(tm, keep);
	return true;
}

void table_model_end(struct table_model *tm)
{
	const char *old_key = NULL;
	size_t old_cursor = tm->cursor, new_row = NOPOS;
	struct tm_rows old;
	size_t n;

	/* Without a begin there is nothing new: keep the rows as they are. */
	if (!tm->building)
		return;
	tm->building = false;
	if (tm->nview)
		old_key = tm->rows.v[cursor_row(tm)].key;

	/* Swap in the new rows, keeping the old ones until marks and the cursor
	 * have been carried over by key. */
	old = tm->rows;
	tm->rows = tm->pending;
	tm->pending = old;
	n = tm->rows.n;

	{
		/* The old rows still index the hash: read it before rebuilding. */
		size_t *marked_old = NULL, nmo = 0, capmo = 0;

		for (size_t r = 0; r < old.n; r++) {
			if (old.v[r].marked) {
				marked_old =
					xgrow(marked_old, &capmo, nmo + 1, sizeof(*marked_old));
				marked_old[nmo++] = r;
			}
		}
		hash_build(tm);
		tm->nmarked = 0;
		for (size_t i = 0; i < nmo; i++) {
			size_t r = hash_find(tm, tm->pending.v[marked_old[i]].key);

			if (r != NOPOS && !tm->rows.v[r].marked) {
				tm->rows.v[r].marked = true;
				tm->nmarked++;
			}
		}
		free(marked_old);
		if (old_key)
			new_row = hash_find(tm, old_key);
	}
	rows_clear(&tm->pending, tm->ncols, tm->sensitive);

	free(tm->order);
	free(tm->view);
	free(tm->vpos);
	tm->order = xmalloc((n ? n : 1) * sizeof(*tm->order));
	tm->view = xmalloc((n ? n : 1) * sizeof(*tm->view));
	tm->vpos = xmalloc((n ? n : 1) * sizeof(*tm->vpos));
	sort_order(tm);
	tm->cursor = old_cursor;
	rebuild_view_keep(tm, new_row);
}

size_t table_model_nrows(const struct table_model *tm)
{
	return tm->rows.n;
}

size_t table_model_nvisible(const struct table_model *tm)
{
	return tm->nview;
}

const char *table_model_cell(const struct table_model *tm, size_t vpos, size_t col)
{
	if (vpos >= tm->nview || col >= tm->ncols)
		return NULL;
	return tm->rows.v[tm->view[vpos]].cells[col];
}

const char *table_model_key(const struct table_model *tm, size_t vpos)
{
	if (vpos >= tm->nview)
		return NULL;
	return tm->rows.v[tm->view[vpos]].key;
}

int table_model_role(const struct table_model *tm, size_t vpos, int *role_col)
{
	const struct tm_row *r;

	if (vpos >= tm->nview) {
		if (role_col)
			*role_col = -1;
		return -1;
	}
	r = &tm->rows.v[tm->view[vpos]];
	if (role_col)
		*role_col = r->role_col;
	return r->role;
}

bool table_model_marked(const struct table_model *tm, size_t vpos)
{
	return vpos < tm->nview && tm->rows.v[tm->view[vpos]].marked;
}

void table_model_set_filter(struct table_model *tm, const char *filter)
{
	size_t row = cursor_row(tm);
	const char *pat;
	char *w;

	if (!filter)
		filter = "";
	free(tm->filter);
	free(tm->needle);
	tm->filter = xstrdup(filter);
	tm->invert = filter[0] == '!';
	pat = tm->invert ? filter + 1 : filter;
	tm->needle = xstrdup(pat);
	for (w = tm->needle; *w; w++)
		*w = (char)lower((unsigned char)*w);
	rebuild_view_keep(tm, row);
}

const char *table_model_filter(const struct table_model *tm)
{
	return tm->filter;
}

void table_model_sort(struct table_model *tm, int col, bool descending)
{
	size_t row = cursor_row(tm);

	if (col < -1 || (col >= 0 && (size_t)col >= tm->ncols))
		return;
	tm->sort_col = col;
	tm->descending = col >= 0 && descending;
	sort_order(tm);
	rebuild_view_keep(tm, row);
}

int table_model_sort_col(const struct table_model *tm, bool *descending)
{
	if (descending)
		*descending = tm->descending;
	return tm->sort_col;
}

void table_model_set_height(struct table_model *tm, size_t height)
{
	tm->height = height;
	clamp_view(tm);
}

/* Moves cursor by delta rows and the viewport by scroll rows, clamped. */
static void shift(struct table_model *tm, long delta, long scroll)
{
	if (tm->nview == 0)
		return;
	if (delta < 0)
		tm->cursor = (size_t)-delta > tm->cursor ? 0 : tm->cursor - (size_t)-delta;
	else
		tm->cursor = (size_t)delta >= tm->nview - tm->cursor ? tm->nview - 1
								      : tm->cursor + (size_t)delta;
	if (scroll < 0)
		tm->top = (size_t)-scroll > tm->top ? 0 : tm->top - (size_t)-scroll;
	else
		tm->top = (size_t)scroll >= tm->nview - tm->top ? tm->nview - 1
								: tm->top + (size_t)scroll;
	clamp_view(tm);
}

void table_model_move(struct table_model *tm, long delta)
{
	if (delta == LONG_MIN)
		delta = LONG_MIN + 1;
	shift(tm, delta, 0);
}

void table_model_page(struct table_model *tm, int pages)
{
	long h = (long)view_height(tm);

	shift(tm, (long)pages * h, (long)pages * h);
}

void table_model_half_page(struct table_model *tm, int dir)
{
	long h = (long)view_height(tm) / 2;
	long d;

	if (h < 1)
		h = 1;
	d = dir < 0 ? -h : dir > 0 ? h : 0;
	shift(tm, d, d);
}

void table_model_top(struct table_model *tm)
{
	tm->cursor = 0;
	clamp_view(tm);
}

void table_model_bottom(struct table_model *tm)
{
	tm->cursor = tm->nview ? tm->nview - 1 : 0;
	clamp_view(tm);
}

bool table_model_goto_key(struct table_model *tm, const char *key)
{
	size_t r;

	if (!key)
		return false;
	r = hash_find(tm, key);
	if (r == NOPOS || tm->vpos[r] == NOPOS)
		return false;
	tm->cursor = tm->vpos[r];
	clamp_view(tm);
	return true;
}

size_t table_model_cursor(const struct table_model *tm)
{
	return tm->cursor;
}

size_t table_model_top_row(const struct table_model *tm)
{
	return tm->top;
}

void table_model_toggle_mark(struct table_model *tm)
{
	struct tm_row *r;

	if (tm->nview == 0)
		return;
	r = &tm->rows.v[cursor_row(tm)];
	r->marked = !r->marked;
	if (r->marked)
		tm->nmarked++;
	else
		tm->nmarked--;
}

void table_model_clear_marks(struct table_model *tm)
{
	for (size_t r = 0; r < tm->rows.n; r++)
		tm->rows.v[r].marked = false;
	tm->nmarked = 0;
}

size_t table_model_nmarked(const struct table_model *tm)
{
	return tm->nmarked;
}

size_t table_model_marked_keys(const struct table_model *tm, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < tm->nview && n < max; i++) {
		const struct tm_row *r = &tm->rows.v[tm->view[i]];

		if (r->marked)
			out[n++] = r->key;
	}
	for (size_t r = 0; r < tm->rows.n && n < max; r++) {
		if (tm->rows.v[r].marked && tm->vpos[r] == NOPOS)
			out[n++] = tm->rows.v[r].key;
	}
	return n;
}

/* ---- layout ---- */

static int col_natural(const struct table_model *tm, size_t c)
{
	const struct table_column *col = &tm->cols[c];
	int w = utf8_width(col->title);

	if (tm->rows.width[c] > w)
		w = tm->rows.width[c];
	if (tm->held[c] > w)
		w = tm->held[c];
	if (col->max_width > 0 && w > col->max_width)
		w = col->max_width;
	if (w < col->min_width)
		w = col->min_width;
	return w;
}

static int col_min(const struct table_column *col)
{
	return col->min_width > 0 ? col->min_width : 1;
}

/* Sum of shown widths plus one space between shown columns. */
static long layout_total(const int *widths, size_t n)
{
	long total = 0;
	size_t shown = 0;

	for (size_t c = 0; c < n; c++) {
		if (widths[c] > 0) {
			total += widths[c];
			shown++;
		}
	}
	return total + (shown ? (long)shown - 1 : 0);
}

void table_model_hold_widths(struct table_model *tm, uint64_t now_ms, uint64_t hold_ms)
{
	for (size_t c = 0; c < tm->ncols; c++) {
		if (tm->rows.width[c] >= tm->held[c]) {
			tm->held[c] = tm->rows.width[c];
			tm->held_ms[c] = now_ms;
		} else if (now_ms - tm->held_ms[c] >= hold_ms) {
			tm->held[c] = tm->rows.width[c];
			tm->held_ms[c] = now_ms;
		}
	}
}

void table_model_keep_width(struct table_model *tm, size_t col)
{
	if (col < tm->ncols)
		tm->keep[col] = true;
}

void table_model_layout(const struct table_model *tm, int width, int *widths)
{
	size_t n = tm->ncols;
	int *mins;
	long total, excess;

	if (n == 0)
		return;
	if (width <= 0) {
		for (size_t c = 0; c < n; c++)
			widths[c] = 0;
		return;
	}
	mins = xmalloc(n * sizeof(*mins));
	for (size_t c = 0; c < n; c++) {
		widths[c] = col_natural(tm, c);
		mins[c] = col_min(&tm->cols[c]);
		if (mins[c] > widths[c])
			mins[c] = widths[c];
	}

	/* Hide by priority until every shown column fits at its minimum: first
	 * the others, so that kept columns fit whole; then any, kept columns
	 * at their own minimum. */
	for (int pass = 0; pass < 2; pass++) {
		for (;;) {
			long need = 0;
			size_t shown = 0, victim = n;

			for (size_t c = 0; c < n; c++) {
				if (widths[c] > 0) {
					need += pass == 0 && tm->keep[c] ? widths[c] : mins[c];
					shown++;
				}
			}
			need += shown ? (long)shown - 1 : 0;
			if (need <= width)
				break;
			for (size_t c = 0; c < n; c++) {
				/* Highest number first; among equals the rightmost. */
				if (widths[c] > 0 && tm->cols[c].priority > 0 &&
				    !(pass == 0 && tm->keep[c]) &&
				    (victim == n ||
				     tm->cols[c].priority >= tm->cols[victim].priority))
					victim = c;
			}
			if (victim == n)
				break;
			widths[victim] = 0;
		}
	}

	/* Shrink the widest columns toward their minimum: the others first,
	 * then those whose content is cut last. */
	total = layout_total(widths, n);
	excess = total - width;
	for (int pass = 0; pass < 2; pass++) {
		while (excess > 0) {
			size_t widest = n;

			for (size_t c = 0; c < n; c++) {
				if ((pass == 1 || !tm->keep[c]) && widths[c] > mins[c] &&
				    (widest == n || widths[c] > widths[widest]))
					widest = c;
			}
			if (widest == n)
				break;
			widths[widest]--;
			excess--;
		}
	}

	/* Still too wide (a screen narrower than the minimums): cut from the right. */
	if (excess > 0) {
		long left = width;
		bool first = true;

		for (size_t c = 0; c < n; c++) {
			if (widths[c] == 0)
				continue;
			if (!first)
				left--; /* the space before this column */
			if (left <= 0) {
				widths[c] = 0;
				continue;
			}
			if (widths[c] > left)
				widths[c] = (int)left;
			left -= widths[c];
			first = false;
		}
	}

	/* Spare width goes to flexible columns by their share, up to their max. */
	total = layout_total(widths, n);
	if (total < width) {
		long spare = width - total;

		while (spare > 0) {
			long shares = 0, given = 0;

			for (size_t c = 0; c < n; c++) {
				const struct table_column *col = &tm->cols[c];

				if (widths[c] > 0 && col->flex > 0 &&
				    (col->max_width <= 0 || widths[c] < col->max_width))
					shares += col->flex;
			}
			if (shares == 0)
				break;
			for (size_t c = 0; c < n && given < spare; c++) {
				long add, room;

				if (widths[c] == 0 || tm->cols[c].flex <= 0)
					continue;
				room = tm->cols[c].max_width > 0 ? tm->cols[c].max_width - widths[c]
								 : LONG_MAX;
				if (room <= 0)
					continue;
				add = spare * tm->cols[c].flex / shares;
				if (add < 1)
					add = 1;
				if (add > spare - given)
					add = spare - given;
				if (add > room)
					add = room;
				widths[c] += (int)add;
				given += add;
			}
			if (given == 0)
				break;
			spare -= given;
		}
	}
	free(mins);
}
