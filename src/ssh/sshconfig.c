#include "config.h"

#include "ssh/sshconfig.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#define SSHCONFIG_MAX_DEPTH 16 /* Include nesting, as ssh allows */
#define SSHCONFIG_MAX_ARGS 64
#define SSHCONFIG_MAX_IDS 100
#define SSHCONFIG_MAX_SIZE (1024 * 1024)

struct reader {
	const char *host; /* as typed */
	const struct sshconfig_env *env;
	struct sshconfig_host *out;
	struct err *err;
};

static bool read_text(struct reader *r, const char *label, const char *text, size_t len, int depth);
static bool sshconfig_lookup_file_depth(struct reader *r, const char *path, int depth);

bool sshconfig_pattern_match(const char *p, const char *s)
{
	for (;;) {
		if (*p == '\0')
			return *s == '\0';
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return true;
			for (; *s; s++) {
				if (sshconfig_pattern_match(p, s))
					return true;
			}
			return false;
		}
		if (*s == '\0')
			return false;
		if (*p != '?' && tolower((unsigned char)*p) != tolower((unsigned char)*s))
			return false;
		p++;
		s++;
	}
}

bool sshconfig_pattern_list_match(const char *list, const char *s)
{
	bool matched = false;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, " \t,");
		bool neg = *p == '!';
		char pat[256];

		if (n > 0) {
			size_t start = neg ? 1 : 0;

			if (n - start < sizeof(pat)) {
				memcpy(pat, p + start, n - start);
				pat[n - start] = '\0';
				if (sshconfig_pattern_match(pat, s)) {
					if (neg)
						return false;
					matched = true;
				}
			}
		}
		p += n;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
	}
	return matched;
}

void sshconfig_host_free(struct sshconfig_host *h)
{
	free(h->hostname);
	free(h->user);
	free(h->proxy_jump);
	free(h->strict_host_key_checking);
	for (size_t i = 0; i < h->n_identity_files; i++)
		free(h->identity_files[i]);
	free(h->identity_files);
	for (size_t i = 0; i < h->n_known_hosts; i++)
		free(h->known_hosts[i]);
	free(h->known_hosts);
	memset(h, 0, sizeof(*h));
	h->identities_only = -1;
}

/* Splits a line's arguments as ssh does: whitespace separates, double
 * quotes group, an unquoted word starting with '#' ends the line. */
static int split_args(char *s, char **argv, int max, bool *bad_quote)
{
	int n = 0;

	*bad_quote = false;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == max)
			return n;
		if (*s == '"') {
			char *end = strchr(s + 1, '"');

			if (!end) {
				*bad_quote = true;
				return n;
			}
			*end = '\0';
			argv[n++] = s + 1;
			s = end + 1;
			continue;
		}
		argv[n++] = s;
		s += strcspn(s, " \t");
		if (*s)
			*s++ = '\0';
	}
}

static void set_once(char **field, const char *value)
{
	if (!*field)
		*field = xstrdup(value);
}

static bool apply_include(struct reader *r, const char *label, unsigned line, char **argv, int argc,
			  int depth)
{
	if (!r->env->includes)
		return true;
	if (depth >= SSHCONFIG_MAX_DEPTH) {
		err_set(r->err, "%s:%u: Include nested too deeply", label, line);
		return false;
	}
	for (int i = 0; i < argc; i++) {
		char *pattern;
		glob_t g;

		if (argv[i][0] == '~' && argv[i][1] == '/')
			pattern = xasprintf("%s%s", r->env->home, argv[i] + 1);
		else if (argv[i][0] == '/')
			pattern = xstrdup(argv[i]);
		else
			pattern = xasprintf("%s/.ssh/%s", r->env->home, argv[i]);
		if (glob(pattern, 0, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++) {
				if (!sshconfig_lookup_file_depth(r, g.gl_pathv[k], depth + 1)) {
					globfree(&g);
					free(pattern);
					return false;
				}
			}
			globfree(&g);
		}
		free(pattern);
	}
	return true;
}

/* `Match` criteria opsdeck can decide: all, host, originalhost. Any other
 * makes the block not apply. */
static bool match_applies(struct reader *r, char **argv, int argc)
{
	int i = 0;

	if (argc == 1 && strcasecmp(argv[0], "all") == 0)
		return true;
	while (i < argc) {
		const char *what = argv[i];
		const char *name = r->out->hostname ? r->out->hostname : r->host;

		if (i + 1 >= argc)
			return false;
		if (strcasecmp(what, "host") == 0) {
			if (!sshconfig_pattern_list_match(argv[i + 1], name))
				return false;
		} else if (strcasecmp(what, "originalhost") == 0) {
			if (!sshconfig_pattern_list_match(argv[i + 1], r->host))
				return false;
		} else {
			return false;
		}
		i += 2;
	}
	return argc > 0;
}

static bool apply_option(struct reader *r, const char *label, unsigned line, const char *key,
			 char **argv, int argc)
{
	struct sshconfig_host *o = r->out;

	if (argc == 0) {
		err_set(r->err, "%s:%u: %s needs a value", label, line, key);
		return false;
	}
	if (strcasecmp(key, "HostName") == 0) {
		set_once(&o->hostname, argv[0]);
	} else if (strcasecmp(key, "Port") == 0) {
		long port;

		if (!str_to_long(argv[0], 1, 65535, &port)) {
			err_set(r->err, "%s:%u: Port must be a number from 1 to 65535", label,
				line);
			return false;
		}
		if (!o->port)
			o->port = port;
	} else if (strcasecmp(key, "User") == 0) {
		set_once(&o->user, argv[0]);
	} else if (strcasecmp(key, "IdentityFile") == 0) {
		if (o->n_identity_files < SSHCONFIG_MAX_IDS) {
			o->identity_files =
			    xrealloc(o->identity_files, (o->n_identity_files + 1) * sizeof(char *));
			o->identity_files[o->n_identity_files++] = xstrdup(argv[0]);
		}
	} else if (strcasecmp(key, "IdentitiesOnly") == 0) {
		if (o->identities_only < 0)
			o->identities_only = strcasecmp(argv[0], "yes") == 0;
	} else if (strcasecmp(key, "ProxyJump") == 0) {
		if (!o->proxy_jump)
			o->proxy_jump = xstrdup(argv[0]);
	} else if (strcasecmp(key, "UserKnownHostsFile") == 0) {
		if (!o->n_known_hosts) {
			o->known_hosts = xcalloc((size_t)argc, sizeof(char *));
			for (int i = 0; i < argc; i++)
				o->known_hosts[i] = xstrdup(argv[i]);
			o->n_known_hosts = (size_t)argc;
		}
	} else if (strcasecmp(key, "StrictHostKeyChecking") == 0) {
		if (strcasecmp(argv[0], "yes") != 0 && strcasecmp(argv[0], "no") != 0 &&
		    strcasecmp(argv[0], "accept-new") != 0 && strcasecmp(argv[0], "ask") != 0 &&
		    strcasecmp(argv[0], "off") != 0) {
			err_set(r->err,
				"%s:%u: StrictHostKeyChecking must be yes, no, accept-new or ask",
				label, line);
			return false;
		}
		if (!o->strict_host_key_checking) {
			o->strict_host_key_checking = xstrdup(argv[0]);
			for (char *p = o->strict_host_key_checking; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			if (str_eq(o->strict_host_key_checking, "off")) {
				free(o->strict_host_key_checking);
				o->strict_host_key_checking = xstrdup("no");
			}
		}
	}
	return true;
}

static bool read_text(struct reader *r, const char *label, const char *text, size_t len, int depth)
{
	bool active = true;
	unsigned line = 0;
	size_t pos = 0;

	while (pos < len) {
		size_t end = pos;
		char *s, *key, *rest;
		char *argv[SSHCONFIG_MAX_ARGS];
		int argc;
		bool bad_quote;

		while (end < len && text[end] != '\n')
			end++;
		line++;
		s = xstrndup(text + pos, end - pos);
		pos = end + 1;
		for (char *p = s; *p; p++) {
			if (*p == '\r' || *p == '\t')
				*p = ' ';
		}
		key = s;
		while (*key == ' ')
			key++;
		if (*key == '\0' || *key == '#') {
			free(s);
			continue;
		}
		rest = key + strcspn(key, " =");
		if (*rest) {
			*rest++ = '\0';
			while (*rest == ' ')
				rest++;
			if (*rest == '=')
				rest++;
		}
		argc = split_args(rest, argv, SSHCONFIG_MAX_ARGS, &bad_quote);
		if (bad_quote) {
			err_set(r->err, "%s:%u: a quote is not closed", label, line);
			free(s);
			return false;
		}
		if (strcasecmp(key, "Host") == 0) {
			active = false;
			for (int i = 0; i < argc; i++) {
				bool neg = argv[i][0] == '!';

				if (sshconfig_pattern_match(argv[i] + (neg ? 1 : 0), r->host)) {
					if (neg) {
						active = false;
						break;
					}
					active = true;
				}
			}
		} else if (strcasecmp(key, "Match") == 0) {
			active = match_applies(r, argv, argc);
		} else if (strcasecmp(key, "Include") == 0) {
			if (active && !apply_include(r, label, line, argv, argc, depth)) {
				free(s);
				return false;
			}
		} else if (active && !apply_option(r, label, line, key, argv, argc)) {
			free(s);
			return false;
		}
		free(s);
	}
	return true;
}

static bool sshconfig_lookup_file_depth(struct reader *r, const char *path, int depth)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	bool ok;

	if (!f) {
		if (errno == ENOENT)
			return true;
		err_set(r->err, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	text = xmalloc(SSHCONFIG_MAX_SIZE);
	n = fread(text, 1, SSHCONFIG_MAX_SIZE, f);
	fclose(f);
	ok = read_text(r, path, text, n, depth);
	free(text);
	return ok;
}

/* '~' and %-tokens as ssh expands them in IdentityFile and
 * UserKnownHostsFile; false for a token ssh does not know, and for
 * "~NAME" (another user's home, which ssh looks up and opsdeck does not:
 * left as it is, "~%d" would read as the operator's own "~/"). */
static bool expand_path(const struct reader *r, const char *in, char **out)
{
	struct sshconfig_host *o = r->out;
	struct buf b = BUF_INIT;
	char port[16];

	snprintf(port, sizeof(port), "%ld", o->port ? o->port : 22);
	if (in[0] == '~' && (in[1] == '/' || in[1] == '\0')) {
		buf_puts(&b, r->env->home);
		in++;
	} else if (in[0] == '~') {
		return false;
	}
	for (const char *p = in; *p; p++) {
		if (*p != '%') {
			buf_putc(&b, *p);
			continue;
		}
		switch (*++p) {
		case '%':
			buf_putc(&b, '%');
			break;
		case 'd':
			buf_puts(&b, r->env->home);
			break;
		case 'u':
			buf_puts(&b, r->env->local_user);
			break;
		case 'h':
			buf_puts(&b, o->hostname);
			break;
		case 'n':
			buf_puts(&b, r->host);
			break;
		case 'r':
			buf_puts(&b, o->user ? o->user : r->env->local_user);
			break;
		case 'p':
			buf_puts(&b, port);
			break;
		default:
			buf_free(&b);
			return false;
		}
	}
	*out = buf_steal(&b);
	return true;
}

static bool finish(struct reader *r, const char *label)
{
	struct sshconfig_host *o = r->out;

	/* HostName may hold %h (the host as typed) and %% */
	if (o->hostname) {
		char *h = o->hostname;
		struct buf b = BUF_INIT;

		for (const char *p = h; *p; p++) {
			if (p[0] == '%' && p[1] == 'h') {
				buf_puts(&b, r->host);
				p++;
			} else if (p[0] == '%' && p[1] == '%') {
				buf_putc(&b, '%');
				p++;
			} else {
				buf_putc(&b, *p);
			}
		}
		o->hostname = buf_steal(&b);
		free(h);
	} else {
		o->hostname = xstrdup(r->host);
	}
	if (o->proxy_jump && strcasecmp(o->proxy_jump, "none") == 0)
		x_free(&o->proxy_jump);
	for (size_t i = 0; i < o->n_identity_files + o->n_known_hosts; i++) {
		char **slot = i < o->n_identity_files ? &o->identity_files[i]
						      : &o->known_hosts[i - o->n_identity_files];
		char *e;

		if (!expand_path(r, *slot, &e)) {
			err_set(r->err, "%s: %s %s", label, *slot,
				(*slot)[0] == '~' ? "names another user's home (~NAME), which is not read"
						  : "has a %-token ssh does not know");
			return false;
		}
		free(*slot);
		*slot = e;
	}
	return true;
}

static void reader_init(struct reader *r, const char *host, const struct sshconfig_env *env,
			struct sshconfig_host *out, struct err *err)
{
	memset(out, 0, sizeof(*out));
	out->identities_only = -1;
	r->host = host;
	r->env = env;
	r->out = out;
	r->err = err;
}

bool sshconfig_lookup_file(const char *path, const char *host, const struct sshconfig_env *env,
			   struct sshconfig_host *out, struct err *err)
{
	struct reader r;

	reader_init(&r, host, env, out, err);
	if (sshconfig_lookup_file_depth(&r, path, 0) && finish(&r, path))
		return true;
	sshconfig_host_free(out);
	return false;
}

bool sshconfig_lookup_string(const char *label, const char *text, size_t len, const char *host,
			     const struct sshconfig_env *env, struct sshconfig_host *out,
			     struct err *err)
{
	struct reader r;

	reader_init(&r, host, env, out, err);
	if (read_text(&r, label, text, len, 0) && finish(&r, label))
		return true;
	sshconfig_host_free(out);
	return false;
}

void sshconfig_jumps_free(struct sshconfig_jump *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].user);
		free(v[i].host);
	}
	free(v);
}

/* A host name or address as a hop names it: no spaces, controls, '@',
 * '/' or leading '-' (which ssh would take for an option). */
static bool jump_host_valid(const char *h)
{
	if (!*h || h[0] == '-' || strlen(h) > 253)
		return false;
	for (const char *p = h; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '@' || *p == '/' || *p == '[' ||
		    *p == ']')
			return false;
	}
	return true;
}

static bool jump_parse(const char *spec, struct sshconfig_jump *j, struct err *err)
{
	const char *s = spec, *at, *colon, *host_end;
	size_t hl;

	memset(j, 0, sizeof(*j));
	if (strncasecmp(s, "ssh://", 6) == 0)
		s += 6;
	at = strrchr(s, '@');
	if (at) {
		if (at == s)
			goto bad;
		j->user = xstrndup(s, (size_t)(at - s));
		for (const char *p = j->user; *p; p++) {
			if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '/' || *p == ':')
				goto bad;
		}
		s = at + 1;
	}
	if (*s == '[') {
		host_end = strchr(s, ']');
		if (!host_end)
			goto bad;
		colon = host_end[1] == ':' ? host_end + 1 : NULL;
		if (host_end[1] && !colon)
			goto bad;
		s++;
		hl = (size_t)(host_end - s);
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			goto bad; /* an IPv6 address needs its brackets */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	j->host = xstrndup(s, hl);
	if (!jump_host_valid(j->host))
		goto bad;
	if (colon && !str_to_long(colon + 1, 1, 65535, &j->port))
		goto bad;
	return true;
bad:
	err_set(err, "ProxyJump: \"%.100s\" is not [user@]host[:port]", spec);
	free(j->user);
	free(j->host);
	memset(j, 0, sizeof(*j));
	return false;
}

bool sshconfig_jumps_parse(const char *value, size_t max, struct sshconfig_jump **out, size_t *n,
			   struct err *err)
{
	struct sshconfig_jump *v = NULL;
	size_t count = 0;
	const char *p = value;

	for (;;) {
		size_t len = strcspn(p, ",");
		char *spec = xstrndup(p, len);
		bool ok;

		if (count == max) {
			free(spec);
			err_set(err, "ProxyJump: more than %zu hops", max);
			sshconfig_jumps_free(v, count);
			return false;
		}
		v = xrealloc(v, (count + 1) * sizeof(*v));
		ok = jump_parse(spec, &v[count], err);
		free(spec);
		if (!ok) {
			sshconfig_jumps_free(v, count);
			return false;
		}
		count++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*out = v;
	*n = count;
	return true;
}
