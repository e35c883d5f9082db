#include "config.h"

#include "theme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "embedded.h"
#include "paths.h"
#include "yamldoc.h"

/* `extends` chains longer than this are cycles. */
#define THEME_MAX_DEPTH 8

static const char *const role_names[ROLE_COUNT] = {
#define ROLE_NAME(id, name) name,
	THEME_ROLE_LIST(ROLE_NAME)
#undef ROLE_NAME
};

static const char *const color_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow", "bright-blue",
	"bright-magenta", "bright-cyan", "bright-white",
};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
	{ "bold", THEME_BOLD }, { "dim", THEME_DIM }, { "underline", THEME_UNDERLINE },
	{ "reverse", THEME_REVERSE }, { "italic", THEME_ITALIC }, { "standout", THEME_STANDOUT },
};

const char *theme_role_name(enum theme_role r)
{
	if (r < 0 || r >= ROLE_COUNT)
		return "?";
	return role_names[r];
}

bool theme_role_by_name(const char *name, enum theme_role *out)
{
	for (int r = 0; r < ROLE_COUNT; r++) {
		if (strcmp(role_names[r], name) == 0) {
			*out = (enum theme_role)r;
			return true;
		}
	}
	return false;
}

/* ---- colours ---- */

/* The xterm 256-colour palette: 16..231 a 6x6x6 cube, 232..255 greys. */
static const int cube_levels[6] = { 0, 95, 135, 175, 215, 255 };

static void color_rgb(int c, int rgb[3])
{
	/* The 16 basic colours as xterm shows them. */
	static const int basic[16][3] = {
		{ 0, 0, 0 }, { 205, 0, 0 }, { 0, 205, 0 }, { 205, 205, 0 },
		{ 0, 0, 238 }, { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 },
		{ 127, 127, 127 }, { 255, 0, 0 }, { 0, 255, 0 }, { 255, 255, 0 },
		{ 92, 92, 255 }, { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
	};

	if (c < 16) {
		memcpy(rgb, basic[c], sizeof(basic[c]));
	} else if (c < 232) {
		c -= 16;
		rgb[0] = cube_levels[c / 36];
		rgb[1] = cube_levels[(c / 6) % 6];
		rgb[2] = cube_levels[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

static long dist2(const int a[3], const int b[3])
{
	long d = 0;

	for (int i = 0; i < 3; i++)
		d += (long)(a[i] - b[i]) * (a[i] - b[i]);
	return d;
}

/* Nearest palette entry in [from, to] to an RGB value. */
static int nearest(const int rgb[3], int from, int to)
{
	int best = from;
	long bestd = -1;

	for (int c = from; c <= to; c++) {
		int p[3];
		long d;

		color_rgb(c, p);
		d = dist2(rgb, p);
		if (bestd < 0 || d < bestd) {
			best = c;
			bestd = d;
		}
	}
	return best;
}

bool theme_parse_color(const char *s, int16_t *out)
{
	long n;

	if (!s)
		return false;
	if (strcasecmp(s, "default") == 0) {
		*out = THEME_COLOR_DEFAULT;
		return true;
	}
	for (int i = 0; i < 16; i++) {
		if (strcasecmp(s, color_names[i]) == 0) {
			*out = (int16_t)i;
			return true;
		}
	}
	if (s[0] == '#') {
		int rgb[3];

		if (strlen(s) != 7)
			return false;
		for (int i = 0; i < 3; i++) {
			int hi = hex_digit_value(s[1 + 2 * i]), lo = hex_digit_value(s[2 + 2 * i]);

			if (hi < 0 || lo < 0)
				return false;
			rgb[i] = hi * 16 + lo;
		}
		/* 0..15 are whatever the terminal's palette says: only 16..255 are
		 * fixed colours. */
		*out = (int16_t)nearest(rgb, 16, 255);
		return true;
	}
	if (s[0] >= '0' && s[0] <= '9' && str_to_long(s, 0, 255, &n)) {
		*out = (int16_t)n;
		return true;
	}
	return false;
}

int theme_color_to8(int c)
{
	int rgb[3];

	if (c < 0 || c > 255)
		return THEME_COLOR_DEFAULT;
	if (c < 8)
		return c;
	if (c < 16)
		return c - 8;
	color_rgb(c, rgb);
	return nearest(rgb, 0, 7);
}

void theme_style_to8(const struct theme_style *in, struct theme_style *out)
{
	*out = *in;
	out->fg = (int16_t)theme_color_to8(in->fg);
	out->bg = (int16_t)theme_color_to8(in->bg);
	/* Two nearby shades can fall on one basic colour: keep the text readable. */
	if (out->fg >= 0 && out->fg == out->bg)
		out->fg = (out->bg == 0 || out->bg == 4 || out->bg == 1 || out->bg == 5) ? 7 : 0;
}

/* ---- files ---- */

/* A role as one file writes it; missing fields come from `normal` later. */
struct role_spec {
	bool given, has_fg, has_bg;
	struct theme_style st;
};

static bool parse_color_node(const struct ydoc *doc, const struct ynode *n, const char *role,
			     const char *field, int16_t *out, struct err *err)
{
	if (n->type != YNODE_SCALAR || !theme_parse_color(n->scalar, out))
		return ydoc_error(doc, n, err,
				  "%s.%s: unknown colour%s%.64s%s (use default, a name such as "
				  "red or bright-blue, 0..255 or \"#rrggbb\")",
				  role, field, n->type == YNODE_SCALAR ? " '" : "",
				  n->type == YNODE_SCALAR ? n->scalar : "",
				  n->type == YNODE_SCALAR ? "'" : "");
	return true;
}

static bool parse_attrs(const struct ydoc *doc, const struct ynode *n, const char *role,
			unsigned *out, struct err *err)
{
	const struct ynode *const *items;
	size_t len;

	*out = 0;
	if (n->type == YNODE_MAP)
		return ydoc_error(doc, n, err, "%s.attrs: expected a list of attributes", role);
	if (n->type == YNODE_SCALAR) {
		if (ynode_is_null(n))
			return true;
		items = (const struct ynode *const *)&n;
		len = 1;
	} else {
		items = (const struct ynode *const *)n->items;
		len = n->len;
	}
	for (size_t i = 0; i < len; i++) {
		const struct ynode *it = items[i];
		bool found = false;

		for (size_t j = 0; it->type == YNODE_SCALAR && j < ARRAY_LEN(attr_names); j++) {
			if (strcmp(it->scalar, attr_names[j].name) == 0) {
				*out |= attr_names[j].bit;
				found = true;
			}
		}
		if (!found)
			return ydoc_error(doc, it, err,
					  "%s.attrs: unknown attribute%s%.64s%s (use bold, dim, "
					  "underline, reverse, italic or standout)",
					  role, it->type == YNODE_SCALAR ? " '" : "",
					  it->type == YNODE_SCALAR ? it->scalar : "",
					  it->type == YNODE_SCALAR ? "'" : "");
	}
	return true;
}

static bool parse_role(const struct ydoc *doc, const struct ynode *n, const char *role,
		       struct role_spec *spec, struct err *err)
{
	spec->given = true;
	spec->st.fg = spec->st.bg = THEME_COLOR_DEFAULT;
	spec->st.attrs = 0;
	if (ynode_is_null(n))
		return true; /* `role:` alone: plain normal */
	if (n->type != YNODE_MAP)
		return ydoc_error(doc, n, err,
				  "%s: expected a mapping such as { fg: white, bg: blue }", role);
	for (size_t i = 0; i < n->len; i++) {
		const struct ynode *k = n->keys[i], *v = n->items[i];

		if (strcmp(k->scalar, "fg") == 0) {
			if (!parse_color_node(doc, v, role, "fg", &spec->st.fg, err))
				return false;
			spec->has_fg = true;
		} else if (strcmp(k->scalar, "bg") == 0) {
			if (!parse_color_node(doc, v, role, "bg", &spec->st.bg, err))
				return false;
			spec->has_bg = true;
		} else if (strcmp(k->scalar, "attrs") == 0) {
			if (!parse_attrs(doc, v, role, &spec->st.attrs, err))
				return false;
		} else {
			return ydoc_error(doc, k, err,
					  "%s: unknown field '%.64s' (use fg, bg, attrs)", role,
					  k->scalar);
		}
	}
	return true;
}

enum theme_origin { THEME_FROM_FILE, THEME_FROM_STRING };

static bool theme_load_named(const char *name, struct theme *t, int depth, const char *exclude,
			     struct err *err);

/* Parses doc on top of a default (or its `extends`) into t; t changes only on
 * success. */
static bool theme_apply_doc(const struct ydoc *doc, enum theme_origin origin, int depth,
			    struct theme *t, struct err *err)
{
	const struct ynode *root = doc->root;
	const struct ynode *styles = NULL;
	struct role_spec *spec = xcalloc(ROLE_COUNT, sizeof(*spec));
	struct theme *out = xcalloc(1, sizeof(*out));
	bool ok = false;

	for (int r = 0; r < ROLE_COUNT; r++) {
		out->styles[r].fg = out->styles[r].bg = THEME_COLOR_DEFAULT;
		out->styles[r].attrs = 0;
	}
	if (!root)
		goto resolve;
	if (root->type != YNODE_MAP) {
		ydoc_error(doc, root, err, "expected a mapping with 'styles'");
		goto done;
	}
	for (size_t i = 0; i < root->len; i++) {
		const struct ynode *k = root->keys[i], *v = root->items[i];

		if (strcmp(k->scalar, "extends") == 0) {
			if (v->type != YNODE_SCALAR || !paths_valid_name(v->scalar)) {
				ydoc_error(doc, v, err, "extends: expected a theme name");
				goto done;
			}
			if (origin == THEME_FROM_STRING) {
				ydoc_error(doc, v, err, "extends is not allowed here");
				goto done;
			}
			if (depth >= THEME_MAX_DEPTH) {
				ydoc_error(doc, v, err, "extends: chain too long (a cycle?)");
				goto done;
			}
			if (!theme_load_named(v->scalar, out, depth + 1, doc->path, err)) {
				if (!err_isset(err))
					ydoc_error(doc, v, err, "no theme named '%s'", v->scalar);
				goto done;
			}
		} else if (strcmp(k->scalar, "styles") == 0) {
			if (v->type != YNODE_MAP && !ynode_is_null(v)) {
				ydoc_error(doc, v, err,
					   "styles: expected a mapping of role: style");
				goto done;
			}
			styles = v;
		} else if (strcmp(k->scalar, "name") == 0 ||
			   strcmp(k->scalar, "description") == 0) {
			if (v->type != YNODE_SCALAR) {
				ydoc_error(doc, v, err, "%s: expected text", k->scalar);
				goto done;
			}
		} else {
			ydoc_error(doc, k, err,
				   "unknown field '%.64s' (use extends, styles, name, description)",
				   k->scalar);
			goto done;
		}
	}
	for (size_t i = 0; styles && styles->type == YNODE_MAP && i < styles->len; i++) {
		const struct ynode *k = styles->keys[i];
		enum theme_role r;

		if (!theme_role_by_name(k->scalar, &r)) {
			ydoc_error(doc, k, err, "unknown role '%.64s'", k->scalar);
			goto done;
		}
		if (!parse_role(doc, styles->items[i], k->scalar, &spec[r], err))
			goto done;
	}

resolve:
	/* normal first: every other role falls back on it. */
	if (spec[ROLE_NORMAL].given) {
		out->styles[ROLE_NORMAL] = spec[ROLE_NORMAL].st;
		out->set[ROLE_NORMAL] = true;
	}
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_style *normal = &out->styles[ROLE_NORMAL];

		if (r == ROLE_NORMAL)
			continue;
		if (spec[r].given) {
			out->styles[r] = spec[r].st;
			if (!spec[r].has_fg)
				out->styles[r].fg = normal->fg;
			if (!spec[r].has_bg)
				out->styles[r].bg = normal->bg;
			out->set[r] = true;
		} else if (!out->set[r]) {
			out->styles[r] = *normal;
			out->styles[r].attrs = normal->attrs;
		}
	}
	memcpy(out->name, t->name, sizeof(out->name));
	*t = *out;
	ok = true;
done:
	free(spec);
	free(out);
	return ok;
}

static bool theme_apply_path(const char *path, int depth, struct theme *t, struct err *err)
{
	struct ydoc *doc = ydoc_load_file(path, err);
	bool ok;

	if (!doc)
		return false;
	ok = theme_apply_doc(doc, THEME_FROM_FILE, depth, t, err);
	ydoc_free(doc);
	return ok;
}

/* The file's stem names the theme. */
static void name_from_path(const char *path, char *name, size_t namesz)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	if (len >= namesz)
		len = namesz - 1;
	memcpy(name, base, len);
	name[len] = '\0';
}

static bool theme_builtin_into(struct theme *t, struct err *err)
{
	const struct embedded_file *f = embedded_find("themes/default.yaml");
	struct ydoc *doc;
	bool ok;

	if (!f) {
		err_set(err, "the built-in theme is missing");
		return false;
	}
	doc = ydoc_load_string("(built-in) themes/default.yaml", f->data, f->len, err);
	if (!doc)
		return false;
	ok = theme_apply_doc(doc, THEME_FROM_STRING, 0, t, err);
	ydoc_free(doc);
	if (ok)
		str_copy(t->name, sizeof(t->name), "default");
	return ok;
}

/* Finds theme name (user file first) skipping exclude, the file asking for it. */
static bool theme_load_named(const char *name, struct theme *t, int depth, const char *exclude,
			     struct err *err)
{
	char *path = paths_find_data("themes", name, false);
	struct theme tmp = *t;
	bool ok;

	if (path && exclude && strcmp(path, exclude) == 0) {
		free(path);
		path = paths_find_data("themes", name, true);
		if (path && strcmp(path, exclude) == 0)
			x_free(&path);
	}
	if (path)
		ok = theme_apply_path(path, depth, &tmp, err);
	else if (strcmp(name, "default") == 0)
		ok = theme_builtin_into(&tmp, err);
	else
		ok = false; /* the caller names the missing theme */
	free(path);
	if (ok) {
		str_copy(tmp.name, sizeof(tmp.name), name);
		*t = tmp;
	}
	return ok;
}

void theme_builtin(struct theme *t)
{
	struct err err = { "" };

	if (!theme_builtin_into(t, &err))
		fatal("%s", err.msg);
}

bool theme_load(const char *name, struct theme *t, struct err *err)
{
	if (!name || !paths_valid_name(name)) {
		err_set(err, "'%.64s' is not a theme name (letters, digits, '-' or '_')",
			name ? name : "");
		return false;
	}
	if (!theme_load_named(name, t, 0, NULL, err)) {
		if (!err_isset(err))
			err_set(err, "no theme named '%s'", name);
		return false;
	}
	return true;
}

bool theme_load_file(const char *path, struct theme *t, struct err *err)
{
	struct theme tmp = *t;

	if (!theme_apply_path(path, 0, &tmp, err))
		return false;
	name_from_path(path, tmp.name, sizeof(tmp.name));
	*t = tmp;
	return true;
}

bool theme_load_string(const char *label, const char *text, size_t len, struct theme *t,
		       struct err *err)
{
	struct ydoc *doc = ydoc_load_string(label, text, len, err);
	bool ok;

	if (!doc)
		return false;
	ok = theme_apply_doc(doc, THEME_FROM_STRING, 0, t, err);
	ydoc_free(doc);
	return ok;
}
