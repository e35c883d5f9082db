/* libFuzzer target: key map files and key names. A file either applies on
 * top of the built-in map, leaving a map without clashes, or fails with a
 * `label:line:column:` message and leaves the map as it was. The input as a
 * key name must survive key_parse -> key_format -> key_parse. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void snapshot(const struct keymap *km, keycode keys[ACTION_COUNT][KEYMAP_MAX_KEYS],
		     size_t n[ACTION_COUNT])
{
	memset(keys, 0, sizeof(keycode) * ACTION_COUNT * KEYMAP_MAX_KEYS);
	for (int a = 0; a < ACTION_COUNT; a++)
		n[a] = keymap_keys(km, (enum action)a, keys[a], KEYMAP_MAX_KEYS);
}

static void check_key_name(const uint8_t *data, size_t size)
{
	char name[64], buf[64];
	keycode k, k2;

	if (size >= sizeof(name) || memchr(data, 0, size))
		return;
	memcpy(name, data, size);
	name[size] = '\0';
	if (!key_parse(name, &k))
		return;
	key_format(k, buf, sizeof(buf));
	if (!key_parse(buf, &k2) || k2 != k)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static keycode before[ACTION_COUNT][KEYMAP_MAX_KEYS], after[ACTION_COUNT][KEYMAP_MAX_KEYS];
	static size_t nbefore[ACTION_COUNT], nafter[ACTION_COUNT];
	struct keymap *km = keymap_builtin();
	struct err err = { "" };

	check_key_name(data, size);
	snapshot(km, before, nbefore);
	if (!keymap_apply_string(km, "fuzz.yaml", (const char *)data, size, &err)) {
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
			abort();
		snapshot(km, after, nafter);
		if (memcmp(before, after, sizeof(before)) != 0 ||
		    memcmp(nbefore, nafter, sizeof(nbefore)) != 0)
			abort();
	} else {
		/* Whatever the file did, a key means one thing wherever it is looked up. */
		for (int a = 0; a < ACTION_COUNT; a++) {
			keycode keys[KEYMAP_MAX_KEYS];
			size_t n = keymap_keys(km, (enum action)a, keys, KEYMAP_MAX_KEYS);
			enum action_scope s = action_info((enum action)a)->scope;

			for (size_t i = 0; i < n; i++) {
				if (keymap_lookup(km, s == SCOPE_GLOBAL ? SCOPE_PANE_STORES : s,
						  keys[i]) != (enum action)a)
					abort();
			}
		}
	}
	keymap_free(km);
	return 0;
}
