/* libFuzzer target: rows of the audit trail as the database answers them
 * (event_list_parse on a result built in memory: any text in any column,
 * the detail JSON included, NULLs too) and the merge of the newly notified
 * events into those shown (event_list_merge). The first byte says how many
 * rows are shown already and how many to keep; then come fields separated
 * by NUL bytes, eight to a row (a lone 0xff byte is a NULL). Every field
 * is kept as it was sent (the time cut to its buffer); the merge is
 * newest first without an id twice, keeps the shown copy of an event
 * that is in both, at most as many as asked, and leaves its source empty.
 * See README.md. */
#include "config.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define COLUMNS 8
#define MAX_ROWS 16

struct field {
	const char *s; /* NULL: SQL NULL */
	size_t len;
};

static PGresult *result_of(struct field (*rows)[COLUMNS], size_t n)
{
	static const char *const names[COLUMNS] = {"id",     "at",	"actor",   "action",
						   "object", "project", "message", "detail"};
	PGresAttDesc attrs[COLUMNS];
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);

	memset(attrs, 0, sizeof(attrs));
	for (int c = 0; c < COLUMNS; c++) {
		attrs[c].name = (char *)names[c];
		attrs[c].typid = 25; /* text */
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	if (!res || !PQsetResultAttrs(res, COLUMNS, attrs))
		abort();
	for (size_t r = 0; r < n; r++) {
		for (int c = 0; c < COLUMNS; c++) {
			const struct field *f = &rows[r][c];

			if (!PQsetvalue(res, (int)r, c, f->s ? (char *)f->s : NULL,
					f->s ? (int)f->len : -1))
				abort();
		}
	}
	return res;
}

static bool same_field(const char *got, const struct field *f, size_t max)
{
	size_t n = f->s ? strnlen(f->s, f->len) : 0;

	if (n > max)
		n = max;
	return strlen(got) == n && memcmp(got, f->s ? f->s : "", n) == 0;
}

static void check_parsed(const struct event_list *l, struct field (*rows)[COLUMNS], size_t n)
{
	if (l->n != n)
		abort();
	for (size_t r = 0; r < n; r++) {
		const struct event *e = &l->v[r];

		if (!same_field(e->at, &rows[r][1], sizeof(e->at) - 1) ||
		    !same_field(e->actor, &rows[r][2], SIZE_MAX) ||
		    !same_field(e->action, &rows[r][3], SIZE_MAX) ||
		    !same_field(e->object, &rows[r][4], SIZE_MAX) ||
		    !same_field(e->project, &rows[r][5], SIZE_MAX) ||
		    !same_field(e->message, &rows[r][6], SIZE_MAX) ||
		    !same_field(e->detail, &rows[r][7], SIZE_MAX))
			abort();
	}
}

static bool same_event(const struct event *a, const struct event *b)
{
	return a->id == b->id && strcmp(a->at, b->at) == 0 && strcmp(a->actor, b->actor) == 0 &&
	       strcmp(a->message, b->message) == 0 && strcmp(a->detail, b->detail) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct field rows[MAX_ROWS][COLUMNS];
	char ids[MAX_ROWS][24];
	struct event_list a, b, a0 = {0}, b0 = {0};
	struct err err = {{0}};
	size_t nrows = 0, na, cap, total, col = 0;
	const char *p, *end;
	long next[2] = {1000, 1000};
	PGresult *ra, *rb;

	if (size < 1)
		return 0;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	memset(rows, 0, sizeof(rows));
	while (p < end && nrows < MAX_ROWS) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);

		rows[nrows][col].s = n == 1 && (unsigned char)p[0] == 0xff ? NULL : p;
		rows[nrows][col].len = n;
		if (++col == COLUMNS) {
			col = 0;
			nrows++;
		}
		p += n + 1;
	}
	na = (size_t)(data[0] & 7) < nrows ? (size_t)(data[0] & 7) : nrows;
	cap = (size_t)(data[0] >> 4);
	/* ids as the database gives them: each list newest first, no id twice;
	 * a row's first id byte says how far below the previous it is */
	for (size_t r = 0; r < nrows; r++) {
		int list = r >= na;
		long step = rows[r][0].s && rows[r][0].len ? (unsigned char)rows[r][0].s[0] % 4 : 1;

		next[list] -= step + (r == 0 || r == na ? 0 : 1);
		snprintf(ids[r], sizeof(ids[r]), "%ld", next[list]);
		rows[r][0].s = ids[r];
		rows[r][0].len = strlen(ids[r]);
	}
	ra = result_of(rows, na);
	rb = result_of(rows + na, nrows - na);
	if (!event_list_parse(ra, &a, &err) || !event_list_parse(rb, &b, &err))
		abort();
	PQclear(ra);
	PQclear(rb);
	check_parsed(&a, rows, na);
	check_parsed(&b, rows + na, nrows - na);
	/* copies to compare with after the merge */
	a0.v = calloc(a.n + 1, sizeof(*a0.v));
	b0.v = calloc(b.n + 1, sizeof(*b0.v));
	for (size_t i = 0; i < a.n; i++)
		event_copy(&a0.v[a0.n++], &a.v[i]);
	for (size_t i = 0; i < b.n; i++)
		event_copy(&b0.v[b0.n++], &b.v[i]);
	total = a.n;
	for (size_t j = 0; j < b.n; j++) {
		bool dup = false;

		for (size_t i = 0; i < a.n; i++)
			dup = dup || a.v[i].id == b.v[j].id;
		total += !dup;
	}
	event_list_merge(&a, &b, cap);
	if (b.n != 0 || b.v || a.n != (cap && cap < total ? cap : total))
		abort();
	for (size_t i = 0; i < a.n; i++) {
		const struct event *e = &a.v[i], *from = NULL;

		if (i > 0 && a.v[i - 1].id <= e->id)
			abort();
		for (size_t k = 0; k < a0.n && !from; k++)
			from = a0.v[k].id == e->id ? &a0.v[k] : NULL;
		for (size_t k = 0; k < b0.n && !from; k++)
			from = b0.v[k].id == e->id ? &b0.v[k] : NULL;
		if (!from || !same_event(e, from))
			abort();
	}
	event_list_free(&a);
	event_list_free(&a0);
	event_list_free(&b0);
	return 0;
}
