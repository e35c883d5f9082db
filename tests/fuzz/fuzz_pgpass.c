/* libFuzzer target: the first four lines of the input are a host, a port,
 * a database and a user, the fifth a password, the rest a password file
 * (pgpass_match()). A password found comes from one line (no newline in
 * it, no longer than the file); the line made of the five, escaped, put
 * before the file is the one that matches, and gives the password back
 * whole. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/pgpass.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s with ':', '\' and '#' escaped, appended to out at *n */
static void append_escaped(char *out, size_t *n, const char *s)
{
	for (; *s; s++) {
		if (*s == ':' || *s == '\\' || *s == '#')
			out[(*n)++] = '\\';
		out[(*n)++] = *s;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *fields[5], *rest = text, *line;
	char *pw;
	size_t n = 0;

	if (memchr(data, '\0', size) || memchr(data, '\r', size)) {
		/* still a file: it must not crash the reader */
		pw = pgpass_match((const char *)data, size, "h", "5432", "d", "u");
		if (pw && (strlen(pw) > size || strchr(pw, '\n')))
			abort();
		pgpass_free(pw);
		free(text);
		return 0;
	}
	for (int i = 0; i < 5; i++) {
		char *nl = strchr(rest, '\n');

		if (!nl) {
			free(text);
			return 0;
		}
		*nl = '\0';
		fields[i] = rest;
		rest = nl + 1;
	}
	pw = pgpass_match(rest, strlen(rest), fields[0], fields[1], fields[2], fields[3]);
	if (pw && (strlen(pw) > strlen(rest) || strchr(pw, '\n')))
		abort();
	pgpass_free(pw);
	line = xmalloc(2 * (size + 8) + 1);
	for (int i = 0; i < 5; i++) {
		append_escaped(line, &n, fields[i]);
		line[n++] = i < 4 ? ':' : '\n';
	}
	memcpy(line + n, rest, strlen(rest) + 1);
	pw = pgpass_match(line, strlen(line), fields[0], fields[1], fields[2], fields[3]);
	if (!pw || strcmp(pw, fields[4]) != 0)
		abort();
	pgpass_free(pw);
	free(line);
	free(text);
	return 0;
}
