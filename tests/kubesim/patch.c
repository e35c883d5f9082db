#include "config.h"

#include "patch.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct list_keys {
	const char *field;
	const char *keys[3];
};

/* Merge keys of the built-in kinds' lists, by field name (the field names
 * do not clash across the kinds kubesim serves). */
static const struct list_keys list_keys[] = {
    {"containers", {"name"}},
    {"initContainers", {"name"}},
    {"ephemeralContainers", {"name"}},
    {"ports", {"containerPort", "protocol"}},
    {"env", {"name"}},
    {"volumes", {"name"}},
    {"volumeMounts", {"mountPath"}},
    {"volumeDevices", {"devicePath"}},
    {"imagePullSecrets", {"name"}},
    {"conditions", {"type"}},
    {"ownerReferences", {"uid"}},
    {"hostAliases", {"ip"}},
    {"containerStatuses", {"name"}},
    {"volumeClaimTemplates", {"metadata"}},
    {"topologySpreadConstraints", {"topologyKey", "whenUnsatisfiable"}},
    {"podIPs", {"ip"}},
};

/* A Service's spec.ports, the one other "ports" list with keys. */
static const char *const service_port_keys[] = {"port", "protocol", NULL};

static bool has_container_port(const json_t *list)
{
	const json_t *item;
	size_t i;

	json_array_foreach((json_t *)list, i, item)
	{
		if (json_object_get(item, "containerPort"))
			return true;
	}
	return false;
}

static bool has_port(const json_t *list)
{
	const json_t *item;
	size_t i;

	json_array_foreach((json_t *)list, i, item)
	{
		if (json_object_get(item, "port"))
			return true;
	}
	return false;
}

const char *const *patch_list_keys(const char *field)
{
	for (size_t i = 0; i < ARRAY_LEN(list_keys); i++) {
		if (strcmp(list_keys[i].field, field) == 0)
			return list_keys[i].keys;
	}
	return NULL;
}

const char *const *patch_list_keys_for(const char *field, const json_t *a, const json_t *b)
{
	if (strcmp(field, "ports") == 0 && !has_container_port(a) && !has_container_port(b) &&
	    (has_port(a) || has_port(b)))
		return service_port_keys;
	return patch_list_keys(field);
}

json_t *patch_merge(const json_t *target, const json_t *patch)
{
	json_t *out;
	const char *k;
	json_t *v;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(target) ? json_deep_copy(target) : json_object();
	json_object_foreach((json_t *)patch, k, v)
	{
		if (json_is_null(v)) {
			json_object_del(out, k);
			continue;
		}
		json_object_set_new(out, k, patch_merge(json_object_get(out, k), v));
	}
	return out;
}

/* Whether list items a and b have the same merge key values; a missing key
 * on both sides matches (ports without a protocol, for instance). */
static bool same_key(const json_t *a, const json_t *b, const char *const *keys)
{
	if (!json_is_object(a) || !json_is_object(b))
		return false;
	for (; *keys; keys++) {
		json_t *x = json_object_get(a, *keys), *y = json_object_get(b, *keys);

		/* protocol defaults to TCP: an absent one equals "TCP" */
		if (strcmp(*keys, "protocol") == 0) {
			const char *xs = json_is_string(x) ? json_string_value(x) : "TCP";
			const char *ys = json_is_string(y) ? json_string_value(y) : "TCP";

			if (strcmp(xs, ys) != 0)
				return false;
			continue;
		}
		if (!x && !y)
			continue;
		if (!x || !y || !json_equal(x, y))
			return false;
	}
	return true;
}

static json_t *strategic(const json_t *target, const json_t *patch, struct err *err);

static json_t *strip_directives(const json_t *item)
{
	json_t *c = json_deep_copy(item);

	if (json_is_object(c))
		json_object_del(c, "$patch");
	return c;
}

static json_t *merge_list(const json_t *target, const json_t *patch, const char *const *keys,
			  struct err *err)
{
	json_t *out = json_is_array(target) ? json_deep_copy(target) : json_array(), *p;
	size_t i;

	json_array_foreach((json_t *)patch, i, p)
	{
		const char *directive =
		    json_is_object(p) ? json_string_value(json_object_get(p, "$patch")) : NULL;
		size_t j;
		json_t *t;
		bool found = false;

		if (directive && strcmp(directive, "replace") == 0) {
			/* {"$patch":"replace"} in a list: the patch list replaces it. */
			json_t *rep = json_array();
			json_t *q;
			size_t m;

			json_array_foreach((json_t *)patch, m, q)
			{
				if (!(json_is_object(q) && json_object_get(q, "$patch")))
					json_array_append_new(rep, strip_directives(q));
			}
			json_decref(out);
			return rep;
		}
		for (j = 0; j < json_array_size(out); j++) {
			t = json_array_get(out, j);
			if (!same_key(t, p, keys))
				continue;
			found = true;
			if (directive && strcmp(directive, "delete") == 0) {
				json_array_remove(out, j);
			} else {
				json_t *m = strategic(t, p, err);

				if (!m) {
					json_decref(out);
					return NULL;
				}
				json_array_set_new(out, j, m);
			}
			break;
		}
		if (!found && !(directive && strcmp(directive, "delete") == 0)) {
			json_t *fresh = strategic(NULL, p, err);

			if (!fresh) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, fresh);
		}
	}
	return out;
}

static json_t *strategic(const json_t *target, const json_t *patch, struct err *err)
{
	json_t *out, *v;
	const char *k, *directive;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	directive = json_string_value(json_object_get(patch, "$patch"));
	if (directive && strcmp(directive, "replace") == 0) {
		out = strip_directives(patch);
		return out;
	}
	if (directive && strcmp(directive, "delete") == 0)
		return json_null();
	if (directive) {
		err_set(err, "unknown patch type: %s", directive);
		return NULL;
	}
	out = json_is_object(target) ? json_deep_copy(target) : json_object();
	json_object_foreach((json_t *)patch, k, v)
	{
		const char *const *keys;

		if (strncmp(k, "$setElementOrder/", 17) == 0 || strcmp(k, "$retainKeys") == 0)
			continue;
		if (strncmp(k, "$deleteFromPrimitiveList/", 25) == 0) {
			json_t *list = json_object_get(out, k + 25), *x;
			size_t i;

			json_array_foreach(v, i, x)
			{
				for (size_t j = json_array_size(list); j-- > 0;) {
					if (json_equal(json_array_get(list, j), x))
						json_array_remove(list, j);
				}
			}
			continue;
		}
		if (k[0] == '$') {
			err_set(err, "unknown strategic merge patch directive: %s", k);
			json_decref(out);
			return NULL;
		}
		if (json_is_null(v)) {
			json_object_del(out, k);
			continue;
		}
		keys = patch_list_keys_for(k, v, json_object_get(out, k));
		if (json_is_array(v) && keys) {
			json_t *m = merge_list(json_object_get(out, k), v, keys, err);

			if (!m) {
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, k, m);
		} else if (json_is_object(v)) {
			json_t *m = strategic(json_object_get(out, k), v, err);

			if (!m) {
				json_decref(out);
				return NULL;
			}
			if (json_is_null(m)) {
				json_object_del(out, k);
				json_decref(m);
			} else {
				json_object_set_new(out, k, m);
			}
		} else {
			json_object_set_new(out, k, json_deep_copy(v));
		}
	}
	return out;
}

json_t *patch_strategic(const json_t *target, const json_t *patch, struct err *err)
{
	if (!json_is_object(patch)) {
		err_set(err, "a strategic merge patch must be a JSON object");
		return NULL;
	}
	return strategic(target, patch, err);
}

/* JSON pointer (RFC 6901) resolution to the parent container and last token. */
static bool pointer_parent(json_t *doc, const char *ptr, json_t **parent, char **last,
			   struct err *err)
{
	struct buf tok = BUF_INIT;
	json_t *cur = doc;
	const char *p = ptr;

	if (*p != '/') {
		err_set(err, "invalid JSON pointer \"%s\"", ptr);
		return false;
	}
	p++;
	for (;;) {
		buf_reset(&tok);
		while (*p && *p != '/') {
			if (p[0] == '~' && p[1] == '0') {
				buf_putc(&tok, '~');
				p += 2;
			} else if (p[0] == '~' && p[1] == '1') {
				buf_putc(&tok, '/');
				p += 2;
			} else {
				buf_putc(&tok, *p++);
			}
		}
		if (!*p) {
			*parent = cur;
			*last = buf_steal(&tok);
			return true;
		}
		p++;
		if (json_is_object(cur)) {
			cur = json_object_get(cur, buf_str(&tok));
		} else if (json_is_array(cur)) {
			long idx;

			cur = str_to_long(buf_str(&tok), 0, (long)json_array_size(cur) - 1, &idx)
				  ? json_array_get(cur, (size_t)idx)
				  : NULL;
		} else {
			cur = NULL;
		}
		if (!cur) {
			err_set(err, "jsonpatch: path \"%s\" does not exist", ptr);
			buf_free(&tok);
			return false;
		}
	}
}

static json_t *pointer_get(json_t *parent, const char *last)
{
	long idx;

	if (json_is_object(parent))
		return json_object_get(parent, last);
	if (json_is_array(parent) && str_to_long(last, 0, (long)json_array_size(parent) - 1, &idx))
		return json_array_get(parent, (size_t)idx);
	return NULL;
}

static bool pointer_remove(json_t *parent, const char *last)
{
	long idx;

	if (json_is_object(parent))
		return json_object_del(parent, last) == 0;
	if (json_is_array(parent) && str_to_long(last, 0, (long)json_array_size(parent) - 1, &idx))
		return json_array_remove(parent, (size_t)idx) == 0;
	return false;
}

static bool pointer_add(json_t *parent, const char *last, json_t *v, bool replace)
{
	long idx;

	if (json_is_object(parent)) {
		if (replace && !json_object_get(parent, last)) {
			json_decref(v);
			return false;
		}
		return json_object_set_new(parent, last, v) == 0;
	}
	if (json_is_array(parent)) {
		size_t n = json_array_size(parent);

		if (!replace && strcmp(last, "-") == 0)
			return json_array_append_new(parent, v) == 0;
		if (str_to_long(last, 0, replace ? (long)n - 1 : (long)n, &idx))
			return (replace ? json_array_set_new(parent, (size_t)idx, v)
					: json_array_insert_new(parent, (size_t)idx, v)) == 0;
	}
	json_decref(v);
	return false;
}

json_t *patch_json(const json_t *target, const json_t *ops, struct err *err)
{
	json_t *doc = json_deep_copy(target), *op;
	size_t i;

	if (!json_is_array(ops)) {
		err_set(err, "a JSON patch must be an array of operations");
		goto fail;
	}
	json_array_foreach((json_t *)ops, i, op)
	{
		const char *name = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		const char *from = json_string_value(json_object_get(op, "from"));
		json_t *value = json_object_get(op, "value"), *parent, *cur;
		char *last = NULL;
		bool ok = false;

		if (!name || !path) {
			err_set(err, "jsonpatch: operation %zu lacks \"op\" or \"path\"", i);
			goto fail;
		}
		if (!pointer_parent(doc, path, &parent, &last, err))
			goto fail;
		if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
			if (!value) {
				err_set(err, "jsonpatch %s operation does not apply: missing value",
					name);
			} else {
				ok = pointer_add(parent, last, json_deep_copy(value),
						 strcmp(name, "replace") == 0);
			}
		} else if (strcmp(name, "remove") == 0) {
			ok = pointer_remove(parent, last);
		} else if (strcmp(name, "test") == 0) {
			cur = pointer_get(parent, last);
			ok = cur && value && json_equal(cur, value);
			if (!ok)
				err_set(err, "testing value %s failed", path);
		} else if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
			json_t *fparent;
			char *flast = NULL;

			size_t flen = from ? strlen(from) : 0;

			if (from && strcmp(name, "move") == 0 && strncmp(path, from, flen) == 0 &&
			    path[flen] == '/') {
				err_set(err,
					"jsonpatch move operation does not apply: \"from\" %s is "
					"a prefix of \"path\" %s",
					from, path);
			} else if (from && pointer_parent(doc, from, &fparent, &flast, err) &&
				   (cur = pointer_get(fparent, flast)) != NULL) {
				json_t *v = json_deep_copy(cur);

				ok = strcmp(name, "copy") == 0 || pointer_remove(fparent, flast);
				/* The removal may have moved what path points into: look again. */
				free(last);
				last = NULL;
				if (ok && pointer_parent(doc, path, &parent, &last, err))
					ok = pointer_add(parent, last, v, false);
				else {
					ok = false;
					json_decref(v);
				}
			}
			free(flast);
		} else {
			err_set(err, "Unexpected kind: %s", name);
		}
		if (!ok && !err_isset(err))
			err_set(err,
				"jsonpatch %s operation does not apply: doc is missing path: %s",
				name, path);
		free(last);
		if (!ok)
			goto fail;
	}
	return doc;
fail:
	json_decref(doc);
	return NULL;
}
