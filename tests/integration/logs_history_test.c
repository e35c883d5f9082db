/* opsdeck's history of a store followed against the PostgreSQL that
 * tests/integration/logs_history.sh prepares (store A with 3,000 events a
 * second apart, an hour old and more): the first read takes them all; an
 * event inserted then is read with the few of the seconds before it, not
 * the 3,000 again; a burst of 25,000 events in one transaction (more than
 * one read's rows) comes whole; following among pods' lines, an event's
 * line goes by time before a pod's newer line that came before it. The
 * tests share one loop and run in order. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "db/conn.h"
#include "db/db.h"
#include "logs/history.h"
#include "logs/ring.h"
#include "loop.h"

#define STORE_A "00000000000a"
#define FIRST_EVENTS 3000
#define BURST 25000

struct fixture {
	struct loop *loop;
	const char *conninfo;
	struct db_conn *conn;
	struct log_ring *ring;
	struct log_history *h;
	unsigned answers;
	unsigned moved;	    /* on_moved calls */
	uint64_t last_line; /* the number on_line gave last */
};

static void on_read(void *ud)
{
	struct fixture *f = ud;

	f->answers++;
}

static void on_moved(void *ud)
{
	struct fixture *f = ud;

	f->moved++;
}

static void on_line(void *ud, uint64_t n, const struct log_entry *e)
{
	struct fixture *f = ud;

	assert_ptr_equal(log_ring_get(f->ring, n), e);
	f->last_line = n;
}

/* Runs the loop until the history pushed n lines (true) or ms pass. */
static bool lines_reach(struct fixture *f, uint64_t n, unsigned ms)
{
	uint64_t end = loop_now_ms() + ms;

	while (log_history_lines(f->h) < n && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	return log_history_lines(f->h) >= n;
}

static void other_client(struct fixture *f, const char *sql)
{
	struct err err = {{0}};
	PGconn *pg = db_open(f->conninfo, &err);

	assert_non_null(pg);
	assert_true(db_exec_fixed(pg, sql, &err));
	db_close(pg);
}

/* n events of store A at now() (one transaction: one time). */
static void add_events(struct fixture *f, int n)
{
	char sql[800];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO opsdeck.events (actor, action, object, project, message)"
		 " SELECT 'test', 'store.test', 'store/" STORE_A "', s.project, 'event ' || i"
		 " FROM opsdeck.stores s, generate_series(1, %d) i WHERE s.id = '" STORE_A "'",
		 n);
	other_client(f, sql);
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err err = {{0}};
	struct log_history_opts o = {.store = STORE_A, .follow = true, .tail_lines = -1};

	if (!f)
		return -1;
	f->conninfo = getenv("OPSDECK_TEST_DB");
	if (!f->conninfo) {
		fprintf(stderr, "run through logs_history.sh\n");
		free(f);
		return -1;
	}
	f->loop = loop_new();
	f->conn = db_conn_new(f->loop, f->conninfo, NULL);
	f->ring = log_ring_new(100000, 64u << 20);
	o.loop = f->loop;
	o.conn = f->conn;
	o.ring = f->ring;
	o.on_read = on_read;
	o.on_line = on_line;
	o.on_moved = on_moved;
	o.ud = f;
	f->h = log_history_start(&o, &err);
	if (!f->h)
		return -1;
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	log_history_free(f->h);
	db_conn_free(f->conn);
	log_ring_free(f->ring);
	loop_free(f->loop);
	free(f);
	return 0;
}

static void test_first_read(void **state)
{
	struct fixture *f = *state;
	uint64_t end = loop_now_ms() + 20000;

	while (!f->answers && loop_now_ms() < end)
		loop_run_once(f->loop, 20);
	assert_int_equal(f->answers, 1);
	assert_null(log_history_failed(f->h));
	assert_int_equal(log_history_lines(f->h), FIRST_EVENTS);
	assert_int_equal(log_history_rows_read(f->h), FIRST_EVENTS);
}

/* A new event: the read it causes returns what is newer than what was
 * read (and the last seconds again), not the whole history. */
static void test_next_read_is_new_rows_only(void **state)
{
	struct fixture *f = *state;
	uint64_t rows = log_history_rows_read(f->h);
	const struct log_entry *e;

	add_events(f, 1);
	assert_true(lines_reach(f, FIRST_EVENTS + 1, 20000));
	print_message("# rows read for one new event: %llu\n",
		      (unsigned long long)(log_history_rows_read(f->h) - rows));
	/* the first events are a second apart: those of the last
	 * LOG_HISTORY_LATE_US again, and the new one; never all 3,000 */
	assert_true(log_history_rows_read(f->h) - rows <= LOG_HISTORY_LATE_US / 1000000 + 10);
	e = log_ring_get(f->ring, log_ring_end(f->ring) - 1);
	assert_non_null(e);
	assert_int_equal(e->source, LOG_HISTORY_EVENTS);
	assert_memory_equal(e->text, "store.test by test: event 1", 27);
}

/* More rows at one time than a read returns: the reads go on after the
 * last row each returned, and every row comes once. */
static void test_burst_comes_whole(void **state)
{
	struct fixture *f = *state;
	uint64_t rows = log_history_rows_read(f->h);

	add_events(f, BURST);
	assert_true(lines_reach(f, FIRST_EVENTS + 1 + BURST, 60000));
	assert_null(log_history_failed(f->h));
	print_message("# rows read for %d new events: %llu\n", BURST,
		      (unsigned long long)(log_history_rows_read(f->h) - rows));
	assert_true(log_history_rows_read(f->h) - rows <= BURST + 10);
	assert_int_equal(log_history_lines(f->h), FIRST_EVENTS + 1 + BURST);
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Following next to a store's pods: a pod's line written before an event
 * and one written after it (stamped 10 s ahead) are in the ring before
 * the read of the event comes back; its line goes between them, by time,
 * and the lines held that it went before are said to have moved. */
static void test_follow_interleaves_by_time(void **state)
{
	struct fixture *f = *state;
	uint64_t lines = log_history_lines(f->h), before_n, after_n;
	unsigned moved = f->moved;
	const struct log_entry *e;

	before_n = log_ring_push(f->ring, 7, wall_ns() - 1000000, "pod line before", 15);
	add_events(f, 1);
	after_n = log_ring_push(f->ring, 7, wall_ns() + 10 * 1000000000LL, "pod line after", 14);
	assert_int_equal(after_n, before_n + 1);
	assert_true(lines_reach(f, lines + 1, 20000));
	assert_int_equal(f->moved, moved + 1);
	/* the event's line sits between the pod's two */
	assert_int_equal(f->last_line, before_n + 1);
	e = log_ring_get(f->ring, before_n + 1);
	assert_non_null(e);
	assert_int_equal(e->source, LOG_HISTORY_EVENTS);
	assert_memory_equal(e->text, "store.test by test: event 1", 27);
	assert_string_equal(log_ring_get(f->ring, before_n)->text, "pod line before");
	assert_int_equal(log_ring_moved(f->ring, after_n), before_n + 2);
	assert_string_equal(log_ring_get(f->ring, before_n + 2)->text, "pod line after");
	assert_int_equal(log_ring_end(f->ring), before_n + 3);
	/* the whole ring in time order: the history's lines and the pod's */
	for (uint64_t n = log_ring_first(f->ring) + 1; n < log_ring_end(f->ring); n++)
		assert_true(log_ring_get(f->ring, n - 1)->ts_ns <= log_ring_get(f->ring, n)->ts_ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_read),
	    cmocka_unit_test(test_next_read_is_new_rows_only),
	    cmocka_unit_test(test_burst_comes_whole),
	    cmocka_unit_test(test_follow_interleaves_by_time),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
