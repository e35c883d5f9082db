#include "config.h"

#include "utf8.h"

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp, bool *incomplete)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	uint32_t v;
	size_t need;

	if (incomplete)
		*incomplete = false;
	if (c < 0x80) {
		if (cp)
			*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		v = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		v = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		v = c & 0x07u;
	} else {
		return 0;
	}
	/* the second byte's range rules out overlong forms, surrogates and
	 * code points past U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t k = 1; k < need; k++) {
		if (k >= n) {
			if (incomplete)
				*incomplete = true;
			return 0;
		}
		if (s[k] < (k == 1 ? lo : 0x80) || s[k] > (k == 1 ? hi : 0xbf))
			return 0;
		v = v << 6 | (s[k] & 0x3fu);
	}
	if (cp)
		*cp = v;
	return need;
}

bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_decode(s + i, n - i, NULL, NULL);
		if (!k)
			return false;
	}
	return true;
}
