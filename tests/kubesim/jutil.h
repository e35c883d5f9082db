/* Small jansson helpers used across kubesim: dotted-path access, typed
 * getters that tolerate a missing or wrongly typed member, and compact
 * serialisation with the object's key order kept. */
#ifndef OPSDECK_KUBESIM_JUTIL_H
#define OPSDECK_KUBESIM_JUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Member at a dotted path ("status.phase"); NULL if any step is missing. */
json_t *jpath(const json_t *doc, const char *dotted);
/* String at a dotted path, or dflt. */
const char *jstr(const json_t *doc, const char *dotted, const char *dflt);
/* Integer at a dotted path, or dflt. */
long long jint(const json_t *doc, const char *dotted, long long dflt);
bool jbool(const json_t *doc, const char *dotted, bool dflt);
/* The object at a dotted path, created (as {}) along the way if missing or
 * not an object. Never NULL when doc is an object. */
json_t *jobj(json_t *doc, const char *dotted);
/* Sets member `key` of the object at dotted path `parent` (NULL = doc). */
void jset(json_t *doc, const char *parent, const char *key, json_t *value);
/* Compact JSON text; caller frees. */
char *jdump(const json_t *v);
/* Compact JSON text with sorted keys (stable hashing); caller frees. */
char *jdump_sorted(const json_t *v);
/* qsort comparator for an array of C strings. */
int cmp_strptr(const void *a, const void *b);
/* Label map as "a=b,c=d" (keys sorted); caller frees. */
char *jlabels_string(const json_t *labels);

#endif
