/* A YAML document loaded into a tree whose every node remembers where it came
 * from, so that any reader (config, themes, key maps, catalog files,
 * kubeconfig) can report a bad value as `file:line:column: what is wrong`.
 * A stream holds one document: opsdeck's own files (settings, themes, key
 * maps, catalog files) may not hold a second one, and kubeconfig files are
 * read as kubectl reads them (ydoc_load_first_*). Anchors and aliases are
 * refused (they are not needed and make billion-laughs inputs possible).
 * Every error, the encoding's included (invalid UTF-8, a NUL or another
 * control character), names the line and column where it is. */
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

/* Returns NULL and fills err with "path:line:column: message" on failure.
 * The whole stream is parsed: a second document is an error at its start
 * ("more than one YAML document"), as is anything malformed after the first. */
struct ydoc *ydoc_load_file(const char *path, struct err *err);
struct ydoc *ydoc_load_string(const char *label, const char *text, size_t len, struct err *err);
/* The first document, read as kubectl 1.32 reads a kubeconfig file (client-go
 * parses it with Go's YAML library, a port of libyaml, which stops at the end
 * of the first document): what follows is not parsed, so a second document
 * and a syntax error in it are ignored. Go's reader checks the encoding 512
 * bytes at a time, so a bad byte (invalid UTF-8, a control character) in the
 * block of 512 that holds the first document's end is an error for kubectl,
 * and is one here; the same byte further on is not. */
struct ydoc *ydoc_load_first_file(const char *path, struct err *err);
struct ydoc *ydoc_load_first_string(const char *label, const char *text, size_t len,
				    struct err *err);
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
