/* The password file libpq reads (~/.pgpass, PGPASSFILE, the passfile
 * parameter), read as libpq reads it. A connection through a tunnel goes
 * to 127.0.0.1 on a local port, and libpq matches the file on that port:
 * the database module looks the password up itself with the real host and
 * port and hands it to libpq. The password found is a secret: the caller
 * wipes it (explicit_bzero) after use and never shows it. */
#ifndef OPSDECK_DB_PGPASS_H
#define OPSDECK_DB_PGPASS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Lines host:port:database:username:password; `*` alone in a field matches
 * anything; `\:` and `\\` stand for ':' and '\'; a line starting with '#'
 * is a comment; the first line that matches wins. The password ends at the
 * first unescaped ':' or the end of the line. True with the password in pw
 * (cut at pwsz) if a line matches. text need not end in a newline and may
 * hold NUL bytes (a line is read up to its first one). */
bool pgpass_match(const char *text, size_t len, const char *host, const char *port,
		  const char *dbname, const char *user, char *pw, size_t pwsz);

enum pgpass_result {
	PGPASS_FOUND,
	PGPASS_NONE,	/* no such file, or no line matches */
	PGPASS_IGNORED, /* not read: warning says why */
};

/* The file at path: ignored (as libpq does) if it is not a plain file or
 * if its group or others may read, write or run it. */
enum pgpass_result pgpass_lookup(const char *path, const char *host, const char *port,
				 const char *dbname, const char *user, char *pw, size_t pwsz,
				 struct err *warning);

#endif
