/* UTF-8 read as RFC 3629 has it: no overlong forms, no surrogates, nothing
 * past U+10FFFF. The one reader of sequences for the log splitter, the
 * table widths, text escaping and the names a broker takes. */
#ifndef OPSDECK_SRC_UTF8_H
#define OPSDECK_SRC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The valid sequence at s (n >= 1 bytes left): its length, its code point
 * in *cp (may be NULL). 0 when s starts none; then *incomplete (may be
 * NULL) says whether it is a valid start cut short by the end. Bytes are
 * read only while they are valid, so a NUL-terminated string may be read
 * with n = 4. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp, bool *incomplete);
/* Whether all n bytes are valid UTF-8. */
bool utf8_valid(const unsigned char *s, size_t n);

#endif
