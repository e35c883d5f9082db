#include "config.h"

#include "apply.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jutil.h"
#include "patch.h"

/* Paths are fieldsV1 tokens joined by '\n'; a set is a JSON object whose
 * keys are the paths (values are true). */

static const char *const meta_server[] = {"name",
					  "namespace",
					  "uid",
					  "resourceVersion",
					  "creationTimestamp",
					  "generation",
					  "managedFields",
					  "deletionTimestamp",
					  "deletionGracePeriodSeconds",
					  "selfLink",
					  NULL};

/* A copy of doc without what no manager owns (identity and server-set metadata). */
static json_t *ownable(const json_t *doc)
{
	json_t *c = json_deep_copy(doc), *meta;

	json_object_del(c, "apiVersion");
	json_object_del(c, "kind");
	meta = json_object_get(c, "metadata");
	if (json_is_object(meta)) {
		for (const char *const *k = meta_server; *k; k++)
			json_object_del(meta, *k);
		if (!json_object_size(meta))
			json_object_del(c, "metadata");
	}
	return c;
}

static void path_join(struct buf *b, const char *prefix, const char *token)
{
	buf_reset(b);
	if (prefix[0]) {
		buf_puts(b, prefix);
		buf_putc(b, '\n');
	}
	buf_puts(b, token);
}

/* The k:{...} token of a list item. */
static char *item_token(const json_t *item, const char *const *keys)
{
	json_t *k = json_object();
	char *s, *tok;

	for (; *keys; keys++) {
		json_t *v = json_object_get(item, *keys);

		if (v)
			json_object_set(k, *keys, v);
		else if (strcmp(*keys, "protocol") == 0)
			json_object_set_new(k, *keys, json_string("TCP"));
	}
	s = jdump_sorted(k);
	tok = xasprintf("k:%s", s);
	free(s);
	json_decref(k);
	return tok;
}

static void collect(const json_t *v, const char *prefix, const char *field, json_t *set)
{
	struct buf p = BUF_INIT;
	const char *const *keys;
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v) && json_object_size(v)) {
		json_object_foreach((json_t *)v, k, x)
		{
			char *tok = xasprintf("f:%s", k);

			path_join(&p, prefix, tok);
			free(tok);
			collect(x, buf_str(&p), k, set);
		}
		buf_free(&p);
		return;
	}
	keys = field ? patch_list_keys_for(field, v, NULL) : NULL;
	if (json_is_array(v) && keys && json_array_size(v) &&
	    json_is_object(json_array_get(v, 0))) {
		json_array_foreach((json_t *)v, i, x)
		{
			char *tok;

			if (!json_is_object(x))
				continue;
			tok = item_token(x, keys);
			path_join(&p, prefix, tok);
			free(tok);
			json_object_set_new(set, buf_str(&p), json_true());
			if (json_object_size(x)) {
				char *item = xstrdup(buf_str(&p));

				collect(x, item, NULL, set);
				free(item);
			}
		}
		buf_free(&p);
		return;
	}
	if (prefix[0])
		json_object_set_new(set, prefix, json_true());
	buf_free(&p);
}

json_t *apply_fieldset(const json_t *v)
{
	json_t *set = json_object();
	json_t *own = ownable(v);

	collect(own, "", NULL, set);
	json_decref(own);
	return set;
}

json_t *apply_fields_tree(const json_t *set, bool dots)
{
	json_t *tree = json_object(), *x;
	const char *path;

	json_object_foreach((json_t *)set, path, x)
	{
		json_t *node = tree;
		const char *p = path;

		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *tok = xstrndup(p, n);
			json_t *child = json_object_get(node, tok);

			if (!child) {
				child = json_object();
				json_object_set_new(node, tok, child);
			}
			if (tok[0] == 'k' || (dots && nl))
				json_object_set_new(child, ".", json_object());
			free(tok);
			node = child;
			p += n;
			if (*p == '\n')
				p++;
		}
	}
	return tree;
}

static void tree_collect(const json_t *node, const char *prefix, json_t *set)
{
	struct buf p = BUF_INIT;
	const char *k;
	json_t *x;

	json_object_foreach((json_t *)node, k, x)
	{
		if (strcmp(k, ".") == 0) {
			if (prefix[0])
				json_object_set_new(set, prefix, json_true());
			continue;
		}
		path_join(&p, prefix, k);
		if (!json_is_object(x) || json_object_size(x) == 0)
			json_object_set_new(set, buf_str(&p), json_true());
		else {
			char *sub = xstrdup(buf_str(&p));

			tree_collect(x, sub, set);
			free(sub);
		}
	}
	buf_free(&p);
}

static json_t *tree_set(const json_t *tree)
{
	json_t *set = json_object();

	tree_collect(tree, "", set);
	return set;
}

static bool item_matches(const json_t *item, const json_t *key)
{
	const char *k;
	json_t *v;

	if (!json_is_object(item))
		return false;
	json_object_foreach((json_t *)key, k, v)
	{
		json_t *have = json_object_get(item, k);

		if (!have && strcmp(k, "protocol") == 0 && str_eq(json_string_value(v), "TCP"))
			continue;
		if (!have || !json_equal(have, v))
			return false;
	}
	return true;
}

/* The last token of a path, for delete_at. */
struct path_tail {
	char tok[512];
};

/* Walks path in doc; returns the value and, optionally, its parent and
 * index, and (in tail) the member name of the last step. */
static json_t *value_at_tail(const json_t *doc, const char *path, json_t **parent, size_t *index,
			     const char **member, struct path_tail *tail)
{
	json_t *cur = (json_t *)doc;
	const char *p = path;
	char *last = tail->tok;

	while (cur && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n < 2 || n >= sizeof(tail->tok))
			return NULL;
		memcpy(last, p, n);
		last[n] = '\0';
		if (parent)
			*parent = cur;
		if (last[0] == 'f' && json_is_object(cur)) {
			cur = json_object_get(cur, last + 2);
			if (member)
				*member = last + 2;
		} else if (last[0] == 'k' && json_is_array(cur)) {
			json_t *key = json_loads(last + 2, 0, NULL), *item;
			size_t i;
			json_t *found = NULL;

			json_array_foreach(cur, i, item)
			{
				if (key && item_matches(item, key)) {
					found = item;
					if (index)
						*index = i;
					break;
				}
			}
			json_decref(key);
			if (member)
				*member = NULL;
			cur = found;
		} else {
			return NULL;
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	return cur;
}

static json_t *value_at(const json_t *doc, const char *path)
{
	struct path_tail tail;

	return value_at_tail(doc, path, NULL, NULL, NULL, &tail);
}

static void delete_at(json_t *doc, const char *path)
{
	json_t *parent = NULL;
	size_t index = 0;
	const char *member = NULL;
	struct path_tail tail;

	if (!value_at_tail(doc, path, &parent, &index, &member, &tail))
		return;
	if (json_is_object(parent) && member)
		json_object_del(parent, member);
	else if (json_is_array(parent))
		json_array_remove(parent, index);
}

/* ".spec.template.spec.containers[name=\"web\"].image": how conflicts are named. */
static void path_words(const char *path, struct buf *out)
{
	const char *p = path;

	buf_reset(out);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (p[0] == 'f') {
			buf_printf(out, ".%.*s", (int)(n - 2), p + 2);
		} else {
			char *js = xstrndup(p + 2, n - 2);
			json_t *key = json_loads(js, 0, NULL), *v;
			const char *k;
			bool first = true;

			buf_putc(out, '[');
			json_object_foreach(key, k, v)
			{
				char *val = jdump(v);

				buf_printf(out, "%s%s=%s", first ? "" : ",", k, val);
				free(val);
				first = false;
			}
			buf_putc(out, ']');
			json_decref(key);
			free(js);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
}

static json_t *entry_set(const json_t *entry)
{
	return tree_set(json_object_get(entry, "fieldsV1"));
}

static bool entry_is(const json_t *entry, const char *manager, const char *op, const char *sub)
{
	const char *esub = jstr(entry, "subresource", NULL);

	return str_eq(jstr(entry, "manager", ""), manager) &&
	       str_eq(jstr(entry, "operation", ""), op) &&
	       ((!sub && !esub) || (sub && esub && str_eq(sub, esub)));
}

static json_t *make_entry(const char *manager, const char *op, const char *api_version,
			  const char *now, const json_t *set, const char *sub)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "manager", manager, "operation", op,
			      "apiVersion", api_version, "time", now, "fieldsType", "FieldsV1",
			      "fieldsV1", apply_fields_tree(set, strcmp(op, "Update") == 0));

	if (sub)
		json_object_set_new(e, "subresource", json_string(sub));
	return e;
}

static json_t *strip_config(const json_t *config)
{
	json_t *c = json_deep_copy(config), *meta = json_object_get(c, "metadata");

	if (json_is_object(meta)) {
		json_object_del(meta, "managedFields");
		json_object_del(meta, "uid");
		json_object_del(meta, "resourceVersion");
		json_object_del(meta, "creationTimestamp");
		json_object_del(meta, "generation");
		json_object_del(meta, "deletionTimestamp");
		json_object_del(meta, "selfLink");
	}
	json_object_del(c, "status");
	return c;
}

json_t *apply_merge(const struct restype *rt, const json_t *cur, const json_t *config,
		    const char *manager, bool force, const char *now, struct apierr *e)
{
	json_t *cfg = strip_config(config);
	json_t *new_set = apply_fieldset(cfg);
	json_t *entries = cur ? json_deep_copy(jpath(cur, "metadata.managedFields")) : NULL;
	json_t *base, *merged, *entry, *old_set = NULL, *x;
	struct buf conflicts = BUF_INIT, words = BUF_INIT;
	const char *path;
	size_t i, nconf = 0;
	struct err err = {{0}};
	json_t *causes = json_array();
	char last_mgr[256] = "";

	if (!json_is_array(entries)) {
		json_decref(entries);
		entries = json_array();
	}
	/* Conflicts: fields another manager owns that this apply changes. */
	json_array_foreach(entries, i, entry)
	{
		json_t *set;
		bool touched = false;

		if (entry_is(entry, manager, "Apply", NULL)) {
			old_set = entry_set(entry);
			continue;
		}
		set = entry_set(entry);
		json_object_foreach(new_set, path, x)
		{
			json_t *have, *want;

			if (!json_object_get(set, path))
				continue;
			have = value_at(cur, path);
			want = value_at(cfg, path);
			if (strstr(path, "k:") && strrchr(path, '\n') &&
			    strncmp(strrchr(path, '\n') + 1, "k:", 2) == 0)
				continue; /* list items themselves are shared */
			if (have && want && json_equal(have, want))
				continue;
			if (force) {
				touched = true;
				continue;
			}
			path_words(path, &words);
			{
				const char *sub = jstr(entry, "subresource", NULL);
				char who[256];

				if (sub)
					snprintf(
					    who, sizeof(who),
					    "conflict with \"%s\" with subresource \"%s\" using %s",
					    jstr(entry, "manager", ""), sub,
					    jstr(entry, "apiVersion", ""));
				else
					snprintf(who, sizeof(who), "conflict with \"%s\" using %s",
						 jstr(entry, "manager", ""),
						 jstr(entry, "apiVersion", ""));
				json_array_append_new(causes,
						      json_pack("{s:s, s:s, s:s}", "reason",
								"FieldManagerConflict", "message",
								who, "field", buf_str(&words)));
				if (strcmp(last_mgr, who) != 0) {
					buf_printf(&conflicts, "%s%s:", conflicts.len ? "\n" : "",
						   who);
					snprintf(last_mgr, sizeof(last_mgr), "%s", who);
				}
				buf_printf(&conflicts, "\n- %s", buf_str(&words));
			}
			nconf++;
		}
		if (touched) {
			/* force: the forced fields change hands */
			json_t *left = json_object();
			const char *p2;
			json_t *y;

			json_object_foreach(set, p2, y)
			{
				json_t *have = value_at(cur, p2);
				json_t *want = value_at(cfg, p2);

				if (json_object_get(new_set, p2) &&
				    !(have && want && json_equal(have, want)))
					continue;
				json_object_set_new(left, p2, json_true());
			}
			json_object_set_new(
			    entry, "fieldsV1",
			    apply_fields_tree(left,
					      str_eq(jstr(entry, "operation", ""), "Update")));
			json_decref(left);
		}
		json_decref(set);
	}
	if (nconf) {
		if (nconf == 1 && strchr(buf_str(&conflicts), '\n')) {
			/* One conflict reads on one line: "conflict with X using V: .path". */
			char *nl = strchr(conflicts.data, '\n');

			memmove(nl + 1, nl + 3, strlen(nl + 3) + 1);
			*nl = ' ';
			conflicts.len = strlen(conflicts.data);
		}
		apierr_set(e, 409, "Conflict", "Apply failed with %zu conflict%s: %s", nconf,
			   nconf == 1 ? "" : "s", buf_str(&conflicts));
		json_decref(e->details);
		e->details = json_pack("{s:o}", "causes", causes);
		causes = NULL;
		merged = NULL;
		goto out;
	}
	base = cur ? json_deep_copy(cur) : json_object();
	/* Fields this manager applied before and no longer applies go, unless
	 * someone else owns them too. */
	if (old_set) {
		json_object_foreach(old_set, path, x)
		{
			bool other = false;

			if (json_object_get(new_set, path))
				continue;
			json_array_foreach(entries, i, entry)
			{
				json_t *set;

				if (entry_is(entry, manager, "Apply", NULL))
					continue;
				set = entry_set(entry);
				other = other || json_object_get(set, path) != NULL;
				json_decref(set);
			}
			if (!other)
				delete_at(base, path);
		}
		/* Maps emptied by those removals go too (the API omits empty maps). */
		json_object_foreach(old_set, path, x)
		{
			char *p = xstrdup(path), *nl;

			while (!json_object_get(new_set, path) && (nl = strrchr(p, '\n'))) {
				json_t *v;

				*nl = '\0';
				v = value_at(base, p);
				if (!json_is_object(v) || json_object_size(v) ||
				    strrchr(p, '\n') == NULL)
					break;
				delete_at(base, p);
			}
			free(p);
		}
	}
	merged = patch_strategic(base, cfg, &err);
	json_decref(base);
	if (!merged) {
		apierr_bad_request(e, "%s", err.msg);
		goto out;
	}
	/* This manager's Apply entry, in place or appended; empty entries go. */
	{
		json_t *out_entries = json_array();
		bool placed = false;

		json_array_foreach(entries, i, entry)
		{
			if (entry_is(entry, manager, "Apply", NULL)) {
				json_array_append_new(out_entries,
						      make_entry(manager, "Apply", rt->api_version,
								 now, new_set, NULL));
				placed = true;
				continue;
			}
			if (json_object_size(json_object_get(entry, "fieldsV1")))
				json_array_append(out_entries, entry);
		}
		if (!placed)
			json_array_append_new(
			    out_entries,
			    make_entry(manager, "Apply", rt->api_version, now, new_set, NULL));
		json_object_set_new(jobj(merged, "metadata"), "managedFields", out_entries);
	}
out:
	json_decref(causes);
	json_decref(old_set);
	json_decref(new_set);
	json_decref(entries);
	json_decref(cfg);
	buf_free(&conflicts);
	buf_free(&words);
	return merged;
}

void apply_track_update(json_t *newdoc, const json_t *olddoc, const char *manager,
			const char *subresource, const char *api_version, const char *now)
{
	json_t *all = apply_fieldset(newdoc), *changed = json_object(), *x, *entry;
	json_t *entries = json_deep_copy(jpath(newdoc, "metadata.managedFields"));
	json_t *out = json_array(), *mine = NULL;
	const char *path;
	size_t i;

	if (!json_is_array(entries)) {
		json_decref(entries);
		entries = json_array();
	}
	json_object_foreach(all, path, x)
	{
		json_t *a = value_at(newdoc, path);
		json_t *b = olddoc ? value_at(olddoc, path) : NULL;

		if (!olddoc || !b || !json_equal(a, b))
			json_object_set_new(changed, path, json_true());
	}
	if (json_object_size(changed) == 0)
		goto done;
	json_array_foreach(entries, i, entry)
	{
		json_t *set = entry_set(entry), *left;

		if (entry_is(entry, manager, "Update", subresource)) {
			mine = set;
			continue;
		}
		left = json_object();
		json_object_foreach(set, path, x)
		{
			if (!json_object_get(changed, path))
				json_object_set_new(left, path, json_true());
		}
		if (json_object_size(left)) {
			json_t *e = json_deep_copy(entry);

			json_object_set_new(
			    e, "fieldsV1",
			    apply_fields_tree(left, str_eq(jstr(e, "operation", ""), "Update")));
			json_array_append_new(out, e);
		}
		json_decref(left);
		json_decref(set);
	}
	if (!mine)
		mine = json_object();
	json_object_update(mine, changed);
	json_array_append_new(out,
			      make_entry(manager, "Update", api_version, now, mine, subresource));
	json_decref(mine);
	json_object_set(jobj(newdoc, "metadata"), "managedFields", out);
done:
	json_decref(out);
	json_decref(entries);
	json_decref(changed);
	json_decref(all);
}

static json_t *comparable(const json_t *doc)
{
	json_t *c = json_deep_copy(doc), *mf, *entry;
	size_t i;

	json_object_del(jobj(c, "metadata"), "resourceVersion");
	mf = jpath(c, "metadata.managedFields");
	json_array_foreach(mf, i, entry) json_object_del(entry, "time");
	return c;
}

bool apply_same(const json_t *a, const json_t *b)
{
	json_t *x = comparable(a), *y = comparable(b);
	bool same = json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return same;
}

/* Walks v (the configuration below path, in path_words' notation) for
 * "ports" lists whose items omit one of their keys. */
static bool ports_keyed(const json_t *v, const char *field, struct buf *path, struct apierr *e)
{
	size_t mark = path->len, i;
	const char *k;
	json_t *x;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
		{
			path->len = mark;
			buf_printf(path, ".%s", k);
			if (!ports_keyed(x, k, path, e))
				return false;
		}
		path->len = mark;
		if (path->data)
			path->data[mark] = '\0';
		return true;
	}
	if (!json_is_array(v) || !field)
		return true;
	if (strcmp(field, "ports") == 0) {
		const char *const *keys = patch_list_keys_for(field, v, NULL);

		json_array_foreach((json_t *)v, i, x)
		{
			for (const char *const *key = keys; *key; key++) {
				if (!json_is_object(x) || json_object_get(x, *key))
					continue;
				apierr_set(
				    e, 500, NULL,
				    "failed to create typed patch object: %s: element %zu: "
				    "associative list with keys has an element that omits key "
				    "field \"%s\" (and doesn't have default value)",
				    buf_str(path), i, *key);
				return false;
			}
		}
		return true;
	}
	if (strcmp(field, "containers") == 0 || strcmp(field, "initContainers") == 0) {
		json_array_foreach((json_t *)v, i, x)
		{
			path->len = mark;
			buf_printf(path, "[name=\"%s\"]", jstr(x, "name", ""));
			if (!ports_keyed(x, NULL, path, e))
				return false;
		}
		path->len = mark;
		if (path->data)
			path->data[mark] = '\0';
	}
	return true;
}

bool apply_check_list_keys(const json_t *config, struct apierr *e)
{
	struct buf path = BUF_INIT;
	bool ok = ports_keyed(config, NULL, &path, e);

	buf_free(&path);
	return ok;
}
