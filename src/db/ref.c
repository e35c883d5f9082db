#include "config.h"

#include "db/ref.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"

static const char *member(const void *base, size_t i, size_t stride, size_t off)
{
	const char *const *p = (const char *const *)((const char *)base + i * stride + off);

	return *p ? *p : "";
}

bool db_ref_valid(const char *ref)
{
	return ref && db_valid_name(ref, 200);
}

long db_ref_pick(const char *what, const char *ref, const void *base, size_t n, size_t stride,
		 size_t slug_off, size_t name_off, struct err *err)
{
	char shown[80], slugs[300];
	size_t found = 0, len = 0;
	long first = -1;

	str_copy_clean(shown, sizeof(shown), ref ? ref : "");
	if (!ref || !*ref) {
		err_set(err, "no %s named: give its slug or its name", what);
		return -1;
	}
	if (!db_ref_valid(ref)) {
		err_set(err, "no %s \"%s\": a %s is named by its slug or its name", what, shown,
			what);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(member(base, i, stride, slug_off), ref) == 0)
			return (long)i;
	}
	slugs[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *slug = member(base, i, stride, slug_off);
		int w;

		if (strcasecmp(member(base, i, stride, name_off), ref) != 0)
			continue;
		if (found++ == 0)
			first = (long)i;
		w = snprintf(slugs + len, sizeof(slugs) - len, "%s%s", len ? ", " : "", slug);
		if (w < 0 || (size_t)w >= sizeof(slugs) - len)
			len = sizeof(slugs) - 1;
		else
			len += (size_t)w;
	}
	if (found == 1)
		return first;
	if (found == 0)
		err_set(err, "no %s \"%s\"", what, shown);
	else
		err_set(err, "several %ss are named \"%s\": %s; name one by its slug", what, shown,
			slugs);
	return -1;
}

bool db_ref_find_slug(const char *what, const PGresult *res, const char *ref, char *slug,
		      size_t slugsz, struct err *err)
{
	struct named {
		const char *slug, *name;
	} *v;
	int n = PQntuples(res);
	long i;

	if (PQnfields(res) != 2) {
		err_set(err, "unexpected answer to the %s lookup (%d columns)", what,
			PQnfields(res));
		return false;
	}
	v = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*v));
	for (int row = 0; row < n; row++) {
		v[row].slug = db_val(res, row, 0);
		v[row].name = db_val(res, row, 1);
	}
	i = db_ref_pick(what, ref, v, (size_t)n, sizeof(*v), offsetof(struct named, slug),
			offsetof(struct named, name), err);
	if (i >= 0)
		str_copy(slug, slugsz, v[i].slug);
	free(v);
	return i >= 0;
}
