/* libFuzzer target: any bytes as a proxy URL (net_proxy_parse), and as the
 * three lines target URL, HTTPS_PROXY and NO_PROXY for
 * net_proxy_from_env(). A URL that parses is masked as the URL with its
 * password (and nothing else) replaced by "xxxxx", and the masked and
 * libcurl forms parse to the same host, port and (decoded) user and
 * password, the shown form to the same host, port and user; a proxy the
 * environment gives parses; a refused variable's message never holds a
 * value with an '@'. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/proxy.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void same_place(const struct net_proxy_url *a, const struct net_proxy_url *b)
{
	if (!same(a->host, a->host_len, b->host, b->host_len) ||
	    !same(a->port, a->port_len, b->port, b->port_len) ||
	    !same(a->user, a->user_len, b->user, b->user_len))
		abort();
}

/* s with its percent escapes decoded (they are valid once parsed) */
static char *decoded(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n) {
			char hex[3] = {s[i + 1], s[i + 2], '\0'};

			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static bool same_decoded(const char *a, size_t an, const char *b, size_t bn)
{
	char *da = decoded(a, an), *db = decoded(b, bn);
	bool eq = strcmp(da, db) == 0;

	free(da);
	free(db);
	return eq;
}

/* the libcurl form: the same place, user and password, the path dropped */
static void same_curl(const struct net_proxy_url *a, const struct net_proxy_url *c,
		      const char *curl)
{
	if (!same(a->host, a->host_len, c->host, c->host_len) ||
	    !same(a->port, a->port_len, c->port, c->port_len) ||
	    !same_decoded(a->user, a->user_len, c->user, c->user_len) ||
	    a->has_password != c->has_password ||
	    (a->has_password &&
	     !same_decoded(a->password, a->password_len, c->password, c->password_len)) ||
	    strpbrk(strstr(curl, "://") + 3, "/?#") ||
	    strchr(strchr(curl, '@') ? strchr(curl, '@') + 1 : curl, '@'))
		abort();
}

static void check_url(const char *url)
{
	struct net_proxy_url u, m, c;
	char *masked, *curl, *want, *shown;

	if (!net_proxy_parse(url, &u))
		return;
	masked = net_proxy_redacted(url);
	if (u.has_password)
		want = xasprintf("%.*sxxxxx%s", (int)(u.password - url), url,
				 u.password + u.password_len);
	else
		want = xstrdup(url);
	if (strcmp(masked, want) != 0 || !net_proxy_parse(masked, &m))
		abort();
	same_place(&u, &m);
	curl = net_proxy_curl_url(url);
	if (!net_proxy_parse(curl, &c) || strncmp(curl, "socks5://", 9) == 0)
		abort();
	same_curl(&u, &c, curl);
	shown = net_proxy_shown(url);
	if (!net_proxy_parse(shown, &m) || (u.has_password && strstr(shown, ":xxxxx@") == NULL))
		abort();
	same_place(&u, &m);
	free(shown);
	free(masked);
	free(want);
	free(curl);
}

static const char *vars[3];

static const char *fake_getenv(const char *name)
{
	if (strcmp(name, "HTTPS_PROXY") == 0 || strcmp(name, "HTTP_PROXY") == 0)
		return vars[1];
	if (strcmp(name, "NO_PROXY") == 0)
		return vars[2];
	return NULL;
}

static void check_env(char *text)
{
	char *nl1 = strchr(text, '\n'), *nl2;
	char *proxy = NULL;
	struct err err = {{0}};

	if (!nl1 || !(nl2 = strchr(nl1 + 1, '\n')))
		return;
	*nl1 = *nl2 = '\0';
	vars[0] = text;
	vars[1] = nl1 + 1;
	vars[2] = nl2 + 1;
	if (net_proxy_from_env(vars[0], fake_getenv, &proxy, &err)) {
		if (proxy && !net_proxy_parse(proxy, NULL))
			abort();
	} else if (proxy || !err_isset(&err) ||
		   (strchr(vars[1], '@') && strstr(err.msg, vars[1]))) {
		abort();
	}
	free(proxy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (memchr(data, '\0', size))
		return 0;
	text = xstrndup((const char *)data, size);
	check_url(text);
	check_env(text);
	free(text);
	return 0;
}
