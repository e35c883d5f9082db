/* libFuzzer target: terminal input through the escape sequence parser.
 * Any bytes: the parser never reads or writes outside its buffer, every
 * key it answers is a character or a named key (with Alt at most), a
 * sequence it answers ends it, and the wait running out always leaves it
 * idle. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "keyseq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_key(keycode k)
{
	keycode base = k & ~(keycode)KEY_MOD_ALT;

	if (base == KC_NONE || base >= KC_NAMED_END)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyseq s = { .n = 0 };
	keycode k;

	for (size_t i = 0; i < size; i++) {
		enum keyseq_result r;

		/* a byte of 0xff stands for the wait running out */
		if (data[i] == 0xff) {
			k = KC_NONE;
			if (keyseq_expire(&s, &k) == KEYSEQ_KEY)
				check_key(k);
			if (keyseq_active(&s))
				abort();
			continue;
		}
		k = KC_NONE;
		r = keyseq_feed(&s, data[i], &k);
		if (r == KEYSEQ_KEY)
			check_key(k);
		if (r != KEYSEQ_MORE && keyseq_active(&s))
			abort();
		if (s.n > KEYSEQ_MAX)
			abort();
	}
	return 0;
}
