#include "config.h"

#include "yamldoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"

/* Deep nesting is never legitimate in our files and would recurse unbounded. */
#define YDOC_MAX_DEPTH 64

struct yload {
	yaml_parser_t parser;
	const char *path;
	struct err *err;
};

static struct ynode *ynode_new(enum ynode_type type, const yaml_event_t *ev)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (unsigned)ev->start_mark.line + 1;
	n->column = (unsigned)ev->start_mark.column + 1;
	return n;
}

static void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->len; i++) {
		if (n->keys)
			ynode_free(n->keys[i]);
		ynode_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->scalar);
	free(n);
}

static bool load_error_at(struct yload *ld, size_t line, size_t col, const char *msg)
{
	err_set(ld->err, "%s:%zu:%zu: %s", ld->path, line + 1, col + 1, msg);
	return false;
}

static bool next_event(struct yload *ld, yaml_event_t *ev)
{
	if (yaml_parser_parse(&ld->parser, ev))
		return true;
	{
		const yaml_mark_t *m = ld->parser.problem ? &ld->parser.problem_mark
							  : &ld->parser.context_mark;
		char msg[256];

		if (ld->parser.context)
			snprintf(msg, sizeof(msg), "%s %s", ld->parser.problem ? ld->parser.problem : "syntax error",
				 ld->parser.context);
		else
			snprintf(msg, sizeof(msg), "%s",
				 ld->parser.problem ? ld->parser.problem : "syntax error");
		load_error_at(ld, m->line, m->column, msg);
	}
	return false;
}

static struct ynode *load_node(struct yload *ld, yaml_event_t *ev, int depth);

static void push_child(struct ynode *parent, size_t *cap, struct ynode *key, struct ynode *val)
{
	size_t oldcap = *cap;

	parent->items = xgrow(parent->items, cap, parent->len + 1, sizeof(*parent->items));
	if (parent->type == YNODE_MAP) {
		size_t kcap = oldcap;

		parent->keys = xgrow(parent->keys, &kcap, parent->len + 1, sizeof(*parent->keys));
		parent->keys[parent->len] = key;
	}
	parent->items[parent->len++] = val;
}

static struct ynode *load_collection(struct yload *ld, yaml_event_t *start, int depth)
{
	bool is_map = start->type == YAML_MAPPING_START_EVENT;
	struct ynode *n = ynode_new(is_map ? YNODE_MAP : YNODE_SEQ, start);
	size_t cap = 0;

	yaml_event_delete(start);
	for (;;) {
		yaml_event_t ev;
		struct ynode *key = NULL, *val;

		if (!next_event(ld, &ev))
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return n;
		}
		if (is_map) {
			if (ev.type != YAML_SCALAR_EVENT) {
				load_error_at(ld, ev.start_mark.line, ev.start_mark.column,
					      "mapping keys must be plain scalars");
				yaml_event_delete(&ev);
				goto fail;
			}
			key = load_node(ld, &ev, depth + 1);
			if (!key)
				goto fail;
			for (size_t i = 0; i < n->len; i++) {
				if (strcmp(n->keys[i]->scalar, key->scalar) == 0) {
					char msg[300];

					snprintf(msg, sizeof(msg), "duplicate key '%.200s'", key->scalar);
					load_error_at(ld, key->line - 1, key->column - 1, msg);
					ynode_free(key);
					goto fail;
				}
			}
			if (!next_event(ld, &ev)) {
				ynode_free(key);
				goto fail;
			}
		}
		val = load_node(ld, &ev, depth + 1);
		if (!val) {
			ynode_free(key);
			goto fail;
		}
		push_child(n, &cap, key, val);
	}
fail:
	ynode_free(n);
	return NULL;
}

/* Takes ownership of ev. */
static struct ynode *load_node(struct yload *ld, yaml_event_t *ev, int depth)
{
	struct ynode *n;

	if (depth > YDOC_MAX_DEPTH) {
		load_error_at(ld, ev->start_mark.line, ev->start_mark.column, "nested too deeply");
		yaml_event_delete(ev);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			load_error_at(ld, ev->start_mark.line, ev->start_mark.column,
				      "anchors are not supported");
			yaml_event_delete(ev);
			return NULL;
		}
		n = ynode_new(YNODE_SCALAR, ev);
		n->scalar = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (strlen(n->scalar) != ev->data.scalar.length) {
			load_error_at(ld, ev->start_mark.line, ev->start_mark.column,
				      "NUL byte in a value");
			ynode_free(n);
			yaml_event_delete(ev);
			return NULL;
		}
		n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
			    ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
			    ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		yaml_event_delete(ev);
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return load_collection(ld, ev, depth);
	case YAML_ALIAS_EVENT:
		load_error_at(ld, ev->start_mark.line, ev->start_mark.column,
			      "aliases are not supported");
		break;
	default:
		load_error_at(ld, ev->start_mark.line, ev->start_mark.column, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	return NULL;
}

static struct ydoc *load(struct yload *ld)
{
	struct ydoc *doc = xcalloc(1, sizeof(*doc));
	yaml_event_t ev;

	doc->path = xstrdup(ld->path);
	for (;;) {
		if (!next_event(ld, &ev))
			goto fail;
		if (ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		doc->root = load_node(ld, &ev, 0);
		if (!doc->root)
			goto fail;
	}
	return doc;
fail:
	ydoc_free(doc);
	return NULL;
}

struct ydoc *ydoc_load_string(const char *label, const char *text, size_t len, struct err *err)
{
	struct yload ld = { .path = label, .err = err };
	struct ydoc *doc;

	if (!yaml_parser_initialize(&ld.parser))
		fatal("cannot initialise the YAML parser");
	yaml_parser_set_input_string(&ld.parser, (const unsigned char *)text, len);
	doc = load(&ld);
	yaml_parser_delete(&ld.parser);
	return doc;
}

struct ydoc *ydoc_load_file(const char *path, struct err *err)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	struct ydoc *doc;

	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > 16u * 1024 * 1024) {
			err_set(err, "%s: file is larger than 16 MiB", path);
			fclose(f);
			buf_free(&b);
			return NULL;
		}
	}
	if (ferror(f)) {
		err_set(err, "%s: %s", path, strerror(errno));
		fclose(f);
		buf_free(&b);
		return NULL;
	}
	fclose(f);
	doc = ydoc_load_string(path, buf_str(&b), b.len, err);
	buf_free(&b);
	return doc;
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	ynode_free(doc->root);
	free(doc->path);
	free(doc);
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->len; i++) {
		if (strcmp(map->keys[i]->scalar, key) == 0)
			return map->items[i];
	}
	return NULL;
}

bool ydoc_error(const struct ydoc *doc, const struct ynode *n, struct err *err, const char *fmt,
		...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		err_set(err, "%s:%u:%u: %s", doc->path, n->line, n->column, msg);
	else
		err_set(err, "%s: %s", doc->path, msg);
	return false;
}

bool ynode_is_null(const struct ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!n || n->type != YNODE_SCALAR || n->quoted)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(nulls); i++) {
		if (strcmp(n->scalar, nulls[i]) == 0)
			return true;
	}
	return false;
}

bool ynode_bool(const struct ydoc *doc, const struct ynode *n, bool *out, struct err *err)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "On" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "off", "Off" };

	if (n->type == YNODE_SCALAR && !n->quoted) {
		for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
			if (strcmp(n->scalar, yes[i]) == 0) {
				*out = true;
				return true;
			}
			if (strcmp(n->scalar, no[i]) == 0) {
				*out = false;
				return true;
			}
		}
	}
	return ydoc_error(doc, n, err, "expected true or false");
}

bool ynode_long(const struct ydoc *doc, const struct ynode *n, long min, long max, long *out,
		struct err *err)
{
	if (n->type != YNODE_SCALAR || !str_to_long(n->scalar, min, max, out))
		return ydoc_error(doc, n, err, "expected a whole number from %ld to %ld", min, max);
	return true;
}

bool ynode_string(const struct ydoc *doc, const struct ynode *n, const char **out,
		  struct err *err)
{
	if (n->type != YNODE_SCALAR)
		return ydoc_error(doc, n, err, "expected a text value, not a %s",
				  n->type == YNODE_MAP ? "mapping" : "list");
	*out = n->scalar;
	return true;
}
