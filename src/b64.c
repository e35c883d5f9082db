#include "config.h"

#include "b64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* A malformed value may still hold decoded secret bytes: wiped, not just
 * freed. */
static bool reject(unsigned char *dst, size_t cap)
{
	explicit_bzero(dst, cap);
	free(dst);
	return false;
}

bool b64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen)
{
	size_t cap = len / 4 * 3 + 4;
	unsigned char *dst = xmalloc(cap);
	size_t n = 0, pad = 0, digits = 0;
	uint32_t acc = 0;

	*out = NULL;
	*outlen = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		int v;

		if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		/* Data after padding is malformed, not a second chunk. */
		if (pad > 0 || (v = b64_value(c)) < 0)
			return reject(dst, cap);
		acc = acc << 6 | (uint32_t)v;
		if (++digits % 4 == 0) {
			dst[n++] = (unsigned char)(acc >> 16);
			dst[n++] = (unsigned char)(acc >> 8);
			dst[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (digits % 4) {
	case 0:
		break;
	case 1: /* six bits cannot make a byte */
		return reject(dst, cap);
	case 2:
		dst[n++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		dst[n++] = (unsigned char)(acc >> 10);
		dst[n++] = (unsigned char)(acc >> 2);
		break;
	}
	if (pad > 2 || (pad > 0 && (digits + pad) % 4 != 0))
		return reject(dst, cap);
	dst[n] = '\0';
	*out = dst;
	*outlen = n;
	return true;
}

size_t b64_decode_prefix(const char *text, size_t len, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < len && n < cap; i++) {
		int v;

		if (text[i] == '\n' || text[i] == '\r')
			continue;
		v = b64_value((unsigned char)text[i]);
		if (v < 0)
			break;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

char *b64_encode(const unsigned char *data, size_t len)
{
	char *dst = xmalloc((len + 2) / 3 * 4 + 1);
	size_t n = 0, i = 0;

	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];

		dst[n++] = alphabet[v >> 18 & 63];
		dst[n++] = alphabet[v >> 12 & 63];
		dst[n++] = alphabet[v >> 6 & 63];
		dst[n++] = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)data[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		dst[n++] = alphabet[v >> 18 & 63];
		dst[n++] = alphabet[v >> 12 & 63];
		dst[n++] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		dst[n++] = '=';
	}
	dst[n] = '\0';
	return dst;
}
