/* Allocation wrappers, error values and small string helpers shared by every
 * module. Allocation failure is not recoverable here: the wrappers report it
 * and abort, so callers never test for NULL. Recoverable failures (I/O, input)
 * return a status and fill a struct err the caller can show. */
#ifndef OPSDECK_SRC_UTIL_H
#define OPSDECK_SRC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define ATTR_MALLOC __attribute__((malloc))
#define ATTR_ALLOC_SIZE(...) __attribute__((alloc_size(__VA_ARGS__)))
#define ATTR_NONNULL_RET __attribute__((returns_nonnull))
#define ATTR_FORMAT(a, b) __attribute__((format(printf, a, b)))
#define ATTR_NORETURN __attribute__((noreturn))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t size) ATTR_MALLOC ATTR_ALLOC_SIZE(1) ATTR_NONNULL_RET;
void *xcalloc(size_t n, size_t size) ATTR_MALLOC ATTR_ALLOC_SIZE(1, 2) ATTR_NONNULL_RET;
void *xrealloc(void *p, size_t size) ATTR_ALLOC_SIZE(2) ATTR_NONNULL_RET;
/* Grows an array of n elements of size sz to at least need elements. */
void *xgrow(void *p, size_t *cap, size_t need, size_t sz) ATTR_NONNULL_RET;
char *xstrdup(const char *s) ATTR_MALLOC ATTR_NONNULL_RET;
char *xstrndup(const char *s, size_t n) ATTR_MALLOC ATTR_NONNULL_RET;
char *xasprintf(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_MALLOC ATTR_NONNULL_RET;
char *xvasprintf(const char *fmt, va_list ap) ATTR_FORMAT(1, 0) ATTR_MALLOC ATTR_NONNULL_RET;

/* Frees *p and sets it to NULL. */
#define x_free(pp) x_free_impl((void **)(pp))
void x_free_impl(void **p);

void fatal(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_NORETURN;

/* A recoverable error: a sentence for a person. */
struct err {
	char msg[512];
};
void err_set(struct err *e, const char *fmt, ...) ATTR_FORMAT(2, 3);
void err_clear(struct err *e);
static inline bool err_isset(const struct err *e) { return e && e->msg[0] != '\0'; }

/* Bounded copy that always terminates; returns false if src was truncated. */
bool str_copy(char *dst, size_t dstsz, const char *src);
/* Copies untrusted text, each control character made a space, so that
 * what a server sent cannot move the cursor or ring the terminal; cut to
 * fit, always terminated. mem_copy_clean reads at most len bytes (up to a
 * NUL), for text that is not terminated. */
void str_copy_clean(char *dst, size_t dstsz, const char *src);
void mem_copy_clean(char *dst, size_t dstsz, const char *src, size_t len);
bool str_eq(const char *a, const char *b);
/* The value of a hexadecimal digit (either case), or -1. */
int hex_digit_value(char c);
bool str_has_prefix(const char *s, const char *prefix);
/* Case-insensitive substring search over bytes (ASCII folding). */
const char *str_casestr(const char *hay, const char *needle);
/* Parses a base-10 integer in [min,max]; the whole string must be a number. */
bool str_to_long(const char *s, long min, long max, long *out);
/* A duration as people read an age: "45s", "12m", "5h", "3d" (negative: 0s). */
void str_age(long seconds, char *buf, size_t bufsz);

/* Runs fn on fatal(), so the console can restore the terminal first. */
void fatal_set_hook(void (*fn)(void));

#endif
