/* How a store is named (db/storeref.h): id, id prefix, name, PROJECT/NAME,
 * and the ambiguities and absences said in words. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "db/storeref.h"

static struct store rows[] = {
    {.id = "4f1c2a9be310", .name = "web", .project = "acme", .status = "Ready"},
    {.id = "4f1c77000001", .name = "outlet", .project = "acme", .status = "Paused"},
    {.id = "9a0b7c3d2e11", .name = "web", .project = "shop", .status = "Ready"},
    {.id = "b00000000001",
     .name = "old",
     .project = "shop",
     .status = "Deleted",
     .updated_at = "2026-11-02T07:05:09Z"},
    {.id = "c0ffee000001", .name = "c0ffee00", .project = "shop", .status = "Ready"},
    {.id = "c0ffee000002", .name = "cafe", .project = "shop", .status = "Ready"},
    {.id = "a0eda479ee89", .name = "front", .project = "shop", .status = "Ready"},
    /* stage1 made, deleted, made again and deleted again */
    {.id = "e10000000001",
     .name = "stage1",
     .project = "shop",
     .status = "Deleted",
     .updated_at = "2026-11-30T09:15:00Z"},
    {.id = "e10000000002",
     .name = "stage1",
     .project = "shop",
     .status = "Deleted",
     .updated_at = "2026-12-02T11:30:59Z"},
    /* stage2 deleted, and its name taken by a newer store */
    {.id = "e20000000001",
     .name = "stage2",
     .project = "shop",
     .status = "Deleted",
     .updated_at = "2026-12-01T08:00:00Z"},
    {.id = "e20000000002", .name = "stage2", .project = "shop", .status = "Ready"},
    /* two projects' deleted stores of one name */
    {.id = "e30000000001",
     .name = "gone",
     .project = "acme",
     .status = "Deleted",
     .updated_at = "2026-10-01T00:00:00Z"},
    {.id = "e30000000002",
     .name = "gone",
     .project = "shop",
     .status = "Deleted",
     .updated_at = "2026-10-02T00:00:00Z"},
};
static const struct store_list list = {rows, sizeof(rows) / sizeof(rows[0])};

/* The id ref picks, or the error text. */
static const char *pick(const char *ref)
{
	static struct err err;
	const struct store *s;

	err_clear(&err);
	s = store_ref_pick(&list, ref, &err);
	if (s) {
		assert_false(err_isset(&err));
		return s->id;
	}
	assert_true(err_isset(&err));
	return err.msg;
}

/* The same with deleted stores (store_ref_pick_any). */
static const char *pick_any(const char *ref)
{
	static struct err err;
	const struct store *s;

	err_clear(&err);
	s = store_ref_pick_any(&list, ref, &err);
	if (s) {
		assert_false(err_isset(&err));
		return s->id;
	}
	assert_true(err_isset(&err));
	return err.msg;
}

static void test_id_and_prefix(void **state)
{
	(void)state;
	assert_string_equal(pick("4f1c2a9be310"), "4f1c2a9be310");
	assert_string_equal(pick("4f1c2a"), "4f1c2a9be310");
	assert_string_equal(pick("9a0b"), "9a0b7c3d2e11");
	/* too short to be a prefix, and no such name: the minimum is said */
	assert_string_equal(pick("9a0"),
			    "no store \"9a0\" (an id prefix takes at least 4 characters)");
	assert_string_equal(pick("a0"),
			    "no store \"a0\" (an id prefix takes at least 4 characters)");
	assert_string_equal(pick("a0ed"), "a0eda479ee89");
	assert_string_equal(pick("4f1c"), "\"4f1c\" names 2 stores: acme/web (4f1c2a9be310), "
					  "acme/outlet (4f1c77000001); give more of the id");
	/* a prefix is lower-case hex */
	assert_string_equal(pick("4F1C2A"), "no store \"4F1C2A\"");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pick("outlet"), "4f1c77000001");
	assert_string_equal(pick("acme/web"), "4f1c2a9be310");
	assert_string_equal(pick("shop/web"), "9a0b7c3d2e11");
	assert_string_equal(pick("web"),
			    "\"web\" names 2 stores: acme/web (4f1c2a9be310), shop/web "
			    "(9a0b7c3d2e11); give PROJECT/NAME or the id");
	assert_string_equal(pick("nope/web"), "no store \"nope/web\"");
	/* the start of a name is not a name, but is said */
	assert_string_equal(pick("ou"), "no store \"ou\"; did you mean acme/outlet?");
	assert_string_equal(pick("we"), "no store \"we\"; did you mean acme/web, shop/web?");
	assert_string_equal(pick("shop/we"), "no store \"shop/we\"; did you mean shop/web?");
	assert_string_equal(pick("acme/c"), "no store \"acme/c\"");
	/* a name beats a prefix it also is */
	assert_string_equal(pick("c0ffee00"), "c0ffee000001");
	assert_string_equal(pick("c0ffee0"),
			    "\"c0ffee0\" names 2 stores: shop/c0ffee00 (c0ffee000001), "
			    "shop/cafe (c0ffee000002); give more of the id");
}

static void test_deleted_and_bad(void **state)
{
	(void)state;
	/* a Deleted store answers to its full id only */
	assert_string_equal(pick("b00000000001"), "b00000000001");
	assert_string_equal(pick("old"), "no store \"old\": shop/old (b00000000001) was deleted "
					 "on 2026-11-02 07:05 UTC");
	assert_string_equal(pick("ol"), "no store \"ol\"");
	assert_string_equal(pick("b0000000"), "no store \"b0000000\": shop/old (b00000000001) "
					      "was deleted on 2026-11-02 07:05 UTC");
	assert_string_equal(pick(""), "no store named: give its id, its name or PROJECT/NAME");
	assert_string_equal(
	    pick("a/b/c"),
	    "no store \"a/b/c\": a store is named by its id, its name or PROJECT/NAME");
	assert_string_equal(
	    pick("/web"),
	    "no store \"/web\": a store is named by its id, its name or PROJECT/NAME");
	assert_string_equal(
	    pick_any("/stage1"),
	    "no store \"/stage1\": a store is named by its id, its name or PROJECT/NAME");
	assert_string_equal(
	    pick("acme/"),
	    "no store \"acme/\": a store is named by its id, its name or PROJECT/NAME");
	/* control characters are not echoed */
	assert_string_equal(pick("w\x1b[2Jb"), "no store \"w [2Jb\"");
}

static void test_deleted_any(void **state)
{
	(void)state;
	/* the plain pick says when and which, the one deleted last */
	assert_string_equal(pick("stage1"), "no store \"stage1\": shop/stage1 (e10000000002) was "
					    "deleted on 2026-12-02 11:30 UTC");
	assert_string_equal(pick("gone"), "no store \"gone\": 2 deleted stores answer to it");
	/* pick_any takes it: by name, PROJECT/NAME, id prefix and id */
	assert_string_equal(pick_any("stage1"), "e10000000002");
	assert_string_equal(pick_any("shop/stage1"), "e10000000002");
	assert_string_equal(pick_any("e100"), "e10000000002");
	assert_string_equal(pick_any("e10000000001"), "e10000000001");
	assert_string_equal(pick_any("old"), "b00000000001");
	/* a live store of the name goes first */
	assert_string_equal(pick_any("stage2"), "e20000000002");
	assert_string_equal(pick("stage2"), "e20000000002");
	assert_string_equal(pick_any("e20000000001"), "e20000000001");
	/* live ones ambiguous stay so, deleted ones are not looked at */
	assert_string_equal(pick_any("web"), pick("web"));
	assert_string_equal(pick_any("gone"),
			    "\"gone\" names 2 deleted stores: acme/gone (e30000000001), shop/gone "
			    "(e30000000002); give PROJECT/NAME or the id");
	assert_string_equal(pick_any("acme/gone"), "e30000000001");
	assert_string_equal(pick_any("nope"), "no store \"nope\"");
	assert_string_equal(pick_any("a0"),
			    "no store \"a0\" (an id prefix takes at least 4 characters)");
	assert_string_equal(pick_any(""), "no store named: give its id, its name or PROJECT/NAME");
}

static void test_deleted_on(void **state)
{
	char buf[40];
	struct store s = {.updated_at = "2026-12-04T03:12:45Z"};

	(void)state;
	store_deleted_on(&s, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-04 03:12 UTC");
	s.updated_at[0] = '\0';
	store_deleted_on(&s, buf, sizeof(buf));
	assert_string_equal(buf, "an unknown date");
}

static void test_matches(void **state)
{
	(void)state;
	assert_true(store_ref_matches(&rows[0], "web"));
	assert_true(store_ref_matches(&rows[0], "4f1c"));
	assert_true(store_ref_matches(&rows[0], "acme/web"));
	assert_false(store_ref_matches(&rows[0], "shop/web"));
	assert_false(store_ref_matches(&rows[3], "old"));
	assert_true(store_ref_matches(&rows[3], "b00000000001"));
}

static void test_short(void **state)
{
	char buf[64];

	(void)state;
	store_ref_short(&list, &rows[0], buf, sizeof(buf));
	assert_string_equal(buf, "acme/web");
	store_ref_short(&list, &rows[1], buf, sizeof(buf));
	assert_string_equal(buf, "outlet");
	assert_string_equal(pick("acme/web"), rows[0].id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_and_prefix),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_deleted_and_bad),
	    cmocka_unit_test(test_deleted_any),
	    cmocka_unit_test(test_deleted_on),
	    cmocka_unit_test(test_matches),
	    cmocka_unit_test(test_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
