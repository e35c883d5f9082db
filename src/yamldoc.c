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

/* Go's YAML library keeps a raw input buffer of this many bytes and decodes
 * all of it each time it fills it (goyaml.v2 yamlh.go, input_raw_buffer_size). */
#define GO_YAML_RAW_BUFFER 512

struct yload {
	yaml_parser_t parser;
	const char *path;
	struct err *err;
	const unsigned char *text; /* the whole input, for reader errors' positions */
	size_t len;
	size_t fed;	 /* bytes handed to the parser (first-document reading) */
	bool first_only; /* stop after the first document, as kubectl does */
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
	char clean[400];

	/* a message may quote the file (a duplicate key): one line for a terminal */
	str_copy_clean(clean, sizeof(clean), msg);
	err_set(ld->err, "%s:%zu:%zu: %s", ld->path, line + 1, col + 1, clean);
	return false;
}

/* Decodes the character at text[*i] in the stream's encoding and moves past
 * it; a sequence cut short counts as one character. */
static unsigned long next_char(const unsigned char *t, size_t len, size_t *i, yaml_encoding_t enc)
{
	unsigned long c;

	if (enc == YAML_UTF16LE_ENCODING || enc == YAML_UTF16BE_ENCODING) {
		bool le = enc == YAML_UTF16LE_ENCODING;

		if (*i + 1 >= len) {
			*i = len;
			return 0;
		}
		c = le ? (unsigned long)t[*i] | (unsigned long)t[*i + 1] << 8
		       : (unsigned long)t[*i] << 8 | t[*i + 1];
		*i += 2;
		/* a surrogate pair is one character */
		if (c >= 0xd800 && c <= 0xdbff && *i + 1 < len)
			*i += 2;
		return c;
	}
	c = t[(*i)++];
	if (c >= 0xc0) {
		size_t more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;

		c &= c >= 0xf0 ? 0x07 : c >= 0xe0 ? 0x0f : 0x1f;
		for (; more > 0 && *i < len && (t[*i] & 0xc0) == 0x80; more--)
			c = c << 6 | (t[(*i)++] & 0x3f);
	}
	return c;
}

/* A reader error (bad encoding, a control character) comes with the byte
 * offset of the bad character and no mark: its line and column, counted as
 * libyaml counts them in marks (characters; lines end at \n, \r\n, \r, U+0085,
 * U+2028 and U+2029), 0-based. */
static void offset_position(const struct yload *ld, size_t offset, size_t *line, size_t *col)
{
	const unsigned char *t = ld->text;
	size_t end = offset < ld->len ? offset : ld->len, i = 0;
	yaml_encoding_t enc = ld->parser.encoding;

	*line = *col = 0;
	/* a byte order mark is not a column */
	if (enc == YAML_UTF8_ENCODING && end >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	else if (enc != YAML_UTF8_ENCODING && end >= 2 &&
		 ((t[0] == 0xff && t[1] == 0xfe) || (t[0] == 0xfe && t[1] == 0xff)))
		i = 2;
	while (i < end) {
		unsigned long c = next_char(t, end, &i, enc);

		if (c == '\r' && i < end) {
			size_t j = i;

			if (next_char(t, end, &j, enc) == '\n')
				i = j;
		}
		if (c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029) {
			(*line)++;
			*col = 0;
		} else {
			(*col)++;
		}
	}
}

static bool next_event(struct yload *ld, yaml_event_t *ev)
{
	const yaml_parser_t *p = &ld->parser;
	const char *problem;
	char msg[256];
	size_t line, col;

	if (yaml_parser_parse(&ld->parser, ev))
		return true;
	problem = p->problem ? p->problem : "syntax error";
	if (p->error == YAML_READER_ERROR) {
		size_t at = p->problem_offset;

		/* a bad trailing byte: the character it was to end starts at the
		 * leading byte before it */
		if (p->encoding == YAML_UTF8_ENCODING && strstr(problem, "trailing") &&
		    at <= ld->len) {
			while (at > 0 && (ld->text[at - 1] & 0xc0) == 0x80)
				at--;
			if (at > 0)
				at--;
		}
		offset_position(ld, at, &line, &col);
		if (p->problem_value < 0)
			snprintf(msg, sizeof(msg), "%s", problem);
		else if (strstr(problem, "octet"))
			snprintf(msg, sizeof(msg), "%s (byte 0x%02x)", problem, p->problem_value);
		else
			snprintf(msg, sizeof(msg), "%s (U+%04X)", problem, p->problem_value);
		return load_error_at(ld, line, col, msg);
	}
	if (p->context)
		snprintf(msg, sizeof(msg), "%s %s", problem, p->context);
	else
		snprintf(msg, sizeof(msg), "%s", problem);
	if (p->problem)
		return load_error_at(ld, p->problem_mark.line, p->problem_mark.column, msg);
	return load_error_at(ld, p->context_mark.line, p->context_mark.column, msg);
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

					snprintf(msg, sizeof(msg), "duplicate key '%.200s'",
						 key->scalar);
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
		load_error_at(ld, ev->start_mark.line, ev->start_mark.column,
			      "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	return NULL;
}

/* After the first document: the end of the stream, or an error. */
static bool expect_stream_end(struct yload *ld)
{
	yaml_event_t ev;
	bool ok;

	if (!next_event(ld, &ev))
		return false;
	ok = ev.type == YAML_STREAM_END_EVENT;
	if (!ok)
		load_error_at(ld, ev.start_mark.line, ev.start_mark.column,
			      ev.type == YAML_DOCUMENT_START_EVENT ? "more than one YAML document"
								   : "unexpected YAML event");
	yaml_event_delete(&ev);
	return ok;
}

static struct ydoc *load(struct yload *ld)
{
	struct ydoc *doc = xcalloc(1, sizeof(*doc));
	yaml_event_t ev;

	doc->path = xstrdup(ld->path);
	for (;;) {
		if (!next_event(ld, &ev))
			goto fail;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			if (!ld->first_only && !expect_stream_end(ld))
				goto fail;
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

/* Feeds libyaml as Go's string reader feeds Go's YAML library: the raw
 * buffer is filled up to GO_YAML_RAW_BUFFER bytes, counting the bytes of a
 * character cut at the previous fill that it still holds. libyaml decodes
 * each fill whole, as Go does, so both check the encoding of the same bytes
 * before the first document ends. */
static int read_as_go(void *data, unsigned char *buffer, size_t size, size_t *size_read)
{
	struct yload *ld = data;
	size_t held = (size_t)(ld->parser.raw_buffer.last - ld->parser.raw_buffer.start);
	size_t n = ld->len - ld->fed;
	size_t room = held < GO_YAML_RAW_BUFFER ? GO_YAML_RAW_BUFFER - held : 1;

	if (n > room)
		n = room;
	if (n > size)
		n = size;
	memcpy(buffer, ld->text + ld->fed, n);
	ld->fed += n;
	*size_read = n;
	return 1;
}

static struct ydoc *load_text(const char *label, const char *text, size_t len, bool first_only,
			      struct err *err)
{
	struct yload ld = { .path = label,
			    .err = err,
			    .text = (const unsigned char *)text,
			    .len = len,
			    .first_only = first_only };
	struct ydoc *doc;

	if (!yaml_parser_initialize(&ld.parser))
		fatal("cannot initialise the YAML parser");
	if (first_only)
		yaml_parser_set_input(&ld.parser, read_as_go, &ld);
	else
		yaml_parser_set_input_string(&ld.parser, ld.text, len);
	doc = load(&ld);
	yaml_parser_delete(&ld.parser);
	return doc;
}

static struct ydoc *load_file(const char *path, bool first_only, struct err *err)
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
	doc = load_text(path, buf_str(&b), b.len, first_only, err);
	buf_free(&b);
	return doc;
}

struct ydoc *ydoc_load_string(const char *label, const char *text, size_t len, struct err *err)
{
	return load_text(label, text, len, false, err);
}

struct ydoc *ydoc_load_file(const char *path, struct err *err)
{
	return load_file(path, false, err);
}

struct ydoc *ydoc_load_first_string(const char *label, const char *text, size_t len,
				    struct err *err)
{
	return load_text(label, text, len, true, err);
}

struct ydoc *ydoc_load_first_file(const char *path, struct err *err)
{
	return load_file(path, true, err);
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
	/* messages quote the file's values, which may hold any character: a
	 * message is one line of text for a terminal */
	for (char *p = msg; *p; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	}
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
