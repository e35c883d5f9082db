/* What an operator types for a project: its end date (a real day, or words
 * that say why not) and the project itself (db/ref.h's rule: a slug, else
 * a name in any case; a shared name is refused with the slugs). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "db/customers.h"
#include "db/projects.h"

static const char *date_says(const char *s)
{
	static struct err err;

	err_clear(&err);
	if (project_check_date(s, "end date", &err))
		return "ok";
	return err.msg;
}

static void test_dates(void **state)
{
	(void)state;
	assert_string_equal(date_says("2031-12-31"), "ok");
	assert_string_equal(date_says("2028-02-29"), "ok");
	assert_string_equal(date_says("2000-02-29"), "ok");
	assert_string_equal(date_says("2026-02-30"),
			    "2026-02-30 is not a date: February 2026 has 28 days");
	assert_string_equal(
	    date_says("1900-02-29"),
	    "1900-02-29 is not a date opsdeck takes: the year must be from 1970 to 9999");
	assert_string_equal(date_says("2100-02-29"),
			    "2100-02-29 is not a date: February 2100 has 28 days");
	assert_string_equal(date_says("2031-06-31"),
			    "2031-06-31 is not a date: June 2031 has 30 days");
	assert_string_equal(date_says("2031-00-10"),
			    "2031-00-10 is not a date: there is no month 00 (months are 01 to 12)");
	assert_string_equal(date_says("2031-01-00"),
			    "2031-01-00 is not a date: January 2031 has 31 days");
	assert_string_equal(date_says("31/12/2031"),
			    "invalid end date '31/12/2031': write it YYYY-MM-DD");
	assert_string_equal(date_says("2031-1-01"),
			    "invalid end date '2031-1-01': write it YYYY-MM-DD");
	assert_string_equal(date_says("2031-01-01x"),
			    "invalid end date '2031-01-01x': write it YYYY-MM-DD");
	assert_string_equal(date_says(""), "invalid end date '': write it YYYY-MM-DD");
	assert_true(project_valid_date("2031-01-31"));
	assert_false(project_valid_date("2031-02-31"));
}

static char *slugs[] = {"acme-shop", "old", "shop", "web"};
static char *names[] = {"shop", "Old Shop", "Shop", "WEB"};

static const char *find(const char *ref)
{
	static struct project v[4];
	static struct err err;
	struct project_list l = {v, 4};
	const struct project *p;

	for (size_t i = 0; i < 4; i++) {
		v[i].slug = slugs[i];
		v[i].name = names[i];
	}
	err_clear(&err);
	p = project_list_find(&l, ref, &err);
	return p ? p->slug : err.msg;
}

static void test_projects(void **state)
{
	(void)state;
	assert_string_equal(find("old"), "old");
	assert_string_equal(find("old shop"), "old");
	assert_string_equal(find("OLD SHOP"), "old");
	assert_string_equal(find("Web"), "web");
	/* A slug wins over the names it is also. */
	assert_string_equal(find("shop"), "shop");
	assert_string_equal(
	    find("SHOP"),
	    "several projects are named \"SHOP\": acme-shop, shop; name one by its slug");
	assert_string_equal(find("nope"), "no project \"nope\"");
	assert_string_equal(find("Old  Shop"), "no project \"Old  Shop\"");
	assert_string_equal(find(""), "no project named: give its slug or its name");
	assert_string_equal(find("a\033[2Jb"),
			    "no project \"a [2Jb\": a project is named by its slug or its name");
	assert_null(project_list_find(NULL, "x", &(struct err){{0}}));
}

static void test_customers(void **state)
{
	struct customer v[2] = {{.slug = "acme", .name = "Acme Shops"},
				{.slug = "beta", .name = "Beta"}};
	struct customer_list l = {v, 2};
	struct err err = {{0}};

	(void)state;
	assert_ptr_equal(customer_list_find(&l, "acme shops", &err), &v[0]);
	assert_ptr_equal(customer_list_find(&l, "beta", &err), &v[1]);
	assert_null(customer_list_find(&l, "gamma", &err));
	assert_string_equal(err.msg, "no customer \"gamma\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_projects),
	    cmocka_unit_test(test_customers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
