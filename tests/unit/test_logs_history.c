/* A store's history as a log source (logs/history.h): rows pushed once,
 * in time order, the tail of each source, and one time order over the
 * ring's lines of several sources. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "logs/history.h"
#include "logs/ring.h"

#define SEC 1000000000LL

static struct log_history *history(struct log_ring *r)
{
	struct log_history_opts o = {.store = "0123456789ab", .ring = r, .tail_lines = -1};
	struct err err = {{0}};
	struct log_history *h = log_history_start(&o, &err);

	assert_non_null(h);
	return h;
}

static void test_bad_store(void **state)
{
	struct log_history_opts o = {.store = "x;drop", .tail_lines = -1};
	struct err err = {{0}};

	(void)state;
	assert_null(log_history_start(&o, &err));
	assert_string_equal(err.msg, "not a store id");
}

static void test_once_in_order(void **state)
{
	struct log_ring *r = log_ring_new(100, 10000);
	struct log_history *h = history(r);
	struct log_history_row rows[] = {
	    {'f', 7, 30 * SEC, "job 1 provision: step apply done"},
	    {'e', 3, 10 * SEC, "store.order by ann: ordered"},
	    {'s', 7, 20 * SEC, "job 1 provision: step apply started"},
	};
	struct log_history_row again[] = {
	    {'s', 7, 20 * SEC, "job 1 provision: step apply started"},
	    {'s', 8, 40 * SEC, "job 1 provision: step wait\x1b[31m started"},
	    {'e', 3, 10 * SEC, "store.order by ann: ordered"},
	};

	(void)state;
	log_history_take(h, rows, 3, -1);
	assert_int_equal(log_ring_count(r), 3);
	assert_int_equal(log_ring_get(r, 0)->source, LOG_HISTORY_EVENTS);
	assert_int_equal(log_ring_get(r, 0)->ts_ns, 10 * SEC);
	assert_string_equal(log_ring_get(r, 1)->text, "job 1 provision: step apply started");
	assert_int_equal(log_ring_get(r, 1)->source, LOG_HISTORY_JOBS);
	assert_string_equal(log_ring_get(r, 2)->text, "job 1 provision: step apply done");
	/* a later read: only what is new, made safe for a terminal */
	log_history_take(h, again, 3, -1);
	assert_int_equal(log_ring_count(r), 4);
	assert_string_equal(log_ring_get(r, 3)->text, "job 1 provision: step wait started");
	assert_int_equal(log_history_lines(h), 4);
	log_history_free(h);
	log_ring_free(r);
}

static void test_tail_per_source(void **state)
{
	struct log_ring *r = log_ring_new(100, 10000);
	struct log_history *h = history(r);
	struct log_history_row rows[] = {
	    {'e', 1, 1 * SEC, "e1"}, {'e', 2, 2 * SEC, "e2"}, {'e', 3, 3 * SEC, "e3"},
	    {'s', 5, 1 * SEC, "s5"}, {'f', 5, 4 * SEC, "f5"},
	};
	struct log_history_row later[] = {
	    {'e', 1, 1 * SEC, "e1"},
	    {'e', 4, 5 * SEC, "e4"},
	};

	(void)state;
	log_history_take(h, rows, 5, 1);
	assert_int_equal(log_ring_count(r), 2);
	assert_string_equal(log_ring_get(r, 0)->text, "e3");
	assert_string_equal(log_ring_get(r, 1)->text, "f5");
	/* what the tail left out stays out */
	log_history_take(h, later, 2, -1);
	assert_int_equal(log_ring_count(r), 3);
	assert_string_equal(log_ring_get(r, 2)->text, "e4");
	log_history_free(h);
	log_ring_free(r);
}

static void test_order_by_time(void **state)
{
	struct log_ring *r = log_ring_new(4, 10000);
	uint64_t nums[6];

	(void)state;
	/* two pod sources, each in order, then history arriving late */
	log_ring_push(r, 0, 5 * SEC, "a5", 2);			/* 0: evicted */
	log_ring_push(r, 0, 10 * SEC, "a10", 3);		/* 1: evicted */
	log_ring_push(r, 0, 20 * SEC, "a20", 3);		/* 2 */
	log_ring_push(r, 1, 15 * SEC, "b15", 3);		/* 3 */
	log_ring_push(r, 1, 20 * SEC, "b20", 3);		/* 4 */
	log_ring_push(r, LOG_HISTORY_JOBS, 12 * SEC, "h12", 3); /* 5 */
	for (uint64_t i = 0; i < 6; i++)
		nums[i] = i;
	log_order_by_time(r, nums, 6);
	/* lines gone first, in their order; equal times in arrival order */
	assert_int_equal(nums[0], 0);
	assert_int_equal(nums[1], 1);
	assert_int_equal(nums[2], 5);
	assert_int_equal(nums[3], 3);
	assert_int_equal(nums[4], 2);
	assert_int_equal(nums[5], 4);
	log_ring_free(r);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(log_history_source(LOG_HISTORY_EVENTS));
	assert_false(log_history_source(3));
	assert_string_equal(log_history_source_name(LOG_HISTORY_EVENTS), "opsdeck/events");
	assert_string_equal(log_history_source_name(LOG_HISTORY_JOBS), "opsdeck/jobs");
	assert_null(log_history_source_name(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_store),	    cmocka_unit_test(test_once_in_order),
	    cmocka_unit_test(test_tail_per_source), cmocka_unit_test(test_order_by_time),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
