/* Terminal input to keycodes (keymap.h). curses decodes the sequences its
 * terminfo entry knows; what follows an ESC otherwise goes through keyseq
 * (src/keyseq.h): escape sequences are read whole (Home as PuTTY and tmux
 * send it is Home, an unknown sequence is dropped, never Esc and keys), and
 * Alt arrives as ESC followed by the key (always so over SSH). An ESC with
 * nothing after it is held briefly and becomes a plain Esc only if no key
 * follows within INPUT_ESC_WAIT_MS. */
#ifndef OPSDECK_UI_INPUT_H
#define OPSDECK_UI_INPUT_H

#include <stdbool.h>

#include "keymap.h"
#include "keyseq.h"

#define INPUT_ESC_WAIT_MS 30

enum input_kind {
	INPUT_NONE,   /* nothing buffered (or an ESC is pending) */
	INPUT_KEY,    /* *key holds a key */
	INPUT_RESIZE, /* the terminal changed size */
	INPUT_MOUSE,  /* *key: KC_UP/KC_DOWN (wheel) or KC_ENTER (double click); *row the line */
};

struct input {
	struct keyseq seq; /* after an ESC: what came so far */
};

/* Reads one event without blocking. */
enum input_kind input_read(struct input *in, keycode *key, int *row);
/* Is an ESC (or a sequence begun with one) held, waiting for more? */
bool input_pending(const struct input *in);
/* Called when the ESC wait has passed: true (and *key set: Esc, or Alt and
 * a key) if what was held is a key; a sequence cut short is dropped. */
bool input_flush_esc(struct input *in, keycode *key);

#endif
