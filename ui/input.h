/* Terminal input to keycodes (keymap.h). Alt arrives as ESC followed by the
 * key (always so over SSH): an ESC with nothing after it is held briefly and
 * becomes a plain Esc only if no key follows within ESC_WAIT_MS. */
#ifndef OPSDECK_UI_INPUT_H
#define OPSDECK_UI_INPUT_H

#include <stdbool.h>

#include "keymap.h"

#define INPUT_ESC_WAIT_MS 30

enum input_kind {
	INPUT_NONE,   /* nothing buffered (or an ESC is pending) */
	INPUT_KEY,    /* *key holds a key */
	INPUT_RESIZE, /* the terminal changed size */
	INPUT_MOUSE,  /* *key: KC_UP/KC_DOWN (wheel) or KC_ENTER (double click); *row the line */
};

struct input {
	bool esc_pending;
};

/* Reads one event without blocking. */
enum input_kind input_read(struct input *in, keycode *key, int *row);
/* Called when the ESC wait has passed: true (and *key = Esc) if one was held. */
bool input_flush_esc(struct input *in, keycode *key);

#endif
