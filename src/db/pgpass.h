/* The password file libpq reads (~/.pgpass, PGPASSFILE, the passfile
 * parameter), read as libpq 15 reads it. A connection through a tunnel goes
 * to 127.0.0.1 on a local port, and libpq matches the file on that port:
 * the database module looks the password up itself with the real host and
 * port and hands it to libpq. The password found is a secret: the caller
 * frees it with pgpass_free (which wipes it) and never shows it. */
#ifndef OPSDECK_DB_PGPASS_H
#define OPSDECK_DB_PGPASS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Lines host:port:database:username:password; `*` alone in a field matches
 * anything; `\:` and `\\` stand for ':' and '\'; a line starting with '#'
 * is a comment; the first line that matches wins; the port is compared as
 * written. The password ends at the first unescaped ':' or the end of the
 * line. text need not end in a newline and may hold NUL bytes, read as
 * libpq's fgets loop reads them: the text of a line ends at its first NUL,
 * and what the next read brings (the next line, or the rest of a long one)
 * is joined on there. Returns the password of the first line that matches
 * (allocated to its length), or NULL. */
char *pgpass_match(const char *text, size_t len, const char *host, const char *port,
		   const char *dbname, const char *user);
/* Wipes and frees a password pgpass_match or pgpass_lookup returned. */
void pgpass_free(char *pw);

enum pgpass_result {
	PGPASS_FOUND,
	PGPASS_NONE,	/* no such file, or no line matches */
	PGPASS_IGNORED, /* not read: warning says why */
};

/* The file at path: ignored (as libpq does) if it is not a plain file or
 * if its group or others may read, write or run it; also if larger than
 * 1 MiB. *pw gets the password when found (else NULL). */
enum pgpass_result pgpass_lookup(const char *path, const char *host, const char *port,
				 const char *dbname, const char *user, char **pw,
				 struct err *warning);

#endif
