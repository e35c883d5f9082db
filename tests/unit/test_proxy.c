/* Proxy URLs (net/proxy): what parses, the password masked for messages,
 * socks5 made socks5h for libcurl, and the *_proxy variables chosen as Go's
 * http.ProxyFromEnvironment chooses them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/proxy.h"

static void test_parse(void **state)
{
	static const char *const good[] = {
	    "http://proxy:3128",
	    "HTTP://Proxy.Example",
	    "https://proxy.example/",
	    "socks5://127.0.0.1:1080",
	    "socks5h://[::1]:1080",
	    "socks5://user@host",
	    "http://user:p%40ss@host:8080",
	    "http://user:@host",
	    "http://us_er:p!$&'()*+,;=~.-@host",
	    "http://a:b:c@host",
	    "http://u:%7e%2F@host",
	    /* as Go's url.Parse splits them */
	    "http://user:p@ss@proxy:9",
	    "http://:pw@proxy:9",
	    "http://proxy:9/path",
	    "http://proxy:9?q#f",
	    "http://proxy:",
	};
	static const char *const bad[] = {
	    "",
	    "proxy:3128",
	    "ftp://proxy",
	    "http://",
	    "http://:3128",
	    "http://host:0",
	    "http://host:65536",
	    "http://host:12a",
	    "http://host/pa th",
	    "http://ho st",
	    "http://host\n",
	    "http://@host",
	    "http://:@",
	    "http://user:pa/ss@host",
	    "http://user:pa ss@host",
	    "http://user:p%00w@host",
	    "http://user:p%zzw@host",
	    "http://user:pw%4@host",
	    "http://us%0@host",
	    "socks5://[::1",
	    "socks5://[zz]:1",
	    "socks5://[::1]x",
	};
	struct net_proxy_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!net_proxy_parse(good[i], NULL))
			fail_msg("\"%s\" should parse", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (net_proxy_parse(bad[i], NULL))
			fail_msg("\"%s\" should not parse", bad[i]);
	}
	assert_true(net_proxy_parse("socks5://alice:s3cret@[::1]:1080/", &u));
	assert_int_equal(u.scheme, NET_PROXY_SOCKS5);
	assert_true(u.has_password);
	assert_int_equal(u.user_len, 5);
	assert_memory_equal(u.user, "alice", 5);
	assert_int_equal(u.password_len, 6);
	assert_memory_equal(u.password, "s3cret", 6);
	assert_int_equal(u.host_len, 3);
	assert_memory_equal(u.host, "::1", 3);
	assert_int_equal(u.port_len, 4);
	assert_true(net_proxy_parse("https://proxy", &u));
	assert_int_equal(u.scheme, NET_PROXY_HTTPS);
	assert_false(u.has_password);
	assert_int_equal(u.user_len, 0);
	/* no port: the scheme's own, as Go's, not libcurl's 1080 */
	assert_int_equal(u.port_len, 3);
	assert_memory_equal(u.port, "443", 3);
	assert_true(net_proxy_parse("http://proxy:", &u));
	assert_memory_equal(u.port, "80", u.port_len);
	assert_true(net_proxy_parse("socks5://proxy", &u));
	assert_memory_equal(u.port, "1080", u.port_len);
	/* the userinfo ends at the last '@' */
	assert_true(net_proxy_parse("http://user:p@ss@proxy:9/path", &u));
	assert_memory_equal(u.user, "user", u.user_len);
	assert_int_equal(u.password_len, 4);
	assert_memory_equal(u.password, "p@ss", 4);
	assert_int_equal(u.host_len, 5);
	assert_memory_equal(u.host, "proxy", 5);
	assert_memory_equal(u.port, "9", u.port_len);
	assert_true(net_proxy_parse("http://:pw@proxy:9", &u));
	assert_int_equal(u.user_len, 0);
	assert_true(u.has_password);
	assert_memory_equal(u.password, "pw", u.password_len);
}

static void check_redacted(const char *url, const char *want)
{
	char *got = net_proxy_redacted(url);

	assert_string_equal(got, want);
	free(got);
}

static void test_redacted(void **state)
{
	(void)state;
	check_redacted("http://joe:hunter2@proxy:3128", "http://joe:xxxxx@proxy:3128");
	check_redacted("socks5://joe:@proxy", "socks5://joe:xxxxx@proxy");
	check_redacted("socks5://joe@proxy", "socks5://joe@proxy");
	check_redacted("http://a:b:c@proxy", "http://a:xxxxx@proxy");
	check_redacted("https://proxy/", "https://proxy/");
	/* what does not parse is not repeated: it may hold a secret anyway */
	check_redacted("http://joe:hunter2@pro xy", "(a proxy URL that cannot be shown)");
	check_redacted("http://joe:hun/ter2@proxy", "(a proxy URL that cannot be shown)");
}

static void check_curl(const char *url, const char *want)
{
	char *got = net_proxy_curl_url(url);

	assert_string_equal(got, want);
	free(got);
}

static void test_curl_url(void **state)
{
	(void)state;
	check_curl("socks5://u:p@127.0.0.1:1080", "socks5h://u:p@127.0.0.1:1080");
	check_curl("SOCKS5://h:1", "socks5h://h:1");
	check_curl("socks5h://h:1", "socks5h://h:1");
	check_curl("http://h:3128", "http://h:3128");
	/* the port always named: libcurl would take 1080 for any scheme */
	check_curl("https://h", "https://h:443");
	check_curl("http://proxy.corp", "http://proxy.corp:80");
	check_curl("http://proxy.corp:", "http://proxy.corp:80");
	check_curl("socks5://[::1]", "socks5h://[::1]:1080");
	/* userinfo escaped so that curl takes it; the path dropped */
	check_curl("http://user:p@ss@proxy:9/path", "http://user:p%40ss@proxy:9");
	check_curl("http://:pw@proxy:9", "http://:pw@proxy:9");
	check_curl("http://a:b:c%2F!@proxy:9?q", "http://a:b%3Ac%2F%21@proxy:9");
}

static void check_shown(const char *url, const char *want)
{
	char *got = net_proxy_shown(url);

	assert_string_equal(got, want);
	free(got);
}

static void test_shown(void **state)
{
	(void)state;
	check_shown("http://127.0.0.1", "http://127.0.0.1:80");
	check_shown("SOCKS5://joe:pw@[::1]/x", "socks5://joe:xxxxx@[::1]:1080");
	check_shown("http://user:p@ss@proxy:9/path", "http://user:xxxxx@proxy:9");
	check_shown("https://joe@proxy:", "https://joe@proxy:443");
	check_shown("http://pro xy", "(a proxy URL that cannot be shown)");
}

/* ---- the environment ---- */

static const char *env[16][2];

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]) && env[i][0]; i++) {
		if (strcmp(env[i][0], name) == 0)
			return env[i][1];
	}
	return NULL;
}

/* set_env("NAME", "value", ..., NULL) */
static void set_env(const char *first, ...)
{
	va_list ap;
	size_t n = 0;

	memset(env, 0, sizeof(env));
	va_start(ap, first);
	for (const char *name = first; name; name = va_arg(ap, const char *)) {
		env[n][0] = name;
		env[n][1] = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
}

/* The proxy for target, "direct", or "error: MESSAGE". */
static const char *pick(const char *target)
{
	static char out[sizeof(((struct err *)0)->msg) + 16];
	struct err err = {{0}};
	char *proxy = NULL;

	if (!net_proxy_from_env(target, fake_getenv, &proxy, &err)) {
		assert_null(proxy);
		snprintf(out, sizeof(out), "error: %s", err.msg);
		return out;
	}
	snprintf(out, sizeof(out), "%s", proxy ? proxy : "direct");
	free(proxy);
	return out;
}

static void test_env_scheme(void **state)
{
	(void)state;
	set_env(NULL);
	assert_string_equal(pick("https://k8s.example:6443"), "direct");
	set_env("HTTPS_PROXY", "http://p:3128", "HTTP_PROXY", "http://q:3128", NULL);
	assert_string_equal(pick("https://k8s.example:6443"), "http://p:3128");
	assert_string_equal(pick("http://k8s.example:8080/prefix"), "http://q:3128");
	/* upper case first, lower case when it is unset or empty */
	set_env("HTTPS_PROXY", "", "https_proxy", "socks5://s:1080", NULL);
	assert_string_equal(pick("https://k8s.example"), "socks5://s:1080");
	set_env("HTTPS_PROXY", "http://upper:1", "https_proxy", "http://lower:1", NULL);
	assert_string_equal(pick("https://k8s.example"), "http://upper:1");
	/* ALL_PROXY is curl's, not Go's */
	set_env("ALL_PROXY", "http://all:1", "all_proxy", "http://all:1", NULL);
	assert_string_equal(pick("https://k8s.example"), "direct");
	/* a value without a scheme is an http proxy */
	set_env("HTTPS_PROXY", "proxy.corp:3128", NULL);
	assert_string_equal(pick("https://k8s.example"), "http://proxy.corp:3128");
}

static void test_env_loopback(void **state)
{
	(void)state;
	set_env("HTTPS_PROXY", "http://p:3128", NULL);
	assert_string_equal(pick("https://localhost:6443"), "direct");
	/* Go compares "localhost" exactly */
	assert_string_equal(pick("https://LOCALHOST:6443"), "http://p:3128");
	assert_string_equal(pick("https://127.0.0.1:6443"), "direct");
	assert_string_equal(pick("https://127.9.8.7"), "direct");
	assert_string_equal(pick("https://[::1]:6443/x"), "direct");
	assert_string_equal(pick("https://[::ffff:127.0.0.1]:6443"), "direct");
	assert_string_equal(pick("https://10.0.0.1:6443"), "http://p:3128");
	assert_string_equal(pick("https://localhost.example:6443"), "http://p:3128");
}

static void test_env_no_proxy(void **state)
{
	(void)state;
	set_env("HTTPS_PROXY", "http://p:3128", "NO_PROXY",
		" example.com , .internal,10.1.0.0/16,192.168.1.5, [fd00::1]:443,"
		"*.star.test,api.port.test:8443,2001:db8::/32",
		NULL);
	/* a domain: itself and its subdomains, not a longer name */
	assert_string_equal(pick("https://example.com"), "direct");
	assert_string_equal(pick("https://API.Example.com:6443"), "direct");
	assert_string_equal(pick("https://notexample.com"), "http://p:3128");
	/* .domain: its subdomains only */
	assert_string_equal(pick("https://k.internal"), "direct");
	assert_string_equal(pick("https://internal"), "http://p:3128");
	/* *.domain as .domain */
	assert_string_equal(pick("https://a.star.test"), "direct");
	assert_string_equal(pick("https://star.test"), "http://p:3128");
	/* CIDR blocks and addresses */
	assert_string_equal(pick("https://10.1.200.3:6443"), "direct");
	assert_string_equal(pick("https://10.2.0.1:6443"), "http://p:3128");
	assert_string_equal(pick("https://192.168.1.5"), "direct");
	assert_string_equal(pick("https://192.168.1.6"), "http://p:3128");
	assert_string_equal(pick("https://[2001:db8::7]:6443"), "direct");
	/* with a port: that port only (443 is https' own) */
	assert_string_equal(pick("https://[fd00::1]"), "direct");
	assert_string_equal(pick("https://[fd00::1]:6443"), "http://p:3128");
	assert_string_equal(pick("https://api.port.test:8443"), "direct");
	assert_string_equal(pick("https://api.port.test:6443"), "http://p:3128");
	/* a name is not matched against a CIDR block */
	assert_string_equal(pick("https://10.1.example"), "http://p:3128");

	/* an empty port: every port; [IPv6] only with a port; white space as
	 * Go's TrimSpace; NO_PROXY in any case against the host in lower case */
	set_env("HTTPS_PROXY", "http://p:3128", "NO_PROXY",
		"empty.test:,[2001:db8::1],\v\r\nspace.test\f,LOCALHOST", NULL);
	assert_string_equal(pick("https://empty.test:6443"), "direct");
	assert_string_equal(pick("https://a.empty.test"), "direct");
	assert_string_equal(pick("https://[2001:db8::1]"), "http://p:3128");
	assert_string_equal(pick("https://[2001:db8::1]:443"), "http://p:3128");
	assert_string_equal(pick("https://space.test"), "direct");
	assert_string_equal(pick("https://LOCALHOST"), "direct");
	set_env("HTTPS_PROXY", "http://p:3128", "no_proxy", "*", NULL);
	assert_string_equal(pick("https://anything.example"), "direct");
	set_env("HTTPS_PROXY", "http://p:3128", "NO_PROXY", ",, ,", NULL);
	assert_string_equal(pick("https://anything.example"), "http://p:3128");
}

static void test_env_bad(void **state)
{
	(void)state;
	set_env("HTTPS_PROXY", "ftp://p", NULL);
	assert_string_equal(pick("https://k.example"),
			    "error: HTTPS_PROXY: \"ftp://p\" is not a usable proxy URL "
			    "(http, https or socks5)");
	/* a value that may hold a password is not repeated */
	set_env("https_proxy", "joe:hunter2@pro xy", NULL);
	assert_string_equal(pick("https://k.example"),
			    "error: https_proxy: its value is not a usable proxy URL "
			    "(http, https or socks5)");
	/* it does not matter where it does not apply */
	assert_string_equal(pick("https://localhost"), "direct");
	assert_string_equal(pick("http://k.example"), "direct");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),	 cmocka_unit_test(test_redacted),
	    cmocka_unit_test(test_curl_url),	 cmocka_unit_test(test_shown),
	    cmocka_unit_test(test_env_scheme),
	    cmocka_unit_test(test_env_loopback), cmocka_unit_test(test_env_no_proxy),
	    cmocka_unit_test(test_env_bad),
	};

	return cmocka_run_group_tests_name("proxy", tests, NULL, NULL);
}
