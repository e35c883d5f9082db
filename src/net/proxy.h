/* Proxy URLs as kubectl understands them: a kubeconfig's proxy-url, or the
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables read as Go's net/http reads
 * them. Pure code: no network, no libcurl. */
#ifndef OPSDECK_NET_PROXY_H
#define OPSDECK_NET_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum net_proxy_scheme {
	NET_PROXY_HTTP,
	NET_PROXY_HTTPS,
	NET_PROXY_SOCKS5,  /* the proxy resolves the server's name, as in kubectl */
	NET_PROXY_SOCKS5H, /* the same, curl's spelling */
};

/* The parts of a proxy URL; pointers into the parsed text, not terminated;
 * port is the scheme's own (80, 443, 1080, as in Go) when the URL names
 * none. */
struct net_proxy_url {
	enum net_proxy_scheme scheme;
	const char *user, *password, *host, *port;
	size_t user_len, password_len, host_len, port_len;
	bool has_password;
};

/* Parses scheme://[[user][:password]@]host[:port][/path][?query][#frag]
 * as Go's url.Parse splits it: scheme one of http, https, socks5, socks5h
 * (any case); the userinfo up to the last '@' (percent escapes of two hex
 * digits, not %00); host a name, an IPv4 address or an [IPv6] address;
 * port 1-65535, or empty for the scheme's own; what follows the authority
 * is ignored; no spaces or control characters. false if url is anything
 * else. */
bool net_proxy_parse(const char *url, struct net_proxy_url *out);

/* url with its password shown as "xxxxx" (as Go's URL.Redacted), for
 * messages; a URL that does not parse is shown as "(a proxy URL that
 * cannot be shown)". Newly allocated. */
char *net_proxy_redacted(const char *url);

/* The proxy as messages name it: scheme://[user[:xxxxx]@]host:port, the
 * port always named, the password masked, no path. Newly allocated. */
char *net_proxy_shown(const char *url);

/* The URL to give libcurl for a valid proxy URL: socks5:// becomes
 * socks5h://, so that the proxy resolves the server's name as kubectl's
 * SOCKS5 dialer has it do; the port always named (libcurl's own default
 * is 1080 for every scheme); user and password percent-encoded but for
 * their escapes and unreserved characters; no path. Newly allocated. */
char *net_proxy_curl_url(const char *url);

typedef const char *(*net_getenv_fn)(const char *name);

/* The proxy the environment gives for a request to target_url
 * (scheme://host[:port]...), as Go's http.ProxyFromEnvironment decides:
 * HTTPS_PROXY (or https_proxy) for https, HTTP_PROXY (or http_proxy) for
 * http, a value without a scheme taken as http://; never for localhost or
 * a loopback address; not for a host NO_PROXY (or no_proxy) names ("*",
 * a domain with its subdomains, ".domain" for subdomains only, an IP
 * address, a CIDR block, each with an optional :port). ALL_PROXY does not
 * count. Sets *proxy to a newly allocated URL, or NULL for a direct
 * connection; false with err if the variable that applies holds no usable
 * proxy URL (its password not shown). get NULL: getenv. */
bool net_proxy_from_env(const char *target_url, net_getenv_fn get, char **proxy, struct err *err);

#endif
