/* ~/.ssh/config read as ssh reads it for one host, and the tunnel profiles
 * of the settings that may name one of its Hosts. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "ssh/keyfile.h"
#include "ssh/profile.h"
#include "ssh/sshconfig.h"
#include "testutil.h"

static const struct sshconfig_env env = {.home = "/home/op", .local_user = "op"};

static bool lookup(const char *text, const char *host, struct sshconfig_host *h, struct err *err)
{
	return sshconfig_lookup_string("cfg", text, strlen(text), host, &env, h, err);
}

static void test_patterns(void **state)
{
	(void)state;
	assert_true(sshconfig_pattern_match("*", "prod"));
	assert_true(sshconfig_pattern_match("prod-*", "prod-bastion"));
	assert_true(sshconfig_pattern_match("PROD-?astion", "prod-bastion"));
	assert_false(sshconfig_pattern_match("prod-?", "prod-bastion"));
	assert_true(sshconfig_pattern_match("*.example.*", "a.example.net"));
	assert_false(sshconfig_pattern_match("*.example.com", "a.example.net"));
	assert_true(sshconfig_pattern_list_match("a,b,*.c", "x.c"));
	assert_false(sshconfig_pattern_list_match("*,!secret", "secret"));
	assert_true(sshconfig_pattern_list_match("*,!secret", "public"));
	assert_false(sshconfig_pattern_list_match("!secret", "public"));
}

static void test_first_match_wins(void **state)
{
	struct sshconfig_host h;
	struct err err = {{0}};

	(void)state;
	assert_true(lookup("# comment\n"
			   "Host prod-bastion\n"
			   "  HostName bastion.example.net\n"
			   "  Port 2222\n"
			   "  IdentityFile ~/.ssh/prod_ed25519\n"
			   "Host prod-*\n"
			   "  HostName ignored.example.net\n"
			   "  User ops\n"
			   "  Port 22\n"
			   "  IdentityFile %d/.ssh/%u-%h-%r-%p\n"
			   "Host *\n"
			   "  User nobody\n"
			   "  IdentitiesOnly yes\n"
			   "  UserKnownHostsFile ~/.ssh/known_hosts ~/.ssh/known_hosts2\n"
			   "  StrictHostKeyChecking Accept-New\n",
			   "prod-bastion", &h, &err));
	assert_string_equal(h.hostname, "bastion.example.net");
	assert_int_equal(h.port, 2222);
	assert_string_equal(h.user, "ops");
	assert_int_equal(h.n_identity_files, 2);
	assert_string_equal(h.identity_files[0], "/home/op/.ssh/prod_ed25519");
	assert_string_equal(h.identity_files[1], "/home/op/.ssh/op-bastion.example.net-ops-2222");
	assert_int_equal(h.identities_only, 1);
	assert_int_equal(h.n_known_hosts, 2);
	assert_string_equal(h.known_hosts[1], "/home/op/.ssh/known_hosts2");
	assert_string_equal(h.strict_host_key_checking, "accept-new");
	assert_null(h.proxy_jump);
	sshconfig_host_free(&h);
}

static void test_negation_and_match(void **state)
{
	struct sshconfig_host h;
	struct err err = {{0}};
	const char *cfg = "Host *.internal !db.internal\n"
			  "  ProxyJump jump\n"
			  "Match host db.internal\n"
			  "  User dba\n"
			  "Match exec \"true\"\n"
			  "  User never\n"
			  "Match all\n"
			  "  Port=2200\n"
			  "  HostName \"%h.example.net\"\n";

	(void)state;
	assert_true(lookup(cfg, "db.internal", &h, &err));
	assert_null(h.proxy_jump);
	assert_string_equal(h.user, "dba");
	assert_int_equal(h.port, 2200);
	assert_string_equal(h.hostname, "db.internal.example.net");
	sshconfig_host_free(&h);

	assert_true(lookup(cfg, "web.internal", &h, &err));
	assert_string_equal(h.proxy_jump, "jump");
	assert_null(h.user);
	sshconfig_host_free(&h);

	assert_true(lookup("Host x\n ProxyJump none\n", "x", &h, &err));
	assert_null(h.proxy_jump);
	assert_string_equal(h.hostname, "x");
	sshconfig_host_free(&h);
}

static void test_errors(void **state)
{
	struct sshconfig_host h;
	struct err err = {{0}};

	(void)state;
	assert_false(lookup("Host a\n\n  Port 70000\n", "a", &h, &err));
	assert_string_equal(err.msg, "cfg:3: Port must be a number from 1 to 65535");
	assert_false(lookup("Host *\n  User\n", "a", &h, &err));
	assert_string_equal(err.msg, "cfg:2: User needs a value");
	assert_false(lookup("Host *\n  HostName \"open\n", "a", &h, &err));
	assert_string_equal(err.msg, "cfg:2: a quote is not closed");
	assert_false(lookup("Host *\n  StrictHostKeyChecking maybe\n", "a", &h, &err));
	assert_false(lookup("IdentityFile ~/.ssh/%z\n", "a", &h, &err));
	/* ~NAME is another user's home: refused, never read as ~/ */
	assert_false(lookup("IdentityFile ~%d/.ssh/id\n", "a", &h, &err));
	assert_string_equal(err.msg,
			    "cfg: ~%d/.ssh/id names another user's home (~NAME), which is not read");
	assert_false(lookup("UserKnownHostsFile ~root/.ssh/known_hosts\n", "a", &h, &err));
	assert_true(lookup("IdentityFile ~\n", "a", &h, &err));
	assert_string_equal(h.identity_files[0], "/home/op");
	sshconfig_host_free(&h);
	/* an option of another host is not checked, as ssh does not */
	assert_true(lookup("Host b\n  SomethingNew 1\nHost a\n  Compression yes\n", "a", &h, &err));
	sshconfig_host_free(&h);
}

static void test_include(void **state)
{
	struct sshconfig_host h;
	struct err err = {{0}};
	const char *home = testutil_setup_home();
	struct sshconfig_env e = {.home = home, .local_user = "op", .includes = true};
	char *cfg;

	(void)state;
	free(testutil_write(".ssh/conf.d/10-prod", "Host prod\n  User fromfile\nHost other\n"
						   "  Port 1\n"));
	free(testutil_write(".ssh/conf.d/20-more", "Host *\n  Port 2022\n"));
	cfg = testutil_write(".ssh/config", "Host prod\n  Include conf.d/*\n  HostName p.example\n"
					    "Host skipped\n  Include /nonexistent/*\n");
	assert_true(sshconfig_lookup_file(cfg, "prod", &e, &h, &err));
	assert_string_equal(h.user, "fromfile");
	assert_int_equal(h.port, 2022);
	/* after the included files, the including Host block applies again */
	assert_string_equal(h.hostname, "p.example");
	sshconfig_host_free(&h);
	free(testutil_write(".ssh/loop", "Include ~/.ssh/loop\n"));
	free(cfg);
	cfg = testutil_write(".ssh/config", "Include loop\n");
	assert_false(sshconfig_lookup_file(cfg, "prod", &e, &h, &err));
	assert_non_null(strstr(err.msg, "Include nested too deeply"));
	free(cfg);
	testutil_teardown_home();
}

static bool read_tunnels(const char *yaml, struct conf *c, struct err *err)
{
	char *path = testutil_write("config.yaml", yaml);
	bool ok;

	conf_init(c);
	ok = conf_load(c, path, err);
	free(path);
	return ok;
}

static void test_profiles(void **state)
{
	struct conf c;
	struct err err = {{0}};
	const struct tunnel_profile *p;

	(void)state;
	testutil_setup_home();
	assert_true(read_tunnels("tunnels:\n"
				 "  - name: prod\n"
				 "    host: bastion.example.net\n"
				 "    user: ops\n"
				 "    identity_file: [~/.ssh/a, ~/.ssh/b]\n"
				 "    host_key_policy: accept-new\n"
				 "    keepalive: 5\n"
				 "  - name: cfg\n"
				 "    ssh_config_host: prod-bastion\n",
				 &c, &err));
	assert_int_equal(c.tunnels.n, 2);
	p = tunnel_profiles_find(&c.tunnels, "prod");
	assert_non_null(p);
	assert_int_equal(p->n_identity_files, 2);
	assert_int_equal(p->policy, HOSTKEY_ACCEPT_NEW);
	assert_int_equal(p->keepalive_s, 5);
	assert_null(tunnel_profiles_find(&c.tunnels, "nope"));
	conf_free(&c);

	assert_false(read_tunnels("theme: default\ntunnels:\n  - name: a\n    host: h\n"
				  "    port: 0\n",
				  &c, &err));
	assert_non_null(strstr(err.msg, "config.yaml:5:11:"));
	conf_free(&c);
	assert_false(read_tunnels("tunnels:\n  - name: a\n    host: h\n  - name: a\n    host: i\n",
				  &c, &err));
	assert_non_null(strstr(err.msg, "a second profile named a"));
	conf_free(&c);
	assert_false(
	    read_tunnels("tunnels:\n  - name: a\n    host: h\n    passphrase: x\n", &c, &err));
	assert_non_null(strstr(err.msg, "unknown setting 'passphrase'"));
	conf_free(&c);
	assert_false(read_tunnels("tunnels:\n  - name: a\n    host: a@b\n", &c, &err));
	conf_free(&c);
	assert_false(read_tunnels("tunnels:\n  - name: a\n    host_key_policy: no\n", &c, &err));
	conf_free(&c);
	assert_false(read_tunnels("tunnels:\n  - name: a\n", &c, &err));
	assert_non_null(strstr(err.msg, "a has no host"));
	conf_free(&c);
	testutil_teardown_home();
}

static void test_resolve_from_ssh_config(void **state)
{
	struct conf c;
	struct err err = {{0}};
	struct tunnel_profile r;
	const char *home = testutil_setup_home();
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	(void)state;
	setenv("HOME", home, 1);
	free(testutil_write(".ssh/config", "Host prod-bastion\n  HostName 10.0.0.5\n  Port 2222\n"
					   "  User ops\n  IdentityFile ~/.ssh/prod\n"
					   "  IdentitiesOnly yes\n  StrictHostKeyChecking no\n"
					   "Host jumpy\n  ProxyJump outer\n"));
	assert_true(read_tunnels("tunnels:\n"
				 "  - name: cfg\n    ssh_config_host: prod-bastion\n"
				 "  - name: mine\n    ssh_config_host: prod-bastion\n    user: me\n"
				 "    port: 22\n    host_key_policy: strict\n"
				 "  - name: jump\n    ssh_config_host: jumpy\n",
				 &c, &err));
	assert_true(tunnel_profile_resolve(tunnel_profiles_find(&c.tunnels, "cfg"), &r, &err));
	assert_string_equal(r.host, "10.0.0.5");
	assert_int_equal(r.port, 2222);
	assert_string_equal(r.user, "ops");
	assert_int_equal(r.n_identity_files, 1);
	assert_true(testutil_prefix(r.identity_files[0], home));
	assert_false(r.agent);
	assert_int_equal(r.policy, HOSTKEY_ACCEPT_NEW);
	assert_true(testutil_prefix(r.known_hosts[0], home));
	tunnel_profile_free(&r);
	assert_true(tunnel_profile_resolve(tunnel_profiles_find(&c.tunnels, "mine"), &r, &err));
	assert_string_equal(r.user, "me");
	assert_int_equal(r.port, 22);
	assert_int_equal(r.policy, HOSTKEY_STRICT);
	tunnel_profile_free(&r);
	assert_true(tunnel_profile_resolve(tunnel_profiles_find(&c.tunnels, "jump"), &r, &err));
	assert_string_equal(r.proxy_jump, "outer");
	tunnel_profile_free(&r);
	conf_free(&c);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
	testutil_teardown_home();
}

static void test_jumps(void **state)
{
	struct sshconfig_jump *j;
	struct err err = {{0}};
	size_t n;
	static const char *const bad[] = {"",	     "a,,b",   "u@",	 "@h",	  "h:0",
					  "h:70000", "[::1",   "::1",	 "-oX=y", "a b",
					  "h:22x",   "[::1]x", "ssh://", "u@h/x"};

	(void)state;
	assert_true(sshconfig_jumps_parse("a", 8, &j, &n, &err));
	assert_int_equal(n, 1);
	assert_null(j[0].user);
	assert_string_equal(j[0].host, "a");
	assert_int_equal(j[0].port, 0);
	sshconfig_jumps_free(j, n);
	assert_true(
	    sshconfig_jumps_parse("ops@b.example:2222,ssh://me@[::1]:22,c", 8, &j, &n, &err));
	assert_int_equal(n, 3);
	assert_string_equal(j[0].user, "ops");
	assert_string_equal(j[0].host, "b.example");
	assert_int_equal(j[0].port, 2222);
	assert_string_equal(j[1].user, "me");
	assert_string_equal(j[1].host, "::1");
	assert_int_equal(j[1].port, 22);
	assert_string_equal(j[2].host, "c");
	sshconfig_jumps_free(j, n);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		assert_false(sshconfig_jumps_parse(bad[i], 8, &j, &n, &err));
		assert_non_null(strstr(err.msg, "ProxyJump: "));
	}
	assert_false(sshconfig_jumps_parse("a,b,c", 2, &j, &n, &err));
	assert_non_null(strstr(err.msg, "more than 2 hops"));
}

/* The names of hops, outermost first, "a b c". */
static void hop_names(const struct tunnel_profiles *hops, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < hops->n; i++) {
		size_t len = strlen(out);

		snprintf(out + len, size - len, "%s%s", i ? " " : "", hops->v[i].name);
	}
}

static void test_via(void **state)
{
	struct conf c;
	struct err err = {{0}};
	struct tunnel_profiles hops = {0};
	char names[300];

	(void)state;
	testutil_setup_home();
	assert_true(read_tunnels("tunnels:\n"
				 "  - name: a\n    host: ha\n    via: b\n"
				 "  - name: b\n    host: hb\n    port: 2200\n    via: c\n"
				 "  - name: c\n    host: hc\n",
				 &c, &err));
	assert_string_equal(tunnel_profiles_find(&c.tunnels, "a")->via, "b");
	assert_true(
	    tunnel_profile_hops(&c.tunnels, tunnel_profiles_find(&c.tunnels, "a"), &hops, &err));
	hop_names(&hops, names, sizeof(names));
	assert_string_equal(names, "c b a");
	assert_string_equal(hops.v[1].host, "hb");
	assert_int_equal(hops.v[1].port, 2200);
	assert_int_equal(hops.v[0].port, 22);
	tunnel_profiles_free(&hops);
	assert_true(
	    tunnel_profile_hops(&c.tunnels, tunnel_profiles_find(&c.tunnels, "c"), &hops, &err));
	assert_int_equal(hops.n, 1);
	tunnel_profiles_free(&hops);
	conf_free(&c);

	assert_false(read_tunnels("tunnels:\n  - name: a\n    host: h\n    via: b\n"
				  "  - name: b\n    host: h\n    via: a\n",
				  &c, &err));
	assert_non_null(strstr(err.msg, "config.yaml:4:10: tunnels: via goes round in a circle: "
					"a -> b -> a"));
	conf_free(&c);
	assert_false(read_tunnels("tunnels:\n  - name: a\n    host: h\n    via: a\n", &c, &err));
	assert_non_null(strstr(err.msg, "in a circle: a -> a"));
	conf_free(&c);
	/* a circle further out is said once, at the first profile on it */
	assert_false(read_tunnels("tunnels:\n  - name: x\n    host: h\n    via: a\n"
				  "  - name: a\n    host: h\n    via: b\n"
				  "  - name: b\n    host: h\n    via: a\n",
				  &c, &err));
	assert_non_null(strstr(err.msg, "config.yaml:4:10: tunnels: via goes round in a circle: "
					"a -> b -> a"));
	conf_free(&c);
	assert_false(read_tunnels("tunnels:\n  - name: a\n    host: h\n    via: gone\n", &c, &err));
	assert_non_null(strstr(err.msg, "a goes via gone, which is not a profile"));
	conf_free(&c);
	assert_false(
	    read_tunnels("tunnels:\n  - name: a\n    host: h\n    via: 'x y'\n", &c, &err));
	assert_non_null(strstr(err.msg, "via names a profile"));
	conf_free(&c);
	{
		/* p0 via p1 ... via p8: nine hops */
		char yaml[2000] = "tunnels:\n";

		for (int i = 0; i <= 8; i++) {
			size_t len = strlen(yaml);

			snprintf(yaml + len, sizeof(yaml) - len, "  - name: p%d\n    host: h\n", i);
			if (i < 8) {
				len = strlen(yaml);
				snprintf(yaml + len, sizeof(yaml) - len, "    via: p%d\n", i + 1);
			}
		}
		assert_false(read_tunnels(yaml, &c, &err));
		assert_non_null(strstr(err.msg, "a chain of more than 8 hops: p0 -> p1"));
		conf_free(&c);
	}
	testutil_teardown_home();
}

static void test_proxy_jump(void **state)
{
	struct conf c;
	struct err err = {{0}};
	struct tunnel_profiles hops = {0};
	char names[300];
	const char *home = testutil_setup_home();
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	(void)state;
	setenv("HOME", home, 1);
	free(testutil_write(".ssh/config",
			    "Host target\n  HostName 10.0.0.9\n  ProxyJump j1,ops@j2:2202\n"
			    "Host j1\n  HostName 10.0.0.1\n  User jumper\n  Port 2201\n"
			    "  ProxyJump none\n"
			    "Host j2\n  HostName 10.0.0.2\n  User ignored\n  ProxyJump elsewhere\n"
			    "Host single\n  ProxyJump j1\n"
			    "Host loop1\n  ProxyJump loop2\n"
			    "Host loop2\n  ProxyJump loop1\n"
			    "Host bad\n  ProxyJump u@\n"
			    "Host long\n  ProxyJump a,b,c,d,e,f,g,h\n"));
	assert_true(read_tunnels("tunnels:\n"
				 "  - name: t\n    ssh_config_host: target\n    keepalive: 7\n"
				 "  - name: s\n    ssh_config_host: single\n"
				 "  - name: o\n    ssh_config_host: single\n    via: d\n"
				 "  - name: d\n    host: direct\n"
				 "  - name: loop\n    ssh_config_host: loop1\n"
				 "  - name: bad\n    ssh_config_host: bad\n"
				 "  - name: long\n    ssh_config_host: long\n",
				 &c, &err));
	/* ssh -J j1,ops@j2:2202 target: j2 reached through j1 (not through
	 * its own ProxyJump), j1 as its Host says */
	assert_true(
	    tunnel_profile_hops(&c.tunnels, tunnel_profiles_find(&c.tunnels, "t"), &hops, &err));
	hop_names(&hops, names, sizeof(names));
	assert_string_equal(names, "ssh:j1 ssh:ops@j2:2202 t");
	assert_string_equal(hops.v[0].host, "10.0.0.1");
	assert_string_equal(hops.v[0].user, "jumper");
	assert_int_equal(hops.v[0].port, 2201);
	assert_int_equal(hops.v[0].keepalive_s, 7);
	assert_null(hops.v[0].proxy_jump);
	assert_string_equal(hops.v[1].host, "10.0.0.2");
	assert_string_equal(hops.v[1].user, "ops");
	assert_int_equal(hops.v[1].port, 2202);
	assert_string_equal(hops.v[1].proxy_jump, "j1");
	assert_string_equal(hops.v[2].host, "10.0.0.9");
	tunnel_profiles_free(&hops);
	assert_true(
	    tunnel_profile_hops(&c.tunnels, tunnel_profiles_find(&c.tunnels, "s"), &hops, &err));
	hop_names(&hops, names, sizeof(names));
	assert_string_equal(names, "ssh:j1 s");
	tunnel_profiles_free(&hops);
	/* a via of the settings comes before the Host's ProxyJump */
	assert_true(
	    tunnel_profile_hops(&c.tunnels, tunnel_profiles_find(&c.tunnels, "o"), &hops, &err));
	hop_names(&hops, names, sizeof(names));
	assert_string_equal(names, "d o");
	tunnel_profiles_free(&hops);
	assert_false(
	    tunnel_profile_hops(&c.tunnels, tunnel_profiles_find(&c.tunnels, "loop"), &hops, &err));
	assert_non_null(strstr(err.msg, "tunnel loop: its hops go round in a circle: "
					"ssh:loop2 -> ssh:loop1 -> ssh:loop2"));
	assert_int_equal(hops.n, 0);
	assert_false(
	    tunnel_profile_hops(&c.tunnels, tunnel_profiles_find(&c.tunnels, "bad"), &hops, &err));
	assert_non_null(strstr(err.msg, "tunnel bad: ProxyJump: \"u@\" is not [user@]host[:port]"));
	assert_false(
	    tunnel_profile_hops(&c.tunnels, tunnel_profiles_find(&c.tunnels, "long"), &hops, &err));
	assert_non_null(strstr(err.msg, "a chain of more than 8 hops"));
	conf_free(&c);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
	testutil_teardown_home();
}

static void test_keyfile(void **state)
{
	struct keyfile_info ki;
	const char *pem = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n";

	(void)state;
	keyfile_inspect_text(pem, strlen(pem), &ki);
	assert_string_equal(ki.type, "ssh-rsa");
	assert_true(ki.encrypted);
	keyfile_inspect_text("garbage", 7, &ki);
	assert_false(ki.encrypted);
	assert_string_equal(ki.type, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_patterns),
	    cmocka_unit_test(test_first_match_wins),
	    cmocka_unit_test(test_negation_and_match),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_include),
	    cmocka_unit_test(test_profiles),
	    cmocka_unit_test(test_resolve_from_ssh_config),
	    cmocka_unit_test(test_jumps),
	    cmocka_unit_test(test_via),
	    cmocka_unit_test(test_proxy_jump),
	    cmocka_unit_test(test_keyfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
