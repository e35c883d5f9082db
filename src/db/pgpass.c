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

/* The password after the fourth field, unescaped as libpq does. */
static char *copy_password(const char *p, const char *end)
{
	char *pw = xmalloc((size_t)(end - p) + 1);
	size_t j = 0;

	for (; p < end && *p != ':'; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		pw[j++] = *p;
	}
	pw[j] = '\0';
	return pw;
}

void pgpass_free(char *pw)
{
	if (pw) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
}

/* libpq's line buffer (a PQExpBuffer) and the stream fgets reads from. */
struct line_reader {
	const char *p, *stop;
	bool eof;
	char *data;
	size_t len, maxlen;
};

/* enlargePQExpBuffer(buf, needed): room for needed more bytes and a NUL,
 * doubling from 256 as libpq does (the size decides where a long line is
 * cut into reads, which matters after a NUL). The old buffer is wiped. */
static void reader_enlarge(struct line_reader *r, size_t needed)
{
	size_t newlen = r->maxlen;
	char *grown;

	needed += r->len + 1;
	if (needed <= r->maxlen)
		return;
	while (needed > newlen)
		newlen *= 2;
	grown = xmalloc(newlen);
	memcpy(grown, r->data, r->maxlen);
	explicit_bzero(r->data, r->maxlen);
	free(r->data);
	r->data = grown;
	r->maxlen = newlen;
}

/* fgets(data + len, maxlen - len): up to maxlen - len - 1 bytes, through a
 * newline; at the end of the text first, eof is set. False when nothing
 * was read (fgets's NULL). */
static bool reader_fgets(struct line_reader *r)
{
	char *out = r->data + r->len;
	size_t room = r->maxlen - r->len - 1, n = 0;

	while (n < room) {
		if (r->p == r->stop) {
			r->eof = true;
			break;
		}
		out[n] = *r->p++;
		if (out[n++] == '\n')
			break;
	}
	out[n] = '\0';
	return n > 0;
}

/* libpq 15's passwordFromFile loop, on text instead of a FILE. */
char *pgpass_match(const char *text, size_t len, const char *host, const char *port,
		   const char *dbname, const char *user)
{
	struct line_reader r = { .p = text, .stop = text + len, .maxlen = 256 };
	char *pw = NULL;

	r.data = xmalloc(r.maxlen);
	r.data[0] = '\0';
	while (!r.eof) {
		const char *f, *end;

		reader_enlarge(&r, 128);
		if (!reader_fgets(&r))
			break;
		/* strlen: a NUL ends the text read; the next read goes there */
		r.len += strlen(r.data + r.len);
		if (!(r.len > 0 && r.data[r.len - 1] == '\n') && !r.eof)
			continue;
		end = r.data + r.len;
		while (end > r.data && (end[-1] == '\r' || end[-1] == '\n'))
			end--;
		f = r.data;
		if (end > f && *f != '#' && (f = field_matches(f, end, host)) &&
		    (f = field_matches(f, end, port)) && (f = field_matches(f, end, dbname)) &&
		    (f = field_matches(f, end, user))) {
			pw = copy_password(f, end);
			break;
		}
		r.len = 0;
	}
	explicit_bzero(r.data, r.maxlen);
	free(r.data);
	return pw;
}

enum pgpass_result pgpass_lookup(const char *path, const char *host, const char *port,
				 const char *dbname, const char *user, char **pw,
				 struct err *warning)
{
	struct stat st;
	char *text;
	size_t len = 0;
	ssize_t n;
	int fd;

	*pw = NULL;
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
	*pw = pgpass_match(text, len, host, port, dbname, user);
	explicit_bzero(text, (size_t)st.st_size + 1);
	free(text);
	return *pw ? PGPASS_FOUND : PGPASS_NONE;
}
