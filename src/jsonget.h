/* Reading fields of JSON that came from outside (an API server, the
 * database): a missing or mistyped field reads as a default, and numbers
 * are kept to a sane range, so no caller trusts a type or a size it was
 * sent. */
#ifndef OPSDECK_JSONGET_H
#define OPSDECK_JSONGET_H

#include <jansson.h>

/* The string at key, or "" (absent, null, not a string). */
const char *json_get_str(const json_t *o, const char *key);

/* The integer at key, or def when it is absent or not an integer; clamped
 * to 0..JSON_GET_MAX, as counts, replicas and ages are never negative and
 * sums of them must not overflow. */
#define JSON_GET_MAX 1000000000L
long json_get_count(const json_t *o, const char *key, long def);

#endif
