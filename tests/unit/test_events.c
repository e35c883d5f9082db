#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/events.h"
#include "util.h"

/* A list of events with these ids, in the order given (newest first). */
static struct event_list make(const long *ids, size_t n)
{
	struct event_list l = { xcalloc(n ? n : 1, sizeof(struct event)), n };

	for (size_t i = 0; i < n; i++) {
		struct event *e = &l.v[i];
		char msg[32];

		snprintf(msg, sizeof(msg), "event %ld", ids[i]);
		e->id = ids[i];
		snprintf(e->at, sizeof(e->at), "2024-01-01T00:00:%02ldZ", ids[i] % 60);
		e->actor = xstrdup("tester");
		e->action = xstrdup("project.create");
		e->object = xstrdup("project/x");
		e->project = xstrdup("");
		e->message = xstrdup(msg);
		e->detail = xstrdup("{}");
	}
	return l;
}

static void assert_ids(const struct event_list *l, const long *ids, size_t n)
{
	assert_int_equal(l->n, n);
	for (size_t i = 0; i < n; i++) {
		char msg[32];

		assert_int_equal(l->v[i].id, ids[i]);
		snprintf(msg, sizeof(msg), "event %ld", ids[i]);
		/* The strings moved with their event. */
		assert_string_equal(l->v[i].message, msg);
	}
}

static void test_merge_into_empty(void **state)
{
	static const long in[] = { 5, 3 };
	struct event_list dst = { NULL, 0 }, src = make(in, 2);

	(void)state;
	event_list_merge(&dst, &src, 10);
	assert_ids(&dst, in, 2);
	assert_null(src.v);
	assert_int_equal(src.n, 0);
	event_list_free(&dst);
}

static void test_merge_new_on_top(void **state)
{
	static const long old[] = { 4, 2, 1 }, add[] = { 6, 5 }, want[] = { 6, 5, 4, 2, 1 };
	struct event_list dst = make(old, 3), src = make(add, 2);

	(void)state;
	event_list_merge(&dst, &src, 0);
	assert_ids(&dst, want, 5);
	event_list_free(&dst);
}

/* An event whose transaction committed late has a lower id than one
 * already shown: it goes where its id says, not on top. */
static void test_merge_late_commit(void **state)
{
	static const long old[] = { 9, 7, 5 }, add[] = { 10, 8 }, want[] = { 10, 9, 8, 7, 5 };
	struct event_list dst = make(old, 3), src = make(add, 2);

	(void)state;
	event_list_merge(&dst, &src, 0);
	assert_ids(&dst, want, 5);
	event_list_free(&dst);
}

static void test_merge_drops_duplicates(void **state)
{
	static const long old[] = { 3, 2, 1 }, add[] = { 4, 3, 1 }, want[] = { 4, 3, 2, 1 };
	struct event_list dst = make(old, 3), src = make(add, 3);

	(void)state;
	event_list_merge(&dst, &src, 0);
	assert_ids(&dst, want, 4);
	event_list_free(&dst);
}

static void test_merge_keeps_the_newest(void **state)
{
	static const long old[] = { 5, 4, 3 }, add[] = { 7, 6, 1 }, want[] = { 7, 6, 5, 4 };
	struct event_list dst = make(old, 3), src = make(add, 3);

	(void)state;
	event_list_merge(&dst, &src, 4);
	assert_ids(&dst, want, 4);
	event_list_free(&dst);
}

static void test_merge_nothing(void **state)
{
	static const long old[] = { 2, 1 };
	struct event_list dst = make(old, 2), src = { NULL, 0 };

	(void)state;
	event_list_merge(&dst, &src, 2);
	assert_ids(&dst, old, 2);
	event_list_free(&dst);

	dst = (struct event_list){ NULL, 0 };
	event_list_merge(&dst, &src, 5);
	assert_int_equal(dst.n, 0);
	event_list_free(&dst);
}

static void test_copy_and_clear(void **state)
{
	static const long in[] = { 42 };
	struct event_list l = make(in, 1);
	struct event copy = { 0 };

	(void)state;
	event_copy(&copy, &l.v[0]);
	event_list_free(&l);
	assert_int_equal(copy.id, 42);
	assert_string_equal(copy.message, "event 42");
	assert_string_equal(copy.detail, "{}");
	assert_string_equal(copy.at, "2024-01-01T00:00:42Z");
	event_clear(&copy);
	assert_null(copy.message);
	assert_int_equal(copy.id, 0);
}

static void test_req_by_ids(void **state)
{
	static const long ids[] = { 12, 7, 1 };
	struct db_req r;
	struct err err = { { 0 } };

	(void)state;
	assert_true(event_req_by_ids(&r, ids, 3, &err));
	assert_int_equal(r.nparams, 1);
	/* One array parameter, never ids spliced into the SQL. */
	assert_string_equal(r.params[0], "{12,7,1}");
	assert_non_null(strstr(r.sql, "ANY ($1::bigint[])"));
	assert_null(strstr(r.sql, "12"));
	db_req_free(&r);
}

static void test_req_by_ids_refusals(void **state)
{
	static const long bad[] = { 3, 0 }, neg[] = { -5 };
	long *many = xcalloc(EVENTS_MAX_LIMIT + 1, sizeof(*many));
	struct db_req r;
	struct err err = { { 0 } };

	(void)state;
	assert_false(event_req_by_ids(&r, bad, 0, &err));
	assert_non_null(strstr(err.msg, "between 1 and"));
	err = (struct err){ { 0 } };
	assert_false(event_req_by_ids(&r, bad, 2, &err));
	assert_string_equal(err.msg, "0 is not an event id");
	err = (struct err){ { 0 } };
	assert_false(event_req_by_ids(&r, neg, 1, &err));
	assert_string_equal(err.msg, "-5 is not an event id");
	for (size_t i = 0; i <= EVENTS_MAX_LIMIT; i++)
		many[i] = (long)i + 1;
	err = (struct err){ { 0 } };
	assert_false(event_req_by_ids(&r, many, EVENTS_MAX_LIMIT + 1, &err));
	assert_true(event_req_by_ids(&r, many, EVENTS_MAX_LIMIT, &err));
	db_req_free(&r);
	free(many);
}

static void test_req_list(void **state)
{
	struct db_req r;
	struct err err = { { 0 } };

	(void)state;
	assert_true(event_req_list(&r, NULL, 500, &err));
	assert_int_equal(r.nparams, 2);
	assert_null(r.params[0]);
	assert_string_equal(r.params[1], "500");
	/* The detail comes along: Enter shows it without another query. */
	assert_non_null(strstr(r.sql, "jsonb_pretty(e.detail)"));
	db_req_free(&r);
	assert_false(event_req_list(&r, NULL, 0, &err));
	assert_false(event_req_list(&r, "Not A Slug", 10, &err));
	assert_non_null(strstr(err.msg, "invalid project slug"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_into_empty),
		cmocka_unit_test(test_merge_new_on_top),
		cmocka_unit_test(test_merge_late_commit),
		cmocka_unit_test(test_merge_drops_duplicates),
		cmocka_unit_test(test_merge_keeps_the_newest),
		cmocka_unit_test(test_merge_nothing),
		cmocka_unit_test(test_copy_and_clear),
		cmocka_unit_test(test_req_by_ids),
		cmocka_unit_test(test_req_by_ids_refusals),
		cmocka_unit_test(test_req_list),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
