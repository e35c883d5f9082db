/* libFuzzer target: any bytes as an OpenSSH client configuration
 * (sshconfig_lookup_string(), Include not followed) for a host named by
 * the first line, and the key file inspector over the same bytes. A lookup
 * either fails with a message that names the text ("fuzz:") or gives a
 * host name, paths, a port in range and StrictHostKeyChecking one of ssh's
 * values; the pattern matcher agrees that a plain name matches "*" and
 * itself (a leading "~/" a token brought in, from a host, HostName or
 * User with '~' in it, stays text, as in ssh). A ProxyJump found, and the
 * first line itself, split into hops each with a host, a port in range and
 * at most the hops asked for, or fail with a message that names ProxyJump. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssh/keyfile.h"
#include "ssh/sshconfig.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A leading "~/" is expanded; one that a token brought in (a host, a
 * HostName or a User with '~' in it, as %n, %h or %r) is text, as in ssh. */
static void check_path(const char *p, bool tokens_tilde)
{
	if (!p || (p[0] == '~' && p[1] == '/' && !tokens_tilde))
		abort();
}

static void check_jumps(const char *value)
{
	struct sshconfig_jump *j;
	struct err err = {{0}};
	size_t n;

	if (!sshconfig_jumps_parse(value, 8, &j, &n, &err)) {
		if (strncmp(err.msg, "ProxyJump: ", 11) != 0)
			abort();
		return;
	}
	if (n == 0 || n > 8)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!j[i].host[0] || strpbrk(j[i].host, "@/ ,") || j[i].port < 0 ||
		    j[i].port > 65535 || (j[i].user && !j[i].user[0]))
			abort();
	}
	sshconfig_jumps_free(j, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sshconfig_env env = {.home = "/home/op", .local_user = "op"};
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	struct sshconfig_host h;
	struct keyfile_info ki;
	struct err err = {{0}};
	char host[64];
	size_t hl = nl ? (size_t)(nl - text) : 0;

	if (hl == 0 || hl >= sizeof(host) || memchr(text, '\0', hl))
		return 0;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (!strpbrk(host, "*?!, \t") &&
	    (!sshconfig_pattern_match("*", host) || !sshconfig_pattern_list_match(host, host)))
		abort();
	if (sshconfig_lookup_string("fuzz", text, size, host, &env, &h, &err)) {
		const char *s = h.strict_host_key_checking;
		bool tokens_tilde;

		if (!h.hostname || h.port < 0 || h.port > 65535)
			abort();
		tokens_tilde =
		    strchr(host, '~') || strchr(h.hostname, '~') || (h.user && strchr(h.user, '~'));
		for (size_t i = 0; i < h.n_identity_files; i++)
			check_path(h.identity_files[i], tokens_tilde);
		for (size_t i = 0; i < h.n_known_hosts; i++)
			check_path(h.known_hosts[i], tokens_tilde);
		if (s && strcmp(s, "yes") && strcmp(s, "no") && strcmp(s, "accept-new") &&
		    strcmp(s, "ask"))
			abort();
		if (h.proxy_jump)
			check_jumps(h.proxy_jump);
		sshconfig_host_free(&h);
	} else if (strncmp(err.msg, "fuzz", 4) != 0) {
		abort();
	}
	check_jumps(host);
	keyfile_inspect_text(text, size, &ki);
	if (strlen(ki.type) >= sizeof(ki.type))
		abort();
	return 0;
}
