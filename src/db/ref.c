#include "config.h"

#include "db/ref.h"

#include <stdio.h>
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

	db_shown(ref ? ref : "", shown, sizeof(shown));
	if (!db_ref_valid(ref)) {
		err_set(err, "no %s \"%s\": name one by its slug or its name", what, shown);
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
