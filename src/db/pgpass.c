#include "config.h"

#include "db/pgpass.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files larger than this are not password files. */
#define PGPASS_MAX_BYTES (1024 * 1024)

/* libpq's pwdfMatchesString: the field at f (up to end) against token;
 * returns where the next field starts, or NULL. */
static const char *field_matches(const char *f, const char *end, const char *token)
{
	bool escaped = false;

	if (f + 1 < end && f[0] == '*' && f[1] == ':')
		return f + 2;
	while (f < end) {
		if (*f == '\\' && !escaped) {
			f++;
			escaped = true;
			if (f == end)
				return NULL;
		}
		if (*f == ':' && !*token && !escaped)
			return f + 1;
		escaped = false;
		if (!*token || *f != *token)
			return NULL;
		f++;
		token++;
	}
	return NULL;
}

static void copy_password(const char *p, const char *end, char *pw, size_t pwsz)
{
	size_t j = 0;

	for (; p < end && *p != ':'; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		if (j + 1 < pwsz)
			pw[j++] = *p;
	}
	if (pwsz)
		pw[j] = '\0';
}

bool pgpass_match(const char *text, size_t len, const char *host, const char *port,
		  const char *dbname, const char *user, char *pw, size_t pwsz)
{
	const char *p = text, *stop = text + len;

	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		const char *next = nl ? nl + 1 : stop, *end = nl ? nl : stop, *nul, *f;

		nul = memchr(p, '\0', (size_t)(end - p));
		if (nul)
			end = nul;
		while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
			end--;
		f = p;
		p = next;
		if (end == f || *f == '#')
			continue;
		if ((f = field_matches(f, end, host)) && (f = field_matches(f, end, port)) &&
		    (f = field_matches(f, end, dbname)) && (f = field_matches(f, end, user))) {
			copy_password(f, end, pw, pwsz);
			return true;
		}
	}
	return false;
}

enum pgpass_result pgpass_lookup(const char *path, const char *host, const char *port,
				 const char *dbname, const char *user, char *pw, size_t pwsz,
				 struct err *warning)
{
	struct stat st;
	char *text;
	size_t len = 0;
	ssize_t n;
	bool found;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return PGPASS_NONE;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return PGPASS_NONE;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(warning, "password file %s is not a plain file", path);
		close(fd);
		return PGPASS_IGNORED;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		err_set(warning,
			"password file %s has group or world access; permissions should be u=rw "
			"(0600) or less",
			path);
		close(fd);
		return PGPASS_IGNORED;
	}
	if (st.st_size > PGPASS_MAX_BYTES) {
		err_set(warning, "password file %s is larger than 1 MiB", path);
		close(fd);
		return PGPASS_IGNORED;
	}
	text = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	found = pgpass_match(text, len, host, port, dbname, user, pw, pwsz);
	explicit_bzero(text, (size_t)st.st_size + 1);
	free(text);
	return found ? PGPASS_FOUND : PGPASS_NONE;
}
