/* libFuzzer target: theme files and colour names. A theme either loads with
 * every colour in range, or fails with a `label:line:column:` message and
 * leaves the theme untouched. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_color_name(const uint8_t *data, size_t size)
{
	char name[32];
	int16_t c;

	if (size >= sizeof(name) || memchr(data, 0, size))
		return;
	memcpy(name, data, size);
	name[size] = '\0';
	if (theme_parse_color(name, &c)) {
		int b = theme_color_to8(c);

		if (c < THEME_COLOR_DEFAULT || c > 255 || b < THEME_COLOR_DEFAULT || b > 7)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct theme builtin;
	static int ready;
	struct theme t;
	struct err err = { "" };

	if (!ready) {
		theme_builtin(&builtin);
		ready = 1;
	}
	check_color_name(data, size);
	t = builtin;
	if (!theme_load_string("fuzz.yaml", (const char *)data, size, &t, &err)) {
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0 ||
		    memcmp(&t, &builtin, sizeof(t)) != 0)
			abort();
		return 0;
	}
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_style *s = &t.styles[r];

		if (s->fg < THEME_COLOR_DEFAULT || s->fg > 255 || s->bg < THEME_COLOR_DEFAULT ||
		    s->bg > 255 || s->attrs > 0x3f)
			abort();
	}
	return 0;
}
