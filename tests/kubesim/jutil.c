#include "config.h"

#include "jutil.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

json_t *jpath(const json_t *doc, const char *dotted)
{
	const char *p = dotted;
	json_t *cur = (json_t *)doc;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[128];

		if (!json_is_object(cur) || n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_object_get(cur, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *jstr(const json_t *doc, const char *dotted, const char *dflt)
{
	json_t *v = jpath(doc, dotted);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

long long jint(const json_t *doc, const char *dotted, long long dflt)
{
	json_t *v = jpath(doc, dotted);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

bool jbool(const json_t *doc, const char *dotted, bool dflt)
{
	json_t *v = jpath(doc, dotted);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *jobj(json_t *doc, const char *dotted)
{
	const char *p = dotted;
	json_t *cur = doc;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[128];
		json_t *next;

		if (n >= sizeof(key))
			fatal("json path too long");
		memcpy(key, p, n);
		key[n] = '\0';
		next = json_object_get(cur, key);
		if (!json_is_object(next)) {
			next = json_object();
			json_object_set_new(cur, key, next);
		}
		cur = next;
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

void jset(json_t *doc, const char *parent, const char *key, json_t *value)
{
	json_t *o = parent ? jobj(doc, parent) : doc;

	json_object_set_new(o, key, value);
}

char *jdump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s)
		fatal("out of memory serialising JSON");
	return s;
}

char *jdump_sorted(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);

	if (!s)
		fatal("out of memory serialising JSON");
	return s;
}

int cmp_strptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *jlabels_string(const json_t *labels)
{
	struct buf b = BUF_INIT;
	size_t n = json_object_size(labels), i = 0;
	const char **keys;
	const char *k;
	json_t *v;

	if (!n)
		return xstrdup("");
	keys = xcalloc(n, sizeof(*keys));
	json_object_foreach((json_t *)labels, k, v) keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_strptr);
	for (i = 0; i < n; i++) {
		v = json_object_get(labels, keys[i]);
		buf_printf(&b, "%s%s=%s", i ? "," : "", keys[i],
			   json_is_string(v) ? json_string_value(v) : "");
	}
	free(keys);
	return buf_steal(&b);
}
