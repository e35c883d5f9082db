/* The rule by which an operator names a customer or a project: its slug,
 * or its name (exact, ignoring ASCII case). A slug wins over a name; a
 * name that several have is refused with their slugs, so that nothing is
 * done to the wrong one. customers.h and projects.h apply it to their
 * lists; every command that takes a customer or a project goes through
 * them. */
#ifndef OPSDECK_DB_REF_H
#define OPSDECK_DB_REF_H

#include <stddef.h>

#include "util.h"

/* The n things at base, stride bytes apart, each with `char *` members at
 * slug_off and name_off. Returns the index ref names, or -1 with err set:
 * `no WHAT "x"` or `several WHATs are named "X": a, b; name one by its
 * slug`. */
long db_ref_pick(const char *what, const char *ref, const void *base, size_t n, size_t stride,
		 size_t slug_off, size_t name_off, struct err *err);

/* Whether a reference is worth looking up: one line, 1 to 200 characters. */
bool db_ref_valid(const char *ref);

#endif
