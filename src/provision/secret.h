/* Generated secrets of a store (database and admin passwords, session
 * keys). They come from /dev/urandom, are never logged, never stored in
 * PostgreSQL, and are wiped from memory when no longer needed. */
#ifndef OPSDECK_PROVISION_SECRET_H
#define OPSDECK_PROVISION_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define SECRET_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define SECRET_MIN_LEN 16
/* What the catalog's passwords use: 62^24 is about 143 bits. */
#define SECRET_DEFAULT_LEN 24

/* Writes a random password of n characters from SECRET_ALPHABET into out
 * (NUL-terminated; n < outsz, n >= SECRET_MIN_LEN), each character uniform
 * (rejection sampling, no modulo bias). False with err set, and out wiped,
 * if the random source fails or the sizes are wrong. */
bool secret_generate(char *out, size_t outsz, size_t n, struct err *err);

/* Wipes n bytes at p in a way the compiler cannot drop as a dead store. */
void secret_wipe(void *p, size_t n);

#endif
