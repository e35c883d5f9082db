/* The operator's OpenSSH client configuration (~/.ssh/config), read as ssh
 * reads it for one host: Host patterns with '*', '?' and '!' negation,
 * `Match all` and `Match host`, Include (globs; relative to ~/.ssh), the
 * first value of an option wins (IdentityFile accumulates), and '~' and the
 * %-tokens of IdentityFile and UserKnownHostsFile expanded at the end with
 * the final host name, user and port, as ssh does. Only the options a
 * tunnel uses are kept; others are skipped as ssh would apply them. */
#ifndef OPSDECK_SRC_SSH_SSHCONFIG_H
#define OPSDECK_SRC_SSH_SSHCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct sshconfig_host {
	char *hostname; /* HostName, "%h" expanded; the host itself when unset */
	long port;	/* 0: unset */
	char *user;	/* NULL: unset */
	char **identity_files;
	size_t n_identity_files;
	int identities_only; /* -1 unset, 0 no, 1 yes */
	char *proxy_jump;    /* as written; NULL: unset or "none" */
	char **known_hosts;  /* UserKnownHostsFile */
	size_t n_known_hosts;
	char *strict_host_key_checking; /* "yes", "no", "accept-new", "ask"; NULL unset */
};

/* What the %-tokens and '~' expand to. */
struct sshconfig_env {
	const char *home;	/* %d and ~ */
	const char *local_user; /* %u */
	bool includes;		/* follow Include (off for text from elsewhere) */
};

/* Reads the configuration at path for host (as typed after `ssh`). A
 * missing file is an empty configuration. Errors are "path:line: what". */
bool sshconfig_lookup_file(const char *path, const char *host, const struct sshconfig_env *env,
			   struct sshconfig_host *out, struct err *err);
/* The same over text (label names it in errors). */
bool sshconfig_lookup_string(const char *label, const char *text, size_t len, const char *host,
			     const struct sshconfig_env *env, struct sshconfig_host *out,
			     struct err *err);
void sshconfig_host_free(struct sshconfig_host *h);

/* One hop of a ProxyJump list: "[user@]host[:port]" or
 * "ssh://[user@]host[:port]", an IPv6 address in brackets. */
struct sshconfig_jump {
	char *user; /* NULL: unset */
	char *host;
	long port; /* 0: unset */
};

/* Splits ProxyJump's value (comma-separated, the first hop the outermost)
 * into hops. False, with why naming the hop, for an empty or malformed
 * one, or a list longer than max. */
bool sshconfig_jumps_parse(const char *value, size_t max, struct sshconfig_jump **out, size_t *n,
			   struct err *err);
void sshconfig_jumps_free(struct sshconfig_jump *v, size_t n);

/* ssh's pattern rules: '*' and '?' wildcards, case-insensitive; in a list
 * (words separated by whitespace or commas) a matching "!pattern" makes
 * the whole list fail, else any matching pattern makes it match. */
bool sshconfig_pattern_match(const char *pattern, const char *s);
bool sshconfig_pattern_list_match(const char *list, const char *s);

#endif
