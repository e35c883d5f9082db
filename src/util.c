#include "config.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void (*fatal_hook)(void);

void fatal_set_hook(void (*fn)(void))
{
	fatal_hook = fn;
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook)
		fatal_hook();
	fputs("opsdeck: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		fatal("out of memory allocating %zu bytes", size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		fatal("out of memory reallocating %zu bytes", size);
	return q;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap && p)
		return p;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			fatal("array too large");
		n *= 2;
	}
	if (n > SIZE_MAX / sz)
		fatal("array too large");
	p = xrealloc(p, n * sz);
	*cap = n;
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	char *p;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		fatal("bad format string");
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void x_free_impl(void **p)
{
	free(*p);
	*p = NULL;
}

void err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void err_clear(struct err *e)
{
	if (e)
		e->msg[0] = '\0';
}

bool str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return false;
	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *str_casestr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return hay;
	for (; *hay; hay++) {
		size_t i = 0;

		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return hay;
	}
	return NULL;
}

bool str_to_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

void str_age(long s, char *buf, size_t bufsz)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, bufsz, "%lds", s);
	else if (s < 7200)
		snprintf(buf, bufsz, "%ldm", s / 60);
	else if (s < 172800)
		snprintf(buf, bufsz, "%ldh", s / 3600);
	else
		snprintf(buf, bufsz, "%ldd", s / 86400);
}

void mem_copy_clean(char *dst, size_t dstsz, const char *src, size_t len)
{
	size_t n = 0;

	if (!dstsz)
		return;
	for (size_t i = 0; src && i < len && src[i] && n + 1 < dstsz; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[n++] = (c < ' ' || c == 0x7f) ? ' ' : (char)c;
	}
	dst[n] = '\0';
}

int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void str_copy_clean(char *dst, size_t dstsz, const char *src)
{
	mem_copy_clean(dst, dstsz, src, SIZE_MAX);
}
