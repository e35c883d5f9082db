/* Keys and key maps. A key map binds each action (actions.h) to a list of
 * keys; it knows nothing of curses: the console translates terminal input to
 * keycodes and asks which action a key means in the current scope.
 *
 * Key names, as written in keymaps/NAME.yaml and shown by help:
 *   a  A  ?  :  é          a character (quote YAML specials: "?" ":" "#")
 *   C-a  Ctrl-a            control + letter (C-a .. C-z, also C-[ C-] etc.)
 *   M-x  Alt-x             Alt: also what arrives as ESC x over SSH
 *   Space Tab S-Tab BackTab Enter Esc Backspace Delete Insert
 *   Up Down Left Right PgUp PgDn (PageUp PageDown) Home End F1..F12
 * Names are case-sensitive for characters, case-insensitive for the named
 * keys ("pgup" = "PgUp"). key_format() gives the canonical spelling.
 *
 * A key map file (YAML mapping):
 *   extends: default        # optional base map (shipped or user)
 *   quit: [q, C-c]          # action: list of keys (or a single key)
 *   cursor.left: disabled   # unbind every key of an action ([] too)
 *
 * Loading NAME: the shipped keymaps/NAME.yaml (with its extends chain), then
 * the user's $XDG_CONFIG_HOME/opsdeck/keymaps/NAME.yaml on top, action by
 * action. A user binding takes its key away from any other action that would
 * clash with it (see actions.h for scopes). Within one file, a key bound
 * twice in clashing scopes is an error. A file's `extends` replaces the base
 * it is applied to; in a user file it names a map as keymap_load() builds
 * it, except its own name, which means the shipped map. A user map with no
 * shipped file of its name starts from the built-in default. Errors are `file:line:column: what`;
 * on an error in the user file, the shipped map is used unchanged and the
 * error is returned as a warning. */
#ifndef OPSDECK_SRC_KEYMAP_H
#define OPSDECK_SRC_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actions.h"
#include "util.h"

typedef uint32_t keycode;

/* Characters are their Unicode code point; control keys are 1..31; named
 * keys live above Unicode; KEY_MOD_ALT is or'ed in for Alt. */
enum {
	KC_NONE = 0,
	KC_TAB = 9,
	KC_ESC = 27,
	KC_SPACE = 32,
	KC_NAMED = 0x110000,
	KC_ENTER = KC_NAMED,
	KC_BACKTAB,
	KC_BACKSPACE,
	KC_DELETE,
	KC_INSERT,
	KC_UP,
	KC_DOWN,
	KC_LEFT,
	KC_RIGHT,
	KC_PGUP,
	KC_PGDN,
	KC_HOME,
	KC_END,
	KC_F1,
	KC_F12 = KC_F1 + 11,
	KC_NAMED_END,
	KEY_MOD_ALT = 1u << 24,
};

#define KEY_CTRL(c) ((keycode)((c) & 0x1f))

/* Parses a key name; false if it is not one. */
bool key_parse(const char *name, keycode *out);
/* Canonical name of k into buf (always terminated). */
void key_format(keycode k, char *buf, size_t bufsz);

#define KEYMAP_MAX_KEYS 8

struct keymap;

/* The built-in default, compiled in: used when no file can be read. */
struct keymap *keymap_builtin(void);
/* Loads map NAME as described above. Returns NULL with err set if the shipped
 * map cannot be loaded (unknown name, or a bad shipped file). If the user's
 * file is bad, returns the map without it and sets warn. */
struct keymap *keymap_load(const char *name, struct err *err, struct err *warn);
/* Loads one file on top of base (which is modified only on success). */
bool keymap_apply_file(struct keymap *base, const char *path, struct err *err);
/* The same for text held in memory (label names it in messages); `extends`
 * is refused here, since it would read files. */
bool keymap_apply_string(struct keymap *base, const char *label, const char *text, size_t len,
			 struct err *err);
void keymap_free(struct keymap *km);
const char *keymap_name(const struct keymap *km);

/* The action key k triggers in scope (GLOBAL and LIST are consulted too when
 * scope is a pane), or ACTION_NONE. */
enum action keymap_lookup(const struct keymap *km, enum action_scope scope, keycode k);
/* Keys bound to a; returns how many (at most KEYMAP_MAX_KEYS). */
size_t keymap_keys(const struct keymap *km, enum action a, keycode *out, size_t max);
/* "q, C-c" or "" if unbound, for help and hints. */
void keymap_describe(const struct keymap *km, enum action a, char *buf, size_t bufsz);

#endif
