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

/* STATUS: what a job is doing to the store, else the store's status. */
static void test_status_text(void **state)
{
	struct store s = job("scale", "running", "apply", 0, 3);
	char buf[32];

	(void)state;
	s.status = (char *)"Ready";
	s.job_from = 1;
	s.job_to = 3;
	store_status_text(&s, buf, sizeof(buf));
	assert_string_equal(buf, "Scaling 1\u21923");
	s = job("pause", "queued", "", 0, 3);
	s.status = (char *)"Ready";
	store_status_text(&s, buf, sizeof(buf));
	assert_string_equal(buf, "Pausing");
	s = job("resume", "running", "apply", 0, 3);
	s.status = (char *)"Paused";
	store_status_text(&s, buf, sizeof(buf));
	assert_string_equal(buf, "Resuming");
	s = job("delete", "running", "namespace", 0, 3);
	s.status = (char *)"Deleting";
	store_status_text(&s, buf, sizeof(buf));
	assert_string_equal(buf, "Deleting");
	/* a provision shows the store's own status; a finished job, nothing */
	s = job("provision", "running", "apply", 0, 3);
	s.status = (char *)"Provisioning";
	store_status_text(&s, buf, sizeof(buf));
	assert_string_equal(buf, "Provisioning");
	s = job("pause", "failed", "", 5, 3);
	s.status = (char *)"Ready";
	store_status_text(&s, buf, sizeof(buf));
	assert_string_equal(buf, "Ready");
	s = (struct store){ .status = (char *)"Failed" };
	store_status_text(&s, buf, sizeof(buf));
	assert_string_equal(buf, "Failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_waiting),
		cmocka_unit_test(test_no_job),
		cmocka_unit_test(test_status_text),
	};

	return cmocka_run_group_tests_name("store_progress", tests, NULL, NULL);
}
