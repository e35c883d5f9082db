#include "config.h"

#include "yamljson.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(s, *list) == 0)
			return true;
	}
	return false;
}

static bool is_float_text(const char *s)
{
	const char *p = s;
	bool digits = false;

	if (*p == '+' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

static json_t *resolve_plain(const char *s)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
					    "True", "TRUE", "on",  "On",  "ON",	 NULL};
	static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO",  "false",
					     "False", "FALSE", "off", "Off", "OFF", NULL};
	char *end;
	long long ll;

	if (in_list(s, nulls))
		return json_null();
	if (in_list(s, trues))
		return json_true();
	if (in_list(s, falses))
		return json_false();
	if ((s[0] >= '0' && s[0] <= '9') ||
	    ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9')) {
		errno = 0;
		ll = strtoll(s, &end, 0);
		if (*end == '\0' && errno == 0)
			return json_integer(ll);
		if (is_float_text(s)) {
			double d = strtod(s, &end);

			if (*end == '\0' && isfinite(d))
				return json_real(d);
		}
	} else if (s[0] == '.' && is_float_text(s)) {
		return json_real(strtod(s, NULL));
	}
	return json_string(s);
}

static json_t *scalar_value(const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;

	if (tag && strcmp(tag, YAML_STR_TAG) == 0)
		return json_stringn(text, ev->data.scalar.length);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(text, ev->data.scalar.length);
	return resolve_plain(text);
}

struct frame {
	json_t *node;
	char *key; /* pending mapping key */
	unsigned key_line;
};

static bool fail(struct err *err, const yaml_event_t *ev, const char *what)
{
	err_set(err, "error converting YAML to JSON: yaml: line %lu: %s",
		(unsigned long)ev->start_mark.line + 1, what);
	return false;
}

/* Attaches v (ownership taken) to the frame on top; false on a duplicate key. */
static bool attach(struct frame *top, json_t *v, const yaml_event_t *ev, struct err *err)
{
	if (json_is_array(top->node)) {
		json_array_append_new(top->node, v);
		return true;
	}
	if (json_object_get(top->node, top->key)) {
		char msg[300];

		snprintf(msg, sizeof(msg), "key \"%.200s\" already set in map", top->key);
		json_decref(v);
		return fail(err, ev, msg);
	}
	json_object_set_new(top->node, top->key, v);
	free(top->key);
	top->key = NULL;
	return true;
}

json_t *yamljson_docs(const char *text, size_t len, struct err *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct frame stack[MAX_DEPTH + 1];
	int depth = -1;
	json_t *docs = json_array(), *doc = NULL;
	bool ok = true, done = false;

	memset(stack, 0, sizeof(stack));
	if (!yaml_parser_initialize(&parser))
		fatal("out of memory initialising the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (ok && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			err_set(err, "error converting YAML to JSON: yaml: line %lu: %s",
				(unsigned long)parser.problem_mark.line + 1,
				parser.problem ? parser.problem : "syntax error");
			ok = false;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc = NULL;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (doc && !json_is_null(doc))
				json_array_append_new(docs, doc);
			else
				json_decref(doc);
			doc = NULL;
			break;
		case YAML_ALIAS_EVENT:
			ok = fail(err, &ev, "anchors and aliases are not supported");
			break;
		case YAML_SCALAR_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT: {
			json_t *v;

			if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) {
				ok = fail(err, &ev, "anchors and aliases are not supported");
				break;
			}
			if (depth >= 0 && json_is_object(stack[depth].node) && !stack[depth].key) {
				/* A mapping key: only scalars. */
				if (ev.type != YAML_SCALAR_EVENT) {
					ok = fail(err, &ev, "mapping keys must be scalars");
					break;
				}
				stack[depth].key = xstrndup((const char *)ev.data.scalar.value,
							    ev.data.scalar.length);
				stack[depth].key_line = (unsigned)ev.start_mark.line;
				break;
			}
			if (ev.type == YAML_SCALAR_EVENT)
				v = scalar_value(&ev);
			else
				v = ev.type == YAML_MAPPING_START_EVENT ? json_object()
									: json_array();
			if (depth < 0) {
				doc = v;
			} else if (!attach(&stack[depth], json_incref(v), &ev, err)) {
				json_decref(v);
				ok = false;
				break;
			} else {
				json_decref(v);
			}
			if (ev.type != YAML_SCALAR_EVENT) {
				if (depth + 1 >= MAX_DEPTH) {
					ok = fail(err, &ev, "document nested too deeply");
					break;
				}
				depth++;
				stack[depth].node = v;
				stack[depth].key = NULL;
			}
			break;
		}
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			free(stack[depth].key);
			stack[depth].key = NULL;
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	for (int i = 0; i <= depth && i <= MAX_DEPTH; i++)
		free(stack[i].key);
	yaml_parser_delete(&parser);
	if (!ok) {
		if (depth >= 0 || doc)
			json_decref(doc);
		json_decref(docs);
		return NULL;
	}
	return docs;
}

json_t *yamljson_one(const char *text, size_t len, struct err *err)
{
	json_t *docs = yamljson_docs(text, len, err), *one;

	if (!docs)
		return NULL;
	if (json_array_size(docs) != 1) {
		err_set(err,
			json_array_size(docs) ? "expected one YAML document, found %zu"
					      : "the request body is empty%.0zu",
			json_array_size(docs));
		json_decref(docs);
		return NULL;
	}
	one = json_incref(json_array_get(docs, 0));
	json_decref(docs);
	return one;
}
