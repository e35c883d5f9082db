/* ~/.ssh/config read as ssh reads it for one host, and the tunnel profiles
 * of the settings that may name one of its Hosts. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
	assert_false(tunnel_profile_resolve(tunnel_profiles_find(&c.tunnels, "jump"), &r, &err));
	assert_non_null(strstr(err.msg, "ProxyJump outer"));
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
	    cmocka_unit_test(test_keyfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
