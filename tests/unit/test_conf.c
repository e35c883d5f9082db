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
#include "testutil.h"

static int setup(void **state)
{
	(void)state;
	testutil_setup_home();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testutil_teardown_home();
	return 0;
}

static void assert_defaults(const struct conf *c)
{
	assert_string_equal(c->theme, "default");
	assert_string_equal(c->keymap, "default");
	assert_false(c->mouse);
	assert_false(c->read_only);
	assert_true(c->worker);
	assert_null(c->database);
	assert_non_null(c->operator);
	assert_true(c->operator[0] != '\0');
	assert_null(c->kubeconfig);
	assert_null(c->context);
	assert_int_equal(c->log_max_lines, 100000);
	assert_int_equal(c->log_max_bytes, 67108864);
	assert_int_equal(c->provision_timeout_s, 300);
	assert_int_equal(c->worker_jobs, 4);
	assert_int_equal(c->reconcile_interval_s, 60);
	assert_int_equal(c->reconcile_confirm_s, 5);
}

static void test_defaults(void **state)
{
	struct conf c;

	(void)state;
	conf_init(&c);
	assert_defaults(&c);
	conf_free(&c);
}

static void test_good_file(void **state)
{
	struct conf c;
	struct err err = { "" };
	char *p = testutil_write("cfg/good.yaml",
				 "# a comment\n"
				 "theme: light\n"
				 "keymap: vim\n"
				 "mouse: true\n"
				 "read_only: yes\n"
				 "worker: off\n"
				 "database: \"host=/run/pg dbname=opsdeck\"\n"
				 "operator: alice\n"
				 "kube:\n"
				 "  kubeconfig: /etc/kube/config\n"
				 "  context: prod-eu\n"
				 "logs:\n"
				 "  max_lines: 5000\n"
				 "  max_bytes: 1048576\n"
				 "provision.timeout: 600\n"
				 "worker.reconcile_interval: 0\n");

	(void)state;
	conf_init(&c);
	if (!conf_load(&c, p, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(c.theme, "light");
	assert_string_equal(c.keymap, "vim");
	assert_true(c.mouse);
	assert_true(c.read_only);
	assert_false(c.worker);
	assert_string_equal(c.database, "host=/run/pg dbname=opsdeck");
	assert_string_equal(c.operator, "alice");
	assert_string_equal(c.kubeconfig, "/etc/kube/config");
	assert_string_equal(c.context, "prod-eu");
	assert_int_equal(c.log_max_lines, 5000);
	assert_int_equal(c.log_max_bytes, 1048576);
	assert_int_equal(c.provision_timeout_s, 600);
	assert_int_equal(c.reconcile_interval_s, 0);
	conf_free(&c);
	free(p);
}

static void test_dotted_and_nested_keys(void **state)
{
	struct conf c;
	struct err err = { "" };
	char *p = testutil_write("cfg/dotted.yaml", "kube.context: staging\n"
						    "database: ~\n"
						    "worker:\n"
						    "  jobs: 2\n"
						    "  reconcile_confirm: 1\n");

	(void)state;
	conf_init(&c);
	assert_true(conf_set(&c, "database", "dbname=x", &err));
	assert_true(conf_load(&c, p, &err));
	assert_string_equal(c.context, "staging");
	/* A null clears a text option. */
	assert_null(c.database);
	/* A mapping under a name that is an option itself holds nested ones. */
	assert_true(c.worker);
	assert_int_equal(c.worker_jobs, 2);
	assert_int_equal(c.reconcile_confirm_s, 1);
	conf_free(&c);
	free(p);
}

static void test_default_location(void **state)
{
	struct conf c;
	struct err err = { "" };
	char *p;

	(void)state;
	conf_init(&c);
	/* No file at the default location: fine, nothing changes. */
	assert_true(conf_load(&c, NULL, &err));
	assert_false(err_isset(&err));
	assert_defaults(&c);
	p = testutil_write("opsdeck/config.yaml", "theme: mono\n");
	assert_true(conf_load(&c, NULL, &err));
	assert_string_equal(c.theme, "mono");
	conf_free(&c);
	free(p);
}

static void test_explicit_missing_file(void **state)
{
	struct conf c;
	struct err err = { "" };

	(void)state;
	conf_init(&c);
	assert_false(conf_load(&c, "/nonexistent/opsdeck.yaml", &err));
	assert_string_equal(err.msg, "/nonexistent/opsdeck.yaml: No such file or directory");
	assert_defaults(&c);
	conf_free(&c);
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct conf c;
	struct err err = { "" };
	char *p = testutil_write("cfg/bad.yaml", text);
	char *want = xasprintf("%s:%s: %s", p, where, what);

	conf_init(&c);
	if (conf_load(&c, p, &err))
		fail_msg("'%s' was accepted", text);
	if (strcmp(err.msg, want) != 0)
		fail_msg("error was '%s', want '%s'", err.msg, want);
	/* A bad file changes nothing, not even the good lines before the error. */
	assert_defaults(&c);
	conf_free(&c);
	free(want);
	free(p);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("theme: light\ncolour: red\n", "2:1", "unknown option 'colour'");
	expect_error("theme: light\nkube:\n  contxt: prod\n", "3:3",
		     "unknown option 'kube.contxt'");
	expect_error("theme: light\nmouse: maybe\n", "2:8", "mouse must be true or false");
	expect_error("theme: light\nmouse: \"true\"\n", "2:8", "mouse must be true or false");
	expect_error("theme: light\nlogs:\n  max_lines: 12abc\n", "3:14",
		     "logs.max_lines must be a whole number from 100 to 10000000");
	expect_error("theme: light\nlogs:\n  max_lines: 5\n", "3:14",
		     "logs.max_lines must be a whole number from 100 to 10000000");
	expect_error("theme: light\nprovision.timeout: -1\n", "2:20",
		     "provision.timeout must be a whole number from 10 to 86400");
	expect_error("theme: ../../etc\n", "1:8",
		     "theme must be a name of letters, digits, '-' or '_'");
	expect_error("theme: [a, b]\n", "1:8", "theme takes a single value, not a list");
	expect_error("worker:\n  reconcile_confirm: 0\n", "2:22",
		     "worker.reconcile_confirm must be a whole number from 1 to 600");
	expect_error("- theme\n", "1:1", "expected a mapping of option: value");
	expect_error("theme: light\ntheme: dark\n", "2:1", "duplicate key 'theme'");
	expect_error("theme: [light\n", "2:1",
		     "did not find expected ',' or ']' while parsing a flow sequence");
}

/* Every setting is checked when the file is read, at the value's position. */
static void test_each_setting_checked(void **state)
{
	(void)state;
	expect_error("provision:\n  domain: Stores.Example.com\n", "2:11",
		     "provision.domain must be a DNS name such as stores.example.com: lowercase "
		     "letters, digits, '-' and '.' only");
	expect_error("provision.domain: \"shop example.com\"\n", "1:19",
		     "provision.domain must be a DNS name such as stores.example.com: lowercase "
		     "letters, digits, '-' and '.' only");
	expect_error("provision.domain: stores..example.com\n", "1:19",
		     "provision.domain must be a DNS name such as stores.example.com: each part "
		     "between dots 1 to 63 characters, not starting or ending with '-'");
	expect_error("provision.domain: -stores.example.com\n", "1:19",
		     "provision.domain must be a DNS name such as stores.example.com: each part "
		     "between dots 1 to 63 characters, not starting or ending with '-'");
	expect_error("provision.domain: example.com.\n", "1:19",
		     "provision.domain must be a DNS name such as stores.example.com: each part "
		     "between dots 1 to 63 characters, not starting or ending with '-'");
	expect_error("provision.domain: "
		     "a234567890123456789012345678901234567890123456789012345678901234.com\n",
		     "1:19",
		     "provision.domain must be a DNS name such as stores.example.com: each part "
		     "between dots 1 to 63 characters, not starting or ending with '-'");
	expect_error("provision.domain: \"\"\n", "1:19",
		     "provision.domain must be a DNS name of 1 to 200 characters, such as "
		     "stores.example.com");
	expect_error("provision.domain:\n", "1:18",
		     "provision.domain needs a value (leave the line out for the default, "
		     "stores.example.com)");
	expect_error("provision.domain: [a]\n", "1:19",
		     "provision.domain takes a single value, not a list");
	expect_error("operator: \"alice\\tb\"\n", "1:11",
		     "operator must be a name of 1 to 200 characters on one line (no control "
		     "characters, no space at either end)");
	expect_error("operator: \"\\e[31mred\"\n", "1:11",
		     "operator must be a name of 1 to 200 characters on one line (no control "
		     "characters, no space at either end)");
	expect_error("operator: \" alice\"\n", "1:11",
		     "operator must be a name of 1 to 200 characters on one line (no control "
		     "characters, no space at either end)");
	expect_error("operator: {name: alice}\n", "1:11",
		     "operator takes a single value, not a mapping");
	expect_error("database: \"host='unterminated\"\n", "1:11",
		     "database is not a connection string libpq reads: key=value pairs "
		     "(host=/run/postgresql dbname=opsdeck, values with spaces in single quotes) "
		     "or a postgresql:// URI");
	expect_error("database: \"hots=db1\"\n", "1:11",
		     "database is not a connection string libpq reads: key=value pairs "
		     "(host=/run/postgresql dbname=opsdeck, values with spaces in single quotes) "
		     "or a postgresql:// URI");
	expect_error("database: \"postgresql://db/x?sslmod=require\"\n", "1:11",
		     "database is not a connection string libpq reads: key=value pairs "
		     "(host=/run/postgresql dbname=opsdeck, values with spaces in single quotes) "
		     "or a postgresql:// URI");
	expect_error("database: \"db\\nname\"\n", "1:11",
		     "database must be text on one line (no control characters, no space at "
		     "either end)");
	expect_error("kube:\n  kubeconfig: \"/etc/kube\\u0001config\"\n", "2:15",
		     "kube.kubeconfig must be text on one line (no control characters, no space "
		     "at either end)");
	expect_error("kube.context: \"prod\\x7f\"\n", "1:15",
		     "kube.context must be a context name of 1 to 253 characters on one line (no "
		     "control characters, no space at either end)");
	expect_error("logs.max_bytes: 1024\n", "1:17",
		     "logs.max_bytes must be a whole number from 65536 to 4294967296");
	expect_error("worker.jobs: 65\n", "1:14",
		     "worker.jobs must be a whole number from 1 to 64");
	expect_error("worker.reconcile_interval: 1.5\n", "1:28",
		     "worker.reconcile_interval must be a whole number from 0 to 86400");
	expect_error("read_only: 1\n", "1:12", "read_only must be true or false");
	expect_error("keymap: \"\"\n", "1:9",
		     "keymap must be a name of letters, digits, '-' or '_'");
	expect_error("provision:\n  domian: shop.example.com\n", "2:3",
		     "unknown option 'provision.domian'");
	/* the file is one document; what follows it is read too */
	expect_error("theme: light\n---\ntheme: dark\n", "2:1", "more than one YAML document");
	expect_error("theme: light\n...\n: [\n", "3:1",
		     "did not find expected <document start>");
}

static void test_good_values(void **state)
{
	struct conf c;
	struct err err = { "" };
	char *p = testutil_write("cfg/values.yaml",
				 "provision.domain: stores-1.eu.example.com\n"
				 "operator: \"Zoë O'Neil (on call)\"\n"
				 "database: postgresql://opsdeck@db.example:5432/opsdeck\n"
				 "kube.context: \"arn:aws:eks:eu-west-1:1:cluster/prod\"\n");

	(void)state;
	conf_init(&c);
	if (!conf_load(&c, p, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(c.store_domain, "stores-1.eu.example.com");
	assert_string_equal(c.operator, "Zoë O'Neil (on call)");
	free(p);
	/* a database name alone, localhost, an empty text and a null unset */
	p = testutil_write("cfg/values.yaml", "provision.domain: localhost\n"
					      "database: opsdeck\n"
					      "kube.kubeconfig: \"\"\n"
					      "operator: ~\n");
	if (!conf_load(&c, p, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(c.store_domain, "localhost");
	assert_string_equal(c.database, "opsdeck");
	assert_null(c.kubeconfig);
	assert_non_null(c.operator);
	assert_string_not_equal(c.operator, "Zoë O'Neil (on call)");
	conf_free(&c);
	free(p);

	/* flags follow the same rules */
	conf_init(&c);
	assert_false(conf_set(&c, "database", "host='x", &err));
	assert_null(c.database);
	assert_false(conf_set(&c, "kube.context", "a\x1b[2J", &err));
	assert_string_equal(err.msg, "kube.context must be a context name of 1 to 253 characters "
				     "on one line (no control characters, no space at either end)");
	assert_null(c.context);
	assert_true(conf_set(&c, "database", "dbname=x host=/tmp", &err));
	assert_true(conf_set(&c, "database", "", &err));
	assert_null(c.database);
	conf_free(&c);
}

static void test_empty_file(void **state)
{
	struct conf c;
	struct err err = { "" };
	char *p = testutil_write("cfg/empty.yaml", "# nothing set\n");

	(void)state;
	conf_init(&c);
	assert_true(conf_load(&c, p, &err));
	assert_defaults(&c);
	conf_free(&c);
	free(p);
}

static void test_conf_set(void **state)
{
	struct conf c;
	struct err err = { "" };

	(void)state;
	conf_init(&c);
	assert_true(conf_set(&c, "kube.context", "dev", &err));
	assert_string_equal(c.context, "dev");
	assert_true(conf_set(&c, "read_only", "true", &err));
	assert_true(c.read_only);
	assert_true(conf_set(&c, "logs.max_lines", "250", &err));
	assert_int_equal(c.log_max_lines, 250);
	assert_false(conf_set(&c, "nope", "1", &err));
	assert_string_equal(err.msg, "unknown option 'nope'");
	assert_false(conf_set(&c, "worker", "sometimes", &err));
	assert_string_equal(err.msg, "worker must be true or false");
	assert_true(c.worker);
	assert_false(conf_set(&c, "keymap", "a/b", &err));
	assert_string_equal(c.keymap, "default");
	conf_free(&c);
}

static void test_describe(void **state)
{
	char buf[8192];
	size_t n;
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	conf_describe(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "kube.context"));
	assert_non_null(strstr(buf, "logs.max_lines"));
	assert_non_null(strstr(buf, "100000"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotted_and_nested_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_location, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_setting_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test(test_conf_set),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
