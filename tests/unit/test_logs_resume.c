/* Exactly-once resume of a log stream (logs/resume.h): lines sharing a
 * timestamp, a replay from the start of the second, a reconnect before
 * anything came, lines without a timestamp. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "logs/resume.h"

#define S 1000000000LL

/* A container's log: line i's timestamp. Many share one (a burst within
 * a nanosecond clock tick), spread over three seconds. */
static const int64_t ts[] = {
    100 * S + 1, 100 * S + 5, 100 * S + 5, 100 * S + 5, 100 * S + 9, 101 * S,
    101 * S,	 101 * S,     101 * S + 3, 102 * S + 7, 102 * S + 7, 102 * S + 8,
};
#define N ((int)(sizeof(ts) / sizeof(ts[0])))

/* What the server sends from sinceTime (whole seconds): every line at or
 * after it. */
static int first_since(int64_t since)
{
	int i = 0;

	while (i < N && ts[i] < since)
		i++;
	return i;
}

static int64_t since_of(const struct log_resume *r)
{
	char text[LOG_TIME_SIZE];
	int64_t ns = -1;

	log_resume_since(r, text);
	assert_int_equal(log_time_parse(text, strlen(text), &ns), strlen(text));
	assert_int_equal(ns % S, 0);
	return ns;
}

/* The stream drops after each number of lines in cuts; every line must
 * come out once, in order. */
static void run(const int *cuts, int ncuts)
{
	struct log_resume r;
	int out[N * 4], nout = 0, pos = 0, c = 0;

	log_resume_init(&r);
	assert_false(log_resume_started(&r));
	for (;;) {
		int limit = c < ncuts ? cuts[c++] : N * 4, sent = 0;

		for (; pos < N && sent < limit; pos++, sent++) {
			if (log_resume_accept(&r, ts[pos]))
				out[nout++] = pos;
		}
		if (pos >= N)
			break;
		/* reconnect: from the last timestamp's second, or from the start */
		log_resume_reconnect(&r);
		pos = log_resume_started(&r) ? first_since(since_of(&r)) : 0;
	}
	assert_int_equal(nout, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(out[i], i);
}

static void test_every_cut(void **state)
{
	(void)state;
	/* one drop after each possible line count */
	for (int k = 0; k <= N; k++) {
		int cuts[] = {k};

		run(cuts, 1);
	}
	/* drops in the middle of a run of equal timestamps, twice */
	{
		int cuts[] = {2, 3, 1, 4};

		run(cuts, 4);
	}
	/* a drop after every line */
	{
		int cuts[N];

		for (int i = 0; i < N; i++)
			cuts[i] = 1;
		run(cuts, N);
	}
	/* connections that give nothing before dropping */
	{
		int cuts[] = {0, 0, 3, 0, 0, 1, 0, 5};

		run(cuts, 8);
	}
}

static void test_counts_and_since(void **state)
{
	struct log_resume r;
	char since[LOG_TIME_SIZE];

	(void)state;
	log_resume_init(&r);
	assert_true(log_resume_accept(&r, 1796284912123456789LL));
	assert_true(log_resume_accept(&r, 1796284912123456789LL));
	log_resume_since(&r, since);
	assert_string_equal(since, "2026-12-03T08:01:52Z");
	log_resume_reconnect(&r);
	/* an earlier line of that second, then the two delivered, then new */
	assert_false(log_resume_accept(&r, 1796284912000000001LL));
	assert_false(log_resume_accept(&r, 1796284912123456789LL));
	assert_false(log_resume_accept(&r, 1796284912123456789LL));
	assert_true(log_resume_accept(&r, 1796284912123456789LL));
	assert_true(log_resume_accept(&r, 1796284913000000000LL));
	assert_int_equal(r.delivered, 4);
	assert_int_equal(r.dropped, 3);
	/* once past the replay, an equal timestamp is a new line */
	assert_true(log_resume_accept(&r, 1796284913000000000LL));
}

/* Lines without a timestamp count with the last one. */
static void test_no_timestamp(void **state)
{
	struct log_resume r;

	(void)state;
	log_resume_init(&r);
	assert_true(log_resume_accept(&r, 5 * S));
	assert_true(log_resume_accept(&r, 0));
	log_resume_reconnect(&r);
	assert_false(log_resume_accept(&r, 5 * S));
	assert_false(log_resume_accept(&r, 0));
	assert_true(log_resume_accept(&r, 0));
}

/* A line stamped earlier than the last (a clock stepped back) is shown
 * live; after a reconnect it counts as delivered. */
static void test_clock_step_back(void **state)
{
	struct log_resume r;

	(void)state;
	log_resume_init(&r);
	assert_true(log_resume_accept(&r, 10 * S + 5));
	assert_true(log_resume_accept(&r, 10 * S + 2));
	assert_true(log_resume_accept(&r, 10 * S + 5));
	log_resume_reconnect(&r);
	assert_false(log_resume_accept(&r, 10 * S + 5));
	assert_false(log_resume_accept(&r, 10 * S + 2));
	assert_false(log_resume_accept(&r, 10 * S + 5));
	assert_true(log_resume_accept(&r, 10 * S + 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_cut),
	    cmocka_unit_test(test_counts_and_since),
	    cmocka_unit_test(test_no_timestamp),
	    cmocka_unit_test(test_clock_step_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
