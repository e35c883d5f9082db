#include "config.h"

#include "kube/objyaml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonget.h"
#include "kube/execcred.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"
/* bytes, below YAML's 1024 characters for an implicit key */
#define MAX_IMPLICIT_KEY 1000

/* ---- scalars ---- */

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* The code point of the character at p if YAML cannot hold it unescaped
 * (outside its printable set, or read as a line break or a byte order
 * mark): C1 controls, U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF; *len is its
 * length in bytes. 0 for any other character (ASCII controls are told by
 * is_control). */
static unsigned special_char(const unsigned char *p, size_t *len)
{
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*len = 2;
		return p[1];
	}
	if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
		*len = 3;
		return p[2] == 0xa8 ? 0x2028 : 0x2029;
	}
	if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		*len = 3;
		return 0xfeff;
	}
	if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
		*len = 3;
		return p[2] == 0xbe ? 0xfffe : 0xffff;
	}
	return 0;
}

/* Words YAML 1.1 or 1.2 reads as null or a boolean. */
static bool reserved_word(const char *s)
{
	static const char *const words[] = {"null", "~",    "true",  "false", "yes",
					    "no",   "on",   "off",   "y",     "n",
					    ".nan", ".inf", "-.inf", "+.inf", "<<"};

	for (size_t i = 0; i < ARRAY_LEN(words); i++) {
		if (strcasecmp(s, words[i]) == 0)
			return true;
	}
	return false;
}

/* Anything a reader might take for a number (integers, floats, hex, octal,
 * sexagesimal "1:20", "1_000"): quoted, to be safe. */
static bool number_like(const char *s)
{
	const char *p = s;
	char *end;

	/* and whatever C reads as one: "inf", "nan", "1e3" */
	(void)strtod(s, &end);
	if (end != s && *end == '\0')
		return true;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p; p++) {
		if (!strchr("0123456789abcdefABCDEFxXoO._:+-", *p))
			return false;
	}
	return true;
}

/* True if s can be written as a plain scalar and read back as this string. */
static bool plain_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || reserved_word(s) || number_like(s))
		return false;
	if (strchr(",[]{}#&*!|>'\"%@`", s[0]))
		return false;
	if (strchr("-?:", s[0]) && (s[1] == '\0' || s[1] == ' '))
		return false;
	if (s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
		return false;
	if (strstr(s, ": ") || strstr(s, " #") || strstr(s, "---") == s || strstr(s, "...") == s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t len;

		if (is_control(*p) || special_char(p, &len))
			return false;
	}
	return true;
}

static void put_quoted(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_putc(b, '"');
	for (; *p; p++) {
		switch (*p) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		default: {
			size_t len;
			unsigned cp;

			if (is_control(*p)) {
				buf_printf(b, "\\x%02x", *p);
			} else if ((cp = special_char(p, &len)) != 0) {
				buf_printf(b, "\\u%04x", cp);
				p += len - 1;
			} else {
				buf_putc(b, (char)*p);
			}
		}
		}
	}
	buf_putc(b, '"');
}

/* A string of several lines reads best as a literal block, as kubectl
 * shows a ConfigMap's file: possible when no line starts with a space (the
 * block's indentation would be ambiguous), no line ends with one (a reader
 * may strip it) and nothing but newlines is a control character. */
static bool block_ok(const char *s)
{
	const char *p;

	if (!strchr(s, '\n') || s[0] == '\n')
		return false;
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		size_t len;

		if ((c != '\n' && is_control(c)) || special_char((const unsigned char *)p, &len))
			return false;
		if (c == ' ' && (p[1] == '\n' || p[1] == '\0'))
			return false;
		if ((p == s || p[-1] == '\n') && (c == ' ' || c == '\t'))
			return false;
	}
	return true;
}

static void indent_to(struct buf *b, int indent)
{
	for (int i = 0; i < indent; i++)
		buf_putc(b, ' ');
}

/* "|-" and the lines at indent, for a string block_ok accepted. */
static void put_block(struct buf *b, const char *s, int indent)
{
	size_t n = strlen(s), trailing = 0;
	const char *p = s;

	while (trailing < n && s[n - 1 - trailing] == '\n')
		trailing++;
	buf_puts(b, trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n");
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 0) {
			indent_to(b, indent);
			buf_append(b, p, len);
		}
		buf_putc(b, '\n');
		if (!nl)
			break;
		p = nl + 1;
		if (*p == '\0' && trailing <= 1)
			break;
	}
}

/* A block needs a column to indent its lines to: not at the top. */
static bool use_block(const char *s, int indent)
{
	return indent > 0 && !plain_ok(s) && block_ok(s);
}

static void put_string(struct buf *b, const char *s, int indent)
{
	if (plain_ok(s))
		buf_puts(b, s);
	else if (use_block(s, indent))
		put_block(b, s, indent);
	else
		put_quoted(b, s);
}

/* A scalar and its end of line (a block ends its own lines). */
static void put_scalar_line(struct buf *b, const json_t *v, int indent)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);

		put_string(b, s, indent);
		if (!use_block(s, indent))
			buf_putc(b, '\n');
		return;
	}
	case JSON_INTEGER:
		buf_printf(b, "%lld\n", (long long)json_integer_value(v));
		return;
	case JSON_REAL: {
		char *t = json_dumps(v, JSON_ENCODE_ANY);

		buf_printf(b, "%s\n", t ? t : "0");
		free(t);
		return;
	}
	case JSON_TRUE:
		buf_puts(b, "true\n");
		return;
	case JSON_FALSE:
		buf_puts(b, "false\n");
		return;
	default:
		buf_puts(b, "null\n");
		return;
	}
}

/* ---- collections ---- */

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void render_value(struct buf *b, const json_t *v, int indent, bool inline_first);

static bool empty_collection(const json_t *v, struct buf *b)
{
	if (json_is_object(v) && json_object_size(v) == 0) {
		buf_puts(b, "{}\n");
		return true;
	}
	if (json_is_array(v) && json_array_size(v) == 0) {
		buf_puts(b, "[]\n");
		return true;
	}
	return false;
}

/* A mapping's pairs at indent; inline_first: the first starts where the
 * line already is (after "- "). */
static void render_map(struct buf *b, const json_t *obj, int indent, bool inline_first)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	struct buf key = BUF_INIT;
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)obj, name, v) keys[i++] = name;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, keys[i]);
		bool explicit_key;

		buf_reset(&key);
		if (plain_ok(keys[i]))
			buf_puts(&key, keys[i]);
		else
			put_quoted(&key, keys[i]);
		/* YAML allows an implicit key of 1024 characters at most (as
		 * written, escapes and all): a longer one is written
		 * explicitly ("? key" then ": value") */
		explicit_key = key.len > MAX_IMPLICIT_KEY;
		if (i > 0 || !inline_first)
			indent_to(b, indent);
		if (explicit_key) {
			buf_puts(b, "? ");
			buf_append(b, key.data, key.len);
			buf_putc(b, '\n');
			indent_to(b, indent);
		} else {
			buf_append(b, key.data, key.len);
		}
		buf_putc(b, ':');
		if (json_is_object(v) || json_is_array(v)) {
			buf_putc(b, json_object_size(v) || json_array_size(v) ? '\n' : ' ');
			/* a sequence under a key is not indented, as kubectl writes it */
			render_value(b, v, json_is_array(v) && !explicit_key ? indent : indent + 2,
				     false);
		} else {
			buf_putc(b, ' ');
			put_scalar_line(b, v, indent + 2);
		}
	}
	free(keys);
	buf_free(&key);
}

static void render_seq(struct buf *b, const json_t *arr, int indent, bool inline_first)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (i > 0 || !inline_first)
			indent_to(b, indent);
		buf_puts(b, "- ");
		render_value(b, v, indent + 2, true);
	}
}

static void render_value(struct buf *b, const json_t *v, int indent, bool inline_first)
{
	if (empty_collection(v, b))
		return;
	if (json_is_object(v))
		render_map(b, v, indent, inline_first);
	else if (json_is_array(v))
		render_seq(b, v, indent, inline_first);
	else
		put_scalar_line(b, v, indent);
}

/* ---- what is left out ---- */

/* The bytes a base64 text decodes to. */
static size_t b64_bytes(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s != '=' && *s != '\n' && *s != '\r')
			n++;
	}
	return n * 3 / 4;
}

static void hide_values(json_t *map, bool base64)
{
	const char *key;
	json_t *v;

	if (!json_is_object(map))
		return;
	json_object_foreach(map, key, v)
	{
		char text[48];
		const char *s = json_string_value(v);

		if (s)
			snprintf(text, sizeof(text), "<hidden: %zu bytes>",
				 base64 ? b64_bytes(s) : strlen(s));
		else
			snprintf(text, sizeof(text), "<hidden>");
		json_object_set_new(map, key, json_string(text));
	}
}

/* A copy of obj as it may be shown. */
static json_t *shown_copy(const json_t *obj)
{
	json_t *c = json_deep_copy(obj);
	json_t *md = json_object_get(c, "metadata");

	if (json_is_object(md))
		json_object_del(md, "managedFields");
	if (json_is_object(c) && strcmp(json_get_str(c, "kind"), "Secret") == 0) {
		json_t *ann = json_object_get(md, "annotations");
		const char *la = json_string_value(json_object_get(ann, LAST_APPLIED));

		hide_values(json_object_get(c, "data"), true);
		hide_values(json_object_get(c, "stringData"), false);
		if (json_object_get(ann, LAST_APPLIED)) {
			char text[48];

			snprintf(text, sizeof(text), "<hidden: %zu bytes>", la ? strlen(la) : 0);
			json_object_set_new(ann, LAST_APPLIED, json_string(text));
		}
	}
	return c;
}

void objyaml_render(const json_t *obj, struct buf *out)
{
	json_t *c;

	if (!obj) {
		buf_puts(out, "null\n");
		return;
	}
	c = shown_copy(obj);
	render_value(out, c, 0, false);
	json_decref(c);
}

bool objyaml_render_text(const char *json, size_t len, struct buf *out, struct err *err)
{
	json_error_t je;
	json_t *v = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);

	if (!v) {
		err_set(err, "not JSON: line %d: %s", je.line, je.text);
		return false;
	}
	objyaml_render(v, out);
	json_decref(v);
	return true;
}

/* ---- events ---- */

static time_t event_time(const json_t *ev)
{
	const char *keys[] = {json_get_str(ev, "lastTimestamp"), json_get_str(ev, "eventTime"),
			      json_get_str(json_object_get(ev, "series"), "lastObservedTime"),
			      json_get_str(ev, "firstTimestamp"),
			      json_get_str(json_object_get(ev, "metadata"), "creationTimestamp")};
	time_t t;

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		if (*keys[i] && execcred_parse_time(keys[i], &t))
			return t;
	}
	return 0;
}

/* By time, then (events of one second) by resourceVersion: the order the
 * server stored them in. */
static int cmp_events(const struct objevent *x, const struct objevent *y)
{
	if (x->at != y->at)
		return (x->at > y->at) - (x->at < y->at);
	return (x->rv > y->rv) - (x->rv < y->rv);
}

void objevents_read(const json_t *list, struct objevent_list *out)
{
	const json_t *items = json_is_array(list) ? list : json_object_get(list, "items");
	size_t i, cap = 0;
	json_t *ev;

	memset(out, 0, sizeof(*out));
	json_array_foreach(items, i, ev)
	{
		struct objevent *e;
		json_int_t count = json_integer_value(json_object_get(ev, "count"));

		if (!json_is_object(ev))
			continue;
		if (count <= 0)
			count = json_integer_value(
			    json_object_get(json_object_get(ev, "series"), "count"));
		out->v = xgrow(out->v, &cap, out->n + 1, sizeof(*out->v));
		e = &out->v[out->n++];
		e->at = event_time(ev);
		e->rv = strtoull(json_get_str(json_object_get(ev, "metadata"), "resourceVersion"),
				 NULL, 10);
		e->count = count > 0 ? (long)count : 1;
		e->type = xstrdup(*json_get_str(ev, "type") ? json_get_str(ev, "type") : "Normal");
		e->warning = strcmp(e->type, "Warning") == 0;
		e->reason = xstrdup(json_get_str(ev, "reason"));
		e->message = xstrdup(json_get_str(ev, "message"));
	}
	/* stable: events of the same second and version keep the list's order */
	if (out->n > 1) {
		for (size_t k = 1; k < out->n; k++) {
			struct objevent x = out->v[k];
			size_t j = k;

			while (j > 0 && cmp_events(&out->v[j - 1], &x) > 0) {
				out->v[j] = out->v[j - 1];
				j--;
			}
			out->v[j] = x;
		}
	}
}

void objevents_free(struct objevent_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].type);
		free(l->v[i].reason);
		free(l->v[i].message);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
