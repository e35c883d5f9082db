#include "config.h"

#include "net/proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *prefix;
	enum net_proxy_scheme scheme;
} schemes[] = {
    {"http://", NET_PROXY_HTTP},
    {"https://", NET_PROXY_HTTPS},
    {"socks5://", NET_PROXY_SOCKS5},
    {"socks5h://", NET_PROXY_SOCKS5H},
};

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

/* userinfo characters of RFC 3986 (percent escapes included) */
static bool userinfo_char(char c)
{
	return isalnum((unsigned char)c) || strchr("-._~!$&'()*+,;=%", c) != NULL;
}

/* A percent escape of two hex digits, not %00: libcurl drops a proxy whose
 * user or password decodes to a NUL, and the request would go direct. */
static bool valid_escape(const char *p, const char *end)
{
	return end - p >= 3 && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
	       !(p[1] == '0' && p[2] == '0');
}

static bool valid_port(const char *p, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static bool valid_ipv6(const char *p, size_t n)
{
	char buf[64];
	unsigned char addr[16];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

static const char *default_port(enum net_proxy_scheme scheme)
{
	switch (scheme) {
	case NET_PROXY_HTTP:
		return "80";
	case NET_PROXY_HTTPS:
		return "443";
	default:
		return "1080";
	}
}

bool net_proxy_parse(const char *url, struct net_proxy_url *out)
{
	const char *p = NULL, *auth, *at, *end, *colon;
	struct net_proxy_url u = {0};

	for (size_t i = 0; i < ARRAY_LEN(schemes); i++) {
		size_t n = strlen(schemes[i].prefix);

		if (strncasecmp(url, schemes[i].prefix, n) == 0) {
			u.scheme = schemes[i].scheme;
			p = url + n;
			break;
		}
	}
	if (!p)
		return false;
	/* the authority; a path, query or fragment after it is ignored, as
	 * net/http ignores it */
	end = p + strcspn(p, "/?#");
	for (const char *q = end; *q; q++) {
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return false;
	}
	auth = p;
	at = NULL;
	/* the last '@' ends the userinfo, as in Go's url.Parse */
	for (const char *q = auth; q < end; q++) {
		if (*q == '@')
			at = q;
	}
	if (at) {
		const char *sep = memchr(auth, ':', (size_t)(at - auth));

		for (const char *q = auth; q < at; q++) {
			/* the first ':' ends the user name; the password may hold more */
			if (q != sep && !userinfo_char(*q) && *q != '@' &&
			    !(sep && q > sep && *q == ':'))
				return false;
			if (*q == '%' && !valid_escape(q, at))
				return false;
		}
		u.user = auth;
		u.user_len = (size_t)((sep ? sep : at) - auth);
		if (sep) {
			u.has_password = true;
			u.password = sep + 1;
			u.password_len = (size_t)(at - sep - 1);
		}
		/* ":password@" is an empty user name with a password; "@" alone is
		 * nothing */
		if (u.user_len == 0 && !u.has_password)
			return false;
		p = at + 1;
	}
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close || !valid_ipv6(p + 1, (size_t)(close - p - 1)))
			return false;
		u.host = p + 1;
		u.host_len = (size_t)(close - p - 1);
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon && *colon != ':')
			return false;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		u.host = p;
		u.host_len = (size_t)((colon ? colon : end) - p);
		if (u.host_len == 0 || u.host_len > 253)
			return false;
		for (size_t i = 0; i < u.host_len; i++) {
			if (!host_char(u.host[i]))
				return false;
		}
	}
	/* "host:" is the scheme's port, as "host" */
	if (colon && colon + 1 < end) {
		u.port = colon + 1;
		u.port_len = (size_t)(end - colon - 1);
		if (!valid_port(u.port, u.port_len))
			return false;
	} else {
		u.port = default_port(u.scheme);
		u.port_len = strlen(u.port);
	}
	if (out)
		*out = u;
	return true;
}

char *net_proxy_redacted(const char *url)
{
	struct net_proxy_url u;
	size_t head;

	if (!net_proxy_parse(url, &u))
		return xstrdup("(a proxy URL that cannot be shown)");
	if (!u.has_password)
		return xstrdup(url);
	head = (size_t)(u.password - url);
	return xasprintf("%.*sxxxxx%s", (int)head, url, u.password + u.password_len);
}

static const char *const scheme_names[] = {
    [NET_PROXY_HTTP] = "http",
    [NET_PROXY_HTTPS] = "https",
    [NET_PROXY_SOCKS5] = "socks5",
    [NET_PROXY_SOCKS5H] = "socks5h",
};

/* userinfo text for a URL libcurl reads: escapes kept, every other
 * character but the unreserved ones escaped (curl refuses a URL with a
 * second '@', and quotes it whole in its message) */
static char *put_userinfo(char *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || strchr("-._~%", c)) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	return o;
}

/* scheme://[userinfo@]host:port, the port always named, no path; one
 * allocation of the right size, so that no copy of a password is left
 * behind in freed memory */
static char *build(const struct net_proxy_url *u, const char *scheme, bool for_curl)
{
	bool v6 = memchr(u->host, ':', u->host_len) != NULL;
	size_t cap = strlen(scheme) + 3 * (u->user_len + u->password_len) + u->host_len +
		     u->port_len + 32;
	char *out = xmalloc(cap), *o = out;

	o += snprintf(o, cap, "%s://", scheme);
	if (u->user_len || u->has_password) {
		if (for_curl) {
			o = put_userinfo(o, u->user, u->user_len);
		} else {
			memcpy(o, u->user, u->user_len);
			o += u->user_len;
		}
		if (u->has_password && for_curl) {
			*o++ = ':';
			o = put_userinfo(o, u->password, u->password_len);
		} else if (u->has_password) {
			memcpy(o, ":xxxxx", 6);
			o += 6;
		}
		*o++ = '@';
	}
	snprintf(o, cap - (size_t)(o - out), "%s%.*s%s:%.*s", v6 ? "[" : "", (int)u->host_len,
		 u->host, v6 ? "]" : "", (int)u->port_len, u->port);
	return out;
}

char *net_proxy_shown(const char *url)
{
	struct net_proxy_url u;

	if (!net_proxy_parse(url, &u))
		return xstrdup("(a proxy URL that cannot be shown)");
	return build(&u, scheme_names[u.scheme], false);
}

char *net_proxy_curl_url(const char *url)
{
	struct net_proxy_url u;

	if (!net_proxy_parse(url, &u))
		return xstrdup(url);
	return build(&u, u.scheme == NET_PROXY_SOCKS5 ? "socks5h" : scheme_names[u.scheme], true);
}

/* ---- the environment, as Go reads it ---- */

static const char *env_any(net_getenv_fn get, const char *upper, const char *lower)
{
	const char *v = get(upper);

	if (!v || !v[0])
		v = get(lower);
	return v && v[0] ? v : NULL;
}

/* host (as written, without brackets) and port of scheme://host[:port]... */
static bool target_host_port(const char *url, char *host, size_t hostsz, char *port, size_t portsz)
{
	const char *p = strstr(url, "://"), *end, *hs, *he, *ps = NULL;
	bool https;

	if (!p)
		return false;
	https = (size_t)(p - url) == 5 && strncasecmp(url, "https", 5) == 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	if (*p == '[') {
		hs = p + 1;
		he = memchr(hs, ']', (size_t)(end - hs));
		if (!he)
			return false;
		if (he + 1 < end && he[1] == ':')
			ps = he + 2;
	} else {
		hs = p;
		he = memchr(p, ':', (size_t)(end - p));
		if (he)
			ps = he + 1;
		else
			he = end;
	}
	if (he == hs || (size_t)(he - hs) >= hostsz)
		return false;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	if (ps && ps < end) {
		if ((size_t)(end - ps) >= portsz)
			return false;
		memcpy(port, ps, (size_t)(end - ps));
		port[end - ps] = '\0';
	} else {
		snprintf(port, portsz, "%s", https ? "443" : "80");
	}
	return true;
}

struct ip {
	int family;
	unsigned char a[16];
};

static bool parse_ip(const char *s, struct ip *ip)
{
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		/* ::ffff:a.b.c.d is the IPv4 address, as Go compares them */
		if (memcmp(ip->a, mapped, sizeof(mapped)) == 0) {
			memmove(ip->a, ip->a + 12, 4);
			ip->family = AF_INET;
		} else {
			ip->family = AF_INET6;
		}
		return true;
	}
	return false;
}

static bool ip_loopback(const struct ip *ip)
{
	static const unsigned char v6[16] = {[15] = 1};

	if (ip->family == AF_INET)
		return ip->a[0] == 127;
	return memcmp(ip->a, v6, sizeof(v6)) == 0;
}

static bool ip_in_cidr(const struct ip *ip, const char *cidr)
{
	const char *slash = strchr(cidr, '/');
	char net[64];
	struct ip n;
	long bits;
	char *endp;

	if (!slash || (size_t)(slash - cidr) >= sizeof(net))
		return false;
	memcpy(net, cidr, (size_t)(slash - cidr));
	net[slash - cidr] = '\0';
	bits = strtol(slash + 1, &endp, 10);
	if (*endp || endp == slash + 1 || !parse_ip(net, &n) || n.family != ip->family ||
	    bits < 0 || bits > (n.family == AF_INET ? 32 : 128))
		return false;
	for (long i = 0; i < bits; i++) {
		unsigned char m = (unsigned char)(0x80u >> (i % 8));

		if ((ip->a[i / 8] & m) != (n.a[i / 8] & m))
			return false;
	}
	return true;
}

/* entry (trimmed, lower case) of NO_PROXY against host:port */
static bool no_proxy_entry_matches(char *entry, const char *host, const struct ip *hip,
				   const char *port)
{
	char *h = entry, *p = NULL, *close;
	struct ip eip;
	size_t hl, el;

	if (strcmp(entry, "*") == 0)
		return true;
	if (strchr(entry, '/'))
		return hip && ip_in_cidr(hip, entry);
	if (entry[0] == '[' && (close = strchr(entry, ']'))) {
		/* Go's SplitHostPort: brackets only with a port ("[::1]" alone is
		 * taken as a name, which no host is) */
		if (close[1] != ':')
			return false;
		h = entry + 1;
		*close = '\0';
		p = close + 2;
	} else if (strchr(entry, ':') && strchr(entry, ':') == strrchr(entry, ':')) {
		p = strchr(entry, ':');
		*p++ = '\0';
	}
	/* "host:" has an empty port, which matches every port, as in Go */
	if (!h[0] || (p && p[0] && strcmp(p, port) != 0))
		return false;
	if (parse_ip(h, &eip))
		return hip && eip.family == hip->family &&
		       memcmp(eip.a, hip->a, eip.family == AF_INET ? 4 : 16) == 0;
	if (h[0] == '*' && h[1] == '.')
		h++;
	hl = strlen(host);
	el = strlen(h);
	if (h[0] == '.')
		return hl > el && strcmp(host + hl - el, h) == 0;
	/* "example.com" is the host and its subdomains */
	if (strcmp(host, h) == 0)
		return true;
	return hl > el && host[hl - el - 1] == '.' && strcmp(host + hl - el, h) == 0;
}

static bool no_proxy_matches(const char *list, const char *host, const char *port)
{
	char *copy = xstrdup(list), *save = NULL;
	struct ip hip;
	bool is_ip = parse_ip(host, &hip), hit = false;

	for (char *tok = strtok_r(copy, ",", &save); tok && !hit;
	     tok = strtok_r(NULL, ",", &save)) {
		char *e = tok;
		size_t n;

		/* white space trimmed as Go's strings.TrimSpace (ASCII) */
		while (isspace((unsigned char)*e))
			e++;
		n = strlen(e);
		while (n > 0 && isspace((unsigned char)e[n - 1]))
			e[--n] = '\0';
		for (char *q = e; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (e[0])
			hit = no_proxy_entry_matches(e, host, is_ip ? &hip : NULL, port);
	}
	free(copy);
	return hit;
}

static const char *std_getenv(const char *name)
{
	return getenv(name);
}

bool net_proxy_from_env(const char *target_url, net_getenv_fn get, char **proxy, struct err *err)
{
	char host[256], port[16];
	const char *var, *value, *no_proxy;
	bool https = strncasecmp(target_url, "https://", 8) == 0;
	struct ip ip;
	char *url;

	*proxy = NULL;
	if (!get)
		get = std_getenv;
	var = https ? "HTTPS_PROXY" : "HTTP_PROXY";
	value = env_any(get, var, https ? "https_proxy" : "http_proxy");
	if (!value || !target_host_port(target_url, host, sizeof(host), port, sizeof(port)))
		return true;
	/* Go's useProxy: "localhost" exactly (LOCALHOST goes through the
	 * proxy), then the host in lower case against NO_PROXY */
	if (strcmp(host, "localhost") == 0 || (parse_ip(host, &ip) && ip_loopback(&ip)))
		return true;
	for (char *q = host; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	no_proxy = env_any(get, "NO_PROXY", "no_proxy");
	if (no_proxy && no_proxy_matches(no_proxy, host, port))
		return true;
	url = strstr(value, "://") ? xstrdup(value) : xasprintf("http://%s", value);
	if (!net_proxy_parse(url, NULL)) {
		bool showable = !strchr(value, '@');

		for (const char *q = value; showable && *q; q++)
			showable = (unsigned char)*q > ' ' && *q != 0x7f;
		/* a value with user:password@ is not repeated */
		err_set(err, "%s: %s%s%s is not a usable proxy URL (http, https or socks5)",
			get(var) && get(var)[0] ? var : (https ? "https_proxy" : "http_proxy"),
			showable ? "\"" : "", showable ? value : "its value", showable ? "\"" : "");
		free(url);
		return false;
	}
	*proxy = url;
	return true;
}
