/* What the STEP column and `store list` say a store's job is doing: a
 * running step with its age, a job waiting for a runner or a slot, an
 * attempt waiting to be retried, and nothing without a job. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "db/stores.h"

static struct store job(const char *kind, const char *state, const char *step, long attempts,
			long age)
{
	struct store s = { .job_id = 7,
			   .job_kind = (char *)kind,
			   .job_state = (char *)state,
			   .job_step = (char *)step,
			   .job_attempts = attempts,
			   .job_max_attempts = 5,
			   .step_age_s = age };
	return s;
}

static void test_running(void **state)
{
	struct store s = job("provision", "running", "apply", 0, 12);
	char buf[80];

	(void)state;
	store_progress(&s, 0, buf, sizeof(buf));
	assert_string_equal(buf, "provision apply 12s");
	/* ages move on from when the list was read */
	store_progress(&s, 150, buf, sizeof(buf));
	assert_string_equal(buf, "provision apply 2m");
	/* claimed, no step begun yet */
	s = job("scale", "running", "", 1, -1);
	store_progress(&s, 0, buf, sizeof(buf));
	assert_string_equal(buf, "scale running");
}

static void test_waiting(void **state)
{
	struct store s = job("provision", "queued", "", 0, 40);
	char buf[80];

	(void)state;
	store_progress(&s, 0, buf, sizeof(buf));
	assert_string_equal(buf, "provision waiting 40s");
	s = job("provision", "queued", "apply", 1, 8);
	store_progress(&s, 0, buf, sizeof(buf));
	assert_string_equal(buf, "provision attempt 2/5 waiting 8s");
}

static void test_no_job(void **state)
{
	struct store s = { .job_id = 0 };
	char buf[80] = "stale";

	(void)state;
	store_progress(&s, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* a short buffer is cut, never overrun */
	s = job("provision", "running", "readiness", 0, 5);
	store_progress(&s, 0, buf, 10);
	assert_string_equal(buf, "provision");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_waiting),
		cmocka_unit_test(test_no_job),
	};

	return cmocka_run_group_tests_name("store_progress", tests, NULL, NULL);
}
