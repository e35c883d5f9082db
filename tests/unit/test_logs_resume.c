/* Exactly-once resume of a log stream (logs/resume.h): lines sharing a
 * timestamp, a replay from the start of the second, a reconnect before
 * anything came, lines without a timestamp, a resume point before the
 * first line, the clock stepping back. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "logs/resume.h"
#include "logs/session.h"

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

/* A line stamped a little earlier than the last (stdout and stderr
 * stamped by two writers) is shown live; after a reconnect it counts as
 * delivered. */
static void test_small_inversion(void **state)
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

/* The node's clock steps back an hour while the stream is up: the lines
 * after the step are shown, and a reconnect asks from them, not from the
 * hour ahead (the server would send nothing new for an hour), and takes
 * the lines written after the drop. */
static void test_clock_step_back(void **state)
{
	struct log_resume r;
	const int64_t before = 7200 * S, after = 3600 * S;

	(void)state;
	log_resume_init(&r);
	assert_true(log_resume_accept(&r, before + 1));
	assert_true(log_resume_accept(&r, before + 2));
	assert_true(log_resume_accept(&r, after + 1));
	assert_true(log_resume_accept(&r, after + 2));
	assert_int_equal(r.steps_back, 1);
	assert_int_equal(since_of(&r), after);
	log_resume_reconnect(&r);
	/* the server sends from that second on, in file order: the lines of
	 * before the step stamped later, then those after it -- shown again:
	 * the cost of a step, a repeat rather than a loss */
	assert_true(log_resume_accept(&r, before + 1));
	assert_true(log_resume_accept(&r, before + 2));
	assert_true(log_resume_accept(&r, after + 1));
	assert_true(log_resume_accept(&r, after + 2));
	/* (the mark went back again at the step; a second reconnect now) */
	log_resume_reconnect(&r);
	assert_int_equal(since_of(&r), after);
	assert_false(log_resume_accept(&r, after + 1));
	assert_false(log_resume_accept(&r, after + 2));
	assert_true(log_resume_accept(&r, after + 3));
	assert_true(log_resume_accept(&r, after + S));
}

/* A follow that asked for no earlier line (tailLines=0) and broke before
 * its first line: the reconnect asks from the start of the follow, drops
 * what the server sends from before it within that second, and keeps
 * every line written since -- the ones that came while it was down too. */
static void test_mark_before_first_line(void **state)
{
	struct log_resume r;
	const int64_t start = 1796284912500000000LL;

	(void)state;
	log_resume_init(&r);
	assert_false(log_resume_started(&r));
	log_resume_reconnect(&r);
	log_resume_mark(&r, start);
	assert_true(log_resume_started(&r));
	/* no line came; reconnect */
	log_resume_reconnect(&r);
	assert_int_equal(since_of(&r), start - start % S);
	assert_false(log_resume_accept(&r, start - 400000000));
	assert_false(log_resume_accept(&r, start - 1));
	assert_true(log_resume_accept(&r, start));
	assert_true(log_resume_accept(&r, start));
	assert_true(log_resume_accept(&r, start + 300000000));
	/* once a line came, the mark is that line's */
	log_resume_mark(&r, start + 5 * S);
	assert_int_equal(since_of(&r), start - start % S);
	log_resume_reconnect(&r);
	assert_false(log_resume_accept(&r, start));
	assert_false(log_resume_accept(&r, start));
	assert_false(log_resume_accept(&r, start + 300000000));
	assert_true(log_resume_accept(&r, start + 300000001));
	assert_int_equal(r.delivered, 4);
}

/* The first connection of such a follow keeps lines stamped before its
 * start by a node whose clock is behind ours: only a reconnect drops. */
static void test_mark_first_connection(void **state)
{
	struct log_resume r;

	(void)state;
	log_resume_init(&r);
	log_resume_reconnect(&r);
	log_resume_mark(&r, 50 * S);
	assert_true(log_resume_accept(&r, 50 * S - 2000));
	assert_true(log_resume_accept(&r, 50 * S + 1));
	assert_int_equal(r.delivered, 2);
}

/* The delay before attempt a with the least and the most jitter. */
static void backoff_bounds(unsigned a, uint64_t *lo, uint64_t *hi)
{
	uint64_t nominal = LOG_SESSION_BACKOFF_BASE_MS;

	for (unsigned i = 1; i < a && nominal < LOG_SESSION_BACKOFF_CAP_MS; i++)
		nominal *= 2;
	if (nominal > LOG_SESSION_BACKOFF_CAP_MS)
		nominal = LOG_SESSION_BACKOFF_CAP_MS;
	*lo = nominal * 3 / 4;
	*hi = nominal * 5 / 4;
}

/* A follow stream that replays its last second and ends cleanly, over
 * and over (a kubelet that closes it at once, or rotation without a new
 * line): each reconnect gets only lines it delivered, all dropped, so
 * its attempts keep counting and its delay keeps backing off, up to the
 * cap -- never reconnecting at the least delay for ever. A new line then
 * starts the attempts again. */
static void test_replay_only_keeps_backing_off(void **state)
{
	struct log_resume r;
	unsigned attempt = 0;
	uint64_t last_lo = 0;
	int pos;

	(void)state;
	log_resume_init(&r);
	/* the first connection delivers the whole log */
	for (int i = 0; i < N; i++)
		assert_true(log_stream_line(&r, &attempt, ts[i]));
	assert_int_equal(attempt, 0);
	for (unsigned round = 1; round <= 12; round++) {
		uint64_t lo, hi, d_lo, d_hi, d_mid;

		/* the stream ends cleanly; it did not live a stall bound */
		log_stream_attempt(&attempt, false);
		assert_int_equal(attempt, round);
		backoff_bounds(attempt, &lo, &hi);
		d_lo = log_stream_backoff_ms(attempt, 0);
		d_hi = log_stream_backoff_ms(attempt, hi - lo);
		d_mid = log_stream_backoff_ms(attempt, 12345);
		assert_int_equal(d_lo, lo);
		assert_int_equal(d_hi, hi);
		assert_in_range(d_mid, lo, hi);
		assert_true(d_hi <= LOG_SESSION_BACKOFF_CAP_MS * 5 / 4);
		/* never less than the attempt before, doubling until the cap */
		assert_true(d_lo >= last_lo);
		if (((uint64_t)LOG_SESSION_BACKOFF_BASE_MS << (round - 1)) <
		    LOG_SESSION_BACKOFF_CAP_MS)
			assert_int_equal(
			    d_lo, ((uint64_t)LOG_SESSION_BACKOFF_BASE_MS << (round - 1)) * 3 / 4);
		last_lo = d_lo;
		/* it reconnects from the last second: only lines it delivered */
		log_resume_reconnect(&r);
		pos = first_since(since_of(&r));
		assert_true(pos < N);
		for (; pos < N; pos++)
			assert_false(log_stream_line(&r, &attempt, ts[pos]));
		assert_int_equal(attempt, round);
	}
	/* twelve attempts in, the delay is the cap's, not the first's */
	assert_int_equal(last_lo, LOG_SESSION_BACKOFF_CAP_MS * 3 / 4);
	assert_int_equal(r.delivered, N);

	/* a new line: the stream works, its attempts start again */
	log_stream_attempt(&attempt, false);
	log_resume_reconnect(&r);
	for (pos = first_since(since_of(&r)); pos < N; pos++)
		assert_false(log_stream_line(&r, &attempt, ts[pos]));
	assert_int_equal(attempt, 13);
	assert_true(log_stream_line(&r, &attempt, ts[N - 1] + 1));
	assert_int_equal(attempt, 0);
	log_stream_attempt(&attempt, false);
	assert_int_equal(attempt, 1);
	assert_int_equal(log_stream_backoff_ms(attempt, 0), LOG_SESSION_BACKOFF_BASE_MS * 3 / 4);

	/* a stream that lived a stall bound was healthy: its end counts from
	 * the first attempt, whatever came before */
	for (int i = 0; i < 5; i++)
		log_stream_attempt(&attempt, false);
	assert_int_equal(attempt, 6);
	log_stream_attempt(&attempt, true);
	assert_int_equal(attempt, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_cut),
	    cmocka_unit_test(test_counts_and_since),
	    cmocka_unit_test(test_no_timestamp),
	    cmocka_unit_test(test_small_inversion),
	    cmocka_unit_test(test_clock_step_back),
	    cmocka_unit_test(test_mark_before_first_line),
	    cmocka_unit_test(test_mark_first_connection),
	    cmocka_unit_test(test_replay_only_keeps_backing_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
