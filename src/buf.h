/* A growable byte buffer, always NUL-terminated, for text built piece by
 * piece (requests, rendered lines, messages) without fixed-size truncation. */
#ifndef OPSDECK_SRC_BUF_H
#define OPSDECK_SRC_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util.h"

struct buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Room for extra more bytes and the NUL after them: a caller that builds
 * a piece of known size writes it at data + len, then adds it to len and
 * puts the NUL. */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) ATTR_FORMAT(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) ATTR_FORMAT(2, 0);
/* Drops the first n bytes (consumed input). */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Returns the contents ("" if empty) and leaves the buffer empty; caller frees. */
char *buf_steal(struct buf *b);
/* Contents as a string; "" for an empty buffer. */
const char *buf_str(const struct buf *b);

#endif
