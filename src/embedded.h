/* Data files compiled into the binary (see scripts/embed-files): the
 * defaults a bare build needs, and the database migrations. */
#ifndef OPSDECK_SRC_EMBEDDED_H
#define OPSDECK_SRC_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *path; /* relative to the source tree, e.g. "keymaps/default.yaml" */
	const char *data; /* NUL-terminated */
	size_t len;
};

/* Terminated by an entry with a NULL path. */
extern const struct embedded_file embedded_files[];

/* The file at path, or NULL. */
const struct embedded_file *embedded_find(const char *path);

#endif
