/* The job queue's pure parts (db/jobq.h): a row parsed from its cells,
 * what makes a job stand out and the words for it, ages that grow after
 * the read, the counts and their lines, ids typed by a person. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "db/jobq.h"

/* id store name kind state step attempts max due_in age runner lease_left
 * running cancel_by last_error created finished */
static bool parse(struct jobq_job *j, const char *state, const char *due, const char *runner,
		  const char *lease, const char *running)
{
	const char *c[JOBQ_LIST_COLS] = {"7",
					 "0000000000a1",
					 "shop",
					 "provision",
					 state,
					 "apply",
					 "1",
					 "5",
					 due,
					 "400",
					 runner,
					 lease,
					 running,
					 "",
					 "boom\nmore",
					 "2026-01-01 10:00:00",
					 ""};
	struct err err = {{0}};

	return jobq_parse_row(c, JOBQ_LIST_COLS, j, &err);
}

static void test_parse(void **state)
{
	struct jobq_job j;
	struct err err = {{0}};
	const char *bad[JOBQ_LIST_COLS] = {"x"};

	(void)state;
	assert_true(parse(&j, "running", "-10", "w1/ab", "20", "30"));
	assert_int_equal(j.id, 7);
	assert_string_equal(j.store, "0000000000a1");
	assert_string_equal(j.step, "apply");
	assert_int_equal(j.lease_left_s, 20);
	assert_string_equal(j.last_error, "boom\nmore");
	jobq_job_free(&j);
	assert_false(parse(&j, "sleeping", "0", "", "0", "-1"));     /* not a state */
	assert_false(jobq_parse_row(bad, JOBQ_LIST_COLS, &j, &err)); /* NULL cells */
	assert_string_equal(err.msg, "unexpected answer about the jobs");
	assert_false(jobq_parse_row(bad, 3, &j, &err));
}

static void test_alerts(void **state)
{
	struct jobq_limits lim = {.timeout_s = 300, .queued_alert_s = 600};
	struct jobq_job j;
	char buf[600];
	long age;

	(void)state;
	assert_true(parse(&j, "running", "0", "w1/ab", "-90", "30"));
	assert_int_equal(jobq_alert(&j, &lim, &age), JOBQ_ALERT_LEASE_EXPIRED);
	assert_int_equal(age, 90);
	jobq_alert_text(&j, &lim, buf, sizeof(buf));
	assert_non_null(strstr(buf, "lease expired 90s ago: runner w1/ab"));
	jobq_job_free(&j);

	assert_true(parse(&j, "running", "0", "w1/ab", "20", "400"));
	assert_int_equal(jobq_alert(&j, &lim, &age), JOBQ_ALERT_TIMEOUT);
	jobq_alert_text(&j, &lim, buf, sizeof(buf));
	assert_string_equal(buf, "attempt 1 has run for 6m, past the 5m timeout, at step apply");
	/* the lease runs out 30 s later: that says more */
	jobq_job_age(&j, 30);
	assert_int_equal(jobq_alert(&j, &lim, &age), JOBQ_ALERT_LEASE_EXPIRED);
	assert_int_equal(age, 10);
	jobq_job_free(&j);

	assert_true(parse(&j, "queued", "-601", "", "0", "-1"));
	assert_int_equal(jobq_alert(&j, &lim, &age), JOBQ_ALERT_QUEUED);
	assert_int_equal(age, 601);
	jobq_job_free(&j);
	assert_true(parse(&j, "queued", "-500", "", "0", "-1"));
	assert_int_equal(jobq_alert(&j, &lim, NULL), JOBQ_ALERT_NONE);
	jobq_alert_text(&j, &lim, buf, sizeof(buf));
	assert_string_equal(buf, "");
	jobq_when_text(&j, buf, sizeof(buf));
	assert_string_equal(buf, "waiting 8m");
	jobq_job_free(&j);
	assert_true(parse(&j, "queued", "30", "", "0", "-1"));
	jobq_when_text(&j, buf, sizeof(buf));
	assert_string_equal(buf, "due in 30s");
	jobq_job_free(&j);
	/* a finished job never stands out */
	assert_true(parse(&j, "failed", "-9999", "", "0", "-1"));
	assert_int_equal(jobq_alert(&j, &lim, NULL), JOBQ_ALERT_NONE);
	jobq_job_free(&j);
}

/* A request to stop, in the words of each state the job can be in. */
static void test_cancel_text(void **state)
{
	static const struct {
		const char *state, *text;
	} cases[] = {
	    {"running", "asked by alice; it stops at its next step"},
	    {"cancelled", "asked by alice while it ran; it ended cancelled"},
	    {"succeeded", "asked by alice while it ran; it succeeded before reaching another step"},
	    {"failed", "asked by alice while it ran; it failed before reaching another step"},
	    {"queued", "asked by alice while it ran; it is not run again: the next claim ends it "
		       "cancelled"},
	};
	struct jobq_job j;
	char buf[400];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(parse(&j, cases[i].state, "0", "", "0", "-1"));
		jobq_cancel_text(&j, buf, sizeof(buf));
		assert_string_equal(buf, ""); /* nobody asked */
		str_copy(j.cancel_by, sizeof(j.cancel_by), "alice");
		jobq_cancel_text(&j, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
		jobq_job_free(&j);
	}
}

static void test_counts(void **state)
{
	struct jobq_counts c;
	struct err err = {{0}};
	const char *r1[] = {"provision", "queued", "2", "240"};
	const char *r2[] = {"scale", "queued", "1", "30"};
	const char *r3[] = {"scale", "failed", "3", "-1"};
	const char *r4[] = {"provision", "succeeded", "9", "-1"};
	const char *bad[] = {"provision", "lost", "1", "-1"};
	char buf[400];

	(void)state;
	jobq_counts_init(&c);
	assert_true(jobq_counts_add(&c, r1, 4, &err));
	assert_true(jobq_counts_add(&c, r2, 4, &err));
	assert_true(jobq_counts_add(&c, r3, 4, &err));
	assert_true(jobq_counts_add(&c, r4, 4, &err));
	assert_false(jobq_counts_add(&c, bad, 4, &err));
	assert_int_equal(jobq_counts_state(&c, JOBQ_QUEUED), 3);
	jobq_counts_text(&c, buf, sizeof(buf));
	assert_string_equal(buf, "3 queued (oldest 4m) · 0 running · 3 failed · 0 cancelled · "
				 "9 succeeded");
	jobq_counts_kinds_text(&c, buf, sizeof(buf));
	assert_string_equal(buf, "provision 2 queued · scale 1 queued, 3 failed");
	jobq_counts_text(&c, buf, 10); /* cut, still terminated */
	assert_int_equal(strlen(buf), 9);
}

static void test_ids_and_filters(void **state)
{
	long id;
	struct db_req r;
	struct err err = {{0}};
	struct jobq_filter f = {.state = "stuck", .finished = 1};
	struct conf conf;

	(void)state;
	assert_true(jobq_parse_id("42", &id));
	assert_int_equal(id, 42);
	assert_true(jobq_parse_id("#7", &id));
	assert_int_equal(id, 7);
	assert_false(jobq_parse_id("0", &id));
	assert_false(jobq_parse_id("4x", &id));
	assert_false(jobq_parse_id("", &id));
	assert_false(jobq_parse_id("+5", &id));
	assert_false(jobq_parse_id("#-5", &id));
	assert_false(jobq_parse_id("##5", &id));
	assert_false(jobq_req_list(&r, &f, &err));
	assert_non_null(strstr(err.msg, "no job state 'stuck'"));
	f.state = NULL;
	f.kind = "build";
	assert_false(jobq_req_list(&r, &f, &err));
	f.kind = NULL;
	assert_true(jobq_req_list(&r, &f, &err));
	db_req_free(&r);

	conf_init(&conf);
	conf.read_only = true;
	assert_false(jobq_req_cancel(&r, &conf, 3, &err));
	assert_string_equal(err.msg, "read-only mode: refusing to cancel a job");
	assert_false(jobq_req_retry(&r, &conf, 3, &err));
	assert_string_equal(err.msg, "read-only mode: refusing to retry a job");
	conf.read_only = false;
	assert_false(jobq_req_retry(&r, &conf, 0, &err));
	assert_true(jobq_req_retry(&r, &conf, 3, &err));
	db_req_free(&r);
	conf_free(&conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_alerts),
	    cmocka_unit_test(test_cancel_text),
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_ids_and_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
