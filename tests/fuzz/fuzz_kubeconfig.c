/* libFuzzer target: kubeconfig resolution and merging from memory
 * (kubeconfig_parse_texts: no file is ever read). The input is up to three
 * kubeconfigs separated by NUL bytes; a first line "@name" chooses the
 * context. A resolved configuration has a usable server URL, a valid
 * namespace and the context asked for, and its description
 * (kubeconfig_dump) does not change when any secret does (token, password,
 * client key, exec environment values, a proxy's credentials); merging the
 * same files once more changes nothing but the source. A refusal is one line
 * without control characters. See README.md. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"
#include "net/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TEXTS 3

static void check_clean(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			abort();
	}
}

/* Letters and digits shifted by one: a different secret of the same shape. */
static void shift(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c < 'z') || (c >= 'A' && c < 'Z') || (c >= '0' && c < '9'))
			s[i] = (char)(c + 1);
		else if (c == 'z' || c == 'Z')
			s[i] = (char)(c - 25);
		else if (c == '9')
			s[i] = '0';
	}
}

static char *dump_of(const struct kube_config *cfg)
{
	struct buf b = BUF_INIT;

	kubeconfig_dump(cfg, &b);
	return buf_steal(&b);
}

static void check_secrets(struct kube_config *cfg)
{
	char *before = dump_of(cfg), *after;

	if (cfg->token)
		shift(cfg->token, strlen(cfg->token));
	if (cfg->password)
		shift(cfg->password, strlen(cfg->password));
	if (cfg->client_key.data)
		shift((char *)cfg->client_key.data, cfg->client_key.len);
	for (size_t i = 0; cfg->exec && i < cfg->exec->nenv; i++)
		shift(cfg->exec->env[i].value, strlen(cfg->exec->env[i].value));
	if (cfg->proxy_url) {
		/* the userinfo as the proxy code reads it, which is what is sent
		 * (a URL kubeconfig took always parses) */
		struct net_proxy_url u;

		if (!net_proxy_parse(cfg->proxy_url, &u))
			abort();
		if (u.user) {
			const char *end = u.has_password ? u.password + u.password_len
							 : u.user + u.user_len;
			size_t at = (size_t)(u.user - cfg->proxy_url);

			shift(cfg->proxy_url + at, (size_t)(end - u.user));
		}
	}
	after = dump_of(cfg);
	if (strcmp(before, after) != 0)
		abort();
	free(before);
	free(after);
}

static void check_config(const struct kube_config *cfg, const char *context)
{
	size_t n = strlen(cfg->server);

	if (strncmp(cfg->server, "https://", 8) != 0 && strncmp(cfg->server, "http://", 7) != 0)
		abort();
	if (n > 8 && cfg->server[n - 1] == '/')
		abort();
	check_clean(cfg->server);
	if (context && context[0] && strcmp(cfg->context, context) != 0)
		abort();
	if (strcmp(cfg->namespace, "default") != 0) {
		n = strlen(cfg->namespace);
		if (n == 0 || n > 63 ||
		    strspn(cfg->namespace, "abcdefghijklmnopqrstuvwxyz0123456789-") != n ||
		    cfg->namespace[0] == '-' || cfg->namespace[n - 1] == '-')
			abort();
	}
	if (cfg->token) {
		check_clean(cfg->token);
		if (cfg->username || cfg->password)
			abort();
	}
	if (!!cfg->username != !!cfg->password || !!cfg->client_cert.data != !!cfg->client_key.data)
		abort();
	if (cfg->ca_path || cfg->client_cert_path || cfg->client_key_path || cfg->token_file)
		abort(); /* in memory: a file is never named as used */
}

/* The dump without its first line (the source, which names the files). */
static const char *after_source(const char *dump)
{
	const char *nl = strchr(dump, '\n');

	return nl ? nl + 1 : dump;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const labels[] = {"fuzz-1", "fuzz-2", "fuzz-3",
					     "fuzz-1", "fuzz-2", "fuzz-3"};
	const char *texts[2 * MAX_TEXTS];
	size_t lens[2 * MAX_TEXTS], n = 0;
	char *copy = malloc(size + 1), *p, *end, *context = NULL;
	struct kube_config *cfg;
	struct err err = {{0}};

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	end = copy + size;
	if (size > 0 && copy[0] == '@') {
		char *nl = memchr(copy, '\n', size);

		if (!nl || memchr(copy, '\0', (size_t)(nl - copy))) {
			free(copy);
			return 0;
		}
		*nl = '\0';
		context = copy + 1;
		p = nl + 1;
	}
	while (n < MAX_TEXTS) {
		char *nul = memchr(p, '\0', (size_t)(end - p));

		texts[n] = p;
		lens[n] = nul ? (size_t)(nul - p) : (size_t)(end - p);
		n++;
		if (!nul || nul == end)
			break;
		p = nul + 1;
	}
	cfg = kubeconfig_parse_texts(labels, texts, lens, n, context, &err);
	if (!cfg) {
		if (!err.msg[0])
			abort();
		check_clean(err.msg);
		free(copy);
		return 0;
	}
	check_config(cfg, context);
	{
		/* the same files again: the first definitions still win */
		struct kube_config *again;
		char *one, *two;

		for (size_t i = 0; i < n; i++) {
			texts[n + i] = texts[i];
			lens[n + i] = lens[i];
		}
		again = kubeconfig_parse_texts(labels, texts, lens, 2 * n, context, &err);
		if (!again)
			abort();
		one = dump_of(cfg);
		two = dump_of(again);
		if (strcmp(after_source(one), after_source(two)) != 0)
			abort();
		free(one);
		free(two);
		kubeconfig_free(again);
	}
	check_secrets(cfg);
	kubeconfig_free(cfg);
	free(copy);
	return 0;
}
