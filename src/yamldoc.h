/* A YAML document loaded into a tree whose every node remembers where it came
 * from, so that any reader (config, themes, key maps, catalog files,
 * kubeconfig) can report a bad value as `file:line:column: what is wrong`.
 * Only the first document of a stream is loaded; anchors and aliases are
 * refused (they are not needed and make billion-laughs inputs possible). */
#ifndef OPSDECK_SRC_YAMLDOC_H
#define OPSDECK_SRC_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_type type;
	unsigned line, column; /* 1-based, where the node starts */
	bool quoted;	       /* scalar written in quotes: never a null/bool/number */
	char *scalar;	       /* YNODE_SCALAR: the text */
	size_t len;	       /* MAP: pairs; SEQ: items */
	struct ynode **keys;   /* MAP: key scalars, parallel to items */
	struct ynode **items;  /* MAP: values; SEQ: items */
};

struct ydoc {
	char *path; /* for messages: the file name, or a label for strings */
	struct ynode *root; /* NULL for an empty document */
};

/* Returns NULL and fills err with "path:line:column: message" on failure. */
struct ydoc *ydoc_load_file(const char *path, struct err *err);
struct ydoc *ydoc_load_string(const char *label, const char *text, size_t len, struct err *err);
void ydoc_free(struct ydoc *doc);

/* Lookup in a mapping; NULL if absent or if map is not a mapping. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* Sets err to "path:line:column: <fmt>" for node n. Always returns false so
 * callers can `return ydoc_error(...)`. */
bool ydoc_error(const struct ydoc *doc, const struct ynode *n, struct err *err, const char *fmt,
		...) ATTR_FORMAT(4, 5);

/* Typed scalar readers; on a wrong type they set err at the node's position. */
bool ynode_bool(const struct ydoc *doc, const struct ynode *n, bool *out, struct err *err);
bool ynode_long(const struct ydoc *doc, const struct ynode *n, long min, long max, long *out,
		struct err *err);
bool ynode_string(const struct ydoc *doc, const struct ynode *n, const char **out,
		  struct err *err);
/* True for an unquoted ~, null, Null, NULL or empty plain scalar. */
bool ynode_is_null(const struct ynode *n);

#endif
