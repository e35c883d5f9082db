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

struct told {
	struct log_ring *r;
	unsigned moved;
	char lines[8][64];
	uint64_t nums[8];
	size_t n;
};

static void told_moved(void *ud)
{
	struct told *t = ud;

	t->moved++;
}

static void told_line(void *ud, uint64_t n, const struct log_entry *e)
{
	struct told *t = ud;

	assert_true(t->n < 8);
	if (n >= log_ring_first(t->r))
		assert_ptr_equal(log_ring_get(t->r, n), e);
	else
		assert_null(log_ring_get(t->r, n)); /* gone at once */
	snprintf(t->lines[t->n], sizeof(t->lines[0]), "%s", e->text);
	t->nums[t->n++] = n;
}

/* A read that comes after pods' lines newer than its rows: its lines go
 * among them by time, in one merge, told as moved and then line by line
 * with their numbers; a read of rows newer than everything is pushed. */
static void test_interleaved_by_time(void **state)
{
	struct log_ring *r = log_ring_new(100, 10000);
	struct told t = {.r = r};
	struct log_history_opts o = {.store = "0123456789ab", .ring = r, .tail_lines = -1,
				     .on_line = told_line, .on_moved = told_moved, .ud = &t};
	struct err err = {{0}};
	struct log_history *h = log_history_start(&o, &err);
	struct log_history_row rows[] = {
	    {'e', 1, 25 * SEC, "e25"},
	    {'s', 2, 5 * SEC, "s5"},
	    {'f', 2, 20 * SEC, "f20"},
	};
	struct log_history_row later[] = {{'e', 3, 40 * SEC, "e40"}};
	const char *want[] = {"s5", "a10", "b20", "f20", "e25", "a30", "e40"};

	(void)state;
	assert_non_null(h);
	log_ring_push(r, 0, 10 * SEC, "a10", 3);
	log_ring_push(r, 1, 20 * SEC, "b20", 3);
	log_ring_push(r, 0, 30 * SEC, "a30", 3);
	log_history_take(h, rows, 3, -1);
	assert_int_equal(t.moved, 1);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.lines[0], "s5");
	assert_int_equal(t.nums[0], 0);
	assert_string_equal(t.lines[1], "f20");
	assert_int_equal(t.nums[1], 3); /* after b20: equal times keep arrival order */
	assert_string_equal(t.lines[2], "e25");
	assert_int_equal(t.nums[2], 4);
	assert_int_equal(log_ring_moved(r, 2), 5); /* a30 */
	log_history_take(h, later, 1, -1);
	assert_int_equal(t.moved, 1);
	assert_int_equal(t.nums[3], 6);
	assert_int_equal(log_ring_count(r), ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		assert_string_equal(log_ring_get(r, i)->text, want[i]);
	assert_int_equal(log_history_lines(h), 4);
	log_history_free(h);
	log_ring_free(r);
}

/* A read's line older than all a full ring holds goes from the ring at
 * once, and is told all the same, once: a reader printing lines as they
 * are told (opsdeck logs -f --history) misses none. */
static void test_older_than_full_ring(void **state)
{
	struct log_ring *r = log_ring_new(3, 10000);
	struct told t = {.r = r};
	struct log_history_opts o = {.store = "0123456789ab", .ring = r, .tail_lines = -1,
				     .on_line = told_line, .on_moved = told_moved, .ud = &t};
	struct err err = {{0}};
	struct log_history *h = log_history_start(&o, &err);
	struct log_history_row rows[] = {{'e', 1, 5 * SEC, "e5"}, {'e', 2, 25 * SEC, "e25"}};

	(void)state;
	assert_non_null(h);
	log_ring_push(r, 0, 10 * SEC, "a10", 3);
	log_ring_push(r, 0, 20 * SEC, "a20", 3);
	log_ring_push(r, 0, 30 * SEC, "a30", 3);
	log_history_take(h, rows, 2, -1);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.lines[0], "e5");
	assert_true(t.nums[0] < log_ring_first(r));
	assert_string_equal(t.lines[1], "e25");
	assert_string_equal(log_ring_get(r, t.nums[1])->text, "e25");
	assert_int_equal(log_ring_count(r), 3);
	/* read again: told no more */
	log_history_take(h, rows, 2, -1);
	assert_int_equal(t.n, 2);
	assert_int_equal(log_history_lines(h), 2);
	log_history_free(h);
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
	    cmocka_unit_test(test_names),	    cmocka_unit_test(test_interleaved_by_time),
	    cmocka_unit_test(test_older_than_full_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
