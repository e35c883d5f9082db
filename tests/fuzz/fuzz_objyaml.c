/* libFuzzer target: an object's YAML (kube/objyaml.h). Any JSON input must
 * render to YAML that reads back (through the YAML loader) as the same
 * tree, with no control character but newlines in the text; a string
 * written unquoted is never one YAML would read as a null, a boolean or a
 * number. A Secret shows a placeholder for every value of data and
 * stringData. The input as an event list must read without crashing. See
 * README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonget.h"
#include "kube/objyaml.h"
#include "yamldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool looks_typed(const char *s)
{
	static const char *const words[] = {"null", "~", "true", "false", "yes", "no", "on", "off"};
	char *end;

	if (!*s)
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcasecmp(s, words[i]) == 0)
			return true;
	}
	(void)strtod(s, &end);
	return *end == '\0';
}

/* The YAML node n is what the JSON value v is. */
static void check_same(const json_t *v, const struct ynode *n)
{
	const char *key;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			if (n->type != YNODE_MAP || n->len != 0)
				abort();
			return;
		}
		if (n->type != YNODE_MAP || n->len != json_object_size(v))
			abort();
		json_object_foreach((json_t *)v, key, x)
		{
			const struct ynode *m = ynode_get(n, key);

			if (!m)
				abort();
			check_same(x, m);
		}
		return;
	case JSON_ARRAY:
		if (n->type != YNODE_SEQ || n->len != json_array_size(v))
			abort();
		json_array_foreach(v, i, x) check_same(x, n->items[i]);
		return;
	case JSON_STRING:
		if (n->type != YNODE_SCALAR || strcmp(n->scalar, json_string_value(v)) != 0)
			abort();
		if (!n->quoted && looks_typed(n->scalar))
			abort();
		return;
	default:
		if (n->type != YNODE_SCALAR || n->quoted)
			abort();
		return;
	}
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	struct buf b = BUF_INIT;
	struct objevent_list ev;
	struct ydoc *doc;
	struct err err = {""};
	const char *y;

	if (!v)
		return 0;
	objyaml_render(v, &b);
	y = buf_str(&b);
	for (const char *p = y; *p; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\n')
			abort();
	}
	if (json_is_object(v) && strcmp(json_get_str(v, "kind"), "Secret") == 0) {
		size_t want = json_object_size(json_object_get(v, "data")) +
			      json_object_size(json_object_get(v, "stringData"));

		if (count(y, "<hidden") < want)
			abort();
	} else {
		json_t *shown = json_deep_copy(v);

		if (json_is_object(json_object_get(shown, "metadata")))
			json_object_del(json_object_get(shown, "metadata"), "managedFields");
		doc = ydoc_load_string("fuzz.yaml", y, b.len, &err);
		if (!doc || !doc->root)
			abort();
		check_same(shown, doc->root);
		ydoc_free(doc);
		json_decref(shown);
	}
	objevents_read(v, &ev);
	objevents_free(&ev);
	buf_free(&b);
	json_decref(v);
	return 0;
}
