/* Text from outside made safe to show: see textesc.h. */
#include "config.h"

#include "textesc.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes) that may be
 * shown as it is, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k = utf8_decode(s, n, &cp, NULL);

	/* C1 controls (U+0080..U+009F) move terminals as C0 ones do */
	return k == 2 && cp < 0xa0 ? 0 : k;
}

/* The letter of a byte's short escape (\n, \t, \r, \\), or 0 for \xNN. */
static char escape_letter(unsigned char c)
{
	switch (c) {
	case '\n':
		return 'n';
	case '\t':
		return 't';
	case '\r':
		return 'r';
	case '\\':
		return '\\';
	default:
		return 0;
	}
}

bool text_escape(const char *s, size_t len, size_t max, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0, i = 0;

	while (i < len) {
		char piece[8];
		size_t plen, step;
		size_t u = utf8_len(p + i, len - i);

		if (u == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\') {
			piece[0] = (char)p[i];
			plen = 1;
			step = 1;
		} else if (u > 1) {
			memcpy(piece, p + i, u);
			plen = u;
			step = u;
		} else {
			char letter = escape_letter(p[i]);

			step = 1;
			if (letter) {
				piece[0] = '\\';
				piece[1] = letter;
				plen = 2;
			} else {
				snprintf(piece, sizeof(piece), "\\x%02x", p[i]);
				plen = 4;
			}
		}
		if (used + plen > max) {
			buf_puts(out, "...");
			return true;
		}
		buf_append(out, piece, plen);
		used += plen;
		i += step;
	}
	return false;
}
