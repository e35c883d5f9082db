/* The rule by which an operator names a customer or a project: its slug,
 * or its name (exact, ignoring ASCII case). A slug wins over a name; a
 * name that several have is refused with their slugs, so that nothing is
 * done to the wrong one. customers.h and projects.h apply it to their
 * lists; every command that takes a customer or a project goes through
 * them. */
#ifndef OPSDECK_DB_REF_H
#define OPSDECK_DB_REF_H

#include <libpq-fe.h>
#include <stddef.h>

#include "util.h"

/* The n things at base, stride bytes apart, each with `char *` members at
 * slug_off and name_off. Returns the index ref names, or -1 with err set:
 * `no WHAT "x"` or `several WHATs are named "X": a, b; name one by its
 * slug` (control characters of ref shown as spaces). */
long db_ref_pick(const char *what, const char *ref, const void *base, size_t n, size_t stride,
		 size_t slug_off, size_t name_off, struct err *err);

/* Whether a reference is worth looking up: one line, 1 to 200 characters. */
bool db_ref_valid(const char *ref);

/* The rule applied to the answer of a lookup by slug or name whose rows
 * are (slug, name): the slug of the one ref names, or false with err set
 * as db_ref_pick sets it. */
bool db_ref_find_slug(const char *what, const PGresult *res, const char *ref, char *slug,
		      size_t slugsz, struct err *err);

#endif
