#include "config.h"

#include "pbobj.h"

#include <stdlib.h>
#include <string.h>

#include "jutil.h"
#include "kinds.h"
#include "pbuf.h"

/* A string field as JSON (NULL for an empty one); err set for bytes that
 * are not UTF-8 text. */
static json_t *pb_text(const struct pb_field *f, struct err *err)
{
	json_t *s;

	if (f->wire != PB_BYTES) {
		err_set(err, "protobuf: field %u is not a string", f->num);
		return NULL;
	}
	if (f->len == 0)
		return NULL;
	s = memchr(f->data, 0, f->len) ? NULL : json_stringn((const char *)f->data, f->len);
	if (!s)
		err_set(err, "protobuf: field %u is not UTF-8 text", f->num);
	return s;
}

/* Sets key to the text of f, unless it is empty. */
static bool put_text(json_t *o, const char *key, const struct pb_field *f, struct err *err)
{
	json_t *s;

	if (f->wire == PB_BYTES && f->len == 0)
		return true;
	s = pb_text(f, err);
	if (!s)
		return false;
	json_object_set_new(o, key, s);
	return true;
}

/* One map<string,string> (or map<string,bytes> when bytes: base64) entry,
 * {1 key, 2 value}, added to the object *map (made on first use). */
static bool put_entry(json_t **map, const struct pb_field *f, bool bytes, struct err *err)
{
	struct pb_reader rd;
	struct pb_field g;
	char *key = NULL;
	json_t *val = NULL;
	int rc;

	if (f->wire != PB_BYTES) {
		err_set(err, "protobuf: map entry %u is not a message", f->num);
		return false;
	}
	pb_reader_init(&rd, f->data, f->len);
	while ((rc = pb_next(&rd, &g, err)) > 0) {
		if (g.num == 1 && g.wire == PB_BYTES) {
			free(key);
			key =
			    memchr(g.data, 0, g.len) ? NULL : xstrndup((const char *)g.data, g.len);
			if (!key) {
				err_set(err, "protobuf: a map key holds a NUL byte");
				rc = -1;
				break;
			}
		} else if (g.num == 2 && g.wire == PB_BYTES) {
			json_decref(val);
			if (bytes) {
				char *enc = kinds_base64((const char *)g.data, g.len);

				val = json_string(enc);
				free(enc);
			} else {
				val = g.len ? pb_text(&g, err) : json_string("");
				if (!val) {
					rc = -1;
					break;
				}
			}
		}
	}
	if (rc == 0 && !key)
		err_set(err, "protobuf: a map entry without a key");
	if (rc < 0 || !key) {
		free(key);
		json_decref(val);
		return false;
	}
	if (!*map)
		*map = json_object();
	if (json_object_set_new(*map, key, val ? val : json_string("")) != 0) {
		err_set(err, "protobuf: a map key is not UTF-8 text");
		free(key);
		return false;
	}
	free(key);
	return true;
}

/* OwnerReference: 1 kind, 3 name, 4 uid, 5 apiVersion, 6 controller,
 * 7 blockOwnerDeletion. */
static json_t *owner_ref(const struct pb_field *f, struct err *err)
{
	static const char *const names[] = {NULL, "kind", NULL, "name", "uid", "apiVersion"};
	struct pb_reader rd;
	struct pb_field g;
	json_t *o = json_object();
	int rc;

	pb_reader_init(&rd, f->data, f->len);
	while ((rc = pb_next(&rd, &g, err)) > 0) {
		if (g.num < ARRAY_LEN(names) && names[g.num]) {
			if (!put_text(o, names[g.num], &g, err)) {
				rc = -1;
				break;
			}
		} else if ((g.num == 6 || g.num == 7) && g.wire == PB_VARINT) {
			json_object_set_new(o, g.num == 6 ? "controller" : "blockOwnerDeletion",
					    json_boolean(g.varint != 0));
		}
	}
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ObjectMeta: 1 name, 2 generateName, 3 namespace, 5 uid, 6 resourceVersion,
 * 11 labels, 12 annotations, 13 ownerReferences, 14 finalizers; the rest is
 * the server's to set. */
static json_t *object_meta(const struct pb_field *f, struct err *err)
{
	static const char *const names[] = {NULL, "name", "generateName",   "namespace",
					    NULL, "uid",  "resourceVersion"};
	struct pb_reader rd;
	struct pb_field g;
	json_t *m = json_object(), *labels = NULL, *annotations = NULL, *x;
	int rc;

	pb_reader_init(&rd, f->data, f->len);
	while ((rc = pb_next(&rd, &g, err)) > 0) {
		bool ok = true;

		if (g.num < ARRAY_LEN(names) && names[g.num]) {
			ok = put_text(m, names[g.num], &g, err);
		} else if (g.num == 11 || g.num == 12) {
			ok = put_entry(g.num == 11 ? &labels : &annotations, &g, false, err);
		} else if (g.num == 13 && g.wire == PB_BYTES) {
			x = owner_ref(&g, err);
			ok = x != NULL;
			if (ok) {
				if (!json_object_get(m, "ownerReferences"))
					json_object_set_new(m, "ownerReferences", json_array());
				json_array_append_new(json_object_get(m, "ownerReferences"), x);
			}
		} else if (g.num == 14) {
			x = pb_text(&g, err);
			ok = x != NULL;
			if (ok) {
				if (!json_object_get(m, "finalizers"))
					json_object_set_new(m, "finalizers", json_array());
				json_array_append_new(json_object_get(m, "finalizers"), x);
			}
		}
		if (!ok) {
			rc = -1;
			break;
		}
	}
	if (labels)
		json_object_set_new(m, "labels", labels);
	if (annotations)
		json_object_set_new(m, "annotations", annotations);
	if (rc < 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* Namespace: 1 metadata, 2 spec {1 finalizers}, 3 status (the server's). */
static bool read_namespace(json_t *doc, const struct pb_field *f, struct err *err)
{
	struct pb_reader rd;
	struct pb_field g;
	int rc;

	if (f->num != 2 || f->wire != PB_BYTES)
		return true;
	pb_reader_init(&rd, f->data, f->len);
	while ((rc = pb_next(&rd, &g, err)) > 0) {
		json_t *s;

		if (g.num != 1)
			continue;
		s = pb_text(&g, err);
		if (!s)
			return false;
		if (!json_object_get(doc, "spec"))
			json_object_set_new(doc, "spec", json_object());
		if (!jpath(doc, "spec.finalizers"))
			json_object_set_new(json_object_get(doc, "spec"), "finalizers",
					    json_array());
		json_array_append_new(jpath(doc, "spec.finalizers"), s);
	}
	return rc == 0;
}

/* ConfigMap: 1 metadata, 2 data, 3 binaryData, 4 immutable. */
static bool read_configmap(json_t *doc, const struct pb_field *f, struct err *err)
{
	json_t *map;

	if ((f->num == 2 || f->num == 3)) {
		const char *key = f->num == 2 ? "data" : "binaryData";

		map = json_object_get(doc, key);
		json_incref(map);
		if (!put_entry(&map, f, f->num == 3, err)) {
			json_decref(map);
			return false;
		}
		json_object_set_new(doc, key, map);
	} else if (f->num == 4 && f->wire == PB_VARINT) {
		json_object_set_new(doc, "immutable", json_boolean(f->varint != 0));
	}
	return true;
}

/* Secret: 1 metadata, 2 data (bytes), 3 type, 4 stringData, 5 immutable. */
static bool read_secret(json_t *doc, const struct pb_field *f, struct err *err)
{
	json_t *map;

	if (f->num == 2 || f->num == 4) {
		const char *key = f->num == 2 ? "data" : "stringData";

		map = json_object_get(doc, key);
		json_incref(map);
		if (!put_entry(&map, f, f->num == 2, err)) {
			json_decref(map);
			return false;
		}
		json_object_set_new(doc, key, map);
	} else if (f->num == 3) {
		return put_text(doc, "type", f, err);
	} else if (f->num == 5 && f->wire == PB_VARINT) {
		json_object_set_new(doc, "immutable", json_boolean(f->varint != 0));
	}
	return true;
}

static const struct {
	const char *api_version, *kind;
	bool (*field)(json_t *doc, const struct pb_field *f, struct err *err);
} readers[] = {
    {"v1", "Namespace", read_namespace},
    {"v1", "ConfigMap", read_configmap},
    {"v1", "Secret", read_secret},
};

json_t *pbobj_decode(const void *body, size_t len, struct apierr *e)
{
	struct err err = {{0}};
	struct pb_object obj;
	struct pb_reader rd;
	struct pb_field f;
	json_t *doc;
	size_t k;
	int rc;

	if (!pb_unwrap(body, len, &obj, &err)) {
		apierr_bad_request(e, "%s", err.msg);
		return NULL;
	}
	for (k = 0; k < ARRAY_LEN(readers); k++) {
		if (str_eq(readers[k].api_version, obj.api_version) &&
		    str_eq(readers[k].kind, obj.kind))
			break;
	}
	if (k == ARRAY_LEN(readers)) {
		apierr_set(e, 415, "UnsupportedMediaType",
			   "the body of the request was in an unknown format - accepted media "
			   "types include: application/json, application/yaml");
		return NULL;
	}
	doc = json_pack("{s:s, s:s}", "apiVersion", obj.api_version, "kind", obj.kind);
	pb_reader_init(&rd, obj.raw, obj.raw_len);
	while ((rc = pb_next(&rd, &f, &err)) > 0) {
		if (f.num == 1 && f.wire == PB_BYTES) {
			json_t *meta = object_meta(&f, &err);

			if (!meta) {
				rc = -1;
				break;
			}
			json_object_set_new(doc, "metadata", meta);
		} else if (!readers[k].field(doc, &f, &err)) {
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		json_decref(doc);
		apierr_bad_request(e, "%s", err.msg[0] ? err.msg : "protobuf: malformed object");
		return NULL;
	}
	if (!json_object_get(doc, "metadata"))
		json_object_set_new(doc, "metadata", json_object());
	return doc;
}
