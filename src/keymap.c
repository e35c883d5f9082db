#include "config.h"

#include "keymap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "embedded.h"
#include "paths.h"
#include "yamldoc.h"

/* A base map named by `extends` may itself extend another; a longer chain is
 * certainly a cycle. */
#define KEYMAP_MAX_DEPTH 8

struct keymap {
	char name[65];
	keycode keys[ACTION_COUNT][KEYMAP_MAX_KEYS];
	size_t nkeys[ACTION_COUNT];
};

/* ---- key names ---- */

struct key_name {
	const char *name;
	keycode code;
};

/* The first spelling of each code is the canonical one. */
static const struct key_name key_names[] = {
	{ "Space", KC_SPACE },
	{ "Tab", KC_TAB },
	{ "S-Tab", KC_BACKTAB },
	{ "BackTab", KC_BACKTAB },
	{ "Enter", KC_ENTER },
	{ "Return", KC_ENTER },
	{ "Esc", KC_ESC },
	{ "Escape", KC_ESC },
	{ "Backspace", KC_BACKSPACE },
	{ "Delete", KC_DELETE },
	{ "Del", KC_DELETE },
	{ "Insert", KC_INSERT },
	{ "Ins", KC_INSERT },
	{ "Up", KC_UP },
	{ "Down", KC_DOWN },
	{ "Left", KC_LEFT },
	{ "Right", KC_RIGHT },
	{ "PgUp", KC_PGUP },
	{ "PageUp", KC_PGUP },
	{ "PgDn", KC_PGDN },
	{ "PageDown", KC_PGDN },
	{ "Home", KC_HOME },
	{ "End", KC_END },
};

/* Decodes exactly one UTF-8 code point filling the whole string. */
static bool decode_single(const char *s, uint32_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80) {
		cp = p[0];
		n = 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1fu;
		n = 2;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0fu;
		n = 3;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07u;
		n = 4;
	} else {
		return false;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return false;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (p[n] != '\0')
		return false;
	/* Overlong forms, surrogates and values beyond Unicode are not keys. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return false;
	*out = cp;
	return true;
}

/* A character that can be bound as itself: printable, not a control. */
static bool printable_char(uint32_t cp)
{
	return cp > 32 && cp != 127 && !(cp >= 0x80 && cp < 0xa0) && cp < KC_NAMED &&
	       !(cp >= 0xd800 && cp <= 0xdfff);
}

static bool parse_ctrl(const char *rest, keycode *out)
{
	uint32_t c;

	if (!decode_single(rest, &c))
		return false;
	if (c >= 'a' && c <= 'z')
		c = c - 'a' + 'A';
	/* C-@ would be 0 (no key) and C-? is not a control code. */
	if (c < 'A' || c > '_')
		return false;
	*out = KEY_CTRL(c);
	return true;
}

static bool parse_prefix(const char *name, const char *const *prefixes, size_t n,
			 const char **rest)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(prefixes[i]);

		if (strncasecmp(name, prefixes[i], len) == 0 && name[len] != '\0') {
			*rest = name + len;
			return true;
		}
	}
	return false;
}

bool key_parse(const char *name, keycode *out)
{
	static const char *const ctrl_prefixes[] = { "C-", "Ctrl-" };
	static const char *const alt_prefixes[] = { "M-", "Alt-" };
	const char *rest;
	uint32_t cp;
	keycode k;

	if (!name || !*name)
		return false;
	if (decode_single(name, &cp)) {
		if (!printable_char(cp))
			return false;
		*out = cp;
		return true;
	}
	for (size_t i = 0; i < ARRAY_LEN(key_names); i++) {
		if (strcasecmp(name, key_names[i].name) == 0) {
			*out = key_names[i].code;
			return true;
		}
	}
	if ((name[0] == 'F' || name[0] == 'f') && name[1] >= '1' && name[1] <= '9') {
		long n;

		if (str_to_long(name + 1, 1, 12, &n) && name[1] != '0') {
			*out = KC_F1 + (keycode)(n - 1);
			return true;
		}
		return false;
	}
	/* "S-Tab" is a name; no other shifted key is, as terminals do not send them. */
	if (parse_prefix(name, alt_prefixes, ARRAY_LEN(alt_prefixes), &rest)) {
		if (!key_parse(rest, &k) || (k & KEY_MOD_ALT))
			return false;
		*out = k | KEY_MOD_ALT;
		return true;
	}
	if (parse_prefix(name, ctrl_prefixes, ARRAY_LEN(ctrl_prefixes), &rest))
		return parse_ctrl(rest, out);
	return false;
}

static void encode_utf8(uint32_t cp, char *out)
{
	unsigned char *p = (unsigned char *)out;

	if (cp < 0x80) {
		p[0] = (unsigned char)cp;
		p[1] = 0;
	} else if (cp < 0x800) {
		p[0] = (unsigned char)(0xc0 | (cp >> 6));
		p[1] = (unsigned char)(0x80 | (cp & 0x3f));
		p[2] = 0;
	} else if (cp < 0x10000) {
		p[0] = (unsigned char)(0xe0 | (cp >> 12));
		p[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		p[2] = (unsigned char)(0x80 | (cp & 0x3f));
		p[3] = 0;
	} else {
		p[0] = (unsigned char)(0xf0 | (cp >> 18));
		p[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		p[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		p[3] = (unsigned char)(0x80 | (cp & 0x3f));
		p[4] = 0;
	}
}

/* The name of k without its Alt bit. */
static void format_plain(keycode k, char *buf, size_t bufsz)
{
	char u[8];

	for (size_t i = 0; i < ARRAY_LEN(key_names); i++) {
		if (key_names[i].code == k) {
			snprintf(buf, bufsz, "%s", key_names[i].name);
			return;
		}
	}
	if (k >= KC_F1 && k <= KC_F12) {
		snprintf(buf, bufsz, "F%u", (unsigned)(k - KC_F1 + 1));
	} else if (k >= 1 && k < 32) {
		u[0] = (char)(k <= 26 ? 'a' + (int)k - 1 : '@' + (int)k);
		u[1] = '\0';
		snprintf(buf, bufsz, "C-%s", u);
	} else if (printable_char(k)) {
		encode_utf8(k, u);
		snprintf(buf, bufsz, "%s", u);
	} else {
		/* Not a key a map can bind: shown for diagnostics only. */
		snprintf(buf, bufsz, "<%#x>", (unsigned)k);
	}
}

void key_format(keycode k, char *buf, size_t bufsz)
{
	if (!buf || bufsz == 0)
		return;
	if ((k & KEY_MOD_ALT) && (k & ~(keycode)KEY_MOD_ALT) != KC_NONE) {
		char inner[32];

		format_plain(k & ~(keycode)KEY_MOD_ALT, inner, sizeof(inner));
		snprintf(buf, bufsz, "M-%s", inner);
		return;
	}
	format_plain(k, buf, bufsz);
}

/* ---- maps ---- */

/* Keys of two actions collide if some screen consults both scopes: GLOBAL and
 * LIST are looked at everywhere, each pane scope only in its pane. */
static bool scopes_clash(enum action_scope a, enum action_scope b)
{
	return a == b || a == SCOPE_GLOBAL || a == SCOPE_LIST || b == SCOPE_GLOBAL ||
	       b == SCOPE_LIST;
}

static bool action_has_key(const struct keymap *km, enum action a, keycode k)
{
	for (size_t i = 0; i < km->nkeys[a]; i++) {
		if (km->keys[a][i] == k)
			return true;
	}
	return false;
}

static void action_drop_key(struct keymap *km, enum action a, keycode k)
{
	size_t j = 0;

	for (size_t i = 0; i < km->nkeys[a]; i++) {
		if (km->keys[a][i] != k)
			km->keys[a][j++] = km->keys[a][i];
	}
	km->nkeys[a] = j;
}

/* One action's keys as written in a file, with positions for messages. */
struct binding {
	enum action action;
	size_t nkeys;
	keycode keys[KEYMAP_MAX_KEYS];
	const struct ynode *nodes[KEYMAP_MAX_KEYS];
};

/* Where a file comes from decides what its `extends` may name. */
enum km_origin { ORIGIN_SHIPPED, ORIGIN_USER, ORIGIN_STRING };

static bool km_resolve(struct keymap *out, const char *name, bool with_user, int depth,
		       const char *exclude, struct err *err);

static bool parse_keys(const struct ydoc *doc, const struct ynode *v, struct binding *b,
		       struct err *err)
{
	const char *aname = action_info(b->action)->name;
	const struct ynode *const *items;
	size_t n;

	b->nkeys = 0;
	if (v->type == YNODE_MAP)
		return ydoc_error(doc, v, err,
				  "%s: expected a key, a list of keys or 'disabled', not a mapping",
				  aname);
	if (v->type == YNODE_SCALAR) {
		if (!v->quoted && strcmp(v->scalar, "disabled") == 0)
			return true;
		if (ynode_is_null(v))
			return ydoc_error(doc, v, err,
					  "%s: expected a key, a list of keys or "
					  "'disabled'",
					  aname);
		items = (const struct ynode *const *)&v;
		n = 1;
	} else {
		items = (const struct ynode *const *)v->items;
		n = v->len;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ynode *it = items[i];
		keycode k;

		if (it->type != YNODE_SCALAR)
			return ydoc_error(doc, it, err, "%s: expected a key name, not a %s", aname,
					  it->type == YNODE_MAP ? "mapping" : "list");
		if (!key_parse(it->scalar, &k))
			return ydoc_error(doc, it, err, "%s: unknown key '%.64s'", aname,
					  it->scalar);
		for (size_t j = 0; j < b->nkeys; j++) {
			if (b->keys[j] == k)
				return ydoc_error(doc, it, err, "%s: key '%.64s' is listed twice",
						  aname, it->scalar);
		}
		if (b->nkeys == KEYMAP_MAX_KEYS)
			return ydoc_error(doc, it, err, "%s: at most %d keys per action", aname,
					  KEYMAP_MAX_KEYS);
		b->keys[b->nkeys] = k;
		b->nodes[b->nkeys] = it;
		b->nkeys++;
	}
	return true;
}

/* Applies a parsed document on top of base; base changes only on success. */
static bool km_apply_doc(struct keymap *base, const struct ydoc *doc, enum km_origin origin,
			 int depth, struct err *err)
{
	const struct ynode *root = doc->root;
	struct binding bind[ACTION_COUNT];
	size_t nbind = 0;
	struct keymap *tmp;
	bool ok = false;

	if (!root)
		return true;
	if (root->type != YNODE_MAP)
		return ydoc_error(doc, root, err, "expected a mapping of action: keys");

	tmp = xmalloc(sizeof(*tmp));
	*tmp = *base;
	for (size_t i = 0; i < root->len; i++) {
		const struct ynode *k = root->keys[i], *v = root->items[i];
		enum action a;

		if (strcmp(k->scalar, "extends") == 0) {
			if (v->type != YNODE_SCALAR || !paths_valid_name(v->scalar)) {
				ydoc_error(doc, v, err, "extends: expected a key map name");
				goto out;
			}
			if (origin == ORIGIN_STRING) {
				ydoc_error(doc, v, err, "extends is not allowed here");
				goto out;
			}
			if (depth >= KEYMAP_MAX_DEPTH) {
				ydoc_error(doc, v, err, "extends: chain too long (a cycle?)");
				goto out;
			}
			if (!km_resolve(tmp, v->scalar, origin == ORIGIN_USER, depth + 1, doc->path,
					err)) {
				if (!err_isset(err))
					ydoc_error(doc, v, err, "no key map named '%s'", v->scalar);
				goto out;
			}
			continue;
		}
		a = action_by_name(k->scalar);
		if (a == ACTION_NONE) {
			ydoc_error(doc, k, err, "unknown action '%.64s'", k->scalar);
			goto out;
		}
		bind[nbind].action = a;
		if (!parse_keys(doc, v, &bind[nbind], err))
			goto out;
		nbind++;
	}

	/* Within one file a key may serve only one of the actions a screen consults. */
	for (size_t i = 0; i < nbind; i++) {
		enum action_scope si = action_info(bind[i].action)->scope;

		for (size_t ki = 0; ki < bind[i].nkeys; ki++) {
			for (size_t j = 0; j < i; j++) {
				enum action_scope sj = action_info(bind[j].action)->scope;

				if (!scopes_clash(si, sj))
					continue;
				for (size_t kj = 0; kj < bind[j].nkeys; kj++) {
					if (bind[j].keys[kj] != bind[i].keys[ki])
						continue;
					ydoc_error(doc, bind[i].nodes[ki], err,
						   "%s: key '%s' is already bound to %s at line %u",
						   action_info(bind[i].action)->name,
						   bind[i].nodes[ki]->scalar,
						   action_info(bind[j].action)->name,
						   bind[j].nodes[kj]->line);
					goto out;
				}
			}
		}
	}

	for (size_t i = 0; i < nbind; i++) {
		enum action a = bind[i].action;

		memcpy(tmp->keys[a], bind[i].keys, sizeof(tmp->keys[a]));
		tmp->nkeys[a] = bind[i].nkeys;
	}
	/* A binding in this file takes its key away from any other action that
	 * would clash with it. */
	for (size_t i = 0; i < nbind; i++) {
		enum action_scope si = action_info(bind[i].action)->scope;

		for (int b = 0; b < ACTION_COUNT; b++) {
			bool in_file = false;

			for (size_t j = 0; j < nbind; j++)
				in_file = in_file || bind[j].action == (enum action)b;
			if (in_file || !scopes_clash(si, action_info((enum action)b)->scope))
				continue;
			for (size_t ki = 0; ki < bind[i].nkeys; ki++)
				action_drop_key(tmp, (enum action)b, bind[i].keys[ki]);
		}
	}
	*base = *tmp;
	ok = true;
out:
	free(tmp);
	return ok;
}

static bool km_apply_path(struct keymap *base, const char *path, enum km_origin origin, int depth,
			  struct err *err)
{
	struct ydoc *doc = ydoc_load_file(path, err);
	bool ok;

	if (!doc)
		return false;
	ok = km_apply_doc(base, doc, origin, depth, err);
	ydoc_free(doc);
	return ok;
}

static char *user_path(const char *name)
{
	char *dir = paths_config_dir();
	char *p = xasprintf("%s/keymaps/%s.yaml", dir, name);

	free(dir);
	return p;
}

static bool km_builtin_into(struct keymap *km, struct err *err)
{
	const struct embedded_file *f = embedded_find("keymaps/default.yaml");
	struct ydoc *doc;
	bool ok;

	memset(km, 0, sizeof(*km));
	if (!f) {
		err_set(err, "the built-in key map is missing");
		return false;
	}
	doc = ydoc_load_string("(built-in) keymaps/default.yaml", f->data, f->len, err);
	if (!doc)
		return false;
	ok = km_apply_doc(km, doc, ORIGIN_STRING, 0, err);
	ydoc_free(doc);
	str_copy(km->name, sizeof(km->name), "default");
	return ok;
}

/* Builds map name into out: the shipped file (or, for "default", the built-in
 * copy) and, when with_user, the user's file on top unless it is exclude (the
 * file whose `extends` asked for it). */
static bool km_resolve(struct keymap *out, const char *name, bool with_user, int depth,
		       const char *exclude, struct err *err)
{
	char *shipped = paths_find_data("keymaps", name, true);
	char *user = with_user ? user_path(name) : NULL;
	bool have_user =
		user && access(user, F_OK) == 0 && (!exclude || strcmp(user, exclude) != 0);
	struct keymap *km = xcalloc(1, sizeof(*km));
	bool ok = false;

	if (shipped && exclude && strcmp(shipped, exclude) == 0) {
		/* A shipped file extending itself. */
		free(shipped);
		shipped = NULL;
	}
	if (shipped) {
		if (!km_apply_path(km, shipped, ORIGIN_SHIPPED, depth, err))
			goto out;
	} else if (strcmp(name, "default") == 0) {
		if (!km_builtin_into(km, err))
			goto out;
	} else if (!have_user) {
		goto out; /* the caller names the missing map */
	}
	if (have_user && !km_apply_path(km, user, ORIGIN_USER, depth, err))
		goto out;
	str_copy(km->name, sizeof(km->name), name);
	*out = *km;
	ok = true;
out:
	free(km);
	free(shipped);
	free(user);
	return ok;
}

struct keymap *keymap_builtin(void)
{
	struct keymap *km = xcalloc(1, sizeof(*km));
	struct err err = { "" };

	if (!km_builtin_into(km, &err))
		fatal("%s", err.msg);
	return km;
}

struct keymap *keymap_load(const char *name, struct err *err, struct err *warn)
{
	struct keymap *km;
	char *shipped, *user;
	bool have_user;

	if (!name || !paths_valid_name(name)) {
		err_set(err, "'%.64s' is not a key map name (letters, digits, '-' or '_')",
			name ? name : "");
		return NULL;
	}
	shipped = paths_find_data("keymaps", name, true);
	user = user_path(name);
	have_user = access(user, F_OK) == 0;
	km = xcalloc(1, sizeof(*km));

	if (shipped || strcmp(name, "default") == 0) {
		/* Depth 1: the user file below still has room for its own chain. */
		if (!km_resolve(km, name, false, 1, NULL, err))
			goto fail;
		if (have_user) {
			struct err uerr = { "" };

			/* The caller says what it falls back to. */
			if (!km_apply_path(km, user, ORIGIN_USER, 1, &uerr))
				err_set(warn, "%s", uerr.msg);
		}
	} else if (have_user) {
		/* A map of the user's own: on top of the built-in default. */
		if (!km_builtin_into(km, err) || !km_apply_path(km, user, ORIGIN_USER, 1, err))
			goto fail;
	} else {
		err_set(err, "no key map named '%s'", name);
		goto fail;
	}
	str_copy(km->name, sizeof(km->name), name);
	free(shipped);
	free(user);
	return km;
fail:
	if (!err_isset(err))
		err_set(err, "no key map named '%s'", name);
	free(km);
	free(shipped);
	free(user);
	return NULL;
}

bool keymap_apply_file(struct keymap *base, const char *path, struct err *err)
{
	return km_apply_path(base, path, ORIGIN_USER, 0, err);
}

bool keymap_apply_string(struct keymap *base, const char *label, const char *text, size_t len,
			 struct err *err)
{
	struct ydoc *doc = ydoc_load_string(label, text, len, err);
	bool ok;

	if (!doc)
		return false;
	ok = km_apply_doc(base, doc, ORIGIN_STRING, 0, err);
	ydoc_free(doc);
	return ok;
}

void keymap_free(struct keymap *km)
{
	free(km);
}

const char *keymap_name(const struct keymap *km)
{
	return km->name;
}

static enum action lookup_in(const struct keymap *km, enum action_scope scope, keycode k)
{
	for (int a = 0; a < ACTION_COUNT; a++) {
		if (action_info((enum action)a)->scope == scope &&
		    action_has_key(km, (enum action)a, k))
			return (enum action)a;
	}
	return ACTION_NONE;
}

enum action keymap_lookup(const struct keymap *km, enum action_scope scope, keycode k)
{
	enum action a;

	if (!km || k == KC_NONE || scope < 0 || scope >= SCOPE_COUNT)
		return ACTION_NONE;
	/* The narrowest scope first, though a loaded map never has a clash. */
	a = lookup_in(km, scope, k);
	if (a == ACTION_NONE && scope != SCOPE_LIST && scope != SCOPE_GLOBAL)
		a = lookup_in(km, SCOPE_LIST, k);
	if (a == ACTION_NONE && scope != SCOPE_GLOBAL)
		a = lookup_in(km, SCOPE_GLOBAL, k);
	return a;
}

size_t keymap_keys(const struct keymap *km, enum action a, keycode *out, size_t max)
{
	size_t n;

	if (!km || a < 0 || a >= ACTION_COUNT)
		return 0;
	n = km->nkeys[a] < max ? km->nkeys[a] : max;
	for (size_t i = 0; i < n; i++)
		out[i] = km->keys[a][i];
	return n;
}

void keymap_describe(const struct keymap *km, enum action a, char *buf, size_t bufsz)
{
	size_t off = 0;

	if (!buf || bufsz == 0)
		return;
	buf[0] = '\0';
	if (!km || a < 0 || a >= ACTION_COUNT)
		return;
	for (size_t i = 0; i < km->nkeys[a]; i++) {
		char name[48];
		int n;

		key_format(km->keys[a][i], name, sizeof(name));
		n = snprintf(buf + off, bufsz - off, "%s%s", i ? ", " : "", name);
		if (n < 0 || (size_t)n >= bufsz - off)
			return; /* truncated, still terminated */
		off += (size_t)n;
	}
}
